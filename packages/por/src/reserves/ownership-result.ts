/**
 * The result shape of a reserve-address ownership check, shared by every signature family. A check
 * never throws for a bad signature: it returns `valid: false` with a `reason` from a closed set (so
 * callers can count and filter) and a one-sentence `detail`. `boundTo` says what a valid result
 * actually ties the signature to — the address itself, the owner keys listed next to it, or a
 * published public key — because the last two still need chain state to reach the address.
 */

/** The signature format that was checked. */
export type OwnershipScheme =
  /** EIP-191 `personal_sign` over the message text. */
  | 'eip191'
  /** EIP-191 `personal_sign` over the 32-byte Keccak-256 of the message (OKX's EVM rows). */
  | 'eip191-keccak'
  /** secp256k1 over Keccak-256 of OKX's own message format, EVM address (OKC). */
  | 'okx-keccak'
  /** TIP-191 (TronWeb `signMessageV2`). */
  | 'tron'
  /** The older TRON format over the 32-byte Keccak-256 of the message. */
  | 'tron-keccak'
  /** Bitcoin-family signed message, single key (BIP-137 header). */
  | 'bip137'
  /** Bitcoin-family signed messages against a P2SH / P2WSH m-of-n multisig redeem script. */
  | 'bip137-multisig'
  /** Ed25519 over OKX's own message format. */
  | 'okx-ed25519'
  /** EOS / Vaulta K1 (secp256k1) over SHA-256 of OKX's own message format. */
  | 'okx-eos'
  | 'unsupported';

/** Why a row did not verify. */
export type OwnershipFailure =
  /** No verifier for this network; see `detail` and the package docs. */
  | 'unsupported-network'
  /** The row's message is not the one required (`expectedMessage`). */
  | 'wrong-message'
  | 'missing-signature'
  /** A signature that cannot be decoded (length, encoding, header byte, checksum). */
  | 'malformed-signature'
  /** A well-formed signature that does not verify (Ed25519), or from which no key can be recovered. */
  | 'invalid-signature'
  /** A signature verifies, but for a key that is not the address's (or not one of the owners / script keys). */
  | 'signer-mismatch'
  /** A BIP-137 header declares an address type that is not the row's address type. */
  | 'header-mismatch'
  /** The address cannot be decoded for the network. */
  | 'invalid-address'
  /** An address type this scheme cannot sign for (e.g. Taproot with BIP-137). */
  | 'unsupported-address-type'
  | 'missing-redeem-script'
  /** The redeem / witness script does not hash to the address. */
  | 'redeem-script-mismatch'
  /** The script is not a standard `OP_m <keys> OP_n OP_CHECKMULTISIG`. */
  | 'malformed-redeem-script'
  /** Fewer than m distinct script keys signed. */
  | 'threshold-not-met'
  | 'missing-public-key'
  | 'malformed-public-key'
  /** The published public key does not derive the address. */
  | 'public-key-mismatch';

/** What a valid signature is tied to. */
export type OwnershipBinding =
  /** The signer's key derives the row's address: the proof reaches the address. */
  | 'address'
  /**
   * The signatures come from the listed owners (contract-wallet owners, a validator's withdrawal
   * EOA, a rotated Aptos authentication key). That those owners control the address is chain state
   * this check does not read.
   */
  | 'owners'
  /** The signature matches the published public key; that the key controls the named account is chain state. */
  | 'public-key';

export interface OwnershipResult {
  readonly valid: boolean;
  readonly scheme: OwnershipScheme;
  /**
   * Who signed, in the network's own notation: checksummed addresses for EVM, TRON addresses,
   * hex public keys (SEC1 compressed or uncompressed as signed) for Bitcoin-family and EOS, hex
   * Ed25519 keys. Empty when nothing could be recovered.
   */
  readonly signers: readonly string[];
  /** Present on valid results. */
  readonly boundTo?: OwnershipBinding;
  /** m and n of a multisig redeem script. */
  readonly threshold?: { readonly m: number; readonly n: number };
  /** Present on invalid results. */
  readonly reason?: OwnershipFailure;
  /** A sentence for people; not stable API. */
  readonly detail?: string;
}

export function ownershipFailure(
  scheme: OwnershipScheme,
  reason: OwnershipFailure,
  detail: string,
  signers: readonly string[] = [],
): OwnershipResult {
  return { valid: false, scheme, signers, reason, detail };
}

export function ownershipSuccess(
  scheme: OwnershipScheme,
  boundTo: OwnershipBinding,
  signers: readonly string[],
  threshold?: { m: number; n: number },
): OwnershipResult {
  return { valid: true, scheme, signers, boundTo, ...(threshold === undefined ? {} : { threshold }) };
}
