/**
 * Boundary assertions, grouped per column as Winterfell does: all assertions on one column become
 * one constraint
 *
 *   (T(x) − I(x)) / Z_R(x),   Z_R(x) = Π_{r ∈ R} (x − g^r),
 *
 * where R is the set of asserted rows and I the polynomial of degree < |R| through the asserted
 * values at g^r. It is a polynomial exactly when T takes every asserted value, so it proves the
 * same as one quotient per assertion — but costs one term per column at each domain point instead
 * of one per assertion (64 Poseidon2 permutations assert 2,048 values on 16 columns). Shared by
 * prover and verifier.
 */
import { BaseError } from '@custos/core';
import type { Ext } from '../math/ext.js';
import * as E from '../math/ext.js';
import * as F from '../math/field.js';
import type { Assertion } from './air.js';

export interface AssertionGroup {
  readonly aux: boolean;
  readonly column: number;
  /** Distinct, ascending. */
  readonly rows: readonly number[];
  readonly values: readonly Ext[];
}

/** Groups assertions by (aux, column), main columns first; refuses contradictory duplicates. */
export function groupAssertions(assertions: readonly Assertion[], traceLength: number): AssertionGroup[] {
  const byColumn = new Map<string, Map<number, Readonly<Ext>>>();
  for (const a of assertions) {
    if (!Number.isInteger(a.row) || a.row < 0 || a.row >= traceLength) {
      throw new BaseError('STARK_INVALID_INPUT', 'an assertion names a row outside the trace', {
        details: { row: a.row },
      });
    }
    const key = `${a.aux ? 1 : 0}:${a.column}`;
    let rows = byColumn.get(key);
    if (rows === undefined) {
      rows = new Map();
      byColumn.set(key, rows);
    }
    const earlier = rows.get(a.row);
    if (earlier !== undefined && !E.eq(earlier, a.value)) {
      throw new BaseError('STARK_INVALID_INPUT', 'two assertions give one cell different values', {
        details: { column: a.column, row: a.row, aux: a.aux },
      });
    }
    rows.set(a.row, a.value);
  }
  const groups: AssertionGroup[] = [];
  for (const [key, rows] of byColumn) {
    const [aux, column] = key.split(':').map(Number) as [number, number];
    const sorted = [...rows.keys()].sort((x, y) => x - y);
    groups.push({ aux: aux === 1, column, rows: sorted, values: sorted.map((r) => [...(rows.get(r) as Ext)] as Ext) });
  }
  return groups.sort((x, y) => Number(x.aux) - Number(y.aux) || x.column - y.column);
}

/** Coefficients (lowest first) of Z_R(x) = Π_{r ∈ R} (x − g^r), a base-field polynomial of degree |R|. */
export function vanishingCoefficients(rows: readonly number[], g: number): Uint32Array {
  let poly = Uint32Array.of(1);
  for (const r of rows) {
    const root = F.pow(g, r);
    const next = new Uint32Array(poly.length + 1);
    for (let i = 0; i < poly.length; i++) {
      next[i + 1] = F.add(next[i + 1] as number, poly[i] as number);
      next[i] = F.sub(next[i] as number, F.mul(root, poly[i] as number));
    }
    poly = next;
  }
  return poly;
}

/**
 * The interpolant I (packed extension coefficients, degree < |R|) with I(g^r) = value_r:
 * I = Σ_k w_k·Z_R(x)/(x − x_k), w_k = value_k / Π_{j≠k}(x_k − x_j). O(|R|^2).
 */
export function interpolateGroup(group: AssertionGroup, g: number): Uint32Array {
  const m = group.rows.length;
  const z = vanishingCoefficients(group.rows, g);
  const points = group.rows.map((r) => F.pow(g, r));
  const out = new Uint32Array(4 * m);
  const denominators = new Uint32Array(m);
  const quotients: Uint32Array[] = [];
  for (let k = 0; k < m; k++) {
    // Z_R / (x − x_k) by synthetic division (exact: x_k is a root).
    const xk = points[k] as number;
    const q = new Uint32Array(m);
    let carry = 0;
    for (let i = m; i >= 1; i--) {
      carry = F.add(z[i] as number, F.mul(carry, xk));
      q[i - 1] = carry;
    }
    quotients.push(q);
    // q(x_k) = Π_{j≠k} (x_k − x_j)
    let d = 0;
    for (let i = m - 1; i >= 0; i--) d = F.add(F.mul(d, xk), q[i] as number);
    denominators[k] = d;
  }
  const inverses = F.batchInverse(denominators);
  for (let k = 0; k < m; k++) {
    const w = E.mulBase(group.values[k] as Ext, inverses[k] as number);
    const q = quotients[k] as Uint32Array;
    for (let i = 0; i < m; i++) {
      const qi = q[i] as number;
      if (qi === 0) continue;
      for (let c = 0; c < 4; c++) out[4 * i + c] = F.add(out[4 * i + c] as number, F.mul(w[c] as number, qi));
    }
  }
  return out;
}

/** Evaluates packed extension coefficients at an extension point (Horner). */
export function evaluatePackedAt(coeffs: Uint32Array, x: Readonly<Ext>): Ext {
  let acc: Ext = [0, 0, 0, 0];
  for (let i = coeffs.length / 4 - 1; i >= 0; i--) acc = E.add(E.mul(acc, x), E.at(coeffs, i));
  return acc;
}

/** Evaluates base coefficients at an extension point (Horner). */
export function evaluateBaseAt(coeffs: Uint32Array, x: Readonly<Ext>): Ext {
  let acc: Ext = [0, 0, 0, 0];
  for (let i = coeffs.length - 1; i >= 0; i--) acc = E.addBase(E.mul(acc, x), coeffs[i] as number);
  return acc;
}
