/**
 * The liabilities tree's byte encodings and hashes — one place, shared by the builder (node:crypto
 * SHA-256) and the verifier (@noble/hashes, in a browser), which inject their own SHA-256 and
 * HMAC. Every message starts with its own NUL-terminated domain tag, and every variable-length
 * field carries its length, so no two different inputs — of one kind or across kinds — encode to
 * the same bytes:
 *
 *   salt      = HMAC-SHA256(saltSecret, u32(len roundId) ‖ roundId ‖ u32(len userId) ‖ userId)
 *   userHash  = SHA-256("custos-por-v1/user\0" ‖ salt[32] ‖ u32(len userId) ‖ userId)
 *   leaf      = SHA-256("custos-por-v1/leaf\0" ‖ u32(len roundId) ‖ roundId ‖ userHash[32] ‖ u16(A) ‖ A × u64(balance))
 *   padding   = SHA-256("custos-por-v1/pad\0"  ‖ u32(len roundId) ‖ roundId ‖ u8(height) ‖ u64(index))
 *   node      = SHA-256("custos-por-v1/node\0" ‖ u8(height) ‖ u16(A) ‖ left.hash ‖ A × u96(left.sum) ‖ right.hash ‖ A × u96(right.sum))
 *
 * Integers are big-endian and unsigned; strings UTF-8; A is the number of assets; a leaf is at
 * height 0 and a node's height is its children's plus one. A node binds both children's hashes
 * *and* both children's per-asset sums, so a prover cannot show one user a sibling sum that the
 * tree does not hold (the Hu–Zhang–Guo under-reporting attack on sum trees that hash only the
 * parent's total). Balances are below 2^64 units and every sum below 2^96, so sums never wrap.
 */

/** Balances are u64 units. */
export const MAX_BALANCE = (1n << 64n) - 1n;
/** Every per-asset sum (and so every total) is below 2^96. */
export const MAX_SUM = (1n << 96n) - 1n;
/** Bytes of a stored or hashed per-asset sum. */
export const SUM_BYTES = 12;
export const HASH_BYTES = 32;
/** The most assets a round can declare (u16 in the encoding; far more than any exchange lists). */
export const MAX_ASSETS = 1024;

export type Sha256 = (data: Uint8Array) => Uint8Array;
export type HmacSha256 = (key: Uint8Array, data: Uint8Array) => Uint8Array;

const encoder = new TextEncoder();
const TAG = {
  user: encoder.encode('custos-por-v1/user\0'),
  leaf: encoder.encode('custos-por-v1/leaf\0'),
  pad: encoder.encode('custos-por-v1/pad\0'),
  node: encoder.encode('custos-por-v1/node\0'),
} as const;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function u16(n: number): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, n);
  return out;
}

/** An unsigned integer as `bytes` big-endian bytes (it must fit). */
export function uintBytes(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n || value < 0n) throw new RangeError(`${value} does not fit in ${bytes} bytes`);
  return out;
}

/** The big-endian unsigned integer in `bytes`. */
export function bytesToUint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

const lengthPrefixed = (text: string): Uint8Array => {
  const bytes = encoder.encode(text);
  return concat([u32(bytes.length), bytes]);
};

export function saltMessage(roundId: string, userId: string): Uint8Array {
  return concat([lengthPrefixed(roundId), lengthPrefixed(userId)]);
}

export function userHashMessage(salt: Uint8Array, userId: string): Uint8Array {
  if (salt.length !== HASH_BYTES) throw new RangeError('a salt is 32 bytes');
  return concat([TAG.user, salt, lengthPrefixed(userId)]);
}

export function leafMessage(roundId: string, userHash: Uint8Array, balances: readonly bigint[]): Uint8Array {
  if (userHash.length !== HASH_BYTES) throw new RangeError('a user hash is 32 bytes');
  return concat([
    TAG.leaf,
    lengthPrefixed(roundId),
    userHash,
    u16(balances.length),
    ...balances.map((b) => uintBytes(b, 8)),
  ]);
}

export function paddingMessage(roundId: string, height: number, index: bigint): Uint8Array {
  return concat([TAG.pad, lengthPrefixed(roundId), new Uint8Array([height]), uintBytes(index, 8)]);
}

export interface NodeView {
  hash: Uint8Array;
  /** Per-asset sums, in the round's asset order. */
  sums: readonly bigint[];
}

export function nodeMessage(height: number, left: NodeView, right: NodeView): Uint8Array {
  const a = left.sums.length;
  if (right.sums.length !== a) throw new RangeError('both children carry one sum per asset');
  return concat([
    TAG.node,
    new Uint8Array([height]),
    u16(a),
    left.hash,
    ...left.sums.map((s) => uintBytes(s, SUM_BYTES)),
    right.hash,
    ...right.sums.map((s) => uintBytes(s, SUM_BYTES)),
  ]);
}

/** The tags, for the builder's allocation-free encoders (which must write the same bytes). */
export const DOMAIN_TAGS = TAG;
