// The OKX-compatible gateway under wrk: signed `GET /api/v5/account/balance` requests (OKX-v5
// HMAC authentication, replay guard, per-key rate limit with `rateScale` 1000 above the offered
// load, anti-fraud) against its unauthenticated twin on the same server and handler (the
// baseline), over loopback with 200 connections, 2 wrk threads, 10 s per run. The server runs in
// a child process (testing/gateway-server.ts) with 1,000 keys over 100 accounts. Each case first
// runs 3 s of warm-up; the measured run's pool of distinct requests holds 1.5 × 30,000 requests/s
// × 10 s (or 3 × the warm-up's rate × 10 s when that is more), signed just before wrk starts and
// split between wrk's threads so none is sent twice (`poolExhausted` counts any resent). Cases:
// PGlite through the balance cache and without it, PostgreSQL, and the replay guard and rate
// limits in Redis. wrk shares the machine's cores with the server, so these are numbers for this
// box, not a capacity claim. The timed "runs" are wrk's wall time; the measured numbers (req/s,
// p99, non-2xx, overhead against the case's baseline) are each case's `metrics`. The smoke run
// (CI) starts a tiny server and sends a few requests with fetch instead of wrk.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { defineBench } from '@custos/core/bench';
import { acquireTestPostgres, createTestDatabase } from '@custos/db/testing';
import { okxSign, okxTimestamp } from '@custos/exchange';
import { Redis } from 'ioredis';

const CONNECTIONS = 200;
const THREADS = 2;
const SECONDS = 10;
const WARMUP_SECONDS = 3;
const RATE_SCALE = 1000;
const PATH = '/api/v5/account/balance';
const BASELINE_PATH = '/bench/v5/account/balance';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Key {
  apiKey: string;
  secretKey: string;
  passphrase: string;
  accountId: string;
}

interface ServerSpec {
  name: string;
  db: 'pglite' | 'postgres';
  redis: boolean;
}

interface Server {
  spec: ServerSpec;
  url: string;
  port: number;
  accounts: string[];
  keys: Key[];
  close(): Promise<void>;
}

interface WrkResult {
  requests: number;
  durationUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  non2xx: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
  poolExhausted: number;
}

interface CaseState {
  name: string;
  server: Server | undefined;
  skipped?: string;
  result?: WrkResult;
  poolSize?: number;
  warmupPerSecond?: number;
  dir: string;
}

// Each request line: `path \t account` (baseline) or `path \t key \t sign \t timestamp \t passphrase`.
// setup() numbers wrk's threads; init() keeps the lines of its own thread, so none is sent twice.
const LUA = `
local threads = {}
local count = 0
function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  pool = {}
  used = 0
  exhausted = 0
  local n = tonumber(args[2])
  local i = 0
  for line in io.lines(args[1]) do
    if i % n == id then pool[#pool + 1] = line end
    i = i + 1
  end
end

function request()
  used = used + 1
  local line = pool[used]
  if line == nil then
    exhausted = exhausted + 1
    line = pool[#pool]
  end
  local f = {}
  for part in string.gmatch(line, "[^\\t]+") do f[#f + 1] = part end
  if #f == 2 then
    return wrk.format("GET", f[1], { ["x-bench-account"] = f[2] })
  end
  return wrk.format("GET", f[1], {
    ["OK-ACCESS-KEY"] = f[2],
    ["OK-ACCESS-SIGN"] = f[3],
    ["OK-ACCESS-TIMESTAMP"] = f[4],
    ["OK-ACCESS-PASSPHRASE"] = f[5],
  })
end

function done(summary, latency, requests)
  local ex = 0
  for _, t in ipairs(threads) do ex = ex + (t:get("exhausted") or 0) end
  local e = summary.errors
  io.write(string.format(
    '\\nWRK-JSON {"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"non2xx":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"meanUs":%.1f,"maxUs":%d,"poolExhausted":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max, ex))
end
`;

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version.
    return (error as { status?: number }).status === 1;
  }
}

async function startServer(spec: ServerSpec, accounts: number, keys: number): Promise<Server> {
  let postgres: { url: string; drop(): Promise<void> } | undefined;
  let stopPostgres: (() => Promise<void>) | undefined;
  if (spec.db === 'postgres') {
    const pg = await acquireTestPostgres();
    stopPostgres = pg.stop;
    postgres = await createTestDatabase(pg.url);
  }
  const settings = {
    accounts,
    keys,
    rateScale: RATE_SCALE,
    cache: true,
    ...(postgres === undefined ? {} : { postgresUrl: postgres.url }),
    ...(spec.redis ? { redisUrl: REDIS_URL } : {}),
  };
  const script = new URL('./testing/gateway-server.ts', import.meta.url).pathname;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@custos/source', '--import', 'tsx', script, JSON.stringify(settings)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the gateway server exited (${code}) before listening`)));
  });
  const ready = JSON.parse(first) as { port: number; accounts: string[]; keys: Key[] };
  return {
    spec,
    url: `http://127.0.0.1:${ready.port}`,
    port: ready.port,
    accounts: ready.accounts,
    keys: ready.keys,
    async close() {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await postgres?.drop();
      await stopPostgres?.();
    },
  };
}

async function redisAnswers(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1500 });
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** `count` distinct request lines over the server's keys (signed now) or accounts (baseline). */
function pool(server: Server, authenticated: boolean, count: number): string[] {
  const lines: string[] = new Array(count);
  const base = Date.now();
  const n = server.keys.length;
  for (let i = 0; i < count; i++) {
    if (!authenticated) {
      lines[i] = `${BASELINE_PATH}\t${server.accounts[i % server.accounts.length]}`;
      continue;
    }
    const key = server.keys[i % n] as Key;
    // One millisecond apart per key: every (key, signature) pair is new to the replay guard.
    const timestamp = okxTimestamp(base + Math.floor(i / n));
    const sign = okxSign(key.secretKey, timestamp, 'GET', PATH, '');
    lines[i] = `${PATH}\t${key.apiKey}\t${sign}\t${timestamp}\t${key.passphrase}`;
  }
  return lines;
}

function runWrk(state: CaseState, server: Server, lines: string[], seconds: number): WrkResult {
  const requests = join(state.dir, 'requests.tsv');
  const script = join(state.dir, 'gateway.lua');
  writeFileSync(requests, `${lines.join('\n')}\n`);
  writeFileSync(script, LUA);
  const output = execFileSync(
    'wrk',
    [
      `-t${THREADS}`,
      `-c${CONNECTIONS}`,
      `-d${seconds}s`,
      '--latency',
      '--timeout',
      '5s',
      '-s',
      script,
      server.url,
      '--',
      requests,
      String(THREADS),
    ],
    { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
  );
  rmSync(requests, { force: true });
  const line = output.split('\n').find((l) => l.startsWith('WRK-JSON '));
  if (line === undefined) throw new Error(`wrk printed no summary:\n${output}`);
  return JSON.parse(line.slice('WRK-JSON '.length)) as WrkResult;
}

async function setCache(server: Server, on: boolean): Promise<void> {
  const response = await fetch(`${server.url}/bench/balance-cache?on=${on ? 1 : 0}`, { method: 'PUT' });
  if (response.status !== 200) throw new Error(`could not switch the balance cache: ${response.status}`);
}

/** Smoke: a few requests of the case with fetch, each must answer 200 with OKX code 0. */
async function smokeRequests(server: Server, authenticated: boolean): Promise<void> {
  for (const line of pool(server, authenticated, 4)) {
    const [path, ...f] = line.split('\t');
    const headers: Record<string, string> =
      f.length === 1
        ? { 'x-bench-account': f[0] as string }
        : {
            'OK-ACCESS-KEY': f[0] as string,
            'OK-ACCESS-SIGN': f[1] as string,
            'OK-ACCESS-TIMESTAMP': f[2] as string,
            'OK-ACCESS-PASSPHRASE': f[3] as string,
          };
    const response = await fetch(`${server.url}${path}`, { headers });
    const body = (await response.json()) as { code: string; data: { details: unknown[] }[] };
    if (response.status !== 200 || body.code !== '0' || (body.data[0]?.details.length ?? 0) === 0) {
      throw new Error(`smoke request to ${path} answered ${response.status} ${JSON.stringify(body)}`);
    }
  }
}

// One server per configuration, shared by the cases that use it, closed after its last case.
const servers = new Map<string, Promise<Server>>();
const results = new Map<string, WrkResult>();

interface CaseSpec {
  name: string;
  server: ServerSpec;
  authenticated: boolean;
  cache: boolean;
  /** The baseline case this one's overhead is measured against. */
  baseline?: string;
  /** Closes the server after this case. */
  last?: boolean;
}

const PGLITE: ServerSpec = { name: 'pglite', db: 'pglite', redis: false };
const POSTGRES: ServerSpec = { name: 'postgres', db: 'postgres', redis: false };
const REDIS: ServerSpec = { name: 'pglite+redis', db: 'pglite', redis: true };

const BASELINE = 'baseline, no auth (PGlite)';
const SPECS: CaseSpec[] = [
  { name: BASELINE, server: PGLITE, authenticated: false, cache: true },
  { name: 'auth, cache (PGlite)', server: PGLITE, authenticated: true, cache: true, baseline: BASELINE },
  { name: 'auth, no cache (PGlite)', server: PGLITE, authenticated: true, cache: false, baseline: BASELINE },
  {
    name: 'baseline, no cache (PGlite)',
    server: PGLITE,
    authenticated: false,
    cache: false,
    last: true,
  },
  { name: 'baseline, no auth (PostgreSQL)', server: POSTGRES, authenticated: false, cache: true },
  {
    name: 'auth, cache (PostgreSQL)',
    server: POSTGRES,
    authenticated: true,
    cache: true,
    baseline: 'baseline, no auth (PostgreSQL)',
  },
  {
    name: 'auth, no cache (PostgreSQL)',
    server: POSTGRES,
    authenticated: true,
    cache: false,
    baseline: 'baseline, no auth (PostgreSQL)',
    last: true,
  },
  { name: 'baseline, no auth (PGlite, Redis)', server: REDIS, authenticated: false, cache: true },
  {
    name: 'auth, cache (PGlite, Redis)',
    server: REDIS,
    authenticated: true,
    cache: true,
    baseline: 'baseline, no auth (PGlite, Redis)',
    last: true,
  },
];

function caseOf(spec: CaseSpec) {
  return {
    name: spec.name,
    async setup(seconds: number): Promise<CaseState> {
      const smoke = seconds === 0;
      const state: CaseState = {
        name: spec.name,
        server: undefined,
        dir: mkdtempSync(join(tmpdir(), 'gateway-bench-')),
      };
      if (spec.server.redis && !(await redisAnswers())) {
        if (process.env.CI === 'true') throw new Error(`Redis is not reachable at ${REDIS_URL}, and CI must not skip`);
        state.skipped = `nothing answers at ${REDIS_URL}`;
        process.stderr.write(`  [notice] skipping ${spec.name}: ${state.skipped}\n`);
        return state;
      }
      if (!smoke && !hasWrk()) throw new Error('wrk is not installed (Debian: apt-get install -y wrk)');
      let server = servers.get(spec.server.name);
      if (server === undefined) {
        server = smoke ? startServer(spec.server, 2, 4) : startServer(spec.server, 100, 1000);
        servers.set(spec.server.name, server);
      }
      state.server = await server;
      await setCache(state.server, spec.cache);
      if (smoke) return state;
      // Warm-up, sized for 30,000 requests/s; its rate sizes the measured run's pool.
      const warm = runWrk(
        state,
        state.server,
        pool(state.server, spec.authenticated, 1.5 * 30_000 * WARMUP_SECONDS),
        WARMUP_SECONDS,
      );
      state.warmupPerSecond = Math.round(warm.requests / (warm.durationUs / 1e6));
      // The warm-up starts cold and under-reads the steady rate: size for 30,000 requests/s at least.
      state.poolSize = Math.max(1.5 * 30_000 * SECONDS, Math.ceil(3 * state.warmupPerSecond * SECONDS));
      return state;
    },
    async run(state: CaseState, seconds: number): Promise<void> {
      if (state.server === undefined) return;
      if (seconds === 0) {
        process.stderr.write(`  ${spec.name}: smoke, wrk skipped (a few requests with fetch)\n`);
        await smokeRequests(state.server, spec.authenticated);
        return;
      }
      // Signed just before wrk starts: the timestamps stay inside the ±30 s window for the run.
      const lines = pool(state.server, spec.authenticated, state.poolSize as number);
      state.result = runWrk(state, state.server, lines, seconds);
      results.set(spec.name, state.result);
    },
    metrics(state: CaseState): Record<string, unknown> {
      if (state.skipped !== undefined) return { skipped: state.skipped };
      const r = state.result;
      if (r === undefined) return { wrk: 'skipped (smoke run)' };
      const perSecond = Math.round(r.requests / (r.durationUs / 1e6));
      const base = spec.baseline === undefined ? undefined : results.get(spec.baseline);
      const basePerSecond = base === undefined ? undefined : base.requests / (base.durationUs / 1e6);
      const metrics = {
        server: spec.server.name,
        authenticated: spec.authenticated,
        balanceCache: spec.cache,
        requestsPerSecond: perSecond,
        requests: r.requests,
        p50Ms: r.p50Us / 1000,
        p90Ms: r.p90Us / 1000,
        p99Ms: r.p99Us / 1000,
        maxMs: r.maxUs / 1000,
        non2xx: r.non2xx,
        socketErrors: { connect: r.connectErrors, read: r.readErrors, write: r.writeErrors, timeout: r.timeouts },
        poolSize: state.poolSize,
        poolExhausted: r.poolExhausted,
        warmupRequestsPerSecond: state.warmupPerSecond,
        ...(basePerSecond === undefined
          ? {}
          : {
              baseline: spec.baseline,
              // How much throughput authentication costs: 0.2 = 20 % fewer requests per second.
              overhead: Number((1 - perSecond / basePerSecond).toFixed(3)),
              p99Ratio: Number((r.p99Us / (base as WrkResult).p99Us).toFixed(3)),
            }),
      };
      process.stderr.write(
        `  ${spec.name.padEnd(34)} ${perSecond} req/s  p99 ${metrics.p99Ms} ms  non-2xx ${r.non2xx}  pool ${state.poolSize} (exhausted ${r.poolExhausted})${
          'overhead' in metrics ? `  overhead ${(metrics.overhead * 100).toFixed(1)} %` : ''
        }\n`,
      );
      return metrics;
    },
    async teardown(state: CaseState): Promise<void> {
      rmSync(state.dir, { recursive: true, force: true });
      if (spec.last) {
        const server = servers.get(spec.server.name);
        servers.delete(spec.server.name);
        if (server !== undefined) await (await server).close();
      }
    },
  };
}

export default defineBench({
  name: 'gateway',
  description: `OKX gateway GET ${PATH} under wrk (${CONNECTIONS} connections, ${THREADS} threads, ${SECONDS} s per run, loopback, server in a child process, 1,000 keys over 100 accounts, rateScale ${RATE_SCALE}); the timings are the wrk run's wall time, the measured numbers are under metrics`,
  baseline: BASELINE,
  size: { full: SECONDS, smoke: 0 },
  unit: 'second of load',
  samples: { warmups: 0, min: 1, budgetMs: 0 },
  cases: SPECS.map(caseOf),
});
