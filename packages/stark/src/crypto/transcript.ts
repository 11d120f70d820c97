/**
 * The Fiat–Shamir transcript: a SHA-256 hash chain that absorbs every commitment, public input
 * and parameter, in order, and from which every verifier challenge is drawn. Prover and verifier
 * run the same sequence of calls; any difference in what either absorbed yields different
 * challenges, so the proof fails.
 *
 *   start:    s = SHA-256("custos-stark/transcript/v1" ‖ 0x00 ‖ label)
 *   absorb:   s = SHA-256(0x01 ‖ s ‖ u32(|tag|) ‖ tag ‖ u32(|data|) ‖ data)
 *   squeeze:  block_k = SHA-256(0x02 ‖ s ‖ u32(k)), k = 0, 1, … since the last absorb
 *   grinding: nonce n valid for b bits iff SHA-256(0x03 ‖ s ‖ u64(n)) starts with b zero bits;
 *             the nonce is then absorbed.
 *
 * Field elements are drawn from 32-bit words by rejection: a word w < 2p (p = BabyBear's prime,
 * 2p < 2^32) gives w mod p, exactly uniform; a word ≥ 2p (6 % of words) is skipped.
 */
import { concatBytes } from '@custos/core';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Ext } from '../math/ext.js';
import { P } from '../math/field.js';

const TWO_P = 2 * P;
const encoder = new TextEncoder();

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

export class Transcript {
  #state: Uint8Array;
  #block = 0;
  #words: number[] = [];

  readonly #hash: (data: Uint8Array) => Uint8Array;

  /** `hash`: SHA-256 — @noble/hashes's by default; the prover passes Node's native one. */
  constructor(label: string, hash: (data: Uint8Array) => Uint8Array = sha256) {
    this.#hash = hash;
    this.#state = hash(
      concatBytes(...[encoder.encode('custos-stark/transcript/v1'), new Uint8Array([0]), encoder.encode(label)]),
    );
  }

  /** The current chaining value (for tests and for binding sub-protocols). */
  get state(): Uint8Array {
    return this.#state.slice();
  }

  absorbBytes(tag: string, data: Uint8Array): void {
    const t = encoder.encode(tag);
    this.#state = this.#hash(
      concatBytes(...[new Uint8Array([1]), this.#state, u32(t.length), t, u32(data.length), data]),
    );
    this.#block = 0;
    this.#words = [];
  }

  /** Absorbs u32 words (base-field elements, packed extension elements, sizes). */
  absorbWords(tag: string, words: ArrayLike<number>): void {
    const data = new Uint8Array(words.length * 4);
    const view = new DataView(data.buffer);
    for (let i = 0; i < words.length; i++) {
      const w = words[i] as number;
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) throw new RangeError(`${tag}: not a u32 word: ${w}`);
      view.setUint32(4 * i, w, true);
    }
    this.absorbBytes(tag, data);
  }

  #nextWord(): number {
    if (this.#words.length === 0) {
      const block = this.#hash(concatBytes(...[new Uint8Array([2]), this.#state, u32(this.#block++)]));
      const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
      for (let i = 7; i >= 0; i--) this.#words.push(view.getUint32(4 * i, true));
    }
    return this.#words.pop() as number;
  }

  drawBase(): number {
    for (;;) {
      const w = this.#nextWord();
      if (w < TWO_P) return w >= P ? w - P : w;
    }
  }

  drawExt(): Ext {
    return [this.drawBase(), this.drawBase(), this.drawBase(), this.drawBase()];
  }

  /** `count` indices, each uniform in [0, 2^logDomain), repeats possible. */
  drawIndices(count: number, logDomain: number): number[] {
    if (logDomain > 32) throw new RangeError('domains above 2^32 are not supported');
    const mask = logDomain === 32 ? 0xffffffff : 2 ** logDomain - 1;
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push((this.#nextWord() & mask) >>> 0);
    return out;
  }

  /** 0x03 ‖ state ‖ u64(nonce), rewritten in place for each nonce tried. */
  #powInput(): { data: Uint8Array; view: DataView } {
    const data = new Uint8Array(1 + 32 + 8);
    data[0] = 3;
    data.set(this.#state, 1);
    return { data, view: new DataView(data.buffer) };
  }

  #powHolds(input: { data: Uint8Array; view: DataView }, bits: number, nonce: number): boolean {
    input.view.setUint32(33, nonce % 2 ** 32, true);
    input.view.setUint32(37, Math.floor(nonce / 2 ** 32), true);
    return leadingZeroBits(this.#hash(input.data)) >= bits;
  }

  /** Does `nonce` satisfy `bits` of proof of work against the current state? */
  checkGrinding(bits: number, nonce: number): boolean {
    if (!Number.isSafeInteger(nonce) || nonce < 0) return false;
    return this.#powHolds(this.#powInput(), bits, nonce);
  }

  /** Searches the smallest nonce with `bits` of proof of work (expected 2^bits hashes). */
  grind(bits: number): number {
    const input = this.#powInput();
    for (let nonce = 0; ; nonce++) if (this.#powHolds(input, bits, nonce)) return nonce;
  }

  absorbNonce(nonce: number): void {
    this.absorbWords('pow-nonce', [nonce % 2 ** 32, Math.floor(nonce / 2 ** 32)]);
  }
}

export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const b of bytes) {
    if (b === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(b) - 24;
  }
  return bits;
}
