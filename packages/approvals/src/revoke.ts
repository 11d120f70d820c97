/**
 * Taking grants back: the right transaction for each kind — `approve(spender, 0)` for ERC-20,
 * `approve(address(0), tokenId)` for one NFT, `setApprovalForAll(operator, false)`, Permit2
 * `approve(token, spender, 0, 0)` for one allowance or a single `lockdown` for several on the same
 * Permit2, `invalidateNonces` / `invalidateUnorderedNonces` for signed Permit2 permits, and for a
 * signed EIP-2612 permit a zero-value permit at the token's current nonce, which the owner signs
 * and submits to use the nonce up. Each comes as a viem transaction request that any viem account
 * (a local key, a browser wallet, the MPC wallet) signs and sends; `sendRevocations` does that and
 * waits for every receipt.
 */
import { BaseError } from '@custos/core';
import {
  type Account,
  type Chain,
  type Client,
  encodeFunctionData,
  erc20Abi,
  erc721Abi,
  type Hex,
  parseAbi,
  parseSignature,
  type Transport,
  type TypedDataDefinition,
} from 'viem';
import { estimateGas, getChainId, sendTransaction, signTypedData, waitForTransactionReceipt } from 'viem/actions';
import { mapLimit } from './state.js';
import type { Address, LiveApproval, Revocation } from './types.js';

export const PERMIT2_REVOKE_ABI = parseAbi([
  'function approve(address token, address spender, uint160 amount, uint48 expiration)',
  'function lockdown((address token, address spender)[] approvals)',
  'function invalidateNonces(address token, address spender, uint48 newNonce)',
  'function invalidateUnorderedNonces(uint256 wordPos, uint256 mask)',
]);
const EIP2612_ABI = parseAbi([
  'function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)',
]);
const ZERO: Address = '0x0000000000000000000000000000000000000000';
/** Permit2 refuses to move an ordered nonce by more than this in one call. */
const MAX_NONCE_STEP = 65_535n;
/** More gas than any revoke needs (Rabby warns above 1M): the token may be a gas trap. */
export const MAX_REVOKE_GAS = 1_000_000n;
/** Most zero permits signed to use up EIP-2612 nonces up to a signed one. */
const MAX_EIP2612_NONCE_GAP = 16n;

/** A revocation still waiting for the owner's signature over a zero EIP-2612 permit. */
export interface PendingRevocation extends Revocation {
  /** Sign this (EIP-712), then `completeRevocation` fills in `transaction.data`. */
  signature: { typedData: TypedDataDefinition; deadline: string };
}

export interface BuildRevocationsOptions {
  chainId: number;
  owner: Address;
  /** Unix seconds, for the deadline of EIP-2612 zero permits (default: now). */
  now?: number | undefined;
  /** How long a zero permit stays valid (default 1 hour). */
  permitLifetimeSeconds?: number | undefined;
}

function invalid(message: string, details: Record<string, string | number | boolean | null>): BaseError {
  return new BaseError('APPROVALS_INVALID_REQUEST', message, { details });
}

function tx(options: BuildRevocationsOptions, to: Address, data: Hex): Revocation['transaction'] {
  return { chainId: options.chainId, from: options.owner, to, data, value: 0n };
}

/** The transactions that revoke `approvals` (grants of `options.owner` on `options.chainId`). */
export function buildRevocations(
  approvals: readonly LiveApproval[],
  options: BuildRevocationsOptions,
): (Revocation | PendingRevocation)[] {
  const out: (Revocation | PendingRevocation)[] = [];
  const permit2Groups = new Map<Address, LiveApproval[]>();
  const orderedNonces = new Map<string, { a: LiveApproval; nonce: bigint; ids: string[] }>();
  const unorderedWords = new Map<string, { a: LiveApproval; word: bigint; mask: bigint; ids: string[] }>();
  const eip2612 = new Map<string, { a: LiveApproval; nonce: bigint; ids: string[] }>();
  for (const a of approvals) {
    if (a.chainId !== options.chainId || a.owner !== options.owner) {
      throw invalid('an approval belongs to another account or chain than the one revoking', {
        id: a.id,
        chainId: a.chainId,
        owner: a.owner,
      });
    }
    switch (a.kind) {
      case 'erc20':
        out.push({
          revokes: [a.id],
          kind: a.kind,
          token: a.token,
          spender: a.spender,
          method: 'approve(spender, 0)',
          transaction: tx(
            options,
            a.token,
            encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [a.spender, 0n] }),
          ),
        });
        break;
      case 'erc721':
        if (a.tokenId === undefined) throw invalid('an ERC-721 approval has no token id', { id: a.id });
        out.push({
          revokes: [a.id],
          kind: a.kind,
          token: a.token,
          spender: a.spender,
          method: 'approve(address(0), tokenId)',
          transaction: tx(
            options,
            a.token,
            encodeFunctionData({ abi: erc721Abi, functionName: 'approve', args: [ZERO, BigInt(a.tokenId)] }),
          ),
        });
        break;
      case 'operator':
        out.push({
          revokes: [a.id],
          kind: a.kind,
          token: a.token,
          spender: a.spender,
          method: 'setApprovalForAll(operator, false)',
          transaction: tx(
            options,
            a.token,
            encodeFunctionData({ abi: erc721Abi, functionName: 'setApprovalForAll', args: [a.spender, false] }),
          ),
        });
        break;
      case 'permit2': {
        if (a.permit2 === undefined) throw invalid('a Permit2 approval names no Permit2 contract', { id: a.id });
        const group = permit2Groups.get(a.permit2) ?? [];
        group.push(a);
        permit2Groups.set(a.permit2, group);
        break;
      }
      case 'offchain-permit': {
        if (a.nonce === undefined) throw invalid('a signed permit has no nonce', { id: a.id });
        const nonce = BigInt(a.nonce);
        if (a.scheme === 'permit2-allowance') {
          const key = `${a.permit2}:${a.token}:${a.spender}`;
          const entry = orderedNonces.get(key);
          if (entry === undefined) orderedNonces.set(key, { a, nonce, ids: [a.id] });
          else {
            entry.ids.push(a.id);
            if (nonce > entry.nonce) entry.nonce = nonce;
          }
        } else if (a.scheme === 'permit2-transfer') {
          const word = nonce >> 8n;
          const key = `${a.permit2}:${word}`;
          const entry = unorderedWords.get(key) ?? { a, word, mask: 0n, ids: [] };
          entry.mask |= 1n << (nonce & 255n);
          entry.ids.push(a.id);
          unorderedWords.set(key, entry);
        } else {
          const entry = eip2612.get(a.token);
          if (entry === undefined) eip2612.set(a.token, { a, nonce, ids: [a.id] });
          else {
            entry.ids.push(a.id);
            if (nonce > entry.nonce) entry.nonce = nonce;
          }
        }
        break;
      }
    }
  }
  for (const [permit2, group] of permit2Groups) {
    const [first] = group as [LiveApproval];
    if (group.length === 1) {
      out.push({
        revokes: [first.id],
        kind: 'permit2',
        token: first.token,
        spender: first.spender,
        method: 'Permit2.approve(token, spender, 0, 0)',
        transaction: tx(
          options,
          permit2,
          encodeFunctionData({
            abi: PERMIT2_REVOKE_ABI,
            functionName: 'approve',
            args: [first.token, first.spender, 0n, 0],
          }),
        ),
      });
    } else {
      out.push({
        revokes: group.map((a) => a.id),
        kind: 'permit2',
        token: first.token,
        spender: first.spender,
        method: `Permit2.lockdown(${group.length} pairs)`,
        transaction: tx(
          options,
          permit2,
          encodeFunctionData({
            abi: PERMIT2_REVOKE_ABI,
            functionName: 'lockdown',
            args: [group.map((a) => ({ token: a.token, spender: a.spender }))],
          }),
        ),
      });
    }
  }
  for (const { a, nonce, ids } of orderedNonces.values()) {
    const current = BigInt(a.onChainNonce ?? a.nonce ?? '0');
    const next = nonce + 1n;
    if (next - current > MAX_NONCE_STEP) {
      throw invalid('the signed Permit2 nonce is too far ahead of the chain to invalidate in one call', {
        id: a.id,
        nonce: nonce.toString(),
      });
    }
    out.push({
      revokes: ids,
      kind: 'offchain-permit',
      token: a.token,
      spender: a.spender,
      method: 'Permit2.invalidateNonces(token, spender, nonce + 1)',
      transaction: tx(
        options,
        a.permit2 as Address,
        encodeFunctionData({
          abi: PERMIT2_REVOKE_ABI,
          functionName: 'invalidateNonces',
          args: [a.token, a.spender, Number(next)],
        }),
      ),
    });
  }
  for (const { a, word, mask, ids } of unorderedWords.values()) {
    out.push({
      revokes: ids,
      kind: 'offchain-permit',
      token: a.token,
      spender: a.spender,
      method: 'Permit2.invalidateUnorderedNonces(wordPos, mask)',
      transaction: tx(
        options,
        a.permit2 as Address,
        encodeFunctionData({ abi: PERMIT2_REVOKE_ABI, functionName: 'invalidateUnorderedNonces', args: [word, mask] }),
      ),
    });
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const deadline = BigInt(now + (options.permitLifetimeSeconds ?? 3600));
  for (const { a, nonce, ids } of eip2612.values()) {
    const current = BigInt(a.onChainNonce ?? a.nonce ?? '0');
    if (nonce - current >= MAX_EIP2612_NONCE_GAP) {
      throw invalid('the signed permit nonce is too far ahead of the token to use up', {
        id: a.id,
        nonce: nonce.toString(),
      });
    }
    // One zero permit per nonce from the chain's up to the signed one: each submission uses one.
    for (let n = current; n <= nonce; n++) {
      out.push({
        revokes: n === nonce ? ids : [],
        kind: 'offchain-permit',
        token: a.token,
        spender: a.spender,
        method: `permit(owner, spender, 0) at nonce ${n}`,
        transaction: tx(options, a.token, '0x'),
        signature: { typedData: zeroPermit(a, n, deadline, options), deadline: deadline.toString() },
      });
    }
  }
  return out;
}

/** EIP-2612's `Permit` struct, as the tokens that implement it hash it. */
export const EIP2612_PERMIT_TYPE = [
  { name: 'owner', type: 'address' },
  { name: 'spender', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'nonce', type: 'uint256' },
  { name: 'deadline', type: 'uint256' },
] as const;

/** The EIP-2612 zero-value permit at `nonce` under the signed permit's own domain. */
function zeroPermit(a: LiveApproval, nonce: bigint, deadline: bigint, options: BuildRevocationsOptions) {
  const d = a.domain ?? {};
  const domain = {
    ...(d.name === undefined ? {} : { name: d.name }),
    ...(d.version === undefined ? {} : { version: d.version }),
    chainId: d.chainId ?? options.chainId,
    verifyingContract: d.verifyingContract ?? a.token,
    ...(d.salt === undefined ? {} : { salt: d.salt }),
  };
  const domainFields = [
    ...(domain.name === undefined ? [] : [{ name: 'name', type: 'string' }]),
    ...(domain.version === undefined ? [] : [{ name: 'version', type: 'string' }]),
    { name: 'chainId', type: 'uint256' },
    { name: 'verifyingContract', type: 'address' },
    ...('salt' in domain ? [{ name: 'salt', type: 'bytes32' }] : []),
  ];
  return {
    domain,
    types: {
      EIP712Domain: domainFields,
      Permit: EIP2612_PERMIT_TYPE,
    },
    primaryType: 'Permit',
    message: { owner: a.owner, spender: a.spender, value: 0n, nonce, deadline },
  } as unknown as TypedDataDefinition;
}

export function isPending(r: Revocation | PendingRevocation): r is PendingRevocation {
  return 'signature' in r && r.signature !== undefined;
}

/** Fills in a pending EIP-2612 revocation with the owner's signature over its zero permit. */
export function completeRevocation(r: PendingRevocation, signature: Hex): Revocation {
  const { v, r: rr, s, yParity } = parseSignature(signature);
  const message = (r.signature.typedData as unknown as { message: { spender: Address } }).message;
  const data = encodeFunctionData({
    abi: EIP2612_ABI,
    functionName: 'permit',
    args: [
      r.transaction.from,
      message.spender,
      0n,
      BigInt(r.signature.deadline),
      Number(v ?? BigInt(yParity + 27)),
      rr,
      s,
    ],
  });
  const { signature: _, ...rest } = r;
  return { ...rest, transaction: { ...r.transaction, data } };
}

/** Adds a gas estimate to each ready revocation (left out where the node cannot estimate it). */
export async function estimateRevocationGas(
  client: Client,
  revocations: readonly (Revocation | PendingRevocation)[],
): Promise<(Revocation | PendingRevocation)[]> {
  return mapLimit(revocations, 8, async (r) => {
    if (isPending(r)) return r;
    try {
      const gas = await estimateGas(client, {
        account: r.transaction.from,
        to: r.transaction.to,
        data: r.transaction.data,
        value: 0n,
      });
      const estimated = { ...r, transaction: { ...r.transaction, gas } };
      // A revoke costs tens of thousands of gas; a "token" that wants more may be a trap (Rabby 1118).
      return gas > MAX_REVOKE_GAS
        ? {
            ...estimated,
            warning: `the revocation needs ${gas} gas, more than ${MAX_REVOKE_GAS}: the token may be hostile`,
          }
        : estimated;
    } catch (error) {
      // A revoke the node cannot estimate would fail on chain: say why instead of a gas figure.
      return { ...r, warning: error instanceof Error ? error.message.split('\n')[0] : String(error) };
    }
  });
}

export interface SentRevocation {
  revokes: string[];
  method: string;
  hash: Hex;
  blockNumber: bigint;
}

/**
 * Signs (with the client's account: any viem account, the MPC wallet's included) and sends each
 * revocation in order, waiting for its receipt; a revoke that reverts stops the batch with
 * APPROVALS_REVOKE_FAILED naming it.
 */
export async function sendRevocations(
  client: Client<Transport, Chain | undefined, Account>,
  revocations: readonly (Revocation | PendingRevocation)[],
  options: { maxGas?: bigint | undefined } = {},
): Promise<SentRevocation[]> {
  // Everything is checked before anything is sent: the node's chain, the owner, the gas.
  const chainId = await getChainId(client);
  const maxGas = options.maxGas ?? MAX_REVOKE_GAS;
  for (const r of revocations) {
    if (r.transaction.chainId !== chainId) {
      throw invalid('a revocation is for another chain than the node the client sends to', {
        revocation: r.transaction.chainId,
        node: chainId,
      });
    }
    if (r.transaction.from.toLowerCase() !== client.account.address.toLowerCase()) {
      throw invalid('the account signing is not the owner of the approvals', {
        owner: r.transaction.from,
        account: client.account.address,
      });
    }
    if (r.transaction.gas !== undefined && r.transaction.gas > maxGas) {
      throw invalid('a revocation asks for more gas than a revoke needs; the token may be hostile', {
        method: r.method,
        token: r.token,
        gas: r.transaction.gas.toString(),
        maxGas: maxGas.toString(),
      });
    }
  }
  const sent: SentRevocation[] = [];
  for (const item of revocations) {
    let r: Revocation = item;
    if (isPending(item)) {
      const signature = await signTypedData(client, {
        account: client.account,
        ...(item.signature.typedData as TypedDataDefinition),
      } as Parameters<typeof signTypedData>[1]);
      r = completeRevocation(item, signature);
    }
    const hash = await sendTransaction(client, {
      account: client.account,
      chain: client.chain ?? null,
      to: r.transaction.to,
      data: r.transaction.data,
      value: 0n,
      ...(r.transaction.gas === undefined ? {} : { gas: r.transaction.gas }),
    } as Parameters<typeof sendTransaction>[1]);
    const receipt = await waitForTransactionReceipt(client, { hash });
    if (receipt.status !== 'success') {
      throw new BaseError('APPROVALS_REVOKE_FAILED', `the revocation ${r.method} reverted`, {
        details: { hash, method: r.method, token: r.token, spender: r.spender },
      });
    }
    sent.push({ revokes: r.revokes, method: r.method, hash, blockNumber: receipt.blockNumber });
  }
  return sent;
}

/** A revocation as JSON (what the server answers): quantities as 0x-hex, typed-data integers as decimal strings. */
export interface RevocationJson extends Omit<Revocation, 'transaction'> {
  transaction: { chainId: number; from: Address; to: Address; data: Hex; value: Hex; gas?: Hex | undefined };
  signature?: { typedData: unknown; deadline: string } | undefined;
}

const hexQuantity = (n: bigint): Hex => `0x${n.toString(16)}`;

export function revocationToJson(r: Revocation | PendingRevocation): RevocationJson {
  const { transaction, ...rest } = r;
  const out: RevocationJson = {
    ...rest,
    transaction: {
      chainId: transaction.chainId,
      from: transaction.from,
      to: transaction.to,
      data: transaction.data,
      value: hexQuantity(transaction.value),
      ...(transaction.gas === undefined ? {} : { gas: hexQuantity(transaction.gas) }),
    },
  };
  if (isPending(r)) {
    out.signature = {
      deadline: r.signature.deadline,
      typedData: JSON.parse(
        JSON.stringify(r.signature.typedData, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
      ),
    };
  }
  return out;
}

/** The inverse of `revocationToJson`, checking the shape (it may come from a server over HTTP). */
export function revocationFromJson(json: RevocationJson): Revocation | PendingRevocation {
  const t = json.transaction;
  const address = /^0x[0-9a-fA-F]{40}$/;
  if (
    typeof t !== 'object' ||
    t === null ||
    !address.test(String(t.from)) ||
    !address.test(String(t.to)) ||
    !/^0x([0-9a-fA-F]{2})*$/.test(String(t.data)) ||
    !/^0x[0-9a-fA-F]+$/.test(String(t.value)) ||
    !Number.isSafeInteger(t.chainId)
  ) {
    throw invalid('a revocation transaction is malformed', { method: String(json.method) });
  }
  const { signature, ...rest } = json;
  const base: Revocation = {
    ...rest,
    transaction: {
      chainId: t.chainId,
      from: t.from.toLowerCase() as Address,
      to: t.to.toLowerCase() as Address,
      data: t.data,
      value: BigInt(t.value),
      ...(t.gas === undefined ? {} : { gas: BigInt(t.gas) }),
    },
  };
  if (signature === undefined) return base;
  const doc = signature.typedData as { message?: Record<string, unknown> };
  const m = doc.message ?? {};
  const typedData = {
    ...doc,
    message: {
      ...m,
      value: BigInt(String(m.value)),
      nonce: BigInt(String(m.nonce)),
      deadline: BigInt(String(m.deadline)),
    },
  } as unknown as TypedDataDefinition;
  return { ...base, signature: { typedData, deadline: signature.deadline } };
}
