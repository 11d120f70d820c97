/**
 * Standard BIP-32 non-hardened derivation for a threshold key (BIP-32 "Public parent key → public
 * child key", CKDpub): I = HMAC-SHA512(key = c_par, data = serP(K_par) ‖ ser32(i)), K_i = K_par +
 * I_L·G, c_i = I_R. Unlike OKX's variant (research notes §1.3) this is plain BIP-32, so the xprv
 * the emergency escape rebuilds derives the same children in any wallet. Along a path the child
 * private key is x + δ with δ = Σ I_L mod q, which depends only on public data (PK, chain code,
 * path). Signing uses additive shares x = x_1 + x_2 (x_i = λ_i·s_i), so exactly ONE of the two
 * signers adds δ: by convention the device (P2) signs with x_2 + δ, and the server (P1) keeps x_1
 * and recomputes δ and the child key itself from PK, chain code and path (tss-lib #76, #104: "the
 * leader adds δ"). Hardened indexes need the private key and are refused. Also: extended-key
 * serialisation (BIP-32 "Serialization format") with Base58Check.
 */
import { concatBytes } from '@custos/core';
import { hmac } from '@noble/hashes/hmac.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodePoint, encodePoint, modQ, mulG, type Point, pointToHex, q, wireHexToBytes } from './curve.js';
import { MpcError } from './errors.js';
import { bytesToBigint } from './transcript.js';

export const HARDENED_OFFSET = 0x80000000;
/** Mainnet version bytes (BIP-32): `xpub` and `xprv`. */
export const XPUB_VERSION = 0x0488b21e;
export const XPRV_VERSION = 0x0488ade4;
const MAX_DEPTH = 255;

export interface ExtendedPublicKey {
  /** Compressed point, hex (no `0x`). */
  readonly publicKey: string;
  /** 32 bytes, hex (no `0x`). */
  readonly chainCode: string;
  readonly depth: number;
  readonly parentFingerprint: number;
  readonly index: number;
}

export interface PublicDerivation {
  readonly key: ExtendedPublicKey;
  /** δ = Σ I_L mod q: the child private key is the parent's plus δ. */
  readonly tweak: bigint;
  readonly path: readonly number[];
}

function invalidPath(check: string, message: string, details: Record<string, string | number> = {}): MpcError {
  return new MpcError('MPC_INVALID_MESSAGE', check, message, { field: 'path', ...details });
}

/**
 * Parses `m/0/7` (or a list of indexes) into non-hardened indexes. Hardened steps (`0'`, `0h`, or
 * an index ≥ 2^31) throw MPC_INVALID_MESSAGE with check `derivation.hardened`.
 */
export function parseDerivationPath(path: string | readonly number[]): number[] {
  let indexes: number[];
  if (typeof path === 'string') {
    const parts = path.split('/');
    if (parts[0] !== 'm') throw invalidPath('derivation.path', 'a derivation path starts with "m"');
    indexes = parts.slice(1).map((part, i) => {
      if (/^\d+['hH]$/.test(part)) {
        throw invalidPath('derivation.hardened', 'hardened derivation needs the whole private key', { step: i });
      }
      if (!/^(0|[1-9]\d{0,9})$/.test(part))
        throw invalidPath('derivation.path', `path step ${i} is not an index`, { step: i });
      return Number(part);
    });
  } else {
    indexes = [...path];
  }
  if (indexes.length > MAX_DEPTH) throw invalidPath('derivation.path', `a path has at most ${MAX_DEPTH} steps`);
  indexes.forEach((index, i) => {
    if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) {
      throw invalidPath('derivation.path', `path step ${i} is not a 32-bit index`, { step: i });
    }
    if (index >= HARDENED_OFFSET) {
      throw invalidPath('derivation.hardened', 'hardened derivation needs the whole private key', { step: i });
    }
  });
  return indexes;
}

function ser32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** BIP-32 CKDpub for one non-hardened index: the I_L tweak, the child point and chain code. */
export function ckdPub(
  parent: Point,
  chainCode: Uint8Array,
  index: number,
): { tweak: bigint; child: Point; chainCode: Uint8Array } {
  const I = hmac(sha512, chainCode, concatBytes(encodePoint(parent), ser32(index)));
  const tweak = bytesToBigint(I.subarray(0, 32));
  // Probability below 2^-127; BIP-32 says to skip to the next index, which callers must choose.
  if (tweak >= q)
    throw new MpcError('MPC_INVALID_MESSAGE', 'derivation.invalid-child', `index ${index} gives no valid child`, {
      index,
    });
  const child = parent.add(mulG(tweak));
  if (child.is0())
    throw new MpcError('MPC_INVALID_MESSAGE', 'derivation.invalid-child', `index ${index} gives no valid child`, {
      index,
    });
  return { tweak, child, chainCode: I.slice(32) };
}

/** The first 4 bytes of HASH160(serP(K)) as an unsigned integer (BIP-32 key identifier). */
export function fingerprint(K: Point): number {
  const id = ripemd160(sha256(encodePoint(K)));
  return new DataView(id.buffer, id.byteOffset, 4).getUint32(0, false);
}

/** The depth-0 extended public key of a wallet: PK and the DKG chain code. */
export function masterExtendedPublicKey(publicKey: string, chainCode: string): ExtendedPublicKey {
  return {
    publicKey: pointToHex(decodePoint(publicKey, 'publicKey')),
    chainCode: bytesToHex(wireHexToBytes(chainCode, 'chainCode', 32)),
    depth: 0,
    parentFingerprint: 0,
    index: 0,
  };
}

/**
 * Derives along a non-hardened path from `parent` (a master key when only publicKey and chainCode
 * are given). Returns the child extended public key and the total tweak δ.
 */
export function derivePublic(
  parent: ExtendedPublicKey | { readonly publicKey: string; readonly chainCode: string },
  path: string | readonly number[],
): PublicDerivation {
  const indexes = parseDerivationPath(path);
  const start = 'depth' in parent ? parent : masterExtendedPublicKey(parent.publicKey, parent.chainCode);
  if (start.depth + indexes.length > MAX_DEPTH) throw invalidPath('derivation.path', `depth would exceed ${MAX_DEPTH}`);
  let K = decodePoint(start.publicKey, 'publicKey');
  let c = wireHexToBytes(start.chainCode, 'chainCode', 32);
  let tweak = 0n;
  let { parentFingerprint, index } = start;
  for (const i of indexes) {
    const step = ckdPub(K, c, i);
    parentFingerprint = fingerprint(K);
    index = i;
    tweak = modQ(tweak + step.tweak);
    K = step.child;
    c = step.chainCode;
  }
  return {
    key: {
      publicKey: pointToHex(K),
      chainCode: bytesToHex(c),
      depth: start.depth + indexes.length,
      parentFingerprint,
      index,
    },
    tweak,
    path: indexes,
  };
}

/** The device's child signing share: its additive share x_2 = λ_2·s_2 plus δ (the server adds nothing). */
export function tweakAdditiveShare(additiveShare: bigint, tweak: bigint): bigint {
  return modQ(additiveShare + tweak);
}

// ---------------------------------------------------------------------------------------------
// Serialisation: version ‖ depth ‖ parent fingerprint ‖ index ‖ chain code ‖ key data (78 bytes)

export interface DecodedExtendedKey {
  readonly version: number;
  readonly depth: number;
  readonly parentFingerprint: number;
  readonly index: number;
  readonly chainCode: Uint8Array;
  /** 33 bytes: serP(K) for a public key, 0x00 ‖ ser256(k) for a private key. */
  readonly keyData: Uint8Array;
}

export function serializeExtendedKey(key: DecodedExtendedKey): string {
  if (key.chainCode.length !== 32 || key.keyData.length !== 33) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'xkey.length', 'chain code must be 32 bytes and key data 33 bytes');
  }
  const head = new Uint8Array(13);
  const view = new DataView(head.buffer);
  view.setUint32(0, key.version, false);
  view.setUint8(4, key.depth);
  view.setUint32(5, key.parentFingerprint, false);
  view.setUint32(9, key.index, false);
  return base58checkEncode(concatBytes(head, key.chainCode, key.keyData));
}

export function serializeXpub(key: ExtendedPublicKey, version = XPUB_VERSION): string {
  return serializeExtendedKey({
    version,
    depth: key.depth,
    parentFingerprint: key.parentFingerprint,
    index: key.index,
    chainCode: wireHexToBytes(key.chainCode, 'chainCode', 32),
    keyData: encodePoint(decodePoint(key.publicKey, 'publicKey')),
  });
}

/** Decodes an xpub/xprv string (checksum and length checked; the key data is not interpreted). */
export function decodeExtendedKey(encoded: string): DecodedExtendedKey {
  const bytes = base58checkDecode(encoded);
  if (bytes.length !== 78) throw new MpcError('MPC_INVALID_MESSAGE', 'xkey.length', 'an extended key is 78 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    version: view.getUint32(0, false),
    depth: view.getUint8(4),
    parentFingerprint: view.getUint32(5, false),
    index: view.getUint32(9, false),
    chainCode: bytes.slice(13, 45),
    keyData: bytes.slice(45, 78),
  };
}

// ---------------------------------------------------------------------------------------------
// Base58Check (Bitcoin alphabet; 4-byte double-SHA-256 checksum)

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = bytesToBigint(bytes);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  return '1'.repeat(zeros) + out;
}

export function base58Decode(text: string): Uint8Array {
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  let n = 0n;
  for (const ch of text) {
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) throw new MpcError('MPC_INVALID_MESSAGE', 'base58.alphabet', 'not a Base58 string');
    n = n * 58n + BigInt(digit);
  }
  const body: number[] = [];
  while (n > 0n) {
    body.push(Number(n & 0xffn));
    n >>= 8n;
  }
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...body.reverse()]);
}

function checksum(payload: Uint8Array): Uint8Array {
  return sha256(sha256(payload)).slice(0, 4);
}

export function base58checkEncode(payload: Uint8Array): string {
  return base58Encode(concatBytes(payload, checksum(payload)));
}

export function base58checkDecode(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length > 200) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'base58.length', 'not a Base58Check string of a sensible length');
  }
  const bytes = base58Decode(text);
  if (bytes.length < 4) throw new MpcError('MPC_INVALID_MESSAGE', 'base58.length', 'too short for Base58Check');
  const payload = bytes.slice(0, -4);
  const sum = checksum(payload);
  if (!sum.every((b, i) => b === bytes[bytes.length - 4 + i])) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'base58.checksum', 'Base58Check checksum mismatch');
  }
  return payload;
}
