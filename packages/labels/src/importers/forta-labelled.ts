/**
 * forta-network/labelled-datasets: Etherscan's phish-hack, exploit and heist labels collected by
 * Forta, one directory per chain id (`labels/1/…`, `labels/10/…`). Every row names a malicious
 * address; the scope follows what the address is. An account (a key holder) is blocked on every
 * EVM chain, since the same key signs everywhere; a contract only on the chain of its directory.
 */
import { join } from 'node:path';
import { EVM_FAMILY } from '../model.js';
import { type CsvRow, hasColumns, readCsv } from './csv.js';
import type { ImportBatch, LabelSource } from './types.js';
import {
  addressCell,
  BatchBuilder,
  exists,
  importFailed,
  isDirectory,
  listDirectory,
  readText,
  relativeName,
  type Where,
} from './util.js';

/** Forta copied these labels from Etherscan and checked them; not an authority's own list. */
const CONFIDENCE = 80;

/** Etherscan list names as the sheets write them (`etherscan-phish-hack-list` or `phish-hack`). */
const CATEGORIES: Readonly<Record<string, string>> = { 'phish-hack': 'phishing', exploit: 'exploit', heist: 'heist' };

function categoryOf(list: string): string | undefined {
  const slug = list
    .toLowerCase()
    .replace(/^etherscan-/, '')
    .replace(/-list$/, '');
  return CATEGORIES[slug];
}

interface RowContext {
  file: string;
  chainId: number;
  batch: BatchBuilder;
}

/** `etherscan_malicious_labels.csv`: accounts Etherscan lists as phishing, exploit or heist. */
function readMaliciousLabel(row: CsvRow, { file, batch }: RowContext): void {
  const at: Where = { file, line: row.line };
  const address = addressCell(row.get('banned_address'), 'banned_address', at, batch);
  const category = categoryOf(row.get('data_source'));
  if (!category) batch.error(at, `data_source: unknown list "${row.get('data_source')}"`);
  if (!address || !category) return;
  const name = row.get('wallet_tag');
  batch.label({ scope: EVM_FAMILY, address, tier: 'block', category, name, firstSeen: 0, confidence: CONFIDENCE }, at);
}

/** `phishing_scams.csv`: phishing addresses; `is_contract` decides the scope. */
function readPhishingScam(row: CsvRow, { file, chainId, batch }: RowContext): void {
  const at: Where = { file, line: row.line };
  const address = addressCell(row.get('address'), 'address', at, batch);
  const flag = row.get('is_contract').toLowerCase();
  const isContract = flag === 'true' ? true : flag === 'false' ? false : null;
  if (isContract === null) batch.error(at, 'is_contract: expected True or False');
  if (!address || isContract === null) return;
  const scope = isContract ? chainId : EVM_FAMILY;
  const name = row.get('etherscan_tag');
  batch.label({ scope, address, tier: 'block', category: 'phishing', name, firstSeen: 0, confidence: CONFIDENCE }, at);
}

/**
 * `malicious_smart_contracts.csv`: a malicious contract (blocked on its chain) and the account
 * that created it (blocked everywhere), with the creator's Etherscan label as the category of
 * both. Contracts without a creator label come from exploit write-ups, hence `exploit`.
 */
function readMaliciousContract(row: CsvRow, { file, chainId, batch }: RowContext): void {
  const at: Where = { file, line: row.line };
  const contract = addressCell(row.get('contract_address'), 'contract_address', at, batch);
  const creatorCell = row.get('contract_creator');
  const creator = creatorCell === '' ? null : addressCell(creatorCell, 'contract_creator', at, batch);
  const listCell = row.get('contract_creator_etherscan_label');
  const category = listCell === '' ? 'exploit' : categoryOf(listCell);
  if (!category) batch.error(at, `contract_creator_etherscan_label: unknown label "${listCell}"`);
  if (!contract || !category || (creatorCell !== '' && !creator)) return;
  const name = row.get('contract_tag') || row.get('notes');
  batch.label(
    { scope: chainId, address: contract, tier: 'block', category, name, firstSeen: 0, confidence: CONFIDENCE },
    at,
  );
  if (!creator) return;
  const creatorName = row.get('contract_creator_tag');
  batch.label(
    {
      scope: EVM_FAMILY,
      address: creator,
      tier: 'block',
      category,
      name: creatorName,
      firstSeen: 0,
      confidence: CONFIDENCE,
    },
    at,
  );
}

/** The files of a chain directory, read in this order, with the columns each needs. */
const FILES: readonly { name: string; columns: readonly string[]; read: (row: CsvRow, ctx: RowContext) => void }[] = [
  { name: 'etherscan_malicious_labels.csv', columns: ['banned_address', 'data_source'], read: readMaliciousLabel },
  { name: 'phishing_scams.csv', columns: ['address', 'is_contract'], read: readPhishingScam },
  {
    name: 'malicious_smart_contracts.csv',
    columns: ['contract_address', 'contract_creator'],
    read: readMaliciousContract,
  },
];

/** The chain-id subdirectories of the labels directory, in numeric order. */
async function chainDirectories(root: string): Promise<number[]> {
  return (await listDirectory(root))
    .filter((entry) => entry.isDirectory() && /^[1-9][0-9]{0,9}$/.test(entry.name))
    .map((entry) => Number(entry.name))
    .sort((a, b) => a - b);
}

/** Reads the `labels` directory, or the repository root that contains it. */
async function read(path: string): Promise<ImportBatch> {
  const root = (await exists(join(path, 'labels'))) ? join(path, 'labels') : path;
  if (!(await isDirectory(root))) throw importFailed(path, 'expected a directory of <chain id>/ subdirectories');
  const batch = new BatchBuilder(fortaLabelled.id);
  let found = 0;
  for (const chainId of await chainDirectories(root)) {
    for (const spec of FILES) {
      const filePath = join(root, String(chainId), spec.name);
      if (!(await exists(filePath))) continue;
      found++;
      const file = relativeName(path, filePath);
      const table = readCsv(await readText(filePath), file, batch);
      batch.addRows(file, table?.read ?? 0);
      if (!table || !hasColumns(table, spec.columns, file, batch)) continue;
      for (const row of table.rows) spec.read(row, { file, chainId, batch });
    }
  }
  if (found === 0) throw importFailed(path, 'no Forta label files (<chain id>/*.csv) in this directory');
  return batch.build();
}

export const fortaLabelled: LabelSource = {
  id: 'forta-labelled',
  title: 'Forta labelled datasets (Etherscan phish-hack, exploit and heist labels)',
  origin: 'https://github.com/forta-network/labelled-datasets',
  license: 'MIT',
  trust: 'curated',
  scope: 'accounts: evm; contracts: the chain of their directory',
  shipped: true,
  read,
};
