/**
 * Radix-2 number-theoretic transforms over BabyBear, in place on `Uint32Array`s, natural order in
 * and out.
 *
 * The forward transform is decimation in time: the input is permuted into bit-reversed order first,
 * then log2(n) passes of butterflies combine blocks of size 2m from two halves of size m. The
 * twiddles of every pass are stored contiguously, so the innermost loop reads them sequentially:
 * the table for size n holds ω_{2m}^j at index m + j for m = 1, 2, …, n/2 and j < m (index 0 is
 * unused). The inverse transform is the same with ω^-1 and a final 1/n.
 *
 * The butterflies inline the multiplication of field.ts (quotient from the floating-point product,
 * remainder from the exact low 32 bits via `Math.imul`) and do every conditional correction without
 * a branch: `x + (P & (x >> 31))` adds p exactly when x is negative. On random data the branchy
 * form mispredicts about half the time, and measured 4× slower (18 ns against 4.5 ns a butterfly).
 * Every intermediate stays in int32 range (elements are below p < 2^31, sums below 2^32 are taken
 * as u + v − p ∈ (−p, p)), so V8 keeps the whole loop in 32-bit integer registers. Two further
 * ideas measured and left out: precomputing w/p per twiddle (a Float64Array beside the table) was
 * slightly slower than the extra multiplication it saves, and fusing two passes into one radix-4
 * loop saved about 15%, not worth the second copy of the butterfly.
 *
 * Inputs must be canonical (every element in [0, p)), as everywhere in this package; outputs are.
 */
import { inv, isCanonical, P as MODULUS, mul, rootOfUnity, TWO_ADICITY } from './field.js';

// Module-local copies: a transpiler that rewrites imports into property reads on a namespace
// object (as test runners do) must not put a getter call inside the butterfly loop.
const P = MODULUS;
const PINV = 1 / P;

/** Forward twiddles by log2 of the transform size, built on first use. */
const forwardTables = new Map<number, Uint32Array>();
/** Inverse twiddles (powers of ω^-1) by log2 of the transform size, built on first use. */
const inverseTables = new Map<number, Uint32Array>();

function buildTwiddles(logN: number, inverse: boolean): Uint32Array {
  const n = 1 << logN;
  const w = new Uint32Array(n);
  if (n < 2) return w;
  // The largest pass (m = n/2) needs the powers of the full root; every smaller pass uses the even
  // powers of the next larger one (ω_{2m} = ω_{4m}^2), so each row is a stride-2 copy.
  const root = inverse ? inv(rootOfUnity(logN)) : rootOfUnity(logN);
  const half = n >> 1;
  let x = 1;
  for (let j = 0; j < half; j++) {
    w[half + j] = x;
    x = mul(x, root);
  }
  for (let m = half >> 1; m >= 1; m >>= 1) {
    for (let j = 0; j < m; j++) w[m + j] = w[2 * m + 2 * j] as number;
  }
  return w;
}

function twiddles(logN: number, inverse: boolean): Uint32Array {
  const cache = inverse ? inverseTables : forwardTables;
  let t = cache.get(logN);
  if (t === undefined) {
    t = buildTwiddles(logN, inverse);
    cache.set(logN, t);
  }
  return t;
}

/** log2 of a power-of-two length; throws on anything else (the domain must be a subgroup). */
function log2Exact(n: number): number {
  if (n < 1 || n > 2 ** TWO_ADICITY || (n & (n - 1)) !== 0) {
    throw new RangeError(`NTT length must be a power of two up to 2^${TWO_ADICITY}, got ${n}`);
  }
  return 31 - Math.clz32(n);
}

/** The scaling loops assume a canonical multiplier; anything else would give silent garbage. */
function checkShift(shift: number): void {
  if (!isCanonical(shift)) throw new RangeError(`coset shift must be a field element in [0, p), got ${shift}`);
}

/** Permutes `a` into bit-reversed index order (an involution), swapping each pair once. */
function bitReverse(a: Uint32Array): void {
  const n = a.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const t = a[i] as number;
      a[i] = a[j] as number;
      a[j] = t;
    }
  }
}

/** The butterfly passes on bit-reversed input; leaves natural-order output, unscaled. */
function butterflies(a: Uint32Array, tw: Uint32Array): void {
  const n = a.length;
  // First pass (m = 1): the only twiddle is 1, so no multiplication.
  for (let k = 0; k < n; k += 2) {
    const u = (a[k] as number) | 0;
    const v = (a[k + 1] as number) | 0;
    const s = (u + v - P) | 0;
    const d = (u - v) | 0;
    a[k] = s + (P & (s >> 31));
    a[k + 1] = d + (P & (d >> 31));
  }
  for (let m = 2; m < n; m <<= 1) {
    const step = m << 1;
    for (let k = 0; k < n; k += step) {
      for (let j = 0; j < m; j++) {
        const i1 = k + j;
        const i2 = i1 + m;
        const w = (tw[m + j] as number) | 0;
        const x = (a[i2] as number) | 0;
        // v = x·w mod p, inlined from field.ts `mul`.
        const q = (x * w * PINV + 0.5) | 0;
        let v = (Math.imul(x, w) - Math.imul(q, P)) | 0;
        v += P & (v >> 31);
        const u = (a[i1] as number) | 0;
        const s = (u + v - P) | 0;
        const d = (u - v) | 0;
        a[i1] = s + (P & (s >> 31));
        a[i2] = d + (P & (d >> 31));
      }
    }
  }
}

/** Multiplies element i by c·g^i: the coset shift, with a constant factor (the 1/n) folded in. */
function scalePowers(a: Uint32Array, c: number, g: number): void {
  let x = c | 0;
  for (let i = 0; i < a.length; i++) {
    const y = (a[i] as number) | 0;
    const q = (y * x * PINV + 0.5) | 0;
    const r = (Math.imul(y, x) - Math.imul(q, P)) | 0;
    a[i] = r + (P & (r >> 31));
    // x ← x·g, the next power.
    const qx = (x * g * PINV + 0.5) | 0;
    const rx = (Math.imul(x, g) - Math.imul(qx, P)) | 0;
    x = rx + (P & (rx >> 31));
  }
}

/** The inverse transform without the final 1/n. */
function inttUnscaled(values: Uint32Array, logN: number): void {
  if (values.length < 2) return;
  bitReverse(values);
  butterflies(values, twiddles(logN, true));
}

/**
 * Coefficients → evaluations on the subgroup H of size n = values.length generated by
 * rootOfUnity(log2 n), in place: afterwards values[i] = f(ω^i).
 */
export function ntt(values: Uint32Array): void {
  const logN = log2Exact(values.length);
  if (values.length < 2) return;
  bitReverse(values);
  butterflies(values, twiddles(logN, false));
}

/** Evaluations on H → coefficients, in place (the inverse of `ntt`, including the 1/n). */
export function intt(values: Uint32Array): void {
  const logN = log2Exact(values.length);
  inttUnscaled(values, logN);
  if (values.length > 1) scalePowers(values, inv(values.length), 1);
}

/** Coefficients → evaluations on the coset shift·H, in place: values[i] = f(shift·ω^i). */
export function cosetNtt(coeffs: Uint32Array, shift: number): void {
  log2Exact(coeffs.length);
  checkShift(shift);
  // f(shift·x) has coefficients c_i·shift^i, so scale and transform as usual.
  scalePowers(coeffs, 1, shift);
  ntt(coeffs);
}

/**
 * Low-degree extension: from the evaluations of f (deg f < n) on H of size n, the evaluations of f
 * on the coset shift·H' with |H'| = n·2^logBlowup, in natural order (out[i] = f(shift·ω'^i)).
 * The shift should lie outside H' (for a STARK, the field generator), so the extended domain is
 * disjoint from the trace domain. A new array is returned; `evals` is left untouched.
 */
export function lde(evals: Uint32Array, logBlowup: number, shift: number): Uint32Array {
  const n = evals.length;
  const logN = log2Exact(n);
  if (!Number.isInteger(logBlowup) || logBlowup < 0 || logN + logBlowup > TWO_ADICITY) {
    throw new RangeError(`no NTT domain of 2^${logN} · 2^${logBlowup} points in BabyBear`);
  }
  checkShift(shift);
  const out = new Uint32Array(n << logBlowup);
  out.set(evals);
  const coeffs = out.subarray(0, n);
  inttUnscaled(coeffs, logN);
  // The 1/n of the inverse transform rides on the coset scaling: one pass over n elements instead
  // of two; the zero padding needs no scaling at all.
  scalePowers(coeffs, inv(n), shift);
  ntt(out);
  return out;
}
