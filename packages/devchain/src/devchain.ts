/**
 * `startDevChain`, the engine behind `custos serve --dev`: a real EVM (Hardhat 2's in-process
 * network on Nomic Foundation's EDR) with Hardhat's 20 funded dev accounts, the fixture contracts
 * deployed, and JSON-RPC 2.0 over HTTP on 127.0.0.1:8545 by default. The genesis timestamp is not
 * pinned, so each start is a new chain with its own genesis hash; clients can use `genesisHash` to
 * notice that the chain they cached state for is gone. Also exports `devChainFixtures`, the
 * public description of a running chain served by GET /v1/dev/fixtures.
 */
import { BaseError, type Logger } from '@custos/core';
import type { Address, Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { type DevContracts, deployFixtures } from './fixtures.js';
import { createEdrProvider, createJsonRpcHttpHandler, type Eip1193Provider, hardhatAccountKeys } from './hardhat.js';
import { startRpcServer } from './rpc-server.js';

export const DEFAULT_DEV_HOST = '127.0.0.1';
export const DEFAULT_DEV_PORT = 8545;
export const DEFAULT_DEV_CHAIN_ID = 31337;
/** Accounts handed to users; the rest of Hardhat's 20 stay funded but unlisted. */
const EXPOSED_ACCOUNT_COUNT = 10;
/** Index of the account that deploys the fixtures (the last of Hardhat's 20). */
const DEPLOYER_INDEX = 19;

export interface DevChainOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** TCP port; default 8545, 0 picks a free port (read it back from `rpcUrl`). */
  port?: number;
  /** EIP-155 chain id; default 31337, Hardhat's. */
  chainId?: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

export interface DevAccount {
  address: Address;
  /** Hardhat's public, well-known dev key. Never fund it on a real network. */
  privateKey: Hex;
}

export interface DevChain {
  chainId: number;
  rpcUrl: string;
  host: string;
  port: number;
  /** Hash of block 0; different on every start. */
  genesisHash: Hex;
  /** The first ten Hardhat dev accounts (10 000 ETH each at genesis). */
  accounts: readonly DevAccount[];
  contracts: Readonly<DevContracts>;
  /** How long start-up took, in milliseconds. */
  startupMs: number;
  /** Sends a JSON-RPC request to the chain in-process, without HTTP. */
  request(method: string, params?: readonly unknown[]): Promise<unknown>;
  /** Stops the HTTP server (dropping open connections) and releases the chain. Idempotent. */
  close(): Promise<void>;
}

/** What GET /v1/dev/fixtures returns: everything a client needs to talk to the dev chain. */
export interface DevChainFixtures {
  chainId: number;
  rpcUrl: string;
  genesisHash: Hex;
  accounts: readonly DevAccount[];
  contracts: Readonly<DevContracts>;
}

function validateOptions(options: DevChainOptions): { host: string; port: number; chainId: number } {
  const { host = DEFAULT_DEV_HOST, port = DEFAULT_DEV_PORT, chainId = DEFAULT_DEV_CHAIN_ID } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new BaseError('INVALID_INPUT', 'The dev chain port must be an integer from 0 to 65535.', {
      details: { field: 'port', value: String(port) },
    });
  }
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new BaseError('INVALID_INPUT', 'The dev chain id must be a positive integer.', {
      details: { field: 'chainId', value: String(chainId) },
    });
  }
  if (host.length === 0) {
    throw new BaseError('INVALID_INPUT', 'The dev chain host must not be empty.', { details: { field: 'host' } });
  }
  return { host, port, chainId };
}

function rpcFailure(method: string, error: unknown): BaseError {
  const rpcCode = error instanceof Error && 'code' in error && typeof error.code === 'number' ? error.code : null;
  const data = error instanceof Error && 'data' in error && typeof error.data === 'string' ? error.data : null;
  const message = error instanceof Error ? error.message : String(error);
  return new BaseError('RPC_REQUEST_FAILED', `Dev chain request ${method} failed: ${message}`, {
    details: { method, rpcCode, data },
    cause: error,
  });
}

async function buildChain(
  provider: Eip1193Provider,
  chainId: number,
): Promise<{ genesisHash: Hex; accounts: DevAccount[]; contracts: DevContracts }> {
  const keys = hardhatAccountKeys();
  const all = keys.map((k) => ({ address: privateKeyToAddress(k.privateKey), privateKey: k.privateKey }));
  const deployer = all[DEPLOYER_INDEX];
  if (deployer === undefined) throw new BaseError('INTERNAL', 'The dev chain deployer account is missing.');
  const accounts = all.slice(0, EXPOSED_ACCOUNT_COUNT);
  const reportedChainId = Number(await provider.request({ method: 'eth_chainId' }));
  if (reportedChainId !== chainId) {
    throw new BaseError('DEVCHAIN_START_FAILED', 'The dev chain reports an unexpected chain id.', {
      details: { expected: chainId, actual: reportedChainId },
    });
  }
  const genesis = (await provider.request({ method: 'eth_getBlockByNumber', params: ['0x0', false] })) as { hash: Hex };
  const contracts = await deployFixtures(
    provider,
    deployer.address,
    accounts.map((a) => a.address),
  );
  return { genesisHash: genesis.hash, accounts, contracts };
}

/** Starts a dev chain with its fixtures and HTTP JSON-RPC front. */
export async function startDevChain(options: DevChainOptions = {}): Promise<DevChain> {
  const started = performance.now();
  const { host, port, chainId } = validateOptions(options);
  let provider: Eip1193Provider;
  let built: Awaited<ReturnType<typeof buildChain>>;
  try {
    provider = await createEdrProvider(chainId);
    built = await buildChain(provider, chainId);
  } catch (error) {
    if (error instanceof BaseError) throw error;
    throw new BaseError('DEVCHAIN_START_FAILED', 'The dev chain could not be started.', {
      details: { chainId },
      cause: error,
    });
  }
  // Bind last: a client that connects must find the fixtures already deployed.
  const server = await startRpcServer(createJsonRpcHttpHandler(provider), host, port);
  let closed = false;
  const chain: DevChain = {
    chainId,
    rpcUrl: server.url,
    host: server.host,
    port: server.port,
    genesisHash: built.genesisHash,
    accounts: Object.freeze(built.accounts.map((a) => Object.freeze(a))),
    contracts: Object.freeze(built.contracts),
    startupMs: Math.round(performance.now() - started),
    async request(method, params = []) {
      if (closed) {
        throw new BaseError('RPC_REQUEST_FAILED', 'The dev chain is closed.', { details: { method } });
      }
      try {
        return await provider.request({ method, params: [...params] });
      } catch (error) {
        throw rpcFailure(method, error);
      }
    },
    async close() {
      closed = true;
      // EDR runs no timers with automine and interval mining off, so once the server is gone
      // nothing keeps the process alive; the provider is reclaimed with the last reference.
      await server.close();
    },
  };
  options.logger?.info(
    { rpcUrl: chain.rpcUrl, chainId, genesisHash: chain.genesisHash, startupMs: chain.startupMs },
    'dev chain ready',
  );
  return chain;
}

/** The public fixture description of a running chain (GET /v1/dev/fixtures). */
export function devChainFixtures(chain: DevChain): DevChainFixtures {
  return {
    chainId: chain.chainId,
    rpcUrl: chain.rpcUrl,
    genesisHash: chain.genesisHash,
    accounts: chain.accounts.map((a) => ({ address: a.address, privateKey: a.privateKey })),
    contracts: { ...chain.contracts },
  };
}
