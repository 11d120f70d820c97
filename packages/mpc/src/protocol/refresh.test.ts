import { describe, expect, it } from 'vitest';
import { decodePoint, modQ, mulG, pointToHex } from '../curve.js';
import { lagrangeCoefficient, reconstructSecret } from '../shamir.js';
import { mpcFailure } from '../testing/errors.js';
import {
  ALL_PARTIES,
  deriveSessionId,
  finishParties,
  finishSharing,
  type KeyShare,
  partiesRound2,
  partiesRound3,
  randomSessionContribution,
  runDkgInMemory,
  type SharingState2,
  type SharingStep,
  sharingRound2,
  sharingRound3,
  startSharing,
} from './dkg.js';
import type { Envelope, PartyId } from './envelope.js';
import { runRefreshInMemory, startRefresh, startRefreshParties } from './refresh.js';

function expectMpcError(fn: () => unknown, code: string, check: string): void {
  expect(mpcFailure(fn)).toEqual({ code, check });
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const inbox = (messages: readonly Envelope[], to: PartyId) => messages.filter((m) => m.to === to);
const newSessionId = () => deriveSessionId('refresh', [randomSessionContribution(), randomSessionContribution()]);
const scalar = (s: KeyShare) => BigInt(`0x${s.share}`);
const byParty = (shares: readonly KeyShare[], id: PartyId) => shares.find((s) => s.partyId === id) as KeyShare;

function rebuild(a: KeyShare, b: KeyShare): bigint {
  return reconstructSecret([
    { partyId: a.partyId, share: scalar(a) },
    { partyId: b.partyId, share: scalar(b) },
  ]);
}

function commonOf(share: KeyShare) {
  return { publicKey: share.publicKey, chainCode: share.chainCode, sharePublicKeys: share.sharePublicKeys };
}

describe('refresh', () => {
  const old = runDkgInMemory();
  const PK = decodePoint(old[0]?.publicKey, 'pk');

  for (const dealers of [
    [1, 3],
    [1, 2],
    [2, 3],
  ] as const) {
    it(`dealers ${dealers.join('+')}: same key and chain code, fresh shares; any two new shares rebuild x, old + new do not`, () => {
      const fresh = runRefreshInMemory(
        old.filter((s) => dealers.includes(s.partyId as never)),
        dealers,
      );
      for (const s of fresh) {
        expect(s.publicKey).toBe(old[0]?.publicKey);
        expect(s.chainCode).toBe(old[0]?.chainCode);
        expect(s.transcriptHash).not.toBe(old[0]?.transcriptHash);
        expect(s.share).not.toBe(byParty(old, s.partyId as PartyId).share);
        expect(pointToHex(mulG(scalar(s)))).toBe(s.sharePublicKeys[s.partyId]);
      }
      for (const [i, j] of [
        [1, 2],
        [1, 3],
        [2, 3],
      ] as const) {
        expect(mulG(rebuild(byParty(fresh, i), byParty(fresh, j))).equals(PK)).toBe(true);
        expect(mulG(rebuild(byParty(old, i), byParty(fresh, j))).equals(PK)).toBe(false);
        expect(mulG(rebuild(byParty(fresh, i), byParty(old, j))).equals(PK)).toBe(false);
      }
    });
  }

  it('device loss: server (1) + new device running cloud party 3 from the backup and a fresh party 2', () => {
    const sessionId = newSessionId();
    const server = byParty(old, 1);
    const cloud = byParty(old, 3);
    // The new device knows only what the backup holds: share 3, S_3, PK, chain code.
    const backupView = {
      publicKey: cloud.publicKey,
      chainCode: cloud.chainCode,
      sharePublicKeys: { 3: cloud.sharePublicKeys[3] },
    };
    const s1 = startRefresh({ sessionId, partyId: 1, ...commonOf(server), share: server.share });
    const d1 = startRefreshParties({ sessionId, ...backupView }, [{ partyId: 2 }, { partyId: 3, share: cloud.share }]);
    const s2 = sharingRound2(clone(s1.state), clone(d1.messages));
    const d2 = partiesRound2(clone(d1.state), clone(s1.messages));
    const s3 = sharingRound3(clone(s2.state), clone(d2.messages));
    const d3 = partiesRound3(clone(d2.state), clone(s2.messages));
    const serverNew = finishSharing(clone(s3.state), clone(d3.messages));
    const deviceNew = finishParties(clone(d3.state), clone(s3.messages));
    expect([...d1.messages, ...d2.messages, ...d3.messages].every((m) => m.to === 1)).toBe(true);
    const fresh = [serverNew, ...deviceNew];
    for (const s of fresh) expect(s.transcriptHash).toBe(serverNew.transcriptHash);
    expect(mulG(rebuild(byParty(fresh, 1), byParty(fresh, 2))).equals(PK)).toBe(true);
    expect(mulG(rebuild(byParty(fresh, 2), byParty(fresh, 3))).equals(PK)).toBe(true);
  });

  describe('refuses', () => {
    /** Runs a refresh where dealer 1 re-shares `constant` instead of λ_1·s_1; returns round-2 states and messages. */
    function cheatingDealer(constant: bigint) {
      const sessionId = newSessionId();
      const ref = old[0] as KeyShare;
      const previous = {
        publicKey: ref.publicKey,
        chainCode: ref.chainCode,
        sharePublicKeys: [ref.sharePublicKeys[1], ref.sharePublicKeys[2], ref.sharePublicKeys[3]] as [
          string,
          string,
          string,
        ],
      };
      const cheat = startSharing({ protocol: 'refresh', sessionId, partyId: 1, dealers: [1, 3], previous }, constant);
      const honest3 = startRefresh({
        sessionId,
        partyId: 3,
        ...commonOf(byParty(old, 3)),
        share: byParty(old, 3).share,
      });
      const device = {
        publicKey: ref.publicKey,
        chainCode: ref.chainCode,
        sharePublicKeys: { 3: ref.sharePublicKeys[3] },
      };
      const honest2 = startRefresh({ sessionId, partyId: 2, ...device });
      const s1: SharingStep<never>[] = [cheat, honest2, honest3] as never;
      const m1 = s1.flatMap((s) => s.messages);
      const s2 = s1.map((s, i) => sharingRound2(s.state, inbox(m1, ALL_PARTIES[i] as PartyId)));
      return { s2, m2: s2.flatMap((s) => s.messages) };
    }

    it('a dealer that tries to change the key', () => {
      const lambda1 = lagrangeCoefficient(1, [1, 3]);
      const { s2, m2 } = cheatingDealer(modQ(lambda1 * scalar(byParty(old, 1)) + 1n));
      // Party 3 knows S_1: the dealer's constant term is wrong.
      expectMpcError(
        () => sharingRound3(s2[2]?.state as SharingState2, inbox(m2, 3)),
        'MPC_KEY_MISMATCH',
        'refresh.dealer-constant',
      );
      // The new device knows only S_3 (from the backup): the sum no longer equals PK.
      expectMpcError(
        () => sharingRound3(s2[1]?.state as SharingState2, inbox(m2, 2)),
        'MPC_KEY_MISMATCH',
        'refresh.public-key',
      );
    });

    it('the honest run of the same harness passes (the harness itself is sound)', () => {
      const lambda1 = lagrangeCoefficient(1, [1, 3]);
      const { s2, m2 } = cheatingDealer(modQ(lambda1 * scalar(byParty(old, 1))));
      expect(sharingRound3(s2[2]?.state as SharingState2, inbox(m2, 3)).state.output.publicKey).toBe(old[0]?.publicKey);
      expect(sharingRound3(s2[1]?.state as SharingState2, inbox(m2, 2)).state.output.publicKey).toBe(old[0]?.publicKey);
    });

    it('a non-dealer that sends an opening', () => {
      const sessionId = newSessionId();
      const s1 = ALL_PARTIES.map((partyId) => {
        const mine = byParty(old, partyId);
        return startRefresh({ sessionId, partyId, ...commonOf(mine), ...(partyId === 2 ? {} : { share: mine.share }) });
      });
      const m1 = s1.flatMap((s) => s.messages);
      const s2 = s1.map((s, i) => sharingRound2(s.state, inbox(m1, ALL_PARTIES[i] as PartyId)));
      const m2 = s2.flatMap((s) => s.messages);
      const stolen = (m2.find((m) => m.from === 3 && m.to === 1) as Envelope<{ reveal: unknown }>).payload.reveal;
      const bad = m2.map((m) =>
        m.from === 2 && m.to === 1 ? { ...m, payload: { ...(m.payload as object), reveal: stolen } } : m,
      );
      expectMpcError(
        () => sharingRound3(s2[0]?.state as SharingState2, inbox(bad, 1)),
        'MPC_INVALID_MESSAGE',
        'reveal.unexpected',
      );
    });

    it('a dealer whose share does not match its stored point, or that has no share', () => {
      const sessionId = newSessionId();
      const server = byParty(old, 1);
      expectMpcError(
        () => startRefresh({ sessionId, partyId: 1, ...commonOf(server), share: byParty(old, 2).share }),
        'MPC_KEY_MISMATCH',
        'refresh.own-share',
      );
      expectMpcError(
        () => startRefresh({ sessionId, partyId: 1, ...commonOf(server) }),
        'MPC_INVALID_MESSAGE',
        'refresh.own-share',
      );
    });

    it('a party that knows no dealer share point', () => {
      const sessionId = newSessionId();
      const ref = old[0] as KeyShare;
      expectMpcError(
        () =>
          startRefresh({
            sessionId,
            partyId: 2,
            publicKey: ref.publicKey,
            chainCode: ref.chainCode,
            sharePublicKeys: { 2: ref.sharePublicKeys[2] },
          }),
        'MPC_INVALID_MESSAGE',
        'config.refresh',
      );
    });

    it('DKG messages fed into a refresh (another protocol)', () => {
      const sessionId = newSessionId();
      const server = byParty(old, 1);
      const refresh1 = startRefresh({ sessionId, partyId: 1, ...commonOf(server), share: server.share });
      const dkgLike = refresh1.messages.map((m) => ({ ...m, protocol: 'dkg' }));
      const cloud = byParty(old, 3);
      const r3 = startRefresh({ sessionId, partyId: 3, ...commonOf(cloud), share: cloud.share });
      expectMpcError(
        () => sharingRound2(r3.state, inbox(dkgLike as Envelope[], 3)),
        'MPC_SESSION_MISMATCH',
        'envelope.session',
      );
    });
  });
});
