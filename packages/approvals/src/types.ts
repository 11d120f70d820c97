/**
 * The shapes authorization management shares: the approval events discovery reads from the chain
 * (`ApprovalEvent`), the live grants the chain's own view functions confirm (`LiveApproval`),
 * what a user sees for each (`Approval`: token metadata, amount, value at risk, the spender's
 * identity and the risk engine's verdict), and the transactions that take a grant back
 * (`Revocation`). Plain JSON throughout — lowercase addresses, decimal-string integers — so a list
 * can be stored, served over HTTP and compared without a custom serialiser, like the risk
 * engine's verdicts it embeds.
 */
import type { AddressFacts, TokenFacts, Verdict } from '@custos/risk';

/** A lowercase, 0x-prefixed, 40-hex-digit address. */
export type Address = `0x${string}`;
export type Hex = `0x${string}`;
/** A non-negative integer of any size, in decimal. */
export type UintString = string;

/** What kind of event discovery read, after telling the standards apart. */
export type ApprovalEventType =
  /** ERC-20 `Approval(owner, spender, value)`: three topics, the value in data. */
  | 'erc20-approval'
  /** ERC-721 `Approval(owner, approved, tokenId)`: the same topic0 as ERC-20, four topics. */
  | 'erc721-approval'
  /** `ApprovalForAll(owner, operator, approved)`: ERC-721 and ERC-1155 share it. */
  | 'approval-for-all'
  /** Permit2 `Approval(owner, token, spender, amount, expiration)` (its `approve`). */
  | 'permit2-approval'
  /** Permit2 `Permit(owner, token, spender, amount, expiration, nonce)` (a signed permit used). */
  | 'permit2-permit'
  /** Permit2 `Lockdown(owner, token, spender)`: amount set to zero. */
  | 'permit2-lockdown';

/** One approval event of the owner, as stored. */
export interface ApprovalEvent {
  blockNumber: bigint;
  logIndex: number;
  blockHash: Hex;
  transactionHash: Hex;
  /** The contract that emitted it: the token, or the Permit2 instance. */
  emitter: Address;
  type: ApprovalEventType;
  /** The token the grant is over (for Permit2 events, the token named in the event). */
  token: Address;
  /** The spender, operator or approved address (the zero address clears an ERC-721 approval). */
  spender: Address;
  /**
   * ERC-20 and Permit2: the amount; ERC-721: the token id; ApprovalForAll: 1 (approved) or 0.
   * Permit2 lockdown: 0.
   */
  value: bigint;
  /** Permit2 approvals and permits: the allowance's expiration (unix seconds). */
  expiration?: number | undefined;
}

export const APPROVAL_KINDS = ['erc20', 'erc721', 'operator', 'permit2', 'offchain-permit'] as const;
/**
 * What a grant is: an ERC-20 allowance, a single ERC-721 token approval, an operator over a whole
 * collection (ERC-721 or ERC-1155 `setApprovalForAll`), a Permit2 allowance, or a signed permit
 * that no transaction has used yet (EIP-2612 or Permit2).
 */
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];

/** Which signed permit an `offchain-permit` is. */
export type OffchainScheme =
  /** EIP-2612 `Permit` on the token: used up by the token's `nonces(owner)` moving past it. */
  | 'eip2612'
  /** Permit2 `PermitSingle`/`PermitBatch` (AllowanceTransfer): ordered nonce per (token, spender). */
  | 'permit2-allowance'
  /** Permit2 `PermitTransferFrom` (SignatureTransfer): an unordered nonce in a bitmap. */
  | 'permit2-transfer';

/** A grant the chain confirms is live, before annotation. */
export interface LiveApproval {
  /** Stable identity of the grant, e.g. `erc20:<token>:<spender>`. */
  id: string;
  chainId: number;
  owner: Address;
  kind: ApprovalKind;
  token: Address;
  spender: Address;
  /** ERC-721: the approved token id. */
  tokenId?: UintString | undefined;
  /** `operator`: which collection standard the token answers to. */
  standard?: 'erc721' | 'erc1155' | 'unknown' | undefined;
  /** Permit2 allowances and permits: the Permit2 contract. */
  permit2?: Address | undefined;
  /** ERC-20 and Permit2 allowances, off-chain permits: the amount (token units). */
  amount?: UintString | undefined;
  /** Permit2 allowance: unix seconds after which it no longer works. */
  expiration?: number | undefined;
  /** Off-chain permits. */
  scheme?: OffchainScheme | undefined;
  nonce?: UintString | undefined;
  /** Off-chain permits: the nonce the chain expects next (EIP-2612 `nonces`, Permit2's ordered nonce). */
  onChainNonce?: UintString | undefined;
  /** EIP-2612 permits: the domain they were signed under (a revoking zero permit uses it too). */
  domain?: { name?: string; version?: string; chainId?: number; verifyingContract?: Address; salt?: Hex } | undefined;
  /** Off-chain permits: the signature's deadline (unix seconds). */
  deadline?: number | undefined;
  /** The last event that changed this grant (absent for off-chain permits). */
  lastChange?:
    | { blockNumber: number; blockHash: Hex; transactionHash: Hex; timestamp?: number | undefined }
    | undefined;
  /** Off-chain permits: when custos saw it signed, and by which path. */
  signed?: { at: string; via: 'firewall' | 'cosigner' | 'import' } | undefined;
}

/** The identity of a spender as the labels and the chain describe it. */
export interface SpenderIdentity {
  address: Address;
  /** The best label's name, when one is known. */
  name?: string | undefined;
  /** allow / gray / block, or none. */
  tier: 'allow' | 'gray' | 'block' | 'none';
  /** What the chain says: an EOA, a contract (with its deployment time), a delegated EOA … */
  facts: AddressFacts;
}

/** A live grant with what a user needs to judge it. */
export interface Approval extends LiveApproval {
  tokenInfo: TokenFacts;
  /** `amount` at or above the unlimited threshold (≥ 2^64−1, or more than the total supply); always for an operator. */
  unlimited: boolean;
  /** The owner's balance of the token (ERC-20 units; NFTs held for ERC-721); absent when unknown. */
  balance?: UintString | undefined;
  /**
   * What a spender could take today: min(allowance, balance) in token units (for Permit2 also
   * bounded by the token's allowance to Permit2), the whole balance for an operator, 1 for an
   * ERC-721 token approval; `fiat` only when a price source is configured.
   */
  valueAtRisk: {
    amount: UintString | null;
    /** Human form with the token's decimals, when known. */
    formatted?: string | undefined;
    fiat?: { currency: string; value: number } | undefined;
    /** Why `amount` is null (a collection that answers as neither ERC-721 nor ERC-1155, no balance). */
    reason?: string | undefined;
    /** ERC-1155 operators: each id the owner holds and how many (`amount` is their sum). */
    items?: { tokenId: UintString; amount: UintString }[] | undefined;
  };
  spenderInfo: SpenderIdentity;
  /** The risk engine's verdict on the grant, unchanged. */
  verdict: Verdict;
}

/** A revocation: a transaction ready for any viem account to sign, and what it takes back. */
export interface Revocation {
  /** The approvals (ids) this transaction revokes; a Permit2 lockdown covers several. */
  revokes: string[];
  kind: ApprovalKind;
  token: Address;
  spender: Address;
  /** What the call is, e.g. `approve(spender, 0)`. */
  method: string;
  transaction: RevocationTransaction;
  /** Why the node could not estimate the transaction's gas (it would likely fail), when it could not. */
  warning?: string | undefined;
}

/** A viem `TransactionRequest` (quantities as bigint), `from` the owner. */
export interface RevocationTransaction {
  chainId: number;
  from: Address;
  to: Address;
  data: Hex;
  value: bigint;
  gas?: bigint | undefined;
}
