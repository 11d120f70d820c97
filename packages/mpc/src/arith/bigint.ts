/**
 * The portable `Arithmetic` backend in pure BigInt, for browsers and Web Workers (the OpenSSL
 * backend in `src/node/` is faster). Exponentiation is left-to-right sliding-window (HAC Alg.
 * 14.85, window 3–6 bits by exponent size). Primality is trial division then Miller–Rabin with
 * uniformly random bases (HAC Alg. 4.24): 50 rounds bound the error by 4^-50 = 2^-100 for any
 * input, including adversarial composites. Prime search sieves a window of candidates against
 * every odd prime below 2^17 (for safe primes both p' and 2p'+1, so only pairs where neither has a
 * small factor reach an exponentiation), then runs a Fermat pre-test and Miller–Rabin. BigInt
 * exponentiation is not constant-time: prefer the OpenSSL backend where secret exponents meet a
 * shared machine (research notes §3.4).
 */
import { MpcError } from '../errors.js';
import type { Arithmetic, PrimeKind } from './backend.js';
import { bitLength, mod, randomBelow, randomBits } from './modular.js';

/** Rounds for an input we did not generate (error ≤ 4^-50 = 2^-100 even for adversarial n). */
export const MILLER_RABIN_ROUNDS = 50;
/**
 * Rounds for a candidate we drew at random ourselves: the average-case error for 1024-bit
 * candidates after 20 rounds is far below 2^-100 (Damgård–Landrock–Pomerance 1993; FIPS 186-5
 * Table B.1 asks for 4 rounds at this size).
 */
export const GENERATED_PRIME_ROUNDS = 20;

/** Sliding-window width by exponent length (the precomputation of 2^(k−1) odd powers pays off). */
function windowBits(expBits: number): number {
  if (expBits <= 24) return 1;
  if (expBits <= 96) return 3;
  if (expBits <= 320) return 4;
  if (expBits <= 1024) return 5;
  return 6;
}

function assertModulus(modulus: bigint): void {
  if (modulus < 1n) throw new MpcError('MPC_INVALID_MESSAGE', 'arith.modulus', 'modulus must be positive');
}

function assertExponent(exponent: bigint): void {
  if (exponent < 0n) throw new MpcError('MPC_INVALID_MESSAGE', 'arith.exponent', 'exponent must be non-negative');
}

/** base^exponent mod modulus in BigInt (any modulus ≥ 1, exponent ≥ 0). */
export function modPowBigInt(base: bigint, exponent: bigint, modulus: bigint): bigint {
  assertModulus(modulus);
  assertExponent(exponent);
  if (modulus === 1n) return 0n;
  const b = mod(base, modulus);
  if (exponent === 0n) return 1n;
  if (b < 2n) return b;
  const bits = exponent.toString(2);
  const k = windowBits(bits.length);
  // table[i] = b^(2i+1)
  const table: bigint[] = [b];
  if (k > 1) {
    const b2 = (b * b) % modulus;
    for (let i = 1; i < 1 << (k - 1); i++) table.push(((table[i - 1] as bigint) * b2) % modulus);
  }
  let result = 1n;
  let started = false;
  let i = 0;
  while (i < bits.length) {
    if (bits[i] === '0') {
      if (started) result = (result * result) % modulus;
      i++;
      continue;
    }
    let j = Math.min(i + k, bits.length);
    while (bits[j - 1] === '0') j--;
    const value = Number.parseInt(bits.slice(i, j), 2);
    if (started) for (let s = i; s < j; s++) result = (result * result) % modulus;
    result = started ? (result * (table[(value - 1) >> 1] as bigint)) % modulus : (table[(value - 1) >> 1] as bigint);
    started = true;
    i = j;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Small primes and trial division

const SIEVE_LIMIT = 1 << 17;
let smallPrimes: Uint32Array | undefined;

/** Odd primes below 2^17, computed once. */
function oddSmallPrimes(): Uint32Array {
  if (smallPrimes) return smallPrimes;
  const composite = new Uint8Array(SIEVE_LIMIT);
  const out: number[] = [];
  for (let i = 3; i < SIEVE_LIMIT; i += 2) {
    if (composite[i] === 1) continue;
    out.push(i);
    for (let j = i * i; j < SIEVE_LIMIT; j += 2 * i) composite[j] = 1;
  }
  smallPrimes = Uint32Array.from(out);
  return smallPrimes;
}

/**
 * n mod r for every small prime r, with one BigInt division per group of primes whose product
 * stays below 2^53 (the rest is float-exact Number arithmetic).
 */
function residues(n: bigint, primes: Uint32Array, count: number): Uint32Array {
  const out = new Uint32Array(count);
  let i = 0;
  while (i < count) {
    let product = 1;
    let j = i;
    while (j < count && product * (primes[j] as number) < 2 ** 53) product *= primes[j++] as number;
    const r = Number(n % BigInt(product));
    for (let t = i; t < j; t++) out[t] = r % (primes[t] as number);
    i = j;
  }
  return out;
}

/** Trial division by the first primes; returns 'prime' | 'composite' | 'unknown'. */
function trialDivision(n: bigint): 'prime' | 'composite' | 'unknown' {
  if (n < 2n) return 'composite';
  if (n < 4n) return 'prime';
  if ((n & 1n) === 0n) return 'composite';
  const primes = oddSmallPrimes();
  const count = Math.min(primes.length, 1000);
  if (n <= BigInt(primes[count - 1] as number) ** 2n) {
    for (let i = 0; i < count; i++) {
      const p = BigInt(primes[i] as number);
      if (p * p > n) return 'prime';
      if (n % p === 0n) return n === p ? 'prime' : 'composite';
    }
    return 'prime';
  }
  const rs = residues(n, primes, count);
  for (let i = 0; i < count; i++) if (rs[i] === 0) return 'composite';
  return 'unknown';
}

/** One Miller–Rabin round with base a, n odd > 3, n − 1 = d·2^s. */
function millerRabinRound(n: bigint, d: bigint, s: number, a: bigint): boolean {
  let x = modPowBigInt(a, d, n);
  if (x === 1n || x === n - 1n) return true;
  for (let r = 1; r < s; r++) {
    x = (x * x) % n;
    if (x === n - 1n) return true;
    if (x === 1n) return false;
  }
  return false;
}

/** Miller–Rabin with `rounds` uniformly random bases in [2, n−2], after trial division. */
export function isProbablePrimeBigInt(n: bigint, rounds: number = MILLER_RABIN_ROUNDS): boolean {
  const quick = trialDivision(n);
  if (quick !== 'unknown') return quick === 'prime';
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (let i = 0; i < rounds; i++) {
    if (!millerRabinRound(n, d, s, 2n + randomBelow(n - 3n))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Prime search

/** Candidates per sieved window (offsets k = 0 … WINDOW−1). */
const WINDOW = 1 << 14;

/** (−a / step) mod r for small r coprime to step, as the residue class of k to strike out. */
function strike(a: number, step: number, r: number): number {
  // step^-1 mod r by brute force over tiny step values is wasteful; use extended Euclid.
  let [oldR, rr] = [step % r, r];
  let [oldS, s] = [1, 0];
  while (rr !== 0) {
    const q = Math.floor(oldR / rr);
    [oldR, rr] = [rr, oldR - q * rr];
    [oldS, s] = [s, oldS - q * s];
  }
  const inv = ((oldS % r) + r) % r;
  return (((r - (a % r)) % r) * inv) % r;
}

function fermatBase2(n: bigint): boolean {
  return modPowBigInt(2n, n - 1n, n) === 1n;
}

/**
 * A random start x0 of `bits` bits with the top two bits set and x0 ≡ residue (mod step), so
 * every candidate x0 + step·k of the window keeps `bits` bits (checked again per candidate).
 */
function randomStart(bits: number, step: bigint, residue: bigint): bigint {
  const top = 3n << BigInt(bits - 2);
  const x = top | randomBits(bits - 2);
  return x - mod(x - residue, step);
}

function hasTopTwoBits(x: bigint, bits: number): boolean {
  return bitLength(x) === bits && x >> BigInt(bits - 2) === 3n;
}

/**
 * A Blum prime (≡ 3 mod 4) of exactly `bits` bits with the top two bits set: candidates
 * x0 + 4k, sieved by every small prime.
 */
export function searchBlumPrime(bits: number): bigint {
  const primes = oddSmallPrimes();
  for (;;) {
    const x0 = randomStart(bits, 4n, 3n);
    const count = primes.length;
    const rs = residues(x0, primes, count);
    const struck = new Uint8Array(WINDOW);
    for (let i = 0; i < count; i++) {
      const r = primes[i] as number;
      for (let k = strike(rs[i] as number, 4, r); k < WINDOW; k += r) struck[k] = 1;
    }
    for (let k = 0; k < WINDOW; k++) {
      if (struck[k] === 1) continue;
      const p = x0 + 4n * BigInt(k);
      if (!hasTopTwoBits(p, bits)) break;
      if (fermatBase2(p) && isProbablePrimeBigInt(p, GENERATED_PRIME_ROUNDS)) return p;
    }
  }
}

/**
 * A safe prime p = 2p' + 1 of exactly `bits` bits (top two bits set): p' runs over
 * x0 + 6k with x0 ≡ 5 (mod 6) (p' odd and p' ≢ 1 mod 3, else 3 | p), and for every small prime r
 * both p' ≡ 0 and p' ≡ (r−1)/2 (mod r) (that is r | 2p'+1) are struck out before any
 * exponentiation.
 */
export function searchSafePrime(bits: number): bigint {
  const primes = oddSmallPrimes();
  // r = 3 is handled by the residue class mod 6.
  const count = primes.length;
  for (;;) {
    const x0 = randomStart(bits - 1, 6n, 5n);
    const rs = residues(x0, primes, count);
    const struck = new Uint8Array(WINDOW);
    for (let i = 1; i < count; i++) {
      const r = primes[i] as number;
      const a = rs[i] as number;
      for (let k = strike(a, 6, r); k < WINDOW; k += r) struck[k] = 1;
      // p' ≡ (r−1)/2 ⇔ p' + (r+1)/2 ≡ 0
      for (let k = strike((a + (r + 1) / 2) % r, 6, r); k < WINDOW; k += r) struck[k] = 1;
    }
    for (let k = 0; k < WINDOW; k++) {
      if (struck[k] === 1) continue;
      const q = x0 + 6n * BigInt(k);
      if (!hasTopTwoBits(q, bits - 1)) break;
      const p = 2n * q + 1n;
      if (!fermatBase2(q) || !fermatBase2(p)) continue;
      if (isProbablePrimeBigInt(q, GENERATED_PRIME_ROUNDS) && isProbablePrimeBigInt(p, GENERATED_PRIME_ROUNDS)) {
        return p;
      }
    }
  }
}

function assertPrimeRequest(bits: number, kind: PrimeKind): void {
  if (!Number.isSafeInteger(bits) || bits < 16 || bits > 8192 || (kind !== 'blum' && kind !== 'safe')) {
    throw new MpcError(
      'MPC_INVALID_MESSAGE',
      'arith.prime-request',
      'prime size must be 16..8192 bits, kind blum|safe',
      {
        bits,
      },
    );
  }
}

/** The portable backend. */
export function createBigIntArithmetic(): Arithmetic {
  return {
    name: 'bigint',
    modPow: modPowBigInt,
    async generatePrime(bits: number, kind: PrimeKind): Promise<bigint> {
      assertPrimeRequest(bits, kind);
      // Yield once so a caller's pending work (timers, messages) runs before the long search.
      await Promise.resolve();
      return kind === 'blum' ? searchBlumPrime(bits) : searchSafePrime(bits);
    },
    isProbablePrime: (n: bigint) => isProbablePrimeBigInt(n),
  };
}
