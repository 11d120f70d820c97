/**
 * The FRI verifier, and what prover and verifier share about the protocol's shape: the arity of
 * each layer and how the query positions are drawn. See `fold.ts` for the folding rule and
 * `prover.ts` for the commit phase.
 */
import { type MerkleOpening, verifyOpening } from '../crypto/merkle.js';
import type { Transcript } from '../crypto/transcript.js';
import type { Ext } from '../math/ext.js';
import * as E from '../math/ext.js';
import { GENERATOR, inv, mul, pow, rootOfUnity } from '../math/field.js';
import { foldConstants, foldLeaf } from './fold.js';
import type { ProofOptions } from './params.js';

/** log2 of each layer's arity: full folds, then one smaller fold to land on the final degree. */
export function layerArities(logDegree: number, options: ProofOptions): number[] {
  const out: number[] = [];
  let d = logDegree;
  while (d > options.logFinalDegree) {
    const a = Math.min(options.logFoldingFactor, d - options.logFinalDegree);
    out.push(a);
    d -= a;
  }
  return out;
}

/**
 * Proof of work, then the query positions in the first layer's domain. The prover finds the
 * nonce; the verifier passes the proof's nonce and gets null when it does not meet the bits.
 */
export function drawQueries(
  transcript: Transcript,
  options: ProofOptions,
  logDomain: number,
  nonce?: number,
): { nonce: number; queries: number[] } | null {
  let n = nonce;
  if (n === undefined) n = transcript.grind(options.grindingBits);
  else if (!transcript.checkGrinding(options.grindingBits, n)) return null;
  transcript.absorbNonce(n);
  return { nonce: n, queries: transcript.drawIndices(options.numQueries, logDomain) };
}

/** Why a FRI proof is rejected; the STARK verifier reports it as `fri-<reason>`. */
export type FriFailure =
  | 'shape'
  | 'layer-count'
  | 'final-poly'
  | 'layer-opening'
  | 'first-layer-mismatch'
  | 'folding-mismatch'
  | 'final-mismatch';

export interface FriLayerProof {
  readonly root: Uint8Array;
  readonly opening: MerkleOpening;
}

export interface FriProof {
  readonly layers: readonly FriLayerProof[];
  /** Coefficients of the last polynomial, packed extension elements, lowest first. */
  readonly finalPoly: Uint32Array;
}

export interface FriProofView {
  readonly layers: readonly {
    readonly root: Uint8Array;
    readonly opening: {
      readonly indices: readonly number[];
      readonly rows: readonly Uint32Array[];
      readonly salts: readonly Uint8Array[];
      readonly siblings: readonly Uint8Array[];
    };
  }[];
  readonly finalPoly: Uint32Array;
}

export interface FriChallenges {
  readonly betas: readonly Ext[];
  readonly arities: readonly number[];
  readonly logDomain: number;
}

/** Replays the commit phase: absorbs each layer root and the final polynomial, drawing the βs. */
export function friReplayCommit(
  transcript: Transcript,
  proof: FriProofView,
  logDegree: number,
  options: ProofOptions,
): FriChallenges | FriFailure {
  const arities = layerArities(logDegree, options);
  if (proof.layers.length !== arities.length) return 'layer-count';
  if (proof.finalPoly.length !== 4 * 2 ** options.logFinalDegree) return 'final-poly';
  const betas: Ext[] = [];
  for (const layer of proof.layers) {
    if (layer.root.length !== 32) return 'shape';
    transcript.absorbBytes('fri-layer', layer.root);
    betas.push(transcript.drawExt());
  }
  for (const w of proof.finalPoly) if (w >= 2013265921) return 'final-poly';
  transcript.absorbWords('fri-final', proof.finalPoly);
  return { betas, arities, logDomain: logDegree + options.logBlowup };
}

/**
 * Checks every layer's opening against its root, that the first layer holds `firstValues[k]` at
 * query position `queries[k]`, that each fold lands on the next layer's value, and that the last
 * fold equals the final polynomial at its point.
 */
export function friVerifyQueries(
  proof: FriProofView,
  challenges: FriChallenges,
  queries: readonly number[],
  firstValues: readonly Ext[],
): FriFailure | null {
  const { betas, arities, logDomain } = challenges;
  let size = 2 ** logDomain;
  let shift = GENERATOR;
  let generator = rootOfUnity(logDomain);
  let positions = [...queries];
  let expected = [...firstValues];
  for (let l = 0; l < arities.length; l++) {
    const logArity = arities[l] as number;
    const arity = 2 ** logArity;
    const leaves = size / arity;
    const layer = proof.layers[l];
    if (layer === undefined) return 'layer-count';
    const failure = verifyOpening(layer.root, Math.log2(leaves), 4 * arity, 0, layer.opening);
    if (failure !== null) return failure === 'root' || failure === 'siblings' ? 'layer-opening' : 'shape';
    const { indices, rows } = layer.opening;
    for (const row of rows) for (const w of row) if (w >= 2013265921) return 'shape';
    const wanted = [...new Set(positions.map((q) => q % leaves))].sort((a, b) => a - b);
    if (wanted.length !== indices.length || wanted.some((w, k) => w !== indices[k])) return 'shape';
    const constants = foldConstants(logArity);
    const shiftInv = inv(shift);
    const generatorInv = inv(generator);
    const beta = betas[l] as Ext;
    const folded: Ext[] = [];
    for (let k = 0; k < positions.length; k++) {
      const q = positions[k] as number;
      const leaf = q % leaves;
      const row = rows[indices.indexOf(leaf)] as Uint32Array;
      const within = Math.floor(q / leaves);
      const value = E.at(row, within);
      if (!E.eq(value, expected[k] as Ext)) return l === 0 ? 'first-layer-mismatch' : 'folding-mismatch';
      const xInv = mul(shiftInv, pow(generatorInv, leaf));
      folded.push(foldLeaf(row, 0, constants, xInv, beta));
    }
    positions = positions.map((q) => q % leaves);
    expected = folded;
    size = leaves;
    shift = pow(shift, arity);
    generator = pow(generator, arity);
  }
  // The final polynomial at each remaining point.
  for (let k = 0; k < positions.length; k++) {
    const x = mul(shift, pow(generator, positions[k] as number));
    let acc: Ext = [0, 0, 0, 0];
    for (let j = proof.finalPoly.length / 4 - 1; j >= 0; j--) acc = E.add(E.mulBase(acc, x), E.at(proof.finalPoly, j));
    if (!E.eq(acc, expected[k] as Ext)) return 'final-mismatch';
  }
  return null;
}
