// The OKX-compatible gateway under wrk: signed `GET /api/v5/account/balance` requests (OKX-v5
// HMAC authentication, replay guard, per-key rate limit with `rateScale` 1000 above the offered
// load, anti-fraud) against its unauthenticated twin on the same server and handler (the
// baseline), over loopback with 200 connections, 2 wrk threads, 10 s per run. The server runs in
// a child process (testing/gateway-server.ts) with 1,000 keys over 100 accounts.
//
// Each case is one server configuration measured in ROUNDS alternating pairs (baseline run, then
// authenticated run), and reports both medians and the overhead between them. Before its first
// authenticated run every key sends one request (a key's first use in a process reads its row,
// stamps its last use and records its network: a one-off cost per key, reported as
// `primeMsPerKey`), then 3 s of warm-up. Every request wrk sends is distinct and freshly signed:
// a pool of 1.5 × 30,000 requests/s × 10 s (or 3 × the warm-up's rate × 10 s when that is more),
// signed just before wrk starts and split between wrk's threads in setup() so none is sent twice
// (`poolExhausted` counts any resent). Baseline requests carry the same OK-ACCESS-* headers as the
// signed ones (the server ignores them there), so the load generator does the same work in both.
// wrk formats the requests in init(), before its clock starts.
//
// wrk shares the machine with the server. Where `taskset` exists the server is pinned to CPU 0
// and wrk to CPU 1, so the two do not migrate onto each other's core; the server runs with V8's
// `--single-threaded-gc` (on 2 cores a parallel scavenger's helper thread waits for the core wrk
// holds). These are numbers for this box, not a capacity claim. The timed "runs" are wrk's wall
// time; the measured numbers are each case's `metrics`. The smoke run (CI) starts a tiny server
// and sends a few requests with fetch instead of wrk.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
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
const ROUNDS = 3;
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

interface Run {
  result: WrkResult;
  poolSize: number;
  /** From the end of signing to wrk's first request (wrk's wall time less the run). */
  startDelayMs: number;
}

interface CaseState {
  name: string;
  server: Server | undefined;
  skipped?: string;
  baseline: Run[];
  auth: Run[];
  primeMsPerKey?: number;
  warmupPerSecond?: { baseline: number; auth: number };
  dir: string;
}

// Each request line: `path \t account \t key \t sign \t timestamp \t passphrase`. setup() numbers
// wrk's threads; init() keeps the lines of its own thread and formats them (before wrk's clock
// starts), so request() only hands out the next one and none is sent twice.
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
    if i % n == id then
      local f = {}
      for part in string.gmatch(line, "[^\\t]+") do f[#f + 1] = part end
      pool[#pool + 1] = wrk.format("GET", f[1], {
        ["x-bench-account"] = f[2],
        ["OK-ACCESS-KEY"] = f[3],
        ["OK-ACCESS-SIGN"] = f[4],
        ["OK-ACCESS-TIMESTAMP"] = f[5],
        ["OK-ACCESS-PASSPHRASE"] = f[6],
      })
    end
    i = i + 1
  end
end

function request()
  used = used + 1
  local r = pool[used]
  if r == nil then
    exhausted = exhausted + 1
    r = pool[#pool]
  end
  return r
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
  const node = [process.execPath, '--single-threaded-gc', '--conditions=@custos/source', '--import', 'tsx'];
  const argv = [...(PINNED ? ['taskset', '-c', '0'] : []), ...node, script, JSON.stringify(settings)];
  const child: ChildProcess = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
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

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Server on CPU 0, wrk on CPU 1, when the machine has two cores or more and taskset. */
const PINNED = availableParallelism() >= 2 && hasTaskset();

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

/**
 * `count` distinct request lines over the server's keys, signed now for the real path. Baseline
 * lines carry the same headers (ignored there) and name the key's account.
 */
function pool(server: Server, authenticated: boolean, count: number): string[] {
  const lines: string[] = new Array(count);
  const base = Date.now();
  const n = server.keys.length;
  const path = authenticated ? PATH : BASELINE_PATH;
  for (let i = 0; i < count; i++) {
    const key = server.keys[i % n] as Key;
    // One millisecond apart per key: every (key, signature) pair is new to the replay guard.
    const timestamp = okxTimestamp(base + Math.floor(i / n));
    const sign = okxSign(key.secretKey, timestamp, 'GET', PATH, '');
    lines[i] = `${path}\t${key.accountId}\t${key.apiKey}\t${sign}\t${timestamp}\t${key.passphrase}`;
  }
  return lines;
}

function runWrk(state: CaseState, server: Server, lines: string[], seconds: number): Run {
  const requests = join(state.dir, 'requests.tsv');
  const script = join(state.dir, 'gateway.lua');
  writeFileSync(requests, `${lines.join('\n')}\n`);
  writeFileSync(script, LUA);
  const wrk = [
    'wrk',
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
  ];
  const argv = PINNED ? ['taskset', '-c', '1', ...wrk] : wrk;
  const started = Date.now();
  const output = execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  const wall = Date.now() - started;
  rmSync(requests, { force: true });
  const line = output.split('\n').find((l) => l.startsWith('WRK-JSON '));
  if (line === undefined) throw new Error(`wrk printed no summary:\n${output}`);
  const result = JSON.parse(line.slice('WRK-JSON '.length)) as WrkResult;
  return { result, poolSize: lines.length, startDelayMs: Math.max(0, Math.round(wall - result.durationUs / 1000)) };
}

/** One request per key, 20 at a time: every key's one-off first use, before anything is measured. */
async function prime(server: Server): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < server.keys.length) {
      const key = server.keys[next++] as Key;
      const timestamp = okxTimestamp(Date.now());
      const response = await fetch(`${server.url}${PATH}`, {
        headers: {
          'OK-ACCESS-KEY': key.apiKey,
          'OK-ACCESS-SIGN': okxSign(key.secretKey, timestamp, 'GET', PATH, ''),
          'OK-ACCESS-TIMESTAMP': timestamp,
          'OK-ACCESS-PASSPHRASE': key.passphrase,
        },
      });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`priming a key answered ${response.status} ${body}`);
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  return (performance.now() - started) / server.keys.length;
}

async function setCache(server: Server, on: boolean): Promise<void> {
  // After a long wrk run a pooled keep-alive socket may already be closed by the server: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${server.url}/bench/balance-cache?on=${on ? 1 : 0}`, { method: 'PUT' });
      if (response.status !== 200) throw new Error(`could not switch the balance cache: ${response.status}`);
      await response.arrayBuffer();
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Smoke: a few requests of the case with fetch, each must answer 200 with OKX code 0. */
async function smokeRequests(server: Server, authenticated: boolean): Promise<void> {
  for (const line of pool(server, authenticated, 4)) {
    const [path, account, key, sign, timestamp, passphrase] = line.split('\t') as string[];
    const headers: Record<string, string> = {
      'x-bench-account': account as string,
      'OK-ACCESS-KEY': key as string,
      'OK-ACCESS-SIGN': sign as string,
      'OK-ACCESS-TIMESTAMP': timestamp as string,
      'OK-ACCESS-PASSPHRASE': passphrase as string,
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
const primed = new Set<string>();

interface CaseSpec {
  name: string;
  server: ServerSpec;
  /** Balances read through the in-memory cache (invalidated by every ledger write) or the ledger. */
  cache: boolean;
  /** Closes the server after this case. */
  last?: boolean;
}

const PGLITE: ServerSpec = { name: 'pglite', db: 'pglite', redis: false };
const POSTGRES: ServerSpec = { name: 'postgres', db: 'postgres', redis: false };
const REDIS: ServerSpec = { name: 'pglite+redis', db: 'pglite', redis: true };

const BASELINE = 'PGlite, balance cache';
const SPECS: CaseSpec[] = [
  { name: BASELINE, server: PGLITE, cache: true },
  { name: 'PGlite, ledger read', server: PGLITE, cache: false, last: true },
  { name: 'PostgreSQL, balance cache', server: POSTGRES, cache: true },
  { name: 'PostgreSQL, ledger read', server: POSTGRES, cache: false, last: true },
  { name: 'PGlite, balance cache, replay guard and limits in Redis', server: REDIS, cache: true, last: true },
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function perSecond(run: Run): number {
  return run.result.requests / (run.result.durationUs / 1e6);
}

/** The medians of one side's runs, and each run as measured. */
function summary(runs: readonly Run[]) {
  const sum = (f: (r: WrkResult) => number) => runs.reduce((total, run) => total + f(run.result), 0);
  return {
    requestsPerSecond: Math.round(median(runs.map(perSecond))),
    p50Ms: median(runs.map((r) => r.result.p50Us)) / 1000,
    p99Ms: median(runs.map((r) => r.result.p99Us)) / 1000,
    non2xx: sum((r) => r.non2xx),
    socketErrors: {
      connect: sum((r) => r.connectErrors),
      read: sum((r) => r.readErrors),
      write: sum((r) => r.writeErrors),
      timeout: sum((r) => r.timeouts),
    },
    poolExhausted: sum((r) => r.poolExhausted),
    longestStartDelayMs: Math.max(...runs.map((r) => r.startDelayMs)),
    runs: runs.map((r) => ({
      requestsPerSecond: Math.round(perSecond(r)),
      p99Ms: r.result.p99Us / 1000,
      maxMs: r.result.maxUs / 1000,
      requests: r.result.requests,
      poolSize: r.poolSize,
    })),
  };
}

function caseOf(spec: CaseSpec) {
  return {
    name: spec.name,
    async setup(seconds: number): Promise<CaseState> {
      const smoke = seconds === 0;
      const state: CaseState = {
        name: spec.name,
        server: undefined,
        baseline: [],
        auth: [],
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
      if (!primed.has(spec.server.name)) {
        primed.add(spec.server.name);
        state.primeMsPerKey = Number((await prime(state.server)).toFixed(2));
      }
      // Warm-up of both paths, sized for 30,000 requests/s; their rates size the measured pools.
      const warm = (authenticated: boolean) =>
        Math.round(
          perSecond(
            runWrk(
              state,
              state.server as Server,
              pool(state.server as Server, authenticated, 1.5 * 30_000 * WARMUP_SECONDS),
              WARMUP_SECONDS,
            ),
          ),
        );
      state.warmupPerSecond = { baseline: warm(false), auth: warm(true) };
      return state;
    },
    async run(state: CaseState, seconds: number): Promise<void> {
      const server = state.server;
      if (server === undefined) return;
      if (seconds === 0) {
        process.stderr.write(`  ${spec.name}: smoke, wrk skipped (a few requests with fetch)\n`);
        await smokeRequests(server, false);
        await smokeRequests(server, true);
        return;
      }
      const rates = state.warmupPerSecond as { baseline: number; auth: number };
      const size = (rate: number) => Math.max(1.5 * 30_000 * seconds, Math.ceil(3 * rate * seconds));
      for (let round = 0; round < ROUNDS; round++) {
        // Signed just before wrk starts: the timestamps stay inside the ±30 s window for the run.
        state.baseline.push(runWrk(state, server, pool(server, false, size(rates.baseline)), seconds));
        state.auth.push(runWrk(state, server, pool(server, true, size(rates.auth)), seconds));
      }
    },
    metrics(state: CaseState): Record<string, unknown> {
      if (state.skipped !== undefined) return { skipped: state.skipped };
      if (state.auth.length === 0) return { wrk: 'skipped (smoke run)' };
      const baseline = summary(state.baseline);
      const auth = summary(state.auth);
      // How much throughput authentication costs: 0.2 = 20 % fewer requests per second (medians).
      const overhead = Number((1 - auth.requestsPerSecond / baseline.requestsPerSecond).toFixed(3));
      const metrics = {
        server: spec.server.name,
        balanceCache: spec.cache,
        rounds: ROUNDS,
        pinned: PINNED,
        primeMsPerKey: state.primeMsPerKey,
        warmupRequestsPerSecond: state.warmupPerSecond,
        baseline,
        auth,
        overhead,
        p99Ratio: Number((auth.p99Ms / baseline.p99Ms).toFixed(3)),
      };
      process.stderr.write(
        `  ${spec.name.padEnd(56)} baseline ${baseline.requestsPerSecond} req/s (p99 ${baseline.p99Ms} ms)  auth ${auth.requestsPerSecond} req/s (p99 ${auth.p99Ms} ms)  overhead ${(overhead * 100).toFixed(1)} %  non-2xx ${baseline.non2xx + auth.non2xx}  exhausted ${baseline.poolExhausted + auth.poolExhausted}\n`,
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
  description: `OKX gateway GET ${PATH} under wrk (${CONNECTIONS} connections, ${THREADS} threads, ${SECONDS} s per run, ${ROUNDS} alternating baseline/authenticated pairs per case, loopback, server in a child process, 1,000 keys over 100 accounts, rateScale ${RATE_SCALE}); the timings are the wrk runs' wall time, the measured numbers (medians) are under metrics`,
  baseline: BASELINE,
  size: { full: SECONDS, smoke: 0 },
  unit: 'second of load',
  samples: { warmups: 0, min: 1, budgetMs: 0 },
  cases: SPECS.map(caseOf),
});
