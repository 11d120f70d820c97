/**
 * Exact decimal amounts on bigint. An amount is an integer number of units at a declared scale
 * (`units * 10^-scale`): `"95088.55505656"` at scale 8 is 9508855505656 units. Parsing accepts only
 * the plain decimal grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?` — no exponents, no whitespace, no
 * leading `+` or `.` — and a string with more fractional digits than the scale is an error, never
 * rounded. There is no floating point anywhere in this module, and arithmetic between amounts of
 * different scales is refused rather than silently rescaled.
 */
import { assertInteger, describeValue } from './assert.js';
import { BaseError } from './errors.js';

/** Largest scale accepted: 10^77 already exceeds uint256, so nothing real needs more. */
export const MAX_DECIMAL_SCALE = 77;

const DECIMAL_RE = /^(-)?(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

export class Decimal {
  /** Integer number of `10^-scale` units; negative amounts are allowed. */
  readonly units: bigint;
  readonly scale: number;

  private constructor(units: bigint, scale: number) {
    this.units = units;
    this.scale = scale;
  }

  /** Parses a decimal string exactly at `scale`. `field` names the input in errors. */
  static parse(text: unknown, scale: number, field = 'amount'): Decimal {
    assertInteger(scale, `${field}.scale`, 0, MAX_DECIMAL_SCALE);
    if (typeof text !== 'string') {
      throw new BaseError('DECIMAL_PARSE', `"${field}" expected a decimal string, got ${describeValue(text)}`, {
        details: { field },
      });
    }
    const match = DECIMAL_RE.exec(text);
    if (match === null) {
      throw new BaseError(
        'DECIMAL_PARSE',
        `"${field}" expected a plain decimal such as "-0.1", got ${describeValue(text)}`,
        {
          details: { field },
          hints: ['Exponents, spaces, "+", and a leading or trailing "." are not accepted.'],
        },
      );
    }
    const [, sign, whole = '0', fraction = ''] = match;
    if (fraction.length > scale) {
      throw new BaseError(
        'DECIMAL_SCALE',
        `"${field}" has ${fraction.length} decimals, more than the scale ${scale}: ${describeValue(text)}`,
        { details: { field, scale, decimals: fraction.length }, hints: ['Amounts are never rounded.'] },
      );
    }
    const magnitude = BigInt(whole + fraction.padEnd(scale, '0'));
    return new Decimal(sign === '-' ? -magnitude : magnitude, scale);
  }

  static fromUnits(units: bigint, scale: number): Decimal {
    assertInteger(scale, 'scale', 0, MAX_DECIMAL_SCALE);
    if (typeof units !== 'bigint') {
      throw new BaseError('DECIMAL_PARSE', `"units" expected a bigint, got ${describeValue(units)}`);
    }
    return new Decimal(units, scale);
  }

  static zero(scale: number): Decimal {
    return Decimal.fromUnits(0n, scale);
  }

  /** The exact value with exactly `scale` fractional digits: `"-0.10000000"` at scale 8. */
  toFixed(): string {
    const negative = this.units < 0n;
    const digits = (negative ? -this.units : this.units).toString().padStart(this.scale + 1, '0');
    const whole = digits.slice(0, digits.length - this.scale);
    const fraction = digits.slice(digits.length - this.scale);
    return `${negative ? '-' : ''}${whole}${this.scale > 0 ? `.${fraction}` : ''}`;
  }

  /** The exact value with trailing fractional zeros dropped: `"-0.1"`, `"95088.55505656"`, `"3"`. */
  toString(): string {
    if (this.scale === 0) return this.units.toString();
    const negative = this.units < 0n;
    const digits = (negative ? -this.units : this.units).toString().padStart(this.scale + 1, '0');
    const point = digits.length - this.scale;
    let end = digits.length;
    while (end > point && digits.charCodeAt(end - 1) === 48 /* '0' */) end--;
    const fraction = end > point ? `.${digits.slice(point, end)}` : '';
    return `${negative ? '-' : ''}${digits.slice(0, point)}${fraction}`;
  }

  toJSON(): string {
    return this.toString();
  }

  isZero(): boolean {
    return this.units === 0n;
  }

  isNegative(): boolean {
    return this.units < 0n;
  }

  add(other: Decimal): Decimal {
    return new Decimal(this.units + this.#same(other, 'add').units, this.scale);
  }

  sub(other: Decimal): Decimal {
    return new Decimal(this.units - this.#same(other, 'sub').units, this.scale);
  }

  neg(): Decimal {
    return new Decimal(-this.units, this.scale);
  }

  /** -1, 0 or 1. */
  compare(other: Decimal): -1 | 0 | 1 {
    const o = this.#same(other, 'compare').units;
    return this.units < o ? -1 : this.units > o ? 1 : 0;
  }

  equals(other: Decimal): boolean {
    return this.scale === other.scale && this.units === other.units;
  }

  /** Re-expresses the amount at a larger (or equal) scale; going down would lose digits. */
  rescale(scale: number): Decimal {
    assertInteger(scale, 'scale', this.scale, MAX_DECIMAL_SCALE);
    return new Decimal(this.units * 10n ** BigInt(scale - this.scale), scale);
  }

  #same(other: Decimal, operation: string): Decimal {
    if (!(other instanceof Decimal) || other.scale !== this.scale) {
      throw new BaseError('DECIMAL_SCALE_MISMATCH', `cannot ${operation} amounts of different scales`, {
        details: { left: this.scale, right: other instanceof Decimal ? other.scale : -1 },
        hints: ['Rescale one side explicitly with rescale().'],
      });
    }
    return other;
  }
}
