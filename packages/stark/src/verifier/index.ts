/**
 * `@custos/stark/verifier`: everything a verifier needs and nothing of the prover — the browser
 * bundle is built from this entry alone.
 */
export type { Air, Algebra, Assertion, Frame } from '../air/air.js';
export { decodeProof, HEADER_BYTES, proofToJson, SECTIONS, sectionRanges } from '../encoding.js';
export { fibonacciAir } from '../examples/fibonacci.js';
export { poseidon2Air, poseidon2Outputs, poseidon2PublicInputs } from '../examples/poseidon2.js';
export { poseidon2RowsAir } from '../examples/poseidon2-rows.js';
export { type RangeStatement, rangeAir, rangeTotal } from '../examples/range.js';
export { EXAMPLE_AIRS, type ExampleAirName, exampleAir } from '../examples/registry.js';
export type { ProofOptions } from '../fri/params.js';
export type { StarkProof } from '../proof.js';
export { type SecurityLevel, securityLevel } from './security.js';
export { proofSecurity, type RejectReason, type VerifyResult, verify, verifyBytes } from './verifier.js';
