/**
 * The risk routes on a real server over a real dev chain: scans (a warn, a block, typed 400s),
 * domain scans, and the JSON-RPC firewall driven by an unmodified viem wallet client with a local
 * account — a send to a block-listed address is refused with the verdict and never reaches the
 * chain, a send to a fresh address is forwarded and mined, reads pass through, a batch gets one
 * answer per request, malformed bodies get JSON-RPC errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevChain, startDevChain } from '@custos/devchain';
import {
  type Address,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  maxUint256,
  type PublicClient,
  parseAbi,
  parseEther,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount, privateKeyToAddress } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServerConfig } from '../config.js';
import { createHarness, type Harness, OPERATOR_TOKEN } from '../testing/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-risk-http-'));
const logLines: string[] = [];
const ERC20 = parseAbi(['function approve(address spender, uint256 amount) returns (bool)']);

let chain: DevChain;
let h: Harness;
let server: string;
let direct: PublicClient;
let sender: { address: Address; privateKey: Hex };

/** A fresh address nobody has used (no label, no history, no code). */
const freshAddress = (): Address => privateKeyToAddress(generatePrivateKey()).toLowerCase() as Address;

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
  h = await createHarness(
    {},
    {},
    {
      mpc: false,
      labels: { dir },
      logTo: { write: (line) => logLines.push(line) },
      risk: {
        chains: [
          {
            chainId: chain.chainId,
            rpcUrl: chain.rpcUrl,
            dev: true,
            router: chain.contracts.uniswapV2Router,
          },
        ],
        simulate: true,
      },
    },
  );
  server = await h.app.listen({ host: '127.0.0.1', port: 0 });
  direct = createPublicClient({ transport: http(chain.rpcUrl) });
  sender = chain.accounts[3] as { address: Address; privateKey: Hex };
});

afterAll(async () => {
  await h?.close();
  await chain?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function scan(payload: Record<string, unknown>) {
  return h.app.inject({ method: 'POST', url: '/v1/scan', payload });
}

async function blockAddress(address: Address): Promise<void> {
  const response = await h.app.inject({
    method: 'POST',
    url: '/v1/labels/overrides',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    payload: { scope: 'evm', address, tier: 'block', reason: 'test: known drainer' },
  });
  expect(response.statusCode, response.body).toBe(200);
}

/** Walks an error's causes for the JSON-RPC error the firewall answered. */
function rpcErrorIn(error: unknown): { code: number; data?: { verdict?: { action: string } } } | undefined {
  for (let e = error as Record<string, unknown> | undefined, i = 0; e !== undefined && i < 10; i++) {
    if (e.code === -32003 && e.data !== undefined) return e as { code: number; data: { verdict: { action: string } } };
    e = e.cause as Record<string, unknown> | undefined;
  }
  return undefined;
}

describe('POST /v1/scan', () => {
  it('warns about an unlimited approval to an unknown EOA', async () => {
    const response = await scan({
      chainId: chain.chainId,
      origin: 'https://app.example.org',
      method: 'eth_sendTransaction',
      params: [
        {
          from: sender.address,
          to: chain.contracts.erc20,
          data: encodeFunctionData({ abi: ERC20, functionName: 'approve', args: [freshAddress(), maxUint256] }),
        },
      ],
    });
    expect(response.statusCode, response.body).toBe(200);
    const verdict = response.json();
    expect(verdict.action, response.body).toBe('warn');
    expect(verdict.decoded).toMatchObject({ type: 'transaction', intents: [{ kind: 'approval' }] });
    expect(verdict.simulation).toBeUndefined();
  });

  it('simulates on the dev chain when asked', async () => {
    const response = await scan({
      chainId: chain.chainId,
      method: 'eth_sendTransaction',
      params: [{ from: sender.address, to: freshAddress(), value: '0xde0b6b3a7640000' }],
      simulate: true,
    });
    expect(response.statusCode, response.body).toBe(200);
    const verdict = response.json();
    expect(verdict.simulation, response.body).toMatchObject({
      success: true,
      assetChanges: [{ direction: 'out', asset: 'native', amount: '1000000000000000000' }],
    });
  });

  it('warns about a transfer to a look-alike of a counterparty in the history the wallet sends', async () => {
    const real = freshAddress();
    const lookAlike = `${real.slice(0, 8)}${'0'.repeat(28)}${real.slice(-6)}`;
    const body = {
      chainId: chain.chainId,
      method: 'eth_sendTransaction',
      params: [{ from: sender.address, to: lookAlike, value: '0x1' }],
    };
    const plain = await scan(body);
    expect(plain.json().findings.some((f: { rule: string }) => f.rule === 'address_poisoning')).toBe(false);
    const response = await scan({ ...body, history: [real.toUpperCase().replace('0X', '0x')] });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().action).toBe('warn');
    expect(response.json().findings.some((f: { rule: string }) => f.rule === 'address_poisoning')).toBe(true);
  });

  it('blocks eth_sign of a 32-byte hash', async () => {
    const response = await scan({
      chainId: 1,
      method: 'eth_sign',
      params: [sender.address, `0x${'ab'.repeat(32)}`],
    });
    expect(response.statusCode, response.body).toBe(200);
    const verdict = response.json();
    expect(verdict.action).toBe('block');
    expect(verdict.findings.some((f: { severity: string }) => f.severity === 'critical')).toBe(true);
  });

  it('refuses a value of "<entire balance>" with a typed 400 naming the field', async () => {
    const response = await scan({
      chainId: 42161,
      method: 'eth_sendTransaction',
      params: [{ from: sender.address, to: freshAddress(), value: '<entire balance>', data: '0x5fba79f5' }],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'RISK_INVALID_REQUEST', details: { field: 'value' } });
  });

  it('refuses a method it does not scan, and a malformed body, with typed 400s', async () => {
    const unsupported = await scan({ chainId: 1, method: 'eth_call', params: [] });
    expect(unsupported.statusCode).toBe(400);
    expect(unsupported.json().code).toBe('RISK_UNSUPPORTED_METHOD');
    const extra = await scan({ chainId: 1, method: 'personal_sign', params: [], surprise: true });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().code).toBe('INVALID_INPUT');
    const badOrigin = await scan({
      chainId: 1,
      method: 'personal_sign',
      params: ['0x68656c6c6f', sender.address],
      origin: ' ',
    });
    expect(badOrigin.statusCode).toBe(400);
    expect(badOrigin.json()).toMatchObject({ code: 'RISK_INVALID_REQUEST', details: { field: 'origin' } });
  });
});

describe('POST /v1/scan/domain', () => {
  it('blocks a site on the MetaMask block list, warns about a look-alike of a high-value target', async () => {
    const listed = await h.app.inject({
      method: 'POST',
      url: '/v1/scan/domain',
      payload: { origin: 'https://layerzeroairdrop.net/claim' },
    });
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json()).toMatchObject({ action: 'block', domain: { domain: 'layerzeroairdrop.net', tier: 'block' } });
    const lookalike = await h.app.inject({
      method: 'POST',
      url: '/v1/scan/domain',
      payload: { origin: 'metamazk.io' },
    });
    // A look-alike is not on a list itself: the user is warned, not refused.
    expect(lookalike.json()).toMatchObject({
      action: 'warn',
      findings: [{ severity: 'warning' }],
      domain: { match: 'fuzzy', matched: 'metamask.io' },
    });
    const fine = await h.app.inject({ method: 'POST', url: '/v1/scan/domain', payload: { origin: 'metamask.io' } });
    expect(fine.json().action).toBe('allow');
  });
});

describe('POST /rpc/:chainId (the wallet firewall)', () => {
  const wallet = () =>
    createWalletClient({
      account: privateKeyToAccount(sender.privateKey),
      chain: hardhat,
      transport: http(`${server}/rpc/${chain.chainId}`),
    });

  it('refuses a send to a block-listed address with the verdict, and nothing reaches the chain', async () => {
    const drainer = freshAddress();
    await blockAddress(drainer);
    const nonceBefore = await direct.getTransactionCount({ address: sender.address });
    const blockBefore = await direct.getBlockNumber();
    const error = await wallet()
      .sendTransaction({ to: drainer, value: parseEther('1') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const rpc = rpcErrorIn(error);
    expect(rpc, String(error)).toBeDefined();
    expect(rpc?.data?.verdict?.action).toBe('block');
    expect(await direct.getBalance({ address: drainer })).toBe(0n);
    expect(await direct.getTransactionCount({ address: sender.address })).toBe(nonceBefore);
    expect(await direct.getBlockNumber()).toBe(blockBefore);
    // The refusal is logged with the method, action and rules only.
    const line = logLines.find((l) => l.includes('"via":"firewall"') && l.includes('"action":"block"'));
    expect(line).toBeDefined();
    expect(line).toContain('"method":"eth_sendRawTransaction"');
    expect(line).not.toContain(drainer.slice(2));
  });

  it('forwards a send to an unlabelled fresh address, which is mined', async () => {
    const recipient = freshAddress();
    const nonceBefore = await direct.getTransactionCount({ address: sender.address });
    const hash = await wallet().sendTransaction({ to: recipient, value: parseEther('0.5') });
    const receipt = await direct.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    expect(await direct.getBalance({ address: recipient })).toBe(parseEther('0.5'));
    expect(await direct.getTransactionCount({ address: sender.address })).toBe(nonceBefore + 1);
  });

  it('forwards reads', async () => {
    const viaFirewall = createPublicClient({ transport: http(`${server}/rpc/${chain.chainId}`) });
    expect(await viaFirewall.getBlockNumber({ cacheTime: 0 })).toBe(await direct.getBlockNumber({ cacheTime: 0 }));
    expect(await viaFirewall.getBalance({ address: sender.address })).toBe(
      await direct.getBalance({ address: sender.address }),
    );
    expect(await viaFirewall.getChainId()).toBe(chain.chainId);
  });

  it('answers a batch with one result and one refusal', async () => {
    const drainer = freshAddress();
    await blockAddress(drainer);
    const account = privateKeyToAccount(sender.privateKey);
    const fees = await direct.estimateFeesPerGas();
    const raw = await account.signTransaction({
      chainId: chain.chainId,
      to: drainer,
      value: parseEther('1'),
      nonce: await direct.getTransactionCount({ address: sender.address }),
      gas: 21_000n,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    const response = await fetch(`${server}/rpc/${chain.chainId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://app.example.org' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] },
        { jsonrpc: '2.0', id: 2, method: 'eth_sendRawTransaction', params: [raw] },
      ]),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { id: number; result?: string; error?: { code: number; data: unknown } }[];
    expect(body).toHaveLength(2);
    expect(body[0]).toMatchObject({ id: 1, result: expect.stringMatching(/^0x[0-9a-f]+$/) });
    expect(body[1]).toMatchObject({ id: 2, error: { code: -32003, data: { verdict: { action: 'block' } } } });
    expect(await direct.getBalance({ address: drainer })).toBe(0n);
  });

  it('answers malformed bodies with JSON-RPC errors, not 500s', async () => {
    const post = (body: string, chainId: number | string = chain.chainId) =>
      fetch(`${server}/rpc/${chainId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const notJson = await post('{"jsonrpc":"2.0","id":1,');
    expect(notJson.status).toBe(200);
    expect(await notJson.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    for (const [body, code] of [
      ['{"jsonrpc":"2.0","id":7}', -32600],
      ['[]', -32600],
      ['42', -32600],
      ['{"jsonrpc":"2.0","id":8,"method":"eth_getBalance","params":"nope"}', -32602],
      ['{"jsonrpc":"2.0","id":9,"method":"personal_sign","params":["0x00"]}', -32602],
    ] as const) {
      const response = await post(body);
      expect(response.status, body).toBe(200);
      expect(((await response.json()) as { error: { code: number } }).error.code, body).toBe(code);
    }
    const tooMany = await post(JSON.stringify(Array.from({ length: 101 }, (_, id) => ({ id, method: 'eth_chainId' }))));
    expect(((await tooMany.json()) as { error: { code: number } }).error.code).toBe(-32600);
  });

  it('is a typed 404 for a chain it does not serve', async () => {
    const response = await fetch(`${server}/rpc/1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'NOT_FOUND', details: { chainId: 1 } });
  });
});

describe('--rpc-url', () => {
  it('parses repeated flags and the comma-separated variable', () => {
    expect(
      resolveServerConfig({ rpcUrls: ['1=https://node.example/v3/KEY', '10=http://127.0.0.1:9545'] }).rpcUrls,
    ).toEqual([
      { chainId: 1, rpcUrl: 'https://node.example/v3/KEY' },
      { chainId: 10, rpcUrl: 'http://127.0.0.1:9545' },
    ]);
    expect(resolveServerConfig({}, { CUSTOS_RPC_URLS: '1=https://a.example, 137=https://b.example' }).rpcUrls).toEqual([
      { chainId: 1, rpcUrl: 'https://a.example' },
      { chainId: 137, rpcUrl: 'https://b.example' },
    ]);
    expect(resolveServerConfig({}).rpcUrls).toEqual([]);
  });

  it.each([
    [['https://node.example/v3/KEY'], 'entry 1 must be <chainId>=<url>'],
    [['mainnet=https://node.example/v3/KEY'], 'entry 1 must start with a decimal chain id'],
    [['1=wss://node.example/v3/KEY'], 'entry 1 (chain 1) must have an http:// or https:// URL'],
    [['1=https://node.example/v3/KEY', '1=https://other.example/KEY'], 'entry 2 repeats chain 1'],
  ])('refuses %j naming the entry, never the URL (it may hold a key)', (rpcUrls, message) => {
    expect(() => resolveServerConfig({ rpcUrls })).toThrow(`invalid --rpc-url: ${message}`);
    try {
      resolveServerConfig({ rpcUrls });
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('KEY');
    }
  });
});
