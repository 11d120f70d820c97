/**
 * A plain in-process DigestSigner for tests: one secp256k1 key held in memory, signing the digest
 * that `digestOf` recomputes from the request with @noble/curves (RFC 6979 deterministic nonces,
 * low-s, recovery byte). It stands in for the MPC wallet at the Signer seam; being deterministic,
 * its signatures are byte-identical to viem's `privateKeyToAccount` for the same key.
 */
import { bytesToHex, hexToBytes } from '@custos/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Hex } from 'viem';
import { publicKeyToAddress } from '../evm/account.js';
import { digestOf } from '../evm/digest.js';
import type { DigestSigner, RecoverableSignature, SignRequest } from '../signer.js';

export interface LocalSignerOptions {
  /** Sign with this key instead while claiming `privateKey`'s identity (a misbehaving signer). */
  readonly signingKey?: Hex;
  /** Sees every request the signer receives. */
  readonly onRequest?: (request: SignRequest) => void;
}

export function localSigner(privateKey: Hex, options: LocalSignerOptions = {}): DigestSigner {
  const publicKey = bytesToHex(secp256k1.getPublicKey(hexToBytes(privateKey, 'privateKey', 32), true));
  const signingKey = hexToBytes(options.signingKey ?? privateKey, 'signingKey', 32);
  return {
    publicKey,
    address: publicKeyToAddress(publicKey),
    async signDigest(request: SignRequest): Promise<RecoverableSignature> {
      options.onRequest?.(request);
      return signDigestWith(signingKey, digestOf(request));
    },
  };
}

/** ECDSA over an already-hashed 32-byte digest, low-s, with the recovery parity. */
export function signDigestWith(privateKey: Uint8Array, digest: Hex): RecoverableSignature {
  const sig = secp256k1.sign(hexToBytes(digest, 'digest', 32), privateKey, { prehash: false, format: 'recovered' });
  const recovery = sig[0] as number;
  // Recovery ids 2 and 3 (R.x ≥ n) occur with probability ~2^-127; EVM cannot express them.
  if (recovery > 1) throw new Error(`recovery id ${recovery} cannot be expressed as a yParity`);
  return { r: bytesToHex(sig.subarray(1, 33)), s: bytesToHex(sig.subarray(33, 65)), yParity: recovery as 0 | 1 };
}
