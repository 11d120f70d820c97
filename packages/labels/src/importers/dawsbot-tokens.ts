/**
 * dawsbot eth-labels `tokens.csv`: token contracts on seven chains with their Etherscan-family
 * label, name and symbol. custos ships it as its known-token list: every allow `token` label of
 * this source marks a known token, which the precedence policy never lets a noisy list block.
 *
 * A row whose label slug is a warning or a block (`phish-hack` on a fake "Tether USD", `blocked`,
 * `spam-token` …) takes that tier and category instead — such a token is listed, but not
 * vouched for. Every other slug (`stablecoin`, `exchange`, `defi` …) only says what the token is
 * about, so it is an allow `token` label.
 */
import { basename, join } from 'node:path';
import { hasColumns, readCsv } from './csv.js';
import { slugMeaning } from './etherscan-slugs.js';
import type { ImportBatch, LabelSource } from './types.js';
import { addressCell, BatchBuilder, chainIdCell, isDirectory, readText, type Where } from './util.js';

/** Explorer token pages, collected by a maintained project. */
const CONFIDENCE = 70;

/** `Tether USD (USDT)`, or whichever of the two the row has. */
function tokenName(name: string, symbol: string): string {
  if (name && symbol) return `${name} (${symbol})`;
  return name || symbol;
}

async function read(path: string): Promise<ImportBatch> {
  const filePath = (await isDirectory(path)) ? join(path, 'tokens.csv') : path;
  const file = basename(filePath);
  const batch = new BatchBuilder(dawsbotTokens.id);
  // The list's writer escapes quotes inside quoted fields with a backslash.
  const table = readCsv(await readText(filePath), file, batch, '\\');
  batch.addRows(file, table?.read ?? 0);
  if (!table || !hasColumns(table, ['address', 'chainId', 'label'], file, batch)) return batch.build();
  for (const row of table.rows) {
    const at: Where = { file, line: row.line };
    const address = addressCell(row.get('address'), 'address', at, batch);
    const scope = chainIdCell(row.get('chainId'), 'chainId', at, batch);
    if (!address || scope === null) continue;
    const meaning = slugMeaning(row.get('label'));
    const { tier, category } = meaning.tier === 'allow' ? { tier: 'allow' as const, category: 'token' } : meaning;
    const name = tokenName(row.get('name'), row.get('symbol'));
    batch.label({ scope, address, tier, category, name, firstSeen: 0, confidence: CONFIDENCE }, at);
  }
  return batch.build();
}

export const dawsbotTokens: LabelSource = {
  id: 'dawsbot-tokens',
  title: 'dawsbot eth-labels token list (the known-token list)',
  origin: 'https://github.com/dawsbot/eth-labels',
  license: 'MIT',
  trust: 'curated',
  scope: 'the chain in the chainId column',
  shipped: true,
  read,
};
