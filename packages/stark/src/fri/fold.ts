/**
 * FRI folding, shared by the prover and the verifier (so they cannot disagree on it).
 *
 * A layer holds the evaluations of f on a coset s·⟨g⟩ of size M. With arity a (a power of two,
 * ω = g^(M/a) a primitive a-th root of unity), write f(x) = Σ_{j<a} x^j f_j(x^a). The a points
 * x_i·ω^k (k < a), x_i = s·g^i, i < M/a, share y = x_i^a, and the folded layer is
 *
 *   f'(y) = Σ_j β^j f_j(y),
 *
 * evaluated on the coset s^a·⟨g^a⟩ of size M/a, natural order: f'(y_i) with y_i = x_i^a. From the
 * a values v_k = f(x_i ω^k): x_i^j f_j(y) = (1/a) Σ_k v_k ω^(−jk) (an inverse DFT of size a), so
 * f'(y) = Σ_j (β / x_i)^j · (1/a) Σ_k v_k ω^(−jk).
 *
 * Layer commitments group the a values folded together in one leaf: leaf i (i < M/a) is
 * [f(x_i ω^0), …, f(x_i ω^(a−1))] = the layer's entries i, i + M/a, …, i + (a−1)M/a.
 */

import type { Ext } from '../math/ext.js';
import * as E from '../math/ext.js';
import { add as addMod, inv, mul, pow, rootOfUnity } from '../math/field.js';

/** Constants of one fold of arity 2^logArity: ω^(−m) for m < a, and 1/a. */
export interface FoldConstants {
  readonly arity: number;
  readonly omegaInvPowers: Uint32Array;
  readonly arityInv: number;
}

const cache = new Map<number, FoldConstants>();

export function foldConstants(logArity: number): FoldConstants {
  let c = cache.get(logArity);
  if (c === undefined) {
    const arity = 2 ** logArity;
    const omegaInv = inv(rootOfUnity(logArity));
    const omegaInvPowers = new Uint32Array(arity);
    let x = 1;
    for (let m = 0; m < arity; m++) {
      omegaInvPowers[m] = x;
      x = mul(x, omegaInv);
    }
    c = { arity, omegaInvPowers, arityInv: inv(arity) };
    cache.set(logArity, c);
  }
  return c;
}

/**
 * Folds the a values of one leaf (packed extension elements, `values[4k..4k+4)` = f(x_i ω^k)) with
 * challenge β, given x_i^(−1). Returns f'(x_i^a).
 */
export function foldLeaf(
  values: Uint32Array,
  offset: number,
  c: FoldConstants,
  xInv: number,
  beta: Readonly<Ext>,
): Ext {
  const a = c.arity;
  const r = E.mulBase(beta, xInv);
  // Horner over j from a − 1 down to 0 of coefficient_j = (1/a) Σ_k v_k ω^(−jk).
  let acc: Ext = [0, 0, 0, 0];
  for (let j = a - 1; j >= 0; j--) {
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    for (let k = 0; k < a; k++) {
      const w = c.omegaInvPowers[(j * k) % a] as number;
      const o = offset + 4 * k;
      c0 = addMod(c0, mul(values[o] as number, w));
      c1 = addMod(c1, mul(values[o + 1] as number, w));
      c2 = addMod(c2, mul(values[o + 2] as number, w));
      c3 = addMod(c3, mul(values[o + 3] as number, w));
    }
    const coefficient: Ext = [mul(c0, c.arityInv), mul(c1, c.arityInv), mul(c2, c.arityInv), mul(c3, c.arityInv)];
    acc = E.add(E.mul(acc, r), coefficient);
  }
  return acc;
}

/** The domain point x_i = s·g^i of a layer. */
export function layerPoint(shift: number, generator: number, i: number): number {
  return mul(shift, pow(generator, i));
}
