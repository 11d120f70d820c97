/**
 * Reserve balances on a real EVM (the in-process dev chain): native and ERC-20 balances are read
 * at a snapshot block, then the chain moves on — ETH and cUSD leave a reserve address — and the
 * snapshot read still returns the old, exact amounts while the latest block shows the new ones.
 * The dev accounts also sign this round's ownership message with viem, end to end from signature
 * to reserve ratio. Failure paths: a token without code, a block that does not exist yet, a
 * malformed address.
 */
import { Decimal } from '@custos/core';
import { DEV_USD_GRANT, type DevChain, startDevChain } from '@custos/devchain';
import { type Address, encodeFunctionData, erc20Abi, getAddress, type Hex, numberToHex, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReserveRpc, readEvmBalances } from './evm-balances.js';
import { verifyAddressOwnership } from './ownership.js';
import { reserveRatios } from './ratios.js';
import type { ReserveRow } from './reserve-file.js';

const ROUND_MESSAGE = 'custos por round 2026-11 devexchange';

let chain: DevChain;
let rpc: ReserveRpc;

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
  rpc = { request: ({ method, params }) => chain.request(method, params) };
});

afterAll(async () => {
  await chain?.close();
});

function dev(i: number): { address: Address; privateKey: Hex } {
  const account = chain.accounts[i];
  if (account === undefined) throw new Error(`dev account ${i} missing`);
  return account;
}

async function blockNumber(): Promise<bigint> {
  return BigInt((await chain.request('eth_blockNumber')) as string);
}

async function balanceAt(address: Address, block: bigint): Promise<bigint> {
  return BigInt((await chain.request('eth_getBalance', [address, numberToHex(block)])) as string);
}

/** Sends from an unlocked dev account and returns the fee it paid, in wei. */
async function send(from: Address, to: Address, value: bigint, data?: Hex): Promise<bigint> {
  const tx = { from, to, value: numberToHex(value), ...(data === undefined ? {} : { data }) };
  const hash = await chain.request('eth_sendTransaction', [tx]);
  const receipt = (await chain.request('eth_getTransactionReceipt', [hash])) as {
    status: Hex;
    gasUsed: Hex;
    effectiveGasPrice: Hex;
  };
  expect(receipt.status).toBe('0x1');
  return BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice);
}

async function ownershipRow(i: number, asset: string, message = ROUND_MESSAGE): Promise<ReserveRow> {
  const { address, privateKey } = dev(i);
  const signature = await privateKeyToAccount(privateKey).signMessage({ message });
  return { line: i + 2, asset, network: 'ETH', address, message, signatures: [signature] };
}

describe('readEvmBalances on the dev chain', () => {
  it('reads the snapshot height, not the latest block, after reserves move', async () => {
    const [a, b, outside] = [dev(1), dev(2), dev(3)];
    const rows = [await ownershipRow(1, 'ETH'), await ownershipRow(2, 'ETH'), await ownershipRow(1, 'cUSD')];
    const tokens = { cUSD: { contract: chain.contracts.erc20, decimals: 6 } };

    const snapshot = await blockNumber();
    const atSnapshot = await readEvmBalances({ rpc, rows, blockNumber: snapshot, tokens });
    const aBefore = await balanceAt(a.address, snapshot);
    const bBefore = await balanceAt(b.address, snapshot);
    expect(atSnapshot.balances.map((x) => [x.kind, x.address, x.balance.toFixed()])).toEqual([
      ['native', a.address, Decimal.fromUnits(aBefore, 18).toFixed()],
      ['native', b.address, Decimal.fromUnits(bBefore, 18).toFixed()],
      ['erc20', a.address, Decimal.fromUnits(DEV_USD_GRANT, 6).toFixed()],
    ]);
    expect(atSnapshot.balances[2]?.balance.toString()).toBe('1000000');
    expect(atSnapshot.totals.ETH?.units).toBe(aBefore + bBefore);

    // After the snapshot: 1.5 ETH and 250 000.5 cUSD leave reserve address a.
    const ethFee = await send(a.address, outside.address, parseEther('1.5'));
    const transfer = encodeFunctionData({
      abi: erc20Abi,
      functionName: 'transfer',
      args: [outside.address, 250_000_500_000n],
    });
    const tokenFee = await send(a.address, chain.contracts.erc20, 0n, transfer);
    const later = await blockNumber();
    expect(later).toBe(snapshot + 2n);

    const again = await readEvmBalances({ rpc, rows, blockNumber: snapshot, tokens });
    expect(again.balances.map((x) => x.balance.toFixed())).toEqual(atSnapshot.balances.map((x) => x.balance.toFixed()));

    const latest = await readEvmBalances({ rpc, rows, blockNumber: later, tokens });
    expect(latest.balances[0]?.balance.units).toBe(aBefore - parseEther('1.5') - ethFee - tokenFee);
    expect(latest.balances[1]?.balance.units).toBe(bBefore);
    expect(latest.balances[2]?.balance.toFixed()).toBe('749999.500000');
    expect(latest.balances.every((x) => x.blockNumber === later)).toBe(true);
  });

  it('compares claimed amounts exactly and reads decimals() when they are not configured', async () => {
    const snapshot = await blockNumber();
    const holder = dev(4).address;
    const wei = await balanceAt(holder, snapshot);
    const exact = Decimal.fromUnits(wei, 18);
    const rows = [
      {
        asset: 'eth',
        address: holder,
        amount: Decimal.parse(exact.toString(), exact.toString().split('.')[1]?.length ?? 0),
      },
      { asset: 'ETH', address: holder, amount: exact.add(Decimal.fromUnits(1n, 18)) },
      { asset: 'CUSD', address: holder, amount: Decimal.parse('1000000', 0) },
      { asset: 'WETH', address: holder },
    ];
    const result = await readEvmBalances({
      rpc,
      rows,
      blockNumber: Number(snapshot),
      tokens: { cusd: { contract: chain.contracts.erc20 } },
    });
    expect(result.balances.map((x) => [x.asset, x.kind, x.balance.scale, x.matchesClaim])).toEqual([
      ['eth', 'native', 18, true],
      ['ETH', 'native', 18, false],
      ['CUSD', 'erc20', 6, true],
    ]);
    expect(result.skipped).toEqual([{ row: rows[3], reason: 'no-token-contract' }]);
  });

  it('fails with RPC_REQUEST_FAILED for a token with no code and for a block that does not exist yet', async () => {
    const snapshot = await blockNumber();
    const holder = dev(4).address;
    const noCode = '0x000000000000000000000000000000000000c0de';
    await expect(
      readEvmBalances({
        rpc,
        rows: [{ asset: 'X', address: holder }],
        blockNumber: snapshot,
        tokens: { X: { contract: noCode, decimals: 6 } },
      }),
    ).rejects.toMatchObject({
      code: 'RPC_REQUEST_FAILED',
      details: { method: 'eth_call', contract: getAddress(noCode) },
    });
    await expect(
      readEvmBalances({ rpc, rows: [{ asset: 'ETH', address: holder }], blockNumber: snapshot + 1000n }),
    ).rejects.toMatchObject({ code: 'RPC_REQUEST_FAILED', details: { method: 'eth_getBalance' } });
  });

  it('rejects malformed input with POR_INVALID_INPUT before any request', async () => {
    let requests = 0;
    const counting: ReserveRpc = {
      request: async () => {
        requests++;
        return '0x0';
      },
    };
    await expect(
      readEvmBalances({ rpc: counting, rows: [{ asset: 'ETH', address: '0x1234' }], blockNumber: 1n }),
    ).rejects.toMatchObject({
      code: 'POR_INVALID_INPUT',
      details: { field: 'rows[0].address' },
    });
    await expect(readEvmBalances({ rpc: counting, rows: [], blockNumber: -1n })).rejects.toMatchObject({
      code: 'POR_INVALID_INPUT',
    });
    await expect(
      readEvmBalances({ rpc: counting, rows: [], blockNumber: 1n, tokens: { X: { contract: 'nope' } } }),
    ).rejects.toMatchObject({ code: 'POR_INVALID_INPUT' });
    expect(requests).toBe(0);
  });

  it('rejects an answer that is not a quantity', async () => {
    const liar: ReserveRpc = { request: async () => ({ balance: 5 }) };
    await expect(
      readEvmBalances({ rpc: liar, rows: [{ asset: 'ETH', address: dev(1).address }], blockNumber: 1n }),
    ).rejects.toMatchObject({ code: 'RPC_REQUEST_FAILED' });
  });
});

describe('a reserves round on the dev chain, from ownership signatures to ratios', () => {
  it('verifies this round’s signatures, rejects last round’s, and computes the ratio from the snapshot', async () => {
    const rows = [await ownershipRow(5, 'ETH'), await ownershipRow(6, 'ETH')];
    const stale = await ownershipRow(7, 'ETH', 'custos por round 2026-10 devexchange');
    for (const row of rows) {
      expect(verifyAddressOwnership(row, { expectedMessage: ROUND_MESSAGE })).toEqual({
        valid: true,
        scheme: 'eip191',
        boundTo: 'address',
        signers: [row.address],
      });
    }
    expect(verifyAddressOwnership(stale, { expectedMessage: ROUND_MESSAGE })).toMatchObject({
      valid: false,
      reason: 'wrong-message',
    });

    const snapshot = await blockNumber();
    const { totals } = await readEvmBalances({ rpc, rows, blockNumber: snapshot });
    const held = totals.ETH as Decimal;
    expect(held.units).toBe(
      (await balanceAt(rows[0]?.address as Address, snapshot)) +
        (await balanceAt(rows[1]?.address as Address, snapshot)),
    );
    // Liabilities of held / 1.02 rounded up to the wei give a ratio just under 102 %, which must
    // print as 101.99 %, never rounded up to 102.00 %.
    expect((held.units * 100n) % 102n).not.toBe(0n);
    const owed = Decimal.fromUnits((held.units * 100n + 101n) / 102n, 18);
    const [ratio] = reserveRatios({ liabilities: { ETH: owed }, reserves: { ETH: held } });
    expect(ratio).toMatchObject({ asset: 'ETH', ratio: '101.99 %', covered: true, status: 'ok' });
  });
});
