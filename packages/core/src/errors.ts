/**
 * The error model every custos package throws. Modelled on viem's errors: a class per failure with
 * a stable machine-readable `code` (registered in `ErrorCodes`), a short human message, structured
 * `details`, `hints` that say what to do about it, and the original `cause` kept so `walk()` can
 * reach the root. Secrets never go into any of these fields: callers pass identifiers, not values.
 */

/**
 * The error-code registry. Each code maps to the HTTP status the server answers with and the CLI
 * exit code class (`usage` → exit 2, `negative` → exit 1, `internal` → exit 1 as well but is a bug).
 * Codes are stable API: never rename one, only add. `negative` is reserved for results such as a
 * failed verification or a blocked scan.
 */
export const ErrorCodes = {
  // generic input / usage
  INVALID_INPUT: { status: 400, kind: 'usage' },
  INVALID_CONFIG: { status: 500, kind: 'usage' },
  NOT_FOUND: { status: 404, kind: 'usage' },
  CONFLICT: { status: 409, kind: 'usage' },
  ROUTE_NOT_FOUND: { status: 404, kind: 'usage' },
  PAYLOAD_TOO_LARGE: { status: 413, kind: 'usage' },
  RATE_LIMITED: { status: 429, kind: 'negative' },
  // amounts
  DECIMAL_PARSE: { status: 400, kind: 'usage' },
  DECIMAL_SCALE: { status: 400, kind: 'usage' },
  DECIMAL_SCALE_MISMATCH: { status: 400, kind: 'usage' },
  // identity and access: missing or wrong credentials are bad input from the caller
  UNAUTHENTICATED: { status: 401, kind: 'usage' },
  FORBIDDEN: { status: 403, kind: 'usage' },
  CSRF_MISSING: { status: 403, kind: 'usage' },
  INVALID_CREDENTIALS: { status: 401, kind: 'usage' },
  ACCOUNT_EXISTS: { status: 409, kind: 'usage' },
  // database
  DB_UNAVAILABLE: { status: 503, kind: 'usage' },
  DB_LOCKED: { status: 503, kind: 'usage' },
  DB_MIGRATION_FAILED: { status: 500, kind: 'internal' },
  DB_QUERY_FAILED: { status: 500, kind: 'internal' },
  // dev chain / rpc
  DEVCHAIN_START_FAILED: { status: 500, kind: 'usage' },
  RPC_REQUEST_FAILED: { status: 502, kind: 'negative' },
  // server / process
  PORT_IN_USE: { status: 500, kind: 'usage' },
  SERVER_UNREACHABLE: { status: 503, kind: 'usage' },
  // MPC wallet (threshold ECDSA). Every verifier check fails with its own code; `details.check`
  // names the exact check. None of these ever carries a share, nonce or Paillier secret.
  MPC_INVALID_MESSAGE: { status: 400, kind: 'usage' },
  MPC_SESSION_MISMATCH: { status: 400, kind: 'usage' },
  MPC_MESSAGE_REPLAYED: { status: 409, kind: 'usage' },
  MPC_INVALID_POINT: { status: 400, kind: 'usage' },
  MPC_INVALID_PARTY: { status: 400, kind: 'usage' },
  MPC_COMMITMENT_MISMATCH: { status: 400, kind: 'negative' },
  MPC_ECHO_MISMATCH: { status: 400, kind: 'negative' },
  MPC_FELDMAN_SHARE_INVALID: { status: 400, kind: 'negative' },
  MPC_SCHNORR_PROOF_INVALID: { status: 400, kind: 'negative' },
  MPC_PAILLIER_MODULUS_INVALID: { status: 400, kind: 'negative' },
  MPC_PAILLIER_CIPHERTEXT_INVALID: { status: 400, kind: 'negative' },
  MPC_PI_MOD_INVALID: { status: 400, kind: 'negative' },
  MPC_PI_FAC_INVALID: { status: 400, kind: 'negative' },
  MPC_PI_PRM_INVALID: { status: 400, kind: 'negative' },
  MPC_RING_PEDERSEN_INVALID: { status: 400, kind: 'negative' },
  MPC_KEY_CIPHERTEXT_PROOF_INVALID: { status: 400, kind: 'negative' },
  MPC_SIGN_PROOF_INVALID: { status: 400, kind: 'negative' },
  MPC_SIGNATURE_INVALID: { status: 400, kind: 'negative' },
  MPC_SIGNING_DISABLED: { status: 423, kind: 'negative' },
  MPC_PRESIGNATURE_CONSUMED: { status: 409, kind: 'usage' },
  MPC_KEY_MISMATCH: { status: 400, kind: 'negative' },
  MPC_BACKEND_SELF_TEST_FAILED: { status: 500, kind: 'internal' },
  MPC_BACKUP_WRONG_PASSWORD: { status: 401, kind: 'usage' },
  MPC_BACKUP_CORRUPT: { status: 400, kind: 'usage' },
  MPC_WEAK_PASSWORD: { status: 400, kind: 'usage' },
  MPC_BLIND_SIGNING_REFUSED: { status: 403, kind: 'usage' },
  MPC_WALLET_NOT_FOUND: { status: 404, kind: 'usage' },
  MPC_DEVICE_AUTH_FAILED: { status: 401, kind: 'usage' },
  MPC_REQUEST_REPLAYED: { status: 409, kind: 'usage' },
  // chains
  CHAIN_INVALID_TRANSACTION: { status: 400, kind: 'usage' },
  CHAIN_INVALID_TYPED_DATA: { status: 400, kind: 'usage' },
  CHAIN_SIGNATURE_MISMATCH: { status: 400, kind: 'negative' },
  // address labels
  LABELS_INVALID_ADDRESS: { status: 400, kind: 'usage' },
  LABELS_INVALID_DOMAIN: { status: 400, kind: 'usage' },
  LABELS_UNKNOWN_SOURCE: { status: 400, kind: 'usage' },
  LABELS_IMPORT_FAILED: { status: 400, kind: 'usage' },
  LABELS_INDEX_CORRUPT: { status: 500, kind: 'usage' },
  // risk engine (decoders, rules, simulation, firewall, co-signer)
  RISK_INVALID_REQUEST: { status: 400, kind: 'usage' },
  RISK_UNSUPPORTED_METHOD: { status: 400, kind: 'usage' },
  RISK_DECODE_FAILED: { status: 400, kind: 'usage' },
  RISK_SIMULATION_FAILED: { status: 502, kind: 'negative' },
  RISK_BLOCKED: { status: 403, kind: 'negative' },
  RISK_CONFIRMATION_REQUIRED: { status: 409, kind: 'negative' },
  RISK_POLICY_REFUSED: { status: 403, kind: 'negative' },
  // authorization management (approval discovery, annotation, revocation)
  APPROVALS_INVALID_REQUEST: { status: 400, kind: 'usage' },
  APPROVALS_RPC_FAILED: { status: 502, kind: 'negative' },
  APPROVALS_TOO_MUCH_ACTIVITY: { status: 502, kind: 'negative' },
  APPROVALS_REVOKE_FAILED: { status: 502, kind: 'negative' },
  // proof of reserves (liabilities tree, inclusion proofs, reserves)
  POR_INVALID_INPUT: { status: 400, kind: 'usage' },
  POR_PROOF_INVALID: { status: 400, kind: 'negative' },
  POR_SIGNATURE_INVALID: { status: 400, kind: 'negative' },
  POR_ROUND_NOT_FOUND: { status: 404, kind: 'usage' },
  // exchange (API keys, OKX-v5 authentication, reference ledger, anti-fraud). Gateway answers use
  // OKX's codes (`details.okxCode`); these are the typed errors behind them.
  EXCHANGE_INVALID_REQUEST: { status: 400, kind: 'usage' },
  EXCHANGE_AUTH_FAILED: { status: 401, kind: 'usage' },
  EXCHANGE_PERMISSION_DENIED: { status: 403, kind: 'usage' },
  EXCHANGE_RATE_LIMITED: { status: 429, kind: 'usage' },
  EXCHANGE_KEY_NOT_FOUND: { status: 404, kind: 'usage' },
  EXCHANGE_KEY_LIMIT: { status: 409, kind: 'usage' },
  EXCHANGE_KEY_FROZEN: { status: 423, kind: 'negative' },
  EXCHANGE_BROKER_NOT_FOUND: { status: 404, kind: 'usage' },
  EXCHANGE_MARKET_NOT_FOUND: { status: 404, kind: 'usage' },
  EXCHANGE_ORDER_NOT_FOUND: { status: 404, kind: 'usage' },
  EXCHANGE_INSUFFICIENT_FUNDS: { status: 400, kind: 'negative' },
  EXCHANGE_ADDRESS_NOT_ALLOWED: { status: 403, kind: 'negative' },
  EXCHANGE_ADDRESS_COOLING_OFF: { status: 403, kind: 'negative' },
  EXCHANGE_WITHDRAWALS_FROZEN: { status: 423, kind: 'negative' },
  EXCHANGE_RISK_BLOCKED: { status: 403, kind: 'negative' },
  // STARK engine. A rejected proof names the failed check in `details.reason`.
  STARK_INVALID_INPUT: { status: 400, kind: 'usage' },
  STARK_PROOF_INVALID: { status: 400, kind: 'negative' },
  STARK_SECURITY_TOO_LOW: { status: 400, kind: 'negative' },
  // last resort: a bug, never shown with internals
  INTERNAL: { status: 500, kind: 'internal' },
} as const satisfies Record<string, { status: number; kind: 'usage' | 'negative' | 'internal' }>;

export type ErrorCode = keyof typeof ErrorCodes;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

export type ErrorDetails = Readonly<Record<string, string | number | boolean | null>>;

export interface BaseErrorParameters {
  /** Structured, non-secret facts about the failure (field names, ids, limits). */
  details?: ErrorDetails;
  /** Lines telling the reader what to do next. */
  hints?: readonly string[];
  /** The error that caused this one; kept, never dropped. */
  cause?: unknown;
}

export class BaseError extends Error {
  override name = 'BaseError';
  readonly code: ErrorCode;
  readonly shortMessage: string;
  readonly details: ErrorDetails;
  readonly hints: readonly string[];

  constructor(code: ErrorCode, shortMessage: string, parameters: BaseErrorParameters = {}) {
    const { details = {}, hints = [], cause } = parameters;
    super(BaseError.#compose(shortMessage, details, hints), cause === undefined ? undefined : { cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = Object.freeze({ ...details });
    this.hints = Object.freeze([...hints]);
  }

  static #compose(shortMessage: string, details: ErrorDetails, hints: readonly string[]): string {
    const lines = [shortMessage];
    const entries = Object.entries(details);
    if (entries.length > 0) {
      lines.push('', ...entries.map(([k, v]) => `${k}: ${String(v)}`));
    }
    if (hints.length > 0) lines.push('', ...hints);
    return lines.join('\n');
  }

  /** HTTP status from the registry. */
  get status(): number {
    return ErrorCodes[this.code].status;
  }

  /**
   * Walks the `cause` chain. Without a predicate, returns the deepest cause (the root); with one,
   * returns the first error in the chain (this one included) that matches, or null.
   */
  walk(): unknown;
  walk(predicate: (error: unknown) => boolean): unknown;
  walk(predicate?: (error: unknown) => boolean): unknown {
    let last: unknown = this;
    for (const error of causeChain(this)) {
      if (predicate?.(error)) return error;
      last = error;
    }
    return predicate ? null : last;
  }

  /** The body the server sends and the CLI prints with `--json`: no stack, no cause internals. */
  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails; hints: readonly string[] } {
    return { code: this.code, message: this.shortMessage, details: this.details, hints: this.hints };
  }
}

/** Finds the first BaseError in an error's cause chain, or undefined. */
export function findBaseError(error: unknown): BaseError | undefined {
  for (const e of causeChain(error)) if (e instanceof BaseError) return e;
  return undefined;
}

/** An error and its causes, outermost first; stops at a non-Error cause's end or a cycle. */
function* causeChain(error: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let current = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    yield current;
    current = current instanceof Error ? current.cause : undefined;
  }
}
