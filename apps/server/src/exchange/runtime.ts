/**
 * The exchange behind the OKX-compatible gateway: the API-key store (secrets sealed under a key
 * derived from the server's master key), the OKX-v5 authenticator with its replay guard (in
 * memory, or in Redis when nodes share one), the reference ledger, per-key-and-endpoint rate
 * limits (rate-limiter-flexible, memory or Redis), the anti-fraud engine reading the ledger, and
 * an in-memory balance cache that every ledger write invalidates.
 */
import { hkdfSync } from 'node:crypto';
import { BaseError, Decimal, type Logger } from '@custos/core';
import type { Database } from '@custos/db';
import {
  type AntiFraud,
  type AntiFraudConfig,
  ApiKeyStore,
  AuditLog,
  type BookReads,
  type Clock,
  createAntiFraud,
  createOkxAuthenticator,
  DbKeyIpHistory,
  type FraudFacts,
  type FraudState,
  Ledger,
  type LedgerBalance,
  MemoryFraudState,
  MemoryReplayGuard,
  RedisReplayGuard,
  type ReplayGuard,
  type RiskyOrderNote,
  resolveAntiFraudConfig,
  systemClock,
} from '@custos/exchange';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** OKX's published limits per key and endpoint (requests per window), scaled by `rateScale`. */
export const ENDPOINT_LIMITS: Record<string, { points: number; seconds: number }> = {
  'GET /api/v5/account/balance': { points: 10, seconds: 2 },
  'GET /api/v5/asset/currencies': { points: 6, seconds: 1 },
  'GET /api/v5/asset/balances': { points: 6, seconds: 1 },
  'POST /api/v5/trade/order': { points: 60, seconds: 2 },
  'POST /api/v5/trade/batch-orders': { points: 300, seconds: 2 },
  'POST /api/v5/trade/cancel-order': { points: 60, seconds: 2 },
  'GET /api/v5/trade/order': { points: 60, seconds: 2 },
  'GET /api/v5/trade/orders-pending': { points: 60, seconds: 2 },
  'POST /api/v5/asset/withdrawal': { points: 6, seconds: 1 },
};
const DEFAULT_LIMIT = { points: 20, seconds: 2 };

/** The valuation currency of balances (anti-fraud's "share of the balance"). */
export const VALUATION_CCY = 'USDT';

export interface ExchangeRuntimeOptions {
  db: Database;
  masterKey: Uint8Array;
  logger: Logger;
  redis?: Redis;
  clock?: Clock;
  /** Multiplies every endpoint limit (a benchmark sets it above its offered load). */
  rateScale?: number;
  antiFraud?: Partial<AntiFraudConfig>;
}

export interface GatewayLimiter {
  /** Consumes one request of `apiKey` on `endpoint`; false when over the limit. */
  consume(apiKey: string, endpoint: string): Promise<boolean>;
}

export interface ExchangeRuntime {
  keys: ApiKeyStore;
  authenticator: ReturnType<typeof createOkxAuthenticator>;
  ledger: Ledger;
  limiter: GatewayLimiter;
  audit: AuditLog;
  /** The engine over the ledger's committed state. */
  antiFraud: AntiFraud;
  /** An engine reading through one placing transaction (the book the order will meet). */
  antiFraudFor(reads: BookReads): AntiFraud;
  /** Balances through the cache (invalidated by every ledger write that changes them). */
  balances(accountId: bigint): Promise<LedgerBalance[]>;
  clock: Clock;
  close(): Promise<void>;
}

function derive(masterKey: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', masterKey, new Uint8Array(0), info, 32));
}

/** An exact decimal string ("12.5") at its own scale. */
export function decimal(text: string): Decimal {
  const dot = text.indexOf('.');
  return Decimal.parse(text, dot < 0 ? 0 : text.length - dot - 1);
}

/** The exchange of a server built with one (route modules are registered only then). */
export function exchangeOf(services: { exchange?: ExchangeRuntime | undefined }): ExchangeRuntime {
  if (services.exchange === undefined)
    throw new BaseError('INTERNAL', 'exchange routes registered without the exchange');
  return services.exchange;
}

function createLimiter(redis: Redis | undefined, scale: number): GatewayLimiter {
  const limiters = new Map<string, RateLimiterMemory | RateLimiterRedis>();
  const limiterFor = (endpoint: string) => {
    let limiter = limiters.get(endpoint);
    if (limiter === undefined) {
      const limit = ENDPOINT_LIMITS[endpoint] ?? DEFAULT_LIMIT;
      const points = Math.max(1, Math.round(limit.points * scale));
      const keyPrefix = `custos-okx:${endpoint}`;
      limiter =
        redis === undefined
          ? new RateLimiterMemory({ points, duration: limit.seconds, keyPrefix })
          : new RateLimiterRedis({ storeClient: redis, points, duration: limit.seconds, keyPrefix });
      limiters.set(endpoint, limiter);
    }
    return limiter;
  };
  return {
    async consume(apiKey, endpoint) {
      try {
        await limiterFor(endpoint).consume(apiKey);
        return true;
      } catch (error) {
        if (error instanceof RateLimiterRes) return false;
        throw error;
      }
    },
  };
}

/** What anti-fraud reads, over the ledger (or one placing transaction's reads). */
function factsOver(
  ledger: Ledger,
  reads: BookReads,
  clock: Clock,
  risky: { state: FraudState; windowMs: number },
): FraudFacts {
  const valued = async (ccy: string, amount: Decimal): Promise<Decimal | null> => {
    if (ccy === VALUATION_CCY) return amount;
    const mid = await reads.midPrice(`${ccy}-${VALUATION_CCY}`).catch(() => null);
    if (mid === null) return null;
    const price = decimal(mid);
    return Decimal.fromUnits(amount.units * price.units, amount.scale + price.scale);
  };
  return {
    async mid(instId) {
      const mid = await reads.midPrice(instId).catch(() => null);
      return mid === null ? null : decimal(mid);
    },
    async book(instId, depth) {
      const book = await reads.book(instId, depth);
      const level = (l: { px: string; sz: string }) => ({ px: decimal(l.px), sz: decimal(l.sz) });
      return { bids: book.bids.map(level), asks: book.asks.map(level) };
    },
    async restingOrders(instId, side, depth) {
      const orders = await reads.restingOrders(instId, side, depth);
      return orders.map((o) => ({ accountId: o.accountId, px: decimal(o.px), sz: decimal(o.sz) }));
    },
    // The volume-weighted price of the last hour's trades: a quote alone cannot move it. Fills of
    // orders the engine judged priced as a risk (a victim's buys at an attacker's asks) are left
    // out, on either side: counted, each would raise the reference the next one is judged against.
    async referencePrice(instId) {
      const now = clock.now();
      const fills = await ledger.fills(instId, now - 3_600_000, 1_000);
      const notes = new Map<bigint, readonly RiskyOrderNote[]>();
      const pricedAsRisk = async (accountId: bigint, side: 'buy' | 'sell', ts: number) => {
        let own = notes.get(accountId);
        if (own === undefined) {
          own = await risky.state.riskyOrders(accountId, now, risky.windowMs);
          notes.set(accountId, own);
        }
        return own.some((n) => n.priceRisk && n.instId === instId && n.side === side && n.at <= ts);
      };
      let base = 0n;
      let quote = 0n;
      for (const f of fills) {
        const makerSide = f.takerSide === 'buy' ? 'sell' : 'buy';
        if (await pricedAsRisk(f.takerAccountId, f.takerSide, f.ts)) continue;
        if (await pricedAsRisk(f.makerAccountId, makerSide, f.ts)) continue;
        base += decimal(f.sz).rescale(12).units;
        quote += decimal(f.quoteAmt).rescale(12).units;
      }
      if (base === 0n) return null;
      return Decimal.fromUnits((quote * 10n ** 12n) / base, 12);
    },
    hasTraded: (accountId, instId) => reads.hasTraded(accountId, instId),
    async balanceValue(accountId) {
      let total = Decimal.zero(0);
      for (const b of await reads.balances(accountId)) {
        const value = await valued(b.ccy, decimal(b.total));
        if (value === null) continue;
        const scale = Math.max(total.scale, value.scale);
        total = total.rescale(scale).add(value.rescale(scale));
      }
      return { total };
    },
    quoteValue: valued,
    knownWithdrawalAddress: (accountId, ccy, address) => ledger.isKnownWithdrawalAddress(accountId, address, ccy),
  };
}

export function createExchangeRuntime(options: ExchangeRuntimeOptions): ExchangeRuntime {
  const clock = options.clock ?? systemClock;
  const keys = new ApiKeyStore(options.db, {
    secretsKey: derive(options.masterKey, 'custos/exchange/api-key-secrets/v1'),
    passphraseKey: derive(options.masterKey, 'custos/exchange/api-key-passphrases/v1'),
    clock,
  });
  const replay: ReplayGuard =
    options.redis === undefined ? new MemoryReplayGuard({ clock }) : new RedisReplayGuard(options.redis);
  const authenticator = createOkxAuthenticator({ store: keys, replay, clock });
  const ledger = new Ledger(options.db, {
    clock,
    onListenerError: (error) => options.logger.error({ err: error }, 'ledger listener failed'),
  });
  const audit = new AuditLog(options.db);
  const state = new MemoryFraudState();
  // The window the engine keeps risky orders for (reading notes with another window would prune them).
  const riskyWindowMs = resolveAntiFraudConfig(options.antiFraud ?? {}).riskyOrderWindowMs;
  const ipHistory = new DbKeyIpHistory(options.db);
  const engineOver = (reads: BookReads) =>
    createAntiFraud({
      facts: factsOver(ledger, reads, clock, { state, windowMs: riskyWindowMs }),
      audit,
      state,
      ipHistory,
      clock: () => new Date(clock.now()),
      // API withdrawals go only to addresses a signed-in session (or the operator) allow-listed and
      // that waited out the cooling-off: that was the re-authentication; a first use is recorded.
      config: { newWithdrawalAddressAction: 'flag', ...(options.antiFraud ?? {}) },
    });
  const antiFraud = engineOver(ledger);

  // Balance cache: an entry lives until a ledger write touches the account.
  const cache = new Map<bigint, Promise<LedgerBalance[]>>();
  const unsubscribe = ledger.onBalancesChanged((accountIds) => {
    for (const id of accountIds) cache.delete(id);
  });
  // Fills feed the engine's counterparty picture (who was paid by a risky order).
  const unsubscribeFills = ledger.onFills((fills) => {
    for (const f of fills) {
      antiFraud
        .recordFill({
          at: new Date(f.ts),
          instId: f.instId,
          takerAccountId: f.takerAccountId,
          makerAccountId: f.makerAccountId,
          takerSide: f.takerSide,
          px: decimal(f.px),
          sz: decimal(f.sz),
        })
        .catch((error: unknown) => options.logger.error({ err: error }, 'anti-fraud could not record a fill'));
    }
  });
  const balances = (accountId: bigint): Promise<LedgerBalance[]> => {
    let entry = cache.get(accountId);
    if (entry === undefined) {
      entry = ledger.balances(accountId);
      cache.set(accountId, entry);
      entry.catch(() => cache.delete(accountId));
      if (cache.size > 100_000) cache.delete(cache.keys().next().value as bigint);
    }
    return entry;
  };
  if (!(options.masterKey instanceof Uint8Array) || options.masterKey.length !== 32) {
    throw new BaseError('INVALID_CONFIG', 'the exchange needs the 32-byte master key');
  }
  return {
    keys,
    authenticator,
    ledger,
    limiter: createLimiter(options.redis, options.rateScale ?? 1),
    audit,
    antiFraud,
    antiFraudFor: engineOver,
    balances,
    clock,
    async close() {
      unsubscribe();
      unsubscribeFills();
      cache.clear();
    },
  };
}
