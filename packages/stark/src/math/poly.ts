/**
 * Polynomial helpers over BabyBear and its degree-4 extension. A polynomial is its coefficient
 * vector, lowest degree first: a `Uint32Array` of base-field coefficients, or a packed extension
 * vector (length 4n, coefficient i at [4i, 4i + 4), as in ext.ts).
 */
import type { Ext } from './ext.js';
import { W } from './ext.js';
import { add as addB, mul as mulB, sub } from './field.js';
import { intt } from './ntt.js';

/** f(x) for base coefficients and a base point (Horner). */
export function evaluateBase(coeffs: Uint32Array, x: number): number {
  let acc = 0;
  for (let i = coeffs.length - 1; i >= 0; i--) acc = addB(mulB(acc, x), coeffs[i] as number);
  return acc;
}

/**
 * out = a·z + (c0 + c1·X + c2·X^2 + c3·X^3) in F_p^4; `out` may be `a`. Horner runs this once per
 * coefficient, so it overwrites one accumulator instead of allocating two tuples per step (a
 * product and a sum); the product is the same schoolbook reduction mod X^4 − W as ext.ts `mul`
 * (the tests check the two agree).
 */
function mulAddInto(
  out: Ext,
  a: Readonly<Ext>,
  z: Readonly<Ext>,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
): void {
  const a0 = a[0];
  const a1 = a[1];
  const a2 = a[2];
  const a3 = a[3];
  const z0 = z[0];
  const z1 = z[1];
  const z2 = z[2];
  const z3 = z[3];
  out[0] = addB(addB(mulB(a0, z0), mulB(W, addB(addB(mulB(a1, z3), mulB(a2, z2)), mulB(a3, z1)))), c0);
  out[1] = addB(addB(addB(mulB(a0, z1), mulB(a1, z0)), mulB(W, addB(mulB(a2, z3), mulB(a3, z2)))), c1);
  out[2] = addB(addB(addB(addB(mulB(a0, z2), mulB(a1, z1)), mulB(a2, z0)), mulB(W, mulB(a3, z3))), c2);
  out[3] = addB(addB(addB(mulB(a0, z3), mulB(a1, z2)), addB(mulB(a2, z1), mulB(a3, z0))), c3);
}

/** f(z) for base coefficients at an extension point (the out-of-domain evaluation of a column). */
export function evaluateAtExt(coeffs: Uint32Array, z: Readonly<Ext>): Ext {
  const acc: Ext = [0, 0, 0, 0];
  for (let i = coeffs.length - 1; i >= 0; i--) mulAddInto(acc, acc, z, coeffs[i] as number, 0, 0, 0);
  return acc;
}

/** f(z) for extension coefficients (a packed vector of length 4n) at an extension point. */
export function evaluateExtPolyAtExt(coeffs: Uint32Array, z: Readonly<Ext>): Ext {
  if (coeffs.length % 4 !== 0) throw new RangeError(`packed extension vector of length ${coeffs.length}`);
  const acc: Ext = [0, 0, 0, 0];
  for (let o = coeffs.length - 4; o >= 0; o -= 4) {
    mulAddInto(
      acc,
      acc,
      z,
      coeffs[o] as number,
      coeffs[o + 1] as number,
      coeffs[o + 2] as number,
      coeffs[o + 3] as number,
    );
  }
  return acc;
}

/** The coefficients of the polynomial of degree < n taking these values on H (size n); a copy. */
export function interpolate(evals: Uint32Array): Uint32Array {
  const coeffs = evals.slice();
  intt(coeffs);
  return coeffs;
}

/** Index of the highest non-zero coefficient; −1 for the zero polynomial. */
export function degree(coeffs: Uint32Array): number {
  for (let i = coeffs.length - 1; i >= 0; i--) if (coeffs[i] !== 0) return i;
  return -1;
}

/** Z_H(x) = x^(2^logN) − 1, the polynomial vanishing exactly on H of size 2^logN. */
export function vanishingAt(logN: number, x: number): number {
  if (!Number.isInteger(logN) || logN < 0) throw new RangeError(`bad logN ${logN}`);
  let y = x;
  for (let i = 0; i < logN; i++) y = mulB(y, y);
  return sub(y, 1);
}
