/**
 * The request decoders: what a dapp asks a wallet to sign, as `Intent`s. Calldata (ABI spec),
 * transactions (JSON-RPC objects and signed EIP-2718 payloads, EIP-7702 authorisations),
 * ERC-4337 UserOperations, and the selector table that names calls the decoders do not model.
 */
export { type CallInput, decodeCall, MAX_CALL_DEPTH, MAX_NESTED_CALLDATA_BYTES } from './calldata.js';
export {
  decodeMessageRequest,
  type MessageMethod,
  parseSiweMessage,
  printableText,
  type SiweMessage,
} from './message.js';
export { lookupSelector } from './selectors.js';
export {
  decodeRawTransaction,
  decodeTransaction,
  decodeUserOperation,
  normalizeTransactionRequest,
  normalizeTransactionRequestWithAuthorities,
  normalizeUserOperation,
} from './transaction.js';
export { classifyTypedData, decodeTypedDataRequest, TYPED_DATA_SCHEMAS, type TypedDataMethod } from './typed-data.js';
export { legacyTypedDataDigest } from './typed-data-legacy.js';
export {
  encodeTypeString,
  MAX_DEPTH as MAX_TYPED_DATA_DEPTH,
  type ParsedTypedData,
  parseTypedData,
  typedDataDigest,
} from './typed-data-parse.js';
export type { TypedDataSchema } from './typed-data-schema.js';
