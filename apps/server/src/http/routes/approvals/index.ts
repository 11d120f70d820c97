/**
 * Authorization-management routes. `GET /v1/approvals/:chainId/:address` answers at once with the
 * account's last known list (`status: scanning` while a background scan runs, `complete` once the
 * list is current, `failed` with the reason when the last scan failed) and starts or continues a
 * scan; `?wait=true` waits for a scan that starts after the request. `POST /v1/approvals/revoke`
 * turns ids from that list into transactions the account signs itself (nothing is signed here).
 * Both are public — approvals are public chain data — and rate-limited per client IP.
 */
import { type Address, revocationToJson } from '@custos/approvals';
import { BaseError } from '@custos/core';
import { z } from 'zod';
import type { ApprovalsRuntime } from '../../../approvals/runtime.js';
import type { Services } from '../../../services.js';
import { defineRoute, type RouteModule } from '../../route.js';

function runtimeOf(services: Services): ApprovalsRuntime {
  if (services.approvals === undefined) {
    throw new BaseError('INTERNAL', 'approvals routes registered without the approvals runtime');
  }
  return services.approvals;
}

const ChainId = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'must be a positive decimal chain id')
  .transform(Number)
  .refine(Number.isSafeInteger, 'must be a safe integer');
const AddressParam = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')
  .transform((a) => a.toLowerCase() as Address);

const listRoute = defineRoute({
  method: 'GET',
  url: '/v1/approvals/:chainId/:address',
  summary:
    "An account's live approvals (ERC-20, ERC-721, operators, Permit2, signed permits), scanning in the background",
  access: { public: true, perMinute: 600 },
  params: z.object({ chainId: ChainId, address: AddressParam }),
  query: z.object({ wait: z.enum(['true', 'false']).optional() }).strict(),
  async handler({ params, query, services }) {
    const { scanner } = runtimeOf(services);
    if (query.wait === 'true') return scanner.scan(params.chainId, params.address, { fresh: true });
    return scanner.list(params.chainId, params.address);
  },
});

const revokeRoute = defineRoute({
  method: 'POST',
  url: '/v1/approvals/revoke',
  summary: 'Transactions that revoke approvals from the account’s last list (signed by the account itself)',
  access: { public: true, perMinute: 600 },
  body: z
    .object({
      chainId: z.union([z.number().int().positive(), ChainId]),
      owner: AddressParam,
      approvals: z.union([z.literal('all'), z.array(z.string().min(1).max(300)).min(1).max(500)]),
    })
    .strict(),
  async handler({ body, services }) {
    const chainId = typeof body.chainId === 'number' ? body.chainId : Number(body.chainId);
    const revocations = await runtimeOf(services).revocations(chainId, body.owner, body.approvals);
    return { chainId, owner: body.owner, transactions: revocations.map(revocationToJson) };
  },
});

export const approvalsRoutes: RouteModule = { name: 'approvals', routes: [listRoute, revokeRoute] };
