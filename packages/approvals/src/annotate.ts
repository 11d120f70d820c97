/**
 * What a user needs to judge each live grant: the token's standard, symbol and decimals; the
 * amount, with "unlimited" the way the risk engine defines it (≥ 2^64 − 1 units or more than the
 * supply); the value at risk — what the spender could take now, min(allowance, balance), bounded
 * for Permit2 also by the token's own allowance to Permit2, and priced only when a price source is
 * configured; who the spender is (label and on-chain facts); and the risk engine's verdict on the
 * grant itself, unchanged: each grant is put to the engine as the request that would create it
 * today (`approve`, `setApprovalForAll`, Permit2 `approve`, or the signed permit), so an approval
 * to an EOA, to a young or unknown contract or to a block-listed address is judged by the same
 * rules as before signing.
 */
import {
  type FactsProvider,
  isUnlimited,
  type LabelLookup,
  type RiskEngine,
  readTokenFacts,
  type ScanRequest,
  type TokenFacts,
} from '@custos/risk';
import {
  decodeAbiParameters,
  encodeFunctionData,
  erc20Abi,
  erc721Abi,
  formatUnits,
  parseAbi,
  toEventSelector,
} from 'viem';
import { ownerTopic } from './events.js';
import { readLogPages, requestWithRetry } from './logs.js';
import { mapLimit, type ReadOptions, VIEW_ABI, viewCall } from './state.js';
import type { Address, Approval, LiveApproval, SpenderIdentity } from './types.js';

/** A token's price in some currency, per whole token (e.g. 1.0 USD for a dollar stablecoin). */
export type PriceSource = (chainId: number, token: Address) => Promise<{ currency: string; price: number } | undefined>;

export interface AnnotateOptions extends ReadOptions {
  chainId: number;
  owner: Address;
  engine: RiskEngine;
  /** Labels for the spender's identity (the engine's own labels, ideally). */
  labels?: LabelLookup | undefined;
  /** On-chain facts for the spender (EOA or contract, deployment time) and token metadata. */
  facts?: FactsProvider | undefined;
  price?: PriceSource | undefined;
}

const PERMIT2_APPROVE_ABI = parseAbi([
  'function approve(address token, address spender, uint160 amount, uint48 expiration)',
]);
const MAX_UINT160 = (1n << 160n) - 1n;

/** The request that would create the grant today: what the risk engine judges. */
export function grantRequest(a: LiveApproval, typedData?: unknown): ScanRequest {
  const send = (to: Address, data: `0x${string}`): ScanRequest => ({
    chainId: a.chainId,
    method: 'eth_sendTransaction',
    params: [{ from: a.owner, to, data, value: '0x0' }],
  });
  switch (a.kind) {
    case 'erc20':
      return send(
        a.token,
        encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [a.spender, BigInt(a.amount ?? '0')] }),
      );
    case 'erc721':
      return send(
        a.token,
        encodeFunctionData({ abi: erc721Abi, functionName: 'approve', args: [a.spender, BigInt(a.tokenId ?? '0')] }),
      );
    case 'operator':
      return send(
        a.token,
        encodeFunctionData({ abi: erc721Abi, functionName: 'setApprovalForAll', args: [a.spender, true] }),
      );
    case 'permit2': {
      const amount = BigInt(a.amount ?? '0');
      return send(
        a.permit2 as Address,
        encodeFunctionData({
          abi: PERMIT2_APPROVE_ABI,
          functionName: 'approve',
          args: [a.token, a.spender, amount > MAX_UINT160 ? MAX_UINT160 : amount, a.expiration ?? 0],
        }),
      );
    }
    case 'offchain-permit':
      return { chainId: a.chainId, method: 'eth_signTypedData_v4', params: [a.owner, typedData] };
  }
}

async function tokenFacts(options: AnnotateOptions, token: Address): Promise<TokenFacts> {
  try {
    if (options.facts !== undefined) return await options.facts.token(options.chainId, token);
    return await readTokenFacts((method, params) => requestWithRetry(options.rpc, method, params), token);
  } catch (error) {
    return { standard: 'unknown', reason: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}

async function spenderIdentity(options: AnnotateOptions, spender: Address): Promise<SpenderIdentity> {
  const label = options.labels?.lookupAddress(spender, options.chainId);
  const best = label?.labels[0];
  let facts: SpenderIdentity['facts'];
  try {
    facts =
      options.facts === undefined
        ? { kind: 'unknown', reason: 'no facts provider configured' }
        : await options.facts.address(options.chainId, spender);
  } catch (error) {
    facts = { kind: 'unknown', reason: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
  return {
    address: spender,
    ...(best === undefined ? {} : { name: best.name }),
    tier: label?.tier ?? 'none',
    facts,
  };
}

async function word(options: ReadOptions, to: Address, data: `0x${string}`): Promise<bigint | undefined> {
  const out = await viewCall(options, to, data);
  return out === undefined || out.length < 66 ? undefined : BigInt(out.slice(0, 66));
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

const TRANSFER_SINGLE = toEventSelector('TransferSingle(address,address,address,uint256,uint256)');
const TRANSFER_BATCH = toEventSelector('TransferBatch(address,address,address,uint256[],uint256[])');
const ERC1155_BALANCE = parseAbi(['function balanceOf(address owner, uint256 id) view returns (uint256)']);

/**
 * What an ERC-1155 operator could take: every id the owner ever received (its TransferSingle and
 * TransferBatch logs as recipient, paged like discovery's) with the balance held at the read
 * block; ids no longer held are left out.
 */
async function erc1155Holdings(
  options: AnnotateOptions,
  token: Address,
): Promise<{ tokenId: string; amount: string }[]> {
  const ids = new Set<bigint>();
  const pages = readLogPages({
    rpc: options.rpc,
    address: token,
    topics: [[TRANSFER_SINGLE, TRANSFER_BATCH], null, null, ownerTopic(options.owner)],
    fromBlock: 0n,
    toBlock: options.blockNumber,
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  for await (const page of pages) {
    for (const log of page.logs) {
      const single = log.topics[0] === TRANSFER_SINGLE;
      try {
        const [decoded] = decodeAbiParameters(
          single ? [{ type: 'uint256' }, { type: 'uint256' }] : [{ type: 'uint256[]' }, { type: 'uint256[]' }],
          log.data,
        );
        for (const id of Array.isArray(decoded) ? decoded : [decoded]) ids.add(id as bigint);
      } catch (error) {
        // A log that does not decode as the standard defines it is not a transfer to count.
        if (!(error instanceof Error)) throw error;
      }
    }
  }
  const balances = await mapLimit([...ids], options.concurrency ?? 16, async (id) => ({
    tokenId: id.toString(),
    amount: (
      (await word(
        options,
        token,
        encodeFunctionData({ abi: ERC1155_BALANCE, functionName: 'balanceOf', args: [options.owner, id] }),
      )) ?? 0n
    ).toString(),
  }));
  return balances
    .filter((b) => b.amount !== '0')
    .sort((x, y) => (BigInt(x.tokenId) < BigInt(y.tokenId) ? -1 : BigInt(x.tokenId) > BigInt(y.tokenId) ? 1 : 0));
}

/**
 * Annotates live grants; `typedData(id)` gives the signed document of an off-chain permit (for
 * the engine to judge it as it was asked).
 */
export async function annotateApprovals(
  live: readonly LiveApproval[],
  options: AnnotateOptions & { typedData?: ((id: string) => unknown) | undefined },
): Promise<Approval[]> {
  const limit = options.concurrency ?? 16;
  const tokens = [...new Set(live.map((a) => a.token))];
  const facts = new Map(await mapLimit(tokens, limit, async (t) => [t, await tokenFacts(options, t)] as const));
  const balances = new Map(
    await mapLimit(
      tokens,
      limit,
      async (t) =>
        [
          t,
          await word(
            options,
            t,
            encodeFunctionData({ abi: VIEW_ABI, functionName: 'balanceOf', args: [options.owner] }),
          ),
        ] as const,
    ),
  );
  const spenders = [...new Set(live.map((a) => a.spender))];
  const identities = new Map(
    await mapLimit(spenders, limit, async (s) => [s, await spenderIdentity(options, s)] as const),
  );
  return mapLimit(live, limit, async (a): Promise<Approval> => {
    const info = facts.get(a.token) ?? { standard: 'unknown' };
    const balance = balances.get(a.token);
    const amount = a.amount === undefined ? undefined : BigInt(a.amount);
    let risk: bigint | null = null;
    let reason: string | undefined;
    let holdings: { tokenId: string; amount: string }[] | undefined;
    if (a.kind === 'erc721') risk = 1n;
    else if (a.kind === 'operator') {
      if (a.standard === 'erc721' && balance !== undefined) risk = balance;
      else if (a.standard === 'erc1155') {
        holdings = await erc1155Holdings(options, a.token);
        risk = holdings.reduce((sum, h) => sum + BigInt(h.amount), 0n);
      } else reason = 'the collection answers neither as ERC-721 nor as ERC-1155';
    } else if (amount !== undefined && balance !== undefined) {
      risk = min(amount, balance);
      if (a.permit2 !== undefined && a.kind === 'permit2') {
        const toPermit2 = await word(
          options,
          a.token,
          encodeFunctionData({ abi: erc20Abi, functionName: 'allowance', args: [a.owner, a.permit2] }),
        );
        risk = min(risk, toPermit2 ?? 0n);
      }
    } else reason = 'the token did not report a balance';
    const valueAtRisk: Approval['valueAtRisk'] = { amount: risk === null ? null : risk.toString() };
    if (reason !== undefined) valueAtRisk.reason = reason;
    if (holdings !== undefined) valueAtRisk.items = holdings;
    if (risk !== null && info.decimals !== undefined && a.kind !== 'erc721' && a.kind !== 'operator') {
      valueAtRisk.formatted = formatUnits(risk, info.decimals);
      const price = await options.price?.(a.chainId, a.token);
      if (price !== undefined) {
        valueAtRisk.fiat = { currency: price.currency, value: Number(valueAtRisk.formatted) * price.price };
      }
    }
    const verdict = await options.engine.scan(grantRequest(a, options.typedData?.(a.id)), {
      simulate: false,
      history: [],
    });
    return {
      ...a,
      tokenInfo: info,
      // An operator may move every token of the collection the owner holds, now or later.
      unlimited: a.kind === 'operator' || (amount !== undefined && isUnlimited(amount, info.totalSupply)),
      ...(balance === undefined ? {} : { balance: balance.toString() }),
      valueAtRisk,
      spenderInfo: identities.get(a.spender) as SpenderIdentity,
      verdict,
    };
  });
}
