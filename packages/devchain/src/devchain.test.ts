/**
 * Tests of the dev chain itself: HTTP JSON-RPC (viem's http transport and raw batches), genesis
 * freshness, the funded accounts, the token fixtures, an EIP-2612 permit signed with viem, typed
 * errors for bad options and busy ports, and that close() frees the port at once. One chain is
 * shared by the file; every chain binds port 0.
 */
import { createServer } from 'node:net';
import { BaseError } from '@custos/core';
import { createPublicClient, createWalletClient, http, parseSignature } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownArtifact } from './artifacts.js';
import { type DevChain, devChainFixtures, startDevChain } from './devchain.js';
import { DEV_USD_GRANT, PERMIT2_ADDRESS } from './fixtures.js';
import { HARDHAT_ACCOUNT_BALANCE } from './hardhat.js';

let chain: DevChain;

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
  process.stderr.write(`[devchain] startDevChain took ${chain.startupMs} ms\n`);
});

afterAll(async () => {
  await chain.close();
});

function publicClient() {
  return createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl), pollingInterval: 20 });
}

function walletClient(index: number) {
  const key = chain.accounts[index]?.privateKey;
  if (key === undefined) throw new Error(`no dev account ${index}`);
  return createWalletClient({ account: privateKeyToAccount(key), chain: hardhat, transport: http(chain.rpcUrl) });
}

function account(index: number) {
  const a = chain.accounts[index];
  if (a === undefined) throw new Error(`no dev account ${index}`);
  return a;
}

async function catchError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('JSON-RPC over HTTP', () => {
  it('answers eth_chainId with 0x7a69 through viem http transport', async () => {
    expect(chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(chain.port).toBeGreaterThan(0);
    const client = publicClient();
    expect(await client.request({ method: 'eth_chainId' })).toBe('0x7a69');
    expect(await client.getChainId()).toBe(31337);
    expect(await chain.request('eth_chainId')).toBe('0x7a69');
  });

  it('serves JSON-RPC batches', async () => {
    const response = await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
        { jsonrpc: '2.0', id: 2, method: 'net_version', params: [] },
        { jsonrpc: '2.0', id: 3, method: 'no_suchMethod', params: [] },
      ]),
    });
    const body = (await response.json()) as { id: number; result?: string; error?: { code: number } }[];
    expect(body.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(body[0]?.result).toBe('0x7a69');
    expect(body[1]?.result).toBe('31337');
    // Hardhat answers unknown methods with -32004 (method not supported), per request.
    expect(body[2]?.error?.code).toBe(-32004);
  });

  it('exposes genesisHash as the hash of block 0, new on every start', async () => {
    const block0 = await publicClient().getBlock({ blockNumber: 0n });
    expect(block0.hash).toBe(chain.genesisHash);
    const second = await startDevChain({ port: 0 });
    try {
      expect(second.genesisHash).not.toBe(chain.genesisHash);
      expect(second.contracts).toEqual(chain.contracts);
    } finally {
      await second.close();
    }
  });
});

describe('accounts and fixtures', () => {
  it("lists Hardhat's well-known funded accounts, untouched by fixture deployment", async () => {
    const client = publicClient();
    expect(chain.accounts).toHaveLength(10);
    expect(account(0).address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(account(0).privateKey).toBe('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
    expect(account(9).address).toBe('0xa0Ee7A142d267C1f36714E4a8F75612F20a79720');
    expect(await client.getBalance({ address: account(9).address })).toBe(HARDHAT_ACCOUNT_BALANCE);
    expect(await client.getTransactionCount({ address: account(0).address })).toBe(0);
    const rpcAccounts = (await chain.request('eth_accounts')) as string[];
    expect(rpcAccounts).toHaveLength(20);
  });

  it('deploys the ERC-20, ERC-721, ERC-1155 and the Permit2 code', async () => {
    const client = publicClient();
    const { erc20, erc721, erc1155 } = chain.contracts;
    const usd = ownArtifact('DevUSD').abi;
    expect(await client.readContract({ address: erc20, abi: usd, functionName: 'symbol' })).toBe('cUSD');
    expect(await client.readContract({ address: erc20, abi: usd, functionName: 'decimals' })).toBe(6);
    expect(
      await client.readContract({ address: erc20, abi: usd, functionName: 'balanceOf', args: [account(4).address] }),
    ).toBe(DEV_USD_GRANT);
    const nft = ownArtifact('DevNFT').abi;
    expect(await client.readContract({ address: erc721, abi: nft, functionName: 'ownerOf', args: [1n] })).toBe(
      account(0).address,
    );
    expect(await client.readContract({ address: erc721, abi: nft, functionName: 'ownerOf', args: [4n] })).toBe(
      account(1).address,
    );
    const multi = ownArtifact('DevMultiToken').abi;
    expect(
      await client.readContract({
        address: erc1155,
        abi: multi,
        functionName: 'balanceOf',
        args: [account(1).address, 1n],
      }),
    ).toBe(1000n);
    expect(chain.contracts.permit2).toBe(PERMIT2_ADDRESS);
    expect(await client.getCode({ address: PERMIT2_ADDRESS })).toBe(ownArtifact('CustosPermit2').deployedBytecode);
  });

  it('describes itself for GET /v1/dev/fixtures as plain JSON', () => {
    const fixtures = devChainFixtures(chain);
    expect(JSON.parse(JSON.stringify(fixtures))).toEqual({
      chainId: 31337,
      rpcUrl: chain.rpcUrl,
      genesisHash: chain.genesisHash,
      accounts: chain.accounts,
      contracts: chain.contracts,
    });
  });
});

describe('ERC-20 EIP-2612 permit', () => {
  it('redeems a permit signed with viem signTypedData', async () => {
    const client = publicClient();
    const owner = walletClient(2);
    const spender = walletClient(3);
    const token = chain.contracts.erc20;
    const abi = ownArtifact('DevUSD').abi;
    const value = 123_456_789n;
    const nonce = (await client.readContract({
      address: token,
      abi,
      functionName: 'nonces',
      args: [owner.account.address],
    })) as bigint;
    const deadline = (await client.getBlock()).timestamp + 600n;
    const signature = await owner.signTypedData({
      domain: { name: 'Custos Dev USD', version: '1', chainId: 31337, verifyingContract: token },
      types: {
        Permit: [
          { name: 'owner', type: 'address' },
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'deadline', type: 'uint256' },
        ],
      },
      primaryType: 'Permit',
      message: { owner: owner.account.address, spender: spender.account.address, value, nonce, deadline },
    });
    const { r, s, v } = parseSignature(signature);
    const permitHash = await spender.writeContract({
      address: token,
      abi,
      functionName: 'permit',
      args: [owner.account.address, spender.account.address, value, deadline, Number(v), r, s],
    });
    expect((await client.waitForTransactionReceipt({ hash: permitHash })).status).toBe('success');
    expect(
      await client.readContract({
        address: token,
        abi,
        functionName: 'allowance',
        args: [owner.account.address, spender.account.address],
      }),
    ).toBe(value);
    const moveHash = await spender.writeContract({
      address: token,
      abi,
      functionName: 'transferFrom',
      args: [owner.account.address, account(5).address, value],
    });
    expect((await client.waitForTransactionReceipt({ hash: moveHash })).status).toBe('success');
    expect(
      await client.readContract({ address: token, abi, functionName: 'balanceOf', args: [account(5).address] }),
    ).toBe(value);
    expect(
      await client.readContract({ address: token, abi, functionName: 'nonces', args: [owner.account.address] }),
    ).toBe(nonce + 1n);
  });
});

describe('errors and lifecycle', () => {
  it('rejects a busy port with PORT_IN_USE', async () => {
    const error = await catchError(startDevChain({ port: chain.port }));
    expect(error).toBeInstanceOf(BaseError);
    expect((error as BaseError).code).toBe('PORT_IN_USE');
    expect((error as BaseError).details).toEqual({ host: '127.0.0.1', port: chain.port });
  });

  it('rejects an invalid port with INVALID_INPUT', async () => {
    const error = await catchError(startDevChain({ port: 70_000 }));
    expect((error as BaseError).code).toBe('INVALID_INPUT');
  });

  it('close() is quick and releases the port for the next chain', async () => {
    const first = await startDevChain({ port: 0 });
    // Leave a keep-alive connection open, as real clients do.
    expect(await createPublicClient({ transport: http(first.rpcUrl) }).getChainId()).toBe(31337);
    const started = performance.now();
    await first.close();
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(first.request('eth_chainId')).rejects.toMatchObject({ code: 'RPC_REQUEST_FAILED' });
    const second = await startDevChain({ port: first.port });
    try {
      expect(second.port).toBe(first.port);
      expect(await second.request('eth_chainId')).toBe('0x7a69');
    } finally {
      await second.close();
    }
    // And the port is free again for anyone else.
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(first.port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });

  it('wraps in-process request failures in RPC_REQUEST_FAILED with the cause kept', async () => {
    const error = await catchError(chain.request('eth_getBalance', ['not-an-address', 'latest']));
    expect(error).toBeInstanceOf(BaseError);
    expect((error as BaseError).code).toBe('RPC_REQUEST_FAILED');
    expect((error as BaseError).cause).toBeDefined();
  });
});
