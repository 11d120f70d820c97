/**
 * Π^mod: proof that a Paillier modulus N is a Paillier–Blum modulus (N = pq, p ≡ q ≡ 3 mod 4,
 * gcd(N, φ(N)) = 1), CGGMP21 ePrint 2021/060 Fig. 16, made non-interactive with Fiat–Shamir.
 * The prover picks w with Jacobi symbol (w/N) = −1; the challenges y_i ∈ Z_N come from the
 * transcript ('pi-mod', session id, prover id, N, w); for each i it answers
 *   x_i = ((−1)^a_i · w^b_i · y_i)^(1/4) mod N   (the unique a_i, b_i making that a residue),
 *   z_i = y_i^(N^-1 mod φ(N)) mod N.
 * The verifier checks N odd and composite, the round count against its own constant
 * PI_MOD_ROUNDS (never the proof's), w and every response in range, (w/N) = −1, z_i^N ≡ y_i and
 * x_i^4 ≡ (−1)^a_i w^b_i y_i (mod N) — each with its own check name (MPC_PI_MOD_INVALID).
 */
import type { Arithmetic } from '../arith/backend.js';
import {
  type CrtModulus,
  crtCombine,
  crtModulus,
  hexToInt,
  intToHex,
  jacobi,
  mod,
  modInverse,
  modPowCrt,
  randomUnit,
} from '../arith/modular.js';
import { MpcError } from '../errors.js';
import { PI_MOD_ROUNDS } from '../params.js';
import { Transcript } from '../transcript.js';
import { bindContext, expectArray, expectRecord, type ProofContext } from './context.js';

export interface PiModRound {
  readonly x: bigint;
  readonly a: boolean;
  readonly b: boolean;
  readonly z: bigint;
}

export interface PiModProof {
  readonly w: bigint;
  readonly rounds: readonly PiModRound[];
}

export interface PiModRoundJson {
  readonly x: string;
  /** "0" or "1" */
  readonly a: string;
  /** "0" or "1" */
  readonly b: string;
  readonly z: string;
}

export interface PiModProofJson {
  readonly w: string;
  readonly rounds: readonly PiModRoundJson[];
}

export interface PiModWitness {
  readonly N: bigint;
  readonly p: bigint;
  readonly q: bigint;
}

/** The challenges y_1..y_m ∈ Z_N, bound to the context, N and w. */
function challenges(ctx: ProofContext, N: bigint, w: bigint): bigint[] {
  const transcript = bindContext(new Transcript('pi-mod'), ctx).int('m', PI_MOD_ROUNDS).bigint('N', N).bigint('w', w);
  return transcript.challengesBelow('y', N, PI_MOD_ROUNDS);
}

function fail(check: string, message: string, details: Record<string, number> = {}): MpcError {
  return new MpcError('MPC_PI_MOD_INVALID', `pi-mod.${check}`, message, details);
}

/** (−1)^a · w^b · y mod N */
function twist(N: bigint, w: bigint, y: bigint, a: boolean, b: boolean): bigint {
  let v = b ? (w * y) % N : y;
  if (a) v = N - v;
  return v === N ? 0n : v;
}

/**
 * The fourth root of a quadratic residue v mod a Blum prime p: v^((p+1)/4) is the square root that
 * is itself a residue, so applying it twice gives the residue fourth root, v^(((p+1)/4)^2).
 */
function fourthRootExponent(p: bigint): bigint {
  const e = (p + 1n) / 4n;
  return (e * e) % (p - 1n);
}

export function proveMod(arith: Arithmetic, ctx: ProofContext, witness: PiModWitness): PiModProof {
  const { N, p, q } = witness;
  if (p * q !== N || p === q || (p & 3n) !== 3n || (q & 3n) !== 3n) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'pi-mod.witness', 'Π^mod witness is not a Paillier–Blum factorization');
  }
  const crt: CrtModulus = crtModulus(p, p - 1n, q, q - 1n);
  const phi = (p - 1n) * (q - 1n);
  const nInverse = modInverse(N, phi);
  const rootP = fourthRootExponent(p);
  const rootQ = fourthRootExponent(q);
  let w: bigint;
  do w = randomUnit(N);
  while (jacobi(w, N) !== -1);
  const rounds = challenges(ctx, N, w).map((y): PiModRound => {
    for (const a of [false, true]) {
      for (const b of [false, true]) {
        const v = twist(N, w, y, a, b);
        if (jacobi(v, p) !== 1 || jacobi(v, q) !== 1) continue;
        const x = crtCombine(crt, arith.modPow(v, rootP, p), arith.modPow(v, rootQ, q));
        return { x, a, b, z: modPowCrt(arith, y, nInverse, crt) };
      }
    }
    // Only when gcd(y, N) ≠ 1, i.e. the hash output factored N: probability about 2^-1023.
    throw new MpcError('MPC_INVALID_MESSAGE', 'pi-mod.challenge', 'Π^mod challenge is not a unit');
  });
  return { w, rounds };
}

/** Verifies Π^mod for the modulus N the verifier holds; throws MPC_PI_MOD_INVALID naming the failed check. */
export function verifyMod(arith: Arithmetic, ctx: ProofContext, N: bigint, proof: PiModProof): void {
  if (proof.rounds.length !== PI_MOD_ROUNDS) {
    throw fail('rounds', `Π^mod must have exactly ${PI_MOD_ROUNDS} rounds`, { rounds: proof.rounds.length });
  }
  if (N < 3n || (N & 1n) === 0n) throw fail('n-even', 'N is even');
  if (arith.isProbablePrime(N)) throw fail('n-prime', 'N is prime');
  const { w } = proof;
  if (w <= 0n || w >= N) throw fail('w-range', 'w is not in [1, N)');
  if (jacobi(w, N) !== -1) throw fail('w-jacobi', 'Jacobi symbol (w/N) is not −1');
  proof.rounds.forEach(({ x, z }, round) => {
    if (x <= 0n || x >= N || z <= 0n || z >= N) throw fail('range', 'x or z is not in [1, N)', { round });
  });
  const ys = challenges(ctx, N, w);
  proof.rounds.forEach(({ x, a, b, z }, round) => {
    const y = ys[round] as bigint;
    if (arith.modPow(z, N, N) !== y) throw fail('z', 'z^N ≢ y (mod N)', { round });
    const x2 = (x * x) % N;
    if ((x2 * x2) % N !== mod(twist(N, w, y, a, b), N)) throw fail('x', 'x^4 ≢ (−1)^a w^b y (mod N)', { round });
  });
}

// ---------------------------------------------------------------------------------------------
// JSON codec

function bitToHex(bit: boolean): string {
  return bit ? '1' : '0';
}

function hexToBit(value: unknown, field: string): boolean {
  if (value !== '0' && value !== '1') {
    throw new MpcError('MPC_INVALID_MESSAGE', 'encoding.bit', `"${field}" expected "0" or "1"`, { field });
  }
  return value === '1';
}

export function encodeModProof(proof: PiModProof): PiModProofJson {
  return {
    w: intToHex(proof.w),
    rounds: proof.rounds.map((r) => ({ x: intToHex(r.x), a: bitToHex(r.a), b: bitToHex(r.b), z: intToHex(r.z) })),
  };
}

/**
 * Decodes a received Π^mod proof, validating every field (MPC_INVALID_MESSAGE). The round count is
 * bounded here only against abuse; `verifyMod` requires exactly PI_MOD_ROUNDS.
 */
export function decodeModProof(value: unknown, field = 'piMod'): PiModProof {
  const record = expectRecord(value, field, ['w', 'rounds']);
  const opts = { maxBits: 4096 };
  const rounds = expectArray(record.rounds, `${field}.rounds`, 4 * PI_MOD_ROUNDS).map((item, i): PiModRound => {
    const f = `${field}.rounds[${i}]`;
    const r = expectRecord(item, f, ['x', 'a', 'b', 'z']);
    return {
      x: hexToInt(r.x, `${f}.x`, opts),
      a: hexToBit(r.a, `${f}.a`),
      b: hexToBit(r.b, `${f}.b`),
      z: hexToInt(r.z, `${f}.z`, opts),
    };
  });
  return { w: hexToInt(record.w, `${field}.w`, opts), rounds };
}
