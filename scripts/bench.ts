/**
 * `npm run bench [name …] [-- --smoke]`: runs every `*.bench.ts` suite (or the named ones; a name
 * also selects the suites `name-…`) and writes `bench/results/<name>.json` with the machine, the
 * commit, and per case the median, p90 and p99 milliseconds per run, throughput, and the ratio to the suite's baseline measured in the same
 * run. `--smoke` runs each suite once at its tiny size and writes nothing to bench/results (CI
 * uses it to prove the benchmarks still work). `--smoke-if-ci` does that only when CI=true.
 * `--size N` sets the scale of suites that have one (`npm run bench labels -- --size 300000000`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchSuite } from '@custos/core/bench';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
if (args.includes('--smoke-if-ci') && process.env.CI !== 'true') process.exit(0);
const smoke = args.includes('--smoke') || args.includes('--smoke-if-ci');
// `--size N` (or `--size=N`) sets the scale of suites that have one (e.g. the number of addresses
// the label index holds); they read it from CUSTOS_BENCH_SIZE.
const sizeAt = args.findIndex((a) => a === '--size' || a.startsWith('--size='));
if (sizeAt >= 0) {
  const value = args[sizeAt]?.includes('=') ? args[sizeAt]?.split('=')[1] : args[sizeAt + 1];
  if (!value || !/^[0-9_]+$/.test(value)) {
    process.stderr.write('--size expects a positive integer\n');
    process.exit(2);
  }
  process.env.CUSTOS_BENCH_SIZE = value.replaceAll('_', '');
  args.splice(sizeAt, args[sizeAt]?.includes('=') ? 1 : 2);
}
const only = args.filter((a) => !a.startsWith('--'));

function findBenchFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...findBenchFiles(path));
    else if (entry.endsWith('.bench.ts')) out.push(path);
  }
  return out;
}

function quantile(sorted: number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function runCase(c: BenchSuite['cases'][number], size: number, plan: BenchSuite['samples']) {
  const state = c.setup ? await c.setup(size) : undefined;
  try {
    const samples: number[] = [];
    const warmups = smoke ? Math.min(1, plan?.warmups ?? 1) : (plan?.warmups ?? 3);
    const minSamples = smoke ? 1 : (plan?.min ?? 15);
    const budgetMs = smoke ? 0 : (plan?.budgetMs ?? 4000);
    for (let i = 0; i < warmups; i++) await c.run(state, size);
    const started = performance.now();
    while (samples.length < minSamples || (performance.now() - started < budgetMs && samples.length < 200)) {
      const t0 = performance.now();
      await c.run(state, size);
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    const median = quantile(samples, 0.5);
    const metrics = c.metrics ? await c.metrics(state) : undefined;
    return {
      name: c.name,
      samples: samples.length,
      medianMs: Number(median.toFixed(4)),
      p90Ms: Number(quantile(samples, 0.9).toFixed(4)),
      p99Ms: Number(quantile(samples, 0.99).toFixed(4)),
      minMs: Number((samples[0] as number).toFixed(4)),
      maxMs: Number((samples[samples.length - 1] as number).toFixed(4)),
      perSecond: Math.round((size / median) * 1000),
      ...(metrics === undefined ? {} : { metrics }),
    };
  } finally {
    if (c.teardown) await c.teardown(state);
  }
}

async function runSuite(suite: BenchSuite, file: string): Promise<void> {
  const size = smoke ? suite.size.smoke : suite.size.full;
  process.stderr.write(
    `bench ${suite.name} (${relative(root, file)}), ${size} ${suite.unit}s per run${smoke ? ', smoke' : ''}\n`,
  );
  const cases = [];
  for (const c of suite.cases) {
    const result = await runCase(c, size, suite.samples);
    process.stderr.write(
      `  ${c.name.padEnd(28)} median ${result.medianMs} ms  p90 ${result.p90Ms} ms  p99 ${result.p99Ms} ms  (${result.samples} runs)  ${result.perSecond} ${suite.unit}/s\n`,
    );
    cases.push(result);
  }
  const baseline = cases.find((c) => c.name === suite.baseline);
  const withRatio = cases.map((c) => ({
    ...c,
    ratioToBaseline: baseline ? Number((c.medianMs / baseline.medianMs).toFixed(3)) : null,
  }));
  const report = {
    name: suite.name,
    description: suite.description,
    command: `npm run bench ${suite.name}`,
    date: new Date().toISOString(),
    commit: commit(),
    machine: machine(),
    mode: smoke ? 'smoke' : 'full',
    size,
    unit: suite.unit,
    baseline: suite.baseline,
    cases: withRatio,
  };
  if (!smoke) {
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results', `${suite.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  }
}

async function main(): Promise<void> {
  const files = [...findBenchFiles(join(root, 'packages')), ...findBenchFiles(join(root, 'apps'))].sort();
  let ran = 0;
  for (const file of files) {
    const exported = ((await import(pathToFileURL(file).href)) as { default: BenchSuite | BenchSuite[] }).default;
    for (const suite of Array.isArray(exported) ? exported : [exported]) {
      // `npm run bench mpc` runs every suite named mpc or mpc-….
      if (only.length > 0 && !only.some((n) => suite.name === n || suite.name.startsWith(`${n}-`))) continue;
      await runSuite(suite, file);
      ran++;
    }
  }
  if (ran === 0) {
    process.stderr.write(`no benchmark matched ${only.join(', ')}\n`);
    process.exit(2);
  }
  process.stderr.write(`${ran} benchmark suite(s) done${smoke ? ' (smoke)' : ''}\n`);
  process.exit(0);
}

await main();
