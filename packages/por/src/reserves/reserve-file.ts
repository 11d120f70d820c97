/**
 * Reader for OKX's published reserve files (the address lists behind a proof of reserves, as in the
 * `example/` folder of okx/proof-of-reserves). Three layouts exist and all become one row model:
 * the 11-column report (a summary block `coin,snapshot height,amount`, a blank line, then per-address
 * rows `coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public
 * key,eoa1,eoa2`), its 12-column staking variant (a `Type` column after `coin`: Non Staking, Native
 * ETH Staking, Eigenlayer Staking), and the newer 9-column list (`digitalAsset,network,address,
 * signedMessage,signedMessage2,message,publicKey,owner1,owner2`, no heights or amounts). Cells are
 * comma-separated with RFC 4180 quoting; a comma inside `{…}` or `[…]` does not split a cell, as in
 * OKX's own reader, because public-key cells may hold JSON. Empty cells and the placeholders `null`
 * and `\N` mean "absent". Amounts are kept exactly, as `Decimal` at the scale they are written with.
 * Anything malformed is a `POR_INVALID_INPUT` naming the 1-based line.
 */
import { BaseError, Decimal, describeValue, MAX_DECIMAL_SCALE } from '@custos/core';

/** Which OKX layout a file uses, named by its per-address column count. */
export type ReserveFileLayout = 'okx-9-column' | 'okx-11-column' | 'okx-12-column';

/** One address claimed as part of the reserves, whatever layout it came from. */
export interface ReserveRow {
  /** 1-based line in the file. */
  readonly line: number;
  /** `coin` / `digitalAsset`, as written (for example `USDT-TON`, `ETH`). */
  readonly asset: string;
  /** The chain the address lives on (`ETH`, `BTC`, `TRON`, …), as written. */
  readonly network: string;
  readonly address: string;
  /** Block height of the balance snapshot; only the 11/12-column layouts carry it. */
  readonly snapshotHeight?: number;
  /** The balance the exchange claims for this address; only the 11/12-column layouts carry it. */
  readonly amount?: Decimal;
  /** The text that was signed. */
  readonly message: string;
  /** `signature1`, `signature2` (or `signedMessage`, `signedMessage2`) that are present, in order. */
  readonly signatures: readonly string[];
  /** A multisig redeem/witness script (hex) or the signer's public key, depending on the network. */
  readonly redeemScriptOrPublicKey?: string;
  /** `eoa1`/`eoa2` (`owner1`/`owner2`): keys that sign for the address instead of the address itself. */
  readonly owners?: readonly string[];
  /** The staking layout's `Type` column (`Non Staking`, `Native ETH Staking`, `Eigenlayer Staking`). */
  readonly stakingType?: string;
}

/** One line of the summary block of the 11/12-column layouts. */
export interface ReserveSummaryRow {
  readonly line: number;
  /** As written, for example `ETH(ALL)`, `USDT-TRC20`, `BTC`. */
  readonly asset: string;
  /** `null` where the file writes `-` (an aggregate over several chains). */
  readonly snapshotHeight: number | null;
  readonly amount: Decimal;
}

export interface ReserveFile {
  readonly layout: ReserveFileLayout;
  /** Empty for the 9-column layout, which has no summary block. */
  readonly summary: readonly ReserveSummaryRow[];
  readonly rows: readonly ReserveRow[];
}

// Headers are compared after lower-casing and dropping all whitespace, so `redeem script/ public
// key` and `redeem script/public key`, or ` eoa1` and `EOA1`, are the same column.
const SUMMARY_HEADER = ['coin', 'snapshotheight', 'amount'];
const DETAIL_11_HEADER = [
  'coin',
  'network',
  'snapshotheight',
  'address',
  'amount',
  'message',
  'signature1',
  'signature2',
  'redeemscript/publickey',
  'eoa1',
  'eoa2',
];
const DETAIL_12_HEADER = ['coin', 'type', ...DETAIL_11_HEADER.slice(1)];
const LIST_9_HEADER = [
  'digitalasset',
  'network',
  'address',
  'signedmessage',
  'signedmessage2',
  'message',
  'publickey',
  'owner1',
  'owner2',
];

const HEIGHT_RE = /^(0|[1-9][0-9]*)$/;
const DECIMAL_TEXT_RE = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

function invalidFile(
  message: string,
  line: number | null,
  details: Record<string, string | number> = {},
  cause?: unknown,
) {
  return new BaseError('POR_INVALID_INPUT', line === null ? message : `line ${line}: ${message}`, {
    details: { line, ...details },
    hints: ['Use the reserve file exactly as the exchange published it.'],
    cause,
  });
}

/**
 * Splits one CSV line into trimmed cells. Double quotes follow RFC 4180 (`""` is a quote inside a
 * quoted cell); outside quotes, commas nested in `{…}` or `[…]` stay in the cell.
 */
export function splitReserveCsvLine(text: string, line: number): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
      }
    } else if (char === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (char === '{' || char === '[') {
      depth++;
      cell += char;
    } else if ((char === '}' || char === ']') && depth > 0) {
      depth--;
      cell += char;
    } else if (char === ',' && depth === 0) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += char;
    }
  }
  if (quoted) throw invalidFile('a quoted cell is not closed', line);
  cells.push(cell.trim());
  return cells;
}

function normalizeHeader(cells: readonly string[]): string {
  return cells.map((c) => c.toLowerCase().replace(/\s+/g, '')).join(',');
}

/** `''`, `null` and `\N` (a database NULL dump) all mean the cell is empty. */
function present(cell: string | undefined): string | undefined {
  if (cell === undefined) return undefined;
  return cell === '' || cell === 'null' || cell === '\\N' ? undefined : cell;
}

function required(cell: string | undefined, column: string, line: number): string {
  const value = present(cell);
  if (value === undefined) throw invalidFile(`the "${column}" cell is empty`, line, { column });
  return value;
}

function parseHeight(text: string, column: string, line: number): number {
  const value = HEIGHT_RE.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw invalidFile(`"${column}" expected a block height, got ${describeValue(text)}`, line, { column });
  }
  return value;
}

/**
 * Parses a non-negative plain decimal exactly, at the scale it is written with: `"0.2214"` becomes
 * 2214 units at scale 4. Nothing is rounded.
 */
export function parseExactAmount(text: string, column: string, line: number): Decimal {
  const match = DECIMAL_TEXT_RE.exec(text);
  const scale = match?.[2]?.length ?? 0;
  if (match === null || scale > MAX_DECIMAL_SCALE) {
    throw invalidFile(`"${column}" expected a non-negative plain decimal, got ${describeValue(text)}`, line, {
      column,
    });
  }
  try {
    return Decimal.parse(text, scale, column);
  } catch (error) {
    throw invalidFile(`"${column}" is not a valid amount`, line, { column }, error);
  }
}

function compact(values: readonly (string | undefined)[]): string[] {
  return values.map(present).filter((v): v is string => v !== undefined);
}

/** Builds a row, leaving absent optional fields out (the model uses exact optional properties). */
function makeRow(fields: {
  line: number;
  asset: string;
  network: string;
  address: string;
  snapshotHeight?: number | undefined;
  amount?: Decimal | undefined;
  message: string;
  signatures: string[];
  script: string | undefined;
  owners: string[];
  stakingType?: string | undefined;
}): ReserveRow {
  return {
    line: fields.line,
    asset: fields.asset,
    network: fields.network,
    address: fields.address,
    ...(fields.snapshotHeight === undefined ? {} : { snapshotHeight: fields.snapshotHeight }),
    ...(fields.amount === undefined ? {} : { amount: fields.amount }),
    message: fields.message,
    signatures: fields.signatures,
    ...(fields.script === undefined ? {} : { redeemScriptOrPublicKey: fields.script }),
    ...(fields.owners.length === 0 ? {} : { owners: fields.owners }),
    ...(fields.stakingType === undefined ? {} : { stakingType: fields.stakingType }),
  };
}

function checkWidth(cells: readonly string[], min: number, max: number, line: number): void {
  if (cells.length < min || cells.length > max) {
    throw invalidFile(`expected ${min === max ? min : `${min} to ${max}`} cells, got ${cells.length}`, line, {
      cells: cells.length,
    });
  }
}

function parseListRow(cells: readonly string[], line: number): ReserveRow {
  checkWidth(cells, 6, LIST_9_HEADER.length, line);
  return makeRow({
    line,
    asset: required(cells[0], 'digitalAsset', line),
    network: required(cells[1], 'network', line),
    address: required(cells[2], 'address', line),
    message: required(cells[5], 'message', line),
    signatures: compact([cells[3], cells[4]]),
    script: present(cells[6]),
    owners: compact([cells[7], cells[8]]),
  });
}

function parseReportRow(cells: readonly string[], line: number, offset: 0 | 1): ReserveRow {
  // Trailing empty cells are often left out (OKX's own example rows stop after the script column),
  // so a row only has to reach `message`; everything after it is optional.
  checkWidth(cells, 6 + offset, DETAIL_11_HEADER.length + offset, line);
  const at = (i: number) => cells[i + offset];
  return makeRow({
    line,
    asset: required(cells[0], 'coin', line),
    ...(offset === 1 ? { stakingType: required(cells[1], 'Type', line) } : {}),
    network: required(at(1), 'Network', line),
    snapshotHeight: parseHeight(required(at(2), 'Snapshot Height', line), 'Snapshot Height', line),
    address: required(at(3), 'address', line),
    amount: parseExactAmount(required(at(4), 'amount', line), 'amount', line),
    message: required(at(5), 'message', line),
    signatures: compact([at(6), at(7)]),
    script: present(at(8)),
    owners: compact([at(9), at(10)]),
  });
}

function parseSummaryRow(cells: readonly string[], line: number): ReserveSummaryRow {
  checkWidth(cells, 3, 3, line);
  const height = required(cells[1], 'snapshot height', line);
  return {
    line,
    asset: required(cells[0], 'coin', line),
    snapshotHeight: height === '-' ? null : parseHeight(height, 'snapshot height', line),
    amount: parseExactAmount(required(cells[2], 'amount', line), 'amount', line),
  };
}

/**
 * Parses an OKX reserve file in any of its three layouts.
 *
 * @param text - The whole file (UTF-8 text; a BOM and CRLF line ends are accepted).
 * @returns The layout, the summary block (empty for the 9-column layout) and every address row.
 * @throws {BaseError} `POR_INVALID_INPUT` for an unknown header, a row with the wrong number of
 *   cells, an empty required cell, a bad height or a bad amount; the message names the line.
 */
export function parseReserveFile(text: string): ReserveFile {
  if (typeof text !== 'string') throw invalidFile(`expected the file as a string, got ${describeValue(text)}`, null);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let index = 0;
  const skipBlank = () => {
    while (index < lines.length && (lines[index] as string).trim() === '') index++;
  };
  skipBlank();
  if (index >= lines.length) throw invalidFile('the file is empty', null);

  const summary: ReserveSummaryRow[] = [];
  let header = normalizeHeader(splitReserveCsvLine(lines[index] as string, index + 1));
  if (header === SUMMARY_HEADER.join(',')) {
    index++;
    // The summary block runs to the first blank line.
    while (index < lines.length && (lines[index] as string).trim() !== '') {
      summary.push(parseSummaryRow(splitReserveCsvLine(lines[index] as string, index + 1), index + 1));
      index++;
    }
    skipBlank();
    if (index >= lines.length) throw invalidFile('the summary block is not followed by address rows', null);
    header = normalizeHeader(splitReserveCsvLine(lines[index] as string, index + 1));
  }

  let layout: ReserveFileLayout;
  let parseRow: (cells: readonly string[], line: number) => ReserveRow;
  if (header === DETAIL_11_HEADER.join(',')) {
    layout = 'okx-11-column';
    parseRow = (cells, line) => parseReportRow(cells, line, 0);
  } else if (header === DETAIL_12_HEADER.join(',')) {
    layout = 'okx-12-column';
    parseRow = (cells, line) => parseReportRow(cells, line, 1);
  } else if (header === LIST_9_HEADER.join(',') && summary.length === 0) {
    layout = 'okx-9-column';
    parseRow = parseListRow;
  } else {
    throw invalidFile('unrecognised header: not an OKX reserve file layout', index + 1, {
      header: (lines[index] as string).slice(0, 200),
    });
  }
  index++;

  const rows: ReserveRow[] = [];
  for (; index < lines.length; index++) {
    const raw = lines[index] as string;
    if (raw.trim() === '') continue;
    rows.push(parseRow(splitReserveCsvLine(raw, index + 1), index + 1));
  }
  return { layout, summary, rows };
}

/**
 * Parses only the summary block of an 11/12-column file (`coin,snapshot height,amount`).
 *
 * @throws {BaseError} `POR_INVALID_INPUT` as for {@link parseReserveFile}, and for a 9-column file,
 *   which has no summary block.
 */
export function parseReserveSummary(text: string): readonly ReserveSummaryRow[] {
  const file = parseReserveFile(text);
  if (file.layout === 'okx-9-column') throw invalidFile('the 9-column layout has no summary block', null);
  return file.summary;
}
