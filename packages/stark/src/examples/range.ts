/**
 * A range check over many 64-bit values with a LogUp lookup (Haböck, "Multivariate lookups based on
 * logarithmic derivatives", ePrint 2022/1530).
 *
 * Each row holds one value as L = 64/b limbs of b bits (b = 8 or 16). Every limb is looked up in
 * the table {0, …, 2^b − 1} (a periodic column, fixed by the verifier): with a challenge α drawn
 * after the main trace is committed,
 *
 *   Σ_rows Σ_k 1/(α − limb_k) = Σ_rows m·1/(α − t),
 *
 * where m counts how often the table entry t of that row occurs among all limbs. The identity holds
 * as rational functions only if every limb is a table entry, so each value is in [0, 2^64). It is
 * checked with a running sum S over the rows of Σ_k h_k − m·h_t, where h_k = 1/(α − limb_k) and
 * h_t = 1/(α − t) are auxiliary columns constrained by h·(α − ·) = 1, and S ends at 0. Soundness
 * needs the number of lookups (rows·L) to stay below p, which `rangeAir` enforces.
 *
 * Public inputs: the column sums of each limb position, Σ_rows limb_k, so that anyone recomputes the
 * total Σ_k 2^(bk)·sum_k of all values — the shape of a proof-of-reserves statement. Running sums
 * acc_k in the main trace tie them to the limbs.
 *
 * Main columns: limb_0..limb_(L−1), m, acc_0..acc_(L−1). Aux columns: h_0..h_(L−1), h_t, S.
 */
import { BaseError } from '@custos/core';
import type { Air, Algebra, Assertion, AuxBuilder, Frame } from '../air/air.js';
import type { Ext } from '../math/ext.js';
import * as E from '../math/ext.js';
import * as F from '../math/field.js';

export type LimbBits = 8 | 16;

export interface RangeStatement {
  readonly rows: number;
  readonly limbBits: LimbBits;
  /** Σ_rows limb_k for each limb position k (L of them). */
  readonly limbSums: readonly number[];
}

function limbsOf(limbBits: LimbBits): number {
  return 64 / limbBits;
}

/** The main trace for `values` (each in [0, 2^64)), padded with zeros to `rows` rows. */
export function rangeTrace(
  values: readonly bigint[],
  rows: number,
  limbBits: LimbBits,
): { trace: Uint32Array[]; statement: RangeStatement } {
  const limbs = limbsOf(limbBits);
  const table = 2 ** limbBits;
  if (values.length > rows)
    throw new BaseError('STARK_INVALID_INPUT', 'more values than rows', { details: { values: values.length, rows } });
  const columns = Array.from({ length: 2 * limbs + 1 }, () => new Uint32Array(rows));
  const counts = new Uint32Array(table);
  const mask = BigInt(table - 1);
  values.forEach((v, row) => {
    if (v < 0n || v >= 2n ** 64n) {
      throw new BaseError('STARK_INVALID_INPUT', 'a value is outside [0, 2^64)', { details: { row } });
    }
    for (let k = 0; k < limbs; k++) {
      const limb = Number((v >> BigInt(limbBits * k)) & mask);
      (columns[k] as Uint32Array)[row] = limb;
    }
  });
  // Padding rows are zero: their limbs are looked up too.
  for (let k = 0; k < limbs; k++)
    for (const limb of columns[k] as Uint32Array) counts[limb] = (counts[limb] as number) + 1;
  const m = columns[limbs] as Uint32Array;
  for (let t = 0; t < table; t++) m[t] = F.fromInt(counts[t] as number);
  const limbSums: number[] = [];
  for (let k = 0; k < limbs; k++) {
    const limb = columns[k] as Uint32Array;
    const acc = columns[limbs + 1 + k] as Uint32Array;
    let sum = 0;
    for (let row = 0; row < rows; row++) {
      sum = F.add(sum, limb[row] as number);
      acc[row] = sum;
    }
    limbSums.push(sum);
  }
  return { trace: columns, statement: { rows, limbBits, limbSums } };
}

/** Σ_k 2^(bk)·sum_k: the total of all values the statement covers. */
export function rangeTotal(statement: RangeStatement): bigint {
  return statement.limbSums.reduce((total, s, k) => total + (BigInt(s) << BigInt(statement.limbBits * k)), 0n);
}

export function rangeAir(statement: RangeStatement): Air & AuxBuilder {
  const { rows, limbBits, limbSums } = statement;
  const limbs = limbsOf(limbBits);
  const table = 2 ** limbBits;
  if (rows < table) {
    throw new BaseError('STARK_INVALID_INPUT', 'the trace must have at least as many rows as the lookup table', {
      details: { rows, table },
    });
  }
  if (rows * limbs >= F.P)
    throw new BaseError('STARK_INVALID_INPUT', 'too many lookups for the field (rows·limbs ≥ p)');
  if (limbSums.length !== limbs || limbSums.some((s) => !F.isCanonical(s))) {
    throw new BaseError('STARK_INVALID_INPUT', 'one canonical sum per limb position is required', {
      details: { limbs },
    });
  }
  const tableColumn = Uint32Array.from({ length: table }, (_, i) => i);
  const m = limbs; // the multiplicity column
  const acc = (k: number) => limbs + 1 + k;
  const hT = limbs; // aux: h_t
  const sum = limbs + 1; // aux: S

  /** Σ_k h_k − m·h_t on one row. */
  function term<T>(alg: Algebra<T>, main: readonly T[], aux: readonly T[]): T {
    let t = alg.zero;
    for (let k = 0; k < limbs; k++) t = alg.add(t, aux[k] as T);
    return alg.sub(t, alg.mul(main[m] as T, aux[hT] as T));
  }
  /** h_k·(α − limb_k) − 1 and h_t·(α − t) − 1: each h is an inverse. */
  function inverses<T>(
    alg: Algebra<T>,
    main: readonly T[],
    aux: readonly T[],
    periodic: readonly T[],
    alpha: T,
    out: T[],
    at: number,
  ): void {
    for (let k = 0; k < limbs; k++) out[at + k] = alg.sub(alg.mul(aux[k] as T, alg.sub(alpha, main[k] as T)), alg.one);
    out[at + limbs] = alg.sub(alg.mul(aux[hT] as T, alg.sub(alpha, periodic[0] as T)), alg.one);
  }

  return {
    name: `range64/limb${limbBits}/v1`,
    traceLength: rows,
    mainWidth: 2 * limbs + 1,
    auxWidth: limbs + 2,
    auxChallenges: 1,
    publicInputs: Uint32Array.of(limbBits, ...limbSums),
    transitionDegree: 2,
    numTransitions: limbs + (limbs + 1) + 1,
    numFirstRow: limbs + 1,
    numLastRow: limbs + 1,
    periodicColumns: [tableColumn],
    evaluateTransitions<T>(
      alg: Algebra<T>,
      main: Frame<T>,
      aux: Frame<T>,
      periodic: readonly T[],
      challenges: readonly T[],
      out: T[],
    ) {
      // acc_k' = acc_k + limb_k'
      for (let k = 0; k < limbs; k++) {
        out[k] = alg.sub(main.next[acc(k)] as T, alg.add(main.current[acc(k)] as T, main.next[k] as T));
      }
      inverses(alg, main.current, aux.current, periodic, challenges[0] as T, out, limbs);
      // S' = S + term(next row)
      out[2 * limbs + 1] = alg.sub(aux.next[sum] as T, alg.add(aux.current[sum] as T, term(alg, main.next, aux.next)));
    },
    evaluateFirstRow<T>(
      alg: Algebra<T>,
      main: readonly T[],
      aux: readonly T[],
      _p: readonly T[],
      _c: readonly T[],
      out: T[],
    ) {
      for (let k = 0; k < limbs; k++) out[k] = alg.sub(main[acc(k)] as T, main[k] as T);
      out[limbs] = alg.sub(aux[sum] as T, term(alg, main, aux));
    },
    evaluateLastRow<T>(
      alg: Algebra<T>,
      main: readonly T[],
      aux: readonly T[],
      periodic: readonly T[],
      challenges: readonly T[],
      out: T[],
    ) {
      inverses(alg, main, aux, periodic, challenges[0] as T, out, 0);
    },
    assertions(): Assertion[] {
      const out: Assertion[] = limbSums.map((s, k) => ({
        aux: false,
        column: acc(k),
        row: rows - 1,
        value: [s, 0, 0, 0],
      }));
      out.push({ aux: true, column: sum, row: rows - 1, value: [0, 0, 0, 0] });
      return out;
    },
    buildAux(main: readonly Uint32Array[], challenges: readonly Ext[]): Uint32Array[] {
      const alpha = challenges[0] as Ext;
      const columns = Array.from({ length: limbs + 2 }, () => new Uint32Array(4 * rows));
      // One batch inversion for all (α − limb) and (α − t) of the trace.
      const denominators = new Uint32Array(4 * rows * (limbs + 1));
      for (let row = 0; row < rows; row++) {
        for (let k = 0; k < limbs; k++)
          E.put(denominators, row * (limbs + 1) + k, E.subBase(alpha, (main[k] as Uint32Array)[row] as number));
        E.put(denominators, row * (limbs + 1) + limbs, E.subBase(alpha, row % table));
      }
      const inverted = E.batchInverse(denominators);
      let s: Ext = [0, 0, 0, 0];
      for (let row = 0; row < rows; row++) {
        let t: Ext = [0, 0, 0, 0];
        for (let k = 0; k <= limbs; k++) {
          const h = E.at(inverted, row * (limbs + 1) + k);
          E.put(columns[k] as Uint32Array, row, h);
          t = k < limbs ? E.add(t, h) : E.sub(t, E.mulBase(h, (main[m] as Uint32Array)[row] as number));
        }
        s = E.add(s, t);
        E.put(columns[sum] as Uint32Array, row, s);
      }
      return columns;
    },
  };
}
