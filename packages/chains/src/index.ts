/**
 * @custos/chains: what a key signs on a chain and how the signature becomes a transaction. It meets
 * the MPC wallet at one seam, `DigestSigner` (a request describing what is signed in, a recoverable
 * signature out), and knows no MPC protocol. EVM: transaction, EIP-191 and EIP-712 digests
 * recomputed from the request, request descriptions for policy and logs, assembly with a recovery
 * check, and a viem account backed by any DigestSigner.
 */

export { ChainError, type ChainErrorCode } from './errors.js';
export { decompressPublicKey, type MpcAccount, publicKeyToAddress, toMpcAccount } from './evm/account.js';
export { assemble, assertRecoverableSignature, signatureToHex } from './evm/assemble.js';
export {
  type DigestDescription,
  describeRequest,
  digestOf,
  type MessageDescription,
  type RequestDescription,
  type TransactionDescription,
  type TypedDataDescription,
} from './evm/digest.js';
export {
  MAX_TRANSACTION_BYTES,
  parseUnsignedTransaction,
  serializeUnsignedTransaction,
  type UnsignedTransaction,
  type UnsignedTransactionType,
} from './evm/transaction.js';
export {
  assertTypedData,
  hashTypedDataDocument,
  type TypedDataDocument,
  type TypedDataDomainJson,
  type TypedDataField,
  toTypedDataDocument,
} from './evm/typed-data.js';
export {
  assertSignRequest,
  type DigestSigner,
  type DigestSignRequest,
  type MessageSignRequest,
  type RecoverableSignature,
  SIGN_REQUEST_KINDS,
  type SignRequest,
  type SignRequestKind,
  type TransactionSignRequest,
  type TypedDataSignRequest,
} from './signer.js';
