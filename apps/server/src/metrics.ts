/**
 * Prometheus metrics through prom-client. Each server instance owns its registry (so several
 * servers in one test process never collide): process defaults plus request counts and latency by
 * method, route pattern and status.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  /** Approval scans finished, by outcome (ok / failed). */
  approvalScans: Counter<'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'custos_' });
  const requests = new Counter({
    name: 'custos_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'custos_http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const approvalScans = new Counter({
    name: 'custos_approval_scans_total',
    help: 'Approval scans finished, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return { registry, requests, duration, approvalScans };
}
