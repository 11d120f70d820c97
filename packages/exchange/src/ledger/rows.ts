/**
 * Shared pieces of the ledger: request checks, the errors they throw, and the database rows with
 * their mapping to the public shapes (every amount formatted at its own scale).
 */
import { BaseError } from '@custos/core';
import type { Queryable } from '@custos/db';
import { format, pow10, type Scales } from './amounts.js';
import type {
  AddressActor,
  CancelSource,
  LedgerFill,
  LedgerMarket,
  LedgerOrder,
  LedgerWithdrawal,
  MarketState,
  OrderSide,
  OrderState,
  OrderType,
  TargetCurrency,
  WithdrawalAddress,
  WithdrawalState,
} from './types.js';

/** The states of an order on the book, as SQL. */
export const OPEN = `('live', 'partially_filled')`;

const ID_RE = /^[1-9][0-9]{0,18}$/;
const MAX_ID = (1n << 63n) - 1n;

export function invalid(message: string, details: Record<string, string | number | boolean | null> = {}): BaseError {
  return new BaseError('EXCHANGE_INVALID_REQUEST', message, { details });
}

export function sqlstate(error: unknown): string | null {
  if (!(error instanceof BaseError) || error.code !== 'DB_QUERY_FAILED') return null;
  const state = error.details.sqlstate;
  return typeof state === 'string' ? state : null;
}

export function checkAccountId(accountId: unknown): asserts accountId is bigint {
  if (typeof accountId !== 'bigint' || accountId <= 0n) throw invalid('"accountId" must be a positive bigint');
}

export function parseId(id: unknown, field: string): bigint {
  if (typeof id !== 'string' || !ID_RE.test(id) || BigInt(id) > MAX_ID) {
    throw invalid(`"${field}" must be a decimal id`, { field });
  }
  return BigInt(id);
}

export const ms = (d: Date) => d.getTime();

export interface MarketRow {
  id: bigint;
  inst_id: string;
  base_ccy: string;
  quote_ccy: string;
  px_scale: number;
  tick_sz: string;
  lot_sz: string;
  min_sz: string;
  maker_fee_bps: number;
  taker_fee_bps: number;
  state: MarketState;
  base_scale: number;
  quote_scale: number;
}

export interface Market {
  id: bigint;
  instId: string;
  base: string;
  quote: string;
  scales: Scales;
  tick: bigint;
  lot: bigint;
  min: bigint;
  makerBps: number;
  takerBps: number;
  state: MarketState;
}

export const MARKET_SELECT = `SELECT m.id, m.inst_id, m.base_ccy, m.quote_ccy, m.px_scale, m.tick_sz::text AS tick_sz,
    m.lot_sz::text AS lot_sz, m.min_sz::text AS min_sz, m.maker_fee_bps, m.taker_fee_bps, m.state,
    b.scale AS base_scale, q.scale AS quote_scale
  FROM exchange_markets m
  JOIN exchange_assets b ON b.ccy = m.base_ccy
  JOIN exchange_assets q ON q.ccy = m.quote_ccy`;

export function marketOf(r: MarketRow): Market {
  return {
    id: r.id,
    instId: r.inst_id,
    base: r.base_ccy,
    quote: r.quote_ccy,
    scales: { ps: Number(r.px_scale), bs: Number(r.base_scale), qs: Number(r.quote_scale) },
    tick: BigInt(r.tick_sz),
    lot: BigInt(r.lot_sz),
    min: BigInt(r.min_sz),
    makerBps: Number(r.maker_fee_bps),
    takerBps: Number(r.taker_fee_bps),
    state: r.state,
  };
}

export function publicMarket(m: Market): LedgerMarket {
  return {
    instId: m.instId,
    baseCcy: m.base,
    quoteCcy: m.quote,
    tickSz: format(m.tick, m.scales.ps),
    lotSz: format(m.lot, m.scales.bs),
    minSz: format(m.min, m.scales.bs),
    makerFeeBps: m.makerBps,
    takerFeeBps: m.takerBps,
    state: m.state,
  };
}

/** avgPx from the exact fill value (scale ps + bs) and the base filled: truncated at ps + bs digits. */
export function avgPxOf(value: bigint, filled: bigint, s: Scales): string {
  if (filled === 0n) return '';
  return format((value * pow10(s.bs)) / filled, s.ps + s.bs);
}

export interface OrderRow {
  id: bigint;
  cl_ord_id: string | null;
  tag: string | null;
  inst_id: string;
  account_id: bigint;
  side: OrderSide;
  ord_type: OrderType;
  tgt_ccy: TargetCurrency;
  px: string | null;
  sz: string;
  acc_fill_sz: string;
  acc_fill_value: string;
  state: OrderState;
  cancel_source: CancelSource | null;
  fee: string;
  fee_ccy: string;
  frozen: string;
  frozen_ccy: string;
  created_at: Date;
  updated_at: Date;
  px_scale: number;
  base_scale: number;
  quote_scale: number;
}

export const ORDER_SELECT = `SELECT o.id, o.cl_ord_id, o.tag, m.inst_id, o.account_id, o.side, o.ord_type, o.tgt_ccy,
    o.px::text AS px, o.sz::text AS sz, o.acc_fill_sz::text AS acc_fill_sz, o.acc_fill_value::text AS acc_fill_value,
    o.state, o.cancel_source, o.fee::text AS fee, o.fee_ccy, o.frozen::text AS frozen, o.frozen_ccy,
    o.created_at, o.updated_at, m.px_scale, b.scale AS base_scale, q.scale AS quote_scale
  FROM exchange_orders o
  JOIN exchange_markets m ON m.id = o.market_id
  JOIN exchange_assets b ON b.ccy = m.base_ccy
  JOIN exchange_assets q ON q.ccy = m.quote_ccy`;

export function orderOf(r: OrderRow): LedgerOrder {
  const s: Scales = { ps: Number(r.px_scale), bs: Number(r.base_scale), qs: Number(r.quote_scale) };
  const buy = r.side === 'buy';
  return {
    ordId: r.id.toString(),
    clOrdId: r.cl_ord_id ?? '',
    tag: r.tag ?? '',
    instId: r.inst_id,
    accountId: r.account_id,
    side: r.side,
    ordType: r.ord_type,
    tgtCcy: r.tgt_ccy,
    px: r.px === null ? '' : format(BigInt(r.px), s.ps),
    sz: format(BigInt(r.sz), r.tgt_ccy === 'quote_ccy' ? s.qs : s.bs),
    accFillSz: format(BigInt(r.acc_fill_sz), s.bs),
    avgPx: avgPxOf(BigInt(r.acc_fill_value), BigInt(r.acc_fill_sz), s),
    state: r.state,
    cancelSource: r.cancel_source,
    fee: format(BigInt(r.fee), buy ? s.bs : s.qs),
    feeCcy: r.fee_ccy,
    frozen: format(BigInt(r.frozen), buy ? s.qs : s.bs),
    frozenCcy: r.frozen_ccy,
    cTime: ms(r.created_at),
    uTime: ms(r.updated_at),
  };
}

export interface FillRow {
  id: bigint;
  inst_id: string;
  px: string;
  sz: string;
  quote_amt: string;
  taker_side: OrderSide;
  taker_order_id: bigint;
  maker_order_id: bigint;
  taker_account_id: bigint;
  maker_account_id: bigint;
  taker_fee: string;
  maker_fee: string;
  at: Date;
  px_scale: number;
  base_scale: number;
  quote_scale: number;
}

export const FILL_SELECT = `SELECT f.id, m.inst_id, f.px::text AS px, f.sz::text AS sz, f.quote_amt::text AS quote_amt,
    f.taker_side, f.taker_order_id, f.maker_order_id, f.taker_account_id, f.maker_account_id,
    f.taker_fee::text AS taker_fee, f.maker_fee::text AS maker_fee, f.at,
    m.px_scale, b.scale AS base_scale, q.scale AS quote_scale
  FROM exchange_fills f
  JOIN exchange_markets m ON m.id = f.market_id
  JOIN exchange_assets b ON b.ccy = m.base_ccy
  JOIN exchange_assets q ON q.ccy = m.quote_ccy`;

export function fillOf(r: FillRow): LedgerFill {
  const s: Scales = { ps: Number(r.px_scale), bs: Number(r.base_scale), qs: Number(r.quote_scale) };
  const takerBuys = r.taker_side === 'buy';
  return {
    tradeId: r.id.toString(),
    instId: r.inst_id,
    px: format(BigInt(r.px), s.ps),
    sz: format(BigInt(r.sz), s.bs),
    quoteAmt: format(BigInt(r.quote_amt), s.qs),
    takerSide: r.taker_side,
    takerOrdId: r.taker_order_id.toString(),
    makerOrdId: r.maker_order_id.toString(),
    takerAccountId: r.taker_account_id,
    makerAccountId: r.maker_account_id,
    takerFee: format(BigInt(r.taker_fee), takerBuys ? s.bs : s.qs),
    makerFee: format(BigInt(r.maker_fee), takerBuys ? s.qs : s.bs),
    ts: ms(r.at),
  };
}

export interface WithdrawalRow {
  id: bigint;
  account_id: bigint;
  ccy: string;
  chain: string;
  to_addr: string;
  amount: string;
  fee: string;
  state: WithdrawalState;
  tx_id: string | null;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
  scale: number;
}

export const WITHDRAWAL_SELECT = `SELECT w.id, w.account_id, w.ccy, w.chain, w.to_addr, w.amount::text AS amount,
    w.fee::text AS fee, w.state, w.tx_id, w.reason, w.created_at, w.updated_at, a.scale
  FROM exchange_withdrawals w JOIN exchange_assets a ON a.ccy = w.ccy`;

export function withdrawalOf(r: WithdrawalRow): LedgerWithdrawal {
  const scale = Number(r.scale);
  return {
    wdId: r.id.toString(),
    accountId: r.account_id,
    ccy: r.ccy,
    chain: r.chain,
    toAddr: r.to_addr,
    amt: format(BigInt(r.amount), scale),
    fee: format(BigInt(r.fee), scale),
    state: r.state,
    txId: r.tx_id ?? '',
    reason: r.reason ?? '',
    cTime: ms(r.created_at),
    uTime: ms(r.updated_at),
  };
}

export interface AddressRow {
  id: bigint;
  ccy: string;
  chain: string;
  address: string;
  label: string;
  added_by: AddressActor;
  created_at: Date;
  usable_at: Date;
}

export function addressOf(r: AddressRow): WithdrawalAddress {
  return {
    id: r.id.toString(),
    ccy: r.ccy,
    chain: r.chain,
    address: r.address,
    label: r.label,
    addedBy: r.added_by,
    createdAt: ms(r.created_at),
    usableAt: ms(r.usable_at),
  };
}

export function marketNotFound(instId: string): BaseError {
  return new BaseError('EXCHANGE_MARKET_NOT_FOUND', `no market ${instId}`, { details: { instId } });
}

export function checkLimit(limit: unknown): void {
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > 100_000) {
    throw invalid('"limit" must be an integer 1..100000');
  }
}

export function sinceDate(sinceMs: unknown): Date {
  if (typeof sinceMs !== 'number' || !Number.isSafeInteger(sinceMs) || sinceMs < 0) {
    throw invalid('"sinceMs" must be a non-negative integer of milliseconds');
  }
  return new Date(sinceMs);
}

/** A market by instId; with `lock`, its row is locked for the rest of the transaction. */
export async function loadMarket(q: Queryable, instId: unknown, lock: boolean): Promise<Market> {
  if (typeof instId !== 'string' || instId.length > 64) throw marketNotFound(String(instId).slice(0, 64));
  const rows = await q.query<MarketRow>(`${MARKET_SELECT} WHERE m.inst_id = $1${lock ? ' FOR UPDATE OF m' : ''}`, [
    instId,
  ]);
  const row = rows.rows[0];
  if (row === undefined) throw marketNotFound(instId);
  return marketOf(row);
}
