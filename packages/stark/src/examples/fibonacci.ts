/**
 * Fibonacci: two columns (a, b) with a' = b and b' = a + b from a_0 = b_0 = 1; the public input is
 * b at the last row. The smallest AIR that exercises every part of the engine.
 */
import { BaseError } from '@custos/core';
import type { Air, Algebra, Assertion, Frame } from '../air/air.js';
import * as F from '../math/field.js';

export function fibonacciTrace(rows: number): Uint32Array[] {
  const a = new Uint32Array(rows);
  const b = new Uint32Array(rows);
  a[0] = 1;
  b[0] = 1;
  for (let i = 1; i < rows; i++) {
    a[i] = b[i - 1] as number;
    b[i] = F.add(a[i - 1] as number, b[i - 1] as number);
  }
  return [a, b];
}

/** The claimed result: b at the last row of a trace of `rows` rows. */
export function fibonacciResult(rows: number): number {
  return (fibonacciTrace(rows)[1] as Uint32Array)[rows - 1] as number;
}

export function fibonacciAir(rows: number, result: number): Air {
  if (!F.isCanonical(result)) {
    throw new BaseError('STARK_INVALID_INPUT', 'the Fibonacci result must be a field element', { details: { result } });
  }
  return {
    name: 'fibonacci/v1',
    traceLength: rows,
    mainWidth: 2,
    auxWidth: 0,
    auxChallenges: 0,
    publicInputs: Uint32Array.of(result),
    transitionDegree: 1,
    numTransitions: 2,
    periodicColumns: [],
    evaluateTransitions<T>(
      alg: Algebra<T>,
      main: Frame<T>,
      _aux: Frame<T>,
      _p: readonly T[],
      _c: readonly T[],
      out: T[],
    ) {
      const [a, b] = main.current as [T, T];
      const [a1, b1] = main.next as [T, T];
      out[0] = alg.sub(a1, b);
      out[1] = alg.sub(b1, alg.add(a, b));
    },
    assertions(): Assertion[] {
      return [
        { aux: false, column: 0, row: 0, value: [1, 0, 0, 0] },
        { aux: false, column: 1, row: 0, value: [1, 0, 0, 0] },
        { aux: false, column: 1, row: rows - 1, value: [result, 0, 0, 0] },
      ];
    },
  };
}
