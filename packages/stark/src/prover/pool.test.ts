/**
 * The prover pool: whole proofs on worker threads, each verified on the main thread; the AIR is
 * rebuilt in the worker from the example registry or from a module the job names; a prover error
 * comes back typed; a closed pool refuses work.
 */
import { BaseError } from '@custos/core';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeProof } from '../encoding.js';
import { fibonacciAir, fibonacciResult, fibonacciTrace } from '../examples/fibonacci.js';
import { poseidon2PublicInputs, poseidon2Trace } from '../examples/poseidon2.js';
import { rangeTrace } from '../examples/range.js';
import { exampleAir } from '../examples/registry.js';
import { buildAir } from '../testing/custom-air.js';
import { verifyBytes } from '../verifier/verifier.js';
import { ProverPool } from './pool.js';

const pool = new ProverPool(2);
afterAll(() => pool.close());

describe('ProverPool', () => {
  it('proves four jobs of three AIRs on two workers; every proof verifies', async () => {
    const fib = {
      air: { name: 'fibonacci', rows: 128, publicInputs: [fibonacciResult(128)] },
      trace: fibonacciTrace(128),
    };
    const range = rangeTrace(
      Array.from({ length: 256 }, (_, i) => BigInt(i) * 0x1234567890abn),
      256,
      8,
    );
    const inputs = [Uint32Array.from({ length: 16 }, (_, i) => i)];
    const p2 = poseidon2Trace(inputs);
    const jobs = [
      fib,
      { air: { name: 'fibonacci', rows: 256, publicInputs: [fibonacciResult(256)] }, trace: fibonacciTrace(256) },
      { air: { name: 'range', rows: 256, publicInputs: [8, ...range.statement.limbSums] }, trace: range.trace },
      {
        air: { name: 'poseidon2', rows: 128, publicInputs: poseidon2PublicInputs(inputs, p2.outputs) },
        trace: p2.trace,
      },
    ];
    const refs = jobs.map((j) => j.air);
    const results = await Promise.all(jobs.map((job) => pool.prove(job)));
    // The traces were transferred, not copied.
    expect(fib.trace[0]?.length).toBe(0);
    results.forEach(({ proof, ms }, k) => {
      const ref = refs[k] as (typeof refs)[number];
      expect(ms).toBeGreaterThan(0);
      expect(
        verifyBytes({ air: exampleAir(ref.name, ref.rows, ref.publicInputs), bytes: proof, minSecurityBits: 100 }),
      ).toMatchObject({
        valid: true,
      });
    });
  });

  it('builds the AIR from the module a job names', async () => {
    const module = new URL('../testing/custom-air.ts', import.meta.url).href;
    const { proof } = await pool.prove({
      air: { module, name: 'fib-again', rows: 128, publicInputs: [fibonacciResult(128)] },
      trace: fibonacciTrace(128),
    });
    expect(
      verifyBytes({ air: buildAir('fib-again', 128, [fibonacciResult(128)]), bytes: proof, minSecurityBits: 100 })
        .valid,
    ).toBe(true);
    // The same proof is not one of the registry's Fibonacci AIR (the name is bound into the transcript).
    expect(
      verifyBytes({ air: fibonacciAir(128, fibonacciResult(128)), bytes: proof, minSecurityBits: 100 }).valid,
    ).toBe(false);
  });

  it('returns a prover error typed, and the worker goes on', async () => {
    const trace = fibonacciTrace(128);
    (trace[0] as Uint32Array)[7] = 3;
    const failed = await pool
      .prove({ air: { name: 'fibonacci', rows: 128, publicInputs: [fibonacciResult(128)] }, trace })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(BaseError);
    expect((failed as BaseError).code).toBe('STARK_INVALID_INPUT');
    expect((failed as BaseError).details.check).toBe('transition');
    const unknown = await pool
      .prove({ air: { name: 'nope', rows: 128, publicInputs: [] }, trace: fibonacciTrace(128) })
      .catch((e: unknown) => e);
    expect((unknown as BaseError).code).toBe('STARK_INVALID_INPUT');
    const again = await pool.prove({
      air: { name: 'fibonacci', rows: 128, publicInputs: [fibonacciResult(128)] },
      trace: fibonacciTrace(128),
    });
    expect(again.proof.length).toBeGreaterThan(1000);
    expect(encodeProof).toBeTypeOf('function');
  });

  it('fails the job of a worker that dies, and goes on with a new worker', async () => {
    const module = new URL('../testing/custom-air.ts', import.meta.url).href;
    const died = await pool
      .prove({ air: { module, name: 'exit-worker', rows: 128, publicInputs: [1] }, trace: fibonacciTrace(128) })
      .catch((e: unknown) => e);
    expect(died).toBeInstanceOf(BaseError);
    expect((died as BaseError).code).toBe('INTERNAL');
    const after = await Promise.all(
      [0, 1, 2].map(() =>
        pool.prove({
          air: { name: 'fibonacci', rows: 128, publicInputs: [fibonacciResult(128)] },
          trace: fibonacciTrace(128),
        }),
      ),
    );
    for (const { proof } of after) {
      expect(
        verifyBytes({ air: fibonacciAir(128, fibonacciResult(128)), bytes: proof, minSecurityBits: 100 }).valid,
      ).toBe(true);
    }
  });

  it('refuses work once closed', async () => {
    const closed = new ProverPool(1);
    await closed.close();
    await expect(
      closed.prove({ air: { name: 'fibonacci', rows: 128, publicInputs: [1] }, trace: fibonacciTrace(128) }),
    ).rejects.toThrow(/closed/);
    expect(() => new ProverPool(0)).toThrow(BaseError);
  });
});
