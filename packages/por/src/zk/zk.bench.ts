/**
 * `npm run bench por-zk`: the zero-knowledge round's batches, 22 assets, the round's options
 * (zero knowledge, blowup 4, 44 queries, 16 bits of grinding: 103 conjectured bits). The unit is
 * one user; every case handles one batch's users (or, for the round case, four batches).
 *
 * The baseline is the least a batch costs whatever the proof system: hashing every user's leaf —
 * 12 Poseidon2 permutations each — which the trace builder does while it lays the trace out. The
 * cases: the trace (baseline plus bytes and multiplicities), one batch proven on one thread at
 * capacity 256 and at 1,024 (the default; per-user cost and proof size decide the capacity), one
 * batch verified, and four batches of 1,024 on a pool of two worker threads. `--smoke`: 2 assets,
 * capacity 128.
 */
import { type BenchSuite, defineBench } from '@custos/core/bench';
import { encodeProof, field as F, ProverPool, prove, verifyBytes } from '@custos/stark';
import { SOLVENCY_AIR, solvencyAir, statementPublicInputs } from './air.js';
import { leafShape, roundTag, userLeaf } from './leaf.js';
import { AIR_MODULE, ZK_ROUND_OPTIONS } from './prove.js';
import { type BatchUser, batchTrace } from './trace.js';

const smoke = process.argv.includes('--smoke') || process.argv.includes('--smoke-if-ci');
const ASSETS = smoke ? 2 : 22;
const CAPACITY = smoke ? 128 : 1024;
const SMALL = smoke ? 128 : 256;
const TAG = roundTag('bench');

function users(count: number, seed: number): BatchUser[] {
  let x = seed >>> 0;
  const next = () => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    return x;
  };
  return Array.from({ length: count }, () => ({
    id: Uint32Array.from({ length: 8 }, () => next() % F.P),
    balances: Array.from({ length: ASSETS }, () => (BigInt(next()) << 32n) | BigInt(next())),
  }));
}

const userHash = (u: BatchUser) => {
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  u.id.forEach((v, i) => {
    view.setUint32(4 * i, v);
  });
  return bytes;
};

const batch = (capacity: number, index = 0) =>
  batchTrace(users(capacity, 7 + index), { assets: ASSETS, capacity, batch: index, roundTag: TAG });

const suite: BenchSuite = defineBench({
  name: 'por-zk',
  description: `zero-knowledge solvency batches, ${ASSETS} assets, capacity ${CAPACITY}, round options (103 bits)`,
  baseline: 'leaf hashes only (Poseidon2 sponge per user)',
  size: { full: CAPACITY, smoke: CAPACITY },
  unit: 'user',
  samples: { warmups: 1, min: 3, budgetMs: 60_000 },
  cases: [
    {
      name: 'leaf hashes only (Poseidon2 sponge per user)',
      setup: () => users(CAPACITY, 1),
      run: (list: BatchUser[]) => {
        const shape = leafShape(ASSETS);
        for (const u of list) userLeaf(userHash(u), u.balances, shape);
      },
    },
    {
      name: `trace of one batch (${CAPACITY} users)`,
      setup: () => users(CAPACITY, 2),
      run: (list: BatchUser[]) => batchTrace(list, { assets: ASSETS, capacity: CAPACITY, batch: 0, roundTag: TAG }),
    },
    {
      name: `prove one batch of ${SMALL} (one thread; per ${CAPACITY} users: ×${CAPACITY / SMALL})`,
      run: () => {
        for (let k = 0; k < CAPACITY / SMALL; k++) {
          const { trace, statement } = batch(SMALL, k);
          encodeProof(prove({ air: solvencyAir(statement), trace, options: ZK_ROUND_OPTIONS }));
        }
      },
    },
    {
      name: `prove one batch of ${CAPACITY} (one thread)`,
      run: () => {
        const { trace, statement } = batch(CAPACITY);
        return encodeProof(prove({ air: solvencyAir(statement), trace, options: ZK_ROUND_OPTIONS })).length;
      },
    },
    {
      name: `verify one batch of ${CAPACITY}`,
      setup: () => {
        const { trace, statement } = batch(CAPACITY);
        return {
          statement,
          bytes: encodeProof(prove({ air: solvencyAir(statement), trace, options: ZK_ROUND_OPTIONS })),
        };
      },
      run: (s: { statement: ReturnType<typeof batch>['statement']; bytes: Uint8Array }) => {
        if (!verifyBytes({ air: solvencyAir(s.statement), bytes: s.bytes, minSecurityBits: 100 }).valid)
          throw new Error('a valid batch proof was rejected');
      },
    },
    {
      name: `4 batches of ${CAPACITY} on ProverPool(2) (per ${CAPACITY} users: ÷4)`,
      setup: async () => {
        const pool = new ProverPool(2);
        return pool;
      },
      run: (pool: ProverPool) =>
        Promise.all(
          [0, 1, 2, 3].map((k) => {
            const { trace, statement } = batch(CAPACITY, k);
            return pool.prove({
              air: {
                module: AIR_MODULE,
                name: SOLVENCY_AIR,
                rows: trace[0]?.length as number,
                publicInputs: Array.from(statementPublicInputs(statement)),
              },
              trace,
              options: ZK_ROUND_OPTIONS,
            });
          }),
        ),
      teardown: (pool: ProverPool) => pool.close(),
    },
  ],
});

export default suite;
