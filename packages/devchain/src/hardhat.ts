/**
 * The narrow seam between custos and Hardhat 2's in-process network. It builds an EDR-backed
 * EIP-1193 provider with `createHardhatNetworkProvider` (the function `hardhat node` itself uses),
 * derives Hardhat's well-known funded accounts from the standard test mnemonic, and hands out
 * Hardhat's own JSON-RPC HTTP request handler so the wire behaviour (batches, error objects with
 * revert data) is exactly `hardhat node`'s. Everything here reaches into `hardhat/internal/...`:
 * these are deep imports into a pinned version (see package.json), chosen over the public
 * `hardhat` entry point because that one needs a hardhat.config file and builds a whole Hardhat
 * Runtime Environment. No config file is read, no HRE is created and no telemetry is touched.
 * `createEdrForkProvider` builds the same kind of provider as a fork of another chain (Hardhat's
 * `forking` config), which the risk engine uses to simulate transactions against real state.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseError } from '@custos/core';
import type * as DefaultConfigModule from 'hardhat/internal/core/config/default-config.js';
import type * as ProviderUtilModule from 'hardhat/internal/core/providers/util.js';
import type * as HandlerModule from 'hardhat/internal/hardhat-network/jsonrpc/handler.js';
import type * as ProviderModule from 'hardhat/internal/hardhat-network/provider/provider.js';

const require = createRequire(import.meta.url);

/** What we use of the provider: EIP-1193 `request`. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export type HttpRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

type ProviderConfig = Parameters<typeof ProviderModule.createHardhatNetworkProvider>[0];

/** Hardhat's dev mnemonic, HD path and balance: 20 accounts with 10 000 ETH each. */
export const HARDHAT_MNEMONIC = 'test test test test test test test test test test test junk';
export const HARDHAT_ACCOUNT_COUNT = 20;
export const HARDHAT_ACCOUNT_BALANCE = 10_000n * 10n ** 18n;
/** The hardfork EDR runs, Hardhat 2.29's default. */
export const DEV_HARDFORK = 'osaka';
const BLOCK_GAS_LIMIT = 60_000_000;

export interface DevAccountKey {
  privateKey: `0x${string}`;
}

let derivedKeys: readonly DevAccountKey[] | undefined;

/**
 * Derives the 20 private keys from the mnemonic with Hardhat's own derivation (BIP-39/BIP-44
 * m/44'/60'/0'/0/i). It costs a few hundred milliseconds of PBKDF2, so it runs once per process.
 */
export function hardhatAccountKeys(): readonly DevAccountKey[] {
  if (derivedKeys === undefined) {
    const { normalizeHardhatNetworkAccountsConfig } =
      require('hardhat/internal/core/providers/util.js') as typeof ProviderUtilModule;
    const { defaultHardhatNetworkHdAccountsConfigParams } =
      require('hardhat/internal/core/config/default-config.js') as typeof DefaultConfigModule;
    const accounts = normalizeHardhatNetworkAccountsConfig({
      ...defaultHardhatNetworkHdAccountsConfigParams,
      mnemonic: HARDHAT_MNEMONIC,
      count: HARDHAT_ACCOUNT_COUNT,
      accountsBalance: HARDHAT_ACCOUNT_BALANCE.toString(),
    });
    derivedKeys = Object.freeze(accounts.map((a) => ({ privateKey: a.privateKey as `0x${string}` })));
  }
  return derivedKeys;
}

let lastGenesisSecond = 0;

/**
 * The genesis timestamp is the wall clock (not pinned, so every start has a new genesis hash), but
 * EDR works in whole seconds: two chains started within one second would share a genesis block.
 * Moving later starts to the next unused second keeps genesis hashes distinct within a process.
 */
function nextGenesisDate(): Date {
  const now = Math.floor(Date.now() / 1000);
  lastGenesisSecond = Math.max(now, lastGenesisSecond + 1);
  return new Date(lastGenesisSecond * 1000);
}

/** The provider config both the fresh chain and a fork use: automine, Hardhat defaults, dev accounts. */
function baseProviderConfig(chainId: number): ProviderConfig {
  return {
    hardfork: DEV_HARDFORK,
    chainId,
    networkId: chainId,
    blockGasLimit: BLOCK_GAS_LIMIT,
    minGasPrice: 0n,
    automine: true,
    intervalMining: 0,
    mempoolOrder: 'priority',
    chains: new Map(),
    genesisAccounts: hardhatAccountKeys().map((k) => ({
      privateKey: k.privateKey,
      balance: HARDHAT_ACCOUNT_BALANCE,
    })),
    allowUnlimitedContractSize: false,
    throwOnTransactionFailures: true,
    throwOnCallFailures: true,
    allowBlocksWithSameTimestamp: false,
    enableTransientStorage: true,
    enableRip7212: false,
  };
}

function loadProviderModule(): typeof ProviderModule {
  return require('hardhat/internal/hardhat-network/provider/provider.js') as typeof ProviderModule;
}

/** Creates a fresh in-process EDR chain (automine, Hardhat defaults) funded with the dev accounts. */
export async function createEdrProvider(chainId: number): Promise<Eip1193Provider> {
  const config: ProviderConfig = { ...baseProviderConfig(chainId), initialDate: nextGenesisDate() };
  return loadProviderModule().createHardhatNetworkProvider(config, { enabled: false });
}

export interface EdrForkOptions {
  /** The JSON-RPC endpoint of the chain to fork (an archive node is not needed for a recent block). */
  rpcUrl: string;
  /**
   * The block to fork at. Default: the upstream's latest block, read here with `eth_blockNumber`.
   * (EDR's own default is a "reorg-safe" block some distance behind the head, which is not what
   * a pre-sign simulation wants and is block 0 on a young chain.)
   */
  blockNumber?: bigint | number;
  /** The chain id the fork reports and signs with; normally the upstream's own. */
  chainId: number;
  /** Per-request timeout for reading the latest block number, in milliseconds; default 10 000. */
  timeoutMs?: number;
  /**
   * Where EDR caches remote answers it considers final (old enough not to be reorged). Default:
   * `custos-edr-fork-cache` in the OS temp directory. (Left unset, EDR writes `./edr-cache` into
   * the current working directory.)
   */
  cacheDir?: string;
}

/** Reads `eth_blockNumber` from a JSON-RPC endpoint over HTTP. */
async function upstreamBlockNumber(rpcUrl: string, timeoutMs: number): Promise<bigint> {
  let response: Response;
  try {
    response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new BaseError('RPC_REQUEST_FAILED', 'The chain to fork could not be reached.', {
      details: { method: 'eth_blockNumber' },
      cause: error,
    });
  }
  const body = (await response.json().catch(() => null)) as { result?: unknown } | null;
  const result = body?.result;
  if (!response.ok || typeof result !== 'string' || !/^0x[0-9a-fA-F]+$/.test(result)) {
    throw new BaseError('RPC_REQUEST_FAILED', 'The chain to fork gave no usable block number.', {
      details: { method: 'eth_blockNumber', status: response.status },
    });
  }
  return BigInt(result);
}

/**
 * Creates an in-process EDR fork of another chain: state is read lazily from `rpcUrl` at
 * `blockNumber` (EDR caches remote answers it deems final under `cacheDir`), new blocks are mined locally with
 * automine, and the same 20 dev accounts are funded (their balances and code are overridden in
 * the fork, everything else is the upstream's). Hardhat's network config calls this `forking`;
 * the provider-level fields are `forkConfig: { jsonRpcUrl, blockNumber }`. The fork starts with
 * one empty local block mined on top of `blockNumber` (see below), so its `latest` is
 * `blockNumber + 1` with the upstream's state; calls pinned to `blockNumber` or earlier fail on
 * chains whose hardfork history EDR does not know.
 */
export async function createEdrForkProvider(options: EdrForkOptions): Promise<Eip1193Provider> {
  const { rpcUrl, chainId, timeoutMs = 10_000, cacheDir = join(tmpdir(), 'custos-edr-fork-cache') } = options;
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new BaseError('INVALID_INPUT', 'The fork chain id must be a positive integer.', {
      details: { field: 'chainId', value: String(chainId) },
    });
  }
  if (!/^https?:\/\//.test(rpcUrl)) {
    throw new BaseError('INVALID_INPUT', 'The RPC URL to fork must be an http(s) URL.', {
      details: { field: 'rpcUrl' },
    });
  }
  const blockNumber =
    options.blockNumber === undefined ? await upstreamBlockNumber(rpcUrl, timeoutMs) : BigInt(options.blockNumber);
  const config: ProviderConfig = {
    ...baseProviderConfig(chainId),
    forkConfig: { jsonRpcUrl: rpcUrl, blockNumber: Number(blockNumber) },
    forkCachePath: cacheDir,
  };
  try {
    const provider = await loadProviderModule().createHardhatNetworkProvider(config, { enabled: false });
    // EDR can only execute on a remote block when it knows the chain's hardfork history, and
    // Hardhat 2.29 does not pass its `chains` histories on (it names the field `hardforks`, EDR
    // reads `hardforkActivationOverrides`). One empty local block on top of the fork block makes
    // `latest` a block EDR runs with the configured hardfork.
    await provider.request({ method: 'evm_mine', params: [] });
    return provider;
  } catch (error) {
    throw new BaseError('RPC_REQUEST_FAILED', 'The EDR fork could not be created.', {
      details: { chainId, blockNumber: blockNumber.toString() },
      cause: error,
    });
  }
}

/** Hardhat's `hardhat node` HTTP handler bound to `provider` (single and batch JSON-RPC). */
export function createJsonRpcHttpHandler(provider: Eip1193Provider): HttpRequestHandler {
  const { JsonRpcHandler } = require('hardhat/internal/hardhat-network/jsonrpc/handler.js') as typeof HandlerModule;
  // The handler's parameter type is Hardhat's EIP1193Provider; ours is the same call shape.
  const handler = new JsonRpcHandler(provider as ConstructorParameters<typeof JsonRpcHandler>[0]);
  return handler.handleHttp;
}
