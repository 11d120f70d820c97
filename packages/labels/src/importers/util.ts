/**
 * Plumbing shared by the importers: file access that fails with one typed error, the batch
 * builder that applies the one de-duplication rule every source follows, and the date formats
 * the sources write.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { BaseError } from '@custos/core';
import { normalizeDomain } from '../domains.js';
import {
  type Address,
  type DomainLabel,
  type DomainList,
  type Label,
  normalizeChainId,
  tryNormalizeAddress,
} from '../model.js';
import type { ImportBatch, RowError, RowSkip } from './types.js';

/** Where a row is: a path relative to the imported path, and a 1-based line. */
export interface Where {
  file: string;
  line: number;
}

/** The one error an importer throws: the path (or a file it needs) cannot be read at all. */
export function importFailed(path: string, message: string, cause?: unknown): BaseError {
  return new BaseError('LABELS_IMPORT_FAILED', message, {
    details: { path },
    hints: ['Check the path, and that it holds the layout this source expects.'],
    cause,
  });
}

/** Reads a UTF-8 text file; a byte-order mark is dropped (JSON.parse refuses it). */
export async function readText(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (cause) {
    throw importFailed(path, `cannot read ${path}`, cause);
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (cause) {
    throw importFailed(path, `cannot read ${path}`, cause);
  }
}

/** Whether a path exists, for optional files of a layout (an unreadable one still fails later). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A directory's entries sorted by name, so every import reads files in the same order. */
export async function listDirectory(path: string): Promise<Dirent[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (cause) {
    throw importFailed(path, `cannot list ${path}`, cause);
  }
}

/** The first of `candidates` (paths relative to `dir`) that exists, or null. */
export async function firstExisting(dir: string, candidates: readonly string[]): Promise<string | null> {
  for (const candidate of candidates) {
    const path = join(dir, candidate);
    if (await exists(path)) return path;
  }
  return null;
}

/** How a file is named in row errors: relative to the imported directory, with `/` separators. */
export function relativeName(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** A JSON object (not an array, not null), whose fields can then be read. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A label as an importer produces it; the builder adds the source and the `active` status. */
export type LabelInput = Omit<Label, 'source' | 'status'>;

/**
 * Collects one import. Labels are keyed like the store keys them — (scope, address, category) —
 * and the first one wins: a later row with the same key is reported as a `duplicate` skip, never
 * merged into the first, so what the batch says can always be traced back to one row.
 */
export class BatchBuilder {
  readonly source: string;
  readonly #labels = new Map<string, Label>();
  readonly #domains = new Map<string, DomainLabel>();
  readonly #rows: Record<string, number> = {};
  readonly #errors: RowError[] = [];
  readonly #skipped: RowSkip[] = [];

  constructor(source: string) {
    this.source = source;
  }

  /** Records how many data rows a file had (call it even with 0, so the file shows as read). */
  addRows(file: string, count: number): void {
    this.#rows[file] = (this.#rows[file] ?? 0) + count;
  }

  /** Adds a label unless one with the same key is already in; returns whether it was added. */
  label(input: LabelInput, at: Where): boolean {
    const key = `${input.scope}|${input.address}|${input.category}`;
    if (this.#labels.has(key)) {
      this.skip(at, 'duplicate');
      return false;
    }
    const { scope, address, tier, category, name, firstSeen, confidence } = input;
    this.#labels.set(key, {
      scope,
      address,
      tier,
      category,
      name,
      source: this.source,
      firstSeen,
      confidence,
      status: 'active',
    });
    return true;
  }

  /** Adds a domain entry unless the same domain is already on the same list. */
  domain(domain: string, list: DomainList, name: string, at: Where): boolean {
    const key = `${list}|${domain}`;
    if (this.#domains.has(key)) {
      this.skip(at, 'duplicate');
      return false;
    }
    this.#domains.set(key, { domain, list, source: this.source, name });
    return true;
  }

  error(at: Where, message: string): void {
    this.#errors.push({ file: at.file, line: at.line, message });
  }

  skip(at: Where, reason: string): void {
    this.#skipped.push({ file: at.file, line: at.line, reason });
  }

  /** The batch; errors and skips are listed by file (in reading order), then by line. */
  build(extra: Pick<ImportBatch, 'fuzzyTolerance' | 'snapshot'> = {}): ImportBatch {
    const files = Object.keys(this.#rows);
    const rank = (file: string): number => {
      const i = files.indexOf(file);
      return i === -1 ? files.length : i;
    };
    const byPlace = (a: Where, b: Where): number => rank(a.file) - rank(b.file) || a.line - b.line;
    return {
      source: this.source,
      labels: [...this.#labels.values()],
      domains: [...this.#domains.values()],
      ...extra,
      rows: { ...this.#rows },
      errors: [...this.#errors].sort(byPlace),
      skipped: [...this.#skipped].sort(byPlace),
    };
  }
}

/** Unix seconds of 00:00 UTC on a calendar day, or null when the day does not exist. */
function utcDay(year: number, month: number, day: number): number | null {
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real ? ms / 1000 : null;
}

/**
 * Parses the day formats the sources write: ISO `YYYY-MM-DD`, and the US spreadsheet forms
 * `M/D/YYYY` (Forta) and `M/D/YY` (MyEtherWallet, two-digit years are 20YY). Null if it is none
 * of them or not a real day.
 */
export function parseDay(text: string): number | null {
  const s = text.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (iso) return utcDay(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/.exec(s);
  if (!us) return null;
  const year = Number(us[3]);
  return utcDay(year < 100 ? 2000 + year : year, Number(us[1]), Number(us[2]));
}

/**
 * Parses a first-seen time given by a user file: unix seconds, an ISO day, or an ISO date-time
 * with an explicit zone (a zone-less time would depend on the importing machine's zone).
 */
export function parseTimestamp(text: string): number | null {
  const s = text.trim();
  if (/^\d{1,12}$/.test(s)) return Number(s);
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return parseDay(s);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) || parseDay(s.slice(0, 10)) === null ? null : Math.floor(ms / 1000);
}

/**
 * Normalises a list entry with the index's own rules (so the index never receives an entry it
 * would refuse), or returns why it is not a domain.
 */
export function domainOrReason(value: unknown, field: string): { domain: string } | { reason: string } {
  try {
    return { domain: normalizeDomain(value, field) };
  } catch (error) {
    if (error instanceof BaseError) return { reason: `${error.shortMessage} (${JSON.stringify(value)?.slice(0, 80)})` };
    throw error;
  }
}

/** The address in a cell, or null after reporting the row with the cell's name and content. */
export function addressCell(value: string, column: string, at: Where, batch: BatchBuilder): Address | null {
  const address = tryNormalizeAddress(value);
  if (!address) batch.error(at, `${column}: not an address (${JSON.stringify(value.slice(0, 80))})`);
  return address;
}

/** The chain id in a cell (surrounding spaces and tabs allowed), or null after reporting the row. */
export function chainIdCell(value: string, column: string, at: Where, batch: BatchBuilder): number | null {
  try {
    return normalizeChainId(value.trim(), column);
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    batch.error(at, `${column}: not a chain id (${JSON.stringify(value.slice(0, 40))})`);
    return null;
  }
}
