/**
 * Reserve ratios on exact decimals: any scales on either side, truncation (never rounding up) to
 * two places, assets missing on one side reported, zero liabilities without a ratio, and bad
 * input refused.
 */
import { Decimal } from '@custos/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reserveRatios } from './ratios.js';

const d = (text: string, scale = 8) => Decimal.parse(text, scale);

describe('reserveRatios', () => {
  it('computes the percentage exactly and truncates it to two places', () => {
    const rows = reserveRatios({
      liabilities: { BTC: d('100'), ETH: d('3', 18), USDT: d('1000000', 6) },
      reserves: { BTC: d('102'), ETH: d('2', 4), USDT: d('999999.999999', 6) },
    });
    expect(rows.map((r) => [r.asset, r.ratio, r.covered, r.status])).toEqual([
      ['BTC', '102.00 %', true, 'ok'],
      // 66.666… %: truncated, not rounded to 66.67.
      ['ETH', '66.66 %', false, 'ok'],
      // 99.9999999 %: shown as 99.99 %, never as 100.00 %.
      ['USDT', '99.99 %', false, 'ok'],
    ]);
    expect(rows[0]?.ratioPercent?.equals(Decimal.parse('102', 2))).toBe(true);
  });

  it('shows 100.00 % only when the reserves cover the liabilities exactly or more', () => {
    const [exact] = reserveRatios({ liabilities: { X: d('0.00000003') }, reserves: { X: d('0.00000003') } });
    expect(exact).toMatchObject({ ratio: '100.00 %', covered: true });
    const [short] = reserveRatios({ liabilities: { X: d('1') }, reserves: { X: d('0.99999999') } });
    expect(short).toMatchObject({ ratio: '99.99 %', covered: false });
  });

  it('prints large ratios and tiny ones', () => {
    const [big, tiny] = reserveRatios({
      liabilities: { A: d('0.00000001'), B: d('1000000') },
      reserves: { A: d('1000'), B: d('0.00000001') },
    });
    expect(big?.ratio).toBe('10000000000000.00 %');
    expect(tiny?.ratio).toBe('0.00 %');
  });

  it('reports assets missing on either side and zero liabilities, without a ratio', () => {
    const rows = reserveRatios({
      liabilities: { BTC: d('1'), SOL: d('0'), USDC: d('5') },
      reserves: { BTC: d('1'), SOL: d('3'), DOGE: d('7') },
    });
    expect(
      rows.map((r) => [
        r.asset,
        r.status,
        r.ratio,
        r.covered,
        r.liabilities?.toString() ?? null,
        r.reserves?.toString() ?? null,
      ]),
    ).toEqual([
      ['BTC', 'ok', '100.00 %', true, '1', '1'],
      ['DOGE', 'missing-liabilities', null, null, null, '7'],
      ['SOL', 'zero-liabilities', null, true, '0', '3'],
      ['USDC', 'missing-reserves', null, null, '5', null],
    ]);
  });

  it('agrees with reserves × 10 000 ÷ liabilities on random amounts at random scales', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 30n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.integer({ min: 0, max: 18 }),
        fc.integer({ min: 0, max: 18 }),
        (l, r, ls, rs) => {
          const [row] = reserveRatios({
            liabilities: { X: Decimal.fromUnits(l, ls) },
            reserves: { X: Decimal.fromUnits(r, rs) },
          });
          const hundredths = row?.ratioPercent?.units as bigint;
          // hundredths ≤ r/l·10^4 < hundredths + 1, cross-multiplied to stay in integers.
          const lhs = r * 10n ** BigInt(ls + 4);
          const den = l * 10n ** BigInt(rs);
          expect(hundredths * den <= lhs && lhs < (hundredths + 1n) * den).toBe(true);
          expect(row?.covered).toBe(r * 10n ** BigInt(ls) >= l * 10n ** BigInt(rs));
        },
      ),
    );
  });

  it('refuses negative amounts and non-Decimal values', () => {
    expect(() => reserveRatios({ liabilities: { X: d('-1') }, reserves: {} })).toThrowError(
      expect.objectContaining({ code: 'POR_INVALID_INPUT', details: { field: 'liabilities.X' } }),
    );
    expect(() => reserveRatios({ liabilities: {}, reserves: { X: 5 as unknown as Decimal } })).toThrowError(
      expect.objectContaining({ code: 'POR_INVALID_INPUT' }),
    );
    expect(() => reserveRatios({ liabilities: null as never, reserves: {} })).toThrowError(
      expect.objectContaining({ code: 'POR_INVALID_INPUT' }),
    );
  });
});
