/**
 * MetaMask eth-phishing-detect `config.json`: domains only. `blacklist` entries are blocked,
 * `whitelist` entries are never blocked (they are look-alikes that turned out legitimate), and
 * `fuzzylist` entries are high-value targets: a host within `tolerance` edits of one is flagged.
 */
import { basename } from 'node:path';
import type { DomainList } from '../model.js';
import { readJsonItems, readJsonMembers } from './json-scan.js';
import type { ImportBatch, LabelSource } from './types.js';
import { BatchBuilder, domainOrReason, readText } from './util.js';

/** The config's list names, in the order the file writes them, and the list each feeds. */
const LISTS: Readonly<Record<string, DomainList>> = { fuzzylist: 'fuzzy', whitelist: 'allow', blacklist: 'block' };

async function read(path: string): Promise<ImportBatch> {
  const text = await readText(path);
  const file = basename(path);
  const batch = new BatchBuilder(metamaskPhishing.id);
  batch.addRows(file, 0);
  let tolerance: number | undefined;
  for (const member of readJsonMembers(text, file, batch)) {
    if (member.key === 'tolerance') {
      const value = Number(member.valueText);
      if (Number.isSafeInteger(value) && value >= 0) tolerance = value;
      else batch.error({ file, line: member.valueLine }, `"tolerance" is not a non-negative integer`);
      continue;
    }
    const list = LISTS[member.key];
    if (!list) continue;
    const { items, read } = readJsonItems(member.valueText, 'array', file, batch, member.valueLine);
    batch.addRows(file, read);
    for (const { line, value } of items) {
      const at = { file, line };
      const result = domainOrReason(value, member.key);
      if ('domain' in result) batch.domain(result.domain, list, '', at);
      else batch.error(at, result.reason);
    }
  }
  return batch.build(tolerance === undefined ? {} : { fuzzyTolerance: tolerance });
}

export const metamaskPhishing: LabelSource = {
  id: 'metamask-phishing',
  title: 'MetaMask eth-phishing-detect',
  origin: 'https://github.com/MetaMask/eth-phishing-detect',
  license: 'DBAD-1.1',
  trust: 'curated',
  scope: 'domains only (block, allow and look-alike target lists)',
  shipped: true,
  read,
};
