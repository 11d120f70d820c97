/**
 * API keys and brokers in the database (tables of migration 0007_exchange_keys).
 *
 * The secret key (OKX style: 32 upper-case hex characters from 16 random bytes) is shown once, at
 * creation or rotation, and stored AES-256-GCM encrypted under the server's 32-byte `secretsKey`
 * (random 12-byte nonce, the api key in the additional data, so a ciphertext moved to another row
 * does not open). The passphrase is stored as HMAC-SHA256 under the server's 32-byte
 * `passphraseKey`. Neither ever goes into a log, an error, a view or a cache dump: the one in-memory
 * copy of a decrypted secret is a non-enumerable property of the authenticator's record.
 *
 * `authKey` serves the authenticator from an in-process cache so that an authenticated request
 * costs no database read. This store's own writes drop the entries they change at once. Every
 * change to a key, by any process (or by hand in SQL), is stamped by the database
 * (`changed_at`, migration 0010), and the store asks once a second which keys changed since it
 * last asked — one indexed query whatever the number of keys — dropping exactly those entries.
 * A cached record is served only while the last successful look started less than two poll
 * intervals ago; otherwise the request waits for a fresh look, so a database the store cannot
 * reach never lets a revoked key through on old memory. `touch` records the last use, writing at
 * most once a minute per key; it is not a change (other processes' views of the last use can lag,
 * so a key that looks idle-expired from memory is read again before it is refused).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { BaseError, describeValue } from '@custos/core';
import type { Database, Queryable } from '@custos/db';
import { type Clock, systemClock } from './clock.js';
import { parseAllowlist } from './ip.js';
import {
  isPermission,
  KEY_LIMITS,
  type KeyStatus,
  keyExpiry,
  keyStatusAt,
  PERMISSIONS,
  type Permission,
  type StoredKeyStatus,
} from './policy.js';

/** What a new key is made of. */
export interface ApiKeySpec {
  /** 1–50 characters, no control characters. */
  label: string;
  /** A non-empty subset of read / trade / withdraw. */
  permissions: readonly Permission[];
  /** Up to 20 IPv4/IPv6 addresses or CIDR ranges; required (non-empty) for `withdraw`. */
  ipAllowlist?: readonly string[];
  /** Binds the key to a registered broker: requests must also come from the broker's ranges. */
  brokerId?: string;
  /** 8–32 printable ASCII characters with an upper-case letter, a lower-case one and a digit; generated when omitted. */
  passphrase?: string;
  /** An explicit expiry, in the future. */
  expiresAt?: Date;
}

/** A key as its owner sees it: never the secret or the passphrase. */
export interface ApiKeyView {
  apiKey: string;
  accountId: bigint;
  label: string;
  permissions: Permission[];
  ipAllowlist: string[];
  brokerId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** The explicit expiry or the 14-day idle one, whichever comes first; null when none applies. */
  expiresAt: Date | null;
  status: KeyStatus;
  frozenReason: string | null;
  revokedAt: Date | null;
}

/** Returned once by `create`: the secret and passphrase are not retrievable afterwards. */
export interface CreatedApiKey {
  apiKey: string;
  secretKey: string;
  passphrase: string;
  key: ApiKeyView;
}

/** Returned once by `rotate`; `passphrase` is the new one, or null when it was kept. */
export interface RotatedApiKey {
  apiKey: string;
  secretKey: string;
  passphrase: string | null;
  key: ApiKeyView;
}

export interface RotateOptions {
  /** `'keep'` (default), `'generate'`, or a new user-chosen passphrase. */
  passphrase?: string;
}

export interface ListOptions {
  /** Include revoked keys (default true). */
  includeRevoked?: boolean;
}

/** A third-party application keys can be bound to. */
export interface Broker {
  id: string;
  name: string;
  cidrs: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface BrokerSpec {
  /** Slug: lower-case letters, digits and `-`, 1–63 characters, starting with a letter or digit. */
  id: string;
  /** 1–100 characters. */
  name: string;
  /** 1–100 IPv4/IPv6 addresses or CIDR ranges. */
  cidrs: readonly string[];
}

/**
 * What the authenticator needs about one key. `secretKey` and `passphraseHmac` are non-enumerable:
 * they do not show in `console.log`, `util.inspect` or `JSON.stringify` of the record.
 */
export interface AuthKeyRecord {
  readonly apiKey: string;
  readonly accountId: bigint;
  readonly secretKey: string;
  readonly passphraseHmac: Uint8Array;
  readonly permissions: readonly Permission[];
  readonly ipAllowlist: readonly string[];
  readonly brokerId: string | null;
  /** The broker's ranges when the key is bound to one, else null. */
  readonly brokerCidrs: readonly string[] | null;
  readonly status: StoredKeyStatus;
  readonly frozenReason: string | null;
  /** Times in ms since the epoch. */
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  /** The explicit expiry only; `keyExpiry` adds the idle rule. */
  readonly expiresAt: number | null;
}

/** Where the authenticator gets keys from; `ApiKeyStore` is one, a test or a proxy can be another. */
export interface KeySource {
  /** The key's record, or null when there is no such key. */
  authKey(apiKey: string): Promise<AuthKeyRecord | null>;
  /** Constant-time check of a presented passphrase against the record. */
  verifyPassphrase(record: AuthKeyRecord, passphrase: string): boolean;
  /** Records a successful authentication (last use). */
  touch(apiKey: string): Promise<void>;
}

export interface ApiKeyStoreOptions {
  /** 32 bytes: encrypts the secret keys (AES-256-GCM). */
  secretsKey: Uint8Array;
  /** 32 bytes, different from `secretsKey`: keys the passphrase HMAC. */
  passphraseKey: Uint8Array;
  clock?: Clock;
  /**
   * How often, in ms of `clock`, the store asks which keys changed (default 1,000; 0 turns the cache
   * off). Other processes' writes are seen within two intervals.
   */
  changePollMs?: number;
  /** Most keys cached at once, unknown keys included (default 10,000). */
  cacheMaxEntries?: number;
}

/** OKX api keys are UUID v4 strings, lower-case. */
const API_KEY_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BROKER_ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const PASSPHRASE_RE = /^[\x21-\x7e]{8,32}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

const SECRET_FORMAT_V1 = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SECRET_AAD = 'custos/exchange/api-key-secret/v1\0';
const PASSPHRASE_CONTEXT = 'custos/exchange/api-key-passphrase/v1\0';
const TOUCH_INTERVAL_MS = 60_000;
const MAX_BROKER_NAME = 100;

/**
 * How far back each look at the changes starts before the previous one: a change is stamped when
 * its statement runs and seen when its transaction commits, so a look may miss one that commits
 * later; the overlap gives such a transaction 30 s to commit. Re-reported changes are ignored.
 */
const CHANGE_OVERLAP_MS = 30_000;

interface CacheEntry {
  record: AuthKeyRecord | null;
  /** The row's `changed_at` in µs since the epoch when it was read (null: no such key). */
  changedUs: bigint | null;
  /** `clock` time of the read. */
  loadedAt: number;
}

const KEY_COLUMNS = `api_key, account_id, label, permissions, ip_allowlist, broker_id, created_at, last_used_at,
  expires_at, status, frozen_reason, revoked_at`;

interface KeyRow {
  api_key: string;
  account_id: bigint;
  label: string;
  permissions: string[];
  ip_allowlist: string[];
  broker_id: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  status: StoredKeyStatus;
  frozen_reason: string | null;
  revoked_at: Date | null;
}

interface ChangeRow {
  now_us: bigint | string;
  api_key: string | null;
  changed_us: bigint | string | null;
}

interface AuthRow extends KeyRow {
  changed_us: bigint | string;
  secret_ciphertext: Uint8Array;
  passphrase_hmac: Uint8Array;
  broker_cidrs: string[] | null;
}

interface BrokerRow {
  id: string;
  name: string;
  cidrs: string[];
  created_at: Date;
  updated_at: Date;
}

function invalid(message: string, details: Record<string, string | number | boolean | null> = {}): BaseError {
  return new BaseError('EXCHANGE_INVALID_REQUEST', message, { details });
}

function keyNotFound(apiKey: string): BaseError {
  return new BaseError('EXCHANGE_KEY_NOT_FOUND', 'no such API key', {
    details: { apiKey: API_KEY_RE.test(apiKey) ? apiKey : null },
  });
}

function serverKey(bytes: unknown, name: string): KeyObject {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw new BaseError('INVALID_CONFIG', `the API key store's ${name} must be 32 bytes`, {
      details: { option: name },
    });
  }
  return createSecretKey(Buffer.from(bytes));
}

function checkLabel(label: unknown): string {
  if (typeof label !== 'string') throw invalid(`"label" must be a string, got ${describeValue(label)}`);
  const length = [...label].length;
  if (length < 1 || length > KEY_LIMITS.maxLabel || CONTROL_RE.test(label)) {
    throw invalid(`"label" must be 1–${KEY_LIMITS.maxLabel} characters without control characters`, {
      field: 'label',
      length,
    });
  }
  return label;
}

function checkPermissions(permissions: unknown): Permission[] {
  if (!Array.isArray(permissions) || permissions.length === 0) {
    throw invalid('"permissions" must be a non-empty list of read, trade, withdraw', { field: 'permissions' });
  }
  for (const p of permissions) {
    if (!isPermission(p)) {
      throw invalid(`unknown permission ${describeValue(p)}: use read, trade or withdraw`, { field: 'permissions' });
    }
  }
  return PERMISSIONS.filter((p) => permissions.includes(p));
}

/** Validates a user-chosen passphrase without ever echoing it. */
function checkPassphrase(passphrase: unknown): string {
  const ok =
    typeof passphrase === 'string' &&
    PASSPHRASE_RE.test(passphrase) &&
    /[A-Z]/.test(passphrase) &&
    /[a-z]/.test(passphrase) &&
    /[0-9]/.test(passphrase);
  if (!ok) {
    throw new BaseError(
      'EXCHANGE_INVALID_REQUEST',
      'the passphrase must be 8–32 printable ASCII characters (no spaces) with an upper-case letter, a lower-case letter and a digit',
      { details: { field: 'passphrase' } },
    );
  }
  return passphrase;
}

const PASSPHRASE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 24 uniformly random alphanumerics (≈143 bits) that satisfy the passphrase rule. */
function generatePassphrase(): string {
  for (;;) {
    let out = '';
    while (out.length < 24) {
      for (const byte of randomBytes(32)) {
        // 248 = 4 × 62: rejection keeps every character equally likely.
        if (byte < 248 && out.length < 24) out += PASSPHRASE_ALPHABET[byte % 62];
      }
    }
    if (/[A-Z]/.test(out) && /[a-z]/.test(out) && /[0-9]/.test(out)) return out;
  }
}

function generateSecret(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

function ms(date: Date | null): number | null {
  return date === null ? null : date.getTime();
}

export class ApiKeyStore implements KeySource {
  readonly #db: Database;
  readonly #secretsKey: KeyObject;
  readonly #passphraseKey: KeyObject;
  readonly #clock: Clock;
  readonly #pollMs: number;
  readonly #cacheMax: number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #loading = new Map<string, Promise<CacheEntry>>();
  /** `clock` time at which the last successful look at the changes started. */
  #polledAt = Number.NEGATIVE_INFINITY;
  /** The database time from which the next look reads changes (null before the first). */
  #changesFrom: Date | null = null;
  #polling: Promise<void> | null = null;
  readonly #acceptedPassphrases = new WeakMap<AuthKeyRecord, string>();
  /** Bumped by every write: a load that started before it is not cached. */
  #generation = 0;
  /** Per key: the last use seen here and when it was last written to the database. */
  readonly #uses = new Map<string, { used: number; written: number }>();
  #usesSweepAt = 1024;

  constructor(db: Database, options: ApiKeyStoreOptions) {
    this.#db = db;
    this.#secretsKey = serverKey(options.secretsKey, 'secretsKey');
    this.#passphraseKey = serverKey(options.passphraseKey, 'passphraseKey');
    if (this.#secretsKey.equals(this.#passphraseKey)) {
      throw new BaseError('INVALID_CONFIG', "the API key store's secretsKey and passphraseKey must differ", {
        details: { option: 'passphraseKey' },
      });
    }
    this.#clock = options.clock ?? systemClock;
    this.#pollMs = options.changePollMs ?? 1_000;
    if (!Number.isFinite(this.#pollMs) || this.#pollMs < 0) {
      throw new BaseError('INVALID_CONFIG', 'changePollMs must be a finite number ≥ 0', {
        details: { option: 'changePollMs' },
      });
    }
    this.#cacheMax = options.cacheMaxEntries ?? 10_000;
  }

  // ---- keys -------------------------------------------------------------------------------------

  /** Creates a key for an existing account; the secret and passphrase are returned only here. */
  async create(accountId: bigint, spec: ApiKeySpec): Promise<CreatedApiKey> {
    if (typeof spec !== 'object' || spec === null) throw invalid('the key spec must be an object');
    const now = this.#clock.now();
    const label = checkLabel(spec.label);
    const permissions = checkPermissions(spec.permissions);
    const ipAllowlist = parseAllowlist(spec.ipAllowlist ?? [], KEY_LIMITS.maxIpAllowlist);
    if (permissions.includes('withdraw') && ipAllowlist.length === 0) {
      throw new BaseError('EXCHANGE_INVALID_REQUEST', 'a key with the withdraw permission needs its own IP allowlist', {
        details: { field: 'ipAllowlist' },
        hints: ['List the addresses (or ranges) the withdrawing client calls from.'],
      });
    }
    const brokerId = spec.brokerId ?? null;
    if (brokerId !== null && (typeof brokerId !== 'string' || !BROKER_ID_RE.test(brokerId))) {
      throw invalid(`"brokerId" is not a broker id: ${describeValue(brokerId)}`, { field: 'brokerId' });
    }
    let expiresAt: Date | null = null;
    if (spec.expiresAt !== undefined) {
      if (!(spec.expiresAt instanceof Date) || !Number.isFinite(spec.expiresAt.getTime())) {
        throw invalid('"expiresAt" must be a valid Date', { field: 'expiresAt' });
      }
      if (spec.expiresAt.getTime() <= now) throw invalid('"expiresAt" must be in the future', { field: 'expiresAt' });
      expiresAt = new Date(spec.expiresAt.getTime());
    }
    const passphrase = spec.passphrase === undefined ? generatePassphrase() : checkPassphrase(spec.passphrase);
    if (typeof accountId !== 'bigint') throw invalid('"accountId" must be a bigint', { field: 'accountId' });

    const apiKey = globalThis.crypto.randomUUID();
    const secretKey = generateSecret();
    const row = await this.#db.transaction(async (tx) => {
      // Locks the account row: concurrent creations for one account count keys one after another.
      const account = await tx.query('SELECT id FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
      if (account.rows.length === 0) {
        throw invalid('the account does not exist', { field: 'accountId', accountId: accountId.toString() });
      }
      if (brokerId !== null) {
        const broker = await tx.query('SELECT id FROM exchange_brokers WHERE id = $1', [brokerId]);
        if (broker.rows.length === 0) {
          throw new BaseError('EXCHANGE_BROKER_NOT_FOUND', `no broker ${brokerId}`, { details: { brokerId } });
        }
      }
      const counted = await tx.query<{ n: bigint }>(
        "SELECT count(*) AS n FROM exchange_api_keys WHERE account_id = $1 AND status <> 'revoked'",
        [accountId],
      );
      const n = Number(counted.rows[0]?.n ?? 0n);
      if (n >= KEY_LIMITS.maxKeysPerAccount) {
        throw new BaseError(
          'EXCHANGE_KEY_LIMIT',
          `an account can hold at most ${KEY_LIMITS.maxKeysPerAccount} API keys`,
          {
            details: { limit: KEY_LIMITS.maxKeysPerAccount, count: n },
            hints: ['Revoke a key that is no longer used, then create the new one.'],
          },
        );
      }
      const inserted = await tx.query<KeyRow>(
        `INSERT INTO exchange_api_keys (api_key, account_id, label, permissions, ip_allowlist, broker_id,
           secret_ciphertext, passphrase_hmac, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING ${KEY_COLUMNS}`,
        [
          apiKey,
          accountId,
          label,
          permissions,
          ipAllowlist,
          brokerId,
          this.#encryptSecret(apiKey, secretKey),
          this.#passphraseHmac(apiKey, passphrase),
          new Date(now),
          expiresAt,
        ],
      );
      return inserted.rows[0] as KeyRow;
    });
    this.#invalidate(apiKey);
    return { apiKey, secretKey, passphrase, key: this.#view(row) };
  }

  /** The account's keys, oldest first, with their status and effective expiry now. */
  async list(accountId: bigint, options: ListOptions = {}): Promise<ApiKeyView[]> {
    const includeRevoked = options.includeRevoked ?? true;
    const result = await this.#db.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM exchange_api_keys
       WHERE account_id = $1 ${includeRevoked ? '' : "AND status <> 'revoked'"}
       ORDER BY created_at, api_key`,
      [accountId],
    );
    return result.rows.map((row) => this.#view(row));
  }

  /** One key of the account (or of any account when `accountId` is null), or null. */
  async get(accountId: bigint | null, apiKey: string): Promise<ApiKeyView | null> {
    const row = await this.#row(this.#db, accountId, apiKey, false);
    return row === null ? null : this.#view(row);
  }

  /**
   * A new secret for the key (and, on request, a new passphrase); the old secret stops working at
   * once in this process and within the cache lifetime in others. Revoked and expired keys refuse.
   */
  async rotate(accountId: bigint, apiKey: string, options: RotateOptions = {}): Promise<RotatedApiKey> {
    const choice = options.passphrase ?? 'keep';
    const passphrase =
      choice === 'keep' ? null : choice === 'generate' ? generatePassphrase() : checkPassphrase(choice);
    const secretKey = generateSecret();
    const row = await this.#db.transaction(async (tx) => {
      const current = await this.#row(tx, accountId, apiKey, true);
      if (current === null) throw keyNotFound(apiKey);
      const status = this.#statusOf(current);
      if (status === 'revoked' || status === 'expired') {
        throw invalid(`a ${status} key cannot be rotated: create a new one`, { apiKey, status });
      }
      const updated = await tx.query<KeyRow>(
        `UPDATE exchange_api_keys SET secret_ciphertext = $2, passphrase_hmac = coalesce($3, passphrase_hmac)
         WHERE api_key = $1 RETURNING ${KEY_COLUMNS}`,
        [
          apiKey,
          this.#encryptSecret(apiKey, secretKey),
          passphrase === null ? null : this.#passphraseHmac(apiKey, passphrase),
        ],
      );
      return updated.rows[0] as KeyRow;
    });
    this.#invalidate(apiKey);
    return { apiKey, secretKey, passphrase, key: this.#view(row) };
  }

  /**
   * Revokes a key for good. With an account id only that account's key is found (another account's
   * key is "not found"); null is the operator, who can revoke any key. Revoking twice is a no-op.
   */
  async revoke(accountId: bigint | null, apiKey: string): Promise<ApiKeyView> {
    const row = await this.#db.transaction(async (tx) => {
      const current = await this.#row(tx, accountId, apiKey, true);
      if (current === null) throw keyNotFound(apiKey);
      if (current.status === 'revoked') return current;
      const updated = await tx.query<KeyRow>(
        `UPDATE exchange_api_keys SET status = 'revoked', revoked_at = $2 WHERE api_key = $1 RETURNING ${KEY_COLUMNS}`,
        [apiKey, new Date(this.#clock.now())],
      );
      return updated.rows[0] as KeyRow;
    });
    this.#invalidate(apiKey);
    return this.#view(row);
  }

  /** Operator: suspends a key (OKX 50100 "API frozen") until `unfreeze`. The reason is shown to the owner. */
  async freeze(apiKey: string, reason: string): Promise<ApiKeyView> {
    if (typeof reason !== 'string' || reason.length < 1 || reason.length > KEY_LIMITS.maxFrozenReason) {
      throw invalid(`the freeze reason must be 1–${KEY_LIMITS.maxFrozenReason} characters`, { field: 'reason' });
    }
    const row = await this.#db.transaction(async (tx) => {
      const current = await this.#row(tx, null, apiKey, true);
      if (current === null) throw keyNotFound(apiKey);
      if (current.status === 'revoked') throw invalid('a revoked key cannot be frozen', { apiKey, status: 'revoked' });
      const updated = await tx.query<KeyRow>(
        `UPDATE exchange_api_keys SET status = 'frozen', frozen_reason = $2 WHERE api_key = $1 RETURNING ${KEY_COLUMNS}`,
        [apiKey, reason],
      );
      return updated.rows[0] as KeyRow;
    });
    this.#invalidate(apiKey);
    return this.#view(row);
  }

  /** Operator: lifts a freeze. A key that is not frozen is returned unchanged. */
  async unfreeze(apiKey: string): Promise<ApiKeyView> {
    const row = await this.#db.transaction(async (tx) => {
      const current = await this.#row(tx, null, apiKey, true);
      if (current === null) throw keyNotFound(apiKey);
      if (current.status !== 'frozen') return current;
      const updated = await tx.query<KeyRow>(
        `UPDATE exchange_api_keys SET status = 'active', frozen_reason = NULL WHERE api_key = $1 RETURNING ${KEY_COLUMNS}`,
        [apiKey],
      );
      return updated.rows[0] as KeyRow;
    });
    this.#invalidate(apiKey);
    return this.#view(row);
  }

  // ---- brokers ----------------------------------------------------------------------------------

  /** Operator: registers a broker, or replaces the name and ranges of an existing one. */
  async registerBroker(spec: BrokerSpec): Promise<Broker> {
    if (typeof spec !== 'object' || spec === null) throw invalid('the broker spec must be an object');
    if (typeof spec.id !== 'string' || !BROKER_ID_RE.test(spec.id)) {
      throw invalid(`broker id ${describeValue(spec.id)} must be a slug: a-z, 0-9 and -, 1–63 characters`, {
        field: 'id',
      });
    }
    if (
      typeof spec.name !== 'string' ||
      spec.name.length < 1 ||
      [...spec.name].length > MAX_BROKER_NAME ||
      CONTROL_RE.test(spec.name)
    ) {
      throw invalid(`broker name must be 1–${MAX_BROKER_NAME} characters without control characters`, {
        field: 'name',
      });
    }
    const cidrs = parseAllowlist(spec.cidrs, KEY_LIMITS.maxBrokerCidrs, 'cidrs');
    if (cidrs.length === 0) throw invalid('a broker needs at least one CIDR range', { field: 'cidrs' });
    const now = new Date(this.#clock.now());
    const result = await this.#db.query<BrokerRow>(
      `INSERT INTO exchange_brokers (id, name, cidrs, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, cidrs = EXCLUDED.cidrs, updated_at = EXCLUDED.updated_at
       RETURNING id, name, cidrs, created_at, updated_at`,
      [spec.id, spec.name, cidrs, now],
    );
    // Every key bound to this broker now has other ranges.
    this.#invalidate(null);
    return brokerOf(result.rows[0] as BrokerRow);
  }

  async getBroker(id: string): Promise<Broker | null> {
    if (typeof id !== 'string' || !BROKER_ID_RE.test(id)) return null;
    const result = await this.#db.query<BrokerRow>(
      'SELECT id, name, cidrs, created_at, updated_at FROM exchange_brokers WHERE id = $1',
      [id],
    );
    const row = result.rows[0];
    return row === undefined ? null : brokerOf(row);
  }

  async listBrokers(): Promise<Broker[]> {
    const result = await this.#db.query<BrokerRow>(
      'SELECT id, name, cidrs, created_at, updated_at FROM exchange_brokers ORDER BY id',
    );
    return result.rows.map(brokerOf);
  }

  // ---- authentication ---------------------------------------------------------------------------

  /**
   * The authenticator's record of a key, from the cache when fresh; null for an unknown key (or a
   * string that is not an api key at all, without a database read). Throws INVALID_CONFIG when the
   * secret does not decrypt: the server's `secretsKey` is not the one the key was stored under.
   */
  async authKey(apiKey: string): Promise<AuthKeyRecord | null> {
    if (typeof apiKey !== 'string' || !API_KEY_RE.test(apiKey)) return null;
    if (this.#pollMs === 0) return (await this.#load(apiKey)).record;
    const now = this.#clock.now();
    const age = now - this.#polledAt;
    if (!(age >= 0 && age < 2 * this.#pollMs)) await this.pollChanges();
    else if (age >= this.#pollMs) this.pollChanges().catch(() => {});
    const cached = this.#cache.get(apiKey);
    if (cached !== undefined && !this.#expiredSinceLoad(cached, now)) return cached.record;
    const pending = this.#loading.get(apiKey);
    if (pending !== undefined) return (await pending).record;
    const generation = this.#generation;
    const load: Promise<CacheEntry> = this.#load(apiKey).finally(() => {
      if (this.#loading.get(apiKey) === load) this.#loading.delete(apiKey);
    });
    this.#loading.set(apiKey, load);
    const entry = await load;
    if (generation === this.#generation) {
      this.#cache.delete(apiKey);
      while (this.#cache.size >= this.#cacheMax) {
        const oldest = this.#cache.keys().next();
        if (oldest.done) break;
        this.#cache.delete(oldest.value);
      }
      this.#cache.set(apiKey, entry);
    }
    return entry.record;
  }

  /**
   * Asks the database which keys changed since the last look and drops their cache entries. Runs by
   * itself from `authKey` once per `changePollMs`; one look at a time (callers share it). Rejects
   * when the database does not answer (the cache then stays unusable until a look succeeds).
   */
  pollChanges(): Promise<void> {
    if (this.#polling !== null) return this.#polling;
    const started = this.#clock.now();
    const polling = this.#pollOnce(started).finally(() => {
      this.#polling = null;
    });
    this.#polling = polling;
    return polling;
  }

  async #pollOnce(started: number): Promise<void> {
    const from = this.#changesFrom;
    const result = await this.#db.query<ChangeRow>(
      `SELECT n.now_us, c.api_key, c.changed_us
       FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now_us) n
       LEFT JOIN (
         SELECT api_key, (extract(epoch FROM changed_at) * 1000000)::bigint AS changed_us
           FROM exchange_api_keys WHERE $1::timestamptz IS NOT NULL AND changed_at > $1::timestamptz
         UNION ALL
         SELECT api_key, (extract(epoch FROM deleted_at) * 1000000)::bigint
           FROM exchange_api_key_deletions WHERE $1::timestamptz IS NOT NULL AND deleted_at > $1::timestamptz
       ) c ON true`,
      [from],
    );
    let dropped = false;
    for (const row of result.rows) {
      if (row.api_key === null || row.changed_us === null) continue;
      const entry = this.#cache.get(row.api_key);
      if (entry !== undefined && (entry.changedUs === null || BigInt(row.changed_us) > entry.changedUs)) {
        this.#cache.delete(row.api_key);
        dropped = true;
      }
      if (this.#loading.delete(row.api_key)) dropped = true;
    }
    if (from === null) {
      // Before the first look nothing bounded the entries' age: start over.
      this.#cache.clear();
      dropped = true;
    }
    // A load under way may have read a row older than the change: it must not be cached.
    if (dropped) this.#generation++;
    const nowUs = BigInt(result.rows[0]?.now_us ?? 0);
    this.#changesFrom = new Date(Number(nowUs / 1000n) - CHANGE_OVERLAP_MS);
    this.#polledAt = started;
  }

  /** A cached record that became idle-expired after it was read: another process may have used it since. */
  #expiredSinceLoad(entry: CacheEntry, now: number): boolean {
    const record = entry.record;
    if (record === null || record.status !== 'active') return false;
    const expiry = keyExpiry(record);
    return expiry !== null && now >= expiry && entry.loadedAt < expiry;
  }

  verifyPassphrase(record: AuthKeyRecord, passphrase: string): boolean {
    if (typeof passphrase !== 'string') return false;
    // The passphrase this record last accepted, as its HMAC was: a repeat is compared in constant
    // time without a new HMAC. It lives no longer than the record (a key change drops both), and is
    // no more exposed than the decrypted secret next to it.
    const accepted = this.#acceptedPassphrases.get(record);
    if (accepted !== undefined && samePassphrase(accepted, passphrase)) return true;
    const presented = this.#passphraseHmac(record.apiKey, passphrase);
    const stored = record.passphraseHmac;
    const ok = stored.length === presented.length && timingSafeEqual(stored, presented);
    if (ok) this.#acceptedPassphrases.set(record, passphrase);
    return ok;
  }

  /**
   * Records a successful authentication now. The database is written at most once a minute per key
   * (and not when another process wrote within the minute); the cached record sees every use.
   */
  async touch(apiKey: string): Promise<void> {
    const now = this.#clock.now();
    const use = this.#uses.get(apiKey);
    const cached = this.#cache.get(apiKey)?.record;
    if (cached) (cached as { lastUsedAt: number | null }).lastUsedAt = now;
    if (use !== undefined && now >= use.written && now - use.written < TOUCH_INTERVAL_MS) {
      use.used = Math.max(use.used, now);
      return;
    }
    await this.#db.query(
      `UPDATE exchange_api_keys SET last_used_at = $2
       WHERE api_key = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
      [apiKey, new Date(now), new Date(now - TOUCH_INTERVAL_MS)],
    );
    this.#uses.delete(apiKey);
    this.#uses.set(apiKey, { used: now, written: now });
    if (this.#uses.size > this.#usesSweepAt) {
      for (const [key, u] of this.#uses) if (now - u.written >= TOUCH_INTERVAL_MS) this.#uses.delete(key);
      this.#usesSweepAt = Math.max(1024, this.#uses.size * 2);
    }
  }

  // ---- internals --------------------------------------------------------------------------------

  async #load(apiKey: string): Promise<CacheEntry> {
    const loadedAt = this.#clock.now();
    const result = await this.#db.query<AuthRow>(
      `SELECT (extract(epoch FROM k.changed_at) * 1000000)::bigint AS changed_us, k.api_key, k.account_id, k.label, k.permissions, k.ip_allowlist, k.broker_id, k.created_at,
         k.last_used_at, k.expires_at, k.status, k.frozen_reason, k.revoked_at, k.secret_ciphertext,
         k.passphrase_hmac, b.cidrs AS broker_cidrs
       FROM exchange_api_keys k LEFT JOIN exchange_brokers b ON b.id = k.broker_id
       WHERE k.api_key = $1`,
      [apiKey],
    );
    const row = result.rows[0];
    if (row === undefined) return { record: null, changedUs: null, loadedAt };
    const record = {
      apiKey: row.api_key,
      accountId: row.account_id,
      permissions: Object.freeze(row.permissions.filter(isPermission)),
      ipAllowlist: Object.freeze([...row.ip_allowlist]),
      brokerId: row.broker_id,
      brokerCidrs: row.broker_id === null ? null : Object.freeze([...(row.broker_cidrs ?? [])]),
      status: row.status,
      frozenReason: row.frozen_reason,
      createdAt: row.created_at.getTime(),
      lastUsedAt: this.#lastUse(row),
      expiresAt: ms(row.expires_at),
    };
    Object.defineProperties(record, {
      secretKey: { value: this.#decryptSecret(apiKey, row.secret_ciphertext), enumerable: false },
      passphraseHmac: { value: Uint8Array.from(row.passphrase_hmac), enumerable: false },
    });
    return { record: record as AuthKeyRecord, changedUs: BigInt(row.changed_us), loadedAt };
  }

  /** The stored last use, or a newer one this process has seen but not yet written. */
  #lastUse(row: KeyRow): number | null {
    const stored = ms(row.last_used_at);
    const seen = this.#uses.get(row.api_key)?.used;
    if (seen === undefined) return stored;
    return stored === null ? seen : Math.max(stored, seen);
  }

  async #row(q: Queryable, accountId: bigint | null, apiKey: string, lock: boolean): Promise<KeyRow | null> {
    if (typeof apiKey !== 'string' || !API_KEY_RE.test(apiKey)) return null;
    const result = await q.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM exchange_api_keys
       WHERE api_key = $1 AND ($2::bigint IS NULL OR account_id = $2::bigint)${lock ? ' FOR UPDATE' : ''}`,
      [apiKey, accountId],
    );
    return result.rows[0] ?? null;
  }

  #statusOf(row: KeyRow): KeyStatus {
    return keyStatusAt(this.#times(row), this.#clock.now());
  }

  #times(row: KeyRow) {
    return {
      permissions: row.permissions.filter(isPermission),
      ipAllowlist: row.ip_allowlist,
      brokerId: row.broker_id,
      createdAt: row.created_at.getTime(),
      lastUsedAt: this.#lastUse(row),
      expiresAt: ms(row.expires_at),
      status: row.status,
    };
  }

  #view(row: KeyRow): ApiKeyView {
    const times = this.#times(row);
    const expiry = keyExpiry(times);
    const lastUsedAt = times.lastUsedAt;
    return {
      apiKey: row.api_key,
      accountId: row.account_id,
      label: row.label,
      permissions: times.permissions,
      ipAllowlist: [...row.ip_allowlist],
      brokerId: row.broker_id,
      createdAt: new Date(times.createdAt),
      lastUsedAt: lastUsedAt === null ? null : new Date(lastUsedAt),
      expiresAt: expiry === null ? null : new Date(expiry),
      status: keyStatusAt(times, this.#clock.now()),
      frozenReason: row.frozen_reason,
      revokedAt: row.revoked_at,
    };
  }

  /** Drops one key's cache entry (null: all), and keeps loads already under way from caching. */
  #invalidate(apiKey: string | null): void {
    this.#generation++;
    // A load already under way may have read the old row: later callers start a new one.
    if (apiKey === null) {
      this.#cache.clear();
      this.#loading.clear();
    } else {
      this.#cache.delete(apiKey);
      this.#loading.delete(apiKey);
    }
  }

  #encryptSecret(apiKey: string, secret: string): Uint8Array {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#secretsKey, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(SECRET_AAD + apiKey, 'utf8'));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Uint8Array.from(Buffer.concat([Buffer.of(SECRET_FORMAT_V1), nonce, body, cipher.getAuthTag()]));
  }

  #decryptSecret(apiKey: string, sealed: Uint8Array): string {
    try {
      if (sealed.length !== 1 + NONCE_BYTES + 32 + TAG_BYTES || sealed[0] !== SECRET_FORMAT_V1) {
        throw new Error('unknown secret format');
      }
      const bytes = Buffer.from(sealed);
      const decipher = createDecipheriv('aes-256-gcm', this.#secretsKey, bytes.subarray(1, 1 + NONCE_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(SECRET_AAD + apiKey, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return plain.toString('utf8');
    } catch (cause) {
      throw new BaseError('INVALID_CONFIG', "cannot decrypt an API key's secret", {
        details: { apiKey },
        hints: [
          'The server secrets key is not the one this key was stored under (or the row was altered).',
          'Start the server with the secrets key it used when the key was created.',
        ],
        cause,
      });
    }
  }

  #passphraseHmac(apiKey: string, passphrase: string): Uint8Array {
    return Uint8Array.from(
      createHmac('sha256', this.#passphraseKey)
        .update(`${PASSPHRASE_CONTEXT}${apiKey}\0${passphrase}`, 'utf8')
        .digest(),
    );
  }
}

/**
 * Equality of a stored passphrase and a presented one in time that depends on neither's content
 * nor the stored one's length: always 32 positions (the longest passphrase; past a string's end a
 * position reads as 0), lengths compared alongside. A presented string over 32 is refused at once.
 */
function samePassphrase(stored: string, presented: string): boolean {
  if (presented.length > 32) return false;
  let diff = stored.length ^ presented.length;
  for (let i = 0; i < 32; i++) diff |= (stored.charCodeAt(i) | 0) ^ (presented.charCodeAt(i) | 0);
  return diff === 0;
}

function brokerOf(row: BrokerRow): Broker {
  return { id: row.id, name: row.name, cidrs: [...row.cidrs], createdAt: row.created_at, updatedAt: row.updated_at };
}
