/**
 * OKX v5 request authentication. The checks run in OKX's order and the first failure answers:
 *
 *  1. headers present and non-empty: OK-ACCESS-KEY 50103, -PASSPHRASE 50104, -SIGN 50106,
 *     -TIMESTAMP 50107 (names case-insensitive);
 *  2. the key exists: 50111;
 *  3. the timestamp is strict ISO-8601 with milliseconds and Z: 50112;
 *  4. it is within ±windowMs (30 s) of the server clock: 50102;
 *  5. the key is usable: revoked or expired 50111, frozen 50100;
 *  6. the passphrase matches (HMAC, constant time): 50105;
 *  7. the signature matches (constant time after a length check): 50113;
 *  8. the request is not a replay: 50113 "request replayed";
 *  9. the client IP is in the key's own allowlist and, for a broker-bound key, in the broker's
 *     ranges: 50110;
 * 10. the key has the route's permission: 50120 (HTTP 200, as OKX answers it).
 *
 * Replays: the id of a request is sha256(api key ‖ signature), and the signature covers the
 * timestamp, method, path with query and body, so two requests with one id are one request. Only
 * accepted requests are recorded, for max(60 s, 2 × window + 1 s): a request whose timestamp is
 * still inside the window is always remembered. Recording is the last step and atomic with the
 * check, so an identical request that fails the IP or permission check (9, 10) is answered with
 * that failure rather than 50113; it is refused either way and nothing was recorded for it.
 *
 * The signature is compared as the Base64 text received, not as decoded bytes, so another
 * spelling of the same bytes cannot pass as a new request. `authenticate` returns failures as
 * values; it throws only when the key source or the replay guard fails (database or Redis down),
 * which the gateway answers as a server error (OKX 50001/50026), never as success.
 */
import { BaseError } from '@custos/core';
import { type Clock, systemClock } from './clock.js';
import { OKX_ERRORS, OKX_REPLAY_MSG, type OkxErrorCode } from './errors.js';
import { compileAllowlist, type IpMatcher, normaliseIp } from './ip.js';
import { keyStatusAt, type Permission } from './policy.js';
import type { ReplayGuard } from './replay.js';
import { okxSign, parseOkxTimestamp } from './sign.js';
import type { AuthKeyRecord, KeySource } from './store.js';

export interface OkxAuthRequest {
  /** As Node gives them (`IncomingHttpHeaders`); names are matched case-insensitively. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  method: string;
  /** The path with the query string exactly as received (`/api/v5/account/balance?ccy=BTC`). */
  url: string;
  /** The exact body as received; '' when there is none. */
  rawBody: string;
  /** The client address the gateway trusts (socket or trusted proxy). */
  clientIp: string;
  /** The permission the route needs. */
  permission: Permission;
}

export interface AuthenticatedKey {
  apiKey: string;
  accountId: bigint;
  permissions: readonly Permission[];
  brokerId: string | null;
}

export type OkxAuthResult =
  | { ok: true; key: AuthenticatedKey }
  | { ok: false; code: OkxErrorCode; httpStatus: number; msg: string };

export interface OkxAuthenticatorOptions {
  store: KeySource;
  replay: ReplayGuard;
  clock?: Clock;
  /** Accepted distance between OK-ACCESS-TIMESTAMP and the server clock, ms (default 30,000). */
  windowMs?: number;
}

export interface OkxAuthenticator {
  readonly windowMs: number;
  /** How long an accepted request's id is remembered, ms. */
  readonly replayTtlMs: number;
  authenticate(request: OkxAuthRequest): Promise<OkxAuthResult>;
}

const HEADERS = {
  'ok-access-key': 'key',
  'ok-access-passphrase': 'passphrase',
  'ok-access-sign': 'sign',
  'ok-access-timestamp': 'timestamp',
} as const;

type HeaderField = (typeof HEADERS)[keyof typeof HEADERS];

/**
 * undefined: absent or empty; null: present more than once (repeated or spelt in two cases),
 * which no check accepts; otherwise the value.
 */
type HeaderValues = Record<HeaderField, string | null | undefined>;

function readHeaders(headers: OkxAuthRequest['headers']): HeaderValues {
  const out: HeaderValues = { key: undefined, passphrase: undefined, sign: undefined, timestamp: undefined };
  const seen = new Set<HeaderField>();
  for (const name of Object.keys(headers)) {
    const field = HEADERS[name.toLowerCase() as keyof typeof HEADERS];
    if (field === undefined) continue;
    const raw = headers[name];
    let value: string | null | undefined;
    if (typeof raw === 'string') value = raw;
    else if (Array.isArray(raw)) value = raw.length === 1 && typeof raw[0] === 'string' ? raw[0] : null;
    else value = undefined;
    if (value === undefined || value === '') continue;
    out[field] = seen.has(field) ? null : value;
    seen.add(field);
  }
  return out;
}

function fail(code: OkxErrorCode, msg?: string): OkxAuthResult {
  const entry = OKX_ERRORS[code];
  return { ok: false, code, httpStatus: entry.httpStatus, msg: msg ?? entry.msg };
}

/**
 * Constant-time equality of a presented string and the expected one: every code unit is compared
 * whatever the first difference (a length difference answers at once; lengths are public here).
 */
function sameText(presented: string, expected: string): boolean {
  if (presented.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= presented.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

export function createOkxAuthenticator(options: OkxAuthenticatorOptions): OkxAuthenticator {
  const { store, replay } = options;
  const clock = options.clock ?? systemClock;
  const windowMs = options.windowMs ?? 30_000;
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new BaseError('INVALID_CONFIG', 'the OKX authentication window must be a positive number of ms', {
      details: { option: 'windowMs' },
    });
  }
  const replayTtlMs = Math.max(60_000, 2 * windowMs + 1_000);
  // Compiled allowlists per record; records are cached by the store, so this mostly hits.
  const matchers = new WeakMap<AuthKeyRecord, { own: IpMatcher | null; broker: IpMatcher | null }>();
  const matchersOf = (record: AuthKeyRecord) => {
    let m = matchers.get(record);
    if (m === undefined) {
      m = {
        own: record.ipAllowlist.length > 0 ? compileAllowlist(record.ipAllowlist) : null,
        broker: record.brokerId !== null ? compileAllowlist(record.brokerCidrs ?? []) : null,
      };
      matchers.set(record, m);
    }
    return m;
  };

  async function authenticate(request: OkxAuthRequest): Promise<OkxAuthResult> {
    const h = readHeaders(request.headers);
    if (h.key === undefined) return fail('50103');
    if (h.passphrase === undefined) return fail('50104');
    if (h.sign === undefined) return fail('50106');
    if (h.timestamp === undefined) return fail('50107');

    const record = h.key === null ? null : await store.authKey(h.key);
    if (record === null) return fail('50111');

    const ts = h.timestamp === null ? null : parseOkxTimestamp(h.timestamp);
    if (ts === null || h.timestamp === null) return fail('50112');
    const now = clock.now();
    if (Math.abs(now - ts) > windowMs) return fail('50102');

    const status = keyStatusAt(record, now);
    if (status === 'revoked' || status === 'expired') return fail('50111');
    if (status === 'frozen') return fail('50100');

    if (h.passphrase === null || !store.verifyPassphrase(record, h.passphrase)) return fail('50105');

    const expected = okxSign(record.secretKey, h.timestamp, request.method, request.url, request.rawBody);
    if (h.sign === null || !sameText(h.sign, expected)) return fail('50113');

    const { own, broker } = matchersOf(record);
    const ipOk =
      (own === null || own.matches(request.clientIp)) && (broker === null || broker.matches(request.clientIp));
    const permitted = record.permissions.includes(request.permission);
    if (ipOk && permitted) {
      // The signature is an HMAC over the timestamp and the whole request: with the key it names one
      // request exactly, and only the key's holder can make another.
      if (!(await replay.firstSeen(`${record.apiKey}:${h.sign}`, replayTtlMs))) return fail('50113', OKX_REPLAY_MSG);
      await store.touch(record.apiKey);
      return {
        ok: true,
        key: {
          apiKey: record.apiKey,
          accountId: record.accountId,
          permissions: record.permissions,
          brokerId: record.brokerId,
        },
      };
    }
    if (!ipOk) {
      let shown: string;
      try {
        shown = normaliseIp(request.clientIp);
      } catch {
        shown = String(request.clientIp).slice(0, 64);
      }
      return fail('50110', OKX_ERRORS['50110'].msg.replace('{ip}', shown));
    }
    return fail('50120');
  }

  return { windowMs, replayTtlMs, authenticate };
}
