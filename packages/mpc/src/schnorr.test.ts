import { describe, expect, it } from 'vitest';
import { G, modQ, mulG, q, randomScalar } from './curve.js';
import { decodeSchnorrProof, encodeSchnorrProof, proveSchnorr, type SchnorrContext, verifySchnorr } from './schnorr.js';
import { mpcFailure } from './testing/errors.js';

const ctx: SchnorrContext = { domain: 'test/pok', sessionId: 'a'.repeat(64), prover: 1 };

function expectMpcError(fn: () => unknown, code: string, check: string): void {
  expect(mpcFailure(fn)).toEqual({ code, check });
}

describe('Schnorr proof of knowledge', () => {
  const x = randomScalar();
  const X = mulG(x);
  const proof = proveSchnorr(ctx, x);

  it('verifies, also after a wire round trip', () => {
    verifySchnorr(ctx, X, proof);
    const wire = JSON.parse(JSON.stringify(encodeSchnorrProof(proof)));
    verifySchnorr(ctx, X, decodeSchnorrProof(wire, 'proof'));
  });

  it('refuses a wrong response, statement, session, prover or domain', () => {
    const bad = 'MPC_SCHNORR_PROOF_INVALID';
    expectMpcError(() => verifySchnorr(ctx, X, { ...proof, z: modQ(proof.z + 1n) }), bad, 'schnorr.equation');
    expectMpcError(() => verifySchnorr(ctx, X, { ...proof, A: proof.A.add(G) }), bad, 'schnorr.equation');
    expectMpcError(() => verifySchnorr(ctx, X.add(G), proof), bad, 'schnorr.equation');
    expectMpcError(() => verifySchnorr({ ...ctx, sessionId: 'b'.repeat(64) }, X, proof), bad, 'schnorr.equation');
    expectMpcError(() => verifySchnorr({ ...ctx, prover: 2 }, X, proof), bad, 'schnorr.equation');
    expectMpcError(() => verifySchnorr({ ...ctx, domain: 'other' }, X, proof), bad, 'schnorr.equation');
  });

  it('refuses z outside [0, q) and the identity', () => {
    expectMpcError(
      () => verifySchnorr(ctx, X, { ...proof, z: proof.z + q }),
      'MPC_SCHNORR_PROOF_INVALID',
      'schnorr.z-range',
    );
    const zero = G.subtract(G);
    expectMpcError(() => verifySchnorr(ctx, zero, proof), 'MPC_SCHNORR_PROOF_INVALID', 'schnorr.identity');
    expectMpcError(() => verifySchnorr(ctx, X, { ...proof, A: zero }), 'MPC_SCHNORR_PROOF_INVALID', 'schnorr.identity');
  });

  it('decoding refuses off-curve points and malformed scalars', () => {
    const wire = encodeSchnorrProof(proof);
    // x = 5 has no point on secp256k1 (5³ + 7 = 132 is not a square mod p).
    const offCurve = `02${'0'.repeat(63)}5`;
    expectMpcError(() => decodeSchnorrProof({ ...wire, A: offCurve }, 'proof'), 'MPC_INVALID_POINT', 'point.on-curve');
    expectMpcError(
      () => decodeSchnorrProof({ ...wire, A: `04${wire.A.slice(2)}` }, 'proof'),
      'MPC_INVALID_POINT',
      'point.encoding',
    );
    expectMpcError(
      () => decodeSchnorrProof({ ...wire, z: wire.z.slice(0, 10) }, 'proof'),
      'MPC_INVALID_MESSAGE',
      'schnorr.shape',
    );
    expectMpcError(
      () => decodeSchnorrProof({ ...wire, z: wire.z.toUpperCase() }, 'proof'),
      'MPC_INVALID_MESSAGE',
      'schnorr.shape',
    );
    expectMpcError(() => decodeSchnorrProof(null, 'proof'), 'MPC_INVALID_MESSAGE', 'schnorr.shape');
  });
});
