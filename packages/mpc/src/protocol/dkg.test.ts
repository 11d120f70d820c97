import { describe, expect, it } from 'vitest';
import { decodePoint, G, mulG, pointToHex, q, scalarToHex } from '../curve.js';
import type { MpcError } from '../errors.js';
import { encodeSchnorrProof, proveSchnorr } from '../schnorr.js';
import { reconstructSecret } from '../shamir.js';
import { caughtMpcError as caught } from '../testing/errors.js';
import {
  ALL_PARTIES,
  deriveSessionId,
  finishParties,
  finishSharing,
  type KeyShare,
  parseKeyShare,
  partiesRound2,
  partiesRound3,
  randomSessionContribution,
  runDkgInMemory,
  type SharingState1,
  type SharingState2,
  type SharingStep,
  sharingRound2,
  sharingRound3,
  startDkg,
  startDkgParties,
} from './dkg.js';
import type { Envelope, PartyId } from './envelope.js';

function expectMpcError(fn: () => unknown, code: string, check: string): MpcError {
  const error = caught(fn);
  expect({ code: error.code, check: error.check }).toEqual({ code, check });
  return error;
}

const newSessionId = () => deriveSessionId('dkg', [randomSessionContribution(), randomSessionContribution()]);
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const inbox = (messages: readonly Envelope[], to: PartyId) => messages.filter((m) => m.to === to);

/** Runs the three parties separately up to the start of round 3, states through JSON as a database would. */
function toRound3(sessionId = newSessionId()) {
  const s1 = ALL_PARTIES.map((partyId) => startDkg({ sessionId, partyId }));
  const m1 = s1.flatMap((s) => s.messages);
  const s2 = s1.map((s, i) => sharingRound2(clone(s.state), clone(inbox(m1, ALL_PARTIES[i] as PartyId))));
  const m2 = s2.flatMap((s) => s.messages);
  return { sessionId, s1, m1, s2, m2 };
}

/** A copy of `messages` with the payload of the one from → to replaced by `edit(payload)`. */
function tamper(
  messages: readonly Envelope[],
  from: PartyId,
  to: PartyId,
  edit: (payload: Record<string, unknown>) => unknown,
): Envelope[] {
  return messages.map((m) =>
    m.from === from && m.to === to ? { ...clone(m), payload: edit(clone(m.payload) as Record<string, unknown>) } : m,
  );
}

function reveal(payload: Record<string, unknown>): Record<string, unknown> {
  return payload.reveal as Record<string, unknown>;
}

function expectConsistent(shares: readonly KeyShare[]): void {
  const [first] = shares;
  if (!first) throw new Error('no shares');
  for (const s of shares) {
    expect(s.publicKey).toBe(first.publicKey);
    expect(s.chainCode).toBe(first.chainCode);
    expect(s.sharePublicKeys).toEqual(first.sharePublicKeys);
    expect(s.transcriptHash).toBe(first.transcriptHash);
    expect(pointToHex(mulG(BigInt(`0x${s.share}`)))).toBe(s.sharePublicKeys[s.partyId]);
    expect(parseKeyShare(clone(s))).toEqual(s);
  }
  const PK = decodePoint(first.publicKey, 'pk');
  for (const [a, b] of [
    [0, 1],
    [0, 2],
    [1, 2],
  ] as const) {
    const sa = shares[a] as KeyShare;
    const sb = shares[b] as KeyShare;
    const x = reconstructSecret([
      { partyId: sa.partyId, share: BigInt(`0x${sa.share}`) },
      { partyId: sb.partyId, share: BigInt(`0x${sb.share}`) },
    ]);
    expect(mulG(x).equals(PK)).toBe(true);
  }
}

describe('session ids', () => {
  it('are SHA-256 over the protocol and length-prefixed contributions, order-sensitive', () => {
    const a = randomSessionContribution();
    const b = randomSessionContribution();
    const sid = deriveSessionId('dkg', [a, b]);
    expect(sid).toMatch(/^[0-9a-f]{64}$/);
    expect(deriveSessionId('dkg', [a, b])).toBe(sid);
    expect(deriveSessionId('dkg', [b, a])).not.toBe(sid);
    expect(deriveSessionId('refresh', [a, b])).not.toBe(sid);
  });

  it('refuse fewer than two contributions and malformed ones', () => {
    expectMpcError(
      () => deriveSessionId('dkg', [randomSessionContribution()]),
      'MPC_INVALID_MESSAGE',
      'session.contributions',
    );
    expectMpcError(
      () => deriveSessionId('dkg', [randomSessionContribution(), '1234']),
      'MPC_INVALID_MESSAGE',
      'session.contribution',
    );
    expectMpcError(() => deriveSessionId('nope' as 'dkg', ['00', '00']), 'MPC_INVALID_MESSAGE', 'session.protocol');
  });
});

describe('DKG', () => {
  it('in memory: all parties agree; any two shares rebuild the key', () => {
    const shares = runDkgInMemory();
    expect(shares.map((s) => s.partyId)).toEqual([1, 2, 3]);
    expect(shares[0]?.chainCode).toMatch(/^[0-9a-f]{64}$/);
    expectConsistent(shares);
  });

  it('server and device (parties 2 + 3 in one process), states through JSON; share 3 never leaves the device', () => {
    const sessionId = newSessionId();
    const server1 = startDkg({ sessionId, partyId: 1 });
    const device1 = startDkgParties({ sessionId, partyIds: [2, 3] });
    const wire: Envelope[] = [];
    const send = (ms: readonly Envelope[]) => {
      wire.push(...clone(ms));
      return clone(ms);
    };
    const toDevice1 = send(server1.messages);
    const toServer1 = send(device1.messages);
    const server2 = sharingRound2(clone(server1.state), toServer1);
    const device2 = partiesRound2(clone(device1.state), toDevice1);
    const toDevice2 = send(server2.messages);
    const toServer2 = send(device2.messages);
    const server3 = sharingRound3(clone(server2.state), toServer2);
    const device3 = partiesRound3(clone(device2.state), toDevice2);
    const toDevice3 = send(server3.messages);
    const toServer3 = send(device3.messages);
    const serverShare = finishSharing(clone(server3.state), toServer3);
    const deviceShares = finishParties(clone(device3.state), toDevice3);
    expect(deviceShares.map((s) => s.partyId)).toEqual([2, 3]);
    expectConsistent([serverShare, ...deviceShares]);
    // Nothing between parties 2 and 3 ever went over the wire, and the server never saw f_j(3).
    expect(wire.every((m) => m.from === 1 || m.to === 1)).toBe(true);
    expect(wire.filter((m) => m.to === 3 || m.from === 3).every((m) => m.from === 3 || m.to === 3)).toBe(true);
    expect(wire.some((m) => m.to === 3)).toBe(true); // the server's own messages to party 3 (f_1(3))
    expect(wire.some((m) => m.from === 2 && m.to === 3)).toBe(false);
    expect(wire.some((m) => m.from === 3 && m.to === 2)).toBe(false);
  });

  it('round 2 is deterministic: a retried request re-sends the same messages', () => {
    const sessionId = newSessionId();
    const s1 = ALL_PARTIES.map((partyId) => startDkg({ sessionId, partyId }));
    const m1 = s1.flatMap((s) => s.messages);
    const first = sharingRound2(s1[0]?.state as SharingState1, inbox(m1, 1));
    const again = sharingRound2(clone(s1[0]?.state as SharingState1), inbox(m1, 1));
    expect(again).toEqual(first);
  });

  describe('refuses', () => {
    it('a replayed round-1 message in round 3, a duplicate, and a message from another session', () => {
      const { s2, m1, m2 } = toRound3();
      const state = s2[1]?.state as SharingState2;
      expectMpcError(() => sharingRound3(state, inbox(m1, 2)), 'MPC_MESSAGE_REPLAYED', 'envelope.round');
      const mine = inbox(m2, 2);
      expectMpcError(() => sharingRound3(state, [...mine, mine[0]]), 'MPC_MESSAGE_REPLAYED', 'envelope.duplicate');
      const other = toRound3();
      expectMpcError(() => sharingRound3(state, inbox(other.m2, 2)), 'MPC_SESSION_MISMATCH', 'envelope.session');
      expectMpcError(() => sharingRound3(state, inbox(m2, 2).slice(1)), 'MPC_INVALID_MESSAGE', 'envelope.missing');
      expectMpcError(() => sharingRound3(state, inbox(m2, 3)), 'MPC_INVALID_PARTY', 'envelope.parties');
    });

    it('equivocation in round 1 (different commitments to different parties): echo mismatch', () => {
      const sessionId = newSessionId();
      const s1 = ALL_PARTIES.map((partyId) => startDkg({ sessionId, partyId }));
      const twin = startDkg({ sessionId, partyId: 1 });
      // Party 1 sends party 3 a commitment from a second, different polynomial.
      const m1 = s1
        .flatMap((s) => s.messages)
        .map((m) => (m.from === 1 && m.to === 3 ? (twin.messages.find((t) => t.to === 3) as Envelope) : m));
      const s2 = s1.map((s, i) => sharingRound2(s.state, inbox(m1, ALL_PARTIES[i] as PartyId)));
      const m2 = s2.flatMap((s) => s.messages);
      const error = expectMpcError(
        () => sharingRound3(s2[1]?.state as SharingState2, inbox(m2, 2)),
        'MPC_ECHO_MISMATCH',
        'echo.commitments',
      );
      expect(error.details.from).toBe(3);
    });

    it('a tampered echo', () => {
      const { s2, m2 } = toRound3();
      const bad = tamper(m2, 1, 2, (p) => ({ ...p, echo: '00'.repeat(32) }));
      expectMpcError(
        () => sharingRound3(s2[1]?.state as SharingState2, inbox(bad, 2)),
        'MPC_ECHO_MISMATCH',
        'echo.commitments',
      );
    });

    it('an opening that does not match the commitment (randomness, A1, chain code)', () => {
      const { s2, m2 } = toRound3();
      const state = s2[1]?.state as SharingState2;
      const edits: ((r: Record<string, unknown>) => void)[] = [
        (r) => {
          r.randomness = '11'.repeat(32);
        },
        (r) => {
          r.A1 = pointToHex(decodePoint(r.A1, 'A1').add(G));
        },
        (r) => {
          r.chainCode = '22'.repeat(32);
        },
      ];
      for (const edit of edits) {
        const bad = tamper(m2, 1, 2, (p) => {
          edit(reveal(p));
          return p;
        });
        expectMpcError(() => sharingRound3(state, inbox(bad, 2)), 'MPC_COMMITMENT_MISMATCH', 'commitment.open');
      }
    });

    it('a proof of knowledge that is wrong, or bound to another party or session', () => {
      const { sessionId, s1, s2, m2 } = toRound3();
      const state = s2[1]?.state as SharingState2;
      const dealer = s1[0]?.state.dealer;
      if (!dealer) throw new Error('party 1 is a dealer');
      const u1 = BigInt(`0x${dealer.polynomial[0]}`);
      const A0 = mulG(u1);
      const proofs = [
        encodeSchnorrProof(proveSchnorr({ domain: 'dkg/pok', sessionId, prover: 2 }, u1, A0)),
        encodeSchnorrProof(proveSchnorr({ domain: 'dkg/pok', sessionId: 'f'.repeat(64), prover: 1 }, u1, A0)),
        encodeSchnorrProof(proveSchnorr({ domain: 'refresh/pok', sessionId, prover: 1 }, u1, A0)),
      ];
      for (const proof of proofs) {
        const bad = tamper(m2, 1, 2, (p) => ({ ...p, reveal: { ...reveal(p), proof } }));
        expectMpcError(() => sharingRound3(state, inbox(bad, 2)), 'MPC_SCHNORR_PROOF_INVALID', 'schnorr.equation');
      }
      const badZ = tamper(m2, 1, 2, (p) => ({
        ...p,
        reveal: { ...reveal(p), proof: { ...(reveal(p).proof as object), z: scalarToHex(5n) } },
      }));
      expectMpcError(() => sharingRound3(state, inbox(badZ, 2)), 'MPC_SCHNORR_PROOF_INVALID', 'schnorr.equation');
    });

    it('a Feldman share that does not match the commitments, or is out of range', () => {
      const { s2, m2 } = toRound3();
      const state = s2[1]?.state as SharingState2;
      const plusOne = tamper(m2, 3, 2, (p) => ({
        ...p,
        reveal: { ...reveal(p), share: scalarToHex(BigInt(`0x${reveal(p).share as string}`) + 1n) },
      }));
      expectMpcError(() => sharingRound3(state, inbox(plusOne, 2)), 'MPC_FELDMAN_SHARE_INVALID', 'feldman.share');
      const tooBig = tamper(m2, 3, 2, (p) => ({
        ...p,
        reveal: { ...reveal(p), share: (q + 1n).toString(16).padStart(64, '0') },
      }));
      expectMpcError(() => sharingRound3(state, inbox(tooBig, 2)), 'MPC_FELDMAN_SHARE_INVALID', 'feldman.range');
    });

    it('a missing opening, an off-curve point and a malformed payload', () => {
      const { s2, m2 } = toRound3();
      const state = s2[1]?.state as SharingState2;
      const none = tamper(m2, 1, 2, (p) => ({ ...p, reveal: null }));
      expectMpcError(() => sharingRound3(state, inbox(none, 2)), 'MPC_INVALID_MESSAGE', 'reveal.missing');
      const offCurve = tamper(m2, 1, 2, (p) => ({ ...p, reveal: { ...reveal(p), A0: `02${'0'.repeat(63)}5` } }));
      expectMpcError(() => sharingRound3(state, inbox(offCurve, 2)), 'MPC_INVALID_POINT', 'point.on-curve');
      const noChainCode = tamper(m2, 1, 2, (p) => ({ ...p, reveal: { ...reveal(p), chainCode: null } }));
      expectMpcError(() => sharingRound3(state, inbox(noChainCode, 2)), 'MPC_INVALID_MESSAGE', 'reveal.chain-code');
      const extra = tamper(m2, 1, 2, (p) => ({ ...p, extra: 1 }));
      const error = expectMpcError(() => sharingRound3(state, inbox(extra, 2)), 'MPC_INVALID_MESSAGE', 'payload.shape');
      expect(error.details.from).toBe(1);
      const badEcho = tamper(m2, 1, 2, (p) => ({ ...p, echo: 7 }));
      expect(
        expectMpcError(() => sharingRound3(state, inbox(badEcho, 2)), 'MPC_INVALID_MESSAGE', 'payload.shape').details
          .field,
      ).toBe('echo');
    });

    it('a confirmation that differs (a party ended with another transcript or key)', () => {
      const { s2, m2 } = toRound3();
      const s3 = s2.map((s, i) => sharingRound3(s.state, inbox(m2, ALL_PARTIES[i] as PartyId)));
      const m3 = s3.flatMap((s) => s.messages);
      const bad = tamper(m3, 3, 1, () => ({ confirmation: 'ab'.repeat(32) }));
      expectMpcError(() => finishSharing(s3[0]?.state as never, inbox(bad, 1)), 'MPC_ECHO_MISMATCH', 'confirmation');
      expect(finishSharing(s3[0]?.state as never, inbox(m3, 1)).partyId).toBe(1);
    });

    it('a corrupted state', () => {
      const { s2, m2 } = toRound3();
      const state = clone(s2[0]?.state) as Record<string, unknown>;
      delete state.echo;
      expectMpcError(() => sharingRound3(state as never, inbox(m2, 1)), 'MPC_INVALID_MESSAGE', 'state.shape');
      const s1 = clone(s2[0]?.state) as Record<string, unknown>;
      expectMpcError(() => sharingRound2(s1 as never, []), 'MPC_INVALID_MESSAGE', 'state.shape');
    });

    it('in the multi-party wrapper: a forged message from a local party, or one for a party not run here', () => {
      const sessionId = newSessionId();
      const server = startDkg({ sessionId, partyId: 1 });
      const device: SharingStep<unknown> = startDkgParties({ sessionId, partyIds: [2, 3] });
      const forged = { ...(server.messages[0] as Envelope), from: 3 as PartyId, to: 2 as PartyId };
      expectMpcError(
        () => partiesRound2(device.state as never, [...server.messages, forged]),
        'MPC_INVALID_PARTY',
        'envelope.sender-local',
      );
      const twoOnly = startDkgParties({ sessionId, partyIds: [2] });
      expectMpcError(() => partiesRound2(twoOnly.state, server.messages), 'MPC_INVALID_PARTY', 'envelope.recipient');
    });
  });
});
