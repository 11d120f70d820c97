/**
 * The MPC wallet's rows (packages/db/migrations/0002_mpc.sql): wallets with their sealed server
 * share and pairing (and, during a refresh, the pending ones), protocol sessions with their sealed
 * state, and single-use presignatures. Everything secret stays sealed here; `secrets.ts` opens it
 * with a binding to its table, row and generation. Writes that must not race are conditional
 * UPDATEs: a session step commits only if its round is unchanged, a presignature is consumed only
 * if unused, a refresh is promoted only if the wallet is still at the generation it started from.
 */
import { BaseError, bytesToHex } from '@custos/core';
import type { Database, Queryable } from '@custos/db';
import type { SecretBinding } from './secrets.js';

export const WALLET_STATUSES = ['dkg', 'pairing', 'active'] as const;
export type WalletStatus = (typeof WALLET_STATUSES)[number];

export const SESSION_PROTOCOLS = ['dkg', 'refresh', 'pair', 'presign'] as const;
export type SessionProtocol = (typeof SESSION_PROTOCOLS)[number];

export interface WalletRow {
  readonly id: string;
  readonly deviceId: string;
  /** Compressed point, lowercase hex without 0x; null until the DKG finished. */
  readonly publicKey: string | null;
  readonly chainCode: string | null;
  readonly status: WalletStatus;
  readonly generation: number;
  readonly signingDisabledAt: Date | null;
  readonly disabledReason: string | null;
  readonly blindSigning: boolean;
  readonly serverShare: Uint8Array | null;
  readonly pairing: Uint8Array | null;
  readonly pendingDeviceId: string | null;
  readonly pendingSessionId: string | null;
  readonly pendingShare: Uint8Array | null;
  readonly pendingPairing: Uint8Array | null;
  readonly createdAt: Date;
}

interface WalletSqlRow {
  id: string;
  device_id: string;
  public_key: Uint8Array | null;
  chain_code: Uint8Array | null;
  status: WalletStatus;
  generation: number;
  signing_disabled_at: Date | null;
  disabled_reason: string | null;
  blind_signing: boolean;
  server_share: Uint8Array | null;
  pairing: Uint8Array | null;
  pending_device_id: string | null;
  pending_session_id: string | null;
  pending_share: Uint8Array | null;
  pending_pairing: Uint8Array | null;
  created_at: Date;
}

const hexOrNull = (bytes: Uint8Array | null) => (bytes === null ? null : bytesToHex(bytes).slice(2));

function walletFromRow(r: WalletSqlRow): WalletRow {
  return {
    id: r.id,
    deviceId: r.device_id,
    publicKey: hexOrNull(r.public_key),
    chainCode: hexOrNull(r.chain_code),
    status: r.status,
    generation: Number(r.generation),
    signingDisabledAt: r.signing_disabled_at,
    disabledReason: r.disabled_reason,
    blindSigning: r.blind_signing,
    serverShare: r.server_share,
    pairing: r.pairing,
    pendingDeviceId: r.pending_device_id,
    pendingSessionId: r.pending_session_id,
    pendingShare: r.pending_share,
    pendingPairing: r.pending_pairing,
    createdAt: r.created_at,
  };
}

// ---------------------------------------------------------------------------------------------
// Bindings of the sealed columns (what each ciphertext is authenticated to)

export const bindings = {
  share: (walletId: string, generation: number): SecretBinding => ({
    field: 'mpc_wallets.server_share',
    rowId: walletId,
    generation,
  }),
  pairing: (walletId: string, generation: number): SecretBinding => ({
    field: 'mpc_wallets.pairing',
    rowId: walletId,
    generation,
  }),
  /** Pending material is bound to the generation it will have once promoted. */
  pendingShare: (walletId: string, generation: number): SecretBinding => ({
    field: 'mpc_wallets.pending_share',
    rowId: walletId,
    generation,
  }),
  pendingPairing: (walletId: string, generation: number): SecretBinding => ({
    field: 'mpc_wallets.pending_pairing',
    rowId: walletId,
    generation,
  }),
  /** A session state is bound to its round, so an older round's state cannot be put back. */
  session: (sessionId: string, round: number): SecretBinding => ({
    field: 'mpc_sessions.state',
    rowId: sessionId,
    generation: round,
  }),
  presignature: (id: string, generation: number): SecretBinding => ({
    field: 'mpc_presignatures.state',
    rowId: id,
    generation,
  }),
} as const;

// ---------------------------------------------------------------------------------------------
// Wallets

export async function insertWallet(db: Queryable, id: string, deviceId: string): Promise<void> {
  await db.query("INSERT INTO mpc_wallets (id, device_id, status) VALUES ($1, $2, 'dkg')", [id, deviceId]);
}

export async function findWallet(db: Queryable, id: string): Promise<WalletRow | undefined> {
  const { rows } = await db.query<WalletSqlRow>('SELECT * FROM mpc_wallets WHERE id = $1', [id]);
  const row = rows[0];
  return row === undefined ? undefined : walletFromRow(row);
}

export async function listWallets(db: Queryable, deviceId: string): Promise<WalletRow[]> {
  const { rows } = await db.query<WalletSqlRow>(
    'SELECT * FROM mpc_wallets WHERE device_id = $1 ORDER BY created_at, id',
    [deviceId],
  );
  return rows.map(walletFromRow);
}

export function walletNotFound(walletId: string): BaseError {
  return new BaseError('MPC_WALLET_NOT_FOUND', `no wallet ${walletId} for this device`, { details: { walletId } });
}

/**
 * The wallet as this device may use it: the owner for the active key, the device that ran the
 * refresh for the pending one. Anyone else gets the same answer as for a wallet that does not
 * exist, so wallet ids of other devices cannot be probed.
 */
export async function walletForDevice(
  db: Queryable,
  walletId: string,
  deviceId: string,
  pending = false,
): Promise<WalletRow> {
  const wallet = await findWallet(db, walletId);
  const owner = pending ? wallet?.pendingDeviceId : wallet?.deviceId;
  if (wallet === undefined || owner !== deviceId) throw walletNotFound(walletId);
  return wallet;
}

export async function setBlindSigning(db: Queryable, walletId: string, allowed: boolean): Promise<void> {
  await db.query('UPDATE mpc_wallets SET blind_signing = $2, updated_at = now() WHERE id = $1', [walletId, allowed]);
}

/**
 * Persists "signing disabled" for the active key in its own committed transaction, before the
 * failing request is answered, so it survives a crash or restart a moment later. The first
 * reason is kept.
 */
export async function persistSigningDisabled(db: Database, walletId: string, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `UPDATE mpc_wallets SET signing_disabled_at = now(), disabled_reason = $2, updated_at = now()
       WHERE id = $1 AND signing_disabled_at IS NULL`,
      [walletId, reason],
    );
  });
}

/**
 * Drops a pending (refreshed) key after its device failed a check: it can never be promoted. The
 * device that ran the refresh holds both other new shares, so nothing about the active key is at
 * stake; recovery is another refresh. Committed on its own like `persistSigningDisabled`.
 */
export async function discardPendingKey(db: Database, walletId: string, refreshSessionId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `UPDATE mpc_wallets SET pending_device_id = NULL, pending_session_id = NULL, pending_share = NULL,
         pending_pairing = NULL, updated_at = now()
       WHERE id = $1 AND pending_session_id = $2`,
      [walletId, refreshSessionId],
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Sessions

export interface SessionRow {
  readonly id: string;
  readonly walletId: string;
  readonly deviceId: string;
  readonly protocol: SessionProtocol;
  readonly round: number;
  readonly state: Uint8Array | null;
  readonly done: boolean;
  readonly expired: boolean;
}

export async function insertSession(
  db: Queryable,
  session: {
    id: string;
    walletId: string;
    deviceId: string;
    protocol: SessionProtocol;
    state: Uint8Array;
    ttlMs: number;
  },
): Promise<void> {
  // Old finished or expired sessions go as new ones come (their states are sealed, but useless).
  await db.query("DELETE FROM mpc_sessions WHERE expires_at < now() - interval '1 day'");
  await db.query(
    `INSERT INTO mpc_sessions (id, wallet_id, device_id, protocol, round, state, expires_at)
     VALUES ($1, $2, $3, $4, 0, $5, now() + $6::float8 * interval '1 millisecond')`,
    [session.id, session.walletId, session.deviceId, session.protocol, session.state, session.ttlMs],
  );
}

export async function findSession(db: Queryable, id: string): Promise<SessionRow | undefined> {
  const { rows } = await db.query<{
    id: string;
    wallet_id: string;
    device_id: string;
    protocol: SessionProtocol;
    round: number;
    state: Uint8Array | null;
    done: boolean;
    expired: boolean;
  }>('SELECT *, expires_at <= now() AS expired FROM mpc_sessions WHERE id = $1', [id]);
  const r = rows[0];
  if (r === undefined) return undefined;
  return {
    id: r.id,
    walletId: r.wallet_id,
    deviceId: r.device_id,
    protocol: r.protocol,
    round: Number(r.round),
    state: r.state,
    done: r.done,
    expired: r.expired,
  };
}

/**
 * Moves a session from `round` to `round + 1` with its new sealed state (null once done). False
 * when another request advanced it first, it finished or it expired: the caller must not commit
 * anything the step produced.
 */
export async function advanceSession(
  db: Queryable,
  id: string,
  round: number,
  state: Uint8Array | null,
  done: boolean,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE mpc_sessions SET round = round + 1, state = $3, done = $4
     WHERE id = $1 AND round = $2 AND NOT done AND expires_at > now()`,
    [id, round, state, done],
  );
  return result.rowCount === 1;
}

// ---------------------------------------------------------------------------------------------
// Presignatures

export async function insertPresignature(
  db: Queryable,
  p: { id: string; walletId: string; deviceId: string; generation: number; state: Uint8Array },
): Promise<void> {
  await db.query(
    `INSERT INTO mpc_presignatures (id, wallet_id, device_id, generation, state) VALUES ($1, $2, $3, $4, $5)`,
    [p.id, p.walletId, p.deviceId, p.generation, p.state],
  );
}

/**
 * Consumes a presignature: one `UPDATE … WHERE used_at IS NULL RETURNING`, so of two requests
 * racing for it exactly one gets it; the sealed nonce is erased in the same statement (a used
 * presignature keeps only its id and times). With `requireEnabled` the same statement also requires the
 * wallet's signing not to be disabled, so a disable committed by a concurrent request stops every
 * signature that has not consumed its presignature yet. Disabled: MPC_SIGNING_DISABLED; unknown,
 * another device's or another wallet's: NOT_FOUND; already used: MPC_PRESIGNATURE_CONSUMED.
 */
export async function consumePresignature(
  db: Queryable,
  p: { id: string; walletId: string; deviceId: string; requireEnabled: boolean },
): Promise<{ generation: number; state: Uint8Array }> {
  const { rows } = await db.query<{ generation: number; state: Uint8Array }>(
    `WITH old AS (
       SELECT id, state FROM mpc_presignatures
       WHERE id = $1 AND wallet_id = $2 AND device_id = $3 AND used_at IS NULL
         AND NOT ($4 AND EXISTS (SELECT 1 FROM mpc_wallets w WHERE w.id = $2 AND w.signing_disabled_at IS NOT NULL))
       FOR UPDATE
     )
     UPDATE mpc_presignatures p SET used_at = now(), state = NULL
     FROM old WHERE p.id = old.id AND p.used_at IS NULL
     RETURNING p.generation, old.state`,
    [p.id, p.walletId, p.deviceId, p.requireEnabled],
  );
  const row = rows[0];
  if (row !== undefined) return { generation: Number(row.generation), state: row.state };
  if (p.requireEnabled) {
    const disabled = await db.query('SELECT 1 FROM mpc_wallets WHERE id = $1 AND signing_disabled_at IS NOT NULL', [
      p.walletId,
    ]);
    if (disabled.rows.length > 0) {
      throw new BaseError('MPC_SIGNING_DISABLED', 'signing with this wallet is disabled after a failed device proof', {
        details: { check: 'wallet.disabled', walletId: p.walletId },
      });
    }
  }
  const existing = await db.query(
    'SELECT 1 FROM mpc_presignatures WHERE id = $1 AND wallet_id = $2 AND device_id = $3 AND used_at IS NOT NULL',
    [p.id, p.walletId, p.deviceId],
  );
  if (existing.rows.length > 0) {
    throw new BaseError('MPC_PRESIGNATURE_CONSUMED', 'this presignature has already been used', {
      details: { check: 'presignature.used', presignatureId: p.id },
    });
  }
  throw new BaseError('NOT_FOUND', `no presignature ${p.id} for this wallet`, { details: { presignatureId: p.id } });
}
