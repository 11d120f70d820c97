import { describe, expect, it } from 'vitest';
import { kind, readTwice, skipReasons, tally } from '../testing/importers/helpers.js';
import { shipped, synthetic } from '../testing/importers/paths.js';
import { dawsbotTokens } from './dawsbot-tokens.js';

describe('dawsbot-tokens', () => {
  it('reads the shipped tokens.csv: 27,459 rows, 15,387 distinct token addresses', async () => {
    const batch = await readTwice(dawsbotTokens, shipped('eth-labels-dawsbot-tokens'));
    expect(batch.rows).toEqual({ 'tokens.csv': 27_459 });
    // Two rows escape quotes with a backslash (`"\"Hope\" by Ne..."`); read as such, none is bad.
    expect(batch.errors).toEqual([]);
    // A token is listed once per label slug it has; slugs that only describe it all give the
    // same allow/token label, so 11,836 rows are duplicates.
    expect(batch.labels).toHaveLength(15_623);
    expect(skipReasons(batch)).toEqual({ duplicate: 11_836 });
    expect(new Set(batch.labels.map((l) => l.address)).size).toBe(15_387);
    expect(tally(batch.labels, kind)).toEqual({
      'allow/token@1': 11_360,
      'allow/token@10': 220,
      'allow/token@56': 2_522,
      'allow/token@100': 183,
      'allow/token@8453': 297,
      'allow/token@42161': 892,
      'allow/token@42220': 70,
      'gray/flagged@1': 24,
      'gray/flagged@56': 3,
      'gray/flagged@42161': 1,
      'gray/mixer@1': 1,
      'block/phishing@10': 7,
      'block/phishing@100': 10,
      'block/phishing@8453': 11,
      'block/phishing@42220': 21,
      'block/scam@56': 1,
    });
    const byKey = new Map(batch.labels.map((l) => [`${l.scope}|${l.address}|${l.category}`, l]));
    expect(byKey.get('1|0xdac17f958d2ee523a2206206994597c13d831ec7|token')?.name).toBe('Tether USD (USDT)');
    // A fake "Tether USD" on Optimism carries Etherscan's phish-hack label: listed, not vouched for.
    expect(byKey.get('10|0x06fee726e486fce265d4475c3213e0aefe8c1132|phishing')).toMatchObject({
      tier: 'block',
      name: 'Tether USD (USDT)',
    });
    // Two tokens have a warning slug in one row and a descriptive slug in another, so they carry
    // both an allow/token and a gray label.
    for (const address of [
      '1|0x26607ac599266b21d13c7acf7942c7701a8b699c',
      '56|0x700d6eca747892fbad8f51cae938a56b84aae207',
    ]) {
      expect(byKey.has(`${address}|token`) && byKey.has(`${address}|flagged`)).toBe(true);
    }
  });

  it('reports bad rows, takes warning slugs over "token", and reads backslash-escaped quotes', async () => {
    const batch = await readTwice(dawsbotTokens, synthetic('tokens.csv'));
    expect(batch.rows).toEqual({ 'tokens.csv': 8 });
    expect(batch.errors).toEqual([
      { file: 'tokens.csv', line: 6, message: 'chainId: not a chain id ("ten")' },
      { file: 'tokens.csv', line: 7, message: 'address: not an address ("0x22222222222222222222222222222222222222")' },
      { file: 'tokens.csv', line: 8, message: 'expected 7 fields, found 4' },
    ]);
    expect(batch.skipped).toEqual([{ file: 'tokens.csv', line: 3, reason: 'duplicate' }]);
    expect(batch.labels.map((l) => [kind(l), l.address.slice(0, 6), l.name])).toEqual([
      ['allow/token@1', '0xdac1', 'Tether USD (USDT)'],
      ['block/phishing@10', '0x06fe', 'Tether USD (USDT)'],
      ['gray/flagged@1', '0xab1e', 'ECT <img src="//pc8.me/3.png">'],
      ['allow/token@1', '0xa0b8', 'USDC'],
    ]);
  });

  it('fails with LABELS_IMPORT_FAILED on an unreadable path', async () => {
    await expect(dawsbotTokens.read(synthetic('generic'))).rejects.toMatchObject({ code: 'LABELS_IMPORT_FAILED' });
  });
});
