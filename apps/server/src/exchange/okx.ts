/**
 * OKX's wire shape for the `/api/v5` gateway: every answer is `{code, msg, data}` with `"0"` for
 * success, and every error carries OKX's code and HTTP status, so existing OKX clients (ccxt's
 * `okx` among them) read our errors as they read OKX's. The route-level error handler maps the
 * typed errors of the gateway, the ledger and the anti-fraud engine to those codes; anything it
 * does not know is a 50026 system error, logged in full here and never described to the client.
 */
import { type BaseError, findBaseError } from '@custos/core';
import { okxError } from '@custos/exchange';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export interface OkxBody {
  code: string;
  msg: string;
  data: unknown[];
}

export function okxOk(data: unknown[]): OkxBody {
  return { code: '0', msg: '', data };
}

/** OKX's business codes for our typed errors (HTTP 200 unless noted in OKX's table). */
const BUSINESS: Record<string, { code: string; msg: string; httpStatus: number }> = {
  EXCHANGE_INSUFFICIENT_FUNDS: { code: '51008', msg: 'Order failed. Insufficient balance', httpStatus: 200 },
  EXCHANGE_MARKET_NOT_FOUND: { code: '51001', msg: "Instrument ID doesn't exist", httpStatus: 200 },
  EXCHANGE_ORDER_NOT_FOUND: { code: '51603', msg: "Order doesn't exist", httpStatus: 200 },
  EXCHANGE_ADDRESS_NOT_ALLOWED: {
    code: '58207',
    msg: "Withdrawal address isn't on the verified address list",
    httpStatus: 200,
  },
  EXCHANGE_ADDRESS_COOLING_OFF: {
    code: '58207',
    msg: 'Withdrawal address is still in its cooling-off period',
    httpStatus: 200,
  },
  EXCHANGE_WITHDRAWALS_FROZEN: {
    code: '50029',
    msg: 'Your account has triggered risk control and is temporarily restricted',
    httpStatus: 200,
  },
  EXCHANGE_RISK_BLOCKED: {
    code: '50029',
    msg: 'Your account has triggered risk control and is temporarily restricted',
    httpStatus: 200,
  },
  EXCHANGE_KEY_FROZEN: { code: '50100', msg: 'API frozen, please contact customer service', httpStatus: 400 },
  EXCHANGE_PERMISSION_DENIED: {
    code: '50120',
    msg: "This API key doesn't have permission to use this function",
    httpStatus: 200,
  },
  EXCHANGE_RATE_LIMITED: {
    code: '50011',
    msg: 'Rate limit reached. Please refer to API documentation and throttle requests accordingly.',
    httpStatus: 429,
  },
};

/** The OKX code, message and status for an error, as the gateway answers it. */
export function okxErrorOf(error: unknown): { httpStatus: number; body: OkxBody } | undefined {
  const base = findBaseError(error);
  if (base === undefined) return undefined;
  if (base.code === 'EXCHANGE_AUTH_FAILED') {
    const details = base.details as { okxCode?: unknown; httpStatus?: unknown };
    if (typeof details.okxCode === 'string' && typeof details.httpStatus === 'number') {
      return { httpStatus: details.httpStatus, body: { code: details.okxCode, msg: base.shortMessage, data: [] } };
    }
  }
  if (base.code === 'UNAUTHENTICATED') return okxError('50103');
  if (base.code === 'FORBIDDEN' || base.code === 'INVALID_CREDENTIALS' || base.code === 'CSRF_MISSING') {
    return { httpStatus: 401, body: { code: '50114', msg: 'Invalid authorization', data: [] } };
  }
  if (base.code === 'INVALID_INPUT' || base.code === 'EXCHANGE_INVALID_REQUEST') {
    return { httpStatus: 200, body: { code: '51000', msg: parameterMessage(base), data: [] } };
  }
  const business = BUSINESS[base.code];
  if (business !== undefined) {
    return { httpStatus: business.httpStatus, body: { code: business.code, msg: business.msg, data: [] } };
  }
  return undefined;
}

function parameterMessage(base: BaseError): string {
  const field = (base.details as { field?: unknown }).field;
  return typeof field === 'string' ? `Parameter ${field} error: ${base.shortMessage}` : base.shortMessage;
}

/** The route-level error handler of every `/api/v5` route. */
export function okxErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = okxErrorOf(error);
  if (mapped !== undefined) return reply.status(mapped.httpStatus).send(mapped.body);
  const status = error.statusCode;
  if (findBaseError(error) === undefined && typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 429) return reply.status(429).send(okxError('50011').body);
    return reply.status(400).send({ code: '50002', msg: 'Json data format error', data: [] });
  }
  request.log.error({ err: error }, 'unhandled error in the OKX gateway');
  return reply.status(500).send({ code: '50026', msg: 'System error. Try again later', data: [] });
}
