/**
 * The reference exchange ledger: a small spot exchange in PostgreSQL (or PGlite) that the
 * OKX-v5-compatible gateway sits on and the anti-fraud engine reads. Balances per (account, ccy)
 * are available + frozen integer units, every change journaled in the same transaction; spot
 * order books match by price-time priority at the maker's price; deposits credit idempotently;
 * withdrawals go only to allow-listed addresses past their cooling-off.
 *
 * Concurrency: every order placement and cancellation in a market first locks the market's row
 * (`SELECT … FOR UPDATE`), so a market's book changes one write at a time even across processes
 * on one PostgreSQL; balances are then locked in (account, ccy) order by every write, so writes in
 * different markets sharing an account never wait on each other in a cycle. `placeOrder`'s
 * `beforeMatch` hook runs under the market's lock with reads bound to the placing transaction, so
 * a pre-trade check sees the book exactly as the order will meet it. The balance and fill
 * listeners are called in this process, after commit, for this instance's writes only.
 *
 * Design choices:
 * - Self-trade prevention is cancel-taker (OKX's stpMode cancel_taker): when an incoming order
 *   reaches a resting order of its own account, matching stops there and the incoming order's
 *   unfilled rest is canceled (cancelSource "self_trade"); the fills before it stand. A FOK order
 *   stopped this way is canceled whole. So the book never stays crossed.
 * - A fill's quote amount is px·sz truncated to the quote scale; the buyer pays and the seller
 *   receives that same amount. A limit buy freezes px·sz rounded up, and a resting buy's price
 *   improvement is released at once.
 * - A market buy (sz in quote by default) walks the asks best first: at each level it buys the
 *   most whole lots whose exact value fits in the quote left, and stops at the first level where
 *   not even one lot fits; what is left (less than one lot's worth) is unfrozen and the order is
 *   "filled". If the book runs out first, the rest is unfrozen and the order is "canceled" with
 *   its fills. A market sell sized in quote mirrors it (never receiving more than sz).
 * - Fees are per market, maker and taker basis points (default 0), charged in the currency the
 *   side receives, rounded up to a unit (never above what it receives). Fees leave the users'
 *   balances; `feesCollected()` sums them (they are the exchange's, not a liability).
 * - A withdrawal's fee is taken on completion, with the amount; both are frozen from the request.
 */
import { BaseError } from '@custos/core';
import type { Database, Queryable } from '@custos/db';
import { decimalsOf, feeOf, format, parsePositive, parseUnits, quoteCeil } from './amounts.js';
import { Changes, heldOf, lockBalances } from './journal.js';
import { writeLiabilities } from './liabilities.js';
import { type PlannedFill, planMatch, type Resting } from './matching.js';
import { LedgerReads } from './reads.js';
import {
  type AddressRow,
  addressOf,
  avgPxOf,
  checkAccountId,
  checkLimit,
  FILL_SELECT,
  type FillRow,
  fillOf,
  invalid,
  loadMarket,
  MARKET_SELECT,
  type Market,
  type MarketRow,
  marketNotFound,
  marketOf,
  ms,
  OPEN,
  ORDER_SELECT,
  type OrderRow,
  orderOf,
  parseId,
  publicMarket,
  sinceDate,
  sqlstate,
  WITHDRAWAL_SELECT,
  type WithdrawalRow,
  withdrawalOf,
} from './rows.js';
import type {
  AddressActor,
  AssetSpec,
  BalancesListener,
  ChainSpec,
  DepositOptions,
  DepositResult,
  FillsListener,
  LedgerAsset,
  LedgerAuditActor,
  LedgerAuditEntry,
  LedgerBalance,
  LedgerClock,
  LedgerFill,
  LedgerMarket,
  LedgerOptions,
  LedgerOrder,
  LedgerWithdrawal,
  LiabilitiesExportOptions,
  LiabilitiesExportResult,
  MarketSpec,
  MarketState,
  OrderBook,
  OrderFill,
  OrderRef,
  OrderRequest,
  OrderSide,
  OrderType,
  PlacedOrder,
  PlaceOrderOptions,
  RestingOrder,
  TargetCurrency,
  WithdrawalAddress,
  WithdrawalAddressSpec,
  WithdrawalRequest,
} from './types.js';

export const DEFAULT_COOLING_OFF_MS = 24 * 60 * 60 * 1000;
/** Resting orders read per query while matching. */
const MATCH_PAGE = 200;

const CCY_RE = /^[A-Z0-9]{1,20}$/;
const CL_ORD_ID_RE = /^[A-Za-z0-9]{1,32}$/;
const TAG_RE = /^[A-Za-z0-9]{1,16}$/;
const EVM_RE = /^0x[0-9a-fA-F]{40}$/;
const SIDES: readonly OrderSide[] = ['buy', 'sell'];
const ORD_TYPES: readonly OrderType[] = ['limit', 'market', 'post_only', 'ioc', 'fok'];
const TARGETS: readonly TargetCurrency[] = ['base_ccy', 'quote_ccy'];

/** The form an address is compared in: EVM hex addresses case-insensitively, others exactly. */
export function normaliseAddress(address: unknown): string {
  if (typeof address !== 'string' || address.length === 0 || address.length > 256 || /[\s\p{Cc},"]/u.test(address)) {
    throw invalid('"address" must be 1–256 characters without spaces, commas, quotes or control characters');
  }
  return EVM_RE.test(address) ? address.toLowerCase() : address;
}

function checkChainName(ccy: string, chain: unknown): string {
  if (
    typeof chain !== 'string' ||
    chain.length > 64 ||
    !chain.startsWith(`${ccy}-`) ||
    chain.length === ccy.length + 1 ||
    /[\p{Cc},"]/u.test(chain)
  ) {
    throw invalid(`"chain" must look like ${ccy}-<network> (at most 64 characters)`, { ccy });
  }
  return chain;
}

function checkBps(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 10_000) {
    throw invalid(`"${field}" must be an integer number of basis points, 0..10000`, { field });
  }
  return value;
}

/** The result of a write: what it returns and whose balances it changed. */
interface Written<T> {
  value: T;
  touched: bigint[];
  fills?: LedgerFill[];
}

export class Ledger {
  readonly #db: Database;
  readonly #clock: LedgerClock;
  readonly #coolingOffMs: number;
  readonly #listeners = new Set<BalancesListener>();
  readonly #fillListeners = new Set<FillsListener>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(db: Database, options: LedgerOptions = {}) {
    this.#db = db;
    this.#clock = options.clock ?? { now: () => Date.now() };
    const cooling = options.coolingOffMs ?? DEFAULT_COOLING_OFF_MS;
    if (!Number.isSafeInteger(cooling) || cooling < 0) {
      throw new BaseError('INVALID_CONFIG', '"coolingOffMs" must be a non-negative integer');
    }
    this.#coolingOffMs = cooling;
    this.#onListenerError = options.onListenerError ?? (() => undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // Listeners

  /**
   * Calls `listener` after every committed write that changed balances, with the accounts whose
   * balances changed (ascending, each once). Returns the function that removes it.
   */
  onBalancesChanged(listener: BalancesListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Calls `listener` after every committed placement that traded, with its fills. */
  onFills(listener: FillsListener): () => void {
    this.#fillListeners.add(listener);
    return () => {
      this.#fillListeners.delete(listener);
    };
  }

  async #write<T>(fn: (tx: Queryable, at: Date) => Promise<Written<T>>): Promise<T> {
    const at = new Date(this.#clock.now());
    const { value, touched, fills } = await this.#db.transaction((tx) => fn(tx, at));
    const notify = <A>(listeners: Set<(arg: A) => void>, arg: () => A) => {
      for (const listener of [...listeners]) {
        try {
          listener(arg());
        } catch (error) {
          this.#onListenerError(error);
        }
      }
    };
    if (touched.length > 0) notify(this.#listeners, () => [...touched]);
    if (fills !== undefined && fills.length > 0) notify(this.#fillListeners, () => fills.map((f) => ({ ...f })));
    return value;
  }

  async #requireAccount(q: Queryable, accountId: bigint): Promise<void> {
    checkAccountId(accountId);
    const found = await q.query('SELECT 1 FROM accounts WHERE id = $1', [accountId]);
    if (found.rows.length === 0) {
      throw new BaseError('EXCHANGE_INVALID_REQUEST', `account ${accountId} does not exist`, {
        details: { accountId: accountId.toString() },
      });
    }
  }

  async #audit(
    tx: Queryable,
    at: Date,
    accountId: bigint,
    actor: LedgerAuditActor,
    action: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await tx.query(
      'INSERT INTO exchange_ledger_audit (at, account_id, actor, action, details) VALUES ($1, $2, $3, $4, $5::jsonb)',
      [at, accountId, actor, action, JSON.stringify(details)],
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Assets and markets

  async createAsset(spec: AssetSpec): Promise<LedgerAsset> {
    const { ccy, scale } = spec;
    if (typeof ccy !== 'string' || !CCY_RE.test(ccy)) throw invalid('"ccy" must be 1–20 of A–Z and 0–9');
    if (typeof scale !== 'number' || !Number.isSafeInteger(scale) || scale < 0 || scale > 8) {
      throw invalid('"scale" must be an integer 0..8', { ccy });
    }
    const name = spec.name ?? '';
    if (typeof name !== 'string' || name.length > 64) throw invalid('"name" must be at most 64 characters');
    const chains = (spec.chains ?? []).map((c) => chainRow(ccy, scale, c));
    const at = new Date(this.#clock.now());
    try {
      await this.#db.transaction(async (tx) => {
        await tx.query('INSERT INTO exchange_assets (ccy, scale, name, created_at) VALUES ($1, $2, $3, $4)', [
          ccy,
          scale,
          name,
          at,
        ]);
        for (const c of chains) await upsertChain(tx, ccy, c);
      });
    } catch (error) {
      if (sqlstate(error) === '23505') {
        throw new BaseError('CONFLICT', `asset ${ccy} already exists`, { details: { ccy }, cause: error });
      }
      throw error;
    }
    return (await this.#asset(this.#db, ccy)) as LedgerAsset;
  }

  /** Adds a chain to an asset, or replaces its settings. */
  async setAssetChain(ccy: string, spec: ChainSpec): Promise<LedgerAsset> {
    const asset = await this.#requireAsset(this.#db, ccy);
    await upsertChain(this.#db, ccy, chainRow(ccy, asset.scale, spec));
    return (await this.#asset(this.#db, ccy)) as LedgerAsset;
  }

  async listAssets(): Promise<LedgerAsset[]> {
    return this.#assets(this.#db, null);
  }

  async #asset(q: Queryable, ccy: string): Promise<LedgerAsset | undefined> {
    return (await this.#assets(q, ccy))[0];
  }

  async #requireAsset(q: Queryable, ccy: unknown): Promise<LedgerAsset> {
    const asset = typeof ccy === 'string' && CCY_RE.test(ccy) ? await this.#asset(q, ccy) : undefined;
    if (asset === undefined) {
      throw invalid(`unknown currency ${typeof ccy === 'string' ? ccy.slice(0, 20) : ''}`, { field: 'ccy' });
    }
    return asset;
  }

  async #assets(q: Queryable, ccy: string | null): Promise<LedgerAsset[]> {
    const rows = await q.query<{
      ccy: string;
      scale: number;
      name: string;
      chain: string | null;
      min_wd: string | null;
      fee: string | null;
      can_dep: boolean | null;
      can_wd: boolean | null;
    }>(
      `SELECT a.ccy, a.scale, a.name, c.chain, c.min_wd::text AS min_wd, c.fee::text AS fee, c.can_dep, c.can_wd
         FROM exchange_assets a LEFT JOIN exchange_asset_chains c ON c.ccy = a.ccy
        WHERE $1::text IS NULL OR a.ccy = $1
        ORDER BY a.ccy, c.chain`,
      [ccy],
    );
    const out: LedgerAsset[] = [];
    for (const r of rows.rows) {
      let asset = out.at(-1);
      if (asset === undefined || asset.ccy !== r.ccy) {
        asset = { ccy: r.ccy, scale: Number(r.scale), name: r.name, chains: [] };
        out.push(asset);
      }
      if (r.chain !== null) {
        asset.chains.push({
          chain: r.chain,
          minWd: format(BigInt(r.min_wd as string), asset.scale),
          fee: format(BigInt(r.fee as string), asset.scale),
          canDep: r.can_dep === true,
          canWd: r.can_wd === true,
        });
      }
    }
    return out;
  }

  async createMarket(spec: MarketSpec): Promise<LedgerMarket> {
    const instId = spec.instId;
    const parts = typeof instId === 'string' ? instId.split('-') : [];
    if (parts.length !== 2) throw invalid('"instId" must be BASE-QUOTE');
    const [base, quote] = parts as [string, string];
    if (base === quote) throw invalid('a market needs two different currencies', { instId });
    const baseAsset = await this.#requireAsset(this.#db, base);
    await this.#requireAsset(this.#db, quote);
    if (typeof spec.tickSz !== 'string') throw invalid('"tickSz" must be a decimal string');
    const ps = decimalsOf(spec.tickSz);
    if (ps > 12) throw invalid('"tickSz" may have at most 12 decimals', { instId });
    const tick = parsePositive(spec.tickSz, ps, 'tickSz');
    const lot = parsePositive(spec.lotSz, baseAsset.scale, 'lotSz');
    const min = parsePositive(spec.minSz, baseAsset.scale, 'minSz');
    if (min % lot !== 0n) throw invalid('"minSz" must be a multiple of "lotSz"', { instId });
    const makerBps = checkBps(spec.makerFeeBps ?? 0, 'makerFeeBps');
    const takerBps = checkBps(spec.takerFeeBps ?? 0, 'takerFeeBps');
    const state = spec.state ?? 'live';
    if (state !== 'live' && state !== 'suspend') throw invalid('"state" must be live or suspend');
    try {
      await this.#db.query(
        `INSERT INTO exchange_markets (inst_id, base_ccy, quote_ccy, px_scale, tick_sz, lot_sz, min_sz,
           maker_fee_bps, taker_fee_bps, state, created_at)
         VALUES ($1, $2, $3, $4, $5::numeric, $6::numeric, $7::numeric, $8, $9, $10, $11)`,
        [
          instId,
          base,
          quote,
          ps,
          tick.toString(),
          lot.toString(),
          min.toString(),
          makerBps,
          takerBps,
          state,
          new Date(this.#clock.now()),
        ],
      );
    } catch (error) {
      if (sqlstate(error) === '23505') {
        throw new BaseError('CONFLICT', `market ${instId} already exists`, { details: { instId }, cause: error });
      }
      throw error;
    }
    return this.market(instId);
  }

  async setMarketState(instId: string, state: MarketState): Promise<LedgerMarket> {
    if (state !== 'live' && state !== 'suspend') throw invalid('"state" must be live or suspend');
    const done = await this.#db.query('UPDATE exchange_markets SET state = $2 WHERE inst_id = $1', [instId, state]);
    if (done.rowCount === 0) throw marketNotFound(instId);
    return this.market(instId);
  }

  async setMarketFees(instId: string, fees: { makerFeeBps: number; takerFeeBps: number }): Promise<LedgerMarket> {
    const maker = checkBps(fees.makerFeeBps, 'makerFeeBps');
    const taker = checkBps(fees.takerFeeBps, 'takerFeeBps');
    const done = await this.#db.query(
      'UPDATE exchange_markets SET maker_fee_bps = $2, taker_fee_bps = $3 WHERE inst_id = $1',
      [instId, maker, taker],
    );
    if (done.rowCount === 0) throw marketNotFound(instId);
    return this.market(instId);
  }

  async listMarkets(): Promise<LedgerMarket[]> {
    const rows = await this.#db.query<MarketRow>(`${MARKET_SELECT} ORDER BY m.inst_id`);
    return rows.rows.map((r) => publicMarket(marketOf(r)));
  }

  async market(instId: string): Promise<LedgerMarket> {
    return publicMarket(await loadMarket(this.#db, instId, false));
  }

  // ---------------------------------------------------------------------------------------------
  // Balances and deposits

  /**
   * The account's balances: every currency it holds anything of, by symbol; or exactly the given
   * currencies (zeros included).
   */
  balances(accountId: bigint, ccys?: readonly string[]): Promise<LedgerBalance[]> {
    return new LedgerReads(this.#db).balances(accountId, ccys);
  }

  /**
   * Credits `amount` of `ccy` to the account's available balance. With a tx id the credit happens
   * once: the same tx id again (same account and amount) returns the first deposit, uncredited;
   * with another account or amount it is refused.
   */
  async deposit(accountId: bigint, ccy: string, amount: string, options: DepositOptions = {}): Promise<DepositResult> {
    checkAccountId(accountId);
    const { txId, chain } = options;
    if (txId !== undefined && (typeof txId !== 'string' || txId.length === 0 || txId.length > 256)) {
      throw invalid('"txId" must be 1–256 characters');
    }
    return this.#write<DepositResult>(async (tx, at) => {
      await this.#requireAccount(tx, accountId);
      const asset = await this.#requireAsset(tx, ccy);
      const units = parsePositive(amount, asset.scale, 'amount');
      if (chain !== undefined) {
        const c = asset.chains.find((x) => x.chain === chain);
        if (c === undefined || !c.canDep) {
          throw invalid(`deposits on chain ${String(chain).slice(0, 64)} are not accepted`, { ccy });
        }
      }
      const inserted = await tx.query<{ id: bigint }>(
        `INSERT INTO exchange_deposits (account_id, ccy, chain, amount, tx_id, at)
         VALUES ($1, $2, $3, $4::numeric, $5, $6)
         ON CONFLICT (ccy, tx_id) DO NOTHING RETURNING id`,
        [accountId, ccy, chain ?? null, units.toString(), txId ?? null, at],
      );
      const id = inserted.rows[0]?.id;
      if (id === undefined) {
        const existing = await tx.query<{ id: bigint; account_id: bigint; amount: string }>(
          'SELECT id, account_id, amount::text AS amount FROM exchange_deposits WHERE ccy = $1 AND tx_id = $2',
          [ccy, txId ?? null],
        );
        const first = existing.rows[0];
        if (first === undefined) throw new BaseError('INTERNAL', 'a deposit conflicted with no deposit');
        if (first.account_id !== accountId || BigInt(first.amount) !== units) {
          throw invalid('this tx id was already credited with another account or amount', { ccy });
        }
        return { value: { depId: first.id.toString(), credited: false }, touched: [] };
      }
      const changes = new Changes();
      changes.add({
        accountId,
        ccy,
        bucket: 'available',
        delta: units,
        kind: 'deposit',
        refType: 'deposit',
        refId: id,
      });
      const held = await lockBalances(tx, changes.pairs());
      await changes.apply(tx, at, held);
      return { value: { depId: id.toString(), credited: true }, touched: changes.accounts() };
    });
  }

  /** Fees taken so far (trading and withdrawal), per currency: the exchange's own revenue. */
  async feesCollected(): Promise<Record<string, string>> {
    const rows = await this.#db.query<{ ccy: string; total: string; scale: number }>(
      `SELECT j.ccy, (-sum(j.delta))::text AS total, a.scale
         FROM exchange_journal j JOIN exchange_assets a ON a.ccy = j.ccy
        WHERE j.kind = 'fee' GROUP BY j.ccy, a.scale ORDER BY j.ccy`,
    );
    const out: Record<string, string> = {};
    for (const r of rows.rows) out[r.ccy] = format(BigInt(r.total), Number(r.scale));
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Orders

  /**
   * Places an order and matches it at once (see the design notes at the top of this file). Refused
   * before anything is written: an unknown or suspended market, a price off the tick, a size off
   * the lot or under the minimum, a clOrdId of one of the account's open orders, or funds short
   * of what the order needs (a limit or IOC/FOK buy px·sz quote, a sell sz base, a market buy in
   * quote sz quote, otherwise what its fills would take).
   */
  async placeOrder(accountId: bigint, request: OrderRequest, options: PlaceOrderOptions = {}): Promise<PlacedOrder> {
    checkAccountId(accountId);
    const { side, ordType, clOrdId, tag } = request;
    if (!SIDES.includes(side)) throw invalid('"side" must be buy or sell', { field: 'side' });
    if (!ORD_TYPES.includes(ordType)) {
      throw invalid('"ordType" must be limit, market, post_only, ioc or fok', { field: 'ordType' });
    }
    if (request.tgtCcy !== undefined && !TARGETS.includes(request.tgtCcy)) {
      throw invalid('"tgtCcy" must be base_ccy or quote_ccy', { field: 'tgtCcy' });
    }
    if (ordType !== 'market' && request.tgtCcy === 'quote_ccy') {
      throw invalid('"tgtCcy" quote_ccy applies to market orders only', { field: 'tgtCcy' });
    }
    const tgtCcy: TargetCurrency =
      ordType === 'market' ? (request.tgtCcy ?? (side === 'buy' ? 'quote_ccy' : 'base_ccy')) : 'base_ccy';
    if (clOrdId !== undefined && (typeof clOrdId !== 'string' || !CL_ORD_ID_RE.test(clOrdId))) {
      throw invalid('"clOrdId" must be 1–32 letters and digits', { field: 'clOrdId' });
    }
    if (tag !== undefined && (typeof tag !== 'string' || !TAG_RE.test(tag))) {
      throw invalid('"tag" must be 1–16 letters and digits', { field: 'tag' });
    }
    try {
      return await this.#write((tx, at) => this.#place(tx, at, accountId, request, tgtCcy, options));
    } catch (error) {
      if (sqlstate(error) === '23505' && clOrdId !== undefined) throw duplicateClOrdId(clOrdId, error);
      throw error;
    }
  }

  async #place(
    tx: Queryable,
    at: Date,
    accountId: bigint,
    request: OrderRequest,
    tgtCcy: TargetCurrency,
    options: PlaceOrderOptions,
  ): Promise<Written<PlacedOrder>> {
    const m = await loadMarket(tx, request.instId, true);
    if (m.state !== 'live') {
      throw invalid(`market ${m.instId} is suspended`, { instId: m.instId, reason: 'market_suspended' });
    }
    await this.#requireAccount(tx, accountId);
    const { side, ordType } = request;
    const buy = side === 'buy';
    const s = m.scales;
    let px: bigint | null = null;
    if (ordType !== 'market') {
      if (request.px === undefined) throw invalid(`"px" is required for ${ordType} orders`, { field: 'px' });
      px = parsePositive(request.px, s.ps, 'px');
      if (px % m.tick !== 0n) {
        throw invalid(`"px" must be a multiple of the tick size ${format(m.tick, s.ps)}`, {
          field: 'px',
          tickSz: format(m.tick, s.ps),
        });
      }
    }
    let base: bigint | null = null;
    let quote: bigint | null = null;
    if (tgtCcy === 'quote_ccy') {
      quote = parsePositive(request.sz, s.qs, 'sz');
    } else {
      base = parsePositive(request.sz, s.bs, 'sz');
      if (base % m.lot !== 0n) {
        throw invalid(`"sz" must be a multiple of the lot size ${format(m.lot, s.bs)}`, {
          field: 'sz',
          lotSz: format(m.lot, s.bs),
        });
      }
      if (base < m.min) {
        throw invalid(`"sz" is below the minimum order size ${format(m.min, s.bs)}`, {
          field: 'sz',
          minSz: format(m.min, s.bs),
        });
      }
    }
    if (request.clOrdId !== undefined) {
      const dup = await tx.query(
        `SELECT 1 FROM exchange_orders WHERE account_id = $1 AND cl_ord_id = $2 AND state IN ${OPEN}`,
        [accountId, request.clOrdId],
      );
      if (dup.rows.length > 0) throw duplicateClOrdId(request.clOrdId);
    }
    if (options.beforeMatch !== undefined) await options.beforeMatch(new LedgerReads(tx), { accountId, request });

    const plan = await planMatch(
      { accountId, side, ordType, px, base, quote },
      m.lot,
      s,
      (after) => this.#resting(tx, m.id, buy ? 'sell' : 'buy', px, after),
      MATCH_PAGE,
    );
    const spendCcy = buy ? m.quote : m.base;
    const receiveCcy = buy ? m.base : m.quote;
    const spent = plan.fills.reduce((sum, f) => sum + (buy ? f.quote : f.sz), 0n);
    let reserve: bigint;
    if (ordType !== 'market') reserve = buy ? quoteCeil(px as bigint, base as bigint, s) : (base as bigint);
    else if (buy) reserve = quote ?? spent;
    else reserve = base ?? spent;

    const makers = plan.fills.map((f) => f.maker.accountId);
    const held = await lockBalances(tx, [
      { accountId, ccy: m.base },
      { accountId, ccy: m.quote },
      ...makers.flatMap((id) => [
        { accountId: id, ccy: m.base },
        { accountId: id, ccy: m.quote },
      ]),
    ]);
    const own = heldOf(held, accountId, spendCcy);
    if (own.available < reserve) {
      throw new BaseError('EXCHANGE_INSUFFICIENT_FUNDS', `insufficient ${spendCcy} available for this order`, {
        details: {
          ccy: spendCcy,
          required: format(reserve, buy ? s.qs : s.bs),
          available: format(own.available, buy ? s.qs : s.bs),
        },
      });
    }

    const filled = plan.fills.reduce((sum, f) => sum + f.sz, 0n);
    const filledQuote = plan.fills.reduce((sum, f) => sum + f.quote, 0n);
    const value = plan.fills.reduce((sum, f) => sum + f.maker.px * f.sz, 0n);
    const takerFees = plan.fills.map((f) => feeOf(buy ? f.sz : f.quote, m.takerBps));
    const makerFees = plan.fills.map((f) => feeOf(buy ? f.quote : f.sz, m.makerBps));
    const finalFrozen = plan.rests ? (buy ? quoteCeil(px as bigint, plan.remainingBase, s) : plan.remainingBase) : 0n;
    const release = reserve - spent - finalFrozen;
    if (release < 0n) throw new BaseError('INTERNAL', 'an order would spend more than it froze');

    const inserted = await tx.query<{ id: bigint }>(
      `INSERT INTO exchange_orders (market_id, account_id, cl_ord_id, tag, side, ord_type, tgt_ccy, px, sz,
         acc_fill_sz, acc_fill_quote, acc_fill_value, fee, fee_ccy, frozen_ccy, frozen, state, cancel_source,
         created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9::numeric, $10::numeric, $11::numeric, $12::numeric,
         $13::numeric, $14, $15, $16::numeric, $17, $18, $19, $19)
       RETURNING id`,
      [
        m.id,
        accountId,
        request.clOrdId ?? null,
        request.tag ?? null,
        side,
        ordType,
        tgtCcy,
        px === null ? null : px.toString(),
        (base ?? quote ?? 0n).toString(),
        filled.toString(),
        filledQuote.toString(),
        value.toString(),
        takerFees.reduce((a, b) => a + b, 0n).toString(),
        receiveCcy,
        spendCcy,
        finalFrozen.toString(),
        plan.state,
        plan.cancelSource,
        at,
      ],
    );
    const ordId = (inserted.rows[0] as { id: bigint }).id;
    const fills: OrderFill[] = [];
    const published: LedgerFill[] = [];
    const changes = new Changes();
    if (plan.fills.length > 0 || plan.rests) {
      changes.freeze(accountId, spendCcy, reserve, 'order', ordId);
      const tradeIds = await this.#recordFills(tx, at, m, ordId, accountId, side, plan.fills, takerFees, makerFees);
      plan.fills.forEach((f, i) => {
        const tradeId = tradeIds[i] as bigint;
        const takerFee = takerFees[i] as bigint;
        const makerFee = makerFees[i] as bigint;
        const buyer = buy ? accountId : f.maker.accountId;
        const seller = buy ? f.maker.accountId : accountId;
        const buyerFee = buy ? takerFee : makerFee;
        const sellerFee = buy ? makerFee : takerFee;
        const ref = { refType: 'fill', refId: tradeId } as const;
        changes.add({ accountId: buyer, ccy: m.quote, bucket: 'frozen', delta: -f.quote, kind: 'trade', ...ref });
        changes.add({ accountId: buyer, ccy: m.base, bucket: 'available', delta: f.sz, kind: 'trade', ...ref });
        changes.add({ accountId: buyer, ccy: m.base, bucket: 'available', delta: -buyerFee, kind: 'fee', ...ref });
        changes.add({ accountId: seller, ccy: m.base, bucket: 'frozen', delta: -f.sz, kind: 'trade', ...ref });
        changes.add({ accountId: seller, ccy: m.quote, bucket: 'available', delta: f.quote, kind: 'trade', ...ref });
        changes.add({ accountId: seller, ccy: m.quote, bucket: 'available', delta: -sellerFee, kind: 'fee', ...ref });
        published.push({
          tradeId: tradeId.toString(),
          instId: m.instId,
          px: format(f.maker.px, s.ps),
          sz: format(f.sz, s.bs),
          quoteAmt: format(f.quote, s.qs),
          takerSide: side,
          takerOrdId: ordId.toString(),
          makerOrdId: f.maker.id.toString(),
          takerAccountId: accountId,
          makerAccountId: f.maker.accountId,
          takerFee: format(takerFee, buy ? s.bs : s.qs),
          makerFee: format(makerFee, buy ? s.qs : s.bs),
          ts: at.getTime(),
        });
        fills.push({
          tradeId: tradeId.toString(),
          px: format(f.maker.px, s.ps),
          sz: format(f.sz, s.bs),
          fee: format(takerFee, buy ? s.bs : s.qs),
          feeCcy: receiveCcy,
          role: 'taker',
          ts: at.getTime(),
        });
      });
      changes.unfreeze(accountId, spendCcy, release, 'order', ordId);
      await this.#updateMakers(tx, at, m, !buy, plan.fills, makerFees, changes);
    }
    await changes.apply(tx, at, held);
    return {
      value: {
        ordId: ordId.toString(),
        clOrdId: request.clOrdId ?? '',
        state: plan.state,
        fills,
        accFillSz: format(filled, s.bs),
        avgPx: avgPxOf(value, filled, s),
        cancelSource: plan.cancelSource,
      },
      touched: changes.accounts(),
      fills: published,
    };
  }

  /** The next page of resting orders on `side` that a taker limited to `limit` can reach. */
  async #resting(
    tx: Queryable,
    marketId: bigint,
    side: OrderSide,
    limit: bigint | null,
    after: Resting | null,
  ): Promise<Resting[]> {
    const asks = side === 'sell';
    const rows = await tx.query<{ id: bigint; account_id: bigint; px: string; remaining: string; frozen: string }>(
      `SELECT id, account_id, px::text AS px, (sz - acc_fill_sz)::text AS remaining, frozen::text AS frozen
         FROM exchange_orders o
        WHERE market_id = $1 AND side = $2 AND state IN ${OPEN}
          AND ($3::numeric IS NULL OR o.px ${asks ? '<=' : '>='} $3::numeric)
          AND ($4::numeric IS NULL OR o.px ${asks ? '>' : '<'} $4::numeric OR (o.px = $4::numeric AND o.id > $5))
        ORDER BY o.px ${asks ? 'ASC' : 'DESC'}, o.id ASC
        LIMIT $6`,
      [
        marketId,
        side,
        limit === null ? null : limit.toString(),
        after === null ? null : after.px.toString(),
        after === null ? 0n : after.id,
        MATCH_PAGE,
      ],
    );
    return rows.rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      px: BigInt(r.px),
      remaining: BigInt(r.remaining),
      frozen: BigInt(r.frozen),
    }));
  }

  /** Inserts the fills (ids drawn first, so each is known for its journal rows) and returns their ids. */
  async #recordFills(
    tx: Queryable,
    at: Date,
    m: Market,
    takerOrderId: bigint,
    takerAccountId: bigint,
    side: OrderSide,
    fills: readonly PlannedFill[],
    takerFees: readonly bigint[],
    makerFees: readonly bigint[],
  ): Promise<bigint[]> {
    if (fills.length === 0) return [];
    const ids = await tx.query<{ id: bigint }>(
      `SELECT nextval(pg_get_serial_sequence('exchange_fills', 'id')) AS id FROM generate_series(1, $1)`,
      [fills.length],
    );
    const tradeIds = ids.rows.map((r) => r.id);
    await tx.query(
      `INSERT INTO exchange_fills (id, market_id, taker_order_id, maker_order_id, taker_account_id, maker_account_id,
         taker_side, px, sz, quote_amt, taker_fee, maker_fee, at)
       OVERRIDING SYSTEM VALUE
       SELECT i, $2, $3, mo, $4, ma, $5, p, z, q, tf, mf, $1
         FROM unnest($6::bigint[], $7::bigint[], $8::bigint[], $9::numeric[], $10::numeric[], $11::numeric[],
           $12::numeric[], $13::numeric[]) AS t(i, mo, ma, p, z, q, tf, mf)`,
      [
        at,
        m.id,
        takerOrderId,
        takerAccountId,
        side,
        tradeIds.map(String),
        fills.map((f) => f.maker.id.toString()),
        fills.map((f) => f.maker.accountId.toString()),
        fills.map((f) => f.maker.px.toString()),
        fills.map((f) => f.sz.toString()),
        fills.map((f) => f.quote.toString()),
        takerFees.map(String),
        makerFees.map(String),
      ],
    );
    return tradeIds;
  }

  /** Applies the fills to the resting orders they hit; a filled one releases what it still held. */
  async #updateMakers(
    tx: Queryable,
    at: Date,
    m: Market,
    makerBuys: boolean,
    fills: readonly PlannedFill[],
    makerFees: readonly bigint[],
    changes: Changes,
  ): Promise<void> {
    if (fills.length === 0) return;
    const rows = fills.map((f, i) => {
      let frozen = f.maker.frozen - (makerBuys ? f.quote : f.sz);
      const done = f.sz === f.maker.remaining;
      if (frozen < 0n) throw new BaseError('INTERNAL', 'a resting order would spend more than it froze');
      if (done && frozen > 0n) {
        changes.unfreeze(f.maker.accountId, makerBuys ? m.quote : m.base, frozen, 'order', f.maker.id);
        frozen = 0n;
      }
      return {
        id: f.maker.id,
        sz: f.sz,
        quote: f.quote,
        value: f.maker.px * f.sz,
        fee: makerFees[i] as bigint,
        frozen,
        state: done ? 'filled' : 'partially_filled',
      };
    });
    await tx.query(
      `UPDATE exchange_orders o
          SET acc_fill_sz = o.acc_fill_sz + d.z, acc_fill_quote = o.acc_fill_quote + d.q,
              acc_fill_value = o.acc_fill_value + d.v, fee = o.fee + d.f, frozen = d.fr, state = d.st, updated_at = $1
         FROM unnest($2::bigint[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[],
           $8::text[]) AS d(i, z, q, v, f, fr, st)
        WHERE o.id = d.i`,
      [
        at,
        rows.map((r) => r.id.toString()),
        rows.map((r) => r.sz.toString()),
        rows.map((r) => r.quote.toString()),
        rows.map((r) => r.value.toString()),
        rows.map((r) => r.fee.toString()),
        rows.map((r) => r.frozen.toString()),
        rows.map((r) => r.state),
      ],
    );
  }

  /** Cancels an open order of the account and releases what it held. */
  async cancelOrder(accountId: bigint, ref: OrderRef): Promise<LedgerOrder> {
    checkAccountId(accountId);
    return this.#write(async (tx, at) => {
      const m = await loadMarket(tx, ref.instId, true);
      const row = await this.#findOrder(tx, accountId, m.id, ref);
      if (row.state !== 'live' && row.state !== 'partially_filled') {
        throw new BaseError('EXCHANGE_ORDER_NOT_FOUND', `order ${row.id} is ${row.state}, not open`, {
          details: { ordId: row.id.toString(), state: row.state, reason: 'not_open' },
        });
      }
      const frozen = BigInt(row.frozen);
      const changes = new Changes();
      changes.unfreeze(accountId, row.frozen_ccy, frozen, 'order', row.id);
      const held = await lockBalances(tx, changes.pairs());
      await tx.query(
        `UPDATE exchange_orders SET state = 'canceled', cancel_source = 'user', frozen = 0, updated_at = $2
          WHERE id = $1`,
        [row.id, at],
      );
      await changes.apply(tx, at, held);
      const updated = await tx.query<OrderRow>(`${ORDER_SELECT} WHERE o.id = $1`, [row.id]);
      return { value: orderOf(updated.rows[0] as OrderRow), touched: changes.accounts() };
    });
  }

  async #findOrder(q: Queryable, accountId: bigint, marketId: bigint, ref: OrderRef): Promise<OrderRow> {
    let rows: OrderRow[];
    if (ref.ordId !== undefined && ref.ordId !== '') {
      const id = parseId(ref.ordId, 'ordId');
      rows = (
        await q.query<OrderRow>(`${ORDER_SELECT} WHERE o.id = $1 AND o.account_id = $2 AND o.market_id = $3`, [
          id,
          accountId,
          marketId,
        ])
      ).rows;
    } else if (ref.clOrdId !== undefined && ref.clOrdId !== '') {
      if (typeof ref.clOrdId !== 'string' || !CL_ORD_ID_RE.test(ref.clOrdId)) {
        throw invalid('"clOrdId" must be 1–32 letters and digits', { field: 'clOrdId' });
      }
      // The open one if there is one, else the newest.
      rows = (
        await q.query<OrderRow>(
          `${ORDER_SELECT} WHERE o.account_id = $1 AND o.market_id = $2 AND o.cl_ord_id = $3
            ORDER BY (o.state IN ${OPEN}) DESC, o.id DESC LIMIT 1`,
          [accountId, marketId, ref.clOrdId],
        )
      ).rows;
    } else {
      throw invalid('either "ordId" or "clOrdId" is required');
    }
    const row = rows[0];
    if (row === undefined) {
      throw new BaseError('EXCHANGE_ORDER_NOT_FOUND', 'no such order', {
        details: { ordId: ref.ordId ?? null, clOrdId: ref.clOrdId ?? null },
      });
    }
    return row;
  }

  async getOrder(accountId: bigint, ref: OrderRef): Promise<LedgerOrder> {
    checkAccountId(accountId);
    const m = await loadMarket(this.#db, ref.instId, false);
    return orderOf(await this.#findOrder(this.#db, accountId, m.id, ref));
  }

  /** The account's open orders (in one market, or all), oldest first. */
  async openOrders(accountId: bigint, instId?: string): Promise<LedgerOrder[]> {
    checkAccountId(accountId);
    const marketId = instId === undefined ? null : (await loadMarket(this.#db, instId, false)).id;
    const rows = await this.#db.query<OrderRow>(
      `${ORDER_SELECT} WHERE o.account_id = $1 AND o.state IN ${OPEN} AND ($2::bigint IS NULL OR o.market_id = $2)
        ORDER BY o.id`,
      [accountId, marketId],
    );
    return rows.rows.map(orderOf);
  }

  // ---------------------------------------------------------------------------------------------
  // Book reads (the gateway and the anti-fraud engine)

  /** The book aggregated by price, `depth` levels a side (default 20). */
  book(instId: string, depth = 20): Promise<OrderBook> {
    return new LedgerReads(this.#db).book(instId, depth);
  }

  /** (best bid + best ask) / 2, exact; null when a side is empty. */
  midPrice(instId: string): Promise<string | null> {
    return new LedgerReads(this.#db).midPrice(instId);
  }

  /**
   * The quote value resting on one side within `pct` percent of the mid price ("2" = 2 %); null
   * when a side is empty.
   */
  depthWithin(instId: string, side: 'bids' | 'asks', pct: string): Promise<string | null> {
    return new LedgerReads(this.#db).depthWithin(instId, side, pct);
  }

  /** The resting orders of one side (`sell` = the asks) in matching order, within the best `depth` prices. */
  restingOrders(instId: string, side: OrderSide, depth: number): Promise<RestingOrder[]> {
    return new LedgerReads(this.#db).restingOrders(instId, side, depth);
  }

  /** Whether the account ever traded in the market (as taker or maker). */
  hasTraded(accountId: bigint, instId: string): Promise<boolean> {
    return new LedgerReads(this.#db).hasTraded(accountId, instId);
  }

  /** The market's fills at or after `sinceMs`, oldest first, at most `limit`. */
  async fills(instId: string, sinceMs: number, limit = 10_000): Promise<LedgerFill[]> {
    checkLimit(limit);
    const m = await loadMarket(this.#db, instId, false);
    const rows = await this.#db.query<FillRow>(
      `${FILL_SELECT} WHERE f.market_id = $1 AND f.at >= $2 ORDER BY f.at, f.id LIMIT $3`,
      [m.id, sinceDate(sinceMs), limit],
    );
    return rows.rows.map(fillOf);
  }

  /** The account's fills (as taker or maker, every market) at or after `sinceMs`, oldest first. */
  async accountFills(accountId: bigint, sinceMs: number, limit = 10_000): Promise<LedgerFill[]> {
    checkAccountId(accountId);
    checkLimit(limit);
    const rows = await this.#db.query<FillRow>(
      `${FILL_SELECT} WHERE (f.taker_account_id = $1 OR f.maker_account_id = $1) AND f.at >= $2
        ORDER BY f.at, f.id LIMIT $3`,
      [accountId, sinceDate(sinceMs), limit],
    );
    return rows.rows.map(fillOf);
  }

  // ---------------------------------------------------------------------------------------------
  // Withdrawal addresses

  /**
   * Lists an address for withdrawals of `ccy` on `chain`; usable after the cooling-off, whoever
   * adds it. Listing an address already listed returns the existing entry unchanged.
   */
  async addWithdrawalAddress(
    accountId: bigint,
    spec: WithdrawalAddressSpec,
    actor: AddressActor,
  ): Promise<WithdrawalAddress> {
    checkAccountId(accountId);
    if (actor !== 'account' && actor !== 'operator') throw invalid('"actor" must be account or operator');
    const address = normaliseAddress(spec.address);
    const label = spec.label ?? '';
    if (typeof label !== 'string' || label.length > 64 || /\p{Cc}/u.test(label)) {
      throw invalid('"label" must be at most 64 characters');
    }
    return this.#write(async (tx, at) => {
      await this.#requireAccount(tx, accountId);
      const asset = await this.#requireAsset(tx, spec.ccy);
      if (!asset.chains.some((c) => c.chain === spec.chain)) {
        throw invalid(`${asset.ccy} has no chain ${String(spec.chain).slice(0, 64)}`, { ccy: asset.ccy });
      }
      const usableAt = new Date(at.getTime() + this.#coolingOffMs);
      const inserted = await tx.query<AddressRow>(
        `INSERT INTO exchange_withdrawal_addresses (account_id, ccy, chain, address, label, added_by, created_at, usable_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (account_id, ccy, chain, address) WHERE removed_at IS NULL DO NOTHING
         RETURNING id, ccy, chain, address, label, added_by, created_at, usable_at`,
        [accountId, asset.ccy, spec.chain, address, label, actor, at, usableAt],
      );
      const row = inserted.rows[0];
      if (row === undefined) {
        const existing = await tx.query<AddressRow>(
          `SELECT id, ccy, chain, address, label, added_by, created_at, usable_at FROM exchange_withdrawal_addresses
            WHERE account_id = $1 AND ccy = $2 AND chain = $3 AND address = $4 AND removed_at IS NULL`,
          [accountId, asset.ccy, spec.chain, address],
        );
        return { value: addressOf(existing.rows[0] as AddressRow), touched: [] };
      }
      const entry = addressOf(row);
      await this.#audit(tx, at, accountId, actor, 'withdrawal_address_added', {
        id: entry.id,
        ccy: entry.ccy,
        chain: entry.chain,
        address: entry.address,
        label: entry.label,
        usableAt: usableAt.toISOString(),
      });
      return { value: entry, touched: [] };
    });
  }

  /** The account's listed addresses (cooling off or usable), oldest first. */
  async listWithdrawalAddresses(accountId: bigint): Promise<WithdrawalAddress[]> {
    checkAccountId(accountId);
    const rows = await this.#db.query<AddressRow>(
      `SELECT id, ccy, chain, address, label, added_by, created_at, usable_at FROM exchange_withdrawal_addresses
        WHERE account_id = $1 AND removed_at IS NULL ORDER BY id`,
      [accountId],
    );
    return rows.rows.map(addressOf);
  }

  /** Removes a listed address; false when the account has no such listed address. */
  async removeWithdrawalAddress(accountId: bigint, id: string, actor: AddressActor): Promise<boolean> {
    checkAccountId(accountId);
    if (actor !== 'account' && actor !== 'operator') throw invalid('"actor" must be account or operator');
    const addressId = parseId(id, 'id');
    return this.#write(async (tx, at) => {
      const removed = await tx.query<AddressRow>(
        `UPDATE exchange_withdrawal_addresses SET removed_at = $3, removed_by = $4
          WHERE id = $1 AND account_id = $2 AND removed_at IS NULL
          RETURNING id, ccy, chain, address, label, added_by, created_at, usable_at`,
        [addressId, accountId, at, actor],
      );
      const row = removed.rows[0];
      if (row === undefined) return { value: false, touched: [] };
      await this.#audit(tx, at, accountId, actor, 'withdrawal_address_removed', {
        id: row.id.toString(),
        ccy: row.ccy,
        chain: row.chain,
        address: row.address,
      });
      return { value: true, touched: [] };
    });
  }

  /** Whether the account ever completed a withdrawal to this address (of `ccy`, when given). */
  async isKnownWithdrawalAddress(accountId: bigint, address: string, ccy?: string): Promise<boolean> {
    checkAccountId(accountId);
    const rows = await this.#db.query(
      `SELECT 1 FROM exchange_withdrawals
        WHERE account_id = $1 AND to_addr = $2 AND state = 'completed' AND ($3::text IS NULL OR ccy = $3)
        LIMIT 1`,
      [accountId, normaliseAddress(address), ccy ?? null],
    );
    return rows.rows.length > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Withdrawal freezes

  /** Freezes the account's withdrawals; false when they already were (nothing changes). */
  async freezeWithdrawals(accountId: bigint, reason: string, actor: LedgerAuditActor = 'operator'): Promise<boolean> {
    checkAccountId(accountId);
    checkActor(actor);
    if (typeof reason !== 'string' || reason.length === 0 || reason.length > 500) {
      throw invalid('"reason" must be 1–500 characters');
    }
    return this.#write(async (tx, at) => {
      await this.#requireAccount(tx, accountId);
      const inserted = await tx.query(
        `INSERT INTO exchange_withdrawal_freezes (account_id, reason, actor, frozen_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id) DO NOTHING RETURNING account_id`,
        [accountId, reason, actor, at],
      );
      if (inserted.rows.length === 0) return { value: false, touched: [] };
      await this.#audit(tx, at, accountId, actor, 'withdrawals_frozen', { reason });
      return { value: true, touched: [] };
    });
  }

  /** Lifts a freeze; false when there was none. */
  async unfreezeWithdrawals(accountId: bigint, actor: LedgerAuditActor = 'operator', reason = ''): Promise<boolean> {
    checkAccountId(accountId);
    checkActor(actor);
    if (typeof reason !== 'string' || reason.length > 500) throw invalid('"reason" must be at most 500 characters');
    return this.#write(async (tx, at) => {
      const deleted = await tx.query<{ reason: string }>(
        'DELETE FROM exchange_withdrawal_freezes WHERE account_id = $1 RETURNING reason',
        [accountId],
      );
      const row = deleted.rows[0];
      if (row === undefined) return { value: false, touched: [] };
      await this.#audit(tx, at, accountId, actor, 'withdrawals_unfrozen', { reason, frozenFor: row.reason });
      return { value: true, touched: [] };
    });
  }

  async withdrawalsFrozen(accountId: bigint): Promise<boolean> {
    checkAccountId(accountId);
    const rows = await this.#db.query('SELECT 1 FROM exchange_withdrawal_freezes WHERE account_id = $1', [accountId]);
    return rows.rows.length > 0;
  }

  /** The account's audit trail (allow-list and freeze changes), newest first. */
  async auditTrail(accountId: bigint, limit = 100): Promise<LedgerAuditEntry[]> {
    checkAccountId(accountId);
    checkLimit(limit);
    const rows = await this.#db.query<{
      at: Date;
      account_id: bigint;
      actor: LedgerAuditActor;
      action: string;
      details: Record<string, unknown>;
    }>(
      `SELECT at, account_id, actor, action, details FROM exchange_ledger_audit
        WHERE account_id = $1 ORDER BY id DESC LIMIT $2`,
      [accountId, limit],
    );
    return rows.rows.map((r) => ({
      at: ms(r.at),
      accountId: r.account_id,
      actor: r.actor,
      action: r.action,
      details: r.details,
    }));
  }

  // ---------------------------------------------------------------------------------------------
  // Withdrawals

  /**
   * Requests a withdrawal: freezes amt + fee and records it pending for the back office. Refused
   * (nothing written) when the account's withdrawals are frozen, the chain does not allow
   * withdrawals, the address is not listed for (ccy, chain) or still cooling off, the amount is
   * under the chain's minimum, or the balance is short.
   */
  async withdraw(accountId: bigint, request: WithdrawalRequest): Promise<LedgerWithdrawal> {
    checkAccountId(accountId);
    return this.#write(async (tx, at) => {
      await this.#requireAccount(tx, accountId);
      const frozen = await tx.query('SELECT 1 FROM exchange_withdrawal_freezes WHERE account_id = $1', [accountId]);
      if (frozen.rows.length > 0) {
        throw new BaseError('EXCHANGE_WITHDRAWALS_FROZEN', 'withdrawals are frozen for this account', {
          details: { accountId: accountId.toString() },
          hints: ['An operator must lift the freeze.'],
        });
      }
      const asset = await this.#requireAsset(tx, request.ccy);
      const chain = asset.chains.find((c) => c.chain === request.chain);
      if (chain === undefined) {
        throw invalid(`${asset.ccy} has no chain ${String(request.chain).slice(0, 64)}`, { ccy: asset.ccy });
      }
      if (!chain.canWd) {
        throw invalid(`withdrawals on ${chain.chain} are suspended`, { chain: chain.chain, reason: 'chain_suspended' });
      }
      const amount = parsePositive(request.amt, asset.scale, 'amt');
      const fee = parseUnits(chain.fee, asset.scale, 'fee');
      if (request.fee !== undefined && parseUnits(request.fee, asset.scale, 'fee') !== fee) {
        throw invalid(`"fee" must be the chain's fee ${chain.fee}`, { field: 'fee', fee: chain.fee });
      }
      const toAddr = normaliseAddress(request.toAddr);
      const listed = await tx.query<{ id: bigint; usable_at: Date }>(
        `SELECT id, usable_at FROM exchange_withdrawal_addresses
          WHERE account_id = $1 AND ccy = $2 AND chain = $3 AND address = $4 AND removed_at IS NULL`,
        [accountId, asset.ccy, chain.chain, toAddr],
      );
      const entry = listed.rows[0];
      if (entry === undefined) {
        throw new BaseError('EXCHANGE_ADDRESS_NOT_ALLOWED', 'the address is not on the withdrawal allow-list', {
          details: { ccy: asset.ccy, chain: chain.chain },
          hints: ['Add it to the allow-list; it becomes usable after the cooling-off period.'],
        });
      }
      if (at.getTime() < ms(entry.usable_at)) {
        throw new BaseError('EXCHANGE_ADDRESS_COOLING_OFF', 'the address is still in its cooling-off period', {
          details: { addressId: entry.id.toString(), usableAt: ms(entry.usable_at) },
        });
      }
      const minWd = parseUnits(chain.minWd, asset.scale, 'minWd');
      if (amount < minWd) {
        throw new BaseError(
          'EXCHANGE_INSUFFICIENT_FUNDS',
          `the amount is under the minimum withdrawal ${chain.minWd}`,
          {
            details: { ccy: asset.ccy, reason: 'below_min_withdrawal', minWd: chain.minWd },
          },
        );
      }
      const held = await lockBalances(tx, [{ accountId, ccy: asset.ccy }]);
      const own = heldOf(held, accountId, asset.ccy);
      if (own.available < amount + fee) {
        throw new BaseError('EXCHANGE_INSUFFICIENT_FUNDS', `insufficient ${asset.ccy} available for this withdrawal`, {
          details: {
            ccy: asset.ccy,
            reason: 'balance',
            required: format(amount + fee, asset.scale),
            available: format(own.available, asset.scale),
          },
        });
      }
      const inserted = await tx.query<{ id: bigint }>(
        `INSERT INTO exchange_withdrawals (account_id, ccy, chain, address_id, to_addr, amount, fee, state,
           created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::numeric, $7::numeric, 'pending', $8, $8) RETURNING id`,
        [accountId, asset.ccy, chain.chain, entry.id, toAddr, amount.toString(), fee.toString(), at],
      );
      const id = (inserted.rows[0] as { id: bigint }).id;
      const changes = new Changes();
      changes.freeze(accountId, asset.ccy, amount + fee, 'withdrawal', id);
      await changes.apply(tx, at, held);
      return { value: await this.#withdrawal(tx, id), touched: changes.accounts() };
    });
  }

  /** The back office sent it: the frozen amount and fee leave the ledger. */
  async completeWithdrawal(wdId: string, options: { txId?: string } = {}): Promise<LedgerWithdrawal> {
    const id = parseId(wdId, 'wdId');
    if (options.txId !== undefined && (typeof options.txId !== 'string' || options.txId.length > 256)) {
      throw invalid('"txId" must be at most 256 characters');
    }
    return this.#settleWithdrawal(id, 'completed', options.txId ?? null, null);
  }

  /** The back office could not send it: amount and fee are unfrozen. */
  async failWithdrawal(wdId: string, reason = ''): Promise<LedgerWithdrawal> {
    const id = parseId(wdId, 'wdId');
    if (typeof reason !== 'string' || reason.length > 500) throw invalid('"reason" must be at most 500 characters');
    return this.#settleWithdrawal(id, 'failed', null, reason);
  }

  async #settleWithdrawal(
    id: bigint,
    state: 'completed' | 'failed',
    txId: string | null,
    reason: string | null,
  ): Promise<LedgerWithdrawal> {
    return this.#write(async (tx, at) => {
      const rows = await tx.query<{ account_id: bigint; ccy: string; amount: string; fee: string; state: string }>(
        `SELECT account_id, ccy, amount::text AS amount, fee::text AS fee, state FROM exchange_withdrawals
          WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const w = rows.rows[0];
      if (w === undefined)
        throw new BaseError('NOT_FOUND', `no withdrawal ${id}`, { details: { wdId: id.toString() } });
      if (w.state !== 'pending') {
        throw invalid(`withdrawal ${id} is already ${w.state}`, { wdId: id.toString(), state: w.state });
      }
      const amount = BigInt(w.amount);
      const fee = BigInt(w.fee);
      const changes = new Changes();
      if (state === 'completed') {
        const ref = { refType: 'withdrawal', refId: id } as const;
        changes.add({
          accountId: w.account_id,
          ccy: w.ccy,
          bucket: 'frozen',
          delta: -amount,
          kind: 'withdrawal',
          ...ref,
        });
        changes.add({ accountId: w.account_id, ccy: w.ccy, bucket: 'frozen', delta: -fee, kind: 'fee', ...ref });
      } else {
        changes.unfreeze(w.account_id, w.ccy, amount + fee, 'withdrawal', id);
      }
      const held = await lockBalances(tx, changes.pairs());
      await tx.query(
        'UPDATE exchange_withdrawals SET state = $2, tx_id = $3, reason = $4, updated_at = $5 WHERE id = $1',
        [id, state, txId, reason, at],
      );
      await changes.apply(tx, at, held);
      return { value: await this.#withdrawal(tx, id), touched: changes.accounts() };
    });
  }

  async #withdrawal(q: Queryable, id: bigint): Promise<LedgerWithdrawal> {
    const rows = await q.query<WithdrawalRow>(`${WITHDRAWAL_SELECT} WHERE w.id = $1`, [id]);
    const row = rows.rows[0];
    if (row === undefined)
      throw new BaseError('NOT_FOUND', `no withdrawal ${id}`, { details: { wdId: id.toString() } });
    return withdrawalOf(row);
  }

  async getWithdrawal(wdId: string): Promise<LedgerWithdrawal> {
    return this.#withdrawal(this.#db, parseId(wdId, 'wdId'));
  }

  /** The account's withdrawals, newest first. */
  async withdrawals(accountId: bigint, limit = 100): Promise<LedgerWithdrawal[]> {
    checkAccountId(accountId);
    checkLimit(limit);
    const rows = await this.#db.query<WithdrawalRow>(
      `${WITHDRAWAL_SELECT} WHERE w.account_id = $1 ORDER BY w.id DESC LIMIT $2`,
      [accountId, limit],
    );
    return rows.rows.map(withdrawalOf);
  }

  // ---------------------------------------------------------------------------------------------
  // Liabilities

  /**
   * Writes the proof-of-reserves liabilities snapshot (CSV, `user_id,<CCY>:<scale>,…`) of every
   * account holding anything in the assets, from one consistent snapshot of the ledger.
   */
  async exportLiabilities(out: string, options: LiabilitiesExportOptions = {}): Promise<LiabilitiesExportResult> {
    return writeLiabilities(this.#db, out, options);
  }
}

function duplicateClOrdId(clOrdId: string, cause?: unknown): BaseError {
  return new BaseError('EXCHANGE_INVALID_REQUEST', 'an open order of this account already has this clOrdId', {
    details: { field: 'clOrdId', clOrdId, reason: 'duplicate_cl_ord_id' },
    cause,
  });
}

function checkActor(actor: unknown): void {
  if (actor !== 'account' && actor !== 'operator' && actor !== 'system') {
    throw invalid('"actor" must be account, operator or system');
  }
}

interface ChainRow {
  chain: string;
  minWd: bigint;
  fee: bigint;
  canDep: boolean;
  canWd: boolean;
}

function chainRow(ccy: string, scale: number, spec: ChainSpec): ChainRow {
  const chain = checkChainName(ccy, spec.chain);
  const minWd = parseUnits(spec.minWd ?? '0', scale, 'minWd');
  const fee = parseUnits(spec.fee ?? '0', scale, 'fee');
  if (minWd < 0n || fee < 0n) throw invalid('"minWd" and "fee" must not be negative', { chain });
  const canDep = spec.canDep ?? true;
  const canWd = spec.canWd ?? true;
  if (typeof canDep !== 'boolean' || typeof canWd !== 'boolean') throw invalid('"canDep" and "canWd" must be booleans');
  return { chain, minWd, fee, canDep, canWd };
}

async function upsertChain(q: Queryable, ccy: string, c: ChainRow): Promise<void> {
  await q.query(
    `INSERT INTO exchange_asset_chains (ccy, chain, min_wd, fee, can_dep, can_wd)
     VALUES ($1, $2, $3::numeric, $4::numeric, $5, $6)
     ON CONFLICT (ccy, chain) DO UPDATE
       SET min_wd = EXCLUDED.min_wd, fee = EXCLUDED.fee, can_dep = EXCLUDED.can_dep, can_wd = EXCLUDED.can_wd`,
    [ccy, c.chain, c.minWd.toString(), c.fee.toString(), c.canDep, c.canWd],
  );
}
