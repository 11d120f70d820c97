/**
 * secp256k1 for the protocols, on @noble/curves. Every point that arrives from another party goes
 * through `decodePoint`: canonical compressed SEC1 encoding, on the curve, not the identity
 * (mpc-pitfalls "unvalidated-curve-point"). Scalars are reduced mod the group order n.
 */
import { bytesToHex, hexToBytes } from '@custos/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { MpcError } from './errors.js';
import { bytesToBigint } from './transcript.js';

export const Point = secp256k1.Point;
export type Point = InstanceType<typeof secp256k1.Point>;
/** The group order n (the paper's q). */
export const q: bigint = secp256k1.Point.Fn.ORDER;
export const G: Point = secp256k1.Point.BASE;

export function modQ(x: bigint): bigint {
  const r = x % q;
  return r < 0n ? r + q : r;
}

/** x·G for any integer x; the identity for x ≡ 0. */
export function mulG(x: bigint): Point {
  const s = modQ(x);
  return s === 0n ? Point.ZERO : G.multiply(s);
}

/** P·x for any integer x; the identity for x ≡ 0. Constant-time in x: use it for secrets. */
export function mul(P: Point, x: bigint): Point {
  const s = modQ(x);
  return s === 0n ? Point.ZERO : P.multiply(s);
}

/**
 * P·x where both P and x are public (a verifier's equation: proof responses, challenges,
 * commitments, Lagrange coefficients). Not constant-time — about 2.5× faster than `mul`; never
 * give it a secret scalar.
 */
export function mulPublic(P: Point, x: bigint): Point {
  const s = modQ(x);
  return s === 0n ? Point.ZERO : P.multiplyUnsafe(s);
}

export function encodePoint(P: Point): Uint8Array {
  return P.toBytes(true);
}

/** Wire form of a point: compressed SEC1 as lowercase hex without a 0x prefix. */
export function pointToHex(P: Point): string {
  return bytesToHex(encodePoint(P)).slice(2);
}

/** Bytes from wire hex; accepts lowercase hex with or without a 0x prefix. */
export function wireHexToBytes(value: unknown, field: string, length?: number): Uint8Array {
  const text = typeof value === 'string' && !value.startsWith('0x') ? `0x${value}` : value;
  return hexToBytes(text, field, length);
}

/**
 * Decodes a point received from another party. Refuses anything that is not 33 bytes of canonical
 * compressed SEC1, off the curve, or the identity. `field` names it in the error.
 */
export function decodePoint(value: unknown, field: string): Point {
  let bytes: Uint8Array;
  try {
    bytes = typeof value === 'string' ? wireHexToBytes(value, field, 33) : (value as Uint8Array);
  } catch (cause) {
    throw new MpcError(
      'MPC_INVALID_POINT',
      'point.encoding',
      `"${field}" is not a 33-byte compressed point`,
      { field },
      cause,
    );
  }
  if (!(bytes instanceof Uint8Array) || bytes.length !== 33 || (bytes[0] !== 2 && bytes[0] !== 3)) {
    throw new MpcError('MPC_INVALID_POINT', 'point.encoding', `"${field}" is not a 33-byte compressed point`, {
      field,
    });
  }
  let P: Point;
  try {
    P = Point.fromBytes(bytes);
    P.assertValidity();
  } catch (cause) {
    throw new MpcError(
      'MPC_INVALID_POINT',
      'point.on-curve',
      `"${field}" is not a point on secp256k1`,
      { field },
      cause,
    );
  }
  if (P.is0()) throw new MpcError('MPC_INVALID_POINT', 'point.identity', `"${field}" is the identity`, { field });
  return P;
}

/** A scalar in [1, q) from a hex string; refuses 0 and anything ≥ q. */
export function decodeScalar(value: unknown, field: string): bigint {
  const bytes = wireHexToBytes(value, field, 32);
  const x = bytesToBigint(bytes);
  if (x === 0n || x >= q) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'scalar.range', `"${field}" is not a scalar in [1, n)`, { field });
  }
  return x;
}

export function scalarToHex(x: bigint): string {
  return modQ(x).toString(16).padStart(64, '0');
}

/** A uniformly random scalar in [1, q) from the platform CSPRNG. */
export function randomScalar(): bigint {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(48));
    const x = bytesToBigint(bytes) % q;
    if (x !== 0n) return x;
  }
}
