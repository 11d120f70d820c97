/**
 * Poseidon2 permutations, one per row (the `poseidon2-row` gadget, 298 columns, degree 3): the
 * layout a proof of reserves uses to hash leaves, against the 32-rows-per-permutation layout of
 * `poseidon2.ts`. Public inputs: [count, input_0 (16), output_0 (16), …]; rows past `count` hold
 * permutations of the zero state.
 */
import { BaseError } from '@custos/core';
import type { Air, Algebra, Assertion } from '../air/air.js';
import { evaluatePoseidon2Row, fillPoseidon2Row, POSEIDON2_ROW } from '../air/poseidon2-row.js';
import { WIDTH } from '../crypto/poseidon2.js';
import * as F from '../math/field.js';
import { checkPermutationStatement } from './poseidon2.js';

/** The trace for `inputs`, padded to a power of two of at least `minRows` rows. */
export function poseidon2RowsTrace(
  inputs: readonly Uint32Array[],
  minRows = 128,
): { trace: Uint32Array[]; outputs: Uint32Array[] } {
  const rows = 2 ** Math.ceil(Math.log2(Math.max(minRows, inputs.length, 4)));
  const trace = Array.from({ length: POSEIDON2_ROW.columns }, () => new Uint32Array(rows));
  const row = new Uint32Array(POSEIDON2_ROW.columns);
  const zero = new Uint32Array(WIDTH);
  const outputs: Uint32Array[] = [];
  for (let r = 0; r < rows; r++) {
    const input = inputs[r] ?? zero;
    if (input.length !== WIDTH || input.some((v) => !F.isCanonical(v))) {
      throw new BaseError('STARK_INVALID_INPUT', 'a Poseidon2 input is 16 canonical field elements', {
        details: { permutation: r },
      });
    }
    const output = fillPoseidon2Row(input, row);
    if (r < inputs.length) outputs.push(output);
    for (let c = 0; c < POSEIDON2_ROW.columns; c++) (trace[c] as Uint32Array)[r] = row[c] as number;
  }
  return { trace, outputs };
}

export function poseidon2RowsAir(rows: number, publicInputs: readonly number[]): Air {
  const count = checkPermutationStatement(publicInputs, rows);
  return {
    name: 'poseidon2-rows-babybear-w16/v1',
    traceLength: rows,
    mainWidth: POSEIDON2_ROW.columns,
    auxWidth: 0,
    auxChallenges: 0,
    publicInputs: Uint32Array.from(publicInputs),
    transitionDegree: 3,
    numTransitions: 0,
    numEveryRow: POSEIDON2_ROW.constraints,
    periodicColumns: [],
    evaluateTransitions() {},
    evaluateEveryRow<T>(
      alg: Algebra<T>,
      main: readonly T[],
      _aux: readonly T[],
      _p: readonly T[],
      _c: readonly T[],
      out: T[],
    ) {
      evaluatePoseidon2Row(alg, main, 0, out, 0);
    },
    assertions(): Assertion[] {
      const out: Assertion[] = [];
      for (let k = 0; k < count; k++) {
        const base = 1 + 2 * WIDTH * k;
        for (let i = 0; i < WIDTH; i++) {
          out.push({
            aux: false,
            column: POSEIDON2_ROW.input + i,
            row: k,
            value: [publicInputs[base + i] as number, 0, 0, 0],
          });
          out.push({
            aux: false,
            column: POSEIDON2_ROW.output + i,
            row: k,
            value: [publicInputs[base + WIDTH + i] as number, 0, 0, 0],
          });
        }
      }
      return out;
    },
  };
}
