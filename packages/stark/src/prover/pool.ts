/**
 * Proving on worker threads. One proof is a long chain of dependent steps; what parallelises
 * without contention is many proofs at once (the batches of a proof-of-reserves round), so the pool
 * runs whole proofs, one per worker thread, each worker reusing its warmed-up code across jobs.
 *
 * An AIR holds code (its constraints), which cannot cross a thread boundary; a job names it
 * instead: a module exporting `buildAir(name, rows, publicInputs)` (by default this package's
 * example registry) plus the arguments, and the worker builds the same AIR from them. The trace
 * columns' buffers are transferred to the worker, not copied: the caller's arrays are emptied.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BaseError, type ErrorCode, type ErrorDetails } from '@custos/core';
import type { ProofOptions } from '../fri/params.js';

export interface AirReference {
  /** Module URL exporting `buildAir(name, rows, publicInputs)`; default: the example registry. */
  readonly module?: string;
  readonly name: string;
  readonly rows: number;
  readonly publicInputs: readonly number[];
}

export interface ProofJob {
  readonly air: AirReference;
  readonly trace: readonly Uint32Array[];
  readonly options?: ProofOptions;
}

interface WorkerRequest {
  readonly id: number;
  readonly air: AirReference;
  readonly trace: readonly Uint32Array[];
  readonly options?: ProofOptions;
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly proof: Uint8Array; readonly ms: number }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { code?: string; message: string; details?: ErrorDetails };
    };

interface Pending {
  resolve: (value: { proof: Uint8Array; ms: number }) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  /** The job it runs, if any. */
  job: number | null;
}

const here = import.meta.url;
/**
 * Built, the worker is `worker.js` beside this file. From the TypeScript sources (tests, `tsx`),
 * a small bootstrap registers tsx's loader inside the worker thread first (a loader given to the
 * parent does not reach worker threads), then imports `worker.ts`.
 */
const fromSource = here.endsWith('.ts');

function newWorker(): Worker {
  if (!fromSource) return new Worker(new URL('./worker.js', here));
  const target = JSON.stringify(new URL('./worker.ts', here).href);
  const bootstrap = `(async () => { const { register } = await import('tsx/esm/api'); register(); await import(${target}); })().catch((e) => { throw e; });`;
  return new Worker(bootstrap, { eval: true, execArgv: ['--conditions=@custos/source'] });
}

export class ProverPool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: { request: WorkerRequest; transfer: ArrayBuffer[] }[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  /** `size` worker threads (default: one per available core). */
  constructor(size = availableParallelism()) {
    if (!Number.isInteger(size) || size < 1 || size > 256) {
      throw new BaseError('STARK_INVALID_INPUT', 'a prover pool has 1 to 256 workers', { details: { size } });
    }
    this.size = size;
  }

  #spawn(): Slot {
    const worker = newWorker();
    const slot: Slot = { worker, busy: false, job: null };
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      slot.busy = false;
      slot.job = null;
      if (pending !== undefined) {
        if (reply.ok) pending.resolve({ proof: reply.proof, ms: reply.ms });
        else pending.reject(revive(reply.error));
      }
      this.#drain();
    });
    worker.on('error', (error) => this.#fail(slot, error));
    worker.on('exit', (code) => {
      if (!this.#closed && code !== 0) this.#fail(slot, new Error(`prover worker exited with code ${code}`));
    });
    // An idle pool must not keep the process alive.
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }

  /** A worker died: every job it may have held fails; the slot is replaced on demand. */
  #fail(slot: Slot, error: unknown): void {
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
    const cause = new BaseError('INTERNAL', 'a prover worker failed', { cause: error });
    const pending = slot.job === null ? undefined : this.#pending.get(slot.job);
    if (pending !== undefined) {
      this.#pending.delete(slot.job as number);
      pending.reject(cause);
    }
    this.#drain();
  }

  #drain(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.busy);
      if (slot === undefined && this.#slots.length < this.size) slot = this.#spawn();
      if (slot === undefined) return;
      const next = this.#queue.shift() as { request: WorkerRequest; transfer: ArrayBuffer[] };
      slot.busy = true;
      slot.job = next.request.id;
      slot.worker.ref();
      slot.worker.postMessage(next.request, next.transfer);
    }
    if (this.#pending.size === 0) for (const s of this.#slots) s.worker.unref();
  }

  /** Proves one job on a free worker; resolves to the encoded proof and the worker's proving time. */
  prove(job: ProofJob): Promise<{ proof: Uint8Array; ms: number }> {
    if (this.#closed) return Promise.reject(new BaseError('STARK_INVALID_INPUT', 'the prover pool is closed'));
    const id = this.#nextId++;
    const transfer = [...new Set(job.trace.map((c) => c.buffer as ArrayBuffer))];
    const request: WorkerRequest = {
      id,
      air: job.air,
      trace: job.trace,
      ...(job.options ? { options: job.options } : {}),
    };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#queue.push({ request, transfer });
      this.#drain();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const [, pending] of this.#pending)
      pending.reject(new BaseError('STARK_INVALID_INPUT', 'the prover pool was closed'));
    this.#pending.clear();
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    this.#slots.length = 0;
  }
}

function revive(error: { code?: string; message: string; details?: ErrorDetails }): BaseError {
  const code = (error.code ?? 'INTERNAL') as ErrorCode;
  return new BaseError(code, error.message, { details: error.details ?? {} });
}
