/**
 * Rules about who the user is really dealing with: address poisoning (a recipient that looks like
 * a past counterparty: same first and last hex digits, different address — MetaMask's 4+4
 * prefix/suffix test), tokens that impersonate a known token's symbol, transfers into a token
 * contract (Rabby 1016: funds sent there are usually lost), ownership and upgrade calls that hand
 * a contract to someone else, and the requesting site's domain.
 */
import type { Address, Finding, Intent } from '../types.js';
import { finding, type Rule, short } from './context.js';

const MIN_AFFIX = 4;

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

function commonSuffix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
}

/** Past counterparties that `candidate` imitates (≥ 4 equal leading and trailing hex digits), best first. */
export function lookAlikes(
  candidate: Address,
  history: readonly Address[],
): { address: Address; prefix: number; suffix: number }[] {
  const body = candidate.slice(2);
  const out: { address: Address; prefix: number; suffix: number }[] = [];
  for (const known of new Set(history)) {
    if (known === candidate) continue;
    const other = known.slice(2);
    const prefix = commonPrefix(body, other);
    const suffix = commonSuffix(body, other);
    if (prefix >= MIN_AFFIX && suffix >= MIN_AFFIX) out.push({ address: known, prefix, suffix });
  }
  return out.sort((x, y) => y.prefix + y.suffix - (x.prefix + x.suffix));
}

function recipientOf(intent: Intent): Address | undefined {
  if (intent.kind === 'native-transfer' || intent.kind === 'token-transfer' || intent.kind === 'nft-transfer')
    return intent.to;
  if (intent.kind === 'permit2-transfer-from') return intent.to;
  return undefined;
}

export const addressPoisoning: Rule = {
  id: 'address_poisoning',
  description:
    'A recipient that shares at least 4 leading and 4 trailing hex digits with a past counterparty but is a different address (and not itself a past counterparty): warn.',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    if (context.history.length === 0) return findings;
    const known = new Set(context.history);
    for (const intent of decoded.intents) {
      const to = recipientOf(intent);
      if (to === undefined || known.has(to)) continue;
      const best = lookAlikes(to, context.history)[0];
      if (best === undefined) continue;
      findings.push(
        finding(
          'address_poisoning',
          'warning',
          `The recipient ${short(to)} looks like ${short(best.address)}, an address you dealt with before (first ${best.prefix} and last ${best.suffix} digits match), but it is a different address.`,
          to,
        ),
      );
    }
    return findings;
  },
};

function tokenOf(intent: Intent): Address | undefined {
  switch (intent.kind) {
    case 'token-transfer':
    case 'approval':
    case 'permit':
    case 'permit-transfer':
    case 'permit2-transfer-from':
      return intent.token;
    default:
      return undefined;
  }
}

export const tokenImpersonation: Rule = {
  id: 'token_impersonation',
  description:
    'A token whose symbol (after Unicode folding) is a known token’s symbol on this chain but whose address is not that token’s: warn.',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    const seen = new Set<string>();
    for (const intent of decoded.intents) {
      const token = tokenOf(intent);
      if (token === undefined || seen.has(token)) continue;
      seen.add(token);
      if (context.knownTokens.get(context.chainId, token) !== undefined) continue;
      const symbol = context.token(token).symbol;
      if (symbol === undefined || symbol === '') continue;
      const real = context.knownTokens.addressesForSymbol(context.chainId, symbol);
      if (real.length === 0) continue;
      findings.push(
        finding(
          'token_impersonation',
          'warning',
          `${short(token)} calls itself ${JSON.stringify(symbol)}, but the real ${symbol} on this chain is ${real
            .slice(0, 3)
            .map(short)
            .join(', ')}.`,
          token,
        ),
      );
    }
    return findings;
  },
};

export const sendToTokenContract: Rule = {
  id: 'recipient_is_token_contract',
  description: 'Assets sent to a known token contract’s own address: warn (they are usually lost; Rabby 1016).',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    for (const intent of decoded.intents) {
      const to = recipientOf(intent);
      if (to === undefined || context.knownTokens.get(context.chainId, to) === undefined) continue;
      findings.push(
        finding(
          'recipient_is_token_contract',
          'warning',
          `The recipient ${short(to)} is a token contract, not a wallet: tokens sent there are usually lost.`,
          to,
        ),
      );
    }
    return findings;
  },
};

export const authorityChange: Rule = {
  id: 'ownership_transfer',
  description:
    'A call that hands a contract to a new owner (setOwner, transferOwnership, Safe owner changes) or swaps its code (upgradeTo): warn.',
  evaluate(decoded) {
    const findings: Finding[] = [];
    for (const intent of decoded.intents) {
      if (intent.kind === 'ownership-change') {
        findings.push(
          finding(
            'ownership_transfer',
            'warning',
            `${intent.method} makes ${short(intent.newOwner)} the owner of ${short(intent.contract)}: they would control it and what it holds.`,
            intent.newOwner,
          ),
        );
      } else if (intent.kind === 'upgrade') {
        findings.push(
          finding(
            'ownership_transfer',
            'warning',
            `${intent.method} replaces the code of ${short(intent.contract)} with ${short(intent.implementation)}.`,
            intent.implementation,
          ),
        );
      }
    }
    return findings;
  },
};

export const maliciousDomain: Rule = {
  id: 'malicious_domain',
  description:
    'The requesting site is on a phishing block list (exact or parent domain): block. A look-alike of a high-value domain (fuzzy match): warn.',
  evaluate(_decoded, context) {
    const origin = context.origin;
    if (origin === undefined || origin.lookup.tier !== 'block') return [];
    const source = origin.lookup.labels[0]?.source ?? 'a block list';
    if (origin.lookup.match === 'fuzzy') {
      return [
        finding(
          'lookalike_domain',
          'warning',
          `${origin.host} looks like ${origin.lookup.matched ?? 'a well-known site'} (edit distance ${origin.lookup.distance ?? '?'}).`,
        ),
      ];
    }
    return [
      finding(
        'malicious_domain',
        'critical',
        `${origin.host} is a known phishing site (${origin.lookup.matched} per ${source}).`,
      ),
    ];
  },
};
