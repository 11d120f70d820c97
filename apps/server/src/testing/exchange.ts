/**
 * The assets the exchange tests and the gateway bench trade: USDT (6 decimals) and BTC (8), each
 * with one withdrawal chain, and optionally the BTC-USDT spot market.
 */
import type { Ledger } from '@custos/exchange';

export async function seedUsdtBtc(ledger: Ledger, options: { market?: boolean } = {}): Promise<void> {
  await ledger.createAsset({ ccy: 'USDT', scale: 6, chains: [{ chain: 'USDT-ERC20', minWd: '1', fee: '1' }] });
  await ledger.createAsset({ ccy: 'BTC', scale: 8, chains: [{ chain: 'BTC-Bitcoin', minWd: '0.001', fee: '0.0002' }] });
  if (options.market === true) {
    await ledger.createMarket({ instId: 'BTC-USDT', tickSz: '0.1', lotSz: '0.0001', minSz: '0.0001' });
  }
}
