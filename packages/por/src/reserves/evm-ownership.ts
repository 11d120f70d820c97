/**
 * Ownership of Keccak-address accounts (EVM chains, OKC, TRON) from recoverable secp256k1
 * signatures: 65 bytes `r ‖ s ‖ v` in hex, `v` 27/28 or 0/1. The key is recovered from the digest of
 * the scheme (EIP-191 `personal_sign`, OKX's own format on OKC, TIP-191 on TRON — see
 * message-formats.ts), turned into its account (last 20 bytes of Keccak-256 of the uncompressed key)
 * and compared with the address: case-insensitively for EVM hex, exactly for TRON's Base58Check
 * (`0x41 ‖ account`). For EVM, both the standard form over the message text and OKX's form over
 * the message's Keccak-256 are tried, and the result names the one that matched. Rows that list
 * owners (`eoa1`/`eoa2`: the owners of a contract wallet, or the withdrawal EOA of a staking
 * validator) are checked against the owners instead of the address, as OKX's verifier does; every
 * signature must come from a listed owner and every owner must have signed, except the second
 * owner of an Eigenlayer row, which OKX defines as the EigenPod contract (a contract cannot sign).
 */
import { concatBytes } from '@custos/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { createBase58check, hex } from '@scure/base';
import { isAddress } from 'viem';
import { eip191Digest, eip191KeccakDigest, okxKeccakDigest, tronDigest, tronKeccakDigest } from './message-formats.js';
import { type OwnershipResult, type OwnershipScheme, ownershipFailure, ownershipSuccess } from './ownership-result.js';
import { evmAddressOf, keccakAccount, recoverSecp256k1 } from './recover.js';
import type { ReserveRow } from './reserve-file.js';

const base58check = createBase58check(sha256);
const TRON_PREFIX = 0x41;

interface KeccakFamily {
  readonly schemes: readonly { readonly scheme: OwnershipScheme; readonly digest: (message: string) => Uint8Array }[];
  /** The signer's id from its public key, in the network's notation. */
  readonly signerOf: (publicKey: Uint8Array) => string;
  /** A canonical form of an address for comparison, or null when it is not one. */
  readonly canonical: (address: string) => string | null;
}

const EVM: KeccakFamily = {
  schemes: [
    { scheme: 'eip191', digest: eip191Digest },
    { scheme: 'eip191-keccak', digest: eip191KeccakDigest },
  ],
  signerOf: evmAddressOf,
  canonical: (address) => (isAddress(address, { strict: false }) ? address.toLowerCase() : null),
};

const OKC: KeccakFamily = { ...EVM, schemes: [{ scheme: 'okx-keccak', digest: okxKeccakDigest }] };

/** The TRON Base58Check address of an SEC1 public key. */
export function tronAddressOf(publicKey: Uint8Array): string {
  return base58check.encode(concatBytes(Uint8Array.of(TRON_PREFIX), keccakAccount(publicKey)));
}

function canonicalTron(address: string): string | null {
  try {
    const bytes = base58check.decode(address);
    return bytes.length === 21 && bytes[0] === TRON_PREFIX ? address : null;
  } catch {
    return null;
  }
}

const TRON: KeccakFamily = {
  schemes: [
    { scheme: 'tron', digest: tronDigest },
    { scheme: 'tron-keccak', digest: tronKeccakDigest },
  ],
  signerOf: tronAddressOf,
  canonical: canonicalTron,
};

/** r ‖ s and the recovery id of a 65-byte hex signature, or null. */
function parseRecoverable(signature: string): { rs: Uint8Array; recoveryId: number } | null {
  const body = signature.startsWith('0x') || signature.startsWith('0X') ? signature.slice(2) : signature;
  if (body.length !== 130) return null;
  let bytes: Uint8Array;
  try {
    bytes = hex.decode(body.toLowerCase());
  } catch {
    return null;
  }
  const v = bytes[64] as number;
  const recoveryId = v === 27 || v === 28 ? v - 27 : v === 0 || v === 1 ? v : -1;
  return recoveryId < 0 ? null : { rs: bytes.subarray(0, 64), recoveryId };
}

function verifyKeccakFamily(row: ReserveRow, family: KeccakFamily): OwnershipResult {
  const first = (family.schemes[0] as KeccakFamily['schemes'][number]).scheme;
  const owners = row.owners ?? [];
  const ownerMode = owners.length > 0;
  const targets = ownerMode ? owners : [row.address];
  const permitted = new Map<string, string>();
  for (const target of targets) {
    const canonical = family.canonical(target);
    if (canonical === null) {
      return ownershipFailure(first, 'invalid-address', `${ownerMode ? 'Owner' : 'Address'} ${target} is malformed.`);
    }
    permitted.set(canonical, target);
  }
  // OKX's staking layout puts the EigenPod contract in eoa2; a contract cannot sign.
  const required =
    ownerMode && row.stakingType?.toLowerCase() === 'eigenlayer staking'
      ? [...permitted.keys()].slice(0, 1)
      : [...permitted.keys()];
  if (row.signatures.length === 0) return ownershipFailure(first, 'missing-signature', 'The row has no signature.');
  if (row.signatures.length < required.length) {
    return ownershipFailure(
      first,
      'missing-signature',
      `${required.length} owners must sign, but the row has ${row.signatures.length} signature(s).`,
    );
  }
  const parsed = [];
  for (const signature of row.signatures) {
    const p = parseRecoverable(signature);
    if (p === null) {
      return ownershipFailure(
        first,
        'malformed-signature',
        'A signature is not 65 bytes of hex with v in 0, 1, 27, 28.',
      );
    }
    parsed.push(p);
  }

  let firstAttempt: OwnershipResult | undefined;
  for (const { scheme, digest } of family.schemes) {
    const hash = digest(row.message);
    const signers: string[] = [];
    let failure: OwnershipResult | undefined;
    for (const { rs, recoveryId } of parsed) {
      const key = recoverSecp256k1(hash, rs, recoveryId);
      if (key === null) {
        failure = ownershipFailure(scheme, 'invalid-signature', 'No public key can be recovered.', signers);
        break;
      }
      const signer = family.signerOf(key);
      signers.push(signer);
      if (!permitted.has(family.canonical(signer) ?? '')) {
        failure = ownershipFailure(
          scheme,
          'signer-mismatch',
          `Signed by ${signer}, which is not ${ownerMode ? 'a listed owner' : 'the address'}.`,
          signers,
        );
        break;
      }
    }
    if (failure === undefined) {
      const signed = new Set(signers.map((s) => family.canonical(s)));
      const missing = required.find((r) => !signed.has(r));
      if (missing === undefined) return ownershipSuccess(scheme, ownerMode ? 'owners' : 'address', signers);
      failure = ownershipFailure(scheme, 'signer-mismatch', `Owner ${permitted.get(missing)} did not sign.`, signers);
    }
    firstAttempt ??= failure;
  }
  return firstAttempt as OwnershipResult;
}

/** EIP-191 ownership of an EVM address (or of its listed owners). */
export function verifyEvmOwnership(row: ReserveRow): OwnershipResult {
  return verifyKeccakFamily(row, EVM);
}

/** OKX's own secp256k1 message format with an EVM address (OKC rows). */
export function verifyOkxEvmOwnership(row: ReserveRow): OwnershipResult {
  return verifyKeccakFamily(row, OKC);
}

/** TIP-191 (or the older 32-byte-hash form) ownership of a TRON address. */
export function verifyTronOwnership(row: ReserveRow): OwnershipResult {
  return verifyKeccakFamily(row, TRON);
}
