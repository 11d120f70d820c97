/**
 * The device's (P2's) proof that its Lindell17 signing ciphertext is well formed: a Π^aff-g variant
 * (CGGMP21, ePrint 2021/060, Fig. 15 "Paillier Affine Operation with Group Commitment in Range")
 * whose group elements live on base R2 = k2·G instead of G, as cb-mpc's ECDSA-2PC asks P2 to prove
 * its message (zk_ecdsa_sign_2pc_integer_commit; research notes §2.1, §2.3 "Signing aborts").
 *
 * Statement (the verifier P1 builds it from its own state): N, c_key, D, R2, U = r·G and
 * V = h·G + r·X2'. Witness: a, b' and ρ with D = c_key^a·(1+N)^b'·ρ^N mod N², a·R2 = U, b'·R2 = V.
 * In the protocol a = r·k2⁻¹ mod q and b' = k2⁻¹(h + r·x2') mod q + ρ_mask·q, so a ∈ [0, q) and
 * 0 ≤ b' < 2^SIGN_B_BITS. Setup: the VERIFIER's ring-Pedersen (Ñ_S, s, t), which the device
 * checked at pairing (Π^prm, Π^mod). First messages: A = c_key^α(1+N)^β r_A^N, Bx = α·R2,
 * By = β·R2, E = s^α t^γ, S = s^a t^m̂, F = s^β t^δ, T = s^b' t^μ; e ← ±q from a transcript of the
 * context, the whole statement, the parameters and every first message; responses z1 = α + e·a,
 * z2 = β + e·b', z3 = γ + e·m̂, z4 = δ + e·μ, w = r_A·ρ^e mod N. Ranges follow Fig. 15 with ℓ' = ℓ_b:
 * α ← ±2^(ℓ+ε), β ← ±2^(ℓ_b+ε), γ, δ ← ±2^(ℓ+ε)·Ñ, m̂, μ ← ±2^ℓ·Ñ (the t-exponents only need to
 * exceed Ñ·2^STAT to hide; z3, z4 still hide e·m̂, e·μ by a factor 2^(ε−ℓ)).
 *
 * Soundness (why a verified proof makes P1's decryption safe — the Lindell17 abort attack,
 * CVE-2023-33242, ePrint 2023/1234 §4): from two accepting transcripts the ring-Pedersen equations
 * (strong RSA in Ñ_S) give integers a = Δz1/Δe and b' = Δz2/Δe with |a| < 2^(ℓ+ε+1) and
 * |b'| < 2^(ℓ_b+ε+1), the Paillier equation gives D = Enc(a·x1 + b') under P1's own N, and the group
 * equations give a·R2 = U, b'·R2 = V. P1's x1 is its honest share in [0, q), so
 * |a·x1 + b'| < 2^(ℓ+ε+1)·q + 2^(ℓ_b+ε+1) < N/2 (asserted below at module load): no wrap-around
 * mod N, and P1's signed decryption returns exactly a·x1 + b'. With R2 = k2·G the group equations
 * say a·k2 ≡ r and b'·k2 ≡ h + r·x2' (mod q), so k2·dec ≡ h + r(x1 + x2') and s = k1⁻¹·dec is a
 * valid signature. Hence once the proof verifies, the final signature check cannot fail — its
 * outcome carries no information about x1, which is exactly what the abort attack needs.
 */
import type { Arithmetic } from '../arith/backend.js';
import {
  abs,
  type CrtModulus,
  gcd,
  hexToInt,
  intToHex,
  isUnit,
  mod,
  modPowCrt,
  powSigned,
  randomSigned,
  randomUnit,
} from '../arith/modular.js';
import { decodePoint, encodePoint, mul, mulPublic, type Point, pointToHex, q } from '../curve.js';
import { MpcError } from '../errors.js';
import { assertCiphertext, type PaillierPublicKey } from '../paillier.js';
import { ELL, EPSILON, PAILLIER_BITS, RING_PEDERSEN_BITS, STAT } from '../params.js';
import type { RingPedersenParams } from '../ring-pedersen.js';
import { Transcript } from '../transcript.js';
import { bindContext, expectRecord, type ProofContext } from './context.js';

/**
 * Bits of P2's mask ρ_mask in D = c_key^a·Enc(b + ρ_mask·q). Π^log* proves only that the integer
 * in c_key lies in ±2^(ℓ+ε), not in [0, q), so a·x1 may reach q·2^(ℓ+ε) ≈ 2^1024. Writing
 * a·x1 + b = t·q + u with |t| < 2^(ℓ+ε), the decrypted value u + (t + ρ_mask)·q hides t (hence a
 * and b) within statistical distance 2^(ℓ+ε)/2^SIGN_RHO_BITS = 2^-STAT. So ρ_mask ranges over
 * 2^(ℓ+ε+STAT) — unlike Lindell's ρ < q², which assumes x1 < q (research notes §1.9 item 5).
 */
export const SIGN_RHO_BITS = ELL + EPSILON + STAT;
/** ℓ_b: b' = b + ρ_mask·q < q + 2^SIGN_RHO_BITS·q < 2^(SIGN_RHO_BITS + 257). */
export const SIGN_B_BITS = SIGN_RHO_BITS + 257;

const TWO = 2n;
const RANGE_A = TWO ** BigInt(ELL + EPSILON);
const RANGE_B = TWO ** BigInt(SIGN_B_BITS + EPSILON);
/** N/2 for the smallest N accepted (N has exactly PAILLIER_BITS bits). */
const HALF_N_MIN = TWO ** BigInt(PAILLIER_BITS - 2);

// Module-load checks of the two no-wrap-around conditions argued above.
if (!(RANGE_A * q + q + TWO ** BigInt(SIGN_RHO_BITS) * q < HALF_N_MIN)) {
  throw new Error('pi-sign parameters: an honest device plaintext could wrap around N');
}
if (!(q + TWO ** BigInt(SIGN_RHO_BITS) * q <= TWO ** BigInt(SIGN_B_BITS))) {
  throw new Error('pi-sign parameters: ℓ_b does not bound b + ρ·q');
}
if (!(2n * RANGE_A * q + 2n * RANGE_B < HALF_N_MIN)) {
  throw new Error('pi-sign parameters: an extracted plaintext could wrap around N');
}

/** The message-independent part of the statement (known once the presignature exists). */
export interface SignProofSetup {
  readonly publicKey: PaillierPublicKey;
  readonly cKey: bigint;
  readonly R2: Point;
}

export interface SignProofStatement extends SignProofSetup {
  readonly D: bigint;
  /** r·G */
  readonly U: Point;
  /** h·G + r·X2' */
  readonly V: Point;
}

export interface SignProofWitness {
  readonly a: bigint;
  /** b' = b + ρ_mask·q, as an integer. */
  readonly b: bigint;
  /** The Paillier randomness of D. */
  readonly rho: bigint;
}

/** Everything of the prover that does not depend on the message: single use, secret. */
export interface SignProofPrecomputation {
  readonly alpha: bigint;
  readonly beta: bigint;
  readonly gamma: bigint;
  readonly delta: bigint;
  readonly mHat: bigint;
  readonly mu: bigint;
  readonly rA: bigint;
  readonly A: bigint;
  readonly Bx: Point;
  readonly By: Point;
  readonly E: bigint;
  readonly F: bigint;
  readonly S: bigint;
  /** t^μ mod Ñ (T = s^b'·t^μ once b' is known). */
  readonly tMu: bigint;
}

export interface SignProof {
  readonly A: bigint;
  readonly Bx: Point;
  readonly By: Point;
  readonly E: bigint;
  readonly S: bigint;
  readonly F: bigint;
  readonly T: bigint;
  readonly z1: bigint;
  readonly z2: bigint;
  readonly z3: bigint;
  readonly z4: bigint;
  readonly w: bigint;
}

export type SignProofJson = { readonly [K in keyof SignProof]: string };
export type SignProofPrecomputationJson = { readonly [K in keyof SignProofPrecomputation]: string };

/** Optional verifier trapdoors (P1 knows N's and Ñ_S's factors): same results, CRT speed. */
export interface SignProofTrapdoor {
  readonly paillier?: CrtModulus;
  readonly ringPedersen?: CrtModulus;
}

function rp(arith: Arithmetic, p: RingPedersenParams, x: bigint, r: bigint): bigint {
  return (powSigned(arith, p.s, x, p.N) * powSigned(arith, p.t, r, p.N)) % p.N;
}

/** The prover's message-independent work: every exponentiation except T and w. */
export function precomputeSignProof(
  arith: Arithmetic,
  setup: SignProofSetup,
  a: bigint,
  verifierParams: RingPedersenParams,
): SignProofPrecomputation {
  const { N, N2 } = setup.publicKey;
  const Nhat = verifierParams.N;
  const alpha = randomSigned(RANGE_A);
  const beta = randomSigned(RANGE_B);
  const gamma = randomSigned(RANGE_A * Nhat);
  const delta = randomSigned(RANGE_A * Nhat);
  const mHat = randomSigned(TWO ** BigInt(ELL) * Nhat);
  const mu = randomSigned(TWO ** BigInt(ELL) * Nhat);
  const rA = randomUnit(N);
  const A =
    (((powSigned(arith, setup.cKey, alpha, N2) * mod(1n + mod(beta, N) * N, N2)) % N2) * arith.modPow(rA, N, N2)) % N2;
  return {
    alpha,
    beta,
    gamma,
    delta,
    mHat,
    mu,
    rA,
    A,
    Bx: mul(setup.R2, alpha),
    By: mul(setup.R2, beta),
    E: rp(arith, verifierParams, alpha, gamma),
    F: rp(arith, verifierParams, beta, delta),
    S: rp(arith, verifierParams, a, mHat),
    tMu: powSigned(arith, verifierParams.t, mu, Nhat),
  };
}

function challenge(
  ctx: ProofContext,
  st: SignProofStatement,
  params: RingPedersenParams,
  m: Pick<SignProof, 'A' | 'Bx' | 'By' | 'E' | 'S' | 'F' | 'T'>,
): bigint {
  const t = new Transcript('lindell-sign/aff-g');
  bindContext(t, ctx);
  t.bigint('N', st.publicKey.N)
    .bigint('cKey', st.cKey)
    .bigint('D', st.D)
    .bytes('R2', encodePoint(st.R2))
    .bytes('U', encodePoint(st.U))
    .bytes('V', encodePoint(st.V))
    .bigint('Nhat', params.N)
    .bigint('s', params.s)
    .bigint('t', params.t)
    .bigint('A', m.A)
    .bytes('Bx', encodePoint(m.Bx))
    .bytes('By', encodePoint(m.By))
    .bigint('E', m.E)
    .bigint('S', m.S)
    .bigint('F', m.F)
    .bigint('T', m.T);
  return t.challengeSigned('e', q);
}

/**
 * Proves the statement under the verifier's parameters. `pre` is this signature's single-use
 * precomputation (from `precomputeSignProof` with the same setup and a); without it the
 * precomputation runs now.
 */
export function proveSign(
  arith: Arithmetic,
  ctx: ProofContext,
  statement: SignProofStatement,
  witness: SignProofWitness,
  verifierParams: RingPedersenParams,
  pre: SignProofPrecomputation = precomputeSignProof(arith, statement, witness.a, verifierParams),
): SignProof {
  const { N } = statement.publicKey;
  const Nhat = verifierParams.N;
  const T = (powSigned(arith, verifierParams.s, witness.b, Nhat) * pre.tMu) % Nhat;
  const first = { A: pre.A, Bx: pre.Bx, By: pre.By, E: pre.E, S: pre.S, F: pre.F, T };
  const e = challenge(ctx, statement, verifierParams, first);
  return {
    ...first,
    z1: pre.alpha + e * witness.a,
    z2: pre.beta + e * witness.b,
    z3: pre.gamma + e * pre.mHat,
    z4: pre.delta + e * pre.mu,
    w: (pre.rA * powSigned(arith, witness.rho, e, N)) % N,
  };
}

function fail(check: string, message: string): MpcError {
  return new MpcError('MPC_SIGN_PROOF_INVALID', `pi-sign.${check}`, message);
}

/**
 * Verifies the device's signing proof for the verifier's OWN statement (U and V computed from its
 * own R, digest, stored X2 and tweak) and parameters. Throws MPC_PAILLIER_CIPHERTEXT_INVALID when
 * c_key or D is not in Z*_{N²}; otherwise MPC_SIGN_PROOF_INVALID with check `pi-sign.A` (∉ Z*_{N²}),
 * `.E`/`.S`/`.F`/`.T` (∉ Z*_Ñ), `.w` (∉ Z*_N), `.Bx`/`.By` (identity), `.z1-range` (∉ ±2^(ℓ+ε)),
 * `.z2-range` (∉ ±2^(ℓ_b+ε)), `.z3-range`/`.z4-range` (above any honest response), `.paillier`,
 * `.group-a` (z1·R2 ≠ Bx + e·U), `.group-b` (z2·R2 ≠ By + e·V), `.ring-pedersen-a` (s^z1 t^z3 ≢
 * E·S^e) or `.ring-pedersen-b` (s^z2 t^z4 ≢ F·T^e).
 */
export function verifySign(
  arith: Arithmetic,
  ctx: ProofContext,
  statement: SignProofStatement,
  myParams: RingPedersenParams,
  proof: SignProof,
  trapdoor: SignProofTrapdoor = {},
): void {
  const { N, N2 } = statement.publicKey;
  const { N: Nhat, s, t } = myParams;
  assertCiphertext(statement.publicKey, statement.cKey, 'cKey');
  assertCiphertext(statement.publicKey, statement.D, 'D');
  const { A, Bx, By, E, S, F, T, z1, z2, z3, z4, w } = proof;
  // A unit mod N² is exactly a value coprime to N (same prime factors): the gcd runs on N.
  if (!(A > 0n && A < N2 && gcd(A, N) === 1n)) throw fail('A', 'A is not a unit mod N²');
  for (const [name, v] of [
    ['E', E],
    ['S', S],
    ['F', F],
    ['T', T],
  ] as const) {
    if (!isUnit(v, Nhat)) throw fail(name, `${name} is not a unit mod Ñ`);
  }
  if (!isUnit(w, N)) throw fail('w', 'w is not a unit mod N');
  if (Bx.is0()) throw fail('Bx', 'Bx is the identity');
  if (By.is0()) throw fail('By', 'By is the identity');
  if (abs(z1) > RANGE_A) throw fail('z1-range', 'z1 is outside ±2^(ℓ+ε)');
  if (abs(z2) > RANGE_B) throw fail('z2-range', 'z2 is outside ±2^(ℓ_b+ε)');
  if (abs(z3) > 2n * RANGE_A * Nhat) throw fail('z3-range', 'z3 exceeds any honest response');
  if (abs(z4) > 2n * RANGE_A * Nhat) throw fail('z4-range', 'z4 exceeds any honest response');

  const e = challenge(ctx, statement, myParams, proof);

  const pc = trapdoor.paillier;
  const powN2 = (b: bigint, x: bigint) => (pc ? modPowCrt(arith, b, x, pc) : powSigned(arith, b, x, N2));
  const left = (((powN2(statement.cKey, z1) * mod(1n + mod(z2, N) * N, N2)) % N2) * powN2(w, N)) % N2;
  if (left !== (A * powN2(statement.D, e)) % N2) throw fail('paillier', 'the Paillier equation does not hold');

  if (!mulPublic(statement.R2, z1).equals(Bx.add(mulPublic(statement.U, e)))) {
    throw fail('group-a', 'z1·R2 ≠ Bx + e·U');
  }
  if (!mulPublic(statement.R2, z2).equals(By.add(mulPublic(statement.V, e)))) {
    throw fail('group-b', 'z2·R2 ≠ By + e·V');
  }

  const rc = trapdoor.ringPedersen;
  const powN = (b: bigint, x: bigint) => (rc ? modPowCrt(arith, b, x, rc) : powSigned(arith, b, x, Nhat));
  if ((powN(s, z1) * powN(t, z3)) % Nhat !== (E * powN(S, e)) % Nhat) {
    throw fail('ring-pedersen-a', 's^z1·t^z3 ≢ E·S^e');
  }
  if ((powN(s, z2) * powN(t, z4)) % Nhat !== (F * powN(T, e)) % Nhat) {
    throw fail('ring-pedersen-b', 's^z2·t^z4 ≢ F·T^e');
  }
}

// ---------------------------------------------------------------------------------------------
// Codecs

const PROOF_FIELDS = ['A', 'Bx', 'By', 'E', 'S', 'F', 'T', 'z1', 'z2', 'z3', 'z4', 'w'] as const;
const PRE_FIELDS = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'mHat',
  'mu',
  'rA',
  'A',
  'Bx',
  'By',
  'E',
  'F',
  'S',
  'tMu',
] as const;

function encodeFields<K extends string>(o: Readonly<Record<K, bigint | Point>>, keys: readonly K[]): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const k of keys) {
    const v = o[k];
    out[k] = typeof v === 'bigint' ? intToHex(v) : pointToHex(v);
  }
  return out;
}

/** Field readers over an exact-key record. Size caps are loose (parsing cost only): ranges are verifier checks. */
function reader(value: unknown, field: string, keys: readonly string[]) {
  const r = expectRecord(value, field, keys);
  return {
    unsigned: (k: string) => hexToInt(r[k], `${field}.${k}`, { maxBits: 2 * PAILLIER_BITS }),
    signed: (k: string) =>
      hexToInt(r[k], `${field}.${k}`, { signed: true, maxBits: 2 * PAILLIER_BITS + RING_PEDERSEN_BITS }),
    point: (k: string) => decodePoint(r[k], `${field}.${k}`),
  };
}

export function encodeSignProof(p: SignProof): SignProofJson {
  return encodeFields(p, PROOF_FIELDS);
}

/** Decodes the wire form: loose size caps (MPC_INVALID_MESSAGE), points via decodePoint (MPC_INVALID_POINT). */
export function decodeSignProof(value: unknown, field = 'proof'): SignProof {
  const { unsigned, signed, point } = reader(value, field, PROOF_FIELDS);
  return {
    A: unsigned('A'),
    Bx: point('Bx'),
    By: point('By'),
    E: unsigned('E'),
    S: unsigned('S'),
    F: unsigned('F'),
    T: unsigned('T'),
    z1: signed('z1'),
    z2: signed('z2'),
    z3: signed('z3'),
    z4: signed('z4'),
    w: unsigned('w'),
  };
}

export function encodeSignPrecomputation(p: SignProofPrecomputation): SignProofPrecomputationJson {
  return encodeFields(p, PRE_FIELDS);
}

export function decodeSignPrecomputation(value: unknown, field = 'precomputation'): SignProofPrecomputation {
  const { unsigned, signed, point } = reader(value, field, PRE_FIELDS);
  return {
    alpha: signed('alpha'),
    beta: signed('beta'),
    gamma: signed('gamma'),
    delta: signed('delta'),
    mHat: signed('mHat'),
    mu: signed('mu'),
    rA: unsigned('rA'),
    A: unsigned('A'),
    Bx: point('Bx'),
    By: point('By'),
    E: unsigned('E'),
    F: unsigned('F'),
    S: unsigned('S'),
    tMu: unsigned('tMu'),
  };
}
