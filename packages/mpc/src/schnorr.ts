/**
 * Schnorr proof of knowledge of a discrete logarithm x for X = x·G (Schnorr, J. Cryptology 1991),
 * made non-interactive with Fiat–Shamir (Fiat–Shamir, CRYPTO 1986). The challenge hashes a domain
 * tag, the session id, the prover's party id, the full statement X and the first message A, each
 * length-prefixed, as the "strong" Fiat–Shamir of Bernhard–Pereira–Warinschi (ASIACRYPT 2012) and
 * research notes §2.3 require: a proof from one session or one party cannot be replayed as another
 * (the missing-ssid-and-pid pitfall that OKX's DKG PoK has, §1.3).
 */

import {
  decodePoint,
  encodePoint,
  modQ,
  mulG,
  mulPublic,
  type Point,
  pointToHex,
  q,
  randomScalar,
  scalarToHex,
} from './curve.js';
import { MpcError } from './errors.js';
import { Transcript } from './transcript.js';

export interface SchnorrContext {
  /** Names what is proven, e.g. `dkg/pok`. */
  readonly domain: string;
  readonly sessionId: string;
  readonly prover: number;
}

export interface SchnorrProof {
  /** First message A = k·G. */
  readonly A: Point;
  /** Response z = k + e·x mod q. */
  readonly z: bigint;
}

/** The wire form: compressed point and 32-byte scalar, lowercase hex without `0x`. */
export interface SchnorrProofJson {
  readonly A: string;
  readonly z: string;
}

function challenge(ctx: SchnorrContext, X: Point, A: Point): bigint {
  return new Transcript(`schnorr/${ctx.domain}`)
    .string('sid', ctx.sessionId)
    .int('pid', ctx.prover)
    .bytes('X', encodePoint(X))
    .bytes('A', encodePoint(A))
    .challengeBelow('e', q);
}

/** Proves knowledge of x for X = x·G (X is recomputed when omitted). */
export function proveSchnorr(ctx: SchnorrContext, x: bigint, X: Point = mulG(x)): SchnorrProof {
  const k = randomScalar();
  const A = mulG(k);
  const e = challenge(ctx, X, A);
  return { A, z: modQ(k + e * x) };
}

/**
 * Verifies z·G = A + e·X. Throws MPC_SCHNORR_PROOF_INVALID with check `schnorr.z-range` (z ∉ [0, q))
 * or `schnorr.equation`; the identity as X or A is refused (`schnorr.identity`).
 */
export function verifySchnorr(ctx: SchnorrContext, X: Point, proof: SchnorrProof): void {
  if (proof.z < 0n || proof.z >= q) {
    throw new MpcError('MPC_SCHNORR_PROOF_INVALID', 'schnorr.z-range', 'Schnorr response is not in [0, q)', {
      prover: ctx.prover,
    });
  }
  if (X.is0() || proof.A.is0()) {
    throw new MpcError(
      'MPC_SCHNORR_PROOF_INVALID',
      'schnorr.identity',
      'Schnorr statement or first message is the identity',
      {
        prover: ctx.prover,
      },
    );
  }
  const e = challenge(ctx, X, proof.A);
  if (!mulG(proof.z).equals(proof.A.add(mulPublic(X, e)))) {
    throw new MpcError(
      'MPC_SCHNORR_PROOF_INVALID',
      'schnorr.equation',
      `party ${ctx.prover}'s proof of knowledge does not verify`,
      {
        prover: ctx.prover,
      },
    );
  }
}

export function encodeSchnorrProof(proof: SchnorrProof): SchnorrProofJson {
  return { A: pointToHex(proof.A), z: scalarToHex(proof.z) };
}

/** Decodes a proof from the wire; A goes through decodePoint (on curve, not the identity). */
export function decodeSchnorrProof(value: unknown, field: string): SchnorrProof {
  if (typeof value !== 'object' || value === null) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'schnorr.shape', `"${field}" is not a Schnorr proof`, { field });
  }
  const { A, z } = value as Record<string, unknown>;
  if (typeof z !== 'string' || !/^[0-9a-f]{64}$/.test(z)) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'schnorr.shape', `"${field}.z" is not a 32-byte hex scalar`, {
      field: `${field}.z`,
    });
  }
  return { A: decodePoint(A, `${field}.A`), z: BigInt(`0x${z}`) };
}
