/**
 * The exchange anti-fraud engine. The gateway asks it before a request, an order or a withdrawal
 * executes, and the ledger feeds fills back. It is built against the 2022 3Commas leak: attackers
 * holding thousands of leaked trade-only API keys of one third-party app made the victims' accounts
 * buy illiquid tokens far above the market from the attackers' own asks, then withdrew from their
 * own accounts. A trading bot doing ordinary things with the same permissions (a thin pair, normal
 * size, near mid, its usual IP) must go through untouched.
 *
 * Rules (thresholds in `AntiFraudConfig`; severities in brackets):
 *  - request: `new_ip` [low] a key used before shows up from a network it never used (first
 *    sighting); `broker_ip_mismatch` [critical] a broker-bound key used outside the broker's ranges.
 *  - order, judged on a simulation of the order against the visible opposite side and a reference
 *    price (min(mid, reference) for a buy, max(mid, reference) for a sell; the mid alone without
 *    `FraudFacts.referencePrice`): `first_trade_in_pair` [low]; `illiquid_pair` [low] quote depth
 *    within ±nearMidBand of mid below minDepthValue, the order's value above maxDepthShare of it,
 *    or no mid at all — measured from the book at run time, never from a list; `no_reference_price`
 *    [high if it would fill now, else medium]; `price_far_from_mid` [high] the worst price the
 *    order would pay (a fill or its resting limit) beyond maxPremium of the reference;
 *    `sweeps_thin_book` [medium] an illiquid pair and more than maxSweep of the visible opposite
 *    quantity taken; `balance_concentration` [medium] a buy worth more than maxBalanceShare of the
 *    account's total balance value; `broker_burst` [medium] at least brokerBurstAccounts distinct
 *    accounts of the same broker ordering in the same illiquid pair within brokerBurstWindow;
 *    `counterparty_concentration` [high] one account would receive more than counterpartyShare of
 *    the order's fill value at prices beyond maxPremium; `suspect_counterparty` [high] the order
 *    would fill against an account already suspected; `new_ip_risky_trade` [critical] the key is on
 *    a new network (first seen within newIpWindow, the key having been used before) and the order's
 *    price is a risk (below) or it would be rejected anyway; `loss_cap` [critical] allowing the
 *    order would take the account's estimated overpayment in risky conditions over lossCap;
 *    `repeated_refusals` [high] the order is refused and it is the account's refusalsBeforeFreeze-th
 *    refused order within riskyOrderWindow.
 *  - withdrawal: `new_withdrawal_address` [medium]; `withdrawal_after_risky_trading` [medium] the
 *    account's own orders were refused or priced as a risk within riskyOrderWindow;
 *    `withdrawal_by_suspect_counterparty` [critical with suspectMinVictims distinct victims or more
 *    within suspectWindow, else medium] the account was paid far from the reference by other
 *    accounts' risky orders (or would have been: counterparties of refused orders count too).
 *
 * Combination policy. Each severity weighs: low 1, medium 3, high 6, critical 10; the score is the
 * sum over the findings. The score gives an action: score >= rejectScore (6) → `reject`,
 * score >= flagScore (2) → `flag`, else `allow`. Some rules also impose a minimum action:
 * `new_ip` → flag, `new_withdrawal_address` and `withdrawal_after_risky_trading` → reauth,
 * `broker_ip_mismatch`, `new_ip_risky_trade`, `loss_cap` and `repeated_refusals` → freeze_key,
 * critical `withdrawal_by_suspect_counterparty` → freeze_withdrawals. The decision is the
 * strongest of the score's action and the minimums, in the order allow < flag < reauth < reject <
 * freeze_key < freeze_withdrawals. `reauth` and stronger refuse the action as asked
 * (`fraudRefuses`): `reauth` until the user signs in again with the second factor, `reject`
 * outright, `freeze_key` also asks the caller to freeze the API key, `freeze_withdrawals` the
 * account's withdrawals. `flag` lets the action go and records it; `allow` records nothing.
 *
 * A price is "a risk" when it is far from the reference, would pay a suspect or a concentrated
 * far-priced counterparty, or, in an illiquid pair, is worse than the reference by more than
 * overpayToleranceBps (half a normal spread) or cannot be judged for lack of a reference.
 *
 * Loss cap. An order allowed (allow or flag) in risky conditions — its price is a risk, or it is in
 * an illiquid pair and is the account's first trade there, from a new network, or part of a broker
 * burst — is charged its estimated overpayment: for a buy, the sum over its simulated fills of
 * (price − reference) × quantity where positive, plus its resting remainder × (limit − reference);
 * mirrored for a sell; converted to the valuation unit; the whole order value when there is no
 * reference. Charges are kept per account over lossWindow, and the order whose charge would take
 * the total over lossCap is refused with `loss_cap` (freeze_key). An attacker pricing within the
 * tolerance, in a pair the victim has traded before, from the victim's usual network, outside a
 * broker burst, is not charged: that is the price of not disturbing bots that pay half a spread all
 * day; it can take at most overpayToleranceBps of each such order.
 *
 * Suspects. An account becomes a suspect counterparty of a victim when the victim's order would
 * fill against it beyond maxPremium of the reference (refused or not), when a fill fed back to
 * `recordFill` pays it beyond maxPremium of the reference of the victim's risky order, and when an
 * order refused as a victim's (loss_cap, new_ip_risky_trade, suspect_counterparty) would pay it
 * more than counterpartyShare of its value beyond the tolerance, or, behind a ladder that takes most
 * of the order, more than counterpartyShare of what it would pay beyond the tolerance line at an
 * average price itself beyond the line — the attacker pricing just under the premium, not the
 * market maker whose ladder it sits behind (nor one whose outer levels alone cross the line).
 *
 * State (networks per key, broker activity, charges, risky orders, suspects) lives in a
 * `FraudState`, in memory by default. Every non-allow decision goes to the audit sink, if one is
 * given, before the decision is returned; an audit failure throws (the caller refuses the action).
 */
import { BaseError, Decimal } from '@custos/core';
import {
  aboveBps,
  atScale,
  cmp,
  divide,
  max,
  min,
  minus,
  plus,
  positive,
  premiumBps,
  ratioBps,
  shiftBps,
  show,
  times,
  VALUE_SCALE,
} from './amount.js';
import { type AntiFraudConfig, type ResolvedAntiFraudConfig, resolveAntiFraudConfig } from './config.js';
import { networkOf } from './network.js';
import { type FraudState, type IpObservation, type KeyIpHistory, MemoryFraudState } from './state.js';
import type {
  FraudAction,
  FraudAuditSink,
  FraudDataValue,
  FraudDecision,
  FraudFacts,
  FraudFill,
  FraudFinding,
  FraudOrderInput,
  FraudOrderSide,
  FraudRequestInput,
  FraudRule,
  FraudSeverity,
  FraudSubject,
  FraudWithdrawalInput,
} from './types.js';

export interface AntiFraudOptions {
  facts: FraudFacts;
  /** Where non-allow decisions are recorded (an `AuditLog`); nothing is recorded without one. */
  audit?: FraudAuditSink | undefined;
  config?: Partial<AntiFraudConfig> | undefined;
  /** Time of an evaluation whose input has no `at`. */
  clock?: (() => Date) | undefined;
  /** Defaults to a fresh `MemoryFraudState`. */
  state?: FraudState | undefined;
  /** Where networks per key are kept, if not in `state` (e.g. a `DbKeyIpHistory`). */
  ipHistory?: KeyIpHistory | undefined;
}

export interface AntiFraud {
  readonly config: Readonly<ResolvedAntiFraudConfig>;
  /** Before any authenticated request (after the signature check). */
  evaluateRequest(input: FraudRequestInput): Promise<FraudDecision>;
  /** Before an order is matched. */
  evaluateOrder(input: FraudOrderInput): Promise<FraudDecision>;
  /** Before a withdrawal is accepted. */
  evaluateWithdrawal(input: FraudWithdrawalInput): Promise<FraudDecision>;
  /**
   * After each fill: when it paid one side far from the reference its risky order was judged
   * against, the other side becomes a suspect counterparty. Returns the accounts newly noted.
   */
  recordFill(fill: FraudFill): Promise<readonly bigint[]>;
}

export const FRAUD_SEVERITY_WEIGHT: Readonly<Record<FraudSeverity, number>> = Object.freeze({
  low: 1,
  medium: 3,
  high: 6,
  critical: 10,
});

const ACTION_RANK: Readonly<Record<FraudAction, number>> = {
  allow: 0,
  flag: 1,
  reauth: 2,
  reject: 3,
  freeze_key: 4,
  freeze_withdrawals: 5,
};

/** Minimum action a finding of the rule imposes (see the policy above). */
const RULE_MINIMUM: Partial<Record<FraudRule, FraudAction>> = {
  new_ip: 'flag',
  broker_ip_mismatch: 'freeze_key',
  new_ip_risky_trade: 'freeze_key',
  loss_cap: 'freeze_key',
  repeated_refusals: 'freeze_key',
  new_withdrawal_address: 'reauth',
  withdrawal_after_risky_trading: 'reauth',
};

/** Whether the action refuses what was asked (the caller must not execute it). */
export function fraudRefuses(action: FraudAction): boolean {
  return ACTION_RANK[action] >= ACTION_RANK.reauth;
}

/** The typed error a refusing decision maps to, or null for allow and flag. */
export function fraudDecisionError(decision: FraudDecision): BaseError | null {
  if (!fraudRefuses(decision.action)) return null;
  const rules = [...new Set(decision.findings.map((f) => f.rule))].join(',');
  const details = { action: decision.action, score: decision.score, rules };
  switch (decision.action) {
    case 'freeze_key':
      return new BaseError('EXCHANGE_KEY_FROZEN', 'the API key was frozen by the risk engine', {
        details,
        hints: ['The account owner can review the activity and unfreeze the key after signing in.'],
      });
    case 'freeze_withdrawals':
      return new BaseError('EXCHANGE_WITHDRAWALS_FROZEN', 'withdrawals are frozen pending a risk review', {
        details,
      });
    case 'reauth':
      return new BaseError('EXCHANGE_RISK_BLOCKED', 'this action needs a fresh sign-in', {
        details,
        hints: ['Sign in again (with the second factor) and repeat the action.'],
      });
    default:
      return new BaseError('EXCHANGE_RISK_BLOCKED', 'the risk engine refused the action', { details });
  }
}

function strongest(a: FraudAction, b: FraudAction): FraudAction {
  return ACTION_RANK[b] > ACTION_RANK[a] ? b : a;
}

function scoreOf(findings: readonly FraudFinding[]): number {
  return findings.reduce((sum, f) => sum + FRAUD_SEVERITY_WEIGHT[f.severity], 0);
}

function decide(subject: FraudSubject, findings: readonly FraudFinding[], config: ResolvedAntiFraudConfig) {
  const score = scoreOf(findings);
  let action: FraudAction = score >= config.rejectScore ? 'reject' : score >= config.flagScore ? 'flag' : 'allow';
  for (const f of findings) {
    const minimum =
      f.rule === 'withdrawal_by_suspect_counterparty' && f.severity === 'critical'
        ? 'freeze_withdrawals'
        : f.rule === 'new_withdrawal_address'
          ? config.newWithdrawalAddressAction
          : RULE_MINIMUM[f.rule];
    if (minimum !== undefined) action = strongest(action, minimum);
  }
  return { subject, action, score, findings: [...findings] } satisfies FraudDecision;
}

function finding(
  rule: FraudRule,
  severity: FraudSeverity,
  message: string,
  data: Record<string, FraudDataValue>,
): FraudFinding {
  return { rule, severity, message, data };
}

function invalid(field: string, expected: string): BaseError {
  return new BaseError('EXCHANGE_INVALID_REQUEST', `anti-fraud input "${field}" expected ${expected}`, {
    details: { field },
  });
}

const INST_ID = /^([A-Za-z0-9]{1,32})-([A-Za-z0-9]{1,32})$/;

interface SimLevel {
  px: Decimal;
  sz: Decimal;
  accountId?: bigint | undefined;
}

interface SimFill {
  px: Decimal;
  sz: Decimal;
  quote: Decimal;
  accountId?: bigint | undefined;
}

interface Simulation {
  fills: SimFill[];
  filledBase: Decimal;
  filledQuote: Decimal;
  /** Base quantity that would rest on the book at the limit price. */
  restingBase: Decimal;
}

/** What the order would do against `levels` (the opposite side, best first) right now. */
function simulate(levels: readonly SimLevel[], order: FraudOrderInput): Simulation {
  const { side, ordType, px, sz } = order;
  const quoteSized = ordType === 'market' && order.tgtCcy === 'quote_ccy';
  let fills: SimFill[] = [];
  let remaining = sz;
  if (ordType !== 'post_only') {
    for (const level of levels) {
      if (remaining.units <= 0n) break;
      if (
        px !== undefined &&
        ordType !== 'market' &&
        (side === 'buy' ? cmp(level.px, px) > 0 : cmp(level.px, px) < 0)
      ) {
        break;
      }
      if (level.sz.units <= 0n || level.px.units <= 0n) continue;
      let base: Decimal;
      let quote: Decimal;
      if (quoteSized) {
        const cost = times(level.px, level.sz);
        if (cmp(cost, remaining) <= 0) {
          base = level.sz;
          quote = cost;
        } else {
          base = divide(remaining, level.px, VALUE_SCALE, 'down');
          quote = remaining;
        }
        remaining = minus(remaining, quote);
      } else {
        base = min(level.sz, remaining);
        quote = times(level.px, base);
        remaining = minus(remaining, base);
      }
      fills.push({ px: level.px, sz: base, quote, accountId: level.accountId });
    }
  }
  const unfilled = remaining.units > 0n;
  if (ordType === 'fok' && unfilled) fills = [];
  let filledBase = Decimal.zero(0);
  let filledQuote = Decimal.zero(0);
  for (const f of fills) {
    filledBase = plus(filledBase, f.sz);
    filledQuote = plus(filledQuote, f.quote);
  }
  const rests = (ordType === 'limit' || ordType === 'post_only') && unfilled;
  return { fills, filledBase, filledQuote, restingBase: rests ? remaining : Decimal.zero(0) };
}

/** How much worse than `reference` the price is for the side (positive = worse), as a price difference. */
function adverse(side: FraudOrderSide, price: Decimal, reference: Decimal): Decimal {
  return side === 'buy' ? minus(price, reference) : minus(reference, price);
}

/** True when `price` is worse for the side than `reference` by more than `bps`. */
function beyond(side: FraudOrderSide, price: Decimal, reference: Decimal, bps: number): boolean {
  return side === 'buy' ? cmp(price, shiftBps(reference, bps)) > 0 : cmp(price, shiftBps(reference, -bps)) < 0;
}

function sumQuote(levels: readonly { px: Decimal; sz: Decimal }[]): Decimal {
  let total = Decimal.zero(0);
  for (const l of levels) total = plus(total, times(l.px, l.sz));
  return total;
}

function sumBase(levels: readonly { sz: Decimal }[]): Decimal {
  let total = Decimal.zero(0);
  for (const l of levels) total = plus(total, l.sz);
  return total;
}

function checkAt(at: Date | undefined, clock: () => Date): number {
  const time = (at ?? clock()).getTime();
  if (!Number.isFinite(time)) throw invalid('at', 'a valid Date');
  return time;
}

function checkCommon(input: { apiKey?: string | undefined; accountId: bigint; ip?: string | undefined }): void {
  if (typeof input.accountId !== 'bigint') throw invalid('accountId', 'a bigint');
  if (input.apiKey !== undefined && (typeof input.apiKey !== 'string' || input.apiKey.length === 0)) {
    throw invalid('apiKey', 'a non-empty string');
  }
  if (input.ip !== undefined && typeof input.ip !== 'string') throw invalid('ip', 'a string');
}

function checkAmount(value: unknown, field: string, positiveOnly: boolean): asserts value is Decimal {
  if (!(value instanceof Decimal) || value.isNegative() || (positiveOnly && value.isZero())) {
    throw invalid(field, positiveOnly ? 'a positive Decimal' : 'a non-negative Decimal');
  }
}

export function createAntiFraud(options: AntiFraudOptions): AntiFraud {
  const { facts, audit } = options;
  const config = resolveAntiFraudConfig(options.config);
  const clock = options.clock ?? (() => new Date());
  const state = options.state ?? new MemoryFraudState();
  const ips = options.ipHistory ?? state;

  const networkOfIp = (ip: string) => networkOf(ip, config.ipv4Prefix, config.ipv6Prefix);

  /** A network first seen within the window, for a key seen before it. */
  const isNewNetwork = (seen: IpObservation, at: number) =>
    seen.keyFirstSeen < seen.networkFirstSeen && at - seen.networkFirstSeen < config.newIpWindowMs;

  const toValuation = async (ccy: string, amount: Decimal): Promise<Decimal> => {
    if (facts.quoteValue === undefined || amount.isZero()) return amount;
    return (await facts.quoteValue(ccy, amount)) ?? amount;
  };

  async function finish(
    decision: FraudDecision,
    at: number,
    who: { accountId: bigint; apiKey?: string | undefined },
    fields: Record<string, FraudDataValue | undefined>,
  ): Promise<FraudDecision> {
    if (decision.action !== 'allow' && audit !== undefined) {
      const clean: Record<string, FraudDataValue> = {};
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) clean[k] = v;
      await audit.record(decision, { at: new Date(at), accountId: who.accountId, apiKey: who.apiKey, fields: clean });
    }
    return decision;
  }

  async function evaluateRequest(input: FraudRequestInput): Promise<FraudDecision> {
    checkCommon(input);
    if (typeof input.apiKey !== 'string' || input.apiKey.length === 0) throw invalid('apiKey', 'a non-empty string');
    if (typeof input.ip !== 'string') throw invalid('ip', 'a string');
    const at = checkAt(input.at, clock);
    const network = networkOfIp(input.ip);
    const findings: FraudFinding[] = [];
    if (input.brokerId !== undefined && input.brokerCidrsMatch === false) {
      // Refused before it is seen: the network is not remembered as one the key uses.
      findings.push(
        finding(
          'broker_ip_mismatch',
          'critical',
          `a key bound to broker ${input.brokerId} was used from ${input.ip}, outside the broker's ranges`,
          { brokerId: input.brokerId, ip: input.ip, network },
        ),
      );
    } else {
      const seen = await ips.observeIp(input.apiKey, network, at);
      if (seen.firstSighting && isNewNetwork(seen, at)) {
        findings.push(
          finding('new_ip', 'low', `the key was used from a network it never used before (${network})`, {
            ip: input.ip,
            network,
            keyFirstSeen: new Date(seen.keyFirstSeen).toISOString(),
          }),
        );
      }
    }
    return finish(decide('request', findings, config), at, input, {
      ip: input.ip,
      network,
      brokerId: input.brokerId,
      brokerCidrsMatch: input.brokerCidrsMatch,
    });
  }

  async function evaluateOrder(input: FraudOrderInput): Promise<FraudDecision> {
    checkCommon(input);
    if (typeof input.apiKey !== 'string' || input.apiKey.length === 0) throw invalid('apiKey', 'a non-empty string');
    const match = typeof input.instId === 'string' ? INST_ID.exec(input.instId) : null;
    if (match === null) throw invalid('instId', 'a spot pair such as "BTC-USDT"');
    const quoteCcy = match[2] as string;
    if (input.side !== 'buy' && input.side !== 'sell') throw invalid('side', 'buy | sell');
    if (!['market', 'limit', 'post_only', 'fok', 'ioc'].includes(input.ordType)) {
      throw invalid('ordType', 'market | limit | post_only | fok | ioc');
    }
    checkAmount(input.sz, 'sz', true);
    checkAmount(input.notional, 'notional', false);
    if (input.ordType !== 'market') checkAmount(input.px, 'px', true);
    else if (input.px !== undefined) checkAmount(input.px, 'px', true);
    const at = checkAt(input.at, clock);
    const { accountId, instId, side } = input;
    const limitPx = input.ordType === 'market' ? undefined : input.px;

    const network = typeof input.ip === 'string' ? networkOfIp(input.ip) : undefined;
    const seen = network === undefined ? undefined : await ips.observeIp(input.apiKey, network, at);
    const newNetwork = seen !== undefined && isNewNetwork(seen, at);

    const opposite: FraudOrderSide = side === 'buy' ? 'sell' : 'buy';
    const [mid, referencePrice, book, resting, traded, balance, recent] = await Promise.all([
      facts.mid(instId),
      facts.referencePrice ? facts.referencePrice(instId) : Promise.resolve(null),
      facts.book(instId, config.bookDepth),
      facts.restingOrders ? facts.restingOrders(instId, opposite, config.bookDepth) : Promise.resolve(null),
      facts.hasTraded(accountId, instId),
      side === 'buy' ? facts.balanceValue(accountId) : Promise.resolve(null),
      state.riskyOrders(accountId, at, config.riskyOrderWindowMs),
    ]);
    const reference =
      mid !== null && referencePrice !== null
        ? side === 'buy'
          ? min(mid, referencePrice)
          : max(mid, referencePrice)
        : (mid ?? referencePrice);
    const center = mid ?? referencePrice;
    const visible = side === 'buy' ? book.asks : book.bids;
    const sim = simulate(resting ?? visible, input);
    const worst = (() => {
      let w: Decimal | undefined;
      const prices = sim.fills.map((f) => f.px);
      if (sim.restingBase.units > 0n && limitPx !== undefined) prices.push(limitPx);
      for (const p of prices) w = w === undefined ? p : side === 'buy' ? max(w, p) : min(w, p);
      return w;
    })();
    const exposureQuote = max(
      input.notional,
      plus(sim.filledQuote, limitPx === undefined ? Decimal.zero(0) : times(sim.restingBase, limitPx)),
    );
    const exposure = await toValuation(quoteCcy, exposureQuote);

    const findings: FraudFinding[] = [];
    if (!traded) {
      findings.push(
        finding('first_trade_in_pair', 'low', `the account has never traded ${instId}`, { instId: instId }),
      );
    }

    // Liquidity, from the book as it is now.
    const illiquidReasons: string[] = [];
    let bandDepth: Decimal | null = null;
    if (center === null) illiquidReasons.push('no_mid');
    else {
      const low = shiftBps(center, -config.nearMidBandBps);
      const high = shiftBps(center, config.nearMidBandBps);
      const depthQuote = plus(
        sumQuote(book.bids.filter((l) => cmp(l.px, low) >= 0)),
        sumQuote(book.asks.filter((l) => cmp(l.px, high) <= 0)),
      );
      bandDepth = await toValuation(quoteCcy, depthQuote);
      if (bandDepth.units <= 0n || cmp(bandDepth, config.minDepthValue) < 0) illiquidReasons.push('thin');
      if (bandDepth.units > 0n && aboveBps(exposure, bandDepth, config.maxDepthShareBps)) {
        illiquidReasons.push('large_share');
      }
    }
    const illiquid = illiquidReasons.length > 0;
    if (illiquid) {
      findings.push(
        finding('illiquid_pair', 'low', `${instId} is illiquid (${illiquidReasons.join(', ')})`, {
          instId,
          reasons: illiquidReasons,
          depth: bandDepth === null ? null : show(bandDepth),
          minDepth: show(config.minDepthValue),
          orderValue: show(exposure),
          shareBps: bandDepth === null ? null : ratioBps(exposure, bandDepth),
        }),
      );
    }

    const executes = sim.fills.length > 0;
    if (reference === null && (executes || sim.restingBase.units > 0n)) {
      findings.push(
        finding(
          'no_reference_price',
          executes ? 'high' : 'medium',
          `${instId} has no mid or reference price to judge the order's price against`,
          { instId, executes },
        ),
      );
    }

    let priceFar = false;
    if (reference !== null && worst !== undefined && beyond(side, worst, reference, config.maxPremiumBps)) {
      priceFar = true;
      const bps = premiumBps(worst, reference);
      findings.push(
        finding(
          'price_far_from_mid',
          'high',
          `the order would ${side} at ${show(worst)}, ${Math.abs(bps ?? 0) / 100} % ${side === 'buy' ? 'above' : 'below'} the reference ${show(reference)}`,
          {
            instId,
            worstPx: show(worst),
            reference: show(reference),
            mid: mid === null ? null : show(mid),
            premiumBps: bps,
            maxPremiumBps: config.maxPremiumBps,
          },
        ),
      );
    }

    const visibleBase = sumBase(visible);
    if (illiquid && visibleBase.units > 0n && aboveBps(sim.filledBase, visibleBase, config.maxSweepBps)) {
      findings.push(
        finding(
          'sweeps_thin_book',
          'medium',
          `the order would take ${(ratioBps(sim.filledBase, visibleBase) ?? 0) / 100} % of the visible ${side === 'buy' ? 'asks' : 'bids'} of a thin book`,
          {
            instId,
            filled: show(sim.filledBase),
            visible: show(visibleBase),
            shareBps: ratioBps(sim.filledBase, visibleBase),
            maxSweepBps: config.maxSweepBps,
          },
        ),
      );
    }

    if (balance !== null && balance.total.units > 0n && aboveBps(exposure, balance.total, config.maxBalanceShareBps)) {
      findings.push(
        finding(
          'balance_concentration',
          'medium',
          `the order would put ${(ratioBps(exposure, balance.total) ?? 0) / 100} % of the account's balance value into ${match[1]}`,
          {
            instId,
            orderValue: show(exposure),
            balanceValue: show(balance.total),
            shareBps: ratioBps(exposure, balance.total),
            maxBalanceShareBps: config.maxBalanceShareBps,
          },
        ),
      );
    }

    let burst = false;
    if (input.brokerId !== undefined && illiquid) {
      const accounts = await state.noteBrokerOrder(input.brokerId, instId, accountId, at, config.brokerBurstWindowMs);
      if (accounts >= config.brokerBurstAccounts) {
        burst = true;
        findings.push(
          finding(
            'broker_burst',
            'medium',
            `${accounts} accounts with keys of broker ${input.brokerId} ordered in illiquid ${instId} within ${config.brokerBurstWindowMs / 60_000} min`,
            { brokerId: input.brokerId, instId, accounts, windowMs: config.brokerBurstWindowMs },
          ),
        );
      }
    }

    // Counterparties: who would be paid, and at what prices.
    const farByAccount = new Map<bigint, Decimal>();
    const counterparties = new Set<bigint>();
    for (const f of sim.fills) {
      if (f.accountId === undefined || f.accountId === accountId) continue;
      counterparties.add(f.accountId);
      if (reference !== null && beyond(side, f.px, reference, config.maxPremiumBps)) {
        farByAccount.set(f.accountId, plus(farByAccount.get(f.accountId) ?? Decimal.zero(0), f.quote));
      }
    }
    let concentrated = false;
    if (sim.filledQuote.units > 0n) {
      const over = [...farByAccount].filter(([, quote]) =>
        aboveBps(quote, sim.filledQuote, config.counterpartyShareBps),
      );
      if (over.length > 0) {
        concentrated = true;
        findings.push(
          finding(
            'counterparty_concentration',
            'high',
            `most of the order's value would go to ${over.map(([a]) => a).join(', ')} at prices beyond ${config.maxPremiumBps / 100} % of the reference`,
            {
              instId,
              counterparties: over.map(([a]) => a.toString()),
              shareBps: Math.max(...over.map(([, q]) => ratioBps(q, sim.filledQuote) ?? 0)),
              counterpartyShareBps: config.counterpartyShareBps,
            },
          ),
        );
      }
    }
    const suspects: string[] = [];
    for (const cp of counterparties) {
      const s = await state.suspicion(cp, at, config.suspectWindowMs);
      if (s !== null) suspects.push(cp.toString());
    }
    if (suspects.length > 0) {
      findings.push(
        finding(
          'suspect_counterparty',
          'high',
          `the order would fill against suspected account(s) ${suspects.join(', ')}`,
          {
            instId,
            counterparties: suspects,
          },
        ),
      );
    }

    const beyondTolerance =
      worst !== undefined && (reference === null || beyond(side, worst, reference, config.overpayToleranceBps));
    const priceRisk = priceFar || concentrated || suspects.length > 0 || (illiquid && beyondTolerance);
    const risky = priceRisk || (illiquid && (!traded || newNetwork || burst));

    if (newNetwork && seen !== undefined && (priceRisk || scoreOf(findings) >= config.rejectScore)) {
      findings.push(
        finding(
          'new_ip_risky_trade',
          'critical',
          `a risky order came from ${network}, a network the key first used ${Math.round((at - seen.networkFirstSeen) / 60_000)} min ago`,
          {
            instId,
            ip: input.ip,
            network: network ?? null,
            networkFirstSeen: new Date(seen.networkFirstSeen).toISOString(),
          },
        ),
      );
    }

    // Estimated overpayment, in the valuation unit.
    let overpayQuote: Decimal;
    if (reference === null) overpayQuote = exposureQuote;
    else {
      overpayQuote = Decimal.zero(0);
      for (const f of sim.fills)
        overpayQuote = plus(overpayQuote, times(positive(adverse(side, f.px, reference)), f.sz));
      if (limitPx !== undefined && sim.restingBase.units > 0n) {
        overpayQuote = plus(overpayQuote, times(positive(adverse(side, limitPx, reference)), sim.restingBase));
      }
    }
    const overpay = atScale(await toValuation(quoteCcy, overpayQuote), VALUE_SCALE, 'up');

    let decision = decide('order', findings, config);
    if (!fraudRefuses(decision.action) && risky && overpay.units > 0n) {
      const charge = await state.chargeOverpayment(accountId, overpay, config.lossCap, at, config.lossWindowMs);
      if (!charge.charged) {
        findings.push(
          finding(
            'loss_cap',
            'critical',
            `the order's estimated overpayment ${show(overpay)} would take the account's total in risky conditions over ${show(config.lossCap)}`,
            {
              instId,
              overpayment: show(overpay),
              total: show(charge.total),
              lossCap: show(config.lossCap),
              windowMs: config.lossWindowMs,
            },
          ),
        );
        decision = decide('order', findings, config);
      }
    }
    if (fraudRefuses(decision.action) && decision.action !== 'freeze_key') {
      const refusals = recent.filter((n) => n.refused).length + 1;
      if (refusals >= config.refusalsBeforeFreeze) {
        findings.push(
          finding(
            'repeated_refusals',
            'high',
            `${refusals} of the account's orders were refused within ${config.riskyOrderWindowMs / 60_000} min`,
            { refusals, refusalsBeforeFreeze: config.refusalsBeforeFreeze, windowMs: config.riskyOrderWindowMs },
          ),
        );
        decision = decide('order', findings, config);
      }
    }
    const refused = fraudRefuses(decision.action);

    // Whoever would be paid far from the reference is a suspect, whether or not the order goes ahead.
    // So is the account that would receive most of the value paid beyond the tolerance by an order
    // refused as a victim's (loss cap, a risky order from a new network, a suspect counterparty):
    // the attacker pricing just under the premium, not the market maker whose ladder it sat behind.
    // That is: most of the order's value; or, with a ladder ahead of it taking most of the order,
    // most of what the order would pay beyond the tolerance line, at an average price itself beyond
    // it (not a ladder whose outer levels alone cross the line).
    const paid = new Set(farByAccount.keys());
    const victimized = findings.some(
      (f) => f.rule === 'loss_cap' || f.rule === 'new_ip_risky_trade' || f.rule === 'suspect_counterparty',
    );
    if (victimized && reference !== null && sim.filledQuote.units > 0n) {
      const line = shiftBps(reference, side === 'buy' ? config.overpayToleranceBps : -config.overpayToleranceBps);
      const byAccount = new Map<bigint, { quote: Decimal; base: Decimal; beyond: Decimal; excess: Decimal }>();
      let excessTotal = Decimal.zero(0);
      for (const f of sim.fills) {
        if (f.accountId === undefined || f.accountId === accountId) continue;
        const zero = Decimal.zero(0);
        const own = byAccount.get(f.accountId) ?? { quote: zero, base: zero, beyond: zero, excess: zero };
        own.quote = plus(own.quote, f.quote);
        own.base = plus(own.base, f.sz);
        if (beyond(side, f.px, reference, config.overpayToleranceBps)) {
          const excess = times(adverse(side, f.px, line), f.sz);
          own.beyond = plus(own.beyond, f.quote);
          own.excess = plus(own.excess, excess);
          excessTotal = plus(excessTotal, excess);
        }
        byAccount.set(f.accountId, own);
      }
      for (const [cp, own] of byAccount) {
        if (own.beyond.units <= 0n) continue;
        const mostOfOrder = aboveBps(own.beyond, sim.filledQuote, config.counterpartyShareBps);
        const mostOfExcess =
          aboveBps(own.excess, excessTotal, config.counterpartyShareBps) &&
          adverse(side, own.quote, times(line, own.base)).units > 0n;
        if (mostOfOrder || mostOfExcess) paid.add(cp);
      }
    }
    for (const cp of paid) await state.noteSuspect(cp, accountId, at);
    if (risky || refused) {
      await state.noteRiskyOrder({
        accountId,
        instId,
        side,
        at,
        reference,
        refused,
        priceRisk,
      });
    }

    return finish(decision, at, input, {
      ip: input.ip,
      network,
      brokerId: input.brokerId,
      instId,
      side,
      ordType: input.ordType,
      px: input.px === undefined ? undefined : show(input.px),
      sz: show(input.sz),
      tgtCcy: input.tgtCcy,
      notional: show(input.notional),
      mid: mid === null ? null : show(mid),
      reference: reference === null ? null : show(reference),
      overpayment: show(overpay),
    });
  }

  async function evaluateWithdrawal(input: FraudWithdrawalInput): Promise<FraudDecision> {
    checkCommon(input);
    if (typeof input.ccy !== 'string' || input.ccy.length === 0) throw invalid('ccy', 'a currency code');
    if (typeof input.toAddr !== 'string' || input.toAddr.length === 0) throw invalid('toAddr', 'an address');
    checkAmount(input.amt, 'amt', true);
    const at = checkAt(input.at, clock);
    const { accountId } = input;
    const [known, suspicion, risky] = await Promise.all([
      facts.knownWithdrawalAddress(accountId, input.ccy, input.toAddr),
      state.suspicion(accountId, at, config.suspectWindowMs),
      state.riskyOrders(accountId, at, config.riskyOrderWindowMs),
    ]);
    const findings: FraudFinding[] = [];
    if (!known) {
      findings.push(
        finding('new_withdrawal_address', 'medium', `the account never withdrew ${input.ccy} to this address`, {
          ccy: input.ccy,
          toAddr: input.toAddr,
        }),
      );
    }
    if (suspicion !== null) {
      const freeze = suspicion.victims >= config.suspectMinVictims;
      findings.push(
        finding(
          'withdrawal_by_suspect_counterparty',
          freeze ? 'critical' : 'medium',
          `the account was paid far from the market by ${suspicion.victims} other account(s)' risky orders`,
          {
            victims: suspicion.victims,
            lastAt: new Date(suspicion.lastAt).toISOString(),
            suspectMinVictims: config.suspectMinVictims,
          },
        ),
      );
    }
    const own = risky.filter((n) => n.refused || n.priceRisk);
    if (own.length > 0) {
      findings.push(
        finding(
          'withdrawal_after_risky_trading',
          'medium',
          `the account's own orders were refused or priced as a risk ${own.length} time(s) within the last ${config.riskyOrderWindowMs / 60_000} min`,
          { orders: own.length, pairs: [...new Set(own.map((n) => n.instId))] },
        ),
      );
    }
    return finish(decide('withdrawal', findings, config), at, input, {
      ip: input.ip,
      ccy: input.ccy,
      amt: show(input.amt),
      toAddr: input.toAddr,
    });
  }

  async function recordFill(fill: FraudFill): Promise<readonly bigint[]> {
    checkAmount(fill.px, 'px', true);
    checkAmount(fill.sz, 'sz', true);
    if (fill.takerSide !== 'buy' && fill.takerSide !== 'sell') throw invalid('takerSide', 'buy | sell');
    if (typeof fill.takerAccountId !== 'bigint' || typeof fill.makerAccountId !== 'bigint') {
      throw invalid('takerAccountId/makerAccountId', 'bigints');
    }
    const at = checkAt(fill.at, clock);
    if (fill.takerAccountId === fill.makerAccountId) return [];
    const makerSide: FraudOrderSide = fill.takerSide === 'buy' ? 'sell' : 'buy';
    const parties = [
      { account: fill.takerAccountId, side: fill.takerSide, other: fill.makerAccountId },
      { account: fill.makerAccountId, side: makerSide, other: fill.takerAccountId },
    ];
    const noted: bigint[] = [];
    for (const party of parties) {
      const notes = await state.riskyOrders(party.account, at, config.riskyOrderWindowMs);
      const note = notes
        .filter((n) => n.instId === fill.instId && n.side === party.side && n.reference !== null)
        .at(-1);
      if (note === undefined || note.reference === null) continue;
      if (beyond(party.side, fill.px, note.reference, config.maxPremiumBps)) {
        await state.noteSuspect(party.other, party.account, at);
        noted.push(party.other);
      }
    }
    return noted;
  }

  return { config, evaluateRequest, evaluateOrder, evaluateWithdrawal, recordFill };
}
