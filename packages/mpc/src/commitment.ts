/**
 * Hash commitments for commit-then-reveal rounds: C = H(tag, sid, pid, values…, r) with 32 bytes of
 * fresh randomness r, computed over the length-prefixed Transcript encoding so no two value lists
 * collide. Binding the session id and the committer's party id stops a party from copying another
 * party's commitment and later its opening (mpc-pitfalls "commitment-copying"; research notes §2.3
 * "Commitments"). Also here: the echo digest that echo broadcast compares (Goldwasser–Lindell,
 * "Secure Multi-Party Computation without Agreement", J. Cryptology 2005, §2: echo-broadcast).
 */
import { equalBytes } from '@custos/core';
import { MpcError } from './errors.js';
import { Transcript } from './transcript.js';

export const COMMITMENT_BYTES = 32;
export const COMMITMENT_RANDOMNESS_BYTES = 32;

export interface CommitmentContext {
  /** Names the protocol step, e.g. `dkg/commit`. */
  readonly domain: string;
  readonly sessionId: string;
  /** The committing party. */
  readonly partyId: number;
}

/** H(tag, sid, pid, values…, randomness), 32 bytes. */
export function commitmentDigest(
  ctx: CommitmentContext,
  values: readonly Uint8Array[],
  randomness: Uint8Array,
): Uint8Array {
  const t = new Transcript(`commit/${ctx.domain}`).string('sid', ctx.sessionId).int('pid', ctx.partyId);
  t.int('values.length', values.length);
  values.forEach((v, i) => {
    t.bytes(`values[${i}]`, v);
  });
  return t.bytes('randomness', randomness).digest().slice(0, COMMITMENT_BYTES);
}

/** Commits to `values` with fresh randomness; keep the randomness secret until the opening. */
export function commit(
  ctx: CommitmentContext,
  values: readonly Uint8Array[],
): { commitment: Uint8Array; randomness: Uint8Array } {
  const randomness = crypto.getRandomValues(new Uint8Array(COMMITMENT_RANDOMNESS_BYTES));
  return { commitment: commitmentDigest(ctx, values, randomness), randomness };
}

/**
 * Checks an opening. Throws MPC_INVALID_MESSAGE (`commitment.length`) for a commitment or
 * randomness of the wrong size, MPC_COMMITMENT_MISMATCH (`commitment.open`) when it does not open.
 */
export function verifyCommitment(
  ctx: CommitmentContext,
  commitment: Uint8Array,
  values: readonly Uint8Array[],
  randomness: Uint8Array,
): void {
  if (commitment.length !== COMMITMENT_BYTES || randomness.length !== COMMITMENT_RANDOMNESS_BYTES) {
    throw new MpcError(
      'MPC_INVALID_MESSAGE',
      'commitment.length',
      'commitment or its randomness has the wrong length',
      {
        partyId: ctx.partyId,
      },
    );
  }
  if (!equalBytes(commitmentDigest(ctx, values, randomness), commitment)) {
    throw new MpcError(
      'MPC_COMMITMENT_MISMATCH',
      'commitment.open',
      `party ${ctx.partyId}'s opening does not match its commitment`,
      {
        partyId: ctx.partyId,
      },
    );
  }
}

/**
 * The digest a party echoes to everyone after round 1: the hash of the full vector of round-1
 * values it received (its own included), by party id. Equal echoes mean nobody equivocated.
 */
export function echoDigest(
  domain: string,
  sessionId: string,
  entries: readonly (readonly [partyId: number, value: Uint8Array])[],
): Uint8Array {
  const t = new Transcript(`echo/${domain}`).string('sid', sessionId).int('entries.length', entries.length);
  for (const [partyId, value] of entries) t.int('pid', partyId).bytes('value', value);
  return t.digest().slice(0, COMMITMENT_BYTES);
}
