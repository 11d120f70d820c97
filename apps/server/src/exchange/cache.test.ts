/**
 * The gateway's balance cache never answers stale numbers: balances read through
 * `GET /api/v5/account/balance` (signed OKX-style, through the whole hook), then a deposit, an
 * order that freezes funds, a fill that moves both sides' balances (the resting maker's cached
 * entry included) and a cancel, each straight through the ledger — every following read shows the
 * new numbers. Reads racing a write are followed by a read that sees it. A repeated read is served
 * from the cache (no second ledger query), so the invalidation is what keeps the numbers right.
 */
import { okxSign, okxTimestamp } from '@custos/exchange';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedUsdtBtc } from '../testing/exchange.js';
import { createHarness, type Harness } from '../testing/harness.js';

interface Credentials {
  apiKey: string;
  secretKey: string;
  passphrase: string;
}

interface Detail {
  ccy: string;
  cashBal: string;
  availBal: string;
  frozenBal: string;
}

let h: Harness;
let alice: Credentials;
let bob: Credentials;
// Signatures made in the same millisecond for the same key would be replays: keep them apart.
let lastTs = 0;

beforeAll(async () => {
  h = await createHarness({}, {}, { mpc: false, exchange: { rateScale: 100 } });
  const exchange = h.services.exchange;
  if (exchange === undefined) throw new Error('no exchange in the harness');
  const { ledger, keys } = exchange;
  await seedUsdtBtc(ledger, { market: true });
  await ledger.deposit(h.accounts.alice, 'USDT', '1000');
  await ledger.deposit(h.accounts.bob, 'BTC', '2');
  alice = await keys.create(h.accounts.alice, { label: 'reader', permissions: ['read'], ipAllowlist: ['127.0.0.1'] });
  bob = await keys.create(h.accounts.bob, { label: 'reader', permissions: ['read'], ipAllowlist: ['127.0.0.1'] });
});

afterAll(async () => {
  await h?.close();
});

async function balances(key: Credentials): Promise<Record<string, Detail>> {
  const ms = Math.max(Date.now(), lastTs + 1);
  lastTs = ms;
  const timestamp = okxTimestamp(ms);
  const path = '/api/v5/account/balance';
  const response = await h.app.inject({
    method: 'GET',
    url: path,
    headers: {
      'OK-ACCESS-KEY': key.apiKey,
      'OK-ACCESS-SIGN': okxSign(key.secretKey, timestamp, 'GET', path, ''),
      'OK-ACCESS-TIMESTAMP': timestamp,
      'OK-ACCESS-PASSPHRASE': key.passphrase,
    },
  });
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json() as { code: string; data: { details: Detail[] }[] };
  expect(body.code).toBe('0');
  // Only the amounts: uTime is the time of the answer.
  return Object.fromEntries(
    (body.data[0]?.details ?? []).map((d) => [
      d.ccy,
      { ccy: d.ccy, cashBal: d.cashBal, availBal: d.availBal, frozenBal: d.frozenBal },
    ]),
  );
}

function ledger() {
  const exchange = h.services.exchange;
  if (exchange === undefined) throw new Error('no exchange in the harness');
  return exchange.ledger;
}

describe('the gateway balance cache', () => {
  it('serves a repeated read from the cache', async () => {
    const spy = vi.spyOn(ledger(), 'balances');
    try {
      const first = await balances(alice);
      const second = await balances(alice);
      expect(second).toEqual(first);
      expect(spy.mock.calls.filter(([id]) => id === h.accounts.alice).length).toBeLessThanOrEqual(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('shows a deposit, a freezing order, a fill on both sides and a cancel at the next read', async () => {
    expect((await balances(alice)).USDT).toMatchObject({ cashBal: '1000', availBal: '1000', frozenBal: '0' });
    await ledger().deposit(h.accounts.alice, 'USDT', '500');
    expect((await balances(alice)).USDT).toMatchObject({ cashBal: '1500', availBal: '1500', frozenBal: '0' });

    // A resting buy freezes its quote amount.
    const buy = await ledger().placeOrder(h.accounts.alice, {
      instId: 'BTC-USDT',
      side: 'buy',
      ordType: 'limit',
      px: '100',
      sz: '2',
    });
    expect((await balances(alice)).USDT).toMatchObject({ cashBal: '1500', availBal: '1300', frozenBal: '200' });

    // Bob's balances are cached, then his sell fills half of Alice's resting buy: both change.
    expect((await balances(bob)).BTC).toMatchObject({ cashBal: '2', availBal: '2' });
    expect((await balances(bob)).USDT).toBeUndefined();
    await ledger().placeOrder(h.accounts.bob, {
      instId: 'BTC-USDT',
      side: 'sell',
      ordType: 'limit',
      px: '100',
      sz: '1',
    });
    const bobAfter = await balances(bob);
    expect(bobAfter.BTC).toMatchObject({ cashBal: '1', availBal: '1' });
    expect(Number(bobAfter.USDT?.cashBal)).toBeGreaterThan(99);
    const aliceAfter = await balances(alice);
    expect(Number(aliceAfter.BTC?.cashBal)).toBeGreaterThan(0.99);
    expect(aliceAfter.USDT).toMatchObject({ cashBal: '1400', frozenBal: '100' });

    // Cancelling the rest releases the frozen 100.
    await ledger().cancelOrder(h.accounts.alice, { instId: 'BTC-USDT', ordId: buy.ordId });
    expect((await balances(alice)).USDT).toMatchObject({ cashBal: '1400', availBal: '1400', frozenBal: '0' });
  });

  it('never answers stale numbers after a write that raced reads', async () => {
    let expected = Number((await balances(alice)).USDT?.cashBal);
    for (let i = 0; i < 20; i++) {
      const racing = [balances(alice), ledger().deposit(h.accounts.alice, 'USDT', '1'), balances(alice)];
      await Promise.all(racing);
      expected += 1;
      expect(Number((await balances(alice)).USDT?.cashBal)).toBe(expected);
    }
  });
});
