/**
 * A scripted approval history on a dev chain, and the truth to check a scan against. The history
 * holds every case discovery must get right: approvals, increases, revokes, allowances spent in
 * part and in full by `transferFrom`, Permit2 allowances (one left to expire), ERC-721 token and
 * operator approvals (one cleared by a transfer), ERC-1155 operators (one revoked), an unlimited
 * approval to an OFAC-listed address, and a token deployed during the test that nothing has seen
 * before. `truthOf` reads every pair the script touched straight from the contracts with viem's
 * own `readContract`, independently of the scanner's code.
 */
import { type DevChain, ownArtifact, PERMIT2_ADDRESS } from '@custos/devchain';
import {
  type Address,
  createPublicClient,
  encodeDeployData,
  encodeFunctionData,
  erc20Abi,
  erc721Abi,
  getAddress,
  type Hex,
  http,
  maxUint160,
  maxUint256,
  parseAbi,
} from 'viem';

/** Ronin bridge exploiter: on the OFAC SDN list (LAZARUS GROUP), in the shipped labels for every EVM chain. */
export const OFAC_LISTED: Address = '0x098b716b8aaf21512996dc57eb0615e2383e2f96';

export const PERMIT2_ABI = parseAbi([
  'function approve(address token, address spender, uint160 amount, uint48 expiration)',
  'function allowance(address owner, address token, address spender) view returns (uint160 amount, uint48 expiration, uint48 nonce)',
  'function nonceBitmap(address owner, uint256 wordPos) view returns (uint256)',
]);
const ERC1155_ABI = parseAbi([
  'function setApprovalForAll(address operator, bool approved)',
  'function isApprovedForAll(address owner, address operator) view returns (bool)',
]);

export type PairKind = 'erc20' | 'erc721' | 'operator' | 'permit2';
export interface Pair {
  kind: PairKind;
  token: Address;
  spender: Address;
  tokenId?: bigint;
}

export interface History {
  owner: Address;
  /** Every grant the script touched (live or not). */
  pairs: Pair[];
  /** The token deployed during the test. */
  newToken: Address;
  /** Addresses by role, for assertions. */
  spenders: Record<string, Address>;
  /** The Permit2 allowance that expires, and when. */
  expiring: { spender: Address; expiration: number };
}

const lower = (a: string) => a.toLowerCase() as Address;
/** A fresh random address (no code, no key anyone holds). */
export const randomAddress = (): Address =>
  lower(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(20))).toString('hex')}`);

export async function send(chain: DevChain, from: Address, to: Address | undefined, data: Hex): Promise<Hex> {
  const hash = (await chain.request('eth_sendTransaction', [{ from, ...(to ? { to } : {}), data }])) as Hex;
  const receipt = (await chain.request('eth_getTransactionReceipt', [hash])) as {
    status: Hex;
    contractAddress: Address | null;
  };
  if (receipt.status !== '0x1') throw new Error(`scripted transaction to ${to ?? 'creation'} failed`);
  return receipt.contractAddress ?? hash;
}

export const approveData = (spender: Address, amount: bigint) =>
  encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spender, amount] });

/** Deploys a fresh DevUSD (a token no scan has seen) holding `amount` for `holder`. */
export async function deployToken(chain: DevChain, from: Address, holder: Address, amount: bigint): Promise<Address> {
  const artifact = ownArtifact('DevUSD');
  const data = encodeDeployData({ abi: artifact.abi, bytecode: artifact.bytecode, args: [[holder], amount] });
  return lower(await send(chain, from, undefined, data));
}

async function latestTimestamp(chain: DevChain): Promise<number> {
  const block = (await chain.request('eth_getBlockByNumber', ['latest', false])) as { timestamp: Hex };
  return Number(BigInt(block.timestamp));
}

/**
 * Plays the history from `owner` (a dev account holding cUSD, NFTs 1–3 or 4–6, and ERC-1155 ids).
 * `helpers` are two dev accounts that spend allowances with `transferFrom`.
 */
export async function scriptHistory(
  chain: DevChain,
  owner: Address,
  helpers: { spenderA: Address; spenderB: Address },
): Promise<History> {
  const c = chain.contracts;
  const cusd = lower(c.erc20);
  const nft = lower(c.erc721);
  const multi = lower(c.erc1155);
  const permit2 = lower(PERMIT2_ADDRESS);
  const s = {
    plain: randomAddress(),
    increased: randomAddress(),
    revoked: randomAddress(),
    spentFully: lower(helpers.spenderA),
    spentPartly: lower(helpers.spenderB),
    ofac: OFAC_LISTED,
    p2live: randomAddress(),
    p2expiring: randomAddress(),
    p2lockedDown: randomAddress(),
    nftOperator: randomAddress(),
    nftSingle: randomAddress(),
    nftCleared: randomAddress(),
    multiOperator: randomAddress(),
    multiRevoked: randomAddress(),
    newTokenSpender: randomAddress(),
  };
  const pairs: Pair[] = [];
  const erc20 = async (token: Address, spender: Address, amount: bigint) => {
    await send(chain, owner, token, approveData(spender, amount));
    pairs.push({ kind: 'erc20', token, spender });
  };
  await erc20(cusd, s.plain, 1_000n);
  await erc20(cusd, s.increased, 500n);
  await erc20(cusd, s.increased, 2_500n);
  await erc20(cusd, s.revoked, maxUint256);
  await erc20(cusd, s.revoked, 0n);
  await erc20(cusd, s.spentFully, 300n);
  await erc20(cusd, s.spentPartly, 1_000n);
  await erc20(cusd, s.ofac, maxUint256);
  const transferFrom = (amount: bigint) =>
    encodeFunctionData({ abi: erc20Abi, functionName: 'transferFrom', args: [owner, helpers.spenderA, amount] });
  await send(chain, helpers.spenderA, cusd, transferFrom(300n));
  await send(chain, helpers.spenderB, cusd, transferFrom(400n));
  await chain.request('hardhat_mine', ['0x20']);

  // Permit2: the token's allowance to Permit2, then Permit2 allowances.
  await erc20(cusd, permit2, maxUint256);
  const now = await latestTimestamp(chain);
  const p2 = async (spender: Address, amount: bigint, expiration: number) => {
    await send(
      chain,
      owner,
      permit2,
      encodeFunctionData({ abi: PERMIT2_ABI, functionName: 'approve', args: [cusd, spender, amount, expiration] }),
    );
    pairs.push({ kind: 'permit2', token: cusd, spender });
  };
  await p2(s.p2live, 5_000n, now + 30 * 86_400);
  const expiring = { spender: s.p2expiring, expiration: now + 600 };
  await p2(s.p2expiring, maxUint160, expiring.expiration);
  await p2(s.p2lockedDown, 700n, now + 86_400);
  await send(
    chain,
    owner,
    permit2,
    encodeFunctionData({
      abi: parseAbi(['function lockdown((address token, address spender)[] approvals)']),
      functionName: 'lockdown',
      args: [[{ token: cusd, spender: s.p2lockedDown }]],
    }),
  );

  // NFTs: an operator, a token approval, a token approval cleared by transferring the token.
  const owned = await ownedNfts(chain, nft, owner);
  const [kept, moved] = owned as [bigint, bigint];
  await send(
    chain,
    owner,
    nft,
    encodeFunctionData({ abi: erc721Abi, functionName: 'setApprovalForAll', args: [s.nftOperator, true] }),
  );
  pairs.push({ kind: 'operator', token: nft, spender: s.nftOperator });
  await send(
    chain,
    owner,
    nft,
    encodeFunctionData({ abi: erc721Abi, functionName: 'approve', args: [s.nftSingle, kept] }),
  );
  pairs.push({ kind: 'erc721', token: nft, spender: s.nftSingle, tokenId: kept });
  await send(
    chain,
    owner,
    nft,
    encodeFunctionData({ abi: erc721Abi, functionName: 'approve', args: [s.nftCleared, moved] }),
  );
  pairs.push({ kind: 'erc721', token: nft, spender: s.nftCleared, tokenId: moved });
  await send(
    chain,
    owner,
    nft,
    encodeFunctionData({ abi: erc721Abi, functionName: 'transferFrom', args: [owner, helpers.spenderA, moved] }),
  );
  await chain.request('hardhat_mine', ['0x40']);

  // ERC-1155 operators: one kept, one revoked.
  for (const [operator, approved] of [
    [s.multiOperator, true],
    [s.multiRevoked, true],
    [s.multiRevoked, false],
  ] as const) {
    await send(
      chain,
      owner,
      multi,
      encodeFunctionData({ abi: ERC1155_ABI, functionName: 'setApprovalForAll', args: [operator, approved] }),
    );
    pairs.push({ kind: 'operator', token: multi, spender: operator });
  }

  // A token deployed now, unknown to every list, approved at once.
  const newToken = await deployToken(chain, lower(helpers.spenderB), owner, 10n ** 12n);
  await erc20(newToken, s.newTokenSpender, 123_456n);
  return { owner, pairs, newToken, spenders: s, expiring };
}

/** The ERC-721 ids `owner` holds, found from the fixture's sequential ids. */
export async function ownedNfts(chain: DevChain, nft: Address, owner: Address): Promise<bigint[]> {
  const client = createPublicClient({ transport: http(chain.rpcUrl) });
  const next = await client.readContract({
    address: nft,
    abi: parseAbi(['function nextTokenId() view returns (uint256)']),
    functionName: 'nextTokenId',
  });
  const out: bigint[] = [];
  for (let id = 1n; id < next; id++) {
    const holder = await client.readContract({ address: nft, abi: erc721Abi, functionName: 'ownerOf', args: [id] });
    if (getAddress(holder) === getAddress(owner)) out.push(id);
  }
  return out;
}

/** What is live, by the scanner's ids, read from each contract with viem: id → amount or spender. */
export async function truthOf(chain: DevChain, owner: Address, pairs: readonly Pair[]): Promise<Map<string, string>> {
  const client = createPublicClient({ transport: http(chain.rpcUrl) });
  const block = await client.getBlock();
  const permit2 = lower(PERMIT2_ADDRESS);
  const live = new Map<string, string>();
  for (const p of pairs) {
    switch (p.kind) {
      case 'erc20': {
        const amount = await client.readContract({
          address: p.token,
          abi: erc20Abi,
          functionName: 'allowance',
          args: [owner, p.spender],
        });
        if (amount > 0n) live.set(`erc20:${p.token}:${p.spender}`, amount.toString());
        break;
      }
      case 'erc721': {
        const id = p.tokenId as bigint;
        const holder = await client.readContract({
          address: p.token,
          abi: erc721Abi,
          functionName: 'ownerOf',
          args: [id],
        });
        const approved = await client.readContract({
          address: p.token,
          abi: erc721Abi,
          functionName: 'getApproved',
          args: [id],
        });
        if (getAddress(holder) === getAddress(owner) && BigInt(approved) !== 0n)
          live.set(`erc721:${p.token}:${id}`, lower(approved));
        break;
      }
      case 'operator': {
        const approved = await client.readContract({
          address: p.token,
          abi: ERC1155_ABI,
          functionName: 'isApprovedForAll',
          args: [owner, p.spender],
        });
        if (approved) live.set(`operator:${p.token}:${p.spender}`, 'true');
        break;
      }
      case 'permit2': {
        const [amount, expiration] = await client.readContract({
          address: permit2,
          abi: PERMIT2_ABI,
          functionName: 'allowance',
          args: [owner, p.token, p.spender],
        });
        if (amount > 0n && BigInt(expiration) >= block.timestamp)
          live.set(`permit2:${permit2}:${p.token}:${p.spender}`, amount.toString());
        break;
      }
    }
  }
  return live;
}

/** The scanner's answer in the same form as `truthOf`. */
export function listedOf(
  approvals: readonly { id: string; kind: string; amount?: string | undefined; spender: string }[],
): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of approvals) {
    if (a.kind === 'offchain-permit') continue;
    out.set(a.id, a.kind === 'erc721' ? a.spender : a.kind === 'operator' ? 'true' : (a.amount as string));
  }
  return out;
}
