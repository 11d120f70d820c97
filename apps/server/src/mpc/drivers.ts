/**
 * The server party's drivers for each protocol session, over the round functions of
 * packages/mpc (README "HTTP contract", round mapping of the lead's addendum):
 * - `dkg`: the 2-of-3 Feldman DKG with the server as party 1 (protocol/dkg.ts); the finished key
 *   share is sealed into the wallet, which then waits for pairing.
 * - `refresh`: re-sharing under the same key with dealers server (1) and cloud backup (3)
 *   (protocol/refresh.ts); the new share is kept as the PENDING key beside the active one.
 * - `pair`: Lindell17 key setup with CGGMP21 proofs (protocol/pairing.ts), for the active key or the
 *   pending one.
 * - `presign`: the message-independent signing rounds (protocol/sign.ts); the server's single-use
 *   presignature is sealed into `mpc_presignatures`. A failing device nonce proof is a disable
 *   outcome.
 * Every step re-reads the wallet and refuses to continue if it moved on (another generation, the
 * pending key replaced) — the session's key material would no longer be the wallet's.
 */
import { BaseError } from '@custos/core';
import type { Queryable } from '@custos/db';
import {
  deriveSessionId,
  type Envelope,
  evmAddress,
  finishSharing,
  type KeyShare,
  MpcError,
  parseKeyShare,
  randomSessionContribution,
  type ServerPairing,
  type ServerPairingSent,
  type ServerPairingStarted,
  type ServerSignCommitted,
  type SharingState1,
  type SharingState2,
  type SharingState3,
  serverCompletePairing,
  serverPairingRound2,
  serverPairingStart,
  serverSignRound1,
  serverSignRound3,
  sharingRound2,
  sharingRound3,
  startDkg,
  startRefresh,
} from '@custos/mpc';
import type { SecretBox } from './secrets.js';
import type { DriverContext, ServerProtocolDriver, SessionState } from './sessions.js';
import { bindings, insertPresignature, type SessionProtocol, type WalletRow } from './store.js';

type SharingState = SharingState1 | SharingState2 | SharingState3;
type PairingState = ServerPairingStarted | ServerPairingSent;

// ---------------------------------------------------------------------------------------------
// Opening the wallet's sealed key material

export function openKeyShare(secrets: SecretBox, wallet: WalletRow, pending: boolean): KeyShare {
  const sealed = pending ? wallet.pendingShare : wallet.serverShare;
  if (sealed === null) {
    throw new BaseError(
      'CONFLICT',
      pending ? 'this wallet has no refreshed key' : 'the key generation has not finished',
      {
        details: { walletId: wallet.id },
      },
    );
  }
  const binding = pending
    ? bindings.pendingShare(wallet.id, wallet.generation + 1)
    : bindings.share(wallet.id, wallet.generation);
  return parseKeyShare(secrets.openJson(binding, sealed));
}

/** The pairing record; the active one carries the database's disabled flag (the authority). */
export function openPairing(secrets: SecretBox, wallet: WalletRow, pending: boolean): ServerPairing {
  const sealed = pending ? wallet.pendingPairing : wallet.pairing;
  if (sealed === null) {
    throw new BaseError('CONFLICT', pending ? 'the refreshed key is not paired yet' : 'this wallet is not paired yet', {
      details: { walletId: wallet.id },
      hints: ['Pair first: POST /v1/mpc/wallets/:walletId/pair.'],
    });
  }
  const binding = pending
    ? bindings.pendingPairing(wallet.id, wallet.generation + 1)
    : bindings.pairing(wallet.id, wallet.generation);
  const pairing = secrets.openJson(binding, sealed) as ServerPairing;
  return { ...pairing, signingDisabled: pending ? false : wallet.signingDisabledAt !== null };
}

/**
 * The device names the pairing it holds; one that is not the wallet's current (or pending) pairing
 * — an old device share after a refresh — is refused before any proof is checked, so it can never
 * disable the new key.
 */
export function assertPairingId(pairing: ServerPairing, pairingId: string | undefined): void {
  if (pairingId !== undefined && pairingId !== pairing.pairingId) {
    throw new MpcError(
      'MPC_SESSION_MISMATCH',
      'sign.pairing',
      "the device's pairing is not this wallet's current one",
      {
        field: 'pairingId',
      },
    );
  }
}

export function assertSigningEnabled(wallet: WalletRow): void {
  if (wallet.signingDisabledAt !== null) {
    throw new BaseError('MPC_SIGNING_DISABLED', 'signing with this wallet is disabled after a failed device proof', {
      details: { check: 'wallet.disabled', walletId: wallet.id },
      hints: ['Refresh the key from the backup (POST /v1/mpc/wallets/:walletId/refresh) and pair again.'],
    });
  }
}

/** A session over the wallet's active key, or (pending) over the refreshed key it will promote. */
function keyState<T>(wallet: WalletRow, pending: boolean, inner: T): SessionState<T> {
  return {
    v: 1,
    pending,
    generation: wallet.generation + (pending ? 1 : 0),
    refreshSessionId: pending ? wallet.pendingSessionId : null,
    inner,
  };
}

/** The wallet must still hold the key material this session started with. */
function assertSameKey(ctx: DriverContext, state: SessionState): void {
  const { wallet } = ctx;
  const same = state.pending
    ? wallet.pendingSessionId === state.refreshSessionId &&
      wallet.pendingDeviceId === ctx.deviceId &&
      wallet.generation + 1 === state.generation
    : wallet.deviceId === ctx.deviceId && wallet.generation === state.generation;
  if (!same) {
    throw new MpcError(
      'MPC_SESSION_MISMATCH',
      'session.key-changed',
      'the wallet key changed since this session started',
    );
  }
}

function onlyMessage(incoming: readonly unknown[]): unknown {
  if (incoming.length !== 1) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'session.messages', `expected one message, got ${incoming.length}`, {
      field: 'messages',
    });
  }
  return incoming[0];
}

function conflict(message: string): BaseError {
  return new BaseError('MPC_MESSAGE_REPLAYED', message, { details: { check: 'wallet.changed' } });
}

export function walletKeyJson(walletId: string, key: Pick<KeyShare, 'publicKey' | 'chainCode'>) {
  return { walletId, publicKey: key.publicKey, chainCode: key.chainCode, address: evmAddress(key.publicKey) };
}

// ---------------------------------------------------------------------------------------------
// DKG and refresh (one sharing engine)

async function stepSharing(
  state: SessionState<SharingState>,
  incoming: readonly unknown[],
): Promise<{ next: SessionState<SharingState> | null; messages: readonly Envelope[]; key?: KeyShare }> {
  const inner = state.inner;
  if (inner.step === 1) {
    const r = sharingRound2(inner, incoming);
    return { next: { ...state, inner: r.state }, messages: r.messages };
  }
  if (inner.step === 2) {
    const r = sharingRound3(inner, incoming);
    return { next: { ...state, inner: r.state }, messages: r.messages };
  }
  const key = finishSharing(inner, incoming);
  if (key.partyId !== 1) throw new BaseError('INTERNAL', 'the server finished a sharing as another party');
  return { next: null, messages: [], key };
}

export const dkgDriver: ServerProtocolDriver<{ nonce: string }, SharingState> = {
  protocol: 'dkg',
  async start(ctx, input) {
    const serverNonce = randomSessionContribution();
    const sessionId = deriveSessionId('dkg', [serverNonce, input.nonce]);
    const started = startDkg({ sessionId, partyId: 1 });
    return {
      sessionId,
      state: { v: 1, pending: false, generation: ctx.wallet.generation, refreshSessionId: null, inner: started.state },
      messages: started.messages,
      response: { walletId: ctx.wallet.id, sessionId, protocol: 'dkg', serverNonce },
    };
  },
  async step(ctx, state, incoming) {
    if (ctx.wallet.status !== 'dkg' || ctx.wallet.deviceId !== ctx.deviceId)
      throw conflict('the wallet left key generation');
    const r = await stepSharing(state, incoming);
    const key = r.key;
    if (key === undefined) return { state: r.next, messages: r.messages, done: false };
    const { secrets } = ctx.mpc;
    const walletId = ctx.wallet.id;
    return {
      state: null,
      messages: [],
      done: true,
      result: walletKeyJson(walletId, key),
      next: { protocol: 'pair', url: `/v1/mpc/wallets/${walletId}/pair` },
      async commit(tx: Queryable) {
        const stored = await tx.query(
          `UPDATE mpc_wallets SET server_share = $2, public_key = $3, chain_code = $4, status = 'pairing',
             updated_at = now()
           WHERE id = $1 AND status = 'dkg' AND generation = $5`,
          [
            walletId,
            secrets.sealJson(bindings.share(walletId, state.generation), key),
            Buffer.from(key.publicKey, 'hex'),
            Buffer.from(key.chainCode, 'hex'),
            state.generation,
          ],
        );
        if (stored.rowCount !== 1) throw conflict('the wallet left key generation');
      },
    };
  },
};

export const refreshDriver: ServerProtocolDriver<{ nonce: string }, SharingState> = {
  protocol: 'refresh',
  async start(ctx, input) {
    const key = openKeyShare(ctx.mpc.secrets, ctx.wallet, false);
    const serverNonce = randomSessionContribution();
    const sessionId = deriveSessionId('refresh', [serverNonce, input.nonce]);
    const started = startRefresh({
      sessionId,
      partyId: 1,
      dealers: [1, 3],
      publicKey: key.publicKey,
      chainCode: key.chainCode,
      sharePublicKeys: key.sharePublicKeys,
      share: key.share,
    });
    return {
      sessionId,
      state: { v: 1, pending: false, generation: ctx.wallet.generation, refreshSessionId: null, inner: started.state },
      messages: started.messages,
      response: { walletId: ctx.wallet.id, sessionId, protocol: 'refresh', serverNonce },
    };
  },
  async step(ctx, state, incoming) {
    if (ctx.wallet.generation !== state.generation) throw conflict('the wallet was refreshed by another session');
    const r = await stepSharing(state, incoming);
    const key = r.key;
    if (key === undefined) return { state: r.next, messages: r.messages, done: false };
    if (key.publicKey !== ctx.wallet.publicKey) throw new BaseError('INTERNAL', 'a refresh changed the public key');
    const { secrets } = ctx.mpc;
    const walletId = ctx.wallet.id;
    const { deviceId, sessionId } = ctx;
    return {
      state: null,
      messages: [],
      done: true,
      result: { ...walletKeyJson(walletId, key), pending: true },
      next: { protocol: 'pair', url: `/v1/mpc/wallets/${walletId}/pair`, pending: true },
      async commit(tx: Queryable) {
        const stored = await tx.query(
          `UPDATE mpc_wallets SET pending_share = $2, pending_device_id = $3, pending_session_id = $4,
             pending_pairing = NULL, updated_at = now()
           WHERE id = $1 AND generation = $5`,
          [
            walletId,
            secrets.sealJson(bindings.pendingShare(walletId, state.generation + 1), key),
            deviceId,
            sessionId,
            state.generation,
          ],
        );
        if (stored.rowCount !== 1) throw conflict('the wallet was refreshed by another session');
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Pairing

export const pairDriver: ServerProtocolDriver<{ deviceNonce: string; pending: boolean }, PairingState> = {
  protocol: 'pair',
  async start(ctx, input) {
    const { wallet } = ctx;
    if (!input.pending && wallet.status !== 'pairing') {
      throw new BaseError(
        'CONFLICT',
        wallet.status === 'dkg' ? 'the key generation has not finished' : 'this wallet is already paired',
        {
          details: { walletId: wallet.id, status: wallet.status },
          ...(wallet.status === 'active' ? { hints: ['A new pairing comes with a refresh.'] } : {}),
        },
      );
    }
    const key = openKeyShare(ctx.mpc.secrets, wallet, input.pending);
    const started = serverPairingStart(key, { deviceNonce: input.deviceNonce });
    return {
      sessionId: started.response.sessionId,
      state: keyState(wallet, input.pending, started.state),
      messages: [],
      response: { ...started.response },
    };
  },
  async step(ctx, state, incoming) {
    assertSameKey(ctx, state);
    if (!state.pending && ctx.wallet.status !== 'pairing') throw conflict('this wallet is already paired');
    const message = onlyMessage(incoming);
    const inner = state.inner;
    if (inner.phase === 'server-pair-started') {
      const r = await serverPairingRound2(ctx.mpc.arithmetic(), inner, message, await ctx.mpc.pairingKeys());
      return { state: { ...state, inner: r.state }, messages: [r.message], done: false };
    }
    const pairing = serverCompletePairing(inner, message);
    const { secrets } = ctx.mpc;
    const walletId = ctx.wallet.id;
    return {
      state: null,
      messages: [],
      done: true,
      result: { walletId, pairingId: pairing.pairingId, ...(state.pending ? { pending: true } : {}) },
      async commit(tx: Queryable) {
        const stored = state.pending
          ? await tx.query(
              `UPDATE mpc_wallets SET pending_pairing = $2, updated_at = now()
               WHERE id = $1 AND pending_session_id = $3 AND generation = $4`,
              [
                walletId,
                secrets.sealJson(bindings.pendingPairing(walletId, state.generation), pairing),
                state.refreshSessionId,
                state.generation - 1,
              ],
            )
          : await tx.query(
              `UPDATE mpc_wallets SET pairing = $2, status = 'active', updated_at = now()
               WHERE id = $1 AND status = 'pairing' AND generation = $3`,
              [walletId, secrets.sealJson(bindings.pairing(walletId, state.generation), pairing), state.generation],
            );
        if (stored.rowCount !== 1) throw conflict('the wallet key changed during pairing');
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Presigning

export interface PresignInput {
  deviceNonce: string;
  pending: boolean;
  pairingId?: string | undefined;
}

export const presignDriver: ServerProtocolDriver<PresignInput, ServerSignCommitted> = {
  protocol: 'presign',
  async start(ctx, input) {
    const { wallet } = ctx;
    const pairing = openPairing(ctx.mpc.secrets, wallet, input.pending);
    assertPairingId(pairing, input.pairingId);
    if (!input.pending) assertSigningEnabled(wallet);
    const started = serverSignRound1(pairing, { deviceNonce: input.deviceNonce });
    return {
      sessionId: started.state.sessionId,
      state: keyState(wallet, input.pending, started.state),
      messages: [started.message],
      response: { sessionId: started.state.sessionId },
    };
  },
  async step(ctx, state, incoming) {
    assertSameKey(ctx, state);
    if (!state.pending) assertSigningEnabled(ctx.wallet);
    const pairing = openPairing(ctx.mpc.secrets, ctx.wallet, state.pending);
    const outcome = serverSignRound3(pairing, state.inner, onlyMessage(incoming));
    if (!outcome.ok) return { state: null, messages: [], done: true, disableKey: outcome.error };
    const { presignature } = outcome;
    const { secrets } = ctx.mpc;
    const walletId = ctx.wallet.id;
    const { deviceId } = ctx;
    return {
      state: null,
      messages: [outcome.message],
      done: true,
      result: { presignatureId: presignature.presignatureId },
      async commit(tx: Queryable) {
        await insertPresignature(tx, {
          id: presignature.presignatureId,
          walletId,
          deviceId,
          generation: state.generation,
          state: secrets.sealJson(bindings.presignature(presignature.presignatureId, state.generation), presignature),
        });
      },
    };
  },
};

/** Every session protocol's driver, for the session step route. */
export const DRIVERS: Readonly<Record<SessionProtocol, ServerProtocolDriver<never, unknown>>> = {
  dkg: dkgDriver as ServerProtocolDriver<never, unknown>,
  refresh: refreshDriver as ServerProtocolDriver<never, unknown>,
  pair: pairDriver as ServerProtocolDriver<never, unknown>,
  presign: presignDriver as ServerProtocolDriver<never, unknown>,
};
