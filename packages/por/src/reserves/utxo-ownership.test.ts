/**
 * Bitcoin-family ownership with our own signatures: random keys from @noble/curves sign messages
 * in Bitcoin Core's signed-message format with every BIP-137 header range, and the addresses they
 * are checked against are derived twice — by @scure/btc-signer, and by hand from @scure/base
 * Base58Check / Bech32 and HASH160 — so the verifier is not only checked against itself. Then the
 * must-reject cases: wrong message, another key, a tampered byte, a wrong address, header and
 * address type disagreeing, multisig below threshold, a redeem script that is not the address's.
 */
import { concatBytes, utf8ToBytes } from '@custos/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64, bech32, createBase58check, hex } from '@scure/base';
import * as btc from '@scure/btc-signer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BITCOIN_MESSAGE_MAGIC, bitcoinMessageDigest, DOGECOIN_MESSAGE_MAGIC } from './message-formats.js';
import { verifyAddressOwnership } from './ownership.js';
import type { ReserveRow } from './reserve-file.js';

const base58check = createBase58check(sha256);
const DOGE = { bech32: '', pubKeyHash: 0x1e, scriptHash: 0x16, wif: 0x9e };
const MESSAGE = 'custos por round 2026-11 example-exchange';

// Independent derivations (not through btc-signer or the module under test).
const h160 = (b: Uint8Array) => ripemd160(sha256(b));
const byHand = {
  p2pkh: (pub: Uint8Array, version = 0x00) => base58check.encode(concatBytes(Uint8Array.of(version), h160(pub))),
  p2wpkh: (pub: Uint8Array) => bech32.encode('bc', [0, ...bech32.toWords(h160(pub))]),
  p2shP2wpkh: (pub: Uint8Array) =>
    base58check.encode(concatBytes(Uint8Array.of(0x05), h160(concatBytes(Uint8Array.of(0x00, 0x14), h160(pub))))),
  p2wsh: (script: Uint8Array) => bech32.encode('bc', [0, ...bech32.toWords(sha256(script))]),
  p2sh: (script: Uint8Array, version = 0x05) => base58check.encode(concatBytes(Uint8Array.of(version), h160(script))),
};

/** SHA-256d(len ‖ magic ‖ len ‖ message) for short strings, written out without the module's own functions. */
function digestByHand(message: string, magic: string): Uint8Array {
  const m = utf8ToBytes(message);
  const g = utf8ToBytes(magic);
  if (m.length >= 0xfd || g.length >= 0xfd) throw new Error('short strings only');
  return sha256(sha256(concatBytes(Uint8Array.of(g.length), g, Uint8Array.of(m.length), m)));
}

/** Signs like Bitcoin Core's `signmessage`, with the BIP-137 header base (27, 31, 35 or 39). */
function signMessage(secretKey: Uint8Array, message: string, headerBase: number, magic = BITCOIN_MESSAGE_MAGIC) {
  const sig = secp256k1.sign(bitcoinMessageDigest(message, magic), secretKey, { prehash: false, format: 'recovered' });
  return base64.encode(concatBytes(Uint8Array.of(headerBase + (sig[0] as number)), sig.subarray(1)));
}

function keyPair() {
  const { secretKey, publicKey } = secp256k1.keygen();
  return { secretKey, publicKey, uncompressed: secp256k1.getPublicKey(secretKey, false) };
}

function row(fields: Partial<ReserveRow> & Pick<ReserveRow, 'address' | 'signatures'>): ReserveRow {
  return { line: 1, asset: 'BTC', network: 'BTC', message: MESSAGE, ...fields };
}

describe('the Bitcoin signed-message digest', () => {
  it('is SHA-256d of the CompactSize-prefixed magic and message', () => {
    expect(bitcoinMessageDigest(MESSAGE)).toEqual(digestByHand(MESSAGE, BITCOIN_MESSAGE_MAGIC));
    expect(bitcoinMessageDigest('ünïcode ✓', DOGECOIN_MESSAGE_MAGIC)).toEqual(
      digestByHand('ünïcode ✓', DOGECOIN_MESSAGE_MAGIC),
    );
  });

  it('uses the 3-byte CompactSize (0xfd, little-endian u16) from 253 bytes on', () => {
    const long = 'x'.repeat(300);
    const magic = utf8ToBytes(BITCOIN_MESSAGE_MAGIC);
    const expected = sha256(
      sha256(
        concatBytes(Uint8Array.of(magic.length), magic, Uint8Array.of(0xfd, 300 & 0xff, 300 >> 8), utf8ToBytes(long)),
      ),
    );
    expect(bitcoinMessageDigest(long)).toEqual(expected);
  });
});

describe('single-key Bitcoin addresses signed with our own keys', () => {
  it('derives the same addresses with btc-signer and by hand', () => {
    const { publicKey, uncompressed } = keyPair();
    expect(btc.p2pkh(publicKey).address).toBe(byHand.p2pkh(publicKey));
    expect(btc.p2pkh(uncompressed).address).toBe(byHand.p2pkh(uncompressed));
    expect(btc.p2wpkh(publicKey).address).toBe(byHand.p2wpkh(publicKey));
    expect(btc.p2sh(btc.p2wpkh(publicKey)).address).toBe(byHand.p2shP2wpkh(publicKey));
    expect(btc.p2pkh(publicKey, DOGE).address).toBe(byHand.p2pkh(publicKey, 0x1e));
  });

  it('verifies P2PKH with a compressed key (header 31–34)', () => {
    const { secretKey, publicKey } = keyPair();
    const result = verifyAddressOwnership(
      row({ address: byHand.p2pkh(publicKey), signatures: [signMessage(secretKey, MESSAGE, 31)] }),
    );
    expect(result).toEqual({ valid: true, scheme: 'bip137', boundTo: 'address', signers: [hex.encode(publicKey)] });
  });

  it('verifies P2PKH with an uncompressed key (header 27–30), and only the uncompressed address', () => {
    const { secretKey, publicKey, uncompressed } = keyPair();
    const signature = signMessage(secretKey, MESSAGE, 27);
    expect(verifyAddressOwnership(row({ address: byHand.p2pkh(uncompressed), signatures: [signature] }))).toMatchObject(
      {
        valid: true,
        signers: [hex.encode(uncompressed)],
      },
    );
    expect(verifyAddressOwnership(row({ address: byHand.p2pkh(publicKey), signatures: [signature] }))).toMatchObject({
      valid: false,
      reason: 'signer-mismatch',
    });
  });

  it('verifies P2WPKH with header 39–42 and with the Electrum-style 31–34, but not 35–38', () => {
    const { secretKey, publicKey } = keyPair();
    const address = byHand.p2wpkh(publicKey);
    expect(verifyAddressOwnership(row({ address, signatures: [signMessage(secretKey, MESSAGE, 39)] })).valid).toBe(
      true,
    );
    expect(verifyAddressOwnership(row({ address, signatures: [signMessage(secretKey, MESSAGE, 31)] })).valid).toBe(
      true,
    );
    expect(verifyAddressOwnership(row({ address, signatures: [signMessage(secretKey, MESSAGE, 35)] }))).toMatchObject({
      valid: false,
      reason: 'header-mismatch',
    });
    expect(verifyAddressOwnership(row({ address, signatures: [signMessage(secretKey, MESSAGE, 27)] }))).toMatchObject({
      valid: false,
      reason: 'header-mismatch',
    });
  });

  it('verifies P2SH-P2WPKH with header 35–38 and 31–34, but not 39–42', () => {
    const { secretKey, publicKey } = keyPair();
    const address = byHand.p2shP2wpkh(publicKey);
    expect(verifyAddressOwnership(row({ address, signatures: [signMessage(secretKey, MESSAGE, 35)] })).valid).toBe(
      true,
    );
    expect(verifyAddressOwnership(row({ address, signatures: [signMessage(secretKey, MESSAGE, 31)] })).valid).toBe(
      true,
    );
    expect(verifyAddressOwnership(row({ address, signatures: [signMessage(secretKey, MESSAGE, 39)] }))).toMatchObject({
      reason: 'header-mismatch',
    });
  });

  it('rejects a P2PKH address signed with a P2WPKH header', () => {
    const { secretKey, publicKey } = keyPair();
    const result = verifyAddressOwnership(
      row({ address: byHand.p2pkh(publicKey), signatures: [signMessage(secretKey, MESSAGE, 39)] }),
    );
    expect(result).toMatchObject({ valid: false, reason: 'header-mismatch' });
  });

  it('verifies a DOGE P2PKH address with the Dogecoin magic, and rejects a Bitcoin-magic signature for it', () => {
    const { secretKey, publicKey } = keyPair();
    const address = byHand.p2pkh(publicKey, 0x1e);
    expect(address.startsWith('D')).toBe(true);
    const doge = row({
      network: 'DOGE',
      address,
      signatures: [signMessage(secretKey, MESSAGE, 31, DOGECOIN_MESSAGE_MAGIC)],
    });
    expect(verifyAddressOwnership(doge)).toMatchObject({ valid: true, scheme: 'bip137' });
    const wrongMagic = { ...doge, signatures: [signMessage(secretKey, MESSAGE, 31)] };
    expect(verifyAddressOwnership(wrongMagic)).toMatchObject({ valid: false, reason: 'signer-mismatch' });
  });

  it('holds for random keys and messages: a signature verifies, a flipped bit does not', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 48, maxLength: 48 }),
        fc.string({ maxLength: 300 }),
        fc.nat(63),
        (seed, message, bit) => {
          const { secretKey, publicKey } = secp256k1.keygen(seed);
          const signature = signMessage(secretKey, message, 39);
          const good = row({ address: byHand.p2wpkh(publicKey), message, signatures: [signature] });
          expect(verifyAddressOwnership(good).valid).toBe(true);
          const bytes = base64.decode(signature);
          const at = 1 + (bit % 64);
          bytes[at] = (bytes[at] as number) ^ (1 << (bit % 8));
          expect(verifyAddressOwnership({ ...good, signatures: [base64.encode(bytes)] }).valid).toBe(false);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('single-key must-reject cases', () => {
  const { secretKey, publicKey } = keyPair();
  const address = byHand.p2wpkh(publicKey);
  const signature = signMessage(secretKey, MESSAGE, 39);

  it('rejects a signature over another message as wrong-message when the round message is required', () => {
    const old = row({
      address,
      message: 'custos por round 2026-10 example-exchange',
      signatures: [signMessage(secretKey, 'custos por round 2026-10 example-exchange', 39)],
    });
    expect(verifyAddressOwnership(old).valid).toBe(true);
    expect(verifyAddressOwnership(old, { expectedMessage: MESSAGE })).toMatchObject({
      valid: false,
      scheme: 'bip137',
      reason: 'wrong-message',
    });
  });

  it('rejects a row whose message was edited to the round message over an old signature', () => {
    const oldSignature = signMessage(secretKey, 'custos por round 2026-10 example-exchange', 39);
    const result = verifyAddressOwnership(row({ address, signatures: [oldSignature] }), { expectedMessage: MESSAGE });
    expect(result).toMatchObject({ valid: false, reason: 'signer-mismatch' });
  });

  it('rejects a signature from another key', () => {
    const other = keyPair();
    const result = verifyAddressOwnership(row({ address, signatures: [signMessage(other.secretKey, MESSAGE, 39)] }));
    expect(result).toMatchObject({ valid: false, reason: 'signer-mismatch', signers: [hex.encode(other.publicKey)] });
  });

  it('rejects a tampered signature byte', () => {
    const bytes = base64.decode(signature);
    bytes[40] = (bytes[40] as number) ^ 0x80;
    const result = verifyAddressOwnership(row({ address, signatures: [base64.encode(bytes)] }));
    expect(result.valid).toBe(false);
  });

  it('rejects a valid signature presented for another address', () => {
    const result = verifyAddressOwnership(
      row({ address: byHand.p2wpkh(keyPair().publicKey), signatures: [signature] }),
    );
    expect(result).toMatchObject({ valid: false, reason: 'signer-mismatch' });
  });

  it('rejects a row where one of two signatures is bad', () => {
    const other = signMessage(keyPair().secretKey, MESSAGE, 39);
    expect(verifyAddressOwnership(row({ address, signatures: [signature, other] }))).toMatchObject({ valid: false });
  });

  it('rejects malformed signatures, headers and addresses with their own reasons', () => {
    const bytes = base64.decode(signature);
    bytes[0] = 43;
    expect(verifyAddressOwnership(row({ address, signatures: [base64.encode(bytes)] })).reason).toBe(
      'malformed-signature',
    );
    expect(verifyAddressOwnership(row({ address, signatures: ['not base64!'] })).reason).toBe('malformed-signature');
    expect(verifyAddressOwnership(row({ address, signatures: [base64.encode(bytes.subarray(0, 64))] })).reason).toBe(
      'malformed-signature',
    );
    expect(verifyAddressOwnership(row({ address, signatures: [] })).reason).toBe('missing-signature');
    expect(verifyAddressOwnership(row({ address: `${address}x`, signatures: [signature] })).reason).toBe(
      'invalid-address',
    );
    const taproot = btc.p2tr(publicKey.subarray(1)).address as string;
    expect(verifyAddressOwnership(row({ address: taproot, signatures: [signature] })).reason).toBe(
      'unsupported-address-type',
    );
  });
});

describe('multisig addresses signed with our own keys', () => {
  const keys = [keyPair(), keyPair(), keyPair()];
  const script = btc.p2ms(
    2,
    keys.map((k) => k.publicKey),
  ).script;
  const scriptHex = hex.encode(script);
  const sign = (i: number, magic = BITCOIN_MESSAGE_MAGIC) =>
    signMessage(keys[i]?.secretKey as Uint8Array, MESSAGE, 31, magic);

  const addresses = {
    p2wsh: btc.p2wsh(
      btc.p2ms(
        2,
        keys.map((k) => k.publicKey),
      ),
    ).address as string,
    p2sh: btc.p2sh(
      btc.p2ms(
        2,
        keys.map((k) => k.publicKey),
      ),
    ).address as string,
    p2shP2wsh: btc.p2sh(
      btc.p2wsh(
        btc.p2ms(
          2,
          keys.map((k) => k.publicKey),
        ),
      ),
    ).address as string,
  };

  it('derives the multisig addresses the same way by hand', () => {
    expect(addresses.p2wsh).toBe(byHand.p2wsh(script));
    expect(addresses.p2sh).toBe(byHand.p2sh(script));
    const witnessProgram = concatBytes(Uint8Array.of(0x00, 0x20), sha256(script));
    expect(addresses.p2shP2wsh).toBe(byHand.p2sh(witnessProgram));
  });

  for (const [type, address] of Object.entries(addresses)) {
    it(`verifies a 2-of-3 ${type} address signed by keys 1 and 3, in either order`, () => {
      const ms = row({ address, redeemScriptOrPublicKey: scriptHex, signatures: [sign(0), sign(2)] });
      expect(verifyAddressOwnership(ms)).toEqual({
        valid: true,
        scheme: 'bip137-multisig',
        boundTo: 'address',
        threshold: { m: 2, n: 3 },
        signers: [hex.encode(keys[0]?.publicKey as Uint8Array), hex.encode(keys[2]?.publicKey as Uint8Array)],
      });
      expect(verifyAddressOwnership({ ...ms, signatures: [sign(2), sign(1)] }).valid).toBe(true);
    });
  }

  it('verifies a DOGE P2SH 2-of-3 with the Dogecoin magic and version byte 0x16', () => {
    const address = btc.p2sh(
      btc.p2ms(
        2,
        keys.map((k) => k.publicKey),
      ),
      DOGE,
    ).address as string;
    expect(address).toBe(byHand.p2sh(script, 0x16));
    const doge = row({
      network: 'DOGE',
      address,
      redeemScriptOrPublicKey: scriptHex,
      signatures: [sign(0, DOGECOIN_MESSAGE_MAGIC), sign(1, DOGECOIN_MESSAGE_MAGIC)],
    });
    expect(verifyAddressOwnership(doge)).toMatchObject({ valid: true, scheme: 'bip137-multisig' });
    expect(verifyAddressOwnership({ ...doge, signatures: [sign(0), sign(1)] })).toMatchObject({
      valid: false,
      reason: 'signer-mismatch',
    });
  });

  it('rejects fewer than m signatures, and the same key signing twice', () => {
    const ms = row({ address: addresses.p2wsh, redeemScriptOrPublicKey: scriptHex, signatures: [sign(1)] });
    expect(verifyAddressOwnership(ms)).toMatchObject({ valid: false, reason: 'threshold-not-met' });
    const twice = { ...ms, signatures: [sign(1), sign(1)] };
    expect(verifyAddressOwnership(twice)).toMatchObject({ valid: false, reason: 'threshold-not-met' });
  });

  it('rejects a signature from a key outside the script even when m script keys signed', () => {
    const outsider = signMessage(keyPair().secretKey, MESSAGE, 31);
    const ms = row({
      address: addresses.p2wsh,
      redeemScriptOrPublicKey: scriptHex,
      signatures: [sign(0), sign(1), outsider],
    });
    expect(verifyAddressOwnership(ms)).toMatchObject({ valid: false, reason: 'signer-mismatch' });
  });

  it('rejects a redeem script that does not hash to the address', () => {
    const other = hex.encode(
      btc.p2ms(2, [keyPair().publicKey, keyPair().publicKey, keys[0]?.publicKey as Uint8Array]).script,
    );
    const ms = row({ address: addresses.p2wsh, redeemScriptOrPublicKey: other, signatures: [sign(0), sign(1)] });
    expect(verifyAddressOwnership(ms)).toMatchObject({ valid: false, reason: 'redeem-script-mismatch' });
  });

  it('rejects a script that hashes to the address but is not a multisig, and a P2WSH without script', () => {
    const opTrue = Uint8Array.of(0x51);
    const address = byHand.p2wsh(opTrue);
    expect(
      verifyAddressOwnership(row({ address, redeemScriptOrPublicKey: '51', signatures: [sign(0)] })),
    ).toMatchObject({ valid: false, reason: 'malformed-redeem-script' });
    expect(verifyAddressOwnership(row({ address, signatures: [sign(0)] }))).toMatchObject({
      valid: false,
      reason: 'missing-redeem-script',
    });
    expect(
      verifyAddressOwnership(row({ address: addresses.p2wsh, redeemScriptOrPublicKey: 'zz', signatures: [sign(0)] })),
    ).toMatchObject({ valid: false, reason: 'malformed-redeem-script' });
  });
});
