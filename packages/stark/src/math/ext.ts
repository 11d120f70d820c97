/**
 * F_p^4 = F_p[X] / (X^4 − 11), the degree-4 extension of BabyBear that Plonky3 uses for
 * challenges (X^4 − 11 is irreducible over BabyBear: 11 is not a square, and −44 not a fourth
 * power — checked in the tests). |F_p^4| ≈ 2^124, which bounds the soundness error of every
 * challenge drawn from it.
 *
 * An element is a 4-tuple of canonical base-field numbers, lowest coefficient first. Vectors of
 * extension elements are `Uint32Array`s of length 4n, element i at [4i, 4i + 4).
 */
import { add as fadd, inv as finv, mul as fmul, neg as fneg, sub as fsub } from './field.js';

export type Ext = [number, number, number, number];

/** The non-residue W with X^4 = W. */
export const W = 11;
export const DEGREE = 4;

export const ZERO: Readonly<Ext> = [0, 0, 0, 0];
export const ONE: Readonly<Ext> = [1, 0, 0, 0];

export function fromBase(a: number): Ext {
  return [a, 0, 0, 0];
}

export function isBase(a: Readonly<Ext>): boolean {
  return a[1] === 0 && a[2] === 0 && a[3] === 0;
}

export function eq(a: Readonly<Ext>, b: Readonly<Ext>): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

export function add(a: Readonly<Ext>, b: Readonly<Ext>): Ext {
  return [fadd(a[0], b[0]), fadd(a[1], b[1]), fadd(a[2], b[2]), fadd(a[3], b[3])];
}

export function sub(a: Readonly<Ext>, b: Readonly<Ext>): Ext {
  return [fsub(a[0], b[0]), fsub(a[1], b[1]), fsub(a[2], b[2]), fsub(a[3], b[3])];
}

export function neg(a: Readonly<Ext>): Ext {
  return [fneg(a[0]), fneg(a[1]), fneg(a[2]), fneg(a[3])];
}

/** a + b for a base-field b. */
export function addBase(a: Readonly<Ext>, b: number): Ext {
  return [fadd(a[0], b), a[1], a[2], a[3]];
}

/** a − b for a base-field b. */
export function subBase(a: Readonly<Ext>, b: number): Ext {
  return [fsub(a[0], b), a[1], a[2], a[3]];
}

/** a · b for a base-field b. */
export function mulBase(a: Readonly<Ext>, b: number): Ext {
  return [fmul(a[0], b), fmul(a[1], b), fmul(a[2], b), fmul(a[3], b)];
}

export function mul(a: Readonly<Ext>, b: Readonly<Ext>): Ext {
  const [a0, a1, a2, a3] = a;
  const [b0, b1, b2, b3] = b;
  // Schoolbook product; the terms of X^4, X^5, X^6 fold back multiplied by W.
  const c0 = fadd(fmul(a0, b0), fmul(W, fadd(fadd(fmul(a1, b3), fmul(a2, b2)), fmul(a3, b1))));
  const c1 = fadd(fadd(fmul(a0, b1), fmul(a1, b0)), fmul(W, fadd(fmul(a2, b3), fmul(a3, b2))));
  const c2 = fadd(fadd(fadd(fmul(a0, b2), fmul(a1, b1)), fmul(a2, b0)), fmul(W, fmul(a3, b3)));
  const c3 = fadd(fadd(fmul(a0, b3), fmul(a1, b2)), fadd(fmul(a2, b1), fmul(a3, b0)));
  return [c0, c1, c2, c3];
}

export function square(a: Readonly<Ext>): Ext {
  return mul(a, a);
}

export function pow(a: Readonly<Ext>, e: number): Ext {
  let result: Ext = [1, 0, 0, 0];
  let base: Ext = [a[0], a[1], a[2], a[3]];
  let n = e;
  while (n > 0) {
    if (n % 2 === 1) result = mul(result, base);
    base = mul(base, base);
    n = Math.floor(n / 2);
  }
  return result;
}

/**
 * a^-1. With a = A + B·X^2 (A, B in F_p[X]/(X^2 − W·…)): the conjugate under X → −X gives
 * a·a(−X) = N0 + N1·X^2, a norm into the quadratic subfield F_p[Y]/(Y^2 − W), Y = X^2, which is
 * inverted the same way once more.
 */
export function inv(a: Readonly<Ext>): Ext {
  const [a0, a1, a2, a3] = a;
  if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) throw new RangeError('zero has no inverse in F_p^4');
  // b = a(−X) = a0 − a1 X + a2 X^2 − a3 X^3; a·b has only even powers: n0 + n2 X^2.
  const b: Ext = [a0, fneg(a1), a2, fneg(a3)];
  const ab = mul(a, b);
  const n0 = ab[0];
  const n2 = ab[2];
  // In F_p[Y]/(Y^2 − W): (n0 + n2 Y)^-1 = (n0 − n2 Y) / (n0^2 − W n2^2).
  const d = finv(fsub(fmul(n0, n0), fmul(W, fmul(n2, n2))));
  const m0 = fmul(n0, d);
  const m2 = fneg(fmul(n2, d));
  // a^-1 = b · (m0 + m2 X^2)
  return mul(b, [m0, 0, m2, 0]);
}

export function div(a: Readonly<Ext>, b: Readonly<Ext>): Ext {
  return mul(a, inv(b));
}

/** Reads element i of a packed vector. */
export function at(v: Uint32Array, i: number): Ext {
  const o = 4 * i;
  return [v[o] as number, v[o + 1] as number, v[o + 2] as number, v[o + 3] as number];
}

/** Writes element i of a packed vector. */
export function put(v: Uint32Array, i: number, a: Readonly<Ext>): void {
  const o = 4 * i;
  v[o] = a[0];
  v[o + 1] = a[1];
  v[o + 2] = a[2];
  v[o + 3] = a[3];
}

/** Inverts every element of a packed vector with one inversion (Montgomery's trick). */
export function batchInverse(v: Uint32Array): Uint32Array {
  const n = v.length / 4;
  const out = new Uint32Array(v.length);
  if (n === 0) return out;
  let acc: Ext = [1, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    put(out, i, acc);
    const x = at(v, i);
    if (eq(x, ZERO)) throw new RangeError(`batchInverse: element ${i} is zero`);
    acc = mul(acc, x);
  }
  let invAcc = inv(acc);
  for (let i = n - 1; i >= 0; i--) {
    const x = at(v, i);
    put(out, i, mul(at(out, i), invAcc));
    invAcc = mul(invAcc, x);
  }
  return out;
}
