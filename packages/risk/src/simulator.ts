/**
 * The engine's simulator: runs a decoded transaction on the right disposable chain — directly on
 * a node with Hardhat's test methods (the dev chain: evm_snapshot / evm_revert), or in an
 * in-process EDR fork of a real chain at its latest block (`ForkSimulator`) — and, for every ERC-20
 * the user would receive, runs the honeypot check (a buy and then a sell through the chain's
 * Uniswap-V2-style router) in the same chain, attaching the results to the simulation.
 */
import { BaseError } from '@custos/core';
import type { Simulator } from './engine.js';
import type { Eip1193Like, FactsProvider } from './facts.js';
import { checkHoneypot } from './honeypot.js';
import { type ForkSimulator, simulateTransaction } from './simulate.js';
import type { Address, HoneypotCheck, NormalizedTransaction, SimulationResult } from './types.js';

type PerChain<V> = ReadonlyMap<number, V> | Readonly<Record<number, V>>;

function toMap<V>(table: PerChain<V> | undefined): Map<number, V> {
  if (table === undefined) return new Map();
  return table instanceof Map ? new Map(table) : new Map(Object.entries(table).map(([k, v]) => [Number(k), v as V]));
}

export interface ChainSimulatorOptions {
  /** Chains simulated in place with snapshots (nodes with Hardhat's methods: the dev chain). */
  providers?: PerChain<Eip1193Like> | undefined;
  /** Real chains, simulated in an EDR fork at their latest block. */
  fork?: ForkSimulator | undefined;
  /** A Uniswap V2 Router02 per chain, for honeypot checks of tokens the user would receive. */
  routers?: PerChain<Address> | undefined;
  /** Token metadata for the report; default: read by the simulator from the chain. */
  facts?: FactsProvider | undefined;
  /** At most this many honeypot checks per simulation (default 3). */
  maxHoneypotChecks?: number | undefined;
}

export class ChainSimulator implements Simulator {
  readonly #providers: Map<number, Eip1193Like>;
  readonly #routers: Map<number, Address>;
  readonly #fork: ForkSimulator | undefined;
  readonly #facts: FactsProvider | undefined;
  readonly #maxChecks: number;

  constructor(options: ChainSimulatorOptions) {
    this.#providers = toMap(options.providers);
    this.#routers = toMap(options.routers);
    this.#fork = options.fork;
    this.#facts = options.facts;
    this.#maxChecks = options.maxHoneypotChecks ?? 3;
  }

  supports(chainId: number): boolean {
    return this.#providers.has(chainId) || (this.#fork?.supports(chainId) ?? false);
  }

  async simulate(chainId: number, transaction: NormalizedTransaction): Promise<SimulationResult> {
    if (transaction.from === undefined) {
      throw new BaseError('RISK_SIMULATION_FAILED', 'A transaction without a sender cannot be simulated.', {
        details: { chainId },
      });
    }
    const provider =
      this.#providers.get(chainId) ?? (this.#fork?.supports(chainId) ? await this.#fork.fork(chainId) : undefined);
    if (provider === undefined) {
      throw new BaseError('RISK_SIMULATION_FAILED', `No simulator is configured for chain ${chainId}.`, {
        details: { chainId },
      });
    }
    const facts = this.#facts;
    const result = await simulateTransaction({
      provider,
      tx: {
        from: transaction.from,
        to: transaction.to,
        value: transaction.value,
        data: transaction.data,
        gas: transaction.gas,
        authorizationList: transaction.authorizationList,
      },
      tokenFacts: facts === undefined ? undefined : (address) => facts.token(chainId, address),
    });
    const router = this.#routers.get(chainId);
    if (router === undefined) return result;
    const received = [
      ...new Set(result.assetChanges.filter((c) => c.direction === 'in' && c.asset === 'erc20').map((c) => c.token)),
    ].slice(0, this.#maxChecks);
    if (received.length === 0) return result;
    const honeypots: HoneypotCheck[] = [];
    for (const token of received) {
      const check = await checkHoneypot({ provider, token, router });
      honeypots.push({
        token,
        verdict: check.verdict,
        buyTax: check.buyTax,
        sellTax: check.sellTax,
        reason: check.reason,
      });
    }
    return { ...result, honeypots };
  }
}
