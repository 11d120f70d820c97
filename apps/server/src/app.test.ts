import { BaseError } from '@custos/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resolveServerConfig } from './config.js';
import { defineRoute, type RouteModule } from './http/route.js';
import { createHarness, type Harness, loginAs, OPERATOR_TOKEN, PASSWORDS } from './testing/harness.js';

const probeModule: RouteModule = {
  name: 'probe',
  routes: [
    defineRoute({
      method: 'GET',
      url: '/v1/probe/bug',
      summary: 'throws an unexpected error',
      access: { public: true },
      async handler() {
        throw new TypeError('secret internals: connection string postgres://u:p@h/db');
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/probe/base',
      summary: 'throws a BaseError',
      access: { public: true },
      async handler() {
        throw new BaseError('CONFLICT', 'already there', { details: { id: 7 }, hints: ['try another'] });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/probe/echo/:n',
      summary: 'validates params, query and body',
      access: { public: true, perMinute: 5 },
      params: z.object({ n: z.coerce.number().int().min(1) }),
      query: z.object({ mode: z.enum(['a', 'b']) }),
      body: z.object({ amount: z.string() }).strict(),
      async handler({ params, query, body }) {
        return { n: params.n, mode: query.mode, amount: body.amount };
      },
    }),
  ],
};

let h: Harness;
beforeAll(async () => {
  h = await createHarness({}, { modules: [probeModule] });
});
afterAll(() => h.close());

describe('error handling', () => {
  it('an unknown route is a JSON 404', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toContain('application/json');
    expect(r.json()).toEqual({ code: 'ROUTE_NOT_FOUND', message: 'no route GET /nope' });
  });

  it('a BaseError maps to its status with {code, message}', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v1/probe/base' });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toEqual({
      code: 'CONFLICT',
      message: 'already there',
      details: { id: 7 },
      hints: ['try another'],
    });
  });

  it('an unexpected error is a 500 whose body has no stack or internals', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v1/probe/bug' });
    expect(r.statusCode).toBe(500);
    const body = r.json();
    expect(Object.keys(body).sort()).toEqual(['code', 'message', 'requestId']);
    expect(body.code).toBe('INTERNAL');
    expect(r.body).not.toContain('secret');
    expect(r.body).not.toContain('TypeError');
    expect(r.body).not.toMatch(/\bat .*\.ts/);
  });

  it('schema failures are INVALID_INPUT naming the field', async () => {
    const bad = [
      { url: '/v1/probe/echo/0?mode=a', payload: { amount: '1' }, field: 'params.n' },
      { url: '/v1/probe/echo/2?mode=c', payload: { amount: '1' }, field: 'query.mode' },
      { url: '/v1/probe/echo/2?mode=a', payload: { amount: 1 }, field: 'body.amount' },
      { url: '/v1/probe/echo/2?mode=a', payload: { amount: '1', extra: true }, field: 'body' },
    ];
    for (const c of bad) {
      const r = await h.app.inject({ method: 'POST', url: c.url, payload: c.payload, remoteAddress: '198.51.100.1' });
      expect(r.statusCode, c.url).toBe(400);
      expect(r.json().code).toBe('INVALID_INPUT');
      expect(r.json().details.field).toBe(c.field);
    }
  });

  it('malformed JSON and the wrong content type are 4xx JSON errors', async () => {
    const broken = await h.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "alice", ',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().code).toBe('INVALID_INPUT');
    const xml = await h.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().code).toBe('INVALID_INPUT');
  });
});

describe('rate limits on public routes', () => {
  it('refuses a client IP over its per-minute budget with 429, and not another IP', async () => {
    const call = (ip: string) =>
      h.app.inject({ method: 'POST', url: '/v1/probe/echo/1?mode=a', payload: { amount: '1' }, remoteAddress: ip });
    for (let i = 0; i < 5; i++) expect((await call('192.0.2.10')).statusCode).toBe(200);
    const limited = await call('192.0.2.10');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect((await call('192.0.2.11')).statusCode).toBe(200);
  });
});

describe('sessions', () => {
  it('sets an HttpOnly, SameSite=Strict cookie, Secure unless on loopback', async () => {
    const local = await h.app.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { name: 'alice', password: PASSWORDS.alice },
    });
    const localCookie = String(local.headers['set-cookie']);
    expect(localCookie).toMatch(/custos_session=[A-Za-z0-9_-]{43};/);
    expect(localCookie).toContain('HttpOnly');
    expect(localCookie).toContain('SameSite=Strict');
    expect(localCookie).not.toContain('Secure');
    expect(local.json().csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const remote = await h.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { host: 'custos.example.com' },
      payload: { name: 'alice', password: PASSWORDS.alice },
    });
    expect(String(remote.headers['set-cookie'])).toContain('Secure');
  });

  it('refuses a wrong password and an unknown name alike', async () => {
    for (const payload of [
      { name: 'alice', password: 'wrong-password-x' },
      { name: 'nobody', password: PASSWORDS.alice },
    ]) {
      const r = await h.app.inject({ method: 'POST', url: '/v1/session', payload });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toEqual({ code: 'INVALID_CREDENTIALS', message: 'wrong account name or password' });
    }
  });

  it('stores only hashes of the session token and the CSRF value', async () => {
    const s = await loginAs(h, 'alice');
    const token = s.cookie.split('=')[1] as string;
    const rows = await h.db.query<{ token_hash: Uint8Array; csrf_hash: Uint8Array }>(
      'SELECT token_hash, csrf_hash FROM sessions',
    );
    const dump = JSON.stringify(
      rows.rows.map((r) => [
        Buffer.from(r.token_hash).toString('base64url'),
        Buffer.from(r.csrf_hash).toString('base64url'),
      ]),
    );
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(s.csrf);
  });
});

describe('accounts', () => {
  const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };
  it('the operator creates an account that can then log in; duplicates are 409', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: operator,
      payload: { name: 'carol', password: 'carol-password-1' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().account).toMatchObject({ name: 'carol', id: expect.stringMatching(/^\d+$/) });
    const login = await h.app.inject({
      method: 'POST',
      url: '/v1/session',
      payload: { name: 'carol', password: 'carol-password-1' },
    });
    expect(login.statusCode).toBe(200);
    const dup = await h.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: operator,
      payload: { name: 'carol', password: 'carol-password-2' },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('ACCOUNT_EXISTS');
  });

  it('an account id beyond int8 is a 400, not a 500', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v1/accounts/9999999999999999999', headers: operator });
    expect(r.statusCode).toBe(400);
    expect(r.json().details.field).toBe('params.accountId');
  });

  it('rejects bad names and short passwords', async () => {
    for (const payload of [
      { name: 'Bad Name', password: 'long-enough-password' },
      { name: 'dave', password: 'short' },
    ]) {
      const r = await h.app.inject({ method: 'POST', url: '/v1/accounts', headers: operator, payload });
      expect(r.statusCode).toBe(400);
      expect(r.json().code).toBe('INVALID_INPUT');
    }
  });
});

describe('health and metrics', () => {
  it('/healthz answers 200 with the database kind', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', db: { kind: 'pglite' } });
  });

  it('/metrics counts requests by route pattern and status', async () => {
    await h.app.inject({ method: 'GET', url: '/healthz' });
    const r = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(r.headers['content-type']).toContain('text/plain');
    expect(r.body).toMatch(/custos_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(r.body).toContain('custos_process_cpu_seconds_total');
  });
});

describe('configuration', () => {
  it('merges env and flags, flags winning', () => {
    const c = resolveServerConfig(
      { port: '9000' },
      { CUSTOS_PORT: '8000', CUSTOS_HOST: '0.0.0.0', DATABASE_URL: 'postgres://h/db' },
    );
    expect(c).toMatchObject({ port: 9000, host: '0.0.0.0', db: 'postgres://h/db', dev: false, chainPort: 8545 });
  });

  it.each([
    [{ port: 'abc' }, '--port'],
    [{ port: '70000' }, '--port'],
    [{ logLevel: 'loud' }, '--log-level'],
    [{ operatorToken: 'short' }, '--operator-token'],
    [{ rateLimit: '0' }, '--rate-limit'],
  ])('names the bad setting %j', (flags, name) => {
    try {
      resolveServerConfig(flags);
      expect.unreachable();
    } catch (error) {
      expect((error as BaseError).code).toBe('INVALID_CONFIG');
      expect((error as BaseError).shortMessage).toContain(name);
      expect((error as BaseError).shortMessage).not.toContain('short"');
    }
  });
});

// Shared counters are what let several stateless server nodes enforce one limit per IP.
describe('rate limits shared through Redis', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  it('two server instances share one per-IP budget', async (context) => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1500 });
    const reachable = await probe.connect().then(
      () => true,
      () => false,
    );
    if (!reachable) {
      probe.disconnect();
      if (process.env.CI === 'true') throw new Error(`Redis is not reachable at ${url}, and CI must not skip`);
      console.warn(`[notice] skipping the Redis rate-limit test: nothing answers at ${url}`);
      context.skip();
      return;
    }
    const [a, b] = [
      await createHarness({}, { modules: [probeModule], redis: probe }),
      await createHarness({}, { modules: [probeModule], redis: probe }),
    ];
    try {
      const ip = `192.0.2.${100 + Math.floor(Math.random() * 100)}`;
      await probe.del(...(await probe.keys('custos-rl:*')).concat('custos-rl:none'));
      const call = (app: Harness) =>
        app.app.inject({ method: 'POST', url: '/v1/probe/echo/1?mode=a', payload: { amount: '1' }, remoteAddress: ip });
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push((await call(i % 2 === 0 ? a : b)).statusCode);
      expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
    } finally {
      await a.close();
      await b.close();
      probe.disconnect();
    }
  });
});
