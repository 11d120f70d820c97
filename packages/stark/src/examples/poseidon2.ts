/**
 * A Poseidon2 AIR: proves full width-16 BabyBear permutations — the initial external layer, all 8
 * external and 13 internal rounds — with public inputs and outputs.
 *
 * One permutation takes a block of 32 rows (the period of every periodic column):
 *
 *   row 0        the input x; the transition to row 1 applies the initial external layer M_E
 *   rows 1–4     each row's transition applies one of the 4 initial full rounds
 *   rows 5–17    … one of the 13 partial rounds
 *   rows 18–21   … one of the 4 final full rounds, so row 22 holds the output
 *   rows 22–30   copy the output forward (row 31 is unconstrained: the next block starts anew)
 *
 * Columns: the state s_0..s_15 and, per element, c_i = (s_i + rc_i)^3, so no constraint has the
 * S-box's degree 7: a full round is next = M_E((s + rc) ⊙ c ⊙ c), degree 3 in the trace; a partial
 * round feeds only element 0 through the S-box, then M_I. Periodic selectors (initial, full,
 * partial, copy) and the round constants choose what each row does; a selector counts as one
 * degree, so the AIR has degree 4.
 *
 * Public inputs: [count, input_0 (16), output_0 (16), …], asserted at rows 32k and 32k + 22.
 */
import { BaseError } from '@custos/core';
import type { Air, Algebra, Assertion, Frame } from '../air/air.js';
import { externalLayer, internalLayer } from '../air/poseidon2-row.js';
import {
  EXTERNAL_ROUND_CONSTANTS,
  externalLinearLayer,
  INTERNAL_ROUND_CONSTANTS,
  internalLinearLayer,
  permute,
  WIDTH,
} from '../crypto/poseidon2.js';
import * as F from '../math/field.js';

export const BLOCK_ROWS = 32;
const OUTPUT_ROW = 22;
// The rows whose transition to the next row applies a round.
const FIRST_FULL = 1;
const FIRST_PARTIAL = 5;
const FIRST_FINAL = 18;

// Periodic columns: 4 selectors, then 16 round-constant columns.
const SEL_INIT = 0;
const SEL_FULL = 1;
const SEL_PARTIAL = 2;
const SEL_COPY = 3;
const RC = 4;

function periodicColumns(): Uint32Array[] {
  const columns = Array.from({ length: 4 + WIDTH }, () => new Uint32Array(BLOCK_ROWS));
  (columns[SEL_INIT] as Uint32Array)[0] = 1;
  for (let r = 0; r < 4; r++) {
    for (const [row, round] of [
      [FIRST_FULL + r, r],
      [FIRST_FINAL + r, 4 + r],
    ] as const) {
      (columns[SEL_FULL] as Uint32Array)[row] = 1;
      const constants = EXTERNAL_ROUND_CONSTANTS[round] as Uint32Array;
      for (let i = 0; i < WIDTH; i++) (columns[RC + i] as Uint32Array)[row] = constants[i] as number;
    }
  }
  for (let r = 0; r < 13; r++) {
    (columns[SEL_PARTIAL] as Uint32Array)[FIRST_PARTIAL + r] = 1;
    (columns[RC] as Uint32Array)[FIRST_PARTIAL + r] = INTERNAL_ROUND_CONSTANTS[r] as number;
  }
  for (let row = OUTPUT_ROW; row < BLOCK_ROWS - 1; row++) (columns[SEL_COPY] as Uint32Array)[row] = 1;
  return columns;
}

/** x^3 in the field. */
function cube(x: number): number {
  return F.mul(F.mul(x, x), x);
}

/**
 * The trace for `inputs` (each 16 canonical elements), padded with permutations of the zero state
 * to a power-of-two number of blocks, at least `minBlocks`.
 */
export function poseidon2Trace(
  inputs: readonly Uint32Array[],
  minBlocks = 4,
): { trace: Uint32Array[]; outputs: Uint32Array[] } {
  let blocks = Math.max(minBlocks, inputs.length, 1);
  blocks = 2 ** Math.ceil(Math.log2(blocks));
  const rows = blocks * BLOCK_ROWS;
  const trace = Array.from({ length: 2 * WIDTH }, () => new Uint32Array(rows));
  const periodic = periodicColumns();
  const outputs: Uint32Array[] = [];
  for (let b = 0; b < blocks; b++) {
    const input = inputs[b] ?? new Uint32Array(WIDTH);
    if (input.length !== WIDTH || input.some((v) => !F.isCanonical(v))) {
      throw new BaseError('STARK_INVALID_INPUT', 'a Poseidon2 input is 16 canonical field elements', {
        details: { permutation: b },
      });
    }
    const state = Uint32Array.from(input);
    for (let r = 0; r < BLOCK_ROWS; r++) {
      const row = b * BLOCK_ROWS + r;
      for (let i = 0; i < WIDTH; i++) (trace[i] as Uint32Array)[row] = state[i] as number;
      const rc = (i: number) => (periodic[RC + i] as Uint32Array)[r] as number;
      if ((periodic[SEL_INIT] as Uint32Array)[r] === 1) {
        externalLinearLayer(state);
      } else if ((periodic[SEL_FULL] as Uint32Array)[r] === 1) {
        for (let i = 0; i < WIDTH; i++) {
          const u = F.add(state[i] as number, rc(i));
          const c = cube(u);
          (trace[WIDTH + i] as Uint32Array)[row] = c;
          state[i] = F.mul(u, F.mul(c, c));
        }
        externalLinearLayer(state);
      } else if ((periodic[SEL_PARTIAL] as Uint32Array)[r] === 1) {
        const u = F.add(state[0] as number, rc(0));
        const c = cube(u);
        (trace[WIDTH] as Uint32Array)[row] = c;
        state[0] = F.mul(u, F.mul(c, c));
        internalLinearLayer(state);
      }
    }
    const output = Uint32Array.from(
      { length: WIDTH },
      (_, i) => (trace[i] as Uint32Array)[b * BLOCK_ROWS + OUTPUT_ROW] as number,
    );
    if (b < inputs.length) outputs.push(output);
  }
  return { trace, outputs };
}

/** The public inputs of a statement: [count, input_0, output_0, …]. */
export function poseidon2PublicInputs(inputs: readonly Uint32Array[], outputs: readonly Uint32Array[]): number[] {
  const out = [inputs.length];
  inputs.forEach((input, k) => {
    out.push(...input, ...(outputs[k] as Uint32Array));
  });
  return out;
}

/** The reference permutation's outputs, for a statement made without a trace. */
export function poseidon2Outputs(inputs: readonly Uint32Array[]): Uint32Array[] {
  return inputs.map((input) => permute(input));
}

/**
 * Checks a statement [count, input_0 (16), output_0 (16), …] of at most `capacity` permutations:
 * the count, the length, every element canonical.
 */
export function checkPermutationStatement(publicInputs: readonly number[], capacity: number): number {
  const count = publicInputs[0];
  if (count === undefined || !Number.isInteger(count) || count < 1 || count > capacity) {
    throw new BaseError('STARK_INVALID_INPUT', 'the first public input is the number of permutations', {
      details: { capacity },
    });
  }
  if (publicInputs.length !== 1 + 2 * WIDTH * count || publicInputs.some((v) => !F.isCanonical(v))) {
    throw new BaseError('STARK_INVALID_INPUT', 'each permutation has 16 input and 16 output field elements', {
      details: { expected: 1 + 2 * WIDTH * count, got: publicInputs.length },
    });
  }
  return count;
}

export function poseidon2Air(rows: number, publicInputs: readonly number[]): Air {
  if (rows < BLOCK_ROWS || rows % BLOCK_ROWS !== 0) {
    throw new BaseError('STARK_INVALID_INPUT', `a Poseidon2 trace has a multiple of ${BLOCK_ROWS} rows`, {
      details: { rows },
    });
  }
  const count = checkPermutationStatement(publicInputs, rows / BLOCK_ROWS);
  return {
    name: 'poseidon2-babybear-w16/v1',
    traceLength: rows,
    mainWidth: 2 * WIDTH,
    auxWidth: 0,
    auxChallenges: 0,
    publicInputs: Uint32Array.from(publicInputs),
    transitionDegree: 4,
    numTransitions: 2 * WIDTH,
    periodicColumns: periodicColumns(),
    evaluateTransitions<T>(
      alg: Algebra<T>,
      main: Frame<T>,
      _aux: Frame<T>,
      periodic: readonly T[],
      _c: readonly T[],
      out: T[],
    ) {
      const s = main.current.slice(0, WIDTH);
      const c = main.current.slice(WIDTH);
      const next = main.next.slice(0, WIDTH);
      const [init, full, partial, copy] = [
        periodic[SEL_INIT],
        periodic[SEL_FULL],
        periodic[SEL_PARTIAL],
        periodic[SEL_COPY],
      ] as [T, T, T, T];
      const u = s.map((v, i) => alg.add(v, periodic[RC + i] as T));
      const sboxOut = u.map((v, i) => alg.mul(v, alg.mul(c[i] as T, c[i] as T)));
      const afterInit = externalLayer(alg, s);
      const afterFull = externalLayer(alg, sboxOut);
      const afterPartial = internalLayer(alg, [sboxOut[0] as T, ...s.slice(1)]);
      for (let i = 0; i < WIDTH; i++) {
        // c_i = (s_i + rc_i)^3 wherever element i goes through the S-box.
        const cubeCheck = alg.sub(c[i] as T, alg.mul(u[i] as T, alg.mul(u[i] as T, u[i] as T)));
        const where = i === 0 ? alg.add(full, partial) : full;
        out[i] = alg.mul(where, cubeCheck);
        const n = next[i] as T;
        out[WIDTH + i] = alg.add(
          alg.add(alg.mul(init, alg.sub(n, afterInit[i] as T)), alg.mul(full, alg.sub(n, afterFull[i] as T))),
          alg.add(alg.mul(partial, alg.sub(n, afterPartial[i] as T)), alg.mul(copy, alg.sub(n, s[i] as T))),
        );
      }
    },
    assertions(): Assertion[] {
      const out: Assertion[] = [];
      for (let k = 0; k < count; k++) {
        const base = 1 + 2 * WIDTH * k;
        for (let i = 0; i < WIDTH; i++) {
          out.push({ aux: false, column: i, row: k * BLOCK_ROWS, value: [publicInputs[base + i] as number, 0, 0, 0] });
          out.push({
            aux: false,
            column: i,
            row: k * BLOCK_ROWS + OUTPUT_ROW,
            value: [publicInputs[base + WIDTH + i] as number, 0, 0, 0],
          });
        }
      }
      return out;
    },
  };
}
