/**
 * Ownership of EOS / Vaulta (Antelope) accounts from K1 signatures over SHA-256 of OKX's own message
 * format. Keys and signatures use Antelope's text encodings: legacy `EOS…` keys (Base58 of the
 * 33-byte compressed key and the first 4 bytes of its RIPEMD-160), `PUB_K1_…` keys and `SIG_K1_…`
 * signatures (Base58 of the payload and the first 4 bytes of RIPEMD-160(payload ‖ "K1")); the
 * signature payload is a header byte (27 + 4 + recovery id for compressed keys) and `r ‖ s`. A row
 * may publish one key or a JSON object of keys (`{"publicKey1": …, "publicKey2": …}`), and then
 * every key must have signed. Antelope account names (`okbwallet1tr`) are not derived from keys:
 * which keys control an account is on-chain permission state, so a valid result is bound to the
 * published key, not to the account.
 */
import { concatBytes, equalBytes, utf8ToBytes } from '@custos/core';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { base58, hex } from '@scure/base';
import { okxSha256Digest } from './message-formats.js';
import { type OwnershipResult, ownershipFailure, ownershipSuccess } from './ownership-result.js';
import { recoverSecp256k1 } from './recover.js';
import type { ReserveRow } from './reserve-file.js';

const SCHEME = 'okx-eos';

/** Base58 payload with a 4-byte RIPEMD-160 checksum over payload ‖ suffix, or null. */
function decodeChecked(text: string, length: number, suffix: string): Uint8Array | null {
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(text);
  } catch {
    return null;
  }
  if (bytes.length !== length + 4) return null;
  const payload = bytes.subarray(0, length);
  const checksum = ripemd160(concatBytes(payload, utf8ToBytes(suffix))).subarray(0, 4);
  return equalBytes(checksum, bytes.subarray(length)) ? payload : null;
}

/** The 33-byte compressed key of an `EOS…` or `PUB_K1_…` public key, or null. */
export function decodeAntelopePublicKey(text: string): Uint8Array | null {
  if (text.startsWith('PUB_K1_')) return decodeChecked(text.slice(7), 33, 'K1');
  if (text.startsWith('EOS')) return decodeChecked(text.slice(3), 33, '');
  return null;
}

function parseKeys(cell: string): Uint8Array[] | null {
  const texts: unknown[] = [];
  if (cell.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(cell);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
      texts.push(...Object.values(parsed));
    } catch {
      return null;
    }
  } else {
    texts.push(cell);
  }
  const keys: Uint8Array[] = [];
  for (const text of texts) {
    const key = typeof text === 'string' ? decodeAntelopePublicKey(text) : null;
    if (key === null) return null;
    keys.push(key);
  }
  return keys.length === 0 ? null : keys;
}

/** Checks an EOS / Vaulta row against the public key(s) it publishes. */
export function verifyEosOwnership(row: ReserveRow): OwnershipResult {
  if (row.redeemScriptOrPublicKey === undefined) {
    return ownershipFailure(SCHEME, 'missing-public-key', 'EOS rows must publish the public key.');
  }
  const keys = parseKeys(row.redeemScriptOrPublicKey);
  if (keys === null)
    return ownershipFailure(SCHEME, 'malformed-public-key', 'The public key is not an Antelope K1 key.');
  if (row.signatures.length === 0) return ownershipFailure(SCHEME, 'missing-signature', 'The row has no signature.');
  const digest = okxSha256Digest(row.message);
  const signers: string[] = [];
  const signed = new Set<number>();
  for (const signature of row.signatures) {
    const payload = signature.startsWith('SIG_K1_') ? decodeChecked(signature.slice(7), 65, 'K1') : null;
    const header = payload?.[0];
    if (payload === null || header === undefined || header < 27 || header > 34) {
      return ownershipFailure(SCHEME, 'malformed-signature', 'A signature is not a valid SIG_K1_ signature.', signers);
    }
    const key = recoverSecp256k1(digest, payload.subarray(1), (header - 27) & 3, header >= 31);
    if (key === null) return ownershipFailure(SCHEME, 'invalid-signature', 'No public key can be recovered.', signers);
    signers.push(hex.encode(key));
    const index = keys.findIndex((k) => equalBytes(k, key));
    if (index < 0) {
      return ownershipFailure(SCHEME, 'signer-mismatch', 'A signature is not from a published key.', signers);
    }
    signed.add(index);
  }
  if (signed.size < keys.length) {
    return ownershipFailure(SCHEME, 'signer-mismatch', 'Not every published key signed.', signers);
  }
  return ownershipSuccess(SCHEME, 'public-key', signers);
}
