/**
 * What the typed-data schema recognisers share: the `TypedDataSchema` shape, recognition by exact
 * EIP-712 type string (`encodeType` of the primary type — every field name and type of every
 * struct it uses, which is what the verifying contract hashes), typed accessors over a normalised
 * message, and `OrderItem` builders. A dapp's claimed domain name is never what identifies a
 * schema: a drainer can name its domain anything, but a contract only accepts its own type hash.
 */
import { invalidRequest } from '../normalize.js';
import type { Address, Intent, OrderItem, UintString } from '../types.js';
import type { ParsedTypedData, TypedStruct, TypedValue } from './typed-data-parse.js';
import { encodeTypeString, isRecord } from './typed-data-parse.js';

export interface TypedDataSchema {
  /** The `schema` reported for a match, e.g. `permit2.PermitBatch`. */
  readonly name: string;
  /** True when the document's primary type and type definitions are this schema's. */
  match(data: ParsedTypedData): boolean;
  /** The intents signing it would create; `actor` is the signer. */
  intents(data: ParsedTypedData, signer: Address): Intent[];
}

export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
/** The pseudo-address 0x Protocol and 1inch use for the native coin. */
export const NATIVE_PSEUDO_ADDRESS: Address = '0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
export const MAX_UINT256 = (1n << 256n) - 1n;

/** Builds a type string from struct definitions given as `Name(type name,…)`, primary first. */
export function typeString(primary: string, ...dependencies: string[]): string {
  return [primary, ...[...dependencies].sort()].join('');
}

/** A schema recognised by its exact `encodeType` string. */
export function exactSchema(
  name: string,
  expected: string,
  intents: (data: ParsedTypedData, signer: Address) => Intent[],
): TypedDataSchema {
  return { name, match: (data) => data.typeString === expected, intents };
}

/** True when `struct` in the document's types has exactly the expected `encodeType` string. */
export function structIs(data: ParsedTypedData, struct: string, expected: string): boolean {
  return Object.hasOwn(data.types, struct) && encodeTypeString(data.types, struct) === expected;
}

// ---------------------------------------------------------------------------------------------
// Accessors. A recogniser only reads a document whose types it matched, so a wrong shape here is
// a bug; it still fails closed with RISK_INVALID_REQUEST rather than with a TypeError.

function field(s: TypedStruct, key: string, path: string): TypedValue {
  const value = Object.hasOwn(s, key) ? s[key] : undefined;
  if (value === undefined) throw invalidRequest(`${path}.${key}`, 'a field of the recognised schema', value);
  return value;
}

export function addressAt(s: TypedStruct, key: string, path = 'message'): Address {
  const v = field(s, key, path);
  if (typeof v !== 'string' || !/^0x[0-9a-f]{40}$/.test(v)) throw invalidRequest(`${path}.${key}`, 'an address', v);
  return v as Address;
}

export function uintAt(s: TypedStruct, key: string, path = 'message'): bigint {
  const v = field(s, key, path);
  if (typeof v !== 'bigint') throw invalidRequest(`${path}.${key}`, 'an integer', v);
  return v;
}

export function boolAt(s: TypedStruct, key: string, path = 'message'): boolean {
  const v = field(s, key, path);
  if (typeof v !== 'boolean') throw invalidRequest(`${path}.${key}`, 'a boolean', v);
  return v;
}

export function structAt(s: TypedStruct, key: string, path = 'message'): TypedStruct {
  const v = field(s, key, path);
  if (!isRecord(v)) throw invalidRequest(`${path}.${key}`, 'a struct', v);
  return v as TypedStruct;
}

export function listAt(s: TypedStruct, key: string, path = 'message'): readonly TypedValue[] {
  const v = field(s, key, path);
  if (!Array.isArray(v)) throw invalidRequest(`${path}.${key}`, 'an array', v);
  return v;
}

/** The elements of a struct array, each with its path. */
export function structsAt(s: TypedStruct, key: string, path = 'message'): { item: TypedStruct; path: string }[] {
  return listAt(s, key, path).map((item, i) => {
    const where = `${path}.${key}[${i}]`;
    if (!isRecord(item)) throw invalidRequest(where, 'a struct', item);
    return { item: item as TypedStruct, path: where };
  });
}

export function uintsAt(s: TypedStruct, key: string, path = 'message'): bigint[] {
  return listAt(s, key, path).map((v, i) => {
    if (typeof v !== 'bigint') throw invalidRequest(`${path}.${key}[${i}]`, 'an integer', v);
    return v;
  });
}

// ---------------------------------------------------------------------------------------------
// Order items

export const dec = (n: bigint): UintString => n.toString(10);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** A fungible item: the native coin when the token is the zero address or 0xeeee…eeee. */
export function fungible(token: Address, amount: bigint, recipient?: Address): OrderItem {
  const native = token === ZERO_ADDRESS || token === NATIVE_PSEUDO_ADDRESS;
  const item: OrderItem = {
    asset: native ? 'native' : 'erc20',
    token: native ? ZERO_ADDRESS : token,
    amount: dec(amount),
  };
  if (recipient !== undefined) item.recipient = recipient;
  return item;
}

export function nft(
  standard: 'erc721' | 'erc1155' | 'unknown',
  token: Address,
  id: bigint,
  amount: bigint,
  recipient?: Address,
): OrderItem {
  const item: OrderItem = { asset: standard, token, id: dec(id), amount: dec(amount) };
  if (recipient !== undefined) item.recipient = recipient;
  return item;
}

/** `expiry` only when the order has one (0 = none). */
export function expiryOf(value: bigint): { expiry?: UintString } {
  return value === 0n ? {} : { expiry: dec(value) };
}

/** `taker` only when the order fixes one (the zero address = anyone). */
export function takerOf(value: Address): { taker?: Address } {
  return value === ZERO_ADDRESS ? {} : { taker: value };
}
