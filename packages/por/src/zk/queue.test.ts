/**
 * The batch queue on a real PostgreSQL (one database for the file, a fresh schema per test), on a
 * round of 300 users × 2 assets in batches of capacity 128 (3 batches of 100): two workers prove
 * it and every proof verifies; a second coordinator finds every proof stored and queues nothing; a
 * job whose worker died is proven by another after its lease; a stale proof (same round id, other
 * leaves) and a job whose users do not give its statement are refused with their reasons; a
 * worker stopped mid-batch hands the job back; progress is served as Prometheus text.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseError } from '@custos/core';
import { createTestDatabase } from '@custos/db/testing';
import PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildLiabilitiesTree } from '../build.js';
import { writeSnapshot } from '../testing/snapshot.js';
import { ZK_TEST_OPTIONS } from '../testing/zk.js';
import { statementPublicInputs } from './air.js';
import { type BatchJob, batchFileName, type RoundWitness, readRoundWitness, roundBatches, zkDir } from './prove.js';
import {
  batchJobId,
  decodeBatchPayload,
  encodeBatchPayload,
  metricsText,
  proveRoundOnQueue,
  type QueueConnection,
  queueBatchProver,
  queueRoundState,
  rebuildBatch,
  runBatchWorker,
  serveMetrics,
  statementSha256,
  type WorkerProgress,
  workerMetrics,
  ZK_QUEUE,
} from './queue.js';
import { checkStatement, verifyBatch, type ZkBatchFile } from './round.js';

const FAST = ZK_TEST_OPTIONS;
const CAPACITY = 128;
let dir: string;
let round: string;
let witness: RoundWitness;
let jobs: BatchJob[];
let databaseUrl: string;
let dropDatabase: () => Promise<void>;

const freshSchema = (): QueueConnection => ({ databaseUrl, schema: `zk_${randomBytes(5).toString('hex')}` });

/** A pg-boss client on a test's schema that only fetches and inspects jobs (no maintenance, no cron). */
function bareBoss(connection: QueueConnection): PgBoss {
  const boss = new PgBoss({
    connectionString: connection.databaseUrl,
    schema: connection.schema as string,
    supervise: false,
    schedule: false,
  });
  boss.on('error', () => undefined);
  return boss;
}

function codeAndReason(error: unknown): string {
  if (error instanceof BaseError) return `${error.code}:${String(error.details.reason)}`;
  throw error;
}

/** A fresh copy of the built round, without its zk/ output. */
function copyRound(name: string): string {
  const copy = join(dir, name);
  cpSync(round, copy, { recursive: true });
  rmSync(zkDir(copy), { recursive: true, force: true });
  return copy;
}

function startWorker(connection: QueueConnection, workerId: string, lines: string[] = []) {
  const controller = new AbortController();
  const progress: WorkerProgress[] = [];
  const done = runBatchWorker({
    ...connection,
    workerId,
    pollMs: 100,
    maintenanceIntervalSeconds: 1,
    signal: controller.signal,
    log: (line) => lines.push(line),
    onProgress: (p) => progress.push(p),
  });
  return { stop: () => controller.abort(), done, lines, progress };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const database = await createTestDatabase(inject('postgresUrl'));
  databaseUrl = database.url;
  dropDatabase = database.drop;
  dir = mkdtempSync(join(tmpdir(), 'custos-zk-queue-'));
  const input = join(dir, 'snapshot.csv');
  await writeSnapshot(input, { users: 300, assets: 2, seed: 5 });
  round = join(dir, 'round');
  buildLiabilitiesTree({
    input,
    out: round,
    signingSeed: new Uint8Array(32).fill(9),
    roundId: 'zk-queue-1',
    snapshotTime: '2026-11-30T23:59:59.000Z',
  });
  witness = readRoundWitness(round);
  jobs = [...roundBatches(witness, CAPACITY)].map((b) => ({
    roundId: witness.roundId,
    index: b.index,
    statement: b.statement,
    trace: b.trace,
    options: FAST,
  }));
}, 60_000);

afterAll(async () => {
  await dropDatabase?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the job payload (300 users × 2 assets, capacity 128)', () => {
  it('is self-contained: the worker rebuilds the exact statement; a changed balance is refused', () => {
    expect(jobs.map((j) => j.statement.users)).toEqual([100, 100, 100]);
    const job = jobs[1] as BatchJob;
    const users = witness.users.slice(100, 200);
    const payload = JSON.parse(JSON.stringify(encodeBatchPayload(witness.roundId, job.statement, users, FAST)));
    const decoded = decodeBatchPayload(payload);
    const rebuilt = rebuildBatch(decoded.payload, decoded.users, decoded.publicInputs);
    expect(statementPublicInputs(rebuilt.statement)).toEqual(statementPublicInputs(job.statement));
    expect(payload.statementSha256).toBe(statementSha256(statementPublicInputs(job.statement)));
    expect(batchJobId('r', 1, payload.statementSha256)).toBe(batchJobId('r', 1, payload.statementSha256));
    expect(batchJobId('r', 1, payload.statementSha256)).not.toBe(batchJobId('r', 2, payload.statementSha256));
    expect(batchJobId('r', 1, payload.statementSha256)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab]/);

    const richer = structuredClone(payload);
    richer.users[3].balances[0] = String(BigInt(richer.users[3].balances[0]) + 1n);
    const d = decodeBatchPayload(richer);
    expect(codeAndReason(catchOf(() => rebuildBatch(d.payload, d.users, d.publicInputs)))).toBe(
      'POR_INVALID_INPUT:statement-mismatch',
    );
    expect(codeAndReason(catchOf(() => decodeBatchPayload({ ...payload, statementSha256: '0'.repeat(64) })))).toBe(
      'POR_INVALID_INPUT:payload',
    );
    expect(codeAndReason(catchOf(() => decodeBatchPayload({ ...payload, version: 2 })))).toBe(
      'POR_INVALID_INPUT:payload',
    );
  });
});

function catchOf(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('the batch queue on PostgreSQL (300 users × 2 assets, 3 batches of capacity 128)', () => {
  it('two workers prove the round; every proof verifies; a second coordinator finds all 3 stored', async () => {
    const connection = freshSchema();
    const a = startWorker(connection, 'w-a');
    const b = startWorker(connection, 'w-b');
    try {
      const target = copyRound('queued');
      const result = await proveRoundOnQueue({ ...connection, dir: target, capacity: CAPACITY, options: FAST });
      expect(result).toMatchObject({ queued: 3, found: 0, skipped: 0 });
      const build = JSON.parse(readFileSync(join(round, 'build.json'), 'utf8')) as { totals: string[] };
      checkStatement(result.statement, build.totals);
      for (const info of result.statement.batches) {
        const path = join(zkDir(target), 'batches', batchFileName(info.index, 'json'));
        const file = JSON.parse(readFileSync(path, 'utf8')) as ZkBatchFile;
        const proof = new Uint8Array(readFileSync(path.replace(/json$/, 'stark')));
        expect(verifyBatch(result.statement, info, file, proof, 90).index).toBe(info.index);
      }
      const state = await queueRoundState({ ...connection, roundId: witness.roundId });
      expect(state.proofs.map((p) => p.batch)).toEqual([0, 1, 2]);
      expect(state.runs.map((r) => r.outcome)).toEqual(['stored', 'stored', 'stored']);
      expect(new Set(state.runs.map((r) => r.batch)).size).toBe(3);

      // Another directory, the same round: every proof comes from the database, nothing is queued.
      const again = await proveRoundOnQueue({
        ...connection,
        dir: copyRound('again'),
        capacity: CAPACITY,
        options: FAST,
      });
      expect(again).toMatchObject({ queued: 0, found: 3 });
      expect(again.statement.commitment).toBe(result.statement.commitment);
      expect((await queueRoundState({ ...connection, roundId: witness.roundId })).runs).toHaveLength(3);
    } finally {
      a.stop();
      b.stop();
    }
    const summaries = await Promise.all([a.done, b.done]);
    expect(summaries.reduce((n, s) => n + s.proven, 0)).toBe(3);
    expect(a.lines.concat(b.lines).filter((l) => /started/.test(l))).toHaveLength(3);
  }, 60_000);

  it('a job whose worker died (fetched, lease never renewed) is proven by another after its 2 s lease', async () => {
    const connection = freshSchema();
    const prover = await queueBatchProver({ ...connection, witness, capacity: CAPACITY, leaseSeconds: 2, pollMs: 100 });
    const dead = bareBoss(connection);
    let worker: ReturnType<typeof startWorker> | undefined;
    try {
      const proving = prover.proveBatch(jobs[0] as BatchJob);
      await dead.start();
      let taken: { id: string }[] = [];
      await until('the job to be queued', async () => {
        taken = await dead.fetch(ZK_QUEUE);
        return taken.length === 1;
      });
      await dead.stop({ graceful: false });
      const t0 = Date.now();
      worker = startWorker(connection, 'w-live');
      const proof = await proving;
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
      expect(proof.length).toBeGreaterThan(1000);
      const state = await queueRoundState({ ...connection, roundId: witness.roundId });
      expect(state.runs).toMatchObject([{ batch: 0, worker: 'w-live', attempt: 2, outcome: 'stored' }]);
    } finally {
      worker?.stop();
      await worker?.done;
      await prover.close();
    }
  }, 60_000);

  it('refuses a stale proof (same round id, other leaves) with CONFLICT, at the coordinator and the worker', async () => {
    const connection = freshSchema();
    const prover = await queueBatchProver({ ...connection, witness, capacity: CAPACITY, pollMs: 100 });
    const boss = bareBoss(connection);
    await boss.start();
    const lines: string[] = [];
    let worker: ReturnType<typeof startWorker> | undefined;
    try {
      const insertStale = (batch: number) =>
        boss
          .getDb()
          .executeSql(
            `INSERT INTO ${connection.schema}.por_zk_batch_proofs (round_id, batch, statement_sha256, proof, worker) VALUES ($1, $2, $3, $4, 'old')`,
            [witness.roundId, batch, 'f'.repeat(64), Buffer.from([1, 2, 3])],
          );
      await insertStale(0);
      expect(codeAndReason(await prover.proveBatch(jobs[0] as BatchJob).catch((e: unknown) => e))).toBe(
        'CONFLICT:stale-proof',
      );
      // The worker's side: the row appears after the job was queued.
      const other = await queueBatchProver({ ...connection, witness, capacity: CAPACITY, pollMs: 100 });
      const proving = other.proveBatch(jobs[1] as BatchJob).catch((e: unknown) => e);
      const id = batchJobId(
        witness.roundId,
        1,
        statementSha256(statementPublicInputs((jobs[1] as BatchJob).statement)),
      );
      await until('the job to be queued', async () => (await boss.getJobById(ZK_QUEUE, id)) !== null);
      await insertStale(1);
      worker = startWorker(connection, 'w-stale', lines);
      expect(codeAndReason(await proving)).toBe('CONFLICT:stale-proof');
      await until('the worker to refuse', () => lines.some((l) => /refused \(stale-proof\)/.test(l)));
      await other.close();
      const state = await queueRoundState({ ...connection, roundId: witness.roundId });
      expect(state.runs).toEqual([]);
    } finally {
      worker?.stop();
      await worker?.done;
      await prover.close();
      await boss.stop({ graceful: false });
    }
  }, 60_000);

  it("refuses a job whose users do not give its statement: the coordinator rejects with the worker's reason", async () => {
    const connection = freshSchema();
    // The coordinator's witness differs from the one the batch statement was built from.
    const altered: RoundWitness = {
      ...witness,
      users: witness.users.map((u, i) => (i === 7 ? { ...u, balances: u.balances.map((b) => b + 1n) } : u)),
    };
    const prover = await queueBatchProver({ ...connection, witness: altered, capacity: CAPACITY, pollMs: 100 });
    const worker = startWorker(connection, 'w-refuse');
    try {
      const error = await prover.proveBatch(jobs[0] as BatchJob).catch((e: unknown) => e);
      expect(codeAndReason(error)).toBe('POR_INVALID_INPUT:statement-mismatch');
      expect((error as BaseError).shortMessage).toMatch(/^batch 0: /);
    } finally {
      worker.stop();
      await worker.done;
      await prover.close();
    }
    expect((await queueRoundState({ ...connection, roundId: witness.roundId })).runs).toEqual([]);
  }, 60_000);

  it('a worker stopped mid-batch hands the job back at once; its progress is served at /metrics', async () => {
    const connection = freshSchema();
    const prover = await queueBatchProver({ ...connection, witness, capacity: CAPACITY, pollMs: 100 });
    const lines: string[] = [];
    const worker = startWorker(connection, 'w-stop', lines);
    const boss = bareBoss(connection);
    await boss.start();
    try {
      void prover.proveBatch(jobs[2] as BatchJob);
      await until('the batch to start', () => lines.some((l) => /batch 2 .* started/.test(l)));
      const t0 = Date.now();
      worker.stop();
      expect(await worker.done).toMatchObject({ worker: 'w-stop', proven: 0 });
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(lines.some((l) => /handed back \(stopping\)/.test(l))).toBe(true);
      const id = batchJobId(
        witness.roundId,
        2,
        statementSha256(statementPublicInputs((jobs[2] as BatchJob).statement)),
      );
      expect((await boss.getJobById(ZK_QUEUE, id))?.state).toBe('retry');
      const state = await queueRoundState({ ...connection, roundId: witness.roundId });
      expect(state.runs).toMatchObject([{ batch: 2, worker: 'w-stop', outcome: 'stopped' }]);

      const last = worker.progress.at(-1) as WorkerProgress;
      const metrics = await serveMetrics(0, () => metricsText(workerMetrics(last)), '127.0.0.1');
      try {
        const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
        expect(text).toMatch(/^# HELP custos_por_zk_batches_done /m);
        expect(text).toMatch(/^custos_por_zk_batches_done\{worker="w-stop"\} 0$/m);
        expect(text).toMatch(/^custos_por_zk_queue_depth\{worker="w-stop"\} \d+$/m);
        expect(text).toMatch(/^custos_por_zk_eta_seconds\{worker="w-stop"\} /m);
        expect((await fetch(`http://127.0.0.1:${metrics.port}/other`)).status).toBe(404);
      } finally {
        await metrics.close();
      }
    } finally {
      await prover.close();
      await boss.stop({ graceful: false });
    }
  }, 60_000);
});
