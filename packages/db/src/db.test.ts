import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseError } from '@custos/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getChainRecord, putChainRecord, registerChain } from './chains.js';
import { coreMigrations, validateMigrations } from './migrate.js';
import { openDatabase } from './open.js';
import { openPGlite } from './pglite.js';
import { redactUrl } from './postgres.js';
import { createTestDatabase } from './testing/postgres.js';
import type { Database, Migration } from './types.js';

const GENESIS_A = `0x${'aa'.repeat(32)}` as const;
const GENESIS_B = `0x${'bb'.repeat(32)}` as const;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof BaseError ? error.code : String(error);
  }
  return undefined;
}

// The same suite runs against both implementations of the one Database interface.
describe.each(['pglite', 'postgres'] as const)('Database on %s', (kind) => {
  let db: Database;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (kind === 'pglite') {
      db = await openPGlite();
      cleanup = async () => {};
    } else {
      const fresh = await createTestDatabase(inject('postgresUrl'));
      db = await openDatabase(fresh.url);
      cleanup = fresh.drop;
    }
    expect(db.kind).toBe(kind);
  });
  afterAll(async () => {
    await db.close();
    await cleanup();
  });

  it('applies the core migrations, and applying them twice is a no-op', async () => {
    const migrations = await coreMigrations();
    const first = await db.migrate(migrations);
    expect(first.applied.map((m) => m.name)).toEqual(migrations.map((m) => m.name));
    const tables = await db.query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.rows.map((r) => r.t)).toEqual([
      'accounts',
      'chain_records',
      'chains',
      'schema_migrations',
      'sessions',
    ]);
    const second = await db.migrate(migrations);
    expect(second).toEqual({ applied: [], skipped: migrations.length });
  });

  it('refuses an applied migration whose SQL changed, and an unknown applied id', async () => {
    const migrations = await coreMigrations();
    const edited = migrations.map((m) => ({ ...m, sql: `${m.sql}\n-- edited` }));
    expect(await codeOf(db.migrate(edited))).toBe('DB_MIGRATION_FAILED');
    expect(await codeOf(db.migrate([]))).toBe('DB_MIGRATION_FAILED');
  });

  it('rolls back a failed migration completely', async () => {
    const migrations: Migration[] = [
      ...(await coreMigrations()),
      { id: 500, name: 'broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' },
    ];
    expect(await codeOf(db.migrate(migrations))).toBe('DB_MIGRATION_FAILED');
    const left = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
    expect(left.rowCount).toBe(0);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.query('CREATE TABLE tx_probe (id int PRIMARY KEY)');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe VALUES (1)');
    });
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (2)');
        throw boom;
      }),
    ).rejects.toBe(boom);
    const rows = await db.query<{ id: number }>('SELECT id FROM tx_probe ORDER BY id');
    expect(rows.rows).toEqual([{ id: 1 }]);
  });

  it('returns int8 as exact bigint and bytea as Uint8Array', async () => {
    const r = await db.query<{ big: bigint; bytes: Uint8Array; num: string }>(
      "SELECT 9007199254740993::int8 AS big, '\\x00ff'::bytea AS bytes, 0.1::numeric AS num",
    );
    expect(r.rows[0]?.big).toBe(9007199254740993n);
    expect(r.rows[0]?.bytes).toEqual(new Uint8Array([0, 255]));
    expect(r.rows[0]?.num).toBe('0.1');
  });

  it('wraps a failing query in DB_QUERY_FAILED with the SQLSTATE and the cause', async () => {
    try {
      await db.query('SELECT * FROM no_such_table');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BaseError);
      expect((error as BaseError).code).toBe('DB_QUERY_FAILED');
      expect((error as BaseError).details.sqlstate).toBe('42P01');
      expect((error as BaseError).cause).toBeDefined();
    }
  });

  it('keys chain state by chain id and genesis hash and drops it on a reset', async () => {
    const first = await registerChain(db, { chainId: 31337, genesisHash: GENESIS_A });
    expect(first.status).toBe('new');
    await putChainRecord(db, first.ref, 'fixtures', 'erc20', { address: '0x01' });
    await putChainRecord(db, first.ref, 'fixtures', 'erc721', { address: '0x02' });
    const again = await registerChain(db, { chainId: 31337, genesisHash: GENESIS_A });
    expect(again).toEqual({ ref: first.ref, status: 'known', droppedRecords: 0 });
    expect(await getChainRecord(db, first.ref, 'fixtures', 'erc20')).toEqual({ address: '0x01' });

    const reset = await registerChain(db, { chainId: 31337, genesisHash: GENESIS_B });
    expect(reset.status).toBe('reset');
    expect(reset.previousGenesisHash).toBe(GENESIS_A);
    expect(reset.droppedRecords).toBe(2);
    expect(reset.ref).not.toBe(first.ref);
    expect(await getChainRecord(db, first.ref, 'fixtures', 'erc20')).toBeUndefined();
    expect(await getChainRecord(db, reset.ref, 'fixtures', 'erc20')).toBeUndefined();

    // Another chain id is untouched by that reset.
    const other = await registerChain(db, { chainId: 1, genesisHash: GENESIS_A });
    expect(other.status).toBe('new');
    expect(await codeOf(registerChain(db, { chainId: 0, genesisHash: GENESIS_A }))).toBe('INVALID_INPUT');
    expect(await codeOf(registerChain(db, { chainId: 5, genesisHash: '0x1234' }))).toBe('INVALID_INPUT');
  });
});

describe('migration list validation', () => {
  it('refuses duplicate or decreasing ids', () => {
    expect(() =>
      validateMigrations([
        { id: 2, name: 'a', sql: '' },
        { id: 2, name: 'b', sql: '' },
      ]),
    ).toThrow(/increasing/);
    expect(() => validateMigrations([{ id: 0, name: 'a', sql: '' }])).toThrow(/positive/);
  });
});

describe('PGlite on a data directory', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'custos-pglite-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('persists across close and reopen', async () => {
    const path = join(dir, 'persist');
    const a = await openDatabase(path);
    await a.migrate(await coreMigrations());
    await a.query("INSERT INTO accounts (name, password_hash) VALUES ('alice', 'x')");
    await a.close();
    const b = await openDatabase(path);
    const rows = await b.query<{ name: string }>('SELECT name FROM accounts');
    expect(rows.rows).toEqual([{ name: 'alice' }]);
    expect((await b.migrate(await coreMigrations())).applied).toEqual([]);
    await b.close();
  });

  it('refuses a second open in the same process, and takes over a stale lock', async () => {
    const path = join(dir, 'locked');
    const a = await openDatabase(path);
    expect(await codeOf(openDatabase(path))).toBe('DB_LOCKED');
    await a.close();
    // A crashed owner leaves its lock behind: pid 2^22+1 is above Linux's pid_max default.
    writeFileSync(`${path}.lock`, '4194305\n');
    const b = await openDatabase(path);
    await b.close();
  });
});

describe('PostgreSQL connection errors', () => {
  it('redacts passwords in the userinfo and in query parameters', () => {
    expect(redactUrl('postgres://app:pw1@db:5432/x?sslmode=require&password=pw2&sslpassword=pw3')).toBe(
      'postgres://app@db:5432/x?sslmode=require&password=redacted&sslpassword=redacted',
    );
    expect(redactUrl('postgres://app:pw1@[bad')).toBe('<unparseable database URL>');
  });

  it('an unreachable DATABASE_URL is DB_UNAVAILABLE naming the server, never the password', async () => {
    const url = 'postgres://custos:s3cret-pw@127.0.0.1:1/custos';
    try {
      await openDatabase(url);
      expect.unreachable();
    } catch (error) {
      expect((error as BaseError).code).toBe('DB_UNAVAILABLE');
      expect((error as BaseError).message).toContain('127.0.0.1:1');
      expect((error as BaseError).message).not.toContain('s3cret-pw');
      expect((error as BaseError).message).toContain('ECONNREFUSED');
    }
  });
});
