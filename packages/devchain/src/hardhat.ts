/**
 * The narrow seam between custos and Hardhat 2's in-process network. It builds an EDR-backed
 * EIP-1193 provider with `createHardhatNetworkProvider` (the function `hardhat node` itself uses),
 * derives Hardhat's well-known funded accounts from the standard test mnemonic, and hands out
 * Hardhat's own JSON-RPC HTTP request handler so the wire behaviour (batches, error objects with
 * revert data) is exactly `hardhat node`'s. Everything here reaches into `hardhat/internal/...`:
 * these are deep imports into a pinned version (see package.json), chosen over the public
 * `hardhat` entry point because that one needs a hardhat.config file and builds a whole Hardhat
 * Runtime Environment. No config file is read, no HRE is created and no telemetry is touched.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
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

/** Creates a fresh in-process EDR chain (automine, Hardhat defaults) funded with the dev accounts. */
export async function createEdrProvider(chainId: number): Promise<Eip1193Provider> {
  const { createHardhatNetworkProvider } =
    require('hardhat/internal/hardhat-network/provider/provider.js') as typeof ProviderModule;
  const config: ProviderConfig = {
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
    initialDate: nextGenesisDate(),
    enableTransientStorage: true,
    enableRip7212: false,
  };
  return createHardhatNetworkProvider(config, { enabled: false });
}

/** Hardhat's `hardhat node` HTTP handler bound to `provider` (single and batch JSON-RPC). */
export function createJsonRpcHttpHandler(provider: Eip1193Provider): HttpRequestHandler {
  const { JsonRpcHandler } = require('hardhat/internal/hardhat-network/jsonrpc/handler.js') as typeof HandlerModule;
  // The handler's parameter type is Hardhat's EIP1193Provider; ours is the same call shape.
  const handler = new JsonRpcHandler(provider as ConstructorParameters<typeof JsonRpcHandler>[0]);
  return handler.handleHttp;
}
