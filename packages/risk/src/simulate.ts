/**
 * Transaction simulation: run the transaction for real in a disposable copy of the chain state and
 * report what changed for the user. The mechanics are Hardhat's (also EDR forks and anvil):
 * `evm_snapshot`, `hardhat_impersonateAccount` so the transaction is sent as `from` without its
 * key, a zero base fee and gas price so the native balance difference is the transaction's own
 * value flow (gas is corrected for from the receipt when the node will not price gas at zero),
 * `eth_sendTransaction` with automine, the receipt and its logs, and always `evm_revert`. The logs
 * give the asset changes — ERC-20 / ERC-721 `Transfer`, ERC-1155 `TransferSingle` /
 * `TransferBatch` — and the approvals: `Approval` (ERC-20 amount; with 4 topics the ERC-721 token
 * id), `ApprovalForAll`, and Permit2's `Approval` / `Permit` / `Lockdown`. A reverting
 * transaction is a result (`success: false` with the decoded reason: `Error(string)`,
 * `Panic(uint256)`, or a custom error), not an exception. Snapshots are global to a node, so
 * simulations on one provider are serialised. `ForkSimulator` applies the same to any chain through
 * an in-process EDR fork of it (see `createEdrForkProvider` in @custos/devchain), refreshed to the
 * head when it gets old.
 */
import { BaseError } from '@custos/core';
import { createEdrForkProvider, type EdrForkOptions } from '@custos/devchain';
import { decodeAbiParameters, decodeErrorResult, parseAbi, toEventSelector } from 'viem';
import {
  describeRpcFailure,
  type Eip1193Like,
  nodeAnswered,
  parseAddressField,
  readTokenFacts,
  rpcErrorChain,
  rpcHex,
  rpcQuantity,
  type TokenFactsResult,
} from './facts.js';
import type {
  Address,
  ApprovalChange,
  AssetChange,
  Authorization,
  Hex,
  SimulationResult,
  TokenFacts,
  UintString,
} from './types.js';

export interface SimulationTransaction {
  from: Address;
  /** Absent for a contract creation. */
  to?: Address | undefined;
  value: UintString;
  data: Hex;
  gas?: UintString | undefined;
  /**
   * EIP-7702 authorisations. The simulator cannot sign for the authority, so it installs each
   * delegation directly (`hardhat_setCode` to `0xef0100 ‖ address`); an entry without a recovered
   * `authority` is taken to be signed by `from`.
   */
  authorizationList?: readonly Authorization[] | undefined;
}

export interface SimulateTransactionInput {
  /** A node with Hardhat's test methods: the dev chain, an EDR fork, anvil. */
  provider: Eip1193Like;
  tx: SimulationTransaction;
  /** Whose changes to report; default `tx.from`. */
  user?: Address | undefined;
  /** Token metadata for the report (standard, symbol, decimals); default: read from the provider. */
  tokenFacts?: ((address: Address) => Promise<TokenFacts>) | undefined;
}

const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
/** EIP-7825 (Osaka) caps a transaction's gas at 2^24. */
const MAX_TX_GAS = 1n << 24n;

const TOPICS = {
  transfer: toEventSelector('Transfer(address,address,uint256)'),
  approval: toEventSelector('Approval(address,address,uint256)'),
  approvalForAll: toEventSelector('ApprovalForAll(address,address,bool)'),
  transferSingle: toEventSelector('TransferSingle(address,address,address,uint256,uint256)'),
  transferBatch: toEventSelector('TransferBatch(address,address,address,uint256[],uint256[])'),
  permit2Approval: toEventSelector('Approval(address,address,address,uint160,uint48)'),
  permit2Permit: toEventSelector('Permit(address,address,address,uint160,uint48,uint48)'),
  permit2Lockdown: toEventSelector('Lockdown(address,address,address)'),
} as const;

/** Revert shapes worth naming: Solidity's built-ins and OpenZeppelin 5's token errors. */
const KNOWN_ERRORS = parseAbi([
  'error Error(string)',
  'error Panic(uint256)',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
  'error ERC20InvalidReceiver(address receiver)',
  'error ERC721NonexistentToken(uint256 tokenId)',
  'error ERC721IncorrectOwner(address sender, uint256 tokenId, address owner)',
  'error ERC721InsufficientApproval(address operator, uint256 tokenId)',
  'error ERC1155InsufficientBalance(address sender, uint256 balance, uint256 needed, uint256 tokenId)',
  'error ERC1155MissingApprovalForAll(address operator, address owner)',
]);

const PANIC_CODES: Readonly<Record<number, string>> = {
  1: 'assertion failed',
  17: 'arithmetic overflow or underflow',
  18: 'division or modulo by zero',
  33: 'invalid enum value',
  34: 'corrupt storage byte array',
  49: 'pop on an empty array',
  50: 'array index out of bounds',
  65: 'out of memory',
  81: 'call to an uninitialised function',
};

/** Decodes revert data into a readable reason: `Error(string)`, `Panic(uint256)`, a known or unknown custom error. */
export function decodeRevertReason(data: Hex | undefined): string {
  if (data === undefined || data === '0x') return 'reverted without a reason';
  try {
    const decoded = decodeErrorResult({ abi: KNOWN_ERRORS, data });
    const args = decoded.args ?? [];
    if (decoded.errorName === 'Error') return String(args[0]);
    if (decoded.errorName === 'Panic') {
      const code = Number(args[0]);
      return `Panic(0x${code.toString(16).padStart(2, '0')}): ${PANIC_CODES[code] ?? 'unknown panic code'}`;
    }
    return `${decoded.errorName}(${args.map((a) => String(a)).join(', ')})`;
  } catch {
    // Not one of the known errors (or malformed): name it by its selector.
    return data.length >= 10 ? `custom error ${data.slice(0, 10)}` : `reverted with data ${data}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Snapshots, serialisation and impersonated sends (shared with the honeypot check)

const queues = new WeakMap<object, Promise<unknown>>();

/** Runs `task` after every earlier task on the same provider object has finished. */
export function withProviderLock<T>(provider: object, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(provider) ?? Promise.resolve();
  const run = previous.then(task, task);
  queues.set(
    provider,
    run.then(
      () => undefined,
      () => undefined,
    ),
  );
  return run;
}

export async function callRpc(
  provider: Eip1193Like,
  method: string,
  params: readonly unknown[] = [],
): Promise<unknown> {
  return provider.request({ method, params });
}

function simulationFailure(message: string, method: string, cause: unknown): BaseError {
  return new BaseError('RISK_SIMULATION_FAILED', message, {
    details: { method, reason: describeRpcFailure(cause) },
    hints: ['Simulate against the dev chain or an EDR fork (createForkSimulator); they support evm_snapshot.'],
    cause,
  });
}

/**
 * Takes an `evm_snapshot`, runs `task` and always `evm_revert`s, holding the provider's lock the
 * whole time so no other simulation sees the intermediate state.
 */
export function withSnapshot<T>(provider: Eip1193Like, task: () => Promise<T>): Promise<T> {
  return withProviderLock(provider, async () => {
    let snapshot: unknown;
    try {
      snapshot = await callRpc(provider, 'evm_snapshot');
    } catch (error) {
      throw simulationFailure('The node cannot take a state snapshot.', 'evm_snapshot', error);
    }
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await task() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const reverted = await callRpc(provider, 'evm_revert', [snapshot]).catch((error: unknown) => error);
    if (reverted !== true) {
      // The chain now holds simulated state: that must win over any result of the task.
      throw simulationFailure('The simulated state could not be reverted.', 'evm_revert', reverted);
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  });
}

export interface SimulatedReceipt {
  status: Hex;
  gasUsed: Hex;
  effectiveGasPrice?: Hex;
  blockNumber: Hex;
  logs: { address: Address; topics: Hex[]; data: Hex }[];
}

export interface ImpersonatedSendResult {
  success: boolean;
  /** Absent when the node refused the transaction before mining it. */
  receipt?: SimulatedReceipt | undefined;
  revertReason?: string | undefined;
  /** Native currency the sender paid for gas (0 when the node priced gas at zero). */
  gasPaid: bigint;
  /** Native currency added to the sender's balance so it could pay for gas (0 at a zero gas price). */
  toppedUp: bigint;
}

export interface ImpersonatedSend {
  from: Address;
  to?: Address | undefined;
  value: bigint;
  data: Hex;
  gas?: bigint | undefined;
}

/** Gas settings for the next block: zero when the node lets us set the base fee to zero. */
async function prepareGasPrice(provider: Eip1193Like): Promise<Record<string, Hex>> {
  try {
    await callRpc(provider, 'hardhat_setNextBlockBaseFeePerGas', ['0x0']);
    return { maxFeePerGas: '0x0', maxPriorityFeePerGas: '0x0' };
  } catch (error) {
    if (!nodeAnswered(error)) throw error;
    return { gasPrice: rpcHex(await callRpc(provider, 'eth_gasPrice'), 'eth_gasPrice') };
  }
}

/** Finds revert data and a transaction hash in whatever error object the node's client threw. */
function revertInfo(error: unknown): { data?: Hex; hash?: Hex } {
  const info: { data?: Hex; hash?: Hex } = {};
  for (const e of rpcErrorChain(error)) {
    if (info.data === undefined && typeof e.data === 'string' && /^0x[0-9a-fA-F]*$/.test(e.data)) {
      info.data = e.data.toLowerCase() as Hex;
    }
    const hash = e.transactionHash ?? e.txHash;
    if (info.hash === undefined && typeof hash === 'string' && /^0x[0-9a-fA-F]{64}$/.test(hash))
      info.hash = hash as Hex;
  }
  return info;
}

async function receiptOf(provider: Eip1193Like, hash: unknown): Promise<SimulatedReceipt | undefined> {
  const receipt = (await callRpc(provider, 'eth_getTransactionReceipt', [hash])) as SimulatedReceipt | null;
  return receipt ?? undefined;
}

/**
 * Sends `tx` as `tx.from` (impersonated, automine) at a zero gas price where possible, topping the
 * sender up only if it could not otherwise pay for gas. Must run inside `withSnapshot`. Whatever
 * the node refuses or reverts is a failed result, not an exception: the wallet's transaction
 * would fail the same way.
 */
export async function sendImpersonated(provider: Eip1193Like, tx: ImpersonatedSend): Promise<ImpersonatedSendResult> {
  const pricing = await prepareGasPrice(provider);
  const gas = tx.gas ?? (await defaultGas(provider));
  const price = BigInt(pricing.gasPrice ?? '0x0');
  let toppedUp = 0n;
  if (price > 0n) {
    const balance = await nativeBalance(provider, tx.from);
    if (balance < tx.value + gas * price) {
      toppedUp = gas * price;
      await callRpc(provider, 'hardhat_setBalance', [tx.from, rpcQuantity(balance + toppedUp)]);
    }
  }
  const request = {
    from: tx.from,
    ...(tx.to === undefined ? {} : { to: tx.to }),
    value: rpcQuantity(tx.value),
    data: tx.data,
    gas: rpcQuantity(gas),
    ...pricing,
  };
  const preBlock = rpcHex(await callRpc(provider, 'eth_blockNumber'), 'eth_blockNumber');
  let receipt: SimulatedReceipt | undefined;
  try {
    receipt = await receiptOf(provider, await callRpc(provider, 'eth_sendTransaction', [request]));
  } catch (error) {
    // Hardhat-style nodes throw on a reverted transaction (it is still mined; the hash is in the error).
    const info = revertInfo(error);
    receipt = info.hash === undefined ? undefined : await receiptOf(provider, info.hash);
    let reason: string;
    if (info.data !== undefined) reason = decodeRevertReason(info.data);
    else if (receipt !== undefined) reason = await replayRevert(provider, request, preBlock);
    else reason = describeRpcFailure(error);
    return { success: false, receipt, revertReason: reason, gasPaid: gasPaidFor(receipt), toppedUp };
  }
  if (receipt === undefined) {
    throw simulationFailure('The node mined no receipt for the transaction.', 'eth_getTransactionReceipt', null);
  }
  if (receipt.status !== '0x1') {
    const reason = await replayRevert(provider, request, preBlock);
    return { success: false, receipt, revertReason: reason, gasPaid: gasPaidFor(receipt), toppedUp };
  }
  return { success: true, receipt, gasPaid: gasPaidFor(receipt), toppedUp };
}

/** The revert reason of a transaction that was mined as failed, by replaying it on the state before. */
async function replayRevert(provider: Eip1193Like, request: Record<string, unknown>, block: Hex): Promise<string> {
  try {
    await callRpc(provider, 'eth_call', [request, block]);
    return 'reverted (the replay succeeded; the reason is unknown)';
  } catch (error) {
    const data = revertInfo(error).data;
    return data === undefined ? describeRpcFailure(error) : decodeRevertReason(data);
  }
}

function gasPaidFor(receipt: SimulatedReceipt | undefined): bigint {
  if (receipt === undefined) return 0n;
  return BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice ?? '0x0');
}

async function defaultGas(provider: Eip1193Like): Promise<bigint> {
  const block = (await callRpc(provider, 'eth_getBlockByNumber', ['latest', false])) as { gasLimit?: Hex } | null;
  const limit = block?.gasLimit === undefined ? MAX_TX_GAS : BigInt(block.gasLimit);
  return limit < MAX_TX_GAS ? limit : MAX_TX_GAS;
}

/** Impersonates `account` for the duration of `task` (inside a snapshot). */
export async function asImpersonated<T>(provider: Eip1193Like, account: Address, task: () => Promise<T>): Promise<T> {
  try {
    await callRpc(provider, 'hardhat_impersonateAccount', [account]);
  } catch (error) {
    throw simulationFailure('The node cannot impersonate the sender.', 'hardhat_impersonateAccount', error);
  }
  try {
    return await task();
  } finally {
    await callRpc(provider, 'hardhat_stopImpersonatingAccount', [account]);
  }
}

export async function nativeBalance(provider: Eip1193Like, account: Address): Promise<bigint> {
  return BigInt(rpcHex(await callRpc(provider, 'eth_getBalance', [account, 'latest']), 'eth_getBalance'));
}

// ---------------------------------------------------------------------------------------------
// Reading the logs

function topicAddress(topic: Hex | undefined): Address | undefined {
  return topic === undefined || topic.length !== 66 ? undefined : (`0x${topic.slice(26)}`.toLowerCase() as Address);
}

function word(data: Hex, index: number): bigint | undefined {
  const hex = data.slice(2 + index * 64, 2 + (index + 1) * 64);
  return hex.length === 64 ? BigInt(`0x${hex}`) : undefined;
}

interface Movement {
  asset: AssetChange['asset'];
  token: Address;
  from: Address;
  to: Address;
  id?: bigint;
  amount: bigint;
}

/** Token movements in the logs: ERC-20 / ERC-721 `Transfer`, ERC-1155 `TransferSingle` / `TransferBatch`. */
function movements(logs: SimulatedReceipt['logs']): Movement[] {
  const found: Movement[] = [];
  for (const log of logs) {
    const token = log.address.toLowerCase() as Address;
    const [topic0, t1, t2, t3] = log.topics;
    if (topic0 === TOPICS.transfer) {
      const from = topicAddress(t1);
      const to = topicAddress(t2);
      if (from === undefined || to === undefined) continue;
      if (log.topics.length === 4 && t3 !== undefined)
        found.push({ asset: 'erc721', token, from, to, id: BigInt(t3), amount: 1n });
      else if (log.topics.length === 3) {
        const amount = word(log.data, 0);
        if (amount !== undefined) found.push({ asset: 'erc20', token, from, to, amount });
      }
    } else if (topic0 === TOPICS.transferSingle || topic0 === TOPICS.transferBatch) {
      const from = topicAddress(t2);
      const to = topicAddress(t3);
      if (from === undefined || to === undefined) continue;
      let ids: readonly (bigint | undefined)[] = [word(log.data, 0)];
      let amounts: readonly (bigint | undefined)[] = [word(log.data, 1)];
      if (topic0 === TOPICS.transferBatch) {
        try {
          [ids, amounts] = decodeAbiParameters([{ type: 'uint256[]' }, { type: 'uint256[]' }], log.data);
        } catch {
          // A malformed batch from a non-conforming contract: it moved nothing we can name.
          ids = [];
        }
      }
      for (const [i, id] of ids.entries()) {
        const amount = amounts[i];
        if (id !== undefined && amount !== undefined) found.push({ asset: 'erc1155', token, from, to, id, amount });
      }
    }
  }
  return found;
}

/** The user's side of each movement, summed per (direction, token, id, counterparty). */
function assetChanges(moves: Movement[], user: Address): AssetChange[] {
  const totals = new Map<string, AssetChange & { sum: bigint }>();
  for (const move of moves) {
    if (move.amount === 0n || move.from === move.to) continue;
    const direction = move.from === user ? 'out' : move.to === user ? 'in' : undefined;
    if (direction === undefined) continue;
    const counterparty = direction === 'out' ? move.to : move.from;
    const id = move.id?.toString();
    const key = [direction, move.asset, move.token, id ?? '', counterparty].join('|');
    const entry = totals.get(key);
    if (entry !== undefined) entry.sum += move.amount;
    else {
      totals.set(key, {
        direction,
        asset: move.asset,
        token: move.token,
        ...(id === undefined ? {} : { id }),
        amount: '',
        counterparty,
        sum: move.amount,
      });
    }
  }
  return [...totals.values()].map(({ sum, ...change }) => ({ ...change, amount: sum.toString() }));
}

/** Approvals the user granted or changed, last event per (standard, token, spender, id) winning. */
async function approvalChanges(
  logs: SimulatedReceipt['logs'],
  user: Address,
  standardOf: (token: Address) => Promise<TokenFacts['standard']>,
): Promise<ApprovalChange[]> {
  const latest = new Map<string, ApprovalChange>();
  const put = (change: ApprovalChange) => {
    const id = change.standard === 'erc721' ? change.amount : '';
    const key = [change.standard, change.token, change.spender, id].join('|');
    latest.delete(key);
    latest.set(key, change);
  };
  for (const log of logs) {
    const token = log.address.toLowerCase() as Address;
    const [topic0, t1, t2, t3] = log.topics;
    // Every approval event indexes the owner first.
    if (topicAddress(t1) !== user) continue;
    const spender = topicAddress(t2);
    if (topic0 === TOPICS.approval && spender !== undefined) {
      if (log.topics.length === 4 && t3 !== undefined) {
        // ERC-721: the token id is indexed. Approving the zero address clears the approval.
        if (spender !== ZERO_ADDRESS) put({ standard: 'erc721', token, spender, amount: BigInt(t3).toString() });
      } else {
        const amount = word(log.data, 0);
        if (amount !== undefined) put({ standard: 'erc20', token, spender, amount: amount.toString() });
      }
    } else if (topic0 === TOPICS.approvalForAll && spender !== undefined) {
      const approved = word(log.data, 0);
      const standard = (await standardOf(token)) === 'erc1155' ? 'erc1155' : 'erc721';
      put({ standard, token, spender, amount: approved === 1n ? 'all' : 'none' });
    } else if (topic0 === TOPICS.permit2Approval || topic0 === TOPICS.permit2Permit) {
      // Permit2 indexes (owner, token, spender); the allowance amount is the first data word.
      const permitToken = topicAddress(t2);
      const permitSpender = topicAddress(t3);
      const amount = word(log.data, 0);
      if (permitToken !== undefined && permitSpender !== undefined && amount !== undefined) {
        put({ standard: 'permit2', token: permitToken, spender: permitSpender, amount: amount.toString() });
      }
    } else if (topic0 === TOPICS.permit2Lockdown) {
      const lockedToken = word(log.data, 0);
      const lockedSpender = word(log.data, 1);
      if (lockedToken !== undefined && lockedSpender !== undefined) {
        const asAddress = (v: bigint) => `0x${v.toString(16).padStart(40, '0')}` as Address;
        put({ standard: 'permit2', token: asAddress(lockedToken), spender: asAddress(lockedSpender), amount: '0' });
      }
    }
  }
  return [...latest.values()];
}

// ---------------------------------------------------------------------------------------------
// simulateTransaction

function checkUint(value: string | undefined, field: string): bigint | undefined {
  if (value === undefined) return undefined;
  if (!/^(0|[1-9][0-9]*)$/.test(value)) {
    throw new BaseError('RISK_INVALID_REQUEST', `"${field}" expected a decimal integer string, got "${value}"`, {
      details: { field },
    });
  }
  return BigInt(value);
}

/** Installs each EIP-7702 delegation the transaction carries, as signing it would (chain 0 = any chain). */
async function installDelegations(provider: Eip1193Like, tx: SimulationTransaction, from: Address): Promise<void> {
  if (tx.authorizationList === undefined || tx.authorizationList.length === 0) return;
  const chainId = Number(BigInt(rpcHex(await callRpc(provider, 'eth_chainId'), 'eth_chainId')));
  for (const [i, auth] of tx.authorizationList.entries()) {
    if (auth.chainId !== 0 && auth.chainId !== chainId) continue;
    const authority =
      auth.authority === undefined ? from : parseAddressField(auth.authority, `authorizationList[${i}].authority`);
    const delegate = parseAddressField(auth.address, `authorizationList[${i}].address`);
    const code = delegate === ZERO_ADDRESS ? '0x' : `0xef0100${delegate.slice(2)}`;
    await callRpc(provider, 'hardhat_setCode', [authority, code]);
  }
}

/** The transaction's fields checked and canonical (lowercase hex, bigints). */
function parseTransaction(input: SimulateTransactionInput): ImpersonatedSend & { from: Address; user: Address } {
  const { tx } = input;
  const from = parseAddressField(tx.from, 'tx.from');
  if (!/^0x([0-9a-fA-F]{2})*$/.test(tx.data)) {
    throw new BaseError('RISK_INVALID_REQUEST', '"tx.data" expected even-length 0x-hex', {
      details: { field: 'tx.data' },
    });
  }
  return {
    from,
    to: tx.to === undefined ? undefined : parseAddressField(tx.to, 'tx.to'),
    user: input.user === undefined ? from : parseAddressField(input.user, 'user'),
    value: checkUint(tx.value, 'tx.value') ?? 0n,
    gas: checkUint(tx.gas, 'tx.gas'),
    data: tx.data.toLowerCase() as Hex,
  };
}

/** Runs `input.tx` in a snapshot of the provider's chain and reports what it did for the user. */
export async function simulateTransaction(input: SimulateTransactionInput): Promise<SimulationResult> {
  const { provider, tx } = input;
  const { user, ...send } = parseTransaction(input);
  const { from, to } = send;
  const facts = new Map<Address, Promise<TokenFacts>>();
  const tokenFacts = (token: Address): Promise<TokenFacts> => {
    let pending = facts.get(token);
    if (pending === undefined) {
      pending = (input.tokenFacts ?? ((t) => readTokenFacts((m, p) => callRpc(provider, m, p), t)))(token).catch(
        (error: unknown): TokenFactsResult => ({ standard: 'unknown', reason: describeRpcFailure(error) }),
      );
      facts.set(token, pending);
    }
    return pending;
  };

  return withSnapshot(provider, async () => {
    const block = BigInt(rpcHex(await callRpc(provider, 'eth_blockNumber'), 'eth_blockNumber'));
    await installDelegations(provider, tx, from);
    const sent = await asImpersonated(provider, from, async () => {
      const before = await nativeBalance(provider, user);
      const result = await sendImpersonated(provider, send);
      return { result, before, after: await nativeBalance(provider, user) };
    });
    const { result } = sent;
    const outcome: SimulationResult = {
      success: result.success,
      block: block.toString(),
      assetChanges: [],
      approvals: [],
      ...(result.receipt === undefined ? {} : { gasUsed: BigInt(result.receipt.gasUsed).toString() }),
      ...(result.revertReason === undefined ? {} : { revertReason: result.revertReason }),
    };
    if (!result.success || result.receipt === undefined) return outcome;
    const logs = result.receipt.logs;
    const changes = assetChanges(movements(logs), user);
    // Gas is not what the transaction does: add back what was paid, take out any top-up for it.
    const native = sent.after - sent.before + (user === from ? result.gasPaid - result.toppedUp : 0n);
    if (native !== 0n) {
      changes.unshift({
        direction: native < 0n ? 'out' : 'in',
        asset: 'native',
        token: ZERO_ADDRESS,
        amount: (native < 0n ? -native : native).toString(),
        ...(native < 0n && to !== undefined && user === from ? { counterparty: to } : {}),
      });
    }
    for (const change of changes) {
      if (change.asset !== 'erc20') continue;
      const meta = await tokenFacts(change.token);
      if (meta.symbol !== undefined) change.symbol = meta.symbol;
      if (meta.decimals !== undefined) change.decimals = meta.decimals;
    }
    outcome.assetChanges = changes;
    outcome.approvals = await approvalChanges(logs, user, async (t) => (await tokenFacts(t)).standard);
    return outcome;
  });
}

// ---------------------------------------------------------------------------------------------
// Fork simulation

export interface ForkSimulatorOptions {
  /** chainId → the JSON-RPC URL to fork from (kept private: it may carry an API key). */
  rpcUrls: ReadonlyMap<number, string> | Readonly<Record<number, string>>;
  /** Re-fork at the head once the current fork is older than this; default 30 s. */
  maxAgeSeconds?: number;
  /** Builds the fork; default `createEdrForkProvider` from @custos/devchain (an in-process EDR fork). */
  createFork?: (options: EdrForkOptions) => Promise<Eip1193Like>;
  /** Clock (ms); default `Date.now`. */
  now?: () => number;
}

interface Fork {
  provider: Eip1193Like;
  createdAt: number;
}

/**
 * Simulates transactions of any configured chain in an in-process EDR fork of it at its latest
 * block. One fork per chain is kept and replaced when older than `maxAgeSeconds`; concurrent
 * callers share one fork creation, and simulations on a fork are serialised by `withSnapshot`.
 */
export class ForkSimulator {
  readonly #rpcUrls: Map<number, string>;
  readonly #maxAgeMs: number;
  readonly #createFork: (options: EdrForkOptions) => Promise<Eip1193Like>;
  readonly #now: () => number;
  readonly #forks = new Map<number, Promise<Fork>>();

  constructor(options: ForkSimulatorOptions) {
    const entries = options.rpcUrls instanceof Map ? [...options.rpcUrls] : Object.entries(options.rpcUrls);
    this.#rpcUrls = new Map(entries.map(([chainId, url]) => [Number(chainId), url]));
    const maxAgeSeconds = options.maxAgeSeconds ?? 30;
    if (!(maxAgeSeconds >= 0)) {
      throw new BaseError('INVALID_INPUT', `"maxAgeSeconds" expected a non-negative number, got ${maxAgeSeconds}`, {
        details: { field: 'maxAgeSeconds' },
      });
    }
    this.#maxAgeMs = maxAgeSeconds * 1000;
    this.#createFork = options.createFork ?? createEdrForkProvider;
    this.#now = options.now ?? Date.now;
  }

  /** Whether a fork can be made for `chainId`. */
  supports(chainId: number): boolean {
    return this.#rpcUrls.has(chainId);
  }

  /** The current fork of `chainId`, made or refreshed as needed. */
  async fork(chainId: number): Promise<Eip1193Like> {
    const rpcUrl = this.#rpcUrls.get(chainId);
    if (rpcUrl === undefined) {
      throw new BaseError('RISK_SIMULATION_FAILED', `No RPC URL is configured to fork chain ${chainId}.`, {
        details: { chainId },
      });
    }
    const current = this.#forks.get(chainId);
    if (current !== undefined) {
      const fork = await current.catch(() => undefined);
      if (fork !== undefined && this.#now() - fork.createdAt <= this.#maxAgeMs) return fork.provider;
      if (this.#forks.get(chainId) !== current) return this.fork(chainId); // someone else refreshed it
    }
    const created = this.#createFork({ rpcUrl, chainId }).then((provider) => ({ provider, createdAt: this.#now() }));
    this.#forks.set(chainId, created);
    try {
      return (await created).provider;
    } catch (error) {
      if (this.#forks.get(chainId) === created) this.#forks.delete(chainId);
      throw new BaseError('RISK_SIMULATION_FAILED', `Chain ${chainId} could not be forked.`, {
        details: { chainId, reason: describeRpcFailure(error) },
        cause: error,
      });
    }
  }

  /** Simulates `input.tx` on the current fork of `chainId`. */
  async simulate(chainId: number, input: Omit<SimulateTransactionInput, 'provider'>): Promise<SimulationResult> {
    return simulateTransaction({ ...input, provider: await this.fork(chainId) });
  }
}

export function createForkSimulator(options: ForkSimulatorOptions): ForkSimulator {
  return new ForkSimulator(options);
}
