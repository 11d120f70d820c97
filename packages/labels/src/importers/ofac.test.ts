import { describe, expect, it } from 'vitest';
import { readTwice, skipReasons, tally } from '../testing/importers/helpers.js';
import { shipped, synthetic } from '../testing/importers/paths.js';
import { ofacB10C, ofacUltrasound } from './ofac.js';

describe('ofac-0xB10C', () => {
  it('reads the shipped lists: every EVM address once, naming all the assets it is listed under', async () => {
    const batch = await readTwice(ofacB10C, shipped('ofac-0xB10C'));
    expect(batch.snapshot).toEqual({ authority: 'ofac-sdn', asOf: '2024-09-27' });
    expect(batch.rows).toEqual({
      'sanctioned_addresses_ARB.txt': 1,
      'sanctioned_addresses_BSC.txt': 1,
      'sanctioned_addresses_ETC.txt': 1,
      'sanctioned_addresses_ETH.txt': 152,
      'sanctioned_addresses_TRX.txt': 6,
      'sanctioned_addresses_USDC.txt': 2,
      'sanctioned_addresses_USDT.txt': 26,
      'sanctioned_addresses_XBT.txt': 435,
      'sanctioned_addresses_ETH.json': 152,
    });
    // The ETH .json agrees with the .txt: a mismatch would be an error.
    expect(batch.errors).toEqual([]);
    // 165 EVM lines (ETH 152, USDT 8, USDC 2, ARB, BSC, ETC) hold 156 addresses. The USDT file
    // also lists Tron and Bitcoin addresses (18), skipped with TRX (6) and XBT (435).
    expect(batch.labels).toHaveLength(156);
    expect(skipReasons(batch)).toEqual({ duplicate: 9, 'non-EVM address': 459 });
    expect(tally(batch.labels, (l) => `${l.tier}/${l.category}@${l.scope}/${l.confidence}`)).toEqual({
      'block/sanctioned@0/100': 156,
    });
    const names = Object.fromEntries(batch.labels.map((l) => [l.address, l.name]));
    expect(names['0x4f47bc496083c727c5fbe3ce9cdf2b0f6496270c']).toBe('OFAC SDN (ARB, BSC, ETH)');
    expect(names['0x983a81ca6fb1e441266d2fbcb7d8e530ac2e05a2']).toBe('OFAC SDN (ETH, USDC, USDT)');
    expect(names['0x8589427373d6d84e98730d7795d8f6f8731fda16']).toBe('OFAC SDN (ETH)');
  });

  it('reports malformed lines and .json/.txt disagreements with their lines', async () => {
    const batch = await readTwice(ofacB10C, synthetic('ofac'));
    expect(batch.rows).toEqual({
      'sanctioned_addresses_BSC.txt': 1,
      'sanctioned_addresses_ETH.txt': 5,
      'sanctioned_addresses_XBT.txt': 2,
      'sanctioned_addresses_ETH.json': 3,
    });
    expect(batch.errors).toEqual([
      {
        file: 'sanctioned_addresses_ETH.txt',
        line: 3,
        message: '0x03893a7c7463ae47d46bc7f091665f1893656003 is not in sanctioned_addresses_ETH.json',
      },
      { file: 'sanctioned_addresses_ETH.txt', line: 4, message: 'malformed 0x address ("0x12345")' },
      {
        file: 'sanctioned_addresses_ETH.json',
        line: 4,
        message: '0x7f367cc41522ce07553e823bf3be79a889debe1b is not in sanctioned_addresses_ETH.txt',
      },
    ]);
    expect(batch.skipped).toEqual([
      { file: 'sanctioned_addresses_ETH.txt', line: 5, reason: 'non-EVM address' },
      { file: 'sanctioned_addresses_ETH.txt', line: 6, reason: 'duplicate' },
      { file: 'sanctioned_addresses_XBT.txt', line: 1, reason: 'non-EVM address' },
      { file: 'sanctioned_addresses_XBT.txt', line: 2, reason: 'non-EVM address' },
    ]);
    expect(batch.labels.map((l) => [l.address.slice(0, 10), l.name])).toEqual([
      ['0x4f47bc49', 'OFAC SDN (BSC, ETH)'],
      ['0x01e29196', 'OFAC SDN (ETH)'],
      ['0x03893a7c', 'OFAC SDN (ETH)'],
    ]);
  });

  it('fails with LABELS_IMPORT_FAILED without any list', async () => {
    await expect(ofacB10C.read(synthetic('nope'))).rejects.toMatchObject({ code: 'LABELS_IMPORT_FAILED' });
    await expect(ofacB10C.read(synthetic('ultrasound'))).rejects.toMatchObject({ code: 'LABELS_IMPORT_FAILED' });
  });
});

describe('ofac-ultrasoundmoney', () => {
  it('reads the shipped data.csv: 97 checksummed addresses, lowercased, named by SDN entity', async () => {
    const batch = await readTwice(ofacUltrasound, shipped('ofac-ultrasoundmoney'));
    expect(batch.snapshot).toEqual({ authority: 'ofac-sdn', asOf: '2026-06-25' });
    expect(batch.rows).toEqual({ 'data.csv': 97 });
    expect(batch.errors).toEqual([]);
    expect(batch.skipped).toEqual([]);
    expect(batch.labels).toHaveLength(97);
    expect(batch.labels[0]).toEqual({
      scope: 0,
      address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96',
      tier: 'block',
      category: 'sanctioned',
      name: 'LAZARUS GROUP',
      firstSeen: 0,
      confidence: 100,
      source: 'ofac-ultrasoundmoney',
      status: 'active',
    });
  });

  it('overlaps the 2024 extraction: 66 in both, 90 only in 0xB10C, 31 only here', async () => {
    const b10c = new Set((await ofacB10C.read(shipped('ofac-0xB10C'))).labels.map((l) => l.address));
    const ultra = new Set((await ofacUltrasound.read(shipped('ofac-ultrasoundmoney'))).labels.map((l) => l.address));
    expect([...b10c].filter((a) => ultra.has(a))).toHaveLength(66);
    expect([...b10c].filter((a) => !ultra.has(a))).toHaveLength(90);
    expect([...ultra].filter((a) => !b10c.has(a))).toHaveLength(31);
    // Tornado Cash: Donate, delisted in 2025, is only in the older extraction.
    expect(b10c.has('0x8589427373d6d84e98730d7795d8f6f8731fda16')).toBe(true);
    expect(ultra.has('0x8589427373d6d84e98730d7795d8f6f8731fda16')).toBe(false);
  });

  it('reports a bad address and a truncated line, and keeps the first of a case-variant repeat', async () => {
    const batch = await readTwice(ofacUltrasound, synthetic('ultrasound', 'data.csv'));
    expect(batch.rows).toEqual({ 'data.csv': 4 });
    expect(batch.errors).toEqual([
      { file: 'data.csv', line: 4, message: 'address: not an address ("0xnope")' },
      { file: 'data.csv', line: 5, message: 'malformed CSV: Quote Not Closed' },
    ]);
    expect(batch.skipped).toEqual([{ file: 'data.csv', line: 3, reason: 'duplicate' }]);
    expect(batch.labels.map((l) => [l.address, l.name])).toEqual([
      ['0x098b716b8aaf21512996dc57eb0615e2383e2f96', 'LAZARUS GROUP'],
    ]);
  });

  it('dates each snapshot, from the shipped copy or from --as-of for a fresh download', async () => {
    const shippedBatch = await ofacUltrasound.read(shipped('ofac-ultrasoundmoney', 'data.csv'));
    expect(shippedBatch.snapshot).toEqual({ authority: 'ofac-sdn', asOf: '2026-06-25' });
    const fresh = await ofacB10C.read(shipped('ofac-0xB10C'), { asOf: '2026-11-20' });
    expect(fresh.snapshot).toEqual({ authority: 'ofac-sdn', asOf: '2026-11-20' });
  });
});
