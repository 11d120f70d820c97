/**
 * End to end on the in-process dev chain (Hardhat EDR): an account backed by a DigestSigner is
 * funded from a dev account, then sends EIP-1559 and legacy transactions through viem's
 * `walletClient.sendTransaction`; the chain mines them with status success and attributes them to
 * the signer's address.
 */
import { type DevChain, startDevChain } from '@custos/devchain';
import { createPublicClient, createWalletClient, type Hex, http, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignRequest } from '../signer.js';
import { localSigner } from '../testing/local-signer.js';
import { toMpcAccount } from './account.js';

let chain: DevChain;

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
});

afterAll(async () => {
  await chain?.close();
});

describe('an MPC-style account on the dev chain', () => {
  it('is funded, then sends EIP-1559 and legacy transactions that are mined successfully', async () => {
    const transport = http(chain.rpcUrl, { retryCount: 0 });
    const publicClient = createPublicClient({ chain: hardhat, transport, pollingInterval: 20 });
    const funderKey = chain.accounts[0]?.privateKey;
    const recipient = chain.accounts[1]?.address;
    if (funderKey === undefined || recipient === undefined) throw new Error('dev accounts missing');

    const requests: SignRequest[] = [];
    const key: Hex = '0x1c6a1ea7b06ccd3f7c5f16e1d4b9a3bd6fd9b0b1e2c7a2f5f1a2b3c4d5e6f708';
    const account = toMpcAccount(localSigner(key, { onRequest: (r) => requests.push(r) }));

    const funder = createWalletClient({ account: privateKeyToAccount(funderKey), chain: hardhat, transport });
    const funding = await funder.sendTransaction({ to: account.address, value: parseEther('1') });
    expect((await publicClient.waitForTransactionReceipt({ hash: funding })).status).toBe('success');

    const wallet = createWalletClient({ account, chain: hardhat, transport });
    const before = await publicClient.getBalance({ address: recipient });

    const hash1559 = await wallet.sendTransaction({ to: recipient, value: parseEther('0.1') });
    const receipt1559 = await publicClient.waitForTransactionReceipt({ hash: hash1559 });
    expect(receipt1559.status).toBe('success');
    expect(receipt1559.from).toBe(account.address.toLowerCase());
    expect(receipt1559.type).toBe('eip1559');

    const hashLegacy = await wallet.sendTransaction({ to: recipient, value: parseEther('0.2'), type: 'legacy' });
    const receiptLegacy = await publicClient.waitForTransactionReceipt({ hash: hashLegacy });
    expect(receiptLegacy.status).toBe('success');
    expect(receiptLegacy.from).toBe(account.address.toLowerCase());
    expect(receiptLegacy.type).toBe('legacy');

    expect(await publicClient.getBalance({ address: recipient })).toBe(before + parseEther('0.3'));
    expect(requests.map((r) => (r.kind === 'transaction' ? r.chainId : r.kind))).toEqual([31337, 31337]);
  });
});
