/**
 * `custos labels`: look-ups (offline, on the shipped index or any compiled one), and — through the
 * server — imports, operator overrides and statistics. `compile` builds an index file from a
 * database directly.
 */
import { join } from 'node:path';
import { openDatabase } from '@custos/db';
import {
  compileIndex,
  DEFAULT_INDEX_PATH,
  getLabelSource,
  isTrust,
  LabelIndex,
  LabelService,
  parseScope,
  TIERS,
  TRUST_LEVELS,
} from '@custos/labels';
import type { Command } from 'commander';
import { callServer } from '../client.js';
import { printJson, usageError } from '../output.js';
import { clientOptions } from './accounts.js';

function wantsJson(command: Command): boolean {
  return command.optsWithGlobals<{ json?: boolean }>().json === true;
}

/** An address if it looks like hex (so a malformed one is an address error), else a domain. */
function looksLikeAddress(target: string): boolean {
  return /^(0x|0X)/.test(target) || /^[0-9a-fA-F]{40}$/.test(target);
}

export function registerLabels(program: Command): void {
  const labels = program.command('labels').description('address and domain labels (KYT)');

  labels
    .command('lookup <target>')
    .description('tier and labels of an address (on --chain-id) or a domain; offline, on the shipped index')
    .option('--chain-id <n>', 'chain the address is used on', '1')
    .option('--index <file>', 'a compiled index file instead of the shipped one')
    .action((target: string, flags: { chainId: string; index?: string }) => {
      const service = new LabelService(LabelIndex.open(flags.index ?? DEFAULT_INDEX_PATH));
      try {
        const result = looksLikeAddress(target)
          ? service.lookupAddress(target, flags.chainId)
          : service.lookupDomain(target);
        printJson(result);
      } finally {
        service.close();
      }
    });

  labels
    .command('import <source> <path>')
    .description('parse a file or directory with an importer and replace that source in the store (operator)')
    .option('--trust <level>', `trust for generic files: ${TRUST_LEVELS.join(', ')}`)
    .option('--source-id <id>', 'source id for generic files (default: the importer id)')
    .option('--scope <scope>', 'scope for generic rows that carry none: evm or a chain id (default 1)')
    .option('--as-of <date>', 'snapshot date (YYYY-MM-DD) of a freshly downloaded sanctions list')
    .action(
      async (
        source: string,
        path: string,
        flags: { trust?: string; sourceId?: string; scope?: string; asOf?: string },
        command: Command,
      ) => {
        const importer = getLabelSource(source);
        if (flags.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(flags.asOf)) {
          throw usageError('--as-of must be a date like 2026-11-24');
        }
        if (flags.trust !== undefined && !isTrust(flags.trust)) {
          throw usageError(`--trust must be one of ${TRUST_LEVELS.join(', ')}`);
        }
        const batch = await importer.read(path, {
          ...(flags.trust ? { trust: flags.trust as (typeof TRUST_LEVELS)[number] } : {}),
          ...(flags.sourceId ? { sourceId: flags.sourceId } : {}),
          ...(flags.scope ? { defaultScope: parseScope(flags.scope, '--scope') } : {}),
          ...(flags.asOf ? { asOf: flags.asOf } : {}),
        });
        for (const e of batch.errors.slice(0, 20))
          process.stderr.write(`${e.file}:${e.line}: ${e.message} (skipped)\n`);
        if (batch.errors.length > 20) process.stderr.write(`… ${batch.errors.length - 20} more malformed rows\n`);
        const report = await callServer<Record<string, unknown>>(clientOptions(command), 'POST', '/v1/labels/import', {
          importer: source,
          ...(flags.trust ? { trust: flags.trust } : {}),
          batch,
        });
        if (wantsJson(command)) printJson(report);
        else {
          const l = report.labels as Record<string, number>;
          const d = report.domains as Record<string, number>;
          process.stdout.write(
            `${batch.source}: labels +${l.inserted} ~${l.updated} -${l.deleted} =${l.unchanged}; ` +
              `domains +${d.inserted} -${d.deleted} =${d.unchanged}; ${batch.errors.length} malformed rows skipped; ` +
              `index: ${String(report.index)}\n`,
          );
        }
      },
    );

  labels
    .command('override <address>')
    .description('set (or --remove) an operator override: it beats every source, at once (operator)')
    .option('--tier <tier>', `${TIERS.join(', ')}`)
    .option('--reason <text>', 'why (kept with the override)')
    .option('--scope <scope>', 'evm (every EVM chain) or a chain id', 'evm')
    .option('--remove', 'remove the override instead')
    .action(
      async (
        address: string,
        flags: { tier?: string; reason?: string; scope: string; remove?: boolean },
        command: Command,
      ) => {
        const scope = parseScope(flags.scope, '--scope');
        const options = clientOptions(command);
        if (flags.remove) {
          const result = await callServer(
            options,
            'DELETE',
            `/v1/labels/overrides/${scope}/${encodeURIComponent(address)}`,
          );
          printJson(result);
          return;
        }
        if (!flags.tier || !(TIERS as readonly string[]).includes(flags.tier)) {
          throw usageError(`--tier must be one of ${TIERS.join(', ')}`);
        }
        if (!flags.reason) throw usageError('--reason is required');
        printJson(
          await callServer(options, 'POST', '/v1/labels/overrides', {
            scope,
            address,
            tier: flags.tier,
            reason: flags.reason,
          }),
        );
      },
    );

  labels
    .command('stats')
    .description('label store and index statistics (operator)')
    .action(async (_flags: unknown, command: Command) => {
      printJson(await callServer(clientOptions(command), 'GET', '/v1/labels/stats'));
    });

  labels
    .command('compile <out>')
    .description('compile the label store of a database into an index file')
    .option('--db <path|url>', 'PGlite directory or postgres:// URL (DATABASE_URL; default <data dir>/db)')
    .action(async (out: string, flags: { db?: string }, command: Command) => {
      const dataDir =
        command.optsWithGlobals<{ dataDir?: string }>().dataDir ?? process.env.CUSTOS_DATA_DIR ?? '.custos';
      const database = await openDatabase(flags.db ?? process.env.DATABASE_URL ?? join(dataDir, 'db'));
      try {
        const stats = await compileIndex(database, out, {
          onProgress: (n) => process.stderr.write(`\r  ${n.toLocaleString('en')} addresses`),
        });
        printJson(stats);
      } finally {
        await database.close();
      }
    });
}
