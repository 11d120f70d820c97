/**
 * Bytes and hex helpers. Conversion itself is delegated to @noble/hashes; what this module adds is
 * strictness at the edge: a `0x` prefix is required where a hex value is expected, odd lengths and
 * non-hex characters are rejected with an error that names the field, and nothing is ever
 * silently truncated or padded.
 */
import { bytesToHex as nobleBytesToHex, hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js';
import { invalidInput } from './assert.js';

export type Hex = `0x${string}`;

const HEX_RE = /^0x[0-9a-fA-F]*$/;

/** True when `value` is a `0x`-prefixed string of hex digits (any length, including empty). */
export function isHex(value: unknown): value is Hex {
  return typeof value === 'string' && HEX_RE.test(value);
}

/** Parses `0x`-prefixed, even-length hex into bytes; `length` (in bytes) is checked when given. */
export function hexToBytes(value: unknown, field = 'hex', length?: number): Uint8Array {
  if (!isHex(value)) throw invalidInput(field, '0x-prefixed hex', value);
  if (value.length % 2 !== 0) throw invalidInput(field, 'an even number of hex digits', value);
  const bytes = nobleHexToBytes(value.slice(2));
  if (length !== undefined && bytes.length !== length) throw invalidInput(field, `${length} bytes of hex`, value);
  return bytes;
}

/** Lower-case `0x`-prefixed hex of the bytes. */
export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${nobleBytesToHex(bytes)}`;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Constant-time equality for equal-length inputs (length itself is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8ToBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, rejecting invalid sequences instead of replacing them. */
export function bytesToUtf8(bytes: Uint8Array, field = 'bytes'): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw invalidInput(field, 'valid UTF-8', bytes, { cause });
  }
}
