/**
 * What a sign request commits to on an EVM chain, recomputed from the request itself: the
 * transaction signing hash `keccak256(payload)` (EIP-155 for legacy, EIP-2718 typed payloads for
 * EIP-2930 / EIP-1559), the EIP-191 `personal_sign` hash `keccak256("\x19Ethereum Signed
 * Message:\n" ‖ len ‖ message)`, the EIP-712 hash, or a caller-supplied digest (blind). The
 * co-signing server calls `digestOf` instead of trusting a digest from the client, and
 * `describeRequest` to log and apply policy to what is being signed.
 */
import { equalBytes, hexToBytes } from '@custos/core';
import { type Address, type Hex, hashMessage, keccak256 } from 'viem';
import { assertSignRequest, type SignRequest } from '../signer.js';
import { parseUnsignedTransaction, type UnsignedTransactionType } from './transaction.js';
import { assertTypedData, hashTypedDataDocument, toTypedDataDocument } from './typed-data.js';

/** The 32-byte digest the signer must sign for `request`; throws on any malformed request. */
export function digestOf(request: SignRequest): Hex {
  assertSignRequest(request);
  switch (request.kind) {
    case 'transaction':
      // keccak256 of the canonical bytes, which `parseUnsignedTransaction` proved are the input's.
      parseUnsignedTransaction(request.transaction, request.chainId);
      return keccak256(request.transaction.toLowerCase() as Hex);
    case 'message':
      return hashMessage(request.message);
    case 'typed-data':
      return hashTypedDataDocument(request.typedData, 'request.typedData');
    case 'digest':
      return request.digest.toLowerCase() as Hex;
  }
}

export interface TransactionDescription {
  readonly kind: 'transaction';
  readonly type: UnsignedTransactionType;
  readonly chainId: number;
  readonly nonce: number;
  /** null for a contract creation. */
  readonly to: Address | null;
  /** Wei, as a decimal string (JSON-safe). */
  readonly value: string;
  readonly gas: string;
  readonly gasPrice: string | null;
  readonly maxFeePerGas: string | null;
  readonly maxPriorityFeePerGas: string | null;
  readonly dataBytes: number;
  /** The first 4 bytes of calldata (the function selector), null when there are fewer. */
  readonly selector: Hex | null;
  readonly accessListEntries: number;
}

export interface MessageDescription {
  readonly kind: 'message';
  readonly encoding: 'utf8' | 'raw';
  readonly byteLength: number;
  /** The start of the message: text for utf8 (or raw bytes that are valid UTF-8), else hex. */
  readonly preview: string;
}

export interface TypedDataDescription {
  readonly kind: 'typed-data';
  readonly primaryType: string;
  readonly domain: {
    readonly name: string | null;
    readonly version: string | null;
    readonly chainId: string | null;
    readonly verifyingContract: Address | null;
    readonly salt: Hex | null;
  };
  /** The message, JSON-safe (integers as strings). */
  readonly message: Readonly<Record<string, unknown>>;
}

export interface DigestDescription {
  readonly kind: 'digest';
  readonly digest: Hex;
  readonly blind: true;
}

export type RequestDescription = (
  | TransactionDescription
  | MessageDescription
  | TypedDataDescription
  | DigestDescription
) & { readonly path?: readonly number[] };

const PREVIEW_CHARS = 120;

/** A JSON-safe summary of what `request` signs, for logs and for the co-signer's policy. */
export function describeRequest(request: SignRequest): RequestDescription {
  const path = request.path === undefined ? {} : { path: [...request.path] };
  return { ...describe(request), ...path };
}

function describe(request: SignRequest): RequestDescription {
  assertSignRequest(request);
  switch (request.kind) {
    case 'transaction':
      return describeTransaction(request.transaction, request.chainId);
    case 'message':
      return describeMessage(request.message);
    case 'typed-data': {
      const typedData = request.typedData;
      assertTypedData(typedData, 'request.typedData');
      const d = typedData.domain ?? {};
      return {
        kind: 'typed-data',
        primaryType: typedData.primaryType,
        domain: {
          name: d.name ?? null,
          version: d.version ?? null,
          chainId: d.chainId === undefined ? null : BigInt(d.chainId).toString(10),
          verifyingContract: d.verifyingContract ?? null,
          salt: d.salt ?? null,
        },
        message: toTypedDataDocument(typedData).message,
      };
    }
    case 'digest':
      return { kind: 'digest', digest: request.digest.toLowerCase() as Hex, blind: true };
  }
}

function describeTransaction(serialized: Hex, chainId: number): TransactionDescription {
  const tx = parseUnsignedTransaction(serialized, chainId);
  const data = tx.data ?? '0x';
  const dataBytes = (data.length - 2) / 2;
  const dec = (n: bigint | undefined) => (n ?? 0n).toString(10);
  const fees =
    tx.type === 'eip1559'
      ? { gasPrice: null, maxFeePerGas: dec(tx.maxFeePerGas), maxPriorityFeePerGas: dec(tx.maxPriorityFeePerGas) }
      : { gasPrice: dec(tx.gasPrice), maxFeePerGas: null, maxPriorityFeePerGas: null };
  return {
    kind: 'transaction',
    type: tx.type ?? 'legacy',
    chainId: tx.chainId,
    nonce: tx.nonce ?? 0,
    to: tx.to ?? null,
    value: dec(tx.value),
    gas: dec(tx.gas),
    ...fees,
    dataBytes,
    selector: dataBytes >= 4 ? (data.slice(0, 10).toLowerCase() as Hex) : null,
    accessListEntries: 'accessList' in tx ? (tx.accessList?.length ?? 0) : 0,
  };
}

function describeMessage(message: string | { readonly raw: Hex }): MessageDescription {
  if (typeof message === 'string') {
    return {
      kind: 'message',
      encoding: 'utf8',
      byteLength: new TextEncoder().encode(message).length,
      preview: message.slice(0, PREVIEW_CHARS),
    };
  }
  const bytes = hexToBytes(message.raw, 'request.message.raw');
  // Shown as text only when the bytes are exactly valid UTF-8 (a lossy decode re-encodes
  // differently); a hash or other binary payload is shown as hex.
  const text = new TextDecoder().decode(bytes);
  const isUtf8 = equalBytes(new TextEncoder().encode(text), bytes);
  const preview = isUtf8 ? text.slice(0, PREVIEW_CHARS) : message.raw.slice(0, 2 + PREVIEW_CHARS).toLowerCase();
  return { kind: 'message', encoding: 'raw', byteLength: bytes.length, preview };
}
