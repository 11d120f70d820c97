/**
 * The Node `Arithmetic` backend: modular exponentiation by OpenSSL's constant-time Montgomery
 * ladder, reached through node:crypto's Diffie–Hellman API — `computeSecret(base)` with private key
 * `exponent` over "prime" `modulus` is exactly base^exponent mod modulus, and OpenSSL does not test
 * the modulus for primality at that point (research notes §3.4 and appendix; about 4–8× faster than
 * BigInt). Constructing a DH object runs DH_check, so one object per modulus is kept in a bounded
 * LRU map. Inputs OpenSSL refuses — exponent 0, base ∈ {0, 1, m−1} (public-key range check
 * 1 < y < p−1), an even modulus, or one outside OpenSSL's 512..10000-bit DH range — are computed in
 * BigInt instead, as are results OpenSSL refuses to return (1 and m−1). A known-answer self-test
 * runs at creation (Mersenne-prime identities, plus cross-checks against BigInt up to a 4096-bit
 * modulus); any disagreement throws
 * MPC_BACKEND_SELF_TEST_FAILED, so a changed OpenSSL can never silently compute wrong values.
 */
import { checkPrimeSync, createDiffieHellman, type DiffieHellman, generatePrime } from 'node:crypto';
import { sha512 } from '@noble/hashes/sha2.js';
import type { Arithmetic, PrimeKind } from '../arith/backend.js';
import { MILLER_RABIN_ROUNDS, modPowBigInt } from '../arith/bigint.js';
import { bitLength, mod } from '../arith/modular.js';
import { MpcError } from '../errors.js';

/** OpenSSL refuses DH moduli outside this range (DH_MIN_MODULUS_BITS, OPENSSL_DH_MAX_MODULUS_BITS). */
const MIN_OPENSSL_BITS = 512;
const MAX_OPENSSL_BITS = 10_000;

export interface NodeArithmeticOptions {
  /** How many moduli keep a cached DH object (least recently used is evicted). Default 64. */
  readonly cacheSize?: number;
}

export interface NodeArithmetic extends Arithmetic {
  /** How often OpenSSL threw unexpectedly and BigInt answered instead, and the last such error. */
  diagnostics(): { readonly fallbacks: number; readonly lastFallbackError: unknown };
}

function toBuffer(x: bigint): Buffer {
  const hex = x.toString(16);
  return Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex');
}

function fromBuffer(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}

function assertInputs(exponent: bigint, modulus: bigint): void {
  if (modulus < 1n) throw new MpcError('MPC_INVALID_MESSAGE', 'arith.modulus', 'modulus must be positive');
  if (exponent < 0n) throw new MpcError('MPC_INVALID_MESSAGE', 'arith.exponent', 'exponent must be non-negative');
}

function generatePrimeAsync(bits: number, kind: PrimeKind): Promise<bigint> {
  const options = kind === 'blum' ? { bigint: true, add: 4n, rem: 3n } : { bigint: true, safe: true };
  return new Promise((resolve, reject) => {
    generatePrime(bits, options, (error, prime) => {
      if (error)
        reject(
          new MpcError('MPC_INVALID_MESSAGE', 'arith.generate-prime', 'OpenSSL prime generation failed', {}, error),
        );
      else resolve(prime as bigint);
    });
  });
}

/** Deterministic self-test inputs: SHA-512 in counter mode over a label. */
function vector(label: string, bits: number): bigint {
  const bytes = new Uint8Array(Math.ceil(bits / 8));
  for (let i = 0, at = 0; at < bytes.length; i++, at += 64) {
    const block = sha512(new TextEncoder().encode(`custos/mpc/self-test/${label}/${i}`));
    bytes.set(block.subarray(0, Math.min(64, bytes.length - at)), at);
  }
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v & ((1n << BigInt(bits)) - 1n);
}

function selfTest(arith: NodeArithmetic): void {
  const fail = (name: string, cause?: unknown): MpcError =>
    new MpcError(
      'MPC_BACKEND_SELF_TEST_FAILED',
      'arith.self-test',
      'OpenSSL modular exponentiation failed its self-test',
      { vector: name },
      cause,
    );
  const expect = (name: string, run: () => bigint, expected: bigint): void => {
    let got: bigint;
    try {
      got = run();
    } catch (cause) {
      throw fail(name, cause);
    }
    if (got !== expected) throw fail(name);
  };
  // Independently known answers on the Mersenne primes M1 = 2^1279 − 1 and M2 = 2^2203 − 1
  // (Lucas–Lehmer; DH_check on a larger prime would cost seconds here). OpenSSL refuses a DH
  // secret of 1 or p − 1 (SP 800-56A 5.7.1.1), so the identities used have other results: Fermat
  // a^M ≡ a; 2^e ≡ 2^(e mod k) since 2^k ≡ 1; Euler's criterion with −2 a non-residue (M ≡ 7 mod 8):
  // (−2)^((M+1)/2) ≡ 2; and on the 3482-bit composite M1·M2, 2^e by CRT of the two prime cases.
  const m1 = (1n << 1279n) - 1n;
  const m2 = (1n << 2203n) - 1n;
  const e2048 = vector('e0', 2048);
  const e4096 = vector('e00', 4096);
  expect('M1279 fermat', () => arith.modPow(5n, m1, m1), 5n);
  expect('M1279 powers of two', () => arith.modPow(2n, e2048, m1), 1n << (e2048 % 1279n));
  expect('M1279 euler', () => arith.modPow(m1 - 2n, (m1 + 1n) / 2n, m1), 2n);
  const r1 = 1n << (e4096 % 1279n);
  const r2 = 1n << (e4096 % 2203n);
  // The result mod M1·M2 is unique, so matching both residues pins it down.
  expect(
    'M1279·M2203 powers of two',
    () => {
      const x = arith.modPow(2n, e4096, m1 * m2);
      return x % m1 === r1 && x % m2 === r2 ? 1n : 0n;
    },
    1n,
  );
  // Cross-checks against BigInt on composite moduli, the case the protocols depend on.
  const m2048 = vector('m2048', 2048) | (1n << 2047n) | 1n;
  const m4096 = (vector('m4096a', 2048) | (1n << 2047n) | 1n) * (vector('m4096b', 2048) | (1n << 2047n) | 1n);
  const cases: readonly [string, bigint, bigint, bigint][] = [
    ['2048/2048', vector('b1', 2048), vector('e1', 2048), m2048],
    ['2048 exponent longer than modulus', vector('b2', 2100), vector('e2', 3000), m2048],
    ['4096/2048', vector('b3', 4096), vector('e3', 2048), m4096],
    ['4096 base above modulus', m4096 + 12345n, 65537n, m4096],
    ['base m−1', m2048 - 1n, 3n, m2048],
    ['base 1', 1n, vector('e4', 256), m2048],
    ['base 0', 0n, 5n, m2048],
    ['exponent 0', vector('b5', 1024), 0n, m2048],
    ['exponent 1', vector('b6', 1024), 1n, m2048],
    ['small modulus', 65n, 17n, 3233n],
  ];
  for (const [name, b, e, m] of cases) expect(name, () => arith.modPow(b, e, m), modPowBigInt(b, e, m));
  // Textbook RSA (Rivest–Shamir–Adleman example, n = 61·53): 65^17 mod 3233 = 2790.
  expect('textbook rsa', () => arith.modPow(65n, 17n, 3233n), 2790n);
  // Every large vector must have gone through OpenSSL, not the BigInt safety net.
  if (arith.diagnostics().fallbacks !== 0) throw fail('openssl path', arith.diagnostics().lastFallbackError);
}

/** The OpenSSL backend; throws MPC_BACKEND_SELF_TEST_FAILED if OpenSSL disagrees with known answers. */
export function createNodeArithmetic(options: NodeArithmeticOptions = {}): NodeArithmetic {
  const cacheSize = options.cacheSize ?? 64;
  const cache = new Map<bigint, { dh: DiffieHellman; length: number }>();
  let fallbacks = 0;
  let lastFallbackError: unknown;

  const entryFor = (modulus: bigint): { dh: DiffieHellman; length: number } => {
    const hit = cache.get(modulus);
    if (hit) {
      // Re-insert to mark it most recently used.
      cache.delete(modulus);
      cache.set(modulus, hit);
      return hit;
    }
    const prime = toBuffer(modulus);
    const entry = { dh: createDiffieHellman(prime, Buffer.from([2])), length: prime.length };
    cache.set(modulus, entry);
    if (cache.size > cacheSize) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    return entry;
  };

  const modPow = (base: bigint, exponent: bigint, modulus: bigint): bigint => {
    assertInputs(exponent, modulus);
    const bits = bitLength(modulus);
    const b = mod(base, modulus);
    if ((modulus & 1n) === 0n || bits < MIN_OPENSSL_BITS || bits > MAX_OPENSSL_BITS) {
      return modPowBigInt(b, exponent, modulus);
    }
    if (exponent === 0n || b <= 1n || b >= modulus - 1n) return modPowBigInt(b, exponent, modulus);
    try {
      const { dh, length } = entryFor(modulus);
      dh.setPrivateKey(toBuffer(exponent));
      const raw = toBuffer(b);
      // Left-pad the "public key" to the modulus length, as OpenSSL's DH expects.
      const padded = raw.length === length ? raw : Buffer.concat([Buffer.alloc(length - raw.length), raw]);
      return fromBuffer(dh.computeSecret(padded));
    } catch (cause) {
      // OpenSSL also refuses a *result* of 0, 1 or m − 1 (SP 800-56A 5.7.1.1 "Z ≤ 1 or Z = p − 1"),
      // which cannot be filtered beforehand: BigInt answers. Anything else is unexpected and counted
      // (still correct, only slower) so a test or an operator can see it.
      const result = modPowBigInt(b, exponent, modulus);
      if (result > 1n && result !== modulus - 1n) {
        fallbacks++;
        lastFallbackError = cause;
      }
      return result;
    }
  };

  const arith: NodeArithmetic = {
    name: 'openssl',
    modPow,
    async generatePrime(bits: number, kind: PrimeKind): Promise<bigint> {
      if (!Number.isSafeInteger(bits) || bits < 16 || bits > 8192 || (kind !== 'blum' && kind !== 'safe')) {
        throw new MpcError(
          'MPC_INVALID_MESSAGE',
          'arith.prime-request',
          'prime size must be 16..8192 bits, kind blum|safe',
          { bits },
        );
      }
      // OpenSSL sets only the top bit when add/rem are given; the protocols need the top two (so a
      // product of two has exactly 2·bits bits): draw again until they are set.
      for (;;) {
        const p = await generatePrimeAsync(bits, kind);
        if (bitLength(p) === bits && p >> BigInt(bits - 2) === 3n) return p;
      }
    },
    isProbablePrime(n: bigint): boolean {
      if (n < 2n) return false;
      // OpenSSL raises the count to at least 64 Miller–Rabin rounds with random bases anyway.
      return checkPrimeSync(n, { checks: MILLER_RABIN_ROUNDS });
    },
    diagnostics: () => ({ fallbacks, lastFallbackError }),
  };
  selfTest(arith);
  return arith;
}
