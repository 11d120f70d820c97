/**
 * What a rule sees besides the decoded request: the labels of every address on the request's
 * chain, on-chain facts gathered before the rules run (so rules stay pure and synchronous), the
 * known-token table, the requesting site, the user's recent counterparties, bytecode fingerprints
 * and, when it ran, the simulation. A rule is `(decoded, context) => Finding[]`; it never does I/O.
 */
import type { DomainLookupResult, LookupResult } from '@custos/labels';
import type { KnownTokens } from '../known-tokens.js';
import type {
  Address,
  AddressFacts,
  Decoded,
  Finding,
  Intent,
  Severity,
  SimulationResult,
  TokenFacts,
} from '../types.js';

/** What the engine needs from the label layer (`LabelService` from @custos/labels fits). */
export interface LabelLookup {
  lookupAddress(address: string, chainId: number): LookupResult;
  lookupDomain(domain: string): DomainLookupResult;
}

/** A known bytecode: its keccak256 and what it is. */
export interface Fingerprint {
  codeHash: `0x${string}`;
  kind: 'malicious-delegate' | 'deprecated-spender' | 'malicious-contract';
  name: string;
  source: string;
}

export interface RuleContext {
  chainId: number;
  /** The account asked to sign (from, signer or UserOp sender), if the request names it. */
  signer?: Address | undefined;
  /** The requesting site after normalisation, and what the domain lists say about it. */
  origin?: { host: string; lookup: DomainLookupResult } | undefined;
  /** Labels of an address on this chain (EVM-family labels included). */
  label(address: Address): LookupResult;
  /** On-chain facts gathered before the rules ran; `kind: 'unknown'` when they could not be. */
  facts(address: Address): AddressFacts;
  token(address: Address): TokenFacts;
  knownTokens: KnownTokens;
  /** The user's recent counterparties, newest first. */
  history: readonly Address[];
  /** keccak256(code) → fingerprint. */
  fingerprints: ReadonlyMap<string, Fingerprint>;
  /** Unix seconds. */
  now: number;
  simulation?: SimulationResult | undefined;
}

export interface Rule {
  id: string;
  /** One line for the README's rule table. */
  description: string;
  evaluate(decoded: Decoded, context: RuleContext): Finding[];
}

export const MAX_UINT256 = (1n << 256n) - 1n;
export const MAX_UINT160 = (1n << 160n) - 1n;
/** Allowances of at least 2^64 − 1 base units count as unlimited (as do allowances above the total supply). */
export const UNLIMITED_THRESHOLD = (1n << 64n) - 1n;
export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';

export function finding(rule: string, severity: Severity, message: string, subject?: Address): Finding {
  return subject === undefined ? { rule, severity, message } : { rule, severity, message, subject };
}

export function short(address: Address): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** A short description of what the labels say ("Fake_Phishing123 (phishing, forta)"). */
export function describeLabels(result: LookupResult): string {
  const relevant = result.labels.filter((l) => l.effectiveTier === result.tier);
  const first = relevant[0] ?? result.labels[0];
  if (first === undefined) return 'no labels';
  const name = first.name === '' ? first.category : `${first.name} (${first.category})`;
  const more = result.labels.length > 1 ? ` and ${result.labels.length - 1} more label(s)` : '';
  return `${name} per ${first.source}${more}`;
}

export function isSanctioned(result: LookupResult): boolean {
  return result.labels.some((l) => l.category === 'sanctioned' && l.effectiveTier !== 'allow');
}

/** The intents of a decoded request (every decoded shape carries them). */
export function intentsOf(decoded: Decoded): Intent[] {
  return decoded.intents;
}

export function big(value: string): bigint {
  return BigInt(value);
}

/** Whether the spender/operator is an account without code of its own (or delegated, EIP-7702). */
export function isCodelessAccount(facts: AddressFacts): boolean {
  return facts.kind === 'eoa' || facts.kind === 'delegated' || facts.kind === 'empty';
}
