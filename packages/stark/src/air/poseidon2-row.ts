/**
 * One whole Poseidon2 permutation (BabyBear, width 16) per trace row: a gadget other AIRs embed
 * (a leaf hash, a Merkle compression) with every-row constraints of degree 3.
 *
 * Columns, from a gadget's first column:
 *
 *   input[16]
 *   4 initial full rounds × (cube[16], state[16])     the state after the round's external layer
 *   13 partial rounds × (cube, sbox)                   element 0 only
 *   4 final full rounds × (cube[16], state[16])        the last state is the output
 *
 * 298 columns. A full round takes u = s + rc, constrains cube_i = u_i^3 and
 * state' = M_E(u ⊙ cube ⊙ cube) — degree 3, since u is linear in the previous columns. A partial
 * round constrains cube = u_0^3 and sbox = u_0·cube^2, and carries the rest of the state as linear
 * expressions (the internal layer is linear), so it needs two columns instead of sixteen. The
 * initial external layer is a linear expression of the input and needs none.
 */
import {
  EXTERNAL_ROUND_CONSTANTS,
  externalLinearLayer,
  INTERNAL_DIAGONAL,
  INTERNAL_ROUND_CONSTANTS,
  internalLinearLayer,
  WIDTH,
} from '../crypto/poseidon2.js';
import * as F from '../math/field.js';
import { type Algebra, baseAlgebra, mixedAlgebra } from './air.js';

const HALF_FULL = 4;
const PARTIAL = 13;

export const POSEIDON2_ROW = Object.freeze({
  /** Columns the gadget occupies. */
  columns: WIDTH + 2 * HALF_FULL * 2 * WIDTH + 2 * PARTIAL,
  /** Constraints it writes. */
  constraints: 2 * HALF_FULL * 2 * WIDTH + 2 * PARTIAL,
  /** Offset of the input state. */
  input: 0,
  /** Offset of the output state (the last full round's state). */
  output: WIDTH + 2 * HALF_FULL * 2 * WIDTH + 2 * PARTIAL - WIDTH,
});

function cube(x: number): number {
  return F.mul(F.mul(x, x), x);
}

/**
 * Writes the gadget's columns for `input` into `row` (from `offset`) and returns the output —
 * equal to `permute(input)`.
 */
export function fillPoseidon2Row(input: Uint32Array, row: Uint32Array, offset = 0): Uint32Array {
  let at = offset;
  const state = Uint32Array.from(input);
  row.set(state, at);
  at += WIDTH;
  externalLinearLayer(state);
  const fullRound = (constants: Uint32Array) => {
    for (let i = 0; i < WIDTH; i++) {
      const u = F.add(state[i] as number, constants[i] as number);
      const c = cube(u);
      row[at + i] = c;
      state[i] = F.mul(u, F.mul(c, c));
    }
    externalLinearLayer(state);
    row.set(state, at + WIDTH);
    at += 2 * WIDTH;
  };
  for (let r = 0; r < HALF_FULL; r++) fullRound(EXTERNAL_ROUND_CONSTANTS[r] as Uint32Array);
  for (let r = 0; r < PARTIAL; r++) {
    const u = F.add(state[0] as number, INTERNAL_ROUND_CONSTANTS[r] as number);
    const c = cube(u);
    const s = F.mul(u, F.mul(c, c));
    row[at] = c;
    row[at + 1] = s;
    at += 2;
    state[0] = s;
    internalLinearLayer(state);
  }
  for (let r = HALF_FULL; r < 2 * HALF_FULL; r++) fullRound(EXTERNAL_ROUND_CONSTANTS[r] as Uint32Array);
  return state;
}

/** M_E over any algebra: the external linear layer as constraint expressions. */
export function externalLayer<T>(alg: Algebra<T>, s: readonly T[]): T[] {
  const k = (n: number) => alg.constant(n);
  const y: T[] = [];
  for (let b = 0; b < 4; b++) {
    const [a0, a1, a2, a3] = [s[4 * b], s[4 * b + 1], s[4 * b + 2], s[4 * b + 3]] as [T, T, T, T];
    // M4 = [[5, 7, 1, 3], [4, 6, 1, 1], [1, 3, 5, 7], [1, 1, 4, 6]]
    y.push(alg.add(alg.add(alg.mul(k(5), a0), alg.mul(k(7), a1)), alg.add(a2, alg.mul(k(3), a3))));
    y.push(alg.add(alg.add(alg.mul(k(4), a0), alg.mul(k(6), a1)), alg.add(a2, a3)));
    y.push(alg.add(alg.add(a0, alg.mul(k(3), a1)), alg.add(alg.mul(k(5), a2), alg.mul(k(7), a3))));
    y.push(alg.add(alg.add(a0, a1), alg.add(alg.mul(k(4), a2), alg.mul(k(6), a3))));
  }
  const sums = [0, 1, 2, 3].map((j) =>
    alg.add(alg.add(y[j] as T, y[4 + j] as T), alg.add(y[8 + j] as T, y[12 + j] as T)),
  );
  return y.map((v, i) => alg.add(v, sums[i % 4] as T));
}

/** M_I = 1·1ᵀ + diag(μ) over any algebra. */
export function internalLayer<T>(alg: Algebra<T>, s: readonly T[]): T[] {
  let sum = alg.zero;
  for (const v of s) sum = alg.add(sum, v);
  return s.map((v, i) => alg.add(alg.mul(alg.constant(INTERNAL_DIAGONAL[i] as number), v), sum));
}

/**
 * Writes the gadget's constraints (`POSEIDON2_ROW.constraints` of them, from `out[at]`) for the
 * columns `row[offset …]`; each vanishes exactly when the row holds a permutation of its input.
 */
export function evaluatePoseidon2Row<T>(
  alg: Algebra<T>,
  row: readonly T[],
  offset: number,
  out: T[],
  at: number,
): void {
  // Base numbers in, base numbers out: the base field's plain loop. Under the mixed algebra (an AIR
  // with a second phase) the gadget's cells are main-trace values, plain numbers, on the prover.
  if (
    alg === (baseAlgebra as unknown as Algebra<T>) ||
    (alg === (mixedAlgebra as unknown as Algebra<T>) && typeof row[offset] === 'number')
  ) {
    evaluateBase(row as unknown as readonly number[], offset, out as unknown as number[], at);
    return;
  }
  let col = offset;
  let k = at;
  let state: T[] = externalLayer(alg, row.slice(col, col + WIDTH));
  col += WIDTH;
  const fullRound = (constants: Uint32Array) => {
    const sboxed: T[] = [];
    for (let i = 0; i < WIDTH; i++) {
      const u = alg.add(state[i] as T, alg.constant(constants[i] as number));
      const c = row[col + i] as T;
      out[k++] = alg.sub(c, alg.mul(alg.mul(u, u), u));
      sboxed.push(alg.mul(u, alg.mul(c, c)));
    }
    const after = externalLayer(alg, sboxed);
    const next = row.slice(col + WIDTH, col + 2 * WIDTH);
    for (let i = 0; i < WIDTH; i++) out[k++] = alg.sub(next[i] as T, after[i] as T);
    state = next;
    col += 2 * WIDTH;
  };
  for (let r = 0; r < HALF_FULL; r++) fullRound(EXTERNAL_ROUND_CONSTANTS[r] as Uint32Array);
  for (let r = 0; r < PARTIAL; r++) {
    const u = alg.add(state[0] as T, alg.constant(INTERNAL_ROUND_CONSTANTS[r] as number));
    const c = row[col] as T;
    const s = row[col + 1] as T;
    out[k++] = alg.sub(c, alg.mul(alg.mul(u, u), u));
    out[k++] = alg.sub(s, alg.mul(u, alg.mul(c, c)));
    state = internalLayer(alg, [s, ...state.slice(1)]);
    col += 2;
  }
  for (let r = HALF_FULL; r < 2 * HALF_FULL; r++) fullRound(EXTERNAL_ROUND_CONSTANTS[r] as Uint32Array);
}

// The base-field path, on the prover's hot loop: the same constraints on plain numbers, with the
// permutation's own in-place linear layers and scratch arrays instead of one closure call per
// operation. `poseidon2-row.test.ts` checks it against the generic path.
const scratchState = new Uint32Array(WIDTH);
const scratchBox = new Uint32Array(WIDTH);

function evaluateBase(row: readonly number[], offset: number, out: number[], at: number): void {
  let col = offset;
  let k = at;
  const state = scratchState;
  for (let i = 0; i < WIDTH; i++) state[i] = row[col + i] as number;
  externalLinearLayer(state);
  col += WIDTH;
  const fullRound = (constants: Uint32Array) => {
    for (let i = 0; i < WIDTH; i++) {
      const u = F.add(state[i] as number, constants[i] as number);
      const c = row[col + i] as number;
      out[k++] = F.sub(c, F.mul(F.mul(u, u), u));
      scratchBox[i] = F.mul(u, F.mul(c, c));
    }
    externalLinearLayer(scratchBox);
    for (let i = 0; i < WIDTH; i++) {
      const next = row[col + WIDTH + i] as number;
      out[k++] = F.sub(next, scratchBox[i] as number);
      state[i] = next;
    }
    col += 2 * WIDTH;
  };
  for (let r = 0; r < HALF_FULL; r++) fullRound(EXTERNAL_ROUND_CONSTANTS[r] as Uint32Array);
  for (let r = 0; r < PARTIAL; r++) {
    const u = F.add(state[0] as number, INTERNAL_ROUND_CONSTANTS[r] as number);
    const c = row[col] as number;
    const sbox = row[col + 1] as number;
    out[k++] = F.sub(c, F.mul(F.mul(u, u), u));
    out[k++] = F.sub(sbox, F.mul(u, F.mul(c, c)));
    state[0] = sbox;
    internalLinearLayer(state);
    col += 2;
  }
  for (let r = HALF_FULL; r < 2 * HALF_FULL; r++) fullRound(EXTERNAL_ROUND_CONSTANTS[r] as Uint32Array);
}
