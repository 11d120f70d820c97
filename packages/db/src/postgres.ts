/**
 * The server implementation: PostgreSQL through a node-postgres pool. Opening checks the
 * connection at once, so an unreachable or misconfigured DATABASE_URL fails at start-up with a
 * clear DB_UNAVAILABLE naming the server (never the password), not on the first request.
 */
import { BaseError, type Logger, silentLogger } from '@custos/core';
import pg from 'pg';
import { queryFailed } from './errors.js';
import { applyMigrations } from './migrate.js';
import type { Database, Queryable, QueryResult, SqlValue } from './types.js';

const INT8_OID = 20;

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => BigInt(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** Query parameters node-postgres reads secrets from (`?password=`, `?sslpassword=`, keys). */
const SECRET_PARAM = /pass|secret|key|token/i;

/** A database (or Redis) URL with every password removed, for messages and logs. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    void error; // an unparseable URL is reported without echoing it (it may hold a password)
    return '<unparseable database URL>';
  }
  parsed.password = '';
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, 'redacted');
  }
  return parsed.toString();
}

function toBytes<Row>(rows: Row[]): Row[] {
  // node-postgres returns bytea as Buffer; normalise to plain Uint8Array like PGlite.
  for (const row of rows as Record<string, unknown>[]) {
    for (const [k, v] of Object.entries(row)) if (Buffer.isBuffer(v)) row[k] = new Uint8Array(v);
  }
  return rows;
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params: readonly SqlValue[] = []): Promise<QueryResult<Row>> {
      try {
        const result = await client.query(sql, params as unknown[]);
        const rows = toBytes((result.rows ?? []) as Row[]);
        return { rows, rowCount: result.rowCount ?? rows.length };
      } catch (cause) {
        throw queryFailed(cause);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        // Without parameters node-postgres uses the simple protocol, which runs many statements.
        await client.query(sql);
      } catch (cause) {
        throw queryFailed(cause);
      }
    },
  };
}

export interface OpenPostgresOptions {
  url: string;
  /** Pool size; default 10. */
  max?: number;
  connectTimeoutMs?: number;
  logger?: Logger;
}

export async function openPostgres(options: OpenPostgresOptions): Promise<Database> {
  const location = redactUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    types: typeParsers,
  });
  // An idle client losing its server must not crash the process; the next query reconnects.
  const logger = options.logger ?? silentLogger;
  pool.on('error', (error) => logger.warn({ err: error.message, db: location }, 'idle PostgreSQL client lost'));
  try {
    const client = await pool.connect();
    client.release();
  } catch (cause) {
    await pool.end().catch(() => undefined);
    const reason = (cause as { code?: string }).code ?? (cause as Error).message;
    throw new BaseError('DB_UNAVAILABLE', `cannot connect to PostgreSQL at ${location} (${reason})`, {
      details: { url: location },
      hints: ['Check DATABASE_URL / --db, and that the server accepts connections.'],
      cause,
    });
  }
  const base = wrap(pool);
  let closed = false;
  const db: Database = {
    kind: 'postgres',
    location,
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      const client = await pool.connect().catch((cause: unknown) => {
        throw new BaseError('DB_UNAVAILABLE', `lost the connection to PostgreSQL at ${location}`, { cause });
      });
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    migrate: (migrations) => applyMigrations(db, migrations),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
  return db;
}
