import { describe, expect, it } from 'vitest';
import { mod, modPow, PB, rng } from '../testing/reference.js';
import { GENERATOR, P, rootOfUnity } from './field.js';
import { cosetNtt, intt, lde, ntt } from './ntt.js';

// The references are naive O(n²) sums in BigInt: nothing shared with the code under test except
// the choice of root (rootOfUnity, whose order field.test.ts checks).

const modInv = (x: bigint): bigint => modPow(x, PB - 2n);

/** f(x) = Σ c_i x^i. */
function evalRef(coeffs: ArrayLike<number>, x: bigint): bigint {
  let acc = 0n;
  for (let i = coeffs.length - 1; i >= 0; i--) acc = (acc * x + BigInt(coeffs[i] as number)) % PB;
  return acc;
}

/** out[i] = f(shift·ω^i) for ω of order n. */
function dftRef(coeffs: ArrayLike<number>, n: number, shift = 1n): number[] {
  const w = BigInt(rootOfUnity(Math.log2(n)));
  const out: number[] = [];
  let x = mod(shift);
  for (let i = 0; i < n; i++) {
    out.push(Number(evalRef(coeffs, x)));
    x = (x * w) % PB;
  }
  return out;
}

/** c_j = (1/n) Σ_i y_i ω^(−ij): the coefficients of the polynomial of degree < n through the y_i. */
function interpolateRef(evals: ArrayLike<number>): number[] {
  const n = evals.length;
  const wInv = modInv(BigInt(rootOfUnity(Math.log2(n))));
  const nInv = modInv(BigInt(n));
  const out: number[] = [];
  for (let j = 0; j < n; j++) {
    let acc = 0n;
    const step = modPow(wInv, BigInt(j));
    let x = 1n;
    for (let i = 0; i < n; i++) {
      acc = (acc + BigInt(evals[i] as number) * x) % PB;
      x = (x * step) % PB;
    }
    out.push(Number((acc * nInv) % PB));
  }
  return out;
}

function randomVector(n: number, seed: number): Uint32Array {
  const next = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = next() >>> 1;
    while (r >= P) r = next() >>> 1;
    out[i] = r;
  }
  // Edge values in the first slots, where they meet every twiddle of the first passes.
  const edges = [0, 1, P - 1, P - 2, (P - 1) / 2, (P + 1) / 2, 2 ** 30];
  for (let i = 0; i < Math.min(n, edges.length); i++) out[i] = edges[i] as number;
  return out;
}

const SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256];

describe('ntt / intt', () => {
  it('ntt matches a naive DFT for n = 1 … 256', () => {
    for (const n of SIZES) {
      const coeffs = randomVector(n, n);
      const values = coeffs.slice();
      ntt(values);
      expect(Array.from(values), `n = ${n}`).toEqual(dftRef(coeffs, n));
    }
  });

  it('ntt of a monomial x^k is the column of powers ω^(ik)', () => {
    const n = 32;
    const w = BigInt(rootOfUnity(5));
    for (let k = 0; k < n; k++) {
      const v = new Uint32Array(n);
      v[k] = 1;
      ntt(v);
      for (let i = 0; i < n; i++) expect(v[i]).toBe(Number(modPow(w, BigInt(i * k))));
    }
  });

  it('intt matches naive interpolation, and intt(ntt(x)) = x = ntt(intt(x))', () => {
    for (const n of SIZES) {
      const x = randomVector(n, 100 + n);
      const c = x.slice();
      intt(c);
      expect(Array.from(c), `n = ${n}`).toEqual(interpolateRef(x));
      ntt(c);
      expect(Array.from(c)).toEqual(Array.from(x));
    }
    for (let log = 9; log <= 14; log++) {
      const x = randomVector(1 << log, log);
      const y = x.slice();
      ntt(y);
      intt(y);
      expect(y).toEqual(x);
      intt(y);
      ntt(y);
      expect(y).toEqual(x);
    }
  });

  it('large sizes agree with Horner at sampled points (the big twiddle tables)', () => {
    const log = 16;
    const n = 1 << log;
    const coeffs = randomVector(n, 7);
    const values = coeffs.slice();
    ntt(values);
    const w = BigInt(rootOfUnity(log));
    const next = rng(8);
    for (const i of [0, 1, 2, n / 2, n - 1, ...Array.from({ length: 12 }, () => next() % n)]) {
      expect(values[i], `index ${i}`).toBe(Number(evalRef(coeffs, modPow(w, BigInt(i)))));
    }
  });

  it('works on a view into a larger buffer', () => {
    const backing = randomVector(64, 9);
    const view = backing.subarray(16, 48);
    const coeffs = view.slice();
    ntt(view);
    expect(Array.from(view)).toEqual(dftRef(coeffs, 32));
    expect(Array.from(backing.subarray(0, 16))).toEqual(Array.from(randomVector(64, 9).subarray(0, 16)));
  });

  it('rejects lengths that are not powers of two', () => {
    for (const n of [0, 3, 6, 12, 100]) {
      expect(() => ntt(new Uint32Array(n))).toThrow(RangeError);
      expect(() => intt(new Uint32Array(n))).toThrow(RangeError);
      expect(() => cosetNtt(new Uint32Array(n), GENERATOR)).toThrow(RangeError);
      expect(() => lde(new Uint32Array(n), 1, GENERATOR)).toThrow(RangeError);
    }
  });
});

describe('cosetNtt', () => {
  it('matches naive evaluation on shift·H', () => {
    for (const n of SIZES) {
      for (const shift of [GENERATOR, 1, P - 1, 123456789]) {
        const coeffs = randomVector(n, 200 + n);
        const values = coeffs.slice();
        cosetNtt(values, shift);
        expect(Array.from(values), `n = ${n}, shift = ${shift}`).toEqual(dftRef(coeffs, n, BigInt(shift)));
      }
    }
  });

  it('rejects a shift that is not a canonical field element', () => {
    for (const shift of [-1, P, 1.5, Number.NaN]) {
      expect(() => cosetNtt(new Uint32Array(4), shift)).toThrow(RangeError);
      expect(() => lde(new Uint32Array(4), 1, shift)).toThrow(RangeError);
    }
  });
});

describe('lde', () => {
  it('matches the interpolated polynomial evaluated naively on the coset, blowups 2, 4, 8', () => {
    for (const n of [1, 2, 4, 8, 16, 32, 64]) {
      for (const logBlowup of [0, 1, 2, 3]) {
        const evals = randomVector(n, 300 + n * 4 + logBlowup);
        const before = evals.slice();
        const coeffs = interpolateRef(evals);
        const out = lde(evals, logBlowup, GENERATOR);
        expect(out.length).toBe(n << logBlowup);
        expect(Array.from(out), `n = ${n}, logBlowup = ${logBlowup}`).toEqual(
          dftRef(coeffs, n << logBlowup, BigInt(GENERATOR)),
        );
        expect(evals, 'lde must not modify its input').toEqual(before);
      }
    }
  });

  it('keeps the degree: the high coefficients of the extension are zero', () => {
    for (const [log, logBlowup] of [
      [4, 1],
      [6, 2],
      [8, 3],
      [10, 2],
    ] as const) {
      const n = 1 << log;
      const evals = randomVector(n, log * 10 + logBlowup);
      const out = lde(evals, logBlowup, GENERATOR);
      // Back to coefficients on the coset: those of f(g·x), c_i·g^i — zero from n on.
      intt(out);
      for (let i = n; i < out.length; i++)
        if (out[i] !== 0) expect.fail(`coefficient ${i} of ${out.length} is ${out[i]}`);
      const coeffs = evals.slice();
      intt(coeffs);
      const g = BigInt(GENERATOR);
      for (let i = 0; i < n; i++) {
        expect(out[i]).toBe(Number((BigInt(coeffs[i] as number) * modPow(g, BigInt(i))) % PB));
      }
    }
  });

  it('with shift 1 the extension contains the original evaluations at every 2^logBlowup-th point', () => {
    const evals = randomVector(64, 77);
    const out = lde(evals, 3, 1);
    for (let i = 0; i < 64; i++) expect(out[i * 8]).toBe(evals[i]);
  });

  it('rejects a domain beyond the two-adicity', () => {
    expect(() => lde(new Uint32Array(4), 26, GENERATOR)).toThrow(RangeError);
    expect(() => lde(new Uint32Array(4), -1, GENERATOR)).toThrow(RangeError);
    expect(() => lde(new Uint32Array(4), 0.5, GENERATOR)).toThrow(RangeError);
  });
});
