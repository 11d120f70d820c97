/**
 * Shared pieces of the OKX liabilities formats (the November 2022 Merkle path file and the March
 * 2023 user-info file with its full tree). Both hash ASCII strings, not bytes: hex digests and
 * decimal balances are concatenated as text, so the exact spelling of every amount is part of the
 * commitment. That is why balances are kept here as the canonical decimal strings OKX prints
 * (at most 8 places, no trailing zeros, no exponent — the shape Go's shopspring/decimal produces
 * after `RoundDown(8).String()`) and summed as bigint units of 10^-8, never as floats; a string that
 * is not in that canonical shape is refused rather than normalised, because normalising it would
 * verify a different preimage than the one the exchange hashed.
 */
import { BaseError, Decimal, describeValue, type ErrorDetails } from '@custos/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** The three assets OKX's Merkle formats carry, in the order they are hashed. */
export const OKX_ASSETS = ['BTC', 'ETH', 'USDT'] as const;
export type OkxAsset = (typeof OKX_ASSETS)[number];

/** Balances exactly as OKX writes them: canonical decimal strings, at most 8 fractional digits. */
export interface OkxBalances {
  readonly BTC: string;
  readonly ETH: string;
  readonly USDT: string;
}

/** The same balances as integers of 10^-8 units. */
export interface OkxUnits {
  readonly BTC: bigint;
  readonly ETH: bigint;
  readonly USDT: bigint;
}

export const OKX_SCALE = 8;
export const ZERO_UNITS: OkxUnits = { BTC: 0n, ETH: 0n, USDT: 0n };

const CANONICAL_DECIMAL_RE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]{0,7}[1-9])?$/;
const HEX64_RE = /^[0-9a-f]{64}$/;

/** Lower-case hex SHA-256 of an ASCII/UTF-8 string, the digest spelling OKX uses everywhere. */
export function sha256Text(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** The malformed-file error: the input cannot even be read as the format. */
export function invalidInput(reason: string, message: string, details: ErrorDetails = {}, cause?: unknown): BaseError {
  return new BaseError('POR_INVALID_INPUT', message, {
    details: { reason, ...details },
    hints: ['Check that this is the file as OKX published it, unedited and complete.'],
    cause,
  });
}

/** The negative result: a well-formed file whose proof does not verify. */
export function proofInvalid(reason: string, message: string, details: ErrorDetails = {}): BaseError {
  return new BaseError('POR_PROOF_INVALID', message, {
    details: { reason, ...details },
    hints: ['Do not rely on this proof: the data does not match what the exchange committed to.'],
  });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a JSON document given either as text or as an already parsed value. Anything else, or text
 * that is not JSON, is malformed input.
 */
export function readJson(input: unknown, what: string): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch (error) {
    throw invalidInput('json', `${what} is not valid JSON`, { field: what }, error);
  }
}

/**
 * Checks that `value` is an object with exactly the `required` keys plus any of the `optional`
 * ones. Unknown keys are refused: OKX's verifier ignores them, and a field nobody checks must not
 * look verified.
 */
export function expectObject(
  value: unknown,
  field: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (!isRecord(value)) {
    throw invalidInput('malformed', `"${field}" expected an object, got ${describeValue(value)}`, { field });
  }
  for (const key of required) {
    if (!Object.hasOwn(value, key)) {
      throw invalidInput('malformed', `"${field}" is missing "${key}"`, { field: `${field}.${key}` });
    }
  }
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) {
      throw invalidInput('malformed', `"${field}" has an unknown field "${key}"`, { field: `${field}.${key}` });
    }
  }
  return value;
}

/** A 64-digit lower-case hex digest (OKX writes them without `0x`). */
export function expectHash(value: unknown, field: string, what = 'a 64-digit lower-case hex hash'): string {
  if (typeof value !== 'string' || !HEX64_RE.test(value)) {
    throw invalidInput('malformed', `"${field}" expected ${what}, got ${describeValue(value)}`, { field });
  }
  return value;
}

export function expectInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidInput('malformed', `"${field}" expected an integer ${min}..${max}, got ${describeValue(value)}`, {
      field,
    });
  }
  return value;
}

/** Parses one canonical OKX decimal into units of 10^-8. */
export function parseAmount(value: unknown, field: string): bigint {
  if (typeof value !== 'string' || !CANONICAL_DECIMAL_RE.test(value) || value === '-0') {
    throw invalidInput(
      'malformed',
      `"${field}" expected a canonical decimal with at most 8 places, got ${describeValue(value)}`,
      { field },
    );
  }
  return Decimal.parse(value, OKX_SCALE, field).units;
}

export function formatAmount(units: bigint): string {
  return Decimal.fromUnits(units, OKX_SCALE).toString();
}

/** Reads a `{"BTC","ETH","USDT"}` object of canonical decimal strings. */
export function parseBalances(value: unknown, field: string): { balances: OkxBalances; units: OkxUnits } {
  const object = expectObject(value, field, OKX_ASSETS);
  const units = {
    BTC: parseAmount(object.BTC, `${field}.BTC`),
    ETH: parseAmount(object.ETH, `${field}.ETH`),
    USDT: parseAmount(object.USDT, `${field}.USDT`),
  };
  return { balances: formatBalances(units), units };
}

export function formatBalances(units: OkxUnits): OkxBalances {
  return { BTC: formatAmount(units.BTC), ETH: formatAmount(units.ETH), USDT: formatAmount(units.USDT) };
}

export function addUnits(a: OkxUnits, b: OkxUnits): OkxUnits {
  return { BTC: a.BTC + b.BTC, ETH: a.ETH + b.ETH, USDT: a.USDT + b.USDT };
}

export function equalUnits(a: OkxUnits, b: OkxUnits): boolean {
  return a.BTC === b.BTC && a.ETH === b.ETH && a.USDT === b.USDT;
}

export function isZeroUnits(a: OkxUnits): boolean {
  return a.BTC === 0n && a.ETH === 0n && a.USDT === 0n;
}

/** The first asset with a negative amount, if any. */
export function negativeAsset(a: OkxUnits): OkxAsset | undefined {
  return OKX_ASSETS.find((asset) => a[asset] < 0n);
}

/**
 * The compact JSON OKX hashes for a balance object: Go's `json.Marshal` of a struct with the
 * fields in BTC, ETH, USDT order. The canonical decimals need no escaping.
 */
export function balancesJson(b: OkxBalances): string {
  return `{"BTC":"${b.BTC}","ETH":"${b.ETH}","USDT":"${b.USDT}"}`;
}

/**
 * An internal node of both formats: sha256 over the two child digests, the three sums as decimal
 * text and the node's height, concatenated as ASCII without separators.
 */
export function internalNodeHash(left: string, right: string, sums: OkxBalances, height: number): string {
  return sha256Text(`${left}${right}${sums.BTC}${sums.ETH}${sums.USDT}${height}`);
}
