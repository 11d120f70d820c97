/**
 * viem clients for tests against a running dev chain: a public client, a wallet client per dev
 * account, and `write`, which sends a contract call and fails unless its receipt says success.
 * Hardhat reports reverts as JSON-RPC -32603, which viem retries with back-off by default; the
 * transport here does not retry, so a must-revert check gets the first answer.
 */
import {
  type Abi,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  http,
  type PublicClient,
  type Transport,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import type { DevChain } from '../devchain.js';

export function devWallet(chain: Pick<DevChain, 'rpcUrl' | 'accounts'>, index: number) {
  const key = chain.accounts[index]?.privateKey;
  if (key === undefined) throw new Error(`no dev account ${index}`);
  return createWalletClient<Transport, Chain, PrivateKeyAccount>({
    account: privateKeyToAccount(key),
    chain: hardhat,
    transport: http(chain.rpcUrl, { retryCount: 0 }),
  });
}

export type DevWallet = ReturnType<typeof devWallet>;

export function devPublicClient(chain: Pick<DevChain, 'rpcUrl'>): PublicClient {
  return createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl, { retryCount: 0 }), pollingInterval: 20 });
}

/** Sends `functionName(args)` to `address` from a dev wallet (or dev account index) and waits for success. */
export async function devWrite(
  chain: Pick<DevChain, 'rpcUrl' | 'accounts'>,
  from: DevWallet | number,
  call: { address: Address; abi: Abi; functionName: string; args: readonly unknown[]; value?: bigint },
): Promise<void> {
  const wallet = typeof from === 'number' ? devWallet(chain, from) : from;
  const hash = await wallet.writeContract({
    address: call.address,
    abi: call.abi,
    functionName: call.functionName,
    args: call.args,
    ...(call.value === undefined ? {} : { value: call.value }),
  });
  const receipt = await devPublicClient(chain).waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`${call.functionName} reverted in ${hash}`);
}
