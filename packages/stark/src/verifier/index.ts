/**
 * `@custos/stark/verifier`: everything a verifier needs and nothing of the prover — the browser
 * bundle is built from this entry alone.
 */
// For AIRs written outside this package (the proof-of-reserves solvency AIR): the field, its
// extension, the hash and the one-permutation-per-row gadget — all verifier-safe.
export type { Air, Algebra, Assertion, AuxBuilder, Frame } from '../air/air.js';
export { evaluatePoseidon2Row, fillPoseidon2Row, POSEIDON2_ROW } from '../air/poseidon2-row.js';
export {
  compress as poseidon2Compress,
  DIGEST_LENGTH as POSEIDON2_DIGEST,
  hashElements as poseidon2Hash,
  permute as poseidon2Permute,
  permuteInPlace as poseidon2PermuteInPlace,
  RATE as POSEIDON2_RATE,
  WIDTH as POSEIDON2_WIDTH,
} from '../crypto/poseidon2.js';
export { decodeProof, HEADER_BYTES, proofToJson, SECTIONS, sectionRanges } from '../encoding.js';
export { fibonacciAir } from '../examples/fibonacci.js';
export { poseidon2Air, poseidon2Outputs, poseidon2PublicInputs } from '../examples/poseidon2.js';
export { poseidon2RowsAir } from '../examples/poseidon2-rows.js';
export { type RangeStatement, rangeAir, rangeTotal } from '../examples/range.js';
export { EXAMPLE_AIRS, type ExampleAirName, exampleAir } from '../examples/registry.js';
export type { ProofOptions } from '../fri/params.js';
export type { Ext } from '../math/ext.js';
export * as ext from '../math/ext.js';
export * as field from '../math/field.js';
export type { StarkProof } from '../proof.js';
export { type SecurityLevel, securityLevel } from './security.js';
export { proofSecurity, type RejectReason, type VerifyResult, verify, verifyBytes } from './verifier.js';
