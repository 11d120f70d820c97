/**
 * Π^prm: proof that ring-Pedersen parameters are well formed, s ∈ ⟨t⟩ (the prover knows λ with
 * s = t^λ mod Ñ), CGGMP21 ePrint 2021/060 Fig. 17, made non-interactive with Fiat–Shamir. For
 * i = 1..m the prover commits A_i = t^a_i with a_i ← Z_φ(Ñ); the binary challenges e_i come from
 * the transcript ('pi-prm', session id, prover id, Ñ, s, t, all A_i); it answers
 * z_i = a_i + e_i·λ mod φ(Ñ). The verifier checks t^z_i ≡ A_i·s^e_i (mod Ñ). Soundness error is
 * 2^-m with m = PI_PRM_ROUNDS = 80, the verifier's constant — the okx DLN proof's 30 rounds can be
 * ground offline (research notes §1.9 item 3). The verifier first runs
 * `assertRingPedersenParams`, so s = t, trivial values and wrong sizes never reach the proof.
 */
import type { Arithmetic } from '../arith/backend.js';
import { hexToInt, intToHex, modPowCrt, randomBelow } from '../arith/modular.js';
import { MpcError } from '../errors.js';
import { PI_PRM_ROUNDS, RING_PEDERSEN_BITS } from '../params.js';
import {
  type AssertRingPedersenOptions,
  assertRingPedersenParams,
  type RingPedersenParams,
  type RingPedersenSecret,
} from '../ring-pedersen.js';
import { Transcript } from '../transcript.js';
import { bindContext, expectArray, expectRecord, type ProofContext } from './context.js';

export interface PiPrmProof {
  readonly A: readonly bigint[];
  readonly z: readonly bigint[];
}

export interface PiPrmProofJson {
  readonly A: readonly string[];
  readonly z: readonly string[];
}

function challengeBits(ctx: ProofContext, params: RingPedersenParams, A: readonly bigint[]): boolean[] {
  const transcript = bindContext(new Transcript('pi-prm'), ctx)
    .int('m', PI_PRM_ROUNDS)
    .bigint('N', params.N)
    .bigint('s', params.s)
    .bigint('t', params.t)
    .bigints('A', A);
  return transcript.challengeBits('e', PI_PRM_ROUNDS);
}

function fail(check: string, message: string, details: Record<string, number> = {}): MpcError {
  return new MpcError('MPC_PI_PRM_INVALID', `pi-prm.${check}`, message, details);
}

/** Proves s ∈ ⟨t⟩ for the prover's own parameters (exponentiations by CRT with its factors). */
export function provePrm(arith: Arithmetic, ctx: ProofContext, secret: RingPedersenSecret): PiPrmProof {
  const { params, phi, lambda, crt } = secret;
  const a = Array.from({ length: PI_PRM_ROUNDS }, () => randomBelow(phi));
  const A = a.map((ai) => modPowCrt(arith, params.t, ai, crt));
  const e = challengeBits(ctx, params, A);
  const z = a.map((ai, i) => (e[i] === true ? (ai + lambda) % phi : ai));
  return { A, z };
}

/**
 * Verifies Π^prm for parameters received from the prover. Throws MPC_RING_PEDERSEN_INVALID from
 * `assertRingPedersenParams` (with `options.otherModulus` = the prover's Paillier N), then
 * MPC_PI_PRM_INVALID with checks `pi-prm.rounds`, `pi-prm.range`, `pi-prm.response`.
 */
export function verifyPrm(
  arith: Arithmetic,
  ctx: ProofContext,
  params: RingPedersenParams,
  proof: PiPrmProof,
  options: AssertRingPedersenOptions = {},
): void {
  assertRingPedersenParams(params, options);
  if (proof.A.length !== PI_PRM_ROUNDS || proof.z.length !== PI_PRM_ROUNDS) {
    throw fail('rounds', `Π^prm must have exactly ${PI_PRM_ROUNDS} rounds`, {
      commitments: proof.A.length,
      responses: proof.z.length,
    });
  }
  const { N, s, t } = params;
  proof.A.forEach((Ai, round) => {
    const zi = proof.z[round] as bigint;
    if (Ai <= 0n || Ai >= N || zi < 0n || zi >= N)
      throw fail('range', 'A is not in [1, Ñ) or z not in [0, Ñ)', { round });
  });
  const e = challengeBits(ctx, params, proof.A);
  proof.A.forEach((Ai, round) => {
    const rhs = e[round] === true ? (Ai * s) % N : Ai;
    if (arith.modPow(t, proof.z[round] as bigint, N) !== rhs) throw fail('response', 't^z ≢ A·s^e (mod Ñ)', { round });
  });
}

// ---------------------------------------------------------------------------------------------
// JSON codec

export function encodePrmProof(proof: PiPrmProof): PiPrmProofJson {
  return { A: proof.A.map(intToHex), z: proof.z.map(intToHex) };
}

/** Decodes a received Π^prm proof (MPC_INVALID_MESSAGE per field); `verifyPrm` checks the count. */
export function decodePrmProof(value: unknown, field = 'piPrm'): PiPrmProof {
  const record = expectRecord(value, field, ['A', 'z']);
  const opts = { maxBits: 2 * RING_PEDERSEN_BITS };
  const list = (key: 'A' | 'z'): bigint[] =>
    expectArray(record[key], `${field}.${key}`, 4 * PI_PRM_ROUNDS).map((v, i) =>
      hexToInt(v, `${field}.${key}[${i}]`, opts),
    );
  return { A: list('A'), z: list('z') };
}
