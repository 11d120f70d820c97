import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBigIntArithmetic } from './arith/bigint.js';
import { gcd, jacobi } from './arith/modular.js';
import { MpcError } from './errors.js';
import { createNodeArithmetic } from './node/arith.js';
import {
  assertRingPedersenParams,
  commit,
  generateRingPedersen,
  paramsFromJson,
  paramsToJson,
  type RingPedersenParams,
  ringPedersenFromPrimes,
  secretFromJson,
  secretToJson,
} from './ring-pedersen.js';
import { queuedPrimes } from './testing/fixtures.js';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from './testing/primes.js';

const bigint = createBigIntArithmetic();
const openssl = createNodeArithmetic();
const [sp1, sp2, sp3] = TEST_SAFE_PRIMES as [bigint, bigint, bigint];
const secret = ringPedersenFromPrimes(sp1, sp2, openssl);
const { N, s, t } = secret.params;

function caught(fn: () => unknown): MpcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MpcError) return error;
    throw error;
  }
  throw new Error('expected an MpcError');
}

describe('ringPedersenFromPrimes', () => {
  it('builds Ñ = pq, t a quadratic residue of full order, s = t^λ', () => {
    expect(N).toBe(sp1 * sp2);
    expect(secret.phi).toBe((sp1 - 1n) * (sp2 - 1n));
    expect(jacobi(t, sp1)).toBe(1);
    expect(jacobi(t, sp2)).toBe(1);
    expect(gcd(t - 1n, N)).toBe(1n);
    expect(s).toBe(bigint.modPow(t, secret.lambda, N));
    expect(secret.lambda >= 0n && secret.lambda < secret.phi).toBe(true);
    expect(s === t || s === 1n).toBe(false);
    assertRingPedersenParams(secret.params);
  });

  it('draws fresh t and λ each time (λ secret, not derived from the primes)', () => {
    const other = ringPedersenFromPrimes(sp1, sp2, bigint);
    expect(other.params.t).not.toBe(t);
    expect(other.lambda).not.toBe(secret.lambda);
  });

  it('refuses primes of the wrong shape', () => {
    expect(caught(() => ringPedersenFromPrimes(sp1, sp1)).check).toBe('ring-pedersen.secret');
    expect(caught(() => ringPedersenFromPrimes(sp1, sp2 >> 1n)).check).toBe('ring-pedersen.secret');
  });
});

describe('assertRingPedersenParams', () => {
  const cases: readonly [string, RingPedersenParams, bigint?][] = [
    ['size', { N: N >> 1n, s, t }],
    ['size', { N: N * 3n, s, t }],
    ['odd', { N: N + 1n, s, t }],
    ['equals-paillier', { N, s, t }, N],
    ['s-t-range', { N, s: 0n, t }],
    ['s-t-range', { N, s, t: N }],
    ['s-t-range', { N, s: -s, t }],
    ['trivial', { N, s: 1n, t }],
    ['trivial', { N, s, t: 1n }],
    ['trivial', { N, s: N - 1n, t }],
    ['s-equals-t', { N, s: t, t }],
    ['coprime', { N, s: sp1 * 3n, t }],
    ['perfect-power', { N: sp3 * sp3, s: 4n, t: 9n }],
  ];
  it.each(cases.map(([c, params, other]) => [c, params, other] as const))(
    'refuses with ring-pedersen.%s',
    (check, params, other) => {
      const e = caught(() => assertRingPedersenParams(params, other === undefined ? {} : { otherModulus: other }));
      expect(e.code).toBe('MPC_RING_PEDERSEN_INVALID');
      expect(e.check).toBe(`ring-pedersen.${check}`);
    },
  );

  it('refuses a prime Ñ', () => {
    let c = N | 1n;
    while (!openssl.isProbablePrime(c)) c += 2n;
    expect(caught(() => assertRingPedersenParams({ N: c, s, t })).check).toBe('ring-pedersen.prime');
  });

  it('accepts a different Paillier modulus', () => {
    const [p, q] = TEST_BLUM_PRIMES as [bigint, bigint];
    assertRingPedersenParams(secret.params, { otherModulus: p * q });
  });
});

describe('commit', () => {
  it('is s^x t^r and additively homomorphic with signed exponents (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(1n << 2500n), max: 1n << 2500n }),
        fc.bigInt({ min: -(1n << 2500n), max: 1n << 2500n }),
        fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
        fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
        (x1, r1, x2, r2) => {
          const c1 = commit(openssl, secret.params, x1, r1);
          const c2 = commit(openssl, secret.params, x2, r2);
          expect((c1 * c2) % N).toBe(commit(openssl, secret.params, x1 + x2, r1 + r2));
          expect(commit(bigint, secret.params, x1, r1)).toBe(c1);
          // the owner's trapdoor view: s^x t^r = t^(λx + r)
          expect(c1).toBe(bigint.modPow(t, (((secret.lambda * x1 + r1) % secret.phi) + secret.phi) % secret.phi, N));
        },
      ),
      { numRuns: 5 },
    );
  });
});

describe('serialization', () => {
  it('round-trips params and secrets (s recomputed on restore)', () => {
    expect(paramsFromJson(JSON.parse(JSON.stringify(paramsToJson(secret.params))))).toEqual(secret.params);
    const restored = secretFromJson(JSON.parse(JSON.stringify(secretToJson(secret))), 'state.rp', openssl);
    expect(restored).toEqual(secret);
  });

  it('refuses malformed, inconsistent or degenerate stored secrets', () => {
    const json = secretToJson(secret);
    expect(caught(() => paramsFromJson({ N: 'x', s: '1', t: '1' }, 'payload.rp')).details.field).toBe('payload.rp.N');
    expect(caught(() => paramsFromJson({ N: '1', s: '1' })).details.field).toBe('ringPedersen.t');
    expect(caught(() => secretFromJson({ ...json, t: '1' })).check).toBe('ring-pedersen.secret');
    expect(caught(() => secretFromJson({ ...json, lambda: '0' })).check).toBe('ring-pedersen.secret');
    expect(caught(() => secretFromJson({ ...json, lambda: '1' })).check).toBe('ring-pedersen.secret');
    expect(caught(() => secretFromJson({ ...json, q: json.p })).check).toBe('ring-pedersen.secret');
  });
});

describe('generateRingPedersen', () => {
  it('asks for two safe primes and retries on a repeat', async () => {
    const fake = queuedPrimes(bigint, 1024, 'safe', [sp1, sp1, sp2, sp3]);
    const generated = await generateRingPedersen(fake);
    expect(generated.params.N).toBe(sp2 * sp3);
    assertRingPedersenParams(generated.params);
  });
});
