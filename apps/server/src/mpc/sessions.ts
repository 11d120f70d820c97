/**
 * The generic runner of the server party's protocol sessions (DKG, refresh, pairing, presigning).
 * Each protocol is a `ServerProtocolDriver`: `start` makes the first state and messages, `step`
 * feeds the device's envelopes of one round to the server's round function (packages/mpc
 * protocol/*.ts: pure functions over JSON states) and says what to send back. Between HTTP
 * requests the state lives in `mpc_sessions`, sealed under the master key and bound to its round.
 * A step commits only if the session's round is still the one it read (optimistic concurrency: of
 * two concurrent requests for one session exactly one advances it), the session has not finished
 * and has not expired; the protocol's output (a key share, a pairing, a presignature) is written in
 * the same transaction. A step whose outcome is `disableKey` (the authenticated device failed a
 * cryptographic check: Lindell17's abort attack, CVE-2023-33242) is persisted in its own committed
 * transaction before the error is answered, and ends the session.
 */
import { BaseError } from '@custos/core';
import type { Database, Queryable } from '@custos/db';
import type { Envelope, MpcError } from '@custos/mpc';
import type { Services } from '../services.js';
import type { MpcServices } from './context.js';
import {
  advanceSession,
  bindings,
  discardPendingKey,
  findSession,
  findWallet,
  insertSession,
  persistSigningDisabled,
  type SessionProtocol,
  type SessionRow,
  type WalletRow,
} from './store.js';

/** What is sealed per session: the round function's own state plus what the server needs around it. */
export interface SessionState<S = unknown> {
  readonly v: 1;
  /** Works on the pending (refreshed) key rather than the active one. */
  readonly pending: boolean;
  /** The wallet generation the session's key material has (pending: the active one + 1). */
  readonly generation: number;
  /** The refresh session that produced the pending key (pending sessions only). */
  readonly refreshSessionId: string | null;
  readonly inner: S;
}

export interface DriverContext {
  readonly db: Database;
  readonly mpc: MpcServices;
  readonly deviceId: string;
  /** Read fresh for every start and step. */
  readonly wallet: WalletRow;
  readonly sessionId: string;
}

export interface DriverStart<S> {
  readonly sessionId: string;
  readonly state: SessionState<S>;
  readonly messages: readonly Envelope[];
  /** Route-specific fields of the start response (serverNonce, …). */
  readonly response: Readonly<Record<string, unknown>>;
}

export interface DriverStep<S> {
  readonly state: SessionState<S> | null;
  readonly messages: readonly Envelope[];
  readonly done: boolean;
  readonly result?: Readonly<Record<string, unknown>>;
  readonly next?: Readonly<Record<string, unknown>>;
  /** The device failed a cryptographic check: persist the disable, answer this error. */
  readonly disableKey?: MpcError;
  /** Writes the protocol's output in the transaction that advances the session. */
  commit?(tx: Queryable): Promise<void>;
}

export interface ServerProtocolDriver<I, S> {
  readonly protocol: SessionProtocol;
  start(ctx: Omit<DriverContext, 'sessionId'>, input: I): Promise<DriverStart<S>>;
  step(ctx: DriverContext, state: SessionState<S>, incoming: readonly unknown[]): Promise<DriverStep<S>>;
}

export interface StepResponse {
  messages: readonly Envelope[];
  done: boolean;
  result?: Readonly<Record<string, unknown>>;
  next?: Readonly<Record<string, unknown>>;
}

export function requireMpc(services: Services): MpcServices {
  if (services.mpc === undefined) throw new BaseError('NOT_FOUND', 'the MPC wallet is not configured on this server');
  return services.mpc;
}

function parseSessionState(value: unknown, sessionId: string): SessionState {
  const v = value as Partial<SessionState> | null;
  if (
    v === null ||
    typeof v !== 'object' ||
    v.v !== 1 ||
    typeof v.pending !== 'boolean' ||
    typeof v.generation !== 'number' ||
    !(v.refreshSessionId === null || typeof v.refreshSessionId === 'string')
  ) {
    throw new BaseError('INTERNAL', `the stored state of session ${sessionId} is malformed`);
  }
  return v as SessionState;
}

/** Runs a driver's start and stores the new session (round 0). */
export async function openSession<I, S>(
  services: Services,
  driver: ServerProtocolDriver<I, S>,
  ctx: Omit<DriverContext, 'sessionId'>,
  input: I,
  db: Queryable = services.db,
): Promise<DriverStart<S>> {
  const mpc = requireMpc(services);
  const started = await driver.start(ctx, input);
  await insertSession(db, {
    id: started.sessionId,
    walletId: ctx.wallet.id,
    deviceId: ctx.deviceId,
    protocol: driver.protocol,
    state: mpc.secrets.sealJson(bindings.session(started.sessionId, 0), started.state),
    ttlMs: mpc.sessionTtlMs,
  });
  return started;
}

function sessionNotFound(sessionId: string): BaseError {
  return new BaseError('NOT_FOUND', `no protocol session ${sessionId} for this device`, {
    details: { check: 'session.unknown' },
  });
}

async function loadLiveSession(db: Queryable, sessionId: string, deviceId: string): Promise<SessionRow> {
  const session = await findSession(db, sessionId);
  if (session === undefined || session.deviceId !== deviceId) throw sessionNotFound(sessionId);
  if (session.done) {
    throw new BaseError('MPC_MESSAGE_REPLAYED', 'this protocol session has finished', {
      details: { check: 'session.done' },
    });
  }
  if (session.expired || session.state === null) {
    throw new BaseError('NOT_FOUND', 'this protocol session has expired', { details: { check: 'session.expired' } });
  }
  return session;
}

function concurrent(): BaseError {
  return new BaseError('MPC_MESSAGE_REPLAYED', 'another request advanced or ended this protocol session first', {
    details: { check: 'session.concurrent' },
  });
}

/** Persists a disable outcome (own transaction), ends the session, and returns the error to answer. */
async function disable(db: Database, session: SessionRow, state: SessionState, error: MpcError): Promise<MpcError> {
  const reason = `${session.protocol}: ${error.code} (${error.check})`;
  if (state.pending && state.refreshSessionId !== null) {
    await discardPendingKey(db, session.walletId, state.refreshSessionId);
  } else {
    await persistSigningDisabled(db, session.walletId, reason);
  }
  await advanceSession(db, session.id, session.round, null, true);
  return error;
}

/** One step of a session: the device's envelopes in, the server's envelopes out. */
export async function stepSession(
  services: Services,
  drivers: Readonly<Record<SessionProtocol, ServerProtocolDriver<never, unknown>>>,
  deviceId: string,
  sessionId: string,
  incoming: readonly unknown[],
): Promise<StepResponse> {
  const mpc = requireMpc(services);
  const { db } = services;
  const session = await loadLiveSession(db, sessionId, deviceId);
  const wallet = await findWallet(db, session.walletId);
  if (wallet === undefined) throw sessionNotFound(sessionId);
  const state = parseSessionState(
    mpc.secrets.openJson(bindings.session(session.id, session.round), session.state as Uint8Array),
    session.id,
  );
  const driver = drivers[session.protocol];
  const step = await driver.step({ db, mpc, deviceId, wallet, sessionId }, state, incoming);
  if (step.disableKey !== undefined) throw await disable(db, session, state, step.disableKey);

  const next = step.done || step.state === null ? null : step.state;
  const sealed = next === null ? null : mpc.secrets.sealJson(bindings.session(session.id, session.round + 1), next);
  await db.transaction(async (tx) => {
    if (!(await advanceSession(tx, session.id, session.round, sealed, step.done))) throw concurrent();
    await step.commit?.(tx);
  });
  return {
    messages: step.messages,
    done: step.done,
    ...(step.result === undefined ? {} : { result: step.result }),
    ...(step.next === undefined ? {} : { next: step.next }),
  };
}
