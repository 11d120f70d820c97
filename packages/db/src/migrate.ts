/**
 * Forward-only numbered SQL migrations. The whole run happens in one transaction that first takes
 * a PostgreSQL transaction-scoped advisory lock, so two processes migrating one database at once
 * serialise: the second waits, then finds everything applied and does nothing. Each applied
 * migration is recorded with a SHA-256 of its SQL; a recorded migration whose text has since
 * changed, or an unknown recorded id, is refused — history is never rewritten.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { BaseError } from '@custos/core';
import type { Database, MigrateResult, Migration, Queryable } from './types.js';

/** A fixed key for pg_advisory_xact_lock: the ASCII of "custosmg" as an int8. */
const MIGRATION_LOCK_KEY = 0x637573746f736d67n;

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

/** Checks ids are positive, unique and strictly increasing. */
export function validateMigrations(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isSafeInteger(m.id) || m.id <= previous) {
      throw new BaseError(
        'DB_MIGRATION_FAILED',
        `migration ids must be positive and increasing: ${m.id} after ${previous}`,
        {
          details: { id: m.id, name: m.name },
        },
      );
    }
    previous = m.id;
  }
}

export async function applyMigrations(
  db: Pick<Database, 'transaction'>,
  migrations: readonly Migration[],
): Promise<MigrateResult> {
  validateMigrations(migrations);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const recorded = await tx.query<{ id: number; name: string; checksum: string }>(
      'SELECT id, name, checksum FROM schema_migrations ORDER BY id',
    );
    const known = new Map(migrations.map((m) => [m.id, m]));
    for (const row of recorded.rows) {
      const m = known.get(row.id);
      if (m === undefined) {
        throw new BaseError(
          'DB_MIGRATION_FAILED',
          `the database has migration ${row.id} (${row.name}) that this version does not know`,
          {
            details: { id: row.id },
            hints: ['The database was migrated by a newer custos; run that version or restore a backup.'],
          },
        );
      }
      if (row.checksum !== checksum(m.sql)) {
        throw new BaseError('DB_MIGRATION_FAILED', `migration ${row.id} (${row.name}) changed after it was applied`, {
          details: { id: row.id },
          hints: ['Migrations are forward-only: add a new numbered migration instead of editing an applied one.'],
        });
      }
    }
    const done = new Set(recorded.rows.map((r) => r.id));
    const applied: { id: number; name: string }[] = [];
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      await runOne(tx, m);
      applied.push({ id: m.id, name: m.name });
    }
    return { applied, skipped: done.size };
  });
}

async function runOne(tx: Queryable, m: Migration): Promise<void> {
  try {
    await tx.exec(m.sql);
  } catch (cause) {
    throw new BaseError('DB_MIGRATION_FAILED', `migration ${m.id} (${m.name}) failed`, {
      details: { id: m.id, name: m.name },
      cause,
    });
  }
  await tx.query('INSERT INTO schema_migrations (id, name, checksum) VALUES ($1, $2, $3)', [
    m.id,
    m.name,
    checksum(m.sql),
  ]);
}

/** Reads `NNNN_name.sql` files from a directory, in order. */
export async function loadMigrations(directory: URL | string): Promise<Migration[]> {
  const base =
    directory instanceof URL ? directory : pathToFileURL(directory.endsWith('/') ? directory : `${directory}/`);
  const entries = (await readdir(base)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of entries) {
    const match = FILE_RE.exec(file);
    if (match === null) {
      throw new BaseError('DB_MIGRATION_FAILED', `migration file name must look like 0001_name.sql: ${file}`);
    }
    const sql = await readFile(new URL(file, base), 'utf8');
    migrations.push({ id: Number(match[1]), name: match[2] as string, sql });
  }
  validateMigrations(migrations);
  return migrations;
}

/**
 * The migrations of one capability: the files in `migrations/` whose name is `NNNN_<set>.sql` or
 * `NNNN_<set>_<more>.sql`. Ids are global across the sets (one directory, one numbering), and a
 * database is migrated with the sets it uses concatenated in id order, e.g. `[...coreMigrations(),
 * ...mpcMigrations()]`.
 */
async function migrationSet(set: string): Promise<Migration[]> {
  const all = await loadMigrations(new URL('../migrations/', import.meta.url));
  return all.filter((m) => m.name === set || m.name.startsWith(`${set}_`));
}

/** The migrations this package owns: accounts, sessions and chain identity. */
export function coreMigrations(): Promise<Migration[]> {
  return migrationSet('core');
}

/** The MPC wallet's tables (devices, wallets, protocol sessions, presignatures). */
export function mpcMigrations(): Promise<Migration[]> {
  return migrationSet('mpc');
}

/** Address and domain labels: sources, labels, overrides (the label store). */
export function labelsMigrations(): Promise<Migration[]> {
  return migrationSet('labels');
}

/** The co-signer's per-wallet policy and decision record (needs the mpc set). */
export function riskMigrations(): Promise<Migration[]> {
  return migrationSet('risk');
}

/** Authorization management: scan progress, approval events, seen off-chain permits. */
export function approvalsMigrations(): Promise<Migration[]> {
  return migrationSet('approvals');
}

/** Proof-of-reserves rounds as published. */
export function porMigrations(): Promise<Migration[]> {
  return migrationSet('por');
}

/** The exchange: API keys, brokers, the reference ledger, the anti-fraud audit log. */
export function exchangeMigrations(): Promise<Migration[]> {
  return migrationSet('exchange');
}
