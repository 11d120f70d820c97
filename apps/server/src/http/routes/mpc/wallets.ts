/**
 * The MPC wallet's device routes: create (starts the DKG), list and read, policy, and the starts
 * of pairing, presigning and refresh, plus online signing. Each protocol continues through
 * `POST /v1/mpc/sessions/:sessionId`. A wallet belongs to the device that created it (or, after a
 * refresh is promoted, the device that ran it); any other device gets MPC_WALLET_NOT_FOUND. Only
 * refresh may be started by any enrolled device: it needs share 3 (the backup) to get anywhere.
 */
import { randomBytes } from 'node:crypto';
import { BaseError } from '@custos/core';
import { evmAddress } from '@custos/mpc';
import { z } from 'zod';
import type { DevicePrincipal, Principal } from '../../../access/principals.js';
import { listSignDecisions, loadPolicy, savePolicy } from '../../../mpc/cosigner.js';
import { dkgDriver, pairDriver, presignDriver, refreshDriver } from '../../../mpc/drivers.js';
import { type DriverContext, openSession, requireMpc } from '../../../mpc/sessions.js';
import { signWithPresignature } from '../../../mpc/signing.js';
import {
  findWallet,
  insertWallet,
  listWallets,
  setBlindSigning,
  type WalletRow,
  walletForDevice,
  walletNotFound,
} from '../../../mpc/store.js';
import type { Services } from '../../../services.js';
import { defineRoute, type Route } from '../../route.js';

// Wire hex of the MPC package: lowercase, no 0x.
const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes of lowercase hex');
const walletParams = z.object({ walletId: z.string().regex(/^[0-9a-f]{32}$/, 'expected a wallet id') });
const DEVICE_ONLY = { principals: ['device'] } as const;

export function devicePrincipal(principal: Principal | undefined): DevicePrincipal {
  if (principal?.kind !== 'device') throw new BaseError('INTERNAL', 'access hook let a non-device through');
  return principal;
}

export function walletJson(wallet: WalletRow) {
  return {
    walletId: wallet.id,
    publicKey: wallet.publicKey,
    address: wallet.publicKey === null ? null : evmAddress(wallet.publicKey),
    chainCode: wallet.chainCode,
    status: wallet.status,
    signingDisabled: wallet.signingDisabledAt !== null,
    disabledReason: wallet.disabledReason,
    blindSigning: wallet.blindSigning,
    generation: wallet.generation,
    refreshPending: wallet.pendingShare !== null,
    createdAt: wallet.createdAt.toISOString(),
  };
}

const createWallet = defineRoute({
  method: 'POST',
  url: '/v1/mpc/wallets',
  summary: 'Create a wallet: starts the 2-of-3 DKG (server = party 1)',
  access: DEVICE_ONLY,
  body: z.object({ nonce: hex32 }).strict(),
  async handler({ body, principal, services, reply }) {
    const { deviceId } = devicePrincipal(principal);
    const mpc = requireMpc(services);
    const walletId = randomBytes(16).toString('hex');
    const started = await services.db.transaction(async (tx) => {
      await insertWallet(tx, walletId, deviceId);
      const wallet = await findWallet(tx, walletId);
      if (wallet === undefined) throw new BaseError('INTERNAL', 'the new wallet was not found');
      return openSession(services, dkgDriver, { db: services.db, mpc, deviceId, wallet }, { nonce: body.nonce }, tx);
    });
    reply.status(201);
    return { ...started.response, messages: started.messages };
  },
});

const listWalletsRoute = defineRoute({
  method: 'GET',
  url: '/v1/mpc/wallets',
  summary: "This device's wallets",
  access: DEVICE_ONLY,
  async handler({ principal, services }) {
    const { deviceId } = devicePrincipal(principal);
    requireMpc(services);
    return { wallets: (await listWallets(services.db, deviceId)).map(walletJson) };
  },
});

const getWallet = defineRoute({
  method: 'GET',
  url: '/v1/mpc/wallets/:walletId',
  summary: 'One of this device’s wallets',
  access: DEVICE_ONLY,
  params: walletParams,
  async handler({ params, principal, services }) {
    const { deviceId } = devicePrincipal(principal);
    requireMpc(services);
    return walletJson(await walletForDevice(services.db, params.walletId, deviceId));
  },
});

const addressText = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected an address')
  .transform((a) => a.toLowerCase() as `0x${string}`);
const policyBody = z
  .object({
    blindSigning: z.boolean().optional(),
    dailyLimits: z
      .array(
        z
          .object({
            chainId: z.number().int().positive().max(0xffffffff),
            asset: z.union([z.literal('native'), addressText]),
            amount: z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'expected smallest units as a decimal integer'),
          })
          .strict(),
      )
      .max(256)
      .optional(),
    allowlist: z.array(addressText).max(10_000).nullable().optional(),
  })
  .strict();

async function policyJson(services: Services, wallet: WalletRow) {
  const policy = await loadPolicy(services.db, wallet.id);
  return { ...walletJson(wallet), policy: { blindSigning: wallet.blindSigning, ...policy } };
}

const getPolicy = defineRoute({
  method: 'GET',
  url: '/v1/mpc/wallets/:walletId/policy',
  summary: "The co-signer's policy for this wallet: blind signing, daily limits, destination allow-list",
  access: DEVICE_ONLY,
  params: walletParams,
  async handler({ params, principal, services }) {
    const { deviceId } = devicePrincipal(principal);
    requireMpc(services);
    return policyJson(services, await walletForDevice(services.db, params.walletId, deviceId));
  },
});

const setPolicy = defineRoute({
  method: 'POST',
  url: '/v1/mpc/wallets/:walletId/policy',
  summary: "Set the co-signer's policy: blind signing, per-asset daily limits, destination allow-list (null = none)",
  access: DEVICE_ONLY,
  params: walletParams,
  body: policyBody,
  async handler({ params, body, principal, services }) {
    const { deviceId } = devicePrincipal(principal);
    requireMpc(services);
    await walletForDevice(services.db, params.walletId, deviceId);
    if (body.blindSigning !== undefined) await setBlindSigning(services.db, params.walletId, body.blindSigning);
    const changes: Parameters<typeof savePolicy>[2] = {};
    if (body.dailyLimits !== undefined) changes.dailyLimits = body.dailyLimits;
    if (body.allowlist !== undefined) changes.allowlist = body.allowlist;
    if (Object.keys(changes).length > 0) await savePolicy(services.db, params.walletId, changes);
    return policyJson(services, await walletForDevice(services.db, params.walletId, deviceId));
  },
});

const listDecisions = defineRoute({
  method: 'GET',
  url: '/v1/mpc/wallets/:walletId/decisions',
  summary: "The co-signer's recorded decisions for this wallet, newest first (verdicts included)",
  access: DEVICE_ONLY,
  params: walletParams,
  query: z.object({ limit: z.coerce.number().int().min(1).max(500).optional() }).strict(),
  async handler({ params, query, principal, services }) {
    const { deviceId } = devicePrincipal(principal);
    requireMpc(services);
    await walletForDevice(services.db, params.walletId, deviceId);
    return { decisions: await listSignDecisions(services.db, params.walletId, query.limit ?? 50) };
  },
});

/** The driver context for a protocol on one of this device's own wallets. */
async function ownWalletContext(
  services: Services,
  principal: Principal | undefined,
  walletId: string,
  pending: boolean,
): Promise<Omit<DriverContext, 'sessionId'>> {
  const { deviceId } = devicePrincipal(principal);
  const mpc = requireMpc(services);
  const wallet = await walletForDevice(services.db, walletId, deviceId, pending);
  return { db: services.db, mpc, deviceId, wallet };
}

const startBody = z.object({ deviceNonce: hex32, pending: z.boolean().optional() }).strict();
/** The pairing the device holds (its DevicePairing.pairingId). */
const pairingId = hex32;

const pair = defineRoute({
  method: 'POST',
  url: '/v1/mpc/wallets/:walletId/pair',
  summary: 'Start Lindell17 pairing of the key (or, with pending, of the refreshed key)',
  access: DEVICE_ONLY,
  params: walletParams,
  body: startBody,
  async handler({ params, body, principal, services }) {
    const pending = body.pending === true;
    const ctx = await ownWalletContext(services, principal, params.walletId, pending);
    const started = await openSession(services, pairDriver, ctx, { deviceNonce: body.deviceNonce, pending });
    return { ...started.response };
  },
});

const presign = defineRoute({
  method: 'POST',
  url: '/v1/mpc/wallets/:walletId/presignatures',
  summary: 'Start presigning (rounds 1–3 of Lindell17 signing)',
  access: DEVICE_ONLY,
  params: walletParams,
  body: startBody.extend({ pairingId: pairingId.optional() }).strict(),
  async handler({ params, body, principal, services }) {
    const pending = body.pending === true;
    const ctx = await ownWalletContext(services, principal, params.walletId, pending);
    const started = await openSession(services, presignDriver, ctx, {
      deviceNonce: body.deviceNonce,
      pending,
      pairingId: body.pairingId,
    });
    return { ...started.response, messages: started.messages };
  },
});

const sign = defineRoute({
  method: 'POST',
  url: '/v1/mpc/wallets/:walletId/sign',
  summary: 'Sign a request (the server recomputes its digest) with a presignature',
  access: DEVICE_ONLY,
  params: walletParams,
  body: z
    .object({
      request: z.unknown().refine((v) => typeof v === 'object' && v !== null, 'expected a sign request object'),
      digest: z.string().max(100).optional(),
      path: z.array(z.number().int().min(0).max(0x7fffffff)).max(255).optional(),
      presignatureId: hex32,
      pairingId,
      message: z.unknown().refine((v) => v !== undefined, 'expected the round-4 message'),
      pending: z.boolean().optional(),
      confirmation: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    })
    .strict(),
  async handler({ params, body, principal, services }) {
    const { deviceId } = devicePrincipal(principal);
    return signWithPresignature(services, deviceId, params.walletId, {
      request: body.request,
      digest: body.digest,
      path: body.path,
      presignatureId: body.presignatureId,
      pairingId: body.pairingId,
      message: body.message,
      pending: body.pending === true,
      confirmation: body.confirmation,
    });
  },
});

const refresh = defineRoute({
  method: 'POST',
  url: '/v1/mpc/wallets/:walletId/refresh',
  summary: 'Start a refresh with the cloud backup (any enrolled device; it must hold share 3)',
  access: DEVICE_ONLY,
  params: walletParams,
  body: z.object({ nonce: hex32 }).strict(),
  async handler({ params, body, principal, services }) {
    const { deviceId } = devicePrincipal(principal);
    const mpc = requireMpc(services);
    const wallet = await findWallet(services.db, params.walletId);
    if (wallet === undefined) throw walletNotFound(params.walletId);
    const started = await openSession(
      services,
      refreshDriver,
      { db: services.db, mpc, deviceId, wallet },
      { nonce: body.nonce },
    );
    return { ...started.response, messages: started.messages };
  },
});

export const walletRoutes: readonly Route[] = [
  createWallet,
  listWalletsRoute,
  getWallet,
  getPolicy,
  setPolicy,
  listDecisions,
  pair,
  presign,
  sign,
  refresh,
];
