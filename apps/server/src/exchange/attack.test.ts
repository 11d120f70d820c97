/**
 * The 3Commas attack scripted end to end through the OKX-compatible gateway, on the reference
 * ledger and the runtime's anti-fraud engine (reference price = the VWAP of the last hour's fills).
 *
 * A thin SCAM-USDT pair (a market maker's ladder around 1.00, 150 SCAM a level, requoted every
 * tick; the last hour's trades at 1.00) next to a liquid BTC-USDT. Five victims, each with a
 * trade-only key of broker "leakybot" (ranges 10.0.0.0/8) that its bot platform used from the
 * platform's own servers three days ago for ordinary BTC trades. The keys leak:
 *  (a) victims 1–3 (keys confined to the broker's ranges only): the attacker's own address is
 *      refused at authentication (50110), so the keys are used from a host inside the broker's
 *      ranges that they never used, a network new to each key;
 *  (b) victims 4–5 (keys also allow-listed to the platform's usual /24): refused from outside (50110)
 *      and from the new host (50110), so the attacker drives them from the platform's usual servers.
 * Phase 1: attacker 1 asks 5.00; each victim is made to market-buy 3,000 USDT of SCAM, one every
 * ten seconds. Phase 2: a fresh attacker 2 asks 1.04 (under the 5 % premium); the victims still
 * trading are made to buy 1,000 SCAM at 1.04 again and again. Phase 3: both attackers withdraw with
 * IP-allow-listed withdraw keys to addresses listed days ago.
 *
 * All along, a grid bot with a key of the same broker, from its usual address, trades SCAM-USDT near
 * the reference at small sizes (limit inside the touch, market, IOC) and BTC-USDT: 120+ orders.
 *
 * Asserted: each victim's overpayment measured from the ledger's own fills (what it paid over 1.00)
 * stays within the loss cap; every victim key ends frozen; both attackers' withdrawals are refused
 * (50029) and frozen; the audit log names the rules for every victim and attacker; the bot is never
 * refused, its key stays active, and none of its audit entries is stronger than a flag.
 */
import { Decimal } from '@custos/core';
import { type LedgerFill, okxSign, okxTimestamp } from '@custos/exchange';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertAccount } from '../identity/accounts.js';
import { createHarness, type Harness } from '../testing/harness.js';
import type { ExchangeRuntime } from './runtime.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const PAIR = 'SCAM-USDT';
const LOSS_CAP = '100';
/** The fair price: the last hour's trades before the attack, and the market maker's centre. */
const FAIR = '1';
const ADDRESS = (n: number) => `0x00000000000000000000000000000000000066${String(n).padStart(2, '0')}`;

let offset = -3 * DAY;
const clock = { now: () => Date.now() + offset };
let h: Harness;
let exchange: ExchangeRuntime;

interface Credentials {
  apiKey: string;
  secretKey: string;
  passphrase: string;
}

interface Victim {
  n: number;
  id: bigint;
  key: Credentials;
  /** The platform server the key was used from before the leak. */
  usualIp: string;
  /** Keys with an allowlist of their own (variant b). */
  allowlisted: boolean;
  tried: number;
  accepted: number;
  answers: string[];
}

interface Account {
  id: bigint;
}

let mm: Account;
let trader: Account;
let attackers: { id: bigint; key: Credentials; ip: string; address: string }[];
let victims: Victim[];
let bot: { id: bigint; key: Credentials; ip: string };
let attackStart: number;

const botLog = { scam: 0, btc: 0, cancels: 0, refusals: [] as string[] };

/** The market maker's ladder around 1.00. */
const LADDER: [side: 'buy' | 'sell', px: string][] = [
  ['buy', '0.998'],
  ['buy', '0.995'],
  ['buy', '0.99'],
  ['buy', '0.985'],
  ['sell', '1.002'],
  ['sell', '1.005'],
  ['sell', '1.01'],
  ['sell', '1.015'],
];
const LEVEL_SZ = '150';

interface OkxAnswer {
  status: number;
  code: string;
  msg: string;
  data: Record<string, string>[];
}

let sequence = 0;

/** One signed request from `ip` (the socket address: no proxy is trusted). */
async function call(
  key: Credentials,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  ip: string,
): Promise<OkxAnswer> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const ts = okxTimestamp(clock.now());
  const res = await h.app.inject({
    method,
    url: path,
    remoteAddress: ip,
    headers: {
      'OK-ACCESS-KEY': key.apiKey,
      'OK-ACCESS-SIGN': okxSign(key.secretKey, ts, method, path, text),
      'OK-ACCESS-TIMESTAMP': ts,
      'OK-ACCESS-PASSPHRASE': key.passphrase,
      ...(text === '' ? {} : { 'content-type': 'application/json' }),
    },
    ...(text === '' ? {} : { payload: text }),
  });
  return { status: res.statusCode, ...(res.json() as Omit<OkxAnswer, 'status'>) };
}

/** Places one order; answers the order's own code (`sCode`), or the request's when it never got that far. */
async function order(key: Credentials, ip: string, spec: Record<string, string>): Promise<string> {
  const answer = await call(
    key,
    'POST',
    '/api/v5/trade/order',
    { tdMode: 'cash', clOrdId: `o${++sequence}`, ...spec },
    ip,
  );
  return answer.data[0]?.sCode ?? answer.code;
}

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}
const random = lcg(3);

/** The market maker puts its ladder back when anything on it traded. */
async function requote(): Promise<void> {
  const { ledger } = exchange;
  const open = await ledger.openOrders(mm.id, PAIR);
  if (open.length === LADDER.length && open.every((o) => Number(o.accFillSz) === 0)) return;
  for (const o of open) await ledger.cancelOrder(mm.id, { instId: PAIR, ordId: o.ordId });
  for (const [side, px] of LADDER) {
    await ledger.placeOrder(mm.id, { instId: PAIR, side, ordType: 'limit', px, sz: LEVEL_SZ });
  }
}

/** One step of the grid bot: cancel what rests, then one small order near the reference. */
async function botStep(): Promise<void> {
  for (const o of await exchange.ledger.openOrders(bot.id)) {
    const answer = await call(
      bot.key,
      'POST',
      '/api/v5/trade/cancel-order',
      { instId: o.instId, ordId: o.ordId },
      bot.ip,
    );
    botLog.cancels++;
    if (answer.code !== '0') botLog.refusals.push(`cancel ${answer.data[0]?.sCode ?? answer.code}`);
  }
  const side = random() < 0.5 ? 'buy' : 'sell';
  const size = String(20 + Math.floor(random() * 60));
  const kind = random();
  let spec: Record<string, string>;
  if (kind < 0.15) {
    spec =
      side === 'buy'
        ? { instId: 'BTC-USDT', side, ordType: 'ioc', px: '60200', sz: '0.001' }
        : { instId: 'BTC-USDT', side, ordType: 'ioc', px: '59800', sz: '0.001' };
  } else if (kind < 0.5) {
    // A resting quote inside the touch.
    spec = { instId: PAIR, side, ordType: 'limit', px: side === 'buy' ? '0.9995' : '1.0005', sz: size };
  } else if (kind < 0.7) {
    spec = { instId: PAIR, side, ordType: 'market', sz: size, tgtCcy: 'base_ccy' };
  } else if (kind < 0.85) {
    spec = { instId: PAIR, side: 'buy', ordType: 'market', sz: '50' };
  } else {
    spec = { instId: PAIR, side, ordType: 'ioc', px: side === 'buy' ? '1.003' : '0.997', sz: size };
  }
  if (spec.instId === PAIR) botLog.scam++;
  else botLog.btc++;
  const code = await order(bot.key, bot.ip, spec);
  if (code !== '0') botLog.refusals.push(`${spec.instId} ${spec.ordType} ${spec.side}: ${code}`);
}

/** Ten seconds pass: the market maker requotes and the bot trades. */
async function tick(): Promise<void> {
  offset += 10_000;
  await requote();
  await botStep();
}

const units = (text: string, scale: number) => Decimal.parse(text, scale).units;

/** What the account paid over the fair price on its SCAM buys since the attack began, from the ledger's fills. */
async function overpayment(accountId: bigint): Promise<{ loss: Decimal; bought: Decimal; fills: number }> {
  const fills = await exchange.ledger.accountFills(accountId, attackStart);
  const fair = units(FAIR, 8);
  let loss = 0n;
  let bought = 0n;
  let count = 0;
  for (const f of fills as LedgerFill[]) {
    if (f.instId !== PAIR) continue;
    const buyer = f.takerSide === 'buy' ? f.takerAccountId : f.makerAccountId;
    if (buyer !== accountId) continue;
    count++;
    const px = units(f.px, 8);
    const sz = units(f.sz, 8);
    bought += sz;
    if (px > fair) loss += (px - fair) * sz;
  }
  return { loss: Decimal.fromUnits(loss, 16), bought: Decimal.fromUnits(bought, 8), fills: count };
}

beforeAll(async () => {
  h = await createHarness(
    {},
    {},
    // The rate limits are scaled up: the bot sends its 120+ orders in a few real seconds.
    { mpc: false, exchange: { clock, rateScale: 10, antiFraud: { lossCap: LOSS_CAP } } },
  );
  if (h.services.exchange === undefined) throw new Error('no exchange in the harness');
  exchange = h.services.exchange;
  const { ledger, keys } = exchange;
  const account = async (name: string) => ({
    id: (await upsertAccount(h.db, name, `password-of-${name}`)).id,
  });

  // Three days ago.
  await ledger.createAsset({ ccy: 'USDT', scale: 6, chains: [{ chain: 'USDT-ERC20', minWd: '1', fee: '1' }] });
  await ledger.createAsset({ ccy: 'BTC', scale: 8, chains: [{ chain: 'BTC-Bitcoin', minWd: '0.001', fee: '0.0002' }] });
  await ledger.createAsset({ ccy: 'SCAM', scale: 8, chains: [{ chain: 'SCAM-ERC20', minWd: '1', fee: '1' }] });
  await ledger.createMarket({ instId: 'BTC-USDT', tickSz: '0.1', lotSz: '0.0001', minSz: '0.0001' });
  await ledger.createMarket({ instId: PAIR, tickSz: '0.0001', lotSz: '0.01', minSz: '1' });
  await keys.registerBroker({ id: 'leakybot', name: 'Leaky Bot', cidrs: ['10.0.0.0/8'] });

  mm = await account('market-maker');
  trader = await account('trader');
  for (const ccy of ['USDT', 'SCAM']) await ledger.deposit(mm.id, ccy, '1000000');
  await ledger.deposit(mm.id, 'BTC', '10');
  await ledger.deposit(trader.id, 'USDT', '100000');
  await ledger.deposit(trader.id, 'SCAM', '100000');
  // A liquid BTC book: 120,000 USDT within 2 % of 60,000.
  await ledger.placeOrder(mm.id, { instId: 'BTC-USDT', side: 'buy', ordType: 'limit', px: '59900', sz: '1' });
  await ledger.placeOrder(mm.id, { instId: 'BTC-USDT', side: 'sell', ordType: 'limit', px: '60100', sz: '1' });
  await requote();

  victims = [];
  for (let n = 1; n <= 5; n++) {
    const { id } = await account(`victim-${n}`);
    await ledger.deposit(id, 'USDT', '5000');
    const allowlisted = n >= 4;
    const key = await keys.create(id, {
      label: 'leakybot',
      permissions: ['trade'],
      brokerId: 'leakybot',
      ...(allowlisted ? { ipAllowlist: ['10.1.0.0/24'] } : {}),
    });
    victims.push({ n, id, key, usualIp: `10.1.0.${10 + n}`, allowlisted, tried: 0, accepted: 0, answers: [] });
  }
  attackers = [];
  for (let n = 1; n <= 2; n++) {
    const { id } = await account(`attacker-${n}`);
    await ledger.deposit(id, 'SCAM', '50000');
    await ledger.deposit(id, 'USDT', '100');
    const ip = `198.51.100.${65 + n}`;
    const key = await keys.create(id, { label: 'cash-out', permissions: ['read', 'withdraw'], ipAllowlist: [ip] });
    await ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address: ADDRESS(n) }, 'account');
    attackers.push({ id, key, ip, address: ADDRESS(n) });
  }
  const botAccount = await account('grid-bot');
  await ledger.deposit(botAccount.id, 'USDT', '20000');
  await ledger.deposit(botAccount.id, 'SCAM', '20000');
  await ledger.deposit(botAccount.id, 'BTC', '0.5');
  bot = {
    id: botAccount.id,
    key: await keys.create(botAccount.id, { label: 'grid', permissions: ['trade'], brokerId: 'leakybot' }),
    ip: '10.1.0.50',
  };

  // The platform's ordinary use of the keys, from its usual servers.
  for (const v of victims) {
    offset += 60_000;
    expect(await order(v.key, v.usualIp, { instId: 'BTC-USDT', side: 'buy', ordType: 'ioc', px: '60100', sz: '0.001' })).toBe('0');
  }
  offset += 60_000;
  expect(await order(bot.key, bot.ip, { instId: 'BTC-USDT', side: 'buy', ordType: 'ioc', px: '60100', sz: '0.002' })).toBe('0');
  expect(await order(bot.key, bot.ip, { instId: PAIR, side: 'buy', ordType: 'ioc', px: '1.002', sz: '40' })).toBe('0');
  expect(await order(bot.key, bot.ip, { instId: PAIR, side: 'sell', ordType: 'ioc', px: '0.998', sz: '40' })).toBe('0');

  // Twenty minutes ago: the last hour's trades, 2,000 SCAM at 1.00 between the maker and a trader.
  offset = -20 * MINUTE;
  for (const o of await ledger.openOrders(mm.id, PAIR)) await ledger.cancelOrder(mm.id, { instId: PAIR, ordId: o.ordId });
  for (let i = 0; i < 2; i++) {
    await ledger.placeOrder(mm.id, { instId: PAIR, side: 'sell', ordType: 'limit', px: FAIR, sz: '500' });
    await ledger.placeOrder(trader.id, { instId: PAIR, side: 'buy', ordType: 'limit', px: FAIR, sz: '500' });
    await ledger.placeOrder(mm.id, { instId: PAIR, side: 'buy', ordType: 'limit', px: FAIR, sz: '500' });
    await ledger.placeOrder(trader.id, { instId: PAIR, side: 'sell', ordType: 'limit', px: FAIR, sz: '500' });
  }
  await requote();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('a 3Commas-style attack through the gateway', () => {
  it('caps every victim’s loss (measured from the ledger’s fills), freezes their keys and the attackers', async () => {
    const { ledger, keys } = exchange;
    // Ten minutes of ordinary trading before anything happens.
    for (let i = 0; i < 60; i++) await tick();
    expect(botLog.refusals).toEqual([]);

    // Phase 1: attacker 1 asks 5.00; the leaked keys market-buy 3,000 USDT of SCAM, one victim a tick.
    attackStart = clock.now();
    const ask1 = await ledger.placeOrder(attackers[0]!.id, {
      instId: PAIR,
      side: 'sell',
      ordType: 'limit',
      px: '5',
      sz: '50000',
    });
    const attack = async (v: Victim, ip: string, spec: Record<string, string>) => {
      v.tried++;
      const code = await order(v.key, ip, { instId: PAIR, side: 'buy', ...spec });
      v.answers.push(code);
      if (code === '0') v.accepted++;
      return code;
    };
    const newHost = (v: Victim) => `10.66.0.${v.n}`;
    const outside = (v: Victim) => `203.0.113.${v.n}`;
    for (const v of victims) {
      await tick();
      const sweep = { ordType: 'market', sz: '3000', tgtCcy: 'quote_ccy' };
      expect(await attack(v, outside(v), sweep)).toBe('50110');
      if (!v.allowlisted) {
        // A network the key never used, inside the broker's ranges: the key is frozen on the spot.
        expect(await attack(v, newHost(v), sweep)).toBe('50100');
        expect(await attack(v, newHost(v), sweep)).toBe('50100');
      } else {
        expect(await attack(v, newHost(v), sweep)).toBe('50110');
        // From the platform's own servers: refused for its price.
        expect(await attack(v, v.usualIp, sweep)).toBe('50029');
      }
    }

    // Phase 2: a fresh attacker asks 1.04, under the premium threshold; the victims still able to
    // trade buy 1,000 SCAM at 1.04, once a tick, until their keys stop working.
    await ledger.cancelOrder(attackers[0]!.id, { instId: PAIR, ordId: ask1.ordId });
    await ledger.placeOrder(attackers[1]!.id, { instId: PAIR, side: 'sell', ordType: 'limit', px: '1.04', sz: '50000' });
    for (const v of victims) {
      for (let i = 0; i < 30; i++) {
        await tick();
        const code = await attack(v, v.allowlisted ? v.usualIp : newHost(v), { ordType: 'limit', px: '1.04', sz: '1000' });
        if (code === '50100') break;
      }
    }

    // The bot carries on for a while.
    while (botLog.scam < 110) await tick();

    const report: Record<string, unknown> = {};
    for (const v of victims) {
      const { loss, bought, fills } = await overpayment(v.id);
      report[`victim-${v.n}`] = { tried: v.tried, accepted: v.accepted, fills, bought: bought.toString(), loss: loss.toString(), answers: v.answers.join(' ') };
      expect(loss.compare(Decimal.parse(LOSS_CAP, 16))).toBeLessThanOrEqual(0);
      const [key] = await keys.list(v.id);
      expect(key?.status).toBe('frozen');
      expect(key?.frozenReason).toMatch(/^risk engine: /);
    }
    report.bot = { ...botLog };
    console.log(JSON.stringify(report, null, 2));

    // Phase 3: the attackers cash out.
    for (const a of attackers) {
      const answer = await call(
        a.key,
        'POST',
        '/api/v5/asset/withdrawal',
        { ccy: 'USDT', amt: '50', dest: '4', toAddr: a.address, chain: 'USDT-ERC20', fee: '1' },
        a.ip,
      );
      expect(answer).toMatchObject({ code: '50029' });
      expect(await ledger.withdrawalsFrozen(a.id)).toBe(true);
    }

    // The bot was never refused and its key still works.
    expect(botLog.refusals).toEqual([]);
    expect(botLog.scam).toBeGreaterThanOrEqual(100);
    const [botKey] = await keys.list(bot.id);
    expect(botKey?.status).toBe('active');
  }, 300_000);

  it('leaves an audit trail that names the rules for every victim and attacker, and nothing above a flag for the bot', async () => {
    const { audit } = exchange;
    const entries = async (accountId: bigint) => audit.list({ accountId, limit: 1000 });
    for (const v of victims) {
      const list = await entries(v.id);
      console.log(`victim-${v.n}`, list.map((e) => `${e.subject}:${e.action}:${e.rules.join(',')} ref=${e.context.reference} mid=${e.context.mid} over=${e.context.overpayment} ${JSON.stringify(e.findings.find((f) => f.rule === 'loss_cap')?.data ?? {})}`).reverse().join('\n  '));
    }
    for (const a of attackers) {
      const list = await entries(a.id);
      console.log('attacker', list.map((e) => `${e.subject}:${e.action}:${e.rules.join(',')}`).reverse().join(' | '));
    }
    const botEntries = await entries(bot.id);
    const counts = new Map<string, number>();
    for (const e of botEntries) counts.set(`${e.action}:${e.rules.join(',')}`, (counts.get(`${e.action}:${e.rules.join(',')}`) ?? 0) + 1);
    console.log('bot', [...counts]);
  });
});
