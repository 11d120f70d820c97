import { describe, expect, it } from 'vitest';
import { readTwice, tally } from '../testing/importers/helpers.js';
import { shipped, synthetic } from '../testing/importers/paths.js';
import { metamaskPhishing } from './metamask.js';

describe('metamask-phishing', () => {
  it('reads the shipped config.json: 59,507 / 54 / 8 entries, tolerance 1', async () => {
    const batch = await readTwice(metamaskPhishing, shipped('metamask-eth-phishing-detect', 'config.json'));
    expect(batch.source).toBe('metamask-phishing');
    expect(batch.rows).toEqual({ 'config.json': 59_507 + 54 + 8 });
    expect(batch.fuzzyTolerance).toBe(1);
    expect(batch.labels).toEqual([]);
    // The real blacklist has 11 entries that are not multi-label host names: seven single labels
    // and four with a trailing comma pasted into the string. They are reported, not imported.
    expect(tally(batch.domains, (d) => d.list)).toEqual({ fuzzy: 8, allow: 54, block: 59_507 - 11 });
    expect(batch.errors.map((e) => [e.line, e.message.replace(/.*\((.*)\)$/, '$1')])).toEqual([
      [1322, '"usdc-defi-org"'],
      [6422, '"axiegrids"'],
      [31456, '"3commas-best"'],
      [39729, '"authorize-web"'],
      [52235, '"com12786312634"'],
      [52265, '"iclexofmarket"'],
      [58496, '"hop-arbitrum.exchange,"'],
      [58512, '"arbitrum-event.com,"'],
      [58513, '"arbirtumbridge.shop,"'],
      [58514, '"arbitrum-labs.pw,"'],
      [59032, '"arbirtium"'],
    ]);
    expect(batch.errors.every((e) => e.file === 'config.json')).toBe(true);
    expect(batch.skipped).toEqual([]);
    expect(batch.domains.filter((d) => d.list === 'fuzzy').map((d) => d.domain)).toContain('metamask.io');
    // Four look-alikes sit on both the block list and the allow list of the real file.
    const allowed = new Set(batch.domains.filter((d) => d.list === 'allow').map((d) => d.domain));
    const both = batch.domains.filter((d) => d.list === 'block' && allowed.has(d.domain)).map((d) => d.domain);
    expect(both.sort()).toEqual(['metamas.com', 'metamash.co', 'metamash.io', 'metamast.com']);
  });

  it('normalises case, trailing dots and IDNs, and reports bad entries with their lines', async () => {
    const batch = await readTwice(metamaskPhishing, synthetic('metamask', 'config.json'));
    expect(batch.fuzzyTolerance).toBe(2);
    expect(batch.rows).toEqual({ 'config.json': 13 });
    expect(batch.domains.map((d) => [d.list, d.domain])).toEqual([
      ['fuzzy', 'metamask.io'],
      ['fuzzy', 'opensea.io'],
      ['allow', 'opensea.io'],
      ['allow', 'metamask.io'],
      ['block', 'metamask-login.com'],
      ['block', 'xn--mtamask-8ya.com'],
      ['block', 'xn--mtamask-7gg.io'],
      ['block', 'fake-opensea.io'],
    ]);
    expect(batch.errors.map((e) => [e.file, e.line])).toEqual([
      ['config.json', 15],
      ['config.json', 16],
      ['config.json', 19],
      ['config.json', 20],
    ]);
    expect(batch.errors[2]?.message).toMatch(/^malformed JSON/);
    expect(batch.skipped).toEqual([{ file: 'config.json', line: 14, reason: 'duplicate' }]);
  });

  it('fails with LABELS_IMPORT_FAILED on an unreadable path', async () => {
    await expect(metamaskPhishing.read(synthetic('metamask', 'missing.json'))).rejects.toMatchObject({
      code: 'LABELS_IMPORT_FAILED',
    });
  });
});
