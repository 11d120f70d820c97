/**
 * The importer contract. One `LabelSource` per public format: it reads a file or a directory in
 * that format and returns labels (and domain entries) in the custos model, every row it could not
 * use reported with file and line — never silently mixed in, never silently dropped.
 */
import type { DomainLabel, Label, Trust } from '../model.js';

/** A row the importer refused, with where it is and why. */
export interface RowError {
  /** Path relative to the imported path (or its base name for a single file). */
  file: string;
  /** 1-based line (for JSON arrays: the line the element starts on). */
  line: number;
  message: string;
}

/** Rows an importer skipped on purpose (not malformed): e.g. a Bitcoin address in a sanctions list. */
export interface RowSkip {
  file: string;
  line: number;
  reason: string;
}

export interface ImportBatch {
  source: string;
  labels: Label[];
  domains: DomainLabel[];
  /** Fuzzy-match tolerance the source declares for its look-alike list (eth-phishing-detect). */
  fuzzyTolerance?: number;
  /** Rows read (data rows/elements/lines, headers and blank lines excluded), per file. */
  rows: Record<string, number>;
  errors: RowError[];
  skipped: RowSkip[];
  /**
   * For authoritative lists published as snapshots (OFAC SDN): the authority and the snapshot
   * date, so the store can mark labels only older snapshots carry as delisted.
   */
  snapshot?: { authority: string; asOf: string };
}

export interface ImportOptions {
  /** Overrides the source's default trust (generic formats). */
  trust?: Trust;
  /** Scope for generic formats whose rows carry none (default: chain 1). */
  defaultScope?: number;
  /** Source id for generic formats (default: the importer id). */
  sourceId?: string;
  /** Snapshot date (YYYY-MM-DD) of a list published as snapshots (OFAC), when the file has none. */
  asOf?: string;
}

export interface LabelSource {
  /** Stable id used on the CLI (`custos labels import <id> <path>`) and as `Label.source`. */
  id: string;
  title: string;
  /** Upstream repository or page. */
  origin: string;
  license: string;
  trust: Trust;
  /** What scope its labels take, as documented in the README. */
  scope: string;
  /** Whether the default label set that ships with custos contains this source. */
  shipped: boolean;
  /** Reads a file or directory in the source's format. Throws LABELS_IMPORT_FAILED if unreadable. */
  read(path: string, options?: ImportOptions): Promise<ImportBatch>;
}
