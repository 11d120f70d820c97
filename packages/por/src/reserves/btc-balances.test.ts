/**
 * The `address,balance` reader: exact 8-decimal amounts (no floats: 0.1 + 0.2 sums to exactly
 * 0.3), an optional header, blank lines, and line-numbered POR_INVALID_INPUT for everything that
 * would otherwise be guessed at — extra decimals, exponents, signs, duplicates.
 */
import { BaseError, Decimal } from '@custos/core';
import { describe, expect, it } from 'vitest';
import { parseBtcBalances } from './btc-balances.js';

const A = 'bc1q82aks5ft2at48wp0sa6rr5vtzutvgzr8azts6w8nlu0dqc2dx24qvzwspk';
const B = '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2';
const C = 'AB98NMrZQ48RAj7jRS7L7AcT6d8SCvu2Uq';

function parseError(text: string): BaseError {
  try {
    parseBtcBalances(text);
  } catch (error) {
    if (error instanceof BaseError) return error;
    throw error;
  }
  throw new Error('expected parseBtcBalances to throw');
}

describe('parseBtcBalances', () => {
  it('reads exact balances at 8 decimals, with a header, CRLF and blank lines', () => {
    const balances = parseBtcBalances(`address,balance\r\n${A},0.1\r\n\r\n${B}, 0.2 \r\n${C},21000000.00000001\r\n`);
    expect(balances.map((b) => [b.line, b.address, b.balance.toFixed()])).toEqual([
      [2, A, '0.10000000'],
      [4, B, '0.20000000'],
      [5, C, '21000000.00000001'],
    ]);
    const sum = balances.slice(0, 2).reduce((acc, b) => acc.add(b.balance), Decimal.zero(8));
    expect(sum.toString()).toBe('0.3');
  });

  it('accepts a file without a header and an empty file', () => {
    expect(parseBtcBalances(`${A},5`)[0]?.balance.units).toBe(500_000_000n);
    expect(parseBtcBalances('')).toEqual([]);
  });

  it('takes another scale when asked', () => {
    expect(parseBtcBalances(`${A},1.5`, { scale: 2 })[0]?.balance.toFixed()).toBe('1.50');
    expect(() => parseBtcBalances('', { scale: -1 })).toThrowError(
      expect.objectContaining({ code: 'POR_INVALID_INPUT' }),
    );
  });

  const cases: [string, string, RegExp][] = [
    ['more than 8 decimals', `${A},0.123456789`, /line 1: the balance "0.123456789" has more than 8 decimals/],
    ['an exponent', `${A},1e-8`, /line 1: the balance "1e-8" is not a plain non-negative decimal/],
    ['a negative balance', `${A},-1`, /line 1: .*not a plain non-negative decimal/],
    ['a leading plus', `${A},+1`, /line 1: .*not a plain non-negative decimal/],
    ['a thousands separator', `${A},1,000.5`, /line 1: expected "address,balance", got 3 cells/],
    ['a missing balance', `${A}`, /line 1: expected "address,balance", got 1 cells/],
    ['an address with spaces', `bc1q abc,1`, /line 1: "bc1q abc" is not an address/],
    [
      'a duplicate address',
      `address,balance\n${A},1\n${B},2\n${A},3`,
      new RegExp(`line 4: address ${A} is already listed on line 2`),
    ],
    ['a header in the middle', `${A},1\naddress,balance`, /line 2: "address" is not an address/],
  ];
  for (const [name, text, message] of cases) {
    it(`rejects ${name}`, () => {
      const error = parseError(text);
      expect(error.code).toBe('POR_INVALID_INPUT');
      expect(error.shortMessage).toMatch(message);
    });
  }
});
