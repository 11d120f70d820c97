/**
 * Online signing, one request (Lindell17 Protocol 3.3's last message over a presignature; the
 * lead's round mapping, step 4): the server never signs a digest it did not compute. It recomputes
 * the digest from the SignRequest with `digestOf` (@custos/chains: the EIP-155/EIP-2718
 * transaction hash, EIP-191, EIP-712), refuses a bare digest unless the wallet allows blind
 * signing, compares the device's digest and pairing before any proof is checked (a client bug or
 * an old device share answers 400/409 and never disables the key), derives the BIP-32 tweak itself, consumes the presignature atomically,
 * and only then runs `serverSign` (device proof, decryption, final verification). A disable outcome
 * is persisted in its own transaction before the error is answered. The first verified signature
 * of a refreshed (pending) key promotes it: the new server share and pairing replace the old ones,
 * the generation moves on and the wallet passes to the device that ran the refresh.
 */

import { digestOf, type SignRequest } from '@custos/chains';
import { BaseError, hexToBytes } from '@custos/core';
import { derivePublic, evmAddress, MpcError, type ServerPresignature, serverSign } from '@custos/mpc';
import type { Services } from '../services.js';
import { cosign, markDecisionFailed, recordRefusal } from './cosigner.js';
import { assertPairingId, assertSigningEnabled, openKeyShare, openPairing } from './drivers.js';
import { requireMpc } from './sessions.js';
import {
  bindings,
  consumePresignature,
  discardPendingKey,
  persistSigningDisabled,
  type WalletRow,
  walletForDevice,
} from './store.js';

export interface SignInput {
  /** What is signed (@custos/chains SignRequest); validated by `digestOf`. */
  readonly request: unknown;
  /** The digest the device computed (0x-hex); must equal the server's. */
  readonly digest?: string | undefined;
  readonly path?: readonly number[] | undefined;
  readonly presignatureId: string;
  /** The pairing the device signs with; must be the wallet's current (or pending) one. */
  readonly pairingId: string;
  /** The device's round-4 envelope. */
  readonly message: unknown;
  readonly pending: boolean;
  /** The co-signer's confirmation token for a `warn` verdict, once the device's user confirmed it. */
  readonly confirmation?: string | undefined;
}

export interface SignOutput {
  signature: { r: `0x${string}`; s: `0x${string}`; yParity: 0 | 1 };
  digest: `0x${string}`;
  /** The address of the (derived) key that signed. */
  address: `0x${string}`;
  /** Set when this signature promoted a refreshed key. */
  generation?: number;
}

function sameDigest(a: string, b: string): boolean {
  const norm = (x: string) => (x.startsWith('0x') ? x.slice(2) : x).toLowerCase();
  return norm(a) === norm(b);
}

function samePath(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The digest the server will sign for: recomputed, policy-checked, compared with the device's.
 * A bare digest on a pending (refreshed) key is allowed: the device that ran the refresh holds two
 * of the three new shares, so a policy over it would protect nothing — and its test signature is
 * a digest.
 */
async function serverDigest(
  services: Services,
  wallet: WalletRow,
  input: SignInput,
  deviceId: string,
): Promise<`0x${string}`> {
  const request = input.request as SignRequest;
  const digest = digestOf(request);
  if (request.kind === 'digest' && !wallet.blindSigning && !input.pending) {
    await recordRefusal(services.db, {
      walletId: wallet.id,
      deviceId,
      kind: 'digest',
      digest,
      reason: 'blind signing is off for this wallet',
    });
    throw new BaseError('MPC_BLIND_SIGNING_REFUSED', 'this wallet does not sign bare digests', {
      details: { check: 'policy.blind-signing', walletId: wallet.id },
      hints: ['Send the transaction, message or typed data instead, or allow blind signing for this wallet.'],
    });
  }
  if (input.digest !== undefined && !sameDigest(input.digest, digest)) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'sign.digest', "the device's digest differs from the request's", {
      field: 'digest',
    });
  }
  return digest;
}

function signingPath(input: SignInput): readonly number[] {
  const fromRequest = (input.request as { path?: readonly number[] }).path;
  if (input.path !== undefined && fromRequest !== undefined && !samePath(input.path, fromRequest)) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'sign.path', 'the body and the request name different paths', {
      field: 'path',
    });
  }
  return input.path ?? fromRequest ?? [];
}

export async function signWithPresignature(
  services: Services,
  deviceId: string,
  walletId: string,
  input: SignInput,
): Promise<SignOutput> {
  const mpc = requireMpc(services);
  const { db } = services;
  const wallet = await walletForDevice(db, walletId, deviceId, input.pending);
  const pairing = openPairing(mpc.secrets, wallet, input.pending);
  assertPairingId(pairing, input.pairingId);
  if (!input.pending) assertSigningEnabled(wallet);
  const digest = await serverDigest(services, wallet, input, deviceId);
  const publicKey = wallet.publicKey;
  const chainCode = wallet.chainCode;
  if (publicKey === null || chainCode === null) throw new BaseError('CONFLICT', 'this wallet has no key yet');
  const child = derivePublic({ publicKey, chainCode }, signingPath(input));
  // The co-signer: scan and apply the wallet's policy before a presignature is spent. The test
  // signature of a refresh (pending) is exempt — see serverDigest.
  const cosigned = input.pending
    ? undefined
    : await cosign(services, {
        walletId,
        deviceId,
        request: input.request as SignRequest,
        digest,
        signer: evmAddress(child.key.publicKey),
        confirmation: input.confirmation,
      });
  let output: SignOutput;
  try {
    output = await finishSigning(services, wallet, input, { walletId, deviceId, digest, child, pairing });
  } catch (error) {
    if (cosigned !== undefined) {
      await markDecisionFailed(db, cosigned.decisionId, error instanceof BaseError ? error.code : 'signing failed');
    }
    throw error;
  }
  // A signed permit is a grant no transaction shows yet: the approvals list keeps it until it is used.
  const request = input.request as SignRequest;
  if (cosigned?.verdict != null && cosigned.chainId !== null && request.kind === 'typed-data') {
    await services.approvals?.recordSigned(cosigned.verdict, {
      chainId: cosigned.chainId,
      via: 'cosigner',
      typedData: request.typedData,
    });
  }
  return output;
}

async function finishSigning(
  services: Services,
  wallet: WalletRow,
  input: SignInput,
  step: {
    walletId: string;
    deviceId: string;
    digest: `0x${string}`;
    child: ReturnType<typeof derivePublic>;
    pairing: ReturnType<typeof openPairing>;
  },
): Promise<SignOutput> {
  const mpc = requireMpc(services);
  const { db } = services;
  const { walletId, deviceId, digest, child, pairing } = step;

  const consumed = await consumePresignature(db, {
    id: input.presignatureId,
    walletId,
    deviceId,
    requireEnabled: !input.pending,
  });
  const presignature = mpc.secrets.openJson(
    bindings.presignature(input.presignatureId, consumed.generation),
    consumed.state,
  ) as ServerPresignature;
  const outcome = serverSign(mpc.arithmetic(), pairing, presignature, hexToBytes(digest, 'digest', 32), input.message, {
    tweak: child.tweak,
  });
  if (!outcome.ok) {
    const reason = `sign: ${outcome.error.code} (${outcome.error.check})`;
    if (input.pending && wallet.pendingSessionId !== null)
      await discardPendingKey(db, walletId, wallet.pendingSessionId);
    else await persistSigningDisabled(db, walletId, reason);
    throw outcome.error;
  }
  const { r, s, recovery } = outcome.signature;
  const output: SignOutput = {
    signature: { r, s, yParity: (recovery & 1) as 0 | 1 },
    digest,
    address: evmAddress(child.key.publicKey),
  };
  if (input.pending) {
    const generation = await promotePendingKey(services, wallet);
    if (generation !== undefined) output.generation = generation;
  }
  return output;
}

/**
 * Replaces the active server share and pairing with the verified pending ones, in one
 * transaction conditional on the wallet still being at the generation and refresh it read. Unused
 * presignatures of the old pairing are deleted (they could not be used any more anyway: they name
 * the old pairing). Returns the new generation, or undefined if another request promoted first.
 */
async function promotePendingKey(services: Services, wallet: WalletRow): Promise<number | undefined> {
  const mpc = requireMpc(services);
  const next = wallet.generation + 1;
  const share = openKeyShare(mpc.secrets, wallet, true);
  const pairing = openPairing(mpc.secrets, wallet, true);
  return services.db.transaction(async (tx) => {
    const promoted = await tx.query(
      `UPDATE mpc_wallets SET server_share = $2, pairing = $3, generation = $4, device_id = pending_device_id,
         status = 'active', signing_disabled_at = NULL, disabled_reason = NULL, pending_device_id = NULL,
         pending_session_id = NULL, pending_share = NULL, pending_pairing = NULL, updated_at = now()
       WHERE id = $1 AND generation = $5 AND pending_session_id = $6`,
      [
        wallet.id,
        mpc.secrets.sealJson(bindings.share(wallet.id, next), share),
        mpc.secrets.sealJson(bindings.pairing(wallet.id, next), pairing),
        next,
        wallet.generation,
        wallet.pendingSessionId,
      ],
    );
    if (promoted.rowCount !== 1) return undefined;
    await tx.query('DELETE FROM mpc_presignatures WHERE wallet_id = $1 AND used_at IS NULL AND generation < $2', [
      wallet.id,
      next,
    ]);
    return next;
  });
}
