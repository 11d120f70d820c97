/**
 * Legacy `eth_signTypedData` (v1): an array of `{ type, name, value }` from an early EIP-712
 * draft, still signed by MetaMask. It has no domain, so a v1 signature is bound to no contract or
 * chain, and no protocol this engine models uses it: it is decoded to its digest only (schema
 * `legacy-v1`, no intents) and the rules judge it as an opaque signature. The digest follows
 * `@metamask/eth-sig-util` `typedSignatureHash`:
 * `keccak256(keccak256(‖ utf8("type name")) ‖ keccak256(encodePacked(types, values)))`.
 * Only atomic types are accepted (no arrays, whose packing eth-sig-util special-cases), and each
 * value only in an encoding that reading is unambiguous for; anything else is RISK_INVALID_REQUEST.
 */
import { concat, encodePacked, type Hex, keccak256, stringToHex } from 'viem';
import { invalidRequest, normalizeData, normalizeUint } from '../normalize.js';
import { bytesSize, isRecord, normalizeInt } from './typed-data-parse.js';

const MAX_ENTRIES = 256;
const INT_TYPE = /^(u?)int([0-9]*)$/;

type Packed = { type: string; value: unknown };

function packValue(type: string, value: unknown, at: string): Packed {
  if (type === 'address') {
    if (typeof value !== 'string' || !/^0[xX][0-9a-fA-F]{40}$/.test(value)) {
      throw invalidRequest(at, 'an address (0x + 40 hex digits)', value);
    }
    return { type, value: `0x${value.slice(2).toLowerCase()}` };
  }
  if (type === 'bool') {
    // eth-sig-util packs `Boolean(value)`: the string "false" is true.
    if (typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number') {
      return { type, value: Boolean(value) };
    }
    throw invalidRequest(at, 'a boolean', value);
  }
  if (type === 'string') {
    if (typeof value !== 'string') throw invalidRequest(at, 'a string', value);
    return { type, value };
  }
  if (type === 'bytes') {
    if (typeof value !== 'string') throw invalidRequest(at, 'bytes as 0x-hex', value);
    // `legacyToBuffer`: 0x-hex is bytes, any other string its UTF-8.
    return { type, value: /^0x[0-9a-fA-F]*$/.test(value) ? normalizeData(value, at) : stringToHex(value) };
  }
  const size = bytesSize(type);
  if (size !== undefined) {
    if (typeof value !== 'string' || !/^0[xX][0-9a-fA-F]+$/.test(value))
      throw invalidRequest(at, `${type} as 0x-hex`, value);
    const hex = normalizeData(value, at);
    const length = (hex.length - 2) / 2;
    if (length > size) throw invalidRequest(at, `at most ${size} bytes`, value);
    return { type, value: `${hex}${'00'.repeat(size - length)}` };
  }
  const int = INT_TYPE.exec(type);
  const bits = int?.[2] === '' ? 256 : Number(int?.[2]);
  if (int && bits >= 8 && bits <= 256 && bits % 8 === 0 && (int[2] === '' || String(bits) === int[2])) {
    const packed = `${int[1]}int${bits}`;
    return int[1] === 'u'
      ? { type: packed, value: normalizeUint(value, at, { decimalStrings: true, max: (1n << BigInt(bits)) - 1n }) }
      : { type: packed, value: normalizeInt(value, at, bits) };
  }
  throw invalidRequest(`${at.slice(0, at.lastIndexOf('.'))}.type`, 'an atomic Solidity type (v1 typed data)', type);
}

/** The v1 digest of a `[{ type, name, value }]` array. */
export function legacyTypedDataDigest(raw: unknown, at = 'typedData'): Hex {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_ENTRIES) {
    throw invalidRequest(at, `an array of 1 to ${MAX_ENTRIES} { type, name, value } entries`, raw);
  }
  const schema: Hex[] = [];
  const packed: Packed[] = [];
  raw.forEach((entry: unknown, i) => {
    const where = `${at}[${i}]`;
    if (!isRecord(entry)) throw invalidRequest(where, 'a { type, name, value } entry', entry);
    const { type, name, value } = entry;
    if (typeof name !== 'string' || name.length === 0) throw invalidRequest(`${where}.name`, 'a non-empty name', name);
    if (typeof type !== 'string') throw invalidRequest(`${where}.type`, 'a type name', type);
    if (value === undefined || value === null) throw invalidRequest(`${where}.value`, `a ${type} value`, value);
    schema.push(stringToHex(`${type} ${name}`));
    packed.push(packValue(type, value, `${where}.value`));
  });
  const schemaHash = keccak256(concat(schema));
  const dataHash = keccak256(
    encodePacked(
      packed.map((p) => p.type),
      packed.map((p) => p.value),
    ),
  );
  return keccak256(concat([schemaHash, dataHash]));
}
