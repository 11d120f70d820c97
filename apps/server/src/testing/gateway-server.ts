/**
 * The server the `gateway` benchmark loads with wrk, in a process of its own (so the load
 * generator and the bench process never share its event loop): the harness app with the exchange
 * on PGlite or on PostgreSQL, its replay guard and rate limits in memory or in Redis, anti-fraud
 * on, every endpoint limit scaled by `rateScale`. It seeds `accounts` accounts holding USDT and
 * BTC and `keys` read keys spread over them, adds the baseline twin of `GET /api/v5/account/balance`
 * (`GET /bench/v5/account/balance`: the same handler, no authentication, the account named by the
 * `x-bench-account` header) — a route of this process only, never of the production table — and
 * prints one JSON line `{port, accounts, keys}` once it listens. It stops on SIGTERM or when its
 * stdin closes.
 *
 * Settings come as one JSON argument: `{accounts, keys, rateScale, cache, postgresUrl?, redisUrl?}`.
 * `cache: false` reads `ledger.balances` directly instead of the runtime's balance cache;
 * `PUT /bench/balance-cache?on=0|1` switches that at run time.
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { ApiKeyPrincipal } from '../access/principals.js';
import { okxErrorHandler } from '../exchange/okx.js';
import { defineRoute, type Route, type RouteModule } from '../http/route.js';
import { okxRoutes } from '../http/routes/okx/index.js';
import { seedUsdtBtc } from './exchange.js';
import { createHarness } from './harness.js';

const settings = z
  .object({
    accounts: z.number().int().min(1).max(10_000),
    keys: z.number().int().min(1).max(100_000),
    rateScale: z.number().positive(),
    cache: z.boolean(),
    postgresUrl: z.string().optional(),
    redisUrl: z.string().optional(),
  })
  .parse(JSON.parse(process.argv[2] ?? '{}'));

const BASELINE_HEADER = 'x-bench-account';

const balanceRoute = okxRoutes.routes.find((r) => r.method === 'GET' && r.url === '/api/v5/account/balance');
if (balanceRoute === undefined) throw new Error('the OKX routes lost GET /api/v5/account/balance');
const balance: Route = balanceRoute;

// The same handler, reached without a key: the account comes from a header.
const baseline = defineRoute({
  method: 'GET',
  url: '/bench/v5/account/balance',
  summary: 'Benchmark baseline: the account balance handler without authentication',
  access: { public: true, perMinute: 1_000_000_000 },
  errorHandler: okxErrorHandler,
  query: z.object({ ccy: z.string().optional() }),
  async handler(context) {
    const header = context.request.headers[BASELINE_HEADER];
    const principal: ApiKeyPrincipal = {
      kind: 'apikey',
      apiKey: 'baseline',
      accountId: BigInt(typeof header === 'string' && /^[0-9]+$/.test(header) ? header : '0'),
      permissions: ['read'],
      brokerId: null,
    };
    return balance.handler({ ...context, principal });
  },
});
// Switches the balance cache on or off between runs (`?on=1` / `?on=0`), so one seeded server
// measures both paths.
let cacheOn = settings.cache;
const cacheSwitch = defineRoute({
  method: 'PUT',
  url: '/bench/balance-cache',
  summary: 'Benchmark only: read balances through the cache or straight from the ledger',
  access: { public: true, perMinute: 1_000_000_000 },
  query: z.object({ on: z.enum(['0', '1']) }),
  async handler({ query }) {
    cacheOn = query.on === '1';
    return { cache: cacheOn };
  },
});
const benchModule: RouteModule = { name: 'bench', routes: [baseline, cacheSwitch] };

const redis =
  settings.redisUrl === undefined
    ? undefined
    : new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
if (redis !== undefined) await redis.connect();

let db: Awaited<ReturnType<typeof import('@custos/db').openPostgres>> | undefined;
if (settings.postgresUrl !== undefined) {
  const { openPostgres } = await import('@custos/db');
  db = await openPostgres({ url: settings.postgresUrl, max: 20 });
}

const h = await createHarness(
  {},
  { modules: [benchModule], ...(redis === undefined ? {} : { redis }) },
  {
    mpc: false,
    ...(db === undefined ? {} : { db }),
    exchange: { rateScale: settings.rateScale, ...(redis === undefined ? {} : { redis }) },
  },
);
const exchange = h.services.exchange;
if (exchange === undefined) throw new Error('no exchange in the harness');
const cached = exchange.balances;
exchange.balances = (accountId) => (cacheOn ? cached(accountId) : exchange.ledger.balances(accountId));

const { ledger, keys } = exchange;
await seedUsdtBtc(ledger);
// Accounts straight into the table: bench accounts never sign in, so no password hashing.
const accountIds: bigint[] = [];
for (let i = 0; i < settings.accounts; i++) {
  const row = await h.db.query<{ id: bigint | string }>(
    'INSERT INTO accounts (name, password_hash) VALUES ($1, $2) RETURNING id',
    [`bench-${i}`, '!'],
  );
  const id = BigInt(row.rows[0]?.id as bigint | string);
  accountIds.push(id);
  await ledger.deposit(id, 'USDT', String(10_000 + i));
  await ledger.deposit(id, 'BTC', '1');
}
const created: { apiKey: string; secretKey: string; passphrase: string; accountId: string }[] = [];
for (let i = 0; i < settings.keys; i++) {
  const accountId = accountIds[i % accountIds.length] as bigint;
  const key = await keys.create(accountId, { label: `bench-${i}`, permissions: ['read'], ipAllowlist: ['127.0.0.1'] });
  created.push({
    apiKey: key.apiKey,
    secretKey: key.secretKey,
    passphrase: key.passphrase,
    accountId: String(accountId),
  });
}

await h.app.listen({ host: '127.0.0.1', port: 0 });
const { port } = h.app.server.address() as { port: number };
process.stdout.write(`${JSON.stringify({ port, accounts: accountIds.map(String), keys: created })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await h.close();
  await db?.close();
  redis?.disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
