/**
 * Ownership of Ed25519 accounts from OKX's own message format (Ed25519 over
 * VarStr("OKX Signed Message:\n") ‖ VarStr(message), RFC 8032 via @noble/curves). The signature is
 * checked against the public key the row publishes, then that key is tied to the address with the
 * chain's own derivation: Substrate SS58 (`base58(prefix ‖ key ‖ BLAKE2b-512("SS58PRE" ‖ prefix ‖
 * key)[0..2])`, Polkadot prefix 0, Kusama 2), Cardano CIP-19 Shelley addresses (payment part =
 * BLAKE2b-224 of the key; enterprise and base addresses on mainnet), Aptos single-key
 * authentication keys (SHA3-256(key ‖ 0x00), compared with the address or, after a key rotation,
 * with the listed owner — the current authentication key) and Solana (the address is the key).
 * Substrate accounts are often sr25519, which this does not verify: such a row fails rather than
 * passes.
 */
import { concatBytes, equalBytes, utf8ToBytes } from '@custos/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { base58, bech32, hex } from '@scure/base';
import { okxMessagePayload } from './message-formats.js';
import type { Ed25519AddressKind } from './networks.js';
import { type OwnershipBinding, type OwnershipResult, ownershipFailure, ownershipSuccess } from './ownership-result.js';
import type { ReserveRow } from './reserve-file.js';

const SCHEME = 'okx-ed25519';
/** Bech32 strings may be longer than BIP-173's 90 characters: Cardano base addresses are 103. */
const CARDANO_BECH32_LIMIT = 1023;

function decodeHex(text: string, length: number): Uint8Array | null {
  const body = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (body.length !== length * 2) return null;
  try {
    return hex.decode(body.toLowerCase());
  } catch {
    return null;
  }
}

/** The SS58 address of a 32-byte key for a one-byte network prefix (0–63). */
export function ss58Address(publicKey: Uint8Array, prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 63)
    throw new RangeError(`"prefix" expected 0..63, got ${prefix}`);
  const payload = concatBytes(Uint8Array.of(prefix), publicKey);
  const checksum = blake2b(concatBytes(utf8ToBytes('SS58PRE'), payload), { dkLen: 64 }).subarray(0, 2);
  return base58.encode(concatBytes(payload, checksum));
}

/** The payment key hash of a mainnet Cardano enterprise or base address, or null. */
function cardanoPaymentKeyHash(address: string): Uint8Array | null | 'unsupported' {
  let bytes: Uint8Array;
  try {
    const decoded = bech32.decode(address as `${string}1${string}`, CARDANO_BECH32_LIMIT);
    if (decoded.prefix !== 'addr') return null;
    bytes = bech32.fromWords(decoded.words);
  } catch {
    return null;
  }
  const header = bytes[0];
  if (header === undefined || (header & 0x0f) !== 1) return null;
  const type = header >> 4;
  // CIP-19: type 0 = base address (payment key, stake key), type 6 = enterprise (payment key).
  if ((type === 0 && bytes.length === 57) || (type === 6 && bytes.length === 29)) return bytes.subarray(1, 29);
  return 'unsupported';
}

/** A 32-byte Aptos account address / authentication key, normalised, or null. */
function aptosAccount(text: string): Uint8Array | null {
  const body = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (body.length === 0 || body.length > 64) return null;
  return decodeHex(body.padStart(64, '0'), 32);
}

/** The Aptos single-key Ed25519 authentication key of a public key. */
export function aptosAuthenticationKey(publicKey: Uint8Array): Uint8Array {
  return sha3_256(concatBytes(publicKey, Uint8Array.of(0x00)));
}

/** Ties a verified key to the row's address; returns the binding or a failure. */
function bindKey(row: ReserveRow, kind: Ed25519AddressKind, ss58Prefix: number, key: Uint8Array) {
  const signer = [hex.encode(key)];
  const mismatch = (detail: string) => ownershipFailure(SCHEME, 'public-key-mismatch', detail, signer);
  switch (kind) {
    case 'ss58':
      return ss58Address(key, ss58Prefix) === row.address
        ? ('address' as OwnershipBinding)
        : mismatch(`The key's SS58 address (prefix ${ss58Prefix}) is not the row's address.`);
    case 'cardano': {
      const payment = cardanoPaymentKeyHash(row.address);
      if (payment === null) return ownershipFailure(SCHEME, 'invalid-address', 'Not a mainnet Cardano address.');
      if (payment === 'unsupported') {
        return ownershipFailure(
          SCHEME,
          'unsupported-address-type',
          'Only enterprise and base addresses with a key payment part are supported.',
        );
      }
      return equalBytes(blake2b(key, { dkLen: 28 }), payment)
        ? ('address' as OwnershipBinding)
        : mismatch('BLAKE2b-224 of the key is not the address’s payment key hash.');
    }
    case 'aptos': {
      const address = aptosAccount(row.address);
      if (address === null) return ownershipFailure(SCHEME, 'invalid-address', 'Not an Aptos account address.');
      const authKey = aptosAuthenticationKey(key);
      if (equalBytes(authKey, address)) return 'address' as OwnershipBinding;
      const owner = row.owners?.[0];
      const ownerKey = owner === undefined ? null : aptosAccount(owner);
      if (ownerKey !== null && equalBytes(authKey, ownerKey)) return 'owners' as OwnershipBinding;
      return mismatch('The key’s authentication key is neither the address nor the listed owner.');
    }
    case 'solana': {
      let address: Uint8Array;
      try {
        address = base58.decode(row.address);
      } catch {
        return ownershipFailure(SCHEME, 'invalid-address', 'The address is not Base58.');
      }
      if (address.length !== 32) return ownershipFailure(SCHEME, 'invalid-address', 'A Solana address is 32 bytes.');
      return equalBytes(address, key) ? ('address' as OwnershipBinding) : mismatch('The key is not the address.');
    }
  }
}

/** Checks an Ed25519 row whose address is derived as `kind` says. */
export function verifyEd25519Ownership(row: ReserveRow, kind: Ed25519AddressKind, ss58Prefix = 0): OwnershipResult {
  let key: Uint8Array | null;
  if (row.redeemScriptOrPublicKey !== undefined) {
    key = decodeHex(row.redeemScriptOrPublicKey, 32);
    if (key === null) return ownershipFailure(SCHEME, 'malformed-public-key', 'The public key is not 32 bytes of hex.');
  } else if (kind === 'solana') {
    // A Solana address is the key itself.
    try {
      key = base58.decode(row.address);
    } catch {
      key = null;
    }
    if (key === null || key.length !== 32) return ownershipFailure(SCHEME, 'invalid-address', 'Not a Solana address.');
  } else {
    return ownershipFailure(SCHEME, 'missing-public-key', 'Ed25519 rows must publish the public key.');
  }
  if (row.signatures.length === 0) return ownershipFailure(SCHEME, 'missing-signature', 'The row has no signature.');
  const payload = okxMessagePayload(row.message);
  for (const signature of row.signatures) {
    const bytes = decodeHex(signature, 64);
    if (bytes === null) return ownershipFailure(SCHEME, 'malformed-signature', 'A signature is not 64 bytes of hex.');
    let ok: boolean;
    try {
      ok = ed25519.verify(bytes, payload, key);
    } catch {
      return ownershipFailure(SCHEME, 'malformed-public-key', 'The public key is not a valid Ed25519 point.');
    }
    if (!ok) {
      return ownershipFailure(SCHEME, 'invalid-signature', 'The signature does not verify under the published key.');
    }
  }
  const binding = bindKey(row, kind, ss58Prefix, key);
  return typeof binding === 'string' ? ownershipSuccess(SCHEME, binding, [hex.encode(key)]) : binding;
}
