/**
 * The reference exchange ledger: balances and their journal, spot markets with price-time
 * matching, deposits, withdrawals to allow-listed addresses, and the proof-of-reserves
 * liabilities export. See ledger.ts for the design choices.
 */
export { DEFAULT_COOLING_OFF_MS, Ledger, normaliseAddress } from './ledger.js';
export type * from './types.js';
