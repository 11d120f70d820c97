import { describe, expect, it, vi } from 'vitest';
import { modPowBigInt } from '../arith/bigint.js';
import { TEST_BLUM_PRIMES } from '../testing/primes.js';

// A switch the mocked node:crypto reads: when on, computeSecret flips the lowest bit of its output,
// as a miscompiled or changed OpenSSL might.
const corruption = vi.hoisted(() => ({ on: false }));

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    createDiffieHellman: (...args: Parameters<typeof real.createDiffieHellman>) => {
      const dh = real.createDiffieHellman(...args);
      const compute = dh.computeSecret.bind(dh) as (key: Buffer) => Buffer;
      Object.assign(dh, {
        computeSecret: (key: Buffer): Buffer => {
          const out = Buffer.from(compute(key));
          if (corruption.on) out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 1;
          return out;
        },
      });
      return dh;
    },
  };
});

const { createNodeArithmetic } = await import('./arith.js');

describe('createNodeArithmetic', () => {
  it('passes its self-test and uses OpenSSL without falling back', () => {
    const arith = createNodeArithmetic();
    const [p, q] = TEST_BLUM_PRIMES as [bigint, bigint];
    const N = p * q;
    for (let i = 0n; i < 5n; i++) {
      const b = (N * (i + 7n)) / 11n;
      expect(arith.modPow(b, N - i, N * N)).toBe(modPowBigInt(b, N - i, N * N));
    }
    expect(arith.diagnostics().fallbacks).toBe(0);
  });

  it('throws MPC_BACKEND_SELF_TEST_FAILED when OpenSSL computes wrong values', () => {
    corruption.on = true;
    try {
      expect(() => createNodeArithmetic()).toThrowError(
        expect.objectContaining({ code: 'MPC_BACKEND_SELF_TEST_FAILED', check: 'arith.self-test' }),
      );
    } finally {
      corruption.on = false;
    }
  });

  it('stays correct when the DH cache evicts (bounded cache)', () => {
    const arith = createNodeArithmetic({ cacheSize: 2 });
    const moduli = TEST_BLUM_PRIMES.map((p) => p * 3n);
    for (let round = 0; round < 2; round++) {
      for (const m of moduli) expect(arith.modPow(12345n, m - 2n, m)).toBe(modPowBigInt(12345n, m - 2n, m));
    }
    expect(arith.diagnostics().fallbacks).toBe(0);
  });

  it('left-pads short bases and parses short results', () => {
    const arith = createNodeArithmetic();
    const [p] = TEST_BLUM_PRIMES as [bigint];
    // base 2 is one byte long; 2^10 is a two-byte result inside a 128-byte modulus
    expect(arith.modPow(2n, 10n, p)).toBe(1024n);
    expect(arith.modPow(3n, 2n, p)).toBe(9n);
  });
});
