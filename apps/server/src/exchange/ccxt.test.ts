/**
 * ccxt's own `okx` client — configured, never patched (`urls.api`, `options.fetchMarkets`,
 * `options.timeDifference`, `enableRateLimit`) — against the gateway on a real
 * socket, over the reference ledger on PGlite: it fetches balances, places and cancels an order
 * and requests a withdrawal with a valid key; with a wrong secret, a wrong passphrase, a stale
 * timestamp, a disallowed source IP (127.0.0.2, through a TCP relay), a missing permission and an exceeded rate limit
 * it gets OKX's code and ccxt's matching exception. Replayed, re-bodied and re-pathed requests
 * and a spoofed X-Forwarded-For from an untrusted peer are refused or ignored.
 */
import { request as httpRequest } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { okxSign, okxTimestamp } from '@custos/exchange';
import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedUsdtBtc } from '../testing/exchange.js';
import { createHarness, type Harness } from '../testing/harness.js';

const DAY = 24 * 60 * 60 * 1000;
const ADDRESS = '0x00000000000000000000000000000000000000a1';
let offset = -2 * DAY;
const clock = { now: () => Date.now() + offset };
let h: Harness;
let url: string;
let full: { apiKey: string; secretKey: string; passphrase: string };
let readOnly: { apiKey: string; secretKey: string; passphrase: string };
let raw: { apiKey: string; secretKey: string; passphrase: string };

beforeAll(async () => {
  h = await createHarness({}, {}, { mpc: false, exchange: { clock } });
  const exchange = h.services.exchange;
  if (exchange === undefined) throw new Error('no exchange in the harness');
  const { ledger, keys } = exchange;
  await seedUsdtBtc(ledger, { market: true });
  const { alice, bob } = h.accounts;
  await ledger.deposit(alice, 'USDT', '10000');
  await ledger.deposit(alice, 'BTC', '1');
  await ledger.deposit(bob, 'USDT', '100000');
  await ledger.deposit(bob, 'BTC', '10');
  // A two-sided book around 60,000 from bob, the market maker.
  await ledger.placeOrder(bob, { instId: 'BTC-USDT', side: 'buy', ordType: 'limit', px: '59900', sz: '1' });
  await ledger.placeOrder(bob, { instId: 'BTC-USDT', side: 'sell', ordType: 'limit', px: '60100', sz: '1' });
  // Two days ago (the clock moved back): the withdrawal address, whose cooling-off is now over.
  await ledger.addWithdrawalAddress(alice, { ccy: 'USDT', chain: 'USDT-ERC20', address: ADDRESS }, 'account');
  offset = 0;
  full = await keys.create(alice, {
    label: 'bot',
    permissions: ['read', 'trade', 'withdraw'],
    ipAllowlist: ['127.0.0.1'],
  });
  readOnly = await keys.create(alice, { label: 'viewer', permissions: ['read'], ipAllowlist: ['127.0.0.0/8'] });
  raw = await keys.create(alice, { label: 'raw', permissions: ['read', 'trade'], ipAllowlist: ['127.0.0.1'] });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const address = h.app.server.address() as { port: number };
  url = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await h?.close();
});

function client(credentials: { apiKey: string; secretKey: string; passphrase: string }, extra: object = {}) {
  const ex = new ccxt.okx({
    apiKey: credentials.apiKey,
    secret: credentials.secretKey,
    password: credentials.passphrase,
    enableRateLimit: false,
    ...extra,
  });
  ex.urls.api = { rest: url };
  ex.options.fetchMarkets = { types: ['spot'] };
  return ex;
}

describe('ccxt okx against the gateway', () => {
  it('fetches balances, places and cancels an order, and withdraws with a valid key', async () => {
    const ex = client(full);
    const balance = await ex.fetchBalance();
    expect(balance.BTC?.free).toBe(1);
    expect(balance.USDT?.total).toBe(10000);
    const order = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50000);
    expect(order.id).toMatch(/^[0-9]+$/);
    const frozen = await ex.fetchBalance();
    expect(frozen.USDT?.used).toBe(500);
    await ex.cancelOrder(order.id as string, 'BTC/USDT');
    const after = await ex.fetchBalance();
    expect(after.USDT?.used ?? 0).toBe(0);
    const withdrawal = await ex.withdraw('USDT', 25, ADDRESS, undefined, { network: 'ERC20', fee: '1' });
    expect(withdrawal.id).toMatch(/^[0-9]+$/);
    const held = await ex.fetchBalance();
    expect(held.USDT?.free).toBe(10000 - 26);
  });

  it('maps every refusal to OKX’s code and ccxt’s exception', async () => {
    const wrongSecret = client({ ...full, secretKey: 'A'.repeat(32) });
    await expect(wrongSecret.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    await expect(wrongSecret.fetchBalance()).rejects.toThrow(/50113/);
    const wrongPassphrase = client({ ...full, passphrase: 'Wrong-passphrase-1' });
    await expect(wrongPassphrase.fetchBalance()).rejects.toThrow(/50105/);
    await expect(wrongPassphrase.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    const stale = client(full);
    stale.options.timeDifference = 31_000;
    await expect(stale.fetchBalance()).rejects.toThrow(ccxt.InvalidNonce);
    // From 127.0.0.2. ccxt 4.5 sends with Node's fetch, which ignores `httpAgent`, so the test
    // relays the TCP stream from that source address instead (a plain relay, no proxy headers).
    const relay = createNetServer((socket) => {
      const upstream = connect({ host: '127.0.0.1', port: Number(new URL(url).port), localAddress: '127.0.0.2' });
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const elsewhere = client(full);
      elsewhere.urls.api = { rest: `http://127.0.0.1:${(relay.address() as { port: number }).port}` };
      await expect(elsewhere.fetchBalance()).rejects.toThrow(ccxt.PermissionDenied);
      await expect(elsewhere.fetchBalance()).rejects.toThrow(/50110/);
    } finally {
      relay.close();
    }
    const viewer = client(readOnly);
    await viewer.loadMarkets();
    const denied = await viewer.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50000).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ccxt.ExchangeError);
    expect(String(denied)).toMatch(/50120/);
    // GET account/balance allows 10 requests per 2 s per key: the 11th is refused. (Sent one after
    // another, each in a later millisecond than the last: two identical requests signed in the
    // same millisecond are the same bytes — a replay — and a fast loopback answers within one.)
    const burst = client(readOnly);
    await burst.loadMarkets();
    const outcomes: unknown[] = [];
    for (let i = 0; i < 11; i++) {
      const signedAt = Date.now();
      while (Date.now() === signedAt) await new Promise((resolve) => setTimeout(resolve, 1));
      outcomes.push(await burst.fetchBalance().catch((e: unknown) => e));
    }
    expect(outcomes.slice(0, 10).filter((o) => o instanceof Error)).toEqual([]);
    expect(outcomes[10]).toBeInstanceOf(ccxt.RateLimitExceeded);
    expect(String(outcomes[10])).toMatch(/50011/);
  });
});

/** A raw signed request, to replay or alter it after signing. */
function send(
  method: 'GET' | 'POST',
  path: string,
  body: string,
  headers: Record<string, string>,
  localAddress = '127.0.0.1',
): Promise<{ status: number; body: { code: string; msg: string } }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      {
        method,
        localAddress,
        headers: { ...headers, ...(body === '' ? {} : { 'content-type': 'application/json' }) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function signed(
  credentials: { apiKey: string; secretKey: string; passphrase: string },
  method: string,
  path: string,
  body: string,
) {
  const ts = okxTimestamp(Date.now());
  return {
    'OK-ACCESS-KEY': credentials.apiKey,
    'OK-ACCESS-SIGN': okxSign(credentials.secretKey, ts, method, path, body),
    'OK-ACCESS-TIMESTAMP': ts,
    'OK-ACCESS-PASSPHRASE': credentials.passphrase,
  };
}

describe('requests altered or replayed after signing', () => {
  it('refuses a replay, a changed body, a changed path; ignores a spoofed X-Forwarded-For', async () => {
    const path = '/api/v5/account/balance?ccy=BTC';
    const headers = signed(raw, 'GET', path, '');
    const first = await send('GET', path, '', headers);
    expect(first.body.code).toBe('0');
    const replay = await send('GET', path, '', headers);
    expect(replay).toMatchObject({ status: 401, body: { code: '50113', msg: 'request replayed' } });
    const otherPath = await send('GET', '/api/v5/account/balance?ccy=USDT', '', signed(raw, 'GET', path, ''));
    expect(otherPath).toMatchObject({ status: 401, body: { code: '50113' } });

    const order = JSON.stringify({
      instId: 'BTC-USDT',
      tdMode: 'cash',
      side: 'buy',
      ordType: 'limit',
      px: '50000',
      sz: '0.01',
    });
    const orderHeaders = signed(raw, 'POST', '/api/v5/trade/order', order);
    const changed = order.replace('0.01', '0.1');
    const rebodied = await send('POST', '/api/v5/trade/order', changed, orderHeaders);
    expect(rebodied).toMatchObject({ status: 401, body: { code: '50113', msg: 'Invalid signature' } });

    // From 127.0.0.2, claiming to be 127.0.0.1: the peer is no trusted proxy, so the header is ignored.
    const spoofed = await send(
      'GET',
      '/api/v5/account/balance',
      '',
      { ...signed(raw, 'GET', '/api/v5/account/balance', ''), 'X-Forwarded-For': '127.0.0.1' },
      '127.0.0.2',
    );
    expect(spoofed).toMatchObject({ status: 401, body: { code: '50110' } });
  });
});
