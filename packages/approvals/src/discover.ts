/**
 * Discovery: reads every approval event of an account from a chain's JSON-RPC node into the store,
 * and on later runs only what is new. One `eth_getLogs` filter (the discovery topics, the owner as
 * topic 1, any emitter) is paged by block range through `readLogPages`, which shrinks the range
 * when the node refuses it and retries transient failures. Before reading, the stored checkpoints
 * are compared with the chain, newest first: the last 64 blocks are always read again, and further
 * back from the newest checkpoint whose hash still matches — all of it when none does, as after a
 * reset dev chain. Events past the restart point are deleted in the same step, so a reorganised or
 * replaced chain neither keeps stale events nor stores a log twice.
 */
import { BaseError } from '@custos/core';
import type { Eip1193Like } from '@custos/risk';
import { CANONICAL_PERMIT2, DISCOVERY_TOPICS, ownerTopic, parseApprovalLog } from './events.js';
import { type ReadLogsOptions, type RetryPolicy, readLogPages, requestWithRetry } from './logs.js';
import type { ApprovalStore, Checkpoint } from './store.js';
import type { Address, ApprovalEvent, Hex } from './types.js';

/** Blocks re-read on every scan, whatever the checkpoints say (reorgs shallower than this). */
export const REREAD_BLOCKS = 64n;

export interface DiscoverOptions {
  rpc: Eip1193Like;
  store: ApprovalStore;
  chainId: number;
  owner: Address;
  /** Permit2 instances whose events are believed (default: the canonical deployment). */
  permit2?: readonly Address[] | undefined;
  /** Largest block range per `eth_getLogs` (default 10 000). */
  maxRange?: bigint | undefined;
  retry?: RetryPolicy | undefined;
  sleep?: ReadLogsOptions['sleep'];
  signal?: AbortSignal | undefined;
  /** Read up to this block (default: the node's latest). */
  toBlock?: bigint | undefined;
  /** Called after each page is stored. */
  onProgress?: ((progress: { scannedTo: bigint; head: bigint; events: number }) => Promise<void> | void) | undefined;
  onRetry?: ReadLogsOptions['onRetry'];
  onShrink?: ReadLogsOptions['onShrink'];
}

export interface DiscoverResult {
  /** The block the account is now scanned to (the head when the scan started). */
  head: bigint;
  /** Where this scan started reading (0 for a first scan). */
  fromBlock: bigint;
  /** The block progress was rewound to before reading (null: all was discarded). */
  keptTo: bigint | null;
  /** Whether a stored checkpoint no longer matched the chain (a reorg or a different chain). */
  reorganised: boolean;
  pages: number;
  /** Events read by this scan (re-read ones included). */
  events: number;
}

interface RpcBlock {
  number: Hex;
  hash: Hex;
  timestamp: Hex;
}

/** A block by number (null when the chain does not have it), with retries. */
export async function getBlock(
  rpc: Eip1193Like,
  block: bigint | 'latest',
  options: Pick<DiscoverOptions, 'retry' | 'sleep' | 'signal'> = {},
): Promise<RpcBlock | null> {
  const tag = block === 'latest' ? 'latest' : `0x${block.toString(16)}`;
  const result = await requestWithRetry(rpc, 'eth_getBlockByNumber', [tag, false], retryOptions(options));
  if (result === null) return null;
  const b = result as Partial<RpcBlock>;
  if (typeof b.hash !== 'string' || typeof b.number !== 'string' || typeof b.timestamp !== 'string') {
    throw new BaseError('APPROVALS_RPC_FAILED', 'the node answered eth_getBlockByNumber with no block hash', {
      details: { method: 'eth_getBlockByNumber', block: tag },
    });
  }
  return { number: b.number, hash: b.hash.toLowerCase() as Hex, timestamp: b.timestamp };
}

function retryOptions(options: Pick<DiscoverOptions, 'retry' | 'sleep' | 'signal' | 'onRetry'>) {
  return {
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
  };
}

/**
 * The newest checkpoint the chain still agrees with (undefined: none), checked newest first.
 * A checkpoint above the chain's head is a block the chain no longer has.
 */
async function lastAgreed(
  rpc: Eip1193Like,
  checkpoints: readonly Checkpoint[],
  head: bigint,
  options: DiscoverOptions,
): Promise<Checkpoint | undefined> {
  for (let i = checkpoints.length - 1; i >= 0; i--) {
    const cp = checkpoints[i] as Checkpoint;
    if (cp.block > head) continue;
    const block = await getBlock(rpc, cp.block, options);
    if (block !== null && block.hash === cp.hash) return cp;
  }
  return undefined;
}

/** Reads the account's new approval events into the store. */
export async function discoverApprovalEvents(options: DiscoverOptions): Promise<DiscoverResult> {
  const { rpc, store, chainId, owner } = options;
  const permit2 = new Set((options.permit2 ?? [CANONICAL_PERMIT2]).map((a) => a.toLowerCase() as Address));
  let latest = options.toBlock;
  if (latest === undefined) {
    const head = await getBlock(rpc, 'latest', options);
    // A node without a head is broken, not an empty chain: never rewind stored progress for it.
    if (head === null) {
      throw new BaseError('APPROVALS_RPC_FAILED', 'the node has no latest block', {
        details: { method: 'eth_getBlockByNumber', block: 'latest' },
      });
    }
    latest = BigInt(head.number);
  }
  const progress = await store.progress(chainId, owner);
  let expected = progress.scannedTo;
  let keptTo: bigint | null = null;
  let agreedTo: bigint | null = null;
  let reorganised = false;
  if (expected !== null) {
    const agreed = await lastAgreed(rpc, progress.checkpoints, latest, options);
    agreedTo = agreed?.block ?? null;
    const newest = progress.checkpoints.at(-1);
    reorganised = agreed === undefined || agreed !== newest;
    if (agreed !== undefined) {
      const reread = expected - REREAD_BLOCKS;
      keptTo = agreed.block < reread ? agreed.block : reread;
      if (keptTo < 0n) keptTo = null;
    }
  }
  // The head may be below what was scanned (a reset or shorter chain): keep nothing past it.
  if (keptTo !== null && keptTo > latest) keptTo = latest;
  if (keptTo !== expected) {
    // The chain agrees up to `keptTo` (an agreed checkpoint is at or above it), so its hash now is
    // the one the stored events were read under: a scan that fails after this resumes from here.
    const kept = keptTo === null ? null : await getBlock(rpc, keptTo, options);
    await store.rewind(
      chainId,
      owner,
      expected,
      keptTo,
      kept === null || keptTo === null ? undefined : { block: keptTo, hash: kept.hash },
      agreedTo,
    );
    expected = keptTo;
  }
  const fromBlock = keptTo === null ? 0n : keptTo + 1n;
  let pages = 0;
  let events = 0;
  const pager = readLogPages({
    rpc,
    topics: [DISCOVERY_TOPICS, ownerTopic(owner)],
    fromBlock,
    toBlock: latest,
    ...(options.maxRange === undefined ? {} : { maxRange: options.maxRange }),
    ...retryOptions(options),
    ...(options.onShrink === undefined ? {} : { onShrink: options.onShrink }),
  });
  for await (const page of pager) {
    const parsed: ApprovalEvent[] = [];
    for (const log of page.logs) {
      const event = parseApprovalLog(log, owner, permit2);
      if (event !== undefined) parsed.push(event);
    }
    const end = await getBlock(rpc, page.toBlock, options);
    if (end === null) {
      throw new BaseError('APPROVALS_RPC_FAILED', 'the node no longer has a block it just returned logs for', {
        details: { method: 'eth_getBlockByNumber', block: page.toBlock.toString() },
        hints: ['The chain reorganised or was reset during the scan: scan again.'],
      });
    }
    await store.commitPage(chainId, owner, expected, parsed, { block: page.toBlock, hash: end.hash });
    expected = page.toBlock;
    pages += 1;
    events += parsed.length;
    await options.onProgress?.({ scannedTo: page.toBlock, head: latest, events });
  }
  return { head: latest, fromBlock, keptTo, reorganised, pages, events };
}
