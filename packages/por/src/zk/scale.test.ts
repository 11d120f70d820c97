/**
 * The zero-knowledge round at the size the proof of reserves must handle in CI: 10,000 users × 22
 * assets, built into a signed liabilities round, proven in batches of 1,024 on two worker threads
 * with the round's default options, and verified — the statement (C and T_a recomputed, T_a equal
 * to the round's liabilities totals and to the snapshot's independently summed totals), every
 * batch proof at ≥ 100 conjectured bits, and sampled users' por-proof/v2.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLiabilitiesTree } from '../build.js';
import { writeSnapshot } from '../testing/snapshot.js';
import { batchFileName, proveRound, zkDir, zkInclusionProof } from './prove.js';
import { checkStatement, verifyBatch, verifyZkInclusion, type ZkBatchFile } from './round.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-zk-scale-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a zero-knowledge round of 10,000 users × 22 assets', () => {
  it('is proven in 10 batches of 1,000 on two workers and verified in full', async () => {
    const input = join(dir, 'snapshot.csv');
    const snapshot = await writeSnapshot(input, { users: 10_000, assets: 22, seed: 22, samples: 4 });
    const round = join(dir, 'round');
    buildLiabilitiesTree({
      input,
      out: round,
      signingSeed: new Uint8Array(32).fill(3),
      roundId: 'scale-1',
      snapshotTime: '2026-11-30T23:59:59.000Z',
    });
    const progress: number[] = [];
    const statement = await proveRound({ dir: round, workers: 2, onProgress: (p) => progress.push(p.done) });
    expect(statement.capacity).toBe(1024);
    expect(statement.batches.map((b) => b.users)).toEqual(Array(10).fill(1000));
    expect(progress.at(-1)).toBe(10);

    const build = JSON.parse(readFileSync(join(round, 'build.json'), 'utf8')) as { totals: string[] };
    checkStatement(statement, build.totals);
    expect(statement.totals).toEqual(snapshot.totals.map(String));

    for (const info of statement.batches) {
      const file = JSON.parse(
        readFileSync(join(zkDir(round), 'batches', batchFileName(info.index, 'json')), 'utf8'),
      ) as ZkBatchFile;
      const proof = new Uint8Array(readFileSync(join(zkDir(round), 'batches', batchFileName(info.index, 'stark'))));
      const checked = verifyBatch(statement, info, file, proof, 100);
      expect(checked.securityBits?.conjectured).toBeGreaterThanOrEqual(100);
    }
    for (const userId of snapshot.sampleIds) {
      expect(verifyZkInclusion(zkInclusionProof(round, userId), statement).userId).toBe(userId);
    }
  }, 900_000);
});
