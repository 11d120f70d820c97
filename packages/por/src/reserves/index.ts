/**
 * Reserves side of a proof of reserves: reading OKX's published reserve files (all three layouts),
 * checking that each listed address is controlled by the publisher (EIP-191, TIP-191, Bitcoin
 * signed messages with BIP-137 headers and P2SH/P2WSH multisig, OKX's own Ed25519 / K1 formats;
 * other networks reported as unsupported, never as valid), reading balances at the snapshot height
 * over JSON-RPC or from `address,balance` files, and computing per-asset reserve ratios on exact
 * decimals, truncated to two places. See docs/reserves.md for what these checks do and do not prove.
 */
export { type BtcBalance, type ParseBtcBalancesOptions, parseBtcBalances } from './btc-balances.js';
export { aptosAuthenticationKey, ss58Address, verifyEd25519Ownership } from './ed25519-ownership.js';
export { decodeAntelopePublicKey, verifyEosOwnership } from './eos-ownership.js';
export {
  type EvmBalance,
  type EvmBalanceQuery,
  type EvmTokenConfig,
  type ReadEvmBalancesParameters,
  type ReadEvmBalancesReturnType,
  type ReserveRpc,
  readEvmBalances,
} from './evm-balances.js';
export { tronAddressOf, verifyEvmOwnership, verifyOkxEvmOwnership, verifyTronOwnership } from './evm-ownership.js';
export {
  BITCOIN_MESSAGE_MAGIC,
  bitcoinMessageDigest,
  compactSize,
  DOGECOIN_MESSAGE_MAGIC,
  eip191Digest,
  eip191KeccakDigest,
  OKX_MESSAGE_MAGIC,
  okxKeccakDigest,
  okxMessagePayload,
  okxSha256Digest,
  TRON_MESSAGE_PREFIX,
  tronDigest,
  tronKeccakDigest,
  varString,
} from './message-formats.js';
export {
  BTC_MAINNET,
  DOGE_MAINNET,
  type Ed25519AddressKind,
  EVM_NETWORKS,
  type NetworkVerifier,
  networkVerifier,
  UNSUPPORTED_NETWORKS,
  type UtxoNetwork,
} from './networks.js';
export {
  assertAddressOwnership,
  type VerifyAddressOwnershipOptions,
  verifyAddressOwnership,
} from './ownership.js';
export type {
  OwnershipBinding,
  OwnershipFailure,
  OwnershipResult,
  OwnershipScheme,
} from './ownership-result.js';
export {
  type ReserveRatioRow,
  type ReserveRatioStatus,
  type ReserveRatiosParameters,
  reserveRatios,
} from './ratios.js';
export { evmAddressOf, keccakAccount, recoverSecp256k1 } from './recover.js';
export {
  type ReserveAddressReport,
  type ReservesReport,
  type ReservesReportParameters,
  type ReservesTableRow,
  reservesReport,
  roundMessage,
} from './report.js';
export {
  parseExactAmount,
  parseReserveFile,
  parseReserveSummary,
  type ReserveFile,
  type ReserveFileLayout,
  type ReserveRow,
  type ReserveSummaryRow,
  splitReserveCsvLine,
} from './reserve-file.js';
export {
  type Bip137AddressType,
  hash160,
  type RecoveredMessageSigner,
  recoverMessageSigner,
  verifyUtxoOwnership,
} from './utxo-ownership.js';
