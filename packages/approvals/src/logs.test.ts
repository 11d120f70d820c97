/**
 * Tests of the paged log reader. An in-memory node holding synthetic logs over 50,000 blocks
 * refuses ranges with the words Infura, Alchemy, QuickNode, Erigon, Ankr, Cloudflare and Geth use,
 * fails transiently and answers garbage, and each time the pages must still tile the range exactly
 * and return every log once; a table pins what `classifyRpcError` makes of those messages and of
 * viem's real error classes. The last test reads approvals from a real dev chain through a proxy
 * that refuses ranges and drops 30 % of requests, with viem as the client.
 */
import { BaseError } from '@custos/core';
import { type DevChain, startDevChain } from '@custos/devchain';
import type { Eip1193Like } from '@custos/risk';
import {
  createClient,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  HttpRequestError,
  InternalRpcError,
  InvalidInputRpcError,
  LimitExceededRpcError,
  pad,
  RpcRequestError,
  TimeoutError,
  toEventSelector,
  http as viemHttp,
} from 'viem';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  backoffDelay,
  classifyRpcError,
  type LogPage,
  type ReadLogsOptions,
  type RpcLog,
  readLogPages,
  requestWithRetry,
  type ShrinkInfo,
} from './logs.js';
import { startRpcProxy } from './testing/rpc-proxy.js';

const APPROVAL_TOPIC = toEventSelector('Approval(address,address,uint256)');
const OWNER_TOPIC = pad('0x00000000000000000000000000000000000000a1');
const TOKEN = '0x00000000000000000000000000000000000000c2';
const TOPICS: ReadLogsOptions['topics'] = [APPROVAL_TOPIC, OWNER_TOPIC];
const BLOCKS = 50_000;

const hex = (value: number | bigint): Hex => `0x${value.toString(16)}`;

/** What an EIP-1193 provider throws: `{code, message}`, as an Error or as a bare object. */
function rpcError(code: number, message: string, bare = false): unknown {
  return bare ? { code, message } : Object.assign(new Error(message), { code });
}

function syntheticLog(block: number, index: number, removed: boolean): RpcLog {
  const id = BigInt(block) * 1_000_000n + BigInt(index);
  return {
    address: TOKEN,
    topics: [APPROVAL_TOPIC, OWNER_TOPIC, pad(hex(index % 7))],
    data: pad(hex(id)),
    blockNumber: hex(block),
    blockHash: pad(hex(block)),
    transactionHash: pad(hex(id)),
    logIndex: hex(index),
    ...(removed ? { removed: true } : {}),
  };
}

interface FakeNodeOptions {
  /** Logs in a block; default one in every tenth block. */
  density?: (block: number) => number;
  /** The error the node answers a range with (given the number of logs in it), or undefined to answer. */
  refuse?: (from: number, to: number, count: number) => unknown;
  /** Logs the node reports as removed by a reorganisation. */
  removed?: (block: number, index: number) => boolean;
  /** Replaces the answer (for malformed answers). */
  answer?: (from: number, to: number) => unknown;
}

/** An in-memory node holding synthetic logs over BLOCKS blocks. */
class FakeNode implements Eip1193Like {
  /** Every eth_getLogs range asked for, in order. */
  readonly ranges: Array<[number, number]> = [];
  readonly params: unknown[] = [];
  /** Errors thrown by the next calls, one each, before anything else. */
  readonly failures: unknown[] = [];
  failForever: unknown;
  readonly #options: FakeNodeOptions;

  constructor(options: FakeNodeOptions = {}) {
    this.#options = options;
  }

  density(block: number): number {
    return this.#options.density?.(block) ?? (block % 10 === 0 ? 1 : 0);
  }

  logs(from: number, to: number): RpcLog[] {
    const logs: RpcLog[] = [];
    for (let block = from; block <= Math.min(to, BLOCKS - 1); block++) {
      const count = this.density(block);
      for (let index = 0; index < count; index++) {
        logs.push(syntheticLog(block, index, this.#options.removed?.(block, index) ?? false));
      }
    }
    return logs;
  }

  async request(args: { method: string; params?: readonly unknown[] | undefined }): Promise<unknown> {
    if (args.method !== 'eth_getLogs') throw rpcError(-32601, `the method ${args.method} does not exist`);
    const filter = args.params?.[0] as { fromBlock: Hex; toBlock: Hex };
    const from = Number(BigInt(filter.fromBlock));
    const to = Number(BigInt(filter.toBlock));
    this.ranges.push([from, to]);
    this.params.push(args.params);
    if (this.failForever !== undefined) throw this.failForever;
    if (this.failures.length > 0) throw this.failures.shift();
    let count = 0;
    for (let block = from; block <= Math.min(to, BLOCKS - 1); block++) count += this.density(block);
    const refusal = this.#options.refuse?.(from, to, count);
    if (refusal !== undefined) throw refusal;
    if (this.#options.answer !== undefined) return this.#options.answer(from, to);
    return this.logs(from, to);
  }
}

interface Read {
  pages: LogPage[];
  shrinks: ShrinkInfo[];
  sleeps: number[];
}

/**
 * Reads all pages, recording shrinks and the waits asked for; waits take no time unless
 * `timers` is set, which keeps the reader's own setTimeout sleep.
 */
async function readAll(
  rpc: Eip1193Like,
  options: Partial<ReadLogsOptions> = {},
  { timers = false }: { timers?: boolean } = {},
): Promise<Read> {
  const read: Read = { pages: [], shrinks: [], sleeps: [] };
  const recordSleep = async (ms: number): Promise<void> => {
    read.sleeps.push(ms);
  };
  const pages = readLogPages({
    rpc,
    topics: TOPICS,
    address: TOKEN,
    fromBlock: 0n,
    toBlock: BigInt(BLOCKS - 1),
    ...(timers ? {} : { sleep: recordSleep }),
    onShrink: (info) => read.shrinks.push(info),
    ...options,
  });
  for await (const page of pages) read.pages.push(page);
  return read;
}

/** Pages tile [from, to] in order without gap or overlap; no log lost or read twice. */
function expectExactCover(read: Read, node: FakeNode, from: number, to: number): void {
  let next = BigInt(from);
  for (const page of read.pages) {
    expect(page.fromBlock).toBe(next);
    expect(page.toBlock >= page.fromBlock).toBe(true);
    for (const log of page.logs) {
      const block = BigInt(log.blockNumber);
      expect(block >= page.fromBlock && block <= page.toBlock).toBe(true);
    }
    next = page.toBlock + 1n;
  }
  expect(next).toBe(BigInt(to) + 1n);
  const key = (log: RpcLog) => `${log.blockNumber}:${log.logIndex}`;
  const got = read.pages.flatMap((page) => page.logs.map(key));
  const expected = node
    .logs(from, to)
    .filter((log) => log.removed !== true)
    .map(key);
  expect(new Set(got).size).toBe(got.length);
  expect(got).toEqual(expected);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function baseError(error: unknown): BaseError {
  expect(error).toBeInstanceOf(BaseError);
  return error as BaseError;
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** How a node words a refusal of a range above `limit` blocks starting at `from`. */
interface RangeRefusal {
  node: string;
  limit: number;
  refusal: (from: number, limit: number) => unknown;
  /** The range the reader must try next: the node's figure, or half of the refused range. */
  next: 'node' | 'half';
  /** The message states a fixed limit, so the range never grows above it again. */
  fixed: boolean;
}

const RANGE_REFUSALS: readonly RangeRefusal[] = [
  {
    node: 'Infura',
    limit: 2_000,
    refusal: (from, limit) =>
      rpcError(
        -32005,
        `query returned more than 10000 results. Try with this block range [${hex(from)}, ${hex(from + limit - 1)}].`,
      ),
    next: 'node',
    fixed: false,
  },
  {
    node: 'Alchemy',
    limit: 3_000,
    refusal: (from, limit) =>
      rpcError(
        -32602,
        'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on ' +
          'the response size, or you can request any block range with a cap of 10K logs in the response. Based on ' +
          `your parameters, this block range should work: [${hex(from)}, ${hex(from + limit - 1)}]`,
      ),
    next: 'node',
    fixed: false,
  },
  {
    node: 'QuickNode/Erigon',
    limit: 2_000,
    refusal: (_, limit) => rpcError(-32000, `eth_getLogs is limited to a ${limit} range`, true),
    next: 'node',
    fixed: true,
  },
  {
    node: 'a Geth-based node',
    limit: 2_000,
    refusal: () => rpcError(-32000, 'block range too large'),
    next: 'half',
    fixed: false,
  },
  {
    node: 'a BSC node',
    limit: 5_000,
    refusal: (_, limit) => rpcError(-32000, `exceed maximum block range: ${limit}`),
    next: 'node',
    fixed: true,
  },
  {
    node: 'a node with a range limit',
    limit: 2_000,
    refusal: () => rpcError(-32000, 'range limit exceeded', true),
    next: 'half',
    fixed: false,
  },
  {
    node: 'a Nethermind-style node',
    limit: 1_000,
    refusal: (_, limit) => rpcError(-32005, `query exceeds max block range ${limit}`),
    next: 'node',
    fixed: true,
  },
  {
    node: 'a node refusing many blocks',
    limit: 2_000,
    refusal: () => rpcError(-32602, 'too many blocks'),
    next: 'half',
    fixed: false,
  },
  {
    node: 'a node with a block cap',
    limit: 2_000,
    refusal: (_, limit) => rpcError(-32600, `ranges over ${limit} blocks are not supported`),
    next: 'node',
    fixed: true,
  },
  {
    node: 'an Infura-style -32005',
    limit: 2_000,
    refusal: () => rpcError(-32005, 'limit exceeded', true),
    next: 'half',
    fixed: false,
  },
  {
    node: 'a node capping the response',
    limit: 2_000,
    refusal: () => rpcError(-32000, 'response size exceeded'),
    next: 'half',
    fixed: false,
  },
  {
    node: 'Ankr',
    limit: 2_000,
    refusal: () => rpcError(-32600, 'block range is too wide', true),
    next: 'half',
    fixed: false,
  },
  {
    node: 'Cloudflare',
    limit: 800,
    refusal: (_, limit) => rpcError(-32047, `Max range ${limit}`),
    next: 'node',
    fixed: true,
  },
];

describe('readLogPages', () => {
  it('asks for [from, to] as 0x-hex quantities with the topics and address, 10,000 blocks at first', async () => {
    const node = new FakeNode();
    await readAll(node, { toBlock: 12_345n });
    expect(node.params[0]).toEqual([{ fromBlock: '0x0', toBlock: '0x270f', topics: TOPICS, address: TOKEN }]);
    expect(node.params[1]).toEqual([{ fromBlock: '0x2710', toBlock: '0x3039', topics: TOPICS, address: TOKEN }]);
  });

  it('omits the address when none is given and reads nothing when fromBlock > toBlock', async () => {
    const node = new FakeNode();
    const pages: LogPage[] = [];
    for await (const page of readLogPages({ rpc: node, topics: TOPICS, fromBlock: 10n, toBlock: 10n }))
      pages.push(page);
    expect(node.params[0]).toEqual([{ fromBlock: '0xa', toBlock: '0xa', topics: TOPICS }]);
    expect(pages).toEqual([{ fromBlock: 10n, toBlock: 10n, logs: [syntheticLog(10, 0, false)] }]);
    const empty = await readAll(node, { fromBlock: 11n, toBlock: 10n });
    expect(empty.pages).toEqual([]);
    expect(node.ranges).toHaveLength(1);
  });

  it('reads 50,000 blocks in 10,000-block pages when the node refuses nothing', async () => {
    const node = new FakeNode();
    const read = await readAll(node);
    expect(node.ranges).toEqual([
      [0, 9_999],
      [10_000, 19_999],
      [20_000, 29_999],
      [30_000, 39_999],
      [40_000, 49_999],
    ]);
    expectExactCover(read, node, 0, BLOCKS - 1);
    expect(read.pages.flatMap((page) => page.logs)).toHaveLength(5_000);
  });

  it('reads the last partial page and a range not starting at zero (12,345..47,654 by 10,000)', async () => {
    const node = new FakeNode();
    const read = await readAll(node, { fromBlock: 12_345n, toBlock: 47_654n });
    expect(read.pages.map((page) => [page.fromBlock, page.toBlock])).toEqual([
      [12_345n, 22_344n],
      [22_345n, 32_344n],
      [32_345n, 42_344n],
      [42_345n, 47_654n],
    ]);
    expectExactCover(read, node, 12_345, 47_654);
  });

  for (const refusal of RANGE_REFUSALS) {
    it(`reads 50,000 blocks from ${refusal.node} refusing ranges above ${refusal.limit.toLocaleString('en')} blocks`, async () => {
      const node = new FakeNode({
        refuse: (from, to) => (to - from + 1 > refusal.limit ? refusal.refusal(from, refusal.limit) : undefined),
      });
      const read = await readAll(node);
      expectExactCover(read, node, 0, BLOCKS - 1);
      for (const page of read.pages) expect(page.toBlock - page.fromBlock + 1n <= BigInt(refusal.limit)).toBe(true);
      const first = read.shrinks[0];
      expect(first).toMatchObject({ from: 0n, to: 9_999n });
      expect(first?.nextRange).toBe(refusal.next === 'node' ? BigInt(refusal.limit) : 5_000n);
      expect(read.shrinks).toHaveLength(node.ranges.length - read.pages.length);
      if (refusal.fixed) expect(read.shrinks).toHaveLength(1);
      else expect(read.shrinks.length).toBeGreaterThan(1);
      expect(read.sleeps).toEqual([]);
    });
  }

  it('shrinks through a hot spot of 30,000 logs in 1,000 blocks and grows back after it', async () => {
    const hot = (block: number) => block >= 20_000 && block < 21_000;
    const node = new FakeNode({
      density: (block) => (hot(block) ? 30 : block % 10 === 0 ? 1 : 0),
      refuse: (_, __, count) =>
        count > 10_000 ? rpcError(-32005, 'query returned more than 10000 results') : undefined,
    });
    const read = await readAll(node);
    expectExactCover(read, node, 0, BLOCKS - 1);
    expect(read.shrinks.length).toBeGreaterThan(0);
    for (const shrink of read.shrinks) expect(shrink.nextRange).toBe((shrink.to - shrink.from + 1n) / 2n);
    const spans = read.pages.map((page) => Number(page.toBlock - page.fromBlock + 1n));
    // 30 logs a block: at most 333 blocks fit under the node's 10,000 results.
    const smallest = Math.min(...spans);
    expect(smallest).toBeLessThanOrEqual(333);
    // After the hot spot the range doubles every 4 pages: 312 → 624 → 1,248 → 2,496 → 4,992.
    const after = spans.slice(spans.indexOf(smallest), -1);
    for (let i = 1; i < after.length; i++) expect(after[i]).toBeGreaterThanOrEqual(after[i - 1] ?? 0);
    expect(Math.max(...after)).toBeGreaterThanOrEqual(16 * smallest);
    for (const page of read.pages) expect(page.logs.length).toBeLessThanOrEqual(10_000);
  });

  it('grows back in doublings after 4 answered pages, never above maxRange (2,000 → 8,000 by a 1,000 hint)', async () => {
    let refusedOnce = false;
    const node = new FakeNode({
      refuse: (from, to) => {
        if (refusedOnce || to - from + 1 <= 1_000) return undefined;
        refusedOnce = true;
        return rpcError(-32602, `this block range should work: [${hex(from)}, ${hex(from + 999)}]`);
      },
    });
    const read = await readAll(node, { maxRange: 8_000n, toBlock: 39_999n });
    expectExactCover(read, node, 0, 39_999);
    const spans = read.pages.map((page) => Number(page.toBlock - page.fromBlock + 1n));
    expect(spans.slice(0, 13)).toEqual([
      1_000, 1_000, 1_000, 1_000, 2_000, 2_000, 2_000, 2_000, 4_000, 4_000, 4_000, 4_000, 8_000,
    ]);
    expect(Math.max(...spans)).toBe(8_000);
  });

  it('takes the node’s suggested range only when it is smaller than the refused one', async () => {
    const node = new FakeNode({
      refuse: (from, to) =>
        to - from + 1 > 3_000
          ? rpcError(
              -32005,
              `query returned more than 10000 results. Try with this block range [${hex(from)}, ${hex(from + 20_000)}].`,
            )
          : undefined,
    });
    const read = await readAll(node, { toBlock: 9_999n });
    expect(read.shrinks.map((shrink) => shrink.nextRange)).toEqual([5_000n, 2_500n]);
    expectExactCover(read, node, 0, 9_999);
  });

  it('throws APPROVALS_TOO_MUCH_ACTIVITY when one block of 12,000 logs is refused alone', async () => {
    const node = new FakeNode({
      density: (block) => (block === 30_000 ? 12_000 : block % 10 === 0 ? 1 : 0),
      refuse: (_, __, count) =>
        count > 10_000 ? rpcError(-32005, 'query returned more than 10000 results') : undefined,
    });
    const error = baseError(await rejection(readAll(node)));
    expect(error.code).toBe('APPROVALS_TOO_MUCH_ACTIVITY');
    expect(error.details).toMatchObject({ fromBlock: '30000', toBlock: '30000' });
    expect(error.cause).toMatchObject({ code: -32005 });
    expect(node.ranges.at(-1)).toEqual([30_000, 30_000]);
  });

  it('retries transient failures (503, 429, ECONNRESET, -32603, header not found) and loses nothing', async () => {
    const node = new FakeNode();
    node.failures.push(
      new HttpRequestError({ url: 'http://node.test', status: 503 }),
      new HttpRequestError({ url: 'http://node.test', status: 429 }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      rpcError(-32603, 'internal error', true),
      rpcError(-32000, 'header not found'),
    );
    const retries: number[] = [];
    const read = await readAll(node, { onRetry: (info) => retries.push(info.attempt) });
    expectExactCover(read, node, 0, BLOCKS - 1);
    expect(read.sleeps).toHaveLength(5);
    expect(retries).toEqual([1, 2, 3, 4, 5]);
    expect(read.shrinks).toEqual([]);
  });

  it('backs off with full jitter below 250 · 2^(n−1) ms, capped at 8,000 ms', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const node = new FakeNode();
    node.failures.push(...Array.from({ length: 7 }, () => rpcError(-32603, 'internal error')));
    const read = await readAll(node, { retry: { attempts: 8 }, toBlock: 9_999n });
    expect(read.sleeps).toEqual([249, 499, 999, 1_998, 3_996, 7_992, 7_992]);
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(8_000, 250 * 2 ** (attempt - 1));
      expect(backoffDelay(attempt, {}, () => 0)).toBe(0);
      expect(backoffDelay(attempt, {}, () => 0.999_999)).toBeLessThan(ceiling);
      expect(backoffDelay(attempt, {}, () => 0.999_999)).toBeGreaterThanOrEqual(ceiling - 1);
    }
    expect(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 300 }, () => 0.5)).toBe(150);
  });

  it('does not retry a fatal error and keeps it as the cause', async () => {
    const node = new FakeNode();
    const fatal = rpcError(-32602, 'invalid argument 0: hex string without 0x prefix', true);
    node.failures.push(fatal);
    const sleeps: number[] = [];
    const error = baseError(await rejection(readAll(node, { sleep: async (ms) => void sleeps.push(ms) })));
    expect(error.code).toBe('APPROVALS_RPC_FAILED');
    expect(error.cause).toBe(fatal);
    expect(error.details).toMatchObject({ method: 'eth_getLogs', attempts: 1 });
    expect(String(error.details.reason)).toContain('hex string without 0x prefix');
    expect(node.ranges).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('gives up after 6 tries of a node that keeps answering HTTP 503, with the last failure as cause', async () => {
    const node = new FakeNode();
    const outage = new HttpRequestError({ url: 'http://node.test', status: 503, details: 'Service Unavailable' });
    node.failForever = outage;
    const read: number[] = [];
    const error = baseError(await rejection(readAll(node, { sleep: async (ms) => void read.push(ms) })));
    expect(error.code).toBe('APPROVALS_RPC_FAILED');
    expect(error.cause).toBe(outage);
    expect(error.details).toMatchObject({ method: 'eth_getLogs', attempts: 6 });
    expect(String(error.details.reason)).toContain('HTTP 503');
    expect(node.ranges).toHaveLength(6);
    expect(read).toHaveLength(5);

    const fewer = new FakeNode();
    fewer.failForever = outage;
    await rejection(readAll(fewer, { retry: { attempts: 2 } }));
    expect(fewer.ranges).toHaveLength(2);
  });

  it('drops logs marked removed (every third of 5,000)', async () => {
    const node = new FakeNode({ removed: (block) => block % 30 === 0 });
    const read = await readAll(node);
    expectExactCover(read, node, 0, BLOCKS - 1);
    const logs = read.pages.flatMap((page) => page.logs);
    expect(logs.some((log) => log.removed === true)).toBe(false);
    expect(logs.length).toBe(5_000 - Math.ceil(5_000 / 3));
  });

  it('refuses a non-array answer, a non-log entry and a log outside the range, without retrying', async () => {
    for (const [answer, reason] of [
      [{ logs: [] }, 'not an array'],
      [null, 'not an array'],
      [[42], 'an entry is not an object'],
      [[{ blockNumber: 7 }], 'an entry is not a log'],
      [[syntheticLog(20_000, 0, false)], 'a log lies outside the requested blocks'],
    ] as const) {
      const node = new FakeNode({ answer: () => answer });
      const error = baseError(await rejection(readAll(node)));
      expect(error.code).toBe('APPROVALS_RPC_FAILED');
      expect(error.details).toMatchObject({ method: 'eth_getLogs', fromBlock: '0', toBlock: '9999', reason });
      expect(node.ranges).toHaveLength(1);
    }
  });

  it('stops with the signal’s reason between pages, in a back-off wait and in a hanging request', async () => {
    const reason = new Error('stop');
    const between = new AbortController();
    const node = new FakeNode();
    const pages: LogPage[] = [];
    const error = await rejection(
      (async () => {
        for await (const page of readLogPages({
          rpc: node,
          topics: TOPICS,
          fromBlock: 0n,
          toBlock: 49_999n,
          signal: between.signal,
        })) {
          pages.push(page);
          between.abort(reason);
        }
      })(),
    );
    expect(error).toBe(reason);
    expect(pages).toHaveLength(1);
    expect(node.ranges).toHaveLength(1);

    const waiting = new AbortController();
    const flaky = new FakeNode();
    flaky.failForever = rpcError(-32603, 'internal error');
    const inWait = readAll(flaky, { signal: waiting.signal, sleep: () => new Promise(() => {}) });
    setTimeout(() => waiting.abort(reason), 5);
    expect(await rejection(inWait)).toBe(reason);

    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const realTimer = new AbortController();
    const slow = new FakeNode();
    slow.failForever = rpcError(-32603, 'internal error');
    const inTimer = readAll(slow, { signal: realTimer.signal, retry: { baseDelayMs: 60_000 } }, { timers: true });
    setTimeout(() => realTimer.abort(reason), 5);
    expect(await rejection(inTimer)).toBe(reason);

    const hanging = new AbortController();
    const inRequest = readAll({ request: () => new Promise(() => {}) }, { signal: hanging.signal });
    setTimeout(() => hanging.abort(reason), 5);
    expect(await rejection(inRequest)).toBe(reason);

    const already = new FakeNode();
    expect(await rejection(readAll(already, { signal: AbortSignal.abort(reason) }))).toBe(reason);
    expect(already.ranges).toEqual([]);
  });

  it('refuses a maxRange below 1 and a negative fromBlock', async () => {
    const node = new FakeNode();
    expect(baseError(await rejection(readAll(node, { maxRange: 0n }))).code).toBe('APPROVALS_INVALID_REQUEST');
    expect(baseError(await rejection(readAll(node, { fromBlock: -1n }))).code).toBe('APPROVALS_INVALID_REQUEST');
    expect(baseError(await rejection(readAll(node, { retry: { attempts: 0 } }))).code).toBe(
      'APPROVALS_INVALID_REQUEST',
    );
    expect(node.ranges).toEqual([]);
  });
});

describe('requestWithRetry', () => {
  it('retries a transient failure and returns the answer', async () => {
    let calls = 0;
    const rpc: Eip1193Like = {
      request: async ({ method, params }) => {
        calls++;
        if (calls < 3) throw new HttpRequestError({ url: 'http://node.test', status: 502 });
        return { method, params };
      },
    };
    const retries: unknown[] = [];
    const answer = await requestWithRetry(rpc, 'eth_getBlockByNumber', ['0x1', false], {
      sleep: async () => {},
      onRetry: (info) => retries.push(info),
    });
    expect(answer).toEqual({ method: 'eth_getBlockByNumber', params: ['0x1', false] });
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatchObject({ attempt: 1, reason: expect.stringContaining('HTTP 502') });
  });

  it('fails a too-large refusal of a single call at once, keeping it as the cause (only log pages shrink)', async () => {
    const refusal = rpcError(-32005, 'query returned more than 10000 results');
    let calls = 0;
    const rpc: Eip1193Like = {
      request: async () => {
        calls++;
        throw refusal;
      },
    };
    const error = await rejection(requestWithRetry(rpc, 'eth_getLogs', [{}], { sleep: async () => {} }));
    expect(error).toMatchObject({ code: 'APPROVALS_RPC_FAILED' });
    expect((error as Error).cause).toBe(refusal);
    expect(calls).toBe(1);
  });

  it('fails at once with APPROVALS_RPC_FAILED on a revert', async () => {
    const revert = new InvalidInputRpcError(
      new RpcRequestError({
        body: {},
        error: { code: -32000, message: 'execution reverted' },
        url: 'http://node.test',
      }),
    );
    let calls = 0;
    const rpc: Eip1193Like = {
      request: async () => {
        calls++;
        throw revert;
      },
    };
    const error = baseError(await rejection(requestWithRetry(rpc, 'eth_call', [{}, 'latest'])));
    expect(error.code).toBe('APPROVALS_RPC_FAILED');
    expect(error.details).toMatchObject({ method: 'eth_call', attempts: 1 });
    expect(error.cause).toBe(revert);
    expect(calls).toBe(1);
  });
});

const viemRpc = (code: number, message: string) =>
  new RpcRequestError({ body: {}, error: { code, message }, url: 'http://x' });

describe('classifyRpcError', () => {
  const cases: Array<[name: string, error: unknown, kind: string, suggestedRange?: bigint]> = [
    [
      'Infura/Geth: more than 10000 results with a block range',
      rpcError(-32005, 'query returned more than 10000 results. Try with this block range [0x1000, 0x17CF].'),
      'too-large',
      2_000n,
    ],
    ['Geth: more than 10000 results', rpcError(-32000, 'query returned more than 10000 results', true), 'too-large'],
    [
      'Alchemy: log response size exceeded (range in brackets, not the 2K)',
      rpcError(
        -32602,
        'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x1, 0xbb8]',
      ),
      'too-large',
      3_000n,
    ],
    [
      'Alchemy-style hint without brackets: up to a 2K block range',
      rpcError(-32602, 'You can make eth_getLogs requests with up to a 2K block range'),
      'too-large',
      2_000n,
    ],
    ['QuickNode/Erigon', rpcError(-32000, 'eth_getLogs is limited to a 10000 range'), 'too-large', 10_000n],
    ['block range too large', rpcError(-32000, 'block range too large'), 'too-large'],
    ['exceed maximum block range', rpcError(-32000, 'exceed maximum block range: 5000'), 'too-large', 5_000n],
    ['range limit exceeded', rpcError(-32000, 'range limit exceeded', true), 'too-large'],
    ['query exceeds max block range', rpcError(-32000, 'query exceeds max block range 1000'), 'too-large', 1_000n],
    ['too many blocks', rpcError(-32602, 'too many blocks'), 'too-large'],
    ['ranges over N blocks', rpcError(-32600, 'ranges over 10000 blocks are not supported'), 'too-large', 10_000n],
    ['-32005 limit exceeded', rpcError(-32005, 'limit exceeded', true), 'too-large'],
    ['response size exceeded', rpcError(-32000, 'response size exceeded'), 'too-large'],
    ['Ankr: block range is too wide', rpcError(-32600, 'block range is too wide'), 'too-large'],
    ['Cloudflare: Max range', rpcError(-32047, 'Max range 800'), 'too-large', 800n],
    ['a max block range in K', rpcError(-32000, 'max block range 2k'), 'too-large', 2_000n],
    [
      'viem RpcRequestError -32005',
      viemRpc(-32005, 'query returned more than 10000 results. Try with this block range [0x0, 0x3e7].'),
      'too-large',
      1_000n,
    ],
    [
      'viem LimitExceededRpcError (as a viem client throws -32005)',
      new LimitExceededRpcError(viemRpc(-32005, 'query exceeds max block range 500')),
      'too-large',
      500n,
    ],
    [
      'viem LimitExceededRpcError without words',
      new LimitExceededRpcError(viemRpc(-32005, 'limit exceeded')),
      'too-large',
    ],
    [
      'too-large found through a cause chain',
      new Error('eth_getLogs failed', { cause: { code: -32005, message: 'exceed maximum block range: 3000' } }),
      'too-large',
      3_000n,
    ],
    ['viem HttpRequestError 503', new HttpRequestError({ url: 'http://x', status: 503 }), 'transient'],
    ['viem HttpRequestError 429', new HttpRequestError({ url: 'http://x', status: 429 }), 'transient'],
    ['viem HttpRequestError 504', new HttpRequestError({ url: 'http://x', status: 504 }), 'transient'],
    [
      'viem HttpRequestError without status (fetch failed, socket closed)',
      new HttpRequestError({
        url: 'http://x',
        cause: new TypeError('fetch failed', {
          cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
        }),
        details: 'fetch failed',
      }),
      'transient',
    ],
    ['viem TimeoutError', new TimeoutError({ body: {}, url: 'http://x' }), 'transient'],
    ['viem InternalRpcError -32603', new InternalRpcError(viemRpc(-32603, 'internal error')), 'transient'],
    ['-32603 as a bare object', rpcError(-32603, 'Internal error', true), 'transient'],
    ['-32000 header not found', viemRpc(-32000, 'header not found'), 'transient'],
    ['-32000 request timed out', rpcError(-32000, 'request timed out'), 'transient'],
    ['-32000 execution timeout', rpcError(-32000, 'execution timeout', true), 'transient'],
    ['-32000 server busy', rpcError(-32000, 'server is busy, try again'), 'transient'],
    [
      'Infura rate limit under -32005',
      rpcError(-32005, 'daily request count exceeded, request rate limited'),
      'transient',
    ],
    ['too many requests', rpcError(-32029, 'Too Many Requests'), 'transient'],
    ['QuickNode -32007', rpcError(-32007, '15/second request limit reached - reduce calls per second'), 'transient'],
    [
      'code 429 in a JSON-RPC body',
      rpcError(429, 'Your app has exceeded its compute units per second capacity'),
      'transient',
    ],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'transient'],
    [
      'ECONNREFUSED',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), { code: 'ECONNREFUSED' }),
      'transient',
    ],
    ['socket hang up', new Error('socket hang up'), 'transient'],
    ['a gateway: node unreachable', new Error('the node of chain 31337 is unreachable'), 'transient'],
    ['a gateway: node too slow', new Error('the node of chain 1 did not answer in time'), 'transient'],
    ['a gateway: node refusal', new Error('the node of chain 1 refused the call'), 'fatal'],
    ['fetch failed', new TypeError('fetch failed'), 'transient'],
    [
      'an abort-signal timeout',
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      'transient',
    ],
    ['a revert', viemRpc(3, 'execution reverted'), 'fatal'],
    ['invalid params', rpcError(-32602, 'invalid argument 0: hex string without 0x prefix', true), 'fatal'],
    ['method not found', rpcError(-32601, 'the method eth_foo does not exist/is not available'), 'fatal'],
    ['HTTP 401', new HttpRequestError({ url: 'http://x', status: 401, details: 'Unauthorized' }), 'fatal'],
    [
      'HTTP 400',
      new HttpRequestError({ url: 'http://x', status: 400, details: 'invalid block range params' }),
      'fatal',
    ],
    [
      'our own error (its registry status is not an HTTP answer)',
      new BaseError('APPROVALS_INVALID_REQUEST', 'bad'),
      'fatal',
    ],
    ['a string', 'something odd', 'fatal'],
    ['undefined', undefined, 'fatal'],
  ];

  for (const [name, error, kind, suggestedRange] of cases) {
    it(`${name} → ${kind}${suggestedRange === undefined ? '' : ` (${suggestedRange} blocks)`}`, () => {
      const verdict = classifyRpcError(error);
      expect(verdict.kind).toBe(kind);
      expect(verdict.suggestedRange).toBe(suggestedRange);
      expect(verdict.reason.length).toBeGreaterThan(0);
    });
  }

  it('marks stated limits as fixed and bracket or 2K hints as not', () => {
    expect(classifyRpcError(rpcError(-32000, 'exceed maximum block range: 5000')).rangeLimit).toBe(5_000n);
    expect(classifyRpcError(rpcError(-32000, 'Max range 800')).rangeLimit).toBe(800n);
    expect(
      classifyRpcError(
        rpcError(-32005, 'query returned more than 10000 results. Try with this block range [0x0, 0x9].'),
      ).rangeLimit,
    ).toBeUndefined();
    expect(classifyRpcError(rpcError(-32602, 'with up to a 2K block range')).rangeLimit).toBeUndefined();
  });

  it('gives a one-line reason with the status and code but without URLs (API keys)', () => {
    const http = classifyRpcError(
      new HttpRequestError({ url: 'https://mainnet.infura.io/v3/SECRETKEY', status: 503, details: 'upstream down' }),
    );
    expect(http.reason).toBe('HTTP 503: HTTP request failed. upstream down');
    const withUrl = classifyRpcError(new Error('connect failed to https://eth.example/v2/SECRETKEY: socket hang up'));
    expect(withUrl.reason).not.toContain('SECRETKEY');
    expect(withUrl.reason).not.toContain('\n');
    const limit = classifyRpcError(new LimitExceededRpcError(viemRpc(-32005, 'query exceeds max block range 500')));
    expect(limit.reason).toBe('JSON-RPC -32005: Request exceeds defined limit. query exceeds max block range 500');
  });
});

describe('against a dev chain behind a hostile proxy', () => {
  let chain: DevChain;

  beforeAll(async () => {
    chain = await startDevChain({ port: 0 });
  });

  afterAll(async () => {
    await chain?.close();
  });

  it('finds 30 approvals spread over 10,000 blocks through a node refusing ranges above 500 and failing 30 % of requests', async () => {
    const owner = chain.accounts[0]?.address;
    if (owner === undefined) throw new Error('the dev chain has no accounts');
    const token = chain.contracts.erc20;
    const first = BigInt((await chain.request('eth_blockNumber')) as Hex) + 1n;
    const hashes: Hex[] = [];
    for (let i = 0; i < 30; i++) {
      if (i % 3 === 0) await chain.request('hardhat_mine', ['0x3e8']);
      const spender = chain.accounts[1 + (i % 9)]?.address ?? owner;
      const data = encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spender, BigInt(i + 1)] });
      hashes.push((await chain.request('eth_sendTransaction', [{ from: owner, to: token, data }])) as Hex);
    }
    const head = BigInt((await chain.request('eth_blockNumber')) as Hex);
    expect(head - first + 1n >= 10_030n).toBe(true);

    const proxy = await startRpcProxy({ target: chain.rpcUrl, maxLogRange: 500, failureRate: 0.3 });
    try {
      const client = createClient({ transport: viemHttp(proxy.url, { retryCount: 0 }) });
      const rpc: Eip1193Like = { request: (args) => client.request(args as never) };
      const retries: string[] = [];
      const read = await readAll(rpc, {
        topics: [APPROVAL_TOPIC, pad(owner)],
        address: token,
        fromBlock: first,
        toBlock: head,
        sleep: async () => {},
        onRetry: (info) => retries.push(info.reason),
      });
      let next = first;
      for (const page of read.pages) {
        expect(page.fromBlock).toBe(next);
        next = page.toBlock + 1n;
      }
      expect(next).toBe(head + 1n);
      const found = read.pages.flatMap((page) => page.logs.map((log) => log.transactionHash));
      expect([...found].sort()).toEqual([...hashes].sort());
      expect(proxy.stats.refusedRange).toBeGreaterThan(0);
      expect(proxy.stats.failed).toBeGreaterThan(0);
      expect(read.shrinks[0]?.nextRange).toBe(500n);
      expect(retries).toHaveLength(proxy.stats.failed);
      expect(retries.some((reason) => reason.includes('HTTP 503'))).toBe(true);
      expect(retries.some((reason) => reason.includes('HTTP 429'))).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

describe('a reverted call is an answer, not a failure', () => {
  it.each([
    [{ code: -32603, message: 'Internal error', data: { message: 'Error: Transaction reverted without a reason' } }],
    [{ code: 3, message: 'execution reverted: ERC721: invalid token ID', data: '0x08c379a0' }],
    [{ code: -32000, message: 'execution reverted' }],
    [new Error('VM Exception while processing transaction: invalid opcode')],
  ])('%j is fatal (never retried)', (error) => {
    expect(classifyRpcError(error).kind).toBe('fatal');
  });
});

describe('throttling is not a refused range', () => {
  it('HTTP 429 with -32005 "project ID request rate exceeded" (Infura) is transient', () => {
    const error = Object.assign(new Error('project ID request rate exceeded'), { code: -32005, status: 429 });
    expect(classifyRpcError(error).kind).toBe('transient');
    expect(classifyRpcError({ code: -32005, message: 'project ID request rate exceeded' }).kind).toBe('transient');
    expect(classifyRpcError({ code: -32005, message: 'query returned more than 10000 results' }).kind).toBe(
      'too-large',
    );
  });
});
