// Requests per second through the whole server stack (routing, access hook, rate limiter,
// metrics, error handler) against a bare node:http server answering the same JSON (the
// baseline), over real loopback HTTP with 16 concurrent keep-alive clients. Client and server
// share the process, so the numbers are an upper bound on overhead, not a capacity claim.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineBench } from '@custos/core/bench';
import { coreMigrations, openPGlite } from '@custos/db';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { resolveServerConfig } from './config.js';
import { createMetrics } from './metrics.js';

const CONCURRENCY = 16;

interface Target {
  url: string;
  close: () => Promise<void>;
}

async function load(target: Target, size: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < size) {
      next++;
      const response = await fetch(target.url);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function bare(): Promise<Target> {
  const body = JSON.stringify({ status: 'ok' });
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/healthz`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function custos(path: string): Promise<Target> {
  const db = await openPGlite();
  await db.migrate(await coreMigrations());
  const logger = pino({ level: 'silent' });
  const services = { db, config: resolveServerConfig({ rateLimit: 1_000_000 }), logger, metrics: createMetrics() };
  const { app } = await buildApp({ services, logger, operatorToken: undefined });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

export default defineBench({
  name: 'http',
  description: `HTTP requests over loopback, ${CONCURRENCY} concurrent keep-alive clients`,
  baseline: 'node:http (same JSON)',
  size: { full: 4_000, smoke: 32 },
  unit: 'request',
  cases: [
    { name: 'node:http (same JSON)', setup: bare, run: load, teardown: (t: Target) => t.close() },
    { name: 'custos GET /healthz', setup: () => custos('/healthz'), run: load, teardown: (t: Target) => t.close() },
    {
      name: 'custos 404 (JSON error)',
      setup: () => custos('/no/such/route'),
      run: load,
      teardown: (t: Target) => t.close(),
    },
  ],
});
