/**
 * EOS / Vaulta ownership with our own K1 keys: the `EOS…`, `PUB_K1_…` and `SIG_K1_…` encodings are
 * built by hand here (Base58 with RIPEMD-160 checksums) and signed over SHA-256 of OKX's message
 * format, single and dual keys, plus the must-reject cases. OKX's real Vaulta row is covered in
 * okx-files.test.ts.
 */
import { concatBytes, utf8ToBytes } from '@custos/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { base58, hex } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { decodeAntelopePublicKey } from './eos-ownership.js';
import { okxSha256Digest } from './message-formats.js';
import { verifyAddressOwnership } from './ownership.js';
import type { ReserveRow } from './reserve-file.js';

const MESSAGE = 'custos por round 2026-11 example-exchange';
const checksum = (payload: Uint8Array, suffix: string) =>
  ripemd160(concatBytes(payload, utf8ToBytes(suffix))).subarray(0, 4);
const legacyKey = (key: Uint8Array) => `EOS${base58.encode(concatBytes(key, checksum(key, '')))}`;
const k1Key = (key: Uint8Array) => `PUB_K1_${base58.encode(concatBytes(key, checksum(key, 'K1')))}`;

function sign(secretKey: Uint8Array, message = MESSAGE): string {
  const sig = secp256k1.sign(okxSha256Digest(message), secretKey, { prehash: false, format: 'recovered' });
  const payload = concatBytes(Uint8Array.of(31 + (sig[0] as number)), sig.subarray(1));
  return `SIG_K1_${base58.encode(concatBytes(payload, checksum(payload, 'K1')))}`;
}

function row(fields: Partial<ReserveRow>): ReserveRow {
  return {
    line: 1,
    asset: 'EOS',
    network: 'Vaulta',
    address: 'custosreserv',
    message: MESSAGE,
    signatures: [],
    ...fields,
  };
}

describe('EOS / Vaulta rows signed with our own keys', () => {
  const a = secp256k1.keygen();
  const b = secp256k1.keygen();

  it('decodes both public-key encodings to the compressed key', () => {
    expect(decodeAntelopePublicKey(legacyKey(a.publicKey))).toEqual(a.publicKey);
    expect(decodeAntelopePublicKey(k1Key(a.publicKey))).toEqual(a.publicKey);
    const broken = legacyKey(a.publicKey).replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
    expect(decodeAntelopePublicKey(broken)).toBeNull();
  });

  it('verifies a single key in either encoding, bound to the key (not the account name)', () => {
    for (const key of [legacyKey(a.publicKey), k1Key(a.publicKey)]) {
      const result = verifyAddressOwnership(row({ redeemScriptOrPublicKey: key, signatures: [sign(a.secretKey)] }));
      expect(result).toEqual({
        valid: true,
        scheme: 'okx-eos',
        boundTo: 'public-key',
        signers: [hex.encode(a.publicKey)],
      });
    }
  });

  it('verifies two published keys only when both signed', () => {
    const keys = JSON.stringify({ publicKey1: legacyKey(a.publicKey), publicKey2: legacyKey(b.publicKey) });
    const dual = row({ redeemScriptOrPublicKey: keys, signatures: [sign(a.secretKey), sign(b.secretKey)] });
    expect(verifyAddressOwnership(dual)).toMatchObject({ valid: true, boundTo: 'public-key' });
    expect(verifyAddressOwnership({ ...dual, signatures: [sign(a.secretKey)] })).toMatchObject({
      valid: false,
      reason: 'signer-mismatch',
    });
  });

  it('rejects another key, another message, a tampered signature and malformed encodings', () => {
    const single = row({ redeemScriptOrPublicKey: legacyKey(a.publicKey), signatures: [sign(a.secretKey)] });
    expect(verifyAddressOwnership({ ...single, signatures: [sign(b.secretKey)] }).reason).toBe('signer-mismatch');
    expect(verifyAddressOwnership({ ...single, signatures: [sign(a.secretKey, 'old round')] }).reason).toBe(
      'signer-mismatch',
    );
    expect(
      verifyAddressOwnership(single, { expectedMessage: 'custos por round 2026-12 example-exchange' }).reason,
    ).toBe('wrong-message');
    const tampered = base58.decode((single.signatures[0] as string).slice(7));
    tampered[10] = (tampered[10] as number) ^ 1;
    // The checksum catches the flipped byte before any curve arithmetic.
    expect(verifyAddressOwnership({ ...single, signatures: [`SIG_K1_${base58.encode(tampered)}`] }).reason).toBe(
      'malformed-signature',
    );
    expect(verifyAddressOwnership({ ...single, redeemScriptOrPublicKey: 'EOSnotakey' }).reason).toBe(
      'malformed-public-key',
    );
    expect(verifyAddressOwnership({ ...single, redeemScriptOrPublicKey: '{"publicKey1": 5}' }).reason).toBe(
      'malformed-public-key',
    );
    const { redeemScriptOrPublicKey: _, ...noKey } = single;
    expect(verifyAddressOwnership(noKey).reason).toBe('missing-public-key');
  });
});
