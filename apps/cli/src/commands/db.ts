/**
 * `custos db migrate`: applies the schema migrations to a database without starting a server, so
 * a deployment migrates once before it starts (or scales out) its stateless server nodes.
 */
import { join } from 'node:path';
import {
  approvalsMigrations,
  coreMigrations,
  exchangeMigrations,
  labelsMigrations,
  mpcMigrations,
  openDatabase,
  porMigrations,
  riskMigrations,
} from '@custos/db';
import type { Command } from 'commander';
import { printJson } from '../output.js';

export function registerDb(program: Command): void {
  const db = program.command('db').description('database maintenance');
  db.command('migrate')
    .description('apply pending migrations (safe to run from several processes at once)')
    .option('--db <path|url>', 'PGlite directory or postgres:// URL (DATABASE_URL; default <data dir>/db)')
    .action(async (flags: { db?: string }, command: Command) => {
      const dataDir =
        command.optsWithGlobals<{ dataDir?: string }>().dataDir ?? process.env.CUSTOS_DATA_DIR ?? '.custos';
      const target = flags.db ?? process.env.DATABASE_URL ?? join(dataDir, 'db');
      const database = await openDatabase(target);
      try {
        const result = await database.migrate([
          ...(await coreMigrations()),
          ...(await mpcMigrations()),
          ...(await labelsMigrations()),
          ...(await riskMigrations()),
          ...(await approvalsMigrations()),
          ...(await porMigrations()),
          ...(await exchangeMigrations()),
        ]);
        if (command.optsWithGlobals<{ json?: boolean }>().json) printJson({ db: database.location, ...result });
        else
          process.stdout.write(
            `${database.location}: ${result.applied.length} applied, ${result.skipped} already present\n`,
          );
      } finally {
        await database.close();
      }
    });
}
