import { describe, expect, it } from 'vitest';
import { createBigIntArithmetic } from '../arith/bigint.js';
import { jacobi, modInverse, randomBelow } from '../arith/modular.js';
import type { MpcError } from '../errors.js';
import { createNodeArithmetic } from '../node/arith.js';
import { PI_PRM_ROUNDS } from '../params.js';
import { type RingPedersenParams, ringPedersenFromPrimes } from '../ring-pedersen.js';
import { caughtMpcError as caught, secretsShown } from '../testing/errors.js';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from '../testing/primes.js';
import type { ProofContext } from './context.js';
import { decodePrmProof, encodePrmProof, type PiPrmProof, provePrm, verifyPrm } from './pi-prm.js';

const arith = createNodeArithmetic();
const [sp1, sp2] = TEST_SAFE_PRIMES as [bigint, bigint];
const secret = ringPedersenFromPrimes(sp1, sp2, arith);
const { params } = secret;
const { N, s, t } = params;
const ctx: ProofContext = { sessionId: 'c3'.repeat(32), prover: 2 };
const proof = provePrm(arith, ctx, secret);
const SECRETS = [sp1, sp2, secret.lambda, secret.phi];

function expectNoSecrets(error: MpcError, secrets: readonly bigint[]): void {
  expect(secretsShown(error, secrets)).toEqual([]);
}

function reject(
  code: 'MPC_PI_PRM_INVALID' | 'MPC_RING_PEDERSEN_INVALID',
  check: string,
  pr: PiPrmProof,
  prms: RingPedersenParams = params,
  context: ProofContext = ctx,
): MpcError {
  const e = caught(() => verifyPrm(arith, context, prms, pr));
  expect(e.code).toBe(code);
  expect(e.check).toBe(check);
  expectNoSecrets(e, SECRETS);
  return e;
}

const at = (list: readonly bigint[], i: number, value: bigint): bigint[] => list.map((v, j) => (j === i ? value : v));

describe('Π^prm completeness', () => {
  it('an honest proof verifies, also after a JSON round trip', () => {
    expect(proof.A).toHaveLength(PI_PRM_ROUNDS);
    verifyPrm(arith, ctx, params, proof);
    verifyPrm(arith, ctx, params, decodePrmProof(JSON.parse(JSON.stringify(encodePrmProof(proof)))));
  });

  it('works with the BigInt backend', () => {
    const bigint = createBigIntArithmetic();
    verifyPrm(bigint, ctx, params, provePrm(bigint, ctx, secret));
  });
});

describe('Π^prm must-reject', () => {
  it('pi-prm.rounds: too few rounds, or mismatched lengths', () => {
    reject('MPC_PI_PRM_INVALID', 'pi-prm.rounds', { A: proof.A.slice(0, 79), z: proof.z.slice(0, 79) });
    reject('MPC_PI_PRM_INVALID', 'pi-prm.rounds', { A: proof.A.slice(0, 30), z: proof.z.slice(0, 30) });
    reject('MPC_PI_PRM_INVALID', 'pi-prm.rounds', { A: proof.A, z: proof.z.slice(1) });
  });

  it('pi-prm.range', () => {
    reject('MPC_PI_PRM_INVALID', 'pi-prm.range', { ...proof, A: at(proof.A, 5, 0n) });
    reject('MPC_PI_PRM_INVALID', 'pi-prm.range', { ...proof, A: at(proof.A, 5, N) });
    reject('MPC_PI_PRM_INVALID', 'pi-prm.range', { ...proof, z: at(proof.z, 5, -1n) });
    reject('MPC_PI_PRM_INVALID', 'pi-prm.range', { ...proof, z: at(proof.z, 5, N) });
  });

  it('pi-prm.response: a wrong response or a wrong commitment', () => {
    const e = reject('MPC_PI_PRM_INVALID', 'pi-prm.response', {
      ...proof,
      z: at(proof.z, 0, (proof.z[0] as bigint) + 1n),
    });
    expect(e.details.round).toBe(0);
    reject('MPC_PI_PRM_INVALID', 'pi-prm.response', { ...proof, A: at(proof.A, 0, ((proof.A[0] as bigint) * t) % N) });
  });

  it('s ∉ ⟨t⟩: no proof exists, and a challenge-guessing forgery is rejected', () => {
    // ⟨t⟩ lies in the quadratic residues; pick s' that is a non-residue mod sp1, so s' ∉ ⟨t⟩.
    let sBad: bigint;
    do sBad = randomBelow(N);
    while (jacobi(sBad, sp1) !== -1 || jacobi(sBad, sp2) !== 1);
    const bad: RingPedersenParams = { N, s: sBad, t };
    // The honest prover's algorithm with any λ cannot answer e_i = 1 rounds.
    const honestAttempt = provePrm(arith, ctx, { ...secret, params: bad });
    reject('MPC_PI_PRM_INVALID', 'pi-prm.response', honestAttempt, bad);
    // The classic forgery: guess each e_i, set A_i = t^z_i · s^-e_i. It passes only if all 80
    // guesses match the Fiat–Shamir bits (probability 2^-80).
    const sInv = modInverse(sBad, N);
    const guesses = Array.from({ length: PI_PRM_ROUNDS }, () => randomBelow(2n) === 1n);
    const z = guesses.map(() => randomBelow(N));
    const A = z.map((zi, i) => (guesses[i] ? (arith.modPow(t, zi, N) * sInv) % N : arith.modPow(t, zi, N)));
    reject('MPC_PI_PRM_INVALID', 'pi-prm.response', { A, z }, bad);
  });

  it('s = t, trivial values and wrong sizes are refused by the parameter checks first', () => {
    reject('MPC_RING_PEDERSEN_INVALID', 'ring-pedersen.s-equals-t', proof, { N, s: t, t });
    reject('MPC_RING_PEDERSEN_INVALID', 'ring-pedersen.trivial', proof, { N, s: 1n, t });
    reject('MPC_RING_PEDERSEN_INVALID', 'ring-pedersen.trivial', proof, { N, s, t: 1n });
    reject('MPC_RING_PEDERSEN_INVALID', 'ring-pedersen.size', proof, { N: sp1 * 3n, s, t });
    const [p, q] = TEST_BLUM_PRIMES as [bigint, bigint];
    reject('MPC_RING_PEDERSEN_INVALID', 'ring-pedersen.size', proof, { N: p * q * p, s, t });
    const e = caught(() => verifyPrm(arith, ctx, params, proof, { otherModulus: N }));
    expect(e.check).toBe('ring-pedersen.equals-paillier');
  });

  it('a proof for other parameters is rejected', () => {
    const other = ringPedersenFromPrimes(sp1, sp2, arith);
    reject('MPC_PI_PRM_INVALID', 'pi-prm.response', proof, other.params);
  });
});

describe('Π^prm transcript binding', () => {
  it('is rejected under another session id or another prover id', () => {
    reject('MPC_PI_PRM_INVALID', 'pi-prm.response', proof, params, { ...ctx, sessionId: 'd4'.repeat(32) });
    reject('MPC_PI_PRM_INVALID', 'pi-prm.response', proof, params, { ...ctx, prover: 1 });
  });
});

describe('Π^prm codec', () => {
  const json = encodePrmProof(proof);
  it('refuses malformed fields, naming them', () => {
    const bad = (value: unknown, field: string, check = 'encoding.int') => {
      const e = caught(() => decodePrmProof(value, 'payload.piPrm'));
      expect(e.code).toBe('MPC_INVALID_MESSAGE');
      expect(e.check).toBe(check);
      expect(e.details.field).toBe(field);
    };
    bad({ ...json, A: json.A.map((a, i) => (i === 7 ? a.toUpperCase() : a)) }, 'payload.piPrm.A[7]');
    bad({ ...json, z: json.z.map((a, i) => (i === 7 ? `-${a}` : a)) }, 'payload.piPrm.z[7]');
    bad({ A: json.A }, 'payload.piPrm.z', 'encoding.shape');
    bad({ ...json, z: {} }, 'payload.piPrm.z', 'encoding.shape');
    bad({ ...json, z: [...json.z, ...json.z, ...json.z, ...json.z, '1'] }, 'payload.piPrm.z', 'encoding.shape');
  });
});
