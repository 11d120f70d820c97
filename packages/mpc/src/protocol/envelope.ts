/**
 * The wire envelope of every protocol message: versioned JSON carrying the protocol, the session
 * id, the round, the sender and the recipient. Round functions accept only envelopes that match
 * the session they are in, the round they expect and the parties they know; a message seen twice
 * is refused (replay). Payload fields are hex strings (integers, points, bytes), never numbers.
 */
import { z } from 'zod';
import { MpcError } from '../errors.js';

export const ENVELOPE_VERSION = 1 as const;

export const PROTOCOLS = ['dkg', 'pair', 'sign', 'refresh'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Party ids in the 2-of-3 wallet: 1 server, 2 device, 3 cloud backup. */
export const PARTY = { server: 1, device: 2, cloud: 3 } as const;
export type PartyId = 1 | 2 | 3;

export interface Envelope<P = unknown> {
  v: typeof ENVELOPE_VERSION;
  protocol: Protocol;
  /** 32 bytes, lowercase hex, chosen jointly per run. */
  sessionId: string;
  round: number;
  from: PartyId;
  to: PartyId;
  payload: P;
}

const envelopeSchema = z.strictObject({
  v: z.literal(ENVELOPE_VERSION),
  protocol: z.enum(PROTOCOLS),
  sessionId: z.string().regex(/^[0-9a-f]{64}$/),
  round: z.number().int().min(1).max(16),
  from: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  to: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  payload: z.unknown(),
});

/** Parses an untrusted envelope; the payload is validated by the round that consumes it. */
export function parseEnvelope(value: unknown): Envelope {
  const parsed = envelopeSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MpcError('MPC_INVALID_MESSAGE', 'envelope.shape', 'malformed protocol message', {
      field: issue ? issue.path.join('.') || '(root)' : '(root)',
    });
  }
  const e = parsed.data as Envelope;
  if (e.from === e.to) throw new MpcError('MPC_INVALID_PARTY', 'envelope.parties', 'a message from a party to itself');
  return e;
}

export interface Expectation {
  protocol: Protocol;
  sessionId: string;
  round: number;
  to: PartyId;
  /** The senders this round expects, each exactly once. */
  from: readonly PartyId[];
}

/**
 * Checks a batch of incoming envelopes against what a round expects: right protocol, session,
 * round and recipient; each expected sender exactly once. Returns the payloads by sender.
 */
export function expectMessages(messages: readonly unknown[], want: Expectation): Map<PartyId, unknown> {
  const bySender = new Map<PartyId, unknown>();
  for (const raw of messages) {
    const m = parseEnvelope(raw);
    if (m.protocol !== want.protocol || m.sessionId !== want.sessionId) {
      throw new MpcError('MPC_SESSION_MISMATCH', 'envelope.session', 'message belongs to another session', {
        protocol: m.protocol,
        round: m.round,
      });
    }
    if (m.round !== want.round) {
      throw new MpcError('MPC_MESSAGE_REPLAYED', 'envelope.round', `expected round ${want.round}, got ${m.round}`, {
        expected: want.round,
        got: m.round,
      });
    }
    if (m.to !== want.to || !want.from.includes(m.from)) {
      throw new MpcError('MPC_INVALID_PARTY', 'envelope.parties', `unexpected message from ${m.from} to ${m.to}`, {
        from: m.from,
        to: m.to,
      });
    }
    if (bySender.has(m.from)) {
      throw new MpcError('MPC_MESSAGE_REPLAYED', 'envelope.duplicate', `two messages from party ${m.from}`, {
        from: m.from,
      });
    }
    bySender.set(m.from, m.payload);
  }
  for (const p of want.from) {
    if (!bySender.has(p)) {
      throw new MpcError('MPC_INVALID_MESSAGE', 'envelope.missing', `no message from party ${p}`, { from: p });
    }
  }
  return bySender;
}

export function envelope<P>(
  protocol: Protocol,
  sessionId: string,
  round: number,
  from: PartyId,
  to: PartyId,
  payload: P,
): Envelope<P> {
  return { v: ENVELOPE_VERSION, protocol, sessionId, round, from, to, payload };
}
