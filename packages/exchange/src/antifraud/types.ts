/**
 * The anti-fraud engine's vocabulary: what it is asked (a request, an order, a withdrawal, a fill
 * fed back), what it answers (a decision: an action and the findings behind it), and the facts it
 * reads from the ledger (`FraudFacts`), which the engine never reaches into itself.
 */
import type { Decimal } from '@custos/core';

/** What the caller must do, weakest first. Every action from `reject` on refuses the action. */
export type FraudAction = 'allow' | 'flag' | 'reauth' | 'reject' | 'freeze_key' | 'freeze_withdrawals';

export type FraudSeverity = 'low' | 'medium' | 'high' | 'critical';

/** What was evaluated. */
export type FraudSubject = 'request' | 'order' | 'withdrawal';

export type FraudRule =
  // requests
  | 'new_ip'
  | 'broker_ip_mismatch'
  // orders
  | 'first_trade_in_pair'
  | 'illiquid_pair'
  | 'no_reference_price'
  | 'price_far_from_mid'
  | 'sweeps_thin_book'
  | 'balance_concentration'
  | 'broker_burst'
  | 'counterparty_concentration'
  | 'suspect_counterparty'
  | 'new_ip_risky_trade'
  | 'loss_cap'
  | 'repeated_refusals'
  // withdrawals
  | 'new_withdrawal_address'
  | 'withdrawal_after_risky_trading'
  | 'withdrawal_by_suspect_counterparty';

/** A JSON-safe value in a finding or an audit context: amounts are decimal strings. */
export type FraudDataValue = string | number | boolean | null | readonly string[];

export interface FraudFinding {
  rule: FraudRule;
  severity: FraudSeverity;
  /** One sentence for an operator; no secrets, only ids, prices and amounts. */
  message: string;
  data: Readonly<Record<string, FraudDataValue>>;
}

export interface FraudDecision {
  subject: FraudSubject;
  action: FraudAction;
  /** Sum of the findings' severity weights (low 1, medium 3, high 6, critical 10). */
  score: number;
  findings: readonly FraudFinding[];
}

// ---------------------------------------------------------------------------------------------
// Inputs

export interface FraudRequestInput {
  /** When the request arrived; the engine's clock when absent. */
  at?: Date | undefined;
  /** The API key's public identifier (OK-ACCESS-KEY), never its secret or passphrase. */
  apiKey: string;
  accountId: bigint;
  /** The third-party app (broker) the key is bound to, if any. */
  brokerId?: string | undefined;
  /** The client's address as the gateway saw it. */
  ip: string;
  /** For a broker-bound key: whether `ip` is inside the broker's registered ranges (false = outside). */
  brokerCidrsMatch?: boolean | undefined;
}

export type FraudOrderSide = 'buy' | 'sell';
export type FraudOrderType = 'market' | 'limit' | 'post_only' | 'fok' | 'ioc';

export interface FraudOrderInput extends Omit<FraudRequestInput, 'brokerCidrsMatch'> {
  /** Spot pair `BASE-QUOTE`, e.g. `PEPE2-USDT`. */
  instId: string;
  side: FraudOrderSide;
  ordType: FraudOrderType;
  /** Limit price in quote currency; required for every type but `market`. */
  px?: Decimal | undefined;
  /** Size: base currency, except a market order with `tgtCcy: 'quote_ccy'` (OKX's default for market buys). */
  sz: Decimal;
  tgtCcy?: 'base_ccy' | 'quote_ccy' | undefined;
  /** The caller's estimate of the order's value in quote currency. */
  notional: Decimal;
}

export interface FraudWithdrawalInput {
  at?: Date | undefined;
  accountId: bigint;
  /** Set when the withdrawal came through an API key. */
  apiKey?: string | undefined;
  ip?: string | undefined;
  ccy: string;
  amt: Decimal;
  toAddr: string;
}

/** One execution, fed back by the ledger after matching. */
export interface FraudFill {
  at?: Date | undefined;
  instId: string;
  takerAccountId: bigint;
  makerAccountId: bigint;
  takerSide: FraudOrderSide;
  px: Decimal;
  /** Base quantity. */
  sz: Decimal;
}

// ---------------------------------------------------------------------------------------------
// Facts the ledger provides

export interface FraudBookLevel {
  px: Decimal;
  /** Base quantity at this price. */
  sz: Decimal;
}

export interface FraudBook {
  /** Best (highest) first. */
  bids: readonly FraudBookLevel[];
  /** Best (lowest) first. */
  asks: readonly FraudBookLevel[];
}

/** A resting order and its owner, for counterparty rules. */
export interface FraudRestingOrder {
  accountId: bigint;
  px: Decimal;
  /** Unfilled base quantity. */
  sz: Decimal;
}

/**
 * What the engine reads from the ledger. All answers describe the state just before the action
 * executes; for the order rules to see what the order would really meet, the ledger should ask
 * under the same lock (or in the same single-threaded step) that then matches the order.
 */
export interface FraudFacts {
  /** Mid price `(best bid + best ask) / 2` of the pair, or null when a side is empty or the pair unknown. */
  mid(instId: string): Promise<Decimal | null>;
  /** Aggregated price levels, at most `depth` per side. */
  book(instId: string, depth: number): Promise<FraudBook>;
  /**
   * Optional: resting orders on one side (`side` is the resting orders' side: 'sell' = the asks),
   * in matching order, within the best `depth` price levels. Without it the engine simulates
   * against `book()` and cannot tell who would be filled (no counterparty rules).
   */
  restingOrders?(instId: string, side: FraudOrderSide, depth: number): Promise<readonly FraudRestingOrder[]>;
  /**
   * Optional: a manipulation-resistant reference price (e.g. the median mid over the last hour,
   * or an index). A thin book's mid moves with whoever quotes it, an attacker's ask included; with
   * a reference the engine prices buys against min(mid, reference) and sells against
   * max(mid, reference).
   */
  referencePrice?(instId: string): Promise<Decimal | null>;
  /** Whether the account has ever had a fill in the pair. */
  hasTraded(accountId: bigint, instId: string): Promise<boolean>;
  /** The account's total balance, valued in the valuation unit (e.g. USDT). */
  balanceValue(accountId: bigint): Promise<{ total: Decimal }>;
  /**
   * Optional: the value of `amount` of currency `ccy` in the valuation unit, or null if unknown.
   * Without it, or when it answers null, the amount is taken as already in the valuation unit.
   */
  quoteValue?(ccy: string, amount: Decimal): Promise<Decimal | null>;
  /** Whether the account has withdrawn `ccy` to `address` before (successfully). */
  knownWithdrawalAddress(accountId: bigint, ccy: string, address: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Audit

/** What an audit row says about the evaluated action, besides the decision. */
export interface FraudAuditContext {
  at: Date;
  accountId?: bigint | undefined;
  apiKey?: string | undefined;
  /** Non-secret fields of the input (ip, instId, side, prices, sizes, address). */
  fields: Readonly<Record<string, FraudDataValue>>;
}

/** Where the engine writes non-allow decisions; `AuditLog` is the database one. */
export interface FraudAuditSink {
  record(decision: FraudDecision, context: FraudAuditContext): Promise<unknown>;
}
