/**
 * Builds the Fastify application from services and route modules: cookies, the access hook (and
 * the device-signature check after body parsing, over the exact JSON bytes kept by the parser),
 * per-IP rate limits on public routes (in memory, or in Redis when several nodes share the
 * limit), metrics, the JSON 404 and the one error handler. No sockets are opened here, so tests
 * drive it with `inject` or listen on port 0.
 */
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

import { createAccessHook, createDeviceVerificationHook } from './access/authenticate.js';
import type { Access, DeviceAuthenticator } from './access/principals.js';
import { createApiKeyVerificationHook } from './exchange/hook.js';
import { errorHandler, notFoundHandler } from './http/errors.js';
import { parseInput, type Route, type RouteModule } from './http/route.js';
import { approvalsRoutes } from './http/routes/approvals/index.js';
import { devRoutes } from './http/routes/dev/index.js';
import { identityRoutes } from './http/routes/identity/index.js';
import { keysRoutes } from './http/routes/keys/index.js';
import { labelsRoutes } from './http/routes/labels/index.js';
import { ledgerRoutes } from './http/routes/ledger/index.js';
import { mpcRoutes } from './http/routes/mpc/index.js';
import { okxRoutes } from './http/routes/okx/index.js';
import { porRoutes } from './http/routes/por/index.js';
import { riskRoutes } from './http/routes/risk/index.js';
import { systemRoutes } from './http/routes/system/index.js';
import { createDeviceAuthenticator } from './mpc/device-auth.js';
import type { Services } from './services.js';

export interface RouteTableEntry {
  method: string;
  url: string;
  access: Access;
  module: string;
}

export interface BuildAppOptions {
  services: Services;
  /** A pino logger (Fastify's logger interface). */
  logger: FastifyBaseLogger;
  operatorToken: string | undefined;
  redis?: Redis;
  /** Default: the MPC wallet's verifier of device-signed requests, when MPC is configured. */
  deviceAuthenticator?: DeviceAuthenticator;
  /** Extra capability modules (later issues add theirs to `defaultRouteModules`). */
  modules?: readonly RouteModule[];
}

export interface App {
  app: FastifyInstance;
  routeTable: readonly RouteTableEntry[];
}

export function defaultRouteModules(services: Services): RouteModule[] {
  const modules = [systemRoutes, identityRoutes];
  if (services.mpc !== undefined) modules.push(mpcRoutes(services.config));
  if (services.labels !== undefined) modules.push(labelsRoutes);
  if (services.risk !== undefined) modules.push(riskRoutes);
  if (services.approvals !== undefined) modules.push(approvalsRoutes);
  if (services.por !== undefined) modules.push(porRoutes);
  if (services.exchange !== undefined) modules.push(keysRoutes, ledgerRoutes, okxRoutes);
  if (services.config.dev) modules.push(devRoutes);
  return modules;
}

export async function buildApp(options: BuildAppOptions): Promise<App> {
  const { services } = options;
  const trustProxy = services.config.trustProxy;
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Idle keep-alive sockets close at shutdown; requests in flight finish (the CLI bounds the wait).
    forceCloseConnections: 'idle',
    ...(trustProxy.length > 0 ? { trustProxy } : {}),
  });
  const routeTable: RouteTableEntry[] = [];
  // Every route — ours, a plugin's, Fastify's automatic HEAD twins — must declare its access; the
  // route table (which the access test walks) is built here so nothing registered escapes it.
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (access === undefined) throw new Error(`route ${methods.join(',')} ${route.url} declares no access`);
    for (const method of methods) {
      // Fastify's automatic HEAD twin of a GET route shares its config and its access.
      if (method === 'HEAD' && routeTable.some((r) => r.method === 'GET' && r.url === route.url)) continue;
      routeTable.push({ method, url: route.url, access, module: route.config?.module ?? 'unknown' });
    }
  });
  app.decorateRequest('principal', undefined);
  app.decorateRequest('pendingDevice', undefined);
  app.decorateRequest('pendingApiKey', undefined);
  app.decorateRequest('rawBody', undefined);
  // Fastify's own JSON parser (same limits, same prototype-poisoning refusal), keeping the exact
  // bytes: a device signature covers them, not a re-serialisation.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    parseJson(request, raw.toString('utf8'), done);
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    ...(options.redis ? { redis: options.redis, nameSpace: 'custos-rl:' } : {}),
    skipOnError: true,
    keyGenerator: (request) => request.ip,
  });
  const deviceAuthenticator =
    options.deviceAuthenticator ?? (services.mpc === undefined ? undefined : createDeviceAuthenticator(services.db));
  const accessHook = createAccessHook({
    db: services.db,
    operatorToken: options.operatorToken,
    ...(deviceAuthenticator ? { deviceAuthenticator } : {}),
  });
  app.addHook('onRequest', accessHook);
  app.addHook('preValidation', createDeviceVerificationHook(deviceAuthenticator));
  app.addHook('preValidation', createApiKeyVerificationHook(services.exchange));
  app.addHook('onClose', async () => services.metrics.registry.clear());
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    services.metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    services.metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  for (const module of [...defaultRouteModules(services), ...(options.modules ?? [])]) {
    for (const route of module.routes) registerRoute(app, services, route, module.name);
  }
  return { app, routeTable };
}

function registerRoute(app: FastifyInstance, services: Services, route: Route, module: string): void {
  const limit = route.access.public === true ? (route.access.perMinute ?? services.config.rateLimit) : undefined;
  app.route({
    method: route.method,
    url: route.url,
    ...(route.bodyLimit === undefined ? {} : { bodyLimit: route.bodyLimit }),
    ...(route.errorHandler === undefined ? {} : { errorHandler: route.errorHandler }),
    config: {
      access: route.access,
      module,
      ...(limit === undefined ? {} : { rateLimit: { max: limit, timeWindow: 60_000 } }),
    },
    handler: async (request, reply) => {
      const params = parseInput(route.params, request.params, 'params');
      const query = parseInput(route.query, request.query, 'query');
      const body = parseInput(route.body, request.body, 'body');
      return route.handler({ body, query, params, principal: request.principal, request, reply, services });
    },
  });
}
