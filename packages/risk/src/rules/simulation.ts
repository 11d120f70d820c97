/**
 * Rules over what the simulation saw and over what the engine could not see. A transaction that
 * reverts in simulation will fail (and still cost gas); an approval that appears in the receipt
 * but that the decoded calldata did not announce is a hidden grant (an obfuscated drainer); a
 * token the user would receive that the honeypot check could not sell back is a honeypot. When
 * on-chain facts were unavailable, the rules still decided; this rule says so.
 */
import type { Finding } from '../types.js';
import { approvalStandard, isRevocation } from './approvals.js';
import { finding, type Rule, short } from './context.js';

export const simulationReverted: Rule = {
  id: 'simulation_reverted',
  description: 'The transaction reverts in simulation: warn (it would fail on chain and still cost gas).',
  evaluate(_decoded, context) {
    const sim = context.simulation;
    if (sim === undefined || sim.success) return [];
    return [
      finding(
        'simulation_reverted',
        'warning',
        `The transaction fails when simulated${sim.revertReason ? `: ${sim.revertReason}` : ''}.`,
      ),
    ];
  },
};

export const hiddenApproval: Rule = {
  id: 'hidden_approval',
  description:
    'The simulation shows an approval granted that the decoded request does not announce (an approval buried inside another call): warn.',
  evaluate(decoded, context) {
    const sim = context.simulation;
    if (sim === undefined) return [];
    const announced = new Set<string>();
    for (const intent of decoded.intents) {
      if (intent.kind === 'approval') announced.add(`${intent.token}:${intent.spender}`);
      if (intent.kind === 'approval-for-all') announced.add(`${intent.token}:${intent.operator}`);
      if (intent.kind === 'permit') announced.add(`${intent.token}:${intent.spender}`);
    }
    const findings: Finding[] = [];
    for (const a of sim.approvals) {
      if (a.amount === 'none' || a.amount === '0') continue;
      if (announced.has(`${a.token}:${a.spender}`)) continue;
      findings.push(
        finding(
          'hidden_approval',
          'warning',
          `Running this transaction grants ${short(a.spender)} an approval on ${short(a.token)} that the request does not show.`,
          a.spender,
        ),
      );
    }
    return findings;
  },
};

export const honeypotToken: Rule = {
  id: 'honeypot_token',
  description:
    'A token the user would receive cannot be sold back (the sell reverts) or is taxed ≥ 50 %, per a buy-then-sell simulated in the same fork: block.',
  evaluate(_decoded, context) {
    const sim = context.simulation;
    if (sim?.honeypots === undefined) return [];
    return sim.honeypots
      .filter((h) => h.verdict === 'honeypot')
      .map((h) =>
        finding(
          'honeypot_token',
          'critical',
          `${short(h.token)} is a honeypot: ${h.reason ?? 'it cannot be sold back'}.`,
          h.token,
        ),
      );
  },
};

export const factsUnavailable: Rule = {
  id: 'facts_unavailable',
  description:
    'On-chain facts (is the spender a contract, its age, its code) could not be read for some addresses: info, naming them; the other rules decided without them.',
  evaluate(decoded, context) {
    const wanted = new Set<`0x${string}`>();
    for (const intent of decoded.intents) {
      if (intent.kind === 'approval') {
        if (!isRevocation(intent, approvalStandard(intent, context))) wanted.add(intent.spender);
      } else if (intent.kind === 'approval-for-all' && intent.approved) wanted.add(intent.operator);
      else if (intent.kind === 'permit' || intent.kind === 'permit-transfer') wanted.add(intent.spender);
      else if (intent.kind === 'delegation') wanted.add(intent.delegate);
      else if (intent.kind === 'native-transfer' || intent.kind === 'token-transfer') wanted.add(intent.to);
    }
    const missing = [...wanted].filter((a) => context.facts(a).kind === 'unknown');
    if (missing.length === 0) return [];
    const reason = context.facts(missing[0] as `0x${string}`).reason ?? 'not available';
    return [
      finding(
        'facts_unavailable',
        'info',
        `On-chain facts for ${missing.map(short).join(', ')} are unavailable (${reason}); decided from labels and the request alone.`,
      ),
    ];
  },
};
