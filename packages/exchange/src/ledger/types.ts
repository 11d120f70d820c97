/**
 * The ledger's public shapes. Every amount, size and price crosses this API as an exact decimal
 * string (trailing fractional zeros dropped: "0.5", "3"); account ids are bigint (`accounts.id`);
 * order, fill, withdrawal and address ids are decimal strings, as OKX sends them.
 */

/** The time source; `now()` in milliseconds since the epoch. */
export interface LedgerClock {
  now(): number;
}

export interface LedgerOptions {
  /** Default: `Date.now`. */
  clock?: LedgerClock;
  /** How long a newly listed withdrawal address waits before it can be used (default 24 h). */
  coolingOffMs?: number;
  /** Called with an error a balance listener threw (default: ignored). */
  onListenerError?: (error: unknown) => void;
}

export interface ChainSpec {
  /** `<CCY>-<network>`, e.g. `USDT-ERC20`. */
  chain: string;
  /** Smallest amount one withdrawal may send (default "0"). */
  minWd?: string;
  /** The withdrawal fee, charged on top of the amount (default "0"). */
  fee?: string;
  /** Default true. */
  canDep?: boolean;
  /** Default true. */
  canWd?: boolean;
}

export interface AssetSpec {
  /** Upper-case symbol, 1–20 of A–Z and 0–9. */
  ccy: string;
  /** Decimals balances are kept at, 0–8. */
  scale: number;
  name?: string;
  chains?: readonly ChainSpec[];
}

export interface LedgerChain {
  chain: string;
  minWd: string;
  fee: string;
  canDep: boolean;
  canWd: boolean;
}

export interface LedgerAsset {
  ccy: string;
  scale: number;
  name: string;
  chains: LedgerChain[];
}

export type MarketState = 'live' | 'suspend';

export interface MarketSpec {
  /** `BASE-QUOTE`; both assets must exist. */
  instId: string;
  /** Price increment; its decimals (at most 12) are the market's price scale. */
  tickSz: string;
  /** Size increment in the base currency (at most the base scale's decimals). */
  lotSz: string;
  /** Smallest order size in the base currency, a multiple of lotSz. */
  minSz: string;
  /** Basis points of what the maker receives (default 0). */
  makerFeeBps?: number;
  /** Basis points of what the taker receives (default 0). */
  takerFeeBps?: number;
  /** Default live. */
  state?: MarketState;
}

export interface LedgerMarket {
  instId: string;
  baseCcy: string;
  quoteCcy: string;
  tickSz: string;
  lotSz: string;
  minSz: string;
  makerFeeBps: number;
  takerFeeBps: number;
  state: MarketState;
}

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'limit' | 'market' | 'post_only' | 'ioc' | 'fok';
export type TargetCurrency = 'base_ccy' | 'quote_ccy';
export type OrderState = 'live' | 'partially_filled' | 'filled' | 'canceled';
/** Why an order ended canceled. */
export type CancelSource =
  /** By cancelOrder. */
  | 'user'
  /** The unfilled rest of an IOC order. */
  | 'ioc'
  /** A FOK order that could not fill entirely. */
  | 'fok'
  /** A post-only order that would have taken liquidity. */
  | 'post_only'
  /** The unfilled rest of a market order (the book ran out, or it could not buy one more lot). */
  | 'market'
  /** The taker reached a resting order of its own account: the taker's rest is canceled. */
  | 'self_trade';

export interface OrderRequest {
  instId: string;
  side: OrderSide;
  ordType: OrderType;
  /** Required for every type but market (ignored there); a multiple of tickSz. */
  px?: string;
  /**
   * Base-currency size (a multiple of lotSz, at least minSz), except for a market order with
   * tgtCcy quote_ccy, where it is the quote amount to spend (buy) or receive (sell).
   */
  sz: string;
  /** Market orders only. Default: quote_ccy for a market buy, base_ccy otherwise (as OKX spot). */
  tgtCcy?: TargetCurrency;
  /** 1–32 letters and digits, unique among the account's open orders. */
  clOrdId?: string;
  /** 1–16 letters and digits. */
  tag?: string;
}

/** A fill as one side sees it (the order's own). */
export interface OrderFill {
  tradeId: string;
  px: string;
  /** Base-currency size. */
  sz: string;
  /** Fee charged (≥ 0), in feeCcy: the currency this side received. */
  fee: string;
  feeCcy: string;
  role: 'taker' | 'maker';
  ts: number;
}

export interface PlacedOrder {
  ordId: string;
  /** '' when none was given. */
  clOrdId: string;
  state: OrderState;
  /** This placement's own fills, as the taker. */
  fills: OrderFill[];
  /** Base-currency size filled so far. */
  accFillSz: string;
  /** Volume-weighted fill price ('' before any fill). */
  avgPx: string;
  /** Set when state is canceled. */
  cancelSource: CancelSource | null;
}

export interface LedgerOrder {
  ordId: string;
  clOrdId: string;
  tag: string;
  instId: string;
  accountId: bigint;
  side: OrderSide;
  ordType: OrderType;
  tgtCcy: TargetCurrency;
  /** '' for a market order. */
  px: string;
  sz: string;
  accFillSz: string;
  avgPx: string;
  state: OrderState;
  cancelSource: CancelSource | null;
  /** Total fee charged (≥ 0) in feeCcy. */
  fee: string;
  feeCcy: string;
  /** What the order still holds frozen, in frozenCcy (0 once it ended). */
  frozen: string;
  frozenCcy: string;
  cTime: number;
  uTime: number;
}

/** Identifies one order of an account: `ordId` wins when both are given. */
export interface OrderRef {
  instId: string;
  ordId?: string;
  clOrdId?: string;
}

/** A trade between two orders, at the maker's price. */
export interface LedgerFill {
  tradeId: string;
  instId: string;
  px: string;
  /** Base-currency size. */
  sz: string;
  /** Quote amount paid by the buyer and received by the seller. */
  quoteAmt: string;
  takerSide: OrderSide;
  takerOrdId: string;
  makerOrdId: string;
  takerAccountId: bigint;
  makerAccountId: bigint;
  /** In what the taker received (base when it bought). */
  takerFee: string;
  /** In what the maker received. */
  makerFee: string;
  ts: number;
}

export interface BookLevel {
  px: string;
  sz: string;
}

export interface OrderBook {
  /** Highest price first. */
  bids: BookLevel[];
  /** Lowest price first. */
  asks: BookLevel[];
}

export interface LedgerBalance {
  ccy: string;
  available: string;
  frozen: string;
  total: string;
}

export interface DepositOptions {
  /** Idempotency key: a deposit with a tx id already credited (for this ccy) is not credited again. */
  txId?: string;
  /** When given, must be one of the asset's chains that allows deposits. */
  chain?: string;
}

export interface DepositResult {
  depId: string;
  /** False when the tx id had already been credited (nothing changed). */
  credited: boolean;
}

export type AddressActor = 'account' | 'operator';
/** Who an audit row names: the account itself, an operator, or the system (the anti-fraud engine). */
export type LedgerAuditActor = AddressActor | 'system';

/** One row of the audit table (allow-list and withdrawal-freeze changes). */
export interface LedgerAuditEntry {
  at: number;
  accountId: bigint;
  actor: LedgerAuditActor;
  /** withdrawal_address_added, withdrawal_address_removed, withdrawals_frozen, withdrawals_unfrozen. */
  action: string;
  details: Record<string, unknown>;
}

export interface WithdrawalAddressSpec {
  ccy: string;
  chain: string;
  address: string;
  label?: string;
}

export interface WithdrawalAddress {
  id: string;
  ccy: string;
  chain: string;
  address: string;
  label: string;
  addedBy: AddressActor;
  createdAt: number;
  /** From when withdrawals to it are allowed (ms). */
  usableAt: number;
}

export interface WithdrawalRequest {
  ccy: string;
  chain: string;
  amt: string;
  toAddr: string;
  /** Must equal the chain's fee when given. */
  fee?: string;
}

export type WithdrawalState = 'pending' | 'completed' | 'failed';

export interface LedgerWithdrawal {
  wdId: string;
  accountId: bigint;
  ccy: string;
  chain: string;
  toAddr: string;
  amt: string;
  fee: string;
  state: WithdrawalState;
  txId: string;
  reason: string;
  cTime: number;
  uTime: number;
}

export interface LiabilitiesExportOptions {
  /** The asset columns, in order (default: every asset, by symbol). */
  assets?: readonly string[];
  /** Accounts read per query (default 1,000). */
  pageSize?: number;
}

export interface LiabilitiesExportResult {
  /** Rows written (accounts with a non-zero balance in one of the assets). */
  users: number;
  /** The columns, in order. */
  assets: { ccy: string; scale: number }[];
  /** Per asset, the sum of available + frozen over the rows written. */
  totals: Record<string, string>;
}

export type BalancesListener = (accountIds: bigint[]) => void;
/** Called after a committed placement with its fills (taker and maker sides in each). */
export type FillsListener = (fills: LedgerFill[]) => void;

/** A resting order and its owner. */
export interface RestingOrder {
  ordId: string;
  accountId: bigint;
  px: string;
  /** Unfilled base size. */
  sz: string;
}

/** The reads of the book and balances (the Ledger's, or bound to a placing transaction). */
export interface BookReads {
  book(instId: string, depth: number): Promise<OrderBook>;
  midPrice(instId: string): Promise<string | null>;
  depthWithin(instId: string, side: 'bids' | 'asks', pct: string): Promise<string | null>;
  restingOrders(instId: string, side: OrderSide, depth: number): Promise<RestingOrder[]>;
  hasTraded(accountId: bigint, instId: string): Promise<boolean>;
  balances(accountId: bigint, ccys?: readonly string[]): Promise<LedgerBalance[]>;
}

export interface PlaceOrderOptions {
  /**
   * Runs inside the placing transaction once the request is valid and the market is locked,
   * before matching: `reads` see the book exactly as the order will meet it. Throwing refuses the
   * order with that error and nothing is written. Reads only: writing through the ledger from
   * here would wait on this very transaction.
   */
  beforeMatch?: (reads: BookReads, order: { accountId: bigint; request: OrderRequest }) => Promise<void>;
}
