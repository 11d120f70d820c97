/**
 * Proof-of-reserves routes. `POST /v1/por/rounds` (operator) publishes a round built on the
 * server's disk, with its reserves table, and makes it the latest; `GET /v1/por/rounds/latest`
 * (public) answers the signed root file and the reserves table; `GET /v1/por/proof/:userId`
 * answers a user's inclusion proof from the latest round — to that user's own session only (the
 * snapshot's user id is the account id).
 */
import { BaseError } from '@custos/core';
import { keyFingerprint } from '@custos/por';
import { z } from 'zod';
import type { PorRuntime } from '../../../por/runtime.js';
import type { Services } from '../../../services.js';
import { defineRoute, type RouteModule } from '../../route.js';

function porOf(services: Services): PorRuntime {
  if (services.por === undefined) throw new BaseError('INTERNAL', 'por routes registered without the por runtime');
  return services.por;
}

async function latestOrThrow(services: Services) {
  const round = await porOf(services).latest();
  if (round === undefined) {
    throw new BaseError('POR_ROUND_NOT_FOUND', 'no proof-of-reserves round has been published yet');
  }
  return round;
}

const publishRoute = defineRoute({
  method: 'POST',
  url: '/v1/por/rounds',
  summary:
    'Publish a built round (a directory on the server) with its reserves table; it becomes the latest (operator)',
  access: { principals: ['operator'] },
  body: z
    .object({
      dir: z.string().min(1).max(4096),
      reserves: z.unknown().optional(),
    })
    .strict(),
  async handler({ body, services }) {
    const round = await porOf(services).publish(body.dir, body.reserves);
    return { roundId: round.roundId, rootHash: round.root.rootHash, publishedAt: round.publishedAt };
  },
});

const latestRoute = defineRoute({
  method: 'GET',
  url: '/v1/por/rounds/latest',
  summary: 'The latest round: the signed root file and the reserves table',
  access: { public: true, perMinute: 600 },
  async handler({ services }) {
    const round = await latestOrThrow(services);
    return {
      roundId: round.roundId,
      publishedAt: round.publishedAt,
      root: round.root,
      reserves: round.reserves ?? null,
    };
  },
});

const proofRoute = defineRoute({
  method: 'GET',
  url: '/v1/por/proof/:userId',
  summary: "The signed-in user's inclusion proof in the latest round (por-proof/v1)",
  access: { principals: ['account'] },
  params: z.object({ userId: z.string().min(1).max(256) }),
  async handler({ params, principal, services }) {
    if (principal?.kind !== 'account') throw new BaseError('INTERNAL', 'access hook let a non-account through');
    if (params.userId !== principal.accountId.toString()) {
      throw new BaseError('FORBIDDEN', 'a proof is only for its own user', {
        hints: [`Your user id is ${principal.accountId}.`],
      });
    }
    const round = await latestOrThrow(services);
    return porOf(services).reader(round).proof(params.userId);
  },
});

const configRoute = defineRoute({
  method: 'GET',
  url: '/v1/por/config',
  summary: "The exchange's root-signing key that verifiers of this deployment pin (configured with --por-pubkey)",
  access: { public: true, perMinute: 600 },
  async handler({ services }) {
    const key = services.porPublicKey;
    return key === undefined
      ? { publicKey: null, fingerprint: null }
      : { publicKey: key, fingerprint: keyFingerprint(key) };
  },
});

export const porRoutes: RouteModule = {
  name: 'por',
  routes: [publishRoute, latestRoute, proofRoute, configRoute],
};
