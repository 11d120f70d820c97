/**
 * Discovery against nodes that misbehave and chains that change under it. Through a proxy that
 * refuses eth_getLogs ranges over 50 blocks and fails 30 % of requests (HTTP 503, 429, dropped
 * sockets), a scan finds exactly what a scan of the node itself finds, each event once. A reorg
 * deeper than the 64 re-read blocks (snapshot, 300 blocks, revert, a different 300) and a dev
 * chain reset under the same chain id (a new chain, same port) are both noticed from the stored
 * block hashes: the stale events go, the new ones come, nothing is doubled.
 */
import { approvalsMigrations, type Database, openPGlite } from '@custos/db';
import { type DevChain, startDevChain } from '@custos/devchain';
import { type Eip1193Like, RiskEngine } from '@custos/risk';
import { createClient, http } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverApprovalEvents } from './discover.js';
import { ApprovalScanner } from './scanner.js';
import { ApprovalStore, thinCheckpoints } from './store.js';
import { approveData, listedOf, type Pair, randomAddress, send, truthOf } from './testing/history.js';
import { startRpcProxy } from './testing/rpc-proxy.js';
import type { Address } from './types.js';

const lower = (a: string) => a.toLowerCase() as Address;
const rpcOf = (url: string): Eip1193Like => {
  const client = createClient({ transport: http(url, { retryCount: 0 }) });
  return { request: (args) => client.request(args as never) };
};
const noWait = async () => {};

async function freshStore(): Promise<{ db: Database; store: ApprovalStore }> {
  const db = await openPGlite();
  await db.migrate(await approvalsMigrations());
  return { db, store: new ApprovalStore(db) };
}

/** `count` approvals of `token` from `owner`, with `gap` empty blocks after each; the pairs touched. */
async function approvals(chain: DevChain, owner: Address, count: number, gap: number): Promise<Pair[]> {
  const pairs: Pair[] = [];
  const token = lower(chain.contracts.erc20);
  for (let i = 0; i < count; i++) {
    const spender = randomAddress();
    await send(chain, owner, token, approveData(spender, BigInt(1 + i)));
    pairs.push({ kind: 'erc20', token, spender });
    if (gap > 0) await chain.request('hardhat_mine', [`0x${gap.toString(16)}`]);
  }
  return pairs;
}

describe('a node that refuses large ranges and fails transiently (40 approvals over ~4,000 blocks)', () => {
  let chain: DevChain;
  let owner: Address;
  let pairs: Pair[];

  beforeAll(async () => {
    chain = await startDevChain({ port: 0 });
    owner = lower(chain.accounts[5]?.address as string);
    pairs = await approvals(chain, owner, 40, 97);
  }, 120_000);
  afterAll(async () => chain?.close());

  it('finds the same events as the node itself, each once, and the same live approvals', async () => {
    const direct = await freshStore();
    const flaky = await freshStore();
    const proxy = await startRpcProxy({ target: chain.rpcUrl, maxLogRange: 50, failureRate: 0.3, seed: 7 });
    try {
      const engine = new RiskEngine();
      const scanOf = (store: ApprovalStore, rpc: Eip1193Like) =>
        new ApprovalScanner({ store, chain: () => ({ rpc }), engine, sleep: noWait, retry: { attempts: 12 } }).scan(
          chain.chainId,
          owner,
        );
      const expected = await scanOf(direct.store, rpcOf(chain.rpcUrl));
      const got = await scanOf(flaky.store, rpcOf(proxy.url));
      expect(proxy.stats.refusedRange).toBeGreaterThan(0);
      expect(proxy.stats.failed).toBeGreaterThan(0);
      const a = await direct.store.events(chain.chainId, owner);
      const b = await flaky.store.events(chain.chainId, owner);
      expect(a).toHaveLength(40);
      expect(b).toEqual(a);
      expect(listedOf(got.approvals)).toEqual(listedOf(expected.approvals));
      expect(listedOf(got.approvals)).toEqual(await truthOf(chain, owner, pairs));
      // A second scan through the same hostile node re-reads the tail and still stores each event once.
      await scanOf(flaky.store, rpcOf(proxy.url));
      expect(await flaky.store.events(chain.chainId, owner)).toEqual(a);
    } finally {
      await proxy.close();
      await direct.db.close();
      await flaky.db.close();
    }
  });

  it('two nodes scanning the same account at once store each event once and agree', async () => {
    const { db, store } = await freshStore();
    try {
      const engine = new RiskEngine();
      // Two scanners over one database: two server nodes, each with its own process-local dedupe.
      const scanners = [0, 1].map(
        () => new ApprovalScanner({ store, chain: () => ({ rpc: rpcOf(chain.rpcUrl), maxRange: 200n }), engine }),
      );
      const [a, b] = await Promise.all(scanners.map((s) => s.scan(chain.chainId, owner)));
      expect(listedOf(a?.approvals ?? [])).toEqual(await truthOf(chain, owner, pairs));
      expect(listedOf(b?.approvals ?? [])).toEqual(listedOf(a?.approvals ?? []));
      const events = await store.events(chain.chainId, owner);
      expect(events).toHaveLength(40);
    } finally {
      await db.close();
    }
  });

  it('a node that times out on views fails the scan; it never turns live grants into "none"', async () => {
    const { db, store } = await freshStore();
    const rpc = rpcOf(chain.rpcUrl);
    try {
      const scanner = (node: Eip1193Like) =>
        new ApprovalScanner({
          store,
          chain: () => ({ rpc: node }),
          engine: new RiskEngine(),
          sleep: noWait,
          freshForMs: 0,
        });
      const good = await scanner(rpc).scan(chain.chainId, owner);
      expect(good.approvals).toHaveLength(40);
      // Geth's words when a call hits its time limit: "execution" in them, yet not a revert.
      const timingOut: Eip1193Like = {
        request: (args) =>
          args.method === 'eth_call'
            ? Promise.reject(Object.assign(new Error('execution aborted (timeout = 5s)'), { code: -32000 }))
            : rpc.request(args),
      };
      const failed = await scanner(timingOut)
        .scan(chain.chainId, owner)
        .catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: 'APPROVALS_RPC_FAILED' });
      const after = await scanner(rpc).list(chain.chainId, owner);
      expect(after.error).toMatchObject({ code: 'APPROVALS_RPC_FAILED' });
      expect(after.approvals).toHaveLength(40);
      // A node with no head block is broken, not empty: nothing stored is rewound.
      const headless: Eip1193Like = {
        request: (args) =>
          args.method === 'eth_getBlockByNumber' && (args.params as unknown[])[0] === 'latest'
            ? Promise.resolve(null)
            : rpc.request(args),
      };
      const before = await store.progress(chain.chainId, owner);
      const noHead = await discoverApprovalEvents({ rpc: headless, store, chainId: chain.chainId, owner }).catch(
        (e: unknown) => e,
      );
      expect(noHead).toMatchObject({ code: 'APPROVALS_RPC_FAILED' });
      expect((await store.progress(chain.chainId, owner)).scannedTo).toBe(before.scannedTo);
      expect(await store.events(chain.chainId, owner)).toHaveLength(40);
    } finally {
      await db.close();
    }
  });

  it('gives up with a typed error when the node keeps failing', async () => {
    const { db, store } = await freshStore();
    const proxy = await startRpcProxy({ target: chain.rpcUrl, failureRate: 1 });
    try {
      const error = await discoverApprovalEvents({
        rpc: rpcOf(proxy.url),
        store,
        chainId: chain.chainId,
        owner,
        sleep: noWait,
        retry: { attempts: 3 },
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'APPROVALS_RPC_FAILED' });
      expect((await store.progress(chain.chainId, owner)).scannedTo).toBeNull();
    } finally {
      await proxy.close();
      await db.close();
    }
  });
});

describe('chains that change under the scan', () => {
  it('a reorg deeper than the re-read window: stale events dropped, new ones read, none doubled', async () => {
    const chain = await startDevChain({ port: 0 });
    const { db, store } = await freshStore();
    try {
      const owner = lower(chain.accounts[6]?.address as string);
      const rpc = rpcOf(chain.rpcUrl);
      const kept = await approvals(chain, owner, 5, 20);
      const snapshot = await chain.request('evm_snapshot', []);
      const lost = await approvals(chain, owner, 6, 50);
      const first = await discoverApprovalEvents({ rpc, store, chainId: chain.chainId, owner });
      expect(first.events).toBe(11);
      expect(await chain.request('evm_revert', [snapshot])).toBe(true);
      const replacing = await approvals(chain, owner, 4, 90);
      const second = await discoverApprovalEvents({ rpc, store, chainId: chain.chainId, owner });
      expect(second.reorganised).toBe(true);
      // The fork point is before the lost blocks, further back than the 64-block window.
      expect(second.fromBlock).toBeLessThan(first.head - 64n);
      const events = await store.events(chain.chainId, owner);
      const spenders = new Set(events.map((e) => e.spender));
      expect(events).toHaveLength(9);
      for (const p of [...kept, ...replacing]) expect(spenders.has(p.spender)).toBe(true);
      for (const p of lost) expect(spenders.has(p.spender)).toBe(false);
      const scanner = new ApprovalScanner({ store, chain: () => ({ rpc }), engine: new RiskEngine() });
      const list = await scanner.scan(chain.chainId, owner);
      expect(listedOf(list.approvals)).toEqual(await truthOf(chain, owner, [...kept, ...lost, ...replacing]));
      expect(list.approvals).toHaveLength(9);
    } finally {
      await db.close();
      await chain.close();
    }
  });

  it('a dev chain reset under the same chain id and port: everything from the old chain is forgotten', async () => {
    const { db, store } = await freshStore();
    let chain = await startDevChain({ port: 0 });
    const port = chain.port;
    try {
      const owner = lower(chain.accounts[7]?.address as string);
      const before = await approvals(chain, owner, 8, 40);
      const scanner = () =>
        new ApprovalScanner({ store, chain: () => ({ rpc: rpcOf(chain.rpcUrl) }), engine: new RiskEngine() });
      const old = await scanner().scan(chain.chainId, owner);
      expect(old.approvals).toHaveLength(8);
      await chain.close();
      chain = await startDevChain({ port });
      const after = await approvals(chain, owner, 3, 0);
      const list = await scanner().scan(chain.chainId, owner);
      expect(listedOf(list.approvals)).toEqual(await truthOf(chain, owner, [...before, ...after]));
      expect(list.approvals).toHaveLength(3);
      const events = await store.events(chain.chainId, owner);
      expect(events).toHaveLength(3);
      // The stored list (what GET answers) is the new chain's too, not the longer old one's.
      expect((await store.progress(chain.chainId, owner)).approvals).toHaveLength(3);
      expect((await scanner().list(chain.chainId, owner)).approvals).toHaveLength(3);
      const progress = await store.progress(chain.chainId, owner);
      expect(progress.checkpoints.every((c) => c.block <= (progress.scannedTo as bigint))).toBe(true);
    } finally {
      await db.close();
      await chain.close();
    }
  });
});

describe('a scan that fails part-way', () => {
  it('resumes from where the stored events end, not from block 0', async () => {
    const chain = await startDevChain({ port: 0 });
    const { db, store } = await freshStore();
    try {
      const owner = lower(chain.accounts[6]?.address as string);
      const rpc = rpcOf(chain.rpcUrl);
      await approvals(chain, owner, 4, 100);
      const first = await discoverApprovalEvents({ rpc, store, chainId: chain.chainId, owner });
      await approvals(chain, owner, 2, 10);
      // A node that answers everything but eth_getLogs: the scan rewinds its tail, then fails.
      const broken: Eip1193Like = {
        request: (args) =>
          args.method === 'eth_getLogs'
            ? Promise.reject(Object.assign(new Error('method not available'), { code: -32601 }))
            : rpc.request(args),
      };
      const failed = await discoverApprovalEvents({ rpc: broken, store, chainId: chain.chainId, owner }).catch(
        (e: unknown) => e,
      );
      expect(failed).toMatchObject({ code: 'APPROVALS_RPC_FAILED' });
      const progress = await store.progress(chain.chainId, owner);
      expect(progress.scannedTo).toBe(first.head - 64n);
      expect(progress.checkpoints.at(-1)?.block).toBe(first.head - 64n);
      const resumed = await discoverApprovalEvents({ rpc, store, chainId: chain.chainId, owner });
      expect(resumed.reorganised).toBe(false);
      expect(resumed.fromBlock).toBe(first.head - 127n);
      expect(await store.events(chain.chainId, owner)).toHaveLength(6);
    } finally {
      await db.close();
      await chain.close();
    }
  });
});

describe('checkpoints', () => {
  it('keep the newest 8 and one per power-of-two age band (10,000 pages → at most 8 + 17)', () => {
    const cps = Array.from({ length: 10_000 }, (_, i) => ({
      block: BigInt(i * 10),
      hash: `0x${i.toString(16)}` as const,
    }));
    const kept = thinCheckpoints(cps);
    expect(kept.length).toBeLessThanOrEqual(8 + 17);
    expect(kept.at(-1)).toEqual(cps.at(-1));
    expect(kept.slice(-8)).toEqual(cps.slice(-8));
    // Any block has a kept checkpoint at or below it within a factor of two of its age.
    const newest = cps.at(-1)?.block as bigint;
    for (const age of [100n, 1_000n, 10_000n, 50_000n]) {
      const below = kept.filter((c) => c.block <= newest - age).at(-1);
      expect(below).toBeDefined();
      expect(newest - (below?.block as bigint)).toBeLessThanOrEqual(age * 2n);
    }
    // Older than the oldest band: nothing below it is kept, so a fork there means reading from 0.
    expect(kept.filter((c) => c.block <= 0n)).toEqual([]);
    expect(thinCheckpoints([])).toEqual([]);
  });
});
