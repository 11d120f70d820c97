import { describe, expect, it } from 'vitest';
import { slugMeaning, strongestMeaning } from './etherscan-slugs.js';

describe('slugMeaning', () => {
  it.each([
    ['phish-hack', 'block', 'phishing'],
    ['heist', 'block', 'heist'],
    ['exploit', 'block', 'exploit'],
    ['blocked', 'gray', 'flagged'],
    ['ofac-sanctions-lists', 'gray', 'sanctioned'],
    ['tornado-cash', 'gray', 'mixer'],
    ['ethereum-mixer', 'gray', 'mixer'],
    ['mev-bot', 'gray', 'mev-bot'],
    ['take-action', 'gray', 'flagged'],
    ['flagged-by-sec', 'gray', 'flagged'],
    ['sybil-delegate', 'gray', 'flagged'],
    ['spam-token', 'gray', 'flagged'],
    ['hot-wallet', 'allow', 'exchange'],
    ['binance', 'allow', 'exchange'],
    ['OKX', 'allow', 'exchange'],
    ['gate-io', 'allow', 'exchange'],
    ['token-contract', 'allow', 'token'],
    ['bridge', 'allow', 'bridge'],
    ['uniswap', 'allow', 'protocol'],
    ['idex', 'allow', 'protocol'],
  ])('%s → %s %s', (slug, tier, category) => {
    expect(slugMeaning(slug)).toEqual({ tier, category });
  });
});

describe('strongestMeaning', () => {
  it('takes the most severe tier, then a specific category over protocol, then the first slug', () => {
    expect(strongestMeaning(['kucoin', 'phish-hack'])).toEqual({ tier: 'block', category: 'phishing' });
    expect(strongestMeaning(['binance', 'blocked'])).toEqual({ tier: 'gray', category: 'flagged' });
    expect(strongestMeaning(['defi', 'token-contract'])).toEqual({ tier: 'allow', category: 'token' });
    expect(strongestMeaning(['hot-wallet', 'token-contract'])).toEqual({ tier: 'allow', category: 'exchange' });
    expect(strongestMeaning(['tornado-cash', 'ofac-sanctions-lists'])).toEqual({ tier: 'gray', category: 'mixer' });
    expect(strongestMeaning([])).toEqual({ tier: 'allow', category: 'protocol' });
  });
});
