/**
 * Strict parsing of unsigned EVM transactions as a co-signer receives them: legacy with EIP-155
 * replay protection (the signing payload `rlp([nonce, gasPrice, gas, to, value, data, chainId, 0,
 * 0])`, EIP-155), EIP-2930 (`0x01 ‖ rlp([...])`) and EIP-1559 (`0x02 ‖ rlp([...])`) under the EIP-2718
 * envelope. viem's `parseTransaction` is lenient (it accepts signed payloads, non-canonical
 * integers and pre-EIP-155 legacy transactions), so every field is checked here first and the
 * result must re-serialize to exactly the bytes received: what the server describes and what the
 * key signs are then one and the same thing. Blob (EIP-4844) and set-code (EIP-7702) transactions
 * are refused until a policy for them exists.
 */
import {
  fromRlp,
  type Hex,
  isAddress,
  parseTransaction,
  serializeTransaction,
  type TransactionSerializable,
  type TransactionSerializableEIP1559,
  type TransactionSerializableEIP2930,
  type TransactionSerializableLegacy,
} from 'viem';
import { invalidTransaction } from '../errors.js';

export type UnsignedTransaction = (
  | TransactionSerializableLegacy
  | TransactionSerializableEIP2930
  | TransactionSerializableEIP1559
) & { readonly chainId: number };

export type UnsignedTransactionType = UnsignedTransaction['type'] & string;

/** geth's txpool refuses transactions over 128 KiB (`txMaxSize`); nothing larger is signed. */
export const MAX_TRANSACTION_BYTES = 131_072;

type FieldKind = 'int' | 'nonce' | 'chainId' | 'to' | 'data' | 'accessList' | 'signature';
type Layout = readonly (readonly [name: string, kind: FieldKind])[];

const LEGACY: Layout = [
  ['nonce', 'nonce'],
  ['gasPrice', 'int'],
  ['gas', 'int'],
  ['to', 'to'],
  ['value', 'int'],
  ['data', 'data'],
  // EIP-155: the unsigned payload carries chainId, 0, 0 where a signature carries v, r, s.
  ['chainId', 'chainId'],
  ['r', 'signature'],
  ['s', 'signature'],
];
const EIP2930: Layout = [
  ['chainId', 'chainId'],
  ['nonce', 'nonce'],
  ['gasPrice', 'int'],
  ['gas', 'int'],
  ['to', 'to'],
  ['value', 'int'],
  ['data', 'data'],
  ['accessList', 'accessList'],
];
const EIP1559: Layout = [
  ['chainId', 'chainId'],
  ['nonce', 'nonce'],
  ['maxPriorityFeePerGas', 'int'],
  ['maxFeePerGas', 'int'],
  ['gas', 'int'],
  ['to', 'to'],
  ['value', 'int'],
  ['data', 'data'],
  ['accessList', 'accessList'],
];

type RlpItem = Hex | readonly RlpItem[];

/**
 * Parses a serialized unsigned transaction, refusing anything signed, malformed, non-canonical or
 * of an unsupported type with CHAIN_INVALID_TRANSACTION naming the field. When `chainId` is given,
 * the transaction must be for that chain.
 */
export function parseUnsignedTransaction(serialized: unknown, chainId?: number): UnsignedTransaction {
  const field = 'transaction';
  if (typeof serialized !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(serialized)) {
    throw invalidTransaction(field, 'the transaction must be non-empty, even-length 0x-prefixed hex');
  }
  const hex = serialized.toLowerCase() as Hex;
  if ((hex.length - 2) / 2 > MAX_TRANSACTION_BYTES) {
    throw invalidTransaction(field, `the transaction is larger than ${MAX_TRANSACTION_BYTES} bytes`);
  }
  const type = transactionType(hex);
  const layout = type === 'legacy' ? LEGACY : type === 'eip2930' ? EIP2930 : EIP1559;
  const items = decodeItems(type === 'legacy' ? hex : `0x${hex.slice(4)}`);
  checkLayout(items, layout, type);
  // Checked on the raw items: viem's own check would fail without naming the field.
  if (type === 'eip1559' && rlpInt(items[2]) > rlpInt(items[3])) {
    throw invalidTransaction('transaction.maxPriorityFeePerGas', 'maxPriorityFeePerGas is above maxFeePerGas');
  }

  let parsed: TransactionSerializable;
  try {
    parsed = parseTransaction(hex);
  } catch (cause) {
    throw invalidTransaction(field, `not a valid ${type} transaction: ${shortMessage(cause)}`, cause);
  }
  const tx = parsed as UnsignedTransaction;
  if (typeof tx.chainId !== 'number' || !Number.isSafeInteger(tx.chainId) || tx.chainId < 1) {
    throw invalidTransaction(`${field}.chainId`, 'the transaction has no EIP-155 chain id (replayable on every chain)');
  }
  if (chainId !== undefined && tx.chainId !== chainId) {
    throw invalidTransaction(`${field}.chainId`, `the transaction is for chain ${tx.chainId}, not ${chainId}`);
  }
  checkCanonical(hex, tx, items, layout, type);
  return tx;
}

/** An RLP integer item already checked to be a byte string; the empty string is zero. */
function rlpInt(item: RlpItem | undefined): bigint {
  return typeof item === 'string' && item !== '0x' ? BigInt(item) : 0n;
}

/** The EIP-2718 type byte: 0x01, 0x02, or an RLP list prefix (≥ 0xc0) for legacy. */
function transactionType(hex: Hex): UnsignedTransactionType {
  const first = Number.parseInt(hex.slice(2, 4), 16);
  if (first === 0x01) return 'eip2930';
  if (first === 0x02) return 'eip1559';
  if (first >= 0xc0) return 'legacy';
  const what = first === 0x03 ? 'blob (EIP-4844)' : first === 0x04 ? 'set-code (EIP-7702)' : 'unknown';
  throw invalidTransaction('transaction.type', `transaction type 0x${hex.slice(2, 4)} (${what}) is not supported`);
}

function decodeItems(payload: Hex): readonly RlpItem[] {
  let decoded: RlpItem;
  try {
    decoded = fromRlp(payload, 'hex') as RlpItem;
  } catch (cause) {
    throw invalidTransaction('transaction', `the transaction is not valid RLP: ${shortMessage(cause)}`, cause);
  }
  if (typeof decoded === 'string')
    throw invalidTransaction('transaction', 'the transaction payload is not an RLP list');
  return decoded;
}

function checkLayout(items: readonly RlpItem[], layout: Layout, type: UnsignedTransactionType): void {
  const signedLength = type === 'legacy' ? layout.length : layout.length + 3;
  if (items.length === signedLength && type !== 'legacy') {
    throw invalidTransaction('transaction.signature', 'the transaction is already signed');
  }
  if (type === 'legacy' && items.length === 6) {
    throw invalidTransaction('transaction.chainId', 'a pre-EIP-155 legacy transaction is replayable on every chain');
  }
  if (items.length !== layout.length) {
    throw invalidTransaction('transaction', `a ${type} transaction has ${layout.length} fields, got ${items.length}`);
  }
  for (const [i, [name, kind]] of layout.entries()) checkItem(items[i] as RlpItem, name, kind);
}

function checkItem(item: RlpItem, name: string, kind: FieldKind): void {
  const field = `transaction.${name}`;
  if (kind === 'accessList') {
    if (typeof item === 'string') throw invalidTransaction(field, 'the access list must be an RLP list');
    for (const [i, entry] of item.entries()) checkAccessListEntry(entry, `${field}[${i}]`);
    return;
  }
  if (typeof item !== 'string') throw invalidTransaction(field, `${name} must be a byte string, not a list`);
  const bytes = (item.length - 2) / 2;
  switch (kind) {
    case 'signature':
      // A legacy payload with r or s set is a signed transaction, not a signing payload.
      if (item !== '0x') throw invalidTransaction('transaction.signature', 'the transaction is already signed');
      return;
    case 'to':
      if (bytes !== 0 && bytes !== 20) throw invalidTransaction(field, 'to must be empty or a 20-byte address');
      return;
    case 'nonce':
    case 'chainId':
      if (bytes > 7 || (bytes === 7 && BigInt(item) > BigInt(Number.MAX_SAFE_INTEGER))) {
        throw invalidTransaction(field, `${name} is above 2^53 - 1`);
      }
      return;
    case 'int':
      if (bytes > 32) throw invalidTransaction(field, `${name} is longer than 32 bytes`);
      return;
    case 'data':
      return;
  }
}

function checkAccessListEntry(entry: RlpItem, field: string): void {
  if (typeof entry === 'string' || entry.length !== 2) {
    throw invalidTransaction(field, 'an access list entry is [address, storageKeys]');
  }
  const [address, keys] = entry as readonly [RlpItem, RlpItem];
  if (typeof address !== 'string' || !isAddress(address, { strict: false })) {
    throw invalidTransaction(`${field}.address`, 'an access list address must be 20 bytes');
  }
  if (typeof keys === 'string') throw invalidTransaction(`${field}.storageKeys`, 'storage keys must be an RLP list');
  keys.forEach((key, j) => {
    if (typeof key !== 'string' || key.length !== 66) {
      throw invalidTransaction(`${field}.storageKeys[${j}]`, 'a storage key must be 32 bytes');
    }
  });
}

/**
 * Re-serializes the parsed transaction and requires the exact bytes received, naming the first
 * field that differs (a leading zero in an integer, say). Without this, two encodings of one
 * transaction would have two digests.
 */
function checkCanonical(
  hex: Hex,
  tx: UnsignedTransaction,
  items: readonly RlpItem[],
  layout: Layout,
  type: UnsignedTransactionType,
): void {
  const again = serializeTransaction(tx);
  if (again === hex) return;
  const canonical = decodeItems(type === 'legacy' ? again : `0x${again.slice(4)}`);
  layout.forEach(([name], i) => {
    if (JSON.stringify(canonical[i]) !== JSON.stringify(items[i])) {
      throw invalidTransaction(`transaction.${name}`, `${name} is not canonically encoded`);
    }
  });
  throw invalidTransaction('transaction', 'the transaction is not canonically RLP-encoded');
}

/**
 * The unsigned signing payload of a transaction object, as viem would sign it. A chain-specific
 * serializer (OP Stack, Celo) is accepted only where it produces the standard encoding, because
 * the co-signer recomputes the digest from standard types only.
 */
export async function serializeUnsignedTransaction(
  transaction: TransactionSerializable,
  serializer?: (transaction: TransactionSerializable) => Hex | Promise<Hex>,
): Promise<Hex> {
  let standard: Hex;
  try {
    standard = serializeTransaction(transaction);
  } catch (cause) {
    throw invalidTransaction('transaction', `viem cannot serialize the transaction: ${shortMessage(cause)}`, cause);
  }
  if (serializer !== undefined) {
    const custom = await serializer(transaction);
    if (custom !== standard) {
      throw invalidTransaction('transaction.type', 'the chain serializer produced a non-standard transaction');
    }
  }
  return standard;
}

export function shortMessage(error: unknown): string {
  if (error instanceof Error) {
    const short = (error as Error & { shortMessage?: unknown }).shortMessage;
    return typeof short === 'string' ? short : (error.message.split('\n')[0] ?? '');
  }
  return String(error);
}
