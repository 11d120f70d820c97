/**
 * Authorization management through the server, on a dev chain: GET /v1/approvals answers at once
 * and scans in the background; a signed Permit2 permit that passed the firewall, and an EIP-2612
 * permit the MPC co-signer signed, are listed as off-chain permits until revoked; an approval of
 * the MPC wallet is revoked by a transaction the MPC wallet signs (device + server, through the
 * co-signer) and disappears from the next scan; bad addresses and chain ids get typed 400s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApprovalList, type RevocationJson, revocationFromJson, sendRevocations } from '@custos/approvals';
import { type DigestSigner, digestOf, type SignRequest, toMpcAccount } from '@custos/chains';
import { type DevChain, PERMIT2_ADDRESS, startDevChain } from '@custos/devchain';
import { type DeviceWallets, MpcServerError } from '@custos/mpc';
import { type Address, createPublicClient, createWalletClient, erc20Abi, http, maxUint256, parseEther } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveData, randomAddress, send } from '../../../../packages/approvals/src/testing/history.js';
import { eip2612Permit, permit2Single } from '../../../../packages/approvals/src/testing/typed-data.js';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from '../../../../packages/mpc/src/testing/primes.js';
import { createTestMpcWallet } from '../testing/device.js';
import type { Harness } from '../testing/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-approvals-'));
const lower = (a: string) => a.toLowerCase() as Address;

let chain: DevChain;
let h: Harness;
let wallets: DeviceWallets;
let walletId: string;
let mpcAddress: Address;

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
  const created = await createTestMpcWallet({
    primes: { blum: TEST_BLUM_PRIMES, safe: TEST_SAFE_PRIMES },
    harness: {
      labels: { dir, seed: false, pollMs: 0 },
      risk: { chains: [{ chainId: chain.chainId, rpcUrl: chain.rpcUrl, dev: true }], simulate: false },
      approvals: {},
    },
  });
  ({ h, wallets, walletId } = created);
  mpcAddress = created.address;
  await chain.request('hardhat_setBalance', [mpcAddress, `0x${parseEther('10').toString(16)}`]);
}, 180_000);

afterAll(async () => {
  await h?.close();
  await chain?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function list(owner: Address, wait = true): Promise<ApprovalList> {
  const response = await h.app.inject({
    method: 'GET',
    url: `/v1/approvals/${chain.chainId}/${owner}${wait ? '?wait=true' : ''}`,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as ApprovalList;
}

async function revocations(owner: Address, approvals: string[] | 'all'): Promise<RevocationJson[]> {
  const response = await h.app.inject({
    method: 'POST',
    url: '/v1/approvals/revoke',
    payload: { chainId: chain.chainId, owner, approvals },
  });
  expect(response.statusCode, response.body).toBe(200);
  return (response.json() as { transactions: RevocationJson[] }).transactions;
}

/**
 * The MPC wallet as a viem account: every signature goes through the server's co-signer; a
 * request it only warns about is confirmed with the token it sends back (as a user would).
 */
async function mpcAccount() {
  const { address, publicKey } = await wallets.address(walletId, []);
  const signer: DigestSigner = {
    publicKey: `0x${publicKey}`,
    address,
    async signDigest(request: SignRequest) {
      const digest = digestOf(request);
      const signature = await wallets.sign(walletId, { request, digest }).catch((error: unknown) => {
        if (!(error instanceof MpcServerError) || error.code !== 'RISK_CONFIRMATION_REQUIRED') throw error;
        const confirmation = (error.data as { confirmation: string }).confirmation;
        return wallets.sign(walletId, { request, digest, confirmation });
      });
      return { r: signature.r, s: signature.s, yParity: signature.yParity };
    },
  };
  return toMpcAccount(signer);
}

describe('GET /v1/approvals and POST /v1/approvals/revoke', () => {
  it('answers at once while scanning, then lists the live approvals', async () => {
    const owner = lower(chain.accounts[8]?.address as string);
    const spender = randomAddress();
    await send(chain, owner, lower(chain.contracts.erc20), approveData(spender, 42n));
    const first = await list(owner, false);
    expect(first).toMatchObject({ chainId: chain.chainId, owner, status: 'scanning', approvals: [] });
    const done = await list(owner);
    expect(done.status).toBe('complete');
    expect(done.approvals.map((a) => [a.kind, a.spender, a.amount])).toEqual([['erc20', spender, '42']]);
    expect(Number(done.scannedToBlock)).toBeGreaterThan(0);
  });

  it('refuses a bad address, a bad chain id, an unserved chain and unknown ids with typed errors', async () => {
    const good = lower(chain.accounts[8]?.address as string);
    const cases: [string, number, string][] = [
      [`/v1/approvals/${chain.chainId}/0x1234`, 400, 'INVALID_INPUT'],
      [`/v1/approvals/${chain.chainId}/vitalik.eth`, 400, 'INVALID_INPUT'],
      [`/v1/approvals/0/${good}`, 400, 'INVALID_INPUT'],
      [`/v1/approvals/abc/${good}`, 400, 'INVALID_INPUT'],
      [`/v1/approvals/-1/${good}`, 400, 'INVALID_INPUT'],
      [`/v1/approvals/99999/${good}`, 404, 'NOT_FOUND'],
    ];
    for (const [url, status, code] of cases) {
      const response = await h.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(status);
      expect(response.json(), url).toMatchObject({ code });
    }
    const unknown = await h.app.inject({
      method: 'POST',
      url: '/v1/approvals/revoke',
      payload: { chainId: chain.chainId, owner: good, approvals: ['erc20:0xdead:0xbeef'] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'APPROVALS_INVALID_REQUEST' });
    const badOwner = await h.app.inject({
      method: 'POST',
      url: '/v1/approvals/revoke',
      payload: { chainId: chain.chainId, owner: 'nobody', approvals: 'all' },
    });
    expect(badOwner.statusCode).toBe(400);
  });

  it('a Permit2 permit signed through the firewall is listed until its nonce is invalidated', async () => {
    const owner = lower(chain.accounts[9]?.address as string);
    const spender = randomAddress();
    const block = await createPublicClient({ transport: http(chain.rpcUrl) }).getBlock();
    const typedData = permit2Single({
      chainId: chain.chainId,
      permit2: lower(PERMIT2_ADDRESS),
      token: lower(chain.contracts.erc20),
      spender,
      amount: 1_000_000n,
      expiration: block.timestamp + 86_400n * 7n,
      nonce: 0n,
      sigDeadline: block.timestamp + 3600n,
    });
    const signed = await h.app.inject({
      method: 'POST',
      url: `/rpc/${chain.chainId}`,
      payload: { jsonrpc: '2.0', id: 1, method: 'eth_signTypedData_v4', params: [owner, JSON.stringify(typedData)] },
    });
    expect(signed.json()).toMatchObject({ result: expect.stringMatching(/^0x[0-9a-f]{130}$/) });
    const listed = (await list(owner)).approvals.filter((a) => a.kind === 'offchain-permit');
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      scheme: 'permit2-allowance',
      spender,
      amount: '1000000',
      signed: { via: 'firewall' },
    });
    const [revoke] = await revocations(owner, [listed[0]?.id as string]);
    expect(revoke?.method).toBe('Permit2.invalidateNonces(token, spender, nonce + 1)');
    expect(revoke?.transaction.gas).toMatch(/^0x[0-9a-f]+$/);
    const hash = await chain.request('eth_sendTransaction', [{ ...revoke?.transaction, chainId: undefined }]);
    expect(hash).toMatch(/^0x/);
    expect((await list(owner)).approvals.filter((a) => a.kind === 'offchain-permit')).toEqual([]);
  });

  it('the MPC wallet revokes its approvals with transactions it signs; an EIP-2612 permit it signed is listed first', async () => {
    const cusd = lower(chain.contracts.erc20);
    const spender = randomAddress();
    // The wallet's approval (sent by impersonation: how it came about does not matter here).
    await chain.request('hardhat_impersonateAccount', [mpcAddress]);
    await send(chain, mpcAddress, cusd, approveData(spender, maxUint256));
    await chain.request('hardhat_stopImpersonatingAccount', [mpcAddress]);
    const account = await mpcAccount();
    // A permit the co-signer signs (the request names a fresh spender: warn → confirmed).
    const permitSpender = randomAddress();
    const block = await createPublicClient({ transport: http(chain.rpcUrl) }).getBlock();
    const permit = eip2612Permit({
      chainId: chain.chainId,
      token: cusd,
      name: 'Custos Dev USD',
      owner: mpcAddress,
      spender: permitSpender,
      value: 5_000n,
      nonce: 0n,
      deadline: block.timestamp + 3600n,
    });
    await account.signTypedData(permit as never);
    const before = await list(mpcAddress);
    const kinds = before.approvals.map((a) => `${a.kind}:${a.spender}`).sort();
    expect(kinds).toEqual([`erc20:${spender}`, `offchain-permit:${permitSpender}`].sort());
    expect(before.approvals.find((a) => a.kind === 'offchain-permit')).toMatchObject({ signed: { via: 'cosigner' } });

    const transactions = await revocations(mpcAddress, 'all');
    expect(transactions.map((t) => t.method).sort()).toEqual([
      'approve(spender, 0)',
      'permit(owner, spender, 0) at nonce 0',
    ]);
    const wallet = createWalletClient({ account, transport: http(chain.rpcUrl) });
    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    const nonceBefore = await client.getTransactionCount({ address: mpcAddress });
    const sent = await sendRevocations(wallet, transactions.map(revocationFromJson));
    expect(sent.flatMap((x) => x.revokes).sort()).toEqual(before.approvals.map((a) => a.id).sort());
    // Every transaction came from the MPC wallet: its nonce moved by one per revocation.
    expect(await client.getTransactionCount({ address: mpcAddress })).toBe(nonceBefore + transactions.length);
    expect((await list(mpcAddress)).approvals).toEqual([]);
    expect(
      await client.readContract({
        address: cusd,
        abi: erc20Abi,
        functionName: 'allowance',
        args: [mpcAddress, spender],
      }),
    ).toBe(0n);
  });
});
