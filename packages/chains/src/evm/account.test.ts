/**
 * toMpcAccount against viem's own local account for the same key: both sign with RFC 6979 nonces,
 * so every signed transaction, message signature and typed-data signature must be byte-identical.
 * Also viem's verifiers on the results, publicKeyToAddress against viem and noble, and must-reject
 * tests for a signer that lies about its key, a wrong-key signer and a non-standard serializer.
 */
import { BaseError, bytesToHex } from '@custos/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import {
  type Hex,
  hashTypedData,
  parseEther,
  parseGwei,
  recoverTypedDataAddress,
  type SerializeTransactionFn,
  serializeTransaction,
  type TransactionSerializable,
  verifyMessage,
  verifyTypedData,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import type { SignRequest } from '../signer.js';
import { MAIL, TO } from '../testing/fixtures.js';
import { localSigner } from '../testing/local-signer.js';
import { decompressPublicKey, publicKeyToAddress, toMpcAccount } from './account.js';

type Serializer = SerializeTransactionFn<TransactionSerializable>;

const KEY: Hex = '0x8a1f9a8f95be41cd7ccb6168179afb4504aefe388d1e14474d32c45c72ce7b7a';

async function rejection(promise: Promise<unknown>): Promise<BaseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BaseError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const TRANSACTIONS: Record<string, TransactionSerializable> = {
  eip1559: {
    type: 'eip1559',
    chainId: 31337,
    nonce: 4,
    maxFeePerGas: parseGwei('3'),
    maxPriorityFeePerGas: parseGwei('1'),
    gas: 50_000n,
    to: TO,
    value: parseEther('0.25'),
    data: '0xa9059cbb',
    accessList: [{ address: TO, storageKeys: [`0x${'00'.repeat(31)}07`] }],
  },
  legacy: { type: 'legacy', chainId: 137, nonce: 0, gasPrice: parseGwei('40'), gas: 21_000n, to: TO, value: 1n },
  eip2930: { type: 'eip2930', chainId: 1, nonce: 12, gasPrice: 7n, gas: 30_000n, to: TO, accessList: [] },
  creation: { type: 'eip1559', chainId: 8453, nonce: 1, maxFeePerGas: 2n, gas: 100_000n, data: '0x6080604052' },
};

describe('toMpcAccount matches privateKeyToAccount byte for byte', () => {
  const viemAccount = privateKeyToAccount(KEY);
  const requests: SignRequest[] = [];
  const account = toMpcAccount(localSigner(KEY, { onRequest: (r) => requests.push(r) }));

  it('exposes the same address and uncompressed public key', () => {
    expect(account.address).toBe(viemAccount.address);
    expect(account.publicKey).toBe(viemAccount.publicKey);
    expect(account.type).toBe('local');
    expect(account.source).toBe('mpc');
  });

  for (const [name, tx] of Object.entries(TRANSACTIONS)) {
    it(`signTransaction (${name}) asks the signer with kind 'transaction' and matches viem`, async () => {
      requests.length = 0;
      const ours = await account.signTransaction(tx);
      expect(ours).toBe(await viemAccount.signTransaction(tx));
      expect(requests).toEqual([{ kind: 'transaction', chainId: tx.chainId, transaction: serializeTransaction(tx) }]);
    });
  }

  it('signTransaction agrees with viem for arbitrary keys and fields (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => secp256k1.utils.isValidSecretKey(k)),
        fc.record({
          nonce: fc.nat(),
          value: fc.bigInt({ min: 0n, max: 2n ** 128n }),
          fee: fc.bigInt({ min: 1n, max: 2n ** 64n }),
          chainId: fc.integer({ min: 1, max: 2 ** 32 }),
          data: fc.uint8Array({ maxLength: 40 }),
          legacy: fc.boolean(),
        }),
        async (key, f) => {
          const privateKey = bytesToHex(key);
          const tx: TransactionSerializable = f.legacy
            ? {
                type: 'legacy',
                chainId: f.chainId,
                nonce: f.nonce,
                gasPrice: f.fee,
                gas: 21_000n,
                to: TO,
                value: f.value,
              }
            : {
                type: 'eip1559',
                chainId: f.chainId,
                nonce: f.nonce,
                maxFeePerGas: f.fee,
                maxPriorityFeePerGas: f.fee / 2n,
                gas: 21_000n,
                to: TO,
                value: f.value,
                data: bytesToHex(f.data),
              };
          const ours = await toMpcAccount(localSigner(privateKey)).signTransaction(tx);
          expect(ours).toBe(await privateKeyToAccount(privateKey).signTransaction(tx));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('signMessage (text and raw bytes) matches viem and verifies', async () => {
    for (const message of [
      'hello custos',
      '0xdeadbeef',
      { raw: '0xdeadbeef' as Hex },
      { raw: new Uint8Array([1, 2]) },
    ]) {
      const ours = await account.signMessage({ message });
      expect(ours).toBe(await viemAccount.signMessage({ message }));
      expect(await verifyMessage({ address: account.address, message, signature: ours })).toBe(true);
    }
  });

  it('signTypedData (bigints in, JSON-safe request out) matches viem and verifies', async () => {
    const permit = {
      domain: { name: 'Token', version: '1', chainId: 31337n, verifyingContract: TO },
      types: {
        Permit: [
          { name: 'owner', type: 'address' },
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'deadline', type: 'uint256' },
        ],
      },
      primaryType: 'Permit',
      message: { owner: account.address, spender: TO, value: 10n ** 24n, nonce: 0n, deadline: 2n ** 255n },
    } as const;
    requests.length = 0;
    const ours = await account.signTypedData(permit);
    expect(ours).toBe(await viemAccount.signTypedData(permit));
    expect(await verifyTypedData({ ...permit, address: account.address, signature: ours })).toBe(true);
    expect(await recoverTypedDataAddress({ ...permit, signature: ours })).toBe(account.address);
    // What went to the signer survives JSON and hashes the same.
    const sent = requests[0];
    expect(sent?.kind).toBe('typed-data');
    const roundTripped = JSON.parse(JSON.stringify(sent));
    expect(roundTripped).toEqual(sent);
    expect(hashTypedData(roundTripped.typedData)).toBe(hashTypedData(permit));

    const mail = await account.signTypedData(MAIL as never);
    expect(mail).toBe(await viemAccount.signTypedData(MAIL as never));
  });

  it('sign (raw digest) is passed as kind digest and matches viem', async () => {
    const hash: Hex = `0x${'c3'.repeat(32)}`;
    requests.length = 0;
    expect(await account.sign?.({ hash })).toBe(await viemAccount.sign({ hash }));
    expect(requests).toEqual([{ kind: 'digest', digest: hash }]);
  });
});

describe('publicKeyToAddress', () => {
  it('matches viem for compressed and uncompressed keys (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => secp256k1.utils.isValidSecretKey(k)),
        (key) => {
          const viemAccount = privateKeyToAccount(bytesToHex(key));
          const compressed = bytesToHex(secp256k1.getPublicKey(key, true));
          expect(decompressPublicKey(compressed)).toBe(viemAccount.publicKey);
          expect(publicKeyToAddress(compressed)).toBe(viemAccount.address);
          expect(publicKeyToAddress(viemAccount.publicKey)).toBe(viemAccount.address);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses bad prefixes, lengths and points off the curve', () => {
    const good = bytesToHex(secp256k1.getPublicKey(new Uint8Array(32).fill(7), true));
    const fieldOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        if (error instanceof BaseError) return [error.code, error.details.field];
        throw error;
      }
      throw new Error('expected a rejection');
    };
    for (const bad of [`0x04${good.slice(4)}`, good.slice(0, -2), `${good}00`, `0x02${'00'.repeat(31)}05`]) {
      expect(fieldOf(() => publicKeyToAddress(bad as Hex))).toEqual(['INVALID_INPUT', 'publicKey']);
    }
    const uncompressed = decompressPublicKey(good);
    const offCurve = `${uncompressed.slice(0, -1)}${uncompressed.endsWith('0') ? '1' : '0'}` as Hex;
    expect(fieldOf(() => publicKeyToAddress(offCurve))).toEqual(['INVALID_INPUT', 'publicKey']);
  });
});

describe('toMpcAccount must-reject', () => {
  it('a signer whose address is not its public key', () => {
    const signer = { ...localSigner(KEY), address: TO };
    expect(() => toMpcAccount(signer)).toThrow(/signer\.address/);
  });

  it('a signer that signs with another key (CHAIN_SIGNATURE_MISMATCH)', async () => {
    const account = toMpcAccount(localSigner(KEY, { signingKey: `0x${'47'.repeat(32)}` }));
    for (const signing of [
      account.signTransaction(TRANSACTIONS.eip1559 as TransactionSerializable),
      account.signMessage({ message: 'x' }),
      account.signTypedData(MAIL as never),
    ]) {
      const error = await rejection(signing);
      expect([error.code, error.details.check]).toEqual(['CHAIN_SIGNATURE_MISMATCH', 'signature.signer']);
    }
  });

  it('a chain serializer producing a non-standard encoding, and unsupported types', async () => {
    const account = toMpcAccount(localSigner(KEY));
    const tx = TRANSACTIONS.eip1559 as TransactionSerializable;
    const odd = await rejection(account.signTransaction(tx, { serializer: (() => '0x7e00') as unknown as Serializer }));
    expect([odd.code, odd.details.field]).toEqual(['CHAIN_INVALID_TRANSACTION', 'transaction.type']);
    // A standard-producing custom serializer (as OP Stack chains use for ordinary txs) is fine.
    expect(
      await account.signTransaction(tx, {
        serializer: ((t: TransactionSerializable) => serializeTransaction(t)) as Serializer,
      }),
    ).toBe(await privateKeyToAccount(KEY).signTransaction(tx));
    const { chainId: _omit, ...noChain } = TRANSACTIONS.legacy as TransactionSerializable;
    const replayable = await rejection(account.signTransaction(noChain as TransactionSerializable));
    expect([replayable.code, replayable.details.field]).toEqual(['CHAIN_INVALID_TRANSACTION', 'transaction.chainId']);
    const blob = await rejection(
      account.signTransaction({ ...tx, type: 'eip7702', authorizationList: [] } as TransactionSerializable),
    );
    expect(blob.code).toBe('CHAIN_INVALID_TRANSACTION');
  });
});
