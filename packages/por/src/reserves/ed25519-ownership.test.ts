/**
 * Ed25519 ownership (OKX's own message format) with our own keys on Polkadot/Kusama (SS58),
 * Cardano (enterprise and base addresses), Aptos (authentication keys, including a rotated key
 * listed as owner) and Solana. The SS58 and Cardano derivations are anchored by OKX's real DOT and
 * ADA rows, whose addresses are derived from their published keys in okx-files.test.ts; here the
 * derivations are also built by hand. Plus the must-reject cases.
 */
import { concatBytes, utf8ToBytes } from '@custos/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { base58, bech32, hex } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { aptosAuthenticationKey, ss58Address } from './ed25519-ownership.js';
import { OKX_MESSAGE_MAGIC, okxMessagePayload } from './message-formats.js';
import { verifyAddressOwnership } from './ownership.js';
import type { ReserveRow } from './reserve-file.js';

const MESSAGE = 'custos por round 2026-11 example-exchange';

function keyPair() {
  const { secretKey, publicKey } = ed25519.keygen();
  const sign = (message = MESSAGE) => hex.encode(ed25519.sign(okxMessagePayload(message), secretKey));
  return { secretKey, publicKey, publicHex: hex.encode(publicKey), sign };
}

function row(fields: Partial<ReserveRow> & Pick<ReserveRow, 'network' | 'address' | 'signatures'>): ReserveRow {
  return { line: 1, asset: fields.network, message: MESSAGE, ...fields };
}

const cardanoEnterprise = (key: Uint8Array) =>
  bech32.encode('addr', bech32.toWords(concatBytes(Uint8Array.of(0x61), blake2b(key, { dkLen: 28 }))), 1023);

describe('OKX’s Ed25519 payload', () => {
  it('is the CompactSize-prefixed magic and message, unhashed', () => {
    const m = utf8ToBytes(MESSAGE);
    const g = utf8ToBytes(OKX_MESSAGE_MAGIC);
    expect(okxMessagePayload(MESSAGE)).toEqual(concatBytes(Uint8Array.of(g.length), g, Uint8Array.of(m.length), m));
  });
});

describe('Ed25519 rows signed with our own keys', () => {
  it('verifies a Polkadot (SS58 prefix 0) and a Kusama (prefix 2) address', () => {
    const k = keyPair();
    const payload = concatBytes(Uint8Array.of(0), k.publicKey);
    const byHand = base58.encode(
      concatBytes(payload, blake2b(concatBytes(utf8ToBytes('SS58PRE'), payload), { dkLen: 64 }).subarray(0, 2)),
    );
    expect(ss58Address(k.publicKey, 0)).toBe(byHand);
    expect(byHand.startsWith('1')).toBe(true);
    const dot = row({ network: 'DOT', address: byHand, redeemScriptOrPublicKey: k.publicHex, signatures: [k.sign()] });
    expect(verifyAddressOwnership(dot)).toEqual({
      valid: true,
      scheme: 'okx-ed25519',
      boundTo: 'address',
      signers: [k.publicHex],
    });
    // The same key's Polkadot address is not its Kusama address.
    expect(verifyAddressOwnership({ ...dot, network: 'KSM' })).toMatchObject({
      valid: false,
      reason: 'public-key-mismatch',
    });
    const ksm = { ...dot, network: 'KSM', address: ss58Address(k.publicKey, 2) };
    expect(verifyAddressOwnership(ksm).valid).toBe(true);
  });

  it('verifies Cardano enterprise and base addresses by their payment key hash', () => {
    const k = keyPair();
    const stake = keyPair();
    const base = bech32.encode(
      'addr',
      bech32.toWords(
        concatBytes(Uint8Array.of(0x01), blake2b(k.publicKey, { dkLen: 28 }), blake2b(stake.publicKey, { dkLen: 28 })),
      ),
      1023,
    );
    for (const address of [cardanoEnterprise(k.publicKey), base]) {
      const ada = row({ network: 'ADA', address, redeemScriptOrPublicKey: k.publicHex, signatures: [k.sign()] });
      expect(verifyAddressOwnership(ada)).toMatchObject({ valid: true, boundTo: 'address' });
    }
    // A base address whose payment part is the stake key's is not this key's.
    const swapped = bech32.encode(
      'addr',
      bech32.toWords(
        concatBytes(Uint8Array.of(0x01), blake2b(stake.publicKey, { dkLen: 28 }), blake2b(k.publicKey, { dkLen: 28 })),
      ),
      1023,
    );
    const ada = row({ network: 'ADA', address: swapped, redeemScriptOrPublicKey: k.publicHex, signatures: [k.sign()] });
    expect(verifyAddressOwnership(ada)).toMatchObject({ valid: false, reason: 'public-key-mismatch' });
  });

  it('verifies an Aptos account by its authentication key, and a rotated account through the listed owner', () => {
    const k = keyPair();
    const authKey = sha3_256(concatBytes(k.publicKey, Uint8Array.of(0)));
    expect(aptosAuthenticationKey(k.publicKey)).toEqual(authKey);
    const address = `0x${hex.encode(authKey)}`;
    const aptos = row({
      network: 'APTOS',
      address,
      redeemScriptOrPublicKey: `0x${k.publicHex}`,
      signatures: [k.sign()],
    });
    expect(verifyAddressOwnership(aptos)).toMatchObject({ valid: true, boundTo: 'address' });
    const rotated = { ...aptos, address: `0x${'ab'.repeat(32)}`, owners: [address] };
    expect(verifyAddressOwnership(rotated)).toMatchObject({ valid: true, boundTo: 'owners' });
    expect(verifyAddressOwnership({ ...rotated, owners: [`0x${'cd'.repeat(32)}`] })).toMatchObject({
      valid: false,
      reason: 'public-key-mismatch',
    });
  });

  it('accepts Aptos short addresses (leading zeros dropped)', () => {
    let k = keyPair();
    while (aptosAuthenticationKey(k.publicKey)[0] !== 0) k = keyPair();
    const full = hex.encode(aptosAuthenticationKey(k.publicKey));
    const short = `0x${full.replace(/^0+/, '')}`;
    const aptos = row({
      network: 'APTOS',
      address: short,
      redeemScriptOrPublicKey: k.publicHex,
      signatures: [k.sign()],
    });
    expect(verifyAddressOwnership(aptos).valid).toBe(true);
  });

  it('verifies a Solana address, which is the key itself, with or without the key column', () => {
    const k = keyPair();
    const sol = row({ network: 'SOL', address: base58.encode(k.publicKey), signatures: [k.sign()] });
    expect(verifyAddressOwnership(sol)).toMatchObject({ valid: true, boundTo: 'address', signers: [k.publicHex] });
    expect(verifyAddressOwnership({ ...sol, redeemScriptOrPublicKey: k.publicHex }).valid).toBe(true);
    const other = keyPair();
    expect(
      verifyAddressOwnership({ ...sol, redeemScriptOrPublicKey: other.publicHex, signatures: [other.sign()] }),
    ).toMatchObject({
      valid: false,
      reason: 'public-key-mismatch',
    });
  });
});

describe('Ed25519 must-reject cases', () => {
  const k = keyPair();
  const dot = row({
    network: 'DOT',
    address: ss58Address(k.publicKey, 0),
    redeemScriptOrPublicKey: k.publicHex,
    signatures: [k.sign()],
  });

  it('rejects another round’s message', () => {
    const old = {
      ...dot,
      message: 'custos por round 2026-10 example-exchange',
      signatures: [k.sign('custos por round 2026-10 example-exchange')],
    };
    expect(verifyAddressOwnership(old).valid).toBe(true);
    expect(verifyAddressOwnership(old, { expectedMessage: MESSAGE })).toMatchObject({
      valid: false,
      reason: 'wrong-message',
    });
  });

  it('rejects a signature from another key under the published key', () => {
    expect(verifyAddressOwnership({ ...dot, signatures: [keyPair().sign()] })).toMatchObject({
      valid: false,
      reason: 'invalid-signature',
    });
  });

  it('rejects another key’s valid signature with that key published: the key does not derive the address', () => {
    const other = keyPair();
    expect(
      verifyAddressOwnership({ ...dot, redeemScriptOrPublicKey: other.publicHex, signatures: [other.sign()] }),
    ).toMatchObject({
      valid: false,
      reason: 'public-key-mismatch',
    });
  });

  it('rejects a tampered signature byte', () => {
    const bytes = hex.decode(dot.signatures[0] as string);
    bytes[5] = (bytes[5] as number) ^ 0x01;
    expect(verifyAddressOwnership({ ...dot, signatures: [hex.encode(bytes)] })).toMatchObject({
      valid: false,
      reason: 'invalid-signature',
    });
  });

  it('rejects a missing or malformed key, a short signature and a non-Cardano address', () => {
    const { redeemScriptOrPublicKey: _, ...noKey } = dot;
    expect(verifyAddressOwnership(noKey).reason).toBe('missing-public-key');
    expect(verifyAddressOwnership({ ...dot, redeemScriptOrPublicKey: 'abcd' }).reason).toBe('malformed-public-key');
    expect(verifyAddressOwnership({ ...dot, signatures: ['abcd'] }).reason).toBe('malformed-signature');
    expect(verifyAddressOwnership({ ...dot, network: 'ADA' }).reason).toBe('invalid-address');
    const stakeOnly = bech32.encode(
      'stake',
      bech32.toWords(concatBytes(Uint8Array.of(0xe1), new Uint8Array(28))),
      1023,
    );
    expect(verifyAddressOwnership({ ...dot, network: 'ADA', address: stakeOnly }).reason).toBe('invalid-address');
    const script = bech32.encode('addr', bech32.toWords(concatBytes(Uint8Array.of(0x71), new Uint8Array(28))), 1023);
    expect(verifyAddressOwnership({ ...dot, network: 'ADA', address: script }).reason).toBe('unsupported-address-type');
    expect(cardanoEnterprise(k.publicKey).startsWith('addr1v')).toBe(true);
  });
});
