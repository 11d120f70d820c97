/**
 * The `--dev` exchange: assets (the dev chain's ETH and cUSD, plus BTC and a thin token), three
 * spot markets — BTC-CUSD and ETH-CUSD with depth, THIN-CUSD thin on purpose (a few small orders
 * around 0.05, the kind of book the anti-fraud engine watches) — and balances for the seeded
 * accounts. `demo2` makes the markets. Idempotent: a restart on the same data directory finds
 * everything in place and adds nothing (deposits carry fixed transaction ids).
 */
import type { Logger } from '@custos/core';
import type { ExchangeRuntime } from './runtime.js';

export const DEV_ASSETS = [
  { ccy: 'CUSD', scale: 6, name: 'custos dev USD', chains: [{ chain: 'CUSD-ERC20', minWd: '1', fee: '1' }] },
  { ccy: 'ETH', scale: 8, name: 'Ether', chains: [{ chain: 'ETH-ERC20', minWd: '0.01', fee: '0.001' }] },
  { ccy: 'BTC', scale: 8, name: 'Bitcoin', chains: [{ chain: 'BTC-Bitcoin', minWd: '0.001', fee: '0.0002' }] },
  { ccy: 'THIN', scale: 8, name: 'A thinly traded token', chains: [{ chain: 'THIN-ERC20', minWd: '10', fee: '1' }] },
] as const;

export const DEV_MARKETS = [
  { instId: 'BTC-CUSD', tickSz: '0.1', lotSz: '0.0001', minSz: '0.0001' },
  { instId: 'ETH-CUSD', tickSz: '0.01', lotSz: '0.001', minSz: '0.001' },
  { instId: 'THIN-CUSD', tickSz: '0.0001', lotSz: '1', minSz: '1' },
] as const;

/** What each seeded account holds (the dev proof-of-reserves round reads ETH and CUSD from here). */
export const DEV_BALANCES: Record<string, Record<string, string>> = {
  demo: { CUSD: '2500', ETH: '1.5', BTC: '0.05', THIN: '0' },
  demo2: { CUSD: '1500', ETH: '1', BTC: '1', THIN: '20000' },
};

/** demo2's resting orders: deep books on BTC and ETH, a thin one on THIN. */
const MAKER_ORDERS = [
  { instId: 'BTC-CUSD', side: 'buy', px: '59000', sz: '0.01' },
  { instId: 'BTC-CUSD', side: 'sell', px: '61000', sz: '0.2' },
  { instId: 'ETH-CUSD', side: 'buy', px: '2900', sz: '0.1' },
  { instId: 'ETH-CUSD', side: 'sell', px: '3100', sz: '0.5' },
  { instId: 'THIN-CUSD', side: 'buy', px: '0.048', sz: '500' },
  { instId: 'THIN-CUSD', side: 'sell', px: '0.052', sz: '500' },
  { instId: 'THIN-CUSD', side: 'sell', px: '0.055', sz: '1000' },
] as const;

export async function seedDevExchange(
  exchange: ExchangeRuntime,
  accounts: readonly { id: bigint; name: string }[],
  logger: Logger,
): Promise<void> {
  const { ledger } = exchange;
  const assets = new Set((await ledger.listAssets()).map((a) => a.ccy));
  for (const asset of DEV_ASSETS) {
    if (!assets.has(asset.ccy)) await ledger.createAsset({ ...asset, chains: [...asset.chains] });
  }
  const markets = new Set((await ledger.listMarkets()).map((m) => m.instId));
  for (const market of DEV_MARKETS) if (!markets.has(market.instId)) await ledger.createMarket(market);
  let credited = 0;
  for (const account of accounts) {
    for (const [ccy, amount] of Object.entries(DEV_BALANCES[account.name] ?? {})) {
      if (amount === '0') continue;
      const result = await ledger.deposit(account.id, ccy, amount, { txId: `dev-seed-${account.name}-${ccy}` });
      if (result.credited) credited++;
    }
  }
  const maker = accounts.find((a) => a.name === 'demo2');
  if (maker !== undefined && credited > 0 && (await ledger.openOrders(maker.id)).length === 0) {
    for (const order of MAKER_ORDERS) await ledger.placeOrder(maker.id, { ...order, ordType: 'limit' });
  }
  if (credited > 0) logger.info({ credited, markets: DEV_MARKETS.length }, 'dev exchange seeded');
}
