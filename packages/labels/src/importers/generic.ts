/**
 * Generic formats for an operator's own lists: a CSV file with a header, or a JSON array of
 * objects, with the same fields either way.
 *
 * | field                | value                                                  | default          |
 * |----------------------|--------------------------------------------------------|------------------|
 * | `address` (required) | 0x + 40 hex digits, any case                           |                  |
 * | `tier`               | `allow`, `gray` or `block`                             | `gray`           |
 * | `category`           | a lowercase slug (`phishing`, `exchange` …)            | `other`          |
 * | `name`               | free text                                              | ''               |
 * | `scope` / `chain_id` | `evm` (every EVM chain) or a chain id                  | defaultScope, 1  |
 * | `confidence`         | an integer 0–100                                       | 50               |
 * | `first_seen`         | unix seconds, `YYYY-MM-DD`, or ISO date-time with zone | 0                |
 *
 * Every invalid field is a row error with its line and the row is left out. The source id is
 * `options.sourceId` (default `generic`); the trust the store gives it comes from
 * `options.trust` (default `community`) and is the caller's to pass on.
 */
import { basename } from 'node:path';
import { BaseError } from '@custos/core';
import { isTier, parseScope, type Tier } from '../model.js';
import { hasColumns, readCsv } from './csv.js';
import { readJsonItems } from './json-scan.js';
import type { ImportBatch, ImportOptions, LabelSource } from './types.js';
import { addressCell, BatchBuilder, isObject, type LabelInput, parseTimestamp, readText, type Where } from './util.js';

const DEFAULT_SOURCE = 'generic';
/** The fields the formats read; other columns or keys are ignored. */
const FIELDS = ['address', 'tier', 'category', 'name', 'scope', 'chain_id', 'confidence', 'first_seen'] as const;
const DEFAULT_CONFIDENCE = 50;
const CATEGORY_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** One row's fields as text ('' for an absent or empty one). */
type Fields = (field: string) => string;

/** A field's value, or the message that makes the row an error. */
type Checked<T> = { value: T } | { error: string };

function tierOf(text: string): Checked<Tier> {
  const tier = text.toLowerCase() || 'gray';
  return isTier(tier) ? { value: tier } : { error: `tier: expected allow, gray or block, got "${text}"` };
}

function categoryOf(text: string): Checked<string> {
  const category = text.toLowerCase() || 'other';
  return CATEGORY_RE.test(category) ? { value: category } : { error: `category: not a lowercase slug ("${text}")` };
}

function scopeOf(text: string, fallback: number): Checked<number> {
  if (text === '') return { value: fallback };
  try {
    return { value: parseScope(text.toLowerCase(), 'scope') };
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    return { error: `scope: expected "evm" or a chain id, got "${text}"` };
  }
}

function confidenceOf(text: string): Checked<number> {
  if (text === '') return { value: DEFAULT_CONFIDENCE };
  const n = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  return n <= 100 ? { value: n } : { error: `confidence: expected an integer 0-100, got "${text}"` };
}

function firstSeenOf(text: string): Checked<number> {
  if (text === '') return { value: 0 };
  const seconds = parseTimestamp(text);
  return seconds === null
    ? { error: `first_seen: expected unix seconds or an ISO date, got "${text}"` }
    : { value: seconds };
}

/** The row's fields other than the address, or every message that makes the row an error. */
function checkFields(
  get: Fields,
  defaultScope: number,
): { fields: Omit<LabelInput, 'address'> } | { errors: string[] } {
  const errors: string[] = [];
  const take = <T>(checked: Checked<T>, fallback: T): T => {
    if ('value' in checked) return checked.value;
    errors.push(checked.error);
    return fallback;
  };
  const fields = {
    tier: take(tierOf(get('tier')), 'gray'),
    category: take(categoryOf(get('category')), 'other'),
    scope: take(scopeOf(get('scope') || get('chain_id'), defaultScope), defaultScope),
    confidence: take(confidenceOf(get('confidence')), DEFAULT_CONFIDENCE),
    firstSeen: take(firstSeenOf(get('first_seen')), 0),
    name: get('name'),
  };
  return errors.length > 0 ? { errors } : { fields };
}

/** Checks one row and adds its label; every invalid field is reported, then the row is left out. */
function addRow(get: Fields, at: Where, defaultScope: number, batch: BatchBuilder): void {
  const address = addressCell(get('address'), 'address', at, batch);
  const checked = checkFields(get, defaultScope);
  if ('errors' in checked) for (const message of checked.errors) batch.error(at, message);
  else if (address) batch.label({ ...checked.fields, address }, at);
}

async function readGenericCsv(path: string, options: ImportOptions = {}): Promise<ImportBatch> {
  const file = basename(path);
  const batch = new BatchBuilder(options.sourceId ?? DEFAULT_SOURCE);
  const table = readCsv(await readText(path), file, batch);
  batch.addRows(file, table?.read ?? 0);
  if (!table || !hasColumns(table, ['address'], file, batch)) return batch.build();
  for (const row of table.rows) addRow(row.get, { file, line: row.line }, options.defaultScope ?? 1, batch);
  return batch.build();
}

/** A JSON value as field text: numbers as written, anything but a string or number refused. */
function fieldText(value: unknown): string | null {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

async function readGenericJson(path: string, options: ImportOptions = {}): Promise<ImportBatch> {
  const file = basename(path);
  const batch = new BatchBuilder(options.sourceId ?? DEFAULT_SOURCE);
  const { items, read } = readJsonItems(await readText(path), 'array', file, batch);
  batch.addRows(file, read);
  for (const { line, value } of items) {
    const at: Where = { file, line };
    if (!isObject(value)) {
      batch.error(at, 'expected an object');
      continue;
    }
    const bad = FIELDS.filter((k) => fieldText(value[k]) === null);
    if (bad.length > 0) {
      batch.error(at, `${bad.join(', ')}: expected a string or a number`);
      continue;
    }
    addRow((field) => fieldText(value[field]) ?? '', at, options.defaultScope ?? 1, batch);
  }
  return batch.build();
}

const COMMON = {
  origin: 'operator-supplied file',
  license: 'as supplied',
  trust: 'community',
  scope: 'per row (scope or chain_id column; default chain 1)',
  shipped: false,
} as const;

export const genericCsv: LabelSource = {
  ...COMMON,
  id: 'generic-csv',
  title: 'Generic CSV label list',
  read: readGenericCsv,
};

export const genericJson: LabelSource = {
  ...COMMON,
  id: 'generic-json',
  title: 'Generic JSON label list',
  read: readGenericJson,
};
