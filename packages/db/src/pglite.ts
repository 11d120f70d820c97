/**
 * The embedded implementation: PGlite (PostgreSQL compiled to WASM) on a data directory, or in
 * memory when none is given (tests). The directory is locked for this process (see lock.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BaseError } from '@custos/core';
import { PGlite, types } from '@electric-sql/pglite';
import { queryFailed } from './errors.js';
import { lockDirectory } from './lock.js';
import { applyMigrations } from './migrate.js';
import type { Database, Queryable, QueryResult, SqlValue } from './types.js';

const parsers = { [types.INT8]: (value: string) => BigInt(value) };

function wrap(q: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<Row>(sql: string, params: readonly SqlValue[] = []): Promise<QueryResult<Row>> {
      try {
        const result = await q.query<Row>(sql, params as unknown[]);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
      } catch (cause) {
        throw queryFailed(cause);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await q.exec(sql);
      } catch (cause) {
        throw queryFailed(cause);
      }
    },
  };
}

export interface OpenPGliteOptions {
  /** Data directory; omit for an in-memory database. */
  dataDir?: string;
}

export async function openPGlite(options: OpenPGliteOptions = {}): Promise<Database> {
  const { dataDir } = options;
  if (dataDir !== undefined) {
    try {
      mkdirSync(dirname(resolve(dataDir)), { recursive: true, mode: 0o700 });
    } catch (cause) {
      const reason = (cause as NodeJS.ErrnoException).code ?? 'error';
      throw new BaseError('DB_UNAVAILABLE', `cannot create the parent of database directory ${dataDir} (${reason})`, {
        details: { directory: dataDir },
        cause,
      });
    }
  }
  const lock = dataDir === undefined ? undefined : lockDirectory(dataDir);
  let pg: PGlite;
  try {
    if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    pg = await PGlite.create(dataDir === undefined ? { parsers } : { dataDir, parsers });
  } catch (cause) {
    lock?.release();
    throw new BaseError('DB_UNAVAILABLE', `cannot open the embedded database${dataDir ? ` at ${dataDir}` : ''}`, {
      details: { directory: dataDir ?? ':memory:' },
      cause,
    });
  }
  const base = wrap(pg);
  let closed = false;
  const db: Database = {
    kind: 'pglite',
    location: dataDir ?? ':memory:',
    query: base.query,
    exec: base.exec,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    migrate: (migrations) => applyMigrations(db, migrations),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pg.close();
      } finally {
        lock?.release();
      }
    },
  };
  return db;
}
