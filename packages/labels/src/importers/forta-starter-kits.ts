/**
 * Two sheets from forta-network/starter-kits:
 *
 * - `scam-detector-py/fp_list.csv` (`forta-fp`): addresses Forta's scam detector wrongly flagged
 *   (OpenSea, Permit2, wstETH …). Imported as allow `benign` on their chain: hard negatives that
 *   keep noisier lists from blocking well-known contracts.
 * - `early-attack-detector-py/tp_list.csv` (`forta-attacks`): a hand-kept sheet of 2023–24
 *   protocol attacks with the attacker accounts and attack contracts. Attacker accounts are
 *   blocked on every EVM chain; attack contracts on the chain(s) the `Network` column names.
 *   Being a spreadsheet export, its cells hold several addresses separated by commas, spaces or
 *   newlines, placeholders (`nill`, `?`), prose and the odd transaction hash; those are skipped
 *   with a reason, never guessed at.
 */

import { basename, join } from 'node:path';
import { type Address, EVM_FAMILY, tryNormalizeAddress } from '../model.js';
import { type CsvRow, hasColumns, readCsv } from './csv.js';
import type { ImportBatch, LabelSource } from './types.js';
import { addressCell, BatchBuilder, chainIdCell, isDirectory, parseDay, readText, type Where } from './util.js';

/** Forta's own triage of its detector's output. */
const FP_CONFIDENCE = 80;
/** Post-mortem facts about confirmed attacks. */
const ATTACK_CONFIDENCE = 90;

/** A sheet given as its file, or as the starter-kits checkout that holds it. */
async function sheetPath(path: string, inRepo: string): Promise<string> {
  return (await isDirectory(path)) ? join(path, inRepo) : path;
}

async function readFalsePositives(path: string): Promise<ImportBatch> {
  const filePath = await sheetPath(path, 'scam-detector-py/fp_list.csv');
  const file = basename(filePath);
  const batch = new BatchBuilder(fortaFalsePositives.id);
  const table = readCsv(await readText(filePath), file, batch);
  batch.addRows(file, table?.read ?? 0);
  if (!table || !hasColumns(table, ['address', 'chain_id'], file, batch)) return batch.build();
  for (const row of table.rows) {
    const at: Where = { file, line: row.line };
    const address = addressCell(row.get('address'), 'address', at, batch);
    const scope = chainIdCell(row.get('chain_id'), 'chain_id', at, batch);
    if (!address || scope === null) continue;
    const name = row.get('comment');
    batch.label(
      { scope, address, tier: 'allow', category: 'benign', name, firstSeen: 0, confidence: FP_CONFIDENCE },
      at,
    );
  }
  return batch.build();
}

/** How the sheet's `Network` column names chains (lowercased), and which are not EVM at all. */
const NETWORKS: Readonly<Record<string, number>> = {
  mainnet: 1,
  ethereum: 1,
  eth: 1,
  bsc: 56,
  bnb: 56,
  polygon: 137,
  matic: 137,
  arb: 42161,
  arbitrum: 42161,
  op: 10,
  opt: 10,
  optimism: 10,
  avax: 43114,
  avalanche: 43114,
  fantom: 250,
  ftm: 250,
  base: 8453,
  zksync: 324,
};
const NON_EVM = new Set(['cosmos', 'solana', 'comdex']);

/** The chains a `Network` cell names (`Mainnet/ BSC`, `Ethereum, Optimism, Arbitrum` …). */
function networks(cell: string): { chains: number[]; nonEvm: boolean } {
  const names = cell
    .toLowerCase()
    .split(/[/,]/)
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const chains = new Set<number>();
  for (const n of names) {
    const chain = NETWORKS[n];
    if (chain !== undefined) chains.add(chain);
  }
  return { chains: [...chains], nonEvm: names.some((n) => NON_EVM.has(n)) };
}

/** Cell content that means "none" rather than being a wrong address. */
const PLACEHOLDERS = new Set(['nil', 'nill', 'null', 'none', 'n/a', '?', '-']);

/** Splits an address cell into the addresses it holds and the tokens that are not addresses. */
function addressTokens(cell: string): { addresses: Address[]; other: string[] } {
  const addresses: Address[] = [];
  const other: string[] = [];
  for (const token of cell.split(/[\s,;]+/)) {
    if (token === '' || PLACEHOLDERS.has(token.toLowerCase())) continue;
    const address = tryNormalizeAddress(token);
    if (address) addresses.push(address);
    else other.push(token);
  }
  return { addresses, other };
}

const ACCOUNT_COLUMNS = ['Deplorer Adress', 'Attacker'] as const;
const CONTRACT_COLUMN = 'Attacker Smart Contracts';

/** One attack row: its accounts blocked on every EVM chain, its contracts on the chains named. */
function readAttack(row: CsvRow, file: string, batch: BatchBuilder): void {
  const at: Where = { file, line: row.line };
  const { chains, nonEvm } = networks(row.get('Network'));
  if (nonEvm && chains.length === 0) {
    batch.skip(at, `non-EVM network (${row.get('Network')})`);
    return;
  }
  const accounts = ACCOUNT_COLUMNS.map((c) => ({ column: c, ...addressTokens(row.get(c)) }));
  const contracts = { column: CONTRACT_COLUMN, ...addressTokens(row.get(CONTRACT_COLUMN)) };
  const found = accounts.reduce((n, a) => n + a.addresses.length, 0) + contracts.addresses.length;
  if (found === 0) {
    batch.skip(at, 'no EVM address');
    return;
  }
  for (const { column, other } of [...accounts, contracts]) {
    for (const token of other) batch.skip(at, `${column}: not an EVM address (${JSON.stringify(token.slice(0, 80))})`);
  }
  const name = row.get('Attack Name');
  const firstSeen = parseDay(row.get('Date')) ?? 0;
  const base = { tier: 'block', category: 'exploit', name, firstSeen, confidence: ATTACK_CONFIDENCE } as const;
  for (const address of accounts.flatMap((a) => a.addresses)) batch.label({ ...base, scope: EVM_FAMILY, address }, at);
  if (contracts.addresses.length > 0 && chains.length === 0) {
    batch.skip(at, `${CONTRACT_COLUMN}: network "${row.get('Network')}" is not a known EVM chain`);
    return;
  }
  // A row naming several networks does not say which one the contract is on: label it on each.
  for (const address of contracts.addresses) {
    for (const scope of chains) batch.label({ ...base, scope, address }, at);
  }
}

async function readAttacks(path: string): Promise<ImportBatch> {
  const filePath = await sheetPath(path, 'early-attack-detector-py/tp_list.csv');
  const file = basename(filePath);
  const batch = new BatchBuilder(fortaAttacks.id);
  const table = readCsv(await readText(filePath), file, batch);
  batch.addRows(file, table?.read ?? 0);
  if (!table || !hasColumns(table, ['Network', 'Attacker', 'Attack Name'], file, batch)) return batch.build();
  for (const row of table.rows) readAttack(row, file, batch);
  return batch.build();
}

export const fortaFalsePositives: LabelSource = {
  id: 'forta-fp',
  title: "Forta scam detector's known false positives",
  origin: 'https://github.com/forta-network/starter-kits/blob/main/scam-detector-py/fp_list.csv',
  license: 'MIT',
  trust: 'curated',
  scope: 'the chain in the chain_id column',
  shipped: true,
  read: readFalsePositives,
};

export const fortaAttacks: LabelSource = {
  id: 'forta-attacks',
  title: 'Forta early-attack-detector true positives (2023–24 protocol attacks)',
  origin: 'https://github.com/forta-network/starter-kits/blob/main/early-attack-detector-py/tp_list.csv',
  license: 'MIT',
  trust: 'curated',
  scope: 'attacker accounts: evm; attack contracts: the chain(s) in the Network column',
  shipped: true,
  read: readAttacks,
};
