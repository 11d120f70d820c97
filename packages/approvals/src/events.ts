/**
 * The approval events discovery reads, by topic0, and how each log becomes an `ApprovalEvent`.
 * ERC-20 and ERC-721 share `Approval(address,address,uint256)`: four topics (the token id
 * indexed) is ERC-721, three topics with a 32-byte value in data is ERC-20 (as revoke.cash tells
 * them apart). `ApprovalForAll` is shared by ERC-721 and ERC-1155; which standard a collection is
 * gets settled later over ERC-165. Permit2's events are believed only from Permit2 instances the
 * caller trusts (the canonical deployment by default): any contract can emit a log that looks like
 * Permit2's. A log that does not fit its event's shape is skipped, never guessed at.
 */
import { type Address, getAddress, type Hex, toEventSelector } from 'viem';
import type { RpcLog } from './logs.js';
import type { ApprovalEvent } from './types.js';

export const TOPICS = {
  approval: toEventSelector('Approval(address,address,uint256)'),
  approvalForAll: toEventSelector('ApprovalForAll(address,address,bool)'),
  permit2Approval: toEventSelector('Approval(address,address,address,uint160,uint48)'),
  permit2Permit: toEventSelector('Permit(address,address,address,uint160,uint48,uint48)'),
  permit2Lockdown: toEventSelector('Lockdown(address,address,address)'),
} as const;

/** Every topic0 discovery asks for, in one `eth_getLogs` filter. */
export const DISCOVERY_TOPICS: readonly Hex[] = Object.values(TOPICS);

/** Permit2's canonical address (the same on every chain it is deployed on), lowercase. */
export const CANONICAL_PERMIT2: Address = '0x000000000022d473030f116ddee9f6b43ac78ba3';

/** The owner as an indexed topic (the address left-padded to 32 bytes). */
export function ownerTopic(owner: Address): Hex {
  return `0x${owner.slice(2).toLowerCase().padStart(64, '0')}`;
}

const lower = (a: string): Address => a.toLowerCase() as Address;

/** The address in an indexed topic; undefined when its upper 12 bytes are not zero. */
function topicAddress(topic: Hex | undefined): Address | undefined {
  if (topic === undefined || topic.length !== 66 || !/^0x0{24}/.test(topic)) return undefined;
  return lower(`0x${topic.slice(26)}`);
}

/** The 32-byte words of `data`, or undefined when it is not whole words. */
function words(data: Hex): bigint[] | undefined {
  const body = data.slice(2);
  if (body.length % 64 !== 0) return undefined;
  const out: bigint[] = [];
  for (let i = 0; i < body.length; i += 64) out.push(BigInt(`0x${body.slice(i, i + 64)}`));
  return out;
}

const MAX_UINT160 = (1n << 160n) - 1n;
const MAX_UINT48 = (1n << 48n) - 1n;

function wordAddress(word: bigint | undefined): Address | undefined {
  if (word === undefined || word > MAX_UINT160) return undefined;
  return lower(getAddress(`0x${word.toString(16).padStart(40, '0')}`));
}

/**
 * The event in one log of `owner`, or undefined for a log that is not one of ours or is malformed.
 * `permit2` lists the Permit2 instances whose events are believed (lowercase).
 */
export function parseApprovalLog(
  log: RpcLog,
  owner: Address,
  permit2: ReadonlySet<Address>,
): ApprovalEvent | undefined {
  const [topic0, topic1, topic2, topic3] = log.topics;
  if (topicAddress(topic1) !== owner) return undefined;
  const emitter = lower(log.address);
  const base = {
    blockNumber: BigInt(log.blockNumber),
    logIndex: Number(BigInt(log.logIndex)),
    blockHash: log.blockHash.toLowerCase() as Hex,
    transactionHash: log.transactionHash.toLowerCase() as Hex,
    emitter,
  };
  const data = words(log.data);
  if (data === undefined) return undefined;
  switch (topic0) {
    case TOPICS.approval: {
      const spender = topicAddress(topic2);
      if (spender === undefined) return undefined;
      if (log.topics.length === 4 && data.length === 0 && topic3 !== undefined) {
        return { ...base, type: 'erc721-approval', token: emitter, spender, value: BigInt(topic3) };
      }
      if (log.topics.length === 3 && data.length === 1) {
        return { ...base, type: 'erc20-approval', token: emitter, spender, value: data[0] as bigint };
      }
      return undefined;
    }
    case TOPICS.approvalForAll: {
      const operator = topicAddress(topic2);
      if (operator === undefined || log.topics.length !== 3 || data.length !== 1) return undefined;
      const approved = data[0] as bigint;
      if (approved > 1n) return undefined;
      return { ...base, type: 'approval-for-all', token: emitter, spender: operator, value: approved };
    }
    case TOPICS.permit2Approval:
    case TOPICS.permit2Permit: {
      if (!permit2.has(emitter) || log.topics.length !== 4) return undefined;
      const token = topicAddress(topic2);
      const spender = topicAddress(topic3);
      const isPermit = topic0 === TOPICS.permit2Permit;
      if (token === undefined || spender === undefined || data.length !== (isPermit ? 3 : 2)) return undefined;
      const [amount, expiration] = data as [bigint, bigint];
      if (amount > MAX_UINT160 || expiration > MAX_UINT48) return undefined;
      return {
        ...base,
        type: isPermit ? 'permit2-permit' : 'permit2-approval',
        token,
        spender,
        value: amount,
        expiration: Number(expiration),
      };
    }
    case TOPICS.permit2Lockdown: {
      if (!permit2.has(emitter) || log.topics.length !== 2 || data.length !== 2) return undefined;
      const token = wordAddress(data[0]);
      const spender = wordAddress(data[1]);
      if (token === undefined || spender === undefined) return undefined;
      return { ...base, type: 'permit2-lockdown', token, spender, value: 0n };
    }
    default:
      return undefined;
  }
}
