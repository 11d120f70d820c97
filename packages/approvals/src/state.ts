/**
 * From events to live grants: every (token, spender) pair, token id or operator the events name is
 * checked against the contracts' own view functions at one block — ERC-20 `allowance`, ERC-721
 * `ownerOf` + `getApproved`, `isApprovedForAll`, Permit2 `allowance` with its expiration against
 * the block's timestamp — so a spent, expired, revoked or transferred-away grant is never shown as
 * live, whatever the events said. Events only say which pairs to ask about, and which event last
 * changed each. A view that reverts (a token that does not implement it) means no grant; a node
 * that fails to answer is an error, never a silent "no grant".
 */
import { BaseError } from '@custos/core';
import type { Eip1193Like } from '@custos/risk';
import { decodeAbiParameters, encodeFunctionData, type Hex, parseAbi } from 'viem';
import { getBlock } from './discover.js';
import { type RetryPolicy, requestWithRetry } from './logs.js';
import type { Address, ApprovalEvent, LiveApproval } from './types.js';

export const VIEW_ABI = parseAbi([
  'function allowance(address owner, address spender) view returns (uint256)',
  'function balanceOf(address owner) view returns (uint256)',
  'function ownerOf(uint256 tokenId) view returns (address)',
  'function getApproved(uint256 tokenId) view returns (address)',
  'function isApprovedForAll(address owner, address operator) view returns (bool)',
  'function supportsInterface(bytes4 interfaceId) view returns (bool)',
  'function nonces(address owner) view returns (uint256)',
]);
export const PERMIT2_VIEW_ABI = parseAbi([
  'function allowance(address owner, address token, address spender) view returns (uint160 amount, uint48 expiration, uint48 nonce)',
  'function nonceBitmap(address owner, uint256 wordPos) view returns (uint256)',
]);

const ZERO: Address = '0x0000000000000000000000000000000000000000';
const ERC721_INTERFACE: Hex = '0x80ac58cd';
const ERC1155_INTERFACE: Hex = '0xd9b67a26';

export interface ReadOptions {
  rpc: Eip1193Like;
  /** The block every view is read at. */
  blockNumber: bigint;
  retry?: RetryPolicy | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  signal?: AbortSignal | undefined;
  /** Views in flight at once (default 16). */
  concurrency?: number | undefined;
}

/**
 * Whether a failed view is the call reverting — the node's own first answer, classified as a
 * revert — as opposed to a node that failed to answer (even after retries, and whatever words its
 * errors used): only the first means "no grant".
 */
export function isRevert(error: unknown): boolean {
  return error instanceof BaseError && error.code === 'APPROVALS_RPC_FAILED' && error.details.reverted === true;
}

/** `eth_call` at the read block: the return data, or undefined when the call reverts or has no data. */
export async function viewCall(options: ReadOptions, to: Address, data: Hex): Promise<Hex | undefined> {
  try {
    const result = await requestWithRetry(
      options.rpc,
      'eth_call',
      [{ to, data }, `0x${options.blockNumber.toString(16)}`],
      {
        ...(options.retry === undefined ? {} : { retry: options.retry }),
        ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    if (typeof result !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(result)) {
      throw new BaseError('APPROVALS_RPC_FAILED', 'the node answered eth_call with something that is not hex data', {
        details: { method: 'eth_call', to },
      });
    }
    return result === '0x' ? undefined : (result.toLowerCase() as Hex);
  } catch (error) {
    if (isRevert(error)) return undefined;
    throw error;
  }
}

/** A view's single return value (uint, address or bool), or undefined when it does not answer one. */
async function viewWord(options: ReadOptions, to: Address, data: Hex): Promise<bigint | undefined> {
  const out = await viewCall(options, to, data);
  if (out === undefined || out.length < 66) return undefined;
  return BigInt(out.slice(0, 66));
}

const wordToAddress = (word: bigint): Address | undefined =>
  word >> 160n === 0n ? (`0x${word.toString(16).padStart(40, '0')}` as Address) : undefined;

/** Runs `task` over `items`, at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

/** The grant a group of events is about, and the event that last changed it. */
interface Candidate {
  kind: 'erc20' | 'erc721' | 'operator' | 'permit2';
  key: string;
  token: Address;
  spender: Address;
  tokenId?: bigint;
  permit2?: Address;
  last: ApprovalEvent;
}

/** Groups events by the grant they change; the newest event of each group is kept. */
export function candidatesOf(events: readonly ApprovalEvent[]): Candidate[] {
  const byKey = new Map<string, Candidate>();
  const put = (candidate: Omit<Candidate, 'last'>, event: ApprovalEvent) => {
    const previous = byKey.get(candidate.key);
    if (previous === undefined || isNewer(event, previous.last))
      byKey.set(candidate.key, { ...candidate, last: event });
  };
  for (const e of events) {
    switch (e.type) {
      case 'erc20-approval':
        put({ kind: 'erc20', key: `erc20:${e.token}:${e.spender}`, token: e.token, spender: e.spender }, e);
        break;
      case 'erc721-approval':
        // One approved address per token id: the key is the id, the spender whoever holds it now.
        put(
          { kind: 'erc721', key: `erc721:${e.token}:${e.value}`, token: e.token, spender: e.spender, tokenId: e.value },
          e,
        );
        break;
      case 'approval-for-all':
        put({ kind: 'operator', key: `operator:${e.token}:${e.spender}`, token: e.token, spender: e.spender }, e);
        break;
      default:
        put(
          {
            kind: 'permit2',
            key: `permit2:${e.emitter}:${e.token}:${e.spender}`,
            token: e.token,
            spender: e.spender,
            permit2: e.emitter,
          },
          e,
        );
    }
  }
  return [...byKey.values()];
}

function isNewer(a: ApprovalEvent, b: ApprovalEvent): boolean {
  return a.blockNumber > b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex > b.logIndex);
}

/** The block's timestamp (unix seconds). */
export async function blockTimestamp(options: ReadOptions, block: bigint): Promise<number> {
  const b = await getBlock(options.rpc, block, options);
  if (b === null) {
    throw new BaseError('APPROVALS_RPC_FAILED', 'the node does not have the block the state is read at', {
      details: { method: 'eth_getBlockByNumber', block: block.toString() },
    });
  }
  return Number(BigInt(b.timestamp));
}

/** Which collection standard an operator approval is over, by ERC-165. */
async function collectionStandard(options: ReadOptions, token: Address): Promise<'erc721' | 'erc1155' | 'unknown'> {
  const supports = async (id: Hex) =>
    (await viewWord(
      options,
      token,
      encodeFunctionData({ abi: VIEW_ABI, functionName: 'supportsInterface', args: [id] }),
    )) === 1n;
  if (await supports(ERC721_INTERFACE)) return 'erc721';
  if (await supports(ERC1155_INTERFACE)) return 'erc1155';
  return 'unknown';
}

/**
 * The live grants among the events' candidates, read at `options.blockNumber`, with the
 * timestamp of the block that last changed each.
 */
export async function readLiveApprovals(
  options: ReadOptions & {
    chainId: number;
    owner: Address;
    events: readonly ApprovalEvent[];
    /** Block timestamps by block hash, read and filled (a cache the caller keeps across scans). */
    timestamps?: Map<Hex, number> | undefined;
  },
): Promise<LiveApproval[]> {
  const { owner, chainId } = options;
  const now = await blockTimestamp(options, options.blockNumber);
  const candidates = candidatesOf(options.events);
  const results = await mapLimit(
    candidates,
    options.concurrency ?? 16,
    async (c): Promise<LiveApproval | undefined> => {
      const base = {
        id: c.key,
        chainId,
        owner,
        kind: c.kind,
        token: c.token,
        spender: c.spender,
        lastChange: {
          blockNumber: Number(c.last.blockNumber),
          blockHash: c.last.blockHash,
          transactionHash: c.last.transactionHash,
        },
      };
      switch (c.kind) {
        case 'erc20': {
          const amount = await viewWord(
            options,
            c.token,
            encodeFunctionData({ abi: VIEW_ABI, functionName: 'allowance', args: [owner, c.spender] }),
          );
          return amount !== undefined && amount > 0n ? { ...base, amount: amount.toString() } : undefined;
        }
        case 'erc721': {
          const tokenId = c.tokenId as bigint;
          const holder = await viewWord(
            options,
            c.token,
            encodeFunctionData({ abi: VIEW_ABI, functionName: 'ownerOf', args: [tokenId] }),
          );
          if (holder === undefined || wordToAddress(holder) !== owner) return undefined;
          const approved = await viewWord(
            options,
            c.token,
            encodeFunctionData({ abi: VIEW_ABI, functionName: 'getApproved', args: [tokenId] }),
          );
          const spender = approved === undefined ? undefined : wordToAddress(approved);
          if (spender === undefined || spender === ZERO) return undefined;
          return { ...base, spender, tokenId: tokenId.toString(), id: `erc721:${c.token}:${tokenId}` };
        }
        case 'operator': {
          const approved = await viewWord(
            options,
            c.token,
            encodeFunctionData({ abi: VIEW_ABI, functionName: 'isApprovedForAll', args: [owner, c.spender] }),
          );
          if (approved !== 1n) return undefined;
          return { ...base, standard: await collectionStandard(options, c.token) };
        }
        case 'permit2': {
          const permit2 = c.permit2 as Address;
          const out = await viewCall(
            options,
            permit2,
            encodeFunctionData({ abi: PERMIT2_VIEW_ABI, functionName: 'allowance', args: [owner, c.token, c.spender] }),
          );
          if (out === undefined) return undefined;
          const [amount, expiration] = decodeAbiParameters(
            [{ type: 'uint160' }, { type: 'uint48' }, { type: 'uint48' }],
            out,
          );
          // Permit2 refuses a transfer once block.timestamp > expiration.
          if (amount === 0n || expiration < now) return undefined;
          return { ...base, permit2, amount: amount.toString(), expiration };
        }
      }
    },
  );
  const live = results.filter((r): r is LiveApproval => r !== undefined);
  // Block times never change for a block hash: a cache shared across scans saves one request per grant.
  const cache = options.timestamps;
  const wanted = new Map<Hex, number>();
  for (const a of live) {
    const change = a.lastChange;
    if (change === undefined) continue;
    const cached = cache?.get(change.blockHash);
    if (cached !== undefined) change.timestamp = cached;
    else wanted.set(change.blockHash, change.blockNumber);
  }
  const stamps = new Map(
    await mapLimit(
      [...wanted],
      options.concurrency ?? 16,
      async ([hash, number]) => [hash, await blockTimestamp(options, BigInt(number))] as const,
    ),
  );
  for (const [hash, time] of stamps) cache?.set(hash, time);
  for (const a of live) {
    const change = a.lastChange;
    if (change !== undefined && change.timestamp === undefined) change.timestamp = stamps.get(change.blockHash);
  }
  return live.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
