/**
 * Counterparty rules: who receives the user's assets or rights, and what the labels and the chain
 * say about them. A block-listed counterparty is refused under the Blockaid reason that matches
 * what the request does with it (approval_farming, permit_farming, set_approval_for_all,
 * transfer_farming, transfer_from_farming, raw_native_token_transfer, seaport_farming,
 * blur_farming, trade_order_farming); a sanctioned one is refused as such; a gray-listed one is a
 * warning. A recipient whose account is an EIP-7702 delegation to known sweeper code is refused:
 * whatever is sent there is forwarded to the attacker. Revocations never count: taking a right
 * away from a drainer is exactly what the user should do.
 */
import type { Address, Finding, Intent } from '../types.js';
import { approvalStandard, isRevocation } from './approvals.js';
import { describeLabels, finding, isSanctioned, type Rule, type RuleContext, short, ZERO_ADDRESS } from './context.js';

export type Role = 'recipient' | 'spender' | 'operator' | 'delegate' | 'new-owner' | 'implementation' | 'contract';

export interface Counterparty {
  address: Address;
  role: Role;
  intent: Intent;
}

/** The addresses an intent hands something to, with their role. Revocations hand nothing. */
export function counterpartiesOf(intent: Intent, context: RuleContext): Counterparty[] {
  const out: Counterparty[] = [];
  const add = (address: Address | undefined, role: Role) => {
    if (address !== undefined && address !== ZERO_ADDRESS) out.push({ address, role, intent });
  };
  switch (intent.kind) {
    case 'native-transfer':
    case 'token-transfer':
    case 'nft-transfer':
    case 'permit2-transfer-from':
      add(intent.to, 'recipient');
      break;
    case 'approval':
      if (!isRevocation(intent, approvalStandard(intent, context))) add(intent.spender, 'spender');
      break;
    case 'approval-for-all':
      if (intent.approved) add(intent.operator, 'operator');
      break;
    case 'permit':
      if (BigInt(intent.amount) > 0n) add(intent.spender, 'spender');
      break;
    case 'permit-transfer':
      add(intent.spender, 'spender');
      add(intent.to, 'recipient');
      break;
    case 'order':
      for (const item of intent.consideration) if (item.recipient !== intent.offerer) add(item.recipient, 'recipient');
      add(intent.taker, 'recipient');
      break;
    case 'ownership-change':
      add(intent.newOwner, 'new-owner');
      break;
    case 'upgrade':
      add(intent.implementation, 'implementation');
      break;
    case 'delegation':
      add(intent.delegate, 'delegate');
      break;
    case 'contract-call':
      add(intent.to, 'contract');
      break;
    default:
      break;
  }
  // Dedupe within one intent (an order paying the same recipient several items).
  return out.filter((c, i) => out.findIndex((d) => d.address === c.address && d.role === c.role) === i);
}

/** The Blockaid reason for handing something to a malicious address in this way. */
export function farmingReason(intent: Intent): string {
  switch (intent.kind) {
    case 'native-transfer':
      return 'raw_native_token_transfer';
    case 'token-transfer':
      return intent.method === 'transferFrom' ? 'transfer_from_farming' : 'transfer_farming';
    case 'nft-transfer':
      return 'transfer_farming';
    case 'permit2-transfer-from':
      return 'transfer_from_farming';
    case 'approval':
      return 'approval_farming';
    case 'approval-for-all':
      return 'set_approval_for_all';
    case 'permit':
    case 'permit-transfer':
      return 'permit_farming';
    case 'order':
      return orderReason(intent.market);
    case 'delegation':
      return 'malicious_delegate';
    case 'ownership-change':
    case 'upgrade':
      return 'malicious_authority';
    default:
      return 'malicious_contract';
  }
}

export function orderReason(market: string): string {
  if (market === 'seaport') return 'seaport_farming';
  if (market === 'blur') return 'blur_farming';
  return 'trade_order_farming';
}

const ROLE_TEXT: Record<Role, string> = {
  recipient: 'receives your assets',
  spender: 'would be allowed to spend your tokens',
  operator: 'would control all your NFTs in this collection',
  delegate: 'would run your account',
  'new-owner': 'would become the owner',
  implementation: 'would become the contract code',
  contract: 'is the contract you call',
};

function allCounterparties(decodedIntents: Intent[], context: RuleContext): Counterparty[] {
  return decodedIntents.flatMap((intent) => counterpartiesOf(intent, context));
}

export const blocklistedCounterparty: Rule = {
  id: 'blocklisted_counterparty',
  description:
    'A counterparty (recipient, spender, operator, delegate, new owner, called contract) is block-listed or sanctioned: block, under the Blockaid reason for what the request does; gray-listed: warn.',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    const seen = new Set<string>();
    for (const c of allCounterparties(decoded.intents, context)) {
      const result = context.label(c.address);
      if (result.tier !== 'block' && result.tier !== 'gray') continue;
      const reason =
        result.tier === 'block' && isSanctioned(result) ? 'sanctioned_counterparty' : farmingReason(c.intent);
      const key = `${reason}:${c.address}:${result.tier}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const who = `${short(c.address)} ${ROLE_TEXT[c.role]}`;
      if (result.tier === 'block') {
        findings.push(finding(reason, 'critical', `${who} and is block-listed: ${describeLabels(result)}.`, c.address));
      } else {
        findings.push(
          finding(
            reason === 'sanctioned_counterparty' ? reason : 'flagged_counterparty',
            'warning',
            `${who} and is flagged: ${describeLabels(result)}.`,
            c.address,
          ),
        );
      }
    }
    return findings;
  },
};

/** Recipients and spenders whose account delegates (EIP-7702) to code fingerprinted as a sweeper. */
export const compromisedAccount: Rule = {
  id: 'malicious_delegate',
  description:
    'A counterparty, a delegation target or the signer itself runs code fingerprinted as malicious (an EIP-7702 sweeper): block. Found by code hash, never by address.',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    const seen = new Set<string>();
    const check = (address: Address, text: string) => {
      if (seen.has(address)) return;
      seen.add(address);
      const facts = context.facts(address);
      if (facts.codeHash === undefined) return;
      const print = context.fingerprints.get(facts.codeHash);
      if (print === undefined || print.kind === 'deprecated-spender') return;
      const how = facts.kind === 'delegated' ? `delegates (EIP-7702) to ${print.name}` : `runs ${print.name}`;
      findings.push(finding('malicious_delegate', 'critical', `${short(address)} ${text}: it ${how}.`, address));
    };
    for (const intent of decoded.intents) {
      if (intent.kind === 'delegation') {
        const facts = context.facts(intent.delegate);
        const print = facts.codeHash === undefined ? undefined : context.fingerprints.get(facts.codeHash);
        if (print !== undefined && print.kind !== 'deprecated-spender') {
          findings.push(
            finding(
              'malicious_delegate',
              'critical',
              `This authorisation hands your account to ${short(intent.delegate)}, whose code is ${print.name}: everything sent to your account would be swept.`,
              intent.delegate,
            ),
          );
          seen.add(intent.delegate);
        }
      }
    }
    for (const c of allCounterparties(decoded.intents, context)) {
      if (c.role === 'delegate') continue;
      check(c.address, ROLE_TEXT[c.role]);
    }
    if (context.signer !== undefined) check(context.signer, 'is the account asked to sign, and is compromised');
    return findings;
  },
};

/** EIP-7702 delegation to code that is not fingerprinted: a warning, since it hands over the account. */
export const delegationRule: Rule = {
  id: 'eip7702_delegation',
  description:
    'An EIP-7702 authorisation to code that is not allow-listed: warn (the delegate can move everything the account holds).',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    for (const intent of decoded.intents) {
      if (intent.kind !== 'delegation' || intent.delegate === ZERO_ADDRESS) continue;
      const label = context.label(intent.delegate);
      const facts = context.facts(intent.delegate);
      const print = facts.codeHash === undefined ? undefined : context.fingerprints.get(facts.codeHash);
      if (label.tier === 'allow' || print !== undefined) continue;
      const chain = intent.chainId === 0 ? ' on every chain (chain id 0)' : '';
      findings.push(
        finding(
          'eip7702_delegation',
          'warning',
          `This authorisation lets the code at ${short(intent.delegate)} act as your account${chain}; it is not a known wallet delegate.`,
          intent.delegate,
        ),
      );
    }
    return findings;
  },
};
