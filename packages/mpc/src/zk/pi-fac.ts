/**
 * Π^fac: proof that a Paillier modulus N0 = pq has no small factor (both p, q > about
 * √N0·2^-(ℓ+ε)), CGGMP21 ePrint 2021/060 full version, App. C.5 / Fig. 28, made non-interactive
 * with Fiat–Shamir. The commitments use ring-Pedersen parameters (Ñ, s, t) SUPPLIED BY THE
 * VERIFIER, who passes its own parameters to `verifyFac` — never anything the prover chose (okx's
 * Π^fac reads them and ℓ, ε from the proof, research notes §1.9 item 2). With ℓ = ELL, ε = EPSILON:
 *   α, β ← ±2^(ℓ+ε)√N0;  μ, ν ← ±2^ℓ·Ñ;  σ ← ±2^ℓ·N0·Ñ;  r ← ±2^(ℓ+ε)·N0·Ñ;  x, y ← ±2^(ℓ+ε)·Ñ
 *   P = s^p t^μ,  Q = s^q t^ν,  A = s^α t^x,  B = s^β t^y,  T = Q^α t^r  (mod Ñ),  σ sent
 *   e ← ±q (secp256k1 order) from the transcript ('pi-fac', sid, prover, N0, Ñ, s, t, P..T, σ)
 *   z1 = α + ep,  z2 = β + eq,  w1 = x + eμ,  w2 = y + eν,  v = r + e(σ − νp)
 * Verifier, with R = s^N0 t^σ: s^z1 t^w1 ≡ A·P^e, s^z2 t^w2 ≡ B·Q^e, Q^z1 t^v ≡ T·R^e (mod Ñ), and
 * z1, z2 ∈ ±2^(ℓ+ε)√N0. The equations are evaluated with every negative exponent moved to the
 * other side (no inverses of prover values), and a verifier holding its trapdoor (the factors of Ñ)
 * reduces every exponent mod φ(Ñ) and works by CRT.
 */
import type { Arithmetic } from '../arith/backend.js';
import {
  bitLength,
  gcd,
  hexToInt,
  intToHex,
  isqrt,
  mod,
  modPowCrt,
  powSigned,
  randomSigned,
} from '../arith/modular.js';
import { q as CURVE_ORDER } from '../curve.js';
import { MpcError } from '../errors.js';
import { ELL, EPSILON, PAILLIER_BITS } from '../params.js';
import { assertRingPedersenParams, type RingPedersenParams, type RingPedersenSecret } from '../ring-pedersen.js';
import { Transcript } from '../transcript.js';
import { bindContext, expectRecord, type ProofContext } from './context.js';

export interface PiFacProof {
  readonly P: bigint;
  readonly Q: bigint;
  readonly A: bigint;
  readonly B: bigint;
  readonly T: bigint;
  readonly sigma: bigint;
  readonly z1: bigint;
  readonly z2: bigint;
  readonly w1: bigint;
  readonly w2: bigint;
  readonly v: bigint;
}

export type PiFacProofJson = { readonly [K in keyof PiFacProof]: string };

export interface PiFacWitness {
  readonly N: bigint;
  readonly p: bigint;
  readonly q: bigint;
}

const ELL_BIG = BigInt(ELL);
const ELL_EPS = BigInt(ELL + EPSILON);

/** 2^(ℓ+ε)·⌊√N0⌋, the bound on α, β and on the responses z1, z2. */
function sqrtBound(N0: bigint): bigint {
  return isqrt(N0) << ELL_EPS;
}

function challenge(
  ctx: ProofContext,
  N0: bigint,
  params: RingPedersenParams,
  first: Omit<PiFacProof, 'z1' | 'z2' | 'w1' | 'w2' | 'v'>,
): bigint {
  const transcript = bindContext(new Transcript('pi-fac'), ctx)
    .int('ell', ELL)
    .int('epsilon', EPSILON)
    .bigint('N0', N0)
    .bigint('N', params.N)
    .bigint('s', params.s)
    .bigint('t', params.t)
    .bigint('P', first.P)
    .bigint('Q', first.Q)
    .bigint('A', first.A)
    .bigint('B', first.B)
    .bigint('T', first.T)
    .bigint('sigma', first.sigma);
  return transcript.challengeSigned('e', CURVE_ORDER);
}

/** ∏ base^exp mod N for exponents ≥ 0 (each through the backend). */
function product(arith: Arithmetic, N: bigint, terms: readonly (readonly [bigint, bigint])[]): bigint {
  return terms.reduce((acc, [base, exp]) => (acc * arith.modPow(base, exp, N)) % N, 1n);
}

/**
 * Proves that N = p·q has no small factor, committing under the VERIFIER's ring-Pedersen
 * parameters, which the caller must already have accepted with `verifyPrm` (else s ∉ ⟨t⟩ could
 * leak p, research notes §1.9 item 3). The prover does not know Ñ's factors, so it works modulo Ñ.
 */
export function proveFac(
  arith: Arithmetic,
  ctx: ProofContext,
  witness: PiFacWitness,
  verifierParams: RingPedersenParams,
): PiFacProof {
  const { N: N0, p, q } = witness;
  if (p * q !== N0 || p <= 1n || q <= 1n) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'pi-fac.witness', 'Π^fac witness is not a factorization of N');
  }
  // The commitments P = s^p t^μ hide p only if s ∈ ⟨t⟩: the caller must have verified the
  // verifier's Π^prm for these parameters; the structural checks are repeated here.
  assertRingPedersenParams(verifierParams, { otherModulus: N0 });
  const { N, s, t } = verifierParams;
  // b1^e1 · b2^e2 mod Ñ. s, t (validated above) and our own Q are units: a negative exponent inverts.
  const pow2 = (b1: bigint, e1: bigint, b2: bigint, e2: bigint): bigint =>
    (powSigned(arith, b1, e1, N) * powSigned(arith, b2, e2, N)) % N;
  const alpha = randomSigned(sqrtBound(N0));
  const beta = randomSigned(sqrtBound(N0));
  const mu = randomSigned(N << ELL_BIG);
  const nu = randomSigned(N << ELL_BIG);
  const sigma = randomSigned((N0 * N) << ELL_BIG);
  const r = randomSigned((N0 * N) << ELL_EPS);
  const x = randomSigned(N << ELL_EPS);
  const y = randomSigned(N << ELL_EPS);
  const P = pow2(s, p, t, mu);
  const Q = pow2(s, q, t, nu);
  const A = pow2(s, alpha, t, x);
  const B = pow2(s, beta, t, y);
  const T = pow2(Q, alpha, t, r);
  const e = challenge(ctx, N0, verifierParams, { P, Q, A, B, T, sigma });
  return {
    P,
    Q,
    A,
    B,
    T,
    sigma,
    z1: alpha + e * p,
    z2: beta + e * q,
    w1: x + e * mu,
    w2: y + e * nu,
    v: r + e * (sigma - nu * p),
  };
}

function fail(check: string, message: string): MpcError {
  return new MpcError('MPC_PI_FAC_INVALID', `pi-fac.${check}`, message);
}

/**
 * Verifies Π^fac for the modulus N0 the verifier holds, under the verifier's OWN ring-Pedersen
 * parameters `myParams` (and, optionally, their trapdoor for CRT). Throws MPC_PI_FAC_INVALID with
 * checks `pi-fac.n-size`, `pi-fac.range`, `pi-fac.unit`, `pi-fac.z1-range`, `pi-fac.z2-range`,
 * `pi-fac.eq1`, `pi-fac.eq2`, `pi-fac.eq3`.
 */
export function verifyFac(
  arith: Arithmetic,
  ctx: ProofContext,
  N0: bigint,
  myParams: RingPedersenParams,
  proof: PiFacProof,
  trapdoor?: RingPedersenSecret,
): void {
  const { N, s, t } = myParams;
  if (trapdoor !== undefined && (trapdoor.params.N !== N || trapdoor.params.s !== s || trapdoor.params.t !== t)) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'pi-fac.trapdoor', 'trapdoor does not belong to these parameters');
  }
  if (bitLength(N0) !== PAILLIER_BITS || (N0 & 1n) === 0n)
    throw fail('n-size', `N0 must be an odd ${PAILLIER_BITS}-bit modulus`);
  const { P, Q, A, B, T, sigma, z1, z2, w1, w2, v } = proof;
  for (const value of [P, Q, A, B, T])
    if (value <= 0n || value >= N) throw fail('range', 'P, Q, A, B or T is not in [1, Ñ)');
  // Units, so moving a factor to the other side of an equation is an equivalence.
  for (const value of [P, Q, A, B, T])
    if (gcd(value, N) !== 1n) throw fail('unit', 'P, Q, A, B or T is not a unit mod Ñ');
  const bound = sqrtBound(N0);
  if (z1 < -bound || z1 > bound) throw fail('z1-range', 'z1 is outside ±2^(ℓ+ε)·√N0');
  if (z2 < -bound || z2 > bound) throw fail('z2-range', 'z2 is outside ±2^(ℓ+ε)·√N0');
  const e = challenge(ctx, N0, myParams, { P, Q, A, B, T, sigma });
  // Each equation as lhs ≡ rhs with terms (base, exponent); signed exponents are evaluated as
  // num/den with the negative part on the den side, then compared as lhs.num·rhs.den ≡ rhs.num·lhs.den.
  const side = (terms: readonly (readonly [bigint, bigint])[]): { num: bigint; den: bigint } => {
    if (trapdoor !== undefined) {
      // Every base is a unit: exponents reduce mod φ(Ñ), and CRT halves the work twice over.
      const num = terms.reduce(
        (acc, [b, x]) => (acc * modPowCrt(arith, b, mod(x, trapdoor.phi), trapdoor.crt)) % N,
        1n,
      );
      return { num, den: 1n };
    }
    const num = product(
      arith,
      N,
      terms.filter(([, x]) => x >= 0n),
    );
    const den = product(
      arith,
      N,
      terms.filter(([, x]) => x < 0n).map(([b, x]) => [b, -x] as const),
    );
    return { num, den };
  };
  const holds = (lhs: readonly (readonly [bigint, bigint])[], rhs: readonly (readonly [bigint, bigint])[]): boolean => {
    const l = side(lhs);
    const r = side(rhs);
    return (l.num * r.den) % N === (r.num * l.den) % N;
  };
  // s^z1 t^w1 ≡ A·P^e
  if (
    !holds(
      [
        [s, z1],
        [t, w1],
      ],
      [
        [A, 1n],
        [P, e],
      ],
    )
  )
    throw fail('eq1', 's^z1·t^w1 ≢ A·P^e (mod Ñ)');
  // s^z2 t^w2 ≡ B·Q^e
  if (
    !holds(
      [
        [s, z2],
        [t, w2],
      ],
      [
        [B, 1n],
        [Q, e],
      ],
    )
  )
    throw fail('eq2', 's^z2·t^w2 ≢ B·Q^e (mod Ñ)');
  // Q^z1 t^v ≡ T·R^e with R = s^N0 t^σ, i.e. Q^z1 · t^(v − σe) ≡ T · s^(N0·e)
  if (
    !holds(
      [
        [Q, z1],
        [t, v - sigma * e],
      ],
      [
        [T, 1n],
        [s, N0 * e],
      ],
    )
  )
    throw fail('eq3', 'Q^z1·t^v ≢ T·R^e (mod Ñ)');
}

// ---------------------------------------------------------------------------------------------
// JSON codec

const FIELDS = ['P', 'Q', 'A', 'B', 'T', 'sigma', 'z1', 'z2', 'w1', 'w2', 'v'] as const;
const SIGNED = new Set<string>(['sigma', 'z1', 'z2', 'w1', 'w2', 'v']);

export function encodeFacProof(proof: PiFacProof): PiFacProofJson {
  return Object.fromEntries(FIELDS.map((k) => [k, intToHex(proof[k])])) as PiFacProofJson;
}

/** Decodes a received Π^fac proof (MPC_INVALID_MESSAGE per field; magnitudes bounded to 8192 bits). */
export function decodeFacProof(value: unknown, field = 'piFac'): PiFacProof {
  const record = expectRecord(value, field, FIELDS);
  const get = (k: (typeof FIELDS)[number]): bigint =>
    hexToInt(record[k], `${field}.${k}`, { signed: SIGNED.has(k), maxBits: 8192 });
  return {
    P: get('P'),
    Q: get('Q'),
    A: get('A'),
    B: get('B'),
    T: get('T'),
    sigma: get('sigma'),
    z1: get('z1'),
    z2: get('z2'),
    w1: get('w1'),
    w2: get('w2'),
    v: get('v'),
  };
}
