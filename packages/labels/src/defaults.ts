/**
 * The default label set: the MIT-licensed sources and the DBAD-licensed MetaMask list shipped in
 * `data/sources` (provenance in data/sources/SOURCES.md). A server seeds its store from them on
 * first start; `data/default.clx` is the same set compiled, so look-ups work offline right after
 * install. `npm run labels:default` rebuilds it through the store, exactly as a server would.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '@custos/db';
import { labelsMigrations, openPGlite } from '@custos/db';
import { getLabelSource } from './importers/registry.js';
import type { IndexBuildStats } from './index-file.js';
import { compileIndex, type ImportReport, importBatch } from './store.js';

const SOURCES_DIR = fileURLToPath(new URL('../data/sources/', import.meta.url));

/** Each shipped source and the file or directory it reads, under data/sources. */
export const DEFAULT_SOURCES: readonly { source: string; path: string }[] = [
  { source: 'ofac-ultrasoundmoney', path: 'ofac-ultrasoundmoney/data.csv' },
  { source: 'ofac-0xB10C', path: 'ofac-0xB10C' },
  { source: 'forta-labelled', path: 'forta-labelled-datasets/labels' },
  { source: 'forta-fp', path: 'forta-starter-kits/scam-detector-py/fp_list.csv' },
  { source: 'forta-attacks', path: 'forta-starter-kits/early-attack-detector-py/tp_list.csv' },
  { source: 'mew-darklist', path: 'mew-ethereum-lists/src/addresses/addresses-darklist.json' },
  { source: 'mew-lightlist', path: 'mew-ethereum-lists/src/addresses/addresses-lightlist.json' },
  { source: 'mew-urls', path: 'mew-ethereum-lists/src/urls' },
  { source: 'metamask-phishing', path: 'metamask-eth-phishing-detect/config.json' },
  { source: 'dawsbot-tokens', path: 'eth-labels-dawsbot-tokens/tokens.csv' },
];

export function defaultSourcePath(path: string): string {
  return join(SOURCES_DIR, path);
}

/** Imports every shipped source into the store (idempotent: a second run changes nothing). */
export async function seedDefaultLabels(
  db: Database,
  options: { shouldStop?: () => boolean } = {},
): Promise<ImportReport[]> {
  const reports: ImportReport[] = [];
  for (const { source, path } of DEFAULT_SOURCES) {
    // Between sources (each is one transaction), so a shutdown does not wait for the whole set.
    if (options.shouldStop?.()) break;
    const importer = getLabelSource(source);
    const batch = await importer.read(defaultSourcePath(path));
    reports.push(await importBatch(db, importer, batch));
  }
  return reports;
}

/** Whether the store has never been seeded (no source at all). */
export async function storeIsEmpty(db: Database): Promise<boolean> {
  const r = await db.query<{ n: bigint }>('SELECT count(*) AS n FROM label_sources');
  return Number(r.rows[0]?.n ?? 0) === 0;
}

/** A fixed build time keeps the shipped index byte-for-byte reproducible. */
export const DEFAULT_INDEX_BUILT_AT = new Date('2026-11-24T00:00:00Z');

/**
 * Builds the default index at `path` through a fresh embedded store: seed, then compile — the
 * same path a server takes.
 */
export async function buildDefaultIndex(path: string): Promise<IndexBuildStats> {
  const db = await openPGlite();
  try {
    await db.migrate(await labelsMigrations());
    await seedDefaultLabels(db);
    return await compileIndex(db, path, {
      builtAt: DEFAULT_INDEX_BUILT_AT,
      description: 'custos default label set (data/sources/SOURCES.md)',
    });
  } finally {
    await db.close();
  }
}
