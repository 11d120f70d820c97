/**
 * Reading an account's whole event history with `eth_getLogs` only works if the reader bends to
 * the node: every provider caps the block range or the response size of one query, each says so in
 * its own words, and public endpoints drop or throttle a share of requests under load. So the
 * history is read in pages whose range adapts: it halves (or takes the range the node suggests)
 * when the node refuses, remembers a hard limit the node states, and grows back once pages pass
 * again; transient failures are retried with capped, jittered back-off, and anything else fails at
 * once with the node's reason. `classifyRpcError` knows the refusals of Geth, Infura, Alchemy,
 * QuickNode, Erigon, Ankr, Cloudflare and the error shapes of viem and bare EIP-1193 providers;
 * `requestWithRetry` lends the same retry policy to the other calls of the scanner.
 */
import { BaseError } from '@custos/core';
import { type Eip1193Like, rpcErrorChain } from '@custos/risk';

/** A log as eth_getLogs returns it (hex quantities). */
export interface RpcLog {
  address: `0x${string}`;
  topics: `0x${string}`[];
  data: `0x${string}`;
  blockNumber: `0x${string}`;
  blockHash: `0x${string}`;
  transactionHash: `0x${string}`;
  logIndex: `0x${string}`;
  removed?: boolean;
}

/** One answered query: every live log in blocks `fromBlock..toBlock` (inclusive). */
export interface LogPage {
  fromBlock: bigint;
  toBlock: bigint;
  logs: RpcLog[];
}

export interface RetryPolicy {
  /** Total tries of one request, the first included; default 6. */
  attempts?: number;
  /** Ceiling of the first wait in milliseconds, doubled per retry; default 250. */
  baseDelayMs?: number;
  /** Largest ceiling of any wait in milliseconds; default 8 000. */
  maxDelayMs?: number;
}

export type RetryInfo = { attempt: number; delayMs: number; reason: string };
export type ShrinkInfo = { from: bigint; to: bigint; nextRange: bigint; reason: string };

export interface ReadLogsOptions {
  rpc: Eip1193Like;
  /** eth_getLogs topics filter, e.g. [[t0a, t0b], ownerTopic] */
  topics: readonly (`0x${string}` | readonly `0x${string}`[] | null)[];
  address?: `0x${string}` | readonly `0x${string}`[];
  /** First block read (inclusive). */
  fromBlock: bigint;
  /** Last block read (inclusive); below `fromBlock` nothing is read. */
  toBlock: bigint;
  /** Starting and largest block range per request (default 10_000n). */
  maxRange?: bigint;
  retry?: RetryPolicy;
  /** For tests: replaces setTimeout-based sleeping. */
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  /** Called before each retry wait (for logs and metrics). */
  onRetry?: (info: RetryInfo) => void;
  /** Called on each range shrink (for logs and metrics). */
  onShrink?: (info: ShrinkInfo) => void;
}

export interface RequestWithRetryOptions {
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  onRetry?: ReadLogsOptions['onRetry'];
}

export type RpcErrorKind = 'too-large' | 'transient' | 'fatal';

export interface RpcErrorClass {
  /** A fatal answer that is the call reverting (the node answered; asking again gives the same). */
  reverted?: boolean;
  kind: RpcErrorKind;
  /** One line that is safe to log: status or code, and the node's words without URLs. */
  reason: string;
  /** A block range the node says it would answer, when its message names one. */
  suggestedRange?: bigint;
  /** The node's fixed maximum block range, when its message states one (the range never grows above it). */
  rangeLimit?: bigint;
}

export const DEFAULT_MAX_RANGE = 10_000n;
/** Consecutive answered pages after which the range doubles again. */
export const GROW_AFTER_PAGES = 4;
const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 6, baseDelayMs: 250, maxDelayMs: 8_000 };
const HEX_QUANTITY = /^0x[0-9a-fA-F]+$/;

/**
 * Refusals of a range or of a response size, as the nodes word them. Tested before the transient
 * patterns: a refused range must shrink, retrying it unchanged cannot pass.
 */
const TOO_LARGE_PATTERNS: readonly RegExp[] = [
  /query returned more than [\d,]+ results/i, // Geth, Infura
  /try with this block range/i, // Infura
  /response size (?:exceeded|is too large|too large|limit)/i, // Alchemy "Log response size exceeded"
  /this block range should work/i, // Alchemy
  /requests? with up to an? [\d,_]+\s*k? block range/i, // Alchemy
  /is limited to an? [\d,_]+\s*k? (?:block )?range/i, // QuickNode, Erigon
  /block range (?:is )?too (?:large|wide|big)/i, // generic, Ankr
  /exceeds? (?:the )?max(?:imum)? block range/i, // "exceed maximum block range: 5000", "query exceeds max block range 1000"
  /\bmax(?:imum)? (?:block )?range\b/i, // Cloudflare "Max range 800"
  /range limit exceeded/i,
  /block range limit/i,
  /too many blocks/i,
  /ranges? over [\d,_]+ blocks/i, // "ranges over 10000 blocks are not supported"
  /(?:returned|query (?:returned|has)) too many (?:results|logs)/i,
  /too many (?:logs|results) (?:in|for|returned)/i,
];

/** Failures that pass with time: throttling, a busy or lagging node, a broken connection. */
const TRANSIENT_PATTERNS: readonly RegExp[] = [
  /rate.?limit/i,
  /request rate exceeded/i,
  /too many requests/i,
  /request limit reached/i,
  /(?:exceeded|exceeds) .{0,40}(?:capacity|compute units|throughput|requests? per)/i,
  /header not found/i,
  /\btime(?:d)?[ -]?out\b/i,
  /took too long/i,
  /\bbusy\b/i,
  /fetch failed/i,
  /socket hang up/i,
  /other side closed/i,
  /\b(?:ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH)\b/,
  /network (?:error|failure|is unreachable)/i,
  // A gateway in front of the node (custos serve among them) that hides the transport's words.
  /\bnode\b.{0,40}\b(?:is unreachable|did not answer in time)\b/i,
  /temporarily unavailable|service unavailable|bad gateway|gateway time-?out/i,
  /try again later/i,
];

/** System and undici error codes of a connection that failed or broke. */
const TRANSIENT_SYSTEM_CODES =
  /^(?:ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|UND_ERR_\w+)$/;

/** JSON-RPC codes that mean "not now" rather than "never": internal error, resource unavailable, 429, QuickNode's rate limit. */
const TRANSIENT_RPC_CODES = new Set([-32603, -32002, 429, -32007]);

/** -32005 "limit exceeded": Infura and others refuse oversized queries with it (rate limits are matched before). */
const LIMIT_EXCEEDED = -32005;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A quantity as JSON-RPC wants it: 0x-hex without leading zeros, `0x0` for zero. */
export function toRpcQuantity(value: bigint): `0x${string}` {
  return `0x${value.toString(16)}`;
}

interface ErrorFacts {
  texts: string[];
  codes: number[];
  systemCodes: string[];
  statuses: number[];
  names: string[];
}

function collectFacts(error: unknown): ErrorFacts {
  const facts: ErrorFacts = { texts: [], codes: [], systemCodes: [], statuses: [], names: [] };
  if (typeof error === 'string') facts.texts.push(error);
  for (const e of rpcErrorChain(error)) {
    for (const field of ['shortMessage', 'details', 'message'] as const) {
      const text = e[field];
      if (typeof text === 'string' && text.length > 0) facts.texts.push(text);
    }
    if (typeof e.code === 'number') facts.codes.push(e.code);
    else if (typeof e.code === 'string') facts.systemCodes.push(e.code);
    // Our own errors carry the HTTP status they would be served with, not one a node answered.
    if (typeof e.status === 'number' && !(e instanceof BaseError)) facts.statuses.push(e.status);
    if (typeof e.name === 'string') facts.names.push(e.name);
  }
  return facts;
}

/** The node's words, first line, without URLs (an RPC URL may carry an API key), bounded. */
function safeText(error: unknown): string {
  let text: string | undefined;
  if (typeof error === 'string') text = error;
  for (const e of rpcErrorChain(error)) {
    if (text !== undefined) break;
    const short = typeof e.shortMessage === 'string' ? e.shortMessage : undefined;
    const details = typeof e.details === 'string' ? e.details : undefined;
    const message = typeof e.message === 'string' ? e.message : undefined;
    if (short !== undefined) text = details !== undefined && !short.includes(details) ? `${short} ${details}` : short;
    else if (message !== undefined && message.length > 0) text = message;
  }
  const line = (text ?? 'unknown RPC failure').split('\n')[0] ?? '';
  return line.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 240);
}

function describe(error: unknown, facts: ErrorFacts): string {
  const prefix: string[] = [];
  const status = facts.statuses[0];
  if (status !== undefined) prefix.push(`HTTP ${status}`);
  const code = facts.codes.find((c) => c !== -1);
  if (code !== undefined) prefix.push(`JSON-RPC ${code}`);
  const text = safeText(error);
  return prefix.length > 0 ? `${prefix.join(', ')}: ${text}` : text;
}

function parseCount(digits: string, kilo: string | undefined): bigint | undefined {
  const cleaned = digits.replace(/[,_]/g, '');
  if (!/^\d{1,15}$/.test(cleaned)) return undefined;
  const value = BigInt(cleaned) * (kilo === undefined || kilo === '' ? 1n : 1000n);
  return value >= 1n ? value : undefined;
}

/** What nodes say when the call itself reverted (not a node failure). */
const REVERT_PATTERNS: readonly RegExp[] = [/revert/i, /invalid opcode/i, /out of gas/i, /execution (?:failed|error)/i];

/** Messages that state the node's fixed maximum range (N blocks). */
const RANGE_LIMIT_PATTERNS: readonly RegExp[] = [
  /max(?:imum)? (?:block )?range:?\s*(?:is\s*)?([\d,_]+)\s*(k)?\b/i,
  /limited to an? ([\d,_]+)\s*(k)? (?:block )?range/i,
  /ranges? over ([\d,_]+)\s*(k)? blocks/i,
  /block range limit:?\s*\(?([\d,_]+)\s*(k)?\b/i,
];

/** Messages that propose a range without it being a fixed limit. */
const RANGE_HINT_PATTERNS: readonly RegExp[] = [/up to an? ([\d,_]+)\s*(k)? block range/i];

/** `[0xA, 0xB]` as printed by Infura and Alchemy: the range they would answer. */
const BRACKET_RANGE = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/i;

function rangeHints(texts: readonly string[]): { suggestedRange?: bigint; rangeLimit?: bigint } {
  for (const text of texts) {
    const bracket = BRACKET_RANGE.exec(text);
    if (bracket?.[1] !== undefined && bracket[2] !== undefined) {
      const from = BigInt(bracket[1]);
      const to = BigInt(bracket[2]);
      if (to >= from) return { suggestedRange: to - from + 1n };
    }
  }
  for (const text of texts) {
    for (const pattern of RANGE_LIMIT_PATTERNS) {
      const match = pattern.exec(text);
      const value = match?.[1] === undefined ? undefined : parseCount(match[1], match[2]);
      if (value !== undefined) return { suggestedRange: value, rangeLimit: value };
    }
  }
  for (const text of texts) {
    for (const pattern of RANGE_HINT_PATTERNS) {
      const match = pattern.exec(text);
      const value = match?.[1] === undefined ? undefined : parseCount(match[1], match[2]);
      if (value !== undefined) return { suggestedRange: value };
    }
  }
  return {};
}

/**
 * Classifies an RPC error: 'too-large' (the node refuses the range or the response size),
 * 'transient' (retry), 'fatal'. Also returns a suggested range when the node's message names one.
 * Looks through the `cause` chain and at `code`, `message`, `details`, `shortMessage` and
 * `status`, so viem's errors, plain EIP-1193 `{code, message}` objects and fetch failures all fit.
 */
export function classifyRpcError(error: unknown): RpcErrorClass {
  const facts = collectFacts(error);
  const reason = describe(error, facts);
  const matches = (patterns: readonly RegExp[]): boolean =>
    facts.texts.some((text) => patterns.some((pattern) => pattern.test(text)));

  if (matches(TOO_LARGE_PATTERNS)) return { kind: 'too-large', reason, ...rangeHints(facts.texts) };
  // A call that reverted was answered: asking again gives the same answer (nodes often wrap a revert
  // in -32603 "internal error", which would otherwise read as transient).
  if (facts.codes.includes(3) || matches(REVERT_PATTERNS)) return { kind: 'fatal', reason, reverted: true };
  if (matches(TRANSIENT_PATTERNS)) return { kind: 'transient', reason };
  // Throttling first: Infura answers HTTP 429 with -32005 "project ID request rate exceeded".
  if (facts.statuses.some((s) => s === 408 || s === 425 || s === 429 || (s >= 500 && s <= 599))) {
    return { kind: 'transient', reason };
  }
  if (facts.codes.includes(LIMIT_EXCEEDED)) return { kind: 'too-large', reason, ...rangeHints(facts.texts) };
  if (facts.codes.some((c) => TRANSIENT_RPC_CODES.has(c))) return { kind: 'transient', reason };
  if (facts.systemCodes.some((c) => TRANSIENT_SYSTEM_CODES.test(c))) return { kind: 'transient', reason };
  if (facts.names.includes('TimeoutError')) return { kind: 'transient', reason };
  return { kind: 'fatal', reason };
}

function invalidRequest(field: string, expected: string, got: unknown): BaseError {
  return new BaseError('APPROVALS_INVALID_REQUEST', `"${field}" expected ${expected}, got ${String(got)}`, {
    details: { field },
  });
}

function retryPolicy(retry: RetryPolicy | undefined): Required<RetryPolicy> {
  const policy = { ...DEFAULT_RETRY, ...retry };
  if (!Number.isSafeInteger(policy.attempts) || policy.attempts < 1) {
    throw invalidRequest('retry.attempts', 'a positive integer', policy.attempts);
  }
  if (!(policy.baseDelayMs >= 0)) throw invalidRequest('retry.baseDelayMs', 'a number ≥ 0', policy.baseDelayMs);
  if (!(policy.maxDelayMs >= 0)) throw invalidRequest('retry.maxDelayMs', 'a number ≥ 0', policy.maxDelayMs);
  return policy;
}

/**
 * The wait before retry number `attempt` (1 after the first failure): "full jitter", a uniform
 * draw below `min(maxDelayMs, baseDelayMs · 2^(attempt−1))`, so clients that failed together do not
 * come back together.
 */
export function backoffDelay(attempt: number, retry?: RetryPolicy, random: () => number = Math.random): number {
  const { baseDelayMs, maxDelayMs } = { ...DEFAULT_RETRY, ...retry };
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function timerSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type Attempted = { ok: true; value: unknown } | { ok: false; error: unknown; verdict: RpcErrorClass };

/** Tries a request under the retry policy; a 'too-large' refusal comes back to the caller unretried. */
async function attempt(
  rpc: Eip1193Like,
  method: string,
  params: readonly unknown[],
  options: RequestWithRetryOptions,
): Promise<Attempted> {
  const policy = retryPolicy(options.retry);
  const { signal } = options;
  for (let tries = 1; ; tries++) {
    signal?.throwIfAborted();
    let error: unknown;
    try {
      return { ok: true, value: await untilAborted(rpc.request({ method, params }), signal) };
    } catch (caught) {
      error = caught;
    }
    // After an abort the failure is the abort, whatever the transport made of it.
    signal?.throwIfAborted();
    const verdict = classifyRpcError(error);
    if (verdict.kind === 'too-large') return { ok: false, error, verdict };
    if (verdict.kind === 'fatal') {
      // The reason goes into the message: it is what a user (or a log) needs to see first.
      throw new BaseError('APPROVALS_RPC_FAILED', `The node refused ${method}: ${verdict.reason.slice(0, 300)}`, {
        details: { method, attempts: tries, reason: verdict.reason, reverted: verdict.reverted === true },
        cause: error,
      });
    }
    if (tries >= policy.attempts) {
      throw new BaseError('APPROVALS_RPC_FAILED', `${method} kept failing (${tries} tries).`, {
        details: { method, attempts: tries, reason: verdict.reason },
        hints: ['The node is unreachable, overloaded or throttling: try again later or use another RPC endpoint.'],
        cause: error,
      });
    }
    // Math.random is fine here: jitter only spreads retries out, nothing depends on it being unpredictable.
    const delayMs = backoffDelay(tries, policy);
    options.onRetry?.({ attempt: tries, delayMs, reason: verdict.reason });
    if (options.sleep === undefined) await timerSleep(delayMs, signal);
    else await untilAborted(options.sleep(delayMs), signal);
  }
}

/**
 * Calls `rpc.request` with the retry policy for transient errors (exponential back-off with full
 * jitter, capped). Throws APPROVALS_RPC_FAILED after the last attempt or at once for a fatal error
 * (cause kept; details: method, attempts, reason). A 'too-large' refusal is rethrown as it came,
 * so the caller can shrink its request; an abort throws the signal's reason.
 */
export async function requestWithRetry(
  rpc: Eip1193Like,
  method: string,
  params: readonly unknown[],
  options: RequestWithRetryOptions = {},
): Promise<unknown> {
  const result = await attempt(rpc, method, params, options);
  if (!result.ok) {
    // Only eth_getLogs pages can shrink; for any other call a "too large" answer is a failure.
    throw new BaseError('APPROVALS_RPC_FAILED', `The node refused ${method} as too large.`, {
      details: { method, reason: result.verdict.reason },
      cause: result.error,
    });
  }
  return result.value;
}

function malformed(reason: string, from: bigint, to: bigint, extra: Record<string, string | number> = {}): BaseError {
  return new BaseError('APPROVALS_RPC_FAILED', `eth_getLogs returned a malformed answer: ${reason}.`, {
    details: { method: 'eth_getLogs', fromBlock: from.toString(), toBlock: to.toString(), reason, ...extra },
  });
}

/** The live logs of an answer, checked to be logs of the blocks asked for. */
function liveLogs(answer: unknown, from: bigint, to: bigint): RpcLog[] {
  if (!Array.isArray(answer)) {
    throw malformed('not an array', from, to, { received: answer === null ? 'null' : typeof answer });
  }
  const logs: RpcLog[] = [];
  for (const [index, log] of answer.entries()) {
    if (!isRecord(log)) throw malformed('an entry is not an object', from, to, { index });
    if (log.removed === true) continue;
    const { blockNumber, transactionHash, logIndex, topics } = log;
    if (
      typeof blockNumber !== 'string' ||
      !HEX_QUANTITY.test(blockNumber) ||
      typeof transactionHash !== 'string' ||
      typeof logIndex !== 'string' ||
      !Array.isArray(topics)
    ) {
      throw malformed('an entry is not a log', from, to, { index });
    }
    const block = BigInt(blockNumber);
    // A log outside the range would be read twice (or never) across pages.
    if (block < from || block > to) throw malformed('a log lies outside the requested blocks', from, to, { index });
    logs.push(log as unknown as RpcLog);
  }
  return logs;
}

/**
 * Yields contiguous pages, ascending, covering [fromBlock, toBlock] exactly once. Starts with
 * `maxRange` blocks per request; a refused range halves (or takes the node's suggestion), a single
 * refused block is APPROVALS_TOO_MUCH_ACTIVITY, and after GROW_AFTER_PAGES answered pages the
 * range doubles again, never above `maxRange` nor above a limit the node has stated.
 */
export async function* readLogPages(options: ReadLogsOptions): AsyncGenerator<LogPage> {
  const maxRange = options.maxRange ?? DEFAULT_MAX_RANGE;
  if (maxRange < 1n) throw invalidRequest('maxRange', 'at least 1', maxRange);
  if (options.fromBlock < 0n) throw invalidRequest('fromBlock', 'a block number ≥ 0', options.fromBlock);
  retryPolicy(options.retry);
  const { rpc, topics, address, toBlock, signal } = options;
  const retryOptions: RequestWithRetryOptions = {
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(signal === undefined ? {} : { signal }),
    ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
  };
  let ceiling = maxRange;
  let range = maxRange;
  let streak = 0;
  let start = options.fromBlock;
  while (start <= toBlock) {
    signal?.throwIfAborted();
    const end = start + range - 1n < toBlock ? start + range - 1n : toBlock;
    const filter = {
      fromBlock: toRpcQuantity(start),
      toBlock: toRpcQuantity(end),
      topics,
      ...(address === undefined ? {} : { address }),
    };
    const result = await attempt(rpc, 'eth_getLogs', [filter], retryOptions);
    if (!result.ok) {
      const { verdict } = result;
      const span = end - start + 1n;
      if (span <= 1n) {
        throw new BaseError(
          'APPROVALS_TOO_MUCH_ACTIVITY',
          `The node refuses to return the logs of block ${start} even alone.`,
          {
            details: { fromBlock: start.toString(), toBlock: end.toString(), reason: verdict.reason },
            hints: ['Use a node without a response size limit (an archive node of your own) for this account.'],
            cause: result.error,
          },
        );
      }
      if (verdict.rangeLimit !== undefined && verdict.rangeLimit < ceiling) ceiling = verdict.rangeLimit;
      const suggested = verdict.suggestedRange;
      let next = suggested !== undefined && suggested >= 1n && suggested < span ? suggested : span / 2n;
      if (next > ceiling) next = ceiling;
      options.onShrink?.({ from: start, to: end, nextRange: next, reason: verdict.reason });
      range = next;
      streak = 0;
      continue;
    }
    const logs = liveLogs(result.value, start, end);
    yield { fromBlock: start, toBlock: end, logs };
    start = end + 1n;
    streak++;
    if (streak >= GROW_AFTER_PAGES && range < ceiling) {
      range = range * 2n < ceiling ? range * 2n : ceiling;
      streak = 0;
    }
  }
}
