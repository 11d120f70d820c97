/**
 * The anti-fraud engine against a tiny exchange model written here: order books with owners,
 * price-time matching, balances, a reference price per pair. (1) A scripted 3Commas-style attack:
 * five victims' leaked trade-only keys of broker "leakybot", used from networks they never used,
 * made to buy a thin pair from the attacker's asks — first far above the market, then, from a fresh
 * attacker account, just under the premium threshold. No victim loses more than the loss cap, the
 * keys are frozen, both attacker accounts' withdrawals are frozen, the audit log names the rules.
 * The same attack with a fresh attacker account per victim, 4.9 % over the market: every victim is
 * still capped and every key frozen.
 * (2) A bot with the same permissions trading a thin pair near mid from its usual IP, 200 orders,
 * with and without a broker, is never refused and never flagged. (3) Each rule fires just past its
 * threshold and not on it.
 */
import { Decimal } from '@custos/core';
import { coreMigrations, type Database, exchangeMigrations, openPGlite } from '@custos/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from './audit.js';
import type { AntiFraudConfig } from './config.js';
import { type AntiFraud, createAntiFraud, fraudDecisionError, fraudRefuses } from './engine.js';
import type {
  FraudAuditSink,
  FraudBook,
  FraudDecision,
  FraudFacts,
  FraudOrderInput,
  FraudOrderSide,
  FraudRestingOrder,
  FraudRule,
} from './types.js';

// ---------------------------------------------------------------------------------------------
// The exchange model. Prices and sizes at 8 decimals, quote amounts at 16.

const d = (text: string) => Decimal.parse(text, 8);
const ZERO16 = Decimal.zero(16);
const q16 = (a: Decimal) => a.rescale(16);
const mul = (a: Decimal, b: Decimal) => Decimal.fromUnits(a.units * b.units, 16);

interface Resting {
  seq: number;
  accountId: bigint;
  instId: string;
  side: FraudOrderSide;
  px: Decimal;
  sz: Decimal;
}

interface Fill {
  px: Decimal;
  sz: Decimal;
  taker: bigint;
  maker: bigint;
  takerSide: FraudOrderSide;
}

interface PlaceOrder {
  accountId: bigint;
  instId: string;
  side: FraudOrderSide;
  ordType: FraudOrderInput['ordType'];
  px?: Decimal;
  sz: Decimal;
  tgtCcy?: 'base_ccy' | 'quote_ccy';
}

class FakeExchange implements FraudFacts {
  #seq = 0;
  readonly orders: Resting[] = [];
  readonly traded = new Set<string>();
  readonly balances = new Map<bigint, Map<string, Decimal>>();
  readonly addresses = new Set<string>();
  readonly references = new Map<string, Decimal>();

  fund(accountId: bigint, ccy: string, amount: string): void {
    this.#add(accountId, ccy, q16(d(amount)));
  }

  /** A resting order placed without matching (quotes that do not cross). */
  post(accountId: bigint, instId: string, side: FraudOrderSide, px: string, sz: string): void {
    this.orders.push({ seq: this.#seq++, accountId, instId, side, px: d(px), sz: d(sz) });
  }

  cancel(accountId: bigint, instId: string): void {
    for (let i = this.orders.length - 1; i >= 0; i--) {
      const o = this.orders[i] as Resting;
      if (o.accountId === accountId && o.instId === instId) this.orders.splice(i, 1);
    }
  }

  side(instId: string, side: FraudOrderSide): Resting[] {
    return this.orders
      .filter((o) => o.instId === instId && o.side === side && o.sz.units > 0n)
      .sort((a, b) => (side === 'sell' ? a.px.compare(b.px) : b.px.compare(a.px)) || a.seq - b.seq);
  }

  async mid(instId: string): Promise<Decimal | null> {
    const bid = this.side(instId, 'buy')[0];
    const ask = this.side(instId, 'sell')[0];
    if (bid === undefined || ask === undefined) return null;
    return Decimal.fromUnits((bid.px.units + ask.px.units) * 5n, 9);
  }

  async book(instId: string, depth: number): Promise<FraudBook> {
    const levels = (side: FraudOrderSide) => {
      const out: { px: Decimal; sz: Decimal }[] = [];
      for (const o of this.side(instId, side)) {
        const last = out.at(-1);
        if (last?.px.equals(o.px)) last.sz = last.sz.add(o.sz);
        else if (out.length < depth) out.push({ px: o.px, sz: o.sz });
        else break;
      }
      return out;
    };
    return { bids: levels('buy'), asks: levels('sell') };
  }

  async restingOrders(instId: string, side: FraudOrderSide, depth: number): Promise<readonly FraudRestingOrder[]> {
    const out: FraudRestingOrder[] = [];
    let levels = 0;
    let lastPx: Decimal | undefined;
    for (const o of this.side(instId, side)) {
      if (lastPx === undefined || !lastPx.equals(o.px)) {
        if (++levels > depth) break;
        lastPx = o.px;
      }
      out.push({ accountId: o.accountId, px: o.px, sz: o.sz });
    }
    return out;
  }

  async referencePrice(instId: string): Promise<Decimal | null> {
    return this.references.get(instId) ?? null;
  }

  async hasTraded(accountId: bigint, instId: string): Promise<boolean> {
    return this.traded.has(`${accountId}:${instId}`);
  }

  async balanceValue(accountId: bigint): Promise<{ total: Decimal }> {
    let total = ZERO16;
    for (const [ccy, amount] of this.balances.get(accountId) ?? []) {
      if (ccy === 'USDT') total = total.add(amount);
      else {
        const px = this.references.get(`${ccy}-USDT`);
        if (px !== undefined) total = total.add(Decimal.fromUnits((amount.units * px.units) / 10n ** 8n, 16));
      }
    }
    return { total };
  }

  async knownWithdrawalAddress(accountId: bigint, ccy: string, address: string): Promise<boolean> {
    return this.addresses.has(`${accountId}:${ccy}:${address}`);
  }

  /** Matches an order (price-time priority), moves balances, rests a limit remainder. */
  execute(order: PlaceOrder): Fill[] {
    const [base, quote] = order.instId.split('-') as [string, string];
    const quoteSized = order.ordType === 'market' && order.tgtCcy === 'quote_ccy';
    let remaining = quoteSized ? q16(order.sz) : order.sz;
    const fills: Fill[] = [];
    const opposite: FraudOrderSide = order.side === 'buy' ? 'sell' : 'buy';
    if (order.ordType !== 'post_only') {
      for (const maker of this.side(order.instId, opposite)) {
        if (remaining.units <= 0n) break;
        const px = order.px;
        if (order.ordType !== 'market' && px !== undefined) {
          if (order.side === 'buy' ? maker.px.compare(px) > 0 : maker.px.compare(px) < 0) break;
        }
        let take: Decimal;
        if (quoteSized) {
          const affordable = Decimal.fromUnits(remaining.units / maker.px.units, 8);
          take = affordable.compare(maker.sz) < 0 ? affordable : maker.sz;
          if (take.isZero()) break;
          remaining = remaining.sub(mul(maker.px, take));
        } else {
          take = remaining.compare(maker.sz) < 0 ? remaining : maker.sz;
          remaining = remaining.sub(take);
        }
        maker.sz = maker.sz.sub(take);
        const cost = mul(maker.px, take);
        const buyer = order.side === 'buy' ? order.accountId : maker.accountId;
        const seller = order.side === 'buy' ? maker.accountId : order.accountId;
        this.#add(buyer, base, q16(take));
        this.#add(buyer, quote, cost.neg());
        this.#add(seller, base, q16(take).neg());
        this.#add(seller, quote, cost);
        this.traded.add(`${buyer}:${order.instId}`);
        this.traded.add(`${seller}:${order.instId}`);
        fills.push({ px: maker.px, sz: take, taker: order.accountId, maker: maker.accountId, takerSide: order.side });
      }
    }
    if ((order.ordType === 'limit' || order.ordType === 'post_only') && remaining.units > 0n && order.px) {
      this.orders.push({
        seq: this.#seq++,
        accountId: order.accountId,
        instId: order.instId,
        side: order.side,
        px: order.px,
        sz: remaining,
      });
    }
    return fills;
  }

  #add(accountId: bigint, ccy: string, amount: Decimal): void {
    let wallet = this.balances.get(accountId);
    if (wallet === undefined) {
      wallet = new Map();
      this.balances.set(accountId, wallet);
    }
    wallet.set(ccy, (wallet.get(ccy) ?? ZERO16).add(amount));
  }
}

/** A settable clock. */
function manualClock(start = Date.parse('2022-12-28T10:00:00Z')) {
  let now = start;
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
    set: (ms: number) => {
      now = ms;
    },
    get ms() {
      return now;
    },
  };
}

/** The gateway and ledger around the engine: asks first, executes only what is not refused, feeds fills back. */
class Venue {
  readonly frozenKeys = new Set<string>();
  readonly frozenWithdrawals = new Set<bigint>();
  readonly decisions: { apiKey: string; accountId: bigint; decision: FraudDecision }[] = [];

  constructor(
    readonly engine: AntiFraud,
    readonly exchange: FakeExchange,
    readonly clock: ReturnType<typeof manualClock>,
  ) {}

  async request(apiKey: string, accountId: bigint, ip: string, brokerId?: string): Promise<boolean> {
    if (this.frozenKeys.has(apiKey)) return false;
    const decision = await this.engine.evaluateRequest({ apiKey, accountId, ip, brokerId });
    this.decisions.push({ apiKey, accountId, decision });
    if (decision.action === 'freeze_key') this.frozenKeys.add(apiKey);
    return !fraudRefuses(decision.action);
  }

  async order(
    apiKey: string,
    ip: string,
    order: PlaceOrder,
    brokerId?: string,
  ): Promise<{ decision: FraudDecision | null; fills: Fill[] }> {
    this.clock.advance(2_000);
    if (!(await this.request(apiKey, order.accountId, ip, brokerId))) return { decision: null, fills: [] };
    const notional =
      order.ordType === 'market'
        ? order.tgtCcy === 'quote_ccy'
          ? order.sz
          : d('0')
        : mul(order.px ?? d('0'), order.sz);
    const decision = await this.engine.evaluateOrder({ apiKey, ip, brokerId, notional, ...order });
    this.decisions.push({ apiKey, accountId: order.accountId, decision });
    if (decision.action === 'freeze_key') this.frozenKeys.add(apiKey);
    if (fraudRefuses(decision.action)) return { decision, fills: [] };
    const fills = this.exchange.execute(order);
    for (const f of fills) {
      await this.engine.recordFill({
        instId: order.instId,
        takerAccountId: f.taker,
        makerAccountId: f.maker,
        takerSide: f.takerSide,
        px: f.px,
        sz: f.sz,
      });
    }
    return { decision, fills };
  }

  async withdraw(accountId: bigint, ccy: string, amt: string, toAddr: string): Promise<FraudDecision> {
    this.clock.advance(1_000);
    const decision = await this.engine.evaluateWithdrawal({ accountId, ccy, amt: d(amt), toAddr });
    if (decision.action === 'freeze_withdrawals') this.frozenWithdrawals.add(accountId);
    return decision;
  }
}

const rulesOf = (decision: FraudDecision | null) => decision?.findings.map((f) => f.rule) ?? [];

// ---------------------------------------------------------------------------------------------
// (1) The scripted attack

describe('a 3Commas-style attack with leaked trade-only keys of one broker', () => {
  const PAIR = 'SCAM-USDT';
  const FAIR = d('1');
  const LOSS_CAP = '100';
  const MM = 900n;
  const ATTACKER = 666n;
  const ATTACKER_2 = 667n;
  const victims = [101n, 102n, 103n, 104n, 105n];
  /** Keys the victims' bot platform had used from its own servers before the leak. */
  const withHistory = new Set([101n, 102n, 103n]);
  let db: Database;
  let audit: AuditLog;
  let venue: Venue;
  const losses = new Map<bigint, Decimal>();

  beforeAll(async () => {
    db = await openPGlite();
    await db.migrate([...(await coreMigrations()), ...(await exchangeMigrations())]);
    audit = new AuditLog(db);
    const exchange = new FakeExchange();
    const clock = manualClock();
    const engine = createAntiFraud({ facts: exchange, audit, clock: clock.now, config: { lossCap: LOSS_CAP } });
    venue = new Venue(engine, exchange, clock);

    // A thin pair: a market maker's ladder around 1.00, ~1,200 USDT within ±2 %.
    exchange.references.set(PAIR, FAIR);
    for (const [px, side] of [
      ['0.99', 'buy'],
      ['0.98', 'buy'],
      ['0.97', 'buy'],
      ['1.01', 'sell'],
      ['1.02', 'sell'],
      ['1.03', 'sell'],
    ] as const) {
      exchange.post(MM, PAIR, side, px, '300');
    }
    exchange.fund(MM, 'USDT', '100000');
    exchange.fund(MM, 'SCAM', '100000');
    exchange.addresses.add(`${MM}:USDT:0xmm`);
    // The attacker's asks, five times the market.
    exchange.fund(ATTACKER, 'SCAM', '1000000');
    exchange.post(ATTACKER, PAIR, 'sell', '5', '50000');
    for (const v of victims) exchange.fund(v, 'USDT', '10000');
    for (const v of victims) {
      if (withHistory.has(v)) expect(await venue.request(`key-${v}`, v, `10.20.0.${v}`, 'leakybot')).toBe(true);
    }
    clock.advance(3 * 24 * 3_600_000);
  });
  afterAll(async () => db?.close());

  it('stops every victim before it loses more than the cap, freezes the keys and the attackers', async () => {
    const buys = new Map<bigint, Fill[]>();
    const attack = async (v: bigint, order: Omit<PlaceOrder, 'accountId' | 'instId' | 'side'>) => {
      const { decision, fills } = await venue.order(
        `key-${v}`,
        `203.0.113.${v}`,
        { accountId: v, instId: PAIR, side: 'buy', ...order },
        'leakybot',
      );
      buys.set(v, [...(buys.get(v) ?? []), ...fills.filter((f) => f.taker === v)]);
      return decision;
    };

    // Phase 1: each victim market-buys 3,000 USDT of SCAM, sweeping the ladder into the attacker's asks.
    for (const v of victims) {
      const decision = await attack(v, { ordType: 'market', sz: d('3000'), tgtCcy: 'quote_ccy' });
      expect(decision && fraudRefuses(decision.action)).toBe(true);
      expect(rulesOf(decision)).toEqual(
        expect.arrayContaining(['price_far_from_mid', 'counterparty_concentration', 'first_trade_in_pair']),
      );
      if (withHistory.has(v)) {
        expect(decision?.action).toBe('freeze_key');
        expect(rulesOf(decision)).toContain('new_ip_risky_trade');
      }
    }

    // Phase 2: a fresh attacker account asks 4 % over the market (under the 5 % premium threshold);
    // the victims still able to trade are made to buy 500 SCAM at 1.04, again and again.
    venue.exchange.cancel(ATTACKER, PAIR);
    venue.exchange.fund(ATTACKER_2, 'SCAM', '1000000');
    venue.exchange.post(ATTACKER_2, PAIR, 'sell', '1.04', '50000');
    for (const v of victims) {
      for (let i = 0; i < 30 && !venue.frozenKeys.has(`key-${v}`); i++) {
        await attack(v, { ordType: 'limit', px: d('1.04'), sz: d('500') });
      }
    }

    // Losses measured by the model: what each victim paid over the fair price.
    for (const v of victims) {
      let loss = ZERO16;
      for (const f of buys.get(v) ?? []) loss = loss.add(mul(f.px.sub(FAIR), f.sz));
      losses.set(v, loss);
      expect(loss.compare(q16(d(LOSS_CAP)))).toBeLessThanOrEqual(0);
      expect(venue.frozenKeys.has(`key-${v}`)).toBe(true);
    }
    // The first victim without history paid the second attacker until the cap; the second found it
    // already suspected: refused, then frozen for the repeated refusals.
    expect(losses.get(104n)?.isZero()).toBe(false);
    expect(losses.get(105n)?.isZero()).toBe(true);
    const accountsWith = (rule: FraudRule) =>
      new Set(venue.decisions.filter((x) => rulesOf(x.decision).includes(rule)).map((x) => x.accountId));
    expect(accountsWith('loss_cap')).toEqual(new Set([104n]));
    // Once the first victim's order had shown the attacker's asks, the next ones found it suspected.
    expect(accountsWith('suspect_counterparty')).toEqual(new Set([102n, 103n, 104n, 105n]));
    expect(accountsWith('repeated_refusals')).toEqual(new Set([105n]));
    expect(accountsWith('new_ip_risky_trade')).toEqual(new Set([101n, 102n, 103n]));
    expect(accountsWith('broker_burst')).toEqual(new Set([103n, 104n, 105n]));

    // Phase 3: the attackers cash out; the market maker withdraws as usual.
    for (const attacker of [ATTACKER, ATTACKER_2]) {
      const decision = await venue.withdraw(attacker, 'USDT', '2000', '0xattacker');
      expect(decision.action).toBe('freeze_withdrawals');
      expect(rulesOf(decision)).toContain('withdrawal_by_suspect_counterparty');
      expect(fraudDecisionError(decision)?.code).toBe('EXCHANGE_WITHDRAWALS_FROZEN');
    }
    const mm = await venue.withdraw(MM, 'USDT', '1000', '0xmm');
    expect(mm.action).toBe('allow');
  });

  it('leaves an audit trail that names the rules', async () => {
    const rulesFor = async (accountId: bigint) =>
      new Set((await audit.list({ accountId, limit: 1000 })).flatMap((e) => e.rules));
    for (const v of [101n, 102n, 103n]) {
      const rules = await rulesFor(v);
      for (const rule of ['new_ip', 'new_ip_risky_trade', 'price_far_from_mid', 'counterparty_concentration']) {
        expect(rules).toContain(rule);
      }
      const frozen = (await audit.list({ accountId: v })).find((e) => e.action === 'freeze_key');
      expect(frozen?.context).toMatchObject({ instId: PAIR, ip: `203.0.113.${v}`, brokerId: 'leakybot' });
    }
    expect(await rulesFor(104n)).toContain('loss_cap');
    expect([...(await rulesFor(105n))]).toEqual(expect.arrayContaining(['suspect_counterparty', 'repeated_refusals']));
    expect(await rulesFor(ATTACKER)).toContain('withdrawal_by_suspect_counterparty');
    expect(await rulesFor(ATTACKER_2)).toContain('withdrawal_by_suspect_counterparty');
    expect((await audit.list({ accountId: MM })).length).toBe(0);
    expect((await audit.list({ limit: 1000 })).every((e) => e.action !== ('allow' as string))).toBe(true);
  });
});

describe('the same attack spread over fresh attacker accounts, priced just under the premium', () => {
  it('still caps every victim and freezes every key', async () => {
    const PAIR = 'SCAM-USDT';
    const exchange = new FakeExchange();
    const clock = manualClock();
    const records: FraudDecision[] = [];
    const engine = createAntiFraud({
      facts: exchange,
      clock: clock.now,
      audit: { record: async (decision) => records.push(decision) },
      config: { lossCap: '100' },
    });
    const venue = new Venue(engine, exchange, clock);
    exchange.references.set(PAIR, d('1'));
    exchange.post(900n, PAIR, 'buy', '0.99', '300');
    exchange.post(900n, PAIR, 'sell', '1.01', '300');
    const victims = Array.from({ length: 5 }, (_, i) => BigInt(301 + i));
    for (const v of victims) exchange.fund(v, 'USDT', '10000');
    for (const [i, v] of victims.entries()) {
      // A new attacker account for each victim, asking 4.9 % over the market.
      const attacker = BigInt(700 + i);
      exchange.post(attacker, PAIR, 'sell', '1.049', '100000');
      for (let n = 0; n < 50 && !venue.frozenKeys.has(`key-${v}`); n++) {
        await venue.order(
          `key-${v}`,
          `203.0.113.${i}`,
          { accountId: v, instId: PAIR, side: 'buy', ordType: 'limit', px: d('1.049'), sz: d('300') },
          'leakybot',
        );
      }
      exchange.cancel(attacker, PAIR);
      expect(venue.frozenKeys.has(`key-${v}`)).toBe(true);
    }
    for (const v of victims) {
      const usdt = exchange.balances.get(v)?.get('USDT') ?? ZERO16;
      const scam = exchange.balances.get(v)?.get('SCAM') ?? ZERO16;
      // USDT spent minus what the SCAM received is worth at the fair price of 1.
      const loss = q16(d('10000')).sub(usdt).sub(scam);
      expect(loss.compare(q16(d('100')))).toBeLessThanOrEqual(0);
      expect(loss.isZero()).toBe(false);
    }
    expect(records.filter((r) => r.findings.some((f) => f.rule === 'loss_cap'))).toHaveLength(5);
    // Each attacker account was paid by one victim only: not enough to freeze its withdrawals, but
    // one victim and an address never used before are enough to refuse this one.
    const first = await venue.withdraw(700n, 'USDT', '100', '0xattacker');
    expect(first.findings.map((f) => f.rule)).toEqual(['new_withdrawal_address', 'withdrawal_by_suspect_counterparty']);
    expect(first.action).toBe('reject');
  });
});

// ---------------------------------------------------------------------------------------------
// (2) A normal bot

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A price at 8 decimals from a number of basis points of 1.00 (avoids floats in amounts). */
const priceFromUnits = (units: bigint) => Decimal.fromUnits(units, 8);

describe.each([{ broker: 'leakybot' as string | undefined }, { broker: undefined }])(
  'a normal trading bot (broker $broker)',
  ({ broker }) => {
    it('trades a thin pair near mid from its usual IP 200 times and is never refused or flagged', async () => {
      const PAIR = 'THIN-USDT';
      const MM = 900n;
      const BOT = 200n;
      const exchange = new FakeExchange();
      const clock = manualClock();
      const records: FraudDecision[] = [];
      const sink: FraudAuditSink = { record: async (decision) => records.push(decision) };
      const engine = createAntiFraud({ facts: exchange, audit: sink, clock: clock.now });
      const venue = new Venue(engine, exchange, clock);
      const random = lcg(7);
      exchange.fund(BOT, 'USDT', '20000');
      exchange.fund(BOT, 'THIN', '5000');
      exchange.traded.add(`${BOT}:${PAIR}`);
      // Its usual address, long known.
      expect(await venue.request('bot-key', BOT, '198.51.100.7', broker)).toBe(true);
      clock.advance(30 * 24 * 3_600_000);

      let mid = 200_000_000n; // 2.00000000
      const requote = () => {
        exchange.cancel(MM, PAIR);
        exchange.references.set(PAIR, priceFromUnits(mid));
        for (const bps of [20n, 50n, 100n, 150n]) {
          exchange.post(MM, PAIR, 'buy', priceFromUnits((mid * (10_000n - bps)) / 10_000n).toString(), '400');
          exchange.post(MM, PAIR, 'sell', priceFromUnits((mid * (10_000n + bps)) / 10_000n).toString(), '400');
        }
      };
      for (let i = 0; i < 200; i++) {
        // The market drifts by up to ±0.1 % a step; the maker requotes; the bot cancels its resting orders.
        mid = (mid * BigInt(10_000 + Math.floor(random() * 21) - 10)) / 10_000n;
        requote();
        exchange.cancel(BOT, PAIR);
        const side: FraudOrderSide = random() < 0.5 ? 'buy' : 'sell';
        const size = d(String(20 + Math.floor(random() * 60)));
        const kind = random();
        let order: PlaceOrder;
        if (kind < 0.4) {
          // A resting quote 0.05 % inside the touch.
          const px = priceFromUnits(side === 'buy' ? (mid * 9_995n) / 10_000n : (mid * 10_005n) / 10_000n);
          order = { accountId: BOT, instId: PAIR, side, ordType: 'limit', px, sz: size };
        } else if (kind < 0.7) {
          order = { accountId: BOT, instId: PAIR, side, ordType: 'market', sz: size };
        } else if (kind < 0.85) {
          order = { accountId: BOT, instId: PAIR, side: 'buy', ordType: 'market', sz: d('100'), tgtCcy: 'quote_ccy' };
        } else {
          const px = priceFromUnits(side === 'buy' ? (mid * 10_030n) / 10_000n : (mid * 9_970n) / 10_000n);
          order = { accountId: BOT, instId: PAIR, side, ordType: 'ioc', px, sz: size };
        }
        const { decision } = await venue.order('bot-key', '198.51.100.7', order, broker);
        expect(decision).not.toBeNull();
        expect(decision?.action).toBe('allow');
        for (const f of decision?.findings ?? []) expect(f.severity).toBe('low');
        clock.advance(Math.floor(random() * 60_000));
      }
      expect(venue.decisions.filter((x) => x.decision.action !== 'allow')).toEqual([]);
      expect(records).toEqual([]);
      // It trades a thin pair, and the engine did notice that much.
      expect(venue.decisions.some((x) => rulesOf(x.decision).includes('illiquid_pair'))).toBe(true);
    });
  },
);

// ---------------------------------------------------------------------------------------------
// (3) Each rule on its boundary

const E = '0.00000001';
const plus8 = (a: string, b: string) => d(a).add(d(b));
const minus8 = (a: string, b: string) => d(a).sub(d(b));

function setup(config: Partial<AntiFraudConfig> = {}) {
  const exchange = new FakeExchange();
  const clock = manualClock();
  const engine = createAntiFraud({ facts: exchange, clock: clock.now, config });
  return { exchange, clock, engine };
}

const order = (over: Partial<FraudOrderInput> & Pick<FraudOrderInput, 'ordType' | 'sz'>): FraudOrderInput => ({
  apiKey: 'k1',
  accountId: 1n,
  ip: '10.0.0.1',
  instId: 'ABC-USDT',
  side: 'buy',
  notional: d('0'),
  ...over,
});

const has = (decision: FraudDecision, rule: FraudRule) => decision.findings.some((f) => f.rule === rule);

describe('request rules', () => {
  it('new_ip: a network the key never used, not an address in a known /24, not a first use', async () => {
    const { engine, clock } = setup();
    const first = await engine.evaluateRequest({ apiKey: 'k', accountId: 1n, ip: '10.0.0.1' });
    expect(first.action).toBe('allow');
    clock.advance(60_000);
    const sameNet = await engine.evaluateRequest({ apiKey: 'k', accountId: 1n, ip: '10.0.0.255' });
    expect(has(sameNet, 'new_ip')).toBe(false);
    const mapped = await engine.evaluateRequest({ apiKey: 'k', accountId: 1n, ip: '::ffff:10.0.0.9' });
    expect(has(mapped, 'new_ip')).toBe(false);
    const other = await engine.evaluateRequest({ apiKey: 'k', accountId: 1n, ip: '10.0.1.0' });
    expect(has(other, 'new_ip')).toBe(true);
    expect(other.action).toBe('flag');
    // Only the first sighting is flagged.
    const again = await engine.evaluateRequest({ apiKey: 'k', accountId: 1n, ip: '10.0.1.7' });
    expect(again.action).toBe('allow');
    // Another key's first use from that network is not "new" (it has no history).
    const fresh = await engine.evaluateRequest({ apiKey: 'k2', accountId: 2n, ip: '10.0.1.0' });
    expect(fresh.action).toBe('allow');
    const v6a = await engine.evaluateRequest({ apiKey: 'k', accountId: 1n, ip: '2001:db8:1:2::1' });
    expect(has(v6a, 'new_ip')).toBe(true);
    const v6b = await engine.evaluateRequest({ apiKey: 'k', accountId: 1n, ip: '2001:db8:1:2:ffff::9' });
    expect(has(v6b, 'new_ip')).toBe(false);
  });

  it('broker_ip_mismatch: a broker-bound key outside its ranges freezes the key', async () => {
    const { engine } = setup();
    const base = { apiKey: 'k', accountId: 1n, ip: '192.0.2.1', brokerId: 'b1' };
    const outside = await engine.evaluateRequest({ ...base, brokerCidrsMatch: false });
    expect(outside.action).toBe('freeze_key');
    expect(has(outside, 'broker_ip_mismatch')).toBe(true);
    expect(fraudDecisionError(outside)?.code).toBe('EXCHANGE_KEY_FROZEN');
    expect((await engine.evaluateRequest({ ...base, brokerCidrsMatch: true })).action).toBe('allow');
    expect((await engine.evaluateRequest({ ...base })).action).toBe('allow');
    const noBroker = await engine.evaluateRequest({
      apiKey: 'k',
      accountId: 1n,
      ip: '192.0.2.1',
      brokerCidrsMatch: false,
    });
    expect(noBroker.action).toBe('allow');
  });
});

describe('order rules', () => {
  /** mid 1.00 from a bid at 0.99 × 500 and an ask at 1.01 × 500: 1,000 USDT within ±2 %. */
  function thinBook(exchange: FakeExchange) {
    exchange.post(9n, 'ABC-USDT', 'buy', '0.99', '500');
    exchange.post(9n, 'ABC-USDT', 'sell', '1.01', '500');
    exchange.traded.add('1:ABC-USDT');
    exchange.fund(1n, 'USDT', '1000000');
  }

  it('first_trade_in_pair', async () => {
    const { engine, exchange } = setup();
    thinBook(exchange);
    const resting = order({ ordType: 'limit', px: d('0.5'), sz: d('1') });
    expect(has(await engine.evaluateOrder(resting), 'first_trade_in_pair')).toBe(false);
    exchange.traded.clear();
    expect(has(await engine.evaluateOrder(resting), 'first_trade_in_pair')).toBe(true);
  });

  it('illiquid_pair: depth within the band below the minimum', async () => {
    const resting = order({ ordType: 'limit', px: d('0.5'), sz: d('1') });
    for (const [min, fires] of [
      ['1000', false],
      [plus8('1000', E).toString(), true],
    ] as const) {
      const { engine, exchange } = setup({ minDepthValue: min });
      thinBook(exchange);
      const decision = await engine.evaluateOrder(resting);
      expect(has(decision, 'illiquid_pair')).toBe(fires);
      expect(decision.action).toBe('allow');
    }
  });

  it('illiquid_pair: only levels within ±2 % of mid count', async () => {
    const resting = order({ ordType: 'limit', px: d('0.5'), sz: d('1') });
    for (const [px, fires] of [
      ['1.02', false],
      [plus8('1.02', E).toString(), true],
    ] as const) {
      const { engine, exchange } = setup({ minDepthValue: '2020' });
      thinBook(exchange);
      exchange.post(9n, 'ABC-USDT', 'sell', px, '1000'); // 1,020 USDT more if inside the band
      expect(has(await engine.evaluateOrder(resting), 'illiquid_pair')).toBe(fires);
    }
  });

  it('illiquid_pair: an order worth more than 20 % of the depth', async () => {
    for (const [notional, fires] of [
      ['200', false],
      [plus8('200', E).toString(), true],
    ] as const) {
      const { engine, exchange } = setup({ minDepthValue: '0' });
      thinBook(exchange);
      const decision = await engine.evaluateOrder(
        order({ ordType: 'limit', px: d('0.1'), sz: d('1'), notional: d(notional) }),
      );
      expect(has(decision, 'illiquid_pair')).toBe(fires);
    }
  });

  it('price_far_from_mid: a buy more than 5 % above, a sell more than 5 % below the reference', async () => {
    const cases: [FraudOrderSide, Decimal, boolean][] = [
      ['buy', d('1.05'), false],
      ['buy', plus8('1.05', E), true],
      ['sell', d('0.95'), false],
      ['sell', minus8('0.95', E), true],
    ];
    for (const [side, px, fires] of cases) {
      const { engine, exchange } = setup();
      // mid 1.00 with nothing between 0.5 and 1.5, so both limits rest.
      exchange.post(9n, 'ABC-USDT', 'buy', '0.5', '10');
      exchange.post(9n, 'ABC-USDT', 'sell', '1.5', '10');
      exchange.traded.add('1:ABC-USDT');
      exchange.fund(1n, 'USDT', '1000000');
      const decision = await engine.evaluateOrder(order({ side, ordType: 'limit', px, sz: d('1') }));
      expect(has(decision, 'price_far_from_mid')).toBe(fires);
      expect(decision.action).toBe(fires ? 'reject' : 'allow');
      if (fires) expect(fraudDecisionError(decision)?.code).toBe('EXCHANGE_RISK_BLOCKED');
    }
  });

  it('price_far_from_mid: a marketable buy in a deep book fills near mid and is fine', async () => {
    const { engine, exchange } = setup();
    exchange.post(9n, 'ABC-USDT', 'buy', '0.999', '1000000');
    exchange.post(9n, 'ABC-USDT', 'sell', '1.001', '1000000');
    exchange.traded.add('1:ABC-USDT');
    exchange.fund(1n, 'USDT', '1000000');
    const decision = await engine.evaluateOrder(order({ ordType: 'limit', px: d('1.2'), sz: d('100') }));
    expect(decision.findings).toEqual([]);
    expect(decision.action).toBe('allow');
  });

  it('price_far_from_mid: buys are priced against min(mid, reference)', async () => {
    const { engine, exchange } = setup();
    // The attacker lifted the mid to 1.95 with its own quotes; the reference says 1.00.
    exchange.post(66n, 'ABC-USDT', 'buy', '1.9', '1');
    exchange.post(66n, 'ABC-USDT', 'sell', '2', '1000');
    exchange.traded.add('1:ABC-USDT');
    exchange.fund(1n, 'USDT', '1000000');
    const bought = order({ ordType: 'limit', px: d('2'), sz: d('10') });
    expect(has(await engine.evaluateOrder(bought), 'price_far_from_mid')).toBe(false);
    exchange.references.set('ABC-USDT', d('1'));
    expect(has(await engine.evaluateOrder(bought), 'price_far_from_mid')).toBe(true);
  });

  it('sweeps_thin_book: more than 50 % of the visible opposite quantity', async () => {
    for (const [sz, fires] of [
      ['100', false],
      [plus8('100', E).toString(), true],
    ] as const) {
      const { engine, exchange } = setup();
      exchange.post(9n, 'ABC-USDT', 'buy', '0.99', '100');
      exchange.post(9n, 'ABC-USDT', 'sell', '1.01', '100');
      exchange.post(9n, 'ABC-USDT', 'sell', '1.02', '100');
      exchange.traded.add('1:ABC-USDT');
      exchange.fund(1n, 'USDT', '1000000');
      const decision = await engine.evaluateOrder(order({ ordType: 'market', sz: d(sz) }));
      expect(has(decision, 'sweeps_thin_book')).toBe(fires);
      expect(has(decision, 'price_far_from_mid')).toBe(false);
    }
  });

  it('balance_concentration: a buy worth more than 50 % of the balance value', async () => {
    for (const [notional, fires] of [
      ['500', false],
      [plus8('500', E).toString(), true],
    ] as const) {
      const { engine, exchange } = setup({ minDepthValue: '0', maxDepthShareBps: 1_000_000 });
      exchange.post(9n, 'ABC-USDT', 'buy', '0.99', '100');
      exchange.post(9n, 'ABC-USDT', 'sell', '1.01', '100');
      exchange.traded.add('1:ABC-USDT');
      exchange.fund(1n, 'USDT', '1000');
      const decision = await engine.evaluateOrder(
        order({ ordType: 'limit', px: d('0.5'), sz: d('1'), notional: d(notional) }),
      );
      expect(has(decision, 'balance_concentration')).toBe(fires);
    }
  });

  it('broker_burst: 3 distinct accounts of one broker in one illiquid pair within 10 minutes', async () => {
    const { engine, exchange, clock } = setup();
    thinBook(exchange);
    const resting = (accountId: bigint) =>
      engine.evaluateOrder(
        order({ accountId, apiKey: `k${accountId}`, brokerId: 'b1', ordType: 'limit', px: d('0.5'), sz: d('1') }),
      );
    const t0 = clock.ms;
    expect(has(await resting(1n), 'broker_burst')).toBe(false);
    clock.advance(60_000);
    expect(has(await resting(2n), 'broker_burst')).toBe(false);
    expect(has(await resting(2n), 'broker_burst')).toBe(false); // the same account again
    clock.set(t0 + 10 * 60_000); // account 1 is now out of the window
    expect(has(await resting(3n), 'broker_burst')).toBe(false);
    clock.set(t0 + 10 * 60_000 + 59_999); // 1 out, 2 (t0 + 1 min) still in
    expect(has(await resting(1n), 'broker_burst')).toBe(true);
    // Another broker, or none, is not part of it.
    const other = await engine.evaluateOrder(
      order({ accountId: 4n, apiKey: 'k4', brokerId: 'b2', ordType: 'limit', px: d('0.5'), sz: d('1') }),
    );
    expect(has(other, 'broker_burst')).toBe(false);
  });

  it('broker_burst: never in a liquid pair', async () => {
    const { engine, exchange } = setup();
    exchange.post(9n, 'ABC-USDT', 'buy', '0.999', '1000000');
    exchange.post(9n, 'ABC-USDT', 'sell', '1.001', '1000000');
    for (const a of [1n, 2n, 3n, 4n]) {
      exchange.traded.add(`${a}:ABC-USDT`);
      const decision = await engine.evaluateOrder(
        order({ accountId: a, apiKey: `k${a}`, brokerId: 'b1', ordType: 'limit', px: d('0.5'), sz: d('1') }),
      );
      expect(decision.findings).toEqual([]);
    }
  });

  it('counterparty_concentration: one account receiving more than 50 % of the value at far prices', async () => {
    for (const [sz, fires] of [
      ['206', false],
      [plus8('206', E).toString(), true],
    ] as const) {
      const { engine, exchange } = setup();
      // mid 0.99 (bid 0.98, ask 1.00): far is above 1.0395.
      exchange.post(9n, 'ABC-USDT', 'buy', '0.98', '100');
      exchange.post(9n, 'ABC-USDT', 'sell', '1', '106'); // 106 USDT, near
      exchange.post(66n, 'ABC-USDT', 'sell', '1.06', '1000'); // far
      exchange.traded.add('1:ABC-USDT');
      exchange.fund(1n, 'USDT', '1000000');
      const decision = await engine.evaluateOrder(order({ ordType: 'market', sz: d(sz) }));
      expect(has(decision, 'counterparty_concentration')).toBe(fires);
      if (fires)
        expect(decision.findings.find((f) => f.rule === 'counterparty_concentration')?.data.counterparties).toEqual([
          '66',
        ]);
    }
  });

  it('counterparty_concentration: a fill exactly at the premium is not far', async () => {
    const { engine, exchange } = setup();
    exchange.post(9n, 'ABC-USDT', 'buy', '0.99', '100');
    exchange.post(9n, 'ABC-USDT', 'sell', '1.01', '1');
    exchange.post(66n, 'ABC-USDT', 'sell', '1.05', '1000');
    exchange.traded.add('1:ABC-USDT');
    exchange.fund(1n, 'USDT', '1000000');
    const decision = await engine.evaluateOrder(order({ ordType: 'market', sz: d('100') }));
    expect(has(decision, 'counterparty_concentration')).toBe(false);
    expect(has(decision, 'price_far_from_mid')).toBe(false);
  });

  it('suspect_counterparty: once suspected, any order filling against the account is refused', async () => {
    const { engine, exchange } = setup();
    exchange.post(9n, 'ABC-USDT', 'buy', '0.99', '100');
    exchange.post(66n, 'ABC-USDT', 'sell', '1.01', '100');
    exchange.post(66n, 'ABC-USDT', 'sell', '3', '1000');
    for (const a of [1n, 2n]) exchange.traded.add(`${a}:ABC-USDT`);
    exchange.fund(1n, 'USDT', '1000000');
    exchange.fund(2n, 'USDT', '1000000');
    const small = (accountId: bigint) => order({ accountId, apiKey: `k${accountId}`, ordType: 'market', sz: d('10') });
    expect(has(await engine.evaluateOrder(small(2n)), 'suspect_counterparty')).toBe(false);
    // Account 1 is made to sweep into the 3.00 asks: 66 becomes a suspect.
    await engine.evaluateOrder(order({ ordType: 'market', sz: d('500') }));
    const after = await engine.evaluateOrder(small(2n));
    expect(has(after, 'suspect_counterparty')).toBe(true);
    expect(after.action).toBe('reject');
  });

  it('no_reference_price: a one-sided book with no reference', async () => {
    const { engine, exchange } = setup();
    exchange.post(66n, 'ABC-USDT', 'sell', '7', '1000');
    exchange.traded.add('1:ABC-USDT');
    exchange.fund(1n, 'USDT', '1000000');
    const taking = await engine.evaluateOrder(order({ ordType: 'market', sz: d('10') }));
    expect(taking.findings.find((f) => f.rule === 'no_reference_price')?.severity).toBe('high');
    expect(taking.action).toBe('reject');
    const resting = await engine.evaluateOrder(order({ ordType: 'limit', px: d('1'), sz: d('10') }));
    expect(resting.findings.find((f) => f.rule === 'no_reference_price')?.severity).toBe('medium');
    exchange.references.set('ABC-USDT', d('1'));
    expect(has(await engine.evaluateOrder(order({ ordType: 'market', sz: d('10') })), 'no_reference_price')).toBe(
      false,
    );
  });

  it('new_ip_risky_trade: a risky order from a new network freezes the key; from the usual one it is rejected', async () => {
    const { engine, exchange, clock } = setup();
    thinBook(exchange);
    exchange.post(66n, 'ABC-USDT', 'sell', '2', '1000');
    await engine.evaluateRequest({ apiKey: 'k1', accountId: 1n, ip: '10.0.0.1' });
    clock.advance(3_600_000);
    const risky = { ordType: 'limit', px: d('2'), sz: d('600') } as const;
    const usual = await engine.evaluateOrder(order({ ...risky, ip: '10.0.0.1' }));
    expect(usual.action).toBe('reject');
    expect(has(usual, 'new_ip_risky_trade')).toBe(false);
    await engine.evaluateRequest({ apiKey: 'k1', accountId: 1n, ip: '203.0.113.9' });
    const fromNew = await engine.evaluateOrder(order({ ...risky, ip: '203.0.113.9' }));
    expect(fromNew.action).toBe('freeze_key');
    expect(has(fromNew, 'new_ip_risky_trade')).toBe(true);
    // A normal order from the new network is not escalated.
    const normal = await engine.evaluateOrder(
      order({ ordType: 'limit', px: d('0.99'), sz: d('1'), ip: '203.0.113.9' }),
    );
    expect(has(normal, 'new_ip_risky_trade')).toBe(false);
    // After 24 h the network is no longer new.
    clock.advance(24 * 3_600_000 - 1);
    expect(has(await engine.evaluateOrder(order({ ...risky, ip: '203.0.113.9' })), 'new_ip_risky_trade')).toBe(true);
    clock.advance(1);
    expect(has(await engine.evaluateOrder(order({ ...risky, ip: '203.0.113.9' })), 'new_ip_risky_trade')).toBe(false);
  });

  it('loss_cap: allowed up to the cap exactly, frozen one unit past it', async () => {
    const { engine, exchange, clock } = setup({ lossCap: '90' });
    // Asks 3 % over the reference (beyond the 1 % tolerance, under the 5 % premium); first trade in the pair.
    exchange.post(9n, 'ABC-USDT', 'buy', '0.97', '100000');
    exchange.post(66n, 'ABC-USDT', 'sell', '1.03', '100000');
    exchange.fund(1n, 'USDT', '1000000');
    const buy = (sz: string) => engine.evaluateOrder(order({ ordType: 'limit', px: d('1.03'), sz: d(sz) }));
    for (let i = 0; i < 3; i++) {
      const decision = await buy('1000'); // 30 USDT over the reference each
      expect(fraudRefuses(decision.action)).toBe(false);
      expect(has(decision, 'loss_cap')).toBe(false);
    }
    const over = await buy(E);
    expect(over.action).toBe('freeze_key');
    expect(over.findings.find((f) => f.rule === 'loss_cap')?.data).toMatchObject({ total: '90', lossCap: '90' });
    // The window slides: a day later the account may pay again.
    clock.advance(24 * 3_600_000);
    expect(has(await buy('1'), 'loss_cap')).toBe(false);
  });

  it('loss_cap: an account paying within the tolerance of a pair it trades is never charged', async () => {
    const { engine, exchange } = setup({ lossCap: '1', minDepthValue: '1000000' });
    exchange.post(9n, 'ABC-USDT', 'buy', '0.99', '100000');
    exchange.post(9n, 'ABC-USDT', 'sell', '1.01', '100000');
    exchange.traded.add('1:ABC-USDT');
    exchange.fund(1n, 'USDT', '100000000');
    for (let i = 0; i < 50; i++) {
      const decision = await engine.evaluateOrder(order({ ordType: 'market', sz: d('1000') })); // 10 USDT over mid each
      expect(decision.action).toBe('allow');
    }
  });
});

describe('withdrawal rules and fills', () => {
  it('new_withdrawal_address asks for re-authentication; a known address is allowed', async () => {
    const { engine, exchange } = setup();
    exchange.addresses.add('1:USDT:0xknown');
    const known = await engine.evaluateWithdrawal({ accountId: 1n, ccy: 'USDT', amt: d('10'), toAddr: '0xknown' });
    expect(known.action).toBe('allow');
    const fresh = await engine.evaluateWithdrawal({ accountId: 1n, ccy: 'USDT', amt: d('10'), toAddr: '0xnew' });
    expect(fresh.action).toBe('reauth');
    expect(has(fresh, 'new_withdrawal_address')).toBe(true);
    expect(fraudDecisionError(fresh)?.details.action).toBe('reauth');
  });

  it('withdrawal_by_suspect_counterparty: flagged with one victim, frozen from two, forgotten after the window', async () => {
    const { engine, exchange, clock } = setup();
    exchange.addresses.add('66:USDT:0xa');
    exchange.post(9n, 'ABC-USDT', 'buy', '0.99', '100');
    exchange.post(66n, 'ABC-USDT', 'sell', '1.01', '1');
    exchange.post(66n, 'ABC-USDT', 'sell', '4', '100000');
    const withdraw = () => engine.evaluateWithdrawal({ accountId: 66n, ccy: 'USDT', amt: d('10'), toAddr: '0xa' });
    expect((await withdraw()).action).toBe('allow');
    await engine.evaluateOrder(order({ accountId: 1n, apiKey: 'k1', ordType: 'market', sz: d('100') }));
    const one = await withdraw();
    expect(one.findings.find((f) => f.rule === 'withdrawal_by_suspect_counterparty')?.severity).toBe('medium');
    expect(one.action).toBe('flag');
    await engine.evaluateOrder(order({ accountId: 2n, apiKey: 'k2', ordType: 'market', sz: d('100') }));
    const two = await withdraw();
    expect(two.action).toBe('freeze_withdrawals');
    clock.advance(72 * 3_600_000);
    expect((await withdraw()).action).toBe('allow');
  });

  it('withdrawal_after_risky_trading: the account’s own orders were refused within the hour', async () => {
    const { engine, exchange, clock } = setup();
    exchange.addresses.add('1:USDT:0xa');
    exchange.post(9n, 'ABC-USDT', 'buy', '0.99', '100');
    exchange.post(9n, 'ABC-USDT', 'sell', '5', '100');
    exchange.traded.add('1:ABC-USDT');
    await engine.evaluateOrder(order({ ordType: 'market', sz: d('10') }));
    const withdraw = () => engine.evaluateWithdrawal({ accountId: 1n, ccy: 'USDT', amt: d('10'), toAddr: '0xa' });
    expect((await withdraw()).action).toBe('reauth');
    clock.advance(3_600_000);
    expect((await withdraw()).action).toBe('allow');
  });

  it('recordFill: a fill beyond the premium of a risky order makes the other side a suspect', async () => {
    const { engine, exchange } = setup();
    // A resting limit buy at 1.04 (4 %, allowed in a thin book, first trade) is later hit.
    exchange.post(9n, 'ABC-USDT', 'buy', '0.99', '100');
    exchange.post(9n, 'ABC-USDT', 'sell', '1.01', '1');
    exchange.fund(1n, 'USDT', '100000');
    const decision = await engine.evaluateOrder(order({ ordType: 'post_only', px: d('1.04'), sz: d('10') }));
    expect(fraudRefuses(decision.action)).toBe(false);
    const fill = {
      instId: 'ABC-USDT',
      takerAccountId: 66n,
      makerAccountId: 1n,
      takerSide: 'sell' as const,
      sz: d('1'),
    };
    expect(await engine.recordFill({ ...fill, px: d('1.05') })).toEqual([]);
    expect(await engine.recordFill({ ...fill, px: plus8('1.05', E) })).toEqual([66n]);
    expect(await engine.recordFill({ ...fill, px: d('3'), takerAccountId: 1n })).toEqual([]);
  });
});

describe('inputs and configuration', () => {
  it('refuses malformed input and configuration', async () => {
    const { engine } = setup();
    await expect(engine.evaluateOrder(order({ ordType: 'limit', sz: d('1') }))).rejects.toMatchObject({
      code: 'EXCHANGE_INVALID_REQUEST',
    });
    await expect(engine.evaluateOrder(order({ ordType: 'market', sz: d('0') }))).rejects.toMatchObject({
      code: 'EXCHANGE_INVALID_REQUEST',
    });
    await expect(
      engine.evaluateOrder(order({ ordType: 'market', sz: d('1'), instId: 'BTCUSDT' })),
    ).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    expect(() => createAntiFraud({ facts: new FakeExchange(), config: { maxPremiumBps: 0 } })).toThrow(/maxPremiumBps/);
    expect(() => createAntiFraud({ facts: new FakeExchange(), config: { lossCap: '1e3' } })).toThrow(/lossCap/);
    expect(() => createAntiFraud({ facts: new FakeExchange(), config: { flagScore: 9, rejectScore: 6 } })).toThrow(
      /flagScore/,
    );
  });
});
