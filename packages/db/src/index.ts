export {
  type ChainIdentity,
  getChainRecord,
  putChainRecord,
  type RegisterChainResult,
  registerChain,
} from './chains.js';
export { type DirectoryLock, lockDirectory } from './lock.js';
export {
  applyMigrations,
  approvalsMigrations,
  coreMigrations,
  exchangeMigrations,
  labelsMigrations,
  loadMigrations,
  mpcMigrations,
  porMigrations,
  riskMigrations,
  validateMigrations,
} from './migrate.js';
export { DEFAULT_DATA_DIR, isPostgresUrl, type OpenDatabaseOptions, openDatabase } from './open.js';
export { type OpenPGliteOptions, openPGlite } from './pglite.js';
export { type OpenPostgresOptions, openPostgres, redactUrl } from './postgres.js';
export type { Database, DatabaseKind, MigrateResult, Migration, Queryable, QueryResult, SqlValue } from './types.js';
