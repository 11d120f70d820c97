/**
 * Whole-ledger invariants under many orders: after a seeded random sequence of orders (every
 * type, both sides, two markets sharing a quote currency, fees on) and cancels between five
 * accounts, each asset's balances plus the fees taken equal what was deposited, no balance is
 * negative, what every account has frozen is exactly what its open orders hold, the journal sums
 * to the balances, every order's fills add up, and no book is crossed. Concurrent placements on
 * one market — through Promise.all on PGlite, and from two Ledger instances with their own
 * connection pools on a real PostgreSQL — keep the same invariants.
 */
import { coreMigrations, type Database, exchangeMigrations, openPGlite, openPostgres } from '@custos/db';
import { createTestDatabase } from '@custos/db/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Ledger } from './ledger.js';
import type { OrderRequest, OrderType } from './types.js';

/** xorshift32: a small seeded integer generator. */
function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const units = (text: string, scale: number): bigint => {
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(scale, '0'));
};

/** `units` at `scale` as a plain decimal string. */
const fixed = (n: bigint, scale: number): string => {
  const digits = n.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
};

const SCALES: Record<string, number> = { BTC: 8, ETH: 8, USDT: 6 };

async function setUp(db: Database, ledger: Ledger, accounts: number): Promise<bigint[]> {
  await db.migrate([...(await coreMigrations()), ...(await exchangeMigrations())]);
  await ledger.createAsset({ ccy: 'BTC', scale: 8 });
  await ledger.createAsset({ ccy: 'ETH', scale: 8 });
  await ledger.createAsset({ ccy: 'USDT', scale: 6 });
  await ledger.createMarket({
    instId: 'BTC-USDT',
    tickSz: '0.1',
    lotSz: '0.0001',
    minSz: '0.0001',
    makerFeeBps: 8,
    takerFeeBps: 10,
  });
  await ledger.createMarket({
    instId: 'ETH-USDT',
    tickSz: '0.01',
    lotSz: '0.001',
    minSz: '0.001',
    makerFeeBps: 0,
    takerFeeBps: 25,
  });
  const ids: bigint[] = [];
  for (let i = 0; i < accounts; i++) {
    const r = await db.query<{ id: bigint }>(
      "INSERT INTO accounts (name, password_hash) VALUES ($1, 'x') RETURNING id",
      [`trader-${i}`],
    );
    ids.push((r.rows[0] as { id: bigint }).id);
  }
  return ids;
}

/** Checks every invariant against the tables directly; `deposited` is per asset in units. */
async function checkInvariants(db: Database, ledger: Ledger, deposited: Map<string, bigint>): Promise<void> {
  const sums = await db.query<{ ccy: string; total: string; negative: bigint }>(
    `SELECT ccy, sum(available + frozen)::text AS total, count(*) FILTER (WHERE available < 0 OR frozen < 0) AS negative
       FROM exchange_balances GROUP BY ccy`,
  );
  const fees = await ledger.feesCollected();
  for (const [ccy, amount] of deposited) {
    const row = sums.rows.find((r) => r.ccy === ccy);
    expect(row?.negative).toBe(0n);
    const fee = units(fees[ccy] ?? '0', SCALES[ccy] as number);
    expect(BigInt(row?.total ?? '0') + fee, ccy).toBe(amount);
  }
  // The fees the journal took are the fees the fills record (a taker buy pays in base, etc.).
  const fillFees = await db.query<{ ccy: string; total: string }>(
    `SELECT ccy, sum(fee)::text AS total FROM (
       SELECT CASE WHEN f.taker_side = 'buy' THEN m.base_ccy ELSE m.quote_ccy END AS ccy, f.taker_fee AS fee
         FROM exchange_fills f JOIN exchange_markets m ON m.id = f.market_id
       UNION ALL
       SELECT CASE WHEN f.taker_side = 'buy' THEN m.quote_ccy ELSE m.base_ccy END, f.maker_fee
         FROM exchange_fills f JOIN exchange_markets m ON m.id = f.market_id) t
     GROUP BY ccy`,
  );
  for (const r of fillFees.rows) {
    expect(units(fees[r.ccy] ?? '0', SCALES[r.ccy] as number), `fees ${r.ccy}`).toBe(BigInt(r.total));
  }
  // Frozen balances are exactly what open orders hold.
  const frozen = await db.query<{ n: bigint }>(
    `SELECT count(*) AS n FROM exchange_balances b
      WHERE b.frozen <> coalesce((SELECT sum(o.frozen) FROM exchange_orders o
                                   WHERE o.account_id = b.account_id AND o.frozen_ccy = b.ccy
                                     AND o.state IN ('live', 'partially_filled')), 0)
                      + coalesce((SELECT sum(w.amount + w.fee) FROM exchange_withdrawals w
                                   WHERE w.account_id = b.account_id AND w.ccy = b.ccy AND w.state = 'pending'), 0)`,
  );
  expect(frozen.rows[0]?.n).toBe(0n);
  // Closed orders hold nothing; open ones hold something.
  const holding = await db.query<{ n: bigint }>(
    `SELECT count(*) AS n FROM exchange_orders
      WHERE (state IN ('filled', 'canceled') AND frozen <> 0) OR (state IN ('live', 'partially_filled') AND frozen <= 0)`,
  );
  expect(holding.rows[0]?.n).toBe(0n);
  // The journal sums to the balances.
  const journal = await db.query<{ n: bigint }>(
    `SELECT count(*) AS n FROM exchange_balances b
      WHERE b.available <> coalesce((SELECT sum(delta) FROM exchange_journal j
                                      WHERE j.account_id = b.account_id AND j.ccy = b.ccy AND j.bucket = 'available'), 0)
         OR b.frozen <> coalesce((SELECT sum(delta) FROM exchange_journal j
                                   WHERE j.account_id = b.account_id AND j.ccy = b.ccy AND j.bucket = 'frozen'), 0)`,
  );
  expect(journal.rows[0]?.n).toBe(0n);
  // Every order's fills add up to its filled size, and never past its size (base-sized orders).
  const fills = await db.query<{ n: bigint }>(
    `SELECT count(*) AS n FROM exchange_orders o
      WHERE o.acc_fill_sz <> coalesce((SELECT sum(sz) FROM exchange_fills f
                                        WHERE f.taker_order_id = o.id OR f.maker_order_id = o.id), 0)
         OR (o.tgt_ccy = 'base_ccy' AND o.acc_fill_sz > o.sz)
         OR (o.state = 'filled' AND o.tgt_ccy = 'base_ccy' AND o.acc_fill_sz <> o.sz)
         OR (o.state = 'live' AND o.acc_fill_sz <> 0)`,
  );
  expect(fills.rows[0]?.n).toBe(0n);
  // No book is crossed.
  for (const instId of ['BTC-USDT', 'ETH-USDT']) {
    const book = await ledger.book(instId, 1);
    const bid = book.bids[0];
    const ask = book.asks[0];
    if (bid !== undefined && ask !== undefined) {
      expect(units(bid.px, 2) < units(ask.px, 2), `${instId} ${bid.px} < ${ask.px}`).toBe(true);
    }
  }
}

const TYPES: readonly OrderType[] = ['limit', 'limit', 'limit', 'limit', 'post_only', 'ioc', 'fok', 'market'];

/** A random order near the mid: prices within ±2 % of 30000 / 2000 on the tick, sizes in lots. */
function randomOrder(rand: (n: number) => number): OrderRequest {
  const btc = rand(2) === 0;
  const side = rand(2) === 0 ? 'buy' : 'sell';
  const ordType = TYPES[rand(TYPES.length)] as OrderType;
  const instId = btc ? 'BTC-USDT' : 'ETH-USDT';
  // Buyers lean lower and sellers higher, so books build up and also cross.
  const offset = rand(801) - 400 + (side === 'buy' ? -100 : 100);
  const px = btc ? `${30000 + offset}.${rand(10)}` : `${2000 + (offset % 40)}.${rand(100)}`;
  const lots = BigInt(1 + rand(btc ? 5000 : 3000));
  const sz = btc ? fixed(lots, 4) : fixed(lots, 3);
  if (ordType === 'market') {
    if (side === 'buy' && rand(2) === 0) return { instId, side, ordType, sz: `${100 + rand(20_000)}.${rand(100)}` };
    return { instId, side, ordType, sz, tgtCcy: 'base_ccy' };
  }
  return { instId, side, ordType, px, sz };
}

describe('conservation', () => {
  let db: Database | undefined;
  afterAll(async () => db?.close());

  it('holds after 500 random orders and cancels between 5 accounts (seed 20260101)', async () => {
    db = await openPGlite();
    const ledger = new Ledger(db);
    const ids = await setUp(db, ledger, 5);
    const deposited = new Map<string, bigint>([
      ['BTC', 0n],
      ['ETH', 0n],
      ['USDT', 0n],
    ]);
    const credit = async (id: bigint, ccy: string, amount: string) => {
      await ledger.deposit(id, ccy, amount);
      deposited.set(ccy, (deposited.get(ccy) as bigint) + units(amount, SCALES[ccy] as number));
    };
    for (const id of ids) {
      await credit(id, 'BTC', '3');
      await credit(id, 'ETH', '40');
      await credit(id, 'USDT', '150000.123456');
    }
    const rand = prng(20260101);
    const outcomes = new Map<string, number>();
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    let changedCalls = 0;
    ledger.onBalancesChanged(() => changedCalls++);
    for (let i = 0; i < 500; i++) {
      const id = ids[rand(ids.length)] as bigint;
      if (i % 50 === 49) await credit(id, 'USDT', `${1 + rand(5000)}`);
      if (rand(10) === 0) {
        const open = await ledger.openOrders(id);
        const victim = open[rand(Math.max(open.length, 1))];
        if (victim !== undefined) {
          await ledger.cancelOrder(id, { instId: victim.instId, ordId: victim.ordId });
          count('cancel');
        }
      }
      const order = randomOrder(rand);
      try {
        const placed = await ledger.placeOrder(id, order);
        count(`${order.ordType}:${placed.state}${placed.cancelSource ? `:${placed.cancelSource}` : ''}`);
      } catch (error) {
        expect((error as { code?: string }).code).toBe('EXCHANGE_INSUFFICIENT_FUNDS');
        count('insufficient');
      }
    }
    const fills = await db.query<{ n: bigint }>('SELECT count(*) AS n FROM exchange_fills');
    // The sequence exercised what it should: fills, resting orders, every way of ending.
    expect(fills.rows[0]?.n).toBeGreaterThan(150n);
    for (const k of ['limit:filled', 'limit:live', 'cancel', 'fok:canceled:fok', 'post_only:canceled:post_only']) {
      expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
    }
    expect([...outcomes.keys()].some((k) => k.endsWith(':self_trade'))).toBe(true);
    expect([...outcomes.keys()].some((k) => k.startsWith('market:'))).toBe(true);
    expect(changedCalls).toBeGreaterThan(300);
    await checkInvariants(db, ledger, deposited);
  });

  it('two concurrent placements on one market through Promise.all stay consistent (ask 1; two bids of 0.7)', async () => {
    const pg = await openPGlite();
    try {
      const ledger = new Ledger(pg);
      const [seller, b1, b2] = (await setUp(pg, ledger, 3)) as [bigint, bigint, bigint];
      await ledger.deposit(seller, 'BTC', '1');
      await ledger.deposit(b1, 'USDT', '30000');
      await ledger.deposit(b2, 'USDT', '30000');
      await ledger.placeOrder(seller, { instId: 'BTC-USDT', side: 'sell', ordType: 'limit', px: '30000', sz: '1' });
      const bid = { instId: 'BTC-USDT', side: 'buy', ordType: 'limit', px: '30000', sz: '0.7' } as const;
      const [x, y] = await Promise.all([ledger.placeOrder(b1, bid), ledger.placeOrder(b2, bid)]);
      expect([x.accFillSz, y.accFillSz].sort()).toEqual(['0.3', '0.7']);
      expect([x.state, y.state].sort()).toEqual(['filled', 'partially_filled']);
      expect(await ledger.book('BTC-USDT', 5)).toEqual({ bids: [{ px: '30000', sz: '0.4' }], asks: [] });
      await checkInvariants(
        pg,
        ledger,
        new Map([
          ['BTC', 100_000_000n],
          ['USDT', 60_000_000_000n],
        ]),
      );
    } finally {
      await pg.close();
    }
  });

  it('two Ledger instances with their own pools on one PostgreSQL stay consistent (120 concurrent orders, 2 markets)', async () => {
    const created = await createTestDatabase(inject('postgresUrl'));
    const a = await openPostgres({ url: created.url, max: 6 });
    const b = await openPostgres({ url: created.url, max: 6 });
    try {
      const ledgerA = new Ledger(a);
      const ledgerB = new Ledger(b);
      const ids = await setUp(a, ledgerA, 4);
      const deposited = new Map<string, bigint>([
        ['BTC', 0n],
        ['ETH', 0n],
        ['USDT', 0n],
      ]);
      for (const id of ids) {
        for (const [ccy, amount] of [
          ['BTC', '5'],
          ['ETH', '50'],
          ['USDT', '300000'],
        ] as const) {
          await ledgerA.deposit(id, ccy, amount);
          deposited.set(ccy, (deposited.get(ccy) as bigint) + units(amount, SCALES[ccy] as number));
        }
      }
      const rand = prng(7);
      const jobs: Promise<unknown>[] = [];
      for (let i = 0; i < 120; i++) {
        const ledger = i % 2 === 0 ? ledgerA : ledgerB;
        const id = ids[rand(ids.length)] as bigint;
        const order = randomOrder(rand);
        jobs.push(
          ledger.placeOrder(id, order).catch((error: { code?: string }) => {
            if (error.code !== 'EXCHANGE_INSUFFICIENT_FUNDS') throw error;
          }),
        );
      }
      await Promise.all(jobs);
      const fills = await a.query<{ n: bigint }>('SELECT count(*) AS n FROM exchange_fills');
      expect(fills.rows[0]?.n).toBeGreaterThan(20n);
      await checkInvariants(a, ledgerA, deposited);
    } finally {
      await a.close();
      await b.close();
      await created.drop();
    }
  });
});
