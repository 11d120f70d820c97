/**
 * Ring-Pedersen parameters (CGGMP21 ePrint 2021/060 §3.3, Def. 3.3; generated as in the
 * auxiliary-info phase, Fig. 6): Ñ = p·q for two distinct safe primes, t = r² mod Ñ for a random
 * r ∈ Z*_Ñ (so t generates the quadratic residues, of order p'q'), s = t^λ for a secret λ ← Z_φ(Ñ).
 * A commitment s^x·t^r mod Ñ hides x statistically when s ∈ ⟨t⟩ (proved by Π^prm) and binds the
 * committer as long as it cannot factor Ñ. The owner keeps λ and the factors secret; parameters
 * received from another party go through `assertRingPedersenParams` (research notes §2.3) and
 * Π^prm before any commitment is made under them.
 */
import type { Arithmetic } from './arith/backend.js';
import { createBigIntArithmetic, isProbablePrimeBigInt } from './arith/bigint.js';
import {
  bitLength,
  type CrtModulus,
  crtModulus,
  gcd,
  hexToInt,
  intToHex,
  isPerfectPower,
  modPowCrt,
  powSigned,
  randomBelow,
  randomUnit,
} from './arith/modular.js';
import { MpcError } from './errors.js';
import { RING_PEDERSEN_BITS } from './params.js';
import { expectRecord } from './zk/context.js';

export interface RingPedersenParams {
  /** Ñ */
  readonly N: bigint;
  readonly s: bigint;
  readonly t: bigint;
}

export interface RingPedersenSecret {
  readonly params: RingPedersenParams;
  readonly p: bigint;
  readonly q: bigint;
  /** s = t^λ mod Ñ. */
  readonly lambda: bigint;
  /** φ(Ñ) = (p−1)(q−1). */
  readonly phi: bigint;
  /** CRT over (p, q) with exponents mod (p−1, q−1), for the owner's exponentiations mod Ñ. */
  readonly crt: CrtModulus;
}

function secretError(message: string): MpcError {
  return new MpcError('MPC_RING_PEDERSEN_INVALID', 'ring-pedersen.secret', message);
}

function assertPrimesShape(p: bigint, q: bigint): void {
  const half = RING_PEDERSEN_BITS / 2;
  const ok =
    typeof p === 'bigint' &&
    typeof q === 'bigint' &&
    p !== q &&
    p > 0n &&
    q > 0n &&
    bitLength(p) === half &&
    bitLength(q) === half &&
    (p & 3n) === 3n &&
    (q & 3n) === 3n &&
    bitLength(p * q) === RING_PEDERSEN_BITS;
  if (!ok)
    throw secretError(
      `ring-Pedersen primes must be distinct ${half}-bit safe primes with a ${RING_PEDERSEN_BITS}-bit product`,
    );
}

function fromParts(p: bigint, q: bigint, t: bigint, lambda: bigint, arith: Arithmetic): RingPedersenSecret {
  const N = p * q;
  const phi = (p - 1n) * (q - 1n);
  const crt = crtModulus(p, p - 1n, q, q - 1n);
  const s = modPowCrt(arith, t, lambda, crt);
  return { params: { N, s, t }, p, q, lambda, phi, crt };
}

/**
 * Parameters from two safe primes (fixtures; `generateRingPedersen` for real keys) with fresh
 * t and λ. The primes are trusted (their shape is checked, not their primality).
 */
export function ringPedersenFromPrimes(
  p: bigint,
  q: bigint,
  arith: Arithmetic = createBigIntArithmetic(),
): RingPedersenSecret {
  assertPrimesShape(p, q);
  const N = p * q;
  const phi = (p - 1n) * (q - 1n);
  let t: bigint;
  do {
    const r = randomUnit(N);
    t = (r * r) % N;
    // t ≢ 1 mod p and mod q ⇒ t has the full order p'q' in QR_Ñ.
  } while (gcd(t - 1n, N) !== 1n);
  for (;;) {
    const secret = fromParts(p, q, t, randomBelow(phi), arith);
    const { s } = secret.params;
    if (s !== 1n && s !== t) return secret;
  }
}

/** Fresh parameters: two distinct RING_PEDERSEN_BITS/2-bit safe primes. */
export async function generateRingPedersen(arith: Arithmetic): Promise<RingPedersenSecret> {
  for (;;) {
    const p = await arith.generatePrime(RING_PEDERSEN_BITS / 2, 'safe');
    const q = await arith.generatePrime(RING_PEDERSEN_BITS / 2, 'safe');
    if (p !== q && bitLength(p * q) === RING_PEDERSEN_BITS) return ringPedersenFromPrimes(p, q, arith);
  }
}

export interface AssertRingPedersenOptions {
  /** The Paillier modulus of the same party: Ñ must differ from it. */
  readonly otherModulus?: bigint;
}

function paramsError(check: string, message: string): MpcError {
  return new MpcError('MPC_RING_PEDERSEN_INVALID', `ring-pedersen.${check}`, message);
}

/**
 * Refuses ring-Pedersen parameters received from another party (MPC_RING_PEDERSEN_INVALID):
 * `size` (Ñ not exactly RING_PEDERSEN_BITS bits), `odd`, `equals-paillier`, `s-t-range`
 * (not 0 < s, t < Ñ), `trivial` (s or t is ±1), `s-equals-t`, `coprime` (gcd with Ñ ≠ 1),
 * `perfect-power`, `prime`. That s ∈ ⟨t⟩ is Π^prm's job.
 */
export function assertRingPedersenParams(params: RingPedersenParams, opts: AssertRingPedersenOptions = {}): void {
  const { N, s, t } = params;
  if (typeof N !== 'bigint' || N <= 0n || bitLength(N) !== RING_PEDERSEN_BITS) {
    throw paramsError('size', `Ñ must have exactly ${RING_PEDERSEN_BITS} bits`);
  }
  if ((N & 1n) === 0n) throw paramsError('odd', 'Ñ is even');
  if (opts.otherModulus !== undefined && N === opts.otherModulus) {
    throw paramsError('equals-paillier', 'Ñ equals the Paillier modulus');
  }
  if (typeof s !== 'bigint' || typeof t !== 'bigint' || s <= 0n || t <= 0n || s >= N || t >= N) {
    throw paramsError('s-t-range', 's and t must lie in (0, Ñ)');
  }
  if (s === 1n || t === 1n || s === N - 1n || t === N - 1n) throw paramsError('trivial', 's or t is ±1');
  if (s === t) throw paramsError('s-equals-t', 's equals t');
  if (gcd(s, N) !== 1n || gcd(t, N) !== 1n) throw paramsError('coprime', 's or t shares a factor with Ñ');
  if (isPerfectPower(N)) throw paramsError('perfect-power', 'Ñ is a perfect power');
  if (isProbablePrimeBigInt(N)) throw paramsError('prime', 'Ñ is prime');
}

/** s^x · t^r mod Ñ; x and r may be negative (s and t are units). */
export function commit(arith: Arithmetic, params: RingPedersenParams, x: bigint, r: bigint): bigint {
  return (powSigned(arith, params.s, x, params.N) * powSigned(arith, params.t, r, params.N)) % params.N;
}

// ---------------------------------------------------------------------------------------------
// Serialization (lowercase hex integers).

export interface RingPedersenParamsJson {
  readonly N: string;
  readonly s: string;
  readonly t: string;
}

export interface RingPedersenSecretJson {
  readonly p: string;
  readonly q: string;
  readonly lambda: string;
  readonly t: string;
}

export function paramsToJson(params: RingPedersenParams): RingPedersenParamsJson {
  return { N: intToHex(params.N), s: intToHex(params.s), t: intToHex(params.t) };
}

/** Decodes the encoding only; call `assertRingPedersenParams` (and verify Π^prm) before use. */
export function paramsFromJson(value: unknown, field = 'ringPedersen'): RingPedersenParams {
  const record = expectRecord(value, field, ['N', 's', 't']);
  const opts = { maxBits: RING_PEDERSEN_BITS };
  return {
    N: hexToInt(record.N, `${field}.N`, opts),
    s: hexToInt(record.s, `${field}.s`, opts),
    t: hexToInt(record.t, `${field}.t`, opts),
  };
}

export function secretToJson(secret: RingPedersenSecret): RingPedersenSecretJson {
  return {
    p: intToHex(secret.p),
    q: intToHex(secret.q),
    lambda: intToHex(secret.lambda),
    t: intToHex(secret.params.t),
  };
}

/** Restores a secret from storage; s is recomputed as t^λ. */
export function secretFromJson(
  value: unknown,
  field = 'ringPedersenSecret',
  arith: Arithmetic = createBigIntArithmetic(),
): RingPedersenSecret {
  const record = expectRecord(value, field, ['p', 'q', 'lambda', 't']);
  const opts = { maxBits: RING_PEDERSEN_BITS };
  const p = hexToInt(record.p, `${field}.p`, opts);
  const q = hexToInt(record.q, `${field}.q`, opts);
  const lambda = hexToInt(record.lambda, `${field}.lambda`, opts);
  const t = hexToInt(record.t, `${field}.t`, opts);
  assertPrimesShape(p, q);
  const N = p * q;
  if (t <= 1n || t >= N || gcd(t - 1n, N) !== 1n || lambda >= (p - 1n) * (q - 1n)) {
    throw secretError('stored ring-Pedersen secret is inconsistent');
  }
  const secret = fromParts(p, q, t, lambda, arith);
  if (secret.params.s === 1n || secret.params.s === t) throw secretError('stored ring-Pedersen secret is degenerate');
  return secret;
}
