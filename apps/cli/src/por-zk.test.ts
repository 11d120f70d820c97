/**
 * The zero-knowledge round from the shell: a round of 2,048 users × 2 assets (batch capacity 256:
 * 8 batches) is built twice from one snapshot with one signing key and round id, so the leaves are
 * identical; one copy is proven by a single `custos por prove`, the other through the PostgreSQL
 * queue by three `custos por worker` processes, one of them killed (SIGKILL) mid-batch. Both give
 * the same C, batch roots, batch sums and T_a; every proof verifies (`custos por verify-zk`); every
 * batch is proven exactly once but the killed worker's, which another worker proves once more;
 * running the coordinator again proves nothing. `verify-zk` works on the published files alone
 * and refuses a tampered batch proof (exit 1, with the reason); bad input exits 2 with one line.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@custos/db/testing';
import type { ZkStatement } from '@custos/por';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeSnapshot } from '../../../packages/por/src/testing/snapshot.js';
import { queueRoundState } from '../../../packages/por/src/zk/queue.js';
import { finished, interrupt, run, start } from './testing/run.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-por-zk-cli-'));
const keyFile = join(dir, 'signing.key');
const SEED_HEX = '5a'.repeat(32);
const PUBKEY = Buffer.from(ed25519.getPublicKey(Buffer.from(SEED_HEX, 'hex'))).toString('hex');
const input = join(dir, 'liabilities.csv');
const ROUND_ID = '2026-12-zk';
const A = join(dir, 'a');
const B = join(dir, 'b');
let users: string[] = [];
let databaseUrl: string;
let dropDatabase: (() => Promise<void>) | undefined;

const build = (out: string) =>
  run([
    'por',
    'build',
    '--liabilities',
    input,
    '--out',
    out,
    '--signing-key',
    keyFile,
    '--round-id',
    ROUND_ID,
    '--snapshot-time',
    '2026-12-31T00:00:00Z',
  ]);

const statementOf = (round: string) =>
  JSON.parse(readFileSync(join(round, 'zk', 'statement.json'), 'utf8')) as ZkStatement;

beforeAll(async () => {
  writeFileSync(keyFile, `${SEED_HEX}\n`, { mode: 0o600 });
  users = (await writeSnapshot(input, { users: 2048, assets: 2, seed: 21, samples: 4 })).sampleIds;
  const database = await createTestDatabase(inject('postgresUrl'));
  databaseUrl = database.url;
  dropDatabase = database.drop;
  const built = await Promise.all([build(A), build(B)]);
  for (const b of built) expect(b.code, b.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await dropDatabase?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('custos por prove, worker, verify-zk (2,048 users × 2 assets, capacity 256: 8 batches)', () => {
  it('one process and the queue (3 workers, one SIGKILLed mid-batch) give the same C, roots, sums and T_a; each batch proven once', async () => {
    const single = await run(['--json', 'por', 'prove', '--round', A, '--capacity', '256', '--workers', '2']);
    expect(single.code, single.stderr).toBe(0);
    expect(JSON.parse(single.stdout)).toMatchObject({ batches: 8, proven: 8, skipped: 0 });

    const coordinator = start([
      '--json',
      'por',
      'prove',
      '--round',
      B,
      '--capacity',
      '256',
      '--database-url',
      databaseUrl,
      '--workers',
      '0',
      '--lease-seconds',
      '6',
      '--metrics-port',
      '0',
    ]);
    const coordinated = finished(coordinator);
    let coordinatorErr = '';
    coordinator.stderr?.on('data', (d: Buffer) => {
      coordinatorErr += d.toString();
    });
    const workers = ['w1', 'w2', 'w3'].map((id) => {
      const child = start(['por', 'worker', '--database-url', databaseUrl, '--id', id, '--threads', '1']);
      return { id, child, done: finished(child), err: '' };
    });
    // The first worker to start a batch is killed while it proves it.
    let chosen = false;
    const killed = await new Promise<{ id: string; batch: number }>((resolve, reject) => {
      for (const w of workers) {
        w.child.stderr?.on('data', (d: Buffer) => {
          w.err += d.toString();
          const m = /^worker \S+: batch (\d+) of round \S+: started/m.exec(w.err);
          if (m !== null && !chosen) {
            chosen = true;
            w.child.kill('SIGKILL');
            resolve({ id: w.id, batch: Number(m[1]) });
          }
        });
      }
      void coordinated.then((r) => reject(new Error(`the coordinator ended before a batch started: ${r.stderr}`)));
    });
    // The coordinator's progress, as Prometheus text.
    const metricsLine = /metrics at http:\/\/0\.0\.0\.0:(\d+)\/metrics/;
    for (let i = 0; i < 100 && !metricsLine.test(coordinatorErr); i++) await new Promise((r) => setTimeout(r, 50));
    const port = Number(metricsLine.exec(coordinatorErr)?.[1]);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^custos_por_zk_batches_total\\{round="${ROUND_ID}"\\} 8$`, 'm'));
    expect(metrics).toMatch(/^custos_por_zk_eta_seconds\{round="[^"]+"\} /m);

    const result = await coordinated;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ batches: 8, proven: 8, queue: { queued: 8, found: 0 } });
    expect(result.stderr).toMatch(/8\/8 batches/);
    const survivors = workers.filter((w) => w.id !== killed.id);
    const stopped = await Promise.all(survivors.map((w) => interrupt(w.child, w.done, 'SIGTERM')));
    for (const s of stopped) expect(s.code, s.stderr).toBe(0);
    expect((await workers.find((w) => w.id === killed.id)?.done)?.signal).toBe('SIGKILL');

    // The same public outputs: C, every batch's root and sums, T_a (and the leaves themselves).
    const a = statementOf(A);
    const b = statementOf(B);
    expect(b.commitment).toBe(a.commitment);
    expect(b.totals).toEqual(a.totals);
    expect(b.batches).toEqual(a.batches);
    for (let i = 0; i < 8; i++) {
      const name = `${String(i).padStart(6, '0')}.json`;
      expect(readFileSync(join(B, 'zk', 'batches', name), 'utf8')).toBe(
        readFileSync(join(A, 'zk', 'batches', name), 'utf8'),
      );
    }
    const verified = await Promise.all([A, B].map((round) => run(['--json', 'por', 'verify-zk', '--round', round])));
    for (const v of verified) {
      expect(v.code, v.stdout).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ valid: true, reason: null, batchesChecked: 8 });
    }

    // Every batch has exactly one stored proving run; the killed batch one more that never ended,
    // by the killed worker; no run of a batch began after its proof was stored.
    const state = await queueRoundState({ databaseUrl, roundId: ROUND_ID });
    expect(state.proofs.map((p) => p.batch)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(state.runs).toHaveLength(9);
    for (let i = 0; i < 8; i++) {
      const runs = state.runs.filter((r) => r.batch === i);
      expect(runs.filter((r) => r.outcome === 'stored')).toHaveLength(1);
      const proof = state.proofs.find((p) => p.batch === i);
      for (const r of runs) expect(r.startedAt.getTime()).toBeLessThanOrEqual(proof?.provenAt.getTime() ?? 0);
    }
    const again = state.runs.filter((r) => r.batch === killed.batch);
    expect(again).toHaveLength(2);
    expect(again[0]).toMatchObject({ worker: killed.id, outcome: null, finishedAt: null });
    expect(again[1]).toMatchObject({ outcome: 'stored' });
    expect(again[1]?.worker).not.toBe(killed.id);
    expect(state.proofs.find((p) => p.batch === killed.batch)?.worker).toBe(again[1]?.worker);
    // The workers' own logs say the same: 8 proofs, none by the killed worker.
    const proven = survivors.flatMap((w) => w.err.match(/: proven in /g) ?? []);
    expect(proven).toHaveLength(8);
    expect(workers.find((w) => w.id === killed.id)?.err).not.toMatch(/proven in/);

    // The coordinator again: nothing to prove (the proofs are on disk)…
    const queueArgs = ['--capacity', '256', '--database-url', databaseUrl, '--workers', '0'];
    const rerun = await run(['--json', 'por', 'prove', '--round', B, ...queueArgs]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ proven: 0, skipped: 8, queue: { queued: 0, found: 0 } });
    // …and with the proof files gone, every proof comes from the database: nothing is queued.
    for (const f of readdirSync(join(B, 'zk', 'batches'))) {
      if (f.endsWith('.stark')) rmSync(join(B, 'zk', 'batches', f));
    }
    const fromDb = await run(['--json', 'por', 'prove', '--round', B, ...queueArgs]);
    expect(fromDb.code, fromDb.stderr).toBe(0);
    expect(JSON.parse(fromDb.stdout)).toMatchObject({ proven: 0, queue: { queued: 0, found: 8 } });
    expect(statementOf(B).commitment).toBe(a.commitment);
    expect((await queueRoundState({ databaseUrl, roundId: ROUND_ID })).runs).toHaveLength(9);
  }, 150_000);

  it("verify-zk on the published files alone, with a user's por-proof/v2; a tampered batch proof exits 1 with the reason", async () => {
    // The publication bundle holds the signed root, the statement and every batch's files.
    const published = join(dir, 'published');
    const bundled = await run([
      'por',
      'bundle',
      '--round',
      A,
      '--out',
      published,
      '--pubkey',
      PUBKEY,
      '--zk-sample',
      '2',
    ]);
    expect(bundled.code, bundled.stderr).toBe(0);
    const bundle = JSON.parse(bundled.stdout) as { files: string[] };
    expect(bundle.files).toEqual(expect.arrayContaining(['root.json', 'zk/statement.json', 'zk/batches/000000.stark']));
    expect(readFileSync(join(published, 'index.html'), 'utf8')).toContain('"sample":2');
    const userProof = join(dir, 'user.json');
    const extracted = await run(['por', 'proof-zk', '--round', A, '--user', users[1] as string, '--out', userProof]);
    expect(extracted.code, extracted.stderr).toBe(0);
    expect(JSON.parse(readFileSync(userProof, 'utf8'))).toMatchObject({ version: 'por-proof/v2', userId: users[1] });

    const other = Buffer.from(ed25519.getPublicKey(new Uint8Array(32).fill(3))).toString('hex');
    const [ok, sampled, wrongKey] = await Promise.all([
      run(['--json', 'por', 'verify-zk', '--round', published, '--user-proof', userProof, '--pubkey', PUBKEY]),
      run(['--json', 'por', 'verify-zk', '--round', published, '--sample', '3']),
      run(['--json', 'por', 'verify-zk', '--round', published, '--pubkey', other]),
    ]);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stderr).toBe('');
    expect(sampled.stderr).toMatch(/^custos: signer not pinned/);
    expect(wrongKey.code).toBe(1);
    expect(JSON.parse(wrongKey.stdout)).toMatchObject({ valid: false, reason: 'wrong-signer', batchesChecked: 0 });
    const report = JSON.parse(ok.stdout) as { securityBits: { conjectured: number; proven: number } };
    expect(report).toMatchObject({ valid: true, batchesChecked: 8, liabilities: 'root.json', userId: users[1] });
    expect(report.securityBits.conjectured).toBeGreaterThanOrEqual(100);
    expect(JSON.parse(sampled.stdout)).toMatchObject({ valid: true, batchesChecked: 3 });

    const proofFile = join(published, 'zk', 'batches', '000003.stark');
    const bytes = readFileSync(proofFile);
    bytes[bytes.length - 64] = (bytes[bytes.length - 64] as number) ^ 0x10;
    writeFileSync(proofFile, bytes);
    const tampered = await run(['--json', 'por', 'verify-zk', '--round', published]);
    expect(tampered.code).toBe(1);
    const refused = JSON.parse(tampered.stdout) as { valid: boolean; reason: string; batchesChecked: number };
    expect(refused).toMatchObject({ valid: false, batchesChecked: 3 });
    expect(refused.reason).toMatch(/^(batch-proof:[a-z-]+|malformed)$/);
    const said = await run(['por', 'verify-zk', '--round', published]);
    expect(said.code).toBe(1);
    expect(said.stdout).toMatch(/^rejected: (batch-proof:[a-z-]+|malformed): /);

    const statement = statementOf(published);
    statement.totals[0] = String(BigInt(statement.totals[0] as string) + 1n);
    writeFileSync(join(published, 'zk', 'statement.json'), JSON.stringify(statement));
    const inflated = await run(['--json', 'por', 'verify-zk', '--round', published]);
    expect(inflated.code).toBe(1);
    expect(JSON.parse(inflated.stdout)).toMatchObject({ valid: false, reason: 'totals-mismatch' });
  }, 60_000);

  it('bad input exits 2 with one line', async () => {
    const cases: [string[], RegExp][] = [
      [['por', 'prove', '--round', A, '--capacity', '100'], /^custos: --capacity must be a power of two\n$/],
      [['por', 'prove', '--round', A, '--database-url', 'http://x'], /^custos: --database-url must be a postgres/],
      [['por', 'prove', '--round', join(dir, 'nothing')], /^custos: --round .* holds no round\n$/],
      [
        ['por', 'worker', '--database-url', 'postgres://postgres@127.0.0.1:1/x'],
        /^custos: cannot open the proving queue\n$/,
      ],
      [['por', 'verify-zk', '--round', join(dir, 'nothing')], /^custos: .* holds no zero-knowledge statement/],
      [['por', 'proof-zk', '--round', A, '--user', 'nobody'], /^custos: no such user in this round\n$/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    for (const [i, r] of results.entries()) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch((cases[i] as [string[], RegExp])[1]);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  }, 60_000);
});
