/**
 * A zero-knowledge round: its published statement, the batches' public outputs, how batches are
 * tied to the round's commitment C and totals T_a, and the verifiers of all of it — a batch, the
 * aggregation, a user's inclusion proof. Verifier-safe: no node:*, so the browser page runs it.
 *
 * Aggregation: a public Merkle tree of batch outputs that anyone recomputes (rather than a trunk
 * STARK). Batch b's node is compress(root_b, H(b, first_b, users_b, capacity, s_b)), where root_b is
 * the Poseidon2 Merkle root of the batch's leaves (public: they are salted hashes) and s_b its limb
 * sums (public: the batch statement); C is the Merkle root of the nodes, padded with zero digests
 * to a power of two; T_a = Σ_b Σ_k 2^(16k)·s_(b,a,k), computed over the integers. Why it is sound:
 * each batch proof shows that the leaves in root_b are hashes of in-range balances whose limb sums
 * are s_b; the verifier recomputes root_b, every node, C and every T_a itself, so the only freedom
 * left to the prover is which leaves it proves — and a leaf left out, or shared by two users, fails
 * that user's own inclusion check, because each leaf binds its user's salted id hash.
 */
import { BaseError, Decimal } from '@custos/core';
import {
  type ProofOptions,
  poseidon2Compress,
  poseidon2Hash,
  type SecurityLevel,
  verifyBytes,
} from '@custos/stark/verifier';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { userHashMessage } from '../encoding.js';
import type { AssetSpec, RootFile } from '../root.js';
import type { InclusionProof } from '../verify.js';
import { type BatchStatement, MAX_CAPACITY, SOLVENCY_AIR, solvencyAir, statementError } from './air.js';
import {
  assetTotal,
  digestEquals,
  digestToHex,
  hexToElements,
  leafShape,
  merkleRoot,
  padToPowerOfTwo,
  rootFromPath,
  roundTag,
  userLeaf,
} from './leaf.js';

export const ZK_STATEMENT_VERSION = 'por-zk/v1';
export const ZK_PROOF_VERSION = 'por-proof/v2';

export interface ZkBatchInfo {
  index: number;
  /** The batch's first position in the round's shuffled order. */
  first: number;
  users: number;
  /** Hex digest: the Poseidon2 Merkle root of the batch's leaves. */
  root: string;
  /** Hex: the batch's limb sums s_(a,k) (4 per asset, then zero-filled slots). */
  limbSums: string;
}

/** `zk/statement.json`: what the exchange publishes for the round. */
export interface ZkStatement {
  version: typeof ZK_STATEMENT_VERSION;
  air: typeof SOLVENCY_AIR;
  roundId: string;
  assets: AssetSpec[];
  users: number;
  capacity: number;
  options: ProofOptions;
  batches: ZkBatchInfo[];
  /** Hex digest C. */
  commitment: string;
  /** T_a in units, decimal strings, in asset order. */
  totals: string[];
}

/** `zk/batches/<index>.json`: the batch's public leaves. */
export interface ZkBatchFile {
  roundId: string;
  index: number;
  /** Hex: 8 elements per slot. */
  leaves: string;
}

/**
 * A user's `por-proof/v2`: the round, user, salt, assets, balances and position as in v1, then
 * Poseidon2 hashes only — no sibling sums.
 */
export interface ZkInclusionProof
  extends Pick<InclusionProof, 'roundId' | 'userId' | 'salt' | 'assets' | 'balances' | 'position'> {
  version: typeof ZK_PROOF_VERSION;
  batch: number;
  /** The leaf's slot in its batch. */
  slot: number;
  /** Sibling digests (hex) from the leaf to the batch root. */
  leafPath: string[];
  /** Hex digest of the batch's sums (its node's right half). */
  batchSums: string;
  /** Sibling digests (hex) from the batch node to C. */
  batchPath: string[];
  commitment: string;
}

export type ZkRejectReason =
  | 'malformed'
  | 'version'
  | 'round-mismatch'
  | 'assets-mismatch'
  | 'wrong-round'
  | 'batch-layout'
  | 'batch-too-small'
  | 'batch-root'
  | 'commitment-mismatch'
  | 'totals-mismatch'
  | 'liabilities-mismatch'
  | 'security-too-low'
  | 'leaf-mismatch'
  | 'path'
  | 'position'
  | `statement:${string}`
  | `batch-proof:${string}`;

export class ZkVerifyError extends BaseError {
  readonly reason: ZkRejectReason;
  constructor(reason: ZkRejectReason, message: string, details: Record<string, string | number | boolean> = {}) {
    super('POR_PROOF_INVALID', message, { details: { reason, ...details } });
    this.reason = reason;
  }
}

function fail(reason: ZkRejectReason, message: string, details: Record<string, string | number | boolean> = {}): never {
  throw new ZkVerifyError(reason, message, details);
}

/** A batch's published files: `zk/batches/<6-digit index>.json` and `.stark`. */
export function batchFileName(index: number, ext: 'json' | 'stark'): string {
  return `${String(index).padStart(6, '0')}.${ext}`;
}

function sameAssets(a: unknown, b: readonly AssetSpec[]): boolean {
  return (
    Array.isArray(a) &&
    a.length === b.length &&
    a.every((x, i) => x !== null && typeof x === 'object' && x.symbol === b[i]?.symbol && x.scale === b[i]?.scale)
  );
}

/**
 * Ties a statement to a signed (already verified) root: the same round, the same assets at the
 * same scales, and — with `checkStatement` — C and T_a recomputed from the batches, T_a equal to
 * the root's per-asset liabilities totals (read in units at each asset's scale).
 */
export function checkStatementForRoot(statement: ZkStatement, root: RootFile): void {
  if (statement === null || typeof statement !== 'object') fail('malformed', 'the statement is not an object');
  if (statement.roundId !== root.roundId)
    fail('round-mismatch', `the statement is for round ${String(statement.roundId)}`);
  if (!sameAssets(statement.assets, root.assets)) {
    fail('assets-mismatch', "the statement's assets or scales differ from the signed root's");
  }
  let units: string[] = [];
  try {
    units = root.totals.map((t, i) => String(Decimal.parse(t, (root.assets[i] as AssetSpec).scale).units));
  } catch {
    fail('liabilities-mismatch', "the signed root's totals do not parse at their scales");
  }
  checkStatement(statement, units);
}

/** The right half of a batch's node: a hash of everything public about the batch but its leaves. */
export function batchSumsDigest(info: Omit<ZkBatchInfo, 'root'>, capacity: number, slots: number): Uint32Array {
  const sums = hexToElements(info.limbSums, slots, 'a batch limb-sum list');
  return poseidon2Hash(Uint32Array.of(info.index, info.first, info.users, capacity, ...sums));
}

export function batchNode(info: ZkBatchInfo, capacity: number, slots: number): Uint32Array {
  return poseidon2Compress(hexToElements(info.root, 8, 'a batch root'), batchSumsDigest(info, capacity, slots));
}

/** C from the batches' infos. */
export function roundCommitment(batches: readonly ZkBatchInfo[], capacity: number, slots: number): Uint32Array {
  return merkleRoot(padToPowerOfTwo(batches.map((b) => batchNode(b, capacity, slots))));
}

/** T_a (units) from the batches' limb sums. */
export function roundTotals(batches: readonly ZkBatchInfo[], assets: number, slots: number): bigint[] {
  const totals = Array.from({ length: assets }, () => 0n);
  for (const b of batches) {
    const sums = hexToElements(b.limbSums, slots, 'a batch limb-sum list');
    for (let a = 0; a < assets; a++) totals[a] = (totals[a] as bigint) + assetTotal(sums, a);
  }
  return totals;
}

/**
 * The batch sizes for `users` users at `capacity`: ⌈users / capacity⌉ batches of near-equal size
 * (they differ by at most one), so none holds fewer than half its capacity. A single batch may
 * hold fewer (its sums are the round's totals, public anyway): `roundCapacity` shrinks the
 * capacity of a small round to fit.
 */
export function planBatches(users: number, capacity: number): number[] {
  if (!Number.isInteger(users) || users < 1) throw new BaseError('POR_INVALID_INPUT', 'a round needs users');
  const count = Math.ceil(users / capacity);
  const base = Math.floor(users / count);
  const extra = users - base * count;
  const sizes = Array.from({ length: count }, (_, i) => base + (i < extra ? 1 : 0));
  if (count > 1 && (sizes[count - 1] as number) * 2 < capacity) {
    throw new BaseError('POR_INVALID_INPUT', 'a batch would hold fewer than half its capacity of real users', {
      details: { reason: 'batch-too-small', users, capacity },
      hints: ['Use a smaller batch capacity (a power of two) for a round this small.'],
    });
  }
  return sizes;
}

/**
 * The capacity a round is proven at: the requested one (a power of two), or for a round that fits
 * one batch the smallest power of two holding it — but never below what the AIR needs (its trace
 * must cover the 256-entry byte table).
 */
export function roundCapacity(users: number, assets: number, requested: number): number {
  if (
    !Number.isInteger(requested) ||
    requested < 1 ||
    (requested & (requested - 1)) !== 0 ||
    requested > MAX_CAPACITY
  ) {
    throw new BaseError('POR_INVALID_INPUT', `the batch capacity must be a power of two up to ${MAX_CAPACITY}`, {
      details: { reason: 'capacity', capacity: requested },
    });
  }
  const shape = leafShape(assets);
  const least = Math.max(1, 256 / shape.rowsPerUser);
  let fit = least;
  while (fit < users && fit < requested) fit *= 2;
  return Math.max(least, Math.min(requested, fit));
}

/** The batch statement of one batch, as the verifier rebuilds it from the published files. */
export function batchStatementOf(statement: ZkStatement, info: ZkBatchInfo, file: ZkBatchFile): BatchStatement {
  const shape = leafShape(statement.assets.length);
  if (file.roundId !== statement.roundId)
    fail('wrong-round', 'the batch file belongs to another round', { batch: info.index });
  if (file.index !== info.index) fail('batch-layout', 'the batch file is for another batch', { batch: info.index });
  let leaves: Uint32Array;
  let limbSums: Uint32Array;
  try {
    leaves = hexToElements(file.leaves, 8 * statement.capacity, 'the batch leaves');
    limbSums = hexToElements(info.limbSums, shape.slots, 'the batch limb sums');
  } catch {
    return fail('malformed', 'the batch leaves or sums do not parse', { batch: info.index });
  }
  return {
    assets: statement.assets.length,
    capacity: statement.capacity,
    users: info.users,
    batch: info.index,
    roundTag: roundTag(statement.roundId),
    limbSums,
    leaves,
  };
}

/** Structural checks of a statement: batches contiguous, sizes legal, C and T_a recomputed. */
export function checkStatement(statement: ZkStatement, liabilitiesTotals?: readonly string[]): void {
  if (statement === null || typeof statement !== 'object') fail('malformed', 'the statement is not an object');
  if (statement.version !== ZK_STATEMENT_VERSION || statement.air !== SOLVENCY_AIR) {
    fail('version', `the statement is not ${ZK_STATEMENT_VERSION}`);
  }
  if (!Array.isArray(statement.assets) || !Array.isArray(statement.batches) || statement.batches.length === 0) {
    fail('malformed', 'the statement lacks assets or batches');
  }
  const shape = leafShape(statement.assets.length);
  const c = statement.capacity;
  if (!Number.isInteger(c) || c < 1 || (c & (c - 1)) !== 0) fail('batch-layout', 'the capacity is not a power of two');
  if (c > MAX_CAPACITY) fail('statement:sum-may-wrap', 'the capacity lets a limb sum wrap the field', { capacity: c });
  let position = 0;
  for (const [i, b] of statement.batches.entries()) {
    if (b.index !== i || b.first !== position) fail('batch-layout', 'batches are not contiguous', { batch: i });
    if (!Number.isInteger(b.users) || b.users < 1 || b.users > c)
      fail('batch-layout', 'a batch size is out of range', { batch: i });
    if (statement.batches.length > 1 && b.users * 2 < c) {
      fail('batch-too-small', 'a batch holds fewer than half its capacity', { batch: i });
    }
    position += b.users;
  }
  if (position !== statement.users) fail('batch-layout', 'the batches do not add up to the users');
  let commitment: Uint32Array;
  let totals: bigint[];
  try {
    commitment = roundCommitment(statement.batches, c, shape.slots);
    totals = roundTotals(statement.batches, statement.assets.length, shape.slots);
  } catch {
    fail('malformed', 'a batch root or sum list does not parse');
  }
  if (digestToHex(commitment) !== statement.commitment) fail('commitment-mismatch', 'C is not the tree of the batches');
  if (totals.some((t, a) => t.toString() !== statement.totals[a]) || statement.totals.length !== totals.length) {
    fail('totals-mismatch', 'the totals are not the sums of the batches');
  }
  if (liabilitiesTotals !== undefined && totals.some((t, a) => t.toString() !== liabilitiesTotals[a])) {
    fail('liabilities-mismatch', "the zero-knowledge totals differ from the signed root's liabilities");
  }
}

export interface BatchVerification {
  index: number;
  securityBits: SecurityLevel | null;
}

/** One batch: its leaves' root, its statement and its STARK proof. */
export function verifyBatch(
  statement: ZkStatement,
  info: ZkBatchInfo,
  file: ZkBatchFile,
  proof: Uint8Array,
  minSecurityBits = 100,
): BatchVerification {
  const batch = batchStatementOf(statement, info, file);
  const error = statementError(batch);
  if (error !== null) fail(`statement:${error}`, `batch ${info.index}: ${error}`, { batch: info.index });
  const leaves = Array.from({ length: statement.capacity }, (_, u) => batch.leaves.subarray(8 * u, 8 * u + 8));
  if (digestToHex(merkleRoot(leaves)) !== info.root)
    fail('batch-root', 'the leaves do not make the batch root', { batch: info.index });
  const result = verifyBytes({ air: solvencyAir(batch), bytes: proof, minSecurityBits });
  if (!result.valid) {
    if (result.reason === 'security-too-low')
      fail('security-too-low', 'the batch proof is below the required security');
    fail(`batch-proof:${result.reason}`, `batch ${info.index}: the proof is rejected (${result.reason})`, {
      batch: info.index,
    });
  }
  return { index: info.index, securityBits: result.securityBits };
}

/** The user's side: recompute the leaf from id, salt and balances, walk both paths to C. */
export function verifyZkInclusion(
  proof: ZkInclusionProof,
  statement?: ZkStatement,
): { roundId: string; userId: string; balances: { symbol: string; balance: string }[]; commitment: string } {
  if (proof === null || typeof proof !== 'object') fail('malformed', 'the proof is not an object');
  if (proof.version !== ZK_PROOF_VERSION) fail('version', `the proof is not ${ZK_PROOF_VERSION}`);
  // A string or fractional index would walk the same path bits: only whole numbers are positions.
  for (const field of ['batch', 'slot', 'position'] as const) {
    const value = proof[field];
    if (!Number.isSafeInteger(value) || value < 0) fail('malformed', `the proof's ${field} is not a whole number`);
  }
  if (statement !== undefined) {
    if (statement.roundId !== proof.roundId) fail('round-mismatch', 'the proof is for another round');
    // Another scale would show the user a balance other than the committed units.
    if (!sameAssets(proof.assets, statement.assets))
      fail('assets-mismatch', "the proof's assets differ from the round's");
    if (statement.commitment !== proof.commitment) fail('round-mismatch', 'the proof names another commitment');
    const info = statement.batches[proof.batch];
    if (info === undefined || info.first + proof.slot !== proof.position || proof.slot >= info.users) {
      fail('position', 'the position does not match the batch layout');
    }
  }
  let leaf: Uint32Array;
  try {
    const shape = leafShape(proof.assets.length);
    const salt = hexToBytes(proof.salt);
    if (salt.length !== 32) throw new Error('salt');
    const userHash = sha256(userHashMessage(salt, proof.userId));
    if (!Array.isArray(proof.balances) || proof.balances.length !== proof.assets.length) throw new Error('balances');
    const balances = proof.balances.map((b, i) => Decimal.parse(b, (proof.assets[i] as AssetSpec).scale).units);
    leaf = userLeaf(userHash, balances, shape);
  } catch {
    return fail('malformed', 'the proof has a malformed salt, asset list or balance');
  }
  let node: Uint32Array;
  try {
    const leafPath = proof.leafPath.map((h) => hexToElements(h, 8, 'a path digest'));
    const batchPath = proof.batchPath.map((h) => hexToElements(h, 8, 'a path digest'));
    const root = rootFromPath(leaf, proof.slot, leafPath);
    const batchRootNode = poseidon2Compress(root, hexToElements(proof.batchSums, 8, 'the batch sums digest'));
    node = rootFromPath(batchRootNode, proof.batch, batchPath);
  } catch {
    return fail('malformed', 'a path digest does not parse');
  }
  if (!digestEquals(node, hexToElements(proof.commitment, 8, 'the commitment'))) {
    fail('path', "the user's leaf and path do not lead to the commitment");
  }
  return {
    roundId: proof.roundId,
    userId: proof.userId,
    balances: proof.assets.map((a, i) => ({ symbol: a.symbol, balance: proof.balances[i] as string })),
    commitment: proof.commitment,
  };
}

/** A compact hex fingerprint of a statement (for logs and progress lines). */
export function statementFingerprint(statement: ZkStatement): string {
  return bytesToHex(sha256(new TextEncoder().encode(JSON.stringify(statement)))).slice(0, 16);
}
