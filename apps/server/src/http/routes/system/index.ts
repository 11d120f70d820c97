/**
 * Liveness and metrics. `/healthz` checks the database with a round trip, so a load balancer
 * takes a node whose database is gone out of rotation; `/metrics` is Prometheus text for loopback
 * scrapers or the operator.
 */
import { defineRoute, type RouteModule } from '../../route.js';

const health = defineRoute({
  method: 'GET',
  url: '/healthz',
  summary: 'Liveness: the process answers and its database does',
  access: { public: true },
  async handler({ services, reply }) {
    const started = process.hrtime.bigint();
    await services.db.query('SELECT 1');
    const dbMs = Number(process.hrtime.bigint() - started) / 1e6;
    reply.header('cache-control', 'no-store');
    return { status: 'ok', db: { kind: services.db.kind, latencyMs: Math.round(dbMs * 100) / 100 } };
  },
});

const metrics = defineRoute({
  method: 'GET',
  url: '/metrics',
  summary: 'Prometheus metrics (loopback or operator)',
  access: { principals: ['operator'], loopback: true },
  async handler({ services, reply }) {
    reply.header('content-type', services.metrics.registry.contentType);
    return services.metrics.registry.metrics();
  },
});

export const systemRoutes: RouteModule = { name: 'system', routes: [health, metrics] };
