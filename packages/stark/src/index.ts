/**
 * `@custos/stark`: a transparent STARK prover and verifier over BabyBear (with its degree-4
 * extension for challenges), SHA-256 Merkle commitments, FRI and DEEP-ALI, zero-knowledge by
 * default. `@custos/stark/verifier` is the verifier alone.
 */

export { type Air, baseAlgebra, extAlgebra } from './air/air.js';
export { encodeProof } from './encoding.js';
export { fibonacciResult, fibonacciTrace } from './examples/fibonacci.js';
export { poseidon2Trace } from './examples/poseidon2.js';
export { poseidon2RowsTrace } from './examples/poseidon2-rows.js';
export { type LimbBits, rangeTrace } from './examples/range.js';
export { DEFAULT_OPTIONS, validateOptions } from './fri/params.js';
export { type AirReference, type ProofJob, ProverPool } from './prover/pool.js';
export { type ProveParameters, prove } from './prover/prover.js';
export * from './verifier/index.js';
