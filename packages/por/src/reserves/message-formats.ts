/**
 * The byte strings that reserve-address signatures are made over, one function per format. Bitcoin
 * family: the "signed message" format of Bitcoin Core's `signmessage` (BIP-137 keeps it): the coin's
 * magic and the message, each prefixed with its CompactSize length, hashed with double SHA-256.
 * EVM: EIP-191 version 0x45 (`personal_sign`), either over the message text or — as OKX's EVM rows
 * do — over the 32-byte Keccak-256 of the message. TRON: TIP-191 (`"\x19TRON Signed Message:\n"`,
 * the decimal byte length, the message, Keccak-256), and its older form over the 32-byte Keccak-256
 * of the message. OKX's own format for chains without a message standard: `"OKX Signed Message:\n"`
 * and the message, each CompactSize-prefixed, signed as is (Ed25519), or hashed with Keccak-256
 * (secp256k1, OKC) or SHA-256 (EOS / Vaulta K1 keys).
 */
import { concatBytes, hexToBytes, utf8ToBytes } from '@custos/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { hashMessage } from 'viem';

export const BITCOIN_MESSAGE_MAGIC = 'Bitcoin Signed Message:\n';
export const DOGECOIN_MESSAGE_MAGIC = 'Dogecoin Signed Message:\n';
export const OKX_MESSAGE_MAGIC = 'OKX Signed Message:\n';
export const TRON_MESSAGE_PREFIX = '\x19TRON Signed Message:\n';

/** Bitcoin's CompactSize length prefix (1, 3, 5 or 9 bytes, little-endian after the marker). */
export function compactSize(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`"length" expected a size, got ${length}`);
  if (length < 0xfd) return Uint8Array.of(length);
  if (length <= 0xffff) return Uint8Array.of(0xfd, length & 0xff, length >>> 8);
  if (length <= 0xffffffff) {
    const out = new Uint8Array(5);
    out[0] = 0xfe;
    new DataView(out.buffer).setUint32(1, length, true);
    return out;
  }
  const out = new Uint8Array(9);
  out[0] = 0xff;
  new DataView(out.buffer).setBigUint64(1, BigInt(length), true);
  return out;
}

/** A UTF-8 string prefixed with its CompactSize byte length (Bitcoin's `VarStr`). */
export function varString(text: string): Uint8Array {
  const bytes = utf8ToBytes(text);
  return concatBytes(compactSize(bytes.length), bytes);
}

/** The 32-byte digest a Bitcoin-family signed message signs: SHA-256d(VarStr(magic) ‖ VarStr(message)). */
export function bitcoinMessageDigest(message: string, magic: string = BITCOIN_MESSAGE_MAGIC): Uint8Array {
  return sha256(sha256(concatBytes(varString(magic), varString(message))));
}

/** EIP-191 `personal_sign` digest of the message text (what wallets' `signMessage` produce). */
export function eip191Digest(message: string): Uint8Array {
  return hexToBytes(hashMessage(message));
}

/** EIP-191 `personal_sign` digest of the 32 bytes Keccak-256(message): OKX's EVM row format. */
export function eip191KeccakDigest(message: string): Uint8Array {
  return hexToBytes(hashMessage({ raw: keccak_256(utf8ToBytes(message)) }));
}

/** TIP-191 digest (TronWeb's `signMessageV2`): Keccak-256("\x19TRON Signed Message:\n" ‖ len ‖ message). */
export function tronDigest(message: string): Uint8Array {
  const bytes = utf8ToBytes(message);
  return keccak_256(concatBytes(utf8ToBytes(`${TRON_MESSAGE_PREFIX}${bytes.length}`), bytes));
}

/** The older TRON digest: Keccak-256("\x19TRON Signed Message:\n32" ‖ Keccak-256(message)). */
export function tronKeccakDigest(message: string): Uint8Array {
  return keccak_256(concatBytes(utf8ToBytes(`${TRON_MESSAGE_PREFIX}32`), keccak_256(utf8ToBytes(message))));
}

/** OKX's payload for chains without a message standard: VarStr("OKX Signed Message:\n") ‖ VarStr(message). */
export function okxMessagePayload(message: string): Uint8Array {
  return concatBytes(varString(OKX_MESSAGE_MAGIC), varString(message));
}

/** OKX's secp256k1 digest (OKC): Keccak-256 of {@link okxMessagePayload}. */
export function okxKeccakDigest(message: string): Uint8Array {
  return keccak_256(okxMessagePayload(message));
}

/** OKX's EOS / Vaulta digest: SHA-256 of {@link okxMessagePayload}. */
export function okxSha256Digest(message: string): Uint8Array {
  return sha256(okxMessagePayload(message));
}
