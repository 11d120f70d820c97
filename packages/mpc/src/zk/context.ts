/**
 * The context every zero-knowledge proof is bound to, and the decoding helpers the proof codecs
 * share. Fiat–Shamir challenges hash the session id and the prover's party id before the statement
 * (research notes §2.3 "Fiat–Shamir transcript"; CGGMP21 ePrint 2021/060 §2.2 / §5 derive every
 * challenge from (sid, i, …)), so a proof cannot be replayed into another session or claimed by
 * another party. Decoders validate every field and throw MPC_INVALID_MESSAGE naming it.
 */
import { MpcError } from '../errors.js';
import type { PartyId } from '../protocol/envelope.js';
import type { Transcript } from '../transcript.js';

export interface ProofContext {
  /** 32 bytes as 64 lowercase hex digits, chosen jointly per protocol run. */
  readonly sessionId: string;
  /** The party that produced the proof. */
  readonly prover: PartyId;
}

const SESSION_ID_RE = /^[0-9a-f]{64}$/;

/** Throws MPC_INVALID_MESSAGE unless `ctx` is a well-formed proof context. */
export function assertProofContext(ctx: ProofContext): void {
  if (typeof ctx?.sessionId !== 'string' || !SESSION_ID_RE.test(ctx.sessionId)) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'context.session-id', 'session id must be 64 lowercase hex digits');
  }
  if (ctx.prover !== 1 && ctx.prover !== 2 && ctx.prover !== 3) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'context.prover', 'prover must be party 1, 2 or 3');
  }
}

/** Validates `ctx` and absorbs it into `transcript` (always right after the domain tag). */
export function bindContext(transcript: Transcript, ctx: ProofContext): Transcript {
  assertProofContext(ctx);
  return transcript.string('sid', ctx.sessionId).int('prover', ctx.prover);
}

// ---------------------------------------------------------------------------------------------
// Shared decoding helpers for proof codecs.

function invalid(field: string, expected: string): MpcError {
  return new MpcError('MPC_INVALID_MESSAGE', 'encoding.shape', `"${field}" expected ${expected}`, { field });
}

/** A plain object with exactly `keys` (no more, no fewer). */
export function expectRecord(value: unknown, field: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'an object');
  const record = value as Record<string, unknown>;
  const present = Object.keys(record);
  for (const key of keys) if (!Object.hasOwn(record, key)) throw invalid(`${field}.${key}`, 'a value');
  for (const key of present) if (!keys.includes(key)) throw invalid(`${field}.${key}`, 'no such field');
  return record;
}

/** An array of at most `maxLength` items (the verifier checks the exact count itself). */
export function expectArray(value: unknown, field: string, maxLength: number): readonly unknown[] {
  if (!Array.isArray(value) || value.length > maxLength) throw invalid(field, `an array of at most ${maxLength} items`);
  return value;
}
