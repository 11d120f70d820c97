/**
 * Share refresh (proactive re-sharing) under the same public key, for routine refresh and for a
 * lost device: two "dealer" parties each re-share their Lagrange-weighted share λ_i·s_i with a
 * fresh degree-1 polynomial, and every party i gets s'_i = Σ_d f_d(i) (Herzberg–Jarecki–Krawczyk–
 * Yung, "Proactive Secret Sharing", CRYPTO 1995; Desmedt–Jajodia re-sharing; the shape OKX's
 * `tss/key/reshare` uses, research notes §1.3). It runs on the DKG engine (`dkg.ts`): commit, echo
 * broadcast, Schnorr proof of knowledge, Feldman checks, confirmation. What refresh adds is that the
 * key cannot change: each dealer's constant commitment must equal λ_d·S_d for its stored share
 * point and their sum must equal PK (MPC_KEY_MISMATCH). The chain code is kept. Device loss (§3.2):
 * dealers are the server (1) and the cloud share (3), which the new device decrypts from the backup
 * and runs beside a fresh party 2. Old shares must be kept until the new ones have signed (§2.3).
 */
import { decodePoint, decodeScalar, modQ, mulG, pointToHex } from '../curve.js';
import { MpcError } from '../errors.js';
import { lagrangeCoefficient } from '../shamir.js';
import {
  ALL_PARTIES,
  deriveSessionId,
  type KeyShare,
  type MultiPartyState,
  randomSessionContribution,
  runLocally,
  type SharingState1,
  type SharingStep,
  startParties,
  startSharing,
} from './dkg.js';
import type { PartyId } from './envelope.js';

/** Server and cloud backup: the device-loss pair. */
export const DEFAULT_REFRESH_DEALERS: readonly [PartyId, PartyId] = [1, 3];

export interface RefreshParameters {
  /** From `deriveSessionId('refresh', …)`. */
  readonly sessionId: string;
  readonly partyId: PartyId;
  /** The two parties that re-share (ascending); default server + cloud backup. */
  readonly dealers?: readonly [PartyId, PartyId];
  /** The key being refreshed (compressed point, hex) and its chain code. */
  readonly publicKey: string;
  readonly chainCode: string;
  /** The share public points this party knows; at least one dealer's is required. */
  readonly sharePublicKeys: { readonly 1?: string; readonly 2?: string; readonly 3?: string };
  /** This party's current share (hex); required for a dealer, ignored otherwise. */
  readonly share?: string;
}

/** Round 1 of a refresh for one party; continue with `sharingRound2`, `sharingRound3`, `finishSharing`. */
export function startRefresh(params: RefreshParameters): SharingStep<SharingState1> {
  const dealers = params.dealers ?? DEFAULT_REFRESH_DEALERS;
  const known: [string | null, string | null, string | null] = [
    params.sharePublicKeys[1] ?? null,
    params.sharePublicKeys[2] ?? null,
    params.sharePublicKeys[3] ?? null,
  ];
  let constant: bigint | null = null;
  if (dealers.includes(params.partyId)) {
    if (params.share === undefined) {
      throw new MpcError(
        'MPC_INVALID_MESSAGE',
        'refresh.own-share',
        `dealer ${params.partyId} needs its current share`,
        {
          field: 'share',
        },
      );
    }
    const share = decodeScalar(params.share, 'share');
    const ownPoint = mulG(share);
    const stored = known[params.partyId - 1];
    if (
      stored !== null &&
      stored !== undefined &&
      !decodePoint(stored, `sharePublicKeys.${params.partyId}`).equals(ownPoint)
    ) {
      throw new MpcError('MPC_KEY_MISMATCH', 'refresh.own-share', 'this share does not match its stored public point', {
        partyId: params.partyId,
      });
    }
    known[params.partyId - 1] = pointToHex(ownPoint);
    constant = modQ(lagrangeCoefficient(params.partyId, dealers) * share);
  }
  return startSharing(
    {
      protocol: 'refresh',
      sessionId: params.sessionId,
      partyId: params.partyId,
      dealers: [...dealers],
      previous: { publicKey: params.publicKey, chainCode: params.chainCode, sharePublicKeys: known },
    },
    constant,
  );
}

/**
 * Round 1 for several parties in one process, e.g. the new device after a loss: party 3 from the
 * decrypted backup (with its share) and a fresh party 2 (without one). Continue with
 * `partiesRound2`, `partiesRound3`, `finishParties`.
 */
export function startRefreshParties(
  common: Omit<RefreshParameters, 'partyId' | 'share'>,
  parties: readonly { readonly partyId: PartyId; readonly share?: string }[],
): SharingStep<MultiPartyState<SharingState1>> {
  return startParties(parties.map((p) => startRefresh({ ...common, ...p })));
}

/**
 * A whole refresh in memory (tests, local tools) from the current key shares of at least the two
 * dealers; returns the new key shares of parties 1, 2, 3.
 */
export function runRefreshInMemory(
  current: readonly KeyShare[],
  dealers: readonly [PartyId, PartyId] = DEFAULT_REFRESH_DEALERS,
  sessionId = deriveSessionId('refresh', [randomSessionContribution(), randomSessionContribution()]),
): KeyShare[] {
  const reference = current[0];
  if (reference === undefined) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'refresh.own-share', 'no current key share given', { field: 'current' });
  }
  const common = {
    sessionId,
    dealers,
    publicKey: reference.publicKey,
    chainCode: reference.chainCode,
    sharePublicKeys: reference.sharePublicKeys,
  };
  const parties = ALL_PARTIES.map((partyId) => {
    const share = current.find((s) => s.partyId === partyId)?.share;
    return share === undefined ? { partyId } : { partyId, share };
  });
  return runLocally(startRefreshParties(common, parties));
}
