/**
 * Tests of transaction simulation on a real dev chain (one per file, over HTTP through viem's
 * transport): ERC-20 approve and transfer, an ETH transfer, ERC-721 and ERC-1155 transfers,
 * setApprovalForAll, a Permit2 approval, an EIP-7702 delegation, a sender without a key or ETH,
 * a reverting transfer (success:false with the decoded reason), concurrent simulations, and that
 * the chain is exactly as before afterwards. The fork path forks the running dev chain through its
 * HTTP URL: the fork sees the fixtures and balances, a simulated transfer leaves the origin alone,
 * and a stale fork is replaced by one at the new head.
 */
import { type DevChain, ownArtifact, startDevChain } from '@custos/devchain';
import {
  type Abi,
  createPublicClient,
  createWalletClient,
  encodeErrorResult,
  encodeFunctionData,
  http,
  parseAbi,
  parseEther,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Eip1193Like } from './facts.js';
import { createForkSimulator, decodeRevertReason, simulateTransaction } from './simulate.js';
import type { Address, Hex } from './types.js';

const ZERO: Address = '0x0000000000000000000000000000000000000000';
let chain: DevChain;
let provider: Eip1193Like;

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
  provider = createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl, { retryCount: 0 }) });
});

afterAll(async () => {
  await chain.close();
});

function account(index: number): Address {
  const a = chain.accounts[index];
  if (a === undefined) throw new Error(`no dev account ${index}`);
  return a.address.toLowerCase() as Address;
}

function lower(address: string): Address {
  return address.toLowerCase() as Address;
}

const usd = () => ownArtifact('DevUSD').abi;
const nft = () => ownArtifact('DevNFT').abi;
const multi = () => ownArtifact('DevMultiToken').abi;

function calldata(abi: Abi, functionName: string, args: readonly unknown[]): Hex {
  return encodeFunctionData({ abi, functionName, args });
}

/** Simulates a zero-value call of `data` from `from` to `to`, seen as `user` when given. */
function simulateCall(from: Address, to: Address, data: Hex, user?: Address) {
  return simulateTransaction({ provider, ...(user === undefined ? {} : { user }), tx: { from, to, value: '0', data } });
}

/** A wallet client sending as dev account `index`. */
function devWallet(index: number) {
  const key = chain.accounts[index]?.privateKey;
  if (key === undefined) throw new Error('no key');
  return createWalletClient({ account: privateKeyToAccount(key), chain: hardhat, transport: http(chain.rpcUrl) });
}

async function read(method: string, params: unknown[]): Promise<unknown> {
  return chain.request(method, params);
}

/** Everything a simulation could have touched, read straight from the chain. */
async function chainState(...accounts: Address[]) {
  const rows = await Promise.all(
    accounts.map(async (a) => ({
      balance: await read('eth_getBalance', [a, 'latest']),
      nonce: await read('eth_getTransactionCount', [a, 'latest']),
      cusd: await read('eth_call', [{ to: chain.contracts.erc20, data: calldata(usd(), 'balanceOf', [a]) }, 'latest']),
      code: await read('eth_getCode', [a, 'latest']),
    })),
  );
  return { block: await read('eth_blockNumber', []), rows };
}

describe('simulateTransaction', () => {
  it('reports an ERC-20 approve as an approval and no asset change', async () => {
    const result = await simulateCall(
      account(0),
      chain.contracts.erc20,
      calldata(usd(), 'approve', [account(5), 1234n]),
    );
    expect(result.success).toBe(true);
    expect(result.approvals).toEqual([
      { standard: 'erc20', token: lower(chain.contracts.erc20), spender: account(5), amount: '1234' },
    ]);
    expect(result.assetChanges).toEqual([]);
    expect(Number(result.gasUsed)).toBeGreaterThan(21_000);
    expect(result.block).toBe(String(Number(await read('eth_blockNumber', []))));
  });

  it('reports the exact ERC-20 amount out to the recipient, with symbol and decimals', async () => {
    const result = await simulateCall(
      account(0),
      chain.contracts.erc20,
      calldata(usd(), 'transfer', [account(3), 1_500_000n]),
    );
    expect(result.assetChanges).toEqual([
      {
        direction: 'out',
        asset: 'erc20',
        token: lower(chain.contracts.erc20),
        amount: '1500000',
        counterparty: account(3),
        symbol: 'cUSD',
        decimals: 6,
      },
    ]);
    expect(result.approvals).toEqual([]);
  });

  it('reports the recipient side when asked for another user', async () => {
    const result = await simulateCall(
      account(0),
      chain.contracts.erc20,
      calldata(usd(), 'transfer', [account(3), 7n]),
      account(3),
    );
    expect(result.assetChanges).toMatchObject([
      { direction: 'in', asset: 'erc20', amount: '7', counterparty: account(0) },
    ]);
  });

  it('reports an ETH transfer as the native amount out (gas excluded)', async () => {
    const result = await simulateTransaction({
      provider,
      tx: { from: account(0), to: account(4), value: parseEther('1.5').toString(), data: '0x' },
    });
    expect(result.success).toBe(true);
    expect(result.gasUsed).toBe('21000');
    expect(result.assetChanges).toEqual([
      {
        direction: 'out',
        asset: 'native',
        token: ZERO,
        amount: parseEther('1.5').toString(),
        counterparty: account(4),
      },
    ]);
  });

  it('reports an ERC-721 transfer as the NFT id out', async () => {
    const result = await simulateCall(
      account(0),
      chain.contracts.erc721,
      calldata(nft(), 'transferFrom', [account(0), account(2), 1n]),
    );
    expect(result.assetChanges).toEqual([
      {
        direction: 'out',
        asset: 'erc721',
        token: lower(chain.contracts.erc721),
        id: '1',
        amount: '1',
        counterparty: account(2),
      },
    ]);
  });

  it('reports ERC-721 approve as a single-token approval and ERC-1155 transfers by id', async () => {
    const approve = await simulateCall(
      account(0),
      chain.contracts.erc721,
      calldata(nft(), 'approve', [account(6), 2n]),
    );
    expect(approve.approvals).toEqual([
      { standard: 'erc721', token: lower(chain.contracts.erc721), spender: account(6), amount: '2' },
    ]);
    const transfer = await simulateCall(
      account(1),
      chain.contracts.erc1155,
      calldata(multi(), 'safeBatchTransferFrom', [account(1), account(2), [1n, 2n], [30n, 4n], '0x']),
    );
    expect(transfer.assetChanges).toEqual([
      {
        direction: 'out',
        asset: 'erc1155',
        token: lower(chain.contracts.erc1155),
        id: '1',
        amount: '30',
        counterparty: account(2),
      },
      {
        direction: 'out',
        asset: 'erc1155',
        token: lower(chain.contracts.erc1155),
        id: '2',
        amount: '4',
        counterparty: account(2),
      },
    ]);
  });

  it("reports setApprovalForAll as 'all', with the collection's standard", async () => {
    const on721 = await simulateCall(
      account(0),
      chain.contracts.erc721,
      calldata(nft(), 'setApprovalForAll', [account(6), true]),
    );
    expect(on721.approvals).toEqual([
      { standard: 'erc721', token: lower(chain.contracts.erc721), spender: account(6), amount: 'all' },
    ]);
    expect(on721.assetChanges).toEqual([]);
    const on1155 = await simulateCall(
      account(1),
      chain.contracts.erc1155,
      calldata(multi(), 'setApprovalForAll', [account(6), true]),
    );
    expect(on1155.approvals).toEqual([
      { standard: 'erc1155', token: lower(chain.contracts.erc1155), spender: account(6), amount: 'all' },
    ]);
  });

  it('reports a Permit2 allowance', async () => {
    const permit2 = parseAbi(['function approve(address token, address spender, uint160 amount, uint48 expiration)']);
    const result = await simulateCall(
      account(0),
      lower(chain.contracts.permit2),
      encodeFunctionData({
        abi: permit2,
        functionName: 'approve',
        args: [chain.contracts.erc20, account(7), 5_000n, 2_000_000_000],
      }),
    );
    expect(result.approvals).toEqual([
      { standard: 'permit2', token: lower(chain.contracts.erc20), spender: account(7), amount: '5000' },
    ]);
  });

  it('reports a reverting transfer as success:false with the decoded reason, not a throw', async () => {
    const result = await simulateCall(
      account(0),
      chain.contracts.erc20,
      calldata(usd(), 'transfer', [account(3), 10n ** 30n]),
    );
    expect(result.success).toBe(false);
    expect(result.revertReason).toMatch(
      /^ERC20InsufficientBalance\(0xf39f.*, 1000000000000, 1000000000000000000000000000000\)$/i,
    );
    expect(Number(result.gasUsed)).toBeGreaterThan(21_000);
    expect(result.assetChanges).toEqual([]);
    expect(result.approvals).toEqual([]);
  });

  it('sends as an address without a key or any ETH (impersonation, zero gas price)', async () => {
    const holder = lower('0x5151515151515151515151515151515151515151');
    const wallet = devWallet(0);
    const hash = await wallet.writeContract({
      address: chain.contracts.erc20,
      abi: usd(),
      functionName: 'mint',
      args: [holder, 99n],
    });
    await createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl) }).waitForTransactionReceipt({ hash });
    const result = await simulateTransaction({
      provider,
      tx: { from: holder, to: chain.contracts.erc20, value: '0', data: calldata(usd(), 'transfer', [account(1), 99n]) },
    });
    expect(result.success).toBe(true);
    expect(result.assetChanges).toMatchObject([
      { direction: 'out', asset: 'erc20', amount: '99', counterparty: account(1) },
    ]);
    expect(await read('eth_getBalance', [holder, 'latest'])).toBe('0x0');
  });

  it('installs an EIP-7702 delegation for the transaction only', async () => {
    // account 0 delegates to the cUSD code and mints to itself: the Transfer comes from account 0's own address.
    const result = await simulateTransaction({
      provider,
      tx: {
        from: account(0),
        to: account(0),
        value: '0',
        data: calldata(usd(), 'mint', [account(0), 42n]),
        authorizationList: [{ chainId: 31337, address: lower(chain.contracts.erc20), nonce: '1' }],
      },
    });
    expect(result.success).toBe(true);
    expect(result.assetChanges).toMatchObject([
      { direction: 'in', asset: 'erc20', token: account(0), amount: '42', counterparty: ZERO },
    ]);
    expect(await read('eth_getCode', [account(0), 'latest'])).toBe('0x');
  });

  it('serialises concurrent simulations and leaves the chain exactly as it was', async () => {
    const watched = [account(0), account(1), account(3), account(4)];
    const before = await chainState(...watched);
    const transfer = (to: Address, amount: bigint) =>
      simulateCall(account(0), chain.contracts.erc20, calldata(usd(), 'transfer', [to, amount]));
    const results = await Promise.all([
      transfer(account(3), 11n),
      transfer(account(4), 12n),
      simulateTransaction({ provider, tx: { from: account(0), to: account(4), value: '5', data: '0x' } }),
      transfer(account(3), 10n ** 40n),
    ]);
    expect(results.map((r) => r.assetChanges[0]?.amount)).toEqual(['11', '12', '5', undefined]);
    expect(results.map((r) => r.success)).toEqual([true, true, true, false]);
    expect(new Set(results.map((r) => r.block)).size).toBe(1);
    expect(await chainState(...watched)).toEqual(before);
  });

  it('refuses malformed input with a typed error', async () => {
    await expect(
      simulateTransaction({ provider, tx: { from: '0x12' as Address, value: '0', data: '0x' } }),
    ).rejects.toMatchObject({ code: 'RISK_INVALID_REQUEST' });
    await expect(
      simulateTransaction({ provider, tx: { from: account(0), to: account(1), value: '-1', data: '0x' } }),
    ).rejects.toMatchObject({ code: 'RISK_INVALID_REQUEST' });
  });
});

describe('decodeRevertReason', () => {
  it('decodes Error(string), Panic(uint256) and unknown custom errors', () => {
    const errors = parseAbi(['error Error(string)', 'error Panic(uint256)', 'error Mystery(uint256)']);
    expect(decodeRevertReason(encodeErrorResult({ abi: errors, errorName: 'Error', args: ['no way'] }))).toBe('no way');
    expect(decodeRevertReason(encodeErrorResult({ abi: errors, errorName: 'Panic', args: [0x11n] }))).toBe(
      'Panic(0x11): arithmetic overflow or underflow',
    );
    const mystery = encodeErrorResult({ abi: errors, errorName: 'Mystery', args: [1n] });
    expect(decodeRevertReason(mystery)).toBe(`custom error ${mystery.slice(0, 10)}`);
    expect(decodeRevertReason('0x')).toBe('reverted without a reason');
  });
});

describe('ForkSimulator', () => {
  it('forks the dev chain over HTTP, sees its state, leaves it alone and refreshes when stale', async () => {
    const wallet = devWallet(2);
    const origin = createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl) });
    const fresh = lower('0x4242424242424242424242424242424242424242');
    await origin.waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to: fresh, value: 7n }) });

    let now = 0;
    const simulator = createForkSimulator({ rpcUrls: { 31337: chain.rpcUrl }, maxAgeSeconds: 30, now: () => now });
    const fork = await simulator.fork(31337);
    const forkRead = (method: string, params: unknown[]) => fork.request({ method, params });
    // The fork sees the origin's contracts, token balances and a non-genesis account's ETH.
    for (const address of [chain.contracts.erc20, chain.contracts.uniswapV2Pair, chain.contracts.permit2]) {
      expect(await forkRead('eth_getCode', [address, 'latest'])).toBe(await read('eth_getCode', [address, 'latest']));
    }
    const cusdOf0 = { to: chain.contracts.erc20, data: calldata(usd(), 'balanceOf', [account(0)]) };
    expect(await forkRead('eth_call', [cusdOf0, 'latest'])).toBe(await read('eth_call', [cusdOf0, 'latest']));
    expect(await forkRead('eth_getBalance', [fresh, 'latest'])).toBe('0x7');
    // One empty local block on top of the origin's head (see createEdrForkProvider).
    expect(BigInt((await forkRead('eth_blockNumber', [])) as string)).toBe(
      BigInt((await read('eth_blockNumber', [])) as string) + 1n,
    );

    const before = await chainState(account(0), account(3));
    const result = await simulator.simulate(31337, {
      tx: {
        from: account(0),
        to: chain.contracts.erc20,
        value: '0',
        data: calldata(usd(), 'transfer', [account(3), 321n]),
      },
    });
    expect(result.success).toBe(true);
    expect(result.assetChanges).toMatchObject([
      { direction: 'out', asset: 'erc20', amount: '321', counterparty: account(3) },
    ]);
    expect(await chainState(account(0), account(3))).toEqual(before);

    // Within maxAge the same fork serves; past it, a new fork at the new head.
    await origin.waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to: fresh, value: 1n }) });
    now += 10_000;
    expect(await simulator.fork(31337)).toBe(fork);
    now += 30_000;
    const refreshed = await simulator.fork(31337);
    expect(refreshed).not.toBe(fork);
    expect(await refreshed.request({ method: 'eth_getBalance', params: [fresh, 'latest'] })).toBe('0x8');
    await expect(simulator.fork(1)).rejects.toMatchObject({ code: 'RISK_SIMULATION_FAILED' });
  });
});
