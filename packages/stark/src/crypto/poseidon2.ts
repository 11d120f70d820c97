/**
 * Poseidon2 over BabyBear (p = 15·2^27 + 1), width 16, S-box x^7, 8 full rounds (4 before and 4
 * after the partial rounds) and 13 partial rounds — the instance POSEIDON2_BABYBEAR_16_PARAMS of
 * the Poseidon2 authors' reference implementation (HorizenLabs/poseidon2; paper: Grassi, Khovratovich,
 * Schofnegger, "Poseidon2: A Faster Version of the Poseidon Hash Function", ePrint 2023/323). The
 * constants live in `poseidon2-constants.ts`; the output matches the reference bit for bit.
 *
 * The permutation, step by step (this is what `permuteInPlace` does, and what an AIR has to
 * replicate with the exported pieces):
 *
 *   externalLinearLayer(s)                              // once, before any round
 *   for r in 0..3:                                      // initial full rounds
 *     s[i] = sbox(s[i] + EXTERNAL_ROUND_CONSTANTS[r][i])  for every i
 *     externalLinearLayer(s)
 *   for r in 0..12:                                     // partial rounds
 *     s[0] = sbox(s[0] + INTERNAL_ROUND_CONSTANTS[r])     // element 0 only
 *     internalLinearLayer(s)
 *   for r in 4..7:                                      // final full rounds
 *     s[i] = sbox(s[i] + EXTERNAL_ROUND_CONSTANTS[r][i])  for every i
 *     externalLinearLayer(s)
 *
 * The external layer is M_E = circ(2·M4, M4, M4, M4) acting on four blocks of four elements, with
 * M4 = [[5, 7, 1, 3], [4, 6, 1, 1], [1, 3, 5, 7], [1, 1, 4, 6]]: each block is multiplied by M4,
 * then every element gets the sum of the matching positions of all four blocks added to it. The
 * internal layer is M_I = 1·1ᵀ + diag(μ), μ = INTERNAL_DIAGONAL: s'_i = μ_i·s_i + Σ_j s_j.
 *
 * On top of the permutation: a sponge (`hashElements`) and a 2-to-1 compression (`compress`), both
 * producing 8 field elements (≈ 248 bits, so ≈ 124-bit collision resistance).
 */
import { add, isCanonical, P } from '../math/field.js';
import { EXTERNAL_ROUND_CONSTANTS, INTERNAL_DIAGONAL, INTERNAL_ROUND_CONSTANTS } from './poseidon2-constants.js';

export { EXTERNAL_ROUND_CONSTANTS, INTERNAL_DIAGONAL, INTERNAL_ROUND_CONSTANTS } from './poseidon2-constants.js';

export const WIDTH = 16,
  ROUNDS_F = 8,
  ROUNDS_P = 13,
  SBOX_DEGREE = 7;

/** Sponge rate and capacity (elements), and the digest length of `hashElements` and `compress`. */
export const RATE = 8;
export const CAPACITY = 8;
export const DIGEST_LENGTH = 8;

const HALF_F = ROUNDS_F / 2;
const PINV = 1 / P;

// Modular arithmetic for the hot path. Two things make these faster than the field module's
// `mul` followed by `add` (by about a fifth over a whole permutation): they accept operands up to
// 2^32, so element + round constant goes into the S-box without a reduction of its own, and
// mulAddMod folds the internal layer's addition into the multiplication's single reduction.
//
// The quotient is estimated in floating point and rounded down. Why that is exact: a·b + c < 2^64
// and its quotient by p is below 2^34; the three roundings in the estimate add up to less than
// 2^-17, so the floor is off by at most one, and only when the true remainder is within
// p·2^-17 < 2^14 of 0 or p — so the corrections are rarely taken, and well predicted. The
// remainder itself comes from the low 32 bits of each product (Math.imul; 32-bit wrap-around is
// harmless since the true remainder, between −2^14 and p + 2^14, fits a signed 32-bit integer).

/** a·b mod p, for integers 0 ≤ a, b < 2^32. */
function mulMod(a: number, b: number): number {
  const q = Math.floor(a * b * PINV);
  const r = (Math.imul(a, b) - Math.imul(q, P)) | 0;
  return r < 0 ? r + P : r >= P ? r - P : r;
}

/** (a·b + c) mod p, for integers 0 ≤ a, b, c < 2^32. */
function mulAddMod(a: number, b: number, c: number): number {
  const q = Math.floor((a * b + c) * PINV);
  const r = (Math.imul(a, b) + c - Math.imul(q, P)) | 0;
  return r < 0 ? r + P : r >= P ? r - P : r;
}

/**
 * Reduces a non-negative integer below 2^40 into [0, p). The linear layers sum up to 80
 * (external) or 16 (internal) multiples of field elements before reducing — far below 2^53, so
 * every intermediate stays an exact double — and save a reduction per addition. At these
 * magnitudes the error of x·(1/p) is below 2^-44 while a non-multiple of p sits at least
 * 1/p > 2^-31 away from an integer, so the floor is already exact; the two corrections are
 * insurance that costs two predicted branches.
 */
function reduce(x: number): number {
  const r = x - Math.floor(x * PINV) * P;
  return r < 0 ? r + P : r >= P ? r - P : r;
}

/**
 * x^7 with four multiplications: x^2, x^3 = x^2·x, x^4 = (x^2)^2, x^7 = x^4·x^3 (x^3 and x^4 are
 * independent, so the dependency chain is three multiplications long). Takes a canonical element;
 * inside the permutation it also receives element + round constant unreduced (below 2p), which the
 * multiplication handles exactly.
 */
export function sbox(x: number): number {
  const x2 = mulMod(x, x);
  const x3 = mulMod(x2, x);
  const x4 = mulMod(x2, x2);
  return mulMod(x4, x3);
}

/**
 * In place s ← M_E·s, M_E = circ(2·M4, M4, M4, M4). Written out over locals, not loops: this
 * runs nine times per permutation, and unreduced sums only fit in doubles, not in the
 * Uint32Array. Each M4 output is at most 16·(p − 1) (row sums of M4 are at most 16), each column
 * sum at most 64·(p − 1), so nothing exceeds 80·p < 2^38 before the final reduction.
 */
export function externalLinearLayer(state: Uint32Array): void {
  const s = state;
  // M4 on block 0. Rows: [5 7 1 3], [4 6 1 1], [1 3 5 7], [1 1 4 6]. Shared subexpressions keep
  // the work to additions: with a+b and c+d, row 1 is 4(a+b) + 2b + (c+d), and so on.
  let a = s[0] as number;
  let b = s[1] as number;
  let c = s[2] as number;
  let d = s[3] as number;
  let ab = a + b;
  let cd = c + d;
  let r1 = 4 * ab + 2 * b + cd; // 4a + 6b + c + d
  let r3 = 4 * cd + 2 * d + ab; // a + b + 4c + 6d
  const y0 = r1 + ab + 2 * d; // 5a + 7b + c + 3d
  const y1 = r1;
  const y2 = r3 + cd + 2 * b; // a + 3b + 5c + 7d
  const y3 = r3;

  a = s[4] as number;
  b = s[5] as number;
  c = s[6] as number;
  d = s[7] as number;
  ab = a + b;
  cd = c + d;
  r1 = 4 * ab + 2 * b + cd;
  r3 = 4 * cd + 2 * d + ab;
  const y4 = r1 + ab + 2 * d;
  const y5 = r1;
  const y6 = r3 + cd + 2 * b;
  const y7 = r3;

  a = s[8] as number;
  b = s[9] as number;
  c = s[10] as number;
  d = s[11] as number;
  ab = a + b;
  cd = c + d;
  r1 = 4 * ab + 2 * b + cd;
  r3 = 4 * cd + 2 * d + ab;
  const y8 = r1 + ab + 2 * d;
  const y9 = r1;
  const y10 = r3 + cd + 2 * b;
  const y11 = r3;

  a = s[12] as number;
  b = s[13] as number;
  c = s[14] as number;
  d = s[15] as number;
  ab = a + b;
  cd = c + d;
  r1 = 4 * ab + 2 * b + cd;
  r3 = 4 * cd + 2 * d + ab;
  const y12 = r1 + ab + 2 * d;
  const y13 = r1;
  const y14 = r3 + cd + 2 * b;
  const y15 = r3;

  // Adding the column sums to every block turns diag(M4, M4, M4, M4) into circ(2·M4, M4, M4, M4):
  // the block's own copy counts twice, every other block once.
  const c0 = y0 + y4 + y8 + y12;
  const c1 = y1 + y5 + y9 + y13;
  const c2 = y2 + y6 + y10 + y14;
  const c3 = y3 + y7 + y11 + y15;
  s[0] = reduce(y0 + c0);
  s[1] = reduce(y1 + c1);
  s[2] = reduce(y2 + c2);
  s[3] = reduce(y3 + c3);
  s[4] = reduce(y4 + c0);
  s[5] = reduce(y5 + c1);
  s[6] = reduce(y6 + c2);
  s[7] = reduce(y7 + c3);
  s[8] = reduce(y8 + c0);
  s[9] = reduce(y9 + c1);
  s[10] = reduce(y10 + c2);
  s[11] = reduce(y11 + c3);
  s[12] = reduce(y12 + c0);
  s[13] = reduce(y13 + c1);
  s[14] = reduce(y14 + c2);
  s[15] = reduce(y15 + c3);
}

/**
 * In place s ← M_I·s, M_I = 1·1ᵀ + diag(μ): s'_i = μ_i·s_i + Σ_j s_j. The sum is taken over the
 * old values (all of them read before any is written), reduced once, then shared by every row.
 */
export function internalLinearLayer(state: Uint32Array): void {
  let sum = 0;
  for (let i = 0; i < WIDTH; i++) sum += state[i] as number;
  sum = reduce(sum);
  for (let i = 0; i < WIDTH; i++) {
    state[i] = mulAddMod(state[i] as number, INTERNAL_DIAGONAL[i] as number, sum);
  }
}

/** Add round constants, S-box every element, external layer. The sum goes into the S-box unreduced. */
function fullRound(state: Uint32Array, constants: Uint32Array): void {
  for (let i = 0; i < WIDTH; i++) {
    state[i] = sbox((state[i] as number) + (constants[i] as number));
  }
  externalLinearLayer(state);
}

/**
 * The permutation, in place, without validation: `state` must be a Uint32Array of 16 canonical
 * elements, otherwise the result is meaningless. For hot loops; `permute` is the checked version.
 * Allocates nothing.
 */
export function permuteInPlace(state: Uint32Array): void {
  externalLinearLayer(state);
  for (let r = 0; r < HALF_F; r++) fullRound(state, EXTERNAL_ROUND_CONSTANTS[r] as Uint32Array);
  for (let r = 0; r < ROUNDS_P; r++) {
    state[0] = sbox((state[0] as number) + (INTERNAL_ROUND_CONSTANTS[r] as number));
    internalLinearLayer(state);
  }
  for (let r = HALF_F; r < ROUNDS_F; r++) fullRound(state, EXTERNAL_ROUND_CONSTANTS[r] as Uint32Array);
}

/**
 * Checks a vector of field elements before copying it. It reads the caller's values as they are,
 * so a plain array holding 2.5 or p is rejected rather than silently truncated or wrapped by the
 * copy into a Uint32Array.
 */
function checkElements(what: string, v: ArrayLike<number>, length?: number): void {
  if (length !== undefined && v.length !== length) {
    throw new RangeError(`${what}: expected ${length} field elements, got ${v.length}`);
  }
  for (let i = 0; i < v.length; i++) {
    if (!isCanonical(v[i] as number)) {
      throw new RangeError(`${what}: element ${i} is not a canonical BabyBear element: ${v[i]}`);
    }
  }
}

/**
 * The permutation of a 16-element state, returned as a new array; the input is left untouched.
 * Throws RangeError unless the input has exactly 16 elements, each an integer in [0, p).
 */
export function permute(state: Uint32Array): Uint32Array {
  checkElements('permute', state, WIDTH);
  const out = Uint32Array.from(state);
  permuteInPlace(out);
  return out;
}

/**
 * Sponge hash of any number of field elements to 8, over the permutation above.
 *
 * - State: 16 elements starting at zero; the rate is elements 0–7, the capacity elements 8–15.
 * - Padding: a single 1 is appended to the input, then zeros up to a multiple of 8 — always, even
 *   when the input length is already a multiple of 8, so distinct inputs (of any lengths) give
 *   distinct padded streams. The empty input is absorbed as the block [1, 0, …, 0].
 * - Absorbing, in overwrite mode: each 8-element block replaces the rate part of the state (it is
 *   not added to it), then the state is permuted. Overwrite mode is a standard sponge variant with
 *   the same generic security as the additive one (the capacity is never touched by input), and it
 *   saves the additions.
 * - Output: the rate part (elements 0–7) after the last permutation.
 *
 * Throws RangeError if any element is not canonical.
 */
export function hashElements(input: Uint32Array): Uint32Array {
  checkElements('hashElements', input);
  const state = new Uint32Array(WIDTH);
  const n = input.length;
  const blocks = Math.floor(n / RATE) + 1;
  for (let blk = 0; blk < blocks; blk++) {
    const base = blk * RATE;
    for (let i = 0; i < RATE; i++) {
      const j = base + i;
      state[i] = j < n ? (input[j] as number) : j === n ? 1 : 0;
    }
    permuteInPlace(state);
  }
  return state.slice(0, DIGEST_LENGTH);
}

/**
 * 2-to-1 compression of two 8-element digests into one, for Merkle trees:
 * compress(l, r) = first 8 elements of permute(l ‖ r), plus l element by element.
 *
 * Why the feed-forward: the permutation is public and invertible, so with plain truncation anyone
 * could pick an output and 8 free state elements, run the permutation backwards, and read off a
 * preimage. Adding the input back (a truncation of P(x) + x, the usual Davies–Meyer-style way of
 * making a permutation one-way) makes that inversion useless. Only the first half of the input is
 * fed forward, matching the 8 outputs kept. Note this differs from plain truncation (as in
 * Plonky3's TruncatedPermutation), so digests are not interchangeable with such trees.
 *
 * Throws RangeError unless both inputs have exactly 8 canonical elements.
 */
export function compress(left: Uint32Array, right: Uint32Array): Uint32Array {
  checkElements('compress (left)', left, DIGEST_LENGTH);
  checkElements('compress (right)', right, DIGEST_LENGTH);
  const state = new Uint32Array(WIDTH);
  state.set(left, 0);
  state.set(right, DIGEST_LENGTH);
  permuteInPlace(state);
  const out = new Uint32Array(DIGEST_LENGTH);
  for (let i = 0; i < DIGEST_LENGTH; i++) out[i] = add(state[i] as number, left[i] as number);
  return out;
}
