/**
 * Reads of the book and balances, on any connection or transaction: the Ledger's own reads use
 * the database, and a `beforeMatch` hook gets them bound to the placing transaction, so it sees
 * the book exactly as the order will meet it (the market's lock is held).
 */
import type { Queryable } from '@custos/db';
import { format, parseUnits, pow10, quoteFloor } from './amounts.js';
import { checkAccountId, invalid, loadMarket, type Market, OPEN } from './rows.js';
import type { BookLevel, BookReads, LedgerBalance, OrderBook, OrderSide, RestingOrder } from './types.js';

function checkDepth(depth: unknown): asserts depth is number {
  if (typeof depth !== 'number' || !Number.isSafeInteger(depth) || depth < 1 || depth > 5000) {
    throw invalid('"depth" must be an integer 1..5000');
  }
}

export class LedgerReads implements BookReads {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  /** The book aggregated by price, `depth` levels a side. */
  async book(instId: string, depth: number): Promise<OrderBook> {
    checkDepth(depth);
    const m = await loadMarket(this.#q, instId, false);
    const side = async (s: OrderSide): Promise<BookLevel[]> => {
      const rows = await this.#q.query<{ px: string; sz: string }>(
        `SELECT o.px::text AS px, sum(o.sz - o.acc_fill_sz)::text AS sz FROM exchange_orders o
          WHERE o.market_id = $1 AND o.side = $2 AND o.state IN ${OPEN}
          GROUP BY o.px ORDER BY o.px ${s === 'buy' ? 'DESC' : 'ASC'} LIMIT $3`,
        [m.id, s, depth],
      );
      return rows.rows.map((r) => ({ px: format(BigInt(r.px), m.scales.ps), sz: format(BigInt(r.sz), m.scales.bs) }));
    };
    return { bids: await side('buy'), asks: await side('sell') };
  }

  async #bestPrices(m: Market): Promise<{ bid: bigint | null; ask: bigint | null }> {
    const rows = await this.#q.query<{ bid: string | null; ask: string | null }>(
      `SELECT (SELECT max(px) FROM exchange_orders WHERE market_id = $1 AND side = 'buy' AND state IN ${OPEN})::text AS bid,
              (SELECT min(px) FROM exchange_orders WHERE market_id = $1 AND side = 'sell' AND state IN ${OPEN})::text AS ask`,
      [m.id],
    );
    const r = rows.rows[0];
    return {
      bid: r?.bid == null ? null : BigInt(r.bid),
      ask: r?.ask == null ? null : BigInt(r.ask),
    };
  }

  /** (best bid + best ask) / 2, exact; null when a side is empty. */
  async midPrice(instId: string): Promise<string | null> {
    const m = await loadMarket(this.#q, instId, false);
    const { bid, ask } = await this.#bestPrices(m);
    if (bid === null || ask === null) return null;
    return format((bid + ask) * 5n, m.scales.ps + 1);
  }

  /**
   * The quote value resting on one side within `pct` percent of the mid price ("2" = 2 %): bids
   * priced at least mid·(1 − pct/100), asks at most mid·(1 + pct/100). Null when a side is empty.
   */
  async depthWithin(instId: string, side: 'bids' | 'asks', pct: string): Promise<string | null> {
    if (side !== 'bids' && side !== 'asks') throw invalid('"side" must be bids or asks');
    const percent = parseUnits(pct, 8, 'pct');
    const hundred = 100n * pow10(8);
    if (percent < 0n || percent > hundred) throw invalid('"pct" must be 0..100');
    const m = await loadMarket(this.#q, instId, false);
    const { bid, ask } = await this.#bestPrices(m);
    if (bid === null || ask === null) return null;
    const mid10 = (bid + ask) * 5n; // mid at scale ps + 1
    // px·10·hundred ≥ mid10·(hundred − pct)  ⇔  px ≥ ceil(mid10·(hundred − pct) / (10·hundred))
    const bound =
      side === 'bids'
        ? (mid10 * (hundred - percent) + 10n * hundred - 1n) / (10n * hundred)
        : (mid10 * (hundred + percent)) / (10n * hundred);
    const rows = await this.#q.query<{ px: string; sz: string }>(
      `SELECT o.px::text AS px, sum(o.sz - o.acc_fill_sz)::text AS sz FROM exchange_orders o
        WHERE o.market_id = $1 AND o.side = $2 AND o.state IN ${OPEN} AND o.px ${side === 'bids' ? '>=' : '<='} $3::numeric
        GROUP BY o.px`,
      [m.id, side === 'bids' ? 'buy' : 'sell', bound.toString()],
    );
    let total = 0n;
    for (const r of rows.rows) total += quoteFloor(BigInt(r.px), BigInt(r.sz), m.scales);
    return format(total, m.scales.qs);
  }

  async restingOrders(instId: string, side: OrderSide, depth: number): Promise<RestingOrder[]> {
    if (side !== 'buy' && side !== 'sell') throw invalid('"side" must be buy or sell');
    checkDepth(depth);
    const m = await loadMarket(this.#q, instId, false);
    const order = side === 'buy' ? 'DESC' : 'ASC';
    const rows = await this.#q.query<{ id: bigint; account_id: bigint; px: string; sz: string }>(
      `WITH levels AS (
         SELECT DISTINCT o.px FROM exchange_orders o
          WHERE o.market_id = $1 AND o.side = $2 AND o.state IN ${OPEN}
          ORDER BY o.px ${order} LIMIT $3)
       SELECT o.id, o.account_id, o.px::text AS px, (o.sz - o.acc_fill_sz)::text AS sz
         FROM exchange_orders o JOIN levels l ON l.px = o.px
        WHERE o.market_id = $1 AND o.side = $2 AND o.state IN ${OPEN}
        ORDER BY o.px ${order}, o.id`,
      [m.id, side, depth],
    );
    return rows.rows.map((r) => ({
      ordId: r.id.toString(),
      accountId: r.account_id,
      px: format(BigInt(r.px), m.scales.ps),
      sz: format(BigInt(r.sz), m.scales.bs),
    }));
  }

  /** Whether the account ever traded in the market (as taker or maker). */
  async hasTraded(accountId: bigint, instId: string): Promise<boolean> {
    checkAccountId(accountId);
    const m = await loadMarket(this.#q, instId, false);
    const rows = await this.#q.query<{ traded: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM exchange_fills WHERE market_id = $1 AND taker_account_id = $2)
           OR EXISTS (SELECT 1 FROM exchange_fills WHERE market_id = $1 AND maker_account_id = $2) AS traded`,
      [m.id, accountId],
    );
    return rows.rows[0]?.traded === true;
  }

  /**
   * The account's balances: every currency it holds anything of, by symbol; or exactly the given
   * currencies (zeros included).
   */
  async balances(accountId: bigint, ccys?: readonly string[]): Promise<LedgerBalance[]> {
    checkAccountId(accountId);
    const rows =
      ccys === undefined
        ? await this.#q.query<{ ccy: string; available: string; frozen: string; scale: number }>(
            `SELECT b.ccy, b.available::text AS available, b.frozen::text AS frozen, a.scale
               FROM exchange_balances b JOIN exchange_assets a ON a.ccy = b.ccy
              WHERE b.account_id = $1 AND (b.available > 0 OR b.frozen > 0)
              ORDER BY b.ccy`,
            [accountId],
          )
        : await this.#q.query<{ ccy: string; available: string; frozen: string; scale: number }>(
            `SELECT a.ccy, coalesce(b.available, 0)::text AS available, coalesce(b.frozen, 0)::text AS frozen, a.scale
               FROM exchange_assets a
               LEFT JOIN exchange_balances b ON b.ccy = a.ccy AND b.account_id = $1
              WHERE a.ccy = ANY($2::text[])
              ORDER BY a.ccy`,
            [accountId, [...ccys]],
          );
    return rows.rows.map((r) => {
      const scale = Number(r.scale);
      const available = BigInt(r.available);
      const frozen = BigInt(r.frozen);
      return {
        ccy: r.ccy,
        available: format(available, scale),
        frozen: format(frozen, scale),
        total: format(available + frozen, scale),
      };
    });
  }
}
