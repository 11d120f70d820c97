/**
 * API-key management over HTTP: an account's session creates, lists, rotates and revokes its own
 * keys (the secret and passphrase appear in the creation and rotation answers only); another
 * account can neither see nor revoke them; the operator acts for any account by id or name and
 * registers brokers; the OKX gateway honours each change at once.
 */
import { okxSign, okxTimestamp } from '@custos/exchange';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type LoggedIn, loginAs, OPERATOR_TOKEN } from '../testing/harness.js';

let h: Harness;
let alice: LoggedIn;
let bob: LoggedIn;

beforeAll(async () => {
  h = await createHarness({ operatorToken: OPERATOR_TOKEN }, {}, { mpc: false });
  alice = await loginAs(h, 'alice');
  bob = await loginAs(h, 'bob');
});
afterAll(() => h.close());

const as = (who: LoggedIn) => ({ cookie: who.cookie, 'x-custos-csrf': who.csrf });
const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };

async function balanceWith(key: { apiKey: string; secretKey: string; passphrase: string }): Promise<string> {
  const path = '/api/v5/account/balance';
  const ts = okxTimestamp(Date.now());
  const response = await h.app.inject({
    method: 'GET',
    url: path,
    remoteAddress: '127.0.0.1',
    headers: {
      'OK-ACCESS-KEY': key.apiKey,
      'OK-ACCESS-SIGN': okxSign(key.secretKey, ts, 'GET', path, ''),
      'OK-ACCESS-TIMESTAMP': ts,
      'OK-ACCESS-PASSPHRASE': key.passphrase,
    },
  });
  return (response.json() as { code: string }).code;
}

describe('/v1/keys', () => {
  it('a session manages its own keys; another account cannot touch them; the gateway follows each change', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: as(alice),
      payload: { label: 'bot', permissions: ['read', 'trade'], ipAllowlist: ['127.0.0.1'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json() as { apiKey: string; secretKey: string; passphrase: string; key: { accountId: string } };
    expect(key.key.accountId).toBe(h.accounts.alice.toString());
    expect(key.secretKey).toMatch(/^[0-9A-F]{32}$/);
    expect(await balanceWith(key)).toBe('0');

    const listed = await h.app.inject({ method: 'GET', url: '/v1/keys', headers: as(alice) });
    expect(listed.json().keys.map((k: { apiKey: string }) => k.apiKey)).toEqual([key.apiKey]);
    expect(listed.body).not.toContain(key.secretKey);
    expect(listed.body).not.toContain(key.passphrase);
    const bobs = await h.app.inject({ method: 'GET', url: '/v1/keys', headers: as(bob) });
    expect(bobs.json().keys).toEqual([]);
    const foreign = await h.app.inject({ method: 'DELETE', url: `/v1/keys/${key.apiKey}`, headers: as(bob) });
    expect(foreign.statusCode).toBe(404);
    const otherAccount = await h.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: as(bob),
      payload: { account: 'alice', label: 'x', permissions: ['read'] },
    });
    expect(otherAccount.statusCode).toBe(403);

    const rotated = await h.app.inject({ method: 'POST', url: `/v1/keys/${key.apiKey}/rotate`, headers: as(alice) });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const fresh = rotated.json() as { secretKey: string; passphrase: string | null };
    expect(fresh.secretKey).not.toBe(key.secretKey);
    expect(await balanceWith(key)).toBe('50113');
    expect(await balanceWith({ ...key, secretKey: fresh.secretKey })).toBe('0');

    const revoked = await h.app.inject({ method: 'DELETE', url: `/v1/keys/${key.apiKey}`, headers: as(alice) });
    expect(revoked.json().key.status).toBe('revoked');
    expect(await balanceWith({ ...key, secretKey: fresh.secretKey })).toBe('50111');
  });

  it('refuses a withdraw key without an IP allowlist, and 21 allowlist entries', async () => {
    const noIp = await h.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: as(alice),
      payload: { label: 'w', permissions: ['read', 'withdraw'] },
    });
    expect(noIp.statusCode).toBe(400);
    expect(noIp.json().code).toBe('EXCHANGE_INVALID_REQUEST');
    const many = await h.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: as(alice),
      payload: { label: 'w', permissions: ['read'], ipAllowlist: Array.from({ length: 21 }, (_, i) => `10.0.0.${i}`) },
    });
    expect(many.statusCode).toBe(400);
  });

  it('the operator registers a broker and creates a bound key for an account named by name', async () => {
    const broker = await h.app.inject({
      method: 'PUT',
      url: '/v1/brokers/tradebot',
      headers: operator,
      payload: { name: 'Trade Bot Inc.', cidrs: ['198.51.100.0/24'] },
    });
    expect(broker.statusCode, broker.body).toBe(200);
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: operator,
      payload: { account: 'bob', label: 'via broker', permissions: ['read', 'trade'], brokerId: 'tradebot' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json() as { apiKey: string; secretKey: string; passphrase: string; key: { brokerId: string } };
    expect(key.key.brokerId).toBe('tradebot');
    // From outside the broker's ranges: refused, whatever the signature.
    expect(await balanceWith(key)).toBe('50110');
    const missing = await h.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: operator,
      payload: { label: 'x', permissions: ['read'] },
    });
    expect(missing.statusCode).toBe(400);
  });
});
