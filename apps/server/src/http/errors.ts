/**
 * The one error handler. A BaseError anywhere in the cause chain maps to its registered status
 * and `{code, message, details, hints}`; Fastify's own client errors (bad JSON, wrong content
 * type, body too large, rate limit) map to their codes; anything else is a bug: logged in full on
 * the server and answered as a bare 500 with the request id, never a stack or internal message.
 */
import { type BaseError, ErrorCodes, findBaseError } from '@custos/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export interface ErrorBody {
  code: string;
  message: string;
  details?: BaseError['details'];
  hints?: readonly string[];
  /** Structured data an error carries for the client (e.g. a risk verdict), when it has any. */
  data?: unknown;
  requestId?: string;
}

function clientErrorCode(status: number): keyof typeof ErrorCodes {
  if (status === 404) return 'NOT_FOUND';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 429) return 'RATE_LIMITED';
  return 'INVALID_INPUT';
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const base = findBaseError(error);
  if (base !== undefined && ErrorCodes[base.code].kind !== 'internal') {
    if (base.status >= 500) request.log.warn({ code: base.code, err: base }, base.shortMessage);
    const body: ErrorBody = { code: base.code, message: base.shortMessage };
    if (Object.keys(base.details).length > 0) body.details = base.details;
    if (base.hints.length > 0) body.hints = base.hints;
    const data = (base as { responseData?: unknown }).responseData;
    if (data !== undefined) body.data = data;
    return reply.status(base.status).send(body);
  }
  const status = error.statusCode;
  if (base === undefined && typeof status === 'number' && status >= 400 && status < 500) {
    const body: ErrorBody = { code: clientErrorCode(status), message: error.message };
    return reply.status(status).send(body);
  }
  request.log.error({ err: error }, 'unhandled error');
  const body: ErrorBody = { code: 'INTERNAL', message: 'internal error', requestId: request.id };
  return reply.status(500).send(body);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body: ErrorBody = {
    code: 'ROUTE_NOT_FOUND',
    message: `no route ${request.method} ${request.url.split('?')[0]}`,
  };
  return reply.status(404).send(body);
}
