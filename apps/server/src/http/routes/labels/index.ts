/**
 * Label routes. Look-ups (one address on a chain, one domain, or a batch) are public and
 * rate-limited per client IP: wallets call them before every signature. Imports, overrides and
 * statistics are the operator's. An override changes this node's answers at once.
 */
import { BaseError } from '@custos/core';
import { DOMAIN_LISTS, getLabelSource, parseScope, TIERS, TRUST_LEVELS } from '@custos/labels';
import { z } from 'zod';
import type { LabelsRuntime } from '../../../labels/runtime.js';
import type { Services } from '../../../services.js';
import { defineRoute, type RouteModule } from '../../route.js';

function labelsOf(services: Services): LabelsRuntime {
  if (services.labels === undefined) throw new BaseError('INTERNAL', 'label routes registered without labels');
  return services.labels;
}

const lookupAddress = defineRoute({
  method: 'GET',
  url: '/v1/labels/:chainId/:address',
  summary: 'Labels and tier of an address on a chain',
  access: { public: true, perMinute: 1200 },
  params: z.object({ chainId: z.string().max(16), address: z.string().max(128) }),
  async handler({ params, services }) {
    return labelsOf(services).service.lookupAddress(params.address, params.chainId);
  },
});

const lookupDomain = defineRoute({
  method: 'GET',
  url: '/v1/labels/domain/:domain',
  summary: 'Whether a site is on a block or allow list, or a look-alike of a high-value target',
  access: { public: true, perMinute: 1200 },
  params: z.object({ domain: z.string().max(2048) }),
  async handler({ params, services }) {
    return labelsOf(services).service.lookupDomain(params.domain);
  },
});

const MAX_BATCH = 1000;

const lookupBatch = defineRoute({
  method: 'POST',
  url: '/v1/labels/lookup',
  summary: `Look up to ${MAX_BATCH} addresses and ${MAX_BATCH} domains at once`,
  access: { public: true, perMinute: 120 },
  body: z
    .object({
      chainId: z.union([z.number(), z.string()]).default(1),
      addresses: z.array(z.string().max(128)).max(MAX_BATCH).default([]),
      domains: z.array(z.string().max(2048)).max(MAX_BATCH).default([]),
    })
    .strict(),
  async handler({ body, services }) {
    const { service } = labelsOf(services);
    const at = (field: string, i: number, fn: () => unknown): unknown => {
      try {
        return fn();
      } catch (error) {
        // Name the element that failed: `body.addresses.3`.
        if (error instanceof BaseError) {
          throw new BaseError(error.code, `"body.${field}.${i}": ${error.shortMessage}`, {
            details: { ...error.details, field: `body.${field}.${i}` },
            hints: error.hints,
          });
        }
        throw error;
      }
    };
    return {
      addresses: body.addresses.map((a, i) => at('addresses', i, () => service.lookupAddress(a, body.chainId))),
      domains: body.domains.map((d, i) => at('domains', i, () => service.lookupDomain(d))),
    };
  },
});

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/);
const hexAddress = z.string().regex(/^0x[0-9a-f]{40}$/);
const ImportBody = z
  .object({
    /** The importer that read the file (its id on the CLI). */
    importer: z.string().max(64),
    trust: z.enum(TRUST_LEVELS).optional(),
    batch: z.object({
      source: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
      labels: z
        .array(
          z
            .object({
              scope: z.number().int().min(0).max(0xffffffff),
              address: hexAddress,
              tier: z.enum(TIERS),
              category: slug,
              name: z.string().max(500),
              source: z.string().max(64),
              firstSeen: z.number().int().min(0),
              confidence: z.number().int().min(0).max(100),
              status: z.enum(['active', 'delisted']),
            })
            .strict(),
        )
        .max(5_000_000),
      domains: z
        .array(
          z
            .object({
              domain: z.string().regex(/^[a-z0-9_.-]{1,253}$/),
              list: z.enum(DOMAIN_LISTS),
              source: z.string().max(64),
              name: z.string().max(500),
            })
            .strict(),
        )
        .max(5_000_000),
      fuzzyTolerance: z.number().int().min(0).max(8).optional(),
      rows: z.record(z.string(), z.number().int().min(0)),
      errors: z.array(z.object({ file: z.string(), line: z.number().int(), message: z.string() })),
      skipped: z.array(z.object({ file: z.string(), line: z.number().int(), reason: z.string() })),
      snapshot: z.object({ authority: z.string().max(64), asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }).optional(),
    }),
  })
  .strict();

const importRoute = defineRoute({
  method: 'POST',
  url: '/v1/labels/import',
  summary: "Replace one source's labels with a parsed file (operator); the index is recompiled",
  access: { principals: ['operator'] },
  bodyLimit: 256 * 1024 * 1024,
  body: ImportBody,
  async handler({ body, services }) {
    const importer = getLabelSource(body.importer);
    const { batch } = body;
    for (const [i, l] of batch.labels.entries()) {
      if (l.source !== batch.source) {
        throw new BaseError('INVALID_INPUT', `"body.batch.labels.${i}.source" differs from the batch's source`, {
          details: { field: `body.batch.labels.${i}.source` },
        });
      }
    }
    const report = await labelsOf(services).importBatch(
      {
        id: batch.source,
        title: importer.title,
        trust: body.trust ?? importer.trust,
        license: importer.license,
        origin: importer.origin,
      },
      {
        ...batch,
        labels: batch.labels.map((l) => ({ ...l, address: l.address as `0x${string}` })),
        ...(batch.snapshot ? { snapshot: batch.snapshot } : {}),
        ...(batch.fuzzyTolerance === undefined ? {} : { fuzzyTolerance: batch.fuzzyTolerance }),
      } as Parameters<LabelsRuntime['importBatch']>[1],
    );
    return { ...report, index: labelsOf(services).indexSource() };
  },
});

const OverrideBody = z
  .object({
    scope: z.union([z.literal('evm'), z.number().int(), z.string().regex(/^\d{1,10}$/)]),
    address: z.string().max(128),
    tier: z.enum(TIERS),
    reason: z.string().min(1).max(500),
  })
  .strict();

const setOverrideRoute = defineRoute({
  method: 'POST',
  url: '/v1/labels/overrides',
  summary: 'Set an operator override for an address (takes effect at once)',
  access: { principals: ['operator'] },
  body: OverrideBody,
  async handler({ body, services }) {
    const override = await labelsOf(services).setOverride({
      scope: parseScope(body.scope, 'body.scope'),
      address: body.address,
      tier: body.tier,
      reason: body.reason,
      by: 'operator',
    });
    return { override };
  },
});

const removeOverrideRoute = defineRoute({
  method: 'DELETE',
  url: '/v1/labels/overrides/:scope/:address',
  summary: 'Remove an operator override',
  access: { principals: ['operator'] },
  params: z.object({ scope: z.string().max(16), address: z.string().max(128) }),
  async handler({ params, services }) {
    const removed = await labelsOf(services).removeOverride(parseScope(params.scope, 'params.scope'), params.address);
    if (!removed) throw new BaseError('NOT_FOUND', 'no override for that address and scope');
    return { removed };
  },
});

const listOverridesRoute = defineRoute({
  method: 'GET',
  url: '/v1/labels/overrides',
  summary: 'Every operator override',
  access: { principals: ['operator'] },
  async handler({ services }) {
    return { overrides: await labelsOf(services).listOverrides() };
  },
});

const statsRoute = defineRoute({
  method: 'GET',
  url: '/v1/labels/stats',
  summary: 'Label store and index statistics (operator)',
  access: { principals: ['operator'] },
  async handler({ services }) {
    return labelsOf(services).stats();
  },
});

export const labelsRoutes: RouteModule = {
  name: 'labels',
  routes: [
    lookupDomain,
    lookupAddress,
    lookupBatch,
    importRoute,
    setOverrideRoute,
    removeOverrideRoute,
    listOverridesRoute,
    statsRoute,
  ],
};
