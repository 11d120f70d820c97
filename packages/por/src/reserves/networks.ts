/**
 * Which ownership check applies to which network name, as OKX writes them in the `network` column
 * (upper-cased before lookup). Networks whose signatures cannot be checked with the libraries this
 * package depends on (@noble/curves, @noble/hashes, @scure/base, @scure/btc-signer, viem) map to an
 * explicit reason instead of a verifier, so a caller can never mistake "not checked" for "checked".
 * Bitcoin-family parameters (message magic, Base58 version bytes, Bech32 prefix) are the coins'
 * mainnet values from Bitcoin Core and Dogecoin Core `chainparams`.
 */

/** Mainnet parameters of a Bitcoin-family coin. */
export interface UtxoNetwork {
  readonly name: string;
  /** The signed-message magic, e.g. `"Bitcoin Signed Message:\n"`. */
  readonly messageMagic: string;
  /** Base58Check version byte of P2PKH addresses. */
  readonly pubKeyHash: number;
  /** Base58Check version byte of P2SH addresses. */
  readonly scriptHash: number;
  /** Bech32 human-readable part of SegWit addresses, or `null` for coins without SegWit. */
  readonly bech32: string | null;
}

export const BTC_MAINNET: UtxoNetwork = Object.freeze({
  name: 'BTC',
  messageMagic: 'Bitcoin Signed Message:\n',
  pubKeyHash: 0x00,
  scriptHash: 0x05,
  bech32: 'bc',
});

export const DOGE_MAINNET: UtxoNetwork = Object.freeze({
  name: 'DOGE',
  messageMagic: 'Dogecoin Signed Message:\n',
  pubKeyHash: 0x1e,
  scriptHash: 0x16,
  bech32: null,
});

/** How the address of an Ed25519 chain is derived from the public key. */
export type Ed25519AddressKind = 'ss58' | 'cardano' | 'aptos' | 'solana';

/** The check a network's rows get. */
export type NetworkVerifier =
  | { readonly family: 'evm' }
  | { readonly family: 'okx-evm' }
  | { readonly family: 'tron' }
  | { readonly family: 'utxo'; readonly params: UtxoNetwork }
  | { readonly family: 'ed25519'; readonly address: Exclude<Ed25519AddressKind, 'ss58'> }
  | { readonly family: 'ed25519'; readonly address: 'ss58'; readonly ss58Prefix: number }
  | { readonly family: 'eos' }
  | { readonly family: 'unsupported'; readonly reason: string };

/** EVM networks whose rows are EIP-191 `personal_sign` signatures of (or for) the address. */
export const EVM_NETWORKS: readonly string[] = Object.freeze([
  'ETH',
  'ETHEREUM',
  'ERC20',
  'ARBITRUM',
  'ARBITRUM ONE',
  'OPTIMISM',
  'POLYGON',
  'MATIC',
  'BSC',
  'BNB SMART CHAIN',
  'AVAXC',
  'AVAX-C',
  'AVALANCHE C-CHAIN',
  'BASE',
  'LINEA',
  'SCROLL',
  'ZKSYNC ERA',
]);

const SUPPORTED: Readonly<Record<string, NetworkVerifier>> = Object.freeze({
  ...Object.fromEntries(EVM_NETWORKS.map((n) => [n, { family: 'evm' } as const])),
  // OKT Chain is EVM-compatible, but OKX signs its addresses with its own message format.
  OKC: { family: 'okx-evm' },
  TRON: { family: 'tron' },
  TRX: { family: 'tron' },
  BTC: { family: 'utxo', params: BTC_MAINNET },
  BITCOIN: { family: 'utxo', params: BTC_MAINNET },
  DOGE: { family: 'utxo', params: DOGE_MAINNET },
  DOGECOIN: { family: 'utxo', params: DOGE_MAINNET },
  DOT: { family: 'ed25519', address: 'ss58', ss58Prefix: 0 },
  KSM: { family: 'ed25519', address: 'ss58', ss58Prefix: 2 },
  ADA: { family: 'ed25519', address: 'cardano' },
  APTOS: { family: 'ed25519', address: 'aptos' },
  SOL: { family: 'ed25519', address: 'solana' },
  SOLANA: { family: 'ed25519', address: 'solana' },
  EOS: { family: 'eos' },
  VAULTA: { family: 'eos' },
});

const OTHER_UTXO =
  'Same signed-message scheme as Bitcoin, but this coin’s message magic and address version bytes are not ' +
  'configured here (and BCH uses CashAddr, Zcash two-byte versions); reported unsupported rather than guessed.';

/**
 * Networks that are deliberately not verified, with the reason. Anything not listed here and not
 * supported gets a generic "no verifier" reason.
 */
export const UNSUPPORTED_NETWORKS: Readonly<Record<string, string>> = Object.freeze({
  STARKNET:
    'Starknet addresses are account contracts. OKX signs a SNIP-12 typed-data hash (Pedersen hash over the ' +
    'STARK field) with ECDSA on the STARK curve; neither the STARK curve nor Starknet’s Pedersen/Poseidon ' +
    'constants are in @noble/curves or @noble/hashes, and the key → account-address link depends on the ' +
    'account class hash, which the file does not carry.',
  TON:
    'A TON address is the hash of a wallet contract’s StateInit (wallet code cell plus a data cell holding the ' +
    'key). Deriving it needs TON cell (BoC) hashing and the exact wallet code (v3, highload v3), which no ' +
    'installed library provides; an Ed25519 signature alone proves a key that is not tied to the address.',
  SUI:
    'Not implemented: OKX signs with Ed25519 over its own message format and the address is BLAKE2b-256 of ' +
    'flag ‖ key (both available), but Sui keys may also be secp256k1/secp256r1 and there is no published sample ' +
    'row to test the derivation against.',
  NEAR: 'Named NEAR accounts map to keys through on-chain access keys; the file carries no data to link a key to the account.',
  HBAR: 'Hedera account ids (0.0.x) map to keys through ledger state; a signature cannot be linked to the account offline.',
  XRP:
    'Not implemented: the XRP Ledger address is RIPEMD-160(SHA-256(key)) in the Ripple Base58 alphabet, but keys ' +
    'may be secp256k1 or Ed25519 and a regular key can be set on chain; no sample row to test against.',
  RIPPLE: 'See XRP.',
  ALGO: 'OKX itself excludes Algorand rows from address verification; Algorand accounts can be rekeyed on chain.',
  BETH:
    'Not implemented: BETH rows are BLS12-381 signatures (available in @noble/curves) over OKX’s EVM digest, but ' +
    'the exact ciphersuite is not documented and there is no sample row to test against.',
  LTC: OTHER_UTXO,
  BCH: OTHER_UTXO,
  BSV: OTHER_UTXO,
  DASH: OTHER_UTXO,
  BTG: OTHER_UTXO,
  DGB: OTHER_UTXO,
  QTUM: OTHER_UTXO,
  RVN: OTHER_UTXO,
  ZEC: OTHER_UTXO,
});

/** The verifier for a network name (case-insensitive), or the reason it is not verified. */
export function networkVerifier(network: string): NetworkVerifier {
  const key = network.trim().toUpperCase();
  const supported = SUPPORTED[key];
  if (supported !== undefined) return supported;
  const reason = UNSUPPORTED_NETWORKS[key];
  if (reason !== undefined) return { family: 'unsupported', reason };
  return {
    family: 'unsupported',
    reason: `No ownership verifier is configured for network "${network}"; its rows are not checked.`,
  };
}
