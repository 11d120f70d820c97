/**
 * Pure BigInt number theory for the Paillier / ring-Pedersen / ZK layer: reductions, inverses
 * (extended Euclid), the Jacobi symbol (Cohen, "A Course in Computational Algebraic Number Theory",
 * Alg. 1.4.10), integer roots and the perfect-power test, CSPRNG sampling by rejection (so every
 * sample is exactly uniform), signed exponents, the Chinese-remainder exponentiation a holder of a
 * trapdoor uses (Garner recombination, Menezes–van Oorschot–Vanstone HAC §14.5.2), and the hex
 * codec of integers every serialized form uses. Exponentiation itself goes through `Arithmetic`,
 * so the OpenSSL backend serves it in Node; nothing here imports a `node:` module.
 */
import { MpcError } from '../errors.js';
import type { Arithmetic } from './backend.js';

/** a mod m in [0, m) for m > 0 (JavaScript's % keeps the dividend's sign). */
export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** x ∈ Z*_m: 0 < x < m and gcd(x, m) = 1. */
export function isUnit(x: bigint, m: bigint): boolean {
  return x > 0n && x < m && gcd(x, m) === 1n;
}

export function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

/**
 * a^-1 mod m. Throws MPC_INVALID_MESSAGE (check `arith.inverse`) when gcd(a, m) ≠ 1; a verifier
 * that meets this on received data catches it and rethrows with its own code and check.
 */
export function modInverse(a: bigint, m: bigint): bigint {
  if (m <= 1n) throw new MpcError('MPC_INVALID_MESSAGE', 'arith.inverse', 'modulus must exceed 1');
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new MpcError('MPC_INVALID_MESSAGE', 'arith.inverse', 'value is not invertible modulo m');
  return mod(oldS, m);
}

/** The Jacobi symbol (a/n) for odd n > 0. */
export function jacobi(a: bigint, n: bigint): -1 | 0 | 1 {
  if (n <= 0n || (n & 1n) === 0n) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'arith.jacobi', 'the Jacobi symbol needs an odd positive modulus');
  }
  let x = mod(a, n);
  let y = n;
  let result: -1 | 1 = 1;
  while (x !== 0n) {
    while ((x & 1n) === 0n) {
      x >>= 1n;
      const r = y & 7n;
      if (r === 3n || r === 5n) result = result === 1 ? -1 : 1;
    }
    [x, y] = [y, x];
    if ((x & 3n) === 3n && (y & 3n) === 3n) result = result === 1 ? -1 : 1;
    x %= y;
  }
  return y === 1n ? result : 0;
}

/** Number of bits of |x| (0 for 0). */
export function bitLength(x: bigint): number {
  const v = x < 0n ? -x : x;
  return v === 0n ? 0 : v.toString(2).length;
}

/** ⌊√n⌋ for n ≥ 0 (Newton's iteration from above). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new MpcError('MPC_INVALID_MESSAGE', 'arith.sqrt', 'square root of a negative number');
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** ⌊n^(1/k)⌋ for n ≥ 0, k ≥ 1 (Newton's iteration from above). */
export function iroot(n: bigint, k: number): bigint {
  if (k === 1 || n < 2n) return n;
  const kb = BigInt(k);
  let x = 1n << BigInt(Math.ceil(bitLength(n) / k));
  for (;;) {
    const y = ((kb - 1n) * x + n / x ** (kb - 1n)) / kb;
    if (y >= x) return x;
    x = y;
  }
}

function smallPrimesUpTo(limit: number): number[] {
  const sieve = new Uint8Array(limit + 1);
  const out: number[] = [];
  for (let i = 2; i <= limit; i++) {
    if (sieve[i] === 1) continue;
    out.push(i);
    for (let j = i * i; j <= limit; j += i) sieve[j] = 1;
  }
  return out;
}

/** True when n = m^k for integers m ≥ 2, k ≥ 2 (it suffices to try prime k ≤ log2 n). */
export function isPerfectPower(n: bigint): boolean {
  if (n < 4n) return false;
  for (const k of smallPrimesUpTo(bitLength(n))) {
    const r = iroot(n, k);
    if (r >= 2n && r ** BigInt(k) === n) return true;
  }
  return false;
}

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let at = 0; at < length; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  return out;
}

/** Uniform in [0, 2^bits) from the platform CSPRNG. */
export function randomBits(bits: number): bigint {
  if (!Number.isSafeInteger(bits) || bits < 0) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'arith.random', 'bit count must be a non-negative integer');
  }
  if (bits === 0) return 0n;
  const bytes = randomBytes(Math.ceil(bits / 8));
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v & ((1n << BigInt(bits)) - 1n);
}

/** Uniform in [0, n) for n ≥ 1 (rejection sampling on bitLength(n) bits, so at most 2 tries on average). */
export function randomBelow(n: bigint): bigint {
  if (n < 1n) throw new MpcError('MPC_INVALID_MESSAGE', 'arith.random', 'upper bound must be positive');
  const bits = bitLength(n - 1n);
  for (;;) {
    const x = randomBits(bits);
    if (x < n) return x;
  }
}

/** Uniform in Z*_n (n ≥ 2). */
export function randomUnit(n: bigint): bigint {
  for (;;) {
    const x = randomBelow(n);
    if (x !== 0n && gcd(x, n) === 1n) return x;
  }
}

/** Uniform in the symmetric interval [-bound, bound] (the papers' "± bound"). */
export function randomSigned(bound: bigint): bigint {
  return randomBelow(2n * bound + 1n) - bound;
}

/** base^exp mod modulus for any integer exp; a negative exponent inverts the base first (it must be a unit). */
export function powSigned(arith: Arithmetic, base: bigint, exp: bigint, modulus: bigint): bigint {
  return exp < 0n ? arith.modPow(modInverse(base, modulus), -exp, modulus) : arith.modPow(base, exp, modulus);
}

/**
 * A modulus m1·m2 with coprime parts whose unit-group exponents the caller knows: φ1, φ2 are φ(m1),
 * φ(m2) or any multiple of their Carmichael λ. Paillier uses (p², q²) with (p(p−1), q(q−1)); a
 * ring-Pedersen or Π^mod prover uses (p, q) with (p−1, q−1).
 */
export interface CrtModulus {
  readonly modulus: bigint;
  readonly m1: bigint;
  readonly m2: bigint;
  readonly phi1: bigint;
  readonly phi2: bigint;
  /** m1^-1 mod m2 (Garner's constant). */
  readonly m1InvM2: bigint;
}

export function crtModulus(m1: bigint, phi1: bigint, m2: bigint, phi2: bigint): CrtModulus {
  return { modulus: m1 * m2, m1, m2, phi1, phi2, m1InvM2: modInverse(m1, m2) };
}

/** The x in [0, m1·m2) with x ≡ r1 (mod m1), x ≡ r2 (mod m2) (Garner, HAC Alg. 14.71). */
export function crtCombine(crt: CrtModulus, r1: bigint, r2: bigint): bigint {
  const a = mod(r1, crt.m1);
  return a + crt.m1 * mod((r2 - a) * crt.m1InvM2, crt.m2);
}

/**
 * Reduces an exponent e ≥ 0 modulo φ without assuming the base is a unit: for e ≥ φ ≥ log2 m,
 * a^e ≡ a^(φ + (e mod φ)) (mod m) for every a (the generalized Euler theorem), so a hostile base
 * that shares a factor with m still gets the right answer.
 */
function reduceExponent(e: bigint, phi: bigint): bigint {
  return e < phi ? e : phi + (e % phi);
}

/**
 * base^exp mod (m1·m2) by two half-size exponentiations with reduced exponents (about 3–4× faster
 * than one full-size one). A negative exponent inverts the base modulo the whole modulus first.
 */
export function modPowCrt(arith: Arithmetic, base: bigint, exp: bigint, crt: CrtModulus): bigint {
  let b = base;
  let e = exp;
  if (e < 0n) {
    b = modInverse(b, crt.modulus);
    e = -e;
  }
  const r1 = arith.modPow(b, reduceExponent(e, crt.phi1), crt.m1);
  const r2 = arith.modPow(b, reduceExponent(e, crt.phi2), crt.m2);
  return crtCombine(crt, r1, r2);
}

// ---------------------------------------------------------------------------------------------
// Hex codec of integers: lowercase, no 0x, no leading zeros ("0" for zero), "-" for negatives.
// One canonical spelling per value, so a serialized proof cannot be re-encoded (malleated).

const UNSIGNED_RE = /^(0|[1-9a-f][0-9a-f]*)$/;
const SIGNED_RE = /^(0|-?[1-9a-f][0-9a-f]*)$/;

/** Canonical lowercase hex of an integer ("-" prefix when negative). */
export function intToHex(x: bigint): string {
  return x < 0n ? `-${(-x).toString(16)}` : x.toString(16);
}

export interface HexIntOptions {
  /** Allow a leading "-" (signed proof responses). Default false. */
  readonly signed?: boolean;
  /** Refuse magnitudes above this many bits (bounds the work an attacker can cause). Default 8192. */
  readonly maxBits?: number;
}

/**
 * Parses the canonical hex of an integer; anything else (wrong type, upper case, 0x, leading
 * zeros, too long) throws MPC_INVALID_MESSAGE check `encoding.int` naming `field`.
 */
export function hexToInt(value: unknown, field: string, options: HexIntOptions = {}): bigint {
  const maxBits = options.maxBits ?? 8192;
  const re = options.signed === true ? SIGNED_RE : UNSIGNED_RE;
  const expected = options.signed === true ? 'canonical signed lowercase hex' : 'canonical lowercase hex';
  if (typeof value !== 'string' || !re.test(value) || value.length > Math.ceil(maxBits / 4) + 1) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'encoding.int', `"${field}" expected ${expected}`, { field });
  }
  const x = value.startsWith('-') ? -BigInt(`0x${value.slice(1)}`) : BigInt(`0x${value}`);
  if (bitLength(x) > maxBits) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'encoding.int', `"${field}" exceeds ${maxBits} bits`, { field });
  }
  return x;
}
