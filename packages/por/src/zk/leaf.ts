/**
 * The zero-knowledge round's leaves and hashes, shared by the prover, the verifiers and the
 * browser page (nothing here touches node:*).
 *
 * A user's leaf is a Poseidon2 (BabyBear, width 16) digest of 8 field elements:
 *
 *   leaf = S(id ‖ limbs),  id = the user's salted id hash as 8 elements,
 *                          limbs = every balance as four 16-bit limbs, least significant first,
 *                                  asset after asset, zero-filled to a multiple of 8
 *
 * where S is a fixed-length sponge in overwrite mode (rate 8, capacity 8): the capacity starts as
 * LEAF_IV = [tag, input length, assets, 0, …], each 8-element block overwrites the rate, and the
 * state is permuted after each block; the digest is the rate after the last permutation. The input
 * length is fixed by the round's asset count (no padding rule needed), and the tag separates leaves
 * from every other hash. One permutation per block is exactly one row of the solvency AIR.
 *
 * The limbs are the canonical encoding of a balance in [0, 2^64): the AIR range-checks each limb
 * to 16 bits, so a leaf can only commit to in-range balances. The id is the SHA-256 user hash of
 * the round's Merkle sum tree (HMAC-salted: nobody without the user's salt can recompute it),
 * read as eight big-endian 32-bit words reduced mod p — so each leaf binds its user, and two users
 * cannot share one leaf.
 */
import { BaseError } from '@custos/core';
import {
  field as F,
  POSEIDON2_DIGEST,
  POSEIDON2_RATE,
  POSEIDON2_WIDTH,
  poseidon2Compress,
  poseidon2PermuteInPlace,
} from '@custos/stark/verifier';
import { sha256 } from '@noble/hashes/sha2.js';

export const LIMB_BITS = 16;
export const LIMBS_PER_BALANCE = 4;
export const ZK_MAX_BALANCE = (1n << 64n) - 1n;
/** "cpor" as a 32-bit word, reduced: the leaf sponge's domain tag. */
export const LEAF_TAG = 0x63706f72 % F.P;
/** The most assets a zero-knowledge round carries (the AIR's width grows with them). */
export const MAX_ZK_ASSETS = 64;

export interface LeafShape {
  readonly assets: number;
  /** Rows (permutations) holding limbs: ⌈4·assets / 8⌉. */
  readonly limbRows: number;
  /** Permutations per leaf: the id block and the limb blocks. */
  readonly perms: number;
  /** Rows a user occupies in the AIR: `perms` rounded up to a power of two. */
  readonly rowsPerUser: number;
  /** Limb slots, 8 per limb row (the last ones zero when 4·assets is not a multiple of 8). */
  readonly slots: number;
}

export function leafShape(assets: number): LeafShape {
  if (!Number.isInteger(assets) || assets < 1 || assets > MAX_ZK_ASSETS) {
    throw new BaseError('POR_INVALID_INPUT', `a zero-knowledge round carries 1 to ${MAX_ZK_ASSETS} assets`, {
      details: { assets },
    });
  }
  const limbRows = Math.ceil((LIMBS_PER_BALANCE * assets) / POSEIDON2_RATE);
  const perms = 1 + limbRows;
  let rowsPerUser = 1;
  while (rowsPerUser < perms) rowsPerUser *= 2;
  return { assets, limbRows, perms, rowsPerUser, slots: POSEIDON2_RATE * limbRows };
}

/** The capacity's initial value for a leaf of this shape. */
export function leafIv(shape: LeafShape): Uint32Array {
  const iv = new Uint32Array(POSEIDON2_WIDTH - POSEIDON2_RATE);
  iv[0] = LEAF_TAG;
  iv[1] = POSEIDON2_RATE * shape.perms;
  iv[2] = shape.assets;
  return iv;
}

/** A 32-byte hash as 8 field elements (big-endian words mod p). */
export function hashToElements(hash: Uint8Array): Uint32Array {
  if (hash.length !== 32) throw new BaseError('POR_INVALID_INPUT', 'a user hash is 32 bytes');
  const view = new DataView(hash.buffer, hash.byteOffset, 32);
  return Uint32Array.from({ length: 8 }, (_, i) => view.getUint32(4 * i) % F.P);
}

/** The round's tag inside every batch statement: SHA-256 of the round id, as 8 elements. */
export function roundTag(roundId: string): Uint32Array {
  return hashToElements(sha256(new TextEncoder().encode(`custos/por-zk/round/v1\u0000${roundId}`)));
}

export type BalanceError = 'negative-balance' | 'balance-too-large';

/**
 * Writes the limbs of `balances` into `out` (slots long, zero past 4·assets). Throws
 * POR_INVALID_INPUT (reason negative-balance / balance-too-large) for a balance outside [0, 2^64).
 */
export function writeLimbs(balances: readonly bigint[], shape: LeafShape, out: Uint32Array, at = 0): void {
  if (balances.length !== shape.assets) {
    throw new BaseError('POR_INVALID_INPUT', 'one balance per asset is required', {
      details: { expected: shape.assets, got: balances.length },
    });
  }
  out.fill(0, at, at + shape.slots);
  for (let a = 0; a < shape.assets; a++) {
    const b = balances[a] as bigint;
    if (b < 0n || b > ZK_MAX_BALANCE) {
      const reason: BalanceError = b < 0n ? 'negative-balance' : 'balance-too-large';
      throw new BaseError('POR_INVALID_INPUT', `a balance is outside [0, 2^64): ${reason}`, {
        details: { reason, asset: a },
      });
    }
    const lo = Number(b & 0xffffffffn);
    const hi = Number(b >> 32n);
    out[at + 4 * a] = lo & 0xffff;
    out[at + 4 * a + 1] = lo >>> 16;
    out[at + 4 * a + 2] = hi & 0xffff;
    out[at + 4 * a + 3] = hi >>> 16;
  }
}

/** The leaf digest of `id` (8 elements) and `limbs` (shape.slots elements). */
export function leafDigest(id: Uint32Array, limbs: Uint32Array, shape: LeafShape): Uint32Array {
  const state = new Uint32Array(POSEIDON2_WIDTH);
  state.set(id.subarray(0, POSEIDON2_RATE), 0);
  state.set(leafIv(shape), POSEIDON2_RATE);
  poseidon2PermuteInPlace(state);
  for (let r = 0; r < shape.limbRows; r++) {
    state.set(limbs.subarray(POSEIDON2_RATE * r, POSEIDON2_RATE * (r + 1)), 0);
    poseidon2PermuteInPlace(state);
  }
  return state.slice(0, POSEIDON2_DIGEST);
}

/** A user's leaf from their user hash and balances. */
export function userLeaf(userHash: Uint8Array, balances: readonly bigint[], shape: LeafShape): Uint32Array {
  const limbs = new Uint32Array(shape.slots);
  writeLimbs(balances, shape, limbs);
  return leafDigest(hashToElements(userHash), limbs, shape);
}

/** The leaf of an empty slot: a zero id and zero balances (anyone recomputes it). */
export function paddingLeaf(shape: LeafShape): Uint32Array {
  return leafDigest(new Uint32Array(8), new Uint32Array(shape.slots), shape);
}

/** Σ_k 2^(16k)·limbSum(asset, k): the asset's exact total from its four public limb sums. */
export function assetTotal(limbSums: ArrayLike<number>, asset: number): bigint {
  let total = 0n;
  for (let k = LIMBS_PER_BALANCE - 1; k >= 0; k--)
    total = (total << BigInt(LIMB_BITS)) + BigInt(limbSums[LIMBS_PER_BALANCE * asset + k] as number);
  return total;
}

// --- Poseidon2 Merkle trees (a batch's leaves; the round's batch nodes) ---------------------------

const ZERO_DIGEST = new Uint32Array(POSEIDON2_DIGEST);

/** Every level of the tree over `leaves` (a power-of-two count), leaves first, root last. */
export function merkleLevels(leaves: readonly Uint32Array[]): Uint32Array[][] {
  const n = leaves.length;
  if (n < 1 || (n & (n - 1)) !== 0) throw new BaseError('POR_INVALID_INPUT', 'a tree has a power-of-two width');
  const levels: Uint32Array[][] = [leaves.slice()];
  let level = leaves;
  while (level.length > 1) {
    const up: Uint32Array[] = [];
    for (let i = 0; i < level.length; i += 2)
      up.push(poseidon2Compress(level[i] as Uint32Array, level[i + 1] as Uint32Array));
    levels.push(up);
    level = up;
  }
  return levels;
}

/** Pads `nodes` with zero digests to the next power of two. */
export function padToPowerOfTwo(nodes: readonly Uint32Array[]): Uint32Array[] {
  let width = 1;
  while (width < nodes.length) width *= 2;
  return [...nodes, ...Array.from({ length: width - nodes.length }, () => ZERO_DIGEST)];
}

export function merkleRoot(leaves: readonly Uint32Array[]): Uint32Array {
  const levels = merkleLevels(leaves);
  return (levels[levels.length - 1] as Uint32Array[])[0] as Uint32Array;
}

/** The sibling digests from leaf `index` up to (not including) the root. */
export function merklePath(levels: readonly Uint32Array[][], index: number): Uint32Array[] {
  const path: Uint32Array[] = [];
  let i = index;
  for (let h = 0; h < levels.length - 1; h++) {
    path.push((levels[h] as Uint32Array[])[i ^ 1] as Uint32Array);
    i >>>= 1;
  }
  return path;
}

/** The root a path leads to from `leaf` at `index`. */
export function rootFromPath(leaf: Uint32Array, index: number, path: readonly Uint32Array[]): Uint32Array {
  let node = leaf;
  let i = index;
  for (const sibling of path) {
    node = (i & 1) === 0 ? poseidon2Compress(node, sibling) : poseidon2Compress(sibling, node);
    i >>>= 1;
  }
  return node;
}

export function digestEquals(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Digests as hex (8 big-endian words each), and back. */
export function digestToHex(d: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < d.length; i++) s += (d[i] as number).toString(16).padStart(8, '0');
  return s;
}

export function hexToElements(hex: string, count: number, what: string): Uint32Array {
  if (typeof hex !== 'string' || hex.length !== 8 * count || !/^[0-9a-f]*$/.test(hex)) {
    throw new BaseError('POR_INVALID_INPUT', `${what} is not ${count} hex-encoded field elements`);
  }
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const v = Number.parseInt(hex.slice(8 * i, 8 * i + 8), 16);
    if (v >= F.P) throw new BaseError('POR_INVALID_INPUT', `${what} holds a value that is not a field element`);
    out[i] = v;
  }
  return out;
}
