/**
 * Proves a built round's zero-knowledge statement: the users' witnesses are read from the round
 * (its private build record, level-0 file and snapshot), split into batches in the round's
 * shuffled order, and each batch is proven on a pool of worker threads — or by any other batch
 * prover (`proveBatch`: the PostgreSQL job queue of `custos por worker`).
 *
 * Output, under `DIR/zk/`: `batches/<index>.json` (the batch's public leaves) and
 * `batches/<index>.stark` (its proof), then `statement.json` (C, T_a, every batch's root and sums).
 * Resumable: a batch whose proof file exists for the same leaves is never proven again; proof
 * files are written to a temporary name and renamed, so a crash leaves no half-written proof.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaseError, Decimal } from '@custos/core';
import { type ProofOptions, ProverPool } from '@custos/stark';
import { RoundReader } from '../proof.js';
import type { AssetSpec } from '../root.js';
import { type BatchStatement, SOLVENCY_AIR, statementPublicInputs } from './air.js';
import {
  digestToHex,
  hashToElements,
  hexToElements,
  leafShape,
  merkleLevels,
  merklePath,
  padToPowerOfTwo,
  roundTag,
} from './leaf.js';
import {
  batchFileName,
  batchNode,
  batchSumsDigest,
  checkStatement,
  planBatches,
  roundCapacity,
  roundCommitment,
  roundTotals,
  ZK_PROOF_VERSION,
  ZK_STATEMENT_VERSION,
  type ZkBatchFile,
  type ZkBatchInfo,
  type ZkInclusionProof,
  type ZkStatement,
} from './round.js';
import { type BatchUser, batchTrace } from './trace.js';

/** The default batch capacity (users per batch), chosen by measurement: see the README. */
export const DEFAULT_CAPACITY = 1024;

/**
 * The round's proof options: blowup 4 (the AIR's constraints have degree 3; with the
 * zero-knowledge trace of degree 2N the quotient needs a domain of 6N, and 8N is the next power
 * of two), 44 queries of 2 bits and 16 bits of grinding: 104 conjectured bits — half the
 * low-degree-extension work of the engine's default blowup 8 for the same security.
 */
export const ZK_ROUND_OPTIONS: ProofOptions = Object.freeze({
  logBlowup: 2,
  numQueries: 44,
  logFoldingFactor: 3,
  logFinalDegree: 3,
  grindingBits: 16,
  zeroKnowledge: true,
});

// Where a batch's files are named; re-exported for callers that import the prover module.
export { batchFileName } from './round.js';

/** The AIR module the pool's workers load (`buildAir`). */
export const AIR_MODULE = new URL(import.meta.url.endsWith('.ts') ? './air.ts' : './air.js', import.meta.url).href;

export interface RoundWitness {
  roundId: string;
  assets: AssetSpec[];
  /** Per position in the shuffled order. */
  users: BatchUser[];
}

/** Every user's id elements and balances, by position. */
export function readRoundWitness(dir: string): RoundWitness {
  const reader = RoundReader.open(dir);
  try {
    const users: (BatchUser | undefined)[] = new Array(reader.users);
    for (const ids of reader.userIds()) {
      for (const userId of ids) {
        const w = reader.witness(userId);
        if (w === undefined) {
          throw new BaseError('POR_INVALID_INPUT', 'a snapshot user is not in the round: the round is damaged', {
            details: { roundId: reader.root.roundId },
          });
        }
        users[w.position] = { id: hashToElements(w.userHash), balances: w.balances };
      }
    }
    if (users.some((u) => u === undefined)) {
      throw new BaseError('POR_INVALID_INPUT', 'a position of the round has no snapshot user: the round is damaged');
    }
    return { roundId: reader.root.roundId, assets: reader.root.assets, users: users as BatchUser[] };
  } finally {
    reader.close();
  }
}

export interface BatchJob {
  readonly roundId: string;
  readonly index: number;
  readonly statement: BatchStatement;
  readonly trace: Uint32Array[];
  readonly options: ProofOptions;
}

export interface ZkProgress {
  done: number;
  total: number;
  /** Batches found already proven (never proven again). */
  skipped: number;
  /** Batches per minute over this run's proofs. */
  rate: number;
  /** Seconds left at that rate, or null before the first proof. */
  etaSeconds: number | null;
}

export interface ProveRoundOptions {
  dir: string;
  capacity?: number;
  /** Worker threads (default: one per core). Ignored when `proveBatch` is given. */
  workers?: number;
  options?: ProofOptions;
  onProgress?: (progress: ZkProgress) => void;
  /** Batches in flight at once (default: worker threads + 1, or 64 with `proveBatch`). */
  concurrency?: number;
  /** Proves one batch elsewhere (the job queue); resolves to the encoded proof. */
  proveBatch?: (job: BatchJob) => Promise<Uint8Array>;
  /** The witness, when the caller has it already. */
  witness?: RoundWitness;
}

export function zkDir(dir: string): string {
  return join(dir, 'zk');
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Builds every batch's trace and statement, in order. */
export function* roundBatches(
  witness: RoundWitness,
  capacity: number,
): Generator<{ index: number; first: number; users: BatchUser[]; statement: BatchStatement; trace: Uint32Array[] }> {
  const sizes = planBatches(witness.users.length, capacity);
  const tag = roundTag(witness.roundId);
  let first = 0;
  for (const [index, size] of sizes.entries()) {
    const users = witness.users.slice(first, first + size);
    const { trace, statement } = batchTrace(users, {
      assets: witness.assets.length,
      capacity,
      batch: index,
      roundTag: tag,
    });
    yield { index, first, users, statement, trace };
    first += size;
  }
}

export function batchInfo(statement: BatchStatement, first: number): ZkBatchInfo {
  const leaves = Array.from({ length: statement.capacity }, (_, u) => statement.leaves.subarray(8 * u, 8 * u + 8));
  const levels = merkleLevels(leaves);
  return {
    index: statement.batch,
    first,
    users: statement.users,
    root: digestToHex((levels[levels.length - 1] as Uint32Array[])[0] as Uint32Array),
    limbSums: digestToHex(statement.limbSums),
  };
}

/** Proves the round; returns the statement written to `DIR/zk/statement.json`. */
export async function proveRound(o: ProveRoundOptions): Promise<ZkStatement> {
  const options = o.options ?? ZK_ROUND_OPTIONS;
  const witness = o.witness ?? readRoundWitness(o.dir);
  const capacity = roundCapacity(witness.users.length, witness.assets.length, o.capacity ?? DEFAULT_CAPACITY);
  const shape = leafShape(witness.assets.length);
  const out = join(zkDir(o.dir), 'batches');
  mkdirSync(out, { recursive: true });
  const total = planBatches(witness.users.length, capacity).length;
  const infos: ZkBatchInfo[] = [];
  const pool = o.proveBatch === undefined ? new ProverPool(o.workers) : undefined;
  const started = performance.now();
  let done = 0;
  let skipped = 0;
  let proven = 0;
  const report = () => {
    const minutes = (performance.now() - started) / 60_000;
    const rate = proven > 0 && minutes > 0 ? proven / minutes : 0;
    o.onProgress?.({
      done,
      total,
      skipped,
      rate,
      etaSeconds: rate > 0 ? ((total - done) / rate) * 60 : null,
    });
  };
  // Batches in flight: a trace each in memory. Locally one per worker thread and one being built;
  // through a queue as many as its workers may take at once.
  const limit = o.concurrency ?? (pool !== undefined ? pool.size + 1 : 64);
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    for (const batch of roundBatches(witness, capacity)) {
      const info = batchInfo(batch.statement, batch.first);
      infos.push(info);
      const file: ZkBatchFile = {
        roundId: witness.roundId,
        index: batch.index,
        leaves: digestToHex(batch.statement.leaves),
      };
      const jsonPath = join(out, batchFileName(batch.index, 'json'));
      const proofPath = join(out, batchFileName(batch.index, 'stark'));
      if (existsSync(proofPath) && existsSync(jsonPath) && readFileSync(jsonPath, 'utf8') === JSON.stringify(file)) {
        done++;
        skipped++;
        report();
        continue;
      }
      writeAtomic(jsonPath, JSON.stringify(file));
      const job: BatchJob = {
        roundId: witness.roundId,
        index: batch.index,
        statement: batch.statement,
        trace: batch.trace,
        options,
      };
      const proving = (
        pool !== undefined
          ? pool
              .prove({
                air: {
                  module: AIR_MODULE,
                  name: SOLVENCY_AIR,
                  rows: batch.trace[0]?.length as number,
                  publicInputs: Array.from(statementPublicInputs(batch.statement)),
                },
                trace: batch.trace,
                options,
              })
              .then((r) => r.proof)
          : (o.proveBatch as (job: BatchJob) => Promise<Uint8Array>)(job)
      ).then(
        (proof) => {
          writeAtomic(proofPath, proof);
          done++;
          proven++;
          report();
        },
        (error: unknown) => {
          failure ??= { error };
        },
      );
      // Tracked settled-only, so a second failure while the first is reported is not unhandled.
      running.add(proving);
      void proving.finally(() => running.delete(proving));
      while (running.size >= limit && failure === undefined) await Promise.race(running);
      if (failure !== undefined) break;
    }
    await Promise.all(running);
    if (failure !== undefined) throw failure.error;
  } finally {
    await pool?.close();
  }
  const statement: ZkStatement = {
    version: ZK_STATEMENT_VERSION,
    air: SOLVENCY_AIR,
    roundId: witness.roundId,
    assets: witness.assets,
    users: witness.users.length,
    capacity,
    options,
    batches: infos,
    commitment: digestToHex(roundCommitment(infos, capacity, shape.slots)),
    totals: roundTotals(infos, witness.assets.length, shape.slots).map(String),
  };
  checkStatement(statement);
  writeAtomic(join(zkDir(o.dir), 'statement.json'), `${JSON.stringify(statement, null, 2)}\n`);
  return statement;
}

/**
 * A user's `por-proof/v2` from the round's zero-knowledge output: the leaf path inside the batch
 * and the batch's path to C. Reads the batch's published leaves.
 */
export function zkInclusionProof(dir: string, userId: string): ZkInclusionProof {
  const statement = JSON.parse(readFileSync(join(zkDir(dir), 'statement.json'), 'utf8')) as ZkStatement;
  const reader = RoundReader.open(dir);
  let w: ReturnType<RoundReader['witness']>;
  try {
    w = reader.witness(userId);
  } finally {
    reader.close();
  }
  if (w === undefined) {
    throw new BaseError('NOT_FOUND', 'no such user in this round', { details: { roundId: statement.roundId } });
  }
  const position = w.position;
  const batch = statement.batches.find((b) => position >= b.first && position < b.first + b.users);
  if (batch === undefined)
    throw new BaseError('POR_INVALID_INPUT', 'the zero-knowledge statement does not cover the user');
  const file = JSON.parse(
    readFileSync(join(zkDir(dir), 'batches', batchFileName(batch.index, 'json')), 'utf8'),
  ) as ZkBatchFile;
  const shape = leafShape(statement.assets.length);
  const all = hexToElements(file.leaves, 8 * statement.capacity, 'the batch leaves');
  const leafElements = Array.from({ length: statement.capacity }, (_, u) => all.subarray(8 * u, 8 * u + 8));
  const slot = position - batch.first;
  const leafLevels = merkleLevels(leafElements);
  const batchLevels = merkleLevels(
    padToPowerOfTwo(statement.batches.map((b) => batchNode(b, statement.capacity, shape.slots))),
  );
  return {
    version: ZK_PROOF_VERSION,
    roundId: statement.roundId,
    userId,
    salt: w.salt.toString('hex'),
    assets: statement.assets,
    balances: w.balances.map((b, i) => Decimal.fromUnits(b, (statement.assets[i] as AssetSpec).scale).toString()),
    position,
    batch: batch.index,
    slot,
    leafPath: merklePath(leafLevels, slot).map(digestToHex),
    batchSums: digestToHex(batchSumsDigest(batch, statement.capacity, shape.slots)),
    batchPath: merklePath(batchLevels, batch.index).map(digestToHex),
    commitment: statement.commitment,
  };
}
