import { describe, expect, it } from 'vitest';
import { createBigIntArithmetic } from '../arith/bigint.js';
import { jacobi } from '../arith/modular.js';
import type { MpcError } from '../errors.js';
import { createNodeArithmetic } from '../node/arith.js';
import { PI_MOD_ROUNDS } from '../params.js';
import { caughtMpcError as caught, secretsShown } from '../testing/errors.js';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from '../testing/primes.js';
import type { ProofContext } from './context.js';
import { decodeModProof, encodeModProof, type PiModProof, proveMod, verifyMod } from './pi-mod.js';

const arith = createNodeArithmetic();
const [p, q, p3] = TEST_BLUM_PRIMES as [bigint, bigint, bigint];
const N = p * q;
const ctx: ProofContext = { sessionId: 'a1'.repeat(32), prover: 1 };
const proof = proveMod(arith, ctx, { N, p, q });
const SECRETS = [p, q, (p - 1n) * (q - 1n)];

function expectNoSecrets(error: MpcError, secrets: readonly bigint[]): void {
  expect(secretsShown(error, secrets)).toEqual([]);
}

function reject(check: string, mutate: (p: PiModProof) => PiModProof, modulus = N, context = ctx): MpcError {
  const e = caught(() => verifyMod(arith, context, modulus, mutate(proof)));
  expect(e.code).toBe('MPC_PI_MOD_INVALID');
  expect(e.check).toBe(`pi-mod.${check}`);
  expectNoSecrets(e, SECRETS);
  return e;
}

function withRound(pr: PiModProof, i: number, patch: Partial<PiModProof['rounds'][number]>): PiModProof {
  return { ...pr, rounds: pr.rounds.map((r, j) => (j === i ? { ...r, ...patch } : r)) };
}

describe('Π^mod completeness', () => {
  it('an honest proof verifies, also after a JSON round trip', () => {
    expect(proof.rounds).toHaveLength(PI_MOD_ROUNDS);
    expect(jacobi(proof.w, N)).toBe(-1);
    verifyMod(arith, ctx, N, proof);
    verifyMod(arith, ctx, N, decodeModProof(JSON.parse(JSON.stringify(encodeModProof(proof)))));
  });

  it('works with the BigInt backend, across backends', () => {
    const bigint = createBigIntArithmetic();
    verifyMod(bigint, ctx, N, proveMod(bigint, ctx, { N, p, q }));
  });

  it('proves the ring-Pedersen modulus (two safe primes are Blum primes too)', () => {
    const [s1, s2] = TEST_SAFE_PRIMES as [bigint, bigint];
    verifyMod(arith, ctx, s1 * s2, proveMod(arith, ctx, { N: s1 * s2, p: s1, q: s2 }));
  });
});

describe('Π^mod must-reject (one per check)', () => {
  it('pi-mod.rounds: fewer or more rounds than PI_MOD_ROUNDS', () => {
    reject('rounds', (pr) => ({ ...pr, rounds: pr.rounds.slice(1) }));
    reject('rounds', (pr) => ({ ...pr, rounds: [...pr.rounds, pr.rounds[0] as PiModProof['rounds'][number]] }));
    reject('rounds', (pr) => ({ ...pr, rounds: [] }));
  });

  it('pi-mod.n-even', () => {
    reject('n-even', (pr) => pr, N + 1n);
    reject('n-even', (pr) => pr, 1n);
  });

  it('pi-mod.n-prime', () => {
    reject('n-prime', (pr) => pr, p);
  });

  it('pi-mod.w-range', () => {
    reject('w-range', (pr) => ({ ...pr, w: 0n }));
    reject('w-range', (pr) => ({ ...pr, w: N }));
    reject('w-range', (pr) => ({ ...pr, w: N + pr.w }));
  });

  it('pi-mod.w-jacobi: w with Jacobi symbol +1', () => {
    reject('w-jacobi', (pr) => ({ ...pr, w: (pr.w * pr.w) % N }));
  });

  it('pi-mod.range: x or z outside [1, N)', () => {
    reject('range', (pr) => withRound(pr, 3, { x: 0n }));
    reject('range', (pr) => withRound(pr, 3, { x: N }));
    reject('range', (pr) => withRound(pr, 3, { z: 0n }));
    reject('range', (pr) => withRound(pr, 3, { z: N + (proof.rounds[3]?.z ?? 0n) }));
  });

  it('pi-mod.z: a wrong N-th root', () => {
    const e = reject('z', (pr) => withRound(pr, 0, { z: ((pr.rounds[0]?.z ?? 0n) * 2n) % N }));
    expect(e.details.round).toBe(0);
  });

  it('pi-mod.x: a wrong fourth root, or flipped a / b', () => {
    reject('x', (pr) => withRound(pr, 0, { x: ((pr.rounds[0]?.x ?? 0n) * 2n) % N }));
    reject('x', (pr) => withRound(pr, 0, { a: !pr.rounds[0]?.a }));
    reject('x', (pr) => withRound(pr, 0, { b: !pr.rounds[0]?.b }));
  });

  it('a proof for one modulus does not verify for another', () => {
    const e = caught(() => verifyMod(arith, ctx, p * p3, proof));
    expect(e.code).toBe('MPC_PI_MOD_INVALID');
  });
});

describe('Π^mod transcript binding', () => {
  it('is rejected under another session id or another prover id', () => {
    reject('z', (pr) => pr, N, { ...ctx, sessionId: 'b2'.repeat(32) });
    reject('z', (pr) => pr, N, { ...ctx, prover: 2 });
  });

  it('refuses a malformed context', () => {
    expect(caught(() => verifyMod(arith, { ...ctx, sessionId: 'A1'.repeat(32) }, N, proof)).check).toBe(
      'context.session-id',
    );
  });
});

describe('Π^mod prover', () => {
  it('refuses a witness that is not a Blum factorization, without printing it', () => {
    const nonBlum = p + 2n; // ≡ 1 mod 4 (not even prime; the check is on shape)
    const e = caught(() => proveMod(arith, ctx, { N: nonBlum * q, p: nonBlum, q }));
    expect(e.check).toBe('pi-mod.witness');
    expectNoSecrets(e, [nonBlum, q]);
    expect(caught(() => proveMod(arith, ctx, { N: N + 2n, p, q })).check).toBe('pi-mod.witness');
  });
});

describe('Π^mod codec', () => {
  const json = encodeModProof(proof);
  it('refuses malformed fields, naming them', () => {
    const bad = (value: unknown, field: string, check = 'encoding.int') => {
      const e = caught(() => decodeModProof(value));
      expect(e.code).toBe('MPC_INVALID_MESSAGE');
      expect(e.check).toBe(check);
      expect(e.details.field).toBe(field);
    };
    bad({ ...json, w: `0x${json.w}` }, 'piMod.w');
    bad(
      { ...json, rounds: json.rounds.map((r, i) => (i === 2 ? { ...r, a: '2' } : r)) },
      'piMod.rounds[2].a',
      'encoding.bit',
    );
    bad({ ...json, rounds: json.rounds.map((r, i) => (i === 1 ? { ...r, z: '-1' } : r)) }, 'piMod.rounds[1].z');
    bad(
      { ...json, rounds: json.rounds.map((r, i) => (i === 1 ? { x: r.x, a: r.a, b: r.b } : r)) },
      'piMod.rounds[1].z',
      'encoding.shape',
    );
    bad({ ...json, extra: '1' }, 'piMod.extra', 'encoding.shape');
    bad({ ...json, rounds: 'x' }, 'piMod.rounds', 'encoding.shape');
    bad({ ...json, rounds: Array(4 * PI_MOD_ROUNDS + 1).fill(json.rounds[0]) }, 'piMod.rounds', 'encoding.shape');
    bad(null, 'piMod', 'encoding.shape');
  });
});
