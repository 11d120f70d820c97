/**
 * digestOf / describeRequest: the EIP-155 known-answer signing hash, agreement with viem for
 * EIP-2930 / EIP-1559 payloads, EIP-191 and EIP-712 hashes, and a must-reject test for every check
 * the transaction and typed-data parsers make (each failing with its code and the field named).
 */
import { BaseError } from '@custos/core';
import {
  type Hex,
  hashMessage,
  hashTypedData,
  keccak256,
  parseEther,
  parseGwei,
  serializeTransaction,
  type TransactionSerializable,
  toRlp,
} from 'viem';
import { describe, expect, it } from 'vitest';
import type { SignRequest } from '../signer.js';
import { EIP155_TX, MAIL, TO } from '../testing/fixtures.js';
import { describeRequest, digestOf } from './digest.js';
import { parseUnsignedTransaction } from './transaction.js';
import type { TypedDataDocument } from './typed-data.js';

function txRequest(transaction: Hex, chainId = 1): SignRequest {
  return { kind: 'transaction', chainId, transaction };
}

function rejection(fn: () => unknown): BaseError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BaseError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function expectReject(fn: () => unknown, code: string, field: string): void {
  const error = rejection(fn);
  expect({ code: error.code, field: error.details.field }).toEqual({ code, field });
}

describe('transaction digests', () => {
  it('EIP-155 example: signing hash 0xdaf5a7…8e53', () => {
    const unsigned = serializeTransaction(EIP155_TX);
    expect(unsigned).toBe(
      '0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080',
    );
    expect(digestOf(txRequest(unsigned))).toBe('0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53');
  });

  it('EIP-1559 and EIP-2930 digests are keccak256 of the typed payload, as viem computes', () => {
    const eip1559: TransactionSerializable = {
      type: 'eip1559',
      chainId: 31337,
      nonce: 3,
      maxFeePerGas: parseGwei('30'),
      maxPriorityFeePerGas: parseGwei('2'),
      gas: 60_000n,
      to: TO,
      value: 5n,
      data: '0xa9059cbb0000000000000000000000000000000000000000000000000000000000000001',
      accessList: [{ address: TO, storageKeys: [`0x${'00'.repeat(31)}01`] }],
    };
    const eip2930: TransactionSerializable = {
      type: 'eip2930',
      chainId: 5,
      nonce: 0,
      gasPrice: parseGwei('1'),
      gas: 21_000n,
      to: TO,
      accessList: [],
    };
    for (const tx of [eip1559, eip2930]) {
      const unsigned = serializeTransaction(tx);
      expect(digestOf(txRequest(unsigned, tx.chainId))).toBe(keccak256(unsigned));
    }
  });

  it('accepts contract creation (no `to`) and upper-case hex', () => {
    const unsigned = serializeTransaction({ type: 'eip1559', chainId: 1, nonce: 0, gas: 1n, data: '0x6000' });
    expect(digestOf(txRequest(unsigned.toUpperCase().replace('0X', '0x') as Hex))).toBe(keccak256(unsigned));
    expect(parseUnsignedTransaction(unsigned).to).toBeUndefined();
  });

  it('describes a transaction: to, value, chain, nonce, selector', () => {
    const unsigned = serializeTransaction({
      type: 'eip1559',
      chainId: 10,
      nonce: 7,
      maxFeePerGas: 100n,
      maxPriorityFeePerGas: 1n,
      gas: 90_000n,
      to: TO,
      value: parseEther('0.5'),
      data: '0x095ea7b3ffff',
    });
    expect(describeRequest({ ...txRequest(unsigned, 10), path: [0, 7] })).toEqual({
      kind: 'transaction',
      type: 'eip1559',
      chainId: 10,
      nonce: 7,
      to: TO,
      value: '500000000000000000',
      gas: '90000',
      gasPrice: null,
      maxFeePerGas: '100',
      maxPriorityFeePerGas: '1',
      dataBytes: 6,
      selector: '0x095ea7b3',
      accessListEntries: 0,
      path: [0, 7],
    });
    const legacy = describeRequest(txRequest(serializeTransaction(EIP155_TX)));
    expect(legacy).toMatchObject({ type: 'legacy', gasPrice: '20000000000', maxFeePerGas: null, selector: null });
  });
});

describe('transaction must-reject', () => {
  const unsigned = serializeTransaction(EIP155_TX);
  const signature = { r: `0x${'11'.repeat(32)}`, s: `0x${'22'.repeat(32)}`, yParity: 0 } as const;
  const invalid = 'CHAIN_INVALID_TRANSACTION';

  it('malformed hex, odd length, empty', () => {
    expectReject(() => digestOf(txRequest('0xzz' as Hex)), invalid, 'transaction');
    expectReject(() => digestOf(txRequest('0xec0' as Hex)), invalid, 'transaction');
    expectReject(() => digestOf(txRequest('0x')), invalid, 'transaction');
  });

  it('invalid RLP and trailing bytes', () => {
    expectReject(() => digestOf(txRequest(unsigned.slice(0, -4) as Hex)), invalid, 'transaction');
    expectReject(() => digestOf(txRequest(`${unsigned}00` as Hex)), invalid, 'transaction');
    expectReject(() => digestOf(txRequest('0x02c0')), invalid, 'transaction');
  });

  it('an already-signed transaction (legacy, EIP-1559, EIP-2930)', () => {
    const eip1559 = { type: 'eip1559', chainId: 1, nonce: 0, gas: 21000n, to: TO } as const;
    const eip2930 = { type: 'eip2930', chainId: 1, nonce: 0, gas: 21000n, to: TO } as const;
    for (const tx of [EIP155_TX, eip1559, eip2930]) {
      const signed = serializeTransaction(tx, { ...signature, v: 27n });
      expectReject(() => digestOf(txRequest(signed)), invalid, 'transaction.signature');
    }
  });

  it('pre-EIP-155 legacy (no chain id) and a chain id other than the request', () => {
    const { chainId: _omit, ...noChain } = EIP155_TX;
    expectReject(() => digestOf(txRequest(serializeTransaction(noChain))), invalid, 'transaction.chainId');
    expectReject(() => digestOf(txRequest(unsigned, 5)), invalid, 'transaction.chainId');
  });

  it('a non-canonical integer (leading zero) is named', () => {
    const items = ['0x09', '0x04a817c800', '0x5208', TO, '0x0de0b6b3a7640000', '0x', '0x01', '0x', '0x'] as Hex[];
    expect(toRlp(items)).toBe(unsigned);
    const padded = toRlp(items.map((item, i) => (i === 2 ? '0x005208' : item)) as Hex[]);
    expectReject(() => digestOf(txRequest(padded)), invalid, 'transaction.gas');
  });

  it('a wrong field count, a list where a byte string belongs, a short `to`', () => {
    const base = ['0x09', '0x01', '0x5208', TO, '0x01', '0x', '0x01', '0x', '0x'] as const;
    expectReject(() => digestOf(txRequest(toRlp(base.slice(0, 7) as Hex[]))), invalid, 'transaction');
    const list = toRlp(base.map((x, i) => (i === 4 ? ['0x01'] : x)) as never);
    expectReject(() => digestOf(txRequest(list)), invalid, 'transaction.value');
    const shortTo = toRlp(base.map((x, i) => (i === 3 ? `0x${'35'.repeat(19)}` : x)) as Hex[]);
    expectReject(() => digestOf(txRequest(shortTo)), invalid, 'transaction.to');
  });

  it('blob and set-code transaction types, and unknown types', () => {
    expectReject(() => digestOf(txRequest('0x03c0')), invalid, 'transaction.type');
    expectReject(() => digestOf(txRequest('0x04c0')), invalid, 'transaction.type');
    expectReject(() => digestOf(txRequest('0x7fc0')), invalid, 'transaction.type');
  });

  it('a tip above the fee cap', () => {
    const items = ['0x01', '0x', '0x05', '0x04', '0x5208', TO, '0x', '0x', []];
    expectReject(
      () => digestOf(txRequest(`0x02${toRlp(items as never).slice(2)}`)),
      invalid,
      'transaction.maxPriorityFeePerGas',
    );
  });

  it('a malformed access list entry', () => {
    const items = ['0x01', '0x', '0x01', '0x05', '0x5208', TO, '0x', '0x', [[TO, ['0x01']]]];
    expectReject(
      () => digestOf(txRequest(`0x02${toRlp(items as never).slice(2)}`)),
      invalid,
      'transaction.accessList[0].storageKeys[0]',
    );
  });

  it('a request whose chainId is not a positive integer', () => {
    expectReject(
      () => digestOf({ kind: 'transaction', chainId: 0, transaction: unsigned }),
      invalid,
      'request.chainId',
    );
  });
});

describe('message, typed data and digest', () => {
  it('EIP-191 digests match viem hashMessage for text and raw bytes', () => {
    expect(digestOf({ kind: 'message', message: 'hello' })).toBe(hashMessage('hello'));
    // A string that looks like hex is still text (as in viem); raw bytes need { raw }.
    expect(digestOf({ kind: 'message', message: '0x1234' })).toBe(hashMessage('0x1234'));
    expect(digestOf({ kind: 'message', message: { raw: '0x1234' } })).toBe(hashMessage({ raw: '0x1234' }));
  });

  it('EIP-712 Mail example hash (the EIP reference value)', () => {
    expect(digestOf({ kind: 'typed-data', typedData: MAIL })).toBe(
      '0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2',
    );
  });

  it('EIP-712 integers as decimal strings hash like bigints', () => {
    const permit = {
      domain: { name: 'Token', chainId: '31337', verifyingContract: TO },
      types: {
        Permit: [
          { name: 'value', type: 'uint256' },
          { name: 'delta', type: 'int8' },
        ],
      },
      primaryType: 'Permit',
      message: { value: '1000000000000000000000', delta: '-5' },
    } satisfies TypedDataDocument;
    const viaViem = hashTypedData({
      domain: { name: 'Token', chainId: 31337n, verifyingContract: TO },
      types: permit.types,
      primaryType: 'Permit',
      message: { value: 10n ** 21n, delta: -5 },
    });
    expect(digestOf({ kind: 'typed-data', typedData: permit })).toBe(viaViem);
  });

  it('describes messages, typed data and blind digests', () => {
    expect(describeRequest({ kind: 'message', message: 'hi there' })).toEqual({
      kind: 'message',
      encoding: 'utf8',
      byteLength: 8,
      preview: 'hi there',
    });
    expect(describeRequest({ kind: 'message', message: { raw: '0x6869' } })).toMatchObject({
      encoding: 'raw',
      preview: 'hi',
    });
    expect(describeRequest({ kind: 'message', message: { raw: '0xff00' } })).toMatchObject({ preview: '0xff00' });
    expect(describeRequest({ kind: 'typed-data', typedData: MAIL })).toMatchObject({
      primaryType: 'Mail',
      domain: { name: 'Ether Mail', version: '1', chainId: '1', salt: null },
    });
    const digest = `0x${'ab'.repeat(32)}` as Hex;
    expect(describeRequest({ kind: 'digest', digest })).toEqual({ kind: 'digest', digest, blind: true });
    expect(digestOf({ kind: 'digest', digest })).toBe(digest);
  });

  it('refuses a digest that is not 32 bytes, an unknown kind and a hardened path', () => {
    expectReject(() => digestOf({ kind: 'digest', digest: `0x${'ab'.repeat(31)}` }), 'INVALID_INPUT', 'request.digest');
    expectReject(() => digestOf({ kind: 'digest', digest: `0x${'ab'.repeat(33)}` }), 'INVALID_INPUT', 'request.digest');
    expectReject(() => digestOf({ kind: 'blob' } as unknown as SignRequest), 'INVALID_INPUT', 'request.kind');
    const hardened = { kind: 'message', message: 'x', path: [0x8000_0000] } as const;
    expectReject(() => digestOf(hardened), 'INVALID_INPUT', 'request.path[0]');
    const raw = { kind: 'message', message: { raw: '0x123' } } as unknown as SignRequest;
    expectReject(() => digestOf(raw), 'INVALID_INPUT', 'request.message.raw');
  });
});

describe('typed data must-reject', () => {
  const bad = 'CHAIN_INVALID_TYPED_DATA';
  const with_ = (change: (doc: { -readonly [K in keyof TypedDataDocument]: unknown }) => void): SignRequest => {
    const doc = structuredClone(MAIL) as { -readonly [K in keyof TypedDataDocument]: unknown };
    change(doc);
    return { kind: 'typed-data', typedData: doc as TypedDataDocument };
  };
  const types = (doc: { types: unknown }) => doc.types as Record<string, { name: string; type: string }[]>;
  const message = (doc: { message: unknown }) => doc.message as Record<string, Record<string, unknown>>;

  it('a missing type', () => {
    const request = with_((doc) => {
      delete types(doc).Person;
    });
    expectReject(() => digestOf(request), bad, 'request.typedData.types.Mail[0].type');
  });

  it('a primaryType not defined, or EIP712Domain as primaryType', () => {
    expectReject(() => digestOf(with_((doc) => (doc.primaryType = 'Letter'))), bad, 'request.typedData.primaryType');
    const domainOnly = with_((doc) => {
      types(doc).EIP712Domain = [{ name: 'name', type: 'string' }];
      doc.primaryType = 'EIP712Domain';
    });
    expectReject(() => digestOf(domainOnly), bad, 'request.typedData.primaryType');
  });

  it('a missing message field and an extra one', () => {
    const missing = with_((doc) => {
      delete message(doc).to?.wallet;
    });
    expectReject(() => digestOf(missing), bad, 'request.typedData.message.to.wallet');
    const extra = with_((doc) => {
      message(doc).from = { ...message(doc).from, admin: true };
    });
    expectReject(() => digestOf(extra), bad, 'request.typedData.message.from.admin');
  });

  it('values of the wrong shape or range', () => {
    const badAddress = with_((doc) => {
      (message(doc).to as Record<string, unknown>).wallet = '0x1234';
    });
    expectReject(() => digestOf(badAddress), bad, 'request.typedData.message.to.wallet');
    const doc = (type: string, value: unknown): SignRequest => ({
      kind: 'typed-data',
      typedData: { types: { T: [{ name: 'v', type }] }, primaryType: 'T', message: { v: value } },
    });
    expect(() => digestOf(doc('uint8', 255))).not.toThrow();
    expectReject(() => digestOf(doc('uint8', 256)), bad, 'request.typedData.message.v');
    expectReject(() => digestOf(doc('uint8', -1)), bad, 'request.typedData.message.v');
    expectReject(() => digestOf(doc('int8', '-129')), bad, 'request.typedData.message.v');
    expectReject(() => digestOf(doc('uint256', '1e3')), bad, 'request.typedData.message.v');
    expectReject(() => digestOf(doc('uint256', 2 ** 60)), bad, 'request.typedData.message.v');
    expectReject(() => digestOf(doc('bytes32', '0x1234')), bad, 'request.typedData.message.v');
    expectReject(() => digestOf(doc('bytes', '0x123')), bad, 'request.typedData.message.v');
    expectReject(() => digestOf(doc('bool', 'true')), bad, 'request.typedData.message.v');
    expectReject(() => digestOf(doc('string', 5)), bad, 'request.typedData.message.v');
    expectReject(() => digestOf(doc('uint8[2]', [1])), bad, 'request.typedData.message.v');
    expectReject(() => digestOf(doc('uint8[]', [1, 300])), bad, 'request.typedData.message.v[1]');
  });

  it('bad type definitions: invalid atomic types, duplicate fields, bad struct names, zero-length arrays', () => {
    const doc = (t: Record<string, unknown>, message: Record<string, unknown> = {}): SignRequest => ({
      kind: 'typed-data',
      typedData: { types: t, primaryType: 'T', message } as unknown as TypedDataDocument,
    });
    expectReject(() => digestOf(doc({ T: [{ name: 'v', type: 'uint7' }] })), bad, 'request.typedData.types.T[0].type');
    expectReject(() => digestOf(doc({ T: [{ name: 'v', type: 'uint' }] })), bad, 'request.typedData.types.T[0].type');
    expectReject(
      () => digestOf(doc({ T: [{ name: 'v', type: 'bytes33' }] })),
      bad,
      'request.typedData.types.T[0].type',
    );
    expectReject(
      () => digestOf(doc({ T: [{ name: 'v', type: 'bool[0]' }] })),
      bad,
      'request.typedData.types.T[0].type',
    );
    const dup = {
      T: [
        { name: 'v', type: 'bool' },
        { name: 'v', type: 'bool' },
      ],
    };
    expectReject(() => digestOf(doc(dup)), bad, 'request.typedData.types.T[1].name');
    expectReject(() => digestOf(doc({ T: [], uint256: [] })), bad, 'request.typedData.types.uint256');
    expectReject(() => digestOf(doc({ T: {} })), bad, 'request.typedData.types.T');
  });

  it('a bad domain', () => {
    const extraKey = with_((doc) => {
      (doc.domain as Record<string, unknown>).owner = TO;
    });
    expectReject(() => digestOf(extraKey), bad, 'request.typedData.domain.owner');
    const badChain = with_((doc) => {
      (doc.domain as Record<string, unknown>).chainId = 'one';
    });
    expectReject(() => digestOf(badChain), bad, 'request.typedData.domain.chainId');
    const wrongType = with_((doc) => {
      types(doc).EIP712Domain = [{ name: 'chainId', type: 'string' }];
    });
    expectReject(() => digestOf(wrongType), bad, 'request.typedData.types.EIP712Domain[0]');
  });
});
