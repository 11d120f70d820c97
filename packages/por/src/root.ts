/**
 * The signed root file of a round (`root.json`, `por-root/v1`): round id, snapshot time, assets
 * and their scales, the tree's height and root hash, the per-asset totals, the Ed25519 public key
 * and the signature. The signature (RFC 8032 Ed25519) is over the UTF-8 bytes of
 * `custos-por-v1/root\0` followed by the canonical JSON of every other field (keys sorted at
 * every level, no whitespace), so any change to any field — or a root re-signed under another key
 * when the verifier pins the exchange's key — is caught. Pure: runs in a browser.
 */
import { BaseError } from '@custos/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

export const ROOT_VERSION = 'por-root/v1';
const ROOT_TAG = 'custos-por-v1/root\0';
/**
 * Largest accepted scale: a balance is below 2^64 units, so at scale s no balance exceeds
 * 1.8·10^(19−s) whole tokens (see snapshot.ts and the README's table).
 */
export const MAX_SCALE = 12;

export interface AssetSpec {
  symbol: string;
  /** Decimal places of one unit (0–MAX_SCALE). */
  scale: number;
}

export interface RootFile {
  version: typeof ROOT_VERSION;
  roundId: string;
  /** ISO-8601 UTC time of the liabilities snapshot. */
  snapshotTime: string;
  assets: AssetSpec[];
  /** Levels above the leaves: a proof has this many siblings. */
  height: number;
  /** Hex SHA-256 of the root node. */
  rootHash: string;
  /** Per-asset totals, decimal strings at each asset's scale, in asset order. */
  totals: string[];
  /** Hex Ed25519 public key (32 bytes). */
  publicKey: string;
  /** Hex Ed25519 signature (64 bytes). */
  signature: string;
}

/** JSON with object keys sorted at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The bytes the signature covers. */
export function rootSigningBytes(root: Omit<RootFile, 'signature'> & { signature?: string }): Uint8Array {
  const { signature: _ignored, ...unsigned } = root;
  return new TextEncoder().encode(ROOT_TAG + canonicalJson(unsigned));
}

/** Signs a root with a 32-byte Ed25519 seed; the public key is derived and included. */
export function signRoot(unsigned: Omit<RootFile, 'signature' | 'publicKey'>, seed: Uint8Array): RootFile {
  if (seed.length !== 32) throw new BaseError('POR_INVALID_INPUT', 'an Ed25519 signing seed is 32 bytes');
  const publicKey = bytesToHex(ed25519.getPublicKey(seed));
  const withKey = { ...unsigned, publicKey };
  const signature = bytesToHex(ed25519.sign(rootSigningBytes(withKey), seed));
  return { ...withKey, signature };
}

/** A short, comparable name for a public key: the first 16 hex digits of its SHA-256. */
export function keyFingerprint(publicKeyHex: string): string {
  return bytesToHex(sha256(hexToBytes(publicKeyHex))).slice(0, 16);
}

function fail(reason: string, message: string, details: Record<string, string | number | boolean | null> = {}): never {
  throw new BaseError('POR_PROOF_INVALID', message, { details: { reason, ...details } });
}

const HEX = (bytes: number) => new RegExp(`^[0-9a-f]{${bytes * 2}}$`);

/** Checks a root file's shape; answers it typed. */
export function parseRootFile(value: unknown): RootFile {
  const r = value as Partial<RootFile> | null;
  const bad = (field: string): never =>
    fail('malformed-root', `the root file's "${field}" is missing or malformed`, { field });
  if (r === null || typeof r !== 'object') return bad('root');
  if (r.version !== ROOT_VERSION) fail('version', `unsupported root file version ${String(r.version)}`);
  if (typeof r.roundId !== 'string' || r.roundId.length === 0 || r.roundId.length > 128) bad('roundId');
  if (typeof r.snapshotTime !== 'string' || Number.isNaN(Date.parse(r.snapshotTime))) bad('snapshotTime');
  if (!Array.isArray(r.assets) || r.assets.length === 0) bad('assets');
  const symbols = new Set<string>();
  for (const a of r.assets as unknown[]) {
    const asset = a as Partial<AssetSpec>;
    if (typeof asset?.symbol !== 'string' || asset.symbol.length === 0) bad('assets');
    const { symbol, scale } = asset as { symbol: string; scale: unknown };
    if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
      fail('malformed-root', `the root file's asset ${JSON.stringify(symbol)} has no integer scale 0–${MAX_SCALE}`, {
        field: 'assets',
      });
    }
    if (symbols.has(symbol))
      fail('malformed-root', `the root file's asset ${JSON.stringify(symbol)} appears twice`, { field: 'assets' });
    symbols.add(symbol);
  }
  if (!Number.isInteger(r.height) || (r.height as number) < 0 || (r.height as number) > 64) bad('height');
  if (typeof r.rootHash !== 'string' || !HEX(32).test(r.rootHash)) bad('rootHash');
  if (!Array.isArray(r.totals) || r.totals.length !== (r.assets as unknown[]).length) bad('totals');
  if (typeof r.publicKey !== 'string' || !HEX(32).test(r.publicKey)) bad('publicKey');
  if (typeof r.signature !== 'string' || !HEX(64).test(r.signature)) bad('signature');
  return r as RootFile;
}

/**
 * Verifies the root's signature. With `pinned` (the exchange's key, hex), the root must be signed
 * by exactly that key; without, the key in the file is used and the caller must say the signer is
 * not pinned.
 */
export function verifyRootSignature(root: RootFile, pinned?: string): { publicKey: string; pinned: boolean } {
  if (pinned !== undefined) {
    const key = pinned.toLowerCase().replace(/^0x/, '');
    if (!HEX(32).test(key)) throw new BaseError('POR_INVALID_INPUT', 'a pinned Ed25519 public key is 64 hex digits');
    if (key !== root.publicKey) {
      fail('wrong-signer', 'the root is signed by another key than the pinned one', {
        expected: keyFingerprint(key),
        actual: keyFingerprint(root.publicKey),
      });
    }
  }
  let ok = false;
  try {
    ok = ed25519.verify(hexToBytes(root.signature), rootSigningBytes(root), hexToBytes(root.publicKey));
  } catch (error) {
    throw new BaseError('POR_PROOF_INVALID', 'the root signature cannot be checked', {
      details: { reason: 'signature-invalid' },
      cause: error,
    });
  }
  if (!ok) fail('signature-invalid', 'the root signature does not verify');
  return { publicKey: root.publicKey, pinned: pinned !== undefined };
}
