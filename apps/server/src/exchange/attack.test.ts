/**
 * The 3Commas attack scripted end to end through the OKX-compatible gateway, on the reference
 * ledger and the runtime's anti-fraud engine (its reference price: the last hour's fills).
 *
 * A thin SCAM-USDT pair — a market maker's ladder around 1.00 (150 SCAM a level, ±0.2–1.5 %,
 * about 1,200 USDT within 2 % of mid), the last hour's trades at 1.00 — next to a liquid BTC-USDT.
 * Five victims with 5,000 USDT each, each with a trade-only key of broker "leakybot" (ranges
 * 10.0.0.0/8) that the bot platform used three days ago for ordinary BTC trades from its servers.
 * The keys leak:
 *  (a) victims 1–3, keys confined to the broker's ranges only: from the attacker's own address they
 *      are refused at authentication (50110), so they are used from a host inside the broker's
 *      ranges that they never used;
 *  (b) victims 4–5, keys also allow-listed to the platform's /24: refused from outside and from the
 *      new host (50110), so the attacker drives them from the platform's usual servers.
 * Phase 1: attacker 1 asks 5.00 for 50,000 SCAM; each victim is made to market-buy 3,000 USDT of
 * SCAM, one every ten seconds. Phase 2: attacker 1 withdraws its asks and a fresh attacker 2 asks
 * 1.04 (under the 5 % premium); the victims still trading are made to buy SCAM at 1.04 again and
 * again: 1,000 at a time with the market maker requoting between their orders (each order takes
 * the ladder first, so the attacker gets under half of its value), or 700 at a time faster than it
 * requotes (the victims' own fills at 1.04 become the pair's latest trades). Phase 3: both
 * attackers withdraw with IP-allow-listed withdraw keys to addresses listed three days ago.
 *
 * All along, a grid bot with a key of the same broker, from its usual address, trades SCAM-USDT
 * near the reference at small sizes (limits inside the touch, market and IOC orders of 20–80 SCAM)
 * and BTC-USDT: 110 SCAM orders and more.
 *
 * Asserted: each victim's overpayment measured from the ledger's own fills (what it paid over 1.00)
 * stays within the 100 USDT loss cap; every victim key ends frozen; both attackers' withdrawals
 * are refused (50029) and frozen; the audit log names the rules for every victim and attacker; the
 * bot is never refused, its key stays active, and none of its audit entries is stronger than a flag.
 * The market maker and the attackers quote through the ledger directly: they are not under test.
 */
import { Decimal } from '@custos/core';
import { okxSign, okxTimestamp } from '@custos/exchange';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertAccount } from '../identity/accounts.js';
import { seedUsdtBtc } from '../testing/exchange.js';
import { createHarness, type Harness } from '../testing/harness.js';
import type { ExchangeRuntime } from './runtime.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const PAIR = 'SCAM-USDT';
const LOSS_CAP = '100';
/** The price of the last hour's trades before the attack, and the market maker's centre. */
const FAIR = '1';
const BROKER = 'leakybot';

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
  /** A host inside the broker's ranges the key never used. */
  newHost: string;
  /** The attacker's own address, outside every range. */
  outside: string;
  /** Variant (b): a key with an allowlist of its own. */
  allowlisted: boolean;
  /** Each order tried with the key, and the answer's code (the order's sCode, else the request's). */
  answers: string[];
}

interface Attacker {
  id: bigint;
  key: Credentials;
  ip: string;
  address: string;
}

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

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const units8 = (text: string) => Decimal.parse(text, 8).units;

describe.each([
  { pacing: 'the market maker requotes between the victims’ orders', burst: false, size: '1000' },
  { pacing: 'the victims’ orders come faster than the market maker requotes', burst: true, size: '700' },
])(
  'a 3Commas-style attack through the gateway (5 leaked keys × 5,000 USDT, asks at 5.00 then 1.04, loss cap 100 USDT, a bot’s 110+ orders): $pacing, $size SCAM an order',
  ({ burst, size }) => {
    let offset = -3 * DAY;
    const clock = { now: () => Date.now() + offset };
    let h: Harness;
    let exchange: ExchangeRuntime;
    let mm: bigint;
    let victims: Victim[];
    let attackers: Attacker[];
    let bot: { id: bigint; key: Credentials; ip: string };
    const botLog = { scam: 0, btc: 0, cancels: 0, refusals: [] as string[] };
    const random = lcg(3);
    let sequence = 0;
    let attackStart = 0;

    /** One signed request from `ip` (the socket address: no proxy is trusted). */
    async function call(key: Credentials, path: string, body: unknown, ip: string) {
      const text = JSON.stringify(body);
      const ts = okxTimestamp(clock.now());
      const res = await h.app.inject({
        method: 'POST',
        url: path,
        remoteAddress: ip,
        headers: {
          'OK-ACCESS-KEY': key.apiKey,
          'OK-ACCESS-SIGN': okxSign(key.secretKey, ts, 'POST', path, text),
          'OK-ACCESS-TIMESTAMP': ts,
          'OK-ACCESS-PASSPHRASE': key.passphrase,
          'content-type': 'application/json',
        },
        payload: text,
      });
      return res.json() as { code: string; msg: string; data: Record<string, string>[] };
    }

    /** Places one order; answers the order's own code (sCode), or the request's when it got no further. */
    async function order(key: Credentials, ip: string, spec: Record<string, string>): Promise<string> {
      const body = { tdMode: 'cash', clOrdId: `o${++sequence}`, ...spec };
      const answer = await call(key, '/api/v5/trade/order', body, ip);
      return answer.data[0]?.sCode ?? answer.code;
    }

    /** The market maker puts its ladder back when anything on it traded. */
    async function requote(): Promise<void> {
      const { ledger } = exchange;
      const open = await ledger.openOrders(mm, PAIR);
      if (open.length === LADDER.length && open.every((o) => Number(o.accFillSz) === 0)) return;
      for (const o of open) await ledger.cancelOrder(mm, { instId: PAIR, ordId: o.ordId });
      for (const [side, px] of LADDER) {
        await ledger.placeOrder(mm, { instId: PAIR, side, ordType: 'limit', px, sz: LEVEL_SZ });
      }
    }

    /** One step of the grid bot: cancel what rests, then one small order near the reference. */
    async function botStep(): Promise<void> {
      for (const o of await exchange.ledger.openOrders(bot.id)) {
        const answer = await call(bot.key, '/api/v5/trade/cancel-order', { instId: o.instId, ordId: o.ordId }, bot.ip);
        botLog.cancels++;
        if (answer.code !== '0') botLog.refusals.push(`cancel: ${answer.data[0]?.sCode ?? answer.code}`);
      }
      const side = random() < 0.5 ? 'buy' : 'sell';
      const sz = String(20 + Math.floor(random() * 60));
      const kind = random();
      let spec: Record<string, string>;
      if (kind < 0.15)
        spec = { instId: 'BTC-USDT', side, ordType: 'ioc', px: side === 'buy' ? '60200' : '59800', sz: '0.001' };
      else if (kind < 0.5)
        spec = { instId: PAIR, side, ordType: 'limit', px: side === 'buy' ? '0.9995' : '1.0005', sz };
      else if (kind < 0.7) spec = { instId: PAIR, side, ordType: 'market', sz, tgtCcy: 'base_ccy' };
      else if (kind < 0.85) spec = { instId: PAIR, side: 'buy', ordType: 'market', sz: '50' };
      else spec = { instId: PAIR, side, ordType: 'ioc', px: side === 'buy' ? '1.003' : '0.997', sz };
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

    /** One order of a victim's key, made by the attacker. */
    async function attack(v: Victim, ip: string, spec: Record<string, string>): Promise<string> {
      const code = await order(v.key, ip, { instId: PAIR, side: 'buy', ...spec });
      v.answers.push(code);
      return code;
    }

    /** What the account paid over the fair price on its SCAM buys since the attack began, from the ledger's fills. */
    async function overpayment(accountId: bigint) {
      const fair = units8(FAIR);
      let loss = 0n;
      let fills = 0;
      for (const f of await exchange.ledger.accountFills(accountId, attackStart)) {
        const buyer = f.takerSide === 'buy' ? f.takerAccountId : f.makerAccountId;
        if (f.instId !== PAIR || buyer !== accountId) continue;
        fills++;
        const px = units8(f.px);
        if (px > fair) loss += (px - fair) * units8(f.sz);
      }
      return { loss: Decimal.fromUnits(loss, 16), fills };
    }

    beforeAll(async () => {
      h = await createHarness(
        {},
        {},
        // The rate limits are scaled up: the bot sends its orders within a few real seconds.
        { mpc: false, exchange: { clock, rateScale: 10, antiFraud: { lossCap: LOSS_CAP } } },
      );
      if (h.services.exchange === undefined) throw new Error('no exchange in the harness');
      exchange = h.services.exchange;
      const { ledger, keys } = exchange;
      const account = async (name: string) => (await upsertAccount(h.db, name, `password-of-${name}`)).id;

      // Three days ago.
      await seedUsdtBtc(ledger, { market: true });
      await ledger.createAsset({ ccy: 'SCAM', scale: 8, chains: [{ chain: 'SCAM-ERC20', minWd: '1', fee: '1' }] });
      await ledger.createMarket({ instId: PAIR, tickSz: '0.0001', lotSz: '0.01', minSz: '1' });
      await keys.registerBroker({ id: BROKER, name: 'Leaky Bot', cidrs: ['10.0.0.0/8'] });

      mm = await account('market-maker');
      const trader = await account('trader');
      await ledger.deposit(mm, 'USDT', '1000000');
      await ledger.deposit(mm, 'SCAM', '1000000');
      await ledger.deposit(mm, 'BTC', '10');
      await ledger.deposit(trader, 'USDT', '100000');
      await ledger.deposit(trader, 'SCAM', '100000');
      // A liquid BTC book: 120,000 USDT within 2 % of 60,000.
      await ledger.placeOrder(mm, { instId: 'BTC-USDT', side: 'buy', ordType: 'limit', px: '59900', sz: '1' });
      await ledger.placeOrder(mm, { instId: 'BTC-USDT', side: 'sell', ordType: 'limit', px: '60100', sz: '1' });
      await requote();

      victims = [];
      for (let n = 1; n <= 5; n++) {
        const id = await account(`victim-${n}`);
        await ledger.deposit(id, 'USDT', '5000');
        const allowlisted = n >= 4;
        const key = await keys.create(id, {
          label: BROKER,
          permissions: ['trade'],
          brokerId: BROKER,
          ...(allowlisted ? { ipAllowlist: ['10.1.0.0/24'] } : {}),
        });
        victims.push({
          n,
          id,
          key,
          usualIp: `10.1.0.${10 + n}`,
          newHost: `10.66.0.${n}`,
          outside: `203.0.113.${n}`,
          allowlisted,
          answers: [],
        });
      }
      attackers = [];
      for (let n = 1; n <= 2; n++) {
        const id = await account(`attacker-${n}`);
        await ledger.deposit(id, 'SCAM', '50000');
        await ledger.deposit(id, 'USDT', '100');
        const ip = `198.51.100.${65 + n}`;
        const key = await keys.create(id, { label: 'cash-out', permissions: ['read', 'withdraw'], ipAllowlist: [ip] });
        const address = `0x000000000000000000000000000000000000066${n}`;
        await ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address }, 'account');
        attackers.push({ id, key, ip, address });
      }
      const botId = await account('grid-bot');
      await ledger.deposit(botId, 'USDT', '20000');
      await ledger.deposit(botId, 'SCAM', '20000');
      await ledger.deposit(botId, 'BTC', '0.5');
      const botKey = await keys.create(botId, { label: 'grid', permissions: ['trade'], brokerId: BROKER });
      bot = { id: botId, key: botKey, ip: '10.1.0.50' };

      // The platform's ordinary use of the keys, from its usual servers.
      for (const v of victims) {
        offset += MINUTE;
        const btc = { instId: 'BTC-USDT', side: 'buy', ordType: 'ioc', px: '60100', sz: '0.001' };
        expect(await order(v.key, v.usualIp, btc)).toBe('0');
      }
      offset += MINUTE;
      for (const usual of [
        { instId: 'BTC-USDT', side: 'buy', ordType: 'ioc', px: '60100', sz: '0.002' },
        { instId: PAIR, side: 'buy', ordType: 'ioc', px: '1.002', sz: '40' },
        { instId: PAIR, side: 'sell', ordType: 'ioc', px: '0.998', sz: '40' },
      ]) {
        expect(await order(bot.key, bot.ip, usual)).toBe('0');
      }

      // Twenty minutes ago: 2,000 SCAM traded at 1.00 between the maker and a trader.
      offset = -20 * MINUTE;
      for (const o of await ledger.openOrders(mm, PAIR)) await ledger.cancelOrder(mm, { instId: PAIR, ordId: o.ordId });
      for (let i = 0; i < 2; i++) {
        await ledger.placeOrder(mm, { instId: PAIR, side: 'sell', ordType: 'limit', px: FAIR, sz: '500' });
        await ledger.placeOrder(trader, { instId: PAIR, side: 'buy', ordType: 'limit', px: FAIR, sz: '500' });
        await ledger.placeOrder(mm, { instId: PAIR, side: 'buy', ordType: 'limit', px: FAIR, sz: '500' });
        await ledger.placeOrder(trader, { instId: PAIR, side: 'sell', ordType: 'limit', px: FAIR, sz: '500' });
      }
      await requote();
    });

    afterAll(async () => {
      await h?.close();
    });

    it('caps each victim’s overpayment at 100 USDT (from the ledger’s fills), freezes the 5 keys and both attackers’ withdrawals', async () => {
      const { ledger, keys } = exchange;
      const [attacker1, attacker2] = attackers as [Attacker, Attacker];
      // Ten minutes of ordinary trading first.
      for (let i = 0; i < 60; i++) await tick();
      expect(botLog.refusals).toEqual([]);
      // The last hour's trades sit at 1.00 (2,000 SCAM at 1.00, the bot's around it).
      let base = 0n;
      let quote = 0n;
      for (const f of await ledger.fills(PAIR, clock.now() - 60 * MINUTE)) {
        base += units8(f.sz);
        quote += units8(f.quoteAmt);
      }
      expect(Math.abs(Number(quote) / Number(base) - 1)).toBeLessThan(0.001);

      // Phase 1: 5.00 asks; each leaked key market-buys 3,000 USDT of SCAM, one victim a tick.
      attackStart = clock.now();
      const ask = { instId: PAIR, side: 'sell', ordType: 'limit', sz: '50000' } as const;
      const far = await ledger.placeOrder(attacker1.id, { ...ask, px: '5' });
      const sweep = { ordType: 'market', sz: '3000', tgtCcy: 'quote_ccy' };
      for (const v of victims) {
        await tick();
        expect(await attack(v, v.outside, sweep)).toBe('50110');
        if (!v.allowlisted) {
          // A network the key never used: frozen by this very order, refused at authentication after it.
          expect(await attack(v, v.newHost, sweep)).toBe('50100');
          expect(await attack(v, v.newHost, sweep)).toBe('50100');
        } else {
          expect(await attack(v, v.newHost, sweep)).toBe('50110');
          // From the platform's own servers: refused for its price.
          expect(await attack(v, v.usualIp, sweep)).toBe('50029');
        }
      }

      // Phase 2: a fresh attacker asks 1.04; the keys still working buy 1,000 SCAM at 1.04 until stopped.
      await ledger.cancelOrder(attacker1.id, { instId: PAIR, ordId: far.ordId });
      await ledger.placeOrder(attacker2.id, { ...ask, px: '1.04' });
      for (const v of victims) {
        for (let i = 0; i < 30; i++) {
          if (burst) offset += 2_000;
          else await tick();
          const at = v.allowlisted ? v.usualIp : v.newHost;
          if ((await attack(v, at, { ordType: 'limit', px: '1.04', sz: size })) === '50100') break;
        }
        if (burst) await tick();
      }
      // The bot carries on.
      while (botLog.scam < 110) await tick();

      for (const v of victims) {
        const { loss, fills } = await overpayment(v.id);
        expect(loss.compare(Decimal.parse(LOSS_CAP, 16))).toBeLessThanOrEqual(0);
        const [key] = await keys.list(v.id);
        expect(key?.status).toBe('frozen');
        expect(key?.frozenReason).toMatch(/^risk engine: /);
        expect(v.answers.at(-1)).toBe('50100');
        // Only victim 4 ever traded: every other order was refused before it could fill.
        if (v.n === 4) {
          expect(loss.isZero()).toBe(false);
          expect(v.answers.filter((c) => c === '0').length).toBeGreaterThan(0);
        } else {
          expect(fills).toBe(0);
          expect(v.answers.every((c) => c !== '0')).toBe(true);
        }
      }

      // Phase 3: the attackers cash out.
      for (const a of attackers) {
        const withdrawal = { ccy: 'USDT', amt: '50', dest: '4', toAddr: a.address, chain: 'USDT-ERC20', fee: '1' };
        const answer = await call(a.key, '/api/v5/asset/withdrawal', withdrawal, a.ip);
        expect(answer).toMatchObject({ code: '50029' });
        expect(await ledger.withdrawalsFrozen(a.id)).toBe(true);
      }

      // The bot was never refused, before, during or after the attack, and its key still works.
      expect(botLog.refusals).toEqual([]);
      expect(botLog.scam).toBeGreaterThanOrEqual(110);
      expect(botLog.btc).toBeGreaterThan(0);
      const [botKey] = await keys.list(bot.id);
      expect(botKey?.status).toBe('active');
    });

    it('leaves an audit trail naming the rules for all 5 victims and both attackers, and no more than flags for the bot', async () => {
      const { audit } = exchange;
      const rulesOf = async (accountId: bigint) =>
        new Set((await audit.list({ accountId, limit: 1000 })).flatMap((e) => e.rules));
      for (const v of victims.filter((x) => !x.allowlisted)) {
        const rules = await rulesOf(v.id);
        for (const rule of ['new_ip', 'new_ip_risky_trade', 'price_far_from_mid', 'counterparty_concentration']) {
          expect(rules).toContain(rule);
        }
        const frozen = (await audit.list({ accountId: v.id })).find((e) => e.action === 'freeze_key');
        expect(frozen?.context).toMatchObject({ instId: PAIR, ip: v.newHost, brokerId: BROKER });
      }
      // Victims 2–5 found attacker 1 already suspected, and ordered within a burst of the broker's keys
      // in the pair (the bot's among them).
      for (const v of victims.slice(1)) {
        expect(await rulesOf(v.id)).toContain('suspect_counterparty');
        expect(await rulesOf(v.id)).toContain('broker_burst');
      }
      const [, , , victim4, victim5] = victims as [Victim, Victim, Victim, Victim, Victim];
      expect(await rulesOf(victim4.id)).toContain('loss_cap');
      // Attacker 2 became a suspect when victim 4's order was refused: victim 5 never paid it.
      expect(await rulesOf(victim5.id)).toContain('repeated_refusals');
      for (const a of attackers) {
        const entries = await audit.list({ accountId: a.id });
        expect(entries.map((e) => e.action)).toEqual(['freeze_withdrawals']);
        expect(entries[0]?.rules).toContain('withdrawal_by_suspect_counterparty');
      }
      const botEntries = await audit.list({ accountId: bot.id, limit: 1000 });
      expect(botEntries.every((e) => e.action === 'flag')).toBe(true);
      expect(new Set(botEntries.flatMap((e) => e.rules))).toEqual(
        new Set(['first_trade_in_pair', 'illiquid_pair', 'broker_burst']),
      );
    });
  },
);
