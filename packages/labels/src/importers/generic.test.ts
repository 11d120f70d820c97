import { describe, expect, it } from 'vitest';
import { readTwice } from '../testing/importers/helpers.js';
import { synthetic } from '../testing/importers/paths.js';
import { genericCsv, genericJson } from './generic.js';

const day = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / 1000;

/** The fields the generic formats set, in a compact form. */
function summary(labels: readonly { scope: number; address: string; tier: string; category: string }[]) {
  return labels.map((l) => [l.scope, l.address.slice(-4), l.tier, l.category]);
}

describe('generic-csv', () => {
  it('reads every field, applies the defaults, lowercases addresses, ignores unknown columns', async () => {
    const batch = await readTwice(genericCsv, synthetic('generic', 'labels.csv'));
    expect(batch.source).toBe('generic');
    expect(batch.rows).toEqual({ 'labels.csv': 4 });
    expect(batch.errors).toEqual([]);
    expect(batch.labels).toEqual([
      {
        scope: 0,
        address: '0xabc0000000000000000000000000000000000001',
        tier: 'block',
        category: 'phishing',
        name: 'Phishing kit',
        firstSeen: day(2024, 1, 2),
        confidence: 90,
        source: 'generic',
        status: 'active',
      },
      {
        scope: 137,
        address: '0x00000000000000000000000000000000000000aa',
        tier: 'allow',
        category: 'exchange',
        name: 'Exchange hot wallet',
        firstSeen: 1_700_000_000,
        confidence: 50,
        source: 'generic',
        status: 'active',
      },
      {
        scope: 1,
        address: '0x0000000000000000000000000000000000000002',
        tier: 'gray',
        category: 'other',
        name: '',
        firstSeen: 0,
        confidence: 50,
        source: 'generic',
        status: 'active',
      },
      {
        scope: 56,
        address: '0x0000000000000000000000000000000000000003',
        tier: 'gray',
        category: 'mixer',
        name: 'Name, with comma',
        firstSeen: Date.UTC(2024, 0, 2, 3, 4, 5) / 1000,
        confidence: 0,
        source: 'generic',
        status: 'active',
      },
    ]);
  });

  it('takes the source id and default scope from the options, and reads chain_id', async () => {
    const batch = await genericCsv.read(synthetic('generic', 'chain-id.csv'), {
      sourceId: 'my-list',
      defaultScope: 137,
    });
    expect(batch.source).toBe('my-list');
    expect(batch.labels.map((l) => [l.source, l.scope, l.tier])).toEqual([
      ['my-list', 10, 'block'],
      ['my-list', 137, 'allow'],
    ]);
  });

  it('reports every invalid cell with its line, leaves the row out, keeps the good rows', async () => {
    const batch = await readTwice(genericCsv, synthetic('generic', 'malformed.csv'));
    expect(batch.rows).toEqual({ 'malformed.csv': 12 });
    expect(batch.errors).toEqual([
      { file: 'malformed.csv', line: 3, message: 'address: not an address ("0xnot-an-address")' },
      { file: 'malformed.csv', line: 4, message: 'tier: expected allow, gray or block, got "deny"' },
      { file: 'malformed.csv', line: 5, message: 'category: not a lowercase slug ("Not A Slug!")' },
      { file: 'malformed.csv', line: 6, message: 'scope: expected "evm" or a chain id, got "mainnet"' },
      { file: 'malformed.csv', line: 7, message: 'confidence: expected an integer 0-100, got "101"' },
      {
        file: 'malformed.csv',
        line: 8,
        message: 'first_seen: expected unix seconds or an ISO date, got "next tuesday"',
      },
      { file: 'malformed.csv', line: 9, message: 'expected 7 fields, found 4' },
      { file: 'malformed.csv', line: 10, message: 'address: not an address ("0xzz")' },
      { file: 'malformed.csv', line: 10, message: 'tier: expected allow, gray or block, got "deny"' },
      { file: 'malformed.csv', line: 11, message: 'malformed CSV: Invalid Closing Quote' },
    ]);
    expect(batch.skipped).toEqual([{ file: 'malformed.csv', line: 13, reason: 'duplicate' }]);
    expect(batch.labels.map((l) => l.name)).toEqual(['good before', 'good after']);
  });

  it('reports a header without an address column', async () => {
    const batch = await genericCsv.read(synthetic('generic', 'no-address-column.csv'));
    expect(batch.errors).toEqual([{ file: 'no-address-column.csv', line: 1, message: 'missing column(s): address' }]);
    expect(batch.labels).toEqual([]);
  });

  it('fails with LABELS_IMPORT_FAILED on an unreadable path', async () => {
    await expect(genericCsv.read(synthetic('generic', 'missing.csv'))).rejects.toMatchObject({
      code: 'LABELS_IMPORT_FAILED',
    });
    await expect(genericCsv.read(synthetic('generic'))).rejects.toMatchObject({ code: 'LABELS_IMPORT_FAILED' });
  });
});

describe('generic-json', () => {
  it('reads the same fields from an array of objects, numbers included', async () => {
    const batch = await readTwice(genericJson, synthetic('generic', 'labels.json'));
    expect(batch.rows).toEqual({ 'labels.json': 3 });
    expect(batch.errors).toEqual([]);
    expect(summary(batch.labels)).toEqual([
      [0, '0001', 'block', 'phishing'],
      [137, '00aa', 'allow', 'exchange'],
      [1, '0002', 'gray', 'other'],
    ]);
    expect(batch.labels.map((l) => [l.firstSeen, l.confidence])).toEqual([
      [day(2024, 1, 2), 90],
      [1_700_000_000, 50],
      [0, 50],
    ]);
  });

  it('reports bad elements at the line they start on and keeps the good ones', async () => {
    const batch = await readTwice(genericJson, synthetic('generic', 'malformed.json'));
    expect(batch.rows).toEqual({ 'malformed.json': 7 });
    expect(batch.errors.map((e) => [e.line, e.message.slice(0, 26)])).toEqual([
      [3, 'tier: expected allow, gray'],
      [4, 'malformed JSON: Unexpected'],
      [5, 'expected an object'],
      [6, 'confidence: expected a str'],
    ]);
    expect(summary(batch.labels)).toEqual([
      [1, '0001', 'block', 'other'],
      [0, '0006', 'gray', 'other'],
      [1, '0007', 'block', 'other'],
    ]);
  });

  it('reports a file that is not JSON as one error at line 1', async () => {
    const batch = await genericJson.read(synthetic('generic', 'not-json.json'));
    expect(batch.errors).toEqual([{ file: 'not-json.json', line: 1, message: 'expected a JSON array' }]);
    expect(batch.rows).toEqual({ 'not-json.json': 0 });
  });
});
