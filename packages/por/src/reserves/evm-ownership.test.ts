/**
 * Keccak-account ownership with our own keys: EIP-191 signatures made by viem accounts (over the
 * text, and over keccak256(text) as OKX does), checked against viem's `recoverMessageAddress`;
 * contract-wallet owner rows; OKX's own format on OKC; TIP-191 on TRON with the TRON address also
 * derived by hand. Plus the must-reject cases.
 */
import { concatBytes, utf8ToBytes } from '@custos/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { createBase58check, hex } from '@scure/base';
import { type Hex, keccak256, recoverMessageAddress, toBytes } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { tronAddressOf } from './evm-ownership.js';
import { okxKeccakDigest, tronDigest, tronKeccakDigest } from './message-formats.js';
import { assertAddressOwnership, verifyAddressOwnership } from './ownership.js';
import type { ReserveRow } from './reserve-file.js';

const MESSAGE = 'custos por round 2026-11 example-exchange';

function row(fields: Partial<ReserveRow> & Pick<ReserveRow, 'address' | 'signatures'>): ReserveRow {
  return { line: 7, asset: 'ETH', network: 'ETH', message: MESSAGE, ...fields };
}

function account() {
  return privateKeyToAccount(generatePrivateKey());
}

/** 65-byte r ‖ s ‖ v (v = 27/28) hex, the way wallets return signatures, from a raw digest. */
function signDigest(secretKey: Uint8Array, digest: Uint8Array): Hex {
  const sig = secp256k1.sign(digest, secretKey, { prehash: false, format: 'recovered' });
  return `0x${hex.encode(sig.subarray(1))}${(27 + (sig[0] as number)).toString(16)}`;
}

describe('EVM rows signed with our own keys', () => {
  it('verifies a personal_sign over the text, matching viem’s recoverMessageAddress', async () => {
    const signer = account();
    const signature = await signer.signMessage({ message: MESSAGE });
    const result = verifyAddressOwnership(row({ address: signer.address.toLowerCase(), signatures: [signature] }));
    expect(result).toEqual({ valid: true, scheme: 'eip191', boundTo: 'address', signers: [signer.address] });
    expect(await recoverMessageAddress({ message: MESSAGE, signature })).toBe(signer.address);
  });

  it('verifies OKX’s form, personal_sign over keccak256(text), and names it', async () => {
    const signer = account();
    const signature = await signer.signMessage({ message: { raw: keccak256(toBytes(MESSAGE)) } });
    const result = verifyAddressOwnership(row({ address: signer.address, signatures: [signature] }));
    expect(result).toMatchObject({ valid: true, scheme: 'eip191-keccak', signers: [signer.address] });
  });

  it('compares addresses case-insensitively and accepts v as 0/1', async () => {
    const signer = account();
    const signature = await signer.signMessage({ message: MESSAGE });
    const v01 = `${signature.slice(0, 130)}${signature.endsWith('1b') ? '00' : '01'}`;
    const upper = `0x${signer.address.slice(2).toUpperCase()}`;
    expect(verifyAddressOwnership(row({ address: upper, signatures: [v01] })).valid).toBe(true);
  });

  it('verifies a contract wallet through both owners and binds the result to the owners', async () => {
    const [a, b] = [account(), account()];
    const owners = [a.address, b.address];
    const signatures = [await a.signMessage({ message: MESSAGE }), await b.signMessage({ message: MESSAGE })];
    const safe = row({ address: account().address, owners, signatures });
    expect(verifyAddressOwnership(safe)).toEqual({ valid: true, scheme: 'eip191', boundTo: 'owners', signers: owners });
    // One owner missing.
    expect(verifyAddressOwnership({ ...safe, signatures: signatures.slice(0, 1) })).toMatchObject({
      valid: false,
      reason: 'missing-signature',
    });
    // Both signatures from the same owner.
    const twice = [signatures[0] as string, signatures[0] as string];
    expect(verifyAddressOwnership({ ...safe, signatures: twice })).toMatchObject({
      valid: false,
      reason: 'signer-mismatch',
    });
    // A signature by the contract address's own key does not stand in for an owner.
    const stranger = account();
    const strangerSig = await stranger.signMessage({ message: MESSAGE });
    expect(
      verifyAddressOwnership({
        ...safe,
        address: stranger.address,
        signatures: [signatures[0] as string, strangerSig],
      }),
    ).toMatchObject({ valid: false, reason: 'signer-mismatch' });
  });

  it('requires only the first owner of an Eigenlayer row (the second is the EigenPod contract)', async () => {
    const owner = account();
    const pod = account().address;
    const eigen = row({
      address: `0x${'cd'.repeat(48)}`,
      owners: [owner.address, pod],
      stakingType: 'Eigenlayer Staking',
      signatures: [await owner.signMessage({ message: MESSAGE })],
    });
    expect(verifyAddressOwnership(eigen)).toMatchObject({ valid: true, boundTo: 'owners' });
    expect(verifyAddressOwnership({ ...eigen, stakingType: 'Native ETH Staking' })).toMatchObject({
      valid: false,
      reason: 'missing-signature',
    });
  });
});

describe('EVM must-reject cases', () => {
  const signer = account();

  it('rejects a valid signature over another message when the round message is required', async () => {
    const old = 'custos por round 2026-10 example-exchange';
    const oldRow = row({
      address: signer.address,
      message: old,
      signatures: [await signer.signMessage({ message: old })],
    });
    expect(verifyAddressOwnership(oldRow).valid).toBe(true);
    expect(verifyAddressOwnership(oldRow, { expectedMessage: MESSAGE })).toMatchObject({
      valid: false,
      scheme: 'eip191',
      reason: 'wrong-message',
    });
    // The same old signature with the message cell rewritten to this round's message.
    expect(verifyAddressOwnership({ ...oldRow, message: MESSAGE }, { expectedMessage: MESSAGE })).toMatchObject({
      valid: false,
      reason: 'signer-mismatch',
    });
  });

  it('rejects a signature from another key, naming the recovered signer', async () => {
    const other = account();
    const result = verifyAddressOwnership(
      row({ address: signer.address, signatures: [await other.signMessage({ message: MESSAGE })] }),
    );
    expect(result).toMatchObject({
      valid: false,
      scheme: 'eip191',
      reason: 'signer-mismatch',
      signers: [other.address],
    });
  });

  it('rejects a tampered signature byte', async () => {
    const signature = await signer.signMessage({ message: MESSAGE });
    const flipped = `${signature.slice(0, 20)}${signature[20] === 'a' ? 'b' : 'a'}${signature.slice(21)}`;
    expect(verifyAddressOwnership(row({ address: signer.address, signatures: [flipped] })).valid).toBe(false);
  });

  it('rejects a valid signature presented for another address', async () => {
    const signature = await signer.signMessage({ message: MESSAGE });
    expect(verifyAddressOwnership(row({ address: account().address, signatures: [signature] }))).toMatchObject({
      valid: false,
      reason: 'signer-mismatch',
    });
  });

  it('rejects malformed signatures and addresses', async () => {
    const signature = await signer.signMessage({ message: MESSAGE });
    expect(verifyAddressOwnership(row({ address: signer.address, signatures: [signature.slice(0, 130)] })).reason).toBe(
      'malformed-signature',
    );
    expect(
      verifyAddressOwnership(row({ address: signer.address, signatures: [`${signature.slice(0, 130)}1d`] })).reason,
    ).toBe('malformed-signature');
    expect(verifyAddressOwnership(row({ address: '0x1234', signatures: [signature] })).reason).toBe('invalid-address');
    expect(verifyAddressOwnership(row({ address: signer.address, signatures: [] })).reason).toBe('missing-signature');
  });

  it('throws POR_SIGNATURE_INVALID from assertAddressOwnership, with the row in the details', async () => {
    const signature = await account().signMessage({ message: MESSAGE });
    expect(() => assertAddressOwnership(row({ address: signer.address, signatures: [signature] }))).toThrowError(
      expect.objectContaining({
        code: 'POR_SIGNATURE_INVALID',
        details: { line: 7, network: 'ETH', address: signer.address, scheme: 'eip191', reason: 'signer-mismatch' },
      }),
    );
  });

  it('throws POR_INVALID_INPUT for something that is not a row', () => {
    expect(() => verifyAddressOwnership({ network: 'ETH' } as unknown as ReserveRow)).toThrowError(
      expect.objectContaining({ code: 'POR_INVALID_INPUT' }),
    );
  });
});

describe('OKC and TRON rows signed with our own keys', () => {
  const { secretKey, publicKey } = secp256k1.keygen();
  const evmAddress = privateKeyToAccount(`0x${hex.encode(secretKey)}`).address;

  it('verifies OKX’s own Keccak format on OKC, and not an EIP-191 signature there', async () => {
    const okc = row({
      network: 'OKC',
      address: evmAddress,
      signatures: [signDigest(secretKey, okxKeccakDigest(MESSAGE))],
    });
    expect(verifyAddressOwnership(okc)).toMatchObject({ valid: true, scheme: 'okx-keccak', signers: [evmAddress] });
    const eip191 = await privateKeyToAccount(`0x${hex.encode(secretKey)}`).signMessage({ message: MESSAGE });
    expect(verifyAddressOwnership({ ...okc, signatures: [eip191] })).toMatchObject({
      valid: false,
      reason: 'signer-mismatch',
    });
  });

  it('derives the TRON address like the hand-built Base58Check of 0x41 ‖ keccak(key)[12..]', () => {
    const uncompressed = secp256k1.getPublicKey(secretKey, false);
    const byHand = createBase58check(sha256).encode(
      concatBytes(Uint8Array.of(0x41), keccak_256(uncompressed.subarray(1)).subarray(12)),
    );
    expect(tronAddressOf(publicKey)).toBe(byHand);
    expect(byHand.startsWith('T')).toBe(true);
  });

  it('verifies TIP-191 and the older 32-byte-hash TRON form', () => {
    const address = tronAddressOf(publicKey);
    const v2 = row({ network: 'TRON', address, signatures: [signDigest(secretKey, tronDigest(MESSAGE))] });
    expect(verifyAddressOwnership(v2)).toMatchObject({ valid: true, scheme: 'tron', signers: [address] });
    const v1 = { ...v2, signatures: [signDigest(secretKey, tronKeccakDigest(MESSAGE))] };
    expect(verifyAddressOwnership(v1)).toMatchObject({ valid: true, scheme: 'tron-keccak' });
    // TIP-191 spells the length in decimal bytes: the digest is over the UTF-8 text.
    expect(tronDigest('ü')).toEqual(keccak_256(utf8ToBytes('\x19TRON Signed Message:\n2ü')));
  });

  it('rejects a TRON signature from another key and a malformed TRON address', () => {
    const other = secp256k1.keygen();
    const address = tronAddressOf(publicKey);
    const bad = row({ network: 'TRON', address, signatures: [signDigest(other.secretKey, tronDigest(MESSAGE))] });
    expect(verifyAddressOwnership(bad)).toMatchObject({ valid: false, reason: 'signer-mismatch' });
    const broken = `${address.slice(0, -1)}${address.endsWith('1') ? '2' : '1'}`;
    expect(verifyAddressOwnership({ ...bad, address: broken }).reason).toBe('invalid-address');
  });
});
