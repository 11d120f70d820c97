import { describe, expect, it } from 'vitest';
import { permute } from '../crypto/poseidon2.js';
import { POSEIDON2_VECTORS } from '../testing/poseidon2-vectors.js';
import { fieldSampler } from '../testing/reference.js';
import { baseAlgebra } from './air.js';
import { evaluatePoseidon2Row, fillPoseidon2Row, POSEIDON2_ROW } from './poseidon2-row.js';

describe('Poseidon2 in one row', () => {
  it('has 298 columns and 282 constraints', () => {
    expect(POSEIDON2_ROW.columns).toBe(298);
    expect(POSEIDON2_ROW.constraints).toBe(282);
  });

  it('fills a row whose output is the reference permutation, and satisfies every constraint', () => {
    const sample = fieldSampler(11);
    const inputs = [
      ...POSEIDON2_VECTORS.map((v) => Uint32Array.from(v.input)),
      ...Array.from({ length: 20 }, () => Uint32Array.from({ length: 16 }, sample)),
    ];
    for (const [k, input] of inputs.entries()) {
      const row = new Uint32Array(POSEIDON2_ROW.columns);
      const output = fillPoseidon2Row(input, row);
      expect([...output]).toEqual([...permute(input)]);
      if (k < POSEIDON2_VECTORS.length) expect([...output]).toEqual(POSEIDON2_VECTORS[k]?.output);
      expect([...row.subarray(POSEIDON2_ROW.output, POSEIDON2_ROW.output + 16)]).toEqual([...output]);
      const out: number[] = [];
      evaluatePoseidon2Row(baseAlgebra, [...row], 0, out, 0);
      expect(out.length).toBe(POSEIDON2_ROW.constraints);
      expect(out.every((v) => v === 0)).toBe(true);
    }
  });

  it('evaluates the same constraints on the base-field fast path as through a generic algebra', () => {
    // The generic path, forced: an algebra equal to baseAlgebra but not the same object.
    const generic = { ...baseAlgebra };
    const sample = fieldSampler(5);
    for (let trial = 0; trial < 20; trial++) {
      const row = new Uint32Array(POSEIDON2_ROW.columns);
      fillPoseidon2Row(Uint32Array.from({ length: 16 }, sample), row);
      const values = [...row];
      // Half the trials on a damaged row: five random cells replaced.
      if (trial % 2 === 1) for (let d = 0; d < 5; d++) values[sample() % values.length] = sample();
      const fast: number[] = [];
      const slow: number[] = [];
      evaluatePoseidon2Row(baseAlgebra, values, 0, fast, 0);
      evaluatePoseidon2Row(generic, values, 0, slow, 0);
      expect(fast).toEqual(slow);
      expect(fast.some((v) => v !== 0)).toBe(trial % 2 === 1);
    }
  });

  it('breaks a constraint for every column changed', () => {
    const row = new Uint32Array(POSEIDON2_ROW.columns);
    fillPoseidon2Row(
      Uint32Array.from({ length: 16 }, (_, i) => i),
      row,
    );
    // Every column is pinned, the input's through the first round's cubes.
    for (let c = 0; c < POSEIDON2_ROW.columns; c++) {
      const changed = [...row];
      changed[c] = ((changed[c] as number) + 1) % 2013265921;
      const out: number[] = [];
      evaluatePoseidon2Row(baseAlgebra, changed, 0, out, 0);
      expect(
        out.some((v) => v !== 0),
        `column ${c}`,
      ).toBe(true);
    }
  });
});
