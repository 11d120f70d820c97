/**
 * Exact arithmetic between Decimal amounts of any scales, for the anti-fraud rules. `Decimal`
 * itself refuses to mix scales and has no multiplication; prices times sizes, depth sums and ratio
 * tests need both. Everything here is integer arithmetic on the units: products keep the sum of
 * the scales, sums and comparisons first lift both sides to the larger scale, and ratios are never
 * computed as fractions but tested by cross-multiplication (`a * 10000 > bps * b`), so a threshold
 * is exact to the last unit. The one rounding step, division, says which way it rounds.
 */
import { BaseError, Decimal, MAX_DECIMAL_SCALE } from '@custos/core';

/** Scale derived amounts (quantities from a quote budget, converted values) are kept at. */
export const VALUE_SCALE = 18;

const BPS = 10_000n;

/** Parses a plain decimal string at exactly as many decimals as it has; passes a Decimal through. */
export function toAmount(value: Decimal | string, field: string): Decimal {
  if (value instanceof Decimal) return value;
  const dot = typeof value === 'string' ? value.indexOf('.') : -1;
  const scale = dot < 0 ? 0 : value.length - dot - 1;
  return Decimal.parse(value, Math.min(scale, MAX_DECIMAL_SCALE), field);
}

/** Both amounts at the larger of their scales. */
function aligned(a: Decimal, b: Decimal): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.units, b.units, a.scale];
  if (a.scale > b.scale) return [a.units, b.units * 10n ** BigInt(a.scale - b.scale), a.scale];
  return [a.units * 10n ** BigInt(b.scale - a.scale), b.units, b.scale];
}

export function plus(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = aligned(a, b);
  return Decimal.fromUnits(x + y, scale);
}

export function minus(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = aligned(a, b);
  return Decimal.fromUnits(x - y, scale);
}

export function cmp(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function max(a: Decimal, b: Decimal): Decimal {
  return cmp(a, b) >= 0 ? a : b;
}

export function min(a: Decimal, b: Decimal): Decimal {
  return cmp(a, b) <= 0 ? a : b;
}

/** The larger of the amount and zero. */
export function positive(a: Decimal): Decimal {
  return a.units > 0n ? a : Decimal.zero(a.scale);
}

/** Rounds to `scale` decimals (up = toward +infinity, down = toward -infinity); exact when lifting. */
export function atScale(a: Decimal, scale: number, rounding: 'up' | 'down'): Decimal {
  if (scale >= a.scale) return a.rescale(scale);
  const factor = 10n ** BigInt(a.scale - scale);
  return Decimal.fromUnits(floorDiv(a.units, factor, rounding), scale);
}

/** The exact product (scale = sum of the scales), brought down to MAX_DECIMAL_SCALE by rounding up if needed. */
export function times(a: Decimal, b: Decimal): Decimal {
  const scale = a.scale + b.scale;
  if (scale <= MAX_DECIMAL_SCALE) return Decimal.fromUnits(a.units * b.units, scale);
  const factor = 10n ** BigInt(scale - MAX_DECIMAL_SCALE);
  return Decimal.fromUnits(floorDiv(a.units * b.units, factor, 'up'), MAX_DECIMAL_SCALE);
}

/** `a / b` at `scale` decimals, rounded as asked. */
export function divide(a: Decimal, b: Decimal, scale: number, rounding: 'up' | 'down'): Decimal {
  if (b.units === 0n) throw new BaseError('INTERNAL', 'division by a zero amount');
  // a.units/10^as / (b.units/10^bs) * 10^scale = a.units * 10^(scale + bs) / (b.units * 10^as)
  let numerator = a.units * 10n ** BigInt(scale + b.scale);
  let denominator = b.units * 10n ** BigInt(a.scale);
  if (denominator < 0n) {
    numerator = -numerator;
    denominator = -denominator;
  }
  return Decimal.fromUnits(floorDiv(numerator, denominator, rounding), scale);
}

/** `price * (10000 + bps) / 10000`, exact (four more decimals). `bps` may be negative. */
export function shiftBps(price: Decimal, bps: number): Decimal {
  return Decimal.fromUnits(price.units * (BPS + BigInt(bps)), price.scale + 4);
}

/** True when `part / whole` is strictly above `bps` basis points (`whole` > 0). */
export function aboveBps(part: Decimal, whole: Decimal, bps: number): boolean {
  const [x, y] = aligned(part, whole);
  return x * BPS > BigInt(bps) * y;
}

/** `part / whole` in whole basis points, rounded down, for reports; null when `whole` is not positive. */
export function ratioBps(part: Decimal, whole: Decimal): number | null {
  const [x, y] = aligned(part, whole);
  if (y <= 0n) return null;
  const bps = floorDiv(x * BPS, y, 'down');
  return Number(bps > 1_000_000_000n ? 1_000_000_000n : bps < -1_000_000_000n ? -1_000_000_000n : bps);
}

/** `(price - reference) / reference` in whole basis points, rounded down, for reports. */
export function premiumBps(price: Decimal, reference: Decimal): number | null {
  return ratioBps(minus(price, reference), reference);
}

function floorDiv(n: bigint, d: bigint, rounding: 'up' | 'down'): bigint {
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  // bigint division truncates toward zero; adjust to floor or ceiling.
  const negative = n < 0n !== d < 0n;
  if (rounding === 'down') return negative ? q - 1n : q;
  return negative ? q : q + 1n;
}

/** The text of an amount without trailing zeros, for findings and audit context. */
export function show(a: Decimal): string {
  return a.toString();
}
