import { describe, expect, it } from 'vitest';
import { type BigExt, fromBig, mod, modPow, mulRef, PB, rng, toBig } from '../testing/reference.js';
import {
  add,
  addBase,
  at,
  batchInverse,
  DEGREE,
  div,
  type Ext,
  eq,
  fromBase,
  inv,
  isBase,
  mul,
  mulBase,
  neg,
  ONE,
  pow,
  put,
  square,
  sub,
  subBase,
  W,
  ZERO,
} from './ext.js';
import { inv as finv, P } from './field.js';

// BigInt arithmetic is the independent reference.

function powRef(a: BigExt, e: bigint): BigExt {
  let result: BigExt = [1n, 0n, 0n, 0n];
  let b = a;
  let n = e;
  while (n > 0n) {
    if (n & 1n) result = mulRef(result, b);
    b = mulRef(b, b);
    n >>= 1n;
  }
  return result;
}

function extSampler(seed: number): () => Ext {
  const next = rng(seed);
  const el = (): number => {
    for (;;) {
      const r = next() >>> 1;
      if (r < P) return r;
    }
  };
  return () => [el(), el(), el(), el()];
}

const EDGE_COEFFS = [0, 1, 2, 11, P - 1, P - 2, (P - 1) / 2, (P + 1) / 2, 2 ** 30];
const sample = extSampler(11);
const edgeExt: Ext[] = [];
for (let i = 0; i < 60; i++) {
  const pick = (k: number) => EDGE_COEFFS[(i * 7 + k * 3 + (i >> 2)) % EDGE_COEFFS.length] as number;
  edgeExt.push([pick(0), pick(1), pick(2), pick(3)]);
}
edgeExt.push([P - 1, P - 1, P - 1, P - 1], [0, 0, 0, 1], [0, 0, 0, P - 1], [...ZERO] as Ext, [...ONE] as Ext);
const randomExt: Ext[] = Array.from({ length: 3000 }, () => sample());
const values = [...edgeExt, ...randomExt];

/** Polynomials over F_p as BigInt coefficient arrays, lowest first, for the irreducibility check. */
function trim(a: bigint[]): bigint[] {
  const out = a.map(mod);
  while (out.length > 0 && out[out.length - 1] === 0n) out.pop();
  return out;
}

function polyMod(a: bigint[], m: bigint[]): bigint[] {
  const r = trim(a);
  const lead = modPow(m[m.length - 1] as bigint, PB - 2n);
  while (r.length >= m.length) {
    const c = ((r[r.length - 1] as bigint) * lead) % PB;
    const shift = r.length - m.length;
    for (let i = 0; i < m.length; i++) r[shift + i] = mod((r[shift + i] as bigint) - c * (m[i] as bigint));
    const t = trim(r);
    r.length = 0;
    r.push(...t);
  }
  return r;
}

function polyMulMod(a: bigint[], b: bigint[], m: bigint[]): bigint[] {
  const c = new Array<bigint>(Math.max(0, a.length + b.length - 1)).fill(0n);
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < b.length; j++) c[i + j] = (c[i + j] as bigint) + (a[i] as bigint) * (b[j] as bigint);
  return polyMod(c, m);
}

function polyPowMod(a: bigint[], e: bigint, m: bigint[]): bigint[] {
  let result = [1n];
  let b = polyMod(a, m);
  let n = e;
  while (n > 0n) {
    if (n & 1n) result = polyMulMod(result, b, m);
    b = polyMulMod(b, b, m);
    n >>= 1n;
  }
  return result;
}

function polyGcd(a: bigint[], b: bigint[]): bigint[] {
  let x = trim(a);
  let y = trim(b);
  while (y.length > 0) [x, y] = [y, polyMod(x, y)];
  return x;
}

/**
 * Rabin's test for f = x^4 − a: a degree-4 f over F_p is irreducible iff X^(p^4) ≡ X (mod f) and
 * gcd(X^(p^2) − X, f) = 1 (4's only prime divisor is 2), i.e. no irreducible factor of degree 1 or
 * 2 divides f.
 */
function rabinIrreducibleQuartic(a: bigint): boolean {
  const f = [mod(-a), 0n, 0n, 0n, 1n];
  const frob: bigint[][] = []; // X^(p^k) mod f for k = 1..4
  let x = [0n, 1n];
  for (let k = 1; k <= 4; k++) {
    x = polyPowMod(x, PB, f);
    frob.push(x);
  }
  const isX = (g: bigint[]) => g.length === 2 && g[0] === 0n && g[1] === 1n;
  if (!isX(frob[3] as bigint[])) return false;
  const xp2 = [...(frob[1] as bigint[]), 0n, 0n];
  xp2[1] = (xp2[1] as bigint) - 1n;
  return polyGcd(xp2, f).length === 1; // a non-zero constant
}

describe('F_p^4 = F_p[X]/(X^4 − 11)', () => {
  it('has the advertised shape', () => {
    expect(W).toBe(11);
    expect(DEGREE).toBe(4);
  });

  it('X^4 − 11 is irreducible: 11 is not a square mod p', () => {
    // Theorem (Lang, Algebra, VI §9, Thm 9.1): for a field K, n ≥ 2 and a ∈ K, x^n − a is
    // irreducible iff a ∉ K^q for every prime q | n, and a ∉ −4K^4 when 4 | n. For n = 4 the
    // conditions are: a is not a square, and a ≠ −4c^4. Over F_p with p ≡ 1 (mod 4), −1 = i^2 and
    // −4 = (1 + i)^4, so −4K^4 = K^4 ⊂ K^2 and the second condition follows from the first:
    // x^4 − a is irreducible iff a is not a square, i.e. iff a^((p−1)/2) = −1 (Euler's criterion).
    expect(P % 4).toBe(1);
    expect(modPow(11n, (PB - 1n) / 2n)).toBe(PB - 1n);
    // The theorem's second condition, checked directly anyway: 11 ∉ −4K^4 ⟺ −11/4 is not a fourth
    // power ⟺ −44 = 16·(−11/4) is not one ⟺ (−44)^((p−1)/4) ≠ 1.
    expect(modPow(-44n, (PB - 1n) / 4n)).not.toBe(1n);
    // And the step the reduction uses: −4 is a fourth power when p ≡ 1 (mod 4).
    expect(modPow(-4n, (PB - 1n) / 4n)).toBe(1n);
  });

  it('X^4 − 11 is irreducible: Rabin’s test, independent of the theorem', () => {
    expect(rabinIrreducibleQuartic(11n)).toBe(true);
    // Controls, so the test is known to reject: 961 = 31^2 (x^4 − 961 = (x^2 − 31)(x^2 + 31)),
    // 16 = 2^4 (has the root 2), and −4 = (1 + i)^4 (Sophie Germain: x^4 + 4 factors over Q already).
    expect(rabinIrreducibleQuartic(961n)).toBe(false);
    expect(rabinIrreducibleQuartic(16n)).toBe(false);
    expect(rabinIrreducibleQuartic(-4n)).toBe(false);
    // The theorem's prediction, on the first few a: irreducible exactly for the non-squares.
    for (let a = 2n; a < 12n; a++) {
      expect(rabinIrreducibleQuartic(a)).toBe(modPow(a, (PB - 1n) / 2n) === PB - 1n);
    }
  });

  it('mul matches a BigInt schoolbook product mod X^4 − 11', () => {
    for (let i = 0; i < values.length; i++) {
      const a = values[i] as Ext;
      const b = values[(i * 31 + 7) % values.length] as Ext;
      const got = mul(a, b);
      const want = fromBig(mulRef(toBig(a), toBig(b)));
      if (!eq(got, want)) expect.fail(`mul(${a}, ${b}) = ${got}, want ${want}`);
      expect(eq(square(a), fromBig(mulRef(toBig(a), toBig(a))))).toBe(true);
    }
  });

  it('add, sub, neg and the base-field helpers are coefficient-wise', () => {
    for (let i = 0; i < 500; i++) {
      const a = values[i] as Ext;
      const b = values[values.length - 1 - i] as Ext;
      const A = toBig(a);
      const B = toBig(b);
      expect(add(a, b)).toEqual(A.map((x, k) => Number(mod(x + (B[k] as bigint)))));
      expect(sub(a, b)).toEqual(A.map((x, k) => Number(mod(x - (B[k] as bigint)))));
      expect(neg(a)).toEqual(A.map((x) => Number(mod(-x))));
      const c = b[0];
      expect(mulBase(a, c)).toEqual(mul(a, fromBase(c)));
      expect(addBase(a, c)).toEqual(add(a, fromBase(c)));
      expect(subBase(a, c)).toEqual(sub(a, fromBase(c)));
    }
    expect(isBase(fromBase(5))).toBe(true);
    expect(isBase([5, 0, 1, 0])).toBe(false);
  });

  it('inv(a)·a = 1, and inv matches a^(p^4 − 2)', () => {
    for (const a of values) {
      if (eq(a, ZERO)) continue;
      const i = inv(a);
      if (!eq(mul(a, i), [1, 0, 0, 0])) expect.fail(`inv(${a}) = ${i} is not an inverse`);
    }
    // Fermat in F_{p^4}: a^(p^4 − 1) = 1, so a^-1 = a^(p^4 − 2); a different route to the same value.
    const order = PB ** 4n - 1n;
    for (const a of randomExt.slice(0, 20)) {
      expect(fromBig(powRef(toBig(a), order))).toEqual([1, 0, 0, 0]);
      expect(inv(a)).toEqual(fromBig(powRef(toBig(a), order - 1n)));
    }
    // On the base field it agrees with the base inverse.
    expect(inv(fromBase(7))).toEqual(fromBase(finv(7)));
    expect(div([3, 4, 5, 6], [3, 4, 5, 6])).toEqual([1, 0, 0, 0]);
  });

  it('inv(0) throws', () => {
    expect(() => inv([0, 0, 0, 0])).toThrow(RangeError);
    expect(() => div(ONE, ZERO)).toThrow(RangeError);
  });

  it('pow matches repeated multiplication and a BigInt reference', () => {
    const next = rng(12);
    for (let i = 0; i < 200; i++) {
      const a = values[i * 13] as Ext;
      const e = i < 20 ? i : (next() % 2 ** 21) * 2 ** 32 + next();
      if (i < 20) {
        let want: Ext = [1, 0, 0, 0];
        for (let k = 0; k < e; k++) want = mul(want, a);
        expect(pow(a, e)).toEqual(want);
      }
      expect(pow(a, e)).toEqual(fromBig(powRef(toBig(a), BigInt(e))));
    }
  });

  it('batchInverse matches inv, and throws on a zero', () => {
    const n = 300;
    const v = new Uint32Array(4 * n);
    for (let i = 0; i < n; i++) put(v, i, values[i + 1] as Ext);
    for (let i = 0; i < n; i++) if (eq(at(v, i), ZERO)) put(v, i, ONE);
    const out = batchInverse(v);
    expect(out.length).toBe(v.length);
    for (let i = 0; i < n; i++) expect(at(out, i)).toEqual(inv(at(v, i)));
    expect(batchInverse(new Uint32Array(0)).length).toBe(0);
    put(v, 17, ZERO);
    expect(() => batchInverse(v)).toThrow(/element 17/);
  });
});
