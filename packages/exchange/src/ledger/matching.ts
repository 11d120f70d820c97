/**
 * Matching one incoming order against the resting side of a book, as a plan: which resting orders
 * it trades with, how much, and how it ends. Price-time priority (best price first, oldest first
 * within a price), every fill at the resting order's price. The caller holds the market's lock, so
 * the book cannot change between reading it and applying the plan.
 */
import { baseFor, floorToLot, minOf, quoteFloor, type Scales } from './amounts.js';
import type { CancelSource, OrderSide, OrderState, OrderType } from './types.js';

/** A resting order as the matcher sees it. */
export interface Resting {
  id: bigint;
  accountId: bigint;
  px: bigint;
  /** Base units still open. */
  remaining: bigint;
  /** What it still holds frozen (quote for a bid, base for an ask). */
  frozen: bigint;
}

export interface PlannedFill {
  maker: Resting;
  /** Base units. */
  sz: bigint;
  /** Quote units: px·sz truncated. */
  quote: bigint;
}

export interface Taker {
  accountId: bigint;
  side: OrderSide;
  ordType: OrderType;
  /** Limit price; null for a market order. */
  px: bigint | null;
  /** Base units to fill, or null when the order is sized in quote. */
  base: bigint | null;
  /** Quote units to spend or receive, or null when sized in base. */
  quote: bigint | null;
}

export interface Plan {
  fills: PlannedFill[];
  state: OrderState;
  cancelSource: CancelSource | null;
  /** Base units left unfilled (sized-in-base orders; 0 otherwise). */
  remainingBase: bigint;
  /** Whether the unfilled rest stays on the book. */
  rests: boolean;
}

/** Reads the next resting orders after `after` (null: from the best), best first. */
export type NextPage = (after: Resting | null) => Promise<Resting[]>;

export async function planMatch(
  taker: Taker,
  lot: bigint,
  scales: Scales,
  nextPage: NextPage,
  pageSize: number,
): Promise<Plan> {
  const fills: PlannedFill[] = [];
  let base = taker.base;
  let quote = taker.quote;
  let stop: CancelSource | null = null;
  /** A quote-sized order that cannot take one more lot at the best remaining price. */
  let dust = false;
  let after: Resting | null = null;
  outer: while (true) {
    const page = await nextPage(after);
    for (const maker of page) {
      after = maker;
      if (taker.ordType === 'post_only') {
        stop = 'post_only';
        break outer;
      }
      if (maker.accountId === taker.accountId) {
        stop = 'self_trade';
        break outer;
      }
      let sz: bigint;
      if (base !== null) {
        sz = minOf(maker.remaining, base);
      } else {
        const affordable = floorToLot(baseFor(quote as bigint, maker.px, scales), lot);
        sz = minOf(maker.remaining, affordable);
        // Less than the resting order offers: what is left cannot take one more lot at this
        // price, nor at any later (worse) one.
        if (sz < maker.remaining) dust = true;
        if (sz === 0n) break outer;
      }
      const amount = quoteFloor(maker.px, sz, scales);
      fills.push({ maker, sz, quote: amount });
      if (base !== null) base -= sz;
      else quote = (quote as bigint) - amount;
      if (base === 0n || quote === 0n || dust) break outer;
    }
    if (page.length < pageSize) break;
  }
  const complete = base === 0n || quote === 0n || (dust && fills.length > 0);
  const remainingBase = base ?? 0n;
  const canceled = (source: CancelSource, keep: boolean): Plan => ({
    fills: keep ? fills : [],
    state: 'canceled',
    cancelSource: stop === 'self_trade' ? 'self_trade' : source,
    remainingBase,
    rests: false,
  });
  if (stop === 'post_only') return canceled('post_only', false);
  if (complete) return { fills, state: 'filled', cancelSource: null, remainingBase: 0n, rests: false };
  switch (taker.ordType) {
    case 'fok':
      return canceled('fok', false);
    case 'ioc':
      return canceled('ioc', true);
    case 'market':
      return canceled('market', true);
    default:
      if (stop === 'self_trade') return canceled('self_trade', true);
      return {
        fills,
        state: fills.length > 0 ? 'partially_filled' : 'live',
        cancelSource: null,
        remainingBase,
        rests: true,
      };
  }
}
