import { describe, expect, it } from 'vitest';
import { readTwice } from '../testing/importers/helpers.js';
import { synthetic } from '../testing/importers/paths.js';
import { scamsnifferAddresses } from './scamsniffer.js';

// ScamSniffer's database is GPL-3.0: custos neither ships nor tests on it. This synthetic file has
// its format, USDT among the addresses (as the real feed can have), and malformed entries.
describe('scamsniffer-addresses', () => {
  it('blocks every address as a drainer on every EVM chain, lowercased', async () => {
    const batch = await readTwice(scamsnifferAddresses, synthetic('scamsniffer'));
    expect(batch.rows).toEqual({ 'blacklist/address.json': 6 });
    expect(batch.labels.map((l) => [l.scope, l.address, l.tier, l.category])).toEqual([
      [0, '0x0000db5c8b030ae20308ac975898e09741e70000', 'block', 'drainer'],
      [0, '0xdac17f958d2ee523a2206206994597c13d831ec7', 'block', 'drainer'],
      [0, '0x00000000000000000000000000000000deadbeef', 'block', 'drainer'],
    ]);
    expect(batch.errors).toEqual([
      { file: 'blacklist/address.json', line: 5, message: 'element: not an address ("0x1234")' },
      { file: 'blacklist/address.json', line: 6, message: 'element: not an address ("42")' },
    ]);
    expect(batch.skipped).toEqual([{ file: 'blacklist/address.json', line: 7, reason: 'duplicate' }]);
  });

  it('reads address.json given directly, and fails on a directory without it', async () => {
    const batch = await scamsnifferAddresses.read(synthetic('scamsniffer', 'blacklist', 'address.json'));
    expect(batch.rows).toEqual({ 'address.json': 6 });
    await expect(scamsnifferAddresses.read(synthetic('generic'))).rejects.toMatchObject({
      code: 'LABELS_IMPORT_FAILED',
    });
  });
});
