/**
 * Reader for Bitcoin-family balance files: one `address,balance` pair per line, an optional
 * `address,balance` header, blank lines ignored. Balances are plain non-negative decimals with at
 * most `scale` fractional digits (8 for BTC and DOGE: satoshis / koinus) and are kept exactly as
 * `Decimal` at that scale; more digits, exponents, signs or spaces inside the number are errors,
 * never rounded. An address listed twice is an error too, because summing it twice would inflate
 * the reserves. Errors are `POR_INVALID_INPUT` naming the 1-based line.
 */
import { BaseError, Decimal, describeValue, MAX_DECIMAL_SCALE } from '@custos/core';

export interface BtcBalance {
  readonly line: number;
  readonly address: string;
  readonly balance: Decimal;
}

export interface ParseBtcBalancesOptions {
  /** Fractional digits of the coin; default 8. */
  readonly scale?: number;
}

const ADDRESS_RE = /^[A-Za-z0-9]{14,90}$/;
const BALANCE_RE = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

function invalidLine(line: number, message: string, cause?: unknown): BaseError {
  return new BaseError('POR_INVALID_INPUT', `line ${line}: ${message}`, {
    details: { line },
    hints: ['Each line is "address,balance" with a plain decimal balance.'],
    cause,
  });
}

/**
 * Parses an `address,balance` file.
 *
 * @returns The balances in file order.
 * @throws {BaseError} `POR_INVALID_INPUT` for a line that is not `address,balance`, a balance that
 *   is not a plain non-negative decimal within the scale, or a duplicate address.
 */
export function parseBtcBalances(text: string, options: ParseBtcBalancesOptions = {}): readonly BtcBalance[] {
  const { scale = 8 } = options;
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_DECIMAL_SCALE) {
    throw new BaseError(
      'POR_INVALID_INPUT',
      `"scale" expected an integer 0..${MAX_DECIMAL_SCALE}, got ${describeValue(scale)}`,
      {
        details: { field: 'scale' },
      },
    );
  }
  if (typeof text !== 'string') {
    throw new BaseError('POR_INVALID_INPUT', `expected the balance file as a string, got ${describeValue(text)}`);
  }
  const balances: BtcBalance[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    const cells = trimmed.split(',').map((c) => c.trim());
    if (balances.length === 0 && seen.size === 0 && cells.join(',').toLowerCase() === 'address,balance') return;
    const [address, amount] = cells;
    if (cells.length !== 2 || address === undefined || amount === undefined) {
      throw invalidLine(line, `expected "address,balance", got ${cells.length} cells`);
    }
    if (!ADDRESS_RE.test(address)) throw invalidLine(line, `${describeValue(address)} is not an address`);
    if (!BALANCE_RE.test(amount)) {
      throw invalidLine(line, `the balance ${describeValue(amount)} is not a plain non-negative decimal`);
    }
    let balance: Decimal;
    try {
      balance = Decimal.parse(amount, scale, 'balance');
    } catch (error) {
      throw invalidLine(line, `the balance ${describeValue(amount)} has more than ${scale} decimals`, error);
    }
    const first = seen.get(address);
    if (first !== undefined) throw invalidLine(line, `address ${address} is already listed on line ${first}`);
    seen.set(address, line);
    balances.push({ line, address, balance });
  });
  return balances;
}
