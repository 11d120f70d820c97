/**
 * Device enrolment and device-signed requests against the HTTP contract, with an independent
 * node:crypto device (testing/device.ts): the happy paths, and one must-reject test per check —
 * enrolment signature, reused / expired / unknown challenge, off-curve key; request signature,
 * body or path changed after signing, timestamp ±31 s, replayed nonce, unknown device, malformed
 * headers — plus the per-IP enrolment limit.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDevice } from '../testing/device.js';
import { createHarness, type Harness } from '../testing/harness.js';

let h: Harness;
let device: TestDevice;
let other: TestDevice;

beforeAll(async () => {
  h = await createHarness({ enrolRateLimit: 1000 });
  device = await TestDevice.enrol(h.app);
  other = await TestDevice.enrol(h.app);
});
afterAll(() => h.close());

async function challenge(): Promise<string> {
  const r = await h.app.inject({ method: 'POST', url: '/v1/mpc/devices/challenge' });
  expect(r.statusCode).toBe(200);
  const body = r.json<{ challenge: string; expiresAt: string }>();
  expect(body.challenge).toMatch(/^[0-9a-f]{64}$/);
  const ttl = Date.parse(body.expiresAt) - Date.now();
  expect(ttl).toBeGreaterThan(4 * 60_000);
  expect(ttl).toBeLessThanOrEqual(5 * 60_000 + 5_000);
  return body.challenge;
}

const enrol = (payload: object) => h.app.inject({ method: 'POST', url: '/v1/mpc/devices', payload });

describe('device enrolment', () => {
  it('enrols a P-256 key with a signed challenge; the same key again keeps its device id', async () => {
    const fresh = new TestDevice();
    const first = await enrol(fresh.enrolmentBody(await challenge()));
    expect(first.statusCode).toBe(201);
    const { deviceId } = first.json<{ deviceId: string }>();
    expect(deviceId).toMatch(/^[0-9a-f]{32}$/);
    const again = await enrol(fresh.enrolmentBody(await challenge()));
    expect(again.json()).toEqual({ deviceId });
  });

  it('refuses a bad signature without burning the challenge', async () => {
    const fresh = new TestDevice();
    const c = await challenge();
    const signedByAnother = { ...new TestDevice().enrolmentBody(c), publicKey: fresh.publicKeyHex };
    const refused = await enrol(signedByAnother);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'MPC_DEVICE_AUTH_FAILED', details: { check: 'enrol.signature' } });
    // A signature over another challenge does not verify either.
    const otherChallenge = { ...fresh.enrolmentBody(await challenge()), challenge: c };
    expect((await enrol(otherChallenge)).json().details.check).toBe('enrol.signature');
    expect((await enrol(fresh.enrolmentBody(c))).statusCode).toBe(201);
  });

  it('a challenge is single use', async () => {
    const c = await challenge();
    expect((await enrol(new TestDevice().enrolmentBody(c))).statusCode).toBe(201);
    const reused = await enrol(new TestDevice().enrolmentBody(c));
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ code: 'MPC_REQUEST_REPLAYED', details: { check: 'enrol.challenge-used' } });
  });

  it('refuses an expired or unknown challenge', async () => {
    const c = await challenge();
    await h.db.query("UPDATE mpc_enrol_challenges SET expires_at = now() - interval '1 second' WHERE challenge = $1", [
      c,
    ]);
    const expired = await enrol(new TestDevice().enrolmentBody(c));
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ details: { check: 'enrol.challenge-expired' } });
    const unknown = await enrol(new TestDevice().enrolmentBody(randomBytes(32).toString('hex')));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toMatchObject({ details: { check: 'enrol.challenge-unknown' } });
  });

  it('refuses a public key that is not a point on P-256, and malformed fields', async () => {
    const c = await challenge();
    const body = new TestDevice().enrolmentBody(c);
    const offCurve = { ...body, publicKey: `04${'11'.repeat(64)}` };
    const r = await enrol(offCurve);
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ code: 'MPC_DEVICE_AUTH_FAILED', details: { check: 'public-key' } });
    expect((await enrol({ ...body, publicKey: `02${'11'.repeat(32)}` })).json().details.check).toBe('public-key');
    expect((await enrol({ ...body, signature: 'ab' })).json().details.check).toBe('signature');
    expect((await enrol({ ...body, extra: 1 })).json().code).toBe('INVALID_INPUT');
  });

  it('is rate-limited per IP', async () => {
    const limited = await createHarness({ enrolRateLimit: 3 });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) {
        codes.push(
          (
            await limited.app.inject({
              method: 'POST',
              url: '/v1/mpc/devices/challenge',
              remoteAddress: '198.51.100.4',
            })
          ).statusCode,
        );
      }
      expect(codes).toEqual([200, 200, 200, 429]);
      const elsewhere = await limited.app.inject({
        method: 'POST',
        url: '/v1/mpc/devices/challenge',
        remoteAddress: '198.51.100.5',
      });
      expect(elsewhere.statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('device-signed requests', () => {
  const list = (overrides = {}) => device.request(h.app, 'GET', '/v1/mpc/wallets', undefined, overrides);

  function expectRefused(r: { statusCode: number; json(): unknown }, status: number, code: string, check: string) {
    expect(r.statusCode, JSON.stringify(r.json())).toBe(status);
    expect(r.json()).toMatchObject({ code, details: { check } });
  }

  it('accepts a correctly signed request, with or without a body', async () => {
    const r = await list();
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ wallets: [] });
    const created = await device.request(h.app, 'POST', '/v1/mpc/wallets', { nonce: randomBytes(32).toString('hex') });
    expect(created.statusCode, created.body).toBe(201);
  });

  it('refuses a signature by another key, or over another body or path', async () => {
    const forged = other.headers('GET', '/v1/mpc/wallets', Buffer.alloc(0), { deviceId: device.deviceId });
    const r = await h.app.inject({ method: 'GET', url: '/v1/mpc/wallets', headers: forged });
    expectRefused(r, 401, 'MPC_DEVICE_AUTH_FAILED', 'signature');

    const before = await h.db.query('SELECT count(*)::int AS n FROM mpc_wallets');
    const signed = Buffer.from(JSON.stringify({ nonce: randomBytes(32).toString('hex') }));
    const modified = await device.request(
      h.app,
      'POST',
      '/v1/mpc/wallets',
      { nonce: randomBytes(32).toString('hex') },
      { signedBody: signed },
    );
    expectRefused(modified, 401, 'MPC_DEVICE_AUTH_FAILED', 'signature');
    expect((await h.db.query('SELECT count(*)::int AS n FROM mpc_wallets')).rows).toEqual(before.rows);

    const otherPath = await list({ signedPath: '/v1/mpc/wallets?x=1' });
    expectRefused(otherPath, 401, 'MPC_DEVICE_AUTH_FAILED', 'signature');
    const flipped = await list({ signature: '00'.repeat(64) });
    expectRefused(flipped, 401, 'MPC_DEVICE_AUTH_FAILED', 'signature');
  });

  it('a body must be the exact signed bytes: the same JSON re-serialised differently is refused', async () => {
    const body = { nonce: randomBytes(32).toString('hex') };
    const sent = Buffer.from(JSON.stringify(body, null, 2));
    const headers = device.headers('POST', '/v1/mpc/wallets', Buffer.from(JSON.stringify(body)));
    const r = await h.app.inject({
      method: 'POST',
      url: '/v1/mpc/wallets',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: sent,
    });
    expectRefused(r, 401, 'MPC_DEVICE_AUTH_FAILED', 'signature');
  });

  it('refuses a signed body that is not JSON', async () => {
    const bytes = Buffer.from('nonce=1');
    const r = await h.app.inject({
      method: 'POST',
      url: '/v1/mpc/wallets',
      headers: { ...device.headers('POST', '/v1/mpc/wallets', bytes), 'content-type': 'text/plain' },
      payload: bytes,
    });
    expectRefused(r, 401, 'MPC_DEVICE_AUTH_FAILED', 'body');
  });

  it('refuses a timestamp more than 30 s off, either way', async () => {
    for (const offset of [31_000, -31_000]) {
      expectRefused(await list({ timestamp: String(Date.now() + offset) }), 401, 'MPC_DEVICE_AUTH_FAILED', 'timestamp');
    }
    for (const offset of [25_000, -25_000]) {
      expect((await list({ timestamp: String(Date.now() + offset) })).statusCode).toBe(200);
    }
  });

  it('refuses a replayed nonce — but a failed signature does not burn it', async () => {
    const nonce = randomBytes(16).toString('hex');
    expectRefused(await list({ nonce, signature: '11'.repeat(64) }), 401, 'MPC_DEVICE_AUTH_FAILED', 'signature');
    expect((await list({ nonce })).statusCode).toBe(200);
    expectRefused(await list({ nonce }), 409, 'MPC_REQUEST_REPLAYED', 'nonce');
    expectRefused(await list({ nonce: nonce.toUpperCase() }), 409, 'MPC_REQUEST_REPLAYED', 'nonce');
    // Nonces are per device.
    expect((await other.request(h.app, 'GET', '/v1/mpc/wallets', undefined, { nonce })).statusCode).toBe(200);
  });

  it('refuses an unknown device and malformed or missing headers', async () => {
    expectRefused(
      await list({ deviceId: randomBytes(16).toString('hex') }),
      401,
      'MPC_DEVICE_AUTH_FAILED',
      'unknown-device',
    );
    expectRefused(await list({ deviceId: 'not-a-device' }), 401, 'MPC_DEVICE_AUTH_FAILED', 'header');
    expectRefused(await list({ nonce: 'abc' }), 401, 'MPC_DEVICE_AUTH_FAILED', 'header');
    expectRefused(await list({ timestamp: 'yesterday' }), 401, 'MPC_DEVICE_AUTH_FAILED', 'header');
    for (const omit of ['device', 'timestamp', 'nonce', 'signature'] as const) {
      expectRefused(await list({ omit: [omit] }), 401, 'MPC_DEVICE_AUTH_FAILED', 'header');
    }
    const none = await h.app.inject({ method: 'GET', url: '/v1/mpc/wallets' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('UNAUTHENTICATED');
  });

  it("a device never reaches another device's wallet or session", async () => {
    const nonce = randomBytes(32).toString('hex');
    const created = await device.request(h.app, 'POST', '/v1/mpc/wallets', { nonce });
    const { walletId, sessionId } = created.json<{ walletId: string; sessionId: string }>();
    const asOther = (method: 'GET' | 'POST', path: string, body?: unknown) => other.request(h.app, method, path, body);
    const hex = () => randomBytes(32).toString('hex');
    for (const [method, path, body] of [
      ['GET', `/v1/mpc/wallets/${walletId}`, undefined],
      ['POST', `/v1/mpc/wallets/${walletId}/policy`, { blindSigning: true }],
      ['POST', `/v1/mpc/wallets/${walletId}/pair`, { deviceNonce: hex() }],
      ['POST', `/v1/mpc/wallets/${walletId}/presignatures`, { deviceNonce: hex() }],
      [
        'POST',
        `/v1/mpc/wallets/${walletId}/sign`,
        { request: { kind: 'message', message: 'hi' }, presignatureId: hex(), pairingId: hex(), message: {} },
      ],
    ] as const) {
      const r = await asOther(method, path, body);
      expect(r.statusCode, `${method} ${path}`).toBe(404);
      expect(r.json().code).toBe('MPC_WALLET_NOT_FOUND');
    }
    const step = await asOther('POST', `/v1/mpc/sessions/${sessionId}`, { messages: [] });
    expect(step.statusCode).toBe(404);
    expect((await asOther('GET', '/v1/mpc/wallets')).json()).toEqual({ wallets: [] });
    // The owner sees it (still in key generation).
    const own = await device.request(h.app, 'GET', `/v1/mpc/wallets/${walletId}`);
    expect(own.json()).toMatchObject({ walletId, status: 'dkg', publicKey: null, signingDisabled: false });
  });
});
