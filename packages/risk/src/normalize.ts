/**
 * Input normalisation for requests exactly as dapps send them. Wallets and nodes are lenient:
 * MetaMask and geth left-pad odd-length hex data, accept quantities without `0x`, and parse an
 * EIP-712 `address` field given as a decimal integer. A scanner that is stricter than the wallet
 * behind it can be bypassed (it rejects or misreads what the wallet then signs), so each function
 * here accepts exactly what the signing side accepts, returns the canonical form, and refuses
 * everything else with a typed RISK_INVALID_REQUEST error naming the field — never a guess.
 */
import { BaseError } from '@custos/core';
import type { Address, Hex, UintString } from './types.js';

const HEX_BODY = /^[0-9a-fA-F]*$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_ADDRESS = (1n << 160n) - 1n;

export function invalidRequest(field: string, expected: string, got: unknown): BaseError {
  return new BaseError('RISK_INVALID_REQUEST', `"${field}" expected ${expected}, got ${describe(got)}`, {
    details: { field },
  });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 80 ? `a ${value.length}-character string` : `"${value}"`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function stripPrefix(text: string): string {
  return text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
}

/**
 * Byte data (`data`, `input`, signed messages): `0x`-hex with or without the prefix; odd length is
 * left-padded with one zero, as nodes do (`0x95ea7b3…` is `0x095ea7b3…`). Returns lowercase `0x`-hex.
 */
export function normalizeData(value: unknown, field: string): Hex {
  if (value === undefined || value === null) return '0x';
  if (typeof value !== 'string') throw invalidRequest(field, 'hex data', value);
  const body = stripPrefix(value.trim());
  if (!HEX_BODY.test(body)) throw invalidRequest(field, 'hex data', value);
  const even = body.length % 2 === 1 ? `0${body}` : body;
  return `0x${even.toLowerCase()}`;
}

/**
 * A uint256 quantity (`value`, `gas`, `nonce`, typed-data integers): a safe JS integer, a bigint,
 * `0x`-hex, hex digits without the prefix (as MetaMask reads `value: "ffff"`), or a decimal string
 * when `decimalStrings` is set (EIP-712 messages carry decimal strings; transaction fields carry
 * hex). Leading zeros are fine. Anything negative, fractional or above 2^256 − 1 is refused.
 */
export function normalizeUint(
  value: unknown,
  field: string,
  options: { decimalStrings?: boolean; max?: bigint } = {},
): bigint {
  const max = options.max ?? MAX_UINT256;
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw invalidRequest(field, 'a non-negative integer', value);
    n = BigInt(value);
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('0x') || text.startsWith('0X')) {
      const body = text.slice(2);
      if (body.length === 0 || !HEX_BODY.test(body)) throw invalidRequest(field, 'a hex quantity', value);
      n = BigInt(`0x${body}`);
    } else if (options.decimalStrings && /^[0-9]+$/.test(text)) {
      n = BigInt(text);
    } else if (!options.decimalStrings && text.length > 0 && HEX_BODY.test(text)) {
      n = BigInt(`0x${text}`);
    } else
      throw invalidRequest(field, options.decimalStrings ? 'a decimal or 0x-hex integer' : 'a hex quantity', value);
  } else throw invalidRequest(field, 'an integer', value);
  if (n < 0n || n > max) throw invalidRequest(field, `an integer from 0 to ${max}`, value);
  return n;
}

export function uintString(value: unknown, field: string, options: { decimalStrings?: boolean; max?: bigint } = {}) {
  return normalizeUint(value, field, options).toString() as UintString;
}

/**
 * An address: 40 hex digits with or without `0x`, any case (checksums are not enforced — wallets
 * do not refuse a wrong checksum in a request they sign), or — where `integers` is set, as in
 * EIP-712 messages, which encode an address as a uint160 — a decimal integer below 2^160, which is
 * what the signature commits to. Returns the lowercase `0x` form.
 */
export function normalizeAddressInput(value: unknown, field: string, options: { integers?: boolean } = {}): Address {
  if (typeof value === 'string') {
    const text = value.trim();
    const body = stripPrefix(text);
    if (body.length === 40 && HEX_BODY.test(body)) return `0x${body.toLowerCase()}`;
    if (options.integers && DECIMAL.test(text)) return integerAddress(BigInt(text), field, value);
  } else if (options.integers && (typeof value === 'number' || typeof value === 'bigint')) {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw invalidRequest(field, 'an address', value);
    return integerAddress(BigInt(value), field, value);
  }
  throw invalidRequest(field, 'an address (0x + 40 hex digits)', value);
}

function integerAddress(n: bigint, field: string, raw: unknown): Address {
  if (n < 0n || n > MAX_ADDRESS) throw invalidRequest(field, 'an address below 2^160', raw);
  return `0x${n.toString(16).padStart(40, '0')}`;
}

/**
 * An EIP-155 chain id: a positive safe integer, a decimal string, or `0x`-hex with any number of
 * leading zeros (`"0x01"` and `"0x0001"` are chain 1, as wallets read them).
 */
export function normalizeChainIdInput(value: unknown, field = 'chainId'): number {
  const n = normalizeUint(value, field, { decimalStrings: true, max: BigInt(Number.MAX_SAFE_INTEGER) });
  if (n === 0n) throw invalidRequest(field, 'a positive chain id', value);
  return Number(n);
}
