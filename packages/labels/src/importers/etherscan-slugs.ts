/**
 * What an Etherscan label slug (the `/accounts/label/<slug>` names the Etherscan-family explorers
 * use, and the file names of the dawsbot scrape) means as a tier and category. One table for every
 * source that carries these slugs: the two Etherscan scrapes and dawsbot's token list.
 *
 * | slug(s)                                                         | tier  | category     |
 * |-----------------------------------------------------------------|-------|--------------|
 * | phish-hack                                                      | block | phishing     |
 * | heist                                                           | block | heist        |
 * | exploit                                                         | block | exploit      |
 * | scam                                                            | block | scam         |
 * | ofac-sanctions-lists, ofac-sanctioned                           | gray  | sanctioned   |
 * | tornado-cash, ethereum-mixer, mixer                             | gray  | mixer        |
 * | mev-bot, backrunning-bots                                       | gray  | mev-bot      |
 * | blocked (frozen by a stablecoin issuer), take-action,           | gray  | flagged      |
 * | flagged-by-sec, sybil-delegate, high-risk, spam-token,          |       |              |
 * | something-fishy, opportunist, compromised                       |       |              |
 * | exchange, hot-wallet, cold-wallet, deposit, binance-deposit,    | allow | exchange     |
 * | and the slugs of named centralised exchanges (`CEX_SLUGS`)      |       |              |
 * | token-contract, token, bridged-token, wrapped-token, stablecoin,| allow | token        |
 * | binance-pegged, bitcoin-pegged, dot-pegged                      |       |              |
 * | bridge, optimism-bridge, orbit-bridge                           | allow | bridge       |
 * | anything else (protocol and project names, `defi`, `nft` …)     | allow | protocol     |
 *
 * A sanction scraped from an explorer is only gray: the OFAC importers, which read the list
 * itself, are the ones that block. The gray slugs are warnings Etherscan shows (funds frozen by
 * an issuer, a "take action" notice, an SEC complaint); they do not say the holder is an attacker.
 */
import type { Tier } from '../model.js';
import { TIER_SEVERITY } from '../model.js';

export interface SlugMeaning {
  tier: Tier;
  category: string;
}

const BLOCK: Readonly<Record<string, string>> = {
  'phish-hack': 'phishing',
  heist: 'heist',
  exploit: 'exploit',
  scam: 'scam',
};

const GRAY: Readonly<Record<string, string>> = {
  'ofac-sanctions-lists': 'sanctioned',
  'ofac-sanctioned': 'sanctioned',
  'tornado-cash': 'mixer',
  'ethereum-mixer': 'mixer',
  mixer: 'mixer',
  'mev-bot': 'mev-bot',
  'backrunning-bots': 'mev-bot',
  blocked: 'flagged',
  'take-action': 'flagged',
  'flagged-by-sec': 'flagged',
  'sybil-delegate': 'flagged',
  'high-risk': 'flagged',
  'spam-token': 'flagged',
  'something-fishy': 'flagged',
  opportunist: 'flagged',
  compromised: 'flagged',
};

/** Centralised exchanges by their Etherscan slug (those the scrapes carry, and a few more). */
const CEX_SLUGS: ReadonlySet<string> = new Set([
  'abcc',
  'allbit',
  'ascendex',
  'bgogo',
  'binance',
  'bitfinex',
  'bitget',
  'bithumb',
  'bitmart',
  'bitmex',
  'bitstamp',
  'bittrex',
  'bybit',
  'cobinhood',
  'coinbase',
  'coinbit',
  'coinhako',
  'coinlist',
  'coinmetro',
  'coinone',
  'coinsquare',
  'coss-io',
  'crex24',
  'crypto-com',
  'deribit',
  'digifinex',
  'ftx',
  'gate-io',
  'gemini',
  'hitbtc',
  'hoo-com',
  'hotbit',
  'htx',
  'huobi',
  'korbit',
  'kraken',
  'kryptono',
  'kucoin',
  'latoken',
  'lcx-ag',
  'liquid',
  'maskex',
  'okex',
  'okx',
  'paribu',
  'poloniex',
  'quadrigacx',
  'remitano',
  'resfinex',
  'tidex',
  'topbtc',
  'trade-io',
  'upbit',
  'uphold',
  'yunbi',
  'zb-com',
]);

const EXCHANGE = new Set(['exchange', 'hot-wallet', 'cold-wallet', 'deposit', 'binance-deposit']);
const TOKEN = new Set([
  'token-contract',
  'token',
  'bridged-token',
  'wrapped-token',
  'stablecoin',
  'binance-pegged',
  'bitcoin-pegged',
  'dot-pegged',
]);
const BRIDGE = new Set(['bridge', 'optimism-bridge', 'orbit-bridge']);

const PROTOCOL: SlugMeaning = { tier: 'allow', category: 'protocol' };

/** The meaning of one slug (case-insensitive). */
export function slugMeaning(slug: string): SlugMeaning {
  const s = slug.trim().toLowerCase();
  const block = BLOCK[s];
  if (block) return { tier: 'block', category: block };
  const gray = GRAY[s];
  if (gray) return { tier: 'gray', category: gray };
  if (EXCHANGE.has(s) || CEX_SLUGS.has(s)) return { tier: 'allow', category: 'exchange' };
  if (TOKEN.has(s)) return { tier: 'allow', category: 'token' };
  if (BRIDGE.has(s)) return { tier: 'allow', category: 'bridge' };
  return PROTOCOL;
}

/**
 * The meaning of an address that carries several slugs: the most severe tier; among slugs of the
 * same tier, a specific category beats the catch-all `protocol`, and otherwise the first slug in
 * the source's order wins. No slugs at all means `protocol`.
 */
export function strongestMeaning(slugs: readonly string[]): SlugMeaning {
  let best = PROTOCOL;
  for (const slug of slugs) {
    const m = slugMeaning(slug);
    const severer = TIER_SEVERITY[m.tier] > TIER_SEVERITY[best.tier];
    const sameTierMoreSpecific = m.tier === best.tier && best.category === 'protocol' && m.category !== 'protocol';
    if (severer || sameTierMoreSpecific) best = m;
  }
  return best;
}
