/**
 * Amount arithmetic for the ledger, on integer units only. A price is `px` units at the market's
 * price scale (`ps`), a size `sz` units at the base scale (`bs`), a quote amount units at the
 * quote scale (`qs`): the exact value of px·sz is px·sz units at scale ps + bs, and its quote
 * amount is that truncated to qs digits. Both sides of a fill use the same truncated amount, so a
 * trade never creates or destroys a unit.
 */
import { BaseError, Decimal } from '@custos/core';

/** Parses an OKX-style decimal string (trailing fractional zeros allowed) into units at `scale`. */
export function parseUnits(text: unknown, scale: number, field: string): bigint {
  if (typeof text !== 'string') {
    throw new BaseError('EXCHANGE_INVALID_REQUEST', `"${field}" must be a decimal string`, { details: { field } });
  }
  const trimmed = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  try {
    return Decimal.parse(trimmed === '' ? text : trimmed, scale, field).units;
  } catch (cause) {
    throw new BaseError(
      'EXCHANGE_INVALID_REQUEST',
      `"${field}" must be a plain decimal with at most ${scale} decimals, got ${JSON.stringify(text.slice(0, 40))}`,
      { details: { field, scale }, cause },
    );
  }
}

/** Parses a strictly positive amount. */
export function parsePositive(text: unknown, scale: number, field: string): bigint {
  const units = parseUnits(text, scale, field);
  if (units <= 0n) {
    throw new BaseError('EXCHANGE_INVALID_REQUEST', `"${field}" must be greater than 0`, { details: { field } });
  }
  return units;
}

/** The canonical decimal string of `units` at `scale`: trailing fractional zeros dropped. */
export function format(units: bigint, scale: number): string {
  return Decimal.fromUnits(units, scale).toString();
}

/** The number of fractional digits a decimal string carries once trailing zeros are dropped. */
export function decimalsOf(text: string): number {
  const at = text.indexOf('.');
  if (at < 0) return 0;
  return text.slice(at + 1).replace(/0+$/, '').length;
}

export const pow10 = (n: number): bigint => 10n ** BigInt(n);

export function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a + b - 1n) / b;
}

/** The scales a market's arithmetic runs at. */
export interface Scales {
  /** Price scale. */
  ps: number;
  /** Base scale. */
  bs: number;
  /** Quote scale. */
  qs: number;
}

/** px·sz in quote units, truncated (what the buyer pays and the seller receives for a fill). */
export function quoteFloor(px: bigint, sz: bigint, s: Scales): bigint {
  return (px * sz * pow10(s.qs)) / pow10(s.ps + s.bs);
}

/** px·sz in quote units, rounded up (what a limit buy freezes). */
export function quoteCeil(px: bigint, sz: bigint, s: Scales): bigint {
  return ceilDiv(px * sz * pow10(s.qs), pow10(s.ps + s.bs));
}

/** The largest base size whose exact value at `px` is at most `quote` quote units. */
export function baseFor(quote: bigint, px: bigint, s: Scales): bigint {
  return (quote * pow10(s.ps + s.bs)) / (px * pow10(s.qs));
}

/** A fee of `bps` basis points on `amount`, rounded up (never more than the amount). */
export function feeOf(amount: bigint, bps: number): bigint {
  return ceilDiv(amount * BigInt(bps), 10_000n);
}

/** Truncates `sz` down to a multiple of `lot`. */
export function floorToLot(sz: bigint, lot: bigint): bigint {
  return sz - (sz % lot);
}

export function minOf(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}
