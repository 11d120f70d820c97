/**
 * The byte encoding of one address's labels inside the compiled index: a count, then per label
 * scope, tier, category id, source id, confidence, status, first-seen and name, integers as LEB128
 * varints. Category and source ids index the string tables kept in the index's metadata.
 */
import { BaseError } from '@custos/core';
import { type Label, TIERS, type Tier } from './model.js';

/** A label without its address (the index keys records by address). */
export type IndexLabel = Omit<Label, 'address'>;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Grows a string table: string → id, in first-seen order. */
export class StringTable {
  readonly #ids = new Map<string, number>();
  readonly values: string[] = [];
  id(value: string): number {
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.#ids.set(value, id);
      this.values.push(value);
    }
    return id;
  }
}

export class RecordWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #ensure(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + extra));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #varint(value: number): void {
    this.#ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.#len++] = v;
  }

  #byte(value: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = value;
  }

  /** Encodes labels; the returned view is valid until the next call. */
  encode(labels: readonly IndexLabel[], categories: StringTable, sources: StringTable): Uint8Array {
    this.#len = 0;
    this.#varint(labels.length);
    for (const l of labels) {
      this.#varint(l.scope);
      this.#byte(TIERS.indexOf(l.tier));
      this.#varint(categories.id(l.category));
      this.#varint(sources.id(l.source));
      this.#byte(Math.max(0, Math.min(100, Math.round(l.confidence))));
      this.#byte(l.status === 'delisted' ? 1 : 0);
      this.#varint(Math.max(0, Math.floor(l.firstSeen)));
      // Names are short: encode in place after a one-byte length, widen only if needed.
      this.#ensure(l.name.length * 3 + 5);
      const at = this.#len + 1;
      const { written } = encoder.encodeInto(l.name, this.#buf.subarray(at));
      if (written < 0x80) {
        this.#buf[this.#len] = written;
        this.#len = at + written;
      } else {
        const name = this.#buf.slice(at, at + written);
        this.#varint(written);
        this.#buf.set(name, this.#len);
        this.#len += written;
      }
    }
    return this.#buf.subarray(0, this.#len);
  }
}

/** ASCII names (nearly all) take the fast path; anything else must be valid UTF-8. */
function decodeName(bytes: Uint8Array, start: number, length: number): string {
  let out = '';
  for (let i = start; i < start + length; i++) {
    const b = bytes[i] as number;
    if (b >= 0x80) {
      try {
        return decoder.decode(bytes.subarray(start, start + length));
      } catch {
        throw corrupt('name is not UTF-8');
      }
    }
    out += String.fromCharCode(b);
  }
  return out;
}

function corrupt(why: string): BaseError {
  return new BaseError('LABELS_INDEX_CORRUPT', `label index record is corrupt: ${why}`, {
    hints: ['Rebuild the index from the store (custos labels compile).'],
  });
}

// Decoder position (records are decoded synchronously, one at a time).
let at = 0;

function readVarint(bytes: Uint8Array): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (at >= bytes.length) throw corrupt('truncated varint');
    const b = bytes[at++] as number;
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 0x80;
  }
  throw corrupt('varint too long');
}

function readByte(bytes: Uint8Array): number {
  if (at >= bytes.length) throw corrupt('truncated');
  return bytes[at++] as number;
}

/** Decodes a record. Every field is bounds-checked: a corrupt file is an error, never a wrong label. */
export function decodeRecord(
  bytes: Uint8Array,
  categories: readonly string[],
  sources: readonly string[],
  wantScope?: (scope: number) => boolean,
): IndexLabel[] {
  at = 0;
  const count = readVarint(bytes);
  const out: IndexLabel[] = [];
  for (let i = 0; i < count; i++) {
    const scope = readVarint(bytes);
    const tier = TIERS[readByte(bytes)] as Tier | undefined;
    const category = categories[readVarint(bytes)];
    const source = sources[readVarint(bytes)];
    const confidence = readByte(bytes);
    const status = readByte(bytes);
    const firstSeen = readVarint(bytes);
    const nameLen = readVarint(bytes);
    if (tier === undefined || category === undefined || source === undefined || status > 1 || confidence > 100) {
      throw corrupt('field out of range');
    }
    if (at + nameLen > bytes.length) throw corrupt('truncated name');
    const nameAt = at;
    at += nameLen;
    if (wantScope && !wantScope(scope)) continue;
    const name = decodeName(bytes, nameAt, nameLen);
    out.push({
      scope,
      tier,
      category,
      source,
      confidence,
      status: status === 1 ? 'delisted' : 'active',
      firstSeen,
      name,
    });
  }
  if (at !== bytes.length) throw corrupt('trailing bytes');
  return out;
}
