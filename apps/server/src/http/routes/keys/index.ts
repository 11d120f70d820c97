/**
 * Exchange API-key management. An account's session manages its own keys; the operator manages
 * any account's (naming it by id or name) and registers third-party apps (brokers, whose server
 * CIDRs a bound key is confined to). The secret and the passphrase are in the creation (and
 * rotation) answer only: never listed, never logged.
 */
import { BaseError } from '@custos/core';
import type { ApiKeyView, Broker } from '@custos/exchange';
import { z } from 'zod';
import type { Principal } from '../../../access/principals.js';
import { exchangeOf } from '../../../exchange/runtime.js';
import { findAccountById, findAccountByName } from '../../../identity/accounts.js';
import type { Services } from '../../../services.js';
import { defineRoute, type RouteModule } from '../../route.js';

/** The account a request acts for: its own session's, or the one the operator names. */
async function accountFor(services: Services, principal: Principal | undefined, named: string | undefined) {
  if (principal?.kind === 'account') {
    if (named !== undefined && named !== principal.accountId.toString() && named !== principal.name) {
      throw new BaseError('FORBIDDEN', "a session manages only its own account's keys");
    }
    return principal.accountId;
  }
  if (principal?.kind !== 'operator') throw new BaseError('INTERNAL', 'access hook let another principal through');
  if (named === undefined) {
    throw new BaseError('INVALID_INPUT', '"account" is required for the operator (an account id or name)', {
      details: { field: 'account' },
    });
  }
  const account = /^[1-9][0-9]{0,18}$/.test(named)
    ? await findAccountById(services.db, BigInt(named))
    : await findAccountByName(services.db, named);
  if (account === undefined) throw new BaseError('NOT_FOUND', `no account ${named}`);
  return account.id;
}

export function keyJson(key: ApiKeyView) {
  return {
    apiKey: key.apiKey,
    accountId: key.accountId.toString(),
    label: key.label,
    permissions: key.permissions,
    ipAllowlist: key.ipAllowlist,
    brokerId: key.brokerId,
    status: key.status,
    frozenReason: key.frozenReason,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

function brokerJson(broker: Broker) {
  return broker;
}

/** The one answer that carries a key's secret (and passphrase): creation and rotation. */
function secretAnswer(made: { apiKey: string; secretKey: string; passphrase: string | null; key: ApiKeyView }) {
  return { apiKey: made.apiKey, secretKey: made.secretKey, passphrase: made.passphrase, key: keyJson(made.key) };
}

const permission = z.enum(['read', 'trade', 'withdraw']);
const apiKeyParams = z.object({ apiKey: z.string().min(1).max(64) });

const createKey = defineRoute({
  method: 'POST',
  url: '/v1/keys',
  summary: 'Create an API key; the secret and passphrase are shown once (account session, or operator)',
  access: { principals: ['account', 'operator'] },
  body: z
    .object({
      account: z.string().min(1).max(64).optional(),
      label: z.string(),
      permissions: z.array(permission).min(1).max(3),
      ipAllowlist: z.array(z.string().max(64)).max(20).optional(),
      brokerId: z.string().min(1).max(64).optional(),
      passphrase: z.string().optional(),
      expiresAt: z.iso.datetime().optional(),
    })
    .strict(),
  async handler({ body, principal, services, reply }) {
    const accountId = await accountFor(services, principal, body.account);
    const created = await exchangeOf(services).keys.create(accountId, {
      label: body.label,
      permissions: body.permissions,
      ...(body.ipAllowlist === undefined ? {} : { ipAllowlist: body.ipAllowlist }),
      ...(body.brokerId === undefined ? {} : { brokerId: body.brokerId }),
      ...(body.passphrase === undefined ? {} : { passphrase: body.passphrase }),
      ...(body.expiresAt === undefined ? {} : { expiresAt: new Date(body.expiresAt) }),
    });
    reply.status(201);
    return secretAnswer(created);
  },
});

const listKeys = defineRoute({
  method: 'GET',
  url: '/v1/keys',
  summary: "An account's API keys, without secrets (account session, or operator with ?account=)",
  access: { principals: ['account', 'operator'] },
  query: z.object({ account: z.string().min(1).max(64).optional() }).strict(),
  async handler({ query, principal, services }) {
    const accountId = await accountFor(services, principal, query.account);
    const keys = await exchangeOf(services).keys.list(accountId);
    return { keys: keys.map(keyJson) };
  },
});

/** The key, checked to belong to the acting account (the operator acts for any). */
async function ownedKey(services: Services, principal: Principal | undefined, apiKey: string) {
  const owner = principal?.kind === 'account' ? principal.accountId : null;
  const key = await exchangeOf(services).keys.get(owner, apiKey);
  if (key === null) throw new BaseError('EXCHANGE_KEY_NOT_FOUND', 'no such API key for this account');
  return key;
}

const rotateKey = defineRoute({
  method: 'POST',
  url: '/v1/keys/:apiKey/rotate',
  summary: 'Replace a key’s secret (the old one stops working at once); shown once',
  access: { principals: ['account', 'operator'] },
  params: apiKeyParams,
  body: z
    .object({ passphrase: z.union([z.literal('keep'), z.literal('generate'), z.string().min(8).max(32)]).optional() })
    .strict()
    .optional(),
  async handler({ params, body, principal, services }) {
    const key = await ownedKey(services, principal, params.apiKey);
    const rotated = await exchangeOf(services).keys.rotate(key.accountId, params.apiKey, {
      passphrase: body?.passphrase ?? 'keep',
    });
    return secretAnswer(rotated);
  },
});

const revokeKey = defineRoute({
  method: 'DELETE',
  url: '/v1/keys/:apiKey',
  summary: 'Revoke a key (account session, or operator)',
  access: { principals: ['account', 'operator'] },
  params: apiKeyParams,
  async handler({ params, principal, services }) {
    await ownedKey(services, principal, params.apiKey);
    const owner = principal?.kind === 'account' ? principal.accountId : null;
    return { key: keyJson(await exchangeOf(services).keys.revoke(owner, params.apiKey)) };
  },
});

const freezeKey = defineRoute({
  method: 'POST',
  url: '/v1/keys/:apiKey/freeze',
  summary: 'Freeze a key (operator)',
  access: { principals: ['operator'] },
  params: apiKeyParams,
  body: z.object({ reason: z.string().min(1).max(200) }).strict(),
  async handler({ params, body, services }) {
    return { key: keyJson(await exchangeOf(services).keys.freeze(params.apiKey, body.reason)) };
  },
});

const unfreezeKey = defineRoute({
  method: 'POST',
  url: '/v1/keys/:apiKey/unfreeze',
  summary: 'Unfreeze a key (operator)',
  access: { principals: ['operator'] },
  params: apiKeyParams,
  async handler({ params, services }) {
    return { key: keyJson(await exchangeOf(services).keys.unfreeze(params.apiKey)) };
  },
});

const putBroker = defineRoute({
  method: 'PUT',
  url: '/v1/brokers/:brokerId',
  summary: 'Register or update a third-party app and the CIDRs its servers call from (operator)',
  access: { principals: ['operator'] },
  params: z.object({ brokerId: z.string().min(1).max(64) }),
  body: z.object({ name: z.string().min(1).max(100), cidrs: z.array(z.string().max(64)).min(1).max(100) }).strict(),
  async handler({ params, body, services }) {
    const broker = await exchangeOf(services).keys.registerBroker({
      id: params.brokerId,
      name: body.name,
      cidrs: body.cidrs,
    });
    return { broker: brokerJson(broker) };
  },
});

const listBrokers = defineRoute({
  method: 'GET',
  url: '/v1/brokers',
  summary: 'Registered third-party apps (operator)',
  access: { principals: ['operator'] },
  async handler({ services }) {
    return { brokers: (await exchangeOf(services).keys.listBrokers()).map(brokerJson) };
  },
});

export const keysRoutes: RouteModule = {
  name: 'keys',
  routes: [createKey, listKeys, rotateKey, revokeKey, freezeKey, unfreezeKey, putBroker, listBrokers],
};
