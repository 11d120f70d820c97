/**
 * FRI alone: a polynomial of the declared degree passes at every arity; each check of the query
 * phase rejects on its own (a wrong first-layer value, a later layer that does not match the fold,
 * a final polynomial that does not match the last fold); and a function of too high a degree,
 * committed by a prover that skips its own degree check, is rejected.
 */
import { describe, expect, it } from 'vitest';
import { MerkleTree } from '../crypto/merkle.js';
import { Transcript } from '../crypto/transcript.js';
import * as E from '../math/ext.js';
import * as F from '../math/field.js';
import { cosetNtt } from '../math/ntt.js';
import { DEFAULT_OPTIONS, type ProofOptions } from './params.js';
import { friCommit, friOpen } from './prover.js';
import { drawQueries, type FriProof, friReplayCommit, friVerifyQueries } from './verifier.js';

/** Evaluations on GENERATOR·⟨ω⟩ (2^logDomain points) of a random extension polynomial of `degree` coefficients. */
function codeword(degree: number, logDomain: number, seed: number): Uint32Array {
  const size = 2 ** logDomain;
  const out = new Uint32Array(4 * size);
  let s = seed;
  for (let c = 0; c < 4; c++) {
    const column = new Uint32Array(size);
    for (let i = 0; i < degree; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      column[i] = s % F.P;
    }
    cosetNtt(column, F.GENERATOR);
    for (let i = 0; i < size; i++) out[4 * i + c] = column[i] as number;
  }
  return out;
}

function run(evals: Uint32Array, logDegree: number, options: ProofOptions, skipDegreeCheck = false) {
  const prover = new Transcript('fri-test');
  const commitment = friCommit(prover, evals, logDegree, options, skipDegreeCheck);
  const { nonce, queries } = drawQueries(prover, options, commitment.logDomain) as { nonce: number; queries: number[] };
  const proof = friOpen(commitment, queries);
  const firstValues = queries.map((q) => E.at(evals, q));
  const verifier = new Transcript('fri-test');
  const challenges = friReplayCommit(verifier, proof, logDegree, options);
  if (typeof challenges === 'string') return { proof, queries, firstValues, challenges: null, failure: challenges };
  const drawn = drawQueries(verifier, options, challenges.logDomain, nonce);
  expect(drawn?.queries).toEqual(queries);
  return {
    proof,
    queries,
    firstValues,
    challenges,
    failure: friVerifyQueries(proof, challenges, queries, firstValues),
  };
}

const options: ProofOptions = { ...DEFAULT_OPTIONS, grindingBits: 4, numQueries: 20 };

describe('FRI', () => {
  it.each([1, 2, 3, 4])('accepts a polynomial of the declared degree with folding factor 2^%i', (logArity) => {
    const o = { ...options, logFoldingFactor: logArity };
    expect(run(codeword(2 ** 9, 9 + o.logBlowup, 7 * logArity), 9, o).failure).toBeNull();
  });

  it('rejects a wrong first-layer value, a layer that does not match the fold, and a wrong final polynomial', () => {
    const { proof, queries, firstValues, challenges } = run(codeword(2 ** 9, 12, 1), 9, options);
    if (challenges === null) throw new Error('unreachable');
    const wrongFirst = firstValues.map((v, k) => (k === 3 ? E.addBase(v, 1) : v));
    expect(friVerifyQueries(proof, challenges, queries, wrongFirst)).toBe('first-layer-mismatch');

    // Layer 1 with one opened value changed and its root recomputed over the opened rows' tree is
    // not what folding layer 0 gives.
    const layer1 = proof.layers[1] as FriProof['layers'][number];
    const rows = layer1.opening.rows.map((r) => r.slice());
    const arity = (rows[0] as Uint32Array).length / 4;
    const leaves = 2 ** (12 - 3 - 3);
    // The value the first query reaches in layer 1: entry q mod 512 of that layer.
    const position = (queries[0] as number) % 2 ** (12 - 3);
    const row = rows[layer1.opening.indices.indexOf(position % leaves)] as Uint32Array;
    const within = Math.floor(position / leaves);
    row[4 * within] = F.add(row[4 * within] as number, 1);
    const values = new Uint32Array(leaves * 4 * arity);
    layer1.opening.indices.forEach((i, k) => {
      values.set(rows[k] as Uint32Array, i * 4 * arity);
    });
    const tree = new MerkleTree({ width: 4 * arity, values }, 0, () => {});
    const forged: FriProof = {
      ...proof,
      layers: proof.layers.map((l, i) =>
        i === 1 ? { root: tree.root, opening: tree.open([...layer1.opening.indices]) } : l,
      ),
    };
    expect(friVerifyQueries(forged, challenges, queries, firstValues)).toBe('folding-mismatch');

    const finalPoly = proof.finalPoly.slice();
    finalPoly[0] = F.add(finalPoly[0] as number, 1);
    expect(friVerifyQueries({ ...proof, finalPoly }, challenges, queries, firstValues)).toBe('final-mismatch');

    // An opened row whose bytes no longer hash to the root.
    const tampered: FriProof = {
      ...proof,
      layers: proof.layers.map((l, i) =>
        i === 0
          ? {
              ...l,
              opening: {
                ...l.opening,
                rows: l.opening.rows.map((r, k) =>
                  k === 0 ? Uint32Array.from(r, (w, j) => (j === 5 ? F.add(w, 1) : w)) : r,
                ),
              },
            }
          : l,
      ),
    };
    expect(friVerifyQueries(tampered, challenges, queries, firstValues)).toBe('layer-opening');
  });

  it('rejects a function of too high a degree that a prover commits anyway', () => {
    // Degree 2^11 declared as < 2^9: the prover's own check refuses it …
    expect(() => run(codeword(2 ** 11, 12, 5), 9, options)).toThrow(/not of the declared degree/);
    // … and without that check, the verifier does (the truncated final polynomial does not match).
    const cheat = run(codeword(2 ** 11, 12, 5), 9, options, true);
    expect(cheat.failure).toBe('final-mismatch');
  });

  it('rejects a proof with the wrong number of layers or a final polynomial of the wrong size', () => {
    const { proof } = run(codeword(2 ** 9, 12, 2), 9, options);
    expect(friReplayCommit(new Transcript('fri-test'), { ...proof, layers: proof.layers.slice(1) }, 9, options)).toBe(
      'layer-count',
    );
    expect(
      friReplayCommit(new Transcript('fri-test'), { ...proof, finalPoly: proof.finalPoly.subarray(4) }, 9, options),
    ).toBe('final-poly');
  });
});
