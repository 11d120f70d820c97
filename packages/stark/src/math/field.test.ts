import { describe, expect, it } from 'vitest';
import { fieldSampler, mod, modPow, PB, rng } from '../testing/reference.js';
import {
  add,
  batchInverse,
  div,
  fromBigInt,
  fromInt,
  GENERATOR,
  inv,
  isCanonical,
  mul,
  neg,
  P,
  pow,
  powers,
  rootOfUnity,
  square,
  sub,
  TWO_ADICITY,
} from './field.js';

// BigInt arithmetic is the independent reference: slow, but with no precision questions.

// The values where a reduction or the rounding of the floating-point quotient would go wrong first.
const EDGES = [
  0,
  1,
  2,
  P - 1,
  P - 2,
  (P - 1) / 2,
  (P + 1) / 2,
  2 ** 30,
  2 ** 30 - 1,
  2 ** 30 + 1,
  2 ** 27,
  2 ** 31 - P,
];

describe('BabyBear constants', () => {
  it('p = 15·2^27 + 1 is prime (deterministic Miller–Rabin for n < 3.4·10^14)', () => {
    expect(P).toBe(15 * 2 ** 27 + 1);
    expect(TWO_ADICITY).toBe(27);
    const n = PB;
    const d = (n - 1n) >> 27n; // n − 1 = d·2^27 with d = 15 odd
    expect(d).toBe(15n);
    for (const a of [2n, 3n, 5n, 7n, 11n, 13n, 17n]) {
      let x = modPow(a, d);
      if (x === 1n || x === n - 1n) continue;
      let witness = true;
      for (let r = 1; r < 27; r++) {
        x = (x * x) % n;
        if (x === n - 1n) {
          witness = false;
          break;
        }
      }
      expect(witness, `base ${a} proves p composite`).toBe(false);
    }
  });

  it('GENERATOR = 31 generates the whole multiplicative group', () => {
    // p − 1 = 2^27 · 3 · 5; g is a generator iff g^((p−1)/q) ≠ 1 for each prime q dividing p − 1.
    expect(2 ** 27 * 3 * 5).toBe(P - 1);
    expect(GENERATOR).toBe(31);
    for (const q of [2, 3, 5]) {
      expect(pow(GENERATOR, (P - 1) / q)).not.toBe(1);
      expect(modPow(31n, (PB - 1n) / BigInt(q))).not.toBe(1n);
    }
    expect(pow(GENERATOR, P - 1)).toBe(1);
  });
});

describe('BabyBear arithmetic against BigInt', () => {
  const sample = fieldSampler(1);
  const pairs: [number, number][] = [];
  for (const a of EDGES) for (const b of EDGES) pairs.push([a, b]);
  for (let i = 0; i < 20_000; i++) pairs.push([sample(), sample()]);
  // Products a·b ≡ (p ± 1)/2 (mod p) put a·b/p within 1/(2p) of a half-integer, where rounding the
  // floating-point quotient is closest to a tie and the remainder is at the edge of its range.
  for (let i = 0; i < 2_000; i++) {
    const a = sample() || 1;
    const target = i % 2 === 0 ? (PB - 1n) / 2n : (PB + 1n) / 2n;
    pairs.push([a, Number((target * modPow(BigInt(a), PB - 2n)) % PB)]);
  }

  it('mul, add, sub, square, neg match BigInt on random and edge values', () => {
    for (const [a, b] of pairs) {
      const A = BigInt(a);
      const B = BigInt(b);
      const m = mul(a, b);
      if (m !== Number((A * B) % PB)) expect.fail(`mul(${a}, ${b}) = ${m}, want ${(A * B) % PB}`);
      if (add(a, b) !== Number((A + B) % PB)) expect.fail(`add(${a}, ${b})`);
      if (sub(a, b) !== Number(mod(A - B))) expect.fail(`sub(${a}, ${b})`);
      if (square(a) !== Number((A * A) % PB)) expect.fail(`square(${a})`);
      if (neg(a) !== Number(mod(-A))) expect.fail(`neg(${a})`);
      if (!isCanonical(m)) expect.fail(`mul(${a}, ${b}) not canonical`);
    }
  });

  it('inv and div match BigInt (Fermat), and a·inv(a) = 1', () => {
    const values = [...EDGES.filter((v) => v !== 0), ...pairs.slice(-3_000).map(([a]) => a)].filter((v) => v !== 0);
    for (const a of values) {
      const i = inv(a);
      expect(i).toBe(Number(modPow(BigInt(a), PB - 2n)));
      expect(mul(a, i)).toBe(1);
      expect(div(7, a)).toBe(mul(7, i));
    }
    expect(() => inv(0)).toThrow(RangeError);
    expect(() => div(1, 0)).toThrow(RangeError);
  });

  it('pow matches BigInt for exponents up to 2^53', () => {
    const sample2 = fieldSampler(2);
    const next = rng(3);
    for (let i = 0; i < 500; i++) {
      const a = i < EDGES.length ? (EDGES[i] as number) : sample2();
      // A random safe integer exponent, small ones too.
      const e = i % 5 === 0 ? i : (next() % 2 ** 21) * 2 ** 32 + next();
      expect(pow(a, e)).toBe(Number(modPow(BigInt(a), BigInt(e))));
    }
    expect(pow(0, 0)).toBe(1);
    expect(pow(5, P - 1)).toBe(1);
    expect(pow(5, Number.MAX_SAFE_INTEGER)).toBe(Number(modPow(5n, BigInt(Number.MAX_SAFE_INTEGER))));
  });
});

describe('conversions', () => {
  it('fromInt reduces negatives and large safe integers', () => {
    expect(fromInt(-1)).toBe(P - 1);
    expect(fromInt(-P)).toBe(0);
    expect(fromInt(-P - 1)).toBe(P - 1);
    expect(fromInt(P)).toBe(0);
    for (const n of [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, -123456789012345, 98765432109876, -(2 ** 31)]) {
      expect(fromInt(n)).toBe(Number(mod(BigInt(n))));
    }
    expect(() => fromInt(2 ** 53)).toThrow(RangeError);
    expect(() => fromInt(1.5)).toThrow(RangeError);
    expect(() => fromInt(Number.NaN)).toThrow(RangeError);
  });

  // For a negative multiple of p, `n % P` is −0: it must come back as +0 (Object.is tells them apart).
  it('fromInt returns +0, never −0, for negative multiples of p', () => {
    expect(Object.is(fromInt(-P), 0)).toBe(true);
    expect(Object.is(fromInt(-0), 0)).toBe(true);
  });

  it('fromBigInt reduces', () => {
    expect(fromBigInt(PB * 5n + 3n)).toBe(3);
    expect(fromBigInt(2n ** 200n)).toBe(Number(modPow(2n, 200n)));
  });
});

describe('roots of unity', () => {
  it('rootOfUnity(k) has order exactly 2^k for every k ≤ 27', () => {
    for (let k = 0; k <= TWO_ADICITY; k++) {
      const w = rootOfUnity(k);
      expect(pow(w, 2 ** k)).toBe(1);
      if (k > 0) expect(pow(w, 2 ** (k - 1))).toBe(P - 1);
      // Independently: the order divides 2^k and not 2^(k−1).
      expect(modPow(BigInt(w), 2n ** BigInt(k))).toBe(1n);
      if (k > 0) expect(modPow(BigInt(w), 2n ** BigInt(k - 1))).not.toBe(1n);
    }
    expect(rootOfUnity(0)).toBe(1);
    expect(rootOfUnity(1)).toBe(P - 1);
  });

  it('the roots are consistent: rootOfUnity(k)^2 = rootOfUnity(k − 1)', () => {
    // The NTT's twiddle tables rely on this to share rows between sizes.
    for (let k = 1; k <= TWO_ADICITY; k++) expect(square(rootOfUnity(k))).toBe(rootOfUnity(k - 1));
  });

  it('rootOfUnity rejects orders the field lacks', () => {
    expect(() => rootOfUnity(28)).toThrow(RangeError);
    expect(() => rootOfUnity(-1)).toThrow(RangeError);
    expect(() => rootOfUnity(2.5)).toThrow(RangeError);
  });

  it('powers lists g^i', () => {
    const w = rootOfUnity(4);
    const ps = powers(w, 16);
    for (let i = 0; i < 16; i++) expect(ps[i]).toBe(pow(w, i));
    expect(powers(3, 0).length).toBe(0);
  });
});

describe('batchInverse', () => {
  it('matches inv element by element', () => {
    const sample = fieldSampler(4);
    const values = Uint32Array.from([...EDGES.filter((v) => v !== 0), ...Array.from({ length: 1000 }, () => sample())]);
    for (let i = 0; i < values.length; i++) if (values[i] === 0) values[i] = 1;
    const out = batchInverse(values);
    expect(out.length).toBe(values.length);
    for (let i = 0; i < values.length; i++) expect(out[i]).toBe(inv(values[i] as number));
    expect(batchInverse(new Uint32Array(0)).length).toBe(0);
    expect(Array.from(batchInverse(Uint32Array.of(P - 1)))).toEqual([P - 1]);
  });

  it('throws on a zero anywhere', () => {
    expect(() => batchInverse(Uint32Array.of(0))).toThrow(RangeError);
    expect(() => batchInverse(Uint32Array.of(1, 2, 0, 4))).toThrow(/element 2/);
    expect(() => batchInverse(Uint32Array.of(5, 6, 7, 0))).toThrow(/element 3/);
  });
});
