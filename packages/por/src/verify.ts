/**
 * The inclusion-proof verifier every surface uses unchanged — the CLI, the server's tests and the
 * browser page: pure functions, SHA-256 and HMAC from @noble/hashes, no Node API. A `por-proof/v1`
 * carries the user's id, salt and balances, the leaf's position and, per level, the sibling's hash
 * and per-asset sums and the hash the path's own node must have. The verifier recomputes the leaf
 * and every node up to the root (each node binding both children's hashes and sums, see
 * encoding.ts), checks each level against the claimed hash (so a failure names its level), every
 * sum against the 2^96 bound, the root hash and totals against the signed root file, and the root
 * signature — against a pinned key when the caller gives one.
 */
import { BaseError, Decimal } from '@custos/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  HASH_BYTES,
  leafMessage,
  MAX_BALANCE,
  MAX_SUM,
  type NodeView,
  nodeMessage,
  type Sha256,
  userHashMessage,
} from './encoding.js';
import { type AssetSpec, parseRootFile, type RootFile, verifyRootSignature } from './root.js';

export const PROOF_VERSION = 'por-proof/v1';

export interface ProofStep {
  /** The sibling node at this level (level 0 = the leaf's sibling). */
  sibling: { hash: string; sums: string[] };
  /** The hash of the path's own node one level up (what combining must give). */
  parent: string;
}

export interface InclusionProof {
  version: typeof PROOF_VERSION;
  roundId: string;
  userId: string;
  /** Hex, 32 bytes: HMAC(saltSecret, roundId ‖ userId). */
  salt: string;
  assets: AssetSpec[];
  /** The user's balances, decimal strings at each asset's scale, in asset order. */
  balances: string[];
  /** The leaf's index in the round's shuffled order. */
  position: number;
  /** Hex hash of the user's leaf. */
  leaf: string;
  path: ProofStep[];
}

export interface VerifiedInclusion {
  roundId: string;
  userId: string;
  balances: { symbol: string; balance: string }[];
  rootHash: string;
  /** The signer's key and whether it was pinned by the caller. */
  signer: { publicKey: string; pinned: boolean };
}

function fail(reason: string, message: string, details: Record<string, string | number | boolean | null> = {}): never {
  throw new BaseError('POR_PROOF_INVALID', message, { details: { reason, ...details } });
}

const isHex32 = (s: unknown): s is string => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);

function units(text: unknown, scale: number, what: string): bigint {
  try {
    return Decimal.parse(text, scale, what).units;
  } catch (error) {
    throw new BaseError('POR_PROOF_INVALID', `${what} is not a decimal at scale ${scale}`, {
      details: { reason: 'malformed', field: what },
      cause: error,
    });
  }
}

/** Checks a proof's shape; answers it typed. */
export function parseInclusionProof(value: unknown): InclusionProof {
  const p = value as Partial<InclusionProof> | null;
  const bad = (field: string): never => fail('malformed', `the proof's "${field}" is missing or malformed`, { field });
  if (p === null || typeof p !== 'object') return bad('proof');
  if (p.version !== PROOF_VERSION) fail('version', `unsupported proof version ${String(p.version)}`);
  if (typeof p.roundId !== 'string') bad('roundId');
  if (typeof p.userId !== 'string' || p.userId.length === 0) bad('userId');
  if (!isHex32(p.salt)) bad('salt');
  if (!isHex32(p.leaf)) bad('leaf');
  if (!Array.isArray(p.assets) || p.assets.length === 0) bad('assets');
  if (!Array.isArray(p.balances) || p.balances.length !== (p.assets as unknown[]).length) bad('balances');
  if (!Number.isSafeInteger(p.position) || (p.position as number) < 0) bad('position');
  if (!Array.isArray(p.path) || p.path.length > 64) bad('path');
  for (const [i, step] of (p.path as unknown[]).entries()) {
    const s = step as Partial<ProofStep> | null;
    if (
      s === null ||
      typeof s !== 'object' ||
      !isHex32(s.sibling?.hash) ||
      !Array.isArray(s.sibling?.sums) ||
      s.sibling.sums.length !== (p.assets as unknown[]).length ||
      !isHex32(s.parent)
    )
      bad(`path[${i}]`);
  }
  return p as InclusionProof;
}

/**
 * Verifies a user's inclusion proof against the round's signed root file (or a `VerifiedRoot`,
 * whose signature is then not checked again). `publicKey` pins the
 * exchange's root-signing key (hex); without it the root file's own key is used and the result
 * says `pinned: false`. Throws POR_PROOF_INVALID with `details.reason` on any failed check.
 */
/** A root file whose shape and signature were checked once (for verifying many proofs of a round). */
export interface VerifiedRoot {
  readonly root: RootFile;
  readonly signer: { publicKey: string; pinned: boolean };
}

// Only roots checked here are in the set: a JSON object can never pass as one.
const checkedRoots = new WeakSet<VerifiedRoot>();

/** Checks a root file's shape and signature once (against `publicKey` when given). */
export function verifyRoot(rootValue: unknown, options: { publicKey?: string | undefined } = {}): VerifiedRoot {
  const root = parseRootFile(rootValue);
  const verified: VerifiedRoot = Object.freeze({ root, signer: verifyRootSignature(root, options.publicKey) });
  checkedRoots.add(verified);
  return verified;
}

export function verifyInclusionProof(
  proofValue: unknown,
  rootValue: unknown,
  options: { publicKey?: string | undefined; sha256?: Sha256 | undefined } = {},
): VerifiedInclusion {
  const hash = options.sha256 ?? sha256;
  const checked = checkedRoots.has(rootValue as VerifiedRoot) ? (rootValue as VerifiedRoot) : undefined;
  // A root checked earlier still answers to a key pinned now, compared with the same normalisation.
  const { root, signer } =
    checked === undefined
      ? verifyRoot(rootValue, { publicKey: options.publicKey })
      : options.publicKey === undefined
        ? checked
        : { root: checked.root, signer: verifyRootSignature(checked.root, options.publicKey) };
  const proof = parseInclusionProof(proofValue);
  if (proof.roundId !== root.roundId) fail('round-mismatch', 'the proof is for another round than the root file');
  if (
    proof.assets.length !== root.assets.length ||
    proof.assets.some((a, i) => a.symbol !== root.assets[i]?.symbol || a.scale !== root.assets[i]?.scale)
  )
    fail('assets-mismatch', "the proof's assets are not the root file's");
  if (proof.path.length !== root.height)
    fail('height-mismatch', `the proof has ${proof.path.length} levels, the root ${root.height}`);
  if (proof.position >= 2 ** root.height && root.height < 53)
    fail('position-out-of-range', 'the leaf position is outside the tree');
  const scales = root.assets.map((a) => a.scale);
  const balances = proof.balances.map((b, i) => {
    const u = units(b, scales[i] as number, `balances[${i}]`);
    if (u < 0n || u > MAX_BALANCE) fail('balance-out-of-range', `balance ${i} is outside [0, 2^64)`, { asset: i });
    return u;
  });
  const userHash = hash(userHashMessage(hexToBytes(proof.salt), proof.userId));
  const leaf = hash(leafMessage(proof.roundId, userHash, balances));
  if (bytesToHex(leaf) !== proof.leaf)
    fail('leaf-hash-mismatch', "the user's balances, id and salt do not give the leaf");
  let node: NodeView = { hash: leaf, sums: balances };
  let index = proof.position;
  for (const [level, step] of proof.path.entries()) {
    const siblingSums = step.sibling.sums.map((s, i) => {
      const u = units(s, scales[i] as number, `path[${level}].sibling.sums[${i}]`);
      if (u < 0n || u > MAX_SUM)
        fail('sibling-sum-over-bound', `a sibling sum at level ${level} is outside [0, 2^96)`, { level });
      return u;
    });
    const sibling: NodeView = { hash: hexToBytes(step.sibling.hash), sums: siblingSums };
    const [left, right] = index % 2 === 0 ? [node, sibling] : [sibling, node];
    const sums = node.sums.map((s, i) => s + (siblingSums[i] as bigint));
    if (sums.some((s) => s > MAX_SUM)) fail('sum-over-bound', `a sum at level ${level + 1} reaches 2^96`, { level });
    const parent = hash(nodeMessage(level + 1, left, right));
    if (bytesToHex(parent) !== step.parent)
      fail('node-hash-mismatch', `the node at level ${level + 1} does not hash to the proof's`, { level: level + 1 });
    node = { hash: parent, sums };
    index = Math.floor(index / 2);
  }
  if (bytesToHex(node.hash) !== root.rootHash) fail('root-hash-mismatch', 'the path does not end at the signed root');
  for (const [i, total] of root.totals.entries()) {
    if (units(total, scales[i] as number, `totals[${i}]`) !== node.sums[i])
      fail('root-sum-mismatch', `the path's ${root.assets[i]?.symbol} sum is not the signed total`, { asset: i });
  }
  if (node.hash.length !== HASH_BYTES) fail('malformed', 'a hash is not 32 bytes');
  return {
    roundId: root.roundId,
    userId: proof.userId,
    balances: root.assets.map((a, i) => ({ symbol: a.symbol, balance: proof.balances[i] as string })),
    rootHash: root.rootHash,
    signer,
  };
}
