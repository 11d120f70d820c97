/**
 * The approvals service an app runs: `list` answers at once with what is known — the last list
 * computed, and whether a scan is running — and starts a background scan when none is; `scan`
 * runs one (or joins the one running) and waits for it. A scan discovers new events, reads the
 * state of every grant they name and of every signed permit custos saw at one block (the head the
 * scan read to), annotates the live ones, and stores the list with that block. One scan per
 * (chain, owner) runs at a time in a process; across processes the store's conditional commits
 * keep them from interleaving.
 */
import { setMaxListeners } from 'node:events';
import { BaseError, type Logger } from '@custos/core';
import type { Eip1193Like, FactsProvider, LabelLookup, RiskEngine } from '@custos/risk';
import { type AnnotateOptions, annotateApprovals, type PriceSource } from './annotate.js';
import { type DiscoverResult, discoverApprovalEvents } from './discover.js';
import type { RetryPolicy } from './logs.js';
import { permitId, readLivePermits } from './offchain.js';
import { readLiveApprovals } from './state.js';
import { type ApprovalStore, ScanConflictError } from './store.js';
import type { Address, Approval, Hex } from './types.js';

/** How to reach one chain. */
export interface ChainAccess {
  rpc: Eip1193Like;
  /** Permit2 instances believed on this chain (default: the canonical one). */
  permit2?: readonly Address[] | undefined;
  /** Largest eth_getLogs block range (default 10 000). */
  maxRange?: bigint | undefined;
}

export interface ApprovalScannerOptions {
  store: ApprovalStore;
  /** The chain's access, or undefined for a chain this service does not serve. */
  chain: (chainId: number) => ChainAccess | undefined;
  engine: RiskEngine;
  labels?: LabelLookup | undefined;
  facts?: FactsProvider | undefined;
  price?: PriceSource | undefined;
  retry?: RetryPolicy | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'> | undefined;
  /** Scans running at once in this process, over all accounts (default 4); more wait their turn. */
  maxConcurrentScans?: number | undefined;
  /** How long a scan lease lasts without renewal (default 120 000 ms). */
  leaseMs?: number | undefined;
  /** A list this recent is answered without starting a new scan (default 15 000 ms). */
  freshForMs?: number | undefined;
  /** Called when a scan ends (for metrics). */
  onScan?: ((outcome: ScanOutcome) => void) | undefined;
}

export interface ApprovalList {
  chainId: number;
  owner: Address;
  /** `scanning` while a scan runs (the list is the previous one), `failed` when the last one failed. */
  status: 'scanning' | 'complete' | 'failed';
  /** The block the listed state was read at (decimal), null before the first scan finished. */
  scannedToBlock: string | null;
  approvals: Approval[];
  /** Why the last scan failed. */
  error?: { code: string; message: string } | undefined;
}

export interface ScanOutcome {
  chainId: number;
  owner: Address;
  ok: boolean;
  ms: number;
  discover?: DiscoverResult | undefined;
  live?: number | undefined;
  error?: unknown;
}

/** Block timestamps remembered across scans (by block hash, so a reorg cannot serve a stale one). */
const TIMESTAMP_CACHE_SIZE = 200_000;

/** A Map that forgets its oldest entries beyond `limit`. */
class BoundedMap<K, V> extends Map<K, V> {
  readonly #limit: number;
  constructor(limit: number) {
    super();
    this.#limit = limit;
  }
  override set(key: K, value: V): this {
    super.set(key, value);
    if (this.size > this.#limit) {
      const oldest = this.keys().next();
      if (oldest.done !== true) this.delete(oldest.value);
    }
    return this;
  }
}

/** How long a scanner's lease on an account lasts without renewal (a page renews it). */
const LEASE_MS = 120_000;
/** How often a scan waiting for another node's lease looks again. */
const LEASE_POLL_MS = 500;

/** How often a scan starts again after another scanner of the same account moved first. */
const MAX_CONFLICT_RETRIES = 5;

export class ApprovalScanner {
  readonly #options: ApprovalScannerOptions;
  readonly #running = new Map<string, Promise<ApprovalList>>();
  readonly #abort = new AbortController();
  readonly #finished = new Map<string, number>();
  readonly #holder = crypto.randomUUID();
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #timestamps = new BoundedMap<Hex, number>(TIMESTAMP_CACHE_SIZE);

  constructor(options: ApprovalScannerOptions) {
    this.#options = options;
    // Every request of every running scan listens to this one signal (16 at a time per scan).
    setMaxListeners(0, this.#abort.signal);
  }

  #access(chainId: number): ChainAccess {
    const access = this.#options.chain(chainId);
    if (access === undefined) {
      throw new BaseError('NOT_FOUND', `chain ${chainId} is not served here`, {
        details: { chainId },
        hints: ['Configure an RPC URL for the chain (--rpc-url <chainId>=<url>).'],
      });
    }
    return access;
  }

  /**
   * What is known now. Starts a background scan unless one is running or the last one finished
   * less than `freshForMs` ago (then the stored list is answered as complete).
   */
  async list(chainId: number, owner: Address): Promise<ApprovalList> {
    this.#access(chainId);
    const key = `${chainId}:${owner}`;
    const finished = this.#finished.get(key);
    const fresh = finished !== undefined && Date.now() - finished < (this.#options.freshForMs ?? 15_000);
    if (!this.#running.has(key) && !fresh) {
      // A failure is recorded in the store and answered by the next `list`: nothing is lost here.
      this.scan(chainId, owner).catch(() => undefined);
    }
    return this.#stored(chainId, owner, this.#running.has(key));
  }

  /**
   * Runs a scan and answers its list. With a scan of the account already running, joins it — or,
   * with `fresh`, waits for it and runs a new one (the state read then is at least as new as the
   * call).
   */
  async scan(chainId: number, owner: Address, options: { fresh?: boolean } = {}): Promise<ApprovalList> {
    const access = this.#access(chainId);
    const key = `${chainId}:${owner}`;
    let running = this.#running.get(key);
    if (running !== undefined && options.fresh === true) {
      await running.catch(() => undefined);
      running = this.#running.get(key);
    }
    if (running === undefined) {
      running = this.#run(chainId, owner, access).finally(() => {
        this.#running.delete(key);
        this.#finished.set(key, Date.now());
      });
      this.#running.set(key, running);
    }
    return running;
  }

  /** Stops starting work and waits for running scans to end. */
  async close(): Promise<void> {
    this.#abort.abort(new BaseError('APPROVALS_RPC_FAILED', 'the approvals service is shutting down'));
    await Promise.allSettled([...this.#running.values()]);
  }

  async #stored(chainId: number, owner: Address, scanning: boolean): Promise<ApprovalList> {
    const progress = await this.#options.store.progress(chainId, owner);
    const elsewhere =
      progress.status === 'scanning' && progress.leaseUntil !== null && progress.leaseUntil.getTime() > Date.now();
    const status = scanning || elsewhere ? 'scanning' : progress.status === 'failed' ? 'failed' : 'complete';
    return {
      chainId,
      owner,
      status,
      scannedToBlock: progress.approvalsBlock === null ? null : progress.approvalsBlock.toString(),
      approvals: (progress.approvals ?? []) as Approval[],
      ...(progress.error === null ? {} : { error: progress.error }),
    };
  }

  /** Waits for one of the `maxConcurrentScans` slots. */
  async #slot(): Promise<() => void> {
    const limit = this.#options.maxConcurrentScans ?? 4;
    while (this.#active >= limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    return () => {
      this.#active--;
      this.#waiting.shift()?.();
    };
  }

  async #run(chainId: number, owner: Address, access: ChainAccess): Promise<ApprovalList> {
    const release = await this.#slot();
    try {
      return await this.#leased(chainId, owner, access);
    } finally {
      release();
    }
  }

  /** Takes the account's lease (waiting while another node holds it), scans, releases. */
  async #leased(chainId: number, owner: Address, access: ChainAccess): Promise<ApprovalList> {
    const o = this.#options;
    const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const lease = o.leaseMs ?? LEASE_MS;
    while (!(await o.store.claimScan(chainId, owner, this.#holder, lease))) {
      this.#abort.signal.throwIfAborted();
      await sleep(LEASE_POLL_MS);
    }
    try {
      const list = await this.#scanOnce(chainId, owner, access, lease);
      await o.store.releaseScan(chainId, owner, this.#holder);
      return list;
    } catch (error) {
      const base = error instanceof BaseError ? error : undefined;
      const reason = { code: base?.code ?? 'INTERNAL', message: base?.shortMessage ?? 'the scan failed' };
      await o.store.releaseScan(chainId, owner, this.#holder, reason).catch((e: unknown) => {
        o.logger?.warn({ err: e, chainId }, 'could not record a failed approvals scan');
      });
      throw error;
    }
  }

  async #scanOnce(chainId: number, owner: Address, access: ChainAccess, lease: number): Promise<ApprovalList> {
    const o = this.#options;
    const started = performance.now();
    const signal = this.#abort.signal;
    const common = {
      ...(o.retry === undefined ? {} : { retry: o.retry }),
      ...(o.sleep === undefined ? {} : { sleep: o.sleep }),
      signal,
    };
    let discover: DiscoverResult | undefined;
    try {
      // Another node scanning the same account may move the progress first: start again from there.
      for (let attempt = 1; ; attempt++) {
        try {
          discover = await discoverApprovalEvents({
            rpc: access.rpc,
            store: o.store,
            chainId,
            owner,
            permit2: access.permit2,
            maxRange: access.maxRange,
            ...common,
            onProgress: () => o.store.renewLease(chainId, owner, this.#holder, lease),
            onShrink: (info) =>
              o.logger?.debug(
                { chainId, from: String(info.from), range: String(info.nextRange) },
                'eth_getLogs range shrunk',
              ),
          });
          break;
        } catch (error) {
          if (!(error instanceof ScanConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
          o.logger?.debug({ chainId, attempt }, 'approvals scan overtaken by another; starting again');
          await (o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))))(200 * attempt);
        }
      }
      if (discover === undefined) throw new BaseError('INTERNAL', 'approvals discovery ended without a result');
      const read = { rpc: access.rpc, blockNumber: discover.head, ...common };
      const [events, permits] = await Promise.all([o.store.events(chainId, owner), o.store.permits(chainId, owner)]);
      const [onChain, offChain] = await Promise.all([
        readLiveApprovals({ ...read, chainId, owner, events, timestamps: this.#timestamps }),
        readLivePermits({ ...read, permits, permit2: access.permit2 }),
      ]);
      const typedData = new Map(permits.map((p) => [permitId(p), p.typedData]));
      const annotateOptions: AnnotateOptions = {
        ...read,
        chainId,
        owner,
        engine: o.engine,
        labels: o.labels,
        facts: o.facts,
        price: o.price,
      };
      const approvals = await annotateApprovals([...onChain, ...offChain], {
        ...annotateOptions,
        typedData: (id) => typedData.get(id),
      });
      await o.store.saveApprovals(chainId, owner, approvals, discover.head);
      o.onScan?.({ chainId, owner, ok: true, ms: performance.now() - started, discover, live: approvals.length });
      return {
        chainId,
        owner,
        status: 'complete',
        scannedToBlock: discover.head.toString(),
        approvals,
      };
    } catch (error) {
      o.logger?.warn(
        { chainId, code: error instanceof BaseError ? error.code : 'INTERNAL', err: error },
        'approvals scan failed',
      );
      o.onScan?.({ chainId, owner, ok: false, ms: performance.now() - started, discover, error });
      throw error;
    }
  }
}
