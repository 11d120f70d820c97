/**
 * MyEtherWallet ethereum-lists: three sources over one repository layout, each reading its file
 * given either as the file itself or as the checkout that holds it (`src/addresses/…`,
 * `src/urls/…`).
 *
 * - `mew-darklist` — `addresses-darklist.json`: scam addresses, mostly 2017–19 ICO and phishing
 *   scams. An address whose comment says it is a fake copy of a token is a token contract
 *   (blocked on Ethereum, where MEW lists it); every other entry is a key holder (blocked on
 *   every EVM chain).
 * - `mew-lightlist` — `addresses-lightlist.json`: verified project addresses (allow, Ethereum).
 * - `mew-urls` — `urls-darklist.json` (blocked domains) and/or `urls-lightlist.json` (allowed
 *   domains). An id may be a URL; its host is used. An id with a path names one page on a shared
 *   host (`twitter.com/…`), and blocking the whole host would be wrong, so it is skipped.
 */
import { basename } from 'node:path';
import { type DomainList, EVM_FAMILY, type Label } from '../model.js';
import { readJsonItems } from './json-scan.js';
import type { ImportBatch, LabelSource } from './types.js';
import {
  addressCell,
  BatchBuilder,
  domainOrReason,
  firstExisting,
  importFailed,
  isDirectory,
  isObject,
  parseDay,
  readText,
  relativeName,
  type Where,
} from './util.js';

/** Community-reported, reviewed by MEW, but old. */
const CONFIDENCE = 70;
const ORIGIN = 'https://github.com/MyEtherWallet/ethereum-lists';

/** A file found under the imported path, and its name for row errors. */
interface Located {
  path: string;
  file: string;
}

/** The candidates for `name` in a checkout: the directory itself, `<group>/`, `src/<group>/`. */
function candidates(name: string, group: string): string[] {
  return [name, `${group}/${name}`, `src/${group}/${name}`];
}

/** Resolves a file path, or finds `name` in a directory. */
async function locate(path: string, name: string, group: string): Promise<Located> {
  if (!(await isDirectory(path))) return { path, file: basename(path) };
  const found = await firstExisting(path, candidates(name, group));
  if (!found) throw importFailed(path, `no ${name} in this directory`);
  return { path: found, file: relativeName(path, found) };
}

/** A JSON field as text: '' when absent, the JSON of anything that is not a string. */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** "Fake copy of ROCK2 token": the entry is a token contract, not a scammer's account. */
const FAKE_TOKEN_RE = /\b(?:fake|copy|clone|counterfeit)\b.*\btoken(?:\s+contract)?\s*[.)]?$/i;

/** Reads `{address, comment, date}` elements into labels made by `classify`. */
async function readAddressList(
  path: string,
  source: string,
  name: string,
  classify: (comment: string) => Pick<Label, 'scope' | 'tier' | 'category'>,
): Promise<ImportBatch> {
  const { path: filePath, file } = await locate(path, name, 'addresses');
  const batch = new BatchBuilder(source);
  const { items, read } = readJsonItems(await readText(filePath), 'array', file, batch);
  batch.addRows(file, read);
  for (const { line, value } of items) {
    const at: Where = { file, line };
    if (!isObject(value)) {
      batch.error(at, 'expected an object with an address');
      continue;
    }
    const address = addressCell(text(value.address), 'address', at, batch);
    if (!address) continue;
    const comment = text(value.comment).trim();
    const firstSeen = parseDay(text(value.date)) ?? 0;
    batch.label({ ...classify(comment), address, name: comment, firstSeen, confidence: CONFIDENCE }, at);
  }
  return batch.build();
}

export const mewDarklist: LabelSource = {
  id: 'mew-darklist',
  title: 'MyEtherWallet address darklist',
  origin: ORIGIN,
  license: 'MIT',
  trust: 'curated',
  scope: 'evm; fake token contracts: chain 1',
  shipped: true,
  read: (path) =>
    readAddressList(path, mewDarklist.id, 'addresses-darklist.json', (comment) =>
      FAKE_TOKEN_RE.test(comment)
        ? { scope: 1, tier: 'block', category: 'fake-token' }
        : { scope: EVM_FAMILY, tier: 'block', category: 'scam' },
    ),
};

export const mewLightlist: LabelSource = {
  id: 'mew-lightlist',
  title: 'MyEtherWallet address lightlist',
  origin: ORIGIN,
  license: 'MIT',
  trust: 'curated',
  scope: 'chain 1',
  shipped: true,
  read: (path) =>
    readAddressList(path, mewLightlist.id, 'addresses-lightlist.json', () => ({
      scope: 1,
      tier: 'allow',
      category: 'protocol',
    })),
};

const URL_LISTS: readonly { name: string; list: DomainList }[] = [
  { name: 'urls-darklist.json', list: 'block' },
  { name: 'urls-lightlist.json', list: 'allow' },
];

/** What follows the host in an id (path, query, fragment), a lone trailing slash aside. */
function pagePart(id: string): string {
  const rest = id.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const i = rest.search(/[/?#]/);
  return i === -1 ? '' : rest.slice(i).replace(/^\/$/, '');
}

/** The URL list files under `path`: the file itself (its name says which list) or those present. */
async function urlFiles(path: string): Promise<(Located & { list: DomainList })[]> {
  if (!(await isDirectory(path))) {
    const file = basename(path);
    const list = file.includes('urls-lightlist') ? 'allow' : file.includes('urls-darklist') ? 'block' : null;
    if (!list) throw importFailed(path, 'expected urls-darklist.json or urls-lightlist.json');
    return [{ path, file, list }];
  }
  const files: (Located & { list: DomainList })[] = [];
  for (const { name, list } of URL_LISTS) {
    const found = await firstExisting(path, candidates(name, 'urls'));
    if (found) files.push({ path: found, file: relativeName(path, found), list });
  }
  if (files.length === 0) throw importFailed(path, 'no urls-darklist.json or urls-lightlist.json in this directory');
  return files;
}

async function readUrls(path: string): Promise<ImportBatch> {
  const batch = new BatchBuilder(mewUrls.id);
  for (const { path: filePath, file, list } of await urlFiles(path)) {
    const { items, read } = readJsonItems(await readText(filePath), 'array', file, batch);
    batch.addRows(file, read);
    for (const { line, value } of items) {
      const at: Where = { file, line };
      if (!isObject(value) || text(value.id) === '') {
        batch.error(at, 'expected an object with an id');
        continue;
      }
      const id = text(value.id);
      if (pagePart(id) !== '') {
        batch.skip(at, `a page, not a domain (${JSON.stringify(id.slice(0, 80))})`);
        continue;
      }
      const result = domainOrReason(id, 'id');
      if ('domain' in result) batch.domain(result.domain, list, text(value.comment).trim(), at);
      else batch.error(at, result.reason);
    }
  }
  return batch.build();
}

export const mewUrls: LabelSource = {
  id: 'mew-urls',
  title: 'MyEtherWallet URL darklist and lightlist',
  origin: ORIGIN,
  license: 'MIT',
  trust: 'curated',
  scope: 'domains only (block and allow lists)',
  shipped: true,
  read: readUrls,
};
