/**
 * Two scrapes of the Etherscan-family explorers' public label pages. Their licences are MIT, but
 * the explorers' terms may not allow redistributing what was scraped, so custos does not ship
 * them; they are imported from a user's own copy. Tier and category come from the label slugs
 * (see `etherscan-slugs.ts`); the name keeps the explorer's name tag and every slug.
 *
 * - `etherscan-brianleect`: `<explorer>/combinedAllLabels.json`, an object from address to
 *   `{name, labels[]}`, one per explorer (the chain follows from the explorer directory).
 * - `etherscan-dawsbot`: Ethereum only; `etherscan-by-label/<slug>.json` and
 *   `mainnet/<slug>.json` (or one such directory, or one file), arrays of `{address, nameTag}`
 *   where the file name is the slug.
 */
import { basename, dirname, join } from 'node:path';
import { slugMeaning, strongestMeaning } from './etherscan-slugs.js';
import { readJsonItems } from './json-scan.js';
import type { ImportBatch, LabelSource } from './types.js';
import {
  addressCell,
  BatchBuilder,
  exists,
  firstExisting,
  importFailed,
  isDirectory,
  isObject,
  listDirectory,
  readText,
  relativeName,
  type Where,
} from './util.js';

/** Explorer labels are curated by the explorers but reach us through a scrape. */
const CONFIDENCE = 60;

/** brianleect's explorer directories and their chains. */
const EXPLORERS: Readonly<Record<string, number>> = {
  etherscan: 1,
  bscscan: 56,
  polygonscan: 137,
  optimism: 10,
  arbiscan: 42161,
  ftmscan: 250,
  avalanche: 43114,
};

const COMBINED = 'combinedAllLabels.json';

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === 'string');
}

/** `Name Tag [slug, slug]`, or just the slugs when the explorer gave no name. */
function nameWithSlugs(name: string, slugs: readonly string[]): string {
  const tag = slugs.length > 0 ? `[${slugs.join(', ')}]` : '';
  return [name.trim(), tag].filter((s) => s !== '').join(' ');
}

/**
 * The combined files under `path` with their chains: the file itself (its explorer directory, or
 * the one above a `combined/` directory as upstream lays it out, names the chain), or each
 * explorer directory present.
 */
async function combinedFiles(path: string): Promise<{ path: string; file: string; chainId: number }[]> {
  if (!(await isDirectory(path))) {
    const parent = basename(dirname(path));
    const explorer = parent === 'combined' ? basename(dirname(dirname(path))) : parent;
    const chainId = EXPLORERS[explorer];
    if (chainId === undefined) throw importFailed(path, `cannot tell the chain: "${explorer}" is not a known explorer`);
    return [{ path, file: basename(path), chainId }];
  }
  const files: { path: string; file: string; chainId: number }[] = [];
  for (const entry of await listDirectory(path)) {
    const chainId = EXPLORERS[entry.name];
    if (!entry.isDirectory() || chainId === undefined) continue;
    const found = await firstExisting(join(path, entry.name), [COMBINED, `combined/${COMBINED}`]);
    if (found) files.push({ path: found, file: relativeName(path, found), chainId });
  }
  if (files.length === 0) throw importFailed(path, `no <explorer>/${COMBINED} files in this directory`);
  return files;
}

async function readBrianleect(path: string): Promise<ImportBatch> {
  const batch = new BatchBuilder(etherscanBrianleect.id);
  for (const { path: filePath, file, chainId } of await combinedFiles(path)) {
    const { items, read } = readJsonItems(await readText(filePath), 'object', file, batch);
    batch.addRows(file, read);
    for (const { line, key, value } of items) {
      const at: Where = { file, line };
      const address = addressCell(key ?? '', 'key', at, batch);
      if (!address) continue;
      if (!isObject(value) || typeof value.name !== 'string' || !isStringArray(value.labels)) {
        batch.error(at, 'expected {"name": string, "labels": string[]}');
        continue;
      }
      const { tier, category } = strongestMeaning(value.labels);
      const name = nameWithSlugs(value.name, value.labels);
      batch.label({ scope: chainId, address, tier, category, name, firstSeen: 0, confidence: CONFIDENCE }, at);
    }
  }
  return batch.build();
}

export const etherscanBrianleect: LabelSource = {
  id: 'etherscan-brianleect',
  title: 'Etherscan-family explorer labels (brianleect scrape, 2023)',
  origin: 'https://github.com/brianleect/etherscan-labels',
  license: 'MIT (scraped from Etherscan-family explorers, whose terms may restrict redistribution)',
  trust: 'scraped',
  scope:
    'the chain of the explorer (etherscan 1, bscscan 56, polygonscan 137, optimism 10, arbiscan 42161, ftmscan 250, avalanche 43114)',
  shipped: false,
  read: readBrianleect,
};

/** dawsbot's per-label directories, in the order they are read. */
const DAWSBOT_DIRS = ['etherscan-by-label', 'mainnet'] as const;

/**
 * The `<slug>.json` files under `path`: the file itself; those in the per-label directories of a
 * checkout; or, for a directory without them, the files directly in it.
 */
async function slugFiles(path: string): Promise<{ path: string; file: string }[]> {
  if (!(await isDirectory(path))) return [{ path, file: basename(path) }];
  const present: string[] = [];
  for (const dir of DAWSBOT_DIRS) if (await exists(join(path, dir))) present.push(join(path, dir));
  const files: { path: string; file: string }[] = [];
  for (const dir of present.length > 0 ? present : [path]) {
    for (const entry of await listDirectory(dir)) {
      if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
      const filePath = join(dir, entry.name);
      files.push({ path: filePath, file: relativeName(path, filePath) });
    }
  }
  if (files.length === 0) throw importFailed(path, 'no <label>.json files (etherscan-by-label/, mainnet/) here');
  return files;
}

async function readDawsbot(path: string): Promise<ImportBatch> {
  const batch = new BatchBuilder(etherscanDawsbot.id);
  for (const { path: filePath, file } of await slugFiles(path)) {
    const slug = basename(filePath, '.json');
    const { tier, category } = slugMeaning(slug);
    const { items, read } = readJsonItems(await readText(filePath), 'array', file, batch);
    batch.addRows(file, read);
    for (const { line, value } of items) {
      const at: Where = { file, line };
      if (!isObject(value) || typeof value.address !== 'string') {
        batch.error(at, 'expected {"address": string, "nameTag": string}');
        continue;
      }
      const address = addressCell(value.address, 'address', at, batch);
      if (!address) continue;
      const name = nameWithSlugs(typeof value.nameTag === 'string' ? value.nameTag : '', [slug]);
      batch.label({ scope: 1, address, tier, category, name, firstSeen: 0, confidence: CONFIDENCE }, at);
    }
  }
  return batch.build();
}

export const etherscanDawsbot: LabelSource = {
  id: 'etherscan-dawsbot',
  title: 'Etherscan labels (dawsbot eth-labels scrape, 2024)',
  origin: 'https://github.com/dawsbot/eth-labels',
  license: 'MIT (scraped from Etherscan, whose terms may restrict redistribution)',
  trust: 'scraped',
  scope: 'chain 1',
  shipped: false,
  read: readDawsbot,
};
