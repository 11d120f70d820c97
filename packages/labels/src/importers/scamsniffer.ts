/**
 * ScamSniffer scam-database `blacklist/address.json`: a JSON array of addresses that receive
 * drained funds. Each is a key holder, blocked on every EVM chain.
 *
 * The database is GPL-3.0, so custos does not ship it; an operator imports their own copy. Only
 * `address.json` is read: ScamSniffer's other files (`combined.json`, the daily archive) map
 * phishing sites to every address the site referenced, legitimate tokens such as USDT included.
 * `address.json` itself can hold such a token too — the precedence policy keeps a known token
 * from being blocked by it.
 */
import { basename } from 'node:path';
import { EVM_FAMILY } from '../model.js';
import { readJsonItems } from './json-scan.js';
import type { ImportBatch, LabelSource } from './types.js';
import { addressCell, BatchBuilder, firstExisting, importFailed, isDirectory, readText, relativeName } from './util.js';

/** A maintained feed, reviewed by its authors. */
const CONFIDENCE = 80;

/** `address.json` itself, or the checkout that holds `blacklist/address.json`. */
async function addressFile(path: string): Promise<{ path: string; file: string }> {
  if (!(await isDirectory(path))) return { path, file: basename(path) };
  const found = await firstExisting(path, ['address.json', 'blacklist/address.json']);
  if (!found) throw importFailed(path, 'no blacklist/address.json in this directory');
  return { path: found, file: relativeName(path, found) };
}

async function read(path: string): Promise<ImportBatch> {
  const { path: filePath, file } = await addressFile(path);
  const batch = new BatchBuilder(scamsnifferAddresses.id);
  const { items, read } = readJsonItems(await readText(filePath), 'array', file, batch);
  batch.addRows(file, read);
  for (const { line, value } of items) {
    const at = { file, line };
    const address = addressCell(typeof value === 'string' ? value : JSON.stringify(value), 'element', at, batch);
    if (address) {
      batch.label(
        {
          scope: EVM_FAMILY,
          address,
          tier: 'block',
          category: 'drainer',
          name: '',
          firstSeen: 0,
          confidence: CONFIDENCE,
        },
        at,
      );
    }
  }
  return batch.build();
}

export const scamsnifferAddresses: LabelSource = {
  id: 'scamsniffer-addresses',
  title: 'ScamSniffer drainer addresses (blacklist/address.json)',
  origin: 'https://github.com/scamsniffer/scam-database',
  license: 'GPL-3.0',
  trust: 'curated',
  scope: 'evm',
  shipped: false,
  read,
};
