/**
 * Proof options for the zero-knowledge round's tests: the round's shape (zero knowledge, blowup
 * 8, 34 queries) with 8 bits of grinding instead of 16, so each proof spends milliseconds, not a
 * second, grinding — still ≥ 100 conjectured bits at these trace lengths.
 */
import type { ProofOptions } from '@custos/stark';

export const ZK_TEST_OPTIONS: ProofOptions = Object.freeze({
  logBlowup: 3,
  numQueries: 34,
  logFoldingFactor: 3,
  logFinalDegree: 3,
  grindingBits: 8,
  zeroKnowledge: true,
});
