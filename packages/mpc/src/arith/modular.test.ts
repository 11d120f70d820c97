import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MpcError } from '../errors.js';
import { naivePow } from '../testing/fixtures.js';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from '../testing/primes.js';
import { createBigIntArithmetic } from './bigint.js';
import {
  bitLength,
  crtCombine,
  crtModulus,
  gcd,
  hexToInt,
  intToHex,
  iroot,
  isPerfectPower,
  isqrt,
  jacobi,
  mod,
  modInverse,
  modPowCrt,
  powSigned,
  randomBelow,
  randomBits,
  randomSigned,
  randomUnit,
} from './modular.js';

const arith = createBigIntArithmetic();
const [p1, p2] = TEST_BLUM_PRIMES as [bigint, bigint];
const [s1] = TEST_SAFE_PRIMES as [bigint];

function caught(fn: () => unknown): MpcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MpcError) return error;
    throw error;
  }
  throw new Error('expected an MpcError');
}

const big = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });

describe('reductions, gcd and inverses', () => {
  it('mod is always in [0, m)', () => {
    expect(mod(-7n, 5n)).toBe(3n);
    expect(mod(7n, 5n)).toBe(2n);
    expect(mod(-10n, 5n)).toBe(0n);
  });

  it('modInverse agrees with the definition (property)', () => {
    fc.assert(
      fc.property(big(300), (a) => {
        const m = p1;
        if (a % m === 0n) return;
        expect(mod(a * modInverse(a, m), m)).toBe(1n);
      }),
      { numRuns: 50 },
    );
  });

  it('modInverse refuses non-units with check arith.inverse', () => {
    const e = caught(() => modInverse(6n, 9n));
    expect(e.code).toBe('MPC_INVALID_MESSAGE');
    expect(e.check).toBe('arith.inverse');
    expect(caught(() => modInverse(p1, p1 * p2)).check).toBe('arith.inverse');
  });

  it('gcd matches a naive common-divisor search on small values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), (a, b) => {
        let g = 1;
        for (let d = 1; d <= Math.min(a, b); d++) if (a % d === 0 && b % d === 0) g = d;
        expect(gcd(BigInt(a), BigInt(-b))).toBe(BigInt(g));
      }),
      { numRuns: 100 },
    );
  });
});

describe('jacobi', () => {
  it("matches Euler's criterion for a prime modulus", () => {
    fc.assert(
      fc.property(big(1100), (a) => {
        const euler = naivePow(a, (s1 - 1n) / 2n, s1);
        const expected = euler === 0n ? 0 : euler === 1n ? 1 : -1;
        expect(jacobi(a, s1)).toBe(expected);
      }),
      { numRuns: 10 },
    );
  });

  it('is multiplicative in the modulus', () => {
    fc.assert(
      fc.property(big(2100), (a) => {
        expect(jacobi(a, p1 * p2)).toBe(jacobi(a, p1) * jacobi(a, p2));
      }),
      { numRuns: 20 },
    );
  });

  it('knows small textbook values and refuses even moduli', () => {
    expect(jacobi(2n, 7n)).toBe(1);
    expect(jacobi(3n, 7n)).toBe(-1);
    expect(jacobi(1001n, 9907n)).toBe(-1); // Cohen's example
    expect(jacobi(21n, 15n)).toBe(0);
    expect(caught(() => jacobi(3n, 8n)).check).toBe('arith.jacobi');
  });
});

describe('roots and perfect powers', () => {
  it('isqrt and iroot are floors (property)', () => {
    fc.assert(
      fc.property(big(2048), fc.integer({ min: 2, max: 40 }), (n, k) => {
        const r = isqrt(n);
        expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
        const kb = BigInt(k);
        const s = iroot(n, k);
        expect(s ** kb <= n && (s + 1n) ** kb > n).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('finds perfect powers and not products of distinct primes', () => {
    expect(isPerfectPower(p1 * p1)).toBe(true);
    expect(isPerfectPower(3n ** 1291n)).toBe(true);
    expect(isPerfectPower((p1 * p2) ** 3n)).toBe(true);
    expect(isPerfectPower(p1 * p2)).toBe(false);
    expect(isPerfectPower(p1 * p1 * p2)).toBe(false);
    expect(isPerfectPower(2n)).toBe(false);
    expect(isPerfectPower(1024n)).toBe(true);
  });
});

describe('sampling', () => {
  it('stays in range', () => {
    for (let i = 0; i < 200; i++) {
      expect(bitLength(randomBits(13))).toBeLessThanOrEqual(13);
      const x = randomBelow(1000n);
      expect(x >= 0n && x < 1000n).toBe(true);
      const y = randomSigned(5n);
      expect(y >= -5n && y <= 5n).toBe(true);
      const u = randomUnit(15n);
      expect(gcd(u, 15n)).toBe(1n);
    }
  });

  it('is roughly uniform on a small range (chi-square sanity check)', () => {
    const counts = new Array<number>(7).fill(0);
    const n = 7000;
    for (let i = 0; i < n; i++) {
      const k = Number(randomSigned(3n)) + 3;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    // each bucket expects 1000; 6 d.o.f., chi² > 30 has probability < 1e-4
    const chi = counts.reduce((acc, c) => acc + (c - 1000) ** 2 / 1000, 0);
    expect(chi).toBeLessThan(30);
  });

  it('refuses a non-positive bound', () => {
    expect(caught(() => randomBelow(0n)).check).toBe('arith.random');
  });
});

describe('signed and CRT exponentiation', () => {
  it('powSigned inverts for negative exponents', () => {
    const m = p1 * p2;
    const b = 123456789n;
    expect((powSigned(arith, b, -5n, m) * naivePow(b, 5n, m)) % m).toBe(1n);
    expect(powSigned(arith, b, 5n, m)).toBe(naivePow(b, 5n, m));
  });

  it('modPowCrt equals direct exponentiation, also for non-unit bases and negative exponents (property)', () => {
    const crt = crtModulus(p1, p1 - 1n, p2, p2 - 1n);
    const N = p1 * p2;
    fc.assert(
      fc.property(big(2100), big(4200), fc.boolean(), (b, e, nonUnit) => {
        const base = nonUnit ? p1 * (b % p2) : b;
        expect(modPowCrt(arith, base, e, crt)).toBe(naivePow(base, e, N));
      }),
      { numRuns: 8 },
    );
    const b = 987654321n;
    expect(modPowCrt(arith, b, -77n, crt)).toBe(naivePow(modInverse(b, N), 77n, N));
    // Paillier shape: (p², q²) with φ(p²) = p(p−1)
    const crt2 = crtModulus(p1 * p1, p1 * (p1 - 1n), p2 * p2, p2 * (p2 - 1n));
    const N2 = N * N;
    expect(modPowCrt(arith, b, N, crt2)).toBe(naivePow(b, N, N2));
    expect(modPowCrt(arith, p1 * 5n, N, crt2)).toBe(naivePow(p1 * 5n, N, N2));
  });

  it('crtCombine solves both congruences', () => {
    const crt = crtModulus(p1, p1 - 1n, p2, p2 - 1n);
    const x = crtCombine(crt, 5n, 7n);
    expect(x % p1).toBe(5n);
    expect(x % p2).toBe(7n);
    expect(x < p1 * p2).toBe(true);
  });
});

describe('hex codec', () => {
  it('round-trips (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 3000n), max: 1n << 3000n }), (x) => {
        expect(hexToInt(intToHex(x), 'x', { signed: true })).toBe(x);
        if (x >= 0n) expect(hexToInt(intToHex(x), 'x')).toBe(x);
      }),
    );
  });

  it('accepts only the canonical spelling', () => {
    for (const bad of ['', '0x1f', '1F', '01', '-0', ' 1', '1 ', 'g', '--1', 12, null, undefined, 1n]) {
      const e = caught(() => hexToInt(bad, 'field.x', { signed: true }));
      expect(e.code).toBe('MPC_INVALID_MESSAGE');
      expect(e.check).toBe('encoding.int');
      expect(e.details.field).toBe('field.x');
    }
    expect(caught(() => hexToInt('-1', 'x')).check).toBe('encoding.int');
    expect(caught(() => hexToInt('f'.repeat(65), 'x', { maxBits: 256 })).check).toBe('encoding.int');
    expect(hexToInt('0', 'x')).toBe(0n);
    expect(hexToInt('-1f', 'x', { signed: true })).toBe(-31n);
  });
});
