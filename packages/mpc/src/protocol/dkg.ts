/**
 * The 2-of-3 distributed key generation: a commit-then-reveal Feldman VSS DKG (Pedersen, "A
 * Threshold Cryptosystem without a Trusted Party", EUROCRYPT 1991, with Feldman verification; the
 * commit-reveal first round follows Gennaro–Jarecki–Krawczyk–Rabin's fix of the bias in Pedersen's
 * DKG, J. Cryptology 2007, §4) in the shape OKX's threshold-lib uses (research notes §1.3), with the
 * fixes §2.3 asks for: every commitment, proof and echo is bound to the session id and the party
 * id, round-1 commitments are echo-broadcast so nobody can equivocate, and all parties confirm the
 * transcript hash and public key at the end. Rounds are pure functions over JSON-serialisable
 * states (the server keeps its state in a database between HTTP requests): state + incoming
 * envelopes → new state + outgoing envelopes. The same engine re-shares an existing key
 * (`refresh.ts`): there only some parties deal, each dealing a fixed constant term.
 */
import { concatBytes, utf8ToBytes } from '@custos/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { commit, echoDigest, verifyCommitment } from '../commitment.js';
import {
  decodePoint,
  encodePoint,
  modQ,
  mul,
  mulG,
  type Point,
  pointToHex,
  scalarToHex,
  wireHexToBytes,
} from '../curve.js';
import { MpcError } from '../errors.js';
import { decodeSchnorrProof, encodeSchnorrProof, proveSchnorr, verifySchnorr } from '../schnorr.js';
import {
  evaluatePolynomial,
  type FeldmanCommitments,
  feldmanCommitments,
  feldmanSharePoint,
  lagrangeCoefficient,
  randomPolynomial,
  verifyFeldmanShare,
} from '../shamir.js';
import { Transcript } from '../transcript.js';
import {
  type Envelope,
  envelope,
  expectMessages,
  PARTY,
  type PartyId,
  PROTOCOLS,
  type Protocol,
  parseEnvelope,
} from './envelope.js';

export const ALL_PARTIES: readonly PartyId[] = [PARTY.server, PARTY.device, PARTY.cloud];

// ---------------------------------------------------------------------------------------------
// Serialised forms. Every state and payload is validated on the way in, naming the bad field.

// Wire hex: lowercase, no `0x` prefix (the package convention, like the session id).
const hex32 = z.string().regex(/^[0-9a-f]{64}$/);
const pointHex = z.string().regex(/^0[23][0-9a-f]{64}$/);
const partyId = z.union([z.literal(1), z.literal(2), z.literal(3)]);
const schnorrJson = z.strictObject({ A: pointHex, z: hex32 });

const configSchema = z.strictObject({
  protocol: z.enum(['dkg', 'refresh']),
  sessionId: z.string().regex(/^[0-9a-f]{64}$/),
  partyId,
  dealers: z.array(partyId).min(2).max(3),
  /** Refresh only: the key being re-shared; share public points by party (1, 2, 3), null if unknown. */
  previous: z
    .strictObject({
      publicKey: pointHex,
      chainCode: hex32,
      sharePublicKeys: z.tuple([pointHex.nullable(), pointHex.nullable(), pointHex.nullable()]),
    })
    .nullable(),
});

const dealerSchema = z.strictObject({
  /** Secret: the dealer's polynomial (a_0, a_1). */
  polynomial: z.tuple([hex32, hex32]),
  commitments: z.tuple([pointHex, pointHex]),
  chainCode: hex32.nullable(),
  randomness: hex32,
  commitment: hex32,
  proof: schnorrJson,
});

const sharePublicKeysSchema = z.strictObject({ 1: pointHex, 2: pointHex, 3: pointHex });

const keyShareSchema = z.strictObject({
  partyId,
  share: hex32,
  publicKey: pointHex,
  chainCode: hex32,
  sharePublicKeys: sharePublicKeysSchema,
  transcriptHash: hex32,
});

const state1Schema = z.strictObject({ step: z.literal(1), config: configSchema, dealer: dealerSchema.nullable() });
const state2Schema = z.strictObject({
  step: z.literal(2),
  config: configSchema,
  dealer: dealerSchema.nullable(),
  /** Round-1 commitments of every dealer, in dealer order (own included). */
  commitments: z.array(hex32),
  echo: hex32,
});
const state3Schema = z.strictObject({
  step: z.literal(3),
  config: configSchema,
  output: keyShareSchema,
  confirmation: hex32,
});

const round1Schema = z.strictObject({ commitment: hex32 });
const revealSchema = z.strictObject({
  A0: z.string(),
  A1: z.string(),
  chainCode: hex32.nullable(),
  randomness: hex32,
  proof: z.unknown(),
  share: hex32,
});
const round2Schema = z.strictObject({ echo: hex32, reveal: revealSchema.nullable() });
const round3Schema = z.strictObject({ confirmation: hex32 });

export type SharingConfig = z.infer<typeof configSchema>;
export type SharingState1 = z.infer<typeof state1Schema>;
export type SharingState2 = z.infer<typeof state2Schema>;
export type SharingState3 = z.infer<typeof state3Schema>;
export type SharePublicKeys = z.infer<typeof sharePublicKeysSchema>;

/** What a party keeps after a DKG or refresh. `share` is secret; everything else is public. */
export type KeyShare = z.infer<typeof keyShareSchema>;

export interface SharingStep<S> {
  readonly state: S;
  readonly messages: readonly Envelope[];
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, check: string, details: Record<string, number> = {}): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue ? issue.path.map(String).join('.') || '(root)' : '(root)';
  throw new MpcError('MPC_INVALID_MESSAGE', check, `malformed ${check.split('.')[0]}: "${field}"`, {
    field,
    ...details,
  });
}

/** Validates a key share (e.g. one loaded from storage). */
export function parseKeyShare(value: unknown): KeyShare {
  return parseWith(keyShareSchema, value, 'key-share.shape');
}

// ---------------------------------------------------------------------------------------------
// Session ids

/** 32 fresh random bytes as hex: one party's contribution to a session id. */
export function randomSessionContribution(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * The session id every protocol run uses, chosen jointly: SHA-256 over the protocol name and each
 * party's 32-byte random contribution, length-prefixed, in party order. One honest contribution
 * makes it fresh, so no message from an earlier run can be replayed into this one.
 */
export function deriveSessionId(protocol: Protocol, contributions: readonly string[]): string {
  if (!PROTOCOLS.includes(protocol)) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'session.protocol', 'unknown protocol', { field: 'protocol' });
  }
  if (contributions.length < 2) {
    throw new MpcError(
      'MPC_INVALID_MESSAGE',
      'session.contributions',
      'a session id needs a contribution from each party',
      {
        count: contributions.length,
      },
    );
  }
  const parts: Uint8Array[] = [];
  const push = (bytes: Uint8Array) => {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, bytes.length, false);
    parts.push(len, bytes);
  };
  push(utf8ToBytes('custos/mpc/v1/session'));
  push(utf8ToBytes(protocol));
  contributions.forEach((c, i) => {
    if (typeof c !== 'string' || !/^[0-9a-f]{64}$/.test(c)) {
      throw new MpcError(
        'MPC_INVALID_MESSAGE',
        'session.contribution',
        `"contributions[${i}]" is not 32 bytes of hex`,
        {
          field: `contributions[${i}]`,
        },
      );
    }
    push(wireHexToBytes(c, `contributions[${i}]`, 32));
  });
  return bytesToHex(sha256(concatBytes(...parts)));
}

// ---------------------------------------------------------------------------------------------
// The sharing engine (DKG and refresh)

function others(me: PartyId): PartyId[] {
  return ALL_PARTIES.filter((p) => p !== me);
}

const commitCtx = (c: SharingConfig, partyId: number) => ({
  domain: `${c.protocol}/commit`,
  sessionId: c.sessionId,
  partyId,
});
const pokCtx = (c: SharingConfig, prover: number) => ({ domain: `${c.protocol}/pok`, sessionId: c.sessionId, prover });
const EMPTY = new Uint8Array(0);

function commitValues(A0: Point, A1: Point, chainCode: Uint8Array | null): Uint8Array[] {
  return [encodePoint(A0), encodePoint(A1), chainCode ?? EMPTY];
}

function validateConfig(value: unknown): SharingConfig {
  const config = parseWith(configSchema, value, 'state.shape');
  const { dealers, protocol } = config;
  const sorted = dealers.every((d, i) => i === 0 || (dealers[i - 1] as number) < d);
  if (!sorted)
    throw new MpcError('MPC_INVALID_PARTY', 'config.dealers', 'dealers must be distinct and in ascending order');
  if (protocol === 'dkg' && (dealers.length !== 3 || config.previous !== null)) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'config.dkg', 'a DKG has all three parties dealing and no previous key');
  }
  if (protocol === 'refresh') {
    if (dealers.length !== 2 || config.previous === null) {
      throw new MpcError('MPC_INVALID_MESSAGE', 'config.refresh', 'a refresh has two dealers and the previous key');
    }
    const known = dealers.filter((d) => config.previous?.sharePublicKeys[d - 1] !== null).length;
    if (known < dealers.length - 1) {
      throw new MpcError(
        'MPC_INVALID_MESSAGE',
        'config.refresh',
        'the share public point of at least one dealer is needed',
      );
    }
  }
  return config;
}

/**
 * Round 1 for one party. A dealer samples f_i (with a_0 = `dealerConstant` when re-sharing), a
 * chain-code contribution c_i (DKG only), commits to (A_i0, A_i1, c_i) and sends the commitment to
 * every other party; it also proves knowledge of a_0 now, so later rounds are deterministic and a
 * retried round re-sends identical messages. A non-dealer sends nothing in round 1.
 */
export function startSharing(configValue: SharingConfig, dealerConstant: bigint | null): SharingStep<SharingState1> {
  const config = validateConfig(configValue);
  const me = config.partyId;
  if (!config.dealers.includes(me)) return { state: { step: 1, config, dealer: null }, messages: [] };
  const polynomial = randomPolynomial(dealerConstant ?? undefined);
  const [A0, A1] = feldmanCommitments(polynomial);
  const chainCode = config.protocol === 'dkg' ? crypto.getRandomValues(new Uint8Array(32)) : null;
  const { commitment, randomness } = commit(commitCtx(config, me), commitValues(A0, A1, chainCode));
  const proof = encodeSchnorrProof(proveSchnorr(pokCtx(config, me), polynomial[0], A0));
  const dealer = {
    polynomial: [scalarToHex(polynomial[0]), scalarToHex(polynomial[1])] as [string, string],
    commitments: [pointToHex(A0), pointToHex(A1)] as [string, string],
    chainCode: chainCode === null ? null : bytesToHex(chainCode),
    randomness: bytesToHex(randomness),
    commitment: bytesToHex(commitment),
    proof,
  };
  const messages = others(me).map((to) =>
    envelope(config.protocol, config.sessionId, 1, me, to, { commitment: dealer.commitment }),
  );
  return { state: { step: 1, config, dealer }, messages };
}

/**
 * Round 2: collect every dealer's commitment, echo the hash of the whole vector to everyone, and
 * (a dealer) open the commitment, attach the proof of knowledge and send f_i(j) to party j alone.
 */
export function sharingRound2(stateValue: SharingState1, incoming: readonly unknown[]): SharingStep<SharingState2> {
  const state = parseWith(state1Schema, stateValue, 'state.shape');
  const config = validateConfig(state.config);
  const me = config.partyId;
  const received = expectMessages(incoming, {
    protocol: config.protocol,
    sessionId: config.sessionId,
    round: 1,
    to: me,
    from: config.dealers.filter((d) => d !== me),
  });
  const commitments = config.dealers.map((d) =>
    d === me && state.dealer
      ? state.dealer.commitment
      : parseWith(round1Schema, received.get(d), 'payload.shape', { from: d }).commitment,
  );
  const echo = bytesToHex(echoOf(config, commitments));
  const { dealer } = state;
  const messages = others(me).map((to) => {
    const reveal =
      dealer === null
        ? null
        : {
            A0: dealer.commitments[0],
            A1: dealer.commitments[1],
            chainCode: dealer.chainCode,
            randomness: dealer.randomness,
            proof: dealer.proof,
            share: scalarToHex(evaluatePolynomial(polynomialOf(dealer), to)),
          };
    return envelope(config.protocol, config.sessionId, 2, me, to, { echo, reveal });
  });
  return { state: { step: 2, config, dealer, commitments, echo }, messages };
}

function echoOf(config: SharingConfig, commitments: readonly string[]): Uint8Array {
  return echoDigest(
    `${config.protocol}/round1`,
    config.sessionId,
    config.dealers.map((d, i) => [d, wireHexToBytes(commitments[i], 'commitments', 32)] as const),
  );
}

/** A 64-digit hex string (already validated) as an integer; range checks are the caller's. */
function hexToScalar(value: string): bigint {
  return BigInt(`0x${value}`);
}

function polynomialOf(dealer: NonNullable<SharingState1['dealer']>): readonly [bigint, bigint] {
  return [hexToScalar(dealer.polynomial[0]), hexToScalar(dealer.polynomial[1])];
}

interface Contribution {
  readonly partyId: PartyId;
  readonly commitment: Uint8Array;
  readonly A: FeldmanCommitments;
  readonly chainCode: Uint8Array | null;
  readonly proof: { A: string; z: string };
  /** f_j(me). */
  readonly share: bigint;
}

/**
 * Round 3: check every echo (MPC_ECHO_MISMATCH), every opening, proof of knowledge and Feldman
 * share, then compute this party's share s_i = Σ_j f_j(i), the public key PK = Σ_j A_j0, every
 * party's share point S_k = Σ_j (A_j0 + k·A_j1), the chain code and the transcript hash, and send
 * the confirmation H(sid, transcript hash, PK) to everyone. The share is released only by
 * `finishSharing`, once every confirmation matches.
 */
export function sharingRound3(stateValue: SharingState2, incoming: readonly unknown[]): SharingStep<SharingState3> {
  const state = parseWith(state2Schema, stateValue, 'state.shape');
  const config = validateConfig(state.config);
  const me = config.partyId;
  if (state.commitments.length !== config.dealers.length) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'state.shape', 'one commitment per dealer expected', {
      field: 'commitments',
    });
  }
  const received = expectMessages(incoming, {
    protocol: config.protocol,
    sessionId: config.sessionId,
    round: 2,
    to: me,
    from: others(me),
  });
  const payloads = new Map(
    others(me).map((j) => [j, parseWith(round2Schema, received.get(j), 'payload.shape', { from: j })]),
  );
  // Echo first: a party that equivocated in round 1 is caught before any opening is used.
  for (const [j, p] of payloads) {
    if (p.echo !== state.echo) {
      throw new MpcError('MPC_ECHO_MISMATCH', 'echo.commitments', `party ${j} saw different round-1 commitments`, {
        from: j,
      });
    }
    if (!config.dealers.includes(j) && p.reveal !== null) {
      throw new MpcError('MPC_INVALID_MESSAGE', 'reveal.unexpected', `party ${j} is not a dealer in this run`, {
        from: j,
      });
    }
  }
  const contributions = config.dealers.map((d, i) => {
    const commitment = wireHexToBytes(state.commitments[i], 'commitments', 32);
    if (d === me && state.dealer) return ownContribution(state.dealer, me, commitment);
    return verifyReveal(config, d, commitment, payloads.get(d)?.reveal ?? null);
  });
  const output = combine(config, contributions);
  const confirmation = bytesToHex(confirmationOf(config, output.transcriptHash, output.publicKey));
  const messages = others(me).map((to) => envelope(config.protocol, config.sessionId, 3, me, to, { confirmation }));
  return { state: { step: 3, config, output, confirmation }, messages };
}

function ownContribution(
  dealer: NonNullable<SharingState1['dealer']>,
  me: PartyId,
  commitment: Uint8Array,
): Contribution {
  return {
    partyId: me,
    commitment,
    A: [decodePoint(dealer.commitments[0], 'state.A0'), decodePoint(dealer.commitments[1], 'state.A1')],
    chainCode: dealer.chainCode === null ? null : wireHexToBytes(dealer.chainCode, 'state.chainCode', 32),
    proof: dealer.proof,
    share: evaluatePolynomial(polynomialOf(dealer), me),
  };
}

function verifyReveal(
  config: SharingConfig,
  d: PartyId,
  commitment: Uint8Array,
  reveal: z.infer<typeof revealSchema> | null,
): Contribution {
  if (reveal === null) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'reveal.missing', `dealer ${d} sent no opening`, { from: d });
  }
  const A0 = decodePoint(reveal.A0, 'reveal.A0');
  const A1 = decodePoint(reveal.A1, 'reveal.A1');
  const wantChainCode = config.protocol === 'dkg';
  if ((reveal.chainCode !== null) !== wantChainCode) {
    throw new MpcError(
      'MPC_INVALID_MESSAGE',
      'reveal.chain-code',
      `dealer ${d}'s chain-code contribution is ${wantChainCode ? 'missing' : 'unexpected'}`,
      {
        from: d,
      },
    );
  }
  const chainCode = reveal.chainCode === null ? null : wireHexToBytes(reveal.chainCode, 'reveal.chainCode', 32);
  verifyCommitment(
    commitCtx(config, d),
    commitment,
    commitValues(A0, A1, chainCode),
    wireHexToBytes(reveal.randomness, 'reveal.randomness', 32),
  );
  const proof = decodeSchnorrProof(reveal.proof, 'reveal.proof');
  verifySchnorr(pokCtx(config, d), A0, proof);
  const share = hexToScalar(reveal.share);
  verifyFeldmanShare(share, config.partyId, [A0, A1]);
  if (config.previous !== null) checkDealerConstant(config, d, A0);
  return { partyId: d, commitment, A: [A0, A1], chainCode, proof: encodeSchnorrProof(proof), share };
}

/**
 * Refresh: dealer d must re-share exactly λ_d·s_d, i.e. A_d0 = λ_d·S_d for its stored share point
 * S_d, or the key would change (MPC_KEY_MISMATCH). A party that knows only one dealer's S_d relies
 * on that check plus Σ A_j0 = PK in `combine`, which pins the other dealer's constant too.
 */
function checkDealerConstant(config: SharingConfig, d: PartyId, A0: Point): void {
  const known = config.previous?.sharePublicKeys[d - 1] ?? null;
  if (known === null) return;
  const expected = mul(decodePoint(known, `previous.sharePublicKeys.${d}`), lagrangeCoefficient(d, config.dealers));
  if (!A0.equals(expected)) {
    throw new MpcError('MPC_KEY_MISMATCH', 'refresh.dealer-constant', `dealer ${d} is not re-sharing its own share`, {
      from: d,
    });
  }
}

function sumPoints(points: readonly Point[]): Point | null {
  let acc: Point | null = null;
  for (const P of points) acc = acc === null ? P : acc.add(P);
  return acc === null || acc.is0() ? null : acc;
}

function combine(config: SharingConfig, contributions: readonly Contribution[]): KeyShare {
  const me = config.partyId;
  const identity = () =>
    new MpcError('MPC_INVALID_POINT', 'sharing.identity', 'the combined key or a share point is the identity');
  const publicKey = sumPoints(contributions.map((c) => c.A[0]));
  if (publicKey === null) throw identity();
  if (config.previous !== null && !publicKey.equals(decodePoint(config.previous.publicKey, 'previous.publicKey'))) {
    throw new MpcError(
      'MPC_KEY_MISMATCH',
      'refresh.public-key',
      'the re-shared key differs from the previous public key',
    );
  }
  const sharePoints = ALL_PARTIES.map((k) => sumPoints(contributions.map((c) => feldmanSharePoint(k, c.A))));
  const [S1, S2, S3] = sharePoints;
  if (!S1 || !S2 || !S3) throw identity();
  const share = modQ(contributions.reduce((acc, c) => acc + c.share, 0n));
  // Implied by the Feldman checks; kept as a cheap guard against a corrupted own state.
  if (!mulG(share).equals(sharePoints[me - 1] as Point)) {
    throw new MpcError(
      'MPC_FELDMAN_SHARE_INVALID',
      'sharing.own-share',
      'the combined share does not match its public point',
    );
  }
  const chainCode =
    config.previous !== null
      ? wireHexToBytes(config.previous.chainCode, 'previous.chainCode', 32)
      : sha256(concatBytes(...contributions.map((c) => c.chainCode ?? EMPTY)));
  const t = new Transcript(`${config.protocol}/transcript`)
    .string('sid', config.sessionId)
    .int('dealers.length', contributions.length);
  for (const c of contributions) {
    t.int('dealer', c.partyId)
      .bytes('commitment', c.commitment)
      .bytes('A0', encodePoint(c.A[0]))
      .bytes('A1', encodePoint(c.A[1]))
      .bytes('chainCode', c.chainCode ?? EMPTY)
      .string('proof.A', c.proof.A)
      .string('proof.z', c.proof.z);
  }
  t.bytes('publicKey', encodePoint(publicKey)).bytes('chainCode', chainCode);
  for (const [i, S] of [S1, S2, S3].entries()) t.bytes(`S${i + 1}`, encodePoint(S));
  return {
    partyId: me,
    share: scalarToHex(share),
    publicKey: pointToHex(publicKey),
    chainCode: bytesToHex(chainCode),
    sharePublicKeys: { 1: pointToHex(S1), 2: pointToHex(S2), 3: pointToHex(S3) },
    transcriptHash: bytesToHex(t.digest().slice(0, 32)),
  };
}

function confirmationOf(config: SharingConfig, transcriptHash: string, publicKey: string): Uint8Array {
  return new Transcript(`${config.protocol}/confirm`)
    .string('sid', config.sessionId)
    .bytes('transcriptHash', wireHexToBytes(transcriptHash, 'transcriptHash', 32))
    .bytes('publicKey', wireHexToBytes(publicKey, 'publicKey', 33))
    .digest()
    .slice(0, 32);
}

/** Last step: every other party's confirmation must equal ours (MPC_ECHO_MISMATCH, `confirmation`). */
export function finishSharing(stateValue: SharingState3, incoming: readonly unknown[]): KeyShare {
  const state = parseWith(state3Schema, stateValue, 'state.shape');
  const config = validateConfig(state.config);
  const me = config.partyId;
  const received = expectMessages(incoming, {
    protocol: config.protocol,
    sessionId: config.sessionId,
    round: 3,
    to: me,
    from: others(me),
  });
  for (const [j, payload] of received) {
    if (parseWith(round3Schema, payload, 'payload.shape', { from: j }).confirmation !== state.confirmation) {
      throw new MpcError('MPC_ECHO_MISMATCH', 'confirmation', `party ${j} ended with a different transcript or key`, {
        from: j,
      });
    }
  }
  return state.output;
}

// ---------------------------------------------------------------------------------------------
// Several parties in one process (the device runs parties 2 and 3)

/**
 * The states of the parties one process runs, plus the messages they sent each other and have not
 * yet consumed. Those never leave the process: in the DKG, f_2(3) and f_3(2) stay on the device.
 */
export interface MultiPartyState<S> {
  readonly parties: readonly S[];
  readonly pending: readonly Envelope[];
}

function localIds<S>(states: readonly S[]): PartyId[] {
  return states.map((s, i) => {
    const id = (s as { config?: { partyId?: unknown } }).config?.partyId;
    if (id !== 1 && id !== 2 && id !== 3) {
      throw new MpcError('MPC_INVALID_MESSAGE', 'state.shape', 'a local party state has no party id', {
        field: `parties.${i}`,
      });
    }
    return id;
  });
}

/** Keeps messages between local parties for the next round; returns the rest to send. */
function route<S>(steps: readonly SharingStep<S>[]): SharingStep<MultiPartyState<S>> {
  const parties = steps.map((s) => s.state);
  const local = new Set(localIds(parties));
  const all = steps.flatMap((s) => s.messages);
  return {
    state: { parties, pending: all.filter((m) => local.has(m.to)) },
    messages: all.filter((m) => !local.has(m.to)),
  };
}

/** Messages for each local party: the pending internal ones plus the external ones addressed to it. */
function inboxes<S>(multi: MultiPartyState<S>, incoming: readonly unknown[]): Map<PartyId, unknown[]> {
  const ids = localIds(multi.parties);
  const boxes = new Map<PartyId, unknown[]>(ids.map((id) => [id, []]));
  for (const raw of incoming) {
    const m = parseEnvelope(raw);
    // A message from outside that claims to come from one of our own parties is forged.
    if (ids.includes(m.from)) {
      throw new MpcError('MPC_INVALID_PARTY', 'envelope.sender-local', `party ${m.from} runs in this process`, {
        from: m.from,
      });
    }
    const box = boxes.get(m.to);
    if (!box)
      throw new MpcError('MPC_INVALID_PARTY', 'envelope.recipient', `party ${m.to} does not run here`, { to: m.to });
    box.push(m);
  }
  for (const m of multi.pending) boxes.get(m.to)?.push(m);
  return boxes;
}

function advance<S, T>(
  multi: MultiPartyState<S>,
  incoming: readonly unknown[],
  round: (state: S, incoming: readonly unknown[]) => SharingStep<T>,
): SharingStep<MultiPartyState<T>> {
  const boxes = inboxes(multi, incoming);
  const ids = localIds(multi.parties);
  return route(multi.parties.map((s, i) => round(s, boxes.get(ids[i] as PartyId) ?? [])));
}

/** Starts several local parties at once (`steps` from `startDkg` / `startRefresh`). */
export function startParties<S>(steps: readonly SharingStep<S>[]): SharingStep<MultiPartyState<S>> {
  return route(steps);
}

export function partiesRound2(
  multi: MultiPartyState<SharingState1>,
  incoming: readonly unknown[],
): SharingStep<MultiPartyState<SharingState2>> {
  return advance(multi, incoming, sharingRound2);
}

export function partiesRound3(
  multi: MultiPartyState<SharingState2>,
  incoming: readonly unknown[],
): SharingStep<MultiPartyState<SharingState3>> {
  return advance(multi, incoming, sharingRound3);
}

/** The key shares of every local party, in the order they were started. */
export function finishParties(multi: MultiPartyState<SharingState3>, incoming: readonly unknown[]): KeyShare[] {
  const boxes = inboxes(multi, incoming);
  const ids = localIds(multi.parties);
  return multi.parties.map((s, i) => finishSharing(s, boxes.get(ids[i] as PartyId) ?? []));
}

/** Runs rounds 2, 3 and the finish for a process that runs every party (tests, simulations). */
export function runLocally(start: SharingStep<MultiPartyState<SharingState1>>): KeyShare[] {
  if (start.messages.length > 0) {
    throw new MpcError('MPC_INVALID_PARTY', 'envelope.recipient', 'runLocally needs every party to run locally');
  }
  const r2 = partiesRound2(start.state, []);
  const r3 = partiesRound3(r2.state, []);
  return finishParties(r3.state, []);
}

// ---------------------------------------------------------------------------------------------
// The DKG

export interface StartDkgParameters {
  /** From `deriveSessionId('dkg', …)`. */
  readonly sessionId: string;
  readonly partyId: PartyId;
}

/** Round 1 of the DKG for one party: all three parties deal. */
export function startDkg(params: StartDkgParameters): SharingStep<SharingState1> {
  return startSharing(
    {
      protocol: 'dkg',
      sessionId: params.sessionId,
      partyId: params.partyId,
      dealers: [...ALL_PARTIES],
      previous: null,
    },
    null,
  );
}

/** Round 1 for several parties in one process (the device: `partyIds: [2, 3]`). */
export function startDkgParties(params: {
  readonly sessionId: string;
  readonly partyIds: readonly PartyId[];
}): SharingStep<MultiPartyState<SharingState1>> {
  return startParties(params.partyIds.map((partyId) => startDkg({ sessionId: params.sessionId, partyId })));
}

/** The whole DKG in memory (tests and local tools): key shares of parties 1, 2, 3. */
export function runDkgInMemory(
  sessionId = deriveSessionId('dkg', [randomSessionContribution(), randomSessionContribution()]),
): KeyShare[] {
  return runLocally(startDkgParties({ sessionId, partyIds: ALL_PARTIES }));
}
