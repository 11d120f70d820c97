/**
 * Fiat–Shamir transcripts. Every proof hashes a domain tag, the session id, the prover's party id,
 * the whole statement and all first messages; every field is length-prefixed with its label, so two
 * different transcripts can never encode to the same bytes (the TSSHOCK "α-shuffle" class). Points
 * are hashed in full (compressed SEC1), integers as minimal big-endian magnitude plus sign.
 * Challenges are expanded from SHA-512 in counter mode and rejection-sampled, so they are uniform.
 */
import { utf8ToBytes } from '@custos/core';
import { sha512 } from '@noble/hashes/sha2.js';

const PREFIX = 'custos/mpc/v1/';

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** Minimal big-endian magnitude of |x| (zero is the empty string). */
export function bigintToBytes(x: bigint): Uint8Array {
  let v = x < 0n ? -x : x;
  const bytes: number[] = [];
  while (v > 0n) {
    bytes.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return Uint8Array.from(bytes.reverse());
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export class Transcript {
  #chunks: Uint8Array[] = [];

  /** `domain` names the proof or protocol step, e.g. `pi-mod` or `dkg/commit`. */
  constructor(domain: string) {
    this.#field('domain', utf8ToBytes(PREFIX + domain));
  }

  #field(label: string, value: Uint8Array): this {
    const l = utf8ToBytes(label);
    this.#chunks.push(u32(l.length), l, u32(value.length), value);
    return this;
  }

  bytes(label: string, value: Uint8Array): this {
    return this.#field(label, value);
  }

  string(label: string, value: string): this {
    return this.#field(label, utf8ToBytes(value));
  }

  int(label: string, value: number): this {
    return this.#field(label, utf8ToBytes(String(value)));
  }

  /** A signed integer: one sign byte then the magnitude. */
  bigint(label: string, value: bigint): this {
    const mag = bigintToBytes(value);
    const out = new Uint8Array(mag.length + 1);
    out[0] = value < 0n ? 1 : 0;
    out.set(mag, 1);
    return this.#field(label, out);
  }

  bigints(label: string, values: readonly bigint[]): this {
    this.int(`${label}.length`, values.length);
    for (const [i, v] of values.entries()) this.bigint(`${label}[${i}]`, v);
    return this;
  }

  /** The transcript so far (for hashing into a commitment or a transcript hash). */
  digest(): Uint8Array {
    const total = this.#chunks.reduce((n, c) => n + c.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of this.#chunks) {
      all.set(c, at);
      at += c.length;
    }
    return sha512(all);
  }

  /** `bytes` pseudo-random bytes bound to the transcript and `label` (SHA-512 counter mode). */
  expand(label: string, length: number): Uint8Array {
    const seed = this.digest();
    const tag = utf8ToBytes(label);
    const out = new Uint8Array(length);
    for (let counter = 0, at = 0; at < length; counter++) {
      const block = sha512(concat([seed, u32(tag.length), tag, u32(counter)]));
      out.set(block.subarray(0, Math.min(64, length - at)), at);
      at += 64;
    }
    return out;
  }

  /** `count` challenges uniform in [0, bound), independent per index (rejection sampling). */
  challengesBelow(label: string, bound: bigint, count: number): bigint[] {
    const bits = bound.toString(2).length;
    const byteLength = Math.ceil(bits / 8);
    const mask = (1n << BigInt(bits)) - 1n;
    const out: bigint[] = [];
    for (let attempt = 0; out.length < count; attempt++) {
      const candidate = bytesToBigint(this.expand(`${label}/${out.length}/${attempt}`, byteLength)) & mask;
      if (candidate < bound) out.push(candidate);
    }
    return out;
  }

  /** One challenge uniform in [0, bound). */
  challengeBelow(label: string, bound: bigint): bigint {
    return this.challengesBelow(label, bound, 1)[0] as bigint;
  }

  /** One challenge uniform in the symmetric range [-bound, bound] (CGGMP21's e ← ±q). */
  challengeSigned(label: string, bound: bigint): bigint {
    return this.challengeBelow(label, 2n * bound + 1n) - bound;
  }

  /** `count` independent challenge bits (binary-challenge proofs such as Π^prm). */
  challengeBits(label: string, count: number): boolean[] {
    const bytes = this.expand(label, Math.ceil(count / 8));
    return Array.from({ length: count }, (_, i) => (((bytes[i >> 3] as number) >> (i & 7)) & 1) === 1);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
