/**
 * The access hook. It runs before body parsing on every routed request: it finds the principal
 * from the request's credentials, then applies the route's declared access. Credentials that are
 * present but wrong are refused outright (401) rather than ignored, so a mistyped token never
 * silently downgrades to another principal.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BaseError } from '@custos/core';
import type { Database } from '@custos/db';
import type { FastifyRequest } from 'fastify';
import { isLoopbackHost } from '../config.js';
import { CSRF_HEADER, csrfMatches, findSession, SESSION_COOKIE } from '../identity/sessions.js';
import type { Access, DeviceAuthenticator, Principal } from './principals.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthenticatorOptions {
  db: Database;
  operatorToken: string | undefined;
  deviceAuthenticator?: DeviceAuthenticator;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip'];

/**
 * A request made on this machine straight to the server: a loopback peer, no proxy in between
 * (a local TLS proxy would make every internet client look like loopback) and a loopback Host
 * (a DNS-rebinding page in a local browser sends its own host name).
 */
export function isDirectLoopbackRequest(request: FastifyRequest): boolean {
  if (!isLoopbackHost(request.socket.remoteAddress ?? '')) return false;
  if (FORWARDING_HEADERS.some((h) => request.headers[h] !== undefined)) return false;
  return isLoopbackHost(request.hostname);
}

export function makeTokenCheck(token: string | undefined): (presented: string) => boolean {
  const expected = token === undefined ? undefined : digest(token);
  return (presented) => expected !== undefined && timingSafeEqual(digest(presented), expected);
}

function unauthenticated(message: string): BaseError {
  return new BaseError('UNAUTHENTICATED', message, {
    hints: ['Send the operator token as "Authorization: Bearer <token>", or log in with POST /v1/session.'],
  });
}

async function identify(
  request: FastifyRequest,
  options: AuthenticatorOptions,
  isOperator: (t: string) => boolean,
): Promise<Principal | undefined> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(authorization);
    if (match === null || !isOperator(match[1] as string))
      throw new BaseError('INVALID_CREDENTIALS', 'the bearer token is not valid');
    return { kind: 'operator' };
  }
  const token = request.cookies?.[SESSION_COOKIE];
  if (token !== undefined && token !== '') {
    const session = await findSession(options.db, token);
    if (session === undefined) throw new BaseError('INVALID_CREDENTIALS', 'the session is unknown or expired');
    return { kind: 'account', accountId: session.accountId, name: session.name, session };
  }
  return options.deviceAuthenticator ? options.deviceAuthenticator.identify(request) : undefined;
}

const API_KEY_HEADERS = ['ok-access-key', 'ok-access-sign', 'ok-access-timestamp', 'ok-access-passphrase'];

function hasApiKeyHeaders(request: FastifyRequest): boolean {
  return API_KEY_HEADERS.some((h) => request.headers[h] !== undefined);
}

export function createAccessHook(options: AuthenticatorOptions) {
  const isOperator = makeTokenCheck(options.operatorToken);
  return async function accessHook(request: FastifyRequest): Promise<void> {
    request.principal = undefined;
    request.pendingDevice = undefined;
    request.pendingApiKey = undefined;
    const access: Access | undefined = request.routeOptions.config.access;
    if (access === undefined) {
      if (request.is404) return; // the JSON 404 handler
      // Fail closed: app.ts refuses such routes at registration, this guards anything that slips by.
      throw new BaseError('FORBIDDEN', `${request.method} ${request.routeOptions.url} declares no access`);
    }
    if (access.public === true) return;
    // OKX-style API-key credentials: the signature covers the body, so the key is checked after
    // body parsing (the exchange gateway's hook); other credentials on such a route are refused below.
    if (access.principals.includes('apikey') && hasApiKeyHeaders(request)) {
      if (access.permission === undefined) throw new BaseError('INTERNAL', 'an apikey route declares no permission');
      request.pendingApiKey = access.permission;
      return;
    }
    const principal = await identify(request, options, isOperator);
    if (principal === undefined) {
      if (access.loopback === true && isDirectLoopbackRequest(request)) return;
      throw unauthenticated(`${request.method} ${request.routeOptions.url} needs credentials`);
    }
    if (!access.principals.includes(principal.kind)) {
      throw new BaseError(
        'FORBIDDEN',
        `${request.method} ${request.routeOptions.url} is not open to the ${principal.kind}`,
        {
          details: { principal: principal.kind, allowed: access.principals.join(',') },
        },
      );
    }
    if (principal.kind === 'account') {
      if (!SAFE_METHODS.has(request.method)) {
        const presented = request.headers[CSRF_HEADER];
        if (!csrfMatches(principal.session, typeof presented === 'string' ? presented : undefined)) {
          throw new BaseError(
            'CSRF_MISSING',
            `a state-changing request with a session needs the ${CSRF_HEADER} header`,
          );
        }
      }
      if (access.ownerParam !== undefined) {
        const owner = (request.params as Record<string, string | undefined>)[access.ownerParam];
        if (owner === undefined || owner !== principal.accountId.toString()) {
          throw new BaseError('FORBIDDEN', 'this resource belongs to another account');
        }
      }
    }
    if (principal.kind === 'device') {
      // Devices own no accounts: an account-owned route never answers one.
      if (access.ownerParam !== undefined) throw new BaseError('FORBIDDEN', 'this resource belongs to an account');
      // The signature covers the body: the principal is granted in the verification hook below.
      request.pendingDevice = principal;
      return;
    }
    request.principal = principal;
  };
}

/**
 * The second half of device authentication (preValidation, after body parsing): the device's
 * signature over the exact body bytes and its single-use nonce. A device request whose body was
 * parsed from anything but JSON (so no raw bytes were kept) is refused rather than trusted.
 */
export function createDeviceVerificationHook(deviceAuthenticator: DeviceAuthenticator | undefined) {
  return async function deviceVerificationHook(request: FastifyRequest): Promise<void> {
    const pending = request.pendingDevice;
    if (pending === undefined) return;
    request.pendingDevice = undefined;
    if (deviceAuthenticator === undefined) throw new BaseError('INTERNAL', 'a device was named without a verifier');
    if (request.body !== undefined && request.rawBody === undefined) {
      throw new BaseError('MPC_DEVICE_AUTH_FAILED', 'a device-signed body must be application/json', {
        details: { check: 'body' },
      });
    }
    await deviceAuthenticator.verify(request, pending, request.rawBody ?? new Uint8Array(0));
    request.principal = pending;
  };
}
