/**
 * `npm run bench labels [-- --size N]`: the label index at scale.
 *
 * `labels` builds an index of N generated, sorted addresses (default 10,000,000; the recorded run
 * uses 300,000,000) through the same IndexBuilder the store feeds, in a child process with a
 * progress bar, then times look-ups through `LabelService.lookupAddress` on one core: misses,
 * hits with a warm page cache, and (recorded in bench/results/labels-scale.json) per-look-up
 * latencies for misses, warm hits and cold hits after evicting the index file with `vmtouch -e`.
 *
 * `labels-baselines` loads 10,000,000 labels into PostgreSQL (btree primary key), compiles the
 * index from the store (the store-to-index path), and times the same look-ups against the index,
 * a JS Map and PostgreSQL.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { type BenchSuite, defineBench } from '@custos/core/bench';
import { labelsMigrations, openPostgres } from '@custos/db';
import { acquireTestPostgres, createTestDatabase } from '@custos/db/testing';
import { bytesToAddress, LabelIndex } from './index-file.js';
import { LabelService } from './service.js';
import { compileIndex } from './store.js';

const root = new URL('../../../', import.meta.url).pathname;
const dataDir = join(root, 'bench/.data');
const resultsDir = join(root, 'bench/results');
const smoke = process.argv.includes('--smoke') || process.argv.includes('--smoke-if-ci');
const scale = smoke ? 20_000 : Number(process.env.CUSTOS_BENCH_SIZE ?? 10_000_000);
const baselineScale = smoke ? 20_000 : 10_000_000;
const QUERIES = smoke ? 2_000 : 200_000;

interface Built {
  service: LabelService;
  hits: string[];
  misses: string[];
  build: Record<string, number | string>;
  path: string;
}

function randomAddresses(n: number): string[] {
  const bytes = randomBytes(20 * n);
  return Array.from({ length: n }, (_, i) => `0x${bytes.toString('hex', 20 * i, 20 * i + 20)}`);
}

/** Addresses from a sample file, shuffled, as users type them (mixed case for every other). */
function hitQueries(samplePath: string, n: number): string[] {
  const sample = readFileSync(samplePath);
  const count = sample.length / 20;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = Math.floor(Math.random() * count);
    const hex = sample.toString('hex', 20 * k, 20 * k + 20);
    out.push(i % 2 === 0 ? `0x${hex}` : `0x${hex.toUpperCase()}`);
  }
  return out;
}

function runChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@custos/source',
        '--import',
        'tsx',
        join(root, 'packages/labels/src/testing/build-scale-index.ts'),
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`index build exited ${code}`))));
  });
}

let scaleBuilt: Promise<Built> | undefined;
function buildScale(): Promise<Built> {
  scaleBuilt ??= (async () => {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, `labels-${scale}.clx`);
    const samplePath = join(dataDir, `labels-${scale}.sample`);
    rmSync(path, { force: true });
    process.stderr.write(`  building a ${scale.toLocaleString('en')}-address index from generated sorted records\n`);
    const out = await runChild([String(scale), path, samplePath, String(Math.min(scale, 1_000_000))]);
    const build = JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number | string>;
    const service = new LabelService(LabelIndex.open(path));
    return { service, hits: hitQueries(samplePath, QUERIES), misses: randomAddresses(QUERIES), build, path };
  })();
  return scaleBuilt;
}

function lookupAll(service: LabelService, queries: readonly string[], expectHit: boolean): void {
  let found = 0;
  for (const q of queries) if (service.lookupAddress(q, 1).tier !== 'none') found++;
  // EVM-family or chain-1 labels are in scope on chain 1: every generated label is one of them.
  if (expectHit ? found !== queries.length : found !== 0) throw new Error(`expected ${expectHit ? 'hits' : 'misses'}`);
}

/** Per-look-up latencies in microseconds (median, p99, max), timed one by one. */
function latencies(service: LabelService, queries: readonly string[]): { p50: number; p99: number; max: number } {
  const t = new Float64Array(queries.length);
  for (let i = 0; i < queries.length; i++) {
    const t0 = performance.now();
    service.lookupAddress(queries[i] as string, 1);
    t[i] = (performance.now() - t0) * 1000;
  }
  t.sort();
  const q = (p: number): number =>
    Number((t[Math.min(t.length - 1, Math.ceil(p * t.length) - 1)] as number).toFixed(2));
  return { p50: q(0.5), p99: q(0.99), max: q(1) };
}

function evict(path: string): boolean {
  try {
    execFileSync('vmtouch', ['-e', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function duBytes(path: string): number {
  try {
    return Number(execFileSync('du', ['-B1', path], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return statSync(path).size;
  }
}

/** Per-look-up latencies (miss, warm hit, cold hit) and the footprint, to labels-scale.json. */
function recordLatencyAndFootprint(b: Built): void {
  const miss = latencies(b.service, b.misses);
  const warm = latencies(b.service, b.hits);
  const coldQueries = b.hits.slice(0, smoke ? 200 : 5_000);
  const evicted = evict(b.path);
  const cold = evicted ? latencies(b.service, coldQueries) : null;
  const rss = process.memoryUsage.rss();
  const n = Number(b.build.addresses);
  const disk = duBytes(b.path);
  const report = {
    date: new Date().toISOString(),
    command: `npm run bench labels -- --size ${scale}`,
    machine: { cpu: cpus()[0]?.model.trim(), cores: cpus().length },
    addresses: n,
    // Relative to the repository: the record names no machine path.
    build: { ...b.build, ...(b.build.path === undefined ? {} : { path: relative(root, String(b.build.path)) }) },
    diskBytes: disk,
    diskBytesPerAddress: Number((disk / n).toFixed(2)),
    residentIndexBytes: b.service.index.residentBytes,
    residentIndexBytesPerAddress: Number((b.service.index.residentBytes / n).toFixed(3)),
    processRssBytesServing: rss,
    processRssBytesPerAddress: Number((rss / n).toFixed(3)),
    latencyMicros: { miss: miss, warmHit: warm, coldHit: cold, coldQueries: coldQueries.length },
    coldCache: evicted ? 'vmtouch -e on the index file before the cold pass' : 'vmtouch not installed: skipped',
  };
  process.stderr.write(`  ${JSON.stringify(report.latencyMicros)}\n  rss ${rss} bytes, disk ${disk} bytes\n`);
  if (!smoke) {
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'labels-scale.json'), `${JSON.stringify(report, null, 2)}\n`);
  }
}

const scaleSuite = defineBench({
  name: 'labels',
  description: `Label look-ups through LabelService on one core against a ${scale.toLocaleString('en')}-address index built from generated sorted records`,
  baseline: 'index-miss',
  size: { full: QUERIES, smoke: QUERIES },
  unit: 'lookup',
  samples: { warmups: 1, min: 9, budgetMs: 3000 },
  cases: [
    { name: 'index-miss', setup: buildScale, run: (b: Built) => lookupAll(b.service, b.misses, false) },
    {
      name: 'index-hit-warm',
      setup: buildScale,
      run: (b: Built) => lookupAll(b.service, b.hits, true),
      // Untimed by the harness: timed one look-up at a time, then the cold pass evicts the file.
      teardown: recordLatencyAndFootprint,
    },
  ],
});

interface Baselines {
  service: LabelService;
  map: Map<string, number>;
  hits: string[];
  misses: string[];
  pg: { query(sql: string, params: unknown[]): Promise<{ rows: unknown[] }>; release(): Promise<void> };
}

let baselinesBuilt: Promise<Baselines> | undefined;
function buildBaselines(): Promise<Baselines> {
  baselinesBuilt ??= (async () => {
    const server = await acquireTestPostgres({ log: () => undefined });
    const database = await createTestDatabase(server.url);
    const db = await openPostgres({ url: database.url });
    await db.migrate(await labelsMigrations());
    process.stderr.write(`  loading ${baselineScale.toLocaleString('en')} labels into PostgreSQL\n`);
    await db.query(
      `INSERT INTO label_sources (id, title, trust, license, origin) VALUES ('synthetic-kyt', 'synthetic', 'curated', 'none', 'generated')`,
    );
    const t0 = performance.now();
    for (let start = 0; start < baselineScale; start += 1_000_000) {
      const end = Math.min(baselineScale, start + 1_000_000);
      await db.query(
        `INSERT INTO labels (address, scope, source, category, tier, name, first_seen, confidence)
         SELECT substr(sha256(int8send(i)), 1, 20), CASE WHEN i % 5 = 0 THEN 1 ELSE 0 END, 'synthetic-kyt',
           (ARRAY['phishing','drainer','scam','exploit','mixer','exchange','protocol','token'])[i % 8 + 1],
           (ARRAY['block','block','block','block','gray','allow','allow','allow'])[i % 8 + 1],
           'label ' || (i % 100000), 1600000000 + i, 50 + i % 51
         FROM generate_series($1::int8, $2::int8) AS i`,
        [start, end - 1],
      );
    }
    await db.query('ANALYZE labels');
    const loadMs = performance.now() - t0;
    const path = join(dataDir, `labels-store-${baselineScale}.clx`);
    mkdirSync(dataDir, { recursive: true });
    const t1 = performance.now();
    const stats = await compileIndex(db, path, {
      onProgress: (k) => process.stderr.write(`\r  store → index: ${k.toLocaleString('en')} addresses   `),
    });
    const compileMs = performance.now() - t1;
    process.stderr.write(`\n  PostgreSQL load ${Math.round(loadMs)} ms, store → index ${Math.round(compileMs)} ms\n`);
    // TABLESAMPLE SYSTEM picks whole pages at random: 1 % of a small table's pages (the smoke
    // run's 20,000 labels) can be none at all, so small tables are sampled in random order instead.
    const sample = await db.query<{ address: Uint8Array }>(
      baselineScale >= 1_000_000
        ? `SELECT address FROM labels TABLESAMPLE SYSTEM (1) LIMIT ${QUERIES}`
        : `SELECT address FROM labels ORDER BY random() LIMIT ${QUERIES}`,
    );
    if (sample.rows.length === 0) throw new Error('the label sample came back empty');
    const hits: string[] = [];
    for (let i = 0; i < QUERIES; i++)
      hits.push(bytesToAddress(sample.rows[i % sample.rows.length]?.address as Uint8Array));
    const service = new LabelService(LabelIndex.open(path));
    const map = new Map<string, number>();
    // The Map holds the same addresses (lowercase hex keys), each with its tier and category packed
    // in a small integer: the leanest a JS Map of 10 M labelled addresses gets.
    const categoryCode = new Map<string, number>();
    for (let after: Uint8Array | null = null; ; ) {
      const page: { rows: { address: Uint8Array; tier: string; category: string }[] } = after
        ? await db.query(
            `SELECT address, tier, category FROM labels WHERE address > $1 ORDER BY address LIMIT 500000`,
            [after],
          )
        : await db.query('SELECT address, tier, category FROM labels ORDER BY address LIMIT 500000');
      for (const r of page.rows) {
        let c = categoryCode.get(r.category);
        if (c === undefined) {
          c = categoryCode.size;
          categoryCode.set(r.category, c);
        }
        map.set(bytesToAddress(r.address), c * 4 + ['allow', 'gray', 'block'].indexOf(r.tier));
      }
      const last = page.rows[page.rows.length - 1];
      if (!last) break;
      after = last.address;
    }
    const client = await openPostgres({ url: database.url, max: 1 });
    const record = {
      date: new Date().toISOString(),
      command: 'npm run bench labels',
      addresses: stats.addresses,
      postgresLoadMs: Math.round(loadMs),
      storeToIndexMs: Math.round(compileMs),
      storeToIndexPerSecond: Math.round(stats.addresses / (compileMs / 1000)),
      indexFileBytes: stats.fileBytes,
      postgresTableBytes: Number(
        ((await db.query<{ n: bigint }>(`SELECT pg_total_relation_size('labels') AS n`)).rows[0] as { n: bigint }).n,
      ),
    };
    process.stderr.write(`  ${JSON.stringify(record)}\n`);
    if (!smoke) {
      mkdirSync(resultsDir, { recursive: true });
      writeFileSync(join(resultsDir, 'labels-store.json'), `${JSON.stringify(record, null, 2)}\n`);
    }
    await db.close();
    return {
      service,
      map,
      hits,
      misses: randomAddresses(QUERIES),
      pg: {
        query: (sql, params) => client.query(sql, params as never[]),
        release: async () => {
          await client.close();
          await database.drop();
          await server.stop();
        },
      },
    };
  })();
  return baselinesBuilt;
}

const PG_QUERIES = smoke ? 200 : 5_000;
async function pgLookups(b: Baselines, queries: readonly string[], expectHit: boolean): Promise<void> {
  let found = 0;
  for (let i = 0; i < PG_QUERIES; i++) {
    const address = (queries[i] as string).toLowerCase();
    const r = await b.pg.query(
      `SELECT scope, source, category, tier, name, first_seen, confidence, status FROM labels
       WHERE address = decode($1, 'hex') AND scope IN (0, $2)`,
      [address.slice(2), 1],
    );
    if (r.rows.length > 0) found++;
  }
  if (expectHit ? found !== PG_QUERIES : found !== 0) throw new Error('PostgreSQL baseline gave a wrong answer');
}

function mapLookups(map: Map<string, number>, queries: readonly string[], expectHit: boolean): void {
  let found = 0;
  for (const q of queries) if (map.get(q.toLowerCase()) !== undefined) found++;
  if (expectHit ? found !== queries.length : found !== 0) throw new Error('Map baseline gave a wrong answer');
}

const baselineSuite = defineBench({
  name: 'labels-baselines',
  description: `Look-ups at ${baselineScale.toLocaleString('en')} addresses: the compiled index (built from PostgreSQL) against a JS Map and PostgreSQL with a btree index. PostgreSQL cases run ${PG_QUERIES} look-ups per run (one connection, sequential) and are scaled to the run size.`,
  baseline: 'map-hit',
  size: { full: QUERIES, smoke: QUERIES },
  unit: 'lookup',
  samples: { warmups: 1, min: 7, budgetMs: 3000 },
  cases: [
    { name: 'map-hit', setup: buildBaselines, run: (b: Baselines) => mapLookups(b.map, b.hits, true) },
    { name: 'map-miss', setup: buildBaselines, run: (b: Baselines) => mapLookups(b.map, b.misses, false) },
    { name: 'index-hit-warm', setup: buildBaselines, run: (b: Baselines) => lookupAll(b.service, b.hits, true) },
    { name: 'index-miss', setup: buildBaselines, run: (b: Baselines) => lookupAll(b.service, b.misses, false) },
    {
      name: `pg-btree-hit-x${QUERIES / PG_QUERIES}`,
      setup: buildBaselines,
      run: async (b: Baselines) => {
        for (let k = 0; k < QUERIES / PG_QUERIES; k++) await pgLookups(b, b.hits, true);
      },
    },
    {
      name: `pg-btree-miss-x${QUERIES / PG_QUERIES}`,
      setup: buildBaselines,
      run: async (b: Baselines) => {
        for (let k = 0; k < QUERIES / PG_QUERIES; k++) await pgLookups(b, b.misses, false);
      },
      teardown: async (b: Baselines) => {
        b.service.close();
        await b.pg.release();
      },
    },
  ],
});

export default [scaleSuite, baselineSuite] satisfies BenchSuite[];
