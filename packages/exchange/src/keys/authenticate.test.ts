import { randomBytes } from 'node:crypto';
import type { Database } from '@custos/db';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountFactory, openExchangeTestDb } from '../testing/db.js';
import { createOkxAuthenticator, type OkxAuthRequest, type OkxAuthResult } from './authenticate.js';
import type { Clock } from './clock.js';
import type { Permission } from './policy.js';
import { MemoryReplayGuard } from './replay.js';
import { okxSign, okxTimestamp } from './sign.js';
import { type ApiKeySpec, ApiKeyStore } from './store.js';

const DAY = 24 * 60 * 60 * 1000;

let db: Database;
const secretsKey = randomBytes(32);
const passphraseKey = randomBytes(32);

beforeAll(async () => {
  db = await openExchangeTestDb();
});
afterAll(async () => db?.close());

const newAccount = accountFactory(() => db, 'auth-user');

interface Credentials {
  apiKey: string;
  secretKey: string;
  passphrase: string;
}

/** One gateway: a store, a replay guard and an authenticator sharing one movable clock. */
function gateway(windowMs?: number) {
  const clock: Clock & { t: number } = {
    t: Date.UTC(2025, 5, 1, 12),
    now() {
      return this.t;
    },
  };
  const store = new ApiKeyStore(db, { secretsKey, passphraseKey, clock });
  const replay = new MemoryReplayGuard({ clock });
  const auth = createOkxAuthenticator(
    windowMs === undefined ? { store, replay, clock } : { store, replay, clock, windowMs },
  );
  return { clock, store, auth };
}

type Gateway = ReturnType<typeof gateway>;

async function keyFor(g: Gateway, spec: Partial<ApiKeySpec> = {}): Promise<Credentials & { accountId: bigint }> {
  const accountId = await newAccount();
  const created = await g.store.create(accountId, { label: 'test', permissions: ['read', 'trade'], ...spec });
  return { ...created, accountId };
}

interface RequestOptions {
  method?: string;
  url?: string;
  body?: string;
  ts?: string;
  clientIp?: string;
  permission?: Permission;
  /** Replaces the signed-over parts after signing. */
  sendMethod?: string;
  sendUrl?: string;
  sendBody?: string;
  headers?: Record<string, string | string[] | undefined>;
}

/** A request signed as an OKX client signs it, at the gateway clock's time unless `ts` is given. */
function signed(g: Gateway, c: Credentials, o: RequestOptions = {}): OkxAuthRequest {
  const method = o.method ?? 'GET';
  const url = o.url ?? '/api/v5/account/balance?ccy=BTC';
  const body = o.body ?? '';
  const ts = o.ts ?? okxTimestamp(g.clock.t);
  return {
    headers: {
      'ok-access-key': c.apiKey,
      'ok-access-passphrase': c.passphrase,
      'ok-access-timestamp': ts,
      'ok-access-sign': okxSign(c.secretKey, ts, method, url, body),
      'content-type': 'application/json',
      ...o.headers,
    },
    method: o.sendMethod ?? method,
    url: o.sendUrl ?? url,
    rawBody: o.sendBody ?? body,
    clientIp: o.clientIp ?? '203.0.113.10',
    permission: o.permission ?? 'read',
  };
}

function failure(code: string, httpStatus: number, msg: string): OkxAuthResult {
  return { ok: false, code: code as never, httpStatus, msg };
}

const INVALID_KEY = failure('50111', 401, 'Invalid OK-ACCESS-KEY');
const INVALID_TS = failure('50112', 401, 'Invalid OK-ACCESS-TIMESTAMP');
const EXPIRED_TS = failure('50102', 401, 'Timestamp request expired');
const BAD_PASSPHRASE = failure('50105', 401, 'OK-ACCESS-PASSPHRASE incorrect');
const BAD_SIGN = failure('50113', 401, 'Invalid signature');
const REPLAYED = failure('50113', 401, 'request replayed');
const FROZEN = failure('50100', 400, 'API frozen, please contact customer service');
const NO_PERMISSION = failure('50120', 200, "This API key doesn't have permission to use this function");
const ipRefused = (ip: string) => failure('50110', 401, `Your IP ${ip} is not included in your API key's IP whitelist`);

describe('a correctly signed request', () => {
  it('is accepted and names the key and its account', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, c))).toEqual({
      ok: true,
      key: { apiKey: c.apiKey, accountId: c.accountId, permissions: ['read', 'trade'], brokerId: null },
    });
  });

  it('is accepted for a POST with a JSON body', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const body = '{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":"2"}';
    const result = await g.auth.authenticate(
      signed(g, c, { method: 'POST', url: '/api/v5/trade/order', body, permission: 'trade' }),
    );
    expect(result.ok).toBe(true);
  });

  it('is accepted when signed by an independent HMAC implementation', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const ts = okxTimestamp(g.clock.t);
    const path = '/api/v5/account/balance?ccy=BTC,ETH';
    const sign = Buffer.from(hmac(sha256, utf8ToBytes(c.secretKey), utf8ToBytes(`${ts}GET${path}`))).toString('base64');
    const request = signed(g, c, { url: path, ts, headers: { 'ok-access-sign': sign } });
    expect((await g.auth.authenticate(request)).ok).toBe(true);
  });

  it('matches header names case-insensitively', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const base = signed(g, c);
    const headers = {
      'OK-ACCESS-KEY': base.headers['ok-access-key'],
      'Ok-Access-Passphrase': base.headers['ok-access-passphrase'],
      'ok-ACCESS-timestamp': base.headers['ok-access-timestamp'],
      'OK-access-SIGN': base.headers['ok-access-sign'],
    };
    expect((await g.auth.authenticate({ ...base, headers })).ok).toBe(true);
  });

  it('takes a header given as a one-element array', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const base = signed(g, c);
    const headers = { ...base.headers, 'ok-access-key': [c.apiKey] };
    expect((await g.auth.authenticate({ ...base, headers })).ok).toBe(true);
  });
});

describe('missing headers', () => {
  it.each([
    ['ok-access-key', '50103', 'Request header OK-ACCESS-KEY cannot be empty'],
    ['ok-access-passphrase', '50104', 'Request header OK-ACCESS-PASSPHRASE cannot be empty'],
    ['ok-access-sign', '50106', 'Request header OK-ACCESS-SIGN cannot be empty'],
    ['ok-access-timestamp', '50107', 'Request header OK-ACCESS-TIMESTAMP cannot be empty'],
  ])('without %s: %s', async (header, code, msg) => {
    const g = gateway();
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, c, { headers: { [header]: undefined } }))).toEqual(
      failure(code, 401, msg),
    );
  });

  it.each([
    ['ok-access-key', '50103'],
    ['ok-access-passphrase', '50104'],
    ['ok-access-sign', '50106'],
    ['ok-access-timestamp', '50107'],
  ])('with %s empty: %s', async (header, code) => {
    const g = gateway();
    const c = await keyFor(g);
    const result = await g.auth.authenticate(signed(g, c, { headers: { [header]: '' } }));
    expect(result).toMatchObject({ ok: false, code, httpStatus: 401 });
  });

  it('checks the key header first when all are missing', async () => {
    const g = gateway();
    const request: OkxAuthRequest = {
      headers: {},
      method: 'GET',
      url: '/',
      rawBody: '',
      clientIp: '203.0.113.1',
      permission: 'read',
    };
    expect(await g.auth.authenticate(request)).toMatchObject({ code: '50103' });
  });
});

describe('the key', () => {
  it('unknown (a well-formed UUID): 50111', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, { ...c, apiKey: '4b2e3c1a-0f6d-4e8b-9a7c-5d1e2f3a4b5c' }))).toEqual(
      INVALID_KEY,
    );
  });

  it('malformed: 50111', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, { ...c, apiKey: 'not-a-key' }))).toEqual(INVALID_KEY);
  });

  it('sent twice with different values: 50111', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const base = signed(g, c);
    const headers = { ...base.headers, 'OK-ACCESS-KEY': '4b2e3c1a-0f6d-4e8b-9a7c-5d1e2f3a4b5c' };
    expect(await g.auth.authenticate({ ...base, headers })).toEqual(INVALID_KEY);
  });

  it('sent as a two-element array: 50111', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const base = signed(g, c);
    expect(
      await g.auth.authenticate({ ...base, headers: { ...base.headers, 'ok-access-key': [c.apiKey, c.apiKey] } }),
    ).toEqual(INVALID_KEY);
  });

  it('revoked: 50111', async () => {
    const g = gateway();
    const c = await keyFor(g);
    await g.store.revoke(c.accountId, c.apiKey);
    expect(await g.auth.authenticate(signed(g, c))).toEqual(INVALID_KEY);
  });

  it('frozen: 50100 (HTTP 400), and accepted again once unfrozen', async () => {
    const g = gateway();
    const c = await keyFor(g);
    await g.store.freeze(c.apiKey, 'fraud review');
    expect(await g.auth.authenticate(signed(g, c))).toEqual(FROZEN);
    await g.store.unfreeze(c.apiKey);
    g.clock.t += 1;
    expect((await g.auth.authenticate(signed(g, c))).ok).toBe(true);
  });

  it('past its explicit expiry: 50111', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['read'], expiresAt: new Date(g.clock.t + 60 * 60 * 1000) });
    g.clock.t += 60 * 60 * 1000 - 1;
    expect((await g.auth.authenticate(signed(g, c))).ok).toBe(true);
    g.clock.t += 1;
    expect(await g.auth.authenticate(signed(g, c))).toEqual(INVALID_KEY);
  });
});

describe('the 14-day idle expiry of an unbound trading key', () => {
  it('expires 14 days + 1 ms after creation when never used', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['read', 'trade'] });
    g.clock.t += 14 * DAY + 1;
    expect(await g.auth.authenticate(signed(g, c))).toEqual(INVALID_KEY);
    expect((await g.store.list(c.accountId))[0]?.status).toBe('expired');
  });

  it('still works 1 ms before the 14 days are up', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['read', 'trade'] });
    g.clock.t += 14 * DAY - 1;
    expect((await g.auth.authenticate(signed(g, c))).ok).toBe(true);
  });

  it('is reset by a use within the 14 days', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['read', 'trade'] });
    g.clock.t += 13 * DAY;
    expect((await g.auth.authenticate(signed(g, c))).ok).toBe(true);
    const lastUse = g.clock.t;
    g.clock.t = lastUse + 14 * DAY - 1;
    expect((await g.auth.authenticate(signed(g, c))).ok).toBe(true);
    g.clock.t += 14 * DAY + 1;
    expect(await g.auth.authenticate(signed(g, c))).toEqual(INVALID_KEY);
  });

  it('is reset as seen by a fresh process (the last use is stored)', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['trade'] });
    g.clock.t += 10 * DAY;
    expect((await g.auth.authenticate(signed(g, c, { permission: 'trade' }))).ok).toBe(true);
    const other = gateway();
    other.clock.t = g.clock.t + 14 * DAY - 1;
    expect((await other.auth.authenticate(signed(other, c, { permission: 'trade' }))).ok).toBe(true);
  });

  it('does not apply to a read-only key', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['read'] });
    g.clock.t += 14 * DAY + 1;
    expect((await g.auth.authenticate(signed(g, c))).ok).toBe(true);
    g.clock.t += 365 * DAY;
    expect((await g.auth.authenticate(signed(g, c))).ok).toBe(true);
  });

  it('does not apply to a trading key with an IP allowlist', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['trade'], ipAllowlist: ['203.0.113.0/24'] });
    g.clock.t += 30 * DAY;
    expect((await g.auth.authenticate(signed(g, c, { permission: 'trade' }))).ok).toBe(true);
  });

  it('does not apply to a trading key bound to a broker', async () => {
    const g = gateway();
    await g.store.registerBroker({ id: 'idle-broker', name: 'Idle', cidrs: ['203.0.113.0/24'] });
    const c = await keyFor(g, { permissions: ['trade'], brokerId: 'idle-broker' });
    g.clock.t += 30 * DAY;
    expect((await g.auth.authenticate(signed(g, c, { permission: 'trade' }))).ok).toBe(true);
  });
});

describe('the timestamp', () => {
  it.each([
    ['2025-06-01T12:00:00Z', 'no milliseconds'],
    ['2025-06-01T12:00:00.000', 'no Z'],
    ['2025-06-01T12:00:00.000+00:00', 'a +00:00 offset'],
    ['2025-06-01T14:00:00.000+02:00', 'a +02:00 offset'],
    ['2025-06-01T12:00:00.000z', 'a lower-case z'],
    ['1748779200000', 'epoch milliseconds'],
    ['2025-06-31T12:00:00.000Z', 'June 31'],
  ])('%j (%s): 50112', async (ts) => {
    const g = gateway();
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, c, { ts }))).toEqual(INVALID_TS);
  });

  it('30 s behind the server clock: accepted', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect((await g.auth.authenticate(signed(g, c, { ts: okxTimestamp(g.clock.t - 30_000) }))).ok).toBe(true);
  });

  it('30.001 s behind: 50102', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, c, { ts: okxTimestamp(g.clock.t - 30_001) }))).toEqual(EXPIRED_TS);
  });

  it('30 s ahead: accepted', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect((await g.auth.authenticate(signed(g, c, { ts: okxTimestamp(g.clock.t + 30_000) }))).ok).toBe(true);
  });

  it('30.001 s ahead: 50102', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, c, { ts: okxTimestamp(g.clock.t + 30_001) }))).toEqual(EXPIRED_TS);
  });

  it('a request signed now is refused once the server clock has moved 30.001 s on', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c);
    g.clock.t += 30_001;
    expect(await g.auth.authenticate(request)).toEqual(EXPIRED_TS);
  });

  it('honours a configured window', async () => {
    const g = gateway(5_000);
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, c, { ts: okxTimestamp(g.clock.t - 5_001) }))).toEqual(EXPIRED_TS);
    expect(g.auth.replayTtlMs).toBe(60_000);
  });
});

describe('the passphrase and the signature', () => {
  it('a wrong passphrase: 50105', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, { ...c, passphrase: `${c.passphrase}X` }))).toEqual(BAD_PASSPHRASE);
  });

  it('a passphrase differing only in case: 50105', async () => {
    const g = gateway();
    const c = await keyFor(g, { passphrase: 'Case-Sensitive-1' });
    expect(await g.auth.authenticate(signed(g, { ...c, passphrase: 'case-sensitive-1' }))).toEqual(BAD_PASSPHRASE);
  });

  it('signed with a wrong secret: 50113', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect(
      await g.auth.authenticate(signed(g, { ...c, secretKey: randomBytes(16).toString('hex').toUpperCase() })),
    ).toEqual(BAD_SIGN);
  });

  it('signed with the secret in lower case: 50113', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, { ...c, secretKey: c.secretKey.toLowerCase() }))).toEqual(BAD_SIGN);
  });

  it('body changed after signing: 50113', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c, {
      method: 'POST',
      url: '/api/v5/trade/order',
      body: '{"sz":"1"}',
      sendBody: '{"sz":"100"}',
    });
    expect(await g.auth.authenticate(request)).toEqual(BAD_SIGN);
  });

  it('body re-serialised after signing (whitespace only): 50113', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c, {
      method: 'POST',
      url: '/api/v5/trade/order',
      body: '{"sz":"1"}',
      sendBody: '{"sz": "1"}',
    });
    expect(await g.auth.authenticate(request)).toEqual(BAD_SIGN);
  });

  it('path changed after signing: 50113', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c, { url: '/api/v5/account/balance', sendUrl: '/api/v5/account/positions' });
    expect(await g.auth.authenticate(request)).toEqual(BAD_SIGN);
  });

  it('query changed after signing: 50113', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c, {
      url: '/api/v5/account/balance?ccy=BTC',
      sendUrl: '/api/v5/account/balance?ccy=ETH',
    });
    expect(await g.auth.authenticate(request)).toEqual(BAD_SIGN);
  });

  it('query dropped after signing: 50113', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c, { url: '/api/v5/account/balance?ccy=BTC', sendUrl: '/api/v5/account/balance' });
    expect(await g.auth.authenticate(request)).toEqual(BAD_SIGN);
  });

  it('method changed after signing: 50113', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c, { method: 'GET', sendMethod: 'DELETE' });
    expect(await g.auth.authenticate(request)).toEqual(BAD_SIGN);
  });

  it('timestamp header changed after signing: 50113', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c);
    request.headers = { ...request.headers, 'ok-access-timestamp': okxTimestamp(g.clock.t + 1) };
    expect(await g.auth.authenticate(request)).toEqual(BAD_SIGN);
  });

  it('the same signature bytes in another Base64 spelling: 50113', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c);
    const sign = request.headers['ok-access-sign'] as string;
    request.headers = { ...request.headers, 'ok-access-sign': sign.replace(/=$/, '') };
    expect(await g.auth.authenticate(request)).toEqual(BAD_SIGN);
  });

  it('a rotated secret stops the old one at once', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect((await g.auth.authenticate(signed(g, c))).ok).toBe(true);
    const rotated = await g.store.rotate(c.accountId, c.apiKey);
    g.clock.t += 1;
    expect(await g.auth.authenticate(signed(g, c))).toEqual(BAD_SIGN);
    expect((await g.auth.authenticate(signed(g, { ...c, secretKey: rotated.secretKey }))).ok).toBe(true);
  });

  it('a rotated passphrase stops the old one at once', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const rotated = await g.store.rotate(c.accountId, c.apiKey, { passphrase: 'generate' });
    expect(await g.auth.authenticate(signed(g, { ...c, secretKey: rotated.secretKey }))).toEqual(BAD_PASSPHRASE);
    expect(
      (
        await g.auth.authenticate(
          signed(g, { ...c, secretKey: rotated.secretKey, passphrase: rotated.passphrase as string }),
        )
      ).ok,
    ).toBe(true);
  });
});

describe('replays', () => {
  it('an identical request is refused the second time; a re-signed one with a new timestamp passes', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c);
    expect((await g.auth.authenticate(request)).ok).toBe(true);
    expect(await g.auth.authenticate(request)).toEqual(REPLAYED);
    g.clock.t += 1;
    expect((await g.auth.authenticate(signed(g, c))).ok).toBe(true);
  });

  it('an identical request is refused for as long as its timestamp is inside the window', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c, { ts: okxTimestamp(g.clock.t + 30_000) });
    // Accepted at the window's early edge, replayed at its late edge.
    expect((await g.auth.authenticate(request)).ok).toBe(true);
    g.clock.t += 60_000;
    expect(await g.auth.authenticate(request)).toEqual(REPLAYED);
    g.clock.t += 1;
    expect(await g.auth.authenticate(request)).toEqual(EXPIRED_TS);
  });

  it('concurrent copies of one request: exactly one passes', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, c);
    const results = await Promise.all(Array.from({ length: 10 }, () => g.auth.authenticate(request)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.msg === 'request replayed')).toHaveLength(9);
  });

  it('a refused request (bad signature) is not recorded: the genuine one still passes', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const genuine = signed(g, c);
    const forged = { ...genuine, rawBody: 'tampered' };
    expect(await g.auth.authenticate(forged)).toEqual(BAD_SIGN);
    expect((await g.auth.authenticate(genuine)).ok).toBe(true);
  });

  it('the same request for two keys is two requests', async () => {
    const g = gateway();
    const a = await keyFor(g);
    const b = await keyFor(g);
    expect((await g.auth.authenticate(signed(g, a))).ok).toBe(true);
    expect((await g.auth.authenticate(signed(g, b))).ok).toBe(true);
  });
});

describe('the IP allowlist', () => {
  it('a client outside the list: 50110 naming its address', async () => {
    const g = gateway();
    const c = await keyFor(g, { ipAllowlist: ['203.0.113.0/24'] });
    expect(await g.auth.authenticate(signed(g, c, { clientIp: '198.51.100.9' }))).toEqual(ipRefused('198.51.100.9'));
  });

  it('a client inside the list: accepted', async () => {
    const g = gateway();
    const c = await keyFor(g, { ipAllowlist: ['203.0.113.0/24'] });
    expect((await g.auth.authenticate(signed(g, c, { clientIp: '203.0.113.250' }))).ok).toBe(true);
  });

  it('an IPv6 client inside an IPv6 CIDR: accepted', async () => {
    const g = gateway();
    const c = await keyFor(g, { ipAllowlist: ['2001:db8:abcd::/48'] });
    expect((await g.auth.authenticate(signed(g, c, { clientIp: '2001:db8:abcd:12::7' }))).ok).toBe(true);
  });

  it('an IPv6 client outside the IPv6 CIDR: 50110', async () => {
    const g = gateway();
    const c = await keyFor(g, { ipAllowlist: ['2001:db8:abcd::/48'] });
    expect(await g.auth.authenticate(signed(g, c, { clientIp: '2001:db8:abce::7' }))).toEqual(
      ipRefused('2001:db8:abce::7'),
    );
  });

  it('an IPv4-mapped IPv6 client counts as its IPv4 address', async () => {
    const g = gateway();
    const c = await keyFor(g, { ipAllowlist: ['203.0.113.0/24'] });
    expect((await g.auth.authenticate(signed(g, c, { clientIp: '::ffff:203.0.113.20' }))).ok).toBe(true);
  });

  it('an IPv4-mapped client outside the list: 50110 with its IPv4 address', async () => {
    const g = gateway();
    const c = await keyFor(g, { ipAllowlist: ['203.0.113.0/24'] });
    expect(await g.auth.authenticate(signed(g, c, { clientIp: '::ffff:192.0.2.1' }))).toEqual(ipRefused('192.0.2.1'));
  });

  it('an unparseable client address against a list: 50110', async () => {
    const g = gateway();
    const c = await keyFor(g, { ipAllowlist: ['203.0.113.0/24'] });
    expect(await g.auth.authenticate(signed(g, c, { clientIp: 'unknown' }))).toMatchObject({ code: '50110' });
  });

  it('a key with no list and no broker accepts any address', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect((await g.auth.authenticate(signed(g, c, { clientIp: '2001:db8::99' }))).ok).toBe(true);
  });

  it('a withdraw key is refused outside its list and accepted inside', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['read', 'withdraw'], ipAllowlist: ['198.51.100.7'] });
    const outside = signed(g, c, {
      method: 'POST',
      url: '/api/v5/asset/withdrawal',
      body: '{}',
      permission: 'withdraw',
    });
    expect(await g.auth.authenticate(outside)).toEqual(ipRefused('203.0.113.10'));
    g.clock.t += 1;
    const inside = signed(g, c, {
      method: 'POST',
      url: '/api/v5/asset/withdrawal',
      body: '{}',
      permission: 'withdraw',
      clientIp: '198.51.100.7',
    });
    expect((await g.auth.authenticate(inside)).ok).toBe(true);
  });
});

describe('broker-bound keys', () => {
  it('without a list of its own: confined to the broker ranges', async () => {
    const g = gateway();
    await g.store.registerBroker({ id: 'broker-a', name: 'Broker A', cidrs: ['192.0.2.0/24', '2001:db8:b::/48'] });
    const c = await keyFor(g, { brokerId: 'broker-a' });
    expect((await g.auth.authenticate(signed(g, c, { clientIp: '192.0.2.44' }))).ok).toBe(true);
    expect(
      (await g.auth.authenticate(signed(g, c, { clientIp: '2001:db8:b::1', ts: okxTimestamp(g.clock.t + 1) }))).ok,
    ).toBe(true);
    expect(await g.auth.authenticate(signed(g, c, { clientIp: '198.51.100.1' }))).toEqual(ipRefused('198.51.100.1'));
  });

  it('with a list of its own: the address must be in both', async () => {
    const g = gateway();
    await g.store.registerBroker({ id: 'broker-b', name: 'Broker B', cidrs: ['192.0.2.0/24'] });
    const c = await keyFor(g, { brokerId: 'broker-b', ipAllowlist: ['192.0.2.0/28', '198.51.100.0/24'] });
    expect((await g.auth.authenticate(signed(g, c, { clientIp: '192.0.2.5' }))).ok).toBe(true);
    // In the key's list but outside the broker's ranges.
    expect(await g.auth.authenticate(signed(g, c, { clientIp: '198.51.100.1' }))).toEqual(ipRefused('198.51.100.1'));
    // In the broker's ranges but outside the key's list.
    expect(await g.auth.authenticate(signed(g, c, { clientIp: '192.0.2.200' }))).toEqual(ipRefused('192.0.2.200'));
  });

  it("follows the broker's new ranges once the operator changes them", async () => {
    const g = gateway();
    await g.store.registerBroker({ id: 'broker-c', name: 'Broker C', cidrs: ['192.0.2.0/24'] });
    const c = await keyFor(g, { brokerId: 'broker-c' });
    expect((await g.auth.authenticate(signed(g, c, { clientIp: '192.0.2.1' }))).ok).toBe(true);
    await g.store.registerBroker({ id: 'broker-c', name: 'Broker C', cidrs: ['198.51.100.0/24'] });
    g.clock.t += 1;
    expect(await g.auth.authenticate(signed(g, c, { clientIp: '192.0.2.1' }))).toEqual(ipRefused('192.0.2.1'));
  });
});

describe('permissions', () => {
  it('a read-only key on a trade route: 50120 with HTTP 200', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['read'] });
    const request = signed(g, c, { method: 'POST', url: '/api/v5/trade/order', body: '{}', permission: 'trade' });
    expect(await g.auth.authenticate(request)).toEqual(NO_PERMISSION);
  });

  it('a trade key on a withdraw route: 50120', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['read', 'trade'] });
    expect(await g.auth.authenticate(signed(g, c, { permission: 'withdraw' }))).toEqual(NO_PERMISSION);
  });

  it('a trade-only key on a read route: 50120 (read is its own permission)', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['trade'] });
    expect(await g.auth.authenticate(signed(g, c, { permission: 'read' }))).toEqual(NO_PERMISSION);
  });
});

describe('check order', () => {
  it('an unknown key is reported before a malformed timestamp', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, { ...c, apiKey: '4b2e3c1a-0f6d-4e8b-9a7c-5d1e2f3a4b5c' }, { ts: 'yesterday' });
    expect(await g.auth.authenticate(request)).toEqual(INVALID_KEY);
  });

  it('a malformed timestamp before an expired window', async () => {
    const g = gateway();
    const c = await keyFor(g);
    expect(await g.auth.authenticate(signed(g, c, { ts: '2000-01-01T00:00:00Z' }))).toEqual(INVALID_TS);
  });

  it('an expired window before a revoked key', async () => {
    const g = gateway();
    const c = await keyFor(g);
    await g.store.revoke(null, c.apiKey);
    expect(await g.auth.authenticate(signed(g, c, { ts: okxTimestamp(g.clock.t - 60_000) }))).toEqual(EXPIRED_TS);
  });

  it('a frozen key before a wrong passphrase', async () => {
    const g = gateway();
    const c = await keyFor(g);
    await g.store.freeze(c.apiKey, 'review');
    expect(await g.auth.authenticate(signed(g, { ...c, passphrase: 'Wrong-Passw0rd' }))).toEqual(FROZEN);
  });

  it('a wrong passphrase before a wrong signature', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const request = signed(g, { ...c, passphrase: 'Wrong-Passw0rd', secretKey: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF' });
    expect(await g.auth.authenticate(request)).toEqual(BAD_PASSPHRASE);
  });

  it('a wrong signature before an address outside the list', async () => {
    const g = gateway();
    const c = await keyFor(g, { ipAllowlist: ['203.0.113.0/24'] });
    const request = signed(g, { ...c, secretKey: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF' }, { clientIp: '192.0.2.1' });
    expect(await g.auth.authenticate(request)).toEqual(BAD_SIGN);
  });

  it('an address outside the list before a missing permission', async () => {
    const g = gateway();
    const c = await keyFor(g, { permissions: ['read'], ipAllowlist: ['203.0.113.0/24'] });
    expect(await g.auth.authenticate(signed(g, c, { clientIp: '192.0.2.1', permission: 'trade' }))).toEqual(
      ipRefused('192.0.2.1'),
    );
  });
});

describe('the hot path', () => {
  it('costs no read of the key once it is cached (one look at the changes a second), and one last-use write a minute', async () => {
    const g = gateway();
    const c = await keyFor(g);
    const counter = { reads: 0, polls: 0, writes: 0 };
    const wrapped: Database = Object.create(db);
    wrapped.query = (sql, params) => {
      if (/AS now_us/.test(sql)) counter.polls++;
      else if (/^\s*SELECT/i.test(sql)) counter.reads++;
      else counter.writes++;
      return db.query(sql, params);
    };
    const store = new ApiKeyStore(wrapped, { secretsKey, passphraseKey, clock: g.clock });
    const auth = createOkxAuthenticator({ store, replay: new MemoryReplayGuard({ clock: g.clock }), clock: g.clock });
    for (let i = 0; i < 20; i++) {
      g.clock.t += 100;
      expect((await auth.authenticate(signed(g, c))).ok).toBe(true);
    }
    // 2 s of requests (the first at +0.1 s, the last at +2.0 s): the first look and one a second later.
    expect(counter).toEqual({ reads: 1, polls: 2, writes: 1 });
  });
});
