/**
 * The second half of API-key authentication (preValidation, after body parsing, so the signature
 * is checked over the exact bytes received): the OKX-v5 authenticator, then the key's rate limit
 * on this endpoint, then the anti-fraud engine's look at the request (a new IP for the key, a
 * broker key outside its ranges). Only when all pass does the request get its `apikey` principal.
 * The client IP is `request.ip`: the socket address, or the forwarded one when the peer is a
 * configured trusted proxy (`--trust-proxy`); a spoofed X-Forwarded-For from anyone else is ignored.
 */
import { BaseError } from '@custos/core';
import { fraudDecisionError } from '@custos/exchange';
import type { FastifyRequest } from 'fastify';
import type { ExchangeRuntime } from './runtime.js';

export function createApiKeyVerificationHook(exchange: ExchangeRuntime | undefined) {
  return async function apiKeyVerificationHook(request: FastifyRequest): Promise<void> {
    const permission = request.pendingApiKey;
    if (permission === undefined) return;
    request.pendingApiKey = undefined;
    if (exchange === undefined) throw new BaseError('INTERNAL', 'an API-key route without the exchange');
    const result = await exchange.authenticator.authenticate({
      headers: request.headers,
      method: request.method,
      url: request.url,
      rawBody: request.rawBody === undefined ? '' : request.rawBody.toString('utf8'),
      clientIp: request.ip,
      permission,
    });
    if (!result.ok) {
      throw new BaseError('EXCHANGE_AUTH_FAILED', result.msg, {
        details: { okxCode: result.code, httpStatus: result.httpStatus },
      });
    }
    const key = result.key;
    const endpoint = `${request.method} ${request.routeOptions.url}`;
    if (!(await exchange.limiter.consume(key.apiKey, endpoint))) {
      throw new BaseError('EXCHANGE_RATE_LIMITED', 'rate limit reached for this key on this endpoint', {
        details: { endpoint },
      });
    }
    const decision = await exchange.antiFraud.evaluateRequest({
      apiKey: key.apiKey,
      accountId: key.accountId,
      ...(key.brokerId === null ? {} : { brokerId: key.brokerId }),
      ip: request.ip,
    });
    await applyDecision(exchange, decision, key.apiKey, key.accountId);
    request.principal = {
      kind: 'apikey',
      apiKey: key.apiKey,
      accountId: key.accountId,
      permissions: key.permissions,
      brokerId: key.brokerId,
    };
  };
}

type Decision = Awaited<ReturnType<ExchangeRuntime['antiFraud']['evaluateRequest']>>;

/** Carries out a refusing decision (freezing the key or the withdrawals) and throws its error. */
export async function applyDecision(
  exchange: ExchangeRuntime,
  decision: Decision,
  apiKey: string,
  accountId: bigint,
): Promise<void> {
  const error = fraudDecisionError(decision);
  if (error === null) return;
  const rules = [...new Set(decision.findings.map((f) => f.rule))].join(', ');
  if (decision.action === 'freeze_key') await exchange.keys.freeze(apiKey, `risk engine: ${rules}`.slice(0, 200));
  if (decision.action === 'freeze_withdrawals') {
    await exchange.ledger.freezeWithdrawals(accountId, `risk engine: ${rules}`.slice(0, 200), 'system');
  }
  throw error;
}
