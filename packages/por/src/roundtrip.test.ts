/**
 * The round-trip command (`npm run por:roundtrip`, `scripts/roundtrip.ts`) kept working at a small
 * size: generate, build, re-sum the CSV independently, verify the signed root and a random sample
 * of proofs. Its comparisons must catch a total off by one unit and a malformed or over-precise
 * balance.
 */
import { describe, expect, it } from 'vitest';
import { compareTotals, parseHeader, parseUnits, randomRows, runRoundTrip } from '../scripts/roundtrip.js';

describe('the por round trip', () => {
  it('passes end to end at 2,000 users × 22 assets (200 sampled proofs)', async () => {
    const report = await runRoundTrip({ users: 2_000, assets: 22, sample: 200 });
    expect(report).toMatchObject({
      users: 2_000,
      assets: 22,
      rowsRead: 2_000,
      rootSignatureVerified: true,
      totalsEqual: true,
      totalMismatches: [],
      generatorTotalsEqual: true,
      sampleSize: 200,
      verified: 200,
      balancesEqual: 200,
      proofFailures: [],
      notFoundOk: true,
      height: 11, // ⌈log2 2,000⌉
      ok: true,
    });
    expect(report.totals).toHaveLength(22);
    expect(report.roundDirBytes).toBeGreaterThan(report.treeBytes);
  });

  it('reports a total that differs from the independent sum by one unit', () => {
    const assets = parseHeader('user_id,BTC:8,USDT:6,SHIB:0');
    const sums = [150_000_000n, 1_000_000n, 7n];
    expect(compareTotals(assets, ['1.5', '1', '7'], sums)).toEqual([]);
    expect(compareTotals(assets, ['1.50000001', '1', '7'], sums)).toEqual([
      { asset: 0, symbol: 'BTC', root: '1.50000001', independent: '150000000' },
    ]);
    expect(compareTotals(assets, ['1.5', '1', '7'], [150_000_000n, 1_000_000n, 8n])).toMatchObject([
      { symbol: 'SHIB' },
    ]);
  });

  it('parses balances exactly at their scale and refuses anything else', () => {
    expect(parseUnits('0', 8)).toBe(0n);
    expect(parseUnits('1.5', 8)).toBe(150_000_000n);
    expect(parseUnits('18446744073709551615', 0)).toBe(2n ** 64n - 1n);
    for (const bad of ['1.123456789', '-1', '01', '1e3', '', '1.', ' 1']) expect(() => parseUnits(bad, 8)).toThrow();
    expect(() => parseHeader('id,BTC:8')).toThrow();
  });

  it('draws distinct sample rows over the whole range', () => {
    const rows = randomRows(10, 10);
    expect([...rows].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(randomRows(1_000_000, 1_000).size).toBe(1_000);
  });
});
