/**
 * The FRI prover (Ben-Sasson, Bentov, Horesh, Riabzev, "Fast Reed–Solomon Interactive Oracle
 * Proofs of Proximity", ICALP 2018), over the extension field, with folding factor up to 16.
 *
 * Commit phase: commit to the layer, draw β, fold; repeat until the degree bound is at most
 * 2^logFinalDegree, then send that polynomial's coefficients. The caller then grinds and draws
 * the query positions (`drawQueries`, shared with the verifier) and asks for the openings.
 */
import { BaseError } from '@custos/core';
import { MerkleTree } from '../crypto/merkle.js';
import { nativeSha256 } from '../crypto/native.js';
import type { Transcript } from '../crypto/transcript.js';
import * as E from '../math/ext.js';
import { GENERATOR, inv, mul, pow, rootOfUnity } from '../math/field.js';
import { intt } from '../math/ntt.js';
import { foldConstants, foldLeaf } from './fold.js';
import type { ProofOptions } from './params.js';
import { type FriLayerProof, type FriProof, layerArities } from './verifier.js';

export interface FriCommitment {
  readonly trees: readonly MerkleTree[];
  readonly finalPoly: Uint32Array;
  readonly logDomain: number;
}

/**
 * Runs the commit phase on `evals` (packed extension elements: f on GENERATOR·⟨ω⟩ of size
 * 2^logDomain, natural order) for a polynomial of degree < 2^logDegree.
 */
export function friCommit(
  transcript: Transcript,
  evals: Uint32Array,
  logDegree: number,
  options: ProofOptions,
  skipDegreeCheck = false,
): FriCommitment {
  const logDomain = logDegree + options.logBlowup;
  if (evals.length !== 4 * 2 ** logDomain) {
    throw new BaseError('STARK_INVALID_INPUT', 'FRI input has the wrong length', {
      details: { expected: 4 * 2 ** logDomain, actual: evals.length },
    });
  }
  const trees: MerkleTree[] = [];
  let layer = evals;
  let size = 2 ** logDomain;
  let shift = GENERATOR;
  let generator = rootOfUnity(logDomain);
  for (const logArity of layerArities(logDegree, options)) {
    const arity = 2 ** logArity;
    const leaves = size / arity;
    // Leaf i = the `arity` entries i, i + leaves, …: the values folded together.
    const rows = new Uint32Array(layer.length);
    for (let i = 0; i < leaves; i++) {
      for (let k = 0; k < arity; k++)
        rows.set(layer.subarray(4 * (i + k * leaves), 4 * (i + k * leaves) + 4), 4 * (i * arity + k));
    }
    const tree = new MerkleTree({ width: 4 * arity, values: rows }, 0, () => {}, nativeSha256);
    trees.push(tree);
    transcript.absorbBytes('fri-layer', tree.root);
    const beta = transcript.drawExt();
    const constants = foldConstants(logArity);
    const next = new Uint32Array(4 * leaves);
    const shiftInv = inv(shift);
    const generatorInv = inv(generator);
    let xInv = shiftInv;
    for (let i = 0; i < leaves; i++) {
      E.put(next, i, foldLeaf(rows, 4 * i * arity, constants, xInv, beta));
      xInv = mul(xInv, generatorInv);
    }
    layer = next;
    size = leaves;
    shift = pow(shift, arity);
    generator = pow(generator, arity);
  }
  const finalPoly = finalCoefficients(layer, shift, 2 ** options.logFinalDegree, skipDegreeCheck);
  transcript.absorbWords('fri-final', finalPoly);
  return { trees, finalPoly, logDomain };
}

/**
 * The coefficients of the last layer's polynomial from its evaluations on shift·⟨ω⟩: an inverse
 * NTT per coordinate gives the coefficients of f(shift·y), then coefficient k is divided by
 * shift^k. Everything above the degree bound must be zero, or the input was not of low degree.
 */
function finalCoefficients(
  layer: Uint32Array,
  shift: number,
  degreeBound: number,
  skipDegreeCheck: boolean,
): Uint32Array {
  const n = layer.length / 4;
  const out = new Uint32Array(4 * degreeBound);
  const shiftInv = inv(shift);
  for (let c = 0; c < 4; c++) {
    const column = new Uint32Array(n);
    for (let i = 0; i < n; i++) column[i] = layer[4 * i + c] as number;
    intt(column);
    let scale = 1;
    for (let k = 0; k < n; k++) {
      const coefficient = mul(column[k] as number, scale);
      if (k < degreeBound) out[4 * k + c] = coefficient;
      else if (coefficient !== 0 && !skipDegreeCheck) {
        throw new BaseError('STARK_INVALID_INPUT', 'the FRI input is not of the declared degree', {
          details: { degreeBound, coefficient: k },
          hints: ['The trace does not satisfy the constraints, or the constraint degree is declared too low.'],
        });
      }
      scale = mul(scale, shiftInv);
    }
  }
  return out;
}

/** Opens every layer at the positions the queries reach. */
export function friOpen(commitment: FriCommitment, queries: readonly number[]): FriProof {
  const layers: FriLayerProof[] = [];
  let positions = [...queries];
  for (const tree of commitment.trees) {
    const leaves = tree.leafCount;
    positions = positions.map((q) => q % leaves);
    layers.push({ root: tree.root, opening: tree.open(positions) });
  }
  return { layers, finalPoly: commitment.finalPoly };
}
