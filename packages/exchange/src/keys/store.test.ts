import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { BaseError } from '@custos/core';
import type { Database } from '@custos/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountFactory, openExchangeTestDb } from '../testing/db.js';
import type { Clock } from './clock.js';
import { KEY_LIMITS, keyStatusAt } from './policy.js';
import { type ApiKeySpec, ApiKeyStore, type ApiKeyStoreOptions, type AuthKeyRecord } from './store.js';

const DAY = 24 * 60 * 60 * 1000;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function fakeClock(start = Date.UTC(2025, 0, 1)): Clock & { t: number } {
  return {
    t: start,
    now() {
      return this.t;
    },
  };
}

let db: Database;
const secretsKey = randomBytes(32);
const passphraseKey = randomBytes(32);

beforeAll(async () => {
  db = await openExchangeTestDb();
});
afterAll(async () => db?.close());

const newAccount = accountFactory(() => db, 'user');

function storeWith(options: Partial<ApiKeyStoreOptions> = {}) {
  const clock = fakeClock();
  const store = new ApiKeyStore(db, { secretsKey, passphraseKey, clock, ...options });
  return { clock, store };
}

async function errorOf(promise: Promise<unknown>): Promise<BaseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BaseError) return error;
    throw error;
  }
  throw new Error('expected a BaseError');
}

const readKey: ApiKeySpec = { label: 'reader', permissions: ['read'] };

describe('creating a key', () => {
  it('returns a UUID v4 api key, an OKX-style secret and a valid generated passphrase, once', async () => {
    const { store, clock } = storeWith();
    const account = await newAccount();
    const created = await store.create(account, { label: 'bot', permissions: ['trade', 'read'] });
    expect(created.apiKey).toMatch(UUID_V4);
    expect(created.secretKey).toMatch(/^[0-9A-F]{32}$/);
    expect(created.passphrase).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(created.passphrase).toMatch(/[A-Z]/);
    expect(created.passphrase).toMatch(/[a-z]/);
    expect(created.passphrase).toMatch(/[0-9]/);
    expect(created.key).toEqual({
      apiKey: created.apiKey,
      accountId: account,
      label: 'bot',
      permissions: ['read', 'trade'],
      ipAllowlist: [],
      brokerId: null,
      createdAt: new Date(clock.t),
      lastUsedAt: null,
      expiresAt: new Date(clock.t + 14 * DAY),
      status: 'active',
      frozenReason: null,
      revokedAt: null,
    });
  });

  it('keeps a user-chosen passphrase', async () => {
    const { store } = storeWith();
    const created = await store.create(await newAccount(), { ...readKey, passphrase: 'Correct-Horse-9' });
    expect(created.passphrase).toBe('Correct-Horse-9');
  });

  it.each([
    ['Sh0rtPw', 'seven characters'],
    ['alllowercase123', 'no upper-case letter'],
    ['ALLUPPERCASE123', 'no lower-case letter'],
    ['NoDigitsHere!', 'no digit'],
    ['Has Space 123', 'a space'],
    ['Ünïcode-Passw0rd', 'non-ASCII'],
    [`Aa1${'x'.repeat(30)}`, '33 characters'],
  ])('refuses the passphrase %j (%s) without echoing it', async (passphrase) => {
    const { store } = storeWith();
    const error = await errorOf(store.create(await newAccount(), { ...readKey, passphrase }));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
    expect(error.details.field).toBe('passphrase');
    expect(JSON.stringify(error.toJSON()) + error.message).not.toContain(passphrase);
  });

  it('accepts a 50-character label and refuses an empty one and a 51-character one', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    expect((await store.create(account, { ...readKey, label: 'é'.repeat(50) })).key.label).toHaveLength(50);
    expect((await errorOf(store.create(account, { ...readKey, label: '' }))).code).toBe('EXCHANGE_INVALID_REQUEST');
    expect((await errorOf(store.create(account, { ...readKey, label: 'x'.repeat(51) }))).code).toBe(
      'EXCHANGE_INVALID_REQUEST',
    );
  });

  it('refuses a label with control characters', async () => {
    const { store } = storeWith();
    const error = await errorOf(store.create(await newAccount(), { ...readKey, label: 'bad\nlabel' }));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
  });

  it('refuses empty permissions', async () => {
    const { store } = storeWith();
    const error = await errorOf(store.create(await newAccount(), { label: 'x', permissions: [] }));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
  });

  it('refuses an unknown permission', async () => {
    const { store } = storeWith();
    const spec = { label: 'x', permissions: ['read', 'admin'] } as unknown as ApiKeySpec;
    expect((await errorOf(store.create(await newAccount(), spec))).code).toBe('EXCHANGE_INVALID_REQUEST');
  });

  it('stores permissions once each, in canonical order', async () => {
    const { store } = storeWith();
    const spec: ApiKeySpec = { label: 'x', permissions: ['withdraw', 'read', 'read'], ipAllowlist: ['203.0.113.1'] };
    expect((await store.create(await newAccount(), spec)).key.permissions).toEqual(['read', 'withdraw']);
  });

  it('refuses withdraw without an IP allowlist of its own', async () => {
    const { store } = storeWith();
    const error = await errorOf(store.create(await newAccount(), { label: 'w', permissions: ['withdraw'] }));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
    expect(error.details.field).toBe('ipAllowlist');
  });

  it('refuses withdraw bound only to a broker', async () => {
    const { store } = storeWith();
    await store.registerBroker({ id: 'wd-broker', name: 'Broker', cidrs: ['192.0.2.0/24'] });
    const spec: ApiKeySpec = { label: 'w', permissions: ['read', 'withdraw'], brokerId: 'wd-broker' };
    expect((await errorOf(store.create(await newAccount(), spec))).code).toBe('EXCHANGE_INVALID_REQUEST');
  });

  it('accepts withdraw with an IP allowlist, normalised', async () => {
    const { store } = storeWith();
    const spec: ApiKeySpec = { label: 'w', permissions: ['withdraw'], ipAllowlist: ['10.1.2.3/8', '2001:DB8::1'] };
    const created = await store.create(await newAccount(), spec);
    expect(created.key.ipAllowlist).toEqual(['10.0.0.0/8', '2001:db8::1']);
    expect(created.key.expiresAt).toBeNull();
  });

  it('refuses 21 allowlist entries and accepts 20', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    const ips = Array.from({ length: 21 }, (_, i) => `198.51.100.${i + 1}`);
    const error = await errorOf(store.create(account, { ...readKey, ipAllowlist: ips }));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
    expect(error.details).toMatchObject({ field: 'ipAllowlist', count: 21, max: 20 });
    expect((await store.create(account, { ...readKey, ipAllowlist: ips.slice(0, 20) })).key.ipAllowlist).toHaveLength(
      20,
    );
  });

  it('refuses duplicate allowlist entries', async () => {
    const { store } = storeWith();
    const spec = { ...readKey, ipAllowlist: ['203.0.113.7', '::ffff:203.0.113.7'] };
    expect((await errorOf(store.create(await newAccount(), spec))).code).toBe('EXCHANGE_INVALID_REQUEST');
  });

  it('refuses an invalid allowlist entry and names it', async () => {
    const { store } = storeWith();
    const error = await errorOf(store.create(await newAccount(), { ...readKey, ipAllowlist: ['203.0.113.300'] }));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
    expect(error.details.entry).toBe('203.0.113.300');
  });

  it('refuses the 51st key of an account, and accepts one again after a revocation', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    const keys: string[] = [];
    for (let i = 0; i < KEY_LIMITS.maxKeysPerAccount; i++) {
      keys.push((await store.create(account, { ...readKey, label: `k${i}` })).apiKey);
    }
    const error = await errorOf(store.create(account, { ...readKey, label: 'one too many' }));
    expect(error.code).toBe('EXCHANGE_KEY_LIMIT');
    expect(error.details.limit).toBe(50);
    // Another account is not affected.
    expect((await store.create(await newAccount(), readKey)).apiKey).toMatch(UUID_V4);
    await store.revoke(account, keys[0] as string);
    expect((await store.create(account, { ...readKey, label: 'replacement' })).apiKey).toMatch(UUID_V4);
  });

  it('counts concurrent creations for one account without going over the limit', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    for (let i = 0; i < 48; i++) await store.create(account, { ...readKey, label: `k${i}` });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => store.create(account, { ...readKey, label: `race${i}` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(await store.list(account)).toHaveLength(50);
  });

  it('refuses an account that does not exist', async () => {
    const { store } = storeWith();
    expect((await errorOf(store.create(987_654_321n, readKey))).code).toBe('EXCHANGE_INVALID_REQUEST');
  });

  it('refuses an unknown broker', async () => {
    const { store } = storeWith();
    const error = await errorOf(store.create(await newAccount(), { ...readKey, brokerId: 'nobody' }));
    expect(error.code).toBe('EXCHANGE_BROKER_NOT_FOUND');
  });

  it('refuses an explicit expiry in the past', async () => {
    const { store, clock } = storeWith();
    const error = await errorOf(store.create(await newAccount(), { ...readKey, expiresAt: new Date(clock.t) }));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
  });

  it("deletes an account's keys with the account", async () => {
    const { store } = storeWith();
    const account = await newAccount();
    const { apiKey } = await store.create(account, readKey);
    await db.query('DELETE FROM accounts WHERE id = $1', [account]);
    expect(await store.authKey(apiKey)).toBeNull();
  });
});

describe('listing keys', () => {
  it('reports status, effective expiry and never the secret or passphrase', async () => {
    const { store, clock } = storeWith();
    const account = await newAccount();
    const start = clock.t;
    const trade = await store.create(account, { label: 'trade', permissions: ['read', 'trade'] });
    clock.t += 1;
    const read = await store.create(account, { label: 'read', permissions: ['read'] });
    clock.t += 1;
    const explicit = await store.create(account, { ...readKey, label: 'explicit', expiresAt: new Date(start + DAY) });
    clock.t += 1;
    const frozen = await store.create(account, { ...readKey, label: 'frozen' });
    await store.freeze(frozen.apiKey, 'suspicious withdrawals');
    clock.t += 1;
    const revoked = await store.create(account, { ...readKey, label: 'revoked' });
    await store.revoke(account, revoked.apiKey);

    const list = await store.list(account);
    const by = (label: string) => list.find((k) => k.label === label);
    expect(list.map((k) => k.label)).toEqual(['trade', 'read', 'explicit', 'frozen', 'revoked']);
    expect(by('trade')?.expiresAt).toEqual(new Date(start + 14 * DAY));
    expect(by('read')?.expiresAt).toBeNull();
    expect(by('explicit')?.expiresAt).toEqual(new Date(start + DAY));
    expect(by('frozen')).toMatchObject({ status: 'frozen', frozenReason: 'suspicious withdrawals' });
    expect(by('revoked')).toMatchObject({ status: 'revoked', revokedAt: new Date(clock.t) });
    expect((await store.list(account, { includeRevoked: false })).map((k) => k.label)).not.toContain('revoked');

    clock.t = start + 14 * DAY;
    const later = await store.list(account);
    expect(later.find((k) => k.label === 'trade')?.status).toBe('expired');
    expect(later.find((k) => k.label === 'read')?.status).toBe('active');
    expect(later.find((k) => k.label === 'explicit')?.status).toBe('expired');

    const text = JSON.stringify(list, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    for (const k of [trade, read, explicit, frozen, revoked]) {
      expect(text).not.toContain(k.secretKey);
      expect(text.toLowerCase()).not.toContain(k.secretKey.toLowerCase());
      expect(text).not.toContain(k.passphrase);
    }
  });

  it("does not list another account's keys", async () => {
    const { store } = storeWith();
    const [a, b] = [await newAccount(), await newAccount()];
    await store.create(a, readKey);
    expect(await store.list(b)).toEqual([]);
  });
});

describe('secrets at rest', () => {
  it('never stores the secret or the passphrase in clear (row bytes scanned)', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    const created = await store.create(account, { ...readKey, passphrase: 'Visible-Passw0rd' });
    const rotated = await store.rotate(account, created.apiKey, { passphrase: 'generate' });
    const rows = await db.query<{ text: string; secret: Uint8Array; hmac: Uint8Array }>(
      `SELECT k::text AS text, secret_ciphertext AS secret, passphrase_hmac AS hmac
       FROM exchange_api_keys k WHERE api_key = $1`,
      [created.apiKey],
    );
    const row = rows.rows[0];
    if (row === undefined) throw new Error('row missing');
    const haystacks = [
      row.text,
      row.text.toLowerCase(),
      Buffer.from(row.secret).toString('latin1'),
      Buffer.from(row.hmac).toString('latin1'),
      Buffer.from(row.secret).toString('hex'),
      Buffer.from(row.secret).toString('base64'),
    ];
    const needles = [
      created.secretKey,
      rotated.secretKey,
      created.passphrase,
      rotated.passphrase as string,
      // The secret's bytes if someone stored it hex-decoded, or hex-encoded as text.
      Buffer.from(created.secretKey, 'hex').toString('latin1'),
      Buffer.from(rotated.secretKey, 'hex').toString('latin1'),
      Buffer.from(created.secretKey, 'utf8').toString('hex'),
      Buffer.from(created.passphrase, 'utf8').toString('hex'),
    ];
    for (const hay of haystacks) {
      for (const needle of needles) expect(hay.includes(needle)).toBe(false);
    }
    expect(row.secret).toHaveLength(61);
    expect(row.hmac).toHaveLength(32);
  });

  it('seals each secret with a fresh nonce', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    const a = await store.create(account, readKey);
    const before = await db.query<{ s: Uint8Array }>(
      'SELECT secret_ciphertext AS s FROM exchange_api_keys WHERE api_key = $1',
      [a.apiKey],
    );
    await store.rotate(account, a.apiKey);
    const after = await db.query<{ s: Uint8Array }>(
      'SELECT secret_ciphertext AS s FROM exchange_api_keys WHERE api_key = $1',
      [a.apiKey],
    );
    expect(Buffer.from(after.rows[0]?.s ?? []).subarray(1, 13)).not.toEqual(
      Buffer.from(before.rows[0]?.s ?? []).subarray(1, 13),
    );
  });

  it('cannot decrypt under another secretsKey: a typed error that carries no secret', async () => {
    const { store } = storeWith();
    const created = await store.create(await newAccount(), readKey);
    const other = new ApiKeyStore(db, { secretsKey: randomBytes(32), passphraseKey, clock: fakeClock() });
    const error = await errorOf(other.authKey(created.apiKey));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.details.apiKey).toBe(created.apiKey);
    const shown = `${error.message} ${JSON.stringify(error.toJSON())} ${inspect(error)}`;
    expect(shown).not.toContain(created.secretKey);
    expect(shown).not.toContain(created.passphrase);
  });

  it('does not open a sealed secret moved to another key (the api key is bound in)', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    const [a, b] = [await store.create(account, readKey), await store.create(account, readKey)];
    await db.query(
      `UPDATE exchange_api_keys SET secret_ciphertext = (SELECT secret_ciphertext FROM exchange_api_keys WHERE api_key = $1)
       WHERE api_key = $2`,
      [a.apiKey, b.apiKey],
    );
    expect((await errorOf(store.authKey(b.apiKey))).code).toBe('INVALID_CONFIG');
  });

  it("hides the record's secret from logs and JSON", async () => {
    const { store } = storeWith();
    const created = await store.create(await newAccount(), readKey);
    const record = await store.authKey(created.apiKey);
    if (record === null) throw new Error('record missing');
    expect(record.secretKey).toBe(created.secretKey);
    expect(inspect(record, { depth: 5 })).not.toContain(created.secretKey);
    expect(JSON.stringify(record, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(
      created.secretKey,
    );
  });

  it('checks the passphrase against its HMAC', async () => {
    const { store } = storeWith();
    const created = await store.create(await newAccount(), readKey);
    const record = await store.authKey(created.apiKey);
    if (record === null) throw new Error('record missing');
    expect(store.verifyPassphrase(record, created.passphrase)).toBe(true);
    expect(store.verifyPassphrase(record, `${created.passphrase}x`)).toBe(false);
    expect(store.verifyPassphrase(record, '')).toBe(false);
  });

  it('refuses server keys of the wrong size, or one key used for both', () => {
    const bad = (options: Partial<ApiKeyStoreOptions>) => {
      try {
        new ApiKeyStore(db, { secretsKey, passphraseKey, ...options });
      } catch (error) {
        return (error as BaseError).code;
      }
      return 'accepted';
    };
    expect(bad({ secretsKey: randomBytes(31) })).toBe('INVALID_CONFIG');
    expect(bad({ passphraseKey: randomBytes(33) })).toBe('INVALID_CONFIG');
    expect(bad({ passphraseKey: Uint8Array.from(secretsKey) })).toBe('INVALID_CONFIG');
  });
});

describe('rotating, revoking, freezing', () => {
  it('rotation gives a new secret and keeps or replaces the passphrase', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    const created = await store.create(account, readKey);
    const kept = await store.rotate(account, created.apiKey);
    expect(kept.secretKey).toMatch(/^[0-9A-F]{32}$/);
    expect(kept.secretKey).not.toBe(created.secretKey);
    expect(kept.passphrase).toBeNull();
    expect((await store.authKey(created.apiKey))?.secretKey).toBe(kept.secretKey);
    const replaced = await store.rotate(account, created.apiKey, { passphrase: 'Brand-New-Pass1' });
    expect(replaced.passphrase).toBe('Brand-New-Pass1');
    const record = await store.authKey(created.apiKey);
    if (record === null) throw new Error('record missing');
    expect(store.verifyPassphrase(record, 'Brand-New-Pass1')).toBe(true);
    expect(store.verifyPassphrase(record, created.passphrase)).toBe(false);
  });

  it("refuses to rotate another account's key (as not found)", async () => {
    const { store } = storeWith();
    const created = await store.create(await newAccount(), readKey);
    expect((await errorOf(store.rotate(await newAccount(), created.apiKey))).code).toBe('EXCHANGE_KEY_NOT_FOUND');
  });

  it('refuses to rotate a revoked key', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    const created = await store.create(account, readKey);
    await store.revoke(account, created.apiKey);
    expect((await errorOf(store.rotate(account, created.apiKey))).code).toBe('EXCHANGE_INVALID_REQUEST');
  });

  it("revokes only the owner's key, or any key for the operator, idempotently", async () => {
    const { store, clock } = storeWith();
    const account = await newAccount();
    const created = await store.create(account, readKey);
    expect((await errorOf(store.revoke(await newAccount(), created.apiKey))).code).toBe('EXCHANGE_KEY_NOT_FOUND');
    const view = await store.revoke(null, created.apiKey);
    expect(view).toMatchObject({ status: 'revoked', revokedAt: new Date(clock.t) });
    clock.t += 1000;
    expect((await store.revoke(account, created.apiKey)).revokedAt).toEqual(new Date(clock.t - 1000));
    expect((await errorOf(store.revoke(null, '00000000-0000-4000-8000-000000000000'))).code).toBe(
      'EXCHANGE_KEY_NOT_FOUND',
    );
    expect((await errorOf(store.revoke(null, 'not-a-key'))).code).toBe('EXCHANGE_KEY_NOT_FOUND');
  });

  it('freezes with a reason and unfreezes', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    const created = await store.create(account, readKey);
    expect(await store.freeze(created.apiKey, 'fraud review')).toMatchObject({
      status: 'frozen',
      frozenReason: 'fraud review',
    });
    expect((await store.authKey(created.apiKey))?.status).toBe('frozen');
    expect(await store.unfreeze(created.apiKey)).toMatchObject({ status: 'active', frozenReason: null });
    expect((await errorOf(store.freeze(created.apiKey, ''))).code).toBe('EXCHANGE_INVALID_REQUEST');
    await store.revoke(account, created.apiKey);
    expect((await errorOf(store.freeze(created.apiKey, 'late'))).code).toBe('EXCHANGE_INVALID_REQUEST');
  });
});

describe('brokers', () => {
  it('registers, reads, lists and updates a broker with normalised ranges', async () => {
    const { store } = storeWith();
    const broker = await store.registerBroker({
      id: 'acme-app',
      name: 'Acme',
      cidrs: ['192.0.2.77/24', '2001:DB8::/32'],
    });
    expect(broker).toMatchObject({ id: 'acme-app', name: 'Acme', cidrs: ['192.0.2.0/24', '2001:db8::/32'] });
    expect(await store.getBroker('acme-app')).toEqual(broker);
    expect(await store.getBroker('nope')).toBeNull();
    const updated = await store.registerBroker({ id: 'acme-app', name: 'Acme Ltd', cidrs: ['198.51.100.0/24'] });
    expect(updated).toMatchObject({ name: 'Acme Ltd', cidrs: ['198.51.100.0/24'] });
    expect((await store.listBrokers()).map((b) => b.id)).toContain('acme-app');
  });

  it('refuses a bad slug', async () => {
    const { store } = storeWith();
    const error = await errorOf(store.registerBroker({ id: 'Acme App', name: 'x', cidrs: ['192.0.2.0/24'] }));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
  });

  it('refuses a broker without ranges', async () => {
    const { store } = storeWith();
    expect((await errorOf(store.registerBroker({ id: 'empty', name: 'x', cidrs: [] }))).code).toBe(
      'EXCHANGE_INVALID_REQUEST',
    );
  });

  it('refuses 101 ranges and accepts 100', async () => {
    const { store } = storeWith();
    const cidrs = Array.from({ length: 101 }, (_, i) => `10.${i}.0.0/16`);
    expect((await errorOf(store.registerBroker({ id: 'big', name: 'x', cidrs }))).code).toBe(
      'EXCHANGE_INVALID_REQUEST',
    );
    expect((await store.registerBroker({ id: 'big', name: 'x', cidrs: cidrs.slice(0, 100) })).cidrs).toHaveLength(100);
  });

  it('binds a key to a broker and gives the record its ranges', async () => {
    const { store } = storeWith();
    await store.registerBroker({ id: 'bound', name: 'Bound', cidrs: ['192.0.2.0/24'] });
    const created = await store.create(await newAccount(), { ...readKey, brokerId: 'bound' });
    expect(created.key.brokerId).toBe('bound');
    expect(await store.authKey(created.apiKey)).toMatchObject({ brokerId: 'bound', brokerCidrs: ['192.0.2.0/24'] });
  });
});

describe('the authentication cache and last use', () => {
  function counting(inner: Database) {
    const counter = { reads: 0, writes: 0, polls: 0 };
    const wrapped: Database = Object.create(inner);
    wrapped.query = (sql, params) => {
      if (/clock_timestamp\(\)\) \* 1000000\)::bigint AS now_us/.test(sql)) counter.polls++;
      else if (/exchange_api_keys/.test(sql)) {
        if (/^\s*SELECT/i.test(sql)) counter.reads++;
        if (/^\s*UPDATE/i.test(sql)) counter.writes++;
      }
      return inner.query(sql, params);
    };
    return { wrapped, counter };
  }

  it('serves a record from memory, looking once a poll interval at which keys changed', async () => {
    const { store: owner } = storeWith();
    const created = await owner.create(await newAccount(), readKey);
    const { wrapped, counter } = counting(db);
    const clock = fakeClock();
    const store = new ApiKeyStore(wrapped, { secretsKey, passphraseKey, clock });
    await store.authKey(created.apiKey);
    // The first look at the changes, then the key's row.
    expect(counter).toMatchObject({ polls: 1, reads: 1 });
    for (let i = 0; i < 9; i++) {
      clock.t += 100;
      await store.authKey(created.apiKey);
    }
    expect(counter).toMatchObject({ polls: 1, reads: 1 });
    // Past one interval: a look in the background, and the (unchanged) record is still served.
    clock.t += 100;
    await store.authKey(created.apiKey);
    await store.pollChanges();
    expect(counter).toMatchObject({ polls: 2, reads: 1 });
    // Thousands of cached keys still cost one query per interval, never one per key.
    clock.t += 60_000;
    await store.authKey(created.apiKey);
    expect(counter).toMatchObject({ polls: 3, reads: 1 });
  });

  it("sees another process's revoke, freeze, rotation and broker change within two poll intervals", async () => {
    const { store: writer } = storeWith();
    await writer.registerBroker({ id: 'moving', name: 'Moving', cidrs: ['192.0.2.0/24'] });
    const account = await newAccount();
    const revoked = await writer.create(account, readKey);
    const frozen = await writer.create(account, readKey);
    const rotated = await writer.create(account, readKey);
    const bound = await writer.create(account, { ...readKey, brokerId: 'moving' });
    const untouched = await writer.create(account, readKey);
    const { wrapped, counter } = counting(db);
    const clock = fakeClock();
    const reader = new ApiKeyStore(wrapped, { secretsKey, passphraseKey, clock });
    for (const c of [revoked, frozen, rotated, bound, untouched]) await reader.authKey(c.apiKey);
    const reads = counter.reads;

    await writer.revoke(account, revoked.apiKey);
    await writer.freeze(frozen.apiKey, 'review');
    const newSecret = (await writer.rotate(account, rotated.apiKey)).secretKey;
    await writer.registerBroker({ id: 'moving', name: 'Moving', cidrs: ['198.51.100.0/24'] });
    // Within the interval the reader still answers from memory...
    clock.t += 500;
    expect((await reader.authKey(revoked.apiKey))?.status).toBe('active');
    // ...and after it, from the database for exactly the changed keys.
    clock.t += 600;
    await reader.authKey(untouched.apiKey);
    await reader.pollChanges();
    expect((await reader.authKey(revoked.apiKey))?.status).toBe('revoked');
    expect((await reader.authKey(frozen.apiKey))?.status).toBe('frozen');
    expect((await reader.authKey(rotated.apiKey))?.secretKey).toBe(newSecret);
    expect((await reader.authKey(bound.apiKey))?.brokerCidrs).toEqual(['198.51.100.0/24']);
    expect((await reader.authKey(untouched.apiKey))?.status).toBe('active');
    expect(counter.reads - reads).toBe(4);
    // The overlapping next look re-reports the same changes: nothing is read again.
    clock.t += 1_000;
    await reader.pollChanges();
    for (const c of [revoked, frozen, rotated, bound, untouched]) await reader.authKey(c.apiKey);
    expect(counter.reads - reads).toBe(4);
  });

  it('sees a change made by hand in SQL, and a key deleted with its account', async () => {
    const { store: writer } = storeWith();
    const doomed = await newAccount();
    const edited = await writer.create(await newAccount(), readKey);
    const deleted = await writer.create(doomed, readKey);
    const clock = fakeClock();
    const reader = new ApiKeyStore(db, { secretsKey, passphraseKey, clock });
    await reader.authKey(edited.apiKey);
    expect(await reader.authKey(deleted.apiKey)).not.toBeNull();
    await db.query(
      `UPDATE exchange_api_keys SET permissions = '{read,trade}', ip_allowlist = '{203.0.113.9}' WHERE api_key = $1`,
      [edited.apiKey],
    );
    await db.query('DELETE FROM accounts WHERE id = $1', [doomed]);
    clock.t += 1_000;
    await reader.pollChanges();
    expect(await reader.authKey(edited.apiKey)).toMatchObject({
      permissions: ['read', 'trade'],
      ipAllowlist: ['203.0.113.9'],
    });
    expect(await reader.authKey(deleted.apiKey)).toBeNull();
  });

  it('does not count a last-use stamp as a change', async () => {
    const { store: writer, clock: writerClock } = storeWith();
    const created = await writer.create(await newAccount(), {
      label: 't',
      permissions: ['trade'],
      ipAllowlist: ['192.0.2.1'],
    });
    const { wrapped, counter } = counting(db);
    const clock = fakeClock();
    const reader = new ApiKeyStore(wrapped, { secretsKey, passphraseKey, clock });
    await reader.authKey(created.apiKey);
    writerClock.t += 5_000;
    await writer.touch(created.apiKey);
    clock.t += 1_000;
    await reader.pollChanges();
    await reader.authKey(created.apiKey);
    expect(counter.reads).toBe(1);
  });

  it('reads a key that looks idle-expired from memory again before calling it expired', async () => {
    const { store: writer, clock: writerClock } = storeWith();
    const created = await writer.create(await newAccount(), { label: 't', permissions: ['trade'] });
    const clock = fakeClock();
    const reader = new ApiKeyStore(db, { secretsKey, passphraseKey, clock });
    expect((await reader.authKey(created.apiKey))?.lastUsedAt).toBeNull();
    // Another process uses the key on day 10; the reader's copy still says "never used".
    writerClock.t += 10 * DAY;
    await writer.touch(created.apiKey);
    clock.t += 15 * DAY;
    const fresh = await reader.authKey(created.apiKey);
    expect(fresh?.lastUsedAt).toBe(writerClock.t);
    expect(keyStatusAt(fresh as AuthKeyRecord, clock.t)).toBe('active');
  });

  it('never serves memory older than two intervals: a database that does not answer fails the lookup', async () => {
    const { store: owner } = storeWith();
    const created = await owner.create(await newAccount(), readKey);
    let down = false;
    const flaky: Database = Object.create(db);
    flaky.query = (sql, params) => (down ? Promise.reject(new Error('connection refused')) : db.query(sql, params));
    const clock = fakeClock();
    const store = new ApiKeyStore(flaky, { secretsKey, passphraseKey, clock });
    expect(await store.authKey(created.apiKey)).not.toBeNull();
    down = true;
    clock.t += 1_500;
    // One interval late: served while a look runs (and fails) in the background.
    expect(await store.authKey(created.apiKey)).not.toBeNull();
    clock.t += 600;
    await expect(store.authKey(created.apiKey)).rejects.toThrow('connection refused');
    down = false;
    expect((await store.authKey(created.apiKey))?.apiKey).toBe(created.apiKey);
  });

  it('with changePollMs 0 reads the database every time', async () => {
    const { store: owner } = storeWith();
    const created = await owner.create(await newAccount(), readKey);
    const { wrapped, counter } = counting(db);
    const store = new ApiKeyStore(wrapped, { secretsKey, passphraseKey, clock: fakeClock(), changePollMs: 0 });
    for (let i = 0; i < 3; i++) await store.authKey(created.apiKey);
    expect(counter).toMatchObject({ polls: 0, reads: 3 });
    expect(() => new ApiKeyStore(db, { secretsKey, passphraseKey, changePollMs: -1 })).toThrow('changePollMs');
  });

  it('never reads the database for a string that is not an api key', async () => {
    const { wrapped, counter } = counting(db);
    const store = new ApiKeyStore(wrapped, { secretsKey, passphraseKey, clock: fakeClock() });
    expect(await store.authKey("x' OR 1=1 --")).toBeNull();
    expect(counter.reads).toBe(0);
  });

  it('drops its own cache entry when it rotates, revokes or freezes', async () => {
    const { store } = storeWith();
    const account = await newAccount();
    const created = await store.create(account, readKey);
    const before = await store.authKey(created.apiKey);
    const rotated = await store.rotate(account, created.apiKey);
    expect((await store.authKey(created.apiKey))?.secretKey).toBe(rotated.secretKey);
    expect(before?.secretKey).toBe(created.secretKey);
    await store.freeze(created.apiKey, 'review');
    expect((await store.authKey(created.apiKey))?.status).toBe('frozen');
    await store.revoke(account, created.apiKey);
    expect((await store.authKey(created.apiKey))?.status).toBe('revoked');
  });

  it('does not hand out a secret read before its own rotation finished', async () => {
    const { store: owner } = storeWith();
    const account = await newAccount();
    const created = await owner.create(account, readKey);
    // The first key load reads the row at once but answers only when released.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    const slow: Database = Object.create(db);
    slow.query = async (sql, params) => {
      const result = await db.query(sql, params);
      if (first && /LEFT JOIN exchange_brokers/.test(sql)) {
        first = false;
        await held;
      }
      return result as never;
    };
    const store = new ApiKeyStore(slow, { secretsKey, passphraseKey, clock: fakeClock() });
    const stale = store.authKey(created.apiKey);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const rotated = await store.rotate(account, created.apiKey);
    const fresh = store.authKey(created.apiKey);
    release();
    expect((await stale)?.secretKey).toBe(created.secretKey);
    expect((await fresh)?.secretKey).toBe(rotated.secretKey);
    // And the stale answer was not cached.
    expect((await store.authKey(created.apiKey))?.secretKey).toBe(rotated.secretKey);
  });

  it('writes the last use at most once a minute per key', async () => {
    const { store: owner } = storeWith();
    const created = await owner.create(await newAccount(), { label: 't', permissions: ['trade'] });
    const { wrapped, counter } = counting(db);
    const clock = fakeClock();
    const store = new ApiKeyStore(wrapped, { secretsKey, passphraseKey, clock });
    await store.touch(created.apiKey);
    const first = clock.t;
    for (let i = 0; i < 10; i++) {
      clock.t += 5_000;
      await store.touch(created.apiKey);
    }
    expect(counter.writes).toBe(1);
    const stored = await db.query<{ at: Date }>('SELECT last_used_at AS at FROM exchange_api_keys WHERE api_key = $1', [
      created.apiKey,
    ]);
    expect(stored.rows[0]?.at).toEqual(new Date(first));
    // The process still knows the latest use, and reports it.
    const [view] = await store.list(created.key.accountId);
    expect(view?.lastUsedAt).toEqual(new Date(clock.t));
    clock.t += 10_000;
    await store.touch(created.apiKey);
    expect(counter.writes).toBe(2);
  });
});
