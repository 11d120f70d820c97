/**
 * The precedence policy: how the labels many sources put on one address become one tier.
 *
 *  1. An operator override decides alone (a chain-scoped override beats an EVM-wide one).
 *  2. A sanction that a newer snapshot of the same authority's list no longer carries (delisted)
 *     counts as gray, never block.
 *  3. A known token (listed by a curated token list in that scope) is never blocked by a
 *     non-authoritative source: noisy lists that scrape addresses from phishing pages pick up
 *     USDT, USDC, WETH and DAI, so such a block counts as gray.
 *  4. A block from a source less trusted than the most trusted source that allows the address
 *     counts as gray: a scraped or community list can warn about an address a curated list
 *     vouches for, but not refuse it. (Trust: authoritative > curated > scraped > community.)
 *  5. Otherwise the most severe tier wins: block > gray > allow. So a sanction or a block from a
 *     trusted source beats an allow from a scraped list.
 */
import {
  type Label,
  type LabelView,
  type Override,
  type PrecedenceRule,
  TIER_SEVERITY,
  TIERS,
  type Tier,
  TRUST_RANK,
  type Trust,
} from './model.js';

export interface PolicyInput {
  /** The labels in scope (their own address field is not read: `address` says whose they are). */
  labels: readonly Omit<Label, 'address'>[];
  address: Label['address'];
  /** Trust of each source id; unknown sources count as community. */
  trustOf: (source: string) => Trust;
  /** The override for this address in this scope, if any. */
  override?: Override | undefined;
}

export interface PolicyDecision {
  tier: Tier | 'none';
  decidedBy: PrecedenceRule;
  labels: LabelView[];
}

/** Source ids whose allow-`token` labels make an address a known token. */
export const KNOWN_TOKEN_SOURCES: ReadonlySet<string> = new Set(['dawsbot-tokens']);

function isKnownToken(labels: PolicyInput['labels'], trustOf: (source: string) => Trust): boolean {
  return labels.some(
    (l) =>
      l.tier === 'allow' &&
      l.category === 'token' &&
      (KNOWN_TOKEN_SOURCES.has(l.source) || TRUST_RANK[trustOf(l.source)] >= TRUST_RANK.curated),
  );
}

export function decide(input: PolicyInput): PolicyDecision {
  const { labels, trustOf, override, address } = input;
  const knownToken = isKnownToken(labels, trustOf);

  // Rules 2 and 3: per-label adjustments.
  const adjusted = labels.map(
    (label): { label: Omit<Label, 'address'>; trust: Trust; tier: Tier; rule: PrecedenceRule } => {
      const trust = trustOf(label.source);
      let tier = label.tier;
      let rule: PrecedenceRule = 'max-severity';
      if (label.status === 'delisted' && tier === 'block') {
        tier = 'gray';
        rule = 'delisted-sanction-is-gray';
      } else if (knownToken && tier === 'block' && trust !== 'authoritative') {
        tier = 'gray';
        rule = 'known-token-never-blocked';
      }
      return { label, trust, tier, rule };
    },
  );

  // Rule 4: the most trusted allow caps less trusted blocks at gray.
  let allowTrust = -1;
  for (const a of adjusted) if (a.tier === 'allow') allowTrust = Math.max(allowTrust, TRUST_RANK[a.trust]);
  for (const a of adjusted) {
    if (a.tier === 'block' && TRUST_RANK[a.trust] < allowTrust) {
      a.tier = 'gray';
      a.rule = 'trusted-allow-caps-untrusted-block';
    }
  }

  const views: LabelView[] = adjusted.map(({ label, trust, tier }) => ({
    scope: label.scope,
    address,
    tier: label.tier,
    category: label.category,
    name: label.name,
    source: label.source,
    firstSeen: label.firstSeen > 0 ? new Date(label.firstSeen * 1000).toISOString() : null,
    confidence: label.confidence,
    status: label.status,
    effectiveTier: tier,
    trust,
  }));

  if (override) return { tier: override.tier, decidedBy: 'override', labels: views };
  if (adjusted.length === 0) return { tier: 'none', decidedBy: 'none', labels: views };

  // Rule 5: the most severe effective tier; name the rule that produced it.
  let severity = 0;
  for (const a of adjusted) severity = Math.max(severity, TIER_SEVERITY[a.tier]);
  const tier = TIERS[severity] as Tier;
  const deciders = adjusted.filter((a) => a.tier === tier);
  const decidedBy = deciders.some((a) => a.rule === 'max-severity')
    ? 'max-severity'
    : (deciders[0]?.rule ?? 'max-severity');
  return { tier, decidedBy, labels: views };
}
