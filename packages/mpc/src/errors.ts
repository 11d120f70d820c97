/**
 * Typed failures of the MPC protocols. Every check a verifier makes fails with its own code (in
 * core's registry) and names the exact check in `details.check`, so a caller, a log line or a test
 * can tell a wrong Schnorr response from a replayed message without parsing prose. Secrets (shares,
 * nonces, Paillier factors, proof randomness) are never put into an error: callers pass names.
 */
import { BaseError, type ErrorCode, type ErrorDetails } from '@custos/core';

export type MpcErrorCode = Extract<ErrorCode, `MPC_${string}`>;

export class MpcError extends BaseError {
  override name = 'MpcError';
  /** The exact check that failed, e.g. `pi-mod.x^4` or `feldman.share`. */
  readonly check: string;

  constructor(code: MpcErrorCode, check: string, message: string, details: ErrorDetails = {}, cause?: unknown) {
    super(
      code,
      message,
      cause === undefined ? { details: { check, ...details } } : { details: { check, ...details }, cause },
    );
    this.check = check;
  }
}

/** Throws `MpcError(code, check, message)` unless `condition` holds. */
export function check(
  condition: boolean,
  code: MpcErrorCode,
  checkName: string,
  message: string,
  details: ErrorDetails = {},
): asserts condition {
  if (!condition) throw new MpcError(code, checkName, message, details);
}
