/**
 * The risk engine: decode the request, gather the on-chain facts the rules need (in parallel,
 * cached by the provider; missing facts are recorded, never fatal), optionally simulate, run every
 * rule, and map the worst finding to an action — critical → block, warning → warn, info or none →
 * allow. The result is the `Verdict` every other capability (firewall, co-signer, approvals,
 * console) uses unchanged.
 */
import { BaseError } from '@custos/core';
import type { DomainLookupResult, LookupResult } from '@custos/labels';
import { decodeRequest } from './decode/request.js';
import { type FactsProvider, OfflineFactsProvider } from './facts.js';
import { defaultFingerprints } from './fingerprints.js';
import { KnownTokens } from './known-tokens.js';
import { invalidRequest } from './normalize.js';
import type { Fingerprint, LabelLookup, Rule, RuleContext } from './rules/context.js';
import { counterpartiesOf } from './rules/counterparty.js';
import { DEFAULT_RULES } from './rules/index.js';
import type {
  Action,
  Address,
  AddressFacts,
  Decoded,
  Finding,
  NormalizedTransaction,
  ScanRequest,
  Severity,
  SimulationResult,
  TokenFacts,
  Verdict,
} from './types.js';

/** Runs a decoded transaction in a disposable copy of its chain. */
export interface Simulator {
  simulate(chainId: number, transaction: NormalizedTransaction): Promise<SimulationResult>;
}

export interface RiskEngineOptions {
  /** Address and domain labels (a `LabelService`); without it every address is unlabelled. */
  labels?: LabelLookup | undefined;
  /** On-chain facts; default: offline (every fact unknown, and the verdict says so). */
  facts?: FactsProvider | undefined;
  knownTokens?: KnownTokens | undefined;
  fingerprints?: ReadonlyMap<string, Fingerprint> | undefined;
  rules?: readonly Rule[] | undefined;
  simulator?: Simulator | undefined;
  /** The user's recent counterparties (newest first), for address-poisoning checks. */
  history?: ((account: Address, chainId: number) => Promise<readonly Address[]>) | undefined;
  /** Unix seconds; default the wall clock. */
  now?: (() => number) | undefined;
}

export interface ScanOptions {
  /** Simulate transactions when a simulator is configured (default true). */
  simulate?: boolean | undefined;
  /** Counterparty history to use instead of the engine's `history` source. */
  history?: readonly Address[] | undefined;
}

export const SEVERITY_ACTION: Readonly<Record<Severity, Action>> = {
  info: 'allow',
  warning: 'warn',
  critical: 'block',
};
const ACTION_RANK: Readonly<Record<Action, number>> = { allow: 0, warn: 1, block: 2 };

/** The action for a set of findings: the worst finding decides. */
export function actionOf(findings: readonly Finding[]): Action {
  let action: Action = 'allow';
  for (const f of findings) {
    const a = SEVERITY_ACTION[f.severity];
    if (ACTION_RANK[a] > ACTION_RANK[action]) action = a;
  }
  return action;
}

const NO_LABELS: LabelLookup = {
  lookupAddress(address, chainId) {
    return { address: address as Address, chainId, tier: 'none', decidedBy: 'none', labels: [] };
  },
  lookupDomain(domain) {
    return { domain, tier: 'none', match: 'none', matched: null, labels: [] };
  },
};

function signerOf(decoded: Decoded): Address | undefined {
  switch (decoded.type) {
    case 'transaction':
      return decoded.transaction.from;
    case 'user-operation':
      return decoded.userOperation.sender;
    default:
      return decoded.signer;
  }
}

/** The site a request came from: a URL or a bare host → its hostname. */
export function originHost(origin: unknown): string {
  if (typeof origin !== 'string' || origin.trim() === '' || origin.length > 2048)
    throw invalidRequest('origin', 'a URL or host name', origin);
  const text = origin.trim();
  try {
    const url = new URL(text.includes('://') ? text : `https://${text}`);
    if (url.hostname === '') throw invalidRequest('origin', 'a URL or host name', origin);
    return url.hostname.replace(/\.$/, '').toLowerCase();
  } catch (error) {
    if (error instanceof BaseError) throw error;
    throw new BaseError('RISK_INVALID_REQUEST', '"origin" is not a URL or host name', {
      details: { field: 'origin' },
      cause: error,
    });
  }
}

export class RiskEngine {
  readonly #labels: LabelLookup;
  readonly #facts: FactsProvider;
  // Loaded on first use: parsing the shipped token list takes a few hundred milliseconds.
  #knownTokens: KnownTokens | undefined;
  readonly #fingerprints: ReadonlyMap<string, Fingerprint>;
  readonly #rules: readonly Rule[];
  readonly #simulator: Simulator | undefined;
  readonly #history: RiskEngineOptions['history'];
  readonly #now: () => number;

  constructor(options: RiskEngineOptions = {}) {
    this.#labels = options.labels ?? NO_LABELS;
    this.#facts = options.facts ?? new OfflineFactsProvider();
    this.#knownTokens = options.knownTokens;
    this.#fingerprints = options.fingerprints ?? defaultFingerprints();
    this.#rules = options.rules ?? DEFAULT_RULES;
    this.#simulator = options.simulator;
    this.#history = options.history;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  get rules(): readonly Rule[] {
    return this.#rules;
  }

  /** Decodes, gathers facts, simulates if asked and possible, and judges a request. */
  async scan(request: ScanRequest, options: ScanOptions = {}): Promise<Verdict> {
    const { chainId, decoded } = await decodeRequest(request);
    const host = request.origin === undefined || request.origin === null ? undefined : originHost(request.origin);
    return this.judge(decoded, { chainId, host, ...options });
  }

  /** What the domain lists say about a site, as a verdict-like answer. */
  scanDomain(origin: string): { action: Action; findings: Finding[]; domain: DomainLookupResult } {
    const host = originHost(origin);
    const lookup = this.#domainLookup(host);
    const findings =
      this.#rules
        .find((r) => r.id === 'malicious_domain')
        ?.evaluate(
          { type: 'message', method: 'personal_sign', signer: '0x', data: '0x', intents: [] },
          {
            ...this.#emptyContext(1),
            origin: { host, lookup },
          },
        ) ?? [];
    if (lookup.tier === 'allow')
      findings.push({ rule: 'listed_domain', severity: 'info', message: `${host} is on an allow list.` });
    return { action: actionOf(findings), findings, domain: lookup };
  }

  /** Judges an already decoded request (the firewall and co-signer decode once, judge once). */
  async judge(
    decoded: Decoded,
    options: ScanOptions & { chainId: number; host?: string | undefined },
  ): Promise<Verdict> {
    const { chainId } = options;
    const signer = signerOf(decoded);
    const labelCache = new Map<Address, LookupResult>();
    const label = (address: Address): LookupResult => {
      let hit = labelCache.get(address);
      if (hit === undefined) {
        hit = this.#labels.lookupAddress(address, chainId);
        labelCache.set(address, hit);
      }
      return hit;
    };
    const base: RuleContext = { ...this.#emptyContext(chainId), signer, label };
    const [facts, tokens, history, simulation] = await Promise.all([
      this.#gatherFacts(decoded, base),
      this.#gatherTokens(decoded, chainId),
      options.history ??
        (signer !== undefined && this.#history !== undefined ? this.#history(signer, chainId) : Promise.resolve([])),
      options.simulate === false ? undefined : this.#simulate(decoded, chainId),
    ]);
    const context: RuleContext = {
      ...base,
      facts: (a) => facts.get(a) ?? { kind: 'unknown', reason: 'not gathered' },
      token: (a) => tokens.get(a) ?? { standard: 'unknown' },
      history,
      simulation: simulation?.result,
    };
    if (options.host !== undefined) context.origin = { host: options.host, lookup: this.#domainLookup(options.host) };
    const findings: Finding[] = [];
    for (const rule of this.#rules) findings.push(...rule.evaluate(decoded, context));
    if (simulation?.error !== undefined) findings.push(simulation.error);
    const verdict: Verdict = { action: actionOf(findings), findings, decoded };
    if (simulation?.result !== undefined) verdict.simulation = simulation.result;
    return verdict;
  }

  #emptyContext(chainId: number): RuleContext {
    return {
      chainId,
      label: (address) => this.#labels.lookupAddress(address, chainId),
      facts: () => ({ kind: 'unknown', reason: 'not gathered' }),
      token: () => ({ standard: 'unknown' }),
      knownTokens: this.#tokens(),
      history: [],
      fingerprints: this.#fingerprints,
      now: this.#now(),
    };
  }

  #tokens(): KnownTokens {
    this.#knownTokens ??= KnownTokens.loadDefault();
    return this.#knownTokens;
  }

  #domainLookup(host: string): DomainLookupResult {
    try {
      return this.#labels.lookupDomain(host);
    } catch (error) {
      // Single-label hosts (localhost) and IP addresses are not list entries: nothing to look up.
      if (error instanceof BaseError && error.code === 'LABELS_INVALID_DOMAIN')
        return { domain: host, tier: 'none', match: 'none', matched: null, labels: [] };
      throw error;
    }
  }

  async #gatherFacts(decoded: Decoded, context: RuleContext): Promise<Map<Address, AddressFacts>> {
    const wanted = new Set<Address>();
    for (const intent of decoded.intents) {
      for (const c of counterpartiesOf(intent, context)) wanted.add(c.address);
      if (intent.kind === 'delegation') wanted.add(intent.delegate);
    }
    if (context.signer !== undefined) wanted.add(context.signer);
    const entries = await Promise.all(
      [...wanted].map(async (address): Promise<[Address, AddressFacts]> => {
        try {
          return [address, await this.#facts.address(context.chainId, address)];
        } catch (error) {
          return [address, { kind: 'unknown', reason: error instanceof Error ? error.message : String(error) }];
        }
      }),
    );
    return new Map(entries);
  }

  async #gatherTokens(decoded: Decoded, chainId: number): Promise<Map<Address, TokenFacts>> {
    const wanted = new Set<Address>();
    for (const intent of decoded.intents) {
      if (
        intent.kind === 'approval' ||
        intent.kind === 'token-transfer' ||
        intent.kind === 'permit' ||
        intent.kind === 'permit-transfer' ||
        intent.kind === 'permit2-transfer-from'
      )
        wanted.add(intent.token);
      if (intent.kind === 'order')
        for (const item of [...intent.offer, ...intent.consideration])
          if (item.asset === 'erc20') wanted.add(item.token);
    }
    const entries = await Promise.all(
      [...wanted].map(async (address): Promise<[Address, TokenFacts]> => {
        try {
          return [address, await this.#facts.token(chainId, address)];
        } catch (error) {
          return [address, { standard: 'unknown', reason: error instanceof Error ? error.message : String(error) }];
        }
      }),
    );
    return new Map(entries);
  }

  async #simulate(
    decoded: Decoded,
    chainId: number,
  ): Promise<{ result?: SimulationResult; error?: Finding } | undefined> {
    if (this.#simulator === undefined || decoded.type !== 'transaction' || decoded.transaction.from === undefined)
      return undefined;
    try {
      return { result: await this.#simulator.simulate(chainId, decoded.transaction) };
    } catch (error) {
      const why = error instanceof BaseError ? error.shortMessage : 'the simulator failed';
      return { error: { rule: 'simulation_unavailable', severity: 'info', message: `Not simulated: ${why}.` } };
    }
  }
}
