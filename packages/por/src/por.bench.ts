/**
 * `npm run bench por [-- --size N]`: the liabilities tree at scale. `por-build` (1,000,000 users ×
 * 22 assets by default; `--size` sets the users, and a size other than 1 M names the suite
 * `por-build-<N>`) times parsing the snapshot alone (the baseline: the cost of reading the input)
 * against the whole streaming build — leaves, the keyed shuffle, every level, the signed root —
 * and records the tree's disk use and the process's peak RSS in `bench/results/<suite>-footprint.json`.
 * `por-proof` times, per 1,000 users of a built round, reading their level-0 entries (the
 * baseline: the I/O a proof cannot avoid), extracting their proofs, and verifying them with the
 * browser verifier (noble SHA-256; the Ed25519 root signature checked once per round). The snapshot is generated
 * (`testing/snapshot.ts`), so every machine builds the same one.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchSuite, defineBench } from '@custos/core/bench';
import { buildLiabilitiesTree, entryBytes, levelPath } from './build.js';
import { RoundReader } from './proof.js';
import type { RootFile } from './root.js';
import { readSnapshotHeader, readSnapshotRows } from './snapshot.js';
import { writeSnapshot } from './testing/snapshot.js';
import { type VerifiedRoot, verifyInclusionProof, verifyRoot } from './verify.js';

const smoke = process.argv.includes('--smoke') || process.argv.includes('--smoke-if-ci');
const users = smoke ? 2_000 : Number(process.env.CUSTOS_BENCH_SIZE ?? 1_000_000);
if (!Number.isSafeInteger(users) || users < 2) throw new Error('the por bench needs at least 2 users');
const ASSETS = 22;
const PROOFS = smoke ? 50 : 1_000;
const label =
  users === 1_000_000 ? '' : `-${users >= 1_000_000 && users % 1_000_000 === 0 ? `${users / 1_000_000}m` : users}`;
const resultsDir = new URL('../../../bench/results/', import.meta.url).pathname;
const SEED = new Uint8Array(32).fill(21);

interface Prepared {
  dir: string;
  input: string;
  ids: string[];
  generateMs: number;
}

let prepared: Promise<Prepared> | undefined;
/** The last timed build: its footprint is recorded, and the proof suite reads it. */
let lastBuild: { result: ReturnType<typeof buildLiabilitiesTree>; dir: string } | undefined;

/** Generates the snapshot once for every case of the run (not timed). */
function prepare(): Promise<Prepared> {
  prepared ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-por-bench-'));
    const input = join(dir, 'liabilities.csv');
    const t0 = performance.now();
    const snapshot = await writeSnapshot(input, { users, assets: ASSETS, seed: 42, samples: PROOFS });
    const generateMs = performance.now() - t0;
    process.stderr.write(`  snapshot: ${users} users × ${ASSETS} assets generated in ${Math.round(generateMs)} ms\n`);
    return { dir, input, ids: snapshot.sampleIds.slice(0, PROOFS), generateMs };
  })();
  return prepared;
}

function build(p: Prepared, out: string) {
  rmSync(out, { recursive: true, force: true });
  return buildLiabilitiesTree({
    input: p.input,
    out,
    signingSeed: SEED,
    roundId: 'bench',
    snapshotTime: '2026-11-30T00:00:00Z',
  });
}

const buildSuite = defineBench({
  name: `por-build${label}`,
  description: `A liabilities sum tree of ${users.toLocaleString('en')} users × ${ASSETS} assets from a CSV snapshot, built streaming to disk; the baseline parses the snapshot alone.`,
  baseline: 'parse snapshot only',
  size: { full: users, smoke: users },
  unit: 'user',
  samples: { warmups: 0, min: users >= 5_000_000 ? 1 : 3, budgetMs: 0 },
  cases: [
    {
      name: 'parse snapshot only',
      setup: () => prepare(),
      run: (p: Prepared) => {
        const header = readSnapshotHeader(p.input);
        let rows = 0;
        for (const batch of readSnapshotRows(p.input, header, header.dataOffset, header.firstDataLine))
          rows += batch.userIds.length;
        if (rows !== users) throw new Error(`parsed ${rows} rows, expected ${users}`);
      },
    },
    {
      name: 'build tree (streaming)',
      setup: () => prepare(),
      run: (p: Prepared) => {
        const result = build(p, join(p.dir, 'round'));
        if (result.users !== users) throw new Error('the build lost users');
        lastBuild = { result, dir: join(p.dir, 'round') };
      },
      teardown: (p: Prepared) => {
        // The footprint of the last build, and the process's peak RSS over every run (an upper bound).
        if (lastBuild === undefined) return;
        const { result } = lastBuild;
        const report = {
          date: new Date().toISOString(),
          command: `npm run bench por${users === 1_000_000 ? '' : ` -- --size ${users}`}`,
          machine: { cpu: cpus()[0]?.model.trim(), cores: cpus().length },
          users,
          assets: ASSETS,
          snapshotGenerateMs: Math.round(p.generateMs),
          treeBytes: result.treeBytes,
          treeBytesPerUser: Number((result.treeBytes / users).toFixed(1)),
          peakRssBytes: process.resourceUsage().maxRSS * 1024,
          height: result.root.height,
        };
        process.stderr.write(`  footprint: ${JSON.stringify(report)}\n`);
        if (!smoke) {
          mkdirSync(resultsDir, { recursive: true });
          writeFileSync(join(resultsDir, `por-build${label}-footprint.json`), `${JSON.stringify(report, null, 2)}\n`);
        }
      },
    },
  ],
});

interface Round {
  reader: RoundReader;
  root: RootFile;
  ids: string[];
  dir: string;
}

let round: Promise<Round> | undefined;

function openRound(): Promise<Round> {
  round ??= (async () => {
    const p = await prepare();
    if (lastBuild === undefined) {
      const out = join(p.dir, 'round');
      lastBuild = { result: build(p, out), dir: out };
    }
    return { reader: RoundReader.open(lastBuild.dir), root: lastBuild.result.root, ids: p.ids, dir: lastBuild.dir };
  })();
  return round;
}

const proofSuite = defineBench({
  name: `por-proof${label}`,
  description: `Per ${PROOFS} users of a built round of ${users.toLocaleString('en')} users × ${ASSETS} assets: their level-0 entries read (baseline), their proofs extracted, and verified with the browser verifier (noble SHA-256; the Ed25519 root signature checked once per round, outside the timing).`,
  baseline: 'read level-0 entries',
  size: { full: PROOFS, smoke: PROOFS },
  unit: 'proof',
  cases: [
    {
      name: 'read level-0 entries',
      setup: () => openRound(),
      run: (r: Round) => {
        const size = entryBytes(ASSETS);
        const fd = openSync(levelPath(r.dir, 0), 'r');
        const buffer = Buffer.alloc(size);
        try {
          for (let i = 0; i < r.ids.length; i++) readSync(fd, buffer, 0, size, ((i * 7919) % users) * size);
        } finally {
          closeSync(fd);
        }
      },
    },
    {
      name: 'extract proofs',
      setup: () => openRound(),
      run: (r: Round) => {
        for (const id of r.ids) r.reader.proof(id);
      },
    },
    {
      name: 'verify proofs (browser verifier)',
      setup: async () => {
        const r = await openRound();
        // The root's signature is checked once per round (in setup), as a user's page does.
        return {
          root: verifyRoot(r.root, { publicKey: r.root.publicKey }),
          proofs: r.ids.map((id) => r.reader.proof(id)),
        };
      },
      run: ({ root, proofs }: { root: VerifiedRoot; proofs: unknown[] }) => {
        for (const proof of proofs) verifyInclusionProof(proof, root);
      },
      teardown: async () => {
        const r = await openRound();
        r.reader.close();
        const p = await prepare();
        rmSync(p.dir, { recursive: true, force: true });
      },
    },
  ],
});

export default [buildSuite, proofSuite] satisfies BenchSuite[];
