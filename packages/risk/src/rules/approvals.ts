/**
 * Approval and permit rules — the way most ERC-20 and NFT thefts happen (ScamSniffer's reports:
 * approve, increaseAllowance, Permit and Permit2). They follow revoke.cash's spender risk factors
 * and Rabby's approval rules: an unlimited allowance to a spender nobody vouches for, any
 * allowance to an address without code (an EOA, a delegated EOA or an undeployed CREATE2
 * address), a spender deployed days ago, a spender whose bytecode is a retired proxy, an
 * operator for a whole NFT collection, and off-chain permits with no real expiry.
 */
import type { Address, Decoded, Finding, Intent } from '../types.js';
import {
  big,
  finding,
  isCodelessAccount,
  MAX_UINT160,
  type Rule,
  type RuleContext,
  short,
  UNLIMITED_THRESHOLD,
  ZERO_ADDRESS,
} from './context.js';

type ApprovalIntent = Extract<Intent, { kind: 'approval' }>;

/** Resolves `approve`'s ERC-20/ERC-721 ambiguity from the chain, then the known-token table. */
export function approvalStandard(intent: ApprovalIntent, context: RuleContext): 'erc20' | 'erc721' | 'unknown' {
  if (intent.standard !== 'ambiguous') return intent.standard;
  const token = context.token(intent.token).standard;
  if (token === 'erc721') return 'erc721';
  if (token === 'erc20') return 'erc20';
  if (context.knownTokens.get(context.chainId, intent.token) !== undefined) return 'erc20';
  if (context.label(intent.token).labels.some((l) => l.category === 'token' && l.effectiveTier === 'allow'))
    return 'erc20';
  return 'unknown';
}

/**
 * Whether an approval takes a right away rather than granting one: ERC-20 `approve(x, 0)` and the
 * decrease functions; ERC-721 `approve(0x0, id)`. When the standard is unknown, `approve(x, 0)`
 * could also grant NFT #0 to x, so it is not treated as a revocation.
 */
export function isRevocation(intent: ApprovalIntent, standard: 'erc20' | 'erc721' | 'unknown'): boolean {
  if (intent.method === 'decreaseAllowance' || intent.method === 'decreaseApproval') return true;
  if (standard === 'erc721') return intent.spender === ZERO_ADDRESS;
  if (standard === 'erc20') return big(intent.amount) === 0n;
  return false;
}

/** "Unlimited": at least 2^64 − 1 units, or more than the token's whole supply when that is known. */
export function isUnlimited(amount: bigint, totalSupply: string | undefined): boolean {
  if (amount >= UNLIMITED_THRESHOLD) return true;
  return totalSupply !== undefined && amount > BigInt(totalSupply);
}

function spenderIsVouchedFor(spender: `0x${string}`, context: RuleContext): boolean {
  return context.label(spender).tier === 'allow';
}

export const unlimitedApproval: Rule = {
  id: 'unlimited_approval',
  description:
    'An on-chain approval of at least 2^64 − 1 units or more than the total supply to a spender no trusted list allows: warn (allowed spender: info).',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    for (const intent of decoded.intents) {
      if (intent.kind !== 'approval') continue;
      const standard = approvalStandard(intent, context);
      if (standard === 'erc721' || isRevocation(intent, standard)) continue;
      if (intent.method === 'decreaseAllowance' || intent.method === 'decreaseApproval') continue;
      const amount = big(intent.amount);
      if (!isUnlimited(amount, context.token(intent.token).totalSupply)) continue;
      const vouched = spenderIsVouchedFor(intent.spender, context);
      findings.push(
        finding(
          'unlimited_approval',
          vouched ? 'info' : 'warning',
          `Grants ${short(intent.spender)} an unlimited allowance on ${short(intent.token)}${
            vouched ? ' (a listed protocol)' : ', a spender no trusted list knows'
          }: it could take the whole balance, now or later.`,
          intent.spender,
        ),
      );
    }
    return findings;
  },
};

export const unlimitedPermit: Rule = {
  id: 'permit_unlimited',
  description:
    'A permit signature (EIP-2612, DAI, Permit2) for an unlimited amount (≥ 2^64 − 1, Permit2 MAX_UINT160 included): warn, whoever the spender.',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    for (const intent of decoded.intents) {
      if (intent.kind !== 'permit' && intent.kind !== 'permit-transfer') continue;
      const amount = big(intent.amount);
      if (!isUnlimited(amount, context.token(intent.token).totalSupply)) continue;
      const max = amount === MAX_UINT160 ? ' (MAX_UINT160)' : '';
      findings.push(
        finding(
          'permit_unlimited',
          'warning',
          `Signs an unlimited${max} permit on ${short(intent.token)} for ${short(intent.spender)}: a signature, not a transaction, so it can be used later without asking you.`,
          intent.spender,
        ),
      );
    }
    return findings;
  },
};

export const permitExpiry: Rule = {
  id: 'permit_no_expiration',
  description: 'A Permit2 allowance that stays valid for more than a year: info (Blowfish PERMIT_NO_EXPIRATION).',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    const year = 365 * 24 * 3600;
    for (const intent of decoded.intents) {
      if (intent.kind !== 'permit' || intent.expiration === undefined || big(intent.amount) === 0n) continue;
      if (big(intent.expiration) > BigInt(context.now + year)) {
        findings.push(
          finding(
            'permit_no_expiration',
            'info',
            `The allowance for ${short(intent.spender)} on ${short(intent.token)} stays valid for more than a year.`,
            intent.spender,
          ),
        );
      }
    }
    return findings;
  },
};

/** Spenders and operators a request grants a right to (revocations excluded). */
function grantees(intent: Intent, context: RuleContext): `0x${string}` | undefined {
  if (intent.kind === 'approval') {
    const standard = approvalStandard(intent, context);
    return isRevocation(intent, standard) ? undefined : intent.spender;
  }
  if (intent.kind === 'approval-for-all') return intent.approved ? intent.operator : undefined;
  if (intent.kind === 'permit') return big(intent.amount) > 0n ? intent.spender : undefined;
  if (intent.kind === 'permit-transfer') return intent.spender;
  return undefined;
}

/** Every address the request grants a right to, once each, in order. */
function grantedTo(decoded: Decoded, context: RuleContext): Address[] {
  const out = new Set<Address>();
  for (const intent of decoded.intents) {
    const spender = grantees(intent, context);
    if (spender !== undefined) out.add(spender);
  }
  return [...out];
}

export const approvalToCodeless: Rule = {
  id: 'approval_to_eoa',
  description:
    'An approval, permit or operator grant to an address with no code of its own (EOA, EIP-7702-delegated EOA, or an undeployed address): warn — protocols spend through contracts, drainers through keys.',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    for (const spender of grantedTo(decoded, context)) {
      const facts = context.facts(spender);
      if (!isCodelessAccount(facts) || context.label(spender).tier === 'allow') continue;
      const what =
        facts.kind === 'empty'
          ? 'an address with no code and no transactions (possibly a contract not deployed yet)'
          : facts.kind === 'delegated'
            ? 'an EOA running delegated (EIP-7702) code'
            : 'a plain account (EOA), not a contract';
      findings.push(finding('approval_to_eoa', 'warning', `The spender ${short(spender)} is ${what}.`, spender));
    }
    return findings;
  },
};

const THREE_DAYS = 3 * 24 * 3600;

export const youngSpender: Rule = {
  id: 'young_spender',
  description: 'The spender or operator is a contract deployed less than three days ago: warn (Rabby 1024).',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    for (const spender of grantedTo(decoded, context)) {
      const facts = context.facts(spender);
      if (facts.kind !== 'contract' || facts.deployedAt === undefined) continue;
      const age = context.now - facts.deployedAt;
      if (age < THREE_DAYS && context.label(spender).tier !== 'allow') {
        const hours = Math.max(0, Math.floor(age / 3600));
        findings.push(
          finding(
            'young_spender',
            'warning',
            `The spender ${short(spender)} was deployed ${hours} hour(s) ago.`,
            spender,
          ),
        );
      }
    }
    return findings;
  },
};

export const deprecatedSpender: Rule = {
  id: 'deprecated_spender',
  description:
    'The spender or operator runs bytecode fingerprinted as retired (e.g. the legacy OpenSea/Wyvern user proxy): warn. Found by code hash, never by address.',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    for (const spender of grantedTo(decoded, context)) {
      const hash = context.facts(spender).codeHash;
      const print = hash === undefined ? undefined : context.fingerprints.get(hash);
      if (print?.kind !== 'deprecated-spender') continue;
      findings.push(
        finding(
          'deprecated_spender',
          'warning',
          `The spender ${short(spender)} is ${print.name}, which is retired: approvals to it are only ever abused now.`,
          spender,
        ),
      );
    }
    return findings;
  },
};

export const collectionApproval: Rule = {
  id: 'set_approval_for_all',
  description:
    'setApprovalForAll(operator, true) to an operator no trusted list allows: warn (it can take every NFT of the collection).',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    for (const intent of decoded.intents) {
      if (intent.kind !== 'approval-for-all' || !intent.approved) continue;
      const tier = context.label(intent.operator).tier;
      if (tier === 'block') continue; // the counterparty rule refuses it
      findings.push(
        finding(
          'set_approval_for_all',
          tier === 'allow' ? 'info' : 'warning',
          `Lets ${short(intent.operator)} move every NFT you hold in ${short(intent.token)}, now and later.`,
          intent.operator,
        ),
      );
    }
    return findings;
  },
};
