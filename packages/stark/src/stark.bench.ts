/**
 * `npm run bench stark`: proving and verifying the example AIRs with the default parameters
 * (blowup 8, 34 queries, arity 8, 16 bits of grinding, zero knowledge), one thread.
 *
 * The baseline is the least work any STARK prover of the Fibonacci trace does with these
 * parameters: interpolate the two columns, extend them to the 2N·8-point domain and commit the
 * rows with SHA-256 (Node's, as the prover) — so the ratio says how much the rest (composition, DEEP, FRI, grinding,
 * openings) costs on top. Sizes: Fibonacci 2^12 rows; the range check 2^12 rows of 64-bit values
 * as 8-bit limbs (16-bit limbs need a 2^16-row trace for their table); Poseidon2 64 permutations
 * (2^11 rows). `--smoke`: 2^7-row Fibonacci, 2^8-row range, 2 permutations.
 */
import { type BenchSuite, defineBench } from '@custos/core/bench';
import type { Air } from './air/air.js';
import { MerkleTree } from './crypto/merkle.js';
import { nativeSha256 } from './crypto/native.js';
import { encodeProof } from './encoding.js';
import { fibonacciAir, fibonacciResult, fibonacciTrace } from './examples/fibonacci.js';
import { poseidon2Air, poseidon2PublicInputs, poseidon2Trace } from './examples/poseidon2.js';
import { poseidon2RowsAir, poseidon2RowsTrace } from './examples/poseidon2-rows.js';
import { rangeAir, rangeTrace } from './examples/range.js';
import { GENERATOR } from './math/field.js';
import { cosetNtt, intt } from './math/ntt.js';
import type { StarkProof } from './proof.js';
import { ProverPool } from './prover/pool.js';
import { prove } from './prover/prover.js';
import { verify } from './verifier/verifier.js';

const smoke = process.argv.includes('--smoke') || process.argv.includes('--smoke-if-ci');
const FIB_ROWS = smoke ? 128 : 4096;
const RANGE_ROWS = smoke ? 256 : 4096;
const PERMUTATIONS = smoke ? 2 : 64;
// Independent proofs (a proof-of-reserves round's batches): one thread against a worker per core.
const BATCH_JOBS = 4;
const BATCH_ROWS = smoke ? 128 : 2048;

interface Statement {
  air: Air;
  trace: Uint32Array[];
}

function fibonacci(): Statement {
  return { air: fibonacciAir(FIB_ROWS, fibonacciResult(FIB_ROWS)), trace: fibonacciTrace(FIB_ROWS) };
}

function range(): Statement {
  const values = Array.from({ length: RANGE_ROWS }, (_, i) => (BigInt(i + 1) * 0x9e3779b97f4a7c15n) % 2n ** 64n);
  const { trace, statement } = rangeTrace(values, RANGE_ROWS, 8);
  return { air: rangeAir(statement), trace };
}

function poseidon2(): Statement {
  const inputs = Array.from({ length: PERMUTATIONS }, (_, k) => Uint32Array.from({ length: 16 }, (_, i) => 16 * k + i));
  const { trace, outputs } = poseidon2Trace(inputs);
  const rows = (trace[0] as Uint32Array).length;
  return { air: poseidon2Air(rows, poseidon2PublicInputs(inputs, outputs)), trace };
}

function batchJob() {
  return {
    air: { name: 'fibonacci', rows: BATCH_ROWS, publicInputs: [fibonacciResult(BATCH_ROWS)] },
    trace: fibonacciTrace(BATCH_ROWS),
  };
}

function poseidon2Rows(): Statement {
  const inputs = Array.from({ length: PERMUTATIONS }, (_, k) => Uint32Array.from({ length: 16 }, (_, i) => 16 * k + i));
  const { trace, outputs } = poseidon2RowsTrace(inputs);
  const rows = (trace[0] as Uint32Array).length;
  return { air: poseidon2RowsAir(rows, poseidon2PublicInputs(inputs, outputs)), trace };
}

const proveCase = (name: string, make: () => Statement) => ({
  name: `prove ${name}`,
  setup: make,
  run: (s: Statement) => encodeProof(prove({ air: s.air, trace: s.trace })).length,
});

const verifyCase = (name: string, make: () => Statement) => ({
  name: `verify ${name}`,
  setup: (): { air: Air; proof: StarkProof } => {
    const s = make();
    return { air: s.air, proof: prove({ air: s.air, trace: s.trace }) };
  },
  run: (s: { air: Air; proof: StarkProof }) => {
    if (!verify({ air: s.air, proof: s.proof, minSecurityBits: 100 }).valid)
      throw new Error('a valid proof was rejected');
  },
});

const suite: BenchSuite = defineBench({
  name: 'stark',
  description: `STARK prove and verify, defaults (ZK, ≥ 100 bits): Fibonacci ${FIB_ROWS} rows, range ${RANGE_ROWS} rows, Poseidon2 ${PERMUTATIONS} permutations`,
  baseline: 'Fibonacci trace: LDE + commitment only',
  size: { full: 1, smoke: 1 },
  unit: 'proof',
  samples: { warmups: 1, min: 5, budgetMs: 20_000 },
  cases: [
    {
      name: 'Fibonacci trace: LDE + commitment only',
      setup: () => fibonacci().trace,
      run: (trace: Uint32Array[]) => {
        const size = 2 * FIB_ROWS * 8;
        const columns = trace.map((column) => {
          const coeffs = new Uint32Array(size);
          coeffs.set(column);
          intt(coeffs.subarray(0, FIB_ROWS));
          cosetNtt(coeffs, GENERATOR);
          return coeffs;
        });
        const values = new Uint32Array(size * columns.length);
        for (let i = 0; i < size; i++)
          for (let c = 0; c < columns.length; c++)
            values[i * columns.length + c] = (columns[c] as Uint32Array)[i] as number;
        return new MerkleTree(
          { width: columns.length, values },
          16,
          (b) => {
            for (let i = 0; i < b.length; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
          },
          nativeSha256,
        ).root;
      },
    },
    {
      name: `${BATCH_JOBS} Fibonacci proofs (${BATCH_ROWS} rows each), one thread`,
      run: () => {
        for (let k = 0; k < BATCH_JOBS; k++) {
          prove({ air: fibonacciAir(BATCH_ROWS, fibonacciResult(BATCH_ROWS)), trace: fibonacciTrace(BATCH_ROWS) });
        }
      },
    },
    {
      name: `${BATCH_JOBS} Fibonacci proofs (${BATCH_ROWS} rows each), ProverPool with 2 workers`,
      setup: async () => {
        const pool = new ProverPool(2);
        // Start both workers and warm them up outside the timing.
        await Promise.all([0, 1].map(() => pool.prove(batchJob())));
        return pool;
      },
      run: (pool: ProverPool) => Promise.all(Array.from({ length: BATCH_JOBS }, () => pool.prove(batchJob()))),
      teardown: (pool: ProverPool) => pool.close(),
    },
    proveCase(`Fibonacci (${FIB_ROWS} rows)`, fibonacci),
    verifyCase(`Fibonacci (${FIB_ROWS} rows)`, fibonacci),
    proveCase(`range check (${RANGE_ROWS} × 64-bit values)`, range),
    verifyCase(`range check (${RANGE_ROWS} × 64-bit values)`, range),
    proveCase(`Poseidon2 (${PERMUTATIONS} permutations)`, poseidon2),
    verifyCase(`Poseidon2 (${PERMUTATIONS} permutations)`, poseidon2),
    proveCase(`Poseidon2 (${PERMUTATIONS} permutations, one per row, 128 rows × 298 columns)`, poseidon2Rows),
    verifyCase(`Poseidon2 (${PERMUTATIONS} permutations, one per row, 128 rows × 298 columns)`, poseidon2Rows),
  ],
});

export default suite;
