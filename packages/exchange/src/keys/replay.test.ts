import { randomUUID } from 'node:crypto';
import { BaseError } from '@custos/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOkxAuthenticator } from './authenticate.js';
import type { Clock } from './clock.js';
import { MemoryReplayGuard, RedisReplayGuard, type ReplayGuard } from './replay.js';
import { okxSign, okxTimestamp } from './sign.js';
import type { AuthKeyRecord, KeySource } from './store.js';

function fakeClock(start = Date.UTC(2025, 0, 1)): Clock & { t: number } {
  return {
    t: start,
    now() {
      return this.t;
    },
  };
}

describe('MemoryReplayGuard', () => {
  it('answers true the first time and false for a repeat within the ttl', async () => {
    const guard = new MemoryReplayGuard({ clock: fakeClock() });
    expect(await guard.firstSeen('a', 60_000)).toBe(true);
    expect(await guard.firstSeen('a', 60_000)).toBe(false);
    expect(await guard.firstSeen('b', 60_000)).toBe(true);
  });

  it('forgets an id once its ttl has passed, not before', async () => {
    const clock = fakeClock();
    const guard = new MemoryReplayGuard({ clock });
    expect(await guard.firstSeen('a', 60_000)).toBe(true);
    clock.t += 59_999;
    expect(await guard.firstSeen('a', 60_000)).toBe(false);
    clock.t += 1;
    expect(await guard.firstSeen('a', 60_000)).toBe(true);
  });

  it('refuses a meaningless ttl with a typed error', async () => {
    const guard = new MemoryReplayGuard();
    await expect(guard.firstSeen('a', 0)).rejects.toBeInstanceOf(BaseError);
    await expect(guard.firstSeen('a', Number.NaN)).rejects.toBeInstanceOf(BaseError);
  });

  it('stays within a small factor of the live records under a steady stream', async () => {
    const clock = fakeClock();
    const guard = new MemoryReplayGuard({ clock });
    let largest = 0;
    for (let i = 0; i < 20_000; i++) {
      clock.t += 1;
      await guard.firstSeen(`id-${i}`, 100); // ~100 live at any time
      largest = Math.max(largest, guard.size);
    }
    expect(largest).toBeLessThan(400);
  });

  it('remembers a record made just before a generation turns over, for its whole ttl', async () => {
    const clock = fakeClock();
    const guard = new MemoryReplayGuard({ clock });
    expect(await guard.firstSeen('first', 1_000)).toBe(true);
    clock.t += 999;
    expect(await guard.firstSeen('late', 1_000)).toBe(true);
    clock.t += 1; // the first generation is now 1,000 ms old: it becomes the previous one
    expect(await guard.firstSeen('other', 1_000)).toBe(true);
    expect(await guard.firstSeen('first', 1_000)).toBe(true); // its ttl just ended
    clock.t += 998;
    expect(await guard.firstSeen('late', 1_000)).toBe(false); // 999 ms old, from the previous generation
    clock.t += 1;
    expect(await guard.firstSeen('late', 1_000)).toBe(true);
  });

  it('keeps its records when the clock goes back', async () => {
    const clock = fakeClock();
    const guard = new MemoryReplayGuard({ clock });
    expect(await guard.firstSeen('a', 1_000)).toBe(true);
    clock.t -= 5_000;
    expect(await guard.firstSeen('a', 1_000)).toBe(false);
    clock.t += 500;
    expect(await guard.firstSeen('a', 1_000)).toBe(false);
  });
});

// The shared guard, against a real Redis. Locally it is skipped (with a notice) when nothing answers;
// under CI it must run.
describe('RedisReplayGuard', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const ci = process.env.CI !== undefined && process.env.CI !== 'false';
  // Printed without credentials: only the scheme, host and port.
  const shown = (() => {
    try {
      const u = new URL(url);
      return `${u.protocol}//${u.host}`;
    } catch {
      return 'the configured REDIS_URL';
    }
  })();
  let warned = false;
  let redis: Redis | null = null;
  const prefix = `custos-test:okx-replay:${randomUUID()}:`;

  beforeAll(async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1500 });
    const reachable = await probe.connect().then(
      () => true,
      () => false,
    );
    if (reachable) redis = probe;
    else probe.disconnect();
  });
  afterAll(async () => {
    if (redis === null) return;
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  function need(context: { skip: () => void }): Redis {
    if (redis !== null) return redis;
    if (ci) throw new Error(`Redis is not reachable at ${shown}, and CI must not skip the shared replay guard tests`);
    if (!warned) console.warn(`[notice] skipping the Redis replay guard tests: nothing answers at ${shown}`);
    warned = true;
    context.skip();
    throw new Error('unreachable');
  }

  it('answers true the first time and false for a repeat', async (context) => {
    const guard = new RedisReplayGuard(need(context), { prefix });
    expect(await guard.firstSeen('a', 60_000)).toBe(true);
    expect(await guard.firstSeen('a', 60_000)).toBe(false);
    expect(await guard.firstSeen('b', 60_000)).toBe(true);
  });

  it('sets the key with the ttl in milliseconds', async (context) => {
    const client = need(context);
    const guard = new RedisReplayGuard(client, { prefix });
    await guard.firstSeen('ttl', 61_000);
    const pttl = await client.pttl(`${prefix}ttl`);
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(61_000);
  });

  it('forgets an id when Redis expires it', async (context) => {
    const guard = new RedisReplayGuard(need(context), { prefix });
    expect(await guard.firstSeen('short', 50)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await guard.firstSeen('short', 50)).toBe(true);
  });

  it('lets exactly one of many concurrent copies through', async (context) => {
    const client = need(context);
    const guards = [new RedisReplayGuard(client, { prefix }), new RedisReplayGuard(client, { prefix })];
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => guards[i % 2]?.firstSeen('race', 60_000)));
    expect(answers.filter((a) => a === true)).toHaveLength(1);
  });

  it('refuses, on a second gateway node, a request the first node accepted', async (context) => {
    const client = need(context);
    const secretKey = '0123456789ABCDEF0123456789ABCDEF';
    const apiKey = randomUUID();
    // A key source that is not the database store: the authenticator needs only the interface.
    const record = {
      apiKey,
      accountId: 7n,
      secretKey,
      passphraseHmac: new Uint8Array(32),
      permissions: ['read'],
      ipAllowlist: [],
      brokerId: null,
      brokerCidrs: null,
      status: 'active',
      frozenReason: null,
      createdAt: Date.now() - 1000,
      lastUsedAt: null,
      expiresAt: null,
    } satisfies AuthKeyRecord;
    const source: KeySource = {
      authKey: async (k) => (k === apiKey ? record : null),
      verifyPassphrase: (_r, p) => p === 'Passphrase1',
      touch: async () => {},
    };
    const node = (replay: ReplayGuard) => createOkxAuthenticator({ store: source, replay });
    const [a, b] = [node(new RedisReplayGuard(client, { prefix })), node(new RedisReplayGuard(client, { prefix }))];
    const ts = okxTimestamp(Date.now());
    const request = {
      headers: {
        'ok-access-key': apiKey,
        'ok-access-passphrase': 'Passphrase1',
        'ok-access-timestamp': ts,
        'ok-access-sign': okxSign(secretKey, ts, 'GET', '/api/v5/account/balance', ''),
      },
      method: 'GET',
      url: '/api/v5/account/balance',
      rawBody: '',
      clientIp: '203.0.113.1',
      permission: 'read' as const,
    };
    expect((await a.authenticate(request)).ok).toBe(true);
    expect(await b.authenticate(request)).toEqual({
      ok: false,
      code: '50113',
      httpStatus: 401,
      msg: 'request replayed',
    });
  });
});
