// Decimal parsing and formatting against viem's parseUnits/formatUnits (the baseline), on
// OKX-proof-of-reserves-shaped balances at scale 8.
import { formatUnits, parseUnits } from 'viem';
import { defineBench } from './bench.js';
import { Decimal } from './decimal.js';

function balances(size: number): string[] {
  const out: string[] = [];
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < size; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    const units = x % 10n ** 15n;
    out.push(formatUnits(i % 17 === 0 ? -units : units, 8));
  }
  return out;
}

const parse = defineBench({
  name: 'decimal-parse',
  description: 'parse exact decimal amounts at scale 8',
  baseline: 'viem parseUnits',
  size: { full: 100_000, smoke: 200 },
  unit: 'amount',
  cases: [
    {
      name: 'viem parseUnits',
      setup: balances,
      run: (input: string[]) => {
        let acc = 0n;
        for (const s of input) acc += parseUnits(s, 8);
        return acc;
      },
    },
    {
      name: 'Decimal.parse',
      setup: balances,
      run: (input: string[]) => {
        let acc = 0n;
        for (const s of input) acc += Decimal.parse(s, 8).units;
        return acc;
      },
    },
  ],
});

const format = defineBench({
  name: 'decimal-format',
  description: 'format exact decimal amounts at scale 8',
  baseline: 'viem formatUnits',
  size: { full: 100_000, smoke: 200 },
  unit: 'amount',
  cases: [
    {
      name: 'viem formatUnits',
      setup: (size: number) => balances(size).map((s) => parseUnits(s, 8)),
      run: (input: bigint[]) => {
        let n = 0;
        for (const u of input) n += formatUnits(u, 8).length;
        return n;
      },
    },
    {
      name: 'Decimal.toString',
      setup: (size: number) => balances(size).map((s) => Decimal.parse(s, 8)),
      run: (input: Decimal[]) => {
        let n = 0;
        for (const d of input) n += d.toString().length;
        return n;
      },
    },
  ],
});

export default [parse, format];
