/**
 * Shamir secret sharing with Feldman verification over Z_q (q = the secp256k1 group order), the
 * 2-of-3 layer under the wallet key: degree-1 polynomials f(X) = a_0 + a_1·X, share s_i = f(i) for
 * party ids 1..3, Feldman commitments A_k = a_k·G so anyone can check s_i·G = A_0 + i·A_1 (Feldman,
 * "A Practical Scheme for Non-interactive Verifiable Secret Sharing", FOCS 1987), and Lagrange
 * coefficients at 0 for a signing pair, so x = λ_i·s_i + λ_j·s_j (Shamir, CACM 1979). Party ids must
 * be non-zero (f(0) is the secret) and distinct (mpc-pitfalls "party-index-non-zero-and-duplicate").
 */

import { modQ, mulG, mulPublic, Point, q, randomScalar } from './curve.js';
import { MpcError } from './errors.js';

/** f(X) = a_0 + a_1·X; a_0 is the shared secret. */
export type Polynomial = readonly [a0: bigint, a1: bigint];
/** Feldman commitments (A_0, A_1) = (a_0·G, a_1·G). */
export type FeldmanCommitments = readonly [A0: Point, A1: Point];

/** The largest party id accepted: ids are small positive integers (1..3 in the wallet). */
export const MAX_PARTY_ID = 255;

/** Throws MPC_INVALID_PARTY unless `id` is an integer in 1..MAX_PARTY_ID. */
export function assertPartyId(id: unknown, field = 'partyId'): asserts id is number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_PARTY_ID) {
    throw new MpcError('MPC_INVALID_PARTY', 'party.range', `"${field}" is not a party id in 1..${MAX_PARTY_ID}`, {
      field,
    });
  }
}

/** Throws MPC_INVALID_PARTY unless every id is valid and no id repeats. */
export function assertPartyIds(ids: readonly unknown[], field = 'partyIds'): asserts ids is readonly number[] {
  ids.forEach((id, i) => {
    assertPartyId(id, `${field}[${i}]`);
  });
  if (new Set(ids).size !== ids.length) {
    throw new MpcError('MPC_INVALID_PARTY', 'party.distinct', `"${field}" repeats a party id`, { field });
  }
}

/** A random degree-1 polynomial; `constant` fixes a_0 (re-sharing), otherwise it is random. */
export function randomPolynomial(constant?: bigint): Polynomial {
  return [constant === undefined ? randomScalar() : modQ(constant), randomScalar()];
}

/** f(x) mod q. */
export function evaluatePolynomial(poly: Polynomial, x: number): bigint {
  assertPartyId(x, 'x');
  return modQ(poly[0] + poly[1] * BigInt(x));
}

export function feldmanCommitments(poly: Polynomial): FeldmanCommitments {
  return [mulG(poly[0]), mulG(poly[1])];
}

/** The public point of party `id`'s share: f(id)·G = A_0 + id·A_1. */
export function feldmanSharePoint(partyId: number, commitments: FeldmanCommitments): Point {
  assertPartyId(partyId);
  return commitments[0].add(mulPublic(commitments[1], BigInt(partyId)));
}

/**
 * Checks a received share against the dealer's Feldman commitments: share·G = A_0 + id·A_1.
 * Throws MPC_FELDMAN_SHARE_INVALID (check `feldman.share`, or `feldman.range` for share ∉ [0, q)).
 */
export function verifyFeldmanShare(share: bigint, partyId: number, commitments: FeldmanCommitments): void {
  if (share < 0n || share >= q) {
    throw new MpcError('MPC_FELDMAN_SHARE_INVALID', 'feldman.range', 'the share is not in [0, q)', { partyId });
  }
  const expected = feldmanSharePoint(partyId, commitments);
  if (!mulG(share).equals(expected)) {
    throw new MpcError(
      'MPC_FELDMAN_SHARE_INVALID',
      'feldman.share',
      `the share for party ${partyId} does not match the dealer's commitments`,
      {
        partyId,
      },
    );
  }
}

/** Splits `secret` into shares for `partyIds` (default 1, 2, 3) with a fresh random a_1. */
export function splitSecret(
  secret: bigint,
  partyIds: readonly number[] = [1, 2, 3],
): { polynomial: Polynomial; commitments: FeldmanCommitments; shares: Map<number, bigint> } {
  assertPartyIds(partyIds);
  const polynomial = randomPolynomial(secret);
  const shares = new Map(partyIds.map((id) => [id, evaluatePolynomial(polynomial, id)] as const));
  return { polynomial, commitments: feldmanCommitments(polynomial), shares };
}

/**
 * The Lagrange coefficient λ_i at X = 0 for the signer set: λ_i = Π_{m≠i} m / (m − i) mod q, so
 * f(0) = Σ λ_i·f(i). For the pair {i, j} this is j / (j − i).
 */
export function lagrangeCoefficient(partyId: number, signers: readonly number[]): bigint {
  assertPartyIds(signers, 'signers');
  assertPartyId(partyId);
  if (!signers.includes(partyId)) {
    throw new MpcError('MPC_INVALID_PARTY', 'party.not-a-signer', `party ${partyId} is not among the signers`, {
      partyId,
    });
  }
  let numerator = 1n;
  let denominator = 1n;
  for (const m of signers) {
    if (m === partyId) continue;
    numerator *= BigInt(m);
    denominator *= BigInt(m - partyId);
  }
  return modQ(numerator * Point.Fn.inv(modQ(denominator)));
}

/** f(0) from two (or more) shares: Σ λ_i·s_i. */
export function reconstructSecret(shares: readonly { partyId: number; share: bigint }[]): bigint {
  const ids = shares.map((s) => s.partyId);
  assertPartyIds(ids, 'shares.partyId');
  return modQ(shares.reduce((acc, s) => acc + lagrangeCoefficient(s.partyId, ids) * s.share, 0n));
}
