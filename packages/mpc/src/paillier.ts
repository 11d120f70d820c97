/**
 * Paillier encryption (Paillier, EUROCRYPT 1999) with g = 1 + N, so g^m = 1 + mN mod N² and
 * encryption costs one exponentiation r^N. Decryption uses the Chinese-remainder form of
 * Paillier 1999 §7 ("Decryption using Chinese-remaindering"): m_p = L_p(c^(p−1) mod p²)·h_p mod p
 * with L_p(x) = (x−1)/p and h_p = L_p(g^(p−1) mod p²)^-1 mod p, likewise for q, then CRT — about 3×
 * faster than the λ form. Keys are two distinct 1024-bit Blum primes with the top two bits set, so
 * N has exactly PAILLIER_BITS bits and Π^mod (CGGMP21 Fig. 16) applies. A received modulus is
 * refused when it has the wrong size, is even, a perfect power or prime, and every received
 * ciphertext must satisfy 0 < c < N² and gcd(c, N) = 1 (research notes §2.3).
 */
import type { Arithmetic } from './arith/backend.js';
import { isProbablePrimeBigInt } from './arith/bigint.js';
import {
  bitLength,
  type CrtModulus,
  crtCombine,
  crtModulus,
  gcd,
  hexToInt,
  intToHex,
  isPerfectPower,
  mod,
  modInverse,
  powSigned,
  randomUnit,
} from './arith/modular.js';
import { MpcError } from './errors.js';
import { PAILLIER_BITS } from './params.js';
import { expectRecord } from './zk/context.js';

export interface PaillierPublicKey {
  readonly N: bigint;
  readonly N2: bigint;
}

export interface PaillierSecretKey {
  readonly publicKey: PaillierPublicKey;
  readonly p: bigint;
  readonly q: bigint;
  /** φ(N) = (p−1)(q−1). */
  readonly phi: bigint;
  /** CRT over (p, q) with exponents mod (p−1, q−1): roots and exponentiations mod N. */
  readonly crtN: CrtModulus;
  /** CRT over (p², q²) with exponents mod (p(p−1), q(q−1)): exponentiations mod N². */
  readonly crtN2: CrtModulus;
  /** h_p = L_p(g^(p−1) mod p²)^-1 mod p, and h_q likewise (Paillier 1999 §7). */
  readonly hp: bigint;
  readonly hq: bigint;
}

function modulusError(check: string, message: string): MpcError {
  return new MpcError('MPC_PAILLIER_MODULUS_INVALID', check, message);
}

/**
 * A Paillier public key from a modulus received from another party: exactly PAILLIER_BITS bits,
 * odd, not a perfect power, not prime. (That N is a product of two Blum primes with no small
 * factor is what Π^mod and Π^fac prove on top.)
 */
export function paillierPublicKey(N: bigint): PaillierPublicKey {
  if (typeof N !== 'bigint' || bitLength(N) !== PAILLIER_BITS || N < 0n) {
    throw modulusError('paillier.size', `Paillier modulus must have exactly ${PAILLIER_BITS} bits`);
  }
  if ((N & 1n) === 0n) throw modulusError('paillier.even', 'Paillier modulus is even');
  if (isPerfectPower(N)) throw modulusError('paillier.perfect-power', 'Paillier modulus is a perfect power');
  if (isProbablePrimeBigInt(N)) throw modulusError('paillier.prime', 'Paillier modulus is prime');
  return { N, N2: N * N };
}

/** L_p(x) = (x − 1)/p for x ≡ 1 (mod p). */
function L(x: bigint, n: bigint): bigint {
  return (x - 1n) / n;
}

/**
 * A secret key from its primes (fixtures, and restoring from storage). The primes themselves are
 * trusted here (they come from our own generator or storage), but their shape is checked: distinct,
 * Blum, half-size, N of exactly PAILLIER_BITS bits. Messages never carry the values.
 */
export function paillierSecretKeyFromPrimes(p: bigint, q: bigint): PaillierSecretKey {
  const half = PAILLIER_BITS / 2;
  const ok =
    typeof p === 'bigint' &&
    typeof q === 'bigint' &&
    p !== q &&
    bitLength(p) === half &&
    bitLength(q) === half &&
    p > 0n &&
    q > 0n &&
    (p & 3n) === 3n &&
    (q & 3n) === 3n &&
    bitLength(p * q) === PAILLIER_BITS;
  if (!ok) {
    throw modulusError(
      'paillier.secret',
      `Paillier primes must be distinct ${half}-bit Blum primes with a ${PAILLIER_BITS}-bit product`,
    );
  }
  const N = p * q;
  const phi = (p - 1n) * (q - 1n);
  if (gcd(N, phi) !== 1n) throw modulusError('paillier.secret', 'gcd(N, φ(N)) must be 1');
  const p2 = p * p;
  const q2 = q * q;
  // g = 1 + N: g^(p−1) mod p² = 1 + (p−1)·N mod p² by the binomial theorem.
  const hp = modInverse(L(mod(1n + (p - 1n) * N, p2), p), p);
  const hq = modInverse(L(mod(1n + (q - 1n) * N, q2), q), q);
  return {
    publicKey: { N, N2: N * N },
    p,
    q,
    phi,
    crtN: crtModulus(p, p - 1n, q, q - 1n),
    crtN2: crtModulus(p2, p * (p - 1n), q2, q * (q - 1n)),
    hp,
    hq,
  };
}

/** Two fresh distinct Blum primes of PAILLIER_BITS/2 bits each (N exactly PAILLIER_BITS bits). */
export async function generatePaillierKey(arith: Arithmetic): Promise<PaillierSecretKey> {
  for (;;) {
    const p = await arith.generatePrime(PAILLIER_BITS / 2, 'blum');
    const q = await arith.generatePrime(PAILLIER_BITS / 2, 'blum');
    if (p !== q && bitLength(p * q) === PAILLIER_BITS) return paillierSecretKeyFromPrimes(p, q);
  }
}

/**
 * Refuses a received ciphertext outside Z*_{N²}: MPC_PAILLIER_CIPHERTEXT_INVALID with check
 * `ciphertext.range` (not 0 < c < N²) or `ciphertext.coprime` (gcd(c, N) ≠ 1). `field` names it.
 */
export function assertCiphertext(pk: PaillierPublicKey, c: bigint, field: string): void {
  if (typeof c !== 'bigint' || c <= 0n || c >= pk.N2) {
    throw new MpcError('MPC_PAILLIER_CIPHERTEXT_INVALID', 'ciphertext.range', `"${field}" is not in (0, N²)`, {
      field,
    });
  }
  if (gcd(c, pk.N) !== 1n) {
    throw new MpcError('MPC_PAILLIER_CIPHERTEXT_INVALID', 'ciphertext.coprime', `"${field}" is not coprime to N`, {
      field,
    });
  }
}

/**
 * c = (1 + N)^m · r^N mod N². `m` may be any integer (reduced mod N, so negative values encrypt
 * N − |m|); `r` is drawn from Z*_N unless given (then it must be in Z*_N).
 */
export function encrypt(arith: Arithmetic, pk: PaillierPublicKey, m: bigint, r?: bigint): { c: bigint; r: bigint } {
  const rr = r ?? randomUnit(pk.N);
  if (rr <= 0n || rr >= pk.N || gcd(rr, pk.N) !== 1n) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'paillier.randomness', 'encryption randomness must be in Z*_N');
  }
  const gm = mod(1n + mod(m, pk.N) * pk.N, pk.N2);
  return { c: (gm * arith.modPow(rr, pk.N, pk.N2)) % pk.N2, r: rr };
}

/** The plaintext in [0, N) by CRT decryption. The ciphertext is validated first. */
export function decrypt(arith: Arithmetic, sk: PaillierSecretKey, c: bigint): bigint {
  assertCiphertext(sk.publicKey, c, 'ciphertext');
  const { p, q } = sk;
  const mp = mod(L(arith.modPow(c, p - 1n, sk.crtN2.m1), p) * sk.hp, p);
  const mq = mod(L(arith.modPow(c, q - 1n, sk.crtN2.m2), q) * sk.hq, q);
  return crtCombine(sk.crtN, mp, mq);
}

/**
 * The textbook λ-form decryption m = L(c^φ mod N²)·φ^-1 mod N (Paillier 1999 §3, with φ in place
 * of λ, which is equivalent for g = 1 + N). Kept as the reference the CRT path is tested against.
 */
export function decryptWithoutCrt(arith: Arithmetic, sk: PaillierSecretKey, c: bigint): bigint {
  assertCiphertext(sk.publicKey, c, 'ciphertext');
  const { N, N2 } = sk.publicKey;
  return mod(L(arith.modPow(c, sk.phi, N2), N) * modInverse(sk.phi, N), N);
}

/** The plaintext as a signed value in (−N/2, N/2]. */
export function decryptSigned(arith: Arithmetic, sk: PaillierSecretKey, c: bigint): bigint {
  const m = decrypt(arith, sk, c);
  return m > sk.publicKey.N >> 1n ? m - sk.publicKey.N : m;
}

/** Enc(a + b) from Enc(a), Enc(b). */
export function addCiphertexts(pk: PaillierPublicKey, a: bigint, b: bigint): bigint {
  return (a * b) % pk.N2;
}

/** Enc(k·m) from Enc(m); k may be negative (the ciphertext is then inverted mod N²). */
export function scaleCiphertext(arith: Arithmetic, pk: PaillierPublicKey, c: bigint, k: bigint): bigint {
  return powSigned(arith, c, k, pk.N2);
}

// ---------------------------------------------------------------------------------------------
// Serialization (lowercase hex integers).

export interface PaillierPublicKeyJson {
  readonly N: string;
}

export interface PaillierSecretKeyJson {
  readonly p: string;
  readonly q: string;
}

export function publicKeyToJson(pk: PaillierPublicKey): PaillierPublicKeyJson {
  return { N: intToHex(pk.N) };
}

/** Parses and validates (as `paillierPublicKey`) a received public key. */
export function publicKeyFromJson(value: unknown, field = 'paillierPublicKey'): PaillierPublicKey {
  const record = expectRecord(value, field, ['N']);
  return paillierPublicKey(hexToInt(record.N, `${field}.N`, { maxBits: PAILLIER_BITS }));
}

export function secretKeyToJson(sk: PaillierSecretKey): PaillierSecretKeyJson {
  return { p: intToHex(sk.p), q: intToHex(sk.q) };
}

export function secretKeyFromJson(value: unknown, field = 'paillierSecretKey'): PaillierSecretKey {
  const record = expectRecord(value, field, ['p', 'q']);
  const p = hexToInt(record.p, `${field}.p`, { maxBits: PAILLIER_BITS });
  const q = hexToInt(record.q, `${field}.q`, { maxBits: PAILLIER_BITS });
  return paillierSecretKeyFromPrimes(p, q);
}
