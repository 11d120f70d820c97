/**
 * Signed permits that no transaction has used yet. A signature over an EIP-2612 `Permit` or a
 * Permit2 `PermitSingle`/`PermitBatch`/`PermitTransferFrom` is a grant waiting to be submitted by
 * whoever holds it, invisible on chain until it is. custos sees the ones its firewall forwards and
 * its co-signer signs (`permitRecordsFromVerdict` turns the risk engine's decoded intents into
 * records), and lists each while the chain says it can still be used: before its deadline, and
 * with its nonce not yet used or invalidated — the token's `nonces(owner)` for EIP-2612, Permit2's
 * per-(token, spender) nonce for AllowanceTransfer, its unordered-nonce bitmap for
 * SignatureTransfer.
 */
import type { Verdict } from '@custos/risk';
import { decodeAbiParameters, encodeFunctionData } from 'viem';
import { CANONICAL_PERMIT2 } from './events.js';
import { blockTimestamp, mapLimit, PERMIT2_VIEW_ABI, type ReadOptions, VIEW_ABI, viewCall } from './state.js';
import type { OffchainPermitRecord } from './store.js';
import type { Address, Hex, LiveApproval, OffchainScheme } from './types.js';

/**
 * The permits a verdict on a signature request grants, as records to store. Only EIP-712
 * documents carry permits; DAI-style permits (`allowed` instead of an amount) are not recorded.
 */
export function permitRecordsFromVerdict(
  verdict: Verdict,
  context: { chainId: number; via: OffchainPermitRecord['via']; typedData: unknown },
): OffchainPermitRecord[] {
  const decoded = verdict.decoded;
  if (decoded.type !== 'typed-data') return [];
  const records: OffchainPermitRecord[] = [];
  for (const intent of decoded.intents) {
    let scheme: OffchainScheme;
    let verifyingContract: Address | undefined;
    let expiration: number | undefined;
    const owner: Address = decoded.signer;
    if (intent.kind === 'permit' && intent.scheme === 'eip2612') {
      // A permit naming another owner than its signer can never be used: nothing to list.
      if (intent.owner !== undefined && intent.owner !== decoded.signer) continue;
      scheme = 'eip2612';
      verifyingContract = intent.verifyingContract ?? intent.token;
    } else if (intent.kind === 'permit' && intent.scheme === 'permit2') {
      scheme = 'permit2-allowance';
      verifyingContract = intent.verifyingContract;
      expiration = intent.expiration === undefined ? undefined : Number(intent.expiration);
    } else if (intent.kind === 'permit-transfer') {
      scheme = 'permit2-transfer';
      verifyingContract = decoded.domain.verifyingContract;
    } else continue;
    if (verifyingContract === undefined || intent.nonce === undefined) continue;
    records.push({
      chainId: context.chainId,
      owner,
      scheme,
      verifyingContract,
      token: intent.token,
      spender: intent.spender,
      amount: BigInt(intent.amount),
      nonce: BigInt(intent.nonce),
      ...(intent.deadline === undefined ? {} : { deadline: BigInt(intent.deadline) }),
      ...(expiration === undefined ? {} : { expiration }),
      digest: decoded.digest,
      typedData: context.typedData,
      via: context.via,
    });
  }
  return records;
}

/** Stable identity of a signed permit in a list. */
export function permitId(r: OffchainPermitRecord): string {
  return `offchain-permit:${r.scheme}:${r.verifyingContract}:${r.token}:${r.spender}:${r.nonce}`;
}

/** The nonce state that decides whether a permit is still usable. */
async function nonceState(
  options: ReadOptions,
  r: OffchainPermitRecord,
): Promise<{ usable: boolean; current?: bigint } | undefined> {
  switch (r.scheme) {
    case 'eip2612': {
      const out = await viewCall(
        options,
        r.verifyingContract,
        encodeFunctionData({ abi: VIEW_ABI, functionName: 'nonces', args: [r.owner] }),
      );
      if (out === undefined) return undefined;
      const current = BigInt(out.slice(0, 66));
      return { usable: current <= r.nonce, current };
    }
    case 'permit2-allowance': {
      const out = await viewCall(
        options,
        r.verifyingContract,
        encodeFunctionData({ abi: PERMIT2_VIEW_ABI, functionName: 'allowance', args: [r.owner, r.token, r.spender] }),
      );
      if (out === undefined) return undefined;
      const [, , nonce] = decodeAbiParameters([{ type: 'uint160' }, { type: 'uint48' }, { type: 'uint48' }], out);
      // A signature at a nonce ahead of the chain's becomes usable once the nonces before it are used.
      return { usable: BigInt(nonce) <= r.nonce, current: BigInt(nonce) };
    }
    case 'permit2-transfer': {
      const out = await viewCall(
        options,
        r.verifyingContract,
        encodeFunctionData({ abi: PERMIT2_VIEW_ABI, functionName: 'nonceBitmap', args: [r.owner, r.nonce >> 8n] }),
      );
      if (out === undefined) return undefined;
      const bitmap = BigInt(out.slice(0, 66));
      return { usable: ((bitmap >> (r.nonce & 255n)) & 1n) === 0n };
    }
  }
}

/**
 * The recorded permits that can still be used at `options.blockNumber`. Permit2 permits count only
 * when signed for a Permit2 instance the caller trusts (a look-alike contract's nonces say
 * nothing).
 */
export async function readLivePermits(
  options: ReadOptions & { permits: readonly OffchainPermitRecord[]; permit2?: readonly Address[] | undefined },
): Promise<LiveApproval[]> {
  if (options.permits.length === 0) return [];
  const trusted = new Set((options.permit2 ?? [CANONICAL_PERMIT2]).map((a) => a.toLowerCase()));
  const now = BigInt(await blockTimestamp(options, options.blockNumber));
  const seen = new Set<string>();
  const unique = options.permits.filter((r) => {
    const id = permitId(r);
    if (seen.has(id)) return false;
    seen.add(id);
    return r.scheme === 'eip2612' || trusted.has(r.verifyingContract);
  });
  const live = await mapLimit(unique, options.concurrency ?? 16, async (r): Promise<LiveApproval | undefined> => {
    if (r.deadline !== undefined && r.deadline < now) return undefined;
    const state = await nonceState(options, r);
    if (state === undefined || !state.usable) return undefined;
    return {
      id: permitId(r),
      chainId: r.chainId,
      owner: r.owner,
      kind: 'offchain-permit',
      scheme: r.scheme,
      token: r.token,
      spender: r.spender,
      amount: r.amount.toString(),
      nonce: r.nonce.toString(),
      ...(state.current === undefined ? {} : { onChainNonce: state.current.toString() }),
      ...(r.scheme === 'eip2612' ? {} : { permit2: r.verifyingContract }),
      ...(r.deadline === undefined ? {} : { deadline: Number(r.deadline) }),
      ...(r.expiration === undefined ? {} : { expiration: r.expiration }),
      ...(r.scheme === 'eip2612' ? { domain: eip2612Domain(r.typedData) } : {}),
      signed: { at: (r.signedAt ?? new Date()).toISOString(), via: r.via },
    };
  });
  return live.filter((a): a is LiveApproval => a !== undefined);
}

/** The EIP-712 domain of a signed EIP-2612 permit (what a zero permit must be signed under). */
function eip2612Domain(typedData: unknown): LiveApproval['domain'] {
  const doc = (typeof typedData === 'string' ? safeParse(typedData) : typedData) as { domain?: unknown } | undefined;
  const d = (doc?.domain ?? {}) as Record<string, unknown>;
  const out: NonNullable<LiveApproval['domain']> = {};
  if (typeof d.name === 'string') out.name = d.name;
  if (typeof d.version === 'string') out.version = d.version;
  if (typeof d.chainId === 'number' || typeof d.chainId === 'string') out.chainId = Number(d.chainId);
  if (typeof d.verifyingContract === 'string') out.verifyingContract = d.verifyingContract.toLowerCase() as Address;
  if (typeof d.salt === 'string') out.salt = d.salt as Hex;
  return out;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A document the decoder accepted was JSON; a damaged stored copy just has no domain to offer.
    return undefined;
  }
}
