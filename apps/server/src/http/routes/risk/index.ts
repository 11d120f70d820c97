/**
 * Risk routes. `POST /v1/scan` judges one request exactly as a dapp sent it to a wallet (the
 * JSON-RPC method and params) and answers the verdict; `POST /v1/scan/domain` judges a site.
 * `POST /rpc/:chainId` is the wallet firewall: a wallet uses it as its RPC URL; reads are forwarded
 * to the chain's node, signing and sending methods are scanned first and a refused one is answered
 * with JSON-RPC error -32003 carrying the verdict, never forwarded. All three are public and
 * rate-limited per client IP. Non-allow verdicts are logged with the method, action and rule ids
 * only — never the params.
 */
import { BaseError } from '@custos/core';
import { type FirewallOptions, handleJsonRpc, type JsonRpcResponse, originHost, type Verdict } from '@custos/risk';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { RiskRuntime } from '../../../risk/runtime.js';
import type { Services } from '../../../services.js';
import { errorHandler } from '../../errors.js';
import { defineRoute, type RouteErrorHandler, type RouteModule } from '../../route.js';

function riskOf(services: Services): RiskRuntime {
  if (services.risk === undefined) throw new BaseError('INTERNAL', 'risk routes registered without the risk runtime');
  return services.risk;
}

/** Raw transactions carry calldata and, for blob transactions, their blobs: allow a few MiB. */
const SCAN_BODY_LIMIT = 4 * 1024 * 1024;
const RPC_BODY_LIMIT = 8 * 1024 * 1024;
/** Most requests in one JSON-RPC batch (each may be scanned, and simulated). */
const MAX_BATCH = 100;

/** One log line per non-allow verdict: what was asked and decided, never what was signed. */
function logVerdict(
  log: FastifyBaseLogger,
  context: { chainId: number | string; method: string; via: 'scan' | 'firewall' },
  verdict: Verdict,
): void {
  if (verdict.action === 'allow') return;
  const rules = verdict.findings.filter((f) => f.severity !== 'info').map((f) => f.rule);
  log.info({ ...context, action: verdict.action, rules }, `risk verdict: ${verdict.action}`);
}

const ScanBody = z
  .object({
    chainId: z.union([z.number(), z.string().max(80)]),
    origin: z.string().max(2048).optional(),
    method: z.string().min(1).max(100),
    params: z.unknown(),
    simulate: z.boolean().optional(),
    /** The user's recent counterparties, newest first (the wallet knows them), for address poisoning. */
    history: z
      .array(
        z
          .string()
          .regex(/^0x[0-9a-fA-F]{40}$/, 'expected an address')
          .transform((a) => a.toLowerCase() as `0x${string}`),
      )
      .max(1000)
      .optional(),
  })
  .strict();

const scanRoute = defineRoute({
  method: 'POST',
  url: '/v1/scan',
  summary: 'Judge a request to sign (JSON-RPC method and params as the dapp sent them): allow, warn or block',
  access: { public: true, perMinute: 1200 },
  bodyLimit: SCAN_BODY_LIMIT,
  body: ScanBody,
  async handler({ body, services, request }) {
    const verdict = await riskOf(services).engine.scan(
      { chainId: body.chainId, origin: body.origin, method: body.method, params: body.params },
      { simulate: body.simulate ?? false, history: body.history },
    );
    logVerdict(request.log, { chainId: body.chainId, method: body.method, via: 'scan' }, verdict);
    return verdict;
  },
});

const scanDomainRoute = defineRoute({
  method: 'POST',
  url: '/v1/scan/domain',
  summary: 'Judge a site: block lists, allow lists and look-alikes of high-value targets',
  access: { public: true, perMinute: 1200 },
  body: z.object({ origin: z.string().max(2048) }).strict(),
  async handler({ body, services }) {
    return riskOf(services).engine.scanDomain(body.origin);
  },
});

/** The request's Origin header as the firewall's origin, when it names a site (else none). */
function originOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || header === '' || header === 'null') return undefined;
  try {
    originHost(header);
    return header;
  } catch {
    return undefined;
  }
}

const rpcError = (code: number, message: string): JsonRpcResponse => ({
  jsonrpc: '2.0',
  id: null,
  error: { code, message },
});

/**
 * A body that is not JSON is JSON-RPC's parse error (HTTP 200, as JSON-RPC answers); everything
 * else (unknown chain, rate limit, too large) is the server's typed error.
 */
const rpcErrorHandler: RouteErrorHandler = (error, request, reply) => {
  const code = typeof error.code === 'string' ? error.code : '';
  const parseFailure =
    code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    (error.statusCode === 400 && error instanceof SyntaxError);
  if (parseFailure) return reply.status(200).send(rpcError(-32700, 'Parse error'));
  return errorHandler(error, request, reply);
};

const rpcRoute = defineRoute({
  method: 'POST',
  url: '/rpc/:chainId',
  summary: 'Wallet firewall: JSON-RPC to the chain, signing methods scanned first and refused when blocked',
  access: { public: true, perMinute: 6000 },
  bodyLimit: RPC_BODY_LIMIT,
  errorHandler: rpcErrorHandler,
  params: z.object({ chainId: z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a decimal chain id') }),
  /** Any JSON: a request, a batch, or something else, which is answered with JSON-RPC's errors. */
  body: z.unknown(),
  async handler({ params, body, services, request }) {
    const risk = riskOf(services);
    const chainId = Number(params.chainId);
    const upstream = risk.upstream(chainId);
    if (upstream === undefined) {
      throw new BaseError('NOT_FOUND', `chain ${chainId} is not served by this firewall`, {
        details: { chainId },
        hints: [
          risk.chains.length === 0
            ? 'No chain is configured: start the server with --rpc-url <chainId>=<url> (or --dev).'
            : `Configured chains: ${risk.chains.join(', ')}.`,
        ],
      });
    }
    if (Array.isArray(body) && body.length > MAX_BATCH) {
      return rpcError(-32600, `Invalid Request: a batch holds at most ${MAX_BATCH} requests`);
    }
    const options: FirewallOptions = {
      engine: risk.engine,
      chainId,
      upstream,
      origin: originOf(request.headers.origin),
      onVerdict: (method, verdict) => logVerdict(request.log, { chainId, method, via: 'firewall' }, verdict),
      // A signed permit grants a standing allowance no transaction shows yet: the approvals list keeps it.
      onForwarded: async (method, forwarded, verdict) => {
        if (!method.startsWith('eth_signTypedData') || services.approvals === undefined) return;
        const typedData = Array.isArray(forwarded) ? forwarded[1] : undefined;
        await services.approvals.recordSigned(verdict, { chainId, via: 'firewall', typedData });
      },
    };
    return handleJsonRpc(options, body);
  },
});

export const riskRoutes: RouteModule = { name: 'risk', routes: [scanRoute, scanDomainRoute, rpcRoute] };
