/**
 * Picks the implementation from one configuration string: a `postgres://` or `postgresql://` URL
 * opens PostgreSQL, anything else is a PGlite data directory, and `:memory:` an in-memory PGlite.
 */
import type { Logger } from '@custos/core';
import { openPGlite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Database } from './types.js';

export const DEFAULT_DATA_DIR = '.custos/db';

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

export interface OpenDatabaseOptions {
  logger?: Logger;
}

export function openDatabase(target: string = DEFAULT_DATA_DIR, options: OpenDatabaseOptions = {}): Promise<Database> {
  if (isPostgresUrl(target))
    return openPostgres(options.logger ? { url: target, logger: options.logger } : { url: target });
  return openPGlite(target === ':memory:' ? {} : { dataDir: target });
}
