/**
 * @custos/exchange: the exchange side of custos. API keys (permissions, passphrase, IP and
 * third-party allowlists, expiry) and OKX-v5-compatible request authentication; the reference
 * ledger behind the gateway (balances, spot order books and matching, deposits, withdrawals to
 * allow-listed addresses); and the anti-fraud engine over the request stream and the ledger.
 */
export * from './antifraud/index.js';
export * from './keys/index.js';
export * from './ledger/index.js';
