import { describe, expect, it } from 'vitest';
import { readTwice, skipReasons, tally } from '../testing/importers/helpers.js';
import { fixture, synthetic } from '../testing/importers/paths.js';
import { etherscanBrianleect, etherscanDawsbot } from './etherscan.js';

describe('etherscan-brianleect', () => {
  it('reads the scrape: 45,198 entries over seven explorers, one label each', async () => {
    const batch = await readTwice(etherscanBrianleect, fixture('etherscan-labels-brianleect'));
    expect(batch.rows).toEqual({
      'arbiscan/combinedAllLabels.json': 837,
      'avalanche/combinedAllLabels.json': 1_062,
      'bscscan/combinedAllLabels.json': 6_726,
      'etherscan/combinedAllLabels.json': 29_945,
      'ftmscan/combinedAllLabels.json': 1_085,
      'optimism/combinedAllLabels.json': 546,
      'polygonscan/combinedAllLabels.json': 4_997,
    });
    // Scraper artefacts in the real files: table summary rows keyed "" ("Sum of 4 Accounts"),
    // "No matching records found" pages, and "genesis". Every key sits on line 1 (one-line files).
    expect(batch.errors.map((e) => [e.file.split('/')[0], e.line, e.message])).toEqual([
      ['arbiscan', 1, 'key: not an address ("")'],
      ['avalanche', 1, 'key: not an address ("")'],
      ['bscscan', 1, 'key: not an address ("")'],
      ['bscscan', 1, 'key: not an address ("No matching records found")'],
      ['bscscan', 1, 'key: not an address ("There are no matching entries")'],
      ['ftmscan', 1, 'key: not an address ("")'],
      ['optimism', 1, 'key: not an address ("")'],
      ['optimism', 1, 'key: not an address ("genesis")'],
      ['polygonscan', 1, 'key: not an address ("")'],
      ['polygonscan', 1, 'key: not an address ("genesis")'],
    ]);
    // 535 keys repeat an address in another letter case (checksummed and lowercase, with
    // different names and slugs); 217 of them map to the same category and are duplicates, the
    // other 318 add a label of another category.
    expect(batch.labels).toHaveLength(44_971);
    expect(skipReasons(batch)).toEqual({ duplicate: 217 });
    expect(new Set(batch.labels.map((l) => `${l.scope}|${l.address}`)).size).toBe(44_653);
    expect(tally(batch.labels, (l) => `${l.tier}/${l.category}`)).toEqual({
      'allow/protocol': 36_740,
      'allow/token': 2_618,
      'allow/exchange': 780,
      'allow/bridge': 369,
      'gray/flagged': 3_776,
      'gray/mev-bot': 337,
      'gray/sanctioned': 56,
      'gray/mixer': 39,
      'block/phishing': 106,
      'block/exploit': 73,
      'block/heist': 72,
      'block/scam': 5,
    });
    expect(tally(batch.labels, (l) => String(l.scope))).toEqual({
      '1': 29_801,
      '10': 544,
      '56': 6_711,
      '137': 4_946,
      '250': 1_082,
      '42161': 831,
      '43114': 1_056,
    });
    expect(batch.labels.find((l) => l.address === '0x689c56aef474df92d44a1b70850f808488f9769c')).toMatchObject({
      scope: 1,
      tier: 'allow',
      category: 'exchange',
      name: 'KuCoin 2 [kucoin]',
    });
    // The same address is the 1inch router on Ethereum and a fake on Fantom: scope keeps them apart.
    const oneInch = batch.labels.filter((l) => l.address === '0x11111112542d85b3ef69ae05771c2dccff4faa26');
    expect(oneInch.map((l) => [l.scope, l.tier, l.category, l.name])).toEqual([
      [1, 'allow', 'protocol', '1inch v3: Aggregation Router [1inch]'],
      [250, 'block', 'exploit', 'Fake 1inch Contract [exploit, phish-hack]'],
      [137, 'allow', 'protocol', '1inch: V3 [1inch]'],
    ]);
  });

  it('picks the most severe slug, keeps every slug in the name, and reports bad entries', async () => {
    const batch = await readTwice(etherscanBrianleect, synthetic('brianleect'));
    expect(batch.rows).toEqual({
      'bscscan/combinedAllLabels.json': 2,
      'etherscan/combinedAllLabels.json': 8,
      'polygonscan/combined/combinedAllLabels.json': 1,
    });
    expect(batch.errors.map((e) => [e.file, e.line, e.message.slice(0, 40)])).toEqual([
      ['bscscan/combinedAllLabels.json', 1, 'malformed JSON: unexpected end of file'],
      ['bscscan/combinedAllLabels.json', 1, 'malformed JSON: Unterminated string in J'],
      ['etherscan/combinedAllLabels.json', 1, 'key: not an address ("genesis")'],
      ['etherscan/combinedAllLabels.json', 1, 'expected {"name": string, "labels": stri'],
    ]);
    expect(batch.labels.map((l) => [l.scope, l.address.slice(0, 6), l.tier, l.category, l.name])).toEqual([
      [56, '0x4444', 'allow', 'exchange', 'Truncated [binance]'],
      [1, '0x689c', 'allow', 'exchange', 'KuCoin 2 [kucoin]'],
      [1, '0xbd2f', 'allow', 'protocol', 'Dynamic Set Dollar [algorithmic-stablecoin, staking]'],
      [1, '0x1111', 'block', 'exploit', 'Fake 1inch Contract [1inch, exploit, phish-hack]'],
      [1, '0x0836', 'gray', 'sanctioned', '[ofac-sanctions-lists, tornado-cash]'],
      [1, '0x0836', 'gray', 'mixer', 'Tornado.Cash: 1,000 USDT [tornado-cash]'],
      [1, '0x3333', 'allow', 'exchange', 'Coinex 2 [hot-wallet, token-contract]'],
      [137, '0x6666', 'allow', 'bridge', 'Upstream layout [bridge]'],
    ]);
    // The unknown explorer's directory is not read at all.
    expect(batch.labels.some((l) => l.address.startsWith('0x7777'))).toBe(false);
  });

  it('reads one file, its chain from its explorer directory; fails when that says nothing', async () => {
    const one = await etherscanBrianleect.read(
      synthetic('brianleect', 'polygonscan', 'combined', 'combinedAllLabels.json'),
    );
    expect(one.labels.map((l) => l.scope)).toEqual([137]);
    await expect(
      etherscanBrianleect.read(synthetic('brianleect', 'unknownscan', 'combined', 'combinedAllLabels.json')),
    ).rejects.toMatchObject({ code: 'LABELS_IMPORT_FAILED' });
    await expect(etherscanBrianleect.read(synthetic('generic'))).rejects.toMatchObject({
      code: 'LABELS_IMPORT_FAILED',
    });
  });
});

describe('etherscan-dawsbot', () => {
  it('reads the scrape: 443 label files (19,595 rows) and mainnet exchange/genesis/phish-hack', async () => {
    const batch = await readTwice(etherscanDawsbot, fixture('eth-labels-dawsbot'));
    const rows = Object.entries(batch.rows);
    expect(rows.filter(([f]) => f.startsWith('etherscan-by-label/'))).toHaveLength(443);
    expect(rows.filter(([f]) => f.startsWith('etherscan-by-label/')).reduce((n, [, c]) => n + c, 0)).toBe(19_595);
    expect(rows.filter(([f]) => f.startsWith('mainnet/'))).toEqual([
      ['mainnet/exchange.json', 372],
      ['mainnet/genesis.json', 12],
      ['mainnet/phish-hack.json', 5_594],
    ]);
    expect(batch.errors).toEqual([]);
    // An address is under as many label files as Etherscan gives it; those mapping to the same
    // category (most map to `protocol`) are duplicates.
    expect(batch.labels).toHaveLength(24_057);
    expect(skipReasons(batch)).toEqual({ duplicate: 1_516 });
    expect(new Set(batch.labels.map((l) => l.address)).size).toBe(23_759);
    expect(tally(batch.labels, (l) => `${l.tier}/${l.category}@${l.scope}`)).toEqual({
      'allow/protocol@1': 16_032,
      'allow/exchange@1': 694,
      'allow/bridge@1': 187,
      'allow/token@1': 4,
      'gray/flagged@1': 908,
      'gray/mev-bot@1': 503,
      'gray/sanctioned@1': 72,
      'gray/mixer@1': 63,
      'block/phishing@1': 5_594,
    });
  });

  it('reads one per-label directory on its own: 17,990 distinct addresses in etherscan-by-label', async () => {
    const batch = await etherscanDawsbot.read(fixture('eth-labels-dawsbot', 'etherscan-by-label'));
    expect(Object.keys(batch.rows)).toHaveLength(443);
    expect(Object.keys(batch.rows)[0]).toBe('0x-protocol-ecosystem.json');
    expect(new Set(batch.labels.map((l) => l.address)).size).toBe(17_990);
  });

  it('maps each file name through the slug table and reports a non-JSON file as one error', async () => {
    const batch = await readTwice(etherscanDawsbot, synthetic('dawsbot'));
    expect(batch.rows).toEqual({
      'etherscan-by-label/blocked.json': 0,
      'etherscan-by-label/kraken.json': 2,
      'etherscan-by-label/tornado-cash.json': 1,
      'mainnet/phish-hack.json': 5,
    });
    expect(batch.errors).toEqual([
      { file: 'etherscan-by-label/blocked.json', line: 1, message: 'expected a JSON array' },
      { file: 'mainnet/phish-hack.json', line: 6, message: 'address: not an address ("0xbad")' },
      { file: 'mainnet/phish-hack.json', line: 10, message: 'expected {"address": string, "nameTag": string}' },
    ]);
    expect(batch.skipped).toEqual([{ file: 'mainnet/phish-hack.json', line: 17, reason: 'duplicate' }]);
    // Kraken's wallet also reported as phishing: both labels are kept for the policy to weigh.
    expect(batch.labels.map((l) => [l.address.slice(0, 6), l.tier, l.category, l.name])).toEqual([
      ['0x2910', 'allow', 'exchange', 'Kraken [kraken]'],
      ['0x0a86', 'allow', 'exchange', 'Kraken 2 [kraken]'],
      ['0x0836', 'gray', 'mixer', 'Tornado.Cash: 1,000 USDT [tornado-cash]'],
      ['0x2910', 'block', 'phishing', 'Fake Kraken (test conflict) [phish-hack]'],
      ['0x9f26', 'block', 'phishing', 'Akropolis Hacker 1 [phish-hack]'],
    ]);
  });

  it('fails with LABELS_IMPORT_FAILED on a missing path', async () => {
    await expect(etherscanDawsbot.read(fixture('eth-labels-dawsbot', 'nope'))).rejects.toMatchObject({
      code: 'LABELS_IMPORT_FAILED',
    });
  });
});
