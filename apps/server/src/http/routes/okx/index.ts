/**
 * The OKX-v5-compatible gateway (`/api/v5`): existing OKX trading clients work against it
 * unchanged. Public routes (time, instruments) answer anyone; private ones need an API key signed
 * OKX-style with the permission the route names (read, trade, withdraw). Answers and errors are in
 * OKX's `{code, msg, data}` shape with OKX's codes (see exchange/okx.ts); order endpoints report
 * each order's own `sCode`/`sMsg` as OKX does (top-level `1` when all failed, `2` when some did).
 * Orders and withdrawals pass the anti-fraud engine first.
 */
import { BaseError, Decimal } from '@custos/core';
import type { LedgerOrder, OrderRequest } from '@custos/exchange';
import { z } from 'zod';
import type { ApiKeyPermission, Principal } from '../../../access/principals.js';
import { applyDecision } from '../../../exchange/hook.js';
import { okxErrorHandler, okxErrorOf, okxOk } from '../../../exchange/okx.js';
import { decimal, type ExchangeRuntime, exchangeOf } from '../../../exchange/runtime.js';
import { defineRoute, type RouteModule } from '../../route.js';

function keyOf(principal: Principal | undefined) {
  if (principal?.kind !== 'apikey') throw new BaseError('INTERNAL', 'access hook let a non-key through');
  return principal;
}

const privateAccess = (permission: ApiKeyPermission) => ({ principals: ['apikey'] as const, permission });

const INST_TYPES = ['SPOT', 'MARGIN', 'SWAP', 'FUTURES', 'OPTION'] as const;

const time = defineRoute({
  method: 'GET',
  url: '/api/v5/public/time',
  summary: 'Server time (OKX v5)',
  access: { public: true },
  errorHandler: okxErrorHandler,
  async handler({ services }) {
    return okxOk([{ ts: String(exchangeOf(services).clock.now()) }]);
  },
});

const instruments = defineRoute({
  method: 'GET',
  url: '/api/v5/public/instruments',
  summary: 'Instruments of one type (OKX v5); only SPOT markets exist here',
  access: { public: true },
  errorHandler: okxErrorHandler,
  query: z.object({ instType: z.enum(INST_TYPES), instId: z.string().optional(), uly: z.string().optional() }),
  async handler({ query, services }) {
    if (query.instType !== 'SPOT') return okxOk([]);
    const markets = await exchangeOf(services).ledger.listMarkets();
    return okxOk(
      markets
        .filter((m) => query.instId === undefined || m.instId === query.instId)
        .map((m) => ({
          instType: 'SPOT',
          instId: m.instId,
          uly: '',
          instFamily: '',
          baseCcy: m.baseCcy,
          quoteCcy: m.quoteCcy,
          settleCcy: '',
          ctVal: '',
          ctMult: '',
          ctValCcy: '',
          optType: '',
          stk: '',
          listTime: '',
          expTime: '',
          lever: '',
          tickSz: m.tickSz,
          lotSz: m.lotSz,
          minSz: m.minSz,
          ctType: '',
          alias: '',
          state: m.state,
          maxLmtSz: '',
          maxMktSz: '',
        })),
    );
  },
});

const currencies = defineRoute({
  method: 'GET',
  url: '/api/v5/asset/currencies',
  summary: 'Currencies and their chains (OKX v5)',
  access: privateAccess('read'),
  errorHandler: okxErrorHandler,
  query: z.object({ ccy: z.string().optional() }),
  async handler({ query, services }) {
    const wanted = query.ccy?.split(',').map((c) => c.trim().toUpperCase());
    const assets = await exchangeOf(services).ledger.listAssets();
    const rows = [];
    for (const asset of assets) {
      if (wanted !== undefined && !wanted.includes(asset.ccy)) continue;
      for (const chain of asset.chains) {
        rows.push({
          ccy: asset.ccy,
          name: asset.name,
          chain: chain.chain,
          canDep: chain.canDep,
          canWd: chain.canWd,
          canInternal: true,
          minWd: chain.minWd,
          maxWd: '',
          wdTickSz: String(asset.scale),
          minFee: chain.fee,
          maxFee: chain.fee,
          fee: chain.fee,
          mainNet: true,
        });
      }
    }
    return okxOk(rows);
  },
});

const balance = defineRoute({
  method: 'GET',
  url: '/api/v5/account/balance',
  summary: "The key's account balances (OKX v5 trading account shape)",
  access: privateAccess('read'),
  errorHandler: okxErrorHandler,
  query: z.object({ ccy: z.string().optional() }),
  async handler({ query, principal, services }) {
    const key = keyOf(principal);
    const exchange = exchangeOf(services);
    const wanted = query.ccy?.split(',').map((c) => c.trim().toUpperCase());
    const now = String(exchange.clock.now());
    const balances = await exchange.balances(key.accountId);
    const details = balances
      .filter((b) => wanted === undefined || wanted.includes(b.ccy))
      .map((b) => ({
        ccy: b.ccy,
        eq: b.total,
        cashBal: b.total,
        availBal: b.available,
        availEq: b.available,
        frozenBal: b.frozen,
        ordFrozen: b.frozen,
        uTime: now,
      }));
    return okxOk([{ uTime: now, totalEq: '', details }]);
  },
});

const orderBody = z
  .object({
    instId: z.string().min(1).max(40),
    tdMode: z.string().max(20).optional(),
    side: z.enum(['buy', 'sell']),
    ordType: z.enum(['limit', 'market', 'post_only', 'ioc', 'fok']),
    sz: z.string().min(1).max(40),
    px: z.string().max(40).optional(),
    clOrdId: z.string().max(32).optional(),
    tag: z.string().max(16).optional(),
    tgtCcy: z.enum(['base_ccy', 'quote_ccy']).optional(),
  })
  .passthrough();
type OrderBody = z.output<typeof orderBody>;

/** What an order would pay or receive in the quote currency, for the anti-fraud engine. */
async function notionalOf(exchange: ExchangeRuntime, order: OrderBody): Promise<Decimal> {
  const sz = decimal(order.sz);
  if (order.ordType === 'market') {
    const tgt = order.tgtCcy ?? (order.side === 'buy' ? 'quote_ccy' : 'base_ccy');
    if (tgt === 'quote_ccy') return sz;
    const mid = await exchange.ledger.midPrice(order.instId).catch(() => null);
    if (mid === null) return sz;
    const m = decimal(mid);
    return Decimal.fromUnits(sz.units * m.units, sz.scale + m.scale);
  }
  const px = decimal(order.px ?? '0');
  return Decimal.fromUnits(sz.units * px.units, sz.scale + px.scale);
}

/** Places one order through anti-fraud; answers OKX's per-order item (never throws a business error). */
async function placeOne(
  exchange: ExchangeRuntime,
  key: ReturnType<typeof keyOf>,
  ip: string,
  order: OrderBody,
): Promise<{ ok: boolean; item: Record<string, string> }> {
  const ids = { clOrdId: order.clOrdId ?? '', tag: order.tag ?? '' };
  try {
    if (order.tdMode !== undefined && order.tdMode !== 'cash') {
      throw new BaseError('EXCHANGE_INVALID_REQUEST', 'only spot cash trading (tdMode cash) exists here', {
        details: { field: 'tdMode' },
      });
    }
    if (!/^[0-9]+(\.[0-9]+)?$/.test(order.sz) || (order.px !== undefined && !/^[0-9]+(\.[0-9]+)?$/.test(order.px))) {
      throw new BaseError('EXCHANGE_INVALID_REQUEST', 'sz and px are decimal strings', { details: { field: 'sz' } });
    }
    const decision = await exchange.antiFraud.evaluateOrder({
      apiKey: key.apiKey,
      accountId: key.accountId,
      ...(key.brokerId === null ? {} : { brokerId: key.brokerId }),
      ip,
      instId: order.instId,
      side: order.side,
      ordType: order.ordType,
      ...(order.px === undefined || order.ordType === 'market' ? {} : { px: decimal(order.px) }),
      sz: decimal(order.sz),
      ...(order.tgtCcy === undefined ? {} : { tgtCcy: order.tgtCcy }),
      notional: await notionalOf(exchange, order),
    });
    await applyDecision(exchange, decision, key.apiKey, key.accountId);
    const request: OrderRequest = {
      instId: order.instId,
      side: order.side,
      ordType: order.ordType,
      sz: order.sz,
      ...(order.px === undefined || order.ordType === 'market' ? {} : { px: order.px }),
      ...(order.tgtCcy === undefined ? {} : { tgtCcy: order.tgtCcy }),
      ...(order.clOrdId === undefined || order.clOrdId === '' ? {} : { clOrdId: order.clOrdId }),
      ...(order.tag === undefined || order.tag === '' ? {} : { tag: order.tag }),
    };
    const placed = await exchange.ledger.placeOrder(key.accountId, request);
    return {
      ok: true,
      item: { ordId: placed.ordId, ...ids, ts: String(exchange.clock.now()), sCode: '0', sMsg: 'Order placed' },
    };
  } catch (error) {
    const mapped = okxErrorOf(error);
    if (mapped === undefined) throw error;
    return { ok: false, item: { ordId: '', ...ids, ts: '', sCode: mapped.body.code, sMsg: mapped.body.msg } };
  }
}

function batchAnswer(results: { ok: boolean; item: Record<string, string> }[]) {
  const failed = results.filter((r) => !r.ok).length;
  const code = failed === 0 ? '0' : failed === results.length ? '1' : '2';
  const msg =
    failed === 0 ? '' : failed === results.length ? 'All operations failed' : 'Bulk operation partially succeeded';
  return { code, msg, data: results.map((r) => r.item) };
}

const placeOrder = defineRoute({
  method: 'POST',
  url: '/api/v5/trade/order',
  summary: 'Place an order (OKX v5)',
  access: privateAccess('trade'),
  errorHandler: okxErrorHandler,
  body: orderBody,
  async handler({ body, principal, services, request }) {
    return batchAnswer([await placeOne(exchangeOf(services), keyOf(principal), request.ip, body)]);
  },
});

const batchOrders = defineRoute({
  method: 'POST',
  url: '/api/v5/trade/batch-orders',
  summary: 'Place up to 20 orders (OKX v5)',
  access: privateAccess('trade'),
  errorHandler: okxErrorHandler,
  body: z.array(orderBody).min(1).max(20),
  async handler({ body, principal, services, request }) {
    const exchange = exchangeOf(services);
    const key = keyOf(principal);
    const results = [];
    for (const order of body) results.push(await placeOne(exchange, key, request.ip, order));
    return batchAnswer(results);
  },
});

const orderRef = z
  .object({
    instId: z.string().min(1).max(40),
    ordId: z.string().max(40).optional(),
    clOrdId: z.string().max(32).optional(),
  })
  .refine((o) => o.ordId !== undefined || o.clOrdId !== undefined, { message: 'ordId or clOrdId is required' });

const cancelOrder = defineRoute({
  method: 'POST',
  url: '/api/v5/trade/cancel-order',
  summary: 'Cancel an order (OKX v5)',
  access: privateAccess('trade'),
  errorHandler: okxErrorHandler,
  body: orderRef,
  async handler({ body, principal, services }) {
    const key = keyOf(principal);
    try {
      const order = await exchangeOf(services).ledger.cancelOrder(key.accountId, {
        instId: body.instId,
        ...(body.ordId === undefined ? {} : { ordId: body.ordId }),
        ...(body.clOrdId === undefined ? {} : { clOrdId: body.clOrdId }),
      });
      return batchAnswer([{ ok: true, item: { ordId: order.ordId, clOrdId: order.clOrdId, sCode: '0', sMsg: '' } }]);
    } catch (error) {
      const mapped = okxErrorOf(error);
      if (mapped === undefined) throw error;
      const item = {
        ordId: body.ordId ?? '',
        clOrdId: body.clOrdId ?? '',
        sCode: mapped.body.code,
        sMsg: mapped.body.msg,
      };
      return batchAnswer([{ ok: false, item }]);
    }
  },
});

function orderJson(o: LedgerOrder) {
  return {
    instType: 'SPOT',
    instId: o.instId,
    ordId: o.ordId,
    clOrdId: o.clOrdId,
    tag: o.tag,
    px: o.px,
    sz: o.sz,
    ordType: o.ordType,
    side: o.side,
    tdMode: 'cash',
    tgtCcy: o.tgtCcy,
    accFillSz: o.accFillSz,
    avgPx: o.avgPx,
    state: o.state === 'canceled' ? 'canceled' : o.state,
    fee: o.fee === '0' ? '0' : `-${o.fee}`,
    feeCcy: o.feeCcy,
    cTime: String(o.cTime),
    uTime: String(o.uTime),
  };
}

const getOrder = defineRoute({
  method: 'GET',
  url: '/api/v5/trade/order',
  summary: 'One order (OKX v5)',
  access: privateAccess('read'),
  errorHandler: okxErrorHandler,
  query: orderRef,
  async handler({ query, principal, services }) {
    const order = await exchangeOf(services).ledger.getOrder(keyOf(principal).accountId, {
      instId: query.instId,
      ...(query.ordId === undefined ? {} : { ordId: query.ordId }),
      ...(query.clOrdId === undefined ? {} : { clOrdId: query.clOrdId }),
    });
    return okxOk([orderJson(order)]);
  },
});

const pendingOrders = defineRoute({
  method: 'GET',
  url: '/api/v5/trade/orders-pending',
  summary: 'Open orders (OKX v5)',
  access: privateAccess('read'),
  errorHandler: okxErrorHandler,
  query: z.object({ instId: z.string().optional(), instType: z.string().optional() }).passthrough(),
  async handler({ query, principal, services }) {
    const orders = await exchangeOf(services).ledger.openOrders(keyOf(principal).accountId, query.instId);
    return okxOk(orders.map(orderJson));
  },
});

const withdrawal = defineRoute({
  method: 'POST',
  url: '/api/v5/asset/withdrawal',
  summary: 'Withdraw to an allow-listed address (OKX v5)',
  access: privateAccess('withdraw'),
  errorHandler: okxErrorHandler,
  body: z
    .object({
      ccy: z.string().min(1).max(20),
      amt: z.string().regex(/^[0-9]+(\.[0-9]+)?$/, 'expected a decimal amount'),
      dest: z.enum(['3', '4']),
      toAddr: z.string().min(1).max(200),
      chain: z.string().max(60).optional(),
      fee: z.string().max(40).optional(),
      clientId: z.string().max(32).optional(),
    })
    .passthrough(),
  async handler({ body, principal, services, request }) {
    const exchange = exchangeOf(services);
    const key = keyOf(principal);
    if (body.dest !== '4') {
      throw new BaseError('EXCHANGE_INVALID_REQUEST', 'only on-chain withdrawals (dest 4) exist here', {
        details: { field: 'dest' },
      });
    }
    const ccy = body.ccy.toUpperCase();
    const decision = await exchange.antiFraud.evaluateWithdrawal({
      accountId: key.accountId,
      apiKey: key.apiKey,
      ip: request.ip,
      ccy,
      amt: decimal(body.amt),
      toAddr: body.toAddr,
    });
    await applyDecision(exchange, decision, key.apiKey, key.accountId);
    const wd = await exchange.ledger.withdraw(key.accountId, {
      ccy,
      chain: body.chain ?? `${ccy}-ERC20`,
      amt: body.amt,
      toAddr: body.toAddr,
      ...(body.fee === undefined ? {} : { fee: body.fee }),
    });
    return okxOk([{ amt: wd.amt, wdId: wd.wdId, ccy: wd.ccy, chain: wd.chain, clientId: body.clientId ?? '' }]);
  },
});

export const okxRoutes: RouteModule = {
  name: 'okx',
  routes: [
    time,
    instruments,
    currencies,
    balance,
    placeOrder,
    batchOrders,
    cancelOrder,
    getOrder,
    pendingOrders,
    withdrawal,
  ],
};
