/**
 * Ownership of Bitcoin-family addresses from signed messages. A signature is Bitcoin Core's
 * `signmessage` format: 65 bytes, base64, a header byte then `r ‖ s`, over SHA-256d of the coin's
 * magic and the message (see message-formats.ts). The header follows BIP-137: 27–30 P2PKH with an
 * uncompressed key, 31–34 P2PKH with a compressed key, 35–38 P2SH-P2WPKH, 39–42 P2WPKH; the low two
 * bits of `header − 27` are the recovery id. Single-key addresses (P2PKH, P2WPKH, P2SH-P2WPKH) are
 * checked by recovering the key and comparing its hash with the address's; headers 31–34 are also
 * accepted for the SegWit types, as Electrum and many wallets sign them that way. Multisig addresses
 * (P2SH, P2WSH and P2SH-P2WSH over `OP_m <keys> OP_n OP_CHECKMULTISIG`) are checked the way OKX's
 * verifier does it — recompute the address from the published redeem script and compare — and then
 * strictly: every signature must come from a key in the script, and at least m distinct keys must
 * have signed. Taproot addresses cannot be signed for with this format (that needs BIP-322).
 */
import { concatBytes, equalBytes } from '@custos/core';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64, hex } from '@scure/base';
import { Address, OutScript } from '@scure/btc-signer';
import { bitcoinMessageDigest } from './message-formats.js';
import type { UtxoNetwork } from './networks.js';
import { type OwnershipResult, ownershipFailure, ownershipSuccess } from './ownership-result.js';
import { recoverSecp256k1 } from './recover.js';
import type { ReserveRow } from './reserve-file.js';

/** The address type a BIP-137 header declares. */
export type Bip137AddressType = 'p2pkh-uncompressed' | 'p2pkh' | 'p2sh-p2wpkh' | 'p2wpkh';

/** A key recovered from a Bitcoin-family signed message. */
export interface RecoveredMessageSigner {
  /** SEC1 bytes, compressed or not as the header says. */
  readonly publicKey: Uint8Array;
  readonly header: number;
  readonly declaredType: Bip137AddressType;
}

type Recovery = { ok: true; signer: RecoveredMessageSigner } | { ok: false; result: OwnershipResult };

export function hash160(bytes: Uint8Array): Uint8Array {
  return ripemd160(sha256(bytes));
}

function declaredType(header: number): Bip137AddressType {
  if (header <= 30) return 'p2pkh-uncompressed';
  if (header <= 34) return 'p2pkh';
  if (header <= 38) return 'p2sh-p2wpkh';
  return 'p2wpkh';
}

/**
 * Recovers the signing key of a Bitcoin-family signed message, or explains why it cannot.
 *
 * @param message - The signed text.
 * @param signature - Base64 of header ‖ r ‖ s (65 bytes).
 * @param magic - The coin's signed-message magic.
 */
export function recoverMessageSigner(message: string, signature: string, magic: string): Recovery {
  let bytes: Uint8Array;
  try {
    bytes = base64.decode(signature);
  } catch {
    return { ok: false, result: ownershipFailure('bip137', 'malformed-signature', 'The signature is not base64.') };
  }
  const header = bytes[0];
  if (bytes.length !== 65 || header === undefined) {
    return {
      ok: false,
      result: ownershipFailure('bip137', 'malformed-signature', `The signature is ${bytes.length} bytes, not 65.`),
    };
  }
  if (header < 27 || header > 42) {
    return {
      ok: false,
      result: ownershipFailure('bip137', 'malformed-signature', `The header byte ${header} is outside 27–42.`),
    };
  }
  const type = declaredType(header);
  const key = recoverSecp256k1(
    bitcoinMessageDigest(message, magic),
    bytes.subarray(1),
    (header - 27) & 3,
    type !== 'p2pkh-uncompressed',
  );
  if (key === null) {
    return { ok: false, result: ownershipFailure('bip137', 'invalid-signature', 'No public key can be recovered.') };
  }
  return { ok: true, signer: { publicKey: key, header, declaredType: type } };
}

function btcSignerNetwork(params: UtxoNetwork): NonNullable<Parameters<typeof Address>[0]> {
  // `wif` is never used for address coding; btc-signer only needs the field to exist.
  return { bech32: params.bech32 ?? '', pubKeyHash: params.pubKeyHash, scriptHash: params.scriptHash, wif: 0 };
}

type DecodedAddress = ReturnType<ReturnType<typeof Address>['decode']>;

function decodeAddress(address: string, params: UtxoNetwork): DecodedAddress | null {
  try {
    return Address(btcSignerNetwork(params)).decode(address);
  } catch {
    return null;
  }
}

/** The script hash a P2SH-P2WPKH address commits to: HASH160 of `OP_0 <HASH160(key)>`. */
function p2shP2wpkhHash(compressedKey: Uint8Array): Uint8Array {
  return hash160(concatBytes(Uint8Array.of(0x00, 0x14), hash160(compressedKey)));
}

/** The script hash a P2SH-P2WSH address commits to: HASH160 of `OP_0 <SHA256(script)>`. */
function p2shP2wshHash(script: Uint8Array): Uint8Array {
  return hash160(concatBytes(Uint8Array.of(0x00, 0x20), sha256(script)));
}

function parseScript(text: string): Uint8Array | null {
  const body = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (body.length === 0 || body.length % 2 !== 0) return null;
  try {
    return hex.decode(body.toLowerCase());
  } catch {
    return null;
  }
}

/** `OP_m <keys> OP_n OP_CHECKMULTISIG` decoded by btc-signer, or null for any other script. */
function decodeMultisig(script: Uint8Array): { m: number; pubkeys: readonly Uint8Array[] } | null {
  try {
    const decoded = OutScript.decode(script);
    return decoded.type === 'ms' ? { m: decoded.m, pubkeys: decoded.pubkeys } : null;
  } catch {
    return null;
  }
}

function keyMatchesSingleSig(signer: RecoveredMessageSigner, decoded: DecodedAddress): 'match' | 'mismatch' | 'header' {
  const { publicKey, declaredType: type } = signer;
  if (decoded.type === 'pkh') {
    if (type !== 'p2pkh' && type !== 'p2pkh-uncompressed') return 'header';
    return equalBytes(hash160(publicKey), decoded.hash) ? 'match' : 'mismatch';
  }
  if (decoded.type === 'wpkh') {
    if (type !== 'p2pkh' && type !== 'p2wpkh') return 'header';
    return equalBytes(hash160(publicKey), decoded.hash) ? 'match' : 'mismatch';
  }
  if (decoded.type === 'sh') {
    if (type !== 'p2pkh' && type !== 'p2sh-p2wpkh') return 'header';
    return equalBytes(p2shP2wpkhHash(publicKey), decoded.hash) ? 'match' : 'mismatch';
  }
  return 'mismatch';
}

function verifySingleKey(row: ReserveRow, params: UtxoNetwork, decoded: DecodedAddress): OwnershipResult {
  const signers: string[] = [];
  for (const signature of row.signatures) {
    const recovered = recoverMessageSigner(row.message, signature, params.messageMagic);
    if (!recovered.ok) return recovered.result;
    const signer = hex.encode(recovered.signer.publicKey);
    signers.push(signer);
    const match = keyMatchesSingleSig(recovered.signer, decoded);
    if (match === 'header') {
      return ownershipFailure(
        'bip137',
        'header-mismatch',
        `Header ${recovered.signer.header} declares ${recovered.signer.declaredType}, but the address is ${decoded.type}.`,
        signers,
      );
    }
    if (match === 'mismatch') {
      return ownershipFailure('bip137', 'signer-mismatch', 'The recovered key does not derive the address.', signers);
    }
  }
  return ownershipSuccess('bip137', 'address', signers);
}

function verifyMultisig(
  row: ReserveRow,
  params: UtxoNetwork,
  decoded: DecodedAddress & { type: 'sh' | 'wsh' },
  script: Uint8Array,
): OwnershipResult {
  const scheme = 'bip137-multisig';
  const hashesToAddress =
    decoded.type === 'wsh'
      ? equalBytes(sha256(script), decoded.hash)
      : equalBytes(hash160(script), decoded.hash) || equalBytes(p2shP2wshHash(script), decoded.hash);
  if (!hashesToAddress) {
    return ownershipFailure(scheme, 'redeem-script-mismatch', 'The redeem script does not hash to the address.');
  }
  const multisig = decodeMultisig(script);
  if (multisig === null) {
    return ownershipFailure(scheme, 'malformed-redeem-script', 'The redeem script is not an m-of-n multisig.');
  }
  const threshold = { m: multisig.m, n: multisig.pubkeys.length };
  const signers: string[] = [];
  const signedKeys = new Set<number>();
  for (const signature of row.signatures) {
    const recovered = recoverMessageSigner(row.message, signature, params.messageMagic);
    if (!recovered.ok) return { ...recovered.result, scheme, signers };
    signers.push(hex.encode(recovered.signer.publicKey));
    const index = multisig.pubkeys.findIndex((key) => equalBytes(key, recovered.signer.publicKey));
    if (index < 0) {
      return ownershipFailure(
        scheme,
        'signer-mismatch',
        'A signature is from a key that is not in the script.',
        signers,
      );
    }
    signedKeys.add(index);
  }
  if (signedKeys.size < threshold.m) {
    return ownershipFailure(
      scheme,
      'threshold-not-met',
      `${signedKeys.size} distinct script key(s) signed; the script needs ${threshold.m} of ${threshold.n}.`,
      signers,
    );
  }
  return ownershipSuccess(scheme, 'address', signers, threshold);
}

/** Checks a Bitcoin-family row (single key or multisig) on the given network. */
export function verifyUtxoOwnership(row: ReserveRow, params: UtxoNetwork): OwnershipResult {
  const decoded = decodeAddress(row.address, params);
  if (decoded === null) {
    return ownershipFailure('bip137', 'invalid-address', `The address is not a ${params.name} mainnet address.`);
  }
  if (decoded.type !== 'pkh' && decoded.type !== 'wpkh' && decoded.type !== 'sh' && decoded.type !== 'wsh') {
    return ownershipFailure(
      'bip137',
      'unsupported-address-type',
      `A ${decoded.type} address cannot be proven with a signed message (that needs BIP-322).`,
    );
  }
  if (row.signatures.length === 0) return ownershipFailure('bip137', 'missing-signature', 'The row has no signature.');
  const scriptText = row.redeemScriptOrPublicKey;
  if (decoded.type === 'wsh' || (decoded.type === 'sh' && scriptText !== undefined)) {
    if (scriptText === undefined) {
      return ownershipFailure('bip137-multisig', 'missing-redeem-script', 'A P2WSH address needs its witness script.');
    }
    const script = parseScript(scriptText);
    if (script === null) {
      return ownershipFailure('bip137-multisig', 'malformed-redeem-script', 'The redeem script is not hex.');
    }
    return verifyMultisig(row, params, decoded, script);
  }
  return verifySingleKey(row, params, decoded);
}
