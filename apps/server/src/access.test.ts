/**
 * The access test: it takes every route from the server's own route table (so a route added by a
 * later capability is covered without editing this file) and calls each non-public one with no
 * credentials, with another principal's credentials, with a session but no CSRF header, and from
 * a non-loopback address — each must be refused with 401 or 403.
 */

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type RouteTableEntry } from './app.js';
import {
  createHarness,
  type Harness,
  type LoggedIn,
  loginAs,
  OPERATOR_TOKEN,
  PASSWORDS,
  TEST_DEVICE_HEADER,
} from './testing/harness.js';

const REMOTE = '203.0.113.7'; // TEST-NET-3: not loopback

let h: Harness;
let alice: LoggedIn;
let bob: LoggedIn;

beforeAll(async () => {
  h = await createHarness({ dev: true });
  alice = await loginAs(h, 'alice');
  bob = await loginAs(h, 'bob');
});
afterAll(() => h.close());

function concreteUrl(route: RouteTableEntry, ownerId: string): string {
  return route.url.replace(/:([A-Za-z]+)/g, (_m, name: string) =>
    route.access.public !== true && route.access.ownerParam === name ? ownerId : '1',
  );
}

const isWrite = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

describe('access control over the whole route table', () => {
  it('covers the identity, system and dev routes at least', () => {
    const urls = h.routeTable.map((r) => `${r.method} ${r.url}`);
    expect(urls).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /metrics',
        'POST /v1/session',
        'POST /v1/accounts',
        'GET /v1/dev/fixtures',
      ]),
    );
    expect(h.routeTable.filter((r) => r.access.public !== true).length).toBeGreaterThanOrEqual(5);
  });

  it('refuses every non-public route without credentials (401), from a non-loopback address', async () => {
    for (const route of h.routeTable.filter((r) => r.access.public !== true)) {
      const response = await h.app.inject({
        method: route.method as 'GET',
        url: concreteUrl(route, alice.accountId),
        remoteAddress: REMOTE,
      });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(401);
      // The OKX gateway answers in OKX's protocol: 50103, "OK-ACCESS-KEY cannot be empty".
      const expected =
        route.access.public !== true && route.access.principals.includes('apikey') ? '50103' : 'UNAUTHENTICATED';
      expect(response.json().code, `${route.method} ${route.url}`).toBe(expected);
    }
  });

  it("refuses every non-public route with another principal's credentials (401/403)", async () => {
    let checked = 0;
    for (const route of h.routeTable.filter((r) => r.access.public !== true)) {
      if (route.access.public === true) continue;
      const attempts: { who: string; headers: Record<string, string> }[] = [];
      if (!route.access.principals.includes('account')) {
        attempts.push({ who: 'account', headers: { cookie: alice.cookie, 'x-custos-csrf': alice.csrf } });
      } else if (route.access.ownerParam !== undefined) {
        // The account principal is allowed, but only for its own resources: bob on alice's.
        attempts.push({ who: 'another account', headers: { cookie: bob.cookie, 'x-custos-csrf': bob.csrf } });
      }
      if (!route.access.principals.includes('operator')) {
        attempts.push({ who: 'operator', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
      }
      if (!route.access.principals.includes('device')) {
        attempts.push({ who: 'device', headers: { [TEST_DEVICE_HEADER]: alice.accountId } });
      } else if (route.access.ownerParam !== undefined) {
        attempts.push({ who: "another account's device", headers: { [TEST_DEVICE_HEADER]: bob.accountId } });
      }
      attempts.push({ who: 'a wrong operator token', headers: { authorization: 'Bearer not-the-token' } });
      attempts.push({ who: 'a forged session', headers: { cookie: 'custos_session=forged', 'x-custos-csrf': 'x' } });
      for (const attempt of attempts) {
        const response = await h.app.inject({
          method: route.method as 'GET',
          url: concreteUrl(route, alice.accountId),
          headers: attempt.headers,
          remoteAddress: REMOTE,
        });
        expect([401, 403], `${route.method} ${route.url} as ${attempt.who}`).toContain(response.statusCode);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('refuses every state-changing account route given a session cookie but no CSRF header (403)', async () => {
    const writes = h.routeTable.filter(
      (r) => r.access.public !== true && r.access.principals.includes('account') && isWrite(r.method),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const route of writes) {
      for (const csrf of [undefined, 'wrong', bob.csrf]) {
        const response = await h.app.inject({
          method: route.method as 'POST',
          url: concreteUrl(route, alice.accountId),
          headers: { cookie: alice.cookie, ...(csrf ? { 'x-custos-csrf': csrf } : {}) },
          remoteAddress: REMOTE,
        });
        expect(response.statusCode, `${route.method} ${route.url} csrf=${csrf}`).toBe(403);
        expect(response.json().code).toBe('CSRF_MISSING');
      }
    }
  });

  it('lets the right principal through (so the refusals above are about access, not broken routes)', async () => {
    const asOperator = await h.app.inject({
      method: 'GET',
      url: '/v1/accounts',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    expect(asOperator.statusCode).toBe(200);
    const own = await h.app.inject({
      method: 'GET',
      url: `/v1/accounts/${alice.accountId}`,
      headers: { cookie: alice.cookie },
    });
    expect(own.statusCode).toBe(200);
    expect(own.json().account.name).toBe('alice');
    const logout = await h.app.inject({
      method: 'DELETE',
      url: '/v1/session',
      headers: { cookie: bob.cookie, 'x-custos-csrf': bob.csrf },
    });
    expect(logout.statusCode).toBe(200);
    const after = await h.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie: bob.cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('answers /metrics on loopback without credentials, elsewhere only to the operator', async () => {
    const loopback = await h.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(loopback.statusCode).toBe(200);
    expect(loopback.body).toContain('custos_http_requests_total');
    const remote = await h.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: REMOTE,
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    expect(remote.statusCode).toBe(200);
  });
});

describe('routes outside defineRoute', () => {
  it('a route that declares no access cannot be registered', async () => {
    const built = await buildApp({
      services: h.services,
      logger: pino({ level: 'silent' }),
      operatorToken: OPERATOR_TOKEN,
    });
    expect(() => built.app.get('/v1/undeclared', async () => ({ leaked: true }))).toThrow(/declares no access/);
    await built.app.close();
  });

  it("a plugin's route with an access declaration joins the route table and is enforced", async () => {
    const built = await buildApp({
      services: h.services,
      logger: pino({ level: 'silent' }),
      operatorToken: OPERATOR_TOKEN,
    });
    await built.app.register(async (child) => {
      child.get('/v1/plugin/secret', { config: { access: { principals: ['operator'] } } }, async () => ({ ok: true }));
    });
    await built.app.ready();
    expect(built.routeTable.map((r) => `${r.method} ${r.url}`)).toContain('GET /v1/plugin/secret');
    const anonymous = await built.app.inject({ method: 'GET', url: '/v1/plugin/secret', remoteAddress: REMOTE });
    expect(anonymous.statusCode).toBe(401);
    const head = await built.app.inject({ method: 'HEAD', url: '/v1/plugin/secret', remoteAddress: REMOTE });
    expect(head.statusCode).toBe(401);
    await built.app.close();
  });
});

describe('what counts as loopback', () => {
  it('/metrics needs the operator when the request came through a proxy or with a foreign Host', async () => {
    for (const headers of [
      { 'x-forwarded-for': '198.51.100.9' },
      { forwarded: 'for=198.51.100.9' },
      { host: 'rebind.example' },
    ]) {
      const r = await h.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1', headers });
      expect(r.statusCode, JSON.stringify(headers)).toBe(401);
    }
  });

  it('the session cookie is Secure unless the request is direct on loopback, whatever Host says', async () => {
    const login = (remoteAddress: string, headers: Record<string, string>) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/session',
        remoteAddress,
        headers,
        payload: { name: 'alice', password: PASSWORDS.alice },
      });
    expect(String((await login('203.0.113.7', { host: 'localhost' })).headers['set-cookie'])).toContain('Secure');
    expect(String((await login('127.0.0.1', { 'x-forwarded-proto': 'https' })).headers['set-cookie'])).toContain(
      'Secure',
    );
    expect(String((await login('127.0.0.1', { host: 'localhost:8787' })).headers['set-cookie'])).not.toContain(
      'Secure',
    );
  });
});
