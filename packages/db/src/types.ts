/**
 * The one database interface every persisting package and app codes against. Two implementations
 * sit behind it — PGlite (embedded PostgreSQL compiled to WASM, file-backed) and PostgreSQL over
 * the wire (node-postgres) — and both speak the same SQL with `$1` placeholders. Values come back
 * normalised: int8 as bigint (never a lossy number), bytea as Uint8Array, numeric as string,
 * jsonb parsed, timestamptz as Date.
 */

export type SqlValue = string | number | bigint | boolean | null | Date | Uint8Array | readonly unknown[] | object;

export interface QueryResult<Row> {
  rows: Row[];
  /** Rows affected by INSERT/UPDATE/DELETE, or returned by SELECT. */
  rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<QueryResult<Row>>;
  /** Runs a script of one or more statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
}

export interface Migration {
  /** Positive, unique, ordered: the number in `0001_core.sql`. */
  id: number;
  name: string;
  sql: string;
}

export interface MigrateResult {
  applied: readonly { id: number; name: string }[];
  /** Migrations already present (and unchanged) before this run. */
  skipped: number;
}

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /** A human description without credentials: a directory or `postgres://host:port/db`. */
  readonly location: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Applies the given forward-only migrations under a lock; see migrate.ts. */
  migrate(migrations: readonly Migration[]): Promise<MigrateResult>;
  close(): Promise<void>;
}
