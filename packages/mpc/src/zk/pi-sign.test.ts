import { describe, expect, it } from 'vitest';
import { createBigIntArithmetic } from '../arith/bigint.js';
import { mod, modInverse, randomBits } from '../arith/modular.js';
import { G, modQ, mul, mulG, Point, q, randomScalar } from '../curve.js';
import type { MpcError } from '../errors.js';
import { decrypt, encrypt } from '../paillier.js';
import { ELL, EPSILON, PAILLIER_BITS } from '../params.js';
import { caughtMpcError } from '../testing/errors.js';
import { testPaillierKey, testRingPedersen } from '../testing/fixtures.js';
import type { ProofContext } from './context.js';
import {
  decodeSignPrecomputation,
  decodeSignProof,
  encodeSignPrecomputation,
  encodeSignProof,
  precomputeSignProof,
  proveSign,
  SIGN_B_BITS,
  SIGN_RHO_BITS,
  type SignProof,
  type SignProofStatement,
  type SignProofWitness,
  verifySign,
} from './pi-sign.js';

const arith = createBigIntArithmetic();
const ctx: ProofContext = { sessionId: 'ef'.repeat(32), prover: 2 };
const paillier = testPaillierKey(2, 3);
const pk = paillier.publicKey;
const { N, N2 } = pk;
const serverRp = testRingPedersen(0, 1, arith);
const deviceRp = testRingPedersen(2, 3, arith);

const x1 = randomScalar();
const x2 = randomScalar();
const cKey = encrypt(arith, pk, x1).c;
const k2 = randomScalar();
const R2 = mulG(k2);
const r = randomScalar();
const h = randomScalar();
const a = modQ(r * modInverse(k2, q));
const b = modQ(modInverse(k2, q) * (h + r * x2)) + randomBits(SIGN_RHO_BITS) * q;

function ciphertext(aa: bigint, bb: bigint): { D: bigint; rho: bigint } {
  const enc = encrypt(arith, pk, bb);
  return { D: (arith.modPow(cKey, aa, N2) * enc.c) % N2, rho: enc.r };
}

const { D, rho } = ciphertext(a, b);
const statement: SignProofStatement = { publicKey: pk, cKey, R2, D, U: mulG(r), V: mulG(h).add(mul(mulG(x2), r)) };
const witness: SignProofWitness = { a, b, rho };
const proof = proveSign(arith, ctx, statement, witness, serverRp.params);
const trapdoor = { paillier: paillier.crtN2, ringPedersen: serverRp.crt };

function rejects(fn: () => unknown, code: string, check?: string): MpcError {
  const e = caughtMpcError(fn);
  expect(check === undefined ? e.code : { code: e.code, check: e.check }).toEqual(
    check === undefined ? code : { code, check },
  );
  return e;
}

const BAD = 'MPC_SIGN_PROOF_INVALID';
/** Both verifier paths (plain and CRT) must agree on every verdict. */
function verifyBoth(p: SignProof, st: SignProofStatement = statement): void {
  let plain: unknown = null;
  try {
    verifySign(arith, ctx, st, serverRp.params, p);
  } catch (error) {
    plain = error;
  }
  let crt: unknown = null;
  try {
    verifySign(arith, ctx, st, serverRp.params, p, trapdoor);
  } catch (error) {
    crt = error;
  }
  expect((crt as MpcError | null)?.check).toBe((plain as MpcError | null)?.check);
  if (plain !== null) throw plain;
}

describe('the device signing proof (Π^aff-g on base R2)', () => {
  it('the honest ciphertext decrypts to a·x1 + b′ with no wrap-around, and a·x1 + b′ ≡ k2⁻¹(h + r(x1 + x2))', () => {
    const m = decrypt(arith, paillier, D);
    expect(m).toBe(a * x1 + b);
    expect(modQ(m)).toBe(modQ(modInverse(k2, q) * (h + r * (x1 + x2))));
    expect(b < 2n ** BigInt(SIGN_B_BITS)).toBe(true);
    expect(SIGN_RHO_BITS).toBe(ELL + EPSILON + 80);
    expect(
      2n ** BigInt(ELL + EPSILON) * q + q + 2n ** BigInt(SIGN_RHO_BITS) * q < 2n ** BigInt(PAILLIER_BITS - 2),
    ).toBe(true);
  });

  it('accepts an honest proof, plain and with the CRT trapdoor, after a JSON round trip, and with a precomputation', () => {
    verifyBoth(proof);
    verifyBoth(decodeSignProof(JSON.parse(JSON.stringify(encodeSignProof(proof)))));
    const pre = precomputeSignProof(arith, statement, a, serverRp.params);
    const restored = decodeSignPrecomputation(JSON.parse(JSON.stringify(encodeSignPrecomputation(pre))));
    verifyBoth(proveSign(arith, ctx, statement, witness, serverRp.params, restored));
  });

  it('rejects each tampered equation with its own check, on both verifier paths', () => {
    rejects(() => verifyBoth({ ...proof, z1: proof.z1 + 1n }), BAD, 'pi-sign.paillier');
    rejects(() => verifyBoth({ ...proof, z2: proof.z2 + 1n }), BAD, 'pi-sign.paillier');
    rejects(() => verifyBoth({ ...proof, w: (proof.w * 2n) % N }), BAD, 'pi-sign.paillier');
    rejects(() => verifyBoth({ ...proof, z3: proof.z3 + 1n }), BAD, 'pi-sign.ring-pedersen-a');
    rejects(() => verifyBoth({ ...proof, z4: proof.z4 + 1n }), BAD, 'pi-sign.ring-pedersen-b');
    // Wrong U or V in the prover's statement: only the matching group equation fails.
    const wrongU = { ...statement, U: statement.U.add(G) };
    rejects(() => verifyBoth(proveSign(arith, ctx, wrongU, witness, serverRp.params), wrongU), BAD, 'pi-sign.group-a');
    const wrongV = { ...statement, V: statement.V.add(G) };
    rejects(() => verifyBoth(proveSign(arith, ctx, wrongV, witness, serverRp.params), wrongV), BAD, 'pi-sign.group-b');
    // Any first message changed: the challenge moves and the Paillier equation fails first.
    for (const field of ['A', 'E', 'S', 'F', 'T'] as const) {
      const m = field === 'A' ? N2 : serverRp.params.N;
      rejects(() => verifyBoth({ ...proof, [field]: (proof[field] * 4n) % m }), BAD, 'pi-sign.paillier');
    }
    rejects(() => verifyBoth({ ...proof, Bx: proof.Bx.add(G) }), BAD, 'pi-sign.paillier');
    rejects(() => verifyBoth({ ...proof, By: proof.By.add(G) }), BAD, 'pi-sign.paillier');
  });

  it('rejects out-of-range responses and non-units with their own checks', () => {
    const Nhat = serverRp.params.N;
    const capA = 2n ** BigInt(ELL + EPSILON);
    rejects(() => verifyBoth({ ...proof, z1: capA + 1n }), BAD, 'pi-sign.z1-range');
    rejects(() => verifyBoth({ ...proof, z1: -capA - 1n }), BAD, 'pi-sign.z1-range');
    rejects(() => verifyBoth({ ...proof, z2: 2n ** BigInt(SIGN_B_BITS + EPSILON) + 1n }), BAD, 'pi-sign.z2-range');
    rejects(() => verifyBoth({ ...proof, z3: 2n * capA * Nhat + 1n }), BAD, 'pi-sign.z3-range');
    rejects(() => verifyBoth({ ...proof, z4: -2n * capA * Nhat - 1n }), BAD, 'pi-sign.z4-range');
    rejects(() => verifyBoth({ ...proof, A: 0n }), BAD, 'pi-sign.A');
    rejects(() => verifyBoth({ ...proof, A: paillier.q * 5n }), BAD, 'pi-sign.A');
    rejects(() => verifyBoth({ ...proof, E: 0n }), BAD, 'pi-sign.E');
    rejects(() => verifyBoth({ ...proof, S: Nhat }), BAD, 'pi-sign.S');
    rejects(() => verifyBoth({ ...proof, F: serverRp.p }), BAD, 'pi-sign.F');
    rejects(() => verifyBoth({ ...proof, T: -1n }), BAD, 'pi-sign.T');
    rejects(() => verifyBoth({ ...proof, w: 0n }), BAD, 'pi-sign.w');
    rejects(() => verifyBoth({ ...proof, w: paillier.p }), BAD, 'pi-sign.w');
    rejects(() => verifyBoth({ ...proof, Bx: Point.ZERO }), BAD, 'pi-sign.Bx');
    rejects(() => verifyBoth({ ...proof, By: Point.ZERO }), BAD, 'pi-sign.By');
  });

  it('rejects D outside Z*_{N²} as an invalid ciphertext', () => {
    const inv = 'MPC_PAILLIER_CIPHERTEXT_INVALID';
    rejects(() => verifyBoth(proof, { ...statement, D: 0n }), inv, 'ciphertext.range');
    rejects(() => verifyBoth(proof, { ...statement, D: N2 }), inv, 'ciphertext.range');
    rejects(() => verifyBoth(proof, { ...statement, D: N * 7n }), inv, 'ciphertext.coprime');
  });

  it('rejects the Lindell17 abort-attack ciphertext (wrong b), with or without a proof made for it', () => {
    // D for b + 2^k (a bit probe on x1 would shift the plaintext like this), old proof.
    const shifted = (D * mod(1n + (1n << 200n) * N, N2)) % N2;
    rejects(() => verifyBoth(proof, { ...statement, D: shifted }), BAD, 'pi-sign.paillier');
    // A proof honestly computed for the shifted witness: the group equation on V catches it.
    const bad = ciphertext(a, b + (1n << 200n));
    const st = { ...statement, D: bad.D };
    const p = proveSign(arith, ctx, st, { a, b: b + (1n << 200n), rho: bad.rho }, serverRp.params);
    rejects(() => verifyBoth(p, st), BAD, 'pi-sign.group-b');
  });

  it('rejects another session, another prover id, and a proof under the device’s own parameters', () => {
    rejects(() => verifySign(arith, { ...ctx, sessionId: '01'.repeat(32) }, statement, serverRp.params, proof), BAD);
    rejects(() => verifySign(arith, { ...ctx, prover: 1 }, statement, serverRp.params, proof), BAD);
    const own = proveSign(arith, ctx, statement, witness, deviceRp.params);
    rejects(() => verifySign(arith, ctx, statement, serverRp.params, own), BAD);
  });

  it('decoding refuses malformed fields and invalid points', () => {
    const wire = encodeSignProof(proof);
    rejects(() => decodeSignProof({ ...wire, z1: '0x1' }), 'MPC_INVALID_MESSAGE');
    rejects(() => decodeSignProof({ ...wire, w: undefined }), 'MPC_INVALID_MESSAGE');
    rejects(() => decodeSignProof({ ...wire, Bx: `03${'00'.repeat(32)}` }), 'MPC_INVALID_POINT');
  });
});
