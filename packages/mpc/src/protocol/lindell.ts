/**
 * Shared math of Lindell's two-party ECDSA (Y. Lindell, "Fast Secure Two-Party ECDSA Signing",
 * ePrint 2017/552, Protocol 3.3; J. Cryptology 34, 2021) in the additive-share form: the server
 * (P1, Paillier holder) and the device (P2) turn their Shamir shares of the 2-of-3 key into
 * additive shares x1 = λ1·s1, x2 = λ2·s2 with the Lagrange coefficients at 0 for the pair {1, 2}
 * (λ1 = 2, λ2 = −1), so x1 + x2 = x and X1 + X2 = PK. Also here: the BIP-32 tweak on the public side,
 * the digest-to-scalar map (SEC 1 §4.1.3), and the last signing step (low-s per BIP-62/EIP-2, the
 * recovery id, and verification against PK with @noble/curves before anything is output).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { encodePoint, modQ, mulG, mulPublic, type Point, q } from '../curve.js';
import { MpcError } from '../errors.js';
import { lagrangeCoefficient } from '../shamir.js';
import { bytesToBigint } from '../transcript.js';

/** The signing pair: the server (P1) and the device (P2). */
export const SIGNERS = [1, 2] as const;

/** x1 = λ1·s1 (server) or x2 = λ2·s2 (device), mod q. */
export function additiveShare(party: 1 | 2, share: bigint): bigint {
  return modQ(lagrangeCoefficient(party, SIGNERS) * share);
}

/** X1 = λ1·S1 or X2 = λ2·S2. */
export function additivePoint(party: 1 | 2, sharePoint: Point): Point {
  return mulPublic(sharePoint, lagrangeCoefficient(party, SIGNERS));
}

/**
 * The additive public points from the DKG output, checked: X1 + X2 must equal PK, else
 * MPC_KEY_MISMATCH (`pair.public-key`) — the two share points do not belong to this key.
 */
export function additivePoints(S1: Point, S2: Point, publicKey: Point): { X1: Point; X2: Point } {
  const X1 = additivePoint(1, S1);
  const X2 = additivePoint(2, S2);
  const sum = X1.add(X2);
  if (sum.is0() || !sum.equals(publicKey)) {
    throw new MpcError('MPC_KEY_MISMATCH', 'pair.public-key', 'λ1·S1 + λ2·S2 is not the public key');
  }
  return { X1, X2 };
}

/** P + δ·G, the public side of a BIP-32 non-hardened tweak δ; refuses an identity result. */
export function tweakPoint(P: Point, tweak: bigint): Point {
  const T = mulG(tweak);
  const out = T.is0() ? P : P.add(T);
  if (out.is0()) throw new MpcError('MPC_INVALID_POINT', 'tweak.identity', 'the tweaked key is the identity');
  return out;
}

/** Validates a tweak: an integer in [0, q). */
export function assertTweak(tweak: bigint): void {
  if (typeof tweak !== 'bigint' || tweak < 0n || tweak >= q) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'tweak.range', 'a tweak must be an integer in [0, n)', {
      field: 'tweak',
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Signature output

/** h = bits2int(digest) mod q for a 32-byte digest (SEC 1 §4.1.3 step 5; 256-bit n needs no shift). */
export function digestToScalar(digest: Uint8Array): bigint {
  if (!(digest instanceof Uint8Array) || digest.length !== 32) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'digest.length', 'the message digest must be 32 bytes', {
      field: 'digest',
    });
  }
  return modQ(bytesToBigint(digest));
}

/** r = R.x mod q; refuses r = 0 (probability 2^-256 for honest nonces). */
export function signatureR(R: Point): bigint {
  const r = modQ(R.toAffine().x);
  if (r === 0n) throw new MpcError('MPC_INVALID_POINT', 'sign.r-zero', 'the joint nonce gives r = 0');
  return r;
}

export interface EcdsaSignature {
  /** 32-byte big-endian r and s, `0x`-prefixed (viem's spelling). */
  readonly r: `0x${string}`;
  readonly s: `0x${string}`;
  /** (R.y odd) XOR (s was flipped to low-s), plus 2 when R.x ≥ q. EVM `yParity` is `recovery & 1`. */
  readonly recovery: 0 | 1 | 2 | 3;
}

function hex32(x: bigint): `0x${string}` {
  return `0x${x.toString(16).padStart(64, '0')}`;
}

/**
 * s = k1⁻¹·m mod q, normalised to low-s, with the recovery id, verified with @noble/curves against
 * `publicKey` (the tweaked key when a tweak is in use). A failure here after a verified proof
 * would mean the proof system is broken; it is MPC_SIGNATURE_INVALID all the same.
 */
export function finishSignature(R: Point, sPrime: bigint, digest: Uint8Array, publicKey: Point): EcdsaSignature {
  const r = signatureR(R);
  let s = modQ(sPrime);
  if (s === 0n) throw new MpcError('MPC_SIGNATURE_INVALID', 'signature.s-zero', 'the joint signature has s = 0');
  const flipped = s > q >> 1n;
  if (flipped) s = q - s;
  const { x, y } = R.toAffine();
  const recovery = ((Number(y & 1n) ^ (flipped ? 1 : 0)) | (x >= q ? 2 : 0)) as 0 | 1 | 2 | 3;
  const compact = new Uint8Array(64);
  compact.set(secp256k1.Point.Fn.toBytes(r), 0);
  compact.set(secp256k1.Point.Fn.toBytes(s), 32);
  let valid = false;
  try {
    valid = secp256k1.verify(compact, digest, encodePoint(publicKey), {
      prehash: false,
      lowS: true,
      format: 'compact',
    });
  } catch (cause) {
    throw new MpcError('MPC_SIGNATURE_INVALID', 'signature.verify', 'the joint signature does not verify', {}, cause);
  }
  if (!valid) throw new MpcError('MPC_SIGNATURE_INVALID', 'signature.verify', 'the joint signature does not verify');
  return { r: hex32(r), s: hex32(s), recovery };
}

// ---------------------------------------------------------------------------------------------
// Decoding helpers shared by the round functions (stored states and received payloads).

const SCALAR_RE = /^[0-9a-f]{64}$/;

/** A scalar stored as `scalarToHex` (64 lowercase hex digits, no prefix), in [0, q). */
export function decodeScalarHex(value: unknown, field: string): bigint {
  if (typeof value !== 'string' || !SCALAR_RE.test(value) || BigInt(`0x${value}`) >= q) {
    throw new MpcError(
      'MPC_INVALID_MESSAGE',
      'encoding.scalar',
      `"${field}" expected a 32-byte lowercase hex scalar below n`,
      { field },
    );
  }
  return BigInt(`0x${value}`);
}

const HEX32_RE = /^[0-9a-f]{64}$/;

/** 32 bytes as 64 lowercase hex digits (nonce contributions, commitments, openings). */
export function decodeHex32(value: unknown, field: string): string {
  if (typeof value !== 'string' || !HEX32_RE.test(value)) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'encoding.bytes32', `"${field}" expected 32 bytes of lowercase hex`, {
      field,
    });
  }
  return value;
}

/**
 * Refuses a state that is not in the phase a round function expects: a message for a round that
 * already ran (a replay) meets a state that has moved on. MPC_MESSAGE_REPLAYED, check `state.phase`.
 */
export function assertPhase(state: { readonly phase?: unknown } | null | undefined, phase: string): void {
  if (state?.phase !== phase) {
    throw new MpcError('MPC_MESSAGE_REPLAYED', 'state.phase', `expected a state in phase ${phase}`, {
      expected: phase,
      got: typeof state?.phase === 'string' ? state.phase : 'none',
    });
  }
}
