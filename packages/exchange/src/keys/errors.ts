/**
 * OKX v5's error answers for the authentication layer and the few generic request errors a gateway
 * needs. The gateway sends `{ code, msg, data: [] }` with the listed HTTP status; `code` is a
 * string, as OKX sends it. Messages are OKX's own, so OKX client libraries recognise them.
 */

export interface OkxErrorEntry {
  readonly httpStatus: number;
  /** May hold `{placeholder}`s filled by `okxError`'s params (`{ip}`, `{param0}`). */
  readonly msg: string;
}

export const OKX_ERRORS = {
  '50000': { httpStatus: 400, msg: 'Body can not be empty' },
  '50001': { httpStatus: 503, msg: 'Service temporarily unavailable. Please try again later.' },
  '50002': { httpStatus: 400, msg: 'JSON syntax error' },
  '50011': {
    httpStatus: 429,
    msg: 'Rate limit reached. Please refer to API documentation and throttle requests accordingly.',
  },
  '50014': { httpStatus: 400, msg: 'Parameter {param0} can not be empty' },
  '50026': { httpStatus: 500, msg: 'System error. Try again later' },
  '50100': { httpStatus: 400, msg: 'API frozen, please contact customer service' },
  '50102': { httpStatus: 401, msg: 'Timestamp request expired' },
  '50103': { httpStatus: 401, msg: 'Request header OK-ACCESS-KEY cannot be empty' },
  '50104': { httpStatus: 401, msg: 'Request header OK-ACCESS-PASSPHRASE cannot be empty' },
  '50105': { httpStatus: 401, msg: 'OK-ACCESS-PASSPHRASE incorrect' },
  '50106': { httpStatus: 401, msg: 'Request header OK-ACCESS-SIGN cannot be empty' },
  '50107': { httpStatus: 401, msg: 'Request header OK-ACCESS-TIMESTAMP cannot be empty' },
  '50110': { httpStatus: 401, msg: "Your IP {ip} is not included in your API key's IP whitelist" },
  '50111': { httpStatus: 401, msg: 'Invalid OK-ACCESS-KEY' },
  '50112': { httpStatus: 401, msg: 'Invalid OK-ACCESS-TIMESTAMP' },
  '50113': { httpStatus: 401, msg: 'Invalid signature' },
  '50120': { httpStatus: 200, msg: "This API key doesn't have permission to use this function" },
} as const satisfies Record<string, OkxErrorEntry>;

export type OkxErrorCode = keyof typeof OKX_ERRORS;

/** The message of a 50113 answer to a correctly signed request that was already accepted. */
export const OKX_REPLAY_MSG = 'request replayed';

export interface OkxErrorParams {
  /** Fills `{ip}` (50110). */
  readonly ip?: string;
  /** Fills `{param0}` (50014). */
  readonly param0?: string;
  /** Replaces the table's message entirely (50113 with `OKX_REPLAY_MSG`). */
  readonly msg?: string;
}

export interface OkxErrorResponse {
  httpStatus: number;
  body: { code: OkxErrorCode; msg: string; data: [] };
}

export function isOkxErrorCode(value: unknown): value is OkxErrorCode {
  return typeof value === 'string' && Object.hasOwn(OKX_ERRORS, value);
}

/** The HTTP status and body of one OKX error answer. */
export function okxError(code: OkxErrorCode, params: OkxErrorParams = {}): OkxErrorResponse {
  const entry: OkxErrorEntry = OKX_ERRORS[code];
  const msg =
    params.msg ??
    entry.msg.replace(/\{(ip|param0)\}/g, (whole, name: 'ip' | 'param0') => {
      const value = params[name];
      return value === undefined ? whole : value;
    });
  return { httpStatus: entry.httpStatus, body: { code, msg, data: [] } };
}
