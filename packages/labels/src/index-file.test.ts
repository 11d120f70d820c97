import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBaseError } from '@custos/core';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketBitsFor, bytesToAddress, ENTRY_SIZE, IndexBuilder, LabelIndex } from './index-file.js';
import { EVM_FAMILY } from './model.js';
import type { IndexLabel } from './record.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-labels-index-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function label(overrides: Partial<IndexLabel> = {}): IndexLabel {
  return {
    scope: EVM_FAMILY,
    tier: 'block',
    category: 'phishing',
    name: 'Fake_Phishing1',
    source: 'test-source',
    firstSeen: 1_700_000_000,
    confidence: 90,
    status: 'active',
    ...overrides,
  };
}

function sortedAddresses(n: number): Uint8Array[] {
  const list = Array.from({ length: n }, () => new Uint8Array(randomBytes(20)));
  list.sort((a, b) => Buffer.compare(a, b));
  return list.filter((a, i) => i === 0 || Buffer.compare(a, list[i - 1] as Uint8Array) !== 0);
}

describe('compiled label index (20,000 random addresses plus adversarial neighbours)', async () => {
  const path = join(dir, 'random.clx');
  const stored = sortedAddresses(20_000);
  // Adversarial neighbours: addresses sharing the first 6 bytes (bucket and fingerprint) with a
  // stored one but differing later — what a GPU grinding a look-alike would produce.
  const neighbours = stored.slice(0, 200).map((a) => {
    const b = new Uint8Array(a);
    b[19] = ((b[19] as number) ^ 0x01) as number;
    return b;
  });
  const storedSet = new Set(stored.map((a) => bytesToAddress(a)));
  const longName = 'A very long label name that cannot sit inline in a 64-byte entry, so it spills';
  const builder = new IndexBuilder(path, { trust: { 'test-source': 'curated' } });
  stored.forEach((a, i) => {
    const labels = [label({ name: i % 10 === 0 ? longName : `n${i}` })];
    if (i % 3 === 0) labels.push(label({ scope: 1, tier: 'allow', category: 'exchange', name: 'Exchange' }));
    builder.add(a, labels);
  });
  const stats = await builder.finish();
  const index = LabelIndex.open(path);
  afterAll(() => index.close());

  it('reports its build and keeps only directory and fingerprints in memory', () => {
    expect(stats.addresses).toBe(stored.length);
    expect(stats.spilledRecords).toBe(Math.ceil(stored.length / 10));
    expect(stats.bucketBits).toBe(bucketBitsFor(stored.length));
    expect(statSync(path).size).toBe(stats.fileBytes);
    expect(index.residentBytes).toBe((2 ** stats.bucketBits + 1) * 4 + stored.length * 2);
    expect(index.residentBytes / stored.length).toBeLessThan(4);
  });

  it('finds every stored address with its labels, inline and spilled', () => {
    stored.forEach((a, i) => {
      const hit = index.find(a);
      expect(hit?.address).toBe(bytesToAddress(a));
      expect(hit?.labels[0]?.name).toBe(i % 10 === 0 ? longName : `n${i}`);
      expect(hit?.labels.length).toBe(i % 3 === 0 ? 2 : 1);
    });
  });

  it('answers random misses without false positives (every candidate confirmed on disk)', () => {
    let misses = 0;
    for (const a of sortedAddresses(5_000)) {
      if (storedSet.has(bytesToAddress(a))) continue;
      expect(index.find(a)).toBeNull();
      misses++;
    }
    expect(misses).toBeGreaterThan(4_900);
  });

  it('rejects look-alikes that share bucket and fingerprint bits, after reading the entry', () => {
    const before = index.diskReads;
    for (const n of neighbours) {
      if (storedSet.has(bytesToAddress(n))) continue;
      expect(index.find(n)).toBeNull();
    }
    // Each neighbour matched a fingerprint, so each was confirmed against the full address.
    expect(index.diskReads - before).toBeGreaterThanOrEqual(neighbours.length - 1);
  });

  it('accepts any case and an optional 0x, and filters by scope', () => {
    const a = bytesToAddress(stored[3] as Uint8Array);
    expect(index.find(a.toUpperCase().replace('0X', '0x'))?.labels.length).toBe(2);
    expect(index.find(a.slice(2))?.address).toBe(a);
    expect(index.find(a, (scope) => scope === EVM_FAMILY)?.labels.map((l) => l.scope)).toEqual([EVM_FAMILY]);
    expect(index.find('0x1234')).toBeNull();
  });
});

describe('index builder input and file integrity', () => {
  it('refuses unsorted or duplicate input and leaves no file behind', () => {
    const path = join(dir, 'unsorted.clx');
    const b = new IndexBuilder(path, { trust: {} });
    b.add(`0x${'22'.repeat(20)}`, [label()]);
    expect(() => b.add(`0x${'22'.repeat(20)}`, [label()])).toThrow(/strictly increasing/);
    expect(() => b.add(`0x${'11'.repeat(20)}`, [label()])).toThrow(/strictly increasing/);
    expect(() => b.add(`0x${'33'.repeat(20)}`, [])).toThrow(/at least one label/);
    b.abort();
    expect(() => statSync(path)).toThrow();
    expect(() => statSync(`${path}.tmp`)).toThrow();
  });

  it('builds an empty index that answers every look-up with a miss', async () => {
    const path = join(dir, 'empty.clx');
    await new IndexBuilder(path, { trust: {} }).finish();
    const index = LabelIndex.open(path);
    expect(index.count).toBe(0);
    expect(index.find(`0x${'ab'.repeat(20)}`)).toBeNull();
    index.close();
  });

  describe('a damaged file is a typed LABELS_INDEX_CORRUPT error, never a wrong answer', async () => {
    const path = join(dir, 'good.clx');
    const b = new IndexBuilder(path, { trust: {} });
    for (let i = 1; i <= 300; i++) b.add(`0x${i.toString(16).padStart(40, '0')}`, [label()]);
    await b.finish();
    const good = readFileSync(path);
    const damaged = (name: string, mutate: (bytes: Buffer) => Buffer): string => {
      const p = join(dir, name);
      writeFileSync(p, mutate(Buffer.from(good)));
      return p;
    };
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return findBaseError(error)?.code;
      }
      return undefined;
    };

    it('truncated', () => {
      const p = damaged('truncated.clx', (x) => x);
      truncateSync(p, good.length - 100);
      expect(code(() => LabelIndex.open(p))).toBe('LABELS_INDEX_CORRUPT');
    });
    it('wrong magic', () => {
      const p = damaged('magic.clx', (x) => {
        x.write('NOTINDEX', 0, 'latin1');
        return x;
      });
      expect(code(() => LabelIndex.open(p))).toBe('LABELS_INDEX_CORRUPT');
    });
    it('missing file', () => {
      expect(code(() => LabelIndex.open(join(dir, 'absent.clx')))).toBe('LABELS_INDEX_CORRUPT');
    });
    it('a flipped byte in the metadata section', () => {
      const header = JSON.parse(good.toString('utf8', 16, 16 + good.readUInt32LE(12)));
      const p = damaged('meta.clx', (x) => {
        const at = header.sections.meta.offset + 2;
        x[at] = (x[at] as number) ^ 0xff;
        return x;
      });
      expect(code(() => LabelIndex.open(p))).toBe('LABELS_INDEX_CORRUPT');
    });
    it('a corrupt record body is caught on read', () => {
      const p = damaged('record.clx', (x) => {
        // Entry 0's inline record: claim 41 bytes of a shorter record (trailing garbage).
        x.writeUInt16LE(41, 4096 + 21);
        return x;
      });
      const index = LabelIndex.open(p);
      expect(code(() => index.find(`0x${(1).toString(16).padStart(40, '0')}`))).toBe('LABELS_INDEX_CORRUPT');
      index.close();
      expect(ENTRY_SIZE).toBe(64);
    });
  });
});
