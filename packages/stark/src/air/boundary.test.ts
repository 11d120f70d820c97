import { BaseError } from '@custos/core';
import { describe, expect, it } from 'vitest';
import * as E from '../math/ext.js';
import * as F from '../math/field.js';
import {
  evaluateBaseAt,
  evaluatePackedAt,
  groupAssertions,
  interpolateGroup,
  vanishingCoefficients,
} from './boundary.js';

describe('assertions grouped per column', () => {
  const g = F.rootOfUnity(6);

  it('groups by column (main first), sorts rows, drops exact duplicates, refuses contradictions', () => {
    const groups = groupAssertions(
      [
        { aux: true, column: 0, row: 5, value: [1, 2, 3, 4] },
        { aux: false, column: 1, row: 9, value: [7, 0, 0, 0] },
        { aux: false, column: 1, row: 2, value: [8, 0, 0, 0] },
        { aux: false, column: 1, row: 9, value: [7, 0, 0, 0] },
      ],
      64,
    );
    expect(groups.map((x) => [x.aux, x.column, x.rows])).toEqual([
      [false, 1, [2, 9]],
      [true, 0, [5]],
    ]);
    expect(() =>
      groupAssertions(
        [
          { aux: false, column: 0, row: 3, value: [1, 0, 0, 0] },
          { aux: false, column: 0, row: 3, value: [2, 0, 0, 0] },
        ],
        64,
      ),
    ).toThrow(BaseError);
    expect(() => groupAssertions([{ aux: false, column: 0, row: 64, value: [1, 0, 0, 0] }], 64)).toThrow(BaseError);
  });

  it('interpolates the asserted values and vanishes exactly on the asserted rows', () => {
    const rows = [0, 3, 17, 22, 40, 63];
    const values = rows.map((r) => [F.fromInt(r * 1000 + 1), F.fromInt(r), 5, F.P - 1 - r] as E.Ext);
    const group = { aux: true, column: 0, rows, values };
    const coeffs = interpolateGroup(group, g);
    expect(coeffs.length).toBe(4 * rows.length);
    const z = vanishingCoefficients(rows, g);
    rows.forEach((r, k) => {
      const x = E.fromBase(F.pow(g, r));
      expect(evaluatePackedAt(coeffs, x)).toEqual(values[k]);
      expect(evaluateBaseAt(z, x)).toEqual([0, 0, 0, 0]);
    });
    expect(evaluateBaseAt(z, E.fromBase(F.pow(g, 5)))).not.toEqual([0, 0, 0, 0]);
    // Degree exactly |R| with leading coefficient 1.
    expect(z.length).toBe(rows.length + 1);
    expect(z[rows.length]).toBe(1);
  });
});
