/**
 * CSV reading for the importers: a header row, then data rows each with the line it starts on.
 * A row with the wrong number of fields, or one the CSV grammar rejects (a stray or unclosed
 * quote), is reported with its line and parsing carries on with the next line, so one bad row
 * never costs the rest of the file.
 */
import { CsvError, parse } from 'csv-parse/sync';
import type { BatchBuilder } from './util.js';

export interface CsvRow {
  /** 1-based line the row starts on (a quoted field may span lines). */
  line: number;
  /** The trimmed cell under a header name ('' when the file has no such column). */
  get(column: string): string;
}

export interface CsvTable {
  header: readonly string[];
  rows: CsvRow[];
  /** Data rows read, the malformed ones included. */
  read: number;
}

interface ParsedRecord {
  line: number;
  /** Null for a record the CSV grammar rejected. */
  cells: string[] | null;
}

/** Newlines inside a record's fields: after normalisation the only ones a record spans. */
function innerNewlines(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Parses `text` (LF line endings) into records with their start lines. csv-parse throws on the
 * first grammar error, so the records before it are kept as they come (`on_record`, whose
 * `lines` is the line a record ends on), the error is reported at the line the failing record
 * starts on, and parsing resumes on the line after that one.
 */
function parseRecords(
  text: string,
  quoteEscape: string,
  onError: (line: number, message: string) => void,
): ParsedRecord[] {
  const lines = text.split('\n');
  const starts: number[] = [];
  for (let offset = 0, i = 0; i < lines.length; i++) {
    starts.push(offset);
    offset += (lines[i] ?? '').length + 1;
  }
  const out: ParsedRecord[] = [];
  let base = 0;
  while (base < lines.length) {
    let lastEnd = base;
    try {
      parse(text.slice(starts[base]), {
        escape: quoteEscape,
        relax_column_count: true,
        skip_empty_lines: true,
        on_record: (cells, context) => {
          lastEnd = base + context.lines;
          out.push({ line: lastEnd - innerNewlines(cells), cells });
          return cells;
        },
      });
      break;
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      let line = lastEnd + 1;
      while (line < lines.length && lines[line - 1]?.trim() === '') line++;
      onError(line, `malformed CSV: ${error.message.split(':')[0] ?? error.code}`);
      out.push({ line, cells: null });
      base = line;
    }
  }
  return out;
}

/**
 * Reads a CSV file's text. Line endings are normalised first (CRLF files and spreadsheet exports
 * that mix CRLF rows with LF inside quoted cells) so line numbers match what an editor shows.
 * Returns null, with an error at line 1, when the file has no header. `quoteEscape` is what
 * escapes a quote inside a quoted field: `"` (RFC 4180's `""`), or `\` for writers that use `\"`.
 */
export function readCsv(text: string, file: string, batch: BatchBuilder, quoteEscape = '"'): CsvTable | null {
  const onError = (line: number, message: string): void => batch.error({ file, line }, message);
  const records = parseRecords(text.replace(/\r\n?/g, '\n'), quoteEscape, onError);
  const [head, ...data] = records;
  if (!head) {
    batch.error({ file, line: 1 }, 'empty file: no header row');
    return null;
  }
  if (!head.cells) return null;
  const header = head.cells.map((h) => h.trim());
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    if (!index.has(name)) index.set(name, i);
  });
  const rows: CsvRow[] = [];
  for (const { line, cells } of data) {
    if (!cells) continue;
    if (cells.length !== header.length) {
      batch.error({ file, line }, `expected ${header.length} fields, found ${cells.length}`);
      continue;
    }
    rows.push({
      line,
      get: (column) => {
        const i = index.get(column);
        return i === undefined ? '' : (cells[i] ?? '').trim();
      },
    });
  }
  return { header, rows, read: data.length };
}

/**
 * Checks that a header has the columns a format needs; a missing one is reported at line 1 and
 * the caller reads nothing from the file (every row would lack the cell).
 */
export function hasColumns(table: CsvTable, columns: readonly string[], file: string, batch: BatchBuilder): boolean {
  const missing = columns.filter((c) => !table.header.includes(c));
  if (missing.length > 0) batch.error({ file, line: 1 }, `missing column(s): ${missing.join(', ')}`);
  return missing.length === 0;
}
