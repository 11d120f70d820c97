import fc from 'fast-check';
import { formatUnits, parseUnits } from 'viem';
import { describe, expect, it } from 'vitest';
import { Decimal } from './decimal.js';
import { BaseError } from './errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof BaseError ? error.code : 'not-a-BaseError';
  }
  return undefined;
}

describe('Decimal.parse', () => {
  it('parses the OKX proof-of-reserves style balances exactly', () => {
    const btc = Decimal.parse('95088.55505656', 8);
    expect(btc.units).toBe(9508855505656n);
    expect(btc.toString()).toBe('95088.55505656');
    expect(btc.toFixed()).toBe('95088.55505656');
    const neg = Decimal.parse('-0.1', 8);
    expect(neg.units).toBe(-10000000n);
    expect(neg.toString()).toBe('-0.1');
    expect(neg.toFixed()).toBe('-0.10000000');
  });

  it('accepts fewer decimals than the scale and integers', () => {
    expect(Decimal.parse('3', 6).units).toBe(3000000n);
    expect(Decimal.parse('0', 0).toString()).toBe('0');
    expect(Decimal.parse('10', 0).toString()).toBe('10');
    expect(Decimal.parse('-0', 2).toString()).toBe('0');
    expect(Decimal.parse('1.50', 2).toString()).toBe('1.5');
  });

  it('refuses more decimals than the scale instead of rounding', () => {
    expect(codeOf(() => Decimal.parse('0.123', 2))).toBe('DECIMAL_SCALE');
    expect(codeOf(() => Decimal.parse('1.0', 0))).toBe('DECIMAL_SCALE');
    expect(() => Decimal.parse('0.123', 2, 'balances.BTC')).toThrow(
      /"balances.BTC" has 3 decimals, more than the scale 2/,
    );
  });

  it.each(['', ' 1', '1 ', '+1', '.5', '5.', '1e8', '1E-8', '0x10', '01', '--1', '1,000', 'NaN', 'Infinity', '١'])(
    'rejects the malformed string %j',
    (text) => {
      expect(codeOf(() => Decimal.parse(text, 8))).toBe('DECIMAL_PARSE');
    },
  );

  it('rejects non-strings and bad scales with the field named', () => {
    expect(() => Decimal.parse(1.5, 8, 'price')).toThrow(/"price" expected a decimal string, got 1.5/);
    expect(codeOf(() => Decimal.parse('1', -1))).toBe('INVALID_INPUT');
    expect(codeOf(() => Decimal.parse('1', 1.5))).toBe('INVALID_INPUT');
    expect(codeOf(() => Decimal.parse('1', 78))).toBe('INVALID_INPUT');
  });
});

describe('Decimal arithmetic', () => {
  it('adds, subtracts and compares at one scale', () => {
    const a = Decimal.parse('0.1', 8);
    const b = Decimal.parse('0.2', 8);
    expect(a.add(b).toString()).toBe('0.3');
    expect(a.sub(b).toString()).toBe('-0.1');
    expect(a.compare(b)).toBe(-1);
    expect(b.compare(a)).toBe(1);
    expect(a.compare(Decimal.parse('0.10', 8))).toBe(0);
    expect(a.neg().isNegative()).toBe(true);
    expect(a.sub(a).isZero()).toBe(true);
  });

  it('refuses to mix scales and rescales only upwards', () => {
    expect(codeOf(() => Decimal.parse('1', 8).add(Decimal.parse('1', 6)))).toBe('DECIMAL_SCALE_MISMATCH');
    expect(Decimal.parse('1.5', 6).rescale(18).units).toBe(1500000000000000000n);
    expect(codeOf(() => Decimal.parse('1.5', 6).rescale(2))).toBe('INVALID_INPUT');
  });
});

describe('Decimal properties (fast-check) and cross-check with viem', () => {
  const amount = fc.record({
    units: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
    scale: fc.integer({ min: 0, max: 30 }),
  });

  it('format then parse is the identity', () => {
    fc.assert(
      fc.property(amount, ({ units, scale }) => {
        const d = Decimal.fromUnits(units, scale);
        expect(Decimal.parse(d.toString(), scale).units).toBe(units);
        expect(Decimal.parse(d.toFixed(), scale).units).toBe(units);
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees with viem's parseUnits / formatUnits", () => {
    fc.assert(
      fc.property(amount, ({ units, scale }) => {
        const text = Decimal.fromUnits(units, scale).toString();
        expect(text).toBe(formatUnits(units, scale));
        expect(Decimal.parse(text, scale).units).toBe(parseUnits(text, scale));
      }),
      { numRuns: 2000 },
    );
  });

  it('addition is exact (no floating point drift)', () => {
    fc.assert(
      fc.property(amount, fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), ({ units, scale }, other) => {
        const sum = Decimal.fromUnits(units, scale).add(Decimal.fromUnits(other, scale));
        expect(sum.units).toBe(units + other);
      }),
      { numRuns: 1000 },
    );
  });
});
