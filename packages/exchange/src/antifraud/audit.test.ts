/**
 * The audit log over an in-memory database: only non-allow decisions are stored, no secret ever
 * reaches a row (whatever the caller passed along), look-ups filter by account, key and time, and
 * the networks seen per key survive an engine restart through `DbKeyIpHistory`.
 */
import { Decimal } from '@custos/core';
import { coreMigrations, type Database, exchangeMigrations, openPGlite } from '@custos/db';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, DbKeyIpHistory, scrubAuditFields } from './audit.js';
import { createAntiFraud } from './engine.js';
import type { FraudDecision, FraudFacts, FraudOrderInput, FraudRequestInput } from './types.js';

const d = (text: string) => Decimal.parse(text, 8);

/** A one-pair market: mid 1.00, a thin book with an ask at 5 (far above). */
const facts: FraudFacts = {
  mid: async () => d('1'),
  book: async () => ({ bids: [{ px: d('0.99'), sz: d('100') }], asks: [{ px: d('5'), sz: d('100') }] }),
  hasTraded: async () => true,
  balanceValue: async () => ({ total: d('100000') }),
  knownWithdrawalAddress: async (_account, _ccy, address) => address === '0xknown',
};

const SECRETS = ['S3CR3T-VALUE', 'hunter2-passphrase', 'c2lnbmF0dXJl', 'access-token-value'] as const;

describe('AuditLog', () => {
  let db: Database;
  let audit: AuditLog;

  beforeAll(async () => {
    db = await openPGlite();
    await db.migrate([...(await coreMigrations()), ...(await exchangeMigrations())]);
    audit = new AuditLog(db);
  });
  afterAll(async () => db?.close());
  beforeEach(async () => {
    await db.exec('DELETE FROM exchange_audit_log; DELETE FROM exchange_key_ips;');
  });

  const count = async () =>
    Number((await db.query<{ n: bigint }>('SELECT count(*) AS n FROM exchange_audit_log')).rows[0]?.n);

  it('ignores allow decisions and stores the others', async () => {
    const allow: FraudDecision = { subject: 'order', action: 'allow', score: 1, findings: [] };
    expect(await audit.record(allow, { at: new Date(), accountId: 1n, fields: {} })).toBeNull();
    expect(await count()).toBe(0);
    const flag: FraudDecision = {
      subject: 'request',
      action: 'flag',
      score: 1,
      findings: [{ rule: 'new_ip', severity: 'low', message: 'new network', data: { ip: '192.0.2.1' } }],
    };
    const id = await audit.record(flag, {
      at: new Date(),
      accountId: 1n,
      apiKey: 'key-1',
      fields: { ip: '192.0.2.1' },
    });
    expect(typeof id).toBe('bigint');
    const [entry] = await audit.list({ accountId: 1n });
    expect(entry).toMatchObject({
      id,
      accountId: 1n,
      apiKey: 'key-1',
      subject: 'request',
      action: 'flag',
      score: 1,
      rules: ['new_ip'],
      context: { ip: '192.0.2.1' },
    });
    expect(entry?.findings[0]).toEqual(flag.findings[0]);
  });

  it('never stores a secret, whatever the caller passes along', async () => {
    const clock = new Date('2024-01-01T00:00:00Z');
    const engine = createAntiFraud({ facts, audit, clock: () => clock });
    // What a careless gateway might spread into the input: the raw OKX headers and key record.
    const extras = {
      secretKey: SECRETS[0],
      passphrase: SECRETS[1],
      sign: SECRETS[2],
      signature: SECRETS[2],
      accessToken: SECRETS[3],
      headers: { 'OK-ACCESS-SIGN': SECRETS[2], 'OK-ACCESS-PASSPHRASE': SECRETS[1] },
    };
    const request = { apiKey: 'key-1', accountId: 1n, ip: '10.0.0.1', ...extras } as FraudRequestInput;
    expect((await engine.evaluateRequest(request)).action).toBe('allow');
    expect(await count()).toBe(0);
    const fromNew = await engine.evaluateRequest({ ...request, at: new Date('2024-01-01T01:00:00Z'), ip: '192.0.2.1' });
    expect(fromNew.action).toBe('flag');
    const order = {
      ...extras,
      apiKey: 'key-1',
      accountId: 1n,
      ip: '10.0.0.1',
      instId: 'ABC-USDT',
      side: 'buy',
      ordType: 'market',
      sz: d('10'),
      notional: d('50'),
    } as FraudOrderInput;
    expect((await engine.evaluateOrder(order)).action).toBe('reject');
    const withdrawal = await engine.evaluateWithdrawal({
      accountId: 2n,
      apiKey: 'key-1',
      ccy: 'USDT',
      amt: d('10'),
      toAddr: '0xnew',
      ...extras,
    } as Parameters<typeof engine.evaluateWithdrawal>[0]);
    expect(withdrawal.action).toBe('reauth');
    const { rows } = await db.query('SELECT * FROM exchange_audit_log');
    expect(rows).toHaveLength(3);
    const text = JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/passphrase|secretKey|"sign"|signature|headers/i);
    // Even a context handed to record() directly is scrubbed.
    await audit.record(fromNew, {
      at: new Date(),
      fields: { ip: '192.0.2.1', apiSecret: SECRETS[0], OK_ACCESS_SIGN: SECRETS[2], Authorization: SECRETS[3] },
    });
    const all = JSON.stringify(await audit.list({ limit: 10 }), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });

  it('lists newest first, by account, key and time, with a limit', async () => {
    const decision: FraudDecision = { subject: 'order', action: 'reject', score: 6, findings: [] };
    const t = (minute: number) => new Date(Date.UTC(2024, 0, 1, 0, minute));
    for (let i = 0; i < 6; i++) {
      await audit.record(decision, { at: t(i), accountId: BigInt(1 + (i % 2)), apiKey: `k${i % 3}`, fields: { i } });
    }
    expect((await audit.list()).map((e) => e.context.i)).toEqual([5, 4, 3, 2, 1, 0]);
    expect((await audit.list({ accountId: 1n })).map((e) => e.context.i)).toEqual([4, 2, 0]);
    expect((await audit.list({ apiKey: 'k0' })).map((e) => e.context.i)).toEqual([3, 0]);
    expect((await audit.list({ since: t(3) })).map((e) => e.context.i)).toEqual([5, 4, 3]);
    expect((await audit.list({ accountId: 2n, since: t(2), limit: 1 })).map((e) => e.context.i)).toEqual([5]);
    await expect(audit.list({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('answers a known pair from memory and writes its last sighting at most once a minute', async () => {
    let queries = 0;
    const counting = {
      query: (sql: string, params?: readonly unknown[]) => {
        queries++;
        return db.query(sql, params as never);
      },
      exec: (sql: string) => db.exec(sql),
    };
    const ips = new DbKeyIpHistory(counting as never);
    const t0 = Date.UTC(2024, 5, 1);
    expect((await ips.observeIp('hot', '10.1.0.0/24', t0)).firstSighting).toBe(true);
    expect(queries).toBe(1);
    for (let i = 1; i <= 100; i++) {
      expect(await ips.observeIp('hot', '10.1.0.0/24', t0 + i * 500)).toEqual({
        keyFirstSeen: t0,
        networkFirstSeen: t0,
        firstSighting: false,
      });
    }
    expect(queries).toBe(1);
    await ips.observeIp('hot', '10.1.0.0/24', t0 + 60_000);
    expect(queries).toBe(2);
    const { rows } = await db.query<{ last_seen: Date }>(
      "SELECT last_seen FROM exchange_key_ips WHERE api_key = 'hot' AND network = '10.1.0.0/24'",
    );
    expect(rows[0]?.last_seen.getTime()).toBe(t0 + 60_000);
    // A new network is never answered from memory.
    expect((await ips.observeIp('hot', '10.2.0.0/24', t0 + 60_001)).firstSighting).toBe(true);
  });

  it('keeps the networks seen per key across engine restarts', async () => {
    const ips = new DbKeyIpHistory(db);
    const t0 = Date.UTC(2024, 0, 1);
    expect(await ips.observeIp('k', '10.0.0.0/24', t0)).toEqual({
      keyFirstSeen: t0,
      networkFirstSeen: t0,
      firstSighting: true,
    });
    expect(await ips.observeIp('k', '10.0.0.0/24', t0 + 5)).toEqual({
      keyFirstSeen: t0,
      networkFirstSeen: t0,
      firstSighting: false,
    });
    expect(await ips.observeIp('k', '10.9.0.0/24', t0 + 10)).toEqual({
      keyFirstSeen: t0,
      networkFirstSeen: t0 + 10,
      firstSighting: true,
    });

    const start = () => createAntiFraud({ facts, audit, ipHistory: new DbKeyIpHistory(db) });
    const at = (minute: number) => new Date(Date.UTC(2024, 1, 1, 0, minute));
    expect((await start().evaluateRequest({ apiKey: 'k2', accountId: 1n, ip: '10.0.0.1', at: at(0) })).action).toBe(
      'allow',
    );
    // A new process, empty memory: the key's history is in the database.
    const restarted = start();
    expect((await restarted.evaluateRequest({ apiKey: 'k2', accountId: 1n, ip: '10.0.0.7', at: at(1) })).action).toBe(
      'allow',
    );
    const fresh = await restarted.evaluateRequest({ apiKey: 'k2', accountId: 1n, ip: '198.51.100.1', at: at(2) });
    expect(fresh.action).toBe('flag');
    expect(fresh.findings.map((f) => f.rule)).toEqual(['new_ip']);
  });
});

describe('scrubAuditFields', () => {
  it('drops credential-like names and anything that is not a plain value', () => {
    expect(
      scrubAuditFields({
        ip: '10.0.0.1',
        n: 3,
        ok: true,
        none: null,
        id: 7n,
        list: ['a', 'b'],
        passphrase: 'x',
        apiSecret: 'x',
        OK_ACCESS_SIGN: 'x',
        password: 'x',
        nested: { secret: 'x' },
        mixed: ['a', 1],
      }),
    ).toEqual({ ip: '10.0.0.1', n: 3, ok: true, none: null, id: '7', list: ['a', 'b'] });
  });
});
