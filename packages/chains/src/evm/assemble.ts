/**
 * Turns a signer's recoverable signature into what an EVM chain or dapp consumes: a signed
 * serialized transaction (EIP-155 `v = 35 + 2·chainId + yParity` for legacy, `yParity` for EIP-2718
 * typed transactions) or a 65-byte `r ‖ s ‖ v` signature with `v = 27 + yParity` (the form
 * `personal_sign` and `eth_signTypedData_v4` return). The signature is checked first (32-byte r and
 * s, 0 < r < n, 0 < s ≤ n/2 per EIP-2), and the result is checked last: the address recovered from
 * the assembled artifact, by viem's own recovery, must be the signer's. An MPC signer that returned
 * a signature for another key or another digest is caught here, before anything is broadcast.
 */
import {
  type Address,
  type Hex,
  isAddressEqual,
  recoverAddress,
  recoverMessageAddress,
  recoverTransactionAddress,
  recoverTypedDataAddress,
  serializeTransaction,
  type TypedDataDefinition,
} from 'viem';
import { ChainError } from '../errors.js';
import { assertSignRequest, type RecoverableSignature, type SignRequest } from '../signer.js';
import { digestOf } from './digest.js';
import { parseUnsignedTransaction, shortMessage } from './transaction.js';

/** The secp256k1 group order n (SEC 2 §2.4.1). */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N >> 1n;
const WORD = /^0x[0-9a-fA-F]{64}$/;

function mismatch(field: string, check: string, message: string, cause?: unknown): ChainError {
  return new ChainError('CHAIN_SIGNATURE_MISMATCH', field, message, { check }, cause);
}

/** Checks the signature's form: 32-byte hex r and s in range, s low, yParity 0 or 1. */
export function assertRecoverableSignature(value: unknown, field = 'signature'): asserts value is RecoverableSignature {
  if (typeof value !== 'object' || value === null) throw mismatch(field, 'signature.shape', 'no signature object');
  const { r, s, yParity } = value as Record<string, unknown>;
  if (typeof r !== 'string' || !WORD.test(r)) {
    throw mismatch(`${field}.r`, 'signature.r', 'r must be 32 bytes of hex');
  }
  if (typeof s !== 'string' || !WORD.test(s)) {
    throw mismatch(`${field}.s`, 'signature.s', 's must be 32 bytes of hex');
  }
  const rn = BigInt(r);
  const sn = BigInt(s);
  if (rn === 0n || rn >= N) throw mismatch(`${field}.r`, 'signature.r-range', 'r must be in 1..n-1');
  if (sn === 0n || sn >= N) throw mismatch(`${field}.s`, 'signature.s-range', 's must be in 1..n-1');
  if (sn > HALF_N) throw mismatch(`${field}.s`, 'signature.low-s', 's must be at most n/2 (EIP-2)');
  if (yParity !== 0 && yParity !== 1) {
    throw mismatch(`${field}.yParity`, 'signature.yParity', 'yParity must be 0 or 1');
  }
}

/** `r ‖ s ‖ v` with `v = 27 + yParity`: 65 bytes, as `personal_sign` returns. */
export function signatureToHex(signature: RecoverableSignature): Hex {
  assertRecoverableSignature(signature);
  const v = (27 + signature.yParity).toString(16);
  return `0x${signature.r.slice(2)}${signature.s.slice(2)}${v}`.toLowerCase() as Hex;
}

/**
 * The artifact for `request` signed with `signature`: a signed serialized transaction for
 * `kind: 'transaction'`, else a 65-byte signature. Throws CHAIN_SIGNATURE_MISMATCH unless the
 * artifact recovers to `address`.
 */
export async function assemble(request: SignRequest, signature: RecoverableSignature, address: Address): Promise<Hex> {
  assertSignRequest(request);
  assertRecoverableSignature(signature);
  const { r, s, yParity } = signature;
  let artifact: Hex;
  let recovered: Address;
  try {
    switch (request.kind) {
      case 'transaction': {
        const tx = parseUnsignedTransaction(request.transaction, request.chainId);
        // viem's legacy serializer derives the EIP-155 v from `v` (27/28) and the chain id.
        artifact = serializeTransaction(tx, { r, s, yParity, v: 27n + BigInt(yParity) });
        recovered = await recoverTransactionAddress({
          serializedTransaction: artifact as Parameters<typeof recoverTransactionAddress>[0]['serializedTransaction'],
        });
        break;
      }
      case 'message':
        artifact = signatureToHex(signature);
        recovered = await recoverMessageAddress({ message: request.message, signature: artifact });
        break;
      case 'typed-data':
        // digestOf validates the document in full before viem hashes it again to recover.
        digestOf(request);
        artifact = signatureToHex(signature);
        recovered = await recoverTypedDataAddress({
          ...(request.typedData as unknown as TypedDataDefinition),
          signature: artifact,
        });
        break;
      case 'digest':
        artifact = signatureToHex(signature);
        recovered = await recoverAddress({ hash: digestOf(request), signature: artifact });
        break;
    }
  } catch (cause) {
    if (cause instanceof ChainError) throw cause;
    // Recovery itself failed: r is not the x-coordinate of a curve point for this parity.
    throw mismatch('signature', 'signature.recover', `the signature does not recover: ${shortMessage(cause)}`, cause);
  }
  if (!isAddressEqual(recovered, address)) {
    throw mismatch(
      'signature',
      'signature.signer',
      `the signature recovers to ${recovered}, not the signer ${address}`,
    );
  }
  return artifact;
}
