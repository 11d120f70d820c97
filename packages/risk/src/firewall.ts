/**
 * The wallet firewall: a JSON-RPC layer between a wallet and its node. Reads pass straight to the
 * upstream; every method that spends or signs (`eth_sendRawTransaction` — what wallets with local
 * keys send —, `eth_sendTransaction`, `eth_signTransaction`, the `eth_signTypedData` family,
 * `personal_sign`, `eth_sign`, `eth_sendUserOperation`) is scanned first. A `block` verdict is
 * answered with a JSON-RPC error carrying the verdict and is never forwarded; a `warn` is
 * forwarded by default (a node has no one to ask) or refused when `refuseWarnings` is set.
 * `handleJsonRpc` serves HTTP bodies (single or batch); `withFirewall` wraps an EIP-1193 provider
 * for in-process use.
 */
import { BaseError } from '@custos/core';
import { isScanMethod } from './decode/request.js';
import type { RiskEngine } from './engine.js';
import type { Eip1193Like } from './facts.js';
import type { Verdict } from './types.js';

export interface FirewallOptions {
  engine: RiskEngine;
  /** The chain this endpoint serves. */
  chainId: number;
  upstream: Eip1193Like;
  /** The requesting site, when the embedding knows it (the HTTP `Origin` header, a dapp's URL). */
  origin?: string | undefined;
  /** Refuse `warn` verdicts too (default: forward them). */
  refuseWarnings?: boolean | undefined;
  /** Called with every verdict (for logs and metrics); must not throw. */
  onVerdict?: ((method: string, verdict: Verdict) => void) | undefined;
  /**
   * Called after a scanned request was forwarded and the node answered it (e.g. a signature was
   * produced): what was asked, the verdict and the answer. Awaited; must not throw.
   */
  onForwarded?:
    | ((method: string, params: unknown, verdict: Verdict, result: unknown) => Promise<void> | void)
    | undefined;
}

/** The JSON-RPC error code for a refused request (in the EIP-1474 server range). */
export const FIREWALL_REFUSED_CODE = -32003;

/** Thrown by `withFirewall` and turned into a JSON-RPC error by `handleJsonRpc`. */
export class FirewallRefusedError extends BaseError {
  override name = 'FirewallRefusedError';
  readonly verdict: Verdict;
  readonly rpcCode = FIREWALL_REFUSED_CODE;

  constructor(method: string, verdict: Verdict) {
    const worst = verdict.findings.find((f) => f.severity === 'critical') ?? verdict.findings[0];
    super('RISK_BLOCKED', `custos refused ${method}: ${worst?.message ?? verdict.action}`, {
      details: { method, action: verdict.action, rule: worst?.rule ?? null },
    });
    this.verdict = verdict;
  }
}

/** Scans a signing method's params; returns the verdict, or throws FirewallRefusedError. */
export async function inspect(options: FirewallOptions, method: string, params: unknown): Promise<Verdict | undefined> {
  if (!isScanMethod(method)) return undefined;
  const verdict = await options.engine.scan({
    chainId: options.chainId,
    method,
    params: params ?? [],
    origin: options.origin,
  });
  options.onVerdict?.(method, verdict);
  if (verdict.action === 'block' || (verdict.action === 'warn' && options.refuseWarnings === true)) {
    throw new FirewallRefusedError(method, verdict);
  }
  return verdict;
}

/** Wraps an EIP-1193 provider: signing methods are scanned before they reach it. */
export function withFirewall(options: FirewallOptions): Eip1193Like {
  return {
    async request(args) {
      const verdict = await inspect(options, args.method, args.params);
      const result = await options.upstream.request(args);
      if (verdict !== undefined) await options.onForwarded?.(args.method, args.params, verdict, result);
      return result;
    },
  };
}

type JsonRpcId = string | number | null;

interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: JsonRpcId; result: unknown }
  | { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcError };

function idOf(body: unknown): JsonRpcId {
  if (body !== null && typeof body === 'object' && 'id' in body) {
    const id = (body as { id: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number' || id === null) return id;
  }
  return null;
}

function rpcError(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcResponse {
  return data === undefined
    ? { jsonrpc: '2.0', id, error: { code, message } }
    : { jsonrpc: '2.0', id, error: { code, message, data } };
}

/** Error objects from upstream (viem's RpcRequestError, EIP-1193 errors) keep their code and data. */
function upstreamError(id: JsonRpcId, error: unknown): JsonRpcResponse {
  const e = error as { code?: unknown; message?: unknown; data?: unknown; cause?: unknown; shortMessage?: unknown };
  const inner = (e.cause ?? e) as { code?: unknown; message?: unknown; data?: unknown };
  const code = typeof inner.code === 'number' ? inner.code : typeof e.code === 'number' ? e.code : -32603;
  const message =
    typeof inner.message === 'string' ? inner.message : typeof e.message === 'string' ? e.message : 'upstream error';
  return rpcError(id, code, message, inner.data ?? e.data);
}

async function handleOne(options: FirewallOptions, body: unknown): Promise<JsonRpcResponse> {
  const id = idOf(body);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return rpcError(id, -32600, 'Invalid Request');
  const { method, params } = body as { method?: unknown; params?: unknown };
  if (typeof method !== 'string' || method === '') return rpcError(id, -32600, 'Invalid Request: no method');
  if (params !== undefined && params !== null && typeof params !== 'object')
    return rpcError(id, -32602, 'Invalid params');
  let verdict: Verdict | undefined;
  try {
    verdict = await inspect(options, method, params);
  } catch (error) {
    if (error instanceof FirewallRefusedError)
      return rpcError(id, error.rpcCode, error.shortMessage, { verdict: error.verdict });
    if (error instanceof BaseError && error.status === 400)
      return rpcError(id, -32602, error.shortMessage, { code: error.code, details: error.details });
    throw error;
  }
  try {
    // By-name (object) params pass through as sent; the node judges them.
    const result = await options.upstream.request({ method, params: (params ?? []) as readonly unknown[] });
    if (verdict !== undefined) await options.onForwarded?.(method, params, verdict, result);
    return { jsonrpc: '2.0', id, result: result ?? null };
  } catch (error) {
    return upstreamError(id, error);
  }
}

/** Serves a JSON-RPC 2.0 body (one request or a batch); returns what to send back. */
export async function handleJsonRpc(
  options: FirewallOptions,
  body: unknown,
): Promise<JsonRpcResponse | JsonRpcResponse[]> {
  if (Array.isArray(body)) {
    if (body.length === 0) return rpcError(null, -32600, 'Invalid Request: empty batch');
    return Promise.all(body.map((item) => handleOne(options, item)));
  }
  return handleOne(options, body);
}
