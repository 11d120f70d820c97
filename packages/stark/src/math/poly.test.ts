import { describe, expect, it } from 'vitest';
import { type BigExt, fromBig, mod, modPow, mulRef, PB, rng, toBig } from '../testing/reference.js';
import { at, type Ext, add as eadd, mul as emul, pow as epow, fromBase } from './ext.js';
import { GENERATOR, P, pow, rootOfUnity } from './field.js';
import { ntt } from './ntt.js';
import { degree, evaluateAtExt, evaluateBase, evaluateExtPolyAtExt, interpolate, vanishingAt } from './poly.js';

/** Σ c_i z^i as a plain sum of powers (not Horner), in BigInt; c_i extension elements. */
function evalExtRef(coeffs: BigExt[], z: BigExt): Ext {
  const acc: BigExt = [0n, 0n, 0n, 0n];
  let zi: BigExt = [1n, 0n, 0n, 0n];
  for (const c of coeffs) {
    const t = mulRef(c, zi);
    for (let k = 0; k < 4; k++) acc[k] = mod((acc[k] as bigint) + (t[k] as bigint));
    zi = mulRef(zi, z);
  }
  return fromBig(acc);
}

function fieldSampler(seed: number): () => number {
  const next = rng(seed);
  return () => {
    for (;;) {
      const r = next() >>> 1;
      if (r < P) return r;
    }
  };
}

const sample = fieldSampler(21);
const randomVector = (n: number): Uint32Array => Uint32Array.from({ length: n }, () => sample());
const randomExt = (): Ext => [sample(), sample(), sample(), sample()];

describe('evaluateBase', () => {
  it('matches Σ c_i x^i in BigInt', () => {
    for (const n of [0, 1, 2, 3, 10, 100, 257]) {
      const coeffs = randomVector(n);
      for (const x of [0, 1, 2, P - 1, (P + 1) / 2, GENERATOR, sample(), sample()]) {
        let want = 0n;
        for (let i = 0; i < n; i++) want = mod(want + BigInt(coeffs[i] as number) * modPow(BigInt(x), BigInt(i)));
        expect(evaluateBase(coeffs, x), `n = ${n}, x = ${x}`).toBe(Number(want));
      }
    }
  });

  it('f(0) is the constant term and f(1) the sum of the coefficients', () => {
    const coeffs = Uint32Array.of(5, P - 1, 7, 3);
    expect(evaluateBase(coeffs, 0)).toBe(5);
    expect(evaluateBase(coeffs, 1)).toBe(14);
    expect(evaluateBase(new Uint32Array(0), 12345)).toBe(0);
  });
});

describe('evaluateAtExt', () => {
  it('matches a BigInt sum of powers for base coefficients at an extension point', () => {
    for (const n of [0, 1, 2, 5, 64, 129]) {
      const coeffs = randomVector(n);
      for (let trial = 0; trial < 4; trial++) {
        const z = trial === 0 ? ([0, 1, 0, 0] as Ext) : randomExt();
        const want = evalExtRef(
          Array.from(coeffs, (c) => [BigInt(c), 0n, 0n, 0n] as BigExt),
          toBig(z),
        );
        expect(evaluateAtExt(coeffs, z), `n = ${n}`).toEqual(want);
      }
    }
  });

  it('agrees with ext.ts arithmetic and with evaluateBase on base points', () => {
    const coeffs = randomVector(40);
    const z = randomExt();
    let want: Ext = [0, 0, 0, 0];
    for (let i = 0; i < coeffs.length; i++) want = eadd(want, emul(fromBase(coeffs[i] as number), epow(z, i)));
    expect(evaluateAtExt(coeffs, z)).toEqual(want);
    const x = sample();
    expect(evaluateAtExt(coeffs, fromBase(x))).toEqual(fromBase(evaluateBase(coeffs, x)));
  });

  it('at z = X the coefficients fold mod X^4 − 11', () => {
    // f(X) = Σ c_i X^i with X^4 = 11: coefficient k collects c_{k + 4j}·11^j.
    const coeffs = Uint32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    expect(evaluateAtExt(coeffs, [0, 1, 0, 0])).toEqual([1 + 5 * 11 + 9 * 121, 2 + 6 * 11, 3 + 7 * 11, 4 + 8 * 11]);
  });

  it('does not modify z', () => {
    const z: Ext = [1, 2, 3, 4];
    evaluateAtExt(randomVector(10), z);
    expect(z).toEqual([1, 2, 3, 4]);
  });
});

describe('evaluateExtPolyAtExt', () => {
  it('matches a BigInt sum of powers for extension coefficients', () => {
    for (const n of [0, 1, 2, 7, 64]) {
      const packed = randomVector(4 * n);
      const z = randomExt();
      const coeffs = Array.from({ length: n }, (_, i) => toBig(at(packed, i)));
      expect(evaluateExtPolyAtExt(packed, z), `n = ${n}`).toEqual(evalExtRef(coeffs, toBig(z)));
    }
  });

  it('with base coefficients (zero upper limbs) it equals evaluateAtExt', () => {
    const base = randomVector(33);
    const packed = new Uint32Array(4 * base.length);
    for (let i = 0; i < base.length; i++) packed[4 * i] = base[i] as number;
    const z = randomExt();
    expect(evaluateExtPolyAtExt(packed, z)).toEqual(evaluateAtExt(base, z));
  });

  it('rejects a packed vector whose length is not a multiple of 4', () => {
    expect(() => evaluateExtPolyAtExt(new Uint32Array(6), [1, 0, 0, 0])).toThrow(RangeError);
  });
});

describe('interpolate', () => {
  it('returns coefficients whose evaluations on H are the input, and leaves the input alone', () => {
    for (const log of [0, 1, 3, 6]) {
      const n = 1 << log;
      const evals = randomVector(n);
      const before = evals.slice();
      const coeffs = interpolate(evals);
      expect(evals).toEqual(before);
      const w = rootOfUnity(log);
      for (let i = 0; i < n; i++) expect(evaluateBase(coeffs, pow(w, i))).toBe(evals[i]);
      const again = coeffs.slice();
      ntt(again);
      expect(again).toEqual(evals);
    }
  });
});

describe('degree', () => {
  it('is the index of the highest non-zero coefficient, −1 for zero', () => {
    expect(degree(new Uint32Array(0))).toBe(-1);
    expect(degree(new Uint32Array(8))).toBe(-1);
    expect(degree(Uint32Array.of(7))).toBe(0);
    expect(degree(Uint32Array.of(0, 0, 5, 0))).toBe(2);
    expect(degree(Uint32Array.of(1, 0, 0, P - 1))).toBe(3);
  });

  it('of an interpolant is below n, and exactly n − 1 for a generic one', () => {
    const n = 64;
    expect(degree(interpolate(randomVector(n)))).toBe(n - 1);
    // Evaluations of a degree-9 polynomial on H interpolate back to degree 9.
    const coeffs = new Uint32Array(n);
    coeffs.set(randomVector(10));
    coeffs[9] = 1;
    const evals = coeffs.slice();
    ntt(evals);
    expect(degree(interpolate(evals))).toBe(9);
  });
});

describe('vanishingAt', () => {
  it('is zero exactly on H: over a larger subgroup, on 2^logN of its points', () => {
    for (let logN = 0; logN <= 8; logN++) {
      const n = 1 << logN;
      const big = rootOfUnity(logN + 2);
      let x = 1;
      let zeros = 0;
      for (let i = 0; i < 4 * n; i++) {
        const v = vanishingAt(logN, x);
        // x = big^i lies in H iff 4 divides i.
        expect(v === 0, `logN = ${logN}, i = ${i}`).toBe(i % 4 === 0);
        if (v === 0) zeros++;
        x = Number((BigInt(x) * BigInt(big)) % PB);
      }
      expect(zeros).toBe(n);
    }
  });

  it('matches x^(2^logN) − 1 in BigInt, non-zero off H (coset points, random points)', () => {
    for (const logN of [0, 1, 5, 10, 20, 27]) {
      for (const x of [0, 2, GENERATOR, P - 1, sample(), sample()]) {
        const want = mod(modPow(BigInt(x), 2n ** BigInt(logN)) - 1n);
        expect(vanishingAt(logN, x), `logN = ${logN}, x = ${x}`).toBe(Number(want));
      }
      // The STARK's evaluation coset g·H' never meets H: Z_H is invertible there.
      const w = rootOfUnity(Math.min(logN + 3, 27));
      let x = GENERATOR;
      for (let i = 0; i < 64; i++) {
        expect(vanishingAt(logN, x)).not.toBe(0);
        x = Number((BigInt(x) * BigInt(w)) % PB);
      }
    }
    expect(vanishingAt(3, 0)).toBe(P - 1);
    expect(() => vanishingAt(-1, 5)).toThrow(RangeError);
  });
});
