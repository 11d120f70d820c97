/**
 * The ledger's balances and order matching on an in-memory PGlite: deposits (idempotent on tx
 * id), limit orders resting and matching at the maker's price with partial fills, price-time
 * priority, market orders sized in quote or base walking the book, IOC / FOK / post-only, cancel
 * releasing exactly what was frozen, refusals that leave nothing changed, self-trade prevention,
 * fees, and the book reads the gateway and the anti-fraud engine use. Every test checks the
 * journal still sums to the balances.
 */
import { coreMigrations, type Database, exchangeMigrations, openPGlite } from '@custos/db';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Ledger } from './ledger.js';
import type { LedgerClock } from './types.js';

let db: Database;
let now = Date.UTC(2026, 0, 1);
const clock: LedgerClock = { now: () => now };
let ledger: Ledger;
let seq = 0;
let accounts = 0;

beforeAll(async () => {
  db = await openPGlite();
  await db.migrate([...(await coreMigrations()), ...(await exchangeMigrations())]);
  ledger = new Ledger(db, { clock });
  await ledger.createAsset({ ccy: 'BTC', scale: 8, chains: [{ chain: 'BTC-Bitcoin', minWd: '0.001', fee: '0.0002' }] });
  await ledger.createAsset({ ccy: 'USDT', scale: 6 });
  await ledger.createAsset({ ccy: 'USD', scale: 2 });
});
afterAll(async () => db?.close());

/** A fresh market per test (its own book), BTC-<quote> style names are taken, so bases are new assets. */
let market: string;
beforeEach(async () => {
  seq++;
  const base = `B${seq}`;
  await ledger.createAsset({ ccy: base, scale: 8 });
  market = `${base}-USDT`;
  await ledger.createMarket({ instId: market, tickSz: '0.1', lotSz: '0.0001', minSz: '0.001' });
});
const baseOf = (instId: string) => instId.split('-')[0] as string;

async function account(): Promise<bigint> {
  const r = await db.query<{ id: bigint }>("INSERT INTO accounts (name, password_hash) VALUES ($1, 'x') RETURNING id", [
    `acct-${++accounts}`,
  ]);
  return (r.rows[0] as { id: bigint }).id;
}

async function funded(amounts: Record<string, string>): Promise<bigint> {
  const id = await account();
  for (const [ccy, amount] of Object.entries(amounts)) await ledger.deposit(id, ccy, amount);
  return id;
}

async function bal(id: bigint, ccy: string): Promise<{ available: string; frozen: string }> {
  const [b] = await ledger.balances(id, [ccy]);
  return { available: b?.available ?? '?', frozen: b?.frozen ?? '?' };
}

/** Every (account, ccy, bucket): the journal's deltas sum to the balance. */
async function expectJournalMatches(): Promise<void> {
  const r = await db.query<{ n: bigint }>(
    `SELECT count(*) AS n FROM exchange_balances b
      WHERE b.available <> coalesce((SELECT sum(delta) FROM exchange_journal j
                                      WHERE j.account_id = b.account_id AND j.ccy = b.ccy AND j.bucket = 'available'), 0)
         OR b.frozen <> coalesce((SELECT sum(delta) FROM exchange_journal j
                                   WHERE j.account_id = b.account_id AND j.ccy = b.ccy AND j.bucket = 'frozen'), 0)`,
  );
  expect(r.rows[0]?.n).toBe(0n);
}

async function snapshot(): Promise<string> {
  const parts = await Promise.all([
    db.query('SELECT account_id::text, ccy, available::text, frozen::text FROM exchange_balances ORDER BY 1, 2'),
    db.query('SELECT count(*)::text AS n FROM exchange_orders'),
    db.query('SELECT count(*)::text AS n FROM exchange_journal'),
    db.query('SELECT count(*)::text AS n FROM exchange_fills'),
    db.query('SELECT count(*)::text AS n FROM exchange_withdrawals'),
  ]);
  return JSON.stringify(parts.map((p) => p.rows));
}

describe('deposits and balances', () => {
  it('credits deposits exactly, once per tx id, and tells the balance listener (3 deposits, 1 repeat)', async () => {
    const id = await account();
    const seen: bigint[][] = [];
    const off = ledger.onBalancesChanged((ids) => seen.push(ids));
    try {
      const first = await ledger.deposit(id, 'BTC', '1.5', { txId: 'tx-a' });
      expect(first.credited).toBe(true);
      expect(await ledger.deposit(id, 'BTC', '1.50000000', { txId: 'tx-a' })).toEqual({
        depId: first.depId,
        credited: false,
      });
      await ledger.deposit(id, 'BTC', '0.00000001');
      await ledger.deposit(id, 'USDT', '100.000001');
      expect(await ledger.balances(id)).toEqual([
        { ccy: 'BTC', available: '1.50000001', frozen: '0', total: '1.50000001' },
        { ccy: 'USDT', available: '100.000001', frozen: '0', total: '100.000001' },
      ]);
      expect(seen).toEqual([[id], [id], [id]]);
    } finally {
      off();
    }
    await expect(ledger.deposit(id, 'BTC', '2', { txId: 'tx-a' })).rejects.toMatchObject({
      code: 'EXCHANGE_INVALID_REQUEST',
    });
    await expect(ledger.deposit(id, 'USDT', '0.0000001')).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    await expect(ledger.deposit(id, 'USDT', '-1')).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    await expect(ledger.deposit(id, 'USDT', '1e3')).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    await expect(ledger.deposit(id, 'DOGE', '1')).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    await expect(ledger.deposit(999_999n, 'BTC', '1')).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    await expectJournalMatches();
  });

  it('lists assets with their chains and markets with their rules (3 assets, 1 market, 6 refusals)', async () => {
    const assets = await ledger.listAssets();
    expect(assets.find((a) => a.ccy === 'BTC')).toEqual({
      ccy: 'BTC',
      scale: 8,
      name: '',
      chains: [{ chain: 'BTC-Bitcoin', minWd: '0.001', fee: '0.0002', canDep: true, canWd: true }],
    });
    expect(await ledger.market(market)).toEqual({
      instId: market,
      baseCcy: baseOf(market),
      quoteCcy: 'USDT',
      tickSz: '0.1',
      lotSz: '0.0001',
      minSz: '0.001',
      makerFeeBps: 0,
      takerFeeBps: 0,
      state: 'live',
    });
    await expect(ledger.createAsset({ ccy: 'BTC', scale: 8 })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(ledger.createAsset({ ccy: 'XX', scale: 9 })).rejects.toMatchObject({
      code: 'EXCHANGE_INVALID_REQUEST',
    });
    await expect(ledger.createAsset({ ccy: 'btc', scale: 8 })).rejects.toMatchObject({
      code: 'EXCHANGE_INVALID_REQUEST',
    });
    await expect(
      ledger.createMarket({ instId: 'BTC-USDT', tickSz: '0.1', lotSz: '0.000000001', minSz: '0.001' }),
    ).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    await expect(
      ledger.createMarket({ instId: 'BTC-USDT', tickSz: '0.1', lotSz: '0.0003', minSz: '0.001' }),
    ).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    await expect(
      ledger.createMarket({ instId: market, tickSz: '0.1', lotSz: '0.0001', minSz: '0.001' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('limit orders', () => {
  it('rests, then matches at the maker price with partial fills (ask 1 @ 30000; bids 0.4 @ 30100, 0.8 @ 30000)', async () => {
    const base = baseOf(market);
    const seller = await funded({ [base]: '1' });
    const buyer = await funded({ USDT: '100000' });
    const ask = await ledger.placeOrder(seller, {
      instId: market,
      side: 'sell',
      ordType: 'limit',
      px: '30000',
      sz: '1',
    });
    expect(ask).toMatchObject({ state: 'live', fills: [], accFillSz: '0', avgPx: '', clOrdId: '' });
    expect(await bal(seller, base)).toEqual({ available: '0', frozen: '1' });

    const bid = await ledger.placeOrder(buyer, {
      instId: market,
      side: 'buy',
      ordType: 'limit',
      px: '30100',
      sz: '0.4',
      clOrdId: 'b1',
    });
    expect(bid).toMatchObject({ state: 'filled', accFillSz: '0.4', avgPx: '30000', clOrdId: 'b1' });
    expect(bid.fills).toHaveLength(1);
    expect(bid.fills[0]).toMatchObject({ px: '30000', sz: '0.4', fee: '0', feeCcy: base, role: 'taker', ts: now });
    // Paid 12000 at the maker's price; the 40 of price improvement frozen at 30100 went back.
    expect(await bal(buyer, 'USDT')).toEqual({ available: '88000', frozen: '0' });
    expect(await bal(buyer, base)).toEqual({ available: '0.4', frozen: '0' });
    expect(await bal(seller, 'USDT')).toEqual({ available: '12000', frozen: '0' });
    expect(await bal(seller, base)).toEqual({ available: '0', frozen: '0.6' });
    expect(await ledger.getOrder(seller, { instId: market, ordId: ask.ordId })).toMatchObject({
      state: 'partially_filled',
      accFillSz: '0.4',
      avgPx: '30000',
      frozen: '0.6',
    });

    const second = await ledger.placeOrder(buyer, {
      instId: market,
      side: 'buy',
      ordType: 'limit',
      px: '30000',
      sz: '0.8',
    });
    expect(second).toMatchObject({ state: 'partially_filled', accFillSz: '0.6', avgPx: '30000' });
    expect(await ledger.getOrder(seller, { instId: market, ordId: ask.ordId })).toMatchObject({
      state: 'filled',
      frozen: '0',
    });
    // 0.2 rests at 30000: 6000 frozen.
    expect(await bal(buyer, 'USDT')).toEqual({ available: '64000', frozen: '6000' });
    expect(await ledger.openOrders(buyer, market)).toEqual([
      expect.objectContaining({ ordId: second.ordId, state: 'partially_filled', sz: '0.8', frozen: '6000' }),
    ]);
    expect(await ledger.book(market, 5)).toEqual({ bids: [{ px: '30000', sz: '0.2' }], asks: [] });
    await expectJournalMatches();
  });

  it('matches best price first, then oldest first within a price (asks 1 @ 30000, 1 @ 29900, 1 @ 30000; bid 1.5)', async () => {
    const base = baseOf(market);
    const [a1, a2, a3] = [
      await funded({ [base]: '1' }),
      await funded({ [base]: '1' }),
      await funded({ [base]: '1.01' }),
    ] as [bigint, bigint, bigint];
    const buyer = await funded({ USDT: '200000' });
    // Prices compare as numbers, not as their digits: 100000 is the worst ask, 9999.9 the best bid.
    await ledger.placeOrder(a3, { instId: market, side: 'sell', ordType: 'limit', px: '100000', sz: '0.01' });
    const o1 = await ledger.placeOrder(a1, { instId: market, side: 'sell', ordType: 'limit', px: '30000', sz: '1' });
    const o2 = await ledger.placeOrder(a2, { instId: market, side: 'sell', ordType: 'limit', px: '29900', sz: '1' });
    const o3 = await ledger.placeOrder(a3, { instId: market, side: 'sell', ordType: 'limit', px: '30000', sz: '1' });
    await ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'limit', px: '9999.9', sz: '0.01' });
    await ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'limit', px: '10000', sz: '0.01' });
    await ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'limit', px: '100', sz: '0.01' });
    const taker = await ledger.placeOrder(buyer, {
      instId: market,
      side: 'buy',
      ordType: 'limit',
      px: '100000',
      sz: '1.5',
    });
    expect(taker.fills.map((f) => [f.px, f.sz])).toEqual([
      ['29900', '1'],
      ['30000', '0.5'],
    ]);
    expect(taker.avgPx).toBe('29933.333333333'); // (29900 + 15000) / 1.5, truncated at 1 + 8 decimals
    const fills = await ledger.fills(market, 0);
    expect(fills.map((f) => f.makerOrdId)).toEqual([o2.ordId, o1.ordId]);
    expect(fills[0]).toMatchObject({ takerAccountId: buyer, makerAccountId: a2, takerSide: 'buy', quoteAmt: '29900' });
    expect((await ledger.getOrder(a3, { instId: market, ordId: o3.ordId })).state).toBe('live');
    expect(await ledger.book(market, 10)).toEqual({
      bids: [
        { px: '10000', sz: '0.01' },
        { px: '9999.9', sz: '0.01' },
        { px: '100', sz: '0.01' },
      ],
      asks: [
        { px: '30000', sz: '1.5' },
        { px: '100000', sz: '0.01' },
      ],
    });
    const seller = await funded({ [base]: '1' });
    const sold = await ledger.placeOrder(seller, { instId: market, side: 'sell', ordType: 'market', sz: '0.02' });
    expect(sold.fills.map((f) => f.px)).toEqual(['10000', '9999.9']);
    await expectJournalMatches();
  });

  it('truncates a fill to the quote scale for both sides and freezes rounded up (USD at 2 decimals, 0.0003 @ 30000.1)', async () => {
    const inst = `${baseOf(market)}-USD`;
    await ledger.createMarket({ instId: inst, tickSz: '0.1', lotSz: '0.0001', minSz: '0.0001' });
    const seller = await funded({ [baseOf(market)]: '1' });
    const buyer = await funded({ USD: '100' });
    const bid = await ledger.placeOrder(buyer, {
      instId: inst,
      side: 'buy',
      ordType: 'limit',
      px: '30000.1',
      sz: '0.0003',
    });
    // 9.00003 USD, frozen as 9.01.
    expect(bid.state).toBe('live');
    expect(await bal(buyer, 'USD')).toEqual({ available: '90.99', frozen: '9.01' });
    const ask = await ledger.placeOrder(seller, {
      instId: inst,
      side: 'sell',
      ordType: 'limit',
      px: '30000',
      sz: '0.0003',
    });
    expect(ask).toMatchObject({ state: 'filled', avgPx: '30000.1' });
    expect(await bal(buyer, 'USD')).toEqual({ available: '91', frozen: '0' });
    expect(await bal(seller, 'USD')).toEqual({ available: '9', frozen: '0' });
    expect((await ledger.fills(inst, 0))[0]).toMatchObject({ quoteAmt: '9', px: '30000.1', sz: '0.0003' });
    await expectJournalMatches();
  });

  it('refuses prices off the tick, sizes off the lot or under the minimum, and bad fields (14 requests)', async () => {
    const buyer = await funded({ USDT: '100000' });
    const place = (o: Record<string, unknown>) =>
      ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'limit', px: '100', sz: '0.01', ...o } as never);
    const before = await snapshot();
    for (const bad of [
      { px: '100.05' },
      { px: '0' },
      { px: '-1' },
      { sz: '0.00015' },
      { sz: '0.0009' },
      { sz: '0.000000001' },
      { px: undefined },
      { side: 'long' },
      { ordType: 'stop' },
      { clOrdId: 'has-dash' },
      { clOrdId: 'x'.repeat(33) },
      { tag: 'x'.repeat(17) },
      { tgtCcy: 'quote_ccy' },
    ]) {
      await expect(place(bad), JSON.stringify(bad)).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    }
    await expect(place({ instId: 'NOPE-USDT' })).rejects.toMatchObject({ code: 'EXCHANGE_MARKET_NOT_FOUND' });
    // Trailing zeros are fine: "100.10" is on the 0.1 tick.
    await expect(place({ px: '100.10', sz: '0.0010' })).resolves.toMatchObject({ state: 'live' });
    expect(await snapshot()).not.toBe(before);
    await ledger.setMarketState(market, 'suspend');
    await expect(place({})).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    await ledger.setMarketState(market, 'live');
  });

  it('refuses an order the balance cannot cover, with nothing changed (buy 1 @ 30000 with 29999.99)', async () => {
    const base = baseOf(market);
    const buyer = await funded({ USDT: '29999.99' });
    const seller = await funded({ [base]: '0.5' });
    const poor = await funded({ USDT: '100' });
    await ledger.placeOrder(seller, { instId: market, side: 'sell', ordType: 'limit', px: '29000', sz: '0.5' });
    const before = await snapshot();
    const seen: bigint[][] = [];
    const off = ledger.onBalancesChanged((ids) => seen.push(ids));
    await expect(
      ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'limit', px: '30000', sz: '1' }),
    ).rejects.toMatchObject({ code: 'EXCHANGE_INSUFFICIENT_FUNDS', details: { ccy: 'USDT', required: '30000' } });
    await expect(
      ledger.placeOrder(seller, { instId: market, side: 'sell', ordType: 'limit', px: '30000', sz: '0.001' }),
    ).rejects.toMatchObject({ code: 'EXCHANGE_INSUFFICIENT_FUNDS' });
    await expect(
      ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'market', sz: '30000' }),
    ).rejects.toMatchObject({ code: 'EXCHANGE_INSUFFICIENT_FUNDS' });
    await expect(
      ledger.placeOrder(poor, { instId: market, side: 'buy', ordType: 'market', sz: '0.01', tgtCcy: 'base_ccy' }),
    ).rejects.toMatchObject({ code: 'EXCHANGE_INSUFFICIENT_FUNDS' });
    off();
    expect(seen).toEqual([]);
    expect(await snapshot()).toBe(before);
  });

  it('cancel releases exactly what was frozen, by ordId or clOrdId (bid 0.3333 @ 29999.9)', async () => {
    const buyer = await funded({ USDT: '20000' });
    const placed = await ledger.placeOrder(buyer, {
      instId: market,
      side: 'buy',
      ordType: 'limit',
      px: '29999.9',
      sz: '0.3333',
      clOrdId: 'c1',
      tag: 'desk7',
    });
    // 29999.9 × 0.3333 = 9998.96667 → 9998.966670 frozen (exact at 6 decimals).
    expect(await bal(buyer, 'USDT')).toEqual({ available: '10001.03333', frozen: '9998.96667' });
    await expect(
      ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'limit', px: '1', sz: '0.001', clOrdId: 'c1' }),
    ).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST', details: { reason: 'duplicate_cl_ord_id' } });
    const canceled = await ledger.cancelOrder(buyer, { instId: market, clOrdId: 'c1' });
    expect(canceled).toMatchObject({
      ordId: placed.ordId,
      state: 'canceled',
      cancelSource: 'user',
      frozen: '0',
      tag: 'desk7',
    });
    expect(await bal(buyer, 'USDT')).toEqual({ available: '20000', frozen: '0' });
    await expect(ledger.cancelOrder(buyer, { instId: market, ordId: placed.ordId })).rejects.toMatchObject({
      code: 'EXCHANGE_ORDER_NOT_FOUND',
      details: { state: 'canceled' },
    });
    await expect(ledger.cancelOrder(buyer, { instId: market, ordId: '987654321' })).rejects.toMatchObject({
      code: 'EXCHANGE_ORDER_NOT_FOUND',
    });
    // Another account cannot see or cancel it.
    const other = await account();
    await expect(ledger.getOrder(other, { instId: market, ordId: placed.ordId })).rejects.toMatchObject({
      code: 'EXCHANGE_ORDER_NOT_FOUND',
    });
    // The clOrdId is free again once the order is closed.
    const again = await ledger.placeOrder(buyer, {
      instId: market,
      side: 'buy',
      ordType: 'limit',
      px: '1',
      sz: '0.001',
      clOrdId: 'c1',
    });
    expect((await ledger.getOrder(buyer, { instId: market, clOrdId: 'c1' })).ordId).toBe(again.ordId);
    // A partially filled order releases only its unfilled rest.
    const seller = await funded({ [baseOf(market)]: '0.5' });
    const bid = await ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'limit', px: '100.3', sz: '1' });
    await ledger.placeOrder(seller, { instId: market, side: 'sell', ordType: 'ioc', px: '100', sz: '0.25' });
    expect(await bal(buyer, 'USDT')).toEqual({ available: '19899.699', frozen: '75.226' });
    await ledger.cancelOrder(buyer, { instId: market, ordId: bid.ordId });
    await ledger.cancelOrder(buyer, { instId: market, ordId: again.ordId });
    expect(await bal(buyer, 'USDT')).toEqual({ available: '19974.925', frozen: '0' });
    await expectJournalMatches();
  });
});

describe('immediate orders', () => {
  async function bookOf(asks: [string, string][], bids: [string, string][] = []): Promise<bigint> {
    const base = baseOf(market);
    const maker = await funded({ [base]: '100', USDT: '10000000' });
    for (const [px, sz] of asks)
      await ledger.placeOrder(maker, { instId: market, side: 'sell', ordType: 'limit', px, sz });
    for (const [px, sz] of bids)
      await ledger.placeOrder(maker, { instId: market, side: 'buy', ordType: 'limit', px, sz });
    return maker;
  }

  it('a market buy spends its quote amount across several levels, buying whole lots (10000 USDT over 0.1, 0.2, 1)', async () => {
    await bookOf([
      ['30000', '0.1'],
      ['30100', '0.2'],
      ['30200', '1'],
    ]);
    const buyer = await funded({ USDT: '10000' });
    const order = await ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'market', sz: '10000' });
    // 3000 + 6020 = 9020; 980 buys 0.0324 at 30200 (978.48); the 1.52 left cannot buy one more lot.
    expect(order.fills.map((f) => [f.px, f.sz])).toEqual([
      ['30000', '0.1'],
      ['30100', '0.2'],
      ['30200', '0.0324'],
    ]);
    expect(order).toMatchObject({ state: 'filled', accFillSz: '0.3324', cancelSource: null });
    expect(order.avgPx).toBe('30079.663056558'); // 9998.48 / 0.3324, truncated at 1 + 8 decimals
    expect(await bal(buyer, 'USDT')).toEqual({ available: '1.52', frozen: '0' });
    expect(await bal(buyer, baseOf(market))).toEqual({ available: '0.3324', frozen: '0' });
    expect((await ledger.getOrder(buyer, { instId: market, ordId: order.ordId })).tgtCcy).toBe('quote_ccy');
    await expectJournalMatches();
  });

  it('a market order whose book runs out is canceled with its fills; base-sized buys and sells walk the book (2 asks, 2 bids, 5 orders)', async () => {
    await bookOf(
      [
        ['30000', '0.1'],
        ['30100', '0.2'],
      ],
      [
        ['29000', '0.5'],
        ['28000', '0.5'],
      ],
    );
    const buyer = await funded({ USDT: '50000' });
    const all = await ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'market', sz: '20000' });
    expect(all).toMatchObject({ state: 'canceled', cancelSource: 'market', accFillSz: '0.3' });
    expect(await bal(buyer, 'USDT')).toEqual({ available: '40980', frozen: '0' });
    const seller = await funded({ [baseOf(market)]: '2' });
    const sell = await ledger.placeOrder(seller, { instId: market, side: 'sell', ordType: 'market', sz: '0.7' });
    expect(sell).toMatchObject({ state: 'filled', accFillSz: '0.7' });
    expect(sell.fills.map((f) => [f.px, f.sz])).toEqual([
      ['29000', '0.5'],
      ['28000', '0.2'],
    ]);
    expect(await bal(seller, 'USDT')).toEqual({ available: '20100', frozen: '0' });
    expect(await bal(seller, baseOf(market))).toEqual({ available: '1.3', frozen: '0' });
    const byBase = await ledger.placeOrder(buyer, {
      instId: market,
      side: 'buy',
      ordType: 'market',
      sz: '0.1',
      tgtCcy: 'base_ccy',
    });
    expect(byBase).toMatchObject({ state: 'canceled', accFillSz: '0' }); // no asks left
    await bookOf([['31000', '1']]);
    const byBase2 = await ledger.placeOrder(buyer, {
      instId: market,
      side: 'buy',
      ordType: 'market',
      sz: '0.1',
      tgtCcy: 'base_ccy',
    });
    expect(byBase2).toMatchObject({ state: 'filled', accFillSz: '0.1', avgPx: '31000' });
    expect(await bal(buyer, 'USDT')).toEqual({ available: '37880', frozen: '0' });
    const byQuote = await ledger.placeOrder(seller, {
      instId: market,
      side: 'sell',
      ordType: 'market',
      sz: '5000',
      tgtCcy: 'quote_ccy',
    });
    // 0.3 left at 28000 = 8400 ≥ 5000: sells floor(5000 / 28000) lots = 0.1785 for 4998.
    expect(byQuote).toMatchObject({ state: 'filled', accFillSz: '0.1785' });
    expect(await bal(seller, 'USDT')).toEqual({ available: '25098', frozen: '0' });
    await expectJournalMatches();
  });

  it('IOC fills what it can and cancels the rest (ask 0.5; IOC buy 0.8)', async () => {
    await bookOf([['30000', '0.5']]);
    const buyer = await funded({ USDT: '50000' });
    const ioc = await ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'ioc', px: '30000', sz: '0.8' });
    expect(ioc).toMatchObject({ state: 'canceled', cancelSource: 'ioc', accFillSz: '0.5' });
    expect(await bal(buyer, 'USDT')).toEqual({ available: '35000', frozen: '0' });
    expect((await ledger.book(market, 5)).bids).toEqual([]);
    const none = await ledger.placeOrder(buyer, {
      instId: market,
      side: 'buy',
      ordType: 'ioc',
      px: '30000',
      sz: '0.8',
    });
    expect(none).toMatchObject({ state: 'canceled', accFillSz: '0', fills: [] });
    await expectJournalMatches();
  });

  it('FOK fills entirely or not at all (asks 0.5 + 0.2; FOK 0.8 then 0.7)', async () => {
    await bookOf([
      ['30000', '0.5'],
      ['30100', '0.2'],
    ]);
    const buyer = await funded({ USDT: '50000' });
    const before = await snapshot();
    const fail = await ledger.placeOrder(buyer, {
      instId: market,
      side: 'buy',
      ordType: 'fok',
      px: '30100',
      sz: '0.8',
    });
    expect(fail).toMatchObject({ state: 'canceled', cancelSource: 'fok', fills: [], accFillSz: '0' });
    expect(await bal(buyer, 'USDT')).toEqual({ available: '50000', frozen: '0' });
    expect(await ledger.book(market, 5)).toEqual({
      bids: [],
      asks: [
        { px: '30000', sz: '0.5' },
        { px: '30100', sz: '0.2' },
      ],
    });
    expect(await snapshot()).not.toBe(before); // the canceled order is recorded
    const ok = await ledger.placeOrder(buyer, { instId: market, side: 'buy', ordType: 'fok', px: '30100', sz: '0.7' });
    expect(ok).toMatchObject({ state: 'filled', accFillSz: '0.7' });
    expect(await bal(buyer, 'USDT')).toEqual({ available: '28980', frozen: '0' });
    await expectJournalMatches();
  });

  it('post-only rests when it would not cross and is canceled when it would (book 0.5 / 0.5; 3 orders)', async () => {
    await bookOf([['30000', '0.5']], [['29000', '0.5']]);
    const trader = await funded({ USDT: '50000', [baseOf(market)]: '1' });
    const cross = await ledger.placeOrder(trader, {
      instId: market,
      side: 'buy',
      ordType: 'post_only',
      px: '30000',
      sz: '0.1',
    });
    expect(cross).toMatchObject({ state: 'canceled', cancelSource: 'post_only', fills: [] });
    const crossSell = await ledger.placeOrder(trader, {
      instId: market,
      side: 'sell',
      ordType: 'post_only',
      px: '28000',
      sz: '0.1',
    });
    expect(crossSell).toMatchObject({ state: 'canceled', cancelSource: 'post_only' });
    const rest = await ledger.placeOrder(trader, {
      instId: market,
      side: 'buy',
      ordType: 'post_only',
      px: '29999.9',
      sz: '0.1',
    });
    expect(rest.state).toBe('live');
    expect(await bal(trader, 'USDT')).toEqual({ available: '47000.01', frozen: '2999.99' });
    await expectJournalMatches();
  });

  it('self-trade: the taker is canceled at its own resting order, earlier fills stand (cancel-taker; 3 asks, bid 1)', async () => {
    const base = baseOf(market);
    const other = await funded({ [base]: '1' });
    const me = await funded({ [base]: '1', USDT: '100000' });
    await ledger.placeOrder(other, { instId: market, side: 'sell', ordType: 'limit', px: '30000', sz: '0.2' });
    const mine = await ledger.placeOrder(me, {
      instId: market,
      side: 'sell',
      ordType: 'limit',
      px: '30100',
      sz: '0.3',
    });
    await ledger.placeOrder(other, { instId: market, side: 'sell', ordType: 'limit', px: '30200', sz: '0.3' });
    const taker = await ledger.placeOrder(me, { instId: market, side: 'buy', ordType: 'limit', px: '30200', sz: '1' });
    expect(taker).toMatchObject({ state: 'canceled', cancelSource: 'self_trade', accFillSz: '0.2' });
    expect((await ledger.getOrder(me, { instId: market, ordId: mine.ordId })).state).toBe('live');
    expect(await bal(me, 'USDT')).toEqual({ available: '94000', frozen: '0' });
    const fok = await ledger.placeOrder(me, { instId: market, side: 'buy', ordType: 'fok', px: '30200', sz: '0.1' });
    expect(fok).toMatchObject({ state: 'canceled', cancelSource: 'self_trade', fills: [] });
    expect(await ledger.hasTraded(me, market)).toBe(true);
    await expectJournalMatches();
  });
});

describe('fees', () => {
  it('charges maker and taker rates in what each side receives, rounded up (maker 10 bps, taker 25 bps)', async () => {
    await ledger.setMarketFees(market, { makerFeeBps: 10, takerFeeBps: 25 });
    const base = baseOf(market);
    expect(await ledger.feesCollected()).toEqual({});
    const maker = await funded({ [base]: '1' });
    const taker = await funded({ USDT: '100000' });
    await ledger.placeOrder(maker, { instId: market, side: 'sell', ordType: 'limit', px: '30000.1', sz: '0.3333' });
    const order = await ledger.placeOrder(taker, {
      instId: market,
      side: 'buy',
      ordType: 'limit',
      px: '30000.1',
      sz: '0.3333',
    });
    // Quote 9999.03333; maker fee 0.1 % = 9.99903333 → 9.999034 USDT; taker 0.25 % of 0.3333 = 0.000833250 → 0.00083325.
    expect(order.fills[0]).toMatchObject({ fee: '0.00083325', feeCcy: base });
    expect(await bal(taker, base)).toEqual({ available: '0.33246675', frozen: '0' });
    expect(await bal(maker, 'USDT')).toEqual({ available: '9989.034296', frozen: '0' });
    expect(
      await ledger.getOrder(maker, { instId: market, ordId: (await ledger.fills(market, 0))[0]?.makerOrdId as string }),
    ).toMatchObject({ fee: '9.999034', feeCcy: 'USDT' });
    expect(await ledger.feesCollected()).toEqual({ [base]: '0.00083325', USDT: '9.999034' });
    await expectJournalMatches();
  });
});

describe('book reads', () => {
  it('book, midPrice, depthWithin, hasTraded, fills and accountFills (3 bid and 3 ask levels)', async () => {
    const base = baseOf(market);
    const maker = await funded({ [base]: '10', USDT: '1000000' });
    expect(await ledger.midPrice(market)).toBeNull();
    expect(await ledger.depthWithin(market, 'bids', '1')).toBeNull();
    for (const [px, sz] of [
      ['100', '1'],
      ['99', '2'],
      ['99', '0.5'],
      ['90', '5'],
    ] as const) {
      await ledger.placeOrder(maker, { instId: market, side: 'buy', ordType: 'limit', px, sz });
    }
    expect(await ledger.midPrice(market)).toBeNull();
    for (const [px, sz] of [
      ['101', '1'],
      ['102', '1'],
      ['111', '3'],
    ] as const) {
      await ledger.placeOrder(maker, { instId: market, side: 'sell', ordType: 'limit', px, sz });
    }
    expect(await ledger.book(market, 2)).toEqual({
      bids: [
        { px: '100', sz: '1' },
        { px: '99', sz: '2.5' },
      ],
      asks: [
        { px: '101', sz: '1' },
        { px: '102', sz: '1' },
      ],
    });
    expect(await ledger.midPrice(market)).toBe('100.5');
    // 2 % of 100.5: bids ≥ 98.49, asks ≤ 102.51.
    expect(await ledger.depthWithin(market, 'bids', '2')).toBe('347.5');
    expect(await ledger.depthWithin(market, 'asks', '2')).toBe('203');
    expect(await ledger.depthWithin(market, 'asks', '0.5')).toBe('101');
    expect(await ledger.depthWithin(market, 'bids', '100')).toBe('797.5');
    const taker = await funded({ [base]: '2' });
    expect(await ledger.hasTraded(taker, market)).toBe(false);
    now += 1000;
    const t0 = now;
    await ledger.placeOrder(taker, { instId: market, side: 'sell', ordType: 'market', sz: '1.2' });
    expect(await ledger.hasTraded(taker, market)).toBe(true);
    expect(await ledger.hasTraded(maker, market)).toBe(true);
    const recent = await ledger.fills(market, t0);
    expect(recent.map((f) => [f.px, f.sz, f.ts])).toEqual([
      ['100', '1', t0],
      ['99', '0.2', t0],
    ]);
    expect(await ledger.fills(market, t0 + 1)).toEqual([]);
    expect((await ledger.accountFills(taker, 0)).map((f) => f.tradeId)).toEqual(recent.map((f) => f.tradeId));
    expect((await ledger.accountFills(maker, t0)).length).toBe(2);
    await expect(ledger.book('NOPE-USDT', 5)).rejects.toMatchObject({ code: 'EXCHANGE_MARKET_NOT_FOUND' });
  });
});

describe('hooks for the gateway and the anti-fraud engine', () => {
  it('beforeMatch sees the locked book and can refuse; onFills reports both sides (2 asks, 1 bid)', async () => {
    const base = baseOf(market);
    const maker = await funded({ [base]: '2' });
    const other = await funded({ [base]: '1' });
    const buyer = await funded({ USDT: '100000' });
    const a1 = await ledger.placeOrder(maker, { instId: market, side: 'sell', ordType: 'limit', px: '30000', sz: '1' });
    await ledger.placeOrder(other, { instId: market, side: 'sell', ordType: 'limit', px: '30000', sz: '0.5' });
    await ledger.placeOrder(maker, { instId: market, side: 'sell', ordType: 'limit', px: '31000', sz: '1' });
    expect(await ledger.restingOrders(market, 'sell', 1)).toEqual([
      { ordId: a1.ordId, accountId: maker, px: '30000', sz: '1' },
      { ordId: expect.any(String), accountId: other, px: '30000', sz: '0.5' },
    ]);
    expect((await ledger.restingOrders(market, 'sell', 2)).map((o) => o.px)).toEqual(['30000', '30000', '31000']);
    expect(await ledger.restingOrders(market, 'buy', 5)).toEqual([]);

    const before = await snapshot();
    const refusal = new Error('refused by policy');
    const seen: unknown[] = [];
    await expect(
      ledger.placeOrder(
        buyer,
        { instId: market, side: 'buy', ordType: 'market', sz: '1', tgtCcy: 'base_ccy' },
        {
          beforeMatch: async (reads, order) => {
            seen.push(
              order.accountId,
              await reads.midPrice(market),
              (await reads.restingOrders(market, 'sell', 1)).length,
            );
            seen.push((await reads.balances(buyer, ['USDT']))[0]?.available, await reads.hasTraded(buyer, market));
            throw refusal;
          },
        },
      ),
    ).rejects.toBe(refusal);
    expect(seen).toEqual([buyer, null, 2, '100000', false]);
    expect(await snapshot()).toBe(before);

    const published: unknown[][] = [];
    const off = ledger.onFills((fills) => published.push(fills));
    const placed = await ledger.placeOrder(
      buyer,
      { instId: market, side: 'buy', ordType: 'limit', px: '30000', sz: '1.2' },
      { beforeMatch: async (reads) => void (await reads.book(market, 1)) },
    );
    off();
    expect(published).toHaveLength(1);
    expect(published[0]).toEqual([
      expect.objectContaining({ instId: market, takerOrdId: placed.ordId, makerOrdId: a1.ordId, sz: '1' }),
      expect.objectContaining({ takerAccountId: buyer, makerAccountId: other, sz: '0.2', px: '30000' }),
    ]);
    expect(published[0]).toEqual(await ledger.accountFills(buyer, 0));
  });
});
