/**
 * assemble: the EIP-155 known-answer signature (r, s, v = 37) and signed transaction through the
 * in-process signer, the 65-byte r‖s‖v form, and a must-reject test for each signature check (form,
 * range, low-s, parity) and for a signature that recovers to another key.
 */
import { BaseError } from '@custos/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { type Hex, parseTransaction, recoverAddress, serializeTransaction } from 'viem';
import { describe, expect, it } from 'vitest';
import type { RecoverableSignature, SignRequest } from '../signer.js';
import { EIP155_KEY, EIP155_TX, MAIL } from '../testing/fixtures.js';
import { localSigner } from '../testing/local-signer.js';
import { assemble, signatureToHex } from './assemble.js';
import { digestOf } from './digest.js';

const N = secp256k1.Point.Fn.ORDER;
const hex32 = (n: bigint) => `0x${n.toString(16).padStart(64, '0')}` as Hex;

async function rejection(promise: Promise<unknown>): Promise<BaseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BaseError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const signer = localSigner(EIP155_KEY);
const request: SignRequest = { kind: 'transaction', chainId: 1, transaction: serializeTransaction(EIP155_TX) };

describe('EIP-155 known answer', () => {
  it('signs the example with r, s per the EIP and v = 37 in the signed transaction', async () => {
    const signature = await signer.signDigest(request);
    expect(signature).toEqual({
      r: '0x28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276',
      s: '0x67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83',
      yParity: 0,
    });
    const signed = await assemble(request, signature, signer.address);
    expect(signed).toBe(
      '0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83',
    );
    expect(parseTransaction(signed).v).toBe(37n);
    expect(signer.address).toBe('0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F');
  });

  it('a 65-byte r‖s‖v signature for messages, typed data and digests', async () => {
    for (const req of [
      { kind: 'message', message: 'hello' },
      { kind: 'typed-data', typedData: MAIL },
      { kind: 'digest', digest: `0x${'5a'.repeat(32)}` },
    ] satisfies SignRequest[]) {
      const signature = await signer.signDigest(req);
      const out = await assemble(req, signature, signer.address);
      expect(out).toBe(signatureToHex(signature));
      expect(out).toHaveLength(2 + 130);
      expect(out.slice(-2)).toBe(signature.yParity === 0 ? '1b' : '1c');
      expect(await recoverAddress({ hash: digestOf(req), signature: out })).toBe(signer.address);
    }
  });
});

describe('signature must-reject', () => {
  const mismatch = 'CHAIN_SIGNATURE_MISMATCH';
  const check = async (signature: unknown, field: string, checkName: string) => {
    const error = await rejection(assemble(request, signature as RecoverableSignature, signer.address));
    expect({ code: error.code, field: error.details.field, check: error.details.check }).toEqual({
      code: mismatch,
      field,
      check: checkName,
    });
  };

  it('a signature for another key (CHAIN_SIGNATURE_MISMATCH, for every kind)', async () => {
    const other = localSigner(`0x${'47'.repeat(32)}`);
    for (const req of [
      request,
      { kind: 'message', message: 'hello' },
      { kind: 'typed-data', typedData: MAIL },
      { kind: 'digest', digest: `0x${'5a'.repeat(32)}` },
    ] satisfies SignRequest[]) {
      const error = await rejection(assemble(req, await other.signDigest(req), signer.address));
      expect([error.code, error.details.check]).toEqual([mismatch, 'signature.signer']);
    }
  });

  it('a signature over another request', async () => {
    const signature = await signer.signDigest({ kind: 'message', message: 'something else' });
    await check(signature, 'signature', 'signature.signer');
  });

  it('the wrong parity recovers another key', async () => {
    const signature = await signer.signDigest(request);
    await check({ ...signature, yParity: 1 - signature.yParity }, 'signature', 'signature.signer');
  });

  it('malformed r and s, out of range, high s, bad parity', async () => {
    const good = await signer.signDigest(request);
    await check(null, 'signature', 'signature.shape');
    await check({ ...good, r: good.r.slice(0, -2) }, 'signature.r', 'signature.r');
    await check({ ...good, s: `${good.s}00` }, 'signature.s', 'signature.s');
    await check({ ...good, r: hex32(0n) }, 'signature.r', 'signature.r-range');
    await check({ ...good, r: hex32(N) }, 'signature.r', 'signature.r-range');
    await check({ ...good, s: hex32(0n) }, 'signature.s', 'signature.s-range');
    // The same signature with s' = n - s is valid ECDSA but malleable; EIP-2 refuses it.
    await check({ ...good, s: hex32(N - BigInt(good.s)), yParity: 1 - good.yParity }, 'signature.s', 'signature.low-s');
    await check({ ...good, yParity: 2 }, 'signature.yParity', 'signature.yParity');
  });

  it('an r that is no curve point x-coordinate does not recover', async () => {
    // x = 5 has no point on secp256k1 (5^3 + 7 = 132 is a non-residue mod p).
    const error = await rejection(assemble(request, { r: hex32(5n), s: hex32(1n), yParity: 0 }, signer.address));
    expect([error.code, error.details.check]).toEqual([mismatch, 'signature.recover']);
  });

  it('assembling an already-signed transaction is refused', async () => {
    const signature = await signer.signDigest(request);
    const signed = await assemble(request, signature, signer.address);
    const error = await rejection(assemble({ ...request, transaction: signed }, signature, signer.address));
    expect([error.code, error.details.field]).toEqual(['CHAIN_INVALID_TRANSACTION', 'transaction.signature']);
  });
});
