/**
 * EIP-712 typed data (`eth_signTypedData_v3` / `_v4`) checked and normalised the way the signing
 * side reads it, then hashed (https://eips.ethereum.org/EIPS/eip-712). The reference for "the way
 * the signing side reads it" is MetaMask's encoder (`@metamask/eth-sig-util` `encodeField`), the
 * most lenient wallet in use, cross-checked against ethers and viem. The rule for every value:
 *
 * - where every wallet that accepts an encoding reads it the same way, accept it and rewrite it in
 *   canonical form (an address given as a decimal integer, a chain id `"0x01"`, a uint as `0x`-hex,
 *   a mixed-case address with a wrong checksum, a `bytesN` shorter than N bytes);
 * - where wallets disagree (a 40-digit address without `0x`: hex to ethers, decimal to MetaMask)
 *   or where the reading cannot be expressed to viem (a missing field MetaMask encodes as zero),
 *   refuse with RISK_INVALID_REQUEST — a firewall that refuses fails closed, one that guesses can
 *   be made to show one thing while the wallet signs another.
 *
 * Every rewrite keeps the EIP-712 encoding byte for byte, so `typedDataDigest` (viem's
 * `hashTypedData` over the normalised document) is the digest the wallet signs. Work is bounded:
 * at most `MAX_DEPTH` nested structs/arrays, `MAX_VALUES` values, `MAX_TYPES` struct types, and no
 * recursive types (no protocol signs one, and refusing them keeps every walk finite).
 */

import { BaseError } from '@custos/core';
import { hashTypedData, stringToHex, type TypedDataDefinition } from 'viem';
import {
  invalidRequest,
  normalizeAddressInput,
  normalizeChainIdInput,
  normalizeData,
  normalizeUint,
} from '../normalize.js';
import type { Address, Hex, TypedDataDomain } from '../types.js';

export interface TypedDataField {
  readonly name: string;
  readonly type: string;
}

/** Struct definitions by name, `EIP712Domain` excluded. */
export type TypedDataTypes = Readonly<Record<string, readonly TypedDataField[]>>;

/**
 * A normalised value: addresses lowercase `0x`-hex, integers bigint, `bytes`/`bytesN` lowercase
 * `0x`-hex (`bytesN` exactly N bytes), `bool` boolean, `string` as given; structs hold exactly the
 * declared fields.
 */
export type TypedValue = string | boolean | bigint | readonly TypedValue[] | TypedStruct;
export interface TypedStruct {
  readonly [field: string]: TypedValue;
}

export interface ParsedTypedData {
  types: TypedDataTypes;
  /** The EIP712Domain fields that are hashed: the declared ones, else those the domain carries. */
  domainFields: readonly TypedDataField[];
  /** Only the signed (hashed) domain fields, normalised. */
  domain: TypedDataDomain;
  primaryType: string;
  /** `{}` when the primary type is `EIP712Domain` (a domain-only signature). */
  message: TypedStruct;
  /** EIP-712 `encodeType(primaryType)`: what schemas are recognised by. */
  typeString: string;
}

/** Deepest struct/array nesting accepted, counting the message itself as 1. */
export const MAX_DEPTH = 15;
const MAX_VALUES = 200_000;
const MAX_TYPES = 512;
const MAX_FIELDS = 512;

const STRUCT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names other implementations parse as a Solidity type (`uint7`, `bytes0`, `int`): never a struct. */
const RESERVED_NAME = /^(u?int|bytes)[0-9]*$|^(address|bool|string|function)$/;
const FIELD_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const FIELD_TYPE = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[(?:[1-9][0-9]*)?\])*)$/;
const INT_TYPE = /^(u?)int([0-9]+)$/;
const BYTES_N = /^bytes([0-9]+)$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

const DOMAIN_FIELDS: readonly TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** `uintN`/`intN` bit size, or undefined when `type` is not a sized EIP-712 integer. */
export function intBits(type: string): { signed: boolean; bits: number } | undefined {
  const m = INT_TYPE.exec(type);
  if (!m) return undefined;
  const bits = Number(m[2]);
  if (String(bits) !== m[2] || bits < 8 || bits > 256 || bits % 8 !== 0) return undefined;
  return { signed: m[1] === '', bits };
}

/** `bytesN` size, or undefined. */
export function bytesSize(type: string): number | undefined {
  const m = BYTES_N.exec(type);
  if (!m) return undefined;
  const size = Number(m[1]);
  return String(size) === m[1] && size >= 1 && size <= 32 ? size : undefined;
}

export function isAtomicType(type: string): boolean {
  return (
    type === 'address' ||
    type === 'bool' ||
    type === 'string' ||
    type === 'bytes' ||
    intBits(type) !== undefined ||
    bytesSize(type) !== undefined
  );
}

/** `T[2][]` → `T[2]` (the element type), or undefined for a non-array type. */
export function arrayElement(type: string): string | undefined {
  return type.endsWith(']') ? type.slice(0, type.lastIndexOf('[')) : undefined;
}

export function baseTypeOf(type: string): string {
  const open = type.indexOf('[');
  return open === -1 ? type : type.slice(0, open);
}

// ---------------------------------------------------------------------------------------------
// Types

function parseTypes(
  raw: unknown,
  at: string,
): { structs: Record<string, TypedDataField[]>; domain?: TypedDataField[] } {
  if (!isRecord(raw)) throw invalidRequest(at, 'an object of struct definitions', raw);
  const names = Object.keys(raw);
  if (names.length > MAX_TYPES) throw invalidRequest(at, `at most ${MAX_TYPES} struct types`, raw);
  const structs: Record<string, TypedDataField[]> = {};
  let domain: TypedDataField[] | undefined;
  for (const name of names) {
    const where = `${at}.${name}`;
    if (!STRUCT_NAME.test(name) || isAtomicType(name) || RESERVED_NAME.test(name) || name === '__proto__') {
      throw invalidRequest(where, 'a struct name of letters, digits and _ that is not an EIP-712 type', name);
    }
    const fields = parseFields(raw[name], where);
    if (name === 'EIP712Domain') domain = fields;
    else structs[name] = fields;
  }
  for (const [name, fields] of Object.entries(structs)) {
    fields.forEach((f, i) => {
      const base = baseTypeOf(f.type);
      if (!isAtomicType(base) && !Object.hasOwn(structs, base)) {
        throw invalidRequest(`${at}.${name}[${i}].type`, 'an EIP-712 type or a struct defined in types', f.type);
      }
    });
  }
  domain?.forEach((f, i) => {
    const known = DOMAIN_FIELDS.find((d) => d.name === f.name);
    if (known === undefined || known.type !== f.type) {
      throw invalidRequest(
        `${at}.EIP712Domain[${i}]`,
        'one of name string, version string, chainId uint256, verifyingContract address, salt bytes32',
        `${f.type} ${f.name}`,
      );
    }
  });
  assertAcyclic(structs, at);
  return domain === undefined ? { structs } : { structs, domain };
}

function parseFields(raw: unknown, at: string): TypedDataField[] {
  if (!Array.isArray(raw)) throw invalidRequest(at, 'an array of { name, type } fields', raw);
  if (raw.length > MAX_FIELDS) throw invalidRequest(at, `at most ${MAX_FIELDS} fields`, raw);
  const seen = new Set<string>();
  return raw.map((f: unknown, i) => {
    const where = `${at}[${i}]`;
    if (!isRecord(f)) throw invalidRequest(where, 'a { name, type } field', f);
    const { name, type } = f;
    if (typeof name !== 'string' || !FIELD_NAME.test(name) || name === '__proto__') {
      throw invalidRequest(`${where}.name`, 'a field name of letters, digits, _ and $', name);
    }
    if (seen.has(name)) throw invalidRequest(`${where}.name`, 'a field name not declared twice', name);
    seen.add(name);
    if (typeof type !== 'string' || !FIELD_TYPE.test(type)) {
      throw invalidRequest(`${where}.type`, 'a type name with optional [] or [N] dimensions', type);
    }
    if (type.split('[').length - 1 > MAX_DEPTH) {
      throw invalidRequest(`${where}.type`, `at most ${MAX_DEPTH} array dimensions`, type);
    }
    return { name, type };
  });
}

/** Refuses a struct that contains itself, directly or through others (iteratively: no recursion). */
function assertAcyclic(structs: Record<string, TypedDataField[]>, at: string): void {
  const state = new Map<string, 'open' | 'done'>();
  for (const root of Object.keys(structs)) {
    if (state.has(root)) continue;
    const stack: { name: string; next: number }[] = [{ name: root, next: 0 }];
    state.set(root, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { name: string; next: number };
      const fields = structs[top.name] ?? [];
      if (top.next >= fields.length) {
        state.set(top.name, 'done');
        stack.pop();
        continue;
      }
      const dep = baseTypeOf((fields[top.next] as TypedDataField).type);
      top.next += 1;
      if (!Object.hasOwn(structs, dep)) continue;
      const seen = state.get(dep);
      if (seen === 'open')
        throw invalidRequest(`${at}.${top.name}`, 'struct types that do not contain themselves', dep);
      if (seen === undefined) {
        state.set(dep, 'open');
        stack.push({ name: dep, next: 0 });
      }
    }
  }
}

/**
 * EIP-712 `encodeType`: the primary struct, then every struct it uses, sorted by name. Identical to
 * the type strings contracts hash (`PermitHash.sol`, Seaport's `ConsiderationTypeHashes`, …).
 */
export function encodeTypeString(types: TypedDataTypes, primaryType: string): string {
  const deps = new Set<string>();
  const pending = [primaryType];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (deps.has(name) || !Object.hasOwn(types, name)) continue;
    deps.add(name);
    for (const f of types[name] ?? []) pending.push(baseTypeOf(f.type));
  }
  deps.delete(primaryType);
  return [primaryType, ...[...deps].sort()]
    .map((name) => `${name}(${(types[name] ?? []).map((f) => `${f.type} ${f.name}`).join(',')})`)
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Values

interface Walk {
  types: TypedDataTypes;
  count: number;
}

function normalizeStruct(walk: Walk, name: string, value: unknown, at: string, depth: number): TypedStruct {
  if (depth > MAX_DEPTH) throw invalidRequest(at, `typed data nested at most ${MAX_DEPTH} levels deep`, value);
  if (!isRecord(value)) throw invalidRequest(at, `a ${name} object`, value);
  const out: Record<string, TypedValue> = {};
  for (const f of walk.types[name] ?? []) {
    // Fields that are not declared are not hashed: they are dropped, never read.
    out[f.name] = normalizeValue(walk, f.type, own(value, f.name), `${at}.${f.name}`, depth);
  }
  return out;
}

/** `depth` is the nesting of the container this value sits in. */
function normalizeValue(walk: Walk, type: string, value: unknown, at: string, depth: number): TypedValue {
  walk.count += 1;
  if (walk.count > MAX_VALUES) throw invalidRequest(at, `at most ${MAX_VALUES} values`, value);
  if (value === undefined || value === null)
    throw invalidRequest(at, `a ${type} value (fields may not be missing)`, value);
  const element = arrayElement(type);
  if (element !== undefined) {
    // A fixed length `[N]` is not checked: wallets hash whatever length is given, and so do we.
    if (depth + 1 > MAX_DEPTH) throw invalidRequest(at, `typed data nested at most ${MAX_DEPTH} levels deep`, value);
    if (!Array.isArray(value)) throw invalidRequest(at, `an array (${type})`, value);
    const items: TypedValue[] = [];
    for (let i = 0; i < value.length; i++) {
      items.push(normalizeValue(walk, element, value[i], `${at}[${i}]`, depth + 1));
    }
    return items;
  }
  if (Object.hasOwn(walk.types, type)) return normalizeStruct(walk, type, value, at, depth + 1);
  return normalizeAtomic(type, value, at);
}

export function normalizeAtomic(type: string, value: unknown, at: string): TypedValue {
  if (type === 'address') return normalizeTypedAddress(value, at);
  if (type === 'string') {
    if (typeof value !== 'string') throw invalidRequest(at, 'a string', value);
    return value;
  }
  if (type === 'bool') {
    // MetaMask (`Boolean(value)`) and ethers (`value ? 1 : 0`) both encode truthiness, so the
    // string "false" signs true. Reading it as false would hide an unlimited DAI permit.
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' || typeof value === 'number') return Boolean(value);
    throw invalidRequest(at, 'a boolean', value);
  }
  if (type === 'bytes') {
    if (typeof value !== 'string') throw invalidRequest(at, 'bytes as 0x-hex', value);
    // MetaMask hashes a `bytes` value that is not 0x-hex as its UTF-8 bytes; ethers and viem refuse
    // it. The one reading a wallet signs is UTF-8, so that is what is hashed.
    return /^0[xX][0-9a-fA-F]*$/.test(value) && (value.length > 2 || value === '0x')
      ? normalizeData(value, at)
      : stringToHex(value);
  }
  const size = bytesSize(type);
  if (size !== undefined) {
    if (typeof value !== 'string') throw invalidRequest(at, `${type} as 0x-hex`, value);
    const hex = normalizeData(value, at);
    const length = (hex.length - 2) / 2;
    if (length > size) throw invalidRequest(at, `at most ${size} bytes`, value);
    // ABI encoding right-pads bytesN, so a shorter value (MetaMask accepts it) pads with zeros.
    return `${hex}${'00'.repeat(size - length)}`;
  }
  const int = intBits(type);
  if (int !== undefined) return int.signed ? normalizeInt(value, at, int.bits) : normalizeUintBits(value, at, int.bits);
  throw invalidRequest(at, 'an EIP-712 type', type);
}

function normalizeUintBits(value: unknown, at: string, bits: number): bigint {
  return normalizeUint(value, at, { decimalStrings: true, max: (1n << BigInt(bits)) - 1n });
}

/** A signed integer: a safe number, a bigint, a decimal string with an optional `-`, or `0x`-hex. */
export function normalizeInt(value: unknown, at: string, bits: number): bigint {
  let n: bigint | undefined;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string') {
    const text = value.trim();
    if (/^-?[0-9]+$/.test(text) || /^0[xX][0-9a-fA-F]+$/.test(text)) n = BigInt(text);
  }
  const limit = 1n << BigInt(bits - 1);
  if (n === undefined || n < -limit || n >= limit) {
    throw invalidRequest(at, `an integer from ${-limit} to ${limit - 1n}`, value);
  }
  return n;
}

/**
 * An EIP-712 address: `0x` + 40 hex digits in any case (checksums are not enforced: no wallet
 * refuses a wrong one), or an integer — a JSON number or a decimal string — which MetaMask encodes
 * as the uint160 it is, and which is what the signature then commits to. A decimal string of
 * exactly 40 digits is refused: ethers reads it as hex, MetaMask as decimal. So is any other
 * string without `0x` (MetaMask reads hex digits a–f as garbage decimal digits).
 */
export function normalizeTypedAddress(value: unknown, at: string): Address {
  if (typeof value === 'string') {
    if (/^0[xX][0-9a-fA-F]{40}$/.test(value)) return `0x${value.slice(2).toLowerCase()}`;
    if (DECIMAL.test(value) && value.length !== 40) return normalizeAddressInput(value, at, { integers: true });
    throw invalidRequest(at, 'an address (0x + 40 hex digits) or a decimal integer', value);
  }
  if (typeof value === 'number' || typeof value === 'bigint')
    return normalizeAddressInput(value, at, { integers: true });
  throw invalidRequest(at, 'an address (0x + 40 hex digits)', value);
}

// ---------------------------------------------------------------------------------------------
// Document

function parseDomain(raw: unknown, fields: readonly TypedDataField[], at: string): TypedDataDomain {
  if (!isRecord(raw)) throw invalidRequest(at, 'a domain object', raw);
  const domain: TypedDataDomain = {};
  for (const f of fields) {
    const value = own(raw, f.name);
    const where = `${at}.${f.name}`;
    if (value === undefined || value === null)
      throw invalidRequest(where, 'the domain field EIP712Domain declares', value);
    if (f.name === 'name' || f.name === 'version') {
      if (typeof value !== 'string') throw invalidRequest(where, 'a string', value);
      if (f.name === 'name') domain.name = value;
      else domain.version = value;
    } else if (f.name === 'chainId') {
      // "0x01", "1" and 1 are all uint256 1 in the encoding.
      domain.chainId = normalizeChainIdInput(value, where);
    } else if (f.name === 'verifyingContract') {
      domain.verifyingContract = normalizeTypedAddress(value, where);
    } else {
      domain.salt = normalizeAtomic('bytes32', value, where) as Hex;
    }
  }
  return domain;
}

/**
 * Checks and normalises an `eth_signTypedData_v3`/`_v4` document (already JSON-parsed). Every
 * failure is RISK_INVALID_REQUEST with `details.field` a path such as `typedData.message.value`.
 */
export function parseTypedData(raw: unknown, at = 'typedData'): ParsedTypedData {
  if (!isRecord(raw)) throw invalidRequest(at, 'a typed data object', raw);
  const parsed = parseTypes(own(raw, 'types'), `${at}.types`);
  const types: TypedDataTypes = parsed.structs;
  const primaryType = own(raw, 'primaryType');
  const isDomainOnly = primaryType === 'EIP712Domain' && parsed.domain !== undefined;
  if (typeof primaryType !== 'string' || (!Object.hasOwn(types, primaryType) && !isDomainOnly)) {
    throw invalidRequest(`${at}.primaryType`, 'the name of a struct defined in types', primaryType);
  }
  const rawDomain = own(raw, 'domain');
  if (!isRecord(rawDomain)) throw invalidRequest(`${at}.domain`, 'a domain object', rawDomain);
  // Without a declared EIP712Domain, viem and ethers hash the fields the domain carries (MetaMask
  // would hash an empty domain, a signature no contract verifies): the dangerous reading is kept.
  const domainFields =
    parsed.domain ??
    DOMAIN_FIELDS.filter((f) => own(rawDomain, f.name) !== undefined && own(rawDomain, f.name) !== null);
  const domain = parseDomain(rawDomain, domainFields, `${at}.domain`);
  const rawMessage = own(raw, 'message');
  if (!isRecord(rawMessage)) throw invalidRequest(`${at}.message`, 'a message object', rawMessage);
  const walk: Walk = { types, count: 0 };
  const message = isDomainOnly ? {} : normalizeStruct(walk, primaryType, rawMessage, `${at}.message`, 1);
  const typeString = isDomainOnly
    ? encodeTypeString({ EIP712Domain: domainFields }, 'EIP712Domain')
    : encodeTypeString(types, primaryType);
  return { types, domainFields, domain, primaryType, message, typeString };
}

/**
 * The EIP-712 digest `keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message))`, computed
 * by viem over the normalised document. Normalisation only rewrites encodings that EIP-712 maps
 * to the same 32-byte words — an address is encoded as uint160, so `"917551…5704"` and
 * `0xa0b8…eb48` are the same word; a uint256 `"0x01"` and `1` are the same word; a `bytes4`
 * `0x12` and `0x12000000` are the same right-padded word — so this is the digest the wallet signs.
 */
export function typedDataDigest(data: ParsedTypedData): Hex {
  const definition = {
    domain: data.domain,
    types: { ...data.types, EIP712Domain: data.domainFields },
    primaryType: data.primaryType,
    message: data.message,
  };
  try {
    return hashTypedData(definition as unknown as TypedDataDefinition);
  } catch (cause) {
    // Unreachable for a parsed document; kept so a gap between our checks and viem's fails closed.
    throw new BaseError('RISK_INVALID_REQUEST', 'typed data could not be hashed', {
      details: { field: 'typedData' },
      cause,
    });
  }
}
