/**
 * Per-asset reserve ratios: reserves ÷ liabilities as a percentage, computed on the exact integers
 * behind the `Decimal` amounts (any scales on either side) and rounded DOWN (truncated) to two
 * decimal places — never up, so a ratio printed as `100.00 %` always means the reserves cover the
 * liabilities in full, and 99.999 % prints as `99.99 %`. Assets present on one side only are
 * reported, not dropped, and an asset with zero liabilities gets no ratio (it is undefined), only
 * `status: 'zero-liabilities'`. Rows are sorted by asset name.
 */
import { BaseError, Decimal, describeValue } from '@custos/core';

export type ReserveRatioStatus =
  /** Both sides present, liabilities above zero: `ratio` is set. */
  | 'ok'
  /** Reserves are listed for an asset with no liabilities entry. */
  | 'missing-liabilities'
  /** Liabilities are listed for an asset with no reserves entry. */
  | 'missing-reserves'
  /** Liabilities are exactly zero: the ratio is undefined. */
  | 'zero-liabilities';

export interface ReserveRatioRow {
  readonly asset: string;
  readonly liabilities: Decimal | null;
  readonly reserves: Decimal | null;
  /** `"102.00 %"`: the percentage truncated to two decimals; null unless `status` is `ok`. */
  readonly ratio: string | null;
  /** The same percentage as a `Decimal` at scale 2. */
  readonly ratioPercent: Decimal | null;
  /** Reserves ≥ liabilities, compared exactly; null when a side is missing. */
  readonly covered: boolean | null;
  readonly status: ReserveRatioStatus;
}

export interface ReserveRatiosParameters {
  readonly liabilities: Readonly<Record<string, Decimal>>;
  readonly reserves: Readonly<Record<string, Decimal>>;
}

function checkAmounts(side: string, amounts: unknown): Readonly<Record<string, Decimal>> {
  if (amounts === null || typeof amounts !== 'object' || Array.isArray(amounts)) {
    throw new BaseError(
      'POR_INVALID_INPUT',
      `"${side}" expected an object of Decimal amounts, got ${describeValue(amounts)}`,
      {
        details: { field: side },
      },
    );
  }
  for (const [asset, amount] of Object.entries(amounts)) {
    if (!(amount instanceof Decimal) || amount.isNegative()) {
      throw new BaseError('POR_INVALID_INPUT', `"${side}.${asset}" expected a non-negative Decimal`, {
        details: { field: `${side}.${asset}` },
      });
    }
  }
  return amounts as Readonly<Record<string, Decimal>>;
}

/** floor(reserves / liabilities × 10 000) as the integer number of hundredths of a percent. */
function hundredthsOfPercent(reserves: Decimal, liabilities: Decimal): bigint {
  // r = R·10^-sr, l = L·10^-sl  ⇒  r/l·10^4 = R·10^sl·10^4 / (L·10^sr); bigint division truncates,
  // which for non-negative values is rounding down.
  return (reserves.units * 10n ** BigInt(liabilities.scale + 4)) / (liabilities.units * 10n ** BigInt(reserves.scale));
}

function compareExact(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const scale = Math.max(a.scale, b.scale);
  return a.rescale(scale).compare(b.rescale(scale));
}

/**
 * Computes reserve ratios per asset.
 *
 * @returns One row per asset in either input, sorted by asset.
 * @throws {BaseError} `POR_INVALID_INPUT` when an amount is not a `Decimal` or is negative.
 */
export function reserveRatios(parameters: ReserveRatiosParameters): readonly ReserveRatioRow[] {
  const liabilities = checkAmounts('liabilities', parameters?.liabilities);
  const reserves = checkAmounts('reserves', parameters?.reserves);
  const assets = [...new Set([...Object.keys(liabilities), ...Object.keys(reserves)])].sort();
  return assets.map((asset): ReserveRatioRow => {
    const owed = Object.hasOwn(liabilities, asset) ? (liabilities[asset] as Decimal) : null;
    const held = Object.hasOwn(reserves, asset) ? (reserves[asset] as Decimal) : null;
    const base = { asset, liabilities: owed, reserves: held, ratio: null, ratioPercent: null };
    if (owed === null) return { ...base, covered: null, status: 'missing-liabilities' };
    if (held === null) return { ...base, covered: null, status: 'missing-reserves' };
    if (owed.isZero()) return { ...base, covered: true, status: 'zero-liabilities' };
    const percent = Decimal.fromUnits(hundredthsOfPercent(held, owed), 2);
    return {
      ...base,
      ratio: `${percent.toFixed()} %`,
      ratioPercent: percent,
      covered: compareExact(held, owed) >= 0,
      status: 'ok',
    };
  });
}
