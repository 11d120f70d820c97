/**
 * The OFAC SDN list's digital-currency addresses, from two extractions of it. Both are
 * authoritative and block on every EVM chain: a sanctioned key is sanctioned wherever it signs.
 * Each batch carries its snapshot date so the store can mark what only an older snapshot lists as
 * delisted (the Tornado Cash addresses the 2024 extraction still has were delisted in 2025).
 *
 * - `ofac-0xB10C`: one `sanctioned_addresses_<ASSET>.txt` per asset the SDN entry names (ETH,
 *   USDT, USDC, ARB, BSC, ETC, XBT, TRX …), one address per line. EVM addresses are imported
 *   whatever the asset (USDT's are Ethereum token holders); Bitcoin and Tron lines are skipped.
 *   An address under several assets is one label naming them all. The `.json` copies the
 *   repository publishes next to a `.txt` are checked against it, line by line.
 * - `ofac-ultrasoundmoney`: `data.csv`, address and SDN entity name, 0x addresses only.
 */
import { basename, join } from 'node:path';
import { type Address, EVM_FAMILY, tryNormalizeAddress } from '../model.js';
import { hasColumns, readCsv } from './csv.js';
import { readJsonItems } from './json-scan.js';
import type { ImportBatch, ImportOptions, LabelSource } from './types.js';
import { addressCell, BatchBuilder, importFailed, isDirectory, listDirectory, readText, type Where } from './util.js';

const AUTHORITY = 'ofac-sdn';
/**
 * The extraction dates of the shipped copies (the files themselves carry no date); a fresh
 * download is imported with `--as-of` (ImportOptions.asOf) so delisting compares the right dates.
 */
const B10C_AS_OF = '2024-09-27';
const ULTRASOUND_AS_OF = '2026-06-25';

const FILE_RE = /^sanctioned_addresses_([A-Z0-9]+)\.(txt|json)$/;

/** Where each address was first listed and every asset it is listed under. */
interface Listing {
  at: Where;
  assets: string[];
}

/** The lines of a text file that hold something, with their 1-based line numbers. */
function nonBlankLines(text: string): { line: number; value: string }[] {
  return text
    .split(/\r?\n/)
    .map((value, i) => ({ line: i + 1, value: value.trim() }))
    .filter((l) => l.value !== '');
}

/** Reads one asset's .txt into `listings`; returns the addresses in it for the .json check. */
function readAssetFile(
  text: string,
  file: string,
  asset: string,
  listings: Map<Address, Listing>,
  batch: BatchBuilder,
): Map<Address, number> {
  const lines = nonBlankLines(text);
  batch.addRows(file, lines.length);
  const addresses = new Map<Address, number>();
  for (const { line, value } of lines) {
    const at: Where = { file, line };
    const address = tryNormalizeAddress(value);
    if (!address) {
      if (/^0x/i.test(value)) batch.error(at, `malformed 0x address (${JSON.stringify(value.slice(0, 80))})`);
      else batch.skip(at, 'non-EVM address');
      continue;
    }
    addresses.set(address, line);
    const listing = listings.get(address);
    if (!listing) listings.set(address, { at, assets: [asset] });
    else {
      listing.assets.push(asset);
      batch.skip(at, 'duplicate');
    }
  }
  return addresses;
}

/** Checks a published .json copy against its .txt: every address in one must be in the other. */
function checkJsonCopy(
  text: string,
  file: string,
  txt: Map<Address, number>,
  txtFile: string,
  batch: BatchBuilder,
): void {
  const { items, read } = readJsonItems(text, 'array', file, batch);
  batch.addRows(file, read);
  const inJson = new Set<Address>();
  for (const { line, value } of items) {
    const address = addressCell(
      typeof value === 'string' ? value : JSON.stringify(value),
      'element',
      { file, line },
      batch,
    );
    if (!address) continue;
    inJson.add(address);
    if (!txt.has(address)) batch.error({ file, line }, `${address} is not in ${txtFile}`);
  }
  for (const [address, line] of txt) {
    if (!inJson.has(address)) batch.error({ file: txtFile, line }, `${address} is not in ${file}`);
  }
}

async function readB10C(path: string, options: ImportOptions = {}): Promise<ImportBatch> {
  const dir = (await isDirectory(path)) ? path : null;
  const names = dir ? (await listDirectory(dir)).map((e) => e.name) : [basename(path)];
  const pathOf = (name: string): string => (dir ? join(dir, name) : path);
  const files = names.flatMap((name) => {
    const m = FILE_RE.exec(name);
    return m?.[1] && m[2] ? [{ name, asset: m[1], kind: m[2] }] : [];
  });
  const txtFiles = files.filter((f) => f.kind === 'txt');
  if (txtFiles.length === 0) throw importFailed(path, 'no sanctioned_addresses_<ASSET>.txt files here');
  const batch = new BatchBuilder(ofacB10C.id);
  const listings = new Map<Address, Listing>();
  const byAsset = new Map<string, Map<Address, number>>();
  for (const { name, asset } of txtFiles) {
    byAsset.set(asset, readAssetFile(await readText(pathOf(name)), name, asset, listings, batch));
  }
  for (const { name, asset } of files.filter((f) => f.kind === 'json')) {
    const txt = byAsset.get(asset);
    if (txt) checkJsonCopy(await readText(pathOf(name)), name, txt, `sanctioned_addresses_${asset}.txt`, batch);
  }
  for (const [address, { at, assets }] of listings) {
    const name = `OFAC SDN (${assets.join(', ')})`;
    batch.label(
      { scope: EVM_FAMILY, address, tier: 'block', category: 'sanctioned', name, firstSeen: 0, confidence: 100 },
      at,
    );
  }
  return batch.build({ snapshot: { authority: AUTHORITY, asOf: options.asOf ?? B10C_AS_OF } });
}

async function readUltrasound(path: string, options: ImportOptions = {}): Promise<ImportBatch> {
  const filePath = (await isDirectory(path)) ? join(path, 'data.csv') : path;
  const file = basename(filePath);
  const batch = new BatchBuilder(ofacUltrasound.id);
  const table = readCsv(await readText(filePath), file, batch);
  batch.addRows(file, table?.read ?? 0);
  if (table && hasColumns(table, ['address', 'name'], file, batch)) {
    for (const row of table.rows) {
      const at: Where = { file, line: row.line };
      const address = addressCell(row.get('address'), 'address', at, batch);
      const name = row.get('name');
      if (address) {
        batch.label(
          { scope: EVM_FAMILY, address, tier: 'block', category: 'sanctioned', name, firstSeen: 0, confidence: 100 },
          at,
        );
      }
    }
  }
  return batch.build({ snapshot: { authority: AUTHORITY, asOf: options.asOf ?? ULTRASOUND_AS_OF } });
}

export const ofacB10C: LabelSource = {
  id: 'ofac-0xB10C',
  title: 'OFAC SDN digital-currency addresses (0xB10C extraction)',
  origin: 'https://github.com/0xB10C/ofac-sanctioned-digital-currency-addresses',
  license: 'MIT (list data: US government public domain)',
  trust: 'authoritative',
  scope: 'evm',
  shipped: true,
  read: readB10C,
};

export const ofacUltrasound: LabelSource = {
  id: 'ofac-ultrasoundmoney',
  title: 'OFAC SDN Ethereum addresses (ultrasound.money extraction)',
  origin: 'https://github.com/ultrasoundmoney/ofac-ethereum-addresses',
  license: 'MIT (list data: US government public domain)',
  trust: 'authoritative',
  scope: 'evm',
  shipped: true,
  read: readUltrasound,
};
