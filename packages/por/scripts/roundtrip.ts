/**
 * `npm run por:roundtrip [-- --users N] [--assets N] [--sample N] [--out FILE] [--no-write]`: the
 * liabilities tree end to end at scale, checked against sums it did not compute. By default
 * 1,000,000 users × 22 assets:
 *
 * 1. a deterministic snapshot is generated (`src/testing/snapshot.ts`, the bench's seed);
 * 2. the tree is built with `buildLiabilitiesTree`; its wall time, the process's peak RSS
 *    (snapshot generation and build; both stream) and the round directory's bytes are recorded;
 * 3. the CSV is read again here, line by line, and every balance parsed with BigInt at its
 *    header's scale — a code path of its own, not the package's parser — into per-asset totals;
 *    the same pass keeps the rows of a random sample of users (row numbers drawn with
 *    `crypto.getRandomValues` over every row, not the generator's sample ids);
 * 4. the signed `root.json` is checked with the browser verifier against the key derived from the
 *    signing seed, and its totals must equal the independent sums exactly (and the generator's);
 * 5. every sampled user's proof is extracted with `RoundReader` and checked with
 *    `verifyInclusionProof`; its balances must equal the user's CSV row; users who are not in the
 *    snapshot must be NOT_FOUND.
 *
 * Prints a JSON summary, writes it to `bench/results/por-roundtrip.json` (or
 * `por-roundtrip-<N>.json` for another size), removes its temporary directory, and exits 1 when
 * any check failed.
 */
import { getRandomValues } from 'node:crypto';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, platform, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { buildLiabilitiesTree } from '../src/build.js';
import { RoundReader } from '../src/proof.js';
import type { AssetSpec, RootFile } from '../src/root.js';
import { writeSnapshot } from '../src/testing/snapshot.js';
import { verifyInclusionProof, verifyRoot } from '../src/verify.js';

const SIGNING_SEED = new Uint8Array(32).fill(21);
const SNAPSHOT_SEED = 42;
const ROUND_ID = 'roundtrip';
const SNAPSHOT_TIME = '2026-11-30T00:00:00Z';

export interface RoundTripOptions {
  users: number;
  assets?: number | undefined;
  /** Users whose proofs are extracted and verified (default 1,000, at most `users`). */
  sample?: number | undefined;
  /** Progress lines (default: none). */
  log?: ((line: string) => void) | undefined;
}

export interface TotalMismatch {
  asset: number;
  symbol: string;
  root: string;
  independent: string;
}

export interface RoundTripReport {
  users: number;
  assets: number;
  snapshotBytes: number;
  generateMs: number;
  buildMs: number;
  /** The process's peak RSS by the end of the build (snapshot generation included). */
  peakRssMB: number;
  /** Every file of the finished round directory (tree levels, keys, root, build record). */
  roundDirBytes: number;
  treeBytes: number;
  height: number;
  rootHash: string;
  independentSumMs: number;
  rowsRead: number;
  rootSignatureVerified: boolean;
  totalsEqual: boolean;
  totalMismatches: TotalMismatch[];
  generatorTotalsEqual: boolean;
  sampleSize: number;
  verified: number;
  balancesEqual: number;
  proofFailures: { userId: string; error: string }[];
  proofMs: number;
  notFoundChecked: number;
  notFoundOk: boolean;
  totals: string[];
  ok: boolean;
}

/** Parses an unsigned decimal string into integer units at `scale`, exactly (no rounding). */
export function parseUnits(text: string, scale: number): bigint {
  const match = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(text);
  if (match === null) throw new Error(`not an unsigned decimal: ${JSON.stringify(text)}`);
  const fraction = match[2] ?? '';
  if (fraction.length > scale) throw new Error(`${text} has more than ${scale} decimals`);
  return BigInt(`${match[1]}${fraction.padEnd(scale, '0')}`);
}

/** The assets named by a CSV header `user_id,<ASSET>:<scale>,…`. */
export function parseHeader(line: string): AssetSpec[] {
  const [first, ...columns] = line.split(',');
  if (first !== 'user_id' || columns.length === 0) throw new Error(`not a liabilities CSV header: ${line}`);
  return columns.map((column) => {
    const match = /^([^:]+):(0|[1-9][0-9]?)$/.exec(column);
    if (match === null) throw new Error(`not an <ASSET>:<scale> column: ${column}`);
    return { symbol: match[1] as string, scale: Number(match[2]) };
  });
}

export interface IndependentSums {
  assets: AssetSpec[];
  totals: bigint[];
  rows: number;
  /** The kept rows, by row number (0 = the first user). */
  kept: Map<number, { userId: string; units: bigint[] }>;
}

/** Streams a CSV snapshot and sums every column with BigInt; keeps the rows numbered in `keep`. */
export async function independentSums(path: string, keep: ReadonlySet<number>): Promise<IndependentSums> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let assets: AssetSpec[] | undefined;
  let totals: bigint[] = [];
  let rows = 0;
  const kept: IndependentSums['kept'] = new Map();
  for await (const line of lines) {
    if (assets === undefined) {
      assets = parseHeader(line);
      totals = assets.map(() => 0n);
      continue;
    }
    if (line.length === 0) continue;
    const fields = line.split(',');
    if (fields.length !== assets.length + 1) throw new Error(`row ${rows + 1} has ${fields.length} fields`);
    const units = assets.map((asset, i) => parseUnits(fields[i + 1] as string, asset.scale));
    for (let i = 0; i < units.length; i++) totals[i] = (totals[i] as bigint) + (units[i] as bigint);
    if (keep.has(rows)) kept.set(rows, { userId: fields[0] as string, units });
    rows++;
  }
  if (assets === undefined) throw new Error(`${path} is empty`);
  return { assets, totals, rows, kept };
}

/** Where the root's totals (decimal strings at each asset's scale) differ from `sums`. */
export function compareTotals(assets: readonly AssetSpec[], rootTotals: readonly string[], sums: readonly bigint[]) {
  const mismatches: TotalMismatch[] = [];
  if (rootTotals.length !== assets.length || sums.length !== assets.length) {
    throw new Error(`${assets.length} assets, ${rootTotals.length} root totals, ${sums.length} sums`);
  }
  for (const [i, asset] of assets.entries()) {
    const root = parseUnits(rootTotals[i] as string, asset.scale);
    if (root !== sums[i]) {
      mismatches.push({
        asset: i,
        symbol: asset.symbol,
        root: rootTotals[i] as string,
        independent: String(sums[i]),
      });
    }
  }
  return mismatches;
}

/** `count` distinct row numbers in [0, rows), drawn uniformly with crypto.getRandomValues. */
export function randomRows(rows: number, count: number): Set<number> {
  if (rows < 1 || rows > 2 ** 32) throw new Error(`cannot sample from ${rows} rows`);
  const picked = new Set<number>();
  const limit = Math.floor(2 ** 32 / rows) * rows; // rejection below keeps the draw unbiased
  const words = new Uint32Array(256);
  while (picked.size < Math.min(count, rows)) {
    getRandomValues(words);
    for (const word of words) {
      if (word < limit) picked.add(word % rows);
      if (picked.size === Math.min(count, rows)) break;
    }
  }
  return picked;
}

function directoryBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    bytes += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
  }
  return bytes;
}

function errorText(error: unknown): string {
  const e = error as { code?: string; message?: string; details?: { reason?: string } };
  return [e.code, e.details?.reason, e.message].filter((s) => s !== undefined).join(': ');
}

/** Generates, builds, re-sums and verifies a round in a temporary directory, then removes it. */
export async function runRoundTrip(options: RoundTripOptions): Promise<RoundTripReport> {
  const users = options.users;
  const assetCount = options.assets ?? 22;
  if (!Number.isSafeInteger(users) || users < 2) throw new Error('a round trip needs at least 2 users');
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'custos-por-roundtrip-'));
  try {
    const input = join(dir, 'liabilities.csv');
    const out = join(dir, 'round');
    let t0 = performance.now();
    const generated = await writeSnapshot(input, { users, assets: assetCount, seed: SNAPSHOT_SEED });
    const generateMs = performance.now() - t0;
    const snapshotBytes = statSync(input).size;
    log(`snapshot: ${users} users × ${assetCount} assets, ${snapshotBytes} bytes in ${Math.round(generateMs)} ms`);

    t0 = performance.now();
    const built = buildLiabilitiesTree({
      input,
      out,
      signingSeed: SIGNING_SEED,
      roundId: ROUND_ID,
      snapshotTime: SNAPSHOT_TIME,
    });
    const buildMs = performance.now() - t0;
    const peakRssMB = process.resourceUsage().maxRSS / 1024;
    const roundDirBytes = directoryBytes(out);
    log(`build: ${Math.round(buildMs)} ms, peak RSS ${Math.round(peakRssMB)} MB, round dir ${roundDirBytes} bytes`);

    const sampleRows = randomRows(users, options.sample ?? 1_000);
    t0 = performance.now();
    const sums = await independentSums(input, sampleRows);
    const independentSumMs = performance.now() - t0;
    log(`independent sums: ${sums.rows} rows in ${Math.round(independentSumMs)} ms`);

    // The published root file, checked as a user's browser does, against the pinned key.
    const rootFile = JSON.parse(readFileSync(join(out, 'root.json'), 'utf8')) as RootFile;
    const publicKey = bytesToHex(ed25519.getPublicKey(SIGNING_SEED));
    const checked = verifyRoot(rootFile, { publicKey });
    const rootSignatureVerified = checked.signer.pinned && checked.signer.publicKey === publicKey;
    const assetsEqual =
      checked.root.assets.length === sums.assets.length &&
      checked.root.assets.every((a, i) => a.symbol === sums.assets[i]?.symbol && a.scale === sums.assets[i]?.scale);
    if (!assetsEqual) throw new Error("the root's assets are not the CSV header's");
    const totalMismatches = compareTotals(sums.assets, checked.root.totals, sums.totals);
    const totalsEqual = totalMismatches.length === 0 && sums.rows === users;
    const generatorTotalsEqual = generated.totals.every((t, i) => t === sums.totals[i]);

    const reader = RoundReader.open(out);
    const proofFailures: RoundTripReport['proofFailures'] = [];
    let verified = 0;
    let balancesEqual = 0;
    let notFoundChecked = 0;
    let notFoundOk = true;
    t0 = performance.now();
    try {
      for (const row of [...sums.kept.keys()].sort((a, b) => a - b)) {
        const { userId, units } = sums.kept.get(row) as { userId: string; units: bigint[] };
        try {
          const proof = reader.proof(userId);
          const result = verifyInclusionProof(proof, checked);
          if (result.userId !== userId || result.rootHash !== checked.root.rootHash || !result.signer.pinned)
            throw new Error('verified for another user, root or key');
          verified++;
          const proven = proof.balances.map((b, i) => parseUnits(b, sums.assets[i]?.scale as number));
          if (proven.length === units.length && proven.every((u, i) => u === units[i])) balancesEqual++;
          else proofFailures.push({ userId, error: "the proof's balances are not the CSV row's" });
        } catch (error) {
          proofFailures.push({ userId, error: errorText(error) });
        }
      }
      const someone = sums.kept.values().next().value?.userId ?? 'user-0';
      for (const absent of ['absent-user', `${someone}x`, someone.slice(0, -1)]) {
        notFoundChecked++;
        try {
          reader.proof(absent);
          notFoundOk = false;
        } catch (error) {
          if ((error as { code?: string }).code !== 'NOT_FOUND') notFoundOk = false;
        }
      }
    } finally {
      reader.close();
    }
    const proofMs = performance.now() - t0;
    log(
      `proofs: ${verified}/${sums.kept.size} verified, ${balancesEqual} equal to their rows, in ${Math.round(proofMs)} ms`,
    );

    const sampleSize = sums.kept.size;
    return {
      users,
      assets: assetCount,
      snapshotBytes,
      generateMs: Math.round(generateMs),
      buildMs: Math.round(buildMs),
      peakRssMB: Math.round(peakRssMB),
      roundDirBytes,
      treeBytes: built.treeBytes,
      height: checked.root.height,
      rootHash: checked.root.rootHash,
      independentSumMs: Math.round(independentSumMs),
      rowsRead: sums.rows,
      rootSignatureVerified,
      totalsEqual,
      totalMismatches,
      generatorTotalsEqual,
      sampleSize,
      verified,
      balancesEqual,
      proofFailures: proofFailures.slice(0, 20),
      proofMs: Math.round(proofMs),
      notFoundChecked,
      notFoundOk,
      totals: checked.root.totals,
      ok:
        built.users === users &&
        rootSignatureVerified &&
        totalsEqual &&
        generatorTotalsEqual &&
        sampleSize === Math.min(users, options.sample ?? 1_000) &&
        verified === sampleSize &&
        balancesEqual === sampleSize &&
        notFoundOk,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '1000000' },
      assets: { type: 'string', default: '22' },
      sample: { type: 'string', default: '1000' },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const count = (name: string, text: string): number => {
    const n = Number(text.replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < 1) {
      process.stderr.write(`--${name} expects a positive integer\n`);
      process.exit(2);
    }
    return n;
  };
  const users = count('users', values.users);
  const assets = count('assets', values.assets);
  const sample = count('sample', values.sample);
  const label = users === 1_000_000 && assets === 22 ? '' : `-${users}x${assets}`;
  const cpu = cpus();
  const started = new Date().toISOString();
  const report = await runRoundTrip({ users, assets, sample, log: (line) => process.stderr.write(`  ${line}\n`) });
  const summary = {
    date: started,
    command: `npm run por:roundtrip -- --users ${users}${assets === 22 ? '' : ` --assets ${assets}`}${sample === 1_000 ? '' : ` --sample ${sample}`}`,
    machine: {
      cpu: cpu[0]?.model.trim() ?? 'unknown',
      cores: cpu.length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${platform()}-${process.arch}`,
    },
    ...report,
  };
  const text = `${JSON.stringify(summary, null, 2)}\n`;
  process.stdout.write(text);
  if (!values['no-write']) {
    const path = values.out ?? new URL(`../../../bench/results/por-roundtrip${label}.json`, import.meta.url).pathname;
    mkdirSync(resolve(path, '..'), { recursive: true });
    writeFileSync(path, text);
    process.stderr.write(`  wrote ${path}\n`);
  }
  if (!report.ok) {
    process.stderr.write('round trip FAILED\n');
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
