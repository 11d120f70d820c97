/**
 * A hostile JSON-RPC node for tests: an HTTP proxy in front of a real node (the dev chain) that
 * behaves like the public endpoints the scanner meets in production. It refuses `eth_getLogs`
 * ranges above a limit with the words a real provider uses, and fails a seeded, reproducible share
 * of requests the three ways overloaded endpoints fail (HTTP 503, HTTP 429, a dropped connection),
 * so the paging and retry logic is proven against a real chain rather than only against fakes.
 * Settings change at run time, so a test can set its chain up cleanly and turn hostility on after.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BaseError } from '@custos/core';

export interface RpcProxyOptions {
  /** The real node's JSON-RPC URL (e.g. a dev chain's rpcUrl). */
  target: string;
  /**
   * eth_getLogs with toBlock-fromBlock+1 above this is refused with JSON-RPC error
   * {code: -32005, message: `query exceeds max block range ${n}`} (HTTP 200). Default: no limit.
   */
  maxLogRange?: number | undefined;
  /**
   * Fraction 0..1 of requests answered with a transient failure instead of being forwarded;
   * failures alternate between HTTP 503, HTTP 429 and a destroyed socket. Deterministic: uses a
   * seeded PRNG (seed option, default 1).
   */
  failureRate?: number | undefined;
  seed?: number | undefined;
  /** Methods never failed (e.g. to keep test setup clean). */
  spareMethods?: readonly string[] | undefined;
}

export interface RpcProxyStats {
  /** JSON-RPC calls passed on to the target. */
  forwarded: number;
  /** eth_getLogs calls refused for their block range. */
  refusedRange: number;
  /** HTTP requests answered with a failure (503, 429 or a dropped socket). */
  failed: number;
  /** JSON-RPC calls received, by method, whatever happened to them. */
  byMethod: Record<string, number>;
}

export interface RpcProxy {
  url: string;
  /** Counters: forwarded, refusedRange, failed, by method. */
  stats: RpcProxyStats;
  /** Changes the options at run time (e.g. turn failures on after setup). */
  configure(options: Partial<Omit<RpcProxyOptions, 'target'>>): void;
  close(): Promise<void>;
}

/** The three ways a request fails, taken in turn. */
const FAILURES = ['http-503', 'http-429', 'drop-socket'] as const;
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const BLOCK_TAGS_AT_HEAD = new Set(['latest', 'pending', 'safe', 'finalized']);

interface Settings {
  maxLogRange: number | undefined;
  failureRate: number;
  seed: number;
  spareMethods: ReadonlySet<string>;
}

type JsonRpcCall = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function invalidOption(field: string, expected: string, got: unknown): BaseError {
  return new BaseError('INVALID_INPUT', `"${field}" expected ${expected}, got ${String(got)}`, {
    details: { field },
  });
}

/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed exactly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function applyOptions(settings: Settings, options: Partial<Omit<RpcProxyOptions, 'target'>>): Settings {
  const next = { ...settings };
  if ('maxLogRange' in options) {
    const { maxLogRange } = options;
    if (maxLogRange !== undefined && !(Number.isSafeInteger(maxLogRange) && maxLogRange >= 1)) {
      throw invalidOption('maxLogRange', 'a positive integer', maxLogRange);
    }
    next.maxLogRange = maxLogRange;
  }
  if (options.failureRate !== undefined) {
    if (!(options.failureRate >= 0 && options.failureRate <= 1)) {
      throw invalidOption('failureRate', 'a number from 0 to 1', options.failureRate);
    }
    next.failureRate = options.failureRate;
  }
  if (options.seed !== undefined) {
    if (!Number.isSafeInteger(options.seed)) throw invalidOption('seed', 'an integer', options.seed);
    next.seed = options.seed;
  }
  if (options.spareMethods !== undefined) next.spareMethods = new Set(options.spareMethods);
  return next;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new BaseError('PAYLOAD_TOO_LARGE', 'The request body is too large for the RPC proxy.'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function post(target: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, text: await response.text() };
}

/** Starts the proxy on 127.0.0.1 (a free port) and resolves once it is listening. */
export async function startRpcProxy(options: RpcProxyOptions): Promise<RpcProxy> {
  const { target } = options;
  let settings = applyOptions(
    { maxLogRange: undefined, failureRate: 0, seed: 1, spareMethods: new Set() },
    { ...options },
  );
  let random = seededRandom(settings.seed);
  let failures = 0;
  const stats: RpcProxyStats = { forwarded: 0, refusedRange: 0, failed: 0, byMethod: {} };

  async function headBlock(): Promise<bigint> {
    const { text } = await post(target, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' }));
    const answer: unknown = JSON.parse(text);
    if (!isRecord(answer) || typeof answer.result !== 'string') {
      throw new BaseError('RPC_REQUEST_FAILED', 'The target did not answer eth_blockNumber.', {
        details: { method: 'eth_blockNumber' },
      });
    }
    return BigInt(answer.result);
  }

  async function blockOf(tag: unknown): Promise<bigint | undefined> {
    if (tag === undefined || (typeof tag === 'string' && BLOCK_TAGS_AT_HEAD.has(tag))) return headBlock();
    if (tag === 'earliest') return 0n;
    if (typeof tag === 'string' && /^0x[0-9a-fA-F]+$/.test(tag)) return BigInt(tag);
    return undefined;
  }

  /** The refusal of an eth_getLogs call whose range is above the limit, or undefined to pass it on. */
  async function rangeRefusal(call: JsonRpcCall): Promise<Record<string, unknown> | undefined> {
    const limit = settings.maxLogRange;
    if (limit === undefined || call.method !== 'eth_getLogs' || !Array.isArray(call.params)) return undefined;
    const filter: unknown = call.params[0];
    if (!isRecord(filter) || filter.blockHash !== undefined) return undefined;
    const from = await blockOf(filter.fromBlock);
    const to = await blockOf(filter.toBlock);
    if (from === undefined || to === undefined || to - from + 1n <= BigInt(limit)) return undefined;
    stats.refusedRange++;
    return {
      jsonrpc: '2.0',
      id: call.id ?? null,
      error: { code: -32005, message: `query exceeds max block range ${limit}` },
    };
  }

  function shouldFail(calls: readonly JsonRpcCall[]): boolean {
    if (settings.failureRate <= 0) return false;
    const spared = calls.every((call) => typeof call.method === 'string' && settings.spareMethods.has(call.method));
    if (spared) return false;
    return random() < settings.failureRate;
  }

  function fail(req: IncomingMessage, res: ServerResponse): void {
    stats.failed++;
    const failure = FAILURES[failures++ % FAILURES.length];
    if (failure === 'http-503') send(res, 503, 'Service Unavailable', 'text/plain');
    else if (failure === 'http-429') send(res, 429, 'Too Many Requests', 'text/plain');
    else req.socket.destroy();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      // Not JSON: the target's own parse error is the realistic answer, so pass the body on unchanged.
      if (!(error instanceof SyntaxError)) throw error;
      stats.byMethod['(unparsable)'] = (stats.byMethod['(unparsable)'] ?? 0) + 1;
      stats.forwarded++;
      const answer = await post(target, body);
      send(res, answer.status, answer.text);
      return;
    }
    const batch = Array.isArray(parsed);
    const items: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
    const calls: JsonRpcCall[] = items.map((call) => (isRecord(call) ? call : {}));
    for (const call of calls) {
      const method = typeof call.method === 'string' ? call.method : '(no method)';
      stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
    }
    if (shouldFail(calls)) {
      fail(req, res);
      return;
    }
    const refusals = await Promise.all(calls.map(rangeRefusal));
    if (!batch) {
      const refusal = refusals[0];
      if (refusal !== undefined) {
        send(res, 200, JSON.stringify(refusal));
        return;
      }
      stats.forwarded++;
      const answer = await post(target, body);
      send(res, answer.status, answer.text);
      return;
    }
    const passed = calls.filter((_, index) => refusals[index] === undefined);
    const answered = new Map<unknown, unknown>();
    if (passed.length > 0) {
      stats.forwarded += passed.length;
      const answer = await post(target, JSON.stringify(passed));
      const results: unknown = JSON.parse(answer.text);
      // A batch the target refused as a whole (not an array) goes back as it came.
      if (!Array.isArray(results)) {
        send(res, answer.status, answer.text);
        return;
      }
      for (const result of results) if (isRecord(result)) answered.set(result.id, result);
    }
    const merged = calls
      .map((call, index) => refusals[index] ?? answered.get(call.id))
      .filter((result) => result !== undefined);
    send(res, 200, JSON.stringify(merged));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The proxy itself broke (target unreachable, bad answer): say so with a status a client
      // does not mistake for a node's refusal, or end the socket if the answer had started.
      if (res.headersSent) res.destroy(error instanceof Error ? error : new Error(String(error)));
      else send(res, 502, `RPC proxy error: ${error instanceof Error ? error.message : String(error)}`, 'text/plain');
    });
  });
  server.keepAliveTimeout = 5_000;
  const port = await listen(server);
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    configure(changes) {
      const seedChanged = changes.seed !== undefined && changes.seed !== settings.seed;
      settings = applyOptions(settings, changes);
      if (seedChanged) {
        random = seededRandom(settings.seed);
        failures = 0;
      }
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Idle keep-alive sockets (fetch and viem keep them) would hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
