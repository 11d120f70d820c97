/**
 * Known-answer tests run against both `Arithmetic` backends: values whose answers are known
 * independently of any modexp code (textbook RSA, Fermat/Euler identities on the fixture primes and
 * on Mersenne primes, powers of two modulo 2^k − 1), cross-checks between the backends and against
 * a naive square-and-multiply, primality on known primes and pseudoprimes, and prime generation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MpcError } from '../errors.js';
import { createNodeArithmetic } from '../node/arith.js';
import { naivePow } from '../testing/fixtures.js';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from '../testing/primes.js';
import type { Arithmetic } from './backend.js';
import { createBigIntArithmetic } from './bigint.js';
import { bitLength, mod } from './modular.js';

const bigint = createBigIntArithmetic();
const openssl = createNodeArithmetic();
const FIXTURE_PRIMES = [...TEST_BLUM_PRIMES, ...TEST_SAFE_PRIMES];
const [p1, p2] = TEST_BLUM_PRIMES as [bigint, bigint];
const N = p1 * p2;
const M2203 = (1n << 2203n) - 1n;

interface Kat {
  readonly name: string;
  readonly base: bigint;
  readonly exp: bigint;
  readonly mod: bigint;
  readonly expected: bigint;
}

const e2048 = (N * 0x9e3779b97f4a7c15n) >> 64n; // a fixed 2048-bit exponent
const KATS: readonly Kat[] = [
  // Textbook RSA: n = 61·53, e = 17, d = 2753 (Wikipedia "RSA (cryptosystem)" example).
  { name: 'rsa encrypt', base: 65n, exp: 17n, mod: 3233n, expected: 2790n },
  { name: 'rsa decrypt', base: 2790n, exp: 2753n, mod: 3233n, expected: 65n },
  // Fermat a^p ≡ a and a^(p−1) ≡ 1 on every fixture prime.
  ...FIXTURE_PRIMES.flatMap((p, i) => [
    { name: `fermat a^p, prime ${i}`, base: 0xdeadbeefn, exp: p, mod: p, expected: 0xdeadbeefn },
    { name: `fermat a^(p−1), prime ${i}`, base: 0xc0ffeen, exp: p - 1n, mod: p, expected: 1n },
  ]),
  // Euler's criterion on a Blum prime: −1 is a non-residue, so (−1)^((p−1)/2) = −1, and
  // (p−2)^((p+1)/2) ≡ ±2 by whether 2 is a residue — p1 ≡ 7 mod 8 here, so (−2/p) = −1 and the result is 2.
  { name: 'euler −2', base: p1 - 2n, exp: (p1 + 1n) / 2n, mod: p1, expected: (p1 & 7n) === 7n ? 2n : p1 - 2n },
  // Powers of two modulo the Mersenne prime 2^2203 − 1: 2^e ≡ 2^(e mod 2203).
  { name: 'mersenne 2^e', base: 2n, exp: e2048, mod: M2203, expected: 1n << (e2048 % 2203n) },
  { name: 'mersenne fermat', base: 12345n, exp: M2203, mod: M2203, expected: 12345n },
  // CRT identity on a 2048-bit composite: a^(φ(N)+1) ≡ a for a unit a.
  { name: 'euler N', base: 0x1234567n, exp: (p1 - 1n) * (p2 - 1n) + 1n, mod: N, expected: 0x1234567n },
  // Paillier on N² (4096 bits): (1 + N)^m ≡ 1 + mN.
  { name: '(1+N)^m mod N²', base: 1n + N, exp: e2048, mod: N * N, expected: mod(1n + e2048 * N, N * N) },
  // Edge cases OpenSSL refuses (handled by the BigInt fallback).
  { name: 'exponent 0', base: 5n, exp: 0n, mod: N, expected: 1n },
  { name: 'base 0', base: 0n, exp: 5n, mod: N, expected: 0n },
  { name: 'base 1', base: 1n, exp: e2048, mod: N, expected: 1n },
  { name: 'base m−1, odd exponent', base: N - 1n, exp: 3n, mod: N, expected: N - 1n },
  { name: 'base m−1, even exponent', base: N - 1n, exp: 4n, mod: N, expected: 1n },
  { name: 'base ≥ m', base: N + 2n, exp: 10n, mod: N, expected: 1024n },
  { name: 'negative base', base: -2n, exp: 3n, mod: N, expected: N - 8n },
  { name: 'modulus 1', base: 5n, exp: 5n, mod: 1n, expected: 0n },
  { name: 'even modulus', base: 3n, exp: 10n, mod: 1n << 64n, expected: 59049n },
  { name: 'result 1 from OpenSSL path', base: 0xc0ffeen, exp: (p1 - 1n) * (p2 - 1n), mod: N, expected: 1n },
];

function caught(fn: () => unknown): MpcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MpcError) return error;
    throw error;
  }
  throw new Error('expected an MpcError');
}

describe.each([
  ['bigint', bigint],
  ['openssl', openssl],
] as const)('%s backend', (name, arith: Arithmetic) => {
  it('reports its name', () => {
    expect(arith.name).toBe(name);
  });

  it.each(KATS.map((k) => [k.name, k] as const))('KAT %s', (_, k) => {
    expect(arith.modPow(k.base, k.exp, k.mod)).toBe(k.expected);
  });

  it('agrees with naive square-and-multiply and with the other backend (property)', () => {
    const other = arith === bigint ? openssl : bigint;
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 4100n }),
        fc.bigInt({ min: 0n, max: 1n << 2100n }),
        fc.constantFrom(N, N * N, p1, p1 * p1, M2203),
        (b, e, m) => {
          const got = arith.modPow(b, e, m);
          expect(got).toBe(other.modPow(b, e, m));
          expect(got).toBe(naivePow(b, e, m));
        },
      ),
      { numRuns: 6 },
    );
  });

  it('refuses a negative exponent or a non-positive modulus', () => {
    expect(caught(() => arith.modPow(2n, -1n, N)).check).toBe('arith.exponent');
    expect(caught(() => arith.modPow(2n, 1n, 0n)).check).toBe('arith.modulus');
  });

  it('recognises the fixture primes and safe-prime halves', () => {
    for (const p of FIXTURE_PRIMES) expect(arith.isProbablePrime(p)).toBe(true);
    for (const p of TEST_SAFE_PRIMES) expect(arith.isProbablePrime((p - 1n) / 2n)).toBe(true);
    expect(arith.isProbablePrime(M2203)).toBe(true);
    for (const small of [2n, 3n, 5n, 65537n]) expect(arith.isProbablePrime(small)).toBe(true);
  });

  it('rejects composites, Carmichael numbers and strong pseudoprimes', () => {
    const composites = [
      0n,
      1n,
      4n,
      561n,
      41041n,
      825265n, // Carmichael numbers
      3215031751n, // strong pseudoprime to bases 2, 3, 5, 7
      3825123056546413051n, // strong pseudoprime to bases 2..23
      318665857834031151167461n, // strong pseudoprime to bases 2..37
      N,
      p1 * p1,
      (1n << 2201n) - 1n, // 2^2201 − 1 is composite
      p1 * 3n,
    ];
    for (const n of composites) expect(arith.isProbablePrime(n)).toBe(false);
  });

  it('generates Blum and safe primes of exactly the requested size (256 bits)', async () => {
    const blum = await arith.generatePrime(256, 'blum');
    expect(bitLength(blum)).toBe(256);
    expect(blum >> 254n).toBe(3n);
    expect(blum % 4n).toBe(3n);
    expect(bigint.isProbablePrime(blum) && openssl.isProbablePrime(blum)).toBe(true);
    const safe = await arith.generatePrime(256, 'safe');
    expect(bitLength(safe)).toBe(256);
    expect(safe >> 254n).toBe(3n);
    expect(openssl.isProbablePrime(safe) && openssl.isProbablePrime((safe - 1n) / 2n)).toBe(true);
    // two Blum primes with the top two bits set always multiply to exactly 2·bits bits
    const other = await arith.generatePrime(256, 'blum');
    expect(bitLength(blum * other)).toBe(512);
  });

  it('refuses an unsupported prime request', async () => {
    await expect(arith.generatePrime(8, 'blum')).rejects.toMatchObject({ check: 'arith.prime-request' });
  });
});
