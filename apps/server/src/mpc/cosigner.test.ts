/**
 * The co-signer that refuses, end to end on the dev chain: an MPC wallet (device + server) whose
 * server party scans every request before it spends a presignature. An unlimited approval to a
 * block-listed spender is refused with the verdict and no signature; a `warn` transaction is
 * signed only after the device sends back the confirmation token for exactly that request, and
 * the signed transaction is then mined; the wallet's policy (allow-list, per-asset daily limits,
 * blind signing off) refuses what it must; every decision is recorded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf, type SignRequest } from '@custos/chains';
import type { BaseError } from '@custos/core';
import { type DevChain, startDevChain } from '@custos/devchain';
import { type DeviceWallets, type MpcServerClient, MpcServerError } from '@custos/mpc';
import {
  type Address,
  bytesToHex,
  createPublicClient,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  http,
  maxUint256,
  parseEther,
  parseTransaction,
  serializeTransaction,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from '../../../../packages/mpc/src/testing/primes.js';
import { createTestMpcWallet } from '../testing/device.js';
import type { Harness } from '../testing/harness.js';
import { loadPolicy, savePolicy } from './cosigner.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-cosigner-'));

let chain: DevChain;
let h: Harness;
let wallets: DeviceWallets;
let device: MpcServerClient;
let walletId: string;
let address: Address;
let nonce = 0;

const fresh = (): Address => bytesToHex(crypto.getRandomValues(new Uint8Array(20))) as Address;
const direct = () => createPublicClient({ transport: http(chain.rpcUrl) });

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
  ({ h, device, wallets, walletId, address } = await createTestMpcWallet({
    primes: { blum: TEST_BLUM_PRIMES, safe: TEST_SAFE_PRIMES },
    harness: {
      labels: { dir, seed: false, pollMs: 0 },
      risk: { chains: [{ chainId: chain.chainId, rpcUrl: chain.rpcUrl, dev: true }], simulate: false },
    },
  }));
  await chain.request('hardhat_setBalance', [address, `0x${parseEther('10').toString(16)}`]);
}, 180_000);

afterAll(async () => {
  await h?.close();
  await chain?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An unsigned EIP-1559 transaction from the wallet, as a sign request. */
function txRequest(to: Address, data: Hex = '0x', value = 0n): SignRequest {
  const transaction = serializeTransaction({
    chainId: chain.chainId,
    nonce,
    to,
    data,
    value,
    gas: 200_000n,
    maxFeePerGas: 2n * 10n ** 9n,
    maxPriorityFeePerGas: 10n ** 9n,
  });
  return { kind: 'transaction', chainId: chain.chainId, transaction };
}

const approveData = (spender: Address, amount: bigint) =>
  encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spender, amount] });

async function refusal(promise: Promise<unknown>): Promise<MpcServerError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MpcServerError);
  return error as MpcServerError;
}

async function decisions() {
  const r = await h.services.db.query<{ decision: string; action: string | null; reason: string }>(
    'SELECT decision, action, reason FROM mpc_sign_decisions WHERE wallet_id = $1 ORDER BY id',
    [walletId],
  );
  return r.rows;
}

type Signature = { r: Hex; s: Hex; yParity: 0 | 1 };

/** Signs; when the co-signer asks for a confirmation, confirms (as the device's user would) once. */
async function signConfirming(request: SignRequest): Promise<Signature> {
  const digest = digestOf(request);
  try {
    return await wallets.sign(walletId, { request, digest });
  } catch (error) {
    if (!(error instanceof MpcServerError) || error.code !== 'RISK_CONFIRMATION_REQUIRED') throw error;
    const { confirmation } = error.data as { confirmation: string };
    return wallets.sign(walletId, { request, digest, confirmation });
  }
}

/** Broadcasts a signed sign-request transaction and moves the test's nonce on. */
async function send(request: SignRequest, signed: Signature): Promise<Hex> {
  if (request.kind !== 'transaction') throw new Error('not a transaction');
  const raw = serializeTransaction(parseTransaction(request.transaction), {
    r: signed.r,
    s: signed.s,
    yParity: signed.yParity,
  });
  const hash = (await chain.request('eth_sendRawTransaction', [raw])) as Hex;
  nonce++;
  return hash;
}

async function signAndSend(request: SignRequest, confirmation?: string): Promise<Hex> {
  const digest = digestOf(request);
  return send(request, await wallets.sign(walletId, { request, digest, ...(confirmation ? { confirmation } : {}) }));
}

describe('the co-signer refuses what the risk engine blocks', () => {
  it('an unlimited approval to a block-listed spender is refused with the verdict; nothing is signed or mined', async () => {
    const spender = fresh();
    await h.services.labels?.setOverride({
      scope: chain.chainId,
      address: spender,
      tier: 'block',
      reason: 'test: drainer',
      by: 'operator',
    });
    const request = txRequest(chain.contracts.erc20 as Address, approveData(spender, maxUint256));
    const error = await refusal(wallets.sign(walletId, { request, digest: digestOf(request) }));
    expect(error.code).toBe('RISK_BLOCKED');
    const data = error.data as { verdict: { action: string; findings: { rule: string; subject?: string }[] } };
    expect(data.verdict.action).toBe('block');
    expect(data.verdict.findings.some((f) => f.rule === 'approval_farming' && f.subject === spender)).toBe(true);
    expect(await direct().getTransactionCount({ address })).toBe(0);
    expect((await decisions()).at(-1)).toMatchObject({ decision: 'refused', action: 'block' });
  }, 60_000);

  it('a warn transaction signs only after the device confirms, then is mined', async () => {
    const spender = fresh(); // unknown, no code: unlimited approval to a codeless address → warn
    const request = txRequest(chain.contracts.erc20 as Address, approveData(spender, maxUint256));
    const first = await refusal(wallets.sign(walletId, { request, digest: digestOf(request) }));
    expect(first.code).toBe('RISK_CONFIRMATION_REQUIRED');
    const { verdict, confirmation } = first.data as { verdict: { action: string }; confirmation: string };
    expect(verdict.action).toBe('warn');
    expect(confirmation).toMatch(/^[0-9a-f]{64}$/);
    // A token for something else is not a confirmation of this.
    const wrong = await refusal(
      wallets.sign(walletId, { request, digest: digestOf(request), confirmation: 'ab'.repeat(32) }),
    );
    expect(wrong.code).toBe('RISK_CONFIRMATION_REQUIRED');
    const hash = await signAndSend(request, confirmation);
    const receipt = await direct().waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    expect(
      await direct().readContract({
        address: chain.contracts.erc20 as Address,
        abi: erc20Abi,
        functionName: 'allowance',
        args: [address, spender],
      }),
    ).toBe(maxUint256);
    const recorded = (await decisions()).slice(-3).map((d) => d.decision);
    expect(recorded).toEqual(['confirmation-required', 'confirmation-required', 'signed']);
  }, 60_000);

  let paid: Address | undefined;

  it('an allowed transfer signs without any confirmation', async () => {
    const to = fresh();
    paid = to;
    await chain.request('hardhat_setCode', [to, '0x00']); // a contract, so not an unknown EOA
    const hash = await signAndSend(txRequest(to, '0x', parseEther('0.01')));
    expect((await direct().waitForTransactionReceipt({ hash })).status).toBe('success');
  }, 60_000);
  it("a look-alike of an address the wallet paid before needs confirmation (address poisoning, from the wallet's own record)", async () => {
    expect(paid).toBeDefined();
    const real = paid as Address;
    const lookAlike = `${real.slice(0, 8)}${'0'.repeat(28)}${real.slice(-6)}` as Address;
    expect(lookAlike).not.toBe(real);
    const request = txRequest(lookAlike, '0x', 1n);
    const error = await refusal(wallets.sign(walletId, { request, digest: digestOf(request) }));
    expect(error.code).toBe('RISK_CONFIRMATION_REQUIRED');
    const { verdict } = error.data as { verdict: { findings: { rule: string; subject?: string }[] } };
    expect(verdict.findings.some((f) => f.rule === 'address_poisoning' && f.subject === lookAlike)).toBe(true);
  }, 60_000);
});

describe('per-wallet policy', () => {
  it('blind signing is off by default: a bare digest is refused and recorded', async () => {
    const request: SignRequest = { kind: 'digest', digest: `0x${'42'.repeat(32)}` };
    const error = await wallets.sign(walletId, { request, digest: digestOf(request) }).catch((e: unknown) => e);
    expect((error as BaseError).code).toBe('MPC_BLIND_SIGNING_REFUSED');
    expect((await decisions()).at(-1)).toMatchObject({
      decision: 'refused',
      reason: 'blind signing is off for this wallet',
    });
  }, 60_000);

  it('a destination outside the allow-list is refused; one on it signs', async () => {
    const allowed = fresh();
    const other = fresh();
    for (const a of [allowed, other]) await chain.request('hardhat_setCode', [a, '0x00']);
    await savePolicy(h.services.db, walletId, { allowlist: [allowed] });
    const refused = await refusal(
      wallets.sign(walletId, { request: txRequest(other, '0x', 1n), digest: digestOf(txRequest(other, '0x', 1n)) }),
    );
    expect(refused.code).toBe('RISK_POLICY_REFUSED');
    expect(refused.details.check).toBe('policy.allowlist');
    const hash = await signAndSend(txRequest(allowed, '0x', 1n));
    expect((await direct().waitForTransactionReceipt({ hash })).status).toBe('success');
    await savePolicy(h.services.db, walletId, { allowlist: null });
  }, 60_000);

  it('per-asset daily limits count native and each ERC-20 separately, over a rolling 24 h', async () => {
    const to = fresh();
    await chain.request('hardhat_setCode', [to, '0x00']);
    // WETH: the cUSD unlimited approval signed earlier would already exceed any cUSD limit.
    const token = (chain.contracts.weth as string).toLowerCase() as Address;
    await savePolicy(h.services.db, walletId, {
      dailyLimits: [
        { chainId: chain.chainId, asset: 'native', amount: parseEther('0.05').toString() },
        { chainId: chain.chainId, asset: token, amount: '1000' },
      ],
    });
    expect((await loadPolicy(h.services.db, walletId)).dailyLimits).toHaveLength(2);
    // Earlier in this file 0.01 ETH + 1 wei went out; 0.04 ETH more still fits, 0.01 more does not.
    const fits = await signAndSend(txRequest(to, '0x', parseEther('0.03')));
    expect((await direct().waitForTransactionReceipt({ hash: fits })).status).toBe('success');
    const over = txRequest(to, '0x', parseEther('0.02'));
    const refused = await refusal(wallets.sign(walletId, { request: over, digest: digestOf(over) }));
    expect(refused.code).toBe('RISK_POLICY_REFUSED');
    expect(refused.details.check).toBe('policy.daily-limit');
    // The token limit is separate: an approval of 1000 units fits, one more unit does not.
    const spender = chain.contracts.uniswapV2Router.toLowerCase() as Address;
    const small = txRequest(token, approveData(spender, 1000n));
    const hash = await send(small, await signConfirming(small));
    expect((await direct().waitForTransactionReceipt({ hash })).status).toBe('success');
    const more = txRequest(token, approveData(spender, 1n));
    const overToken = await refusal(signConfirming(more));
    expect(overToken.code).toBe('RISK_POLICY_REFUSED');
    expect(overToken.details.check).toBe('policy.daily-limit');
    await savePolicy(h.services.db, walletId, { dailyLimits: [] });
  }, 120_000);
});

describe('policy and decisions over HTTP (device-signed requests)', () => {
  it('the device sets and reads its policy; a malformed policy is a 400', async () => {
    const to = fresh();
    const set = await device.request<{ policy: Record<string, unknown> }>(
      'POST',
      `/v1/mpc/wallets/${walletId}/policy`,
      {
        dailyLimits: [{ chainId: chain.chainId, asset: 'native', amount: '5' }],
        allowlist: [to.toUpperCase().replace('0X', '0x')],
      },
    );
    expect(set.policy).toEqual({
      blindSigning: false,
      dailyLimits: [{ chainId: chain.chainId, asset: 'native', amount: '5' }],
      allowlist: [to],
    });
    const read = await device.request<{ policy: unknown }>('GET', `/v1/mpc/wallets/${walletId}/policy`);
    expect(read.policy).toEqual(set.policy);
    const bad = await device
      .request('POST', `/v1/mpc/wallets/${walletId}/policy`, {
        dailyLimits: [{ chainId: 1, asset: 'x', amount: '-1' }],
      })
      .catch((e: unknown) => e);
    expect((bad as BaseError).code).toBe('INVALID_INPUT');
    await device.request('POST', `/v1/mpc/wallets/${walletId}/policy`, { dailyLimits: [], allowlist: null });
  });

  it('every decision is listed, newest first, with its verdict', async () => {
    const { decisions: list } = await device.request<{
      decisions: { decision: string; action: string | null; verdict: { action: string } | null }[];
    }>('GET', `/v1/mpc/wallets/${walletId}/decisions?limit=100`);
    const kinds = new Set(list.map((d) => d.decision));
    for (const k of ['signed', 'refused', 'confirmation-required']) expect(kinds).toContain(k);
    const blocked = list.find((d) => d.action === 'block');
    expect(blocked?.verdict?.action).toBe('block');
    expect(list.length).toBe((await decisions()).length);
  });
});
