/**
 * Π^log*: the Paillier ciphertext C = (1+N0)^x·ρ^N0 mod N0² encrypts the discrete logarithm x of
 * X = x·G, and x lies in ±2^(ℓ+ε) (CGGMP21, ePrint 2021/060, Fig. 25 "Knowledge of Exponent vs
 * Paillier Encryption", with the group generator g = G). In Lindell17 pairing the server (P1)
 * proves this about its key ciphertext c_key = Enc(x1) to the device, under the DEVICE's
 * ring-Pedersen parameters (Ñ, s, t): the ring-Pedersen commitments are what make the range claim
 * sound, so they must be parameters the prover cannot open in two ways. The verifier builds the
 * whole statement (N0, C, X) from its own state and takes ℓ, ε and the challenge space from
 * `params.ts`; nothing but the prover's messages and responses comes from the proof (the okx
 * threshold-lib gap of research notes §1.9 item 1). The challenge e ← ±q hashes the domain tag,
 * (sid, prover), the full statement, the generator, the parameters and every first message.
 */
import type { Arithmetic } from '../arith/backend.js';
import {
  abs,
  type CrtModulus,
  hexToInt,
  intToHex,
  isUnit,
  mod,
  modPowCrt,
  powSigned,
  randomSigned,
  randomUnit,
} from '../arith/modular.js';
import { decodePoint, encodePoint, G, mulG, mulPublic, type Point, pointToHex, q } from '../curve.js';
import { MpcError } from '../errors.js';
import { assertCiphertext, type PaillierPublicKey } from '../paillier.js';
import { ELL, EPSILON, PAILLIER_BITS, RING_PEDERSEN_BITS } from '../params.js';
import type { RingPedersenParams } from '../ring-pedersen.js';
import { Transcript } from '../transcript.js';
import { bindContext, expectRecord, type ProofContext } from './context.js';

/** The statement: the verifier's own copy of N0, C and X. */
export interface KeyCiphertextStatement {
  readonly publicKey: PaillierPublicKey;
  readonly c: bigint;
  readonly X: Point;
}

/** The prover's witness: C = (1+N0)^x·ρ^N0 and X = x·G. */
export interface KeyCiphertextWitness {
  readonly x: bigint;
  readonly rho: bigint;
}

export interface PiLogProof {
  readonly S: bigint;
  readonly A: bigint;
  readonly Y: Point;
  readonly D: bigint;
  readonly z1: bigint;
  readonly z2: bigint;
  readonly z3: bigint;
}

export interface PiLogProofJson {
  readonly S: string;
  readonly A: string;
  readonly Y: string;
  readonly D: string;
  readonly z1: string;
  readonly z2: string;
  readonly z3: string;
}

/** Optional verifier trapdoor: the factorization of its own Ñ (same results, faster). */
export interface PiLogTrapdoor {
  readonly ringPedersen?: CrtModulus;
}

const TWO = 2n;
/** 2^(ℓ+ε): the range x is proven to lie in, and z1's bound. */
const RANGE = TWO ** BigInt(ELL + EPSILON);

function challenge(
  ctx: ProofContext,
  st: KeyCiphertextStatement,
  rp: RingPedersenParams,
  S: bigint,
  A: bigint,
  Y: Point,
  D: bigint,
): bigint {
  const t = new Transcript('pi-log-star');
  bindContext(t, ctx);
  t.bigint('N0', st.publicKey.N)
    .bigint('C', st.c)
    .bytes('X', encodePoint(st.X))
    .bytes('g', encodePoint(G))
    .bigint('Nhat', rp.N)
    .bigint('s', rp.s)
    .bigint('t', rp.t)
    .bigint('S', S)
    .bigint('A', A)
    .bytes('Y', encodePoint(Y))
    .bigint('D', D);
  return t.challengeSigned('e', q);
}

/**
 * Proves (x, ρ) under the verifier's parameters `verifierParams` (which the caller has already
 * checked with assertRingPedersenParams, Π^prm and Π^mod). Fig. 25: α ← ±2^(ℓ+ε), μ ← ±2^ℓ·Ñ,
 * r ← Z*_N0, γ ← ±2^(ℓ+ε)·Ñ; S = s^x t^μ, A = (1+N0)^α r^N0, Y = α·G, D = s^α t^γ;
 * z1 = α + e·x, z2 = r·ρ^e mod N0, z3 = γ + e·μ.
 */
export function proveKeyCiphertext(
  arith: Arithmetic,
  ctx: ProofContext,
  statement: KeyCiphertextStatement,
  witness: KeyCiphertextWitness,
  verifierParams: RingPedersenParams,
): PiLogProof {
  const { N: N0, N2 } = statement.publicKey;
  const { N: Nhat, s, t } = verifierParams;
  const { x, rho } = witness;
  const alpha = randomSigned(RANGE);
  const muR = randomSigned(TWO ** BigInt(ELL) * Nhat);
  const r = randomUnit(N0);
  const gamma = randomSigned(RANGE * Nhat);
  const S = (powSigned(arith, s, x, Nhat) * powSigned(arith, t, muR, Nhat)) % Nhat;
  const A = (mod(1n + mod(alpha, N0) * N0, N2) * arith.modPow(r, N0, N2)) % N2;
  const Y = mulG(alpha);
  const D = (powSigned(arith, s, alpha, Nhat) * powSigned(arith, t, gamma, Nhat)) % Nhat;
  const e = challenge(ctx, statement, verifierParams, S, A, Y, D);
  return {
    S,
    A,
    Y,
    D,
    z1: alpha + e * x,
    z2: (r * powSigned(arith, rho, e, N0)) % N0,
    z3: gamma + e * muR,
  };
}

function fail(check: string, message: string): MpcError {
  return new MpcError('MPC_KEY_CIPHERTEXT_PROOF_INVALID', `pi-log.${check}`, message);
}

/**
 * Verifies Π^log* for the verifier's OWN statement and parameters. Throws
 * MPC_PAILLIER_CIPHERTEXT_INVALID if C itself is not in Z*_{N0²}, then
 * MPC_KEY_CIPHERTEXT_PROOF_INVALID with check `pi-log.A` (A ∉ Z*_{N0²}), `pi-log.S` / `pi-log.D`
 * (∉ Z*_Ñ), `pi-log.Y` (identity), `pi-log.z2` (∉ Z*_{N0}), `pi-log.z1-range` (z1 ∉ ±2^(ℓ+ε), the
 * range claim itself), `pi-log.z3-range` (|z3| > 2^(ℓ+ε+1)·Ñ, a size cap no honest proof reaches),
 * `pi-log.paillier` ((1+N0)^z1·z2^N0 ≢ A·C^e mod N0²), `pi-log.group` (z1·G ≠ Y + e·X) or
 * `pi-log.ring-pedersen` (s^z1·t^z3 ≢ D·S^e mod Ñ).
 */
export function verifyKeyCiphertext(
  arith: Arithmetic,
  ctx: ProofContext,
  statement: KeyCiphertextStatement,
  myParams: RingPedersenParams,
  proof: PiLogProof,
  trapdoor: PiLogTrapdoor = {},
): void {
  const { N: N0, N2 } = statement.publicKey;
  const { N: Nhat, s, t } = myParams;
  assertCiphertext(statement.publicKey, statement.c, 'c');
  const { S, A, Y, D, z1, z2, z3 } = proof;
  if (!isUnit(A, N2)) throw fail('A', 'A is not a unit mod N0²');
  if (!isUnit(S, Nhat)) throw fail('S', 'S is not a unit mod Ñ');
  if (!isUnit(D, Nhat)) throw fail('D', 'D is not a unit mod Ñ');
  if (Y.is0()) throw fail('Y', 'Y is the identity');
  if (!isUnit(z2, N0)) throw fail('z2', 'z2 is not a unit mod N0');
  if (abs(z1) > RANGE) throw fail('z1-range', 'z1 is outside ±2^(ℓ+ε): the plaintext is not proven in range');
  if (abs(z3) > 2n * RANGE * Nhat) throw fail('z3-range', 'z3 exceeds any honest response');

  const e = challenge(ctx, statement, myParams, S, A, Y, D);

  // (1+N0)^z1 = 1 + z1·N0 mod N0² (binomial theorem), so only z2^N0 and C^e are exponentiations.
  const left = (mod(1n + mod(z1, N0) * N0, N2) * arith.modPow(z2, N0, N2)) % N2;
  const right = (A * powSigned(arith, statement.c, e, N2)) % N2;
  if (left !== right) throw fail('paillier', 'the Paillier equation does not hold');

  if (!mulG(z1).equals(Y.add(mulPublic(statement.X, e)))) throw fail('group', 'z1·G ≠ Y + e·X');

  const crt = trapdoor.ringPedersen;
  const pow = (b: bigint, x: bigint) => (crt ? modPowCrt(arith, b, x, crt) : powSigned(arith, b, x, Nhat));
  if ((pow(s, z1) * pow(t, z3)) % Nhat !== (D * pow(S, e)) % Nhat) {
    throw fail('ring-pedersen', 'the ring-Pedersen equation does not hold');
  }
}

export function encodeKeyCiphertextProof(p: PiLogProof): PiLogProofJson {
  return {
    S: intToHex(p.S),
    A: intToHex(p.A),
    Y: pointToHex(p.Y),
    D: intToHex(p.D),
    z1: intToHex(p.z1),
    z2: intToHex(p.z2),
    z3: intToHex(p.z3),
  };
}

/**
 * Decodes the wire form; sizes are capped loosely here (MPC_INVALID_MESSAGE), Y goes through decodePoint
 * (MPC_INVALID_POINT); every range and unit check is the verifier's.
 */
export function decodeKeyCiphertextProof(value: unknown, field = 'piLog'): PiLogProof {
  const r = expectRecord(value, field, ['S', 'A', 'Y', 'D', 'z1', 'z2', 'z3']);
  const nhat = { maxBits: RING_PEDERSEN_BITS };
  // Signed responses get a generous cap (parsing cost only): the precise ranges are verifier checks.
  const wide = { signed: true, maxBits: 2 * PAILLIER_BITS };
  return {
    S: hexToInt(r.S, `${field}.S`, nhat),
    A: hexToInt(r.A, `${field}.A`, { maxBits: 2 * PAILLIER_BITS }),
    Y: decodePoint(r.Y, `${field}.Y`),
    D: hexToInt(r.D, `${field}.D`, nhat),
    z1: hexToInt(r.z1, `${field}.z1`, wide),
    z2: hexToInt(r.z2, `${field}.z2`, { maxBits: PAILLIER_BITS }),
    z3: hexToInt(r.z3, `${field}.z3`, wide),
  };
}
