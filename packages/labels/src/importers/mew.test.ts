import { describe, expect, it } from 'vitest';
import { EVM_FAMILY } from '../model.js';
import { kind, readTwice, skipReasons, tally } from '../testing/importers/helpers.js';
import { shipped, synthetic } from '../testing/importers/paths.js';
import { mewDarklist, mewLightlist, mewUrls } from './mew.js';

const day = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / 1000;

describe('mew-darklist', () => {
  it('reads the shipped darklist: 693 entries, 629 labels', async () => {
    const batch = await readTwice(mewDarklist, shipped('mew-ethereum-lists'));
    expect(batch.rows).toEqual({ 'src/addresses/addresses-darklist.json': 693 });
    // The real file has one address with 39 hex digits. Of the "632 unique addresses" upstream
    // counts, two differ from another only by a trailing space, so 629 addresses remain; every
    // repeat agrees on the category, giving one label per address and 63 duplicates.
    expect(batch.errors).toEqual([
      {
        file: 'src/addresses/addresses-darklist.json',
        line: 1877,
        message: 'address: not an address ("0x9CdfC5b0ACA4527a0916412E9dbD6AD85556A49")',
      },
    ]);
    expect(batch.labels).toHaveLength(629);
    expect(new Set(batch.labels.map((l) => l.address)).size).toBe(629);
    expect(skipReasons(batch)).toEqual({ duplicate: 63 });
    expect(tally(batch.labels, kind)).toEqual({ 'block/scam@0': 624, 'block/fake-token@1': 5 });
    expect(batch.labels[0]).toEqual({
      scope: 1,
      address: '0xf193a9afb00715aacf7ca9ebffafe02c77517c2e',
      tier: 'block',
      category: 'fake-token',
      name: 'Fake copy of ROCK2PAY token',
      firstSeen: day(2018, 11, 6),
      confidence: 70,
      source: 'mew-darklist',
      status: 'active',
    });
    // 23 entries have no date.
    expect(batch.labels.filter((l) => l.firstSeen === 0)).toHaveLength(23);
  });

  it('reads the file itself too, and reports bad elements at the line they start on', async () => {
    const path = synthetic('mew', 'src', 'addresses', 'addresses-darklist.json');
    const batch = await readTwice(mewDarklist, path);
    expect(batch.rows).toEqual({ 'addresses-darklist.json': 7 });
    expect(batch.errors.map((e) => [e.line, e.message.slice(0, 26)])).toEqual([
      [17, 'address: not an address ("'],
      [22, 'malformed JSON: Unexpected'],
      [27, 'expected an object with an'],
    ]);
    expect(batch.errors.every((e) => e.file === 'addresses-darklist.json')).toBe(true);
    expect(batch.skipped).toEqual([{ file: 'addresses-darklist.json', line: 12, reason: 'duplicate' }]);
    expect(batch.labels.map((l) => [l.scope, l.address.slice(0, 8), l.category, l.firstSeen])).toEqual([
      [1, '0xf193a9', 'fake-token', day(2018, 11, 6)],
      [EVM_FAMILY, '0x00e01a', 'scam', day(2017, 7, 22)],
      [EVM_FAMILY, '0xf193a9', 'scam', 0],
    ]);
  });
});

describe('mew-lightlist', () => {
  it('reads the shipped lightlist: 2 verified project addresses on chain 1', async () => {
    const batch = await readTwice(mewLightlist, shipped('mew-ethereum-lists'));
    expect(batch.rows).toEqual({ 'src/addresses/addresses-lightlist.json': 2 });
    expect(batch.errors).toEqual([]);
    expect(batch.labels.map((l) => [kind(l), l.address, l.name])).toEqual([
      ['allow/protocol@1', '0xf8094e15c897518b5ac5287d7070ca5850efc6ff', 'district0x Address'],
      ['allow/protocol@1', '0x439b54caf661c21e6b231d972d7eaa98f199590f', 'DataBroker DAO Address'],
    ]);
  });
});

describe('mew-urls', () => {
  it('reads the shipped URL lists: 2,370 blocked and 32 allowed ids', async () => {
    const batch = await readTwice(mewUrls, shipped('mew-ethereum-lists'));
    expect(batch.rows).toEqual({ 'src/urls/urls-darklist.json': 2_370, 'src/urls/urls-lightlist.json': 32 });
    expect(batch.errors).toEqual([]);
    expect(batch.labels).toEqual([]);
    // Two ids are Twitter pages: blocking twitter.com for them would be wrong. 26 blocked and 2
    // allowed ids repeat a domain once URLs are reduced to hosts and IDNs to punycode.
    expect(batch.skipped.filter((s) => s.reason !== 'duplicate')).toEqual([
      { file: 'src/urls/urls-darklist.json', line: 926, reason: 'a page, not a domain ("twitter.com/omise__go")' },
      { file: 'src/urls/urls-darklist.json', line: 930, reason: 'a page, not a domain ("twitter.com/VaporyWallets")' },
    ]);
    expect(tally(batch.skipped, (s) => `${s.file} ${s.reason}`)).toMatchObject({
      'src/urls/urls-darklist.json duplicate': 26,
      'src/urls/urls-lightlist.json duplicate': 2,
    });
    expect(tally(batch.domains, (d) => d.list)).toEqual({ block: 2_342, allow: 30 });
    expect(batch.domains.every((d) => /^[a-z0-9._-]+$/.test(d.domain))).toBe(true);
  });

  it('takes hosts from URLs, punycodes IDNs, skips pages and reports what is not a domain', async () => {
    const batch = await readTwice(mewUrls, synthetic('mew'));
    expect(batch.domains.map((d) => [d.list, d.domain, d.name])).toEqual([
      ['block', 'myvaporwallet.import-tokens.com', 'Malicious clone: MEW'],
      ['block', 'smartcontractlink.com', 'Phish'],
      ['block', 'xn--myvaporwalle-xoc.com', 'Phish. MEW (IDN)'],
      ['allow', 'www.kraken.com', 'Kraken'],
    ]);
    expect(batch.skipped).toEqual([
      { file: 'src/urls/urls-darklist.json', line: 6, reason: 'a page, not a domain ("twitter.com/omise__go")' },
      { file: 'src/urls/urls-darklist.json', line: 18, reason: 'duplicate' },
    ]);
    expect(batch.errors.map((e) => [e.file, e.line])).toEqual([
      ['src/urls/urls-darklist.json', 22],
      ['src/urls/urls-darklist.json', 26],
    ]);
  });

  it('reads one list file by its name, and fails on a file that is neither list', async () => {
    const one = await mewUrls.read(synthetic('mew', 'src', 'urls', 'urls-lightlist.json'));
    expect(one.domains.map((d) => [d.list, d.domain])).toEqual([['allow', 'www.kraken.com']]);
    await expect(mewUrls.read(synthetic('mew', 'src', 'addresses', 'addresses-darklist.json'))).rejects.toMatchObject({
      code: 'LABELS_IMPORT_FAILED',
    });
    await expect(mewDarklist.read(synthetic('ofac'))).rejects.toMatchObject({ code: 'LABELS_IMPORT_FAILED' });
  });
});
