import { describe, expect, it } from 'vitest';
import { kind, readTwice, skipReasons, tally } from '../testing/importers/helpers.js';
import { shipped, synthetic } from '../testing/importers/paths.js';
import { fortaAttacks, fortaFalsePositives } from './forta-starter-kits.js';

const day = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / 1000;

describe('forta-fp', () => {
  it('reads the shipped fp_list.csv: 1,416 rows of allow/benign on their chain', async () => {
    const batch = await readTwice(
      fortaFalsePositives,
      shipped('forta-starter-kits', 'scam-detector-py', 'fp_list.csv'),
    );
    expect(batch.rows).toEqual({ 'fp_list.csv': 1_416 });
    expect(batch.errors).toEqual([]);
    // 14 rows repeat an address on the same chain; chain ids padded with spaces and tabs are read.
    expect(batch.labels).toHaveLength(1_402);
    expect(skipReasons(batch)).toEqual({ duplicate: 14 });
    expect(new Set(batch.labels.map((l) => l.address)).size).toBe(1_297);
    expect(tally(batch.labels, kind)).toEqual({
      'allow/benign@1': 591,
      'allow/benign@137': 425,
      'allow/benign@56': 98,
      'allow/benign@250': 5,
      'allow/benign@10': 47,
      'allow/benign@43114': 4,
      'allow/benign@42161': 193,
      'allow/benign@5000': 38,
      'allow/benign@59144': 1,
    });
    expect(batch.labels.find((l) => l.address === '0x000000000022d473030f116ddee9f6b43ac78ba3')).toMatchObject({
      scope: 1,
      tier: 'allow',
      name: 'Uniswap Protocol: Permit2',
    });
  });

  it('reports bad rows, recovers from a stray quote, and lowercases checksummed addresses', async () => {
    const batch = await readTwice(fortaFalsePositives, synthetic('forta-starter-kits', 'fp_list.csv'));
    expect(batch.rows).toEqual({ 'fp_list.csv': 8 });
    expect(batch.errors).toEqual([
      { file: 'fp_list.csv', line: 5, message: 'chain_id: not a chain id ("abc")' },
      { file: 'fp_list.csv', line: 6, message: 'address: not an address ("0xnot")' },
      { file: 'fp_list.csv', line: 7, message: 'malformed CSV: Invalid Closing Quote' },
    ]);
    expect(batch.skipped).toEqual([{ file: 'fp_list.csv', line: 8, reason: 'duplicate' }]);
    expect(batch.labels.map((l) => [l.scope, l.name])).toEqual([
      [1, 'open sea relayer'],
      [1, 'Uniswap Protocol: Permit2'],
      [1, 'Wsteth token'],
      [137, 'weth token'],
    ]);
  });
});

describe('forta-attacks', () => {
  it('reads the shipped tp_list.csv: 306 attack rows (339 lines: cells span lines)', async () => {
    const batch = await readTwice(
      fortaAttacks,
      shipped('forta-starter-kits', 'early-attack-detector-py', 'tp_list.csv'),
    );
    expect(batch.rows).toEqual({ 'tp_list.csv': 306 });
    expect(batch.errors).toEqual([]);
    expect(batch.labels).toHaveLength(547);
    expect(tally(batch.labels, kind)).toEqual({
      'block/exploit@0': 403,
      'block/exploit@1': 69,
      'block/exploit@10': 7,
      'block/exploit@56': 47,
      'block/exploit@137': 3,
      'block/exploit@42161': 14,
      'block/exploit@43114': 4,
    });
    // Rows without an EVM address are skipped with a reason, as are three transaction hashes
    // pasted into the attack-contract column; 22 addresses repeat across attacks.
    expect(batch.skipped.filter((s) => s.reason !== 'duplicate').map((s) => [s.line, s.reason])).toEqual([
      [3, 'non-EVM network (Cosmos)'],
      [7, 'no EVM address'],
      [10, 'no EVM address'],
      [14, 'no EVM address'],
      [15, 'no EVM address'],
      [16, 'no EVM address'],
      [148, 'non-EVM network (Solana)'],
      [160, 'non-EVM network (Comdex)'],
      [161, 'no EVM address'],
      [174, 'no EVM address'],
      [175, 'no EVM address'],
      [182, 'no EVM address'],
      [183, 'no EVM address'],
      [
        191,
        'Attacker Smart Contracts: not an EVM address ("0x4425f757715e23d392cda666bc0492d9e5d5848ff89851a1821eab5ed12bb867")',
      ],
      [
        247,
        'Attacker Smart Contracts: not an EVM address ("0xd3cfde9265321cefd1e0dda4fd4162d23f305c7a830e200f207111b4b829c8d8")',
      ],
      [
        325,
        'Attacker Smart Contracts: not an EVM address ("0x3dec73c9cfac55b3c219d153a77048747c515f418f7c59a80ec205929d169828")',
      ],
    ]);
    expect(skipReasons(batch).duplicate).toBe(22);
    // A row naming three networks puts its attack contract on each of them.
    const pike = batch.labels.filter((l) => l.address === '0x1da4bc596bfb1087f2f7999b0340fcba03c47fbd');
    expect(pike.map((l) => [l.scope, l.name])).toEqual([
      [42161, 'PikeFinance'],
      [1, 'Pike (2)'],
      [10, 'Pike (2)'],
    ]);
  });

  it('splits multi-address cells, skips non-addresses with a reason, and reads CRLF lines right', async () => {
    const batch = await readTwice(fortaAttacks, synthetic('forta-starter-kits', 'tp_list.csv'));
    expect(batch.rows).toEqual({ 'tp_list.csv': 6 });
    expect(batch.errors).toEqual([]);
    expect(batch.labels.map((l) => [l.scope, l.address.slice(0, 6), l.name, l.firstSeen])).toEqual([
      [0, '0x7d19', 'Plain', day(2023, 2, 27)],
      [56, '0x1da4', 'Plain', day(2023, 2, 27)],
      [0, '0x1111', 'Several', day(2023, 3, 1)],
      [0, '0x2222', 'Several', day(2023, 3, 1)],
      [1, '0x3333', 'Several', day(2023, 3, 1)],
      [10, '0x3333', 'Several', day(2023, 3, 1)],
      [0, '0x5555', 'Bad date', 0],
    ]);
    expect(batch.skipped.map((s) => [s.line, s.reason])).toEqual([
      [
        3,
        'Attacker Smart Contracts: not an EVM address ("0x4425f757715e23d392cda666bc0492d9e5d5848ff89851a1821eab5ed12bb867")',
      ],
      [5, 'non-EVM network (Solana)'],
      [6, 'no EVM address'],
      [7, 'Attacker Smart Contracts: network "Unknown chain" is not a known EVM chain'],
      [8, 'duplicate'],
    ]);
  });

  it('fails with LABELS_IMPORT_FAILED on an unreadable path', async () => {
    await expect(fortaAttacks.read(synthetic('forta-starter-kits', 'nope.csv'))).rejects.toMatchObject({
      code: 'LABELS_IMPORT_FAILED',
    });
    // A directory is taken as a starter-kits checkout; this one has no sheet in it.
    await expect(fortaFalsePositives.read(synthetic('forta-starter-kits'))).rejects.toMatchObject({
      code: 'LABELS_IMPORT_FAILED',
    });
  });
});
