/** An AIR module for the prover pool's tests: `buildAir` as a job's `air.module` names it. */
import type { Air } from '../air/air.js';
import { fibonacciAir } from '../examples/fibonacci.js';

export function buildAir(name: string, rows: number, publicInputs: readonly number[]): Air {
  // A worker that dies mid-job (its thread exits), for the pool's crash test.
  if (name === 'exit-worker') process.exit(3);
  if (name !== 'fib-again') throw new Error(`unknown AIR ${name}`);
  return { ...fibonacciAir(rows, publicInputs[0] as number), name: 'fib-again/v1' };
}
