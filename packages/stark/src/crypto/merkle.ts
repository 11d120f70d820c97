/**
 * SHA-256 Merkle commitments to the rows of a matrix (trace LDE, composition chunks, FRI layers)
 * and batch openings of many rows at once.
 *
 * - leaf i = SHA-256(0x00 ‖ salt_i ‖ row_i as little-endian u32 words), node = SHA-256(0x01 ‖ l ‖ r):
 *   the prefixes keep a leaf from ever being read as a node (second-preimage by reinterpretation).
 * - Salts (16 random bytes per leaf, opened together with the row) make the commitment hiding:
 *   the root and the opened paths say nothing about rows that are not opened — one of the four
 *   changes that make the STARK zero-knowledge (Haböck and Al Kindi, ePrint 2024/1037). A
 *   commitment made with `saltBytes = 0` is binding but not hiding.
 * - A batch opening for sorted distinct leaf indices carries only the sibling digests that the
 *   verifier cannot compute from the opened leaves themselves, level by level, lowest index first.
 *
 * SHA-256 is @noble/hashes's, the same code in Node and in the browser, so prover and verifier
 * cannot disagree on a hash.
 */
import { equalBytes } from '@custos/core';
import { sha256 } from '@noble/hashes/sha2.js';

export const DIGEST_BYTES = 32;
export const SALT_BYTES = 16;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** Little-endian bytes of a row of u32 words (base-field elements, or packed extension ones). */
export function rowBytes(row: Uint32Array): Uint8Array {
  const out = new Uint8Array(row.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < row.length; i++) view.setUint32(4 * i, row[i] as number, true);
  return out;
}

/** A SHA-256 implementation: @noble/hashes's by default; the prover passes Node's native one. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

export function hashLeaf(row: Uint32Array, salt: Uint8Array, hash: Sha256 = sha256): Uint8Array {
  const data = new Uint8Array(1 + salt.length + row.length * 4);
  data[0] = LEAF_PREFIX;
  data.set(salt, 1);
  const view = new DataView(data.buffer);
  const base = 1 + salt.length;
  for (let i = 0; i < row.length; i++) view.setUint32(base + 4 * i, row[i] as number, true);
  return hash(data);
}

export function hashNode(left: Uint8Array, right: Uint8Array, hash: Sha256 = sha256): Uint8Array {
  const data = new Uint8Array(1 + 2 * DIGEST_BYTES);
  data[0] = NODE_PREFIX;
  data.set(left, 1);
  data.set(right, 1 + DIGEST_BYTES);
  return hash(data);
}

/** Rows of a matrix as a flat Uint32Array, row-major, `width` words per row. */
export interface RowMatrix {
  readonly width: number;
  readonly values: Uint32Array;
}

export function rowOf(matrix: RowMatrix, i: number): Uint32Array {
  return matrix.values.subarray(i * matrix.width, (i + 1) * matrix.width);
}

export class MerkleTree {
  /** levels[0] = leaf digests, levels[depth] = [root]; each level a flat Uint8Array of digests. */
  readonly #levels: Uint8Array[];
  readonly #salts: Uint8Array;
  readonly saltBytes: number;
  readonly leafCount: number;
  readonly matrix: RowMatrix;

  /**
   * Commits to every row of `matrix` (its row count must be a power of two). `random` fills the
   * salts; pass `saltBytes = 0` for a commitment that need not hide.
   */
  constructor(matrix: RowMatrix, saltBytes: number, random: (bytes: Uint8Array) => void, hash: Sha256 = sha256) {
    const rows = matrix.values.length / matrix.width;
    if (!Number.isInteger(rows) || rows < 1 || (rows & (rows - 1)) !== 0) {
      throw new RangeError(`a Merkle tree needs a power-of-two number of rows, got ${rows}`);
    }
    this.matrix = matrix;
    this.leafCount = rows;
    this.saltBytes = saltBytes;
    this.#salts = new Uint8Array(rows * saltBytes);
    if (saltBytes > 0) random(this.#salts);
    // One scratch buffer per kind of input, rewritten for each hash: no allocation per leaf.
    const width = matrix.width;
    const leafData = new Uint8Array(1 + saltBytes + 4 * width);
    const leafView = new DataView(leafData.buffer);
    leafData[0] = LEAF_PREFIX;
    const leaves = new Uint8Array(rows * DIGEST_BYTES);
    const values = matrix.values;
    for (let i = 0; i < rows; i++) {
      if (saltBytes > 0) leafData.set(this.#salts.subarray(i * saltBytes, (i + 1) * saltBytes), 1);
      const base = 1 + saltBytes;
      for (let c = 0; c < width; c++) leafView.setUint32(base + 4 * c, values[i * width + c] as number, true);
      leaves.set(hash(leafData), i * DIGEST_BYTES);
    }
    this.#levels = [leaves];
    const nodeData = new Uint8Array(1 + 2 * DIGEST_BYTES);
    nodeData[0] = NODE_PREFIX;
    let level = leaves;
    while (level.length > DIGEST_BYTES) {
      const n = level.length / DIGEST_BYTES / 2;
      const next = new Uint8Array(n * DIGEST_BYTES);
      for (let i = 0; i < n; i++) {
        nodeData.set(level.subarray(2 * i * DIGEST_BYTES, (2 * i + 2) * DIGEST_BYTES), 1);
        next.set(hash(nodeData), i * DIGEST_BYTES);
      }
      this.#levels.push(next);
      level = next;
    }
  }

  get root(): Uint8Array {
    return (this.#levels[this.#levels.length - 1] as Uint8Array).slice();
  }

  get depth(): number {
    return this.#levels.length - 1;
  }

  salt(i: number): Uint8Array {
    return this.#salts.subarray(i * this.saltBytes, (i + 1) * this.saltBytes);
  }

  /** Opens the rows at `indices` (any order, repeats allowed): rows, salts and one batch path. */
  open(indices: readonly number[]): MerkleOpening {
    const sorted = [...new Set(indices)].sort((a, b) => a - b);
    for (const i of sorted) {
      if (!Number.isInteger(i) || i < 0 || i >= this.leafCount) throw new RangeError(`no leaf ${i}`);
    }
    const rows = sorted.map((i) => rowOf(this.matrix, i).slice());
    const salts = sorted.map((i) => this.salt(i).slice());
    const siblings: Uint8Array[] = [];
    let known = sorted;
    for (let d = 0; d < this.depth; d++) {
      const level = this.#levels[d] as Uint8Array;
      const next: number[] = [];
      for (let k = 0; k < known.length; k++) {
        const i = known[k] as number;
        const sibling = i ^ 1;
        if (known[k + 1] === sibling) {
          k++;
        } else {
          siblings.push(level.slice(sibling * DIGEST_BYTES, (sibling + 1) * DIGEST_BYTES));
        }
        next.push(i >> 1);
      }
      known = next;
    }
    return { indices: sorted, rows, salts, siblings };
  }
}

export interface MerkleOpening {
  /** Sorted, distinct. */
  readonly indices: readonly number[];
  readonly rows: readonly Uint32Array[];
  readonly salts: readonly Uint8Array[];
  /** The digests the verifier cannot compute, level by level, lowest index first. */
  readonly siblings: readonly Uint8Array[];
}

/** Why a batch opening does not verify. */
export type MerkleFailure = 'indices' | 'shape' | 'siblings' | 'root';

/**
 * Recomputes the root from an opening; returns null when it matches `root`, else what is wrong.
 * `width` is the expected row width and `depth` the tree's depth (log2 of its leaf count).
 */
export function verifyOpening(
  root: Uint8Array,
  depth: number,
  width: number,
  saltBytes: number,
  opening: MerkleOpening,
): MerkleFailure | null {
  const { indices, rows, salts, siblings } = opening;
  if (indices.length === 0 || rows.length !== indices.length || salts.length !== indices.length) return 'shape';
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    if (!Number.isInteger(i) || i < 0 || i >= 2 ** depth) return 'indices';
    if (k > 0 && i <= (indices[k - 1] as number)) return 'indices';
    if ((rows[k] as Uint32Array).length !== width || (salts[k] as Uint8Array).length !== saltBytes) return 'shape';
  }
  let known = indices.map((i, k) => ({ i, digest: hashLeaf(rows[k] as Uint32Array, salts[k] as Uint8Array) }));
  let s = 0;
  for (let d = 0; d < depth; d++) {
    const next: { i: number; digest: Uint8Array }[] = [];
    for (let k = 0; k < known.length; k++) {
      const { i, digest } = known[k] as { i: number; digest: Uint8Array };
      let left: Uint8Array;
      let right: Uint8Array;
      const following = known[k + 1];
      if (following !== undefined && following.i === (i ^ 1)) {
        left = digest;
        right = following.digest;
        k++;
      } else {
        const sibling = siblings[s++];
        if (sibling === undefined || sibling.length !== DIGEST_BYTES) return 'siblings';
        if ((i & 1) === 0) {
          left = digest;
          right = sibling;
        } else {
          left = sibling;
          right = digest;
        }
      }
      next.push({ i: i >> 1, digest: hashNode(left, right) });
    }
    known = next;
  }
  if (s !== siblings.length) return 'siblings';
  const computed = (known[0] as { digest: Uint8Array }).digest;
  return equalBytes(computed, root) ? null : 'root';
}
