/**
 * The solvency AIR: one batch of a round's users, proven with zero knowledge.
 *
 * Statement (public inputs): the round's tag, the batch index, the asset count, the batch capacity
 * B (a power of two) and its real users, every slot's leaf digest (the real users' in the round's
 * shuffled order, then padding leaves) and, for every asset a and limb position k, the limb sum
 * s_(a,k) = Σ_users limb_k(balance_a). The witness: each user's id elements and balances.
 *
 * What the constraints enforce, for every slot u (rows u·R … u·R + R − 1, R = rows per user):
 * - row phase 0 is one Poseidon2 permutation (the one-row gadget) of (id ‖ LEAF_IV); phases 1 …
 *   limbRows permute (limbs of that block ‖ the previous row's capacity): the leaf sponge of
 *   `leaf.ts`, row by row; the rate output of the last block equals the slot's public leaf;
 * - every limb is a 16-bit value: on limb rows each rate element equals lo + 256·hi with lo and hi
 *   looked up in the byte table {0 … 255} by a LogUp argument (Haböck, ePrint 2022/1530) — so each
 *   balance is in [0, 2^64);
 * - the limb sums, with a second challenge β drawn after the main trace is committed: an aux
 *   running sum T adds Σ_c β^(8(r−1)+c)·rate_c on every limb row (phase r), the weight β^(8(r−1))
 *   kept in an aux column W (1 on a user's first limb row, times β^8 on each next one); on the last
 *   row T = Σ_j β^j·s_j. Both sides are polynomials in β of degree < slots, so a wrong s_j passes
 *   with probability ≤ slots/|F_p^4| (Schwartz–Zippel) — one extension column instead of a
 *   running sum per limb slot. Since every limb is below 2^16 and B·(2^16 − 1) < p (checked),
 *   each slot's sum over the batch is below p: the identity mod p is the integer identity, so
 *   s_(a,k) is the exact sum and the asset's batch total Σ_k 2^(16k)·s_(a,k) is exact.
 *
 * Rows of phases after the leaf (when the permutation count is not a power of two) permute
 * anything; they are tied to nothing.
 *
 * Columns. Main: the gadget's 298 (input 0…15, output at POSEIDON2_ROW.output), lo/hi bytes of the
 * 8 rate elements (16) and the table multiplicity m. Aux (extension): h_c = 1/(α − lo_c) +
 * 1/(α − hi_c) for c = 0…7, h_t = 1/(α − t), the LogUp sum S, the weight W and the limb sum T.
 */
import { BaseError } from '@custos/core';
import {
  type Air,
  type Algebra,
  type AuxBuilder,
  ext as E,
  type Ext,
  evaluatePoseidon2Row,
  field as F,
  type Frame,
  POSEIDON2_RATE,
  POSEIDON2_ROW,
} from '@custos/stark/verifier';
import { type LeafShape, leafIv, leafShape, paddingLeaf } from './leaf.js';

export const SOLVENCY_AIR = 'custos/por-solvency/v1';
export const STATEMENT_VERSION = 1;
const HEADER = 5 + 8; // version, assets, capacity, users, batch, round tag (8)
const TABLE = 256;
/** Lookups per row: a lo and a hi byte per rate element. */
const BYTES = 2 * POSEIDON2_RATE;

export interface BatchStatement {
  readonly assets: number;
  /** Slots in the batch: a power of two. */
  readonly capacity: number;
  /** Real users (the first `users` slots); the rest are padding leaves. */
  readonly users: number;
  readonly batch: number;
  readonly roundTag: Uint32Array;
  /** s_(a,k) at slot 4a + k (shape.slots of them; the unused last ones are 0). */
  readonly limbSums: Uint32Array;
  /** 8 elements per slot. */
  readonly leaves: Uint32Array;
}

export type StatementError =
  | 'statement-shape'
  | 'capacity'
  | 'sum-may-wrap'
  | 'users'
  | 'padding-leaf'
  | 'unused-slot-sum';

/** The largest batch capacity whose limb sums cannot wrap: B·(2^16 − 1) < p. */
export const MAX_CAPACITY = 2 ** 14;

export function traceRows(shape: LeafShape, capacity: number): number {
  return shape.rowsPerUser * capacity;
}

/**
 * Checks a statement before any proving or verifying: its reason, or null. The sum bound is the
 * one that makes a wrap impossible: capacity·(2^16 − 1) < p (capacity ≤ 2^14 here).
 */
export function statementError(s: BatchStatement): StatementError | null {
  let shape: LeafShape;
  try {
    shape = leafShape(s.assets);
  } catch {
    return 'statement-shape';
  }
  const c = s.capacity;
  if (!Number.isInteger(c) || c < 1 || (c & (c - 1)) !== 0) return 'capacity';
  if (c * 0xffff >= F.P || c > MAX_CAPACITY) return 'sum-may-wrap';
  const rows = traceRows(shape, c);
  if (rows < TABLE || rows > 2 ** 22) return 'capacity';
  if (!Number.isInteger(s.users) || s.users < 1 || s.users > c) return 'users';
  if (!Number.isInteger(s.batch) || s.batch < 0 || s.batch >= 2 ** 30) return 'statement-shape';
  if (s.roundTag.length !== 8 || s.limbSums.length !== shape.slots || s.leaves.length !== 8 * c)
    return 'statement-shape';
  for (const v of [...s.roundTag, ...s.limbSums]) if (!F.isCanonical(v)) return 'statement-shape';
  for (const v of s.leaves) if (!F.isCanonical(v)) return 'statement-shape';
  for (let j = 4 * s.assets; j < shape.slots; j++) if (s.limbSums[j] !== 0) return 'unused-slot-sum';
  const pad = paddingLeaf(shape);
  for (let u = s.users; u < c; u++) {
    for (let i = 0; i < 8; i++) if (s.leaves[8 * u + i] !== pad[i]) return 'padding-leaf';
  }
  return null;
}

export function statementPublicInputs(s: BatchStatement): Uint32Array {
  const out = new Uint32Array(HEADER + s.limbSums.length + s.leaves.length);
  out.set([STATEMENT_VERSION, s.assets, s.capacity, s.users, s.batch], 0);
  out.set(s.roundTag, 5);
  out.set(s.limbSums, HEADER);
  out.set(s.leaves, HEADER + s.limbSums.length);
  return out;
}

export function parseStatement(publicInputs: ArrayLike<number>): BatchStatement {
  const bad = (message: string) =>
    new BaseError('POR_INVALID_INPUT', `solvency statement: ${message}`, { details: { reason: 'statement-shape' } });
  if (publicInputs.length < HEADER) throw bad('too short');
  const words = Uint32Array.from(publicInputs as ArrayLike<number>);
  if (words[0] !== STATEMENT_VERSION) throw bad(`version ${words[0]} is not ${STATEMENT_VERSION}`);
  const assets = words[1] as number;
  const capacity = words[2] as number;
  let shape: LeafShape;
  try {
    shape = leafShape(assets);
  } catch {
    throw bad('asset count out of range');
  }
  if (words.length !== HEADER + shape.slots + 8 * capacity) throw bad('length does not match assets and capacity');
  return {
    assets,
    capacity,
    users: words[3] as number,
    batch: words[4] as number,
    roundTag: words.slice(5, HEADER),
    limbSums: words.slice(HEADER, HEADER + shape.slots),
    leaves: words.slice(HEADER + shape.slots),
  };
}

interface Columns {
  readonly shape: LeafShape;
  readonly rows: number;
  readonly lo: (c: number) => number;
  readonly hi: (c: number) => number;
  readonly m: number;
  readonly width: number;
}

export function columnsOf(shape: LeafShape, capacity: number): Columns {
  const g = POSEIDON2_ROW.columns;
  return {
    shape,
    rows: traceRows(shape, capacity),
    lo: (c) => g + 2 * c,
    hi: (c) => g + 2 * c + 1,
    m: g + BYTES,
    width: g + BYTES + 1,
  };
}

const OUT = POSEIDON2_ROW.output;
// Periodic column indices.
const P_TABLE = 0;
const P_LIMB = 1; // this row holds limbs
const P_START_NEXT = 2; // the next row starts a user
const P_CONT_NEXT = 3; // the next row continues this user's sponge
const P_LEAF = 4; // this row's output is the leaf
const P_NEXT_FIRST_LIMB = 5; // the next row is a user's first limb row
const P_LEAF_VALUES = 6; // + i: the slots' leaf digests, element i, on their leaf rows
// Aux columns.
const A_HT = POSEIDON2_RATE;
const A_S = POSEIDON2_RATE + 1;
const A_W = POSEIDON2_RATE + 2;
const A_T = POSEIDON2_RATE + 3;

/** The periodic columns: selectors by phase, the byte table, and the 8 leaf columns. */
function periodicColumns(s: BatchStatement, shape: LeafShape, rows: number): Uint32Array[] {
  const r = shape.rowsPerUser;
  const selector = (f: (phase: number) => boolean) => Uint32Array.from({ length: r }, (_, phase) => (f(phase) ? 1 : 0));
  const out: Uint32Array[] = [
    Uint32Array.from({ length: TABLE }, (_, i) => i),
    selector((p) => p >= 1 && p <= shape.limbRows),
    selector((p) => p === r - 1),
    selector((p) => p <= shape.limbRows - 1),
    selector((p) => p === shape.limbRows),
  ];
  out.push(selector((p) => p === 0));
  for (let i = 0; i < 8; i++) {
    const column = new Uint32Array(rows);
    for (let u = 0; u < s.capacity; u++) column[u * r + shape.limbRows] = s.leaves[8 * u + i] as number;
    out.push(column);
  }
  return out;
}

/**
 * The AIR of a batch statement. Throws POR_INVALID_INPUT (details.reason: a StatementError) for a
 * statement that fails `statementError`.
 */
export function solvencyAir(s: BatchStatement): Air & AuxBuilder {
  const error = statementError(s);
  if (error !== null) {
    throw new BaseError('POR_INVALID_INPUT', `solvency statement refused: ${error}`, { details: { reason: error } });
  }
  const shape = leafShape(s.assets);
  const cols = columnsOf(shape, s.capacity);
  const { rows } = cols;
  const iv = leafIv(shape);
  const limbSums = s.limbSums;
  const slots = shape.slots;
  const periodic = periodicColumns(s, shape, rows);
  // β, β^2 … β^8 for the limb-sum constraints: computed once per challenge value (the prover
  // evaluates the constraints at every domain point with the same challenges).
  let betaOf: unknown;
  let betaPowers: unknown[] = [];
  function powersOf<T>(alg: Algebra<T>, beta: T): T[] {
    if (beta !== betaOf) {
      const out: T[] = [alg.one];
      for (let c = 1; c <= POSEIDON2_RATE; c++) out.push(alg.mul(out[c - 1] as T, beta));
      betaOf = beta;
      betaPowers = out;
    }
    return betaPowers as T[];
  }
  /** Σ_j β^j·s_j (Horner from the highest slot), once per challenge value. */
  let claimedFor: unknown;
  let claimedValue: unknown;
  function claimedOf<T>(alg: Algebra<T>, beta: T): T {
    if (beta !== claimedFor) {
      let claimed = alg.zero;
      for (let j = slots - 1; j >= 0; j--)
        claimed = alg.add(alg.mul(claimed, beta), alg.constant(limbSums[j] as number));
      claimedFor = beta;
      claimedValue = claimed;
    }
    return claimedValue as T;
  }
  /** Σ_c β^c·rate_c on one row. */
  function weighted<T>(alg: Algebra<T>, main: readonly T[], powers: readonly T[]): T {
    let t = alg.zero;
    for (let c = 0; c < POSEIDON2_RATE; c++) t = alg.add(t, alg.mul(powers[c] as T, main[c] as T));
    return t;
  }

  /** Σ_c h_c − m·h_t on one row. */
  function term<T>(alg: Algebra<T>, main: readonly T[], aux: readonly T[]): T {
    let t = alg.zero;
    for (let c = 0; c < POSEIDON2_RATE; c++) t = alg.add(t, aux[c] as T);
    return alg.sub(t, alg.mul(main[cols.m] as T, aux[A_HT] as T));
  }

  const numEveryRow = POSEIDON2_ROW.constraints + 2 * POSEIDON2_RATE + POSEIDON2_RATE + 1;
  return {
    name: SOLVENCY_AIR,
    traceLength: rows,
    mainWidth: cols.width,
    auxWidth: POSEIDON2_RATE + 4,
    auxChallenges: 2,
    publicInputs: statementPublicInputs(s),
    transitionDegree: 3,
    numTransitions: 12,
    numEveryRow,
    numFirstRow: 10,
    numLastRow: 2,
    periodicColumns: periodic,
    evaluateTransitions<T>(
      alg: Algebra<T>,
      main: Frame<T>,
      aux: Frame<T>,
      per: readonly T[],
      challenges: readonly T[],
      out: T[],
    ) {
      const cur = main.current;
      const next = main.next;
      let k = 0;
      // The capacity: carried within a user, the IV at a user's first row.
      for (let i = 0; i < 8; i++) {
        const input = next[POSEIDON2_RATE + i] as T;
        const carried = alg.mul(per[P_CONT_NEXT] as T, alg.sub(input, cur[OUT + POSEIDON2_RATE + i] as T));
        const fresh = alg.mul(per[P_START_NEXT] as T, alg.sub(input, alg.constant(iv[i] as number)));
        out[k++] = alg.add(carried, fresh);
      }
      if (aux.current.length === 0) {
        for (; k < 12; k++) out[k] = alg.zero;
        return;
      }
      // LogUp: S' = S + term(next row).
      out[k++] = alg.sub(alg.sub(aux.next[A_S] as T, aux.current[A_S] as T), term(alg, next, aux.next));
      // The weight: 1 on a user's first limb row, β^8 times the last one on each next limb row.
      const powers = powersOf(alg, challenges[1] as T);
      const wNext = aux.next[A_W] as T;
      const firstLimb = per[P_NEXT_FIRST_LIMB] as T;
      out[k++] = alg.mul(firstLimb, alg.sub(wNext, alg.one));
      const laterLimb = alg.sub(per[P_CONT_NEXT] as T, firstLimb);
      out[k++] = alg.mul(laterLimb, alg.sub(wNext, alg.mul(aux.current[A_W] as T, powers[POSEIDON2_RATE] as T)));
      // The limb sum: T' = T + [next row holds limbs]·W'·Σ_c β^c·rate_c'.
      const step = alg.mul(per[P_CONT_NEXT] as T, alg.mul(wNext, weighted(alg, next, powers)));
      out[k++] = alg.sub(alg.sub(aux.next[A_T] as T, aux.current[A_T] as T), step);
    },
    evaluateEveryRow<T>(
      alg: Algebra<T>,
      main: readonly T[],
      aux: readonly T[],
      per: readonly T[],
      challenges: readonly T[],
      out: T[],
    ) {
      evaluatePoseidon2Row(alg, main, 0, out, 0);
      let k = POSEIDON2_ROW.constraints;
      const k256 = alg.constant(256);
      for (let c = 0; c < POSEIDON2_RATE; c++) {
        const recomposed = alg.add(main[cols.lo(c)] as T, alg.mul(k256, main[cols.hi(c)] as T));
        out[k++] = alg.mul(per[P_LIMB] as T, alg.sub(main[c] as T, recomposed));
      }
      for (let i = 0; i < 8; i++)
        out[k++] = alg.sub(alg.mul(per[P_LEAF] as T, main[OUT + i] as T), per[P_LEAF_VALUES + i] as T);
      if (aux.length === 0) {
        for (let c = 0; c <= POSEIDON2_RATE; c++) out[k++] = alg.zero;
        return;
      }
      const alpha = challenges[0] as T;
      for (let c = 0; c < POSEIDON2_RATE; c++) {
        const a = main[cols.lo(c)] as T;
        const b = main[cols.hi(c)] as T;
        const da = alg.sub(alpha, a);
        const db = alg.sub(alpha, b);
        // h·(α − a)(α − b) = (α − a) + (α − b)
        out[k++] = alg.sub(alg.mul(aux[c] as T, alg.mul(da, db)), alg.add(da, db));
      }
      out[k++] = alg.sub(alg.mul(aux[A_HT] as T, alg.sub(alpha, per[P_TABLE] as T)), alg.one);
    },
    evaluateFirstRow<T>(
      alg: Algebra<T>,
      main: readonly T[],
      aux: readonly T[],
      _per: readonly T[],
      _challenges: readonly T[],
      out: T[],
    ) {
      let k = 0;
      for (let i = 0; i < 8; i++) out[k++] = alg.sub(main[POSEIDON2_RATE + i] as T, alg.constant(iv[i] as number));
      out[k++] = aux.length > 0 ? alg.sub(aux[A_S] as T, term(alg, main, aux)) : alg.zero;
      // Row 0 is phase 0, never a limb row: the limb sum starts at 0.
      out[k++] = aux.length > 0 ? (aux[A_T] as T) : alg.zero;
    },
    evaluateLastRow<T>(
      alg: Algebra<T>,
      _main: readonly T[],
      aux: readonly T[],
      _per: readonly T[],
      challenges: readonly T[],
      out: T[],
    ) {
      if (aux.length === 0) {
        out[0] = alg.zero;
        out[1] = alg.zero;
        return;
      }
      out[0] = aux[A_S] as T;
      out[1] = alg.sub(aux[A_T] as T, claimedOf(alg, challenges[1] as T));
    },
    assertions: () => [],
    buildAux(main: readonly Uint32Array[], challenges: readonly Ext[]): Uint32Array[] {
      return buildAuxColumns(main, challenges[0] as Ext, challenges[1] as Ext, cols);
    },
  };
}

function buildAuxColumns(main: readonly Uint32Array[], alpha: Ext, beta: Ext, cols: Columns): Uint32Array[] {
  const n = cols.rows;
  const r = cols.shape.rowsPerUser;
  const limbRows = cols.shape.limbRows;
  const out = Array.from({ length: POSEIDON2_RATE + 4 }, () => new Uint32Array(4 * n));
  const powers: Ext[] = [[1, 0, 0, 0]];
  for (let c = 1; c <= POSEIDON2_RATE; c++) powers.push(E.mul(powers[c - 1] as Ext, beta));
  // 1/(α − v) for every byte value v: the lookups only ever need these 256 inverses.
  const denominators = new Uint32Array(4 * TABLE);
  for (let v = 0; v < TABLE; v++) E.put(denominators, v, E.subBase(alpha, v));
  const inverse = E.batchInverse(denominators);
  const inv = (v: number): Ext => {
    if (v >= TABLE) {
      // Only a cheating prover's trace holds such a byte; its proof will not verify.
      return E.inv(E.subBase(alpha, v));
    }
    return E.at(inverse, v);
  };
  const m = main[cols.m] as Uint32Array;
  let s: Ext = [0, 0, 0, 0];
  let w: Ext = [0, 0, 0, 0];
  let total: Ext = [0, 0, 0, 0];
  for (let row = 0; row < n; row++) {
    let t: Ext = [0, 0, 0, 0];
    for (let c = 0; c < POSEIDON2_RATE; c++) {
      const h = E.add(
        inv((main[cols.lo(c)] as Uint32Array)[row] as number),
        inv((main[cols.hi(c)] as Uint32Array)[row] as number),
      );
      E.put(out[c] as Uint32Array, row, h);
      t = E.add(t, h);
    }
    const ht = inv(row % TABLE);
    E.put(out[A_HT] as Uint32Array, row, ht);
    t = E.sub(t, E.mulBase(ht, m[row] as number));
    s = E.add(s, t);
    E.put(out[A_S] as Uint32Array, row, s);
    // W and T: the weight of this limb row and the limb sum up to it.
    const phase = row % r;
    if (phase >= 1 && phase <= limbRows) {
      w = phase === 1 ? [1, 0, 0, 0] : E.mul(w, powers[POSEIDON2_RATE] as Ext);
      let row8: Ext = [0, 0, 0, 0];
      for (let c = 0; c < POSEIDON2_RATE; c++)
        row8 = E.add(row8, E.mulBase(powers[c] as Ext, (main[c] as Uint32Array)[row] as number));
      total = E.add(total, E.mul(w, row8));
    }
    E.put(out[A_W] as Uint32Array, row, w);
    E.put(out[A_T] as Uint32Array, row, total);
  }
  return out;
}

/** For the prover pool's workers: the AIR from its name, trace length and public inputs. */
export function buildAir(name: string, rows: number, publicInputs: readonly number[]): Air & AuxBuilder {
  if (name !== SOLVENCY_AIR) {
    throw new BaseError('POR_INVALID_INPUT', `unknown AIR ${name}`, { details: { reason: 'statement-shape' } });
  }
  const air = solvencyAir(parseStatement(publicInputs));
  if (air.traceLength !== rows) {
    throw new BaseError('POR_INVALID_INPUT', 'the trace length does not match the statement', {
      details: { reason: 'statement-shape' },
    });
  }
  return air;
}

/** How the trace builder refers to the byte table size. */
export const BYTE_TABLE = TABLE;
