/**
 * EIP-712 typed structured data as a co-signer receives it (`eth_signTypedData_v4` JSON). The
 * document is validated in full before it is hashed: struct and field names (EIP-712 §"Definition
 * of typed structured data"), every field type either an atomic/dynamic type or a struct defined
 * here, no unknown or missing message fields, and every value of the right shape and range. viem's
 * `hashTypedData` then computes `keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message))`;
 * strictness here means a wallet never shows one thing and signs another (an extra message field
 * that is not part of the hash, a uint that wraps). Integers may be decimal or 0x strings, so the
 * document survives JSON; `toTypedDataDocument` turns viem's bigint form into that.
 */
import { type Address, type Hex, hashTypedData, isAddress, type TypedDataDefinition } from 'viem';
import { invalidTypedData } from '../errors.js';
import { shortMessage } from './transaction.js';

export interface TypedDataField {
  readonly name: string;
  readonly type: string;
}

export interface TypedDataDomainJson {
  readonly name?: string;
  readonly version?: string;
  readonly chainId?: number | bigint | string;
  readonly verifyingContract?: Address;
  readonly salt?: Hex;
}

export interface TypedDataDocument {
  readonly domain?: TypedDataDomainJson;
  readonly types: Readonly<Record<string, readonly TypedDataField[]>>;
  readonly primaryType: string;
  readonly message: Readonly<Record<string, unknown>>;
}

/** The EIP712Domain fields EIP-712 defines, with their types, in the order it lists them. */
const DOMAIN_FIELDS: readonly TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
];

/** Nesting deeper than this (types or values) is refused rather than recursed into. */
const MAX_DEPTH = 32;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const ARRAY_SUFFIX = /\[(\d*)\]$/;
const INT_TYPE = /^(u?)int(\d+)$/;
const BYTES_TYPE = /^bytes(\d+)$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAtomicOrDynamic(type: string): boolean {
  if (type === 'address' || type === 'bool' || type === 'string' || type === 'bytes') return true;
  const int = INT_TYPE.exec(type);
  if (int) {
    const bits = Number(int[2]);
    return bits >= 8 && bits <= 256 && bits % 8 === 0 && int[2] === String(bits);
  }
  const bytes = BYTES_TYPE.exec(type);
  if (bytes) {
    const size = Number(bytes[1]);
    return size >= 1 && size <= 32 && bytes[1] === String(size);
  }
  return false;
}

/** Splits `T[2][]` into `T` and checks each array dimension is empty or a positive length. */
function baseType(type: string, field: string): string {
  let base = type;
  for (let match = ARRAY_SUFFIX.exec(base); match; match = ARRAY_SUFFIX.exec(base)) {
    if (match[1] !== '' && (match[1]?.startsWith('0') || Number(match[1]) < 1)) {
      throw invalidTypedData(field, `"${type}" has an array length that is not a positive integer`);
    }
    base = base.slice(0, match.index);
  }
  return base;
}

/**
 * Checks an EIP-712 document and narrows it. Every failure is CHAIN_INVALID_TYPED_DATA with
 * `details.field` a path into the document, e.g. `typedData.types.Mail[1].type`.
 */
export function assertTypedData(value: unknown, field = 'typedData'): asserts value is TypedDataDocument {
  if (!isRecord(value)) throw invalidTypedData(field, 'typed data must be an object');
  const { types, primaryType, message, domain } = value;
  checkTypes(types, `${field}.types`);
  if (typeof primaryType !== 'string' || !Object.hasOwn(types, primaryType)) {
    throw invalidTypedData(`${field}.primaryType`, 'primaryType must name a struct defined in types');
  }
  if (primaryType === 'EIP712Domain') {
    throw invalidTypedData(`${field}.primaryType`, 'EIP712Domain cannot be the primary type');
  }
  if (domain !== undefined) {
    if (!isRecord(domain)) throw invalidTypedData(`${field}.domain`, 'domain must be an object');
    const declared = types.EIP712Domain ?? DOMAIN_FIELDS.filter((f) => domain[f.name] !== undefined);
    checkStruct(types, 'EIP712Domain', declared, definedOnly(domain), `${field}.domain`, 0);
  } else if (types.EIP712Domain !== undefined && types.EIP712Domain.length > 0) {
    throw invalidTypedData(`${field}.domain`, 'types declare EIP712Domain fields but there is no domain');
  }
  checkValue(types, primaryType, message, `${field}.message`, 0);
}

function definedOnly(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

function checkTypes(types: unknown, field: string): asserts types is Record<string, readonly TypedDataField[]> {
  if (!isRecord(types)) throw invalidTypedData(field, 'types must be an object of struct definitions');
  for (const [name, fields] of Object.entries(types)) {
    const at = `${field}.${name}`;
    if (!IDENTIFIER.test(name) || isAtomicOrDynamic(name)) {
      throw invalidTypedData(at, `"${name}" is not a valid struct name`);
    }
    if (!Array.isArray(fields)) throw invalidTypedData(at, `struct ${name} must be an array of fields`);
    const seen = new Set<string>();
    fields.forEach((f: unknown, i) => {
      if (!isRecord(f) || typeof f.name !== 'string' || typeof f.type !== 'string') {
        throw invalidTypedData(`${at}[${i}]`, 'a field is { name: string, type: string }');
      }
      if (!IDENTIFIER.test(f.name)) throw invalidTypedData(`${at}[${i}].name`, `"${f.name}" is not a valid field name`);
      if (seen.has(f.name)) throw invalidTypedData(`${at}[${i}].name`, `field "${f.name}" is declared twice`);
      seen.add(f.name);
      const base = baseType(f.type, `${at}[${i}].type`);
      if (!isAtomicOrDynamic(base) && !Object.hasOwn(types, base)) {
        throw invalidTypedData(`${at}[${i}].type`, `type "${base}" is neither an EIP-712 type nor defined in types`);
      }
    });
  }
  if (types.EIP712Domain !== undefined) {
    (types.EIP712Domain as readonly TypedDataField[]).forEach((f, i) => {
      const known = DOMAIN_FIELDS.find((d) => d.name === f.name);
      if (known === undefined || known.type !== f.type) {
        throw invalidTypedData(`${field}.EIP712Domain[${i}]`, `"${f.name} ${f.type}" is not an EIP712Domain field`);
      }
    });
  }
}

function checkStruct(
  types: Readonly<Record<string, readonly TypedDataField[]>>,
  name: string,
  fields: readonly TypedDataField[],
  value: unknown,
  field: string,
  depth: number,
): void {
  if (!isRecord(value)) throw invalidTypedData(field, `a ${name} must be an object`);
  for (const key of Object.keys(value)) {
    if (!fields.some((f) => f.name === key))
      throw invalidTypedData(`${field}.${key}`, `${key} is not a field of ${name}`);
  }
  for (const f of fields) {
    if (value[f.name] === undefined) throw invalidTypedData(`${field}.${f.name}`, `field ${f.name} is missing`);
    checkValue(types, f.type, value[f.name], `${field}.${f.name}`, depth + 1);
  }
}

function checkValue(
  types: Readonly<Record<string, readonly TypedDataField[]>>,
  type: string,
  value: unknown,
  field: string,
  depth: number,
): void {
  if (depth > MAX_DEPTH) throw invalidTypedData(field, `typed data nests deeper than ${MAX_DEPTH} levels`);
  const array = ARRAY_SUFFIX.exec(type);
  if (array) {
    if (!Array.isArray(value)) throw invalidTypedData(field, `a ${type} must be an array`);
    if (array[1] !== '' && value.length !== Number(array[1])) {
      throw invalidTypedData(field, `a ${type} must have ${array[1]} elements, got ${value.length}`);
    }
    const element = type.slice(0, array.index);
    for (const [i, v] of (value as unknown[]).entries()) checkValue(types, element, v, `${field}[${i}]`, depth + 1);
    return;
  }
  const struct = types[type];
  if (struct !== undefined) checkStruct(types, type, struct, value, field, depth);
  else checkAtomic(type, value, field);
}

function checkAtomic(type: string, value: unknown, field: string): void {
  const fail = (expected: string) => invalidTypedData(field, `a ${type} value must be ${expected}`);
  if (type === 'address') {
    if (typeof value !== 'string' || !isAddress(value)) throw fail('a 20-byte address (with a valid checksum)');
    return;
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw fail('true or false');
    return;
  }
  if (type === 'string') {
    if (typeof value !== 'string') throw fail('a string');
    return;
  }
  if (type === 'bytes' || BYTES_TYPE.test(type)) {
    const size = type === 'bytes' ? undefined : Number(type.slice(5));
    if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value)) throw fail('0x-prefixed even-length hex');
    if (size !== undefined && value.length !== 2 + 2 * size) throw fail(`exactly ${size} bytes`);
    return;
  }
  const int = INT_TYPE.exec(type);
  if (int) {
    const n = toBigInt(value);
    const bits = BigInt(int[2] as string);
    const [min, max] = int[1] === 'u' ? [0n, 2n ** bits - 1n] : [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n];
    if (n === undefined) throw fail('an integer (bigint, safe number, or decimal / 0x string)');
    if (n < min || n > max) throw fail(`in ${min}..${max}`);
    return;
  }
  throw invalidTypedData(field, `unknown type ${type}`);
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && (/^-?(0|[1-9][0-9]*)$/.test(value) || /^0x[0-9a-fA-F]+$/.test(value))) {
    return BigInt(value);
  }
  return undefined;
}

/** The EIP-712 digest of a document: validated first, then hashed by viem. */
export function hashTypedDataDocument(value: unknown, field = 'typedData'): Hex {
  assertTypedData(value, field);
  try {
    return hashTypedData(value as unknown as TypedDataDefinition);
  } catch (cause) {
    throw invalidTypedData(field, `viem could not hash the typed data: ${shortMessage(cause)}`, cause);
  }
}

/**
 * viem's typed-data definition as a JSON-safe document with the same digest: bigints become
 * decimal strings and undefined keys are dropped, so a co-signer can receive it as JSON.
 */
export function toTypedDataDocument(definition: TypedDataDefinition | TypedDataDocument): TypedDataDocument {
  return toJson(definition) as TypedDataDocument;
}

function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString(10);
  if (Array.isArray(value)) return value.map(toJson);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toJson(v)]),
    );
  }
  return value;
}
