import { describe, expect, it } from 'vitest';
import { createBigIntArithmetic } from '../arith/bigint.js';
import { bitLength, isqrt } from '../arith/modular.js';
import type { MpcError } from '../errors.js';
import { createNodeArithmetic } from '../node/arith.js';
import { ELL, EPSILON } from '../params.js';
import { type RingPedersenSecret, ringPedersenFromPrimes } from '../ring-pedersen.js';
import { caughtMpcError as caught, secretsShown } from '../testing/errors.js';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from '../testing/primes.js';
import type { ProofContext } from './context.js';
import { decodeFacProof, encodeFacProof, type PiFacProof, proveFac, verifyFac } from './pi-fac.js';

const arith = createNodeArithmetic();
const [p, q] = TEST_BLUM_PRIMES as [bigint, bigint];
const N0 = p * q;
const [sp1, sp2, sp3, sp4] = TEST_SAFE_PRIMES as [bigint, bigint, bigint, bigint];
/** The VERIFIER's ring-Pedersen parameters (it sends them; it keeps the trapdoor). */
const verifier = ringPedersenFromPrimes(sp1, sp2, arith);
const ctx: ProofContext = { sessionId: 'e5'.repeat(32), prover: 1 };
const proof = proveFac(arith, ctx, { N: N0, p, q }, verifier.params);
const SECRETS = [p, q, verifier.lambda, sp1, sp2, verifier.phi];
const BOUND = isqrt(N0) << BigInt(ELL + EPSILON);

function expectNoSecrets(error: MpcError, secrets: readonly bigint[]): void {
  expect(secretsShown(error, secrets)).toEqual([]);
}

/** Expects rejection both without and with the verifier's trapdoor. */
function reject(check: string, pr: PiFacProof, modulus = N0, context = ctx): void {
  for (const trapdoor of [undefined, verifier] as const) {
    const e = caught(() => verifyFac(arith, context, modulus, verifier.params, pr, trapdoor));
    expect(e.code).toBe('MPC_PI_FAC_INVALID');
    expect(e.check).toBe(`pi-fac.${check}`);
    expectNoSecrets(e, SECRETS);
  }
}

describe('Π^fac completeness', () => {
  it('an honest proof verifies with and without the trapdoor, also after a JSON round trip', () => {
    verifyFac(arith, ctx, N0, verifier.params, proof);
    verifyFac(arith, ctx, N0, verifier.params, proof, verifier);
    const decoded = decodeFacProof(JSON.parse(JSON.stringify(encodeFacProof(proof))));
    expect(decoded).toEqual(proof);
    verifyFac(arith, ctx, N0, verifier.params, decoded);
  });

  it('works with the BigInt backend and honest responses stay inside ±2^(ℓ+ε)√N0', () => {
    const bigint = createBigIntArithmetic();
    const pr = proveFac(bigint, ctx, { N: N0, p, q }, verifier.params);
    verifyFac(bigint, ctx, N0, verifier.params, pr, verifier);
    expect(pr.z1 >= -BOUND && pr.z1 <= BOUND && pr.z2 >= -BOUND && pr.z2 <= BOUND).toBe(true);
  });
});

describe('Π^fac must-reject (one per check)', () => {
  it('pi-fac.eq1 / eq2 / eq3: each equation tampered through its own response', () => {
    reject('eq1', { ...proof, w1: proof.w1 + 1n });
    reject('eq1', { ...proof, P: (proof.P * 4n) % verifier.params.N });
    reject('eq2', { ...proof, w2: proof.w2 - 1n });
    reject('eq3', { ...proof, v: proof.v + 1n });
  });

  it('pi-fac.z1-range / z2-range: responses beyond ±2^(ℓ+ε)√N0', () => {
    reject('z1-range', { ...proof, z1: BOUND + 1n });
    reject('z1-range', { ...proof, z1: -BOUND - 1n });
    reject('z2-range', { ...proof, z2: BOUND + 1n });
    reject('z2-range', { ...proof, z2: -BOUND - 1n });
  });

  it('pi-fac.range: commitments outside [1, Ñ)', () => {
    reject('range', { ...proof, P: 0n });
    reject('range', { ...proof, T: verifier.params.N });
    reject('range', { ...proof, A: -proof.A });
  });

  it('pi-fac.unit: a commitment sharing a factor with Ñ', () => {
    reject('unit', { ...proof, Q: sp1 });
  });

  it('pi-fac.n-size: N0 of the wrong size or even', () => {
    reject('n-size', proof, p);
    reject('n-size', proof, N0 + 1n);
  });

  it('a proof made under parameters other than the verifier’s (prover-chosen) is rejected', () => {
    const proverChosen = ringPedersenFromPrimes(sp3, sp4, arith);
    const forged = proveFac(arith, ctx, { N: N0, p, q }, proverChosen.params);
    // It verifies under the parameters it was made for …
    verifyFac(arith, ctx, N0, proverChosen.params, forged, proverChosen);
    // … but the verifier only ever uses its own.
    for (const trapdoor of [undefined, verifier] as const) {
      const e = caught(() => verifyFac(arith, ctx, N0, verifier.params, forged, trapdoor));
      expect(e.code).toBe('MPC_PI_FAC_INVALID');
      expect(['pi-fac.range', 'pi-fac.eq1']).toContain(e.check);
    }
    // and the wire format has no place for parameters
    const e = caught(() => decodeFacProof({ ...encodeFacProof(forged), N: proverChosen.params.N.toString(16) }));
    expect(e.check).toBe('encoding.shape');
  });

  it('a 2048-bit N with a small factor: the honest prover, using the real factorization, cannot pass', () => {
    // 2^127 − 1 is prime (Lucas 1876); the cofactor need not be prime for the attempt.
    const small = (1n << 127n) - 1n;
    const cofactor = (1n << 1921n) + (1n << 1000n) + 1n;
    const Nsmall = small * cofactor;
    expect(bitLength(Nsmall)).toBe(2048);
    for (let attempt = 0; attempt < 3; attempt++) {
      reject('z2-range', proveFac(arith, ctx, { N: Nsmall, p: small, q: cofactor }, verifier.params), Nsmall);
      reject('z1-range', proveFac(arith, ctx, { N: Nsmall, p: cofactor, q: small }, verifier.params), Nsmall);
    }
  });
});

describe('Π^fac transcript binding', () => {
  it('is rejected under another session id or another prover id', () => {
    reject('eq1', proof, N0, { ...ctx, sessionId: 'f6'.repeat(32) });
    reject('eq1', proof, N0, { ...ctx, prover: 3 });
  });

  it('is rejected for another modulus', () => {
    const [, , p3] = TEST_BLUM_PRIMES as [bigint, bigint, bigint];
    reject('eq1', proof, p * p3);
  });
});

describe('Π^fac API guards', () => {
  it('refuses a trapdoor that does not belong to the parameters', () => {
    const other: RingPedersenSecret = ringPedersenFromPrimes(sp3, sp4, arith);
    const e = caught(() => verifyFac(arith, ctx, N0, verifier.params, proof, other));
    expect(e.check).toBe('pi-fac.trapdoor');
  });

  it('refuses a witness that does not factor N, without printing it', () => {
    const e = caught(() => proveFac(arith, ctx, { N: N0 + 2n, p, q }, verifier.params));
    expect(e.check).toBe('pi-fac.witness');
    expectNoSecrets(e, [p, q]);
  });
});

describe('Π^fac codec', () => {
  const json = encodeFacProof(proof);
  it('encodes signed responses with a "-" and refuses malformed fields, naming them', () => {
    const negative = encodeFacProof({ ...proof, z1: -5n });
    expect(negative.z1).toBe('-5');
    expect(decodeFacProof(negative).z1).toBe(-5n);
    const bad = (value: unknown, field: string, check = 'encoding.int') => {
      const e = caught(() => decodeFacProof(value));
      expect(e.code).toBe('MPC_INVALID_MESSAGE');
      expect(e.check).toBe(check);
      expect(e.details.field).toBe(field);
    };
    bad({ ...json, P: `-${json.P}` }, 'piFac.P');
    bad({ ...json, v: `00${json.v}` }, 'piFac.v');
    bad({ ...json, sigma: 5 }, 'piFac.sigma');
    bad({ ...json, w1: `1${'0'.repeat(2048)}` }, 'piFac.w1');
    const { T: _, ...missing } = json;
    bad(missing, 'piFac.T', 'encoding.shape');
  });
});
