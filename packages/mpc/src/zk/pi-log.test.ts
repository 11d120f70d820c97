import { describe, expect, it } from 'vitest';
import { createBigIntArithmetic } from '../arith/bigint.js';
import { G, mulG, Point, pointToHex, q, randomScalar } from '../curve.js';
import type { MpcError } from '../errors.js';
import { encrypt } from '../paillier.js';
import { ELL, EPSILON } from '../params.js';
import { caughtMpcError } from '../testing/errors.js';
import { testPaillierKey, testRingPedersen } from '../testing/fixtures.js';
import type { ProofContext } from './context.js';
import {
  decodeKeyCiphertextProof,
  encodeKeyCiphertextProof,
  type KeyCiphertextStatement,
  type PiLogProof,
  proveKeyCiphertext,
  verifyKeyCiphertext,
} from './pi-log.js';

const arith = createBigIntArithmetic();
const ctx: ProofContext = { sessionId: 'ab'.repeat(32), prover: 1 };
const paillier = testPaillierKey(0, 1);
const pk = paillier.publicKey;
/** The verifier's (device's) parameters, and parameters the prover controls. */
const verifierRp = testRingPedersen(2, 3, arith);
const proverRp = testRingPedersen(0, 1, arith);

const x = randomScalar();
const { c, r: rho } = encrypt(arith, pk, x);
const statement: KeyCiphertextStatement = { publicKey: pk, c, X: mulG(x) };
const proof = proveKeyCiphertext(arith, ctx, statement, { x, rho }, verifierRp.params);

function rejects(fn: () => unknown, code: string, check?: string): MpcError {
  const e = caughtMpcError(fn);
  expect(check === undefined ? e.code : { code: e.code, check: e.check }).toEqual(
    check === undefined ? code : { code, check },
  );
  return e;
}

const verify = (p: PiLogProof, st: KeyCiphertextStatement = statement, params = verifierRp.params, c0 = ctx) =>
  verifyKeyCiphertext(arith, c0, st, params, p);
const BAD = 'MPC_KEY_CIPHERTEXT_PROOF_INVALID';

describe('Π^log* (CGGMP21 Fig. 25): key ciphertext vs X1', () => {
  it('accepts an honest proof, with and without the verifier trapdoor, and after a JSON round trip', () => {
    verify(proof);
    verifyKeyCiphertext(arith, ctx, statement, verifierRp.params, proof, { ringPedersen: verifierRp.crt });
    const wire = JSON.parse(JSON.stringify(encodeKeyCiphertextProof(proof)));
    verify(decodeKeyCiphertextProof(wire));
  });

  it('rejects c_key = Enc(x1 + q·2^1244) ≈ 2^1500 (same X1): the range check z1 ∈ ±2^(ℓ+ε)', () => {
    const big = x + q * 2n ** 1244n;
    const enc = encrypt(arith, pk, big);
    const st = { ...statement, c: enc.c };
    const forged = proveKeyCiphertext(arith, ctx, st, { x: big, rho: enc.r }, verifierRp.params);
    rejects(() => verify(forged, st), BAD, 'pi-log.z1-range');
  });

  it('rejects each tampered field with its own check', () => {
    const N2 = pk.N2;
    const Nhat = verifierRp.params.N;
    rejects(() => verify({ ...proof, A: 0n }), BAD, 'pi-log.A');
    rejects(() => verify({ ...proof, A: N2 }), BAD, 'pi-log.A');
    rejects(() => verify({ ...proof, A: pk.N }), BAD, 'pi-log.A');
    rejects(() => verify({ ...proof, A: (proof.A * 2n) % N2 }), BAD, 'pi-log.paillier');
    rejects(() => verify({ ...proof, S: 0n }), BAD, 'pi-log.S');
    rejects(() => verify({ ...proof, S: Nhat }), BAD, 'pi-log.S');
    rejects(() => verify({ ...proof, S: (proof.S * 4n) % Nhat }), BAD, 'pi-log.paillier');
    rejects(() => verify({ ...proof, D: 0n }), BAD, 'pi-log.D');
    rejects(() => verify({ ...proof, D: verifierRp.p }), BAD, 'pi-log.D');
    rejects(() => verify({ ...proof, D: (proof.D * 4n) % Nhat }), BAD, 'pi-log.paillier');
    rejects(() => verify({ ...proof, Y: Point.ZERO }), BAD, 'pi-log.Y');
    rejects(() => verify({ ...proof, Y: proof.Y.add(G) }), BAD, 'pi-log.paillier');
    rejects(() => verify({ ...proof, z1: proof.z1 + 1n }), BAD, 'pi-log.paillier');
    rejects(() => verify({ ...proof, z1: 2n ** BigInt(ELL + EPSILON) + 1n }), BAD, 'pi-log.z1-range');
    rejects(() => verify({ ...proof, z2: 0n }), BAD, 'pi-log.z2');
    rejects(() => verify({ ...proof, z2: pk.N }), BAD, 'pi-log.z2');
    rejects(() => verify({ ...proof, z2: paillier.p }), BAD, 'pi-log.z2');
    rejects(() => verify({ ...proof, z2: (proof.z2 * 2n) % pk.N }), BAD, 'pi-log.paillier');
    rejects(() => verify({ ...proof, z3: proof.z3 + 1n }), BAD, 'pi-log.ring-pedersen');
    rejects(() => verify({ ...proof, z3: 2n ** BigInt(ELL + EPSILON + 1) * Nhat + 1n }), BAD, 'pi-log.z3-range');
  });

  it('rejects a proof made for another X1 (group equation) or another c_key', () => {
    const otherX = { ...statement, X: statement.X.add(G) };
    // The prover knows x for c but claims X + G: Paillier and ring-Pedersen hold, the group one does not.
    const forX = proveKeyCiphertext(arith, ctx, otherX, { x, rho }, verifierRp.params);
    rejects(() => verify(forX, otherX), BAD, 'pi-log.group');
    rejects(() => verify(forX), BAD);
    const other = encrypt(arith, pk, x + 1n);
    rejects(() => verify(proof, { ...statement, c: other.c }), BAD);
    const forC = proveKeyCiphertext(arith, ctx, { ...statement, c: other.c }, { x, rho: other.r }, verifierRp.params);
    rejects(() => verify(forC, { ...statement, c: other.c }), BAD, 'pi-log.paillier');
  });

  it('rejects a proof made under parameters the prover chose instead of the verifier’s', () => {
    const underProver = proveKeyCiphertext(arith, ctx, statement, { x, rho }, proverRp.params);
    verifyKeyCiphertext(arith, ctx, statement, proverRp.params, underProver); // valid only there
    rejects(() => verify(underProver), BAD);
  });

  it('rejects another session, another prover id and an invalid ciphertext', () => {
    rejects(() => verify(proof, statement, verifierRp.params, { ...ctx, sessionId: 'cd'.repeat(32) }), BAD);
    rejects(() => verify(proof, statement, verifierRp.params, { ...ctx, prover: 2 }), BAD);
    rejects(() => verify(proof, { ...statement, c: 0n }), 'MPC_PAILLIER_CIPHERTEXT_INVALID', 'ciphertext.range');
    rejects(() => verify(proof, { ...statement, c: pk.N }), 'MPC_PAILLIER_CIPHERTEXT_INVALID', 'ciphertext.coprime');
  });

  it('decoding refuses malformed fields and invalid points', () => {
    const wire = encodeKeyCiphertextProof(proof);
    rejects(() => decodeKeyCiphertextProof({ ...wire, A: '0xzz' }), 'MPC_INVALID_MESSAGE');
    rejects(() => decodeKeyCiphertextProof({ ...wire, extra: '1' }), 'MPC_INVALID_MESSAGE');
    rejects(() => decodeKeyCiphertextProof({ ...wire, Y: `02${'ff'.repeat(32)}` }), 'MPC_INVALID_POINT');
    rejects(() => decodeKeyCiphertextProof({ ...wire, Y: pointToHex(G).replace(/^0[23]/, '05') }), 'MPC_INVALID_POINT');
  });
});
