import { describe, expect, it } from 'vitest';
import { BatchBuilder, parseDay, parseTimestamp } from './util.js';

describe('parseDay', () => {
  it('reads ISO days and the US spreadsheet forms, at 00:00 UTC', () => {
    expect(parseDay('2018-11-06')).toBe(Date.UTC(2018, 10, 6) / 1000);
    expect(parseDay('2/23/2023')).toBe(Date.UTC(2023, 1, 23) / 1000);
    expect(parseDay('7/22/17')).toBe(Date.UTC(2017, 6, 22) / 1000);
  });

  it('refuses days that do not exist and other text', () => {
    expect(parseDay('2023-02-30')).toBeNull();
    expect(parseDay('13/1/2023')).toBeNull();
    expect(parseDay('')).toBeNull();
    expect(parseDay('yesterday')).toBeNull();
  });
});

describe('parseTimestamp', () => {
  it('reads unix seconds, ISO days and ISO date-times with a zone', () => {
    expect(parseTimestamp('1690000000')).toBe(1690000000);
    expect(parseTimestamp('2023-07-22')).toBe(Date.UTC(2023, 6, 22) / 1000);
    expect(parseTimestamp('2023-07-22T10:00:00Z')).toBe(Date.UTC(2023, 6, 22, 10) / 1000);
    expect(parseTimestamp('2023-07-22T12:00+02:00')).toBe(Date.UTC(2023, 6, 22, 10) / 1000);
  });

  it('refuses zone-less times, impossible dates and other text', () => {
    expect(parseTimestamp('2023-07-22T10:00:00')).toBeNull();
    expect(parseTimestamp('2023-02-30T10:00:00Z')).toBeNull();
    expect(parseTimestamp('-5')).toBeNull();
    expect(parseTimestamp('soon')).toBeNull();
  });
});

describe('BatchBuilder', () => {
  const label = {
    scope: 0,
    address: '0x0000000000000000000000000000000000000001',
    tier: 'block',
    category: 'scam',
    name: 'first',
    firstSeen: 0,
    confidence: 50,
  } as const;

  it('keeps the first label per (scope, address, category) and reports later ones as duplicates', () => {
    const batch = new BatchBuilder('src');
    batch.addRows('f', 4);
    expect(batch.label(label, { file: 'f', line: 1 })).toBe(true);
    expect(batch.label({ ...label, name: 'second', tier: 'gray' }, { file: 'f', line: 2 })).toBe(false);
    expect(batch.label({ ...label, scope: 1 }, { file: 'f', line: 3 })).toBe(true);
    expect(batch.label({ ...label, category: 'phishing' }, { file: 'f', line: 4 })).toBe(true);
    const built = batch.build();
    expect(built.labels.map((l) => [l.scope, l.category, l.name, l.source, l.status])).toEqual([
      [0, 'scam', 'first', 'src', 'active'],
      [1, 'scam', 'first', 'src', 'active'],
      [0, 'phishing', 'first', 'src', 'active'],
    ]);
    expect(built.skipped).toEqual([{ file: 'f', line: 2, reason: 'duplicate' }]);
    expect(built.rows).toEqual({ f: 4 });
  });
});
