/**
 * The server's risk layer: one `RiskEngine` for every route (scan, domain scan, the JSON-RPC
 * firewall), built from the node's label service, on-chain facts read over JSON-RPC from each
 * configured chain, and a simulator. Each configured chain gets one viem `http` client: it is the
 * firewall's upstream (what `/rpc/:chainId` forwards reads and allowed sends to) and the facts
 * provider's node. The dev chain is simulated in place (`evm_snapshot` / `evm_revert` on its own
 * node); every other chain in an in-process EDR fork of it. Because a dev-chain simulation
 * temporarily changes that chain's real state, everything this server sends to the dev chain
 * (forwarded requests and fact reads) waits for a simulation in progress to be reverted first.
 *
 * Upstream URLs may carry an API key in their path: they never appear in logs, errors or answers;
 * an upstream failure is passed on with the node's own JSON-RPC code and message only.
 */
import { BaseError, type Logger } from '@custos/core';
import type { LabelService } from '@custos/labels';
import {
  ChainSimulator,
  type Eip1193Like,
  type FactsProvider,
  ForkSimulator,
  RiskEngine,
  RpcFactsProvider,
  type Simulator,
  withProviderLock,
} from '@custos/risk';
import { createClient, http } from 'viem';

export interface RiskChainConfig {
  chainId: number;
  /** The node's JSON-RPC URL (kept private: it may carry an API key). */
  rpcUrl: string;
  /**
   * A node with Hardhat's test methods that may be simulated on in place (the dev chain). Other
   * chains are simulated in an EDR fork.
   */
  dev?: boolean | undefined;
  /** A Uniswap V2 Router02 on the chain, for honeypot checks of tokens a transaction would give. */
  router?: `0x${string}` | undefined;
}

export interface RiskRuntimeOptions {
  /** Address and domain labels (the labels runtime's service: its overrides apply at once). */
  labels?: LabelService | undefined;
  chains: readonly RiskChainConfig[];
  logger: Logger;
  /** Simulate transactions (default true): the dev chain in place, other chains in an EDR fork. */
  simulate?: boolean | undefined;
  /** Timeout of each upstream request, in milliseconds (default 30 000). */
  timeoutMs?: number | undefined;
}

export interface RiskRuntime {
  readonly engine: RiskEngine;
  /** The engine's on-chain facts (address kinds, deployment times, token metadata), cached. */
  readonly facts: FactsProvider;
  /** The firewall's upstream for a configured chain; undefined for any other chain. */
  upstream(chainId: number): Eip1193Like | undefined;
  /** The configured chains, ascending. */
  readonly chains: readonly number[];
  close(): Promise<void>;
}

/**
 * An upstream failure as the firewall passes it on: the node's code, message and data, nothing
 * else. A node that did not answer has no code (the firewall answers -32603, and the facts
 * provider and simulator do not mistake it for a node's refusal).
 */
class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly code: number | undefined;
  readonly data: unknown;

  constructor(code: number | undefined, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/**
 * viem's errors describe the request (its URL, which may hold an API key, and its body); keep only
 * the node's JSON-RPC error, or say the node could not be reached.
 */
function sanitize(error: unknown, chainId: number): UpstreamError {
  let timedOut = false;
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 8; depth++) {
    const candidate = e as { name?: unknown; code?: unknown; details?: unknown; data?: unknown; cause?: unknown };
    if (candidate.name === 'RpcRequestError' && typeof candidate.code === 'number') {
      const message = typeof candidate.details === 'string' ? candidate.details : 'upstream error';
      return new UpstreamError(candidate.code, message, candidate.data);
    }
    if (candidate.name === 'TimeoutError') timedOut = true;
    e = candidate.cause;
  }
  return new UpstreamError(
    undefined,
    timedOut ? `the node of chain ${chainId} did not answer in time` : `the node of chain ${chainId} is unreachable`,
  );
}

function validateChains(chains: readonly RiskChainConfig[]): void {
  const seen = new Set<number>();
  for (const chain of chains) {
    if (!Number.isSafeInteger(chain.chainId) || chain.chainId <= 0) {
      throw new BaseError('INVALID_CONFIG', `invalid chain id ${String(chain.chainId)} for the risk engine`, {
        details: { setting: 'rpcUrls' },
      });
    }
    if (seen.has(chain.chainId)) {
      throw new BaseError('INVALID_CONFIG', `chain ${chain.chainId} has more than one RPC URL`, {
        details: { setting: 'rpcUrls', chainId: chain.chainId },
      });
    }
    seen.add(chain.chainId);
  }
}

export function createRiskRuntime(options: RiskRuntimeOptions): RiskRuntime {
  const { chains, logger } = options;
  validateChains(chains);
  const timeout = options.timeoutMs ?? 30_000;
  const upstreams = new Map<number, Eip1193Like>();
  const inPlace = new Map<number, Eip1193Like>();
  const forked = new Map<number, string>();
  const routers = new Map<number, `0x${string}`>();
  for (const chain of chains) {
    // No retries: a wallet retries what it sends itself, and a read is cheap to ask again.
    const client = createClient({ transport: http(chain.rpcUrl, { retryCount: 0, timeout }) });
    const raw: Eip1193Like = {
      async request(args) {
        try {
          return await client.request(args as Parameters<typeof client.request>[0]);
        } catch (error) {
          throw sanitize(error, chain.chainId);
        }
      },
    };
    if (chain.dev === true) {
      // Simulations hold `raw`'s lock from snapshot to revert; everything else waits for it.
      upstreams.set(chain.chainId, { request: (args) => withProviderLock(raw, () => raw.request(args)) });
      inPlace.set(chain.chainId, raw);
    } else {
      upstreams.set(chain.chainId, raw);
      forked.set(chain.chainId, chain.rpcUrl);
    }
    if (chain.router !== undefined) routers.set(chain.chainId, chain.router);
  }
  const facts = new RpcFactsProvider({ clients: upstreams });
  let simulator: Simulator | undefined;
  if (options.simulate ?? true) {
    simulator = new ChainSimulator({
      // Token metadata is read by the simulator inside its snapshot, from the node it runs on
      // (the facts provider's dev-chain client would wait for the snapshot's own lock).
      providers: inPlace,
      ...(forked.size > 0 ? { fork: new ForkSimulator({ rpcUrls: forked }) } : {}),
      routers,
    });
  }
  const engine = new RiskEngine({
    ...(options.labels === undefined ? {} : { labels: options.labels }),
    facts,
    ...(simulator === undefined ? {} : { simulator }),
  });
  const ids = [...upstreams.keys()].sort((a, b) => a - b);
  logger.debug({ chains: ids, simulate: simulator !== undefined, inPlace: [...inPlace.keys()] }, 'risk engine ready');
  let closed = false;
  return {
    engine,
    facts,
    chains: ids,
    upstream: (chainId) => (closed ? undefined : upstreams.get(chainId)),
    async close() {
      closed = true;
    },
  };
}
