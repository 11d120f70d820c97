/**
 * OKX v5 request signing: `OK-ACCESS-SIGN` is the Base64 of HMAC-SHA256 keyed with the secret key
 * (its UTF-8 bytes) over `timestamp + METHOD + requestPath + body`, where requestPath carries the
 * query string exactly as sent and body is the exact raw body ('' when there is none).
 */
import { createHmac } from 'node:crypto';

/** `OK-ACCESS-TIMESTAMP`: ISO-8601 UTC with exactly three fraction digits and `Z`. */
export const OKX_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The prehash string OKX signs. The method is upper-cased, everything else is used as given. */
export function okxPrehash(timestamp: string, method: string, requestPath: string, body: string): string {
  return `${timestamp}${method.toUpperCase()}${requestPath}${body}`;
}

/** The `OK-ACCESS-SIGN` value for one request (what a client sends; what the server expects). */
export function okxSign(secret: string, timestamp: string, method: string, requestPath: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(okxPrehash(timestamp, method, requestPath, body), 'utf8')
    .digest('base64');
}

/**
 * The instant an `OK-ACCESS-TIMESTAMP` names, in ms since the epoch, or null when it is not in the
 * strict form or names no real instant (month 13, February 30, hour 24...).
 */
export function parseOkxTimestamp(timestamp: string): number | null {
  if (!OKX_TIMESTAMP.test(timestamp)) return null;
  const ms = Date.parse(timestamp);
  if (!Number.isFinite(ms) || new Date(ms).toISOString() !== timestamp) return null;
  return ms;
}

/** The timestamp for an instant, in the form OKX requires (for clients and tests). */
export function okxTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}
