/**
 * Tests of the on-chain facts against a real dev chain: account kinds (empty, EOA, contract, an
 * EIP-7702 delegated account made with `hardhat_setCode`), deployment time by binary search (and
 * its absence on a node without history), token facts (ERC-20 metadata, ERC-721 and ERC-1155 by
 * ERC-165, a bytes32 symbol), the cache (hits, TTL, in-flight sharing), and failure as `unknown`
 * with a reason — quickly, for a dead RPC. Also the offline and static providers.
 */
import { createServer } from 'node:net';
import { type DevChain, startDevChain } from '@custos/devchain';
import { createPublicClient, createWalletClient, http, keccak256, parseAbi, stringToHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeTokenText,
  OfflineFactsProvider,
  RpcFactsProvider,
  type RpcRequestArguments,
  StaticFactsProvider,
  TtlLruCache,
} from './facts.js';
import type { Address, Hex } from './types.js';

const CHAIN_ID = 31337;
let chain: DevChain;

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
});

afterAll(async () => {
  await chain.close();
});

function client() {
  return createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl, { retryCount: 0 }) });
}

/** An EIP-1193 request function on the dev chain that records every call. */
function recordingRequest(log: RpcRequestArguments[] = []) {
  const request = async (args: RpcRequestArguments) => {
    log.push(args);
    return chain.request(args.method, args.params ?? []);
  };
  return { request, log };
}

function lower(address: string): Address {
  return address.toLowerCase() as Address;
}

function account(index: number): Address {
  const a = chain.accounts[index];
  if (a === undefined) throw new Error(`no dev account ${index}`);
  return a.address;
}

/** A port nothing listens on: bind port 0, read the port, close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('address facts', () => {
  it('classifies a never-used dev account as empty and one that has sent a transaction as eoa', async () => {
    const facts = new RpcFactsProvider({ clients: { [CHAIN_ID]: client() } });
    expect(await facts.address(CHAIN_ID, account(8))).toEqual({ kind: 'empty', nonce: 0 });
    const key = chain.accounts[9]?.privateKey;
    if (key === undefined) throw new Error('no key');
    const wallet = createWalletClient({
      account: privateKeyToAccount(key),
      chain: hardhat,
      transport: http(chain.rpcUrl, { retryCount: 0 }),
    });
    await client().waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to: account(8), value: 1n }) });
    expect(await facts.address(CHAIN_ID, account(9))).toEqual({ kind: 'eoa', nonce: 1 });
  });

  it('finds a fixture contract, its code hash and its deployment time in O(log n) calls', async () => {
    const { request, log } = recordingRequest();
    const facts = new RpcFactsProvider({ clients: new Map([[CHAIN_ID, request]]) });
    const token = chain.contracts.erc20;
    const result = await facts.address(CHAIN_ID, token);
    const code = (await chain.request('eth_getCode', [token, 'latest'])) as Hex;
    expect(result.kind).toBe('contract');
    expect(result.codeHash).toBe(keccak256(code));
    // cUSD is the first fixture: deployed in block 1.
    const block1 = (await chain.request('eth_getBlockByNumber', ['0x1', false])) as { timestamp: Hex };
    expect(result.deployedAt).toBe(Number(BigInt(block1.timestamp)));
    const head = Number(await chain.request('eth_blockNumber'));
    const historical = log.filter((c) => c.method === 'eth_getCode' && c.params?.[1] !== 'latest');
    expect(historical.length).toBeGreaterThan(0);
    expect(historical.length).toBeLessThanOrEqual(Math.ceil(Math.log2(head + 1)) + 1);

    // A later fixture is found in its own, later block.
    const later = await facts.address(CHAIN_ID, chain.contracts.taxToken);
    expect(later.deployedAt).toBeGreaterThan(result.deployedAt ?? Number.POSITIVE_INFINITY);
  });

  it('leaves deployedAt undefined when the node refuses historical state', async () => {
    const { request } = recordingRequest();
    const pruned = async (args: RpcRequestArguments) => {
      if (args.method === 'eth_getCode' && args.params?.[1] !== 'latest') throw new Error('missing trie node');
      return request(args);
    };
    const facts = new RpcFactsProvider({ clients: { [CHAIN_ID]: pruned } });
    const result = await facts.address(CHAIN_ID, chain.contracts.erc721);
    expect(result.kind).toBe('contract');
    expect(result.codeHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(result.deployedAt).toBeUndefined();
  });

  it("reports an EIP-7702 delegated account with its delegate and the delegate's code hash", async () => {
    const delegated = lower('0x7702000000000000000000000000000000007702');
    const delegate = lower(chain.contracts.erc721);
    await chain.request('hardhat_setCode', [delegated, `0xef0100${delegate.slice(2)}`]);
    const facts = new RpcFactsProvider({ clients: { [CHAIN_ID]: client() } });
    const delegateCode = (await chain.request('eth_getCode', [delegate, 'latest'])) as Hex;
    expect(await facts.address(CHAIN_ID, delegated)).toEqual({
      kind: 'delegated',
      delegate,
      codeHash: keccak256(delegateCode),
      nonce: 0,
    });
  });

  it('answers unknown with a reason for a dead RPC, within the per-call timeout', async () => {
    const port = await closedPort();
    // viem's default transport retries with back-off (over a second); the timeout cuts that short.
    const dead = createPublicClient({ transport: http(`http://127.0.0.1:${port}`) });
    const facts = new RpcFactsProvider({ clients: { [CHAIN_ID]: dead }, timeoutMs: 300 });
    const started = performance.now();
    const result = await facts.address(CHAIN_ID, account(0));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result.kind).toBe('unknown');
    expect(result.reason).toMatch(/timed out after 300 ms|HTTP request failed/);
    expect(result.reason).not.toContain(String(port)); // the URL (which may hold a key) is not echoed

    const fast = new RpcFactsProvider({
      clients: { [CHAIN_ID]: createPublicClient({ transport: http(`http://127.0.0.1:${port}`, { retryCount: 0 }) }) },
    });
    const refused = await fast.token(CHAIN_ID, chain.contracts.erc20);
    expect(refused.standard).toBe('unknown');
    expect(refused.reason).toMatch(/HTTP request failed/);
    expect(refused.reason).not.toContain(String(port));
  });

  it('answers unknown for a chain without an RPC, and refuses a malformed address', async () => {
    const facts = new RpcFactsProvider({ clients: {} });
    expect(await facts.address(1, account(0))).toEqual({ kind: 'unknown', reason: 'no RPC configured for chain 1' });
    await expect(facts.address(CHAIN_ID, '0x1234' as Address)).rejects.toThrow(/"address" expected a 20-byte/);
  });
});

describe('token facts', () => {
  it('reads cUSD as an ERC-20 with its symbol, name, decimals and supply', async () => {
    const facts = new RpcFactsProvider({ clients: { [CHAIN_ID]: client() } });
    const supply = (await client().readContract({
      address: chain.contracts.erc20,
      abi: parseAbi(['function totalSupply() view returns (uint256)']),
      functionName: 'totalSupply',
    })) as bigint;
    expect(await facts.token(CHAIN_ID, chain.contracts.erc20)).toEqual({
      standard: 'erc20',
      symbol: 'cUSD',
      name: 'Custos Dev USD',
      decimals: 6,
      totalSupply: supply.toString(),
    });
  });

  it('recognises the ERC-721 and ERC-1155 fixtures by ERC-165', async () => {
    const facts = new RpcFactsProvider({ clients: { [CHAIN_ID]: client() } });
    expect(await facts.token(CHAIN_ID, chain.contracts.erc721)).toEqual({
      standard: 'erc721',
      symbol: 'cNFT',
      name: 'Custos Dev NFT',
    });
    expect((await facts.token(CHAIN_ID, chain.contracts.erc1155)).standard).toBe('erc1155');
  });

  it('reads a bytes32 symbol (MKR style) and calls an address without code unknown', async () => {
    // Runtime code that answers every call with one 32-byte word: "MKR" left-aligned.
    const word = stringToHex('MKR', { size: 32 }).slice(2);
    const oldToken = lower('0x00000000000000000000000000000000000b3232');
    await chain.request('hardhat_setCode', [oldToken, `0x7f${word}60005260206000f3`]);
    const facts = new RpcFactsProvider({ clients: { [CHAIN_ID]: client() } });
    const result = await facts.token(CHAIN_ID, oldToken);
    expect(result.standard).toBe('erc20'); // answers totalSupply()
    expect(result.symbol).toBe('MKR');
    expect(result.decimals).toBeUndefined(); // the word is far above 255
    const none = await facts.token(CHAIN_ID, account(7));
    expect(none).toEqual({ standard: 'unknown', reason: 'no contract code at the address' });
  });
});

describe('token facts of non-tokens', () => {
  it('calls a contract that answers none of the token calls unknown, and caches that answer', async () => {
    const { request, log } = recordingRequest();
    const facts = new RpcFactsProvider({ clients: { [CHAIN_ID]: request } });
    const router = await facts.token(CHAIN_ID, chain.contracts.uniswapV2Router);
    expect(router).toEqual({ standard: 'unknown', reason: 'no ERC-165, ERC-20 decimals() or totalSupply() answer' });
    const calls = log.length;
    expect(await facts.token(CHAIN_ID, chain.contracts.uniswapV2Router)).toEqual(router);
    expect(log.length).toBe(calls);
    // The pair is an ERC-20 itself (the LP share).
    expect(await facts.token(CHAIN_ID, chain.contracts.uniswapV2Pair)).toMatchObject({
      standard: 'erc20',
      symbol: 'UNI-V2',
      decimals: 18,
    });
  });
});

describe('cache', () => {
  it('serves repeats from the cache until the TTL, and shares one lookup among concurrent callers', async () => {
    const { request, log } = recordingRequest();
    let now = 1_000_000;
    const facts = new RpcFactsProvider({
      clients: { [CHAIN_ID]: request },
      addressCache: { ttlMs: 60_000 },
      now: () => now,
    });
    const target = account(5);
    const [a, b] = await Promise.all([facts.address(CHAIN_ID, target), facts.address(CHAIN_ID, target)]);
    expect(a).toEqual(b);
    const first = log.length;
    expect(first).toBe(2); // eth_getCode + eth_getTransactionCount, once
    await facts.address(CHAIN_ID, target);
    expect(log.length).toBe(first);
    now += 60_001;
    await facts.address(CHAIN_ID, target);
    expect(log.length).toBe(first * 2);
  });

  it('keeps deployment times after the address entry expires', async () => {
    const { request, log } = recordingRequest();
    let now = 0;
    const facts = new RpcFactsProvider({ clients: { [CHAIN_ID]: request }, now: () => now });
    const first = await facts.address(CHAIN_ID, chain.contracts.weth);
    now += 10 * 60_000;
    const callsBefore = log.length;
    const second = await facts.address(CHAIN_ID, chain.contracts.weth);
    expect(second).toEqual(first);
    // Only the two "latest" reads again: no binary search, no block read.
    expect(log.slice(callsBefore).map((c) => c.method)).toEqual(['eth_getCode', 'eth_getTransactionCount']);
  });

  it('evicts the least recently used entry', () => {
    const cache = new TtlLruCache<number>(2, 1_000, () => 0);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });
});

describe('decodeText', () => {
  it('decodes ABI strings and bytes32, and rejects garbage', () => {
    const abiString = `0x${'20'.padStart(64, '0')}${'4'.padStart(64, '0')}${Buffer.from('WETH').toString('hex').padEnd(64, '0')}`;
    expect(decodeTokenText(abiString as Hex)).toBe('WETH');
    expect(decodeTokenText(stringToHex('SAI', { size: 32 }))).toBe('SAI');
    expect(decodeTokenText('0x')).toBeUndefined();
    expect(decodeTokenText(`0x${'ff'.repeat(32)}`)).toBeUndefined(); // not UTF-8
    // An offset pointing past the end.
    expect(decodeTokenText(`0x${'ff'.padStart(64, '0')}${'0'.repeat(64)}` as Hex)).toBeUndefined();
    // Control characters are dropped.
    expect(decodeTokenText(stringToHex('A\u0007B', { size: 32 }))).toBe('AB');
  });
});

describe('offline and static providers', () => {
  it('OfflineFactsProvider always answers unknown, offline', async () => {
    const facts = new OfflineFactsProvider();
    expect(await facts.address(1, account(0))).toEqual({ kind: 'unknown', reason: 'offline' });
    expect(await facts.token(1, account(0))).toEqual({ standard: 'unknown', reason: 'offline' });
  });

  it('StaticFactsProvider answers from its table, chain-specific keys first', async () => {
    const a = lower(account(1));
    const facts = new StaticFactsProvider({
      addresses: {
        [a.toUpperCase().replace('0X', '0x')]: { kind: 'eoa', nonce: 3 },
        [`10:${a}`]: { kind: 'contract' },
      },
      tokens: { [a]: { standard: 'erc20', symbol: 'X', decimals: 18 } },
    });
    expect(await facts.address(1, a)).toEqual({ kind: 'eoa', nonce: 3 });
    expect(await facts.address(10, a)).toEqual({ kind: 'contract' });
    expect((await facts.address(1, lower(account(2)))).kind).toBe('unknown');
    expect(await facts.token(1, a)).toEqual({ standard: 'erc20', symbol: 'X', decimals: 18 });
    expect((await facts.token(1, lower(account(2)))).standard).toBe('unknown');
  });
});
