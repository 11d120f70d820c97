/**
 * Distributed batch proving over PostgreSQL (pg-boss 10): a coordinator queues one job per batch
 * and waits for the proofs; any number of workers, on any hosts, take jobs, rebuild each batch's
 * trace from the job alone, prove it and store the proof.
 *
 * The job (queue `por-zk-batch`) is self-contained, since workers never see the round directory:
 * the batch's users (id elements as hex, balances as decimal strings), the batch statement's public
 * inputs (hex), their SHA-256, the round id, batch index, asset count, capacity and proof options.
 * A worker rebuilds the trace with `batchTrace` and refuses the job unless the rebuilt statement's
 * public inputs are the job's, word for word. The jobs carry the batches' witness (salted id hashes
 * and balances): the queue's database must be kept as private as the round directory (pg-boss
 * keeps finished jobs 12 hours, then in its archive for 7 days).
 *
 * Results live in `<schema>.por_zk_batch_proofs` (round, batch, statement SHA-256, proof, worker,
 * time; one row per batch, inserted with ON CONFLICT DO NOTHING). A proof row is final:
 * - the coordinator looks for a batch's row before queueing it and returns a stored proof at once;
 * - a worker looks for the row before proving and skips the job when it is there;
 * - a row whose statement hash differs from the batch's (the round id was reused for other leaves)
 *   is never overwritten: both sides refuse it with CONFLICT (reason `stale-proof`) — delete the
 *   round's rows, or use a new round id, to prove the new leaves.
 * Every proving attempt is recorded in `<schema>.por_zk_batch_runs` (worker, job attempt, start,
 * finish, outcome: `stored`, `already-stored` when another worker stored first, `failed`,
 * `stopped`; none when the worker died), so "a stored batch is never proven again" is observable:
 * a worker starts a run only after finding no proof row. Two runs of one batch overlap only when
 * a live worker lost its lease (it could not reach the database for a whole lease); the second to
 * finish then records `already-stored`. The coordinator verifies every proof it takes from the
 * table against the batch's statement (milliseconds) before `proveRound` writes it.
 *
 * Queueing once: the job id is derived from (round, batch, statement hash), so sending a batch
 * twice is a no-op while its job exists in any state (pg-boss 10's `singletonKey` alone dedupes
 * only under the short/singleton/stately policies and within one state; the key
 * `<round>:<batch>` is still set, for operators reading the job table).
 *
 * Dead workers: a job's `expireInSeconds` is a lease (default 60 s). The prover runs on a worker
 * thread, so the worker's event loop stays free to renew the lease every lease/3 (it extends the
 * job's `expire_in` in pg-boss's job table; pg-boss 10 has no heartbeat of its own). A worker killed
 * mid-batch stops renewing; pg-boss's maintenance (run by the coordinator every ~lease/3 and by
 * every worker) fails the expired job and puts it back for another worker, `retryLimit` times
 * (default 10: each death, crash or hand-back counts one) before it is failed for good and the
 * coordinator gives up with the last error. A refusal (bad payload, statement mismatch, stale
 * proof) completes the job with the reason instead: retrying cannot change it.
 *
 * Stopping: on abort (SIGINT/SIGTERM in the CLI) a worker stops fetching, ends its proofs in
 * flight and hands their jobs back at once (failed → retried immediately), rather than leaving
 * them to expire.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { BaseError, type ErrorCode, isErrorCode } from '@custos/core';
import { type ProofOptions, ProverPool, validateOptions, verifyBytes } from '@custos/stark';
import PgBoss from 'pg-boss';
import { type BatchStatement, SOLVENCY_AIR, solvencyAir, statementPublicInputs } from './air.js';
import { digestToHex, hexToElements, roundTag } from './leaf.js';
import {
  AIR_MODULE,
  type BatchJob,
  DEFAULT_CAPACITY,
  proveRound,
  type RoundWitness,
  readRoundWitness,
  type ZkProgress,
} from './prove.js';
import { planBatches, type ZkStatement } from './round.js';
import { type BatchUser, batchTrace } from './trace.js';

/** The pg-boss queue of batch jobs. */
export const ZK_QUEUE = 'por-zk-batch';
/** The default PostgreSQL schema of the queue (pg-boss's tables) and of the results tables. */
export const ZK_QUEUE_SCHEMA = 'custos_zk';
export const ZK_PAYLOAD_VERSION = 1;
export const DEFAULT_LEASE_SECONDS = 60;
export const DEFAULT_RETRY_LIMIT = 10;

export interface QueueConnection {
  /** postgres:// URL. */
  databaseUrl: string;
  /** Schema of the queue and results tables (default `custos_zk`). */
  schema?: string | undefined;
}

/** The job's data: everything a worker needs, with no access to the round directory. */
export interface ZkBatchPayload {
  version: typeof ZK_PAYLOAD_VERSION;
  roundId: string;
  index: number;
  assets: number;
  capacity: number;
  /** Hex, 8 characters per element: the batch statement's public inputs. */
  publicInputs: string;
  /** Hex SHA-256 of the public inputs (32-bit little-endian words). */
  statementSha256: string;
  /** The batch's users in slot order: id elements (hex) and balances (decimal strings, units). */
  users: { id: string; balances: string[] }[];
  options: ProofOptions;
  /** The job's lease in seconds: the worker renews it every third of that while it proves. */
  leaseSeconds: number;
}

/** One proving attempt, from `por_zk_batch_runs`. */
export interface ZkBatchRun {
  batch: number;
  worker: string;
  attempt: number;
  startedAt: Date;
  finishedAt: Date | null;
  /** `stored`, `already-stored`, `failed`, `stopped`, or null: the worker never finished (died). */
  outcome: string | null;
}

/** One stored proof, from `por_zk_batch_proofs` (without its bytes). */
export interface ZkStoredProof {
  batch: number;
  statementSha256: string;
  worker: string;
  provenAt: Date;
  bytes: number;
}

type Row = Record<string, unknown>;

interface Queue {
  readonly boss: PgBoss;
  readonly schema: string;
  sql(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number }>;
  close(): Promise<void>;
}

function schemaOf(schema: string | undefined): string {
  const s = schema ?? ZK_QUEUE_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,49}$/.test(s)) {
    throw new BaseError('INVALID_INPUT', 'the queue schema must be a lower-case SQL name (a-z, 0-9, _)', {
      details: { schema: s },
    });
  }
  return s;
}

function tablesSql(s: string): string {
  // One statement (a DO block) under a transaction-scoped advisory lock: coordinators and workers
  // starting together on an empty database cannot race each other's CREATE TABLE.
  return `DO $$ BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('custos/por-zk/tables/${s}'));
    CREATE TABLE IF NOT EXISTS ${s}.por_zk_batch_proofs (
      round_id text NOT NULL,
      batch int NOT NULL,
      statement_sha256 text NOT NULL,
      proof bytea NOT NULL,
      worker text NOT NULL,
      proven_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (round_id, batch)
    );
    CREATE TABLE IF NOT EXISTS ${s}.por_zk_batch_runs (
      id bigserial PRIMARY KEY,
      round_id text NOT NULL,
      batch int NOT NULL,
      statement_sha256 text NOT NULL,
      worker text NOT NULL,
      job_id uuid,
      attempt int NOT NULL,
      started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      finished_at timestamptz,
      outcome text
    );
    CREATE INDEX IF NOT EXISTS por_zk_batch_runs_batch ON ${s}.por_zk_batch_runs (round_id, batch);
  END $$`;
}

async function openQueue(
  connection: QueueConnection,
  o: {
    /** pg-boss maintenance (expiring the jobs of dead workers) this often; null: none. */
    maintenanceIntervalSeconds: number | null;
    name: string;
    log?: ((line: string) => void) | undefined;
  },
): Promise<Queue> {
  const schema = schemaOf(connection.schema);
  const boss = new PgBoss({
    connectionString: connection.databaseUrl,
    schema,
    application_name: o.name,
    max: 4,
    schedule: false,
    supervise: o.maintenanceIntervalSeconds !== null,
    ...(o.maintenanceIntervalSeconds === null ? {} : { maintenanceIntervalSeconds: o.maintenanceIntervalSeconds }),
  });
  // pg-boss reports background failures (maintenance, a lost connection) as events: an unheard
  // 'error' event would end the process.
  boss.on('error', (error) => o.log?.(`queue: ${error.message.split('\n')[0]}`));
  try {
    await boss.start();
  } catch (cause) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw new BaseError('DB_UNAVAILABLE', 'cannot open the proving queue', {
      details: { reason: (cause as { code?: string }).code ?? (cause as Error).message.split('\n')[0] ?? 'error' },
      hints: ['Check --database-url: the coordinator and every worker need the same PostgreSQL database.'],
      cause,
    });
  }
  const db = boss.getDb();
  const sql = async (text: string, values: unknown[] = []) => {
    const result = (await db.executeSql(text, values)) as { rows?: Row[]; rowCount?: number | null } | undefined;
    return { rows: result?.rows ?? [], rowCount: result?.rowCount ?? 0 };
  };
  try {
    await sql(tablesSql(schema));
    // pg-boss's create_queue is not safe against itself: processes starting together on a new
    // schema can deadlock in it. PostgreSQL breaks the deadlock by failing one side, which retries.
    for (let attempt = 0; ; attempt++) {
      try {
        if ((await boss.getQueue(ZK_QUEUE)) === null)
          await boss.createQueue(ZK_QUEUE, { name: ZK_QUEUE, policy: 'standard' });
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== '40P01' || attempt >= 10) throw error;
        await sleep(20 + Math.random() * 200);
      }
    }
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw error;
  }
  return {
    boss,
    schema,
    sql,
    close: () => boss.stop({ graceful: false, timeout: 1000 }),
  };
}

/** SHA-256 (hex) of public inputs as 32-bit little-endian words. */
export function statementSha256(publicInputs: Uint32Array): string {
  const bytes = new Uint8Array(4 * publicInputs.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < publicInputs.length; i++) view.setUint32(4 * i, publicInputs[i] as number, true);
  return createHash('sha256').update(bytes).digest('hex');
}

/** The job id of a batch: a UUID (version 8) from the round, the batch and the statement hash. */
export function batchJobId(roundId: string, index: number, sha: string): string {
  const h = createHash('sha256').update(`custos/por-zk/job/v1\u0000${roundId}\u0000${index}\u0000${sha}`).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x80;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export function encodeBatchPayload(
  roundId: string,
  statement: BatchStatement,
  users: readonly BatchUser[],
  options: ProofOptions,
  leaseSeconds = DEFAULT_LEASE_SECONDS,
): ZkBatchPayload {
  const publicInputs = statementPublicInputs(statement);
  return {
    version: ZK_PAYLOAD_VERSION,
    roundId,
    index: statement.batch,
    assets: statement.assets,
    capacity: statement.capacity,
    publicInputs: digestToHex(publicInputs),
    statementSha256: statementSha256(publicInputs),
    users: users.map((u) => ({ id: digestToHex(u.id), balances: u.balances.map(String) })),
    options: { ...options },
    leaseSeconds,
  };
}

function refusal(reason: string, message: string, details: Record<string, string | number> = {}): BaseError {
  return new BaseError('POR_INVALID_INPUT', message, { details: { reason, ...details } });
}

/** Checks a job's data; the users as `batchTrace` takes them and the public inputs as words. */
export function decodeBatchPayload(value: unknown): {
  payload: ZkBatchPayload;
  users: BatchUser[];
  publicInputs: Uint32Array;
} {
  const bad = (what: string) => refusal('payload', `the batch job is malformed: ${what}`);
  if (value === null || typeof value !== 'object') throw bad('not an object');
  const p = value as ZkBatchPayload;
  if (p.version !== ZK_PAYLOAD_VERSION) throw bad(`version ${String(p.version)} is not ${ZK_PAYLOAD_VERSION}`);
  if (typeof p.roundId !== 'string' || p.roundId.length === 0) throw bad('no round id');
  for (const k of ['index', 'assets', 'capacity'] as const) {
    if (!Number.isSafeInteger(p[k]) || p[k] < 0) throw bad(`${k} is not a non-negative integer`);
  }
  if (typeof p.publicInputs !== 'string' || p.publicInputs.length % 8 !== 0) throw bad('public inputs');
  if (typeof p.statementSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(p.statementSha256)) throw bad('statement hash');
  if (!Array.isArray(p.users) || p.users.length === 0 || p.users.length > p.capacity) throw bad('users');
  if (p.options === null || typeof p.options !== 'object' || validateOptions(p.options) !== null)
    throw bad('proof options');
  if (!Number.isInteger(p.leaseSeconds) || p.leaseSeconds < 2 || p.leaseSeconds > 3600) throw bad('lease');
  let publicInputs: Uint32Array;
  let users: BatchUser[];
  try {
    publicInputs = hexToElements(p.publicInputs, p.publicInputs.length / 8, 'the public inputs');
    users = p.users.map((u) => {
      if (!Array.isArray(u.balances) || u.balances.length !== p.assets) throw new Error('balances');
      return {
        id: hexToElements(u.id, 8, 'a user id'),
        balances: u.balances.map((b) => {
          if (typeof b !== 'string' || !/^-?[0-9]{1,40}$/.test(b)) throw new Error('balance');
          return BigInt(b);
        }),
      };
    });
  } catch {
    throw bad('a user id, balance or public input does not parse');
  }
  if (statementSha256(publicInputs) !== p.statementSha256) throw bad('the statement hash is not the public inputs’');
  return { payload: p, users, publicInputs };
}

/** Rebuilds the job's trace; refuses (reason `statement-mismatch`) unless it gives the job's statement. */
export function rebuildBatch(payload: ZkBatchPayload, users: readonly BatchUser[], publicInputs: Uint32Array) {
  const built = batchTrace(users, {
    assets: payload.assets,
    capacity: payload.capacity,
    batch: payload.index,
    roundTag: roundTag(payload.roundId),
  });
  const rebuilt = statementPublicInputs(built.statement);
  if (rebuilt.length !== publicInputs.length || rebuilt.some((v, i) => v !== publicInputs[i])) {
    throw refusal('statement-mismatch', "the batch's users do not give the job's statement", {
      roundId: payload.roundId,
      batch: payload.index,
    });
  }
  return built;
}

function staleProof(roundId: string, batch: number): BaseError {
  return new BaseError('CONFLICT', 'a proof is stored for this batch with other leaves', {
    details: { reason: 'stale-proof', roundId, batch },
    hints: [
      'The round id was reused for a different snapshot: use a new round id, or delete the round’s rows from por_zk_batch_proofs.',
    ],
  });
}

function checkProof(statement: BatchStatement, proof: Uint8Array, roundId: string): void {
  const result = verifyBytes({ air: solvencyAir(statement), bytes: proof, minSecurityBits: 0 });
  if (!result.valid) {
    throw new BaseError('POR_PROOF_INVALID', 'a stored batch proof does not verify', {
      details: { reason: `batch-proof:${result.reason}`, roundId, batch: statement.batch },
    });
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// Coordinator

export interface QueueBatchProverOptions extends QueueConnection {
  /** The round's witness: the coordinator takes each batch's users from it. */
  witness: RoundWitness;
  capacity: number;
  /** A job's lease: a worker that stops renewing it for this long loses the job (default 60). */
  leaseSeconds?: number | undefined;
  /** Attempts after the first before a job is failed for good (default 10). */
  retryLimit?: number | undefined;
  /** How often the results table is read (default 500 ms). */
  pollMs?: number | undefined;
  log?: ((line: string) => void) | undefined;
}

export interface QueueBatchProver {
  /**
   * For `proveRound`: the stored proof, or queues the batch and resolves with its proof once a
   * worker stored it (checked against the batch statement). After a first rejection, and after
   * `close`, outstanding calls never settle.
   */
  readonly proveBatch: (job: BatchJob) => Promise<Uint8Array>;
  /** Batches this coordinator queued, and batches whose proof it found stored already. */
  readonly counts: { queued: number; found: number };
  close(): Promise<void>;
}

interface Waiter {
  readonly jobId: string;
  readonly sha: string;
  readonly statement: BatchStatement;
  readonly payload: ZkBatchPayload;
  checkedAt: number;
  resolve(proof: Uint8Array): void;
  reject(error: unknown): void;
}

/** The coordinator's side of the queue. */
export async function queueBatchProver(o: QueueBatchProverOptions): Promise<QueueBatchProver> {
  const lease = o.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  if (!Number.isInteger(lease) || lease < 2 || lease > 3600)
    throw new BaseError('INVALID_INPUT', 'the lease is 2 to 3600 seconds', { details: { lease } });
  const retryLimit = o.retryLimit ?? DEFAULT_RETRY_LIMIT;
  const pollMs = o.pollMs ?? 500;
  // A job's state is read less often than the results: only to notice one that ended unproven.
  const jobCheckMs = Math.max(1000, 10 * pollMs);
  const { witness, capacity } = o;
  const sizes = planBatches(witness.users.length, capacity);
  const firsts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const queue = await openQueue(o, {
    maintenanceIntervalSeconds: Math.max(1, Math.min(30, Math.floor(lease / 3))),
    name: 'custos-por-coordinator',
    log: o.log,
  });
  const { boss, schema: s, sql } = queue;
  const counts = { queued: 0, found: 0 };
  const waiting = new Map<number, Waiter>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const storedRows = async (indices: number[]) =>
    (
      await sql(
        `SELECT batch, statement_sha256, proof FROM ${s}.por_zk_batch_proofs WHERE round_id = $1 AND batch = ANY($2::int[])`,
        [witness.roundId, indices],
      )
    ).rows;

  const accept = (statement: BatchStatement, sha: string, row: Row): Uint8Array => {
    if (row.statement_sha256 !== sha) throw staleProof(witness.roundId, statement.batch);
    const proof = new Uint8Array(row.proof as Buffer);
    checkProof(statement, proof, witness.roundId);
    return proof;
  };

  const settle = (index: number, row: Row) => {
    const w = waiting.get(index);
    if (w === undefined) return;
    waiting.delete(index);
    try {
      w.resolve(accept(w.statement, w.sha, row));
    } catch (error) {
      w.reject(error);
    }
  };

  const send = (w: Pick<Waiter, 'jobId' | 'payload'>) =>
    boss.send(ZK_QUEUE, w.payload as unknown as object, {
      id: w.jobId,
      singletonKey: `${w.payload.roundId}:${w.payload.index}`,
      expireInSeconds: lease,
      retryLimit,
      retryDelay: 0,
    });

  /** The job's fate when no proof has appeared: re-queue what vanished, surface what ended. */
  const checkJob = async (index: number, w: Waiter) => {
    const job = await boss.getJobById<ZkBatchPayload>(ZK_QUEUE, w.jobId, { includeArchive: true });
    if (job === null) {
      await send(w);
      return;
    }
    if (job.state === 'cancelled') {
      await boss.resume(ZK_QUEUE, w.jobId);
      return;
    }
    if (job.state !== 'completed' && job.state !== 'failed') return;
    // It ended: the worker may have stored the proof between our two reads.
    const [row] = await storedRows([index]);
    if (row !== undefined) return settle(index, row);
    waiting.delete(index);
    const output = (job.output ?? {}) as { refused?: { code?: string; message?: string; reason?: string } };
    if (job.state === 'completed' && output.refused !== undefined) {
      const code: ErrorCode = isErrorCode(output.refused.code) ? output.refused.code : 'POR_INVALID_INPUT';
      w.reject(
        new BaseError(code, `batch ${index}: ${output.refused.message ?? 'the worker refused the job'}`, {
          details: { reason: output.refused.reason ?? 'refused', batch: index, roundId: witness.roundId },
        }),
      );
      return;
    }
    // A worker's failure carries { message }; pg-boss's expiry { value: { message } }.
    const failure = job.output as { message?: string; value?: { message?: string } } | null;
    const message = failure?.message ?? failure?.value?.message;
    w.reject(
      new BaseError('INTERNAL', `batch ${index} failed on every attempt`, {
        details: { batch: index, roundId: witness.roundId, attempts: job.retryCount + 1 },
        cause: new Error(message ?? JSON.stringify(job.output ?? null)),
      }),
    );
  };

  const poll = async () => {
    if (waiting.size === 0) return;
    for (const row of await storedRows([...waiting.keys()])) settle(row.batch as number, row);
    const now = Date.now();
    for (const [index, w] of [...waiting]) {
      if (now - w.checkedAt < jobCheckMs) continue;
      w.checkedAt = now;
      await checkJob(index, w);
    }
  };

  const schedule = () => {
    if (closed || timer !== undefined || waiting.size === 0) return;
    timer = setTimeout(() => {
      poll()
        .catch((error: unknown) => o.log?.(`queue: ${(error as Error).message.split('\n')[0]}`))
        .finally(() => {
          timer = undefined;
          schedule();
        });
    }, pollMs);
  };

  const queueBatch = async (job: BatchJob): Promise<Uint8Array> => {
    if (closed) throw new BaseError('INVALID_INPUT', 'the batch queue is closed');
    const index = job.index;
    const size = sizes[index];
    if (job.roundId !== witness.roundId || size === undefined || job.statement.capacity !== capacity) {
      throw new BaseError('INVALID_INPUT', 'the batch is not one of this round’s', {
        details: { roundId: job.roundId, batch: index },
      });
    }
    const sha = statementSha256(statementPublicInputs(job.statement));
    const [row] = await storedRows([index]);
    if (row !== undefined) {
      const proof = accept(job.statement, sha, row);
      counts.found++;
      return proof;
    }
    const first = firsts[index] as number;
    const users = witness.users.slice(first, first + size);
    if (users.length !== job.statement.users) throw new BaseError('INVALID_INPUT', 'the batch has another size');
    const payload = encodeBatchPayload(witness.roundId, job.statement, users, job.options, lease);
    const jobId = batchJobId(witness.roundId, index, sha);
    const proof = new Promise<Uint8Array>((resolve, reject) => {
      waiting.set(index, { jobId, sha, statement: job.statement, payload, checkedAt: 0, resolve, reject });
    });
    const id = await send({ jobId, payload });
    if (id !== null) counts.queued++;
    else o.log?.(`batch ${index}: already queued`);
    schedule();
    return proof;
  };

  // The first failure fails the round; later ones (and calls outstanding at `close`) never settle,
  // so a caller that stopped at the first error is not handed rejections nobody awaits.
  let failed = false;
  const proveBatch = (job: BatchJob): Promise<Uint8Array> =>
    queueBatch(job).catch((error: unknown) => {
      if (failed) return new Promise<Uint8Array>(() => {});
      failed = true;
      throw error;
    });

  return {
    proveBatch,
    counts,
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      waiting.clear();
      await queue.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Worker

/** A worker's progress before its first job. */
export function idleWorkerProgress(worker: string): WorkerProgress {
  return { worker, proven: 0, skipped: 0, failed: 0, active: 0, queued: null, rate: null, etaSeconds: null };
}

export interface WorkerProgress {
  worker: string;
  /** Batches this worker proved and stored. */
  proven: number;
  /** Jobs skipped: the batch's proof was stored already. */
  skipped: number;
  /** Jobs refused (bad payload, statement mismatch, stale proof) or failed. */
  failed: number;
  /** Batches being proven now. */
  active: number;
  /** Jobs waiting in the queue (all rounds). */
  queued: number | null;
  /** Batches stored per minute by all workers (over the last 5 minutes). */
  rate: number | null;
  /** Seconds until the queue is empty at that rate. */
  etaSeconds: number | null;
}

export interface BatchWorkerOptions extends QueueConnection {
  /** Name in logs and the results tables (default host:pid). */
  workerId?: string | undefined;
  /** Batches proven at once, each on its own thread (default 1). */
  concurrency?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: WorkerProgress) => void) | undefined;
  log?: ((line: string) => void) | undefined;
  /** How often an idle worker asks for a job (default 1000 ms). */
  pollMs?: number | undefined;
  /** pg-boss maintenance (expiring dead workers' jobs) at least this often (default 10 s). */
  maintenanceIntervalSeconds?: number | undefined;
}

export interface WorkerSummary {
  worker: string;
  proven: number;
  skipped: number;
  failed: number;
}

interface FetchedJob {
  id: string;
  data: unknown;
  retryCount: number;
}

/** A worker: takes batch jobs until `signal` aborts. */
export async function runBatchWorker(o: BatchWorkerOptions): Promise<WorkerSummary> {
  const worker = o.workerId ?? `${hostname()}:${process.pid}`;
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new BaseError('INVALID_INPUT', 'a worker proves 1 to 256 batches at once', { details: { concurrency } });
  const log = o.log ?? (() => {});
  const pollMs = o.pollMs ?? 1000;
  const queue = await openQueue(o, {
    maintenanceIntervalSeconds: o.maintenanceIntervalSeconds ?? 10,
    name: `custos-por-worker ${worker}`.slice(0, 63),
    log,
  });
  const { boss, schema: s, sql } = queue;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) stop.abort();
  const pool = new ProverPool(concurrency);
  const progress = idleWorkerProgress(worker);
  const report = () => o.onProgress?.({ ...progress });
  let statsAt = 0;
  const refreshStats = async () => {
    statsAt = Date.now();
    try {
      const waitingJobs = await boss.getQueueSize(ZK_QUEUE);
      // The fleet's throughput: proofs stored in the last 5 minutes over the time since the
      // earliest of them started.
      const { rows } = await sql(
        `SELECT count(*)::int AS n, EXTRACT(EPOCH FROM now() - min(started_at))::float8 AS span FROM ${s}.por_zk_batch_runs WHERE outcome = 'stored' AND finished_at > now() - interval '5 minutes'`,
      );
      const n = (rows[0]?.n as number | undefined) ?? 0;
      const span = Math.max(1, (rows[0]?.span as number | null | undefined) ?? 0);
      progress.queued = waitingJobs;
      progress.rate = n > 0 ? (n / span) * 60 : null;
      progress.etaSeconds =
        progress.rate !== null ? ((waitingJobs + progress.active) / progress.rate) * 60 : waitingJobs === 0 ? 0 : null;
      report();
    } catch {
      // statistics are best effort
    }
  };

  const finishRun = (runId: unknown, outcome: string) =>
    sql(`UPDATE ${s}.por_zk_batch_runs SET finished_at = clock_timestamp(), outcome = $2 WHERE id = $1`, [
      runId,
      outcome,
    ]).catch(() => undefined);

  const refuse = async (job: FetchedJob, error: BaseError, where: string) => {
    progress.failed++;
    log(`worker ${worker}: ${where}: refused (${String(error.details.reason ?? error.code)}): ${error.shortMessage}`);
    await boss.complete(ZK_QUEUE, job.id, {
      refused: { code: error.code, message: error.shortMessage, reason: String(error.details.reason ?? '') },
      worker,
    });
  };

  const handle = async (job: FetchedJob) => {
    let decoded: ReturnType<typeof decodeBatchPayload>;
    try {
      decoded = decodeBatchPayload(job.data);
    } catch (error) {
      if (error instanceof BaseError) return refuse(job, error, `job ${job.id}`);
      throw error;
    }
    const { payload, users, publicInputs } = decoded;
    const where = `batch ${payload.index} of round ${payload.roundId}`;
    const [stored] = (
      await sql(`SELECT statement_sha256 FROM ${s}.por_zk_batch_proofs WHERE round_id = $1 AND batch = $2`, [
        payload.roundId,
        payload.index,
      ])
    ).rows;
    if (stored !== undefined) {
      if (stored.statement_sha256 !== payload.statementSha256)
        return refuse(job, staleProof(payload.roundId, payload.index), where);
      progress.skipped++;
      log(`worker ${worker}: ${where}: already stored, skipped`);
      await boss.complete(ZK_QUEUE, job.id, { skipped: 'stored', worker });
      return;
    }
    let built: ReturnType<typeof batchTrace>;
    try {
      built = rebuildBatch(payload, users, publicInputs);
    } catch (error) {
      if (error instanceof BaseError) return refuse(job, error, where);
      throw error;
    }
    const { rows } = await sql(
      `INSERT INTO ${s}.por_zk_batch_runs (round_id, batch, statement_sha256, worker, job_id, attempt) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [payload.roundId, payload.index, payload.statementSha256, worker, job.id, job.retryCount + 1],
    );
    const runId = rows[0]?.id;
    log(`worker ${worker}: ${where}: started (attempt ${job.retryCount + 1})`);
    // The lease: this attempt's job expires `leaseSeconds` after the last renewal. (The job's
    // expire_in carries a previous attempt's renewals over a retry: the first renewal resets it.)
    const renewLease = () =>
      sql(
        `UPDATE ${s}.job SET expire_in = (now() - started_on) + $3::int * interval '1 second' WHERE name = $1 AND id = $2::uuid AND state = 'active' AND retry_count = $4::int`,
        [ZK_QUEUE, job.id, payload.leaseSeconds, job.retryCount],
      ).catch(() => undefined);
    await renewLease();
    const renew = setInterval(() => void renewLease(), (payload.leaseSeconds * 1000) / 3);
    const started = performance.now();
    let proof: Uint8Array;
    progress.active++;
    try {
      proof = (
        await pool.prove({
          air: {
            module: AIR_MODULE,
            name: SOLVENCY_AIR,
            rows: built.trace[0]?.length as number,
            publicInputs: Array.from(publicInputs),
          },
          trace: built.trace,
          options: payload.options,
        })
      ).proof;
    } catch (error) {
      const stopping = stop.signal.aborted;
      if (!stopping) progress.failed++;
      await finishRun(runId, stopping ? 'stopped' : 'failed');
      const message = stopping ? 'the worker stopped' : (error as Error).message.split('\n')[0];
      log(`worker ${worker}: ${where}: ${stopping ? 'handed back (stopping)' : `failed: ${message}`}`);
      await boss.fail(ZK_QUEUE, job.id, { message, worker }).catch(() => undefined);
      return;
    } finally {
      clearInterval(renew);
      progress.active--;
    }
    const inserted = await sql(
      `INSERT INTO ${s}.por_zk_batch_proofs (round_id, batch, statement_sha256, proof, worker) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [payload.roundId, payload.index, payload.statementSha256, Buffer.from(proof), worker],
    );
    const outcome = inserted.rowCount === 1 ? 'stored' : 'already-stored';
    await finishRun(runId, outcome);
    await boss.complete(ZK_QUEUE, job.id, { stored: outcome === 'stored', worker });
    progress.proven++;
    const seconds = (performance.now() - started) / 1000;
    log(`worker ${worker}: ${where}: proven in ${seconds.toFixed(1)} s, ${outcome}`);
  };

  const active = new Set<Promise<void>>();
  try {
    await refreshStats();
    while (!stop.signal.aborted) {
      if (Date.now() - statsAt > 5000) await refreshStats();
      if (active.size >= concurrency) {
        await Promise.race([...active, sleep(5000, stop.signal)]);
        continue;
      }
      const [job] = (await boss.fetch<unknown>(ZK_QUEUE, { batchSize: 1, includeMetadata: true })) as FetchedJob[];
      if (job === undefined) {
        await sleep(pollMs, stop.signal);
        continue;
      }
      if (stop.signal.aborted) {
        await boss.fail(ZK_QUEUE, job.id, { message: 'the worker stopped', worker }).catch(() => undefined);
        break;
      }
      const running: Promise<void> = handle(job)
        .catch(async (error: unknown) => {
          progress.failed++;
          const message = (error as Error).message.split('\n')[0] ?? 'error';
          log(`worker ${worker}: job ${job.id}: ${message}`);
          await boss.fail(ZK_QUEUE, job.id, { message, worker }).catch(() => undefined);
        })
        .finally(() => {
          active.delete(running);
          report();
        });
      active.add(running);
    }
  } finally {
    stop.abort();
    o.signal?.removeEventListener('abort', onAbort);
    // Ends the proofs in flight: each hands its job back.
    await pool.close();
    await Promise.allSettled([...active]);
    await queue.close();
  }
  return { worker, proven: progress.proven, skipped: progress.skipped, failed: progress.failed };
}

// ---------------------------------------------------------------------------------------------
// The round on the queue (the CLI's `custos por prove --database-url`)

export interface ProveRoundOnQueueOptions extends QueueConnection {
  dir: string;
  capacity?: number | undefined;
  options?: ProofOptions | undefined;
  leaseSeconds?: number | undefined;
  retryLimit?: number | undefined;
  /** Queue workers to run in this process too (each a thread); 0: external workers only. */
  localWorkers?: number | undefined;
  onProgress?: ((progress: ZkProgress) => void) | undefined;
  log?: ((line: string) => void) | undefined;
  /** The round's witness, when the caller has read it already. */
  witness?: RoundWitness | undefined;
}

export interface ProveRoundOnQueueResult {
  statement: ZkStatement;
  /** Batches queued by this run, found stored in the database, and already on disk. */
  queued: number;
  found: number;
  skipped: number;
}

/** Proves a round through the queue; writes `DIR/zk/` exactly as `proveRound` does. */
export async function proveRoundOnQueue(o: ProveRoundOnQueueOptions): Promise<ProveRoundOnQueueResult> {
  const witness = o.witness ?? readRoundWitness(o.dir);
  const capacity = o.capacity ?? DEFAULT_CAPACITY;
  const prover = await queueBatchProver({
    databaseUrl: o.databaseUrl,
    schema: o.schema,
    witness,
    capacity,
    leaseSeconds: o.leaseSeconds,
    retryLimit: o.retryLimit,
    log: o.log,
  });
  const local = new AbortController();
  const localWorkers =
    (o.localWorkers ?? 0) > 0
      ? runBatchWorker({
          databaseUrl: o.databaseUrl,
          schema: o.schema,
          workerId: `${hostname()}:${process.pid}:local`,
          concurrency: o.localWorkers,
          signal: local.signal,
          log: o.log,
          maintenanceIntervalSeconds: 30,
        }).catch((error: unknown) => {
          o.log?.(`local queue worker: ${(error as Error).message.split('\n')[0]}`);
        })
      : undefined;
  let skipped = 0;
  try {
    const statement = await proveRound({
      dir: o.dir,
      capacity,
      ...(o.options === undefined ? {} : { options: o.options }),
      witness,
      proveBatch: prover.proveBatch,
      onProgress: (p) => {
        skipped = p.skipped;
        o.onProgress?.(p);
      },
    });
    return { statement, queued: prover.counts.queued, found: prover.counts.found, skipped };
  } finally {
    local.abort();
    await localWorkers;
    await prover.close();
  }
}

/** What the database holds for a round: its stored proofs and every proving attempt. */
export async function queueRoundState(
  o: QueueConnection & { roundId: string },
): Promise<{ proofs: ZkStoredProof[]; runs: ZkBatchRun[] }> {
  const queue = await openQueue(o, { maintenanceIntervalSeconds: null, name: 'custos-por-state' });
  try {
    const s = queue.schema;
    const proofs = await queue.sql(
      `SELECT batch, statement_sha256, worker, proven_at, octet_length(proof) AS bytes FROM ${s}.por_zk_batch_proofs WHERE round_id = $1 ORDER BY batch`,
      [o.roundId],
    );
    const runs = await queue.sql(
      `SELECT batch, worker, attempt, started_at, finished_at, outcome FROM ${s}.por_zk_batch_runs WHERE round_id = $1 ORDER BY id`,
      [o.roundId],
    );
    return {
      proofs: proofs.rows.map((r) => ({
        batch: r.batch as number,
        statementSha256: r.statement_sha256 as string,
        worker: r.worker as string,
        provenAt: r.proven_at as Date,
        bytes: r.bytes as number,
      })),
      runs: runs.rows.map((r) => ({
        batch: r.batch as number,
        worker: r.worker as string,
        attempt: r.attempt as number,
        startedAt: r.started_at as Date,
        finishedAt: (r.finished_at as Date | null) ?? null,
        outcome: (r.outcome as string | null) ?? null,
      })),
    };
  } finally {
    await queue.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Metrics (Prometheus text exposition)

export interface MetricSample {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  value: number | null;
  labels?: Record<string, string> | undefined;
}

function labelText(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  const quote = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${entries.map(([k, v]) => `${k}="${quote(v)}"`).join(',')}}`;
}

export function metricsText(samples: readonly MetricSample[]): string {
  const lines: string[] = [];
  for (const m of samples) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    const v = m.value === null || !Number.isFinite(m.value) ? 'NaN' : String(Number(m.value.toFixed(6)));
    lines.push(`${m.name}${labelText(m.labels)} ${v}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The coordinator's metrics from its latest progress. */
export function coordinatorMetrics(roundId: string, p: ZkProgress): MetricSample[] {
  const labels = { round: roundId };
  return [
    { name: 'custos_por_zk_batches_total', help: 'Batches in the round.', type: 'gauge', value: p.total, labels },
    {
      name: 'custos_por_zk_batches_done',
      help: 'Batches whose proof is written (including skipped).',
      type: 'gauge',
      value: p.done,
      labels,
    },
    {
      name: 'custos_por_zk_batches_skipped',
      help: 'Batches found proven already.',
      type: 'gauge',
      value: p.skipped,
      labels,
    },
    {
      name: 'custos_por_zk_batches_per_minute',
      help: 'Batches proven per minute in this run.',
      type: 'gauge',
      value: p.rate,
      labels,
    },
    {
      name: 'custos_por_zk_eta_seconds',
      help: 'Seconds until the round is proven at the current rate.',
      type: 'gauge',
      value: p.etaSeconds,
      labels,
    },
  ];
}

/** A worker's metrics. */
export function workerMetrics(p: WorkerProgress): MetricSample[] {
  const labels = { worker: p.worker };
  return [
    {
      name: 'custos_por_zk_batches_done',
      help: 'Batches this worker proved and stored.',
      type: 'counter',
      value: p.proven,
      labels,
    },
    {
      name: 'custos_por_zk_batches_skipped',
      help: 'Jobs skipped: the proof was stored already.',
      type: 'counter',
      value: p.skipped,
      labels,
    },
    {
      name: 'custos_por_zk_batches_failed',
      help: 'Jobs refused or failed.',
      type: 'counter',
      value: p.failed,
      labels,
    },
    {
      name: 'custos_por_zk_batches_active',
      help: 'Batches being proven now.',
      type: 'gauge',
      value: p.active,
      labels,
    },
    { name: 'custos_por_zk_queue_depth', help: 'Jobs waiting in the queue.', type: 'gauge', value: p.queued, labels },
    {
      name: 'custos_por_zk_batches_per_minute',
      help: 'Batches stored per minute by all workers (last 5 minutes).',
      type: 'gauge',
      value: p.rate,
      labels,
    },
    {
      name: 'custos_por_zk_eta_seconds',
      help: 'Seconds until the queue is empty at that rate.',
      type: 'gauge',
      value: p.etaSeconds,
      labels,
    },
  ];
}

/** Serves `render()` at GET /metrics on `port` (0: any free port); resolves once listening. */
export async function serveMetrics(
  port: number,
  render: () => string,
  host = '0.0.0.0',
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method === 'GET' && (request.url === '/metrics' || request.url?.startsWith('/metrics?'))) {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      response.end(render());
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new BaseError('PORT_IN_USE', `the metrics port ${port} is in use`, { details: { port } })
          : error,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  server.unref();
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
