/**
 * secp256k1 public-key recovery (SEC 1 v2 §4.1.6) from a 32-byte digest, a 64-byte `r ‖ s` and a
 * recovery id 0–3, via @noble/curves. Every ownership scheme that carries recoverable ECDSA
 * signatures (EIP-191, TRON, Bitcoin signed messages, EOS K1) goes through here; a signature from
 * which no valid point can be recovered (r or s out of range, x not on the curve) yields `null`
 * rather than an exception. High-S signatures are accepted, as Bitcoin Core's message verification
 * and Ethereum's `ecrecover` accept them: malleability does not matter for a proof of control.
 */
import { bytesToHex, concatBytes } from '@custos/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { type Address, getAddress } from 'viem';

/** Recovered public key as SEC1 bytes (compressed unless `compressed` is false), or null. */
export function recoverSecp256k1(
  digest: Uint8Array,
  rs: Uint8Array,
  recoveryId: number,
  compressed = true,
): Uint8Array | null {
  if (digest.length !== 32 || rs.length !== 64 || !Number.isInteger(recoveryId) || recoveryId < 0 || recoveryId > 3) {
    return null;
  }
  try {
    const key = secp256k1.recoverPublicKey(concatBytes(Uint8Array.of(recoveryId), rs), digest, { prehash: false });
    return compressed ? key : secp256k1.Point.fromBytes(key).toBytes(false);
  } catch {
    // noble throws for r/s out of range and for an x that is not on the curve: no key to recover.
    return null;
  }
}

/** The 20-byte Keccak-256 account of an SEC1 public key, as used by EVM and TRON. */
export function keccakAccount(publicKey: Uint8Array): Uint8Array {
  const uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return keccak_256(uncompressed.subarray(1)).subarray(12);
}

/** The EIP-55 checksummed EVM address of an SEC1 public key. */
export function evmAddressOf(publicKey: Uint8Array): Address {
  return getAddress(bytesToHex(keccakAccount(publicKey)));
}
