/**
 * Proof parameters: how the prover runs FRI and how much work the verifier's checks stand for.
 * Every field is bound into the transcript before the first commitment, so a proof made with one
 * set of parameters cannot be checked against another.
 */

export interface ProofOptions {
  /** log2 of the LDE blowup (the inverse code rate ρ = 2^−logBlowup). 1 to 4. */
  readonly logBlowup: number;
  /** Number of FRI query positions. */
  readonly numQueries: number;
  /** log2 of the FRI folding factor (arity 2, 4, 8 or 16). */
  readonly logFoldingFactor: number;
  /** FRI stops folding once the degree bound is at most 2^logFinalDegree; that polynomial is sent whole. */
  readonly logFinalDegree: number;
  /** Proof-of-work bits ground before the query positions are drawn. */
  readonly grindingBits: number;
  /** Zero knowledge: randomised trace, masked quotient chunks, randomised FRI input, salted leaves. */
  readonly zeroKnowledge: boolean;
}

/**
 * The defaults: blowup 8, 34 queries (3 bits each) and 16 bits of grinding — 102 + 16 = 118 bits
 * from the queries — so the conjectured security is bounded by the extension field term
 * ⌊4·log2 p⌋ − log2 |LDE domain| − 1 = 122 − log2(2N·8) with zero knowledge: ≥ 100 bits for
 * traces up to 2^18 rows (2^19 without zero knowledge). The verifier computes the exact figure
 * for each proof (`verifier/security.ts`) and refuses one below the caller's minimum.
 */
export const DEFAULT_OPTIONS: ProofOptions = Object.freeze({
  logBlowup: 3,
  numQueries: 34,
  logFoldingFactor: 3,
  logFinalDegree: 3,
  grindingBits: 16,
  zeroKnowledge: true,
});

export function validateOptions(o: ProofOptions): string | null {
  if (!Number.isInteger(o.logBlowup) || o.logBlowup < 1 || o.logBlowup > 4) return 'logBlowup must be 1 to 4';
  if (!Number.isInteger(o.numQueries) || o.numQueries < 1 || o.numQueries > 255) return 'numQueries must be 1 to 255';
  if (!Number.isInteger(o.logFoldingFactor) || o.logFoldingFactor < 1 || o.logFoldingFactor > 4) {
    return 'logFoldingFactor must be 1 to 4 (arity 2 to 16)';
  }
  if (!Number.isInteger(o.logFinalDegree) || o.logFinalDegree < 0 || o.logFinalDegree > 10) {
    return 'logFinalDegree must be 0 to 10';
  }
  if (!Number.isInteger(o.grindingBits) || o.grindingBits < 0 || o.grindingBits > 32)
    return 'grindingBits must be 0 to 32';
  if (typeof o.zeroKnowledge !== 'boolean') return 'zeroKnowledge must be a boolean';
  return null;
}

/** The options as u32 words for the transcript. */
export function optionWords(o: ProofOptions): number[] {
  return [o.logBlowup, o.numQueries, o.logFoldingFactor, o.logFinalDegree, o.grindingBits, o.zeroKnowledge ? 1 : 0];
}
