/**
 * The example AIRs by name, built from a trace length and the public inputs exactly as a proof
 * states them — what the CLI and the browser verifier take from their user.
 */
import { BaseError } from '@custos/core';
import type { Air } from '../air/air.js';
import { fibonacciAir } from './fibonacci.js';
import { poseidon2Air } from './poseidon2.js';
import { poseidon2RowsAir } from './poseidon2-rows.js';
import { type LimbBits, rangeAir } from './range.js';

export const EXAMPLE_AIRS = ['fibonacci', 'range', 'poseidon2', 'poseidon2-rows'] as const;
export type ExampleAirName = (typeof EXAMPLE_AIRS)[number];

function invalid(message: string, details: Record<string, string | number> = {}): BaseError {
  return new BaseError('STARK_INVALID_INPUT', message, { details });
}

/**
 * fibonacci: [result]; range: [limbBits, Σ limb_0, …, Σ limb_(L−1)] (L = 64 / limbBits);
 * poseidon2 and poseidon2-rows: [count, input_0 (16 elements), output_0 (16), …].
 */
export function exampleAir(name: string, rows: number, publicInputs: readonly number[]): Air {
  switch (name) {
    case 'fibonacci': {
      if (publicInputs.length !== 1)
        throw invalid('fibonacci takes one public input: the result', { got: publicInputs.length });
      return fibonacciAir(rows, publicInputs[0] as number);
    }
    case 'range': {
      const [limbBits, ...limbSums] = publicInputs;
      if (limbBits !== 8 && limbBits !== 16) throw invalid('range: the first public input is the limb size, 8 or 16');
      if (limbSums.length !== 64 / limbBits) {
        throw invalid('range: one limb sum per limb position follows the limb size', {
          expected: 64 / limbBits,
          got: limbSums.length,
        });
      }
      return rangeAir({ rows, limbBits: limbBits as LimbBits, limbSums });
    }
    case 'poseidon2':
      return poseidon2Air(rows, publicInputs);
    case 'poseidon2-rows':
      return poseidon2RowsAir(rows, publicInputs);
    default:
      throw invalid(`unknown AIR ${name}`, { known: EXAMPLE_AIRS.join(', ') });
  }
}
