/**
 * The offline emergency escape (research notes §3.2 "Emergency escape"): with the device share and
 * the decrypted cloud share, and no server, rebuild x = λ_2·s_2 + λ_3·s_3 mod q (Shamir
 * interpolation at 0), check x·G = PK, and export a standard BIP-32 extended private key (BIP-32
 * "Serialization format") with the DKG chain code, so any BIP-32 wallet derives the same
 * non-hardened children the threshold wallet uses (`derivation.ts`). The reconstructed key is the
 * whole secret: this is the one place it exists, and only on the user's own device.
 */
import { decodePoint, decodeScalar, modQ, mulG, pointToHex, scalarToHex, wireHexToBytes } from './curve.js';
import {
  derivePublic,
  type ExtendedPublicKey,
  masterExtendedPublicKey,
  serializeExtendedKey,
  serializeXpub,
  XPRV_VERSION,
} from './derivation.js';
import { MpcError } from './errors.js';
import type { PartyId } from './protocol/envelope.js';
import { reconstructSecret } from './shamir.js';

export interface EscapeShare {
  readonly partyId: PartyId;
  /** 32 bytes, hex. */
  readonly share: string;
}

export interface EscapeInput {
  /** Two shares, normally the device's (party 2) and the decrypted cloud backup's (party 3). */
  readonly shares: readonly [EscapeShare, EscapeShare];
  readonly publicKey: string;
  readonly chainCode: string;
}

export interface EscapedKey {
  /** The whole private key x, 32 bytes hex: handle as the secret it is. */
  readonly privateKey: string;
  /** BIP-32 depth-0 extended private key (mainnet `xprv`). */
  readonly xprv: string;
  readonly xpub: string;
}

/** Rebuilds the private key from two shares; MPC_KEY_MISMATCH (`escape.public-key`) unless x·G = PK. */
export function reconstructPrivateKey(input: EscapeInput): bigint {
  const PK = decodePoint(input.publicKey, 'publicKey');
  const shares = input.shares.map((s, i) => ({
    partyId: s.partyId,
    share: decodeScalar(s.share, `shares[${i}].share`),
  }));
  const x = reconstructSecret(shares);
  if (x === 0n || !mulG(x).equals(PK)) {
    throw new MpcError('MPC_KEY_MISMATCH', 'escape.public-key', 'these shares do not rebuild the wallet key', {
      parties: shares.map((s) => s.partyId).join(','),
    });
  }
  return x;
}

/** The escape: x, its xprv and xpub. */
export function escapeKey(input: EscapeInput): EscapedKey {
  const x = reconstructPrivateKey(input);
  const master = masterExtendedPublicKey(input.publicKey, input.chainCode);
  return { privateKey: scalarToHex(x), xprv: serializeXprv(x, master), xpub: serializeXpub(master) };
}

/** Serialises x with the chain code, depth, parent fingerprint and index of `key` (its public half). */
export function serializeXprv(privateKey: bigint, key: ExtendedPublicKey, version = XPRV_VERSION): string {
  const x = modQ(privateKey);
  if (x === 0n || !mulG(x).equals(decodePoint(key.publicKey, 'publicKey'))) {
    throw new MpcError('MPC_KEY_MISMATCH', 'xprv.public-key', 'the private key does not match the extended public key');
  }
  const keyData = new Uint8Array(33);
  keyData.set(wireHexToBytes(scalarToHex(x), 'privateKey', 32), 1);
  return serializeExtendedKey({
    version,
    depth: key.depth,
    parentFingerprint: key.parentFingerprint,
    index: key.index,
    chainCode: wireHexToBytes(key.chainCode, 'chainCode', 32),
    keyData,
  });
}

/**
 * BIP-32 CKDpriv along a non-hardened path: x + δ mod q, δ from the public derivation. Returns the
 * child key and its extended private key.
 */
export function childPrivateKey(
  privateKey: bigint,
  chainCode: string,
  path: string | readonly number[],
): { privateKey: bigint; xprv: string; key: ExtendedPublicKey } {
  const x = modQ(privateKey);
  if (x === 0n) throw new MpcError('MPC_KEY_MISMATCH', 'escape.zero-key', 'the private key is zero');
  const derived = derivePublic({ publicKey: pointToHex(mulG(x)), chainCode }, path);
  const child = modQ(x + derived.tweak);
  return { privateKey: child, xprv: serializeXprv(child, derived.key), key: derived.key };
}
