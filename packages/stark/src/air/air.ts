/**
 * An AIR (algebraic intermediate representation): the statement a STARK proves, as polynomial
 * constraints over the rows of an execution trace.
 *
 * - the main trace: `mainWidth` base-field columns of `traceLength` rows (a power of two);
 * - optionally a second phase: after the main trace is committed, `auxChallenges` extension-field
 *   challenges are drawn and the prover builds `auxWidth` extension-field columns from them (a
 *   LogUp running sum, say);
 * - transition constraints over a frame (this row and the next), of degree ≤ `transitionDegree`
 *   in the trace columns, that must vanish on every row but the last;
 * - boundary assertions: a column's value at a row;
 * - periodic columns: fixed values repeating with a power-of-two period (round constants);
 * - public inputs: base-field elements the caller supplies, bound into the transcript.
 *
 * Constraints are written once against `Algebra<T>`, so the prover evaluates them on base-field
 * numbers (main-trace-only AIRs) or extension elements, and the verifier on extension elements at
 * the out-of-domain point — the same code either way.
 */

import type { Ext } from '../math/ext.js';
import * as E from '../math/ext.js';
import * as F from '../math/field.js';

export interface Algebra<T> {
  readonly zero: T;
  readonly one: T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  /** A base-field constant (canonical). */
  constant(c: number): T;
}

export const baseAlgebra: Algebra<number> = {
  zero: 0,
  one: 1,
  add: F.add,
  sub: F.sub,
  mul: F.mul,
  constant: (c) => c,
};

export const extAlgebra: Algebra<Ext> = {
  zero: [0, 0, 0, 0],
  one: [1, 0, 0, 0],
  add: E.add,
  sub: E.sub,
  mul: E.mul,
  constant: (c) => [c, 0, 0, 0],
};

/**
 * Base-field numbers and extension tuples mixed: an operation stays in the base field while both
 * operands are base elements, and lifts only when one is an extension element. The prover
 * evaluates AIRs with a second phase this way — their main-trace constraints cost base-field
 * operations, only those touching challenges and aux columns cost extension ones.
 */
export const mixedAlgebra: Algebra<number | Ext> = {
  zero: 0,
  one: 1,
  add: (a, b) =>
    typeof a === 'number'
      ? typeof b === 'number'
        ? F.add(a, b)
        : E.addBase(b, a)
      : typeof b === 'number'
        ? E.addBase(a, b)
        : E.add(a, b),
  sub: (a, b) =>
    typeof a === 'number'
      ? typeof b === 'number'
        ? F.sub(a, b)
        : E.sub([a, 0, 0, 0], b)
      : typeof b === 'number'
        ? E.subBase(a, b)
        : E.sub(a, b),
  mul: (a, b) =>
    typeof a === 'number'
      ? typeof b === 'number'
        ? F.mul(a, b)
        : E.mulBase(b, a)
      : typeof b === 'number'
        ? E.mulBase(a, b)
        : E.mul(a, b),
  constant: (c) => c,
};

/** One evaluation frame: the current row and the next (the last row's next is row 0). */
export interface Frame<T> {
  readonly current: readonly T[];
  readonly next: readonly T[];
}

export interface Assertion {
  /** Main-trace column (`aux: false`) or auxiliary column (`aux: true`). */
  readonly aux: boolean;
  readonly column: number;
  readonly row: number;
  /** Base-field assertions on the main trace have a base value; aux ones may be extension. */
  readonly value: Readonly<Ext>;
}

export interface Air {
  /** Bound into the transcript: a proof for one AIR never verifies as another. */
  readonly name: string;
  readonly traceLength: number;
  readonly mainWidth: number;
  readonly auxWidth: number;
  readonly auxChallenges: number;
  /** Base-field elements, bound into the transcript. */
  readonly publicInputs: Uint32Array;
  /**
   * The highest degree of any constraint in the trace columns (≥ 1). A periodic column counts as
   * degree 1: its polynomial has degree up to N − N/period in x, less than one trace column's.
   */
  readonly transitionDegree: number;
  /** How many transition constraints `evaluateTransitions` writes. */
  readonly numTransitions: number;
  /** Each periodic column's values over one period (a power of two dividing the trace length). */
  readonly periodicColumns: readonly Uint32Array[];
  /**
   * Writes the `numTransitions` constraint values of one frame to `out`; each must be zero on
   * every row but the last of a valid trace. `aux` has width 0 and `challenges` is empty for an
   * AIR without a second phase.
   */
  evaluateTransitions<T>(
    alg: Algebra<T>,
    main: Frame<T>,
    aux: Frame<T>,
    periodic: readonly T[],
    challenges: readonly T[],
    out: T[],
  ): void;
  /** Constraints on one row that must vanish on every row, the last included (a gadget per row). */
  readonly numEveryRow?: number;
  evaluateEveryRow?<T>(
    alg: Algebra<T>,
    main: readonly T[],
    aux: readonly T[],
    periodic: readonly T[],
    challenges: readonly T[],
    out: T[],
  ): void;
  /** Constraints that must vanish on the first row only (say, a running sum's first term). */
  readonly numFirstRow?: number;
  evaluateFirstRow?<T>(
    alg: Algebra<T>,
    main: readonly T[],
    aux: readonly T[],
    periodic: readonly T[],
    challenges: readonly T[],
    out: T[],
  ): void;
  /** Constraints that must vanish on the last row only. */
  readonly numLastRow?: number;
  evaluateLastRow?<T>(
    alg: Algebra<T>,
    main: readonly T[],
    aux: readonly T[],
    periodic: readonly T[],
    challenges: readonly T[],
    out: T[],
  ): void;
  /** The boundary assertions, which for the aux trace may depend on the challenges. */
  assertions(challenges: readonly Ext[]): Assertion[];
}

/** An AIR with a second trace phase knows how to build it (used by the prover only). */
export interface AuxBuilder {
  /** Returns `auxWidth` columns of packed extension elements (length 4·traceLength each). */
  buildAux(main: readonly Uint32Array[], challenges: readonly Ext[]): Uint32Array[];
}

/** Structural checks both sides make before anything else. */
export function airShapeError(air: Air): string | null {
  const n = air.traceLength;
  if (!Number.isInteger(n) || n < 4 || (n & (n - 1)) !== 0 || n > 2 ** 24) {
    return 'traceLength must be a power of two from 4 to 2^24';
  }
  if (!Number.isInteger(air.mainWidth) || air.mainWidth < 1) return 'mainWidth must be at least 1';
  if (!Number.isInteger(air.auxWidth) || air.auxWidth < 0) return 'auxWidth must be at least 0';
  if (!Number.isInteger(air.transitionDegree) || air.transitionDegree < 1 || air.transitionDegree > 8) {
    return 'transitionDegree must be 1 to 8';
  }
  for (const p of air.periodicColumns) {
    const m = p.length;
    if (m < 1 || (m & (m - 1)) !== 0 || m > n)
      return 'a periodic column must have a power-of-two period dividing traceLength';
  }
  return null;
}

/** Every constraint of one row, in the order their composition coefficients are drawn. */
export function evaluateRow<T>(
  air: Air,
  alg: Algebra<T>,
  main: Frame<T>,
  aux: Frame<T>,
  periodic: readonly T[],
  challenges: readonly T[],
  out: { transitions: T[]; every: T[]; first: T[]; last: T[] },
): void {
  air.evaluateTransitions(alg, main, aux, periodic, challenges, out.transitions);
  if ((air.numEveryRow ?? 0) > 0)
    air.evaluateEveryRow?.(alg, main.current, aux.current, periodic, challenges, out.every);
  if ((air.numFirstRow ?? 0) > 0)
    air.evaluateFirstRow?.(alg, main.current, aux.current, periodic, challenges, out.first);
  if ((air.numLastRow ?? 0) > 0) air.evaluateLastRow?.(alg, main.current, aux.current, periodic, challenges, out.last);
}
