/**
 * The liabilities snapshot: one row per user with an exact balance per asset. CSV with the header
 * `user_id,<ASSET>:<scale>,…` (e.g. `BTC:8`), or NDJSON whose objects carry the same keys. A
 * balance is an unsigned integer number of units at its asset's scale, below 2^64 units; more
 * decimals than the scale is an error, never rounded; negative balances, values out of range,
 * empty or malformed fields, blank lines in the middle and duplicate users (found later, when the
 * leaves are sorted) are refused with the line number. Scales above 12 are refused: a balance
 * below 2^64 units at scale s is at most 1.8·10^(19−s) whole tokens, which at 18 would be 18.4.
 * A line — the header included — holds at most 1 MiB (MAX_LINE bytes, its `\n` or `\r\n` not
 * counted); a longer one is refused with its line number.
 *
 * Built for tens of millions of rows: the file is read in chunks with synchronous reads (resumable
 * from a byte offset), and balances are parsed digit by digit into two 32-bit halves, so no
 * BigInt is made for an ordinary balance.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { BaseError } from '@custos/core';
import { MAX_ASSETS } from './encoding.js';
import { type AssetSpec, MAX_SCALE } from './root.js';

export { MAX_SCALE };

const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const TWO32 = 2 ** 32;

export type SnapshotFormat = 'csv' | 'ndjson';

export function invalidSnapshot(message: string, line: number | null, hints: string[] = []): BaseError {
  return new BaseError('POR_INVALID_INPUT', line === null ? message : `line ${line}: ${message}`, {
    details: { line },
    hints,
  });
}

/** The largest whole amount below 2^64 units at `scale`, to three significant digits. */
function maxWhole(scale: number): string {
  const whole = ((1n << 64n) - 1n) / 10n ** BigInt(scale);
  const digits = whole.toString();
  return digits.length <= 3 ? digits : `${digits[0]}.${digits.slice(1, 3)}e${digits.length - 1}`;
}

/** Parses one `<ASSET>:<scale>` column name. */
export function parseAssetColumn(name: string, line: number): AssetSpec {
  const at = name.lastIndexOf(':');
  const symbol = at < 0 ? name : name.slice(0, at);
  const scaleText = at < 0 ? '' : name.slice(at + 1);
  if (!SYMBOL.test(symbol) || !/^[0-9]{1,2}$/.test(scaleText)) {
    throw invalidSnapshot(`column "${name}" is not <ASSET>:<scale> (e.g. BTC:8)`, line);
  }
  const scale = Number(scaleText);
  if (scale > MAX_SCALE) {
    throw invalidSnapshot(
      `column "${name}": scale ${scale} is above ${MAX_SCALE}; a balance must stay below 2^64 units, so at scale ${scale} no balance could exceed ${maxWhole(scale)} ${symbol}`,
      line,
      ['Declare the asset at a smaller scale (most exchanges book BTC at 8 and ETH at 8 to 10).'],
    );
  }
  return { symbol, scale };
}

/** Checks the asset list: at least one, at most MAX_ASSETS, no symbol twice. */
export function checkAssets(assets: readonly AssetSpec[], line: number): void {
  if (assets.length === 0) throw invalidSnapshot('no asset columns', line);
  if (assets.length > MAX_ASSETS) throw invalidSnapshot(`more than ${MAX_ASSETS} assets`, line);
  const seen = new Set<string>();
  for (const a of assets) {
    if (seen.has(a.symbol)) throw invalidSnapshot(`asset ${a.symbol} appears twice`, line);
    seen.add(a.symbol);
  }
}

/**
 * Parses `text` as a balance at `scale` into `out[at]` (high 32 bits) and `out[at + 1]` (low 32
 * bits). Throws with the line number on anything but an exact unsigned decimal below 2^64 units.
 */
export function parseBalance(
  text: string,
  scale: number,
  out: Uint32Array,
  at: number,
  line: number,
  column: string,
): void {
  const n = text.length;
  if (n === 0) throw invalidSnapshot(`${column}: empty balance`, line);
  if (text.charCodeAt(0) === 45 /* - */) throw invalidSnapshot(`${column}: negative balance ${text}`, line);
  let value = 0;
  let digits = 0;
  let fraction = -1;
  let big = false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (fraction >= 0 || i === 0 || i === n - 1) throw invalidSnapshot(`${column}: "${text}" is not a decimal`, line);
      fraction = 0;
      continue;
    }
    if (c < 48 || c > 57) throw invalidSnapshot(`${column}: "${text}" is not a decimal`, line);
    if (fraction >= 0) {
      fraction++;
      if (fraction > scale) {
        throw invalidSnapshot(`${column}: "${text}" has more than ${scale} decimals (never rounded)`, line);
      }
    }
    if (digits === 1 && value === 0 && fraction < 0)
      throw invalidSnapshot(`${column}: "${text}" has a leading zero`, line);
    digits++;
    if (digits > 15) big = true;
    else value = value * 10 + (c - 48);
  }
  const pad = scale - Math.max(fraction, 0);
  if (!big && digits + pad <= 15) {
    value *= 10 ** pad;
    const hi = Math.floor(value / TWO32);
    out[at] = hi;
    out[at + 1] = value - hi * TWO32;
    return;
  }
  const units = BigInt(text.replace('.', '')) * 10n ** BigInt(pad);
  if (units >= 1n << 64n) throw invalidSnapshot(`${column}: ${text} is 2^64 units or more at scale ${scale}`, line);
  out[at] = Number(units >> 32n);
  out[at + 1] = Number(units & 0xffffffffn);
}

/** A batch of parsed rows. `balances` holds, per row, per asset, (high, low) 32-bit halves. */
export interface RowBatch {
  userIds: string[];
  balances: Uint32Array;
  /** The 1-based line number of the batch's first row. */
  firstLine: number;
  /** Byte offset just after the batch's last line (where a resumed read starts). */
  endOffset: number;
}

export interface SnapshotHeader {
  format: SnapshotFormat;
  assets: AssetSpec[];
  /** Byte offset of the first data line. */
  dataOffset: number;
  /** Line number of the first data line. */
  firstDataLine: number;
  /** NDJSON: the keys every object must carry, in the header's order. */
  keys?: string[];
}

/** The default size of the buffer rows are read into (it grows when a line does not fit). */
const CHUNK = 4 * 1024 * 1024;
/** The most bytes a line may hold, its line ending (`\n` or `\r\n`) not counted: 1 MiB. */
export const MAX_LINE = 1024 * 1024;

function lineTooLong(line: number): BaseError {
  return invalidSnapshot(`the line is longer than 1 MiB (${MAX_LINE} bytes, the line ending not counted)`, line, [
    'Every line of the snapshot, the header included, must fit in 1 MiB.',
  ]);
}

/** Reads the header (CSV) or the first object's keys (NDJSON): the first line, whole, up to MAX_LINE bytes. */
export function readSnapshotHeader(path: string, format?: SnapshotFormat): SnapshotHeader {
  const fd = openSync(path, 'r');
  try {
    // Room for the longest allowed line and its `\r\n`: a line not ended within is too long.
    const buffer = Buffer.alloc(MAX_LINE + 2);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    const end = buffer.subarray(0, read).indexOf(10);
    if (end < 0 && read === buffer.length) throw lineTooLong(1);
    let stop = end < 0 ? read : end;
    if (stop > 0 && buffer[stop - 1] === 13) stop--;
    if (stop > MAX_LINE) throw lineTooLong(1);
    const text = buffer.toString('utf8', 0, stop);
    if (text.length === 0) throw invalidSnapshot('the snapshot is empty or starts with a blank line', 1);
    const kind = format ?? (text.startsWith('{') ? 'ndjson' : 'csv');
    if (kind === 'csv') {
      const columns = text.split(',');
      if (columns[0] !== 'user_id') throw invalidSnapshot('the header must start with user_id', 1);
      const assets = columns.slice(1).map((c) => parseAssetColumn(c, 1));
      checkAssets(assets, 1);
      return { format: 'csv', assets, dataOffset: end < 0 ? read : end + 1, firstDataLine: 2 };
    }
    let first: unknown;
    try {
      first = JSON.parse(text);
    } catch (cause) {
      throw invalidSnapshot('the first line is not a JSON object', 1, [String((cause as Error).message)]);
    }
    if (first === null || typeof first !== 'object' || Array.isArray(first))
      throw invalidSnapshot('the first line is not a JSON object', 1);
    const keys = Object.keys(first);
    if (keys[0] !== 'user_id') throw invalidSnapshot('each object must start with "user_id"', 1);
    const assets = keys.slice(1).map((k) => parseAssetColumn(k, 1));
    checkAssets(assets, 1);
    return { format: 'ndjson', assets, dataOffset: 0, firstDataLine: 1, keys };
  } finally {
    closeSync(fd);
  }
}

function checkUserId(id: string, line: number): void {
  if (id.length === 0) throw invalidSnapshot('empty user_id', line);
  if (id.length > 256) throw invalidSnapshot('user_id longer than 256 characters', line);
  // Control characters and quotes would make ids ambiguous across formats.
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x22)
      throw invalidSnapshot('user_id holds a control character or a quote', line);
  }
}

function parseCsvLine(text: string, header: SnapshotHeader, out: Uint32Array, at: number, line: number): string {
  const assets = header.assets;
  let start = text.indexOf(',');
  if (start < 0) throw invalidSnapshot(`expected ${assets.length + 1} fields`, line);
  const userId = text.slice(0, start);
  checkUserId(userId, line);
  for (let i = 0; i < assets.length; i++) {
    const next = text.indexOf(',', start + 1);
    const last = i === assets.length - 1;
    if (last !== next < 0) throw invalidSnapshot(`expected ${assets.length + 1} fields`, line);
    const field = text.slice(start + 1, last ? text.length : next);
    const asset = assets[i] as AssetSpec;
    parseBalance(field, asset.scale, out, at + 2 * i, line, asset.symbol);
    start = next;
  }
  return userId;
}

function parseNdjsonLine(text: string, header: SnapshotHeader, out: Uint32Array, at: number, line: number): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidSnapshot('not a JSON object', line);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidSnapshot('not a JSON object', line);
  const record = value as Record<string, unknown>;
  const keys = header.keys as string[];
  if (Object.keys(record).length !== keys.length) throw invalidSnapshot(`expected the keys ${keys.join(', ')}`, line);
  const userId = record.user_id;
  if (typeof userId !== 'string') throw invalidSnapshot('"user_id" must be a string', line);
  checkUserId(userId, line);
  for (let i = 0; i < header.assets.length; i++) {
    const key = keys[i + 1] as string;
    const field = record[key];
    if (typeof field !== 'string')
      throw invalidSnapshot(`"${key}" must be a decimal string (numbers lose precision)`, line);
    parseBalance(field, (header.assets[i] as AssetSpec).scale, out, at + 2 * i, line, key);
  }
  return userId;
}

/**
 * Reads data rows from `offset` (a line start) in batches of up to `batchRows`. `line` is the
 * line number at `offset`. A blank line is allowed only at the very end; a line longer than
 * MAX_LINE bytes is refused whatever `chunkBytes` (the initial read buffer; tests vary it).
 */
export function* readSnapshotRows(
  path: string,
  header: SnapshotHeader,
  offset: number,
  line: number,
  batchRows = 16_384,
  chunkBytes = CHUNK,
): Generator<RowBatch> {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1)
    throw new RangeError('chunkBytes must be a positive integer');
  const fd = openSync(path, 'r');
  const a = header.assets.length;
  try {
    let buffer = Buffer.alloc(chunkBytes);
    let filled = 0;
    let position = offset;
    let fileOffset = offset;
    let eof = false;
    let lineNo = line;
    let blankAt = -1;
    let batch: RowBatch = {
      userIds: [],
      balances: new Uint32Array(batchRows * a * 2),
      firstLine: lineNo,
      endOffset: offset,
    };
    while (true) {
      if (!eof && filled < buffer.length) {
        const n = readSync(fd, buffer, filled, buffer.length - filled, fileOffset);
        if (n === 0) eof = true;
        filled += n;
        fileOffset += n;
      }
      let start = 0;
      while (true) {
        let end = buffer.indexOf(10, start);
        if (end < 0 || end >= filled) {
          if (!eof) break;
          if (start >= filled) break;
          end = filled; // a last line without a newline
        }
        let stop = end;
        if (stop > start && buffer[stop - 1] === 13) stop--;
        if (stop - start > MAX_LINE) throw lineTooLong(lineNo);
        const consumed = end < filled ? end + 1 : end;
        if (stop === start) {
          if (blankAt < 0) blankAt = lineNo;
        } else {
          if (blankAt >= 0) throw invalidSnapshot('blank line inside the snapshot', blankAt);
          const text = buffer.toString('utf8', start, stop);
          const row = batch.userIds.length;
          const userId =
            header.format === 'csv'
              ? parseCsvLine(text, header, batch.balances, row * a * 2, lineNo)
              : parseNdjsonLine(text, header, batch.balances, row * a * 2, lineNo);
          batch.userIds.push(userId);
          batch.endOffset = position + consumed;
          if (batch.userIds.length === batchRows) {
            yield batch;
            batch = {
              userIds: [],
              balances: new Uint32Array(batchRows * a * 2),
              firstLine: lineNo + 1,
              endOffset: batch.endOffset,
            };
          }
        }
        lineNo++;
        start = consumed;
        if (end >= filled) break;
      }
      // The unfinished line from `start`: past MAX_LINE bytes and a possible `\r`, it is too long already.
      if (filled - start > MAX_LINE + 1) throw lineTooLong(lineNo);
      if (start === 0 && !eof && filled === buffer.length) {
        // The unfinished line is at most MAX_LINE + 1 bytes here: doubling never takes the buffer past twice that.
        const bigger = Buffer.alloc(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
        continue;
      }
      buffer.copy(buffer, 0, start, filled);
      filled -= start;
      position += start;
      if (eof && filled === 0) break;
    }
    if (batch.userIds.length > 0) yield batch;
  } finally {
    closeSync(fd);
  }
}
