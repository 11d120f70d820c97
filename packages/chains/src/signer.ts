/**
 * The seam between the chains and whoever holds the key. A `DigestSigner` turns a 32-byte digest
 * into a recoverable secp256k1 ECDSA signature (SEC 1 §4.1.3, low-s per EIP-2, with the recovery
 * parity EVM chains need). It is an MPC wallet in production and a plain key in tests; this package
 * knows no MPC protocol. The signer is told WHAT is signed, not only the digest: a `SignRequest`
 * carries the unsigned transaction, the EIP-191 message or the EIP-712 document, so a co-signing
 * server can recompute the digest itself (`digestOf`) and apply its policy to a description of the
 * request (`describeRequest`) instead of signing blind. `kind: 'digest'` is blind signing; a policy
 * decides whether it is allowed. The `path` is a non-hardened BIP-32 child index list for the
 * signer's own use: chains passes it through and never interprets it.
 */
import { invalidInput } from '@custos/core';
import type { Address, Hex } from 'viem';
import { invalidTransaction } from './errors.js';
import type { TypedDataDocument } from './evm/typed-data.js';

/** A secp256k1 ECDSA signature with its recovery parity; `s` is low (≤ n/2). Hex is 32 bytes each. */
export interface RecoverableSignature {
  readonly r: Hex;
  readonly s: Hex;
  readonly yParity: 0 | 1;
}

interface SignRequestBase {
  /** Non-hardened BIP-32 child indexes (each 0..2^31-1) for the signer; opaque to chains. */
  readonly path?: readonly number[];
}

/** An unsigned serialized transaction (legacy with EIP-155 chain id, EIP-2930 or EIP-1559). */
export interface TransactionSignRequest extends SignRequestBase {
  readonly kind: 'transaction';
  readonly chainId: number;
  readonly transaction: Hex;
}

/** EIP-191 version 0x45 (`personal_sign`): a UTF-8 string, or raw bytes as `{ raw: hex }`. */
export interface MessageSignRequest extends SignRequestBase {
  readonly kind: 'message';
  readonly message: string | { readonly raw: Hex };
}

/** An EIP-712 document (`eth_signTypedData_v4` JSON; integers may be decimal strings). */
export interface TypedDataSignRequest extends SignRequestBase {
  readonly kind: 'typed-data';
  readonly typedData: TypedDataDocument;
}

/** A bare 32-byte digest: blind signing, only where policy allows it. */
export interface DigestSignRequest extends SignRequestBase {
  readonly kind: 'digest';
  readonly digest: Hex;
}

export type SignRequest = TransactionSignRequest | MessageSignRequest | TypedDataSignRequest | DigestSignRequest;

export const SIGN_REQUEST_KINDS = ['transaction', 'message', 'typed-data', 'digest'] as const;
export type SignRequestKind = (typeof SIGN_REQUEST_KINDS)[number];

export interface DigestSigner {
  /** The signing key, 33-byte compressed SEC 1 hex. */
  readonly publicKey: Hex;
  /** The EVM address of `publicKey`. */
  readonly address: Address;
  /** Signs `digestOf(request)` and returns the signature for `publicKey`. */
  signDigest(request: SignRequest): Promise<RecoverableSignature>;
}

const HARDENED = 0x8000_0000;
/** BIP-32 allows depth 255; deeper paths are refused before they reach a signer. */
const MAX_PATH_DEPTH = 255;

/**
 * Checks the envelope of a request received as JSON: the kind, and the shape of the fields this
 * module owns (chain id, message, digest, path). The transaction and typed data themselves are
 * validated where they are parsed (`digestOf`), with their own error codes.
 */
export function assertSignRequest(value: unknown, field = 'request'): asserts value is SignRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidInput(field, 'a sign request object', value);
  }
  const request = value as Record<string, unknown>;
  const kind = request.kind;
  if (typeof kind !== 'string' || !(SIGN_REQUEST_KINDS as readonly string[]).includes(kind)) {
    throw invalidInput(`${field}.kind`, `one of ${SIGN_REQUEST_KINDS.join(' | ')}`, kind);
  }
  if (request.path !== undefined) assertPath(request.path, `${field}.path`);
  switch (kind) {
    case 'transaction': {
      const chainId = request.chainId;
      if (typeof chainId !== 'number' || !Number.isSafeInteger(chainId) || chainId < 1) {
        throw invalidTransaction(`${field}.chainId`, `"${field}.chainId" must be a positive safe integer`);
      }
      if (typeof request.transaction !== 'string') {
        throw invalidTransaction(`${field}.transaction`, `"${field}.transaction" must be a hex string`);
      }
      return;
    }
    case 'message': {
      const message = request.message;
      if (typeof message === 'string') return;
      if (typeof message === 'object' && message !== null && !Array.isArray(message)) {
        const raw = (message as Record<string, unknown>).raw;
        if (typeof raw === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(raw)) return;
        throw invalidInput(`${field}.message.raw`, '0x-prefixed even-length hex', raw);
      }
      throw invalidInput(`${field}.message`, 'a UTF-8 string or { raw: hex }', message);
    }
    case 'typed-data':
      // Validated in full by `assertTypedData` when the digest is computed.
      return;
    case 'digest': {
      const digest = request.digest;
      if (typeof digest !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(digest)) {
        throw invalidInput(`${field}.digest`, '32 bytes of 0x-prefixed hex', digest);
      }
      return;
    }
  }
}

function assertPath(path: unknown, field: string): asserts path is readonly number[] {
  if (!Array.isArray(path) || path.length > MAX_PATH_DEPTH) {
    throw invalidInput(field, `an array of at most ${MAX_PATH_DEPTH} child indexes`, path);
  }
  path.forEach((index: unknown, i) => {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= HARDENED) {
      throw invalidInput(`${field}[${i}]`, `a non-hardened child index 0..${HARDENED - 1}`, index);
    }
  });
}
