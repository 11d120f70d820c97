/**
 * The zero-knowledge round at a small size (300 users × 3 assets, batches of capacity 128):
 * proven on two worker threads and verified — every batch proof, C, T_a against the signed root's
 * liabilities, a user's `por-proof/v2`. Then every refusal: the honest prover refuses a negative
 * balance, a balance ≥ 2^64 and a batch whose sums could wrap, each with its typed reason; a test
 * cheating prover that skips those checks makes proofs the verifier rejects with a named reason;
 * an altered batch sum, a batch from another round, a user left out of C, two users pointed at one
 * leaf and a tampered path are each refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseError } from '@custos/core';
import { encodeProof, field as F, prove } from '@custos/stark';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLiabilitiesTree } from '../build.js';
import { writeSnapshot } from '../testing/snapshot.js';
import { ZK_TEST_OPTIONS } from '../testing/zk.js';
import { solvencyAir } from './air.js';
import { hashToElements, leafShape, roundTag } from './leaf.js';
import { batchFileName, proveRound, readRoundWitness, zkDir, zkInclusionProof } from './prove.js';
import {
  batchNode,
  checkStatement,
  planBatches,
  roundCapacity,
  roundCommitment,
  roundTotals,
  verifyBatch,
  verifyZkInclusion,
  type ZkBatchFile,
  type ZkStatement,
  ZkVerifyError,
} from './round.js';
import { batchTrace, traceFromLimbs } from './trace.js';

const SEED = new Uint8Array(32).fill(7);
const FAST = ZK_TEST_OPTIONS;
let dir: string;
let round: string;
let statement: ZkStatement;
let sample: string[];

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (error instanceof ZkVerifyError) return error.reason;
    if (error instanceof BaseError) return `${error.code}:${String(error.details.reason)}`;
    throw error;
  }
  return 'accepted';
}

const readBatch = (root: string, index: number) => ({
  file: JSON.parse(readFileSync(join(zkDir(root), 'batches', batchFileName(index, 'json')), 'utf8')) as ZkBatchFile,
  proof: new Uint8Array(readFileSync(join(zkDir(root), 'batches', batchFileName(index, 'stark')))),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-zk-'));
  const input = join(dir, 'snapshot.csv');
  const generated = await writeSnapshot(input, { users: 300, assets: 3, seed: 11, samples: 5 });
  sample = generated.sampleIds;
  round = join(dir, 'round');
  buildLiabilitiesTree({
    input,
    out: round,
    signingSeed: SEED,
    roundId: 'zk-1',
    snapshotTime: '2026-11-30T23:59:59.000Z',
  });
  statement = await proveRound({ dir: round, capacity: 128, workers: 2, options: FAST });
}, 240_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a zero-knowledge round (300 users × 3 assets, capacity 128)', () => {
  it('splits the users into near-equal batches and proves every one; C and T_a recompute', () => {
    expect(statement.batches.map((b) => b.users)).toEqual([100, 100, 100]);
    const root = JSON.parse(readFileSync(join(round, 'root.json'), 'utf8')) as { liabilities: { total: string }[] };
    expect(root).toBeDefined();
    const build = JSON.parse(readFileSync(join(round, 'build.json'), 'utf8')) as { totals: string[] };
    checkStatement(statement, build.totals);
    expect(statement.totals).toEqual(build.totals);
    for (const info of statement.batches) {
      const { file, proof } = readBatch(round, info.index);
      const result = verifyBatch(statement, info, file, proof, 100);
      expect(result.securityBits?.conjectured).toBeGreaterThanOrEqual(100);
    }
  });

  it("verifies a user's por-proof/v2 (hashes only) and refuses a tampered path", () => {
    const proof = zkInclusionProof(round, sample[1] as string);
    expect(proof.version).toBe('por-proof/v2');
    expect(JSON.stringify(proof)).not.toMatch(/sums"?:\s*\[/);
    expect(verifyZkInclusion(proof, statement).userId).toBe(sample[1]);
    const tampered = structuredClone(proof);
    tampered.leafPath[2] = `${(tampered.leafPath[2] as string).slice(0, 63)}${(tampered.leafPath[2] as string).endsWith('0') ? '1' : '0'}`;
    expect(reasonOf(() => verifyZkInclusion(tampered, statement))).toBe('path');
    const richer = structuredClone(proof);
    richer.balances[0] = `${richer.balances[0]}1`;
    expect(reasonOf(() => verifyZkInclusion(richer, statement))).toMatch(/^(path|malformed)$/);
  });

  it('catches a user left out of C, and two users pointed at one leaf, by their own check', async () => {
    const left = sample[2] as string;
    const other = sample[3] as string;
    const honest = zkInclusionProof(round, left);
    const witness = readRoundWitness(round);
    // The cheating exchange drops the user and proves the rest.
    const cheatDir = join(dir, 'cheat');
    rmSync(cheatDir, { recursive: true, force: true });
    const { cpSync } = await import('node:fs');
    cpSync(round, cheatDir, { recursive: true });
    rmSync(zkDir(cheatDir), { recursive: true, force: true });
    const dropped = { ...witness, users: witness.users.filter((_, i) => i !== honest.position) };
    const cheat = await proveRound({ dir: cheatDir, capacity: 128, workers: 2, options: FAST, witness: dropped });
    // The user checks their leaf against the published (cheating) C: no path leads there.
    expect(reasonOf(() => verifyZkInclusion({ ...honest, commitment: cheat.commitment }))).toBe('path');
    // Or the exchange hands the user another user's leaf position and paths.
    const theirs = zkInclusionProof(round, other);
    const pointed = {
      ...honest,
      position: theirs.position,
      batch: theirs.batch,
      slot: theirs.slot,
      leafPath: theirs.leafPath,
      batchSums: theirs.batchSums,
      batchPath: theirs.batchPath,
    };
    expect(reasonOf(() => verifyZkInclusion(pointed, statement))).toBe('path');
  }, 240_000);

  it('refuses an altered batch sum even with C and T_a recomputed to match', () => {
    const shape = leafShape(statement.assets.length);
    const altered = structuredClone(statement);
    const info = altered.batches[1] as ZkStatement['batches'][number];
    const first = Number.parseInt(info.limbSums.slice(0, 8), 16) + 1;
    info.limbSums = `${first.toString(16).padStart(8, '0')}${info.limbSums.slice(8)}`;
    expect(reasonOf(() => checkStatement(altered))).toBe('commitment-mismatch');
    altered.commitment = Array.from(roundCommitment(altered.batches, altered.capacity, shape.slots), (v) =>
      v.toString(16).padStart(8, '0'),
    ).join('');
    altered.totals = roundTotals(altered.batches, altered.assets.length, shape.slots).map(String);
    expect(() => checkStatement(altered)).not.toThrow();
    const { file, proof } = readBatch(round, 1);
    expect(reasonOf(() => verifyBatch(altered, info, file, proof))).toBe('batch-proof:ood-constraints');
    void batchNode;
  });

  it('refuses a batch proof from another round', async () => {
    const otherDir = join(dir, 'other');
    const input = join(dir, 'snapshot.csv');
    buildLiabilitiesTree({
      input,
      out: otherDir,
      signingSeed: SEED,
      roundId: 'zk-2',
      snapshotTime: '2026-11-30T23:59:59.000Z',
    });
    await proveRound({ dir: otherDir, capacity: 128, workers: 2, options: FAST });
    const info = statement.batches[0] as ZkStatement['batches'][number];
    const foreign = readBatch(otherDir, 0);
    expect(reasonOf(() => verifyBatch(statement, info, foreign.file, foreign.proof))).toBe('wrong-round');
    // Relabelled as this round's, the leaves (and so the root) and the proof's statement differ.
    const own = readBatch(round, 0);
    expect(reasonOf(() => verifyBatch(statement, info, own.file, foreign.proof))).toBe('batch-proof:ood-constraints');
    expect(reasonOf(() => verifyBatch(statement, info, { ...foreign.file, roundId: 'zk-1' }, foreign.proof))).toBe(
      'batch-root',
    );
  }, 240_000);
});

describe('the batch prover refuses what the AIR forbids; a cheating prover is caught', () => {
  const assets = 2;
  const capacity = 128;
  const tag = roundTag('zk-cheat');
  const users = Array.from({ length: 100 }, (_, i) => ({
    id: Uint32Array.from({ length: 8 }, (_, k) => (i * 31 + k * 7 + 1) % F.P),
    balances: [BigInt(i) * 1_000_003n, (1n << 63n) + BigInt(i)],
  }));

  it('refuses a negative balance, a balance ≥ 2^64 and a capacity whose sums could wrap, each by reason', () => {
    const input = { assets, capacity, batch: 0, roundTag: tag };
    const negative = users.map((u, i) => (i === 5 ? { ...u, balances: [-1n, 0n] } : u));
    expect(reasonOf(() => batchTrace(negative, input))).toBe('POR_INVALID_INPUT:negative-balance');
    const huge = users.map((u, i) => (i === 7 ? { ...u, balances: [0n, 1n << 64n] } : u));
    expect(reasonOf(() => batchTrace(huge, input))).toBe('POR_INVALID_INPUT:balance-too-large');
    expect(reasonOf(() => batchTrace(users, { ...input, capacity: 2 ** 15 }))).toBe('POR_INVALID_INPUT:sum-may-wrap');
  });

  /** The cheating prover: lays out limbs no balance has and proves without the honest checks. */
  function cheat(limb: number): { statement: ReturnType<typeof traceFromLimbs>['statement']; proof: Uint8Array } {
    const shape = leafShape(assets);
    const limbs = users.map((u) => {
      const out = new Uint32Array(shape.slots);
      const b0 = u.balances[0] as bigint;
      const b1 = u.balances[1] as bigint;
      for (let k = 0; k < 4; k++) {
        out[k] = Number((b0 >> BigInt(16 * k)) & 0xffffn);
        out[4 + k] = Number((b1 >> BigInt(16 * k)) & 0xffffn);
      }
      return out;
    });
    (limbs[3] as Uint32Array)[1] = limb;
    const { trace, statement } = traceFromLimbs(
      users.map((u) => u.id),
      limbs,
      { assets, capacity, batch: 0, roundTag: tag },
    );
    const proof = encodeProof(prove({ air: solvencyAir(statement), trace, options: FAST, unsafeSkipChecks: true }));
    return { statement, proof };
  }

  it('a negative balance (a limb of p − 1) and one ≥ 2^64 (a limb of 2^16) are rejected by the verifier', async () => {
    const { verifyBytes } = await import('@custos/stark/verifier');
    for (const limb of [F.P - 1, 0x10000]) {
      const { statement, proof } = cheat(limb);
      const result = verifyBytes({ air: solvencyAir(statement), bytes: proof, minSecurityBits: 90 });
      expect(result).toMatchObject({ valid: false, reason: 'ood-constraints' });
    }
    // The same cheating path with honest limbs verifies: the rejection is the limb's.
    const honest = cheat(12345);
    expect(verifyBytes({ air: solvencyAir(honest.statement), bytes: honest.proof, minSecurityBits: 90 }).valid).toBe(
      true,
    );
  }, 120_000);

  it('an altered batch sum: the honest prover refuses the trace; a cheating proof of it is rejected', async () => {
    const { verifyBytes } = await import('@custos/stark/verifier');
    const input = { assets, capacity, batch: 0, roundTag: tag };
    const alter = (s: ReturnType<typeof batchTrace>['statement']) => {
      const limbSums = s.limbSums.slice();
      limbSums[2] = F.add(limbSums[2] as number, 1);
      return { ...s, limbSums };
    };
    const honest = batchTrace(users, input);
    expect(() => prove({ air: solvencyAir(alter(honest.statement)), trace: honest.trace, options: FAST })).toThrow(
      /does not satisfy the AIR \(last-row\)/,
    );
    const cheating = batchTrace(users, input);
    const altered = alter(cheating.statement);
    const proof = encodeProof(
      prove({ air: solvencyAir(altered), trace: cheating.trace, options: FAST, unsafeSkipChecks: true }),
    );
    expect(verifyBytes({ air: solvencyAir(altered), bytes: proof, minSecurityBits: 90 })).toMatchObject({
      valid: false,
      reason: 'ood-constraints',
    });
  }, 120_000);

  it('a batch statement whose sums could wrap is refused before any proof is read', () => {
    const statement: ZkStatement = {
      version: 'por-zk/v1',
      air: 'custos/por-solvency/v1',
      roundId: 'zk-cheat',
      assets: [
        { symbol: 'A', scale: 0 },
        { symbol: 'B', scale: 0 },
      ],
      users: 2 ** 15,
      capacity: 2 ** 15,
      options: FAST,
      batches: [{ index: 0, first: 0, users: 2 ** 15, root: '0'.repeat(64), limbSums: '0'.repeat(64) }],
      commitment: '0'.repeat(64),
      totals: ['0', '0'],
    };
    expect(reasonOf(() => checkStatement(statement))).toBe('statement:sum-may-wrap');
    void hashToElements;
    void writeFileSync;
  });
});

describe('batch planning', () => {
  it('splits into near-equal batches of at least half the capacity, and fits a small round in one', () => {
    expect(planBatches(2_049, 1_024)).toEqual([683, 683, 683]);
    expect(planBatches(10_000, 1_024)).toEqual(Array(10).fill(1_000));
    expect(planBatches(1_025, 1_024)).toEqual([513, 512]);
    expect(roundCapacity(10, 22, 1_024)).toBe(16);
    expect(roundCapacity(300, 3, 128)).toBe(128);
    expect(roundCapacity(5_000, 22, 1_024)).toBe(1_024);
    expect(roundCapacity(100, 1, 1_024)).toBe(128);
    expect(planBatches(10, 16)).toEqual([10]);
    expect(reasonOf(() => roundCapacity(100, 3, 1_000))).toBe('POR_INVALID_INPUT:capacity');
    expect(reasonOf(() => roundCapacity(100, 3, 2 ** 15))).toBe('POR_INVALID_INPUT:capacity');
  });
});
