/**
 * Transaction and UserOperation decoders: the MetaMask bypass vectors (odd-length data, value
 * without 0x), refusals (a placeholder value, a chain id other than the wallet's, two different
 * payloads), EIP-7702 authorisations in requests and in a signed type-4 transaction made with
 * viem (sender and authority recovered and checked against the signing keys), pre-EIP-155
 * legacy transactions, v0.6/v0.7 UserOperations, and fast-check properties: any JSON-ish object
 * or byte string decodes or is refused with RISK_INVALID_REQUEST / RISK_DECODE_FAILED.
 *
 * Long mode (100k runs per property): `CUSTOS_LONG=1 npx vitest run packages/risk/src/decode`.
 */
import { BaseError } from '@custos/core';
import fc from 'fast-check';
import { keccak256, serializeTransaction, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { encode, RUNS, rejection, SIGNER, USDC } from '../testing/decode.js';
import type { Address } from '../types.js';
import {
  decodeRawTransaction,
  decodeTransaction,
  decodeUserOperation,
  normalizeTransactionRequest,
  normalizeTransactionRequestWithAuthorities,
  normalizeUserOperation,
} from './transaction.js';

const DELEGATE: Address = '0x63c0c19a282a1b52b07dd5a65b58948a07dae32b';
// Throwaway test keys derived from fixed labels; they guard nothing.
const sender = privateKeyToAccount(keccak256(toHex('custos risk decode test: sender')));
const authority = privateKeyToAccount(keccak256(toHex('custos risk decode test: authority')));

async function asyncRejection(promise: Promise<unknown>): Promise<BaseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BaseError) return error;
    throw error;
  }
  throw new Error('expected a BaseError');
}

const scan = (tx: unknown, chainId = 1) =>
  decodeTransaction(normalizeTransactionRequest(tx, chainId), 'eth_sendTransaction');

describe('eth_sendTransaction payloads', () => {
  it('mm-bypass-odd-hex-approve: data missing its leading zero is still approve()', () => {
    // MetaMask test-dapp vector (MIT), src/components/ppom/bypasses.js.
    const decoded = scan({
      from: SIGNER,
      to: '0xA0b86991c6218b36c1d19d4a2e9eB0cE3606eB48',
      value: '0x0',
      data: '0x95ea7b3000000000000000000000000e50a2dbc466d01a34c3e8b7e8e45fce4f7da39e6000000000000000000000000000000000000000000000000ffffffffffffffff',
    });
    expect(decoded.intents).toEqual([
      {
        kind: 'approval',
        standard: 'ambiguous',
        method: 'approve',
        token: USDC,
        spender: '0xe50a2dbc466d01a34c3e8b7e8e45fce4f7da39e6',
        amount: (2n ** 64n - 1n).toString(),
        path: 'tx',
        actor: SIGNER,
      },
    ]);
    expect(decoded.transaction.data.startsWith('0x095ea7b3')).toBe(true);
  });

  it('mm-bypass-value-no-0x: a value without 0x is read as hex', () => {
    const decoded = scan({ from: SIGNER, to: '0x5FbDB2315678afecb367f032d93F642f64180aa3', value: 'ffffffffffffff' });
    expect(decoded.intents).toEqual([
      {
        kind: 'native-transfer',
        to: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
        amount: (2n ** 56n - 1n).toString(),
        path: 'tx',
        actor: SIGNER,
      },
    ]);
  });

  it('a placeholder value ("<entire balance>") is RISK_INVALID_REQUEST naming `value`', () => {
    const error = rejection(() =>
      scan(
        {
          from: SIGNER,
          to: '0x2B82e507084B2d2DD877af237Ad4720e028ACFD0',
          value: '<entire balance>',
          data: '0x5fba79f5',
        },
        42161,
      ),
    );
    expect(error.code).toBe('RISK_INVALID_REQUEST');
    expect(error.details.field).toBe('value');
  });

  it('a chain id other than the wallet’s is refused; the same chain in any encoding is fine', () => {
    const tx = { from: SIGNER, to: USDC, value: '0x1' };
    const error = rejection(() => scan({ ...tx, chainId: '0x5' }));
    expect(error).toMatchObject({ code: 'RISK_INVALID_REQUEST', details: { field: 'chainId' } });
    expect(scan({ ...tx, chainId: '0x0001' }).transaction.chainId).toBe(1);
    expect(scan({ ...tx, chainId: 1 }).transaction.chainId).toBe(1);
  });

  it('`data` and `input` must agree (after normalisation); so must `gas` and `gasLimit`', () => {
    const tx = { from: SIGNER, to: USDC };
    expect(rejection(() => scan({ ...tx, data: '0x1234', input: '0x5678' })).details.field).toBe('input');
    expect(normalizeTransactionRequest({ ...tx, data: '0x95ea7b3', input: '0x095EA7B3' }, 1).data).toBe('0x095ea7b3');
    expect(normalizeTransactionRequest({ ...tx, input: '0xabcd' }, 1).data).toBe('0xabcd');
    expect(rejection(() => scan({ ...tx, gas: '0x1', gasLimit: '0x2' })).details.field).toBe('gasLimit');
    expect(normalizeTransactionRequest({ ...tx, gasLimit: '0x5208' }, 1).gas).toBe('21000');
  });

  it('a creation is a contract call to the zero address', () => {
    const decoded = scan({ from: SIGNER, data: '0x6080', value: '0x10' });
    expect(decoded.transaction.to).toBeUndefined();
    expect(decoded.intents).toEqual([
      {
        kind: 'contract-call',
        to: '0x0000000000000000000000000000000000000000',
        selector: '0x',
        signature: 'contract creation',
        value: '16',
        path: 'tx',
        actor: SIGNER,
      },
    ]);
    expect(rejection(() => scan({ from: SIGNER, to: '0x' })).details.field).toBe('to');
  });

  it('reads the type given, or infers it from the fee fields', () => {
    const tx = { to: USDC };
    expect(normalizeTransactionRequest({ ...tx, type: '0x0' }, 1).type).toBe('legacy');
    expect(normalizeTransactionRequest({ ...tx, type: '0x1' }, 1).type).toBe('eip2930');
    expect(normalizeTransactionRequest({ ...tx, maxFeePerGas: '0x1' }, 1).type).toBe('eip1559');
    expect(normalizeTransactionRequest({ ...tx, gasPrice: '0x1' }, 1).type).toBe('legacy');
    expect(normalizeTransactionRequest({ ...tx, gasPrice: '0x1', accessList: [] }, 1).type).toBe('eip2930');
    expect(normalizeTransactionRequest({ ...tx, authorizationList: [] }, 1).type).toBe('eip7702');
    expect(rejection(() => normalizeTransactionRequest({ ...tx, type: '0x5' }, 1)).details.field).toBe('type');
    expect(rejection(() => normalizeTransactionRequest('tx', 1)).code).toBe('RISK_INVALID_REQUEST');
  });
});

describe('EIP-7702 authorisations', () => {
  it('unsigned tuples are normalised and become delegation intents', () => {
    const tx = normalizeTransactionRequest(
      {
        from: SIGNER,
        to: SIGNER,
        authorizationList: [{ chainId: '0x0', address: DELEGATE.toUpperCase().replace('0X', '0x'), nonce: '0x7' }],
      },
      1,
    );
    expect(tx.authorizationList).toEqual([{ chainId: 0, address: DELEGATE, nonce: '7' }]);
    expect(decodeTransaction(tx, 'eth_sendTransaction').intents).toContainEqual({
      kind: 'delegation',
      delegate: DELEGATE,
      chainId: 0,
      authority: undefined,
      nonce: '7',
      path: 'authorizationList[0]',
      actor: undefined,
    });
  });

  it('a list with a type other than 0x4 is refused: the list would still be applied', () => {
    const error = rejection(() =>
      normalizeTransactionRequest(
        { to: SIGNER, type: '0x2', authorizationList: [{ chainId: 1, address: DELEGATE, nonce: 0 }] },
        1,
      ),
    );
    expect(error.details.field).toBe('type');
  });

  it('signed tuples in a request: the async normaliser recovers their signer', async () => {
    const signed = await authority.signAuthorization({ address: DELEGATE, chainId: 1, nonce: 3 });
    const request = {
      from: sender.address,
      to: authority.address,
      authorizationList: [
        {
          chainId: toHex(signed.chainId),
          address: signed.address,
          nonce: toHex(signed.nonce),
          yParity: toHex(signed.yParity ?? 0),
          r: signed.r,
          s: signed.s,
        },
      ],
    };
    expect(normalizeTransactionRequest(request, 1).authorizationList?.[0]?.authority).toBeUndefined();
    const tx = await normalizeTransactionRequestWithAuthorities(request, 1);
    expect(tx.authorizationList?.[0]).toEqual({
      chainId: 1,
      address: DELEGATE,
      nonce: '3',
      authority: authority.address.toLowerCase(),
    });
    const partial = { ...request, authorizationList: [{ chainId: 1, address: DELEGATE, nonce: 3, r: signed.r }] };
    expect(rejection(() => normalizeTransactionRequest(partial, 1)).code).toBe('RISK_INVALID_REQUEST');
  });
});

describe('eth_sendRawTransaction', () => {
  const approve = encode('approve(address,uint256)', [DELEGATE, 10n]);

  it('a signed type-4 transaction: sender and authority recovered from the signatures', async () => {
    const authorization = await authority.signAuthorization({ address: DELEGATE, chainId: 1, nonce: 0 });
    const raw = await sender.signTransaction({
      type: 'eip7702',
      chainId: 1,
      nonce: 5,
      to: USDC,
      data: approve,
      gas: 100_000n,
      maxFeePerGas: 2n * 10n ** 9n,
      maxPriorityFeePerGas: 10n ** 9n,
      authorizationList: [authorization],
    });
    const decoded = await decodeRawTransaction(raw, 1);
    if (decoded.type !== 'transaction') throw new Error('expected a transaction');
    expect(decoded.hash).toBe(keccak256(raw));
    expect(decoded.transaction).toMatchObject({
      chainId: 1,
      from: sender.address.toLowerCase(),
      to: USDC,
      nonce: '5',
      gas: '100000',
      type: 'eip7702',
      authorizationList: [{ chainId: 1, address: DELEGATE, nonce: '0', authority: authority.address.toLowerCase() }],
    });
    expect(decoded.intents).toEqual([
      expect.objectContaining({
        kind: 'approval',
        token: USDC,
        spender: DELEGATE,
        actor: sender.address.toLowerCase(),
      }),
      {
        kind: 'delegation',
        delegate: DELEGATE,
        chainId: 1,
        authority: authority.address.toLowerCase(),
        nonce: '0',
        path: 'authorizationList[0]',
        actor: authority.address.toLowerCase(),
      },
    ]);
  });

  it('a chain id other than the wallet’s is refused', async () => {
    const raw = await sender.signTransaction({
      type: 'eip1559',
      chainId: 10,
      nonce: 0,
      to: USDC,
      data: approve,
      gas: 1n,
      maxFeePerGas: 1n,
      maxPriorityFeePerGas: 1n,
    });
    const error = await asyncRejection(decodeRawTransaction(raw, 1));
    expect(error).toMatchObject({
      code: 'RISK_INVALID_REQUEST',
      details: { field: 'chainId', requested: 10, chainId: 1 },
    });
    const ok = await decodeRawTransaction(raw, 10);
    expect(ok.type === 'transaction' && ok.transaction.from).toBe(sender.address.toLowerCase());
  });

  it('EIP-155 legacy is checked; pre-EIP-155 legacy (replayable) is accepted on the wallet’s chain', async () => {
    const eip155 = await sender.signTransaction({
      type: 'legacy',
      chainId: 5,
      nonce: 0,
      to: USDC,
      gas: 21000n,
      gasPrice: 1n,
      value: 1n,
    });
    expect((await asyncRejection(decodeRawTransaction(eip155, 1))).details.field).toBe('chainId');
    const replayable = await sender.signTransaction({
      type: 'legacy',
      nonce: 0,
      to: USDC,
      gas: 21000n,
      gasPrice: 1n,
      value: 1n,
    });
    const decoded = await decodeRawTransaction(replayable, 1);
    if (decoded.type !== 'transaction') throw new Error('expected a transaction');
    expect(decoded.transaction).toMatchObject({
      chainId: 1,
      type: 'legacy',
      from: sender.address.toLowerCase(),
      value: '1',
    });
    expect(decoded.intents).toEqual([
      { kind: 'native-transfer', to: USDC, amount: '1', path: 'tx', actor: sender.address.toLowerCase() },
    ]);
  });

  it('a blob transaction hashes without its network wrapper (blobs, commitments, proofs)', async () => {
    const blobTx = {
      type: 'eip4844',
      chainId: 1,
      nonce: 0,
      to: USDC,
      blobVersionedHashes: [`0x01${'11'.repeat(31)}`],
      maxFeePerBlobGas: 1n,
      maxFeePerGas: 1n,
      maxPriorityFeePerGas: 1n,
      gas: 21000n,
    } as const;
    const plain = await sender.signTransaction(blobTx);
    const sidecar = {
      blob: `0x${'00'.repeat(131072)}`,
      commitment: `0x${'00'.repeat(48)}`,
      proof: `0x${'00'.repeat(48)}`,
    } as const;
    const wrapped = await sender.signTransaction({ ...blobTx, sidecars: [sidecar] });
    for (const raw of [plain, wrapped]) {
      const decoded = await decodeRawTransaction(raw, 1);
      if (decoded.type !== 'transaction') throw new Error('expected a transaction');
      expect(decoded.hash).toBe(keccak256(plain));
      expect(decoded.transaction).toMatchObject({ type: 'eip4844', from: sender.address.toLowerCase() });
    }
  });

  it('unsigned, garbage and non-string payloads are RISK_INVALID_REQUEST', async () => {
    const unsigned = serializeTransaction({
      type: 'eip1559',
      chainId: 1,
      nonce: 0,
      to: USDC,
      maxFeePerGas: 1n,
      maxPriorityFeePerGas: 1n,
    });
    for (const raw of [unsigned, '0x', '0x02c0', 'not hex', 42, null]) {
      const error = await asyncRejection(decodeRawTransaction(raw, 1));
      expect(error.code).toBe('RISK_INVALID_REQUEST');
      expect(error.details.field).toBe('raw');
    }
  });
});

describe('eth_sendUserOperation', () => {
  const owner = '0x00000000000000000000000000000000000a11ce';
  const account = '0x00000000000000000000000000000000000acc07';
  const transfer = encode('transfer(address,uint256)', [DELEGATE, 5n]);
  const callData = encode('execute(address,uint256,bytes)', [USDC, 0n, transfer]);
  const expected = {
    kind: 'token-transfer',
    method: 'transfer',
    token: USDC,
    from: account,
    to: DELEGATE,
    amount: '5',
    path: 'userOperation.execute',
    actor: account,
  };

  it('v0.6: factory and paymaster from initCode / paymasterAndData', () => {
    const op = {
      sender: account,
      nonce: '0x0',
      initCode: `${owner}5fbfb9cf`,
      callData,
      paymasterAndData: `0x${'12'.repeat(20)}abcd`,
      signature: '0x',
    };
    const decoded = decodeUserOperation([op, '0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789'], 1);
    expect(decoded).toEqual({
      type: 'user-operation',
      userOperation: {
        sender: account,
        nonce: '0',
        callData,
        entryPoint: '0x5ff137d4b0fdcd49dca30c7cf57e578a026d2789',
        paymaster: `0x${'12'.repeat(20)}`,
        factory: owner,
      },
      intents: [expected],
    });
  });

  it('v0.7: factory, paymaster and an EIP-7702 authorisation', () => {
    const op = {
      sender: account,
      nonce: '0x1',
      factory: null,
      callData,
      paymaster: owner,
      eip7702Auth: { chainId: '0x1', address: DELEGATE, nonce: '0x0', yParity: '0x0', r: '0x1', s: '0x2' },
    };
    const decoded = decodeUserOperation([op, '0x0000000071727De22E5E9d8BAf0edAc6f37da032'], 1);
    expect(decoded.type === 'user-operation' && decoded.userOperation).toMatchObject({
      paymaster: owner,
      factory: undefined,
      nonce: '1',
    });
    expect(decoded.intents).toEqual([
      expected,
      {
        kind: 'delegation',
        delegate: DELEGATE,
        chainId: 1,
        nonce: '0',
        path: 'userOperation.eip7702Auth',
        actor: account,
      },
    ]);
    expect(normalizeUserOperation({ sender: account, nonce: 0, factory: '0x7702' }).factory).toBe(
      '0x7702000000000000000000000000000000000000',
    );
  });

  it('refuses malformed operations', () => {
    expect(rejection(() => decodeUserOperation({ sender: account }, 1)).details.field).toBe('params');
    expect(rejection(() => decodeUserOperation([{ nonce: '0x0' }], 1)).details.field).toBe('sender');
    expect(
      rejection(() => decodeUserOperation([{ sender: account, nonce: '0x0', initCode: '0x1234' }], 1)).details.field,
    ).toBe('initCode');
    const both = { sender: account, nonce: '0x0', factory: owner, initCode: `0x${'99'.repeat(20)}` };
    expect(rejection(() => decodeUserOperation([both], 1)).code).toBe('RISK_INVALID_REQUEST');
  });
});

describe('properties', () => {
  const allowed = new Set(['RISK_DECODE_FAILED', 'RISK_INVALID_REQUEST']);
  const refusedCleanly = (error: unknown) => error instanceof BaseError && allowed.has(error.code);

  const hexString = fc.uint8Array({ maxLength: 80 }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
  const fieldValue = fc.oneof(
    hexString,
    fc.constantFrom(SIGNER, USDC, '0x', '', '<entire balance>', '0x1', '0x0', '1', 'ffff', null),
    fc.integer(),
    fc.bigInt(),
    fc.boolean(),
    fc.string({ maxLength: 12 }),
    fc.array(fc.dictionary(fc.constantFrom('chainId', 'address', 'nonce', 'r', 's', 'yParity', 'v'), hexString)),
  );
  const txObject = fc.oneof(
    fc.dictionary(
      fc.constantFrom(
        'from',
        'to',
        'value',
        'data',
        'input',
        'gas',
        'gasLimit',
        'nonce',
        'chainId',
        'type',
        'authorizationList',
        'maxFeePerGas',
        'gasPrice',
        'accessList',
        '__proto__',
        'constructor',
      ),
      fieldValue,
    ),
    fc.anything(),
  );

  it('random transaction objects decode or are refused with a typed error', () => {
    fc.assert(
      fc.property(txObject, (tx) => {
        try {
          return Array.isArray(scan(tx).intents);
        } catch (error) {
          return refusedCleanly(error);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('random UserOperation params decode or are refused with a typed error', () => {
    const op = fc.dictionary(
      fc.constantFrom(
        'sender',
        'nonce',
        'callData',
        'initCode',
        'factory',
        'paymaster',
        'paymasterAndData',
        'eip7702Auth',
      ),
      fieldValue,
    );
    fc.assert(
      fc.property(fc.oneof(fc.tuple(op, fieldValue), fc.anything()), (params) => {
        try {
          return Array.isArray(decodeUserOperation(params, 1).intents);
        } catch (error) {
          return refusedCleanly(error);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('random raw payloads decode or are refused with a typed error', async () => {
    const raw = fc.oneof(
      hexString,
      fc
        .tuple(fc.constantFrom('01', '02', '03', '04', 'f8', 'c0'), fc.uint8Array({ maxLength: 120 }))
        .map(([prefix, body]) => `0x${prefix}${Buffer.from(body).toString('hex')}`),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(raw, async (payload) => {
        try {
          const decoded = await decodeRawTransaction(payload, 1);
          return Array.isArray(decoded.intents);
        } catch (error) {
          return refusedCleanly(error);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
