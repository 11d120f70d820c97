/**
 * Typed failures of the chain layer. A request to sign that does not describe a well-formed
 * unsigned transaction or EIP-712 document, and a signature that does not recover to the signer,
 * each fail with their own code from core's registry (CHAIN_*). `details.field` names the exact
 * input at fault (e.g. `transaction.chainId`, `typedData.types.Mail[1].type`) so the server can
 * answer a client precisely; `details.check` names the check that failed.
 */
import { BaseError, type ErrorCode, type ErrorDetails } from '@custos/core';

export type ChainErrorCode = Extract<ErrorCode, `CHAIN_${string}`>;

export class ChainError extends BaseError {
  override name = 'ChainError';
  /** The input at fault, e.g. `transaction.signature` or `typedData.message.to.wallet`. */
  readonly field: string;

  constructor(code: ChainErrorCode, field: string, message: string, details: ErrorDetails = {}, cause?: unknown) {
    const all = { field, ...details };
    super(code, message, cause === undefined ? { details: all } : { details: all, cause });
    this.field = field;
  }
}

export function invalidTransaction(field: string, message: string, cause?: unknown): ChainError {
  return new ChainError('CHAIN_INVALID_TRANSACTION', field, message, {}, cause);
}

export function invalidTypedData(field: string, message: string, cause?: unknown): ChainError {
  return new ChainError('CHAIN_INVALID_TYPED_DATA', field, message, {}, cause);
}
