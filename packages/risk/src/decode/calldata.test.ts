/**
 * decodeCall: known-answer tests for the token, permit, Permit2 and authority functions and for
 * opaque calls, with calldata built by viem's `encodeFunctionData` (independent of the decoder);
 * must-reject tests for malformed calldata; and fast-check properties: on any bytes, with or
 * without a real selector in front, the decoder returns intents or throws a BaseError coded
 * RISK_DECODE_FAILED / RISK_INVALID_REQUEST — never anything else. Wrappers (multicall, Universal
 * Router, Safe, ERC-4337) are tested in calldata-wrappers.test.ts.
 *
 * Long mode (100k runs per property): `CUSTOS_LONG=1 npx vitest run packages/risk/src/decode`.
 */
import { BaseError } from '@custos/core';
import fc from 'fast-check';
import {
  type AbiFunction,
  type AbiParameter,
  encodeFunctionData,
  type Hex,
  parseAbiItem,
  toFunctionSelector,
} from 'viem';
import { describe, expect, it } from 'vitest';
import {
  addr,
  DETAILS,
  decodeCalldata as decode,
  encode,
  MAX_UINT160,
  MAX_UINT256,
  BAYC as NFT,
  PERMIT2,
  ROUTER,
  RUNS,
  rejection,
  SAFE,
  SIG,
  DRAINER as SPENDER,
  USDC as TOKEN,
  SIGNER as USER,
} from '../testing/decode.js';
import type { Address } from '../types.js';
import { decodedSignatures } from './calldata.js';
import { TOKEN_CALLS } from './calldata-tokens.js';

describe('native value and opaque calls', () => {
  it('empty data with value is a native transfer; without value a bare call', () => {
    expect(decode('0x', { value: '1000' })).toEqual([
      { kind: 'native-transfer', to: TOKEN, amount: '1000', path: 'tx', actor: USER },
    ]);
    expect(decode('0x')).toEqual([
      { kind: 'contract-call', to: TOKEN, selector: '0x', value: '0', path: 'tx', actor: USER },
    ]);
  });

  it('a payable lure shows the native amount and its name (SecurityUpdate())', () => {
    expect(decode('0x5fba79f5', { value: '5000000000000000000' })).toEqual([
      { kind: 'native-transfer', to: TOKEN, amount: '5000000000000000000', path: 'tx', actor: USER },
      {
        kind: 'contract-call',
        to: TOKEN,
        selector: '0x5fba79f5',
        signature: 'SecurityUpdate()',
        value: '5000000000000000000',
        path: 'tx',
        actor: USER,
      },
    ]);
  });

  it('an unknown selector is a contract call named from the table (mm-ppom-malicious-contract-call)', () => {
    // MetaMask test-dapp vector (MIT): claimRewards(address) on a drainer contract.
    const [intent] = decode('0xef5cfb8c0000000000000000000000000b3e87a076ac4b0d1975f0f232444af6deb96c59', {
      to: '0x000062Accd1a9d62eF428eC86cA3dD4f45120000' as Address,
    });
    expect(intent).toMatchObject({
      kind: 'contract-call',
      to: '0x000062accd1a9d62ef428ec86ca3dd4f45120000',
      selector: '0xef5cfb8c',
      signature: 'claimRewards(address)',
    });
    expect(decode('0xdeadbeef')[0]).toMatchObject({
      kind: 'contract-call',
      selector: '0xdeadbeef',
      signature: undefined,
    });
  });

  it('one to three bytes of data are a contract call with just those bytes as selector', () => {
    expect(decode('0xab')).toEqual([
      { kind: 'contract-call', to: TOKEN, selector: '0xab', value: '0', path: 'tx', actor: USER },
    ]);
    expect(decode('0xabcdef')[0]).toMatchObject({ selector: '0xabcdef' });
  });
});

describe('ERC-20', () => {
  it('transfer and transferFrom', () => {
    expect(decode(encode('transfer(address,uint256)', [SPENDER, 100n]))).toEqual([
      {
        kind: 'token-transfer',
        method: 'transfer',
        token: TOKEN,
        from: USER,
        to: SPENDER,
        amount: '100',
        path: 'tx',
        actor: USER,
      },
    ]);
    const victim = addr(0xbeef);
    expect(decode(encode('transferFrom(address,address,uint256)', [victim, SPENDER, 7n]))).toEqual([
      {
        kind: 'token-transfer',
        method: 'transferFrom',
        token: TOKEN,
        from: victim,
        to: SPENDER,
        amount: '7',
        path: 'tx',
        actor: victim,
      },
    ]);
  });

  it('approve is ambiguous; the allowance helpers are ERC-20', () => {
    expect(decode(encode('approve(address,uint256)', [SPENDER, MAX_UINT256]))).toEqual([
      {
        kind: 'approval',
        standard: 'ambiguous',
        method: 'approve',
        token: TOKEN,
        spender: SPENDER,
        amount: MAX_UINT256.toString(),
        path: 'tx',
        actor: USER,
      },
    ]);
    for (const method of ['increaseAllowance', 'increaseApproval', 'decreaseAllowance', 'decreaseApproval'] as const) {
      expect(decode(encode(`${method}(address,uint256)`, [SPENDER, 5n]))).toEqual([
        {
          kind: 'approval',
          standard: 'erc20',
          method,
          token: TOKEN,
          spender: SPENDER,
          amount: '5',
          path: 'tx',
          actor: USER,
        },
      ]);
    }
  });

  it('EIP-2612 and DAI permits sent as calls', () => {
    const owner = addr(0x0123);
    const eip2612 = encode('permit(address,address,uint256,uint256,uint8,bytes32,bytes32)', [
      owner,
      SPENDER,
      1000n,
      1700000000n,
      27,
      `0x${'11'.repeat(32)}`,
      `0x${'22'.repeat(32)}`,
    ]);
    expect(eip2612.slice(0, 10)).toBe('0xd505accf');
    expect(decode(eip2612)).toEqual([
      {
        kind: 'permit',
        scheme: 'eip2612',
        token: TOKEN,
        spender: SPENDER,
        owner,
        amount: '1000',
        deadline: '1700000000',
        verifyingContract: TOKEN,
        path: 'tx',
        actor: owner,
      },
    ]);
    const dai = (allowed: boolean) =>
      encode('permit(address,address,uint256,uint256,bool,uint8,bytes32,bytes32)', [
        owner,
        SPENDER,
        3n,
        0n,
        allowed,
        28,
        `0x${'11'.repeat(32)}`,
        `0x${'22'.repeat(32)}`,
      ]);
    expect(dai(true).slice(0, 10)).toBe('0x8fcbaf0c');
    expect(decode(dai(true))[0]).toMatchObject({
      kind: 'permit',
      scheme: 'dai',
      owner,
      spender: SPENDER,
      amount: MAX_UINT256.toString(),
      nonce: '3',
      deadline: '0',
    });
    expect(decode(dai(false))[0]).toMatchObject({ scheme: 'dai', amount: '0' });
  });
});

describe('ERC-721 and ERC-1155', () => {
  const from = addr(0xf00);
  it('both ERC-721 safeTransferFrom overloads', () => {
    const expected = {
      kind: 'nft-transfer',
      standard: 'erc721',
      token: NFT,
      from,
      to: SPENDER,
      ids: ['42'],
      amounts: ['1'],
      path: 'tx',
      actor: from,
    };
    expect(decode(encode('safeTransferFrom(address,address,uint256)', [from, SPENDER, 42n]), { to: NFT })).toEqual([
      expected,
    ]);
    const withData = encode('safeTransferFrom(address,address,uint256,bytes)', [from, SPENDER, 42n, '0x1234']);
    expect(decode(withData, { to: NFT })).toEqual([expected]);
  });

  it('ERC-1155 single and batch transfers', () => {
    const single = encode('safeTransferFrom(address,address,uint256,uint256,bytes)', [from, SPENDER, 1n, 10n, '0x']);
    expect(decode(single, { to: NFT })[0]).toMatchObject({
      kind: 'nft-transfer',
      standard: 'erc1155',
      ids: ['1'],
      amounts: ['10'],
    });
    const batch = encode('safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)', [
      from,
      SPENDER,
      [1n, 2n],
      [3n, 4n],
      '0x',
    ]);
    expect(decode(batch, { to: NFT })[0]).toMatchObject({
      standard: 'erc1155',
      from,
      to: SPENDER,
      ids: ['1', '2'],
      amounts: ['3', '4'],
    });
  });

  it('setApprovalForAll (mm-ppom-set-approval-for-all)', () => {
    const data: Hex =
      '0xa22cb465000000000000000000000000b85492afc686d5ca405e3cd4f50b05d358c75ede0000000000000000000000000000000000000000000000000000000000000001';
    expect(decode(data, { to: NFT })).toEqual([
      {
        kind: 'approval-for-all',
        token: NFT,
        operator: '0xb85492afc686d5ca405e3cd4f50b05d358c75ede',
        approved: true,
        path: 'tx',
        actor: USER,
      },
    ]);
  });
});

describe('Permit2', () => {
  const p2 = (data: Hex) => decode(data, { to: PERMIT2 });

  it('approve, lockdown and the nonce invalidations (selectors per research/risk.md §3)', () => {
    const approve = encode('approve(address,address,uint160,uint48)', [TOKEN, SPENDER, MAX_UINT160, 1885674579]);
    expect(approve.slice(0, 10)).toBe('0x87517c45');
    expect(p2(approve)).toEqual([
      {
        kind: 'permit',
        scheme: 'permit2',
        token: TOKEN,
        spender: SPENDER,
        owner: USER,
        amount: MAX_UINT160.toString(),
        expiration: '1885674579',
        verifyingContract: PERMIT2,
        path: 'tx',
        actor: USER,
      },
    ]);
    const lockdown = encode('lockdown((address,address)[])', [[[TOKEN, SPENDER]]]);
    expect(lockdown.slice(0, 10)).toBe('0xcc53287f');
    expect(p2(lockdown)).toEqual([
      { kind: 'permit2-lockdown', pairs: [{ token: TOKEN, spender: SPENDER }], path: 'tx', actor: USER },
    ]);
    const nonces = encode('invalidateNonces(address,address,uint48)', [TOKEN, SPENDER, 5]);
    expect(nonces.slice(0, 10)).toBe('0x65d9723c');
    expect(p2(nonces)).toEqual([
      { kind: 'nonce-invalidation', scheme: 'permit2-nonces', contract: PERMIT2, path: 'tx', actor: USER },
    ]);
    const unordered = encode('invalidateUnorderedNonces(uint256,uint256)', [0n, 1n]);
    expect(unordered.slice(0, 10)).toBe('0x3ff9dcb1');
    expect(p2(unordered)[0]).toMatchObject({ kind: 'nonce-invalidation', scheme: 'permit2-unordered-nonces' });
  });

  it('signed permit: one intent per PermitDetails, owner as encoded', () => {
    const owner = addr(0x0777);
    const single = encode('permit(address,((address,uint160,uint48,uint48),address,uint256),bytes)', [
      owner,
      [[TOKEN, 5n, 100, 7], SPENDER, 200n],
      SIG,
    ]);
    expect(single.slice(0, 10)).toBe('0x2b67b570');
    expect(p2(single)).toEqual([
      {
        kind: 'permit',
        scheme: 'permit2',
        token: TOKEN,
        spender: SPENDER,
        owner,
        amount: '5',
        deadline: '200',
        expiration: '100',
        nonce: '7',
        verifyingContract: PERMIT2,
        path: 'tx',
        actor: owner,
      },
    ]);
    const tokens = [addr(1), addr(2), addr(3)];
    const batch = encode('permit(address,((address,uint160,uint48,uint48)[],address,uint256),bytes)', [
      owner,
      [tokens.map((t) => Object.values(DETAILS(t, MAX_UINT160))), SPENDER, 1885674579n],
      SIG,
    ]);
    expect(batch.slice(0, 10)).toBe('0x2a2d80d1');
    const intents = p2(batch);
    expect(intents.map((i) => (i.kind === 'permit' ? [i.token, i.spender, i.amount, i.owner] : i.kind))).toEqual(
      tokens.map((t) => [t, SPENDER, MAX_UINT160.toString(), owner]),
    );
  });

  it('permitTransferFrom and the witness variants: one-shot transfers to a fixed recipient', () => {
    const owner = addr(0x0999);
    const recipient = addr(0x0aaa);
    const single = encode('permitTransferFrom(((address,uint256),uint256,uint256),(address,uint256),address,bytes)', [
      [[TOKEN, 100n], 9n, 300n],
      [recipient, 60n],
      owner,
      SIG,
    ]);
    expect(single.slice(0, 10)).toBe('0x30f28b7a');
    expect(p2(single)).toEqual([
      {
        kind: 'permit-transfer',
        scheme: 'permit2-signature-transfer',
        token: TOKEN,
        spender: USER,
        amount: '60',
        to: recipient,
        deadline: '300',
        nonce: '9',
        witnessType: undefined,
        path: 'tx',
        actor: owner,
      },
    ]);
    const batch = encode(
      'permitTransferFrom(((address,uint256)[],uint256,uint256),(address,uint256)[],address,bytes)',
      [
        [
          [
            [TOKEN, 1n],
            [NFT, 2n],
          ],
          1n,
          2n,
        ],
        [
          [recipient, 1n],
          [SPENDER, 2n],
        ],
        owner,
        SIG,
      ],
    );
    expect(p2(batch).map((i) => (i.kind === 'permit-transfer' ? [i.token, i.to, i.amount] : i.kind))).toEqual([
      [TOKEN, recipient, '1'],
      [NFT, SPENDER, '2'],
    ]);
    const witnessType =
      'ExampleTrade witness)ExampleTrade(address exampleTokenAddress)TokenPermissions(address token,uint256 amount)';
    const witness = encode(
      'permitWitnessTransferFrom(((address,uint256),uint256,uint256),(address,uint256),address,bytes32,string,bytes)',
      [[[TOKEN, 100n], 9n, 300n], [recipient, 60n], owner, `0x${'33'.repeat(32)}`, witnessType, SIG],
    );
    expect(p2(witness)[0]).toMatchObject({ scheme: 'permit2-witness-transfer', witnessType, to: recipient });
    const witnessBatch = encode(
      'permitWitnessTransferFrom(((address,uint256)[],uint256,uint256),(address,uint256)[],address,bytes32,string,bytes)',
      [[[[TOKEN, 1n]], 1n, 2n], [[recipient, 1n]], owner, `0x${'33'.repeat(32)}`, witnessType, SIG],
    );
    expect(p2(witnessBatch)[0]).toMatchObject({ scheme: 'permit2-witness-transfer', token: TOKEN, actor: owner });
    const unpaired = encode(
      'permitTransferFrom(((address,uint256)[],uint256,uint256),(address,uint256)[],address,bytes)',
      [[[[TOKEN, 1n]], 1n, 2n], [], owner, SIG],
    );
    expect(rejection(() => p2(unpaired)).code).toBe('RISK_DECODE_FAILED');
  });

  it('AllowanceTransfer transferFrom, single and batch', () => {
    const from = addr(0xabc);
    const single = encode('transferFrom(address,address,uint160,address)', [from, SPENDER, 9n, TOKEN]);
    expect(p2(single)).toEqual([
      { kind: 'permit2-transfer-from', token: TOKEN, from, to: SPENDER, amount: '9', path: 'tx', actor: from },
    ]);
    const batch = encode('transferFrom((address,address,uint160,address)[])', [
      [
        [from, SPENDER, 1n, TOKEN],
        [from, USER, 2n, NFT],
      ],
    ]);
    expect(p2(batch).map((i) => (i.kind === 'permit2-transfer-from' ? [i.token, i.to, i.amount] : i.kind))).toEqual([
      [TOKEN, SPENDER, '1'],
      [NFT, USER, '2'],
    ]);
  });
});

describe('ownership and upgrades', () => {
  const newOwner = addr(0xbad);
  it.each([
    ['setOwner(address)', [newOwner]],
    ['transferOwnership(address)', [newOwner]],
    ['addOwnerWithThreshold(address,uint256)', [newOwner, 1n]],
    ['swapOwner(address,address,address)', [addr(1), USER, newOwner]],
  ])('%s is an ownership change', (signature, args) => {
    expect(decode(encode(signature, args), { to: SAFE })).toEqual([
      { kind: 'ownership-change', contract: SAFE, newOwner, method: signature, path: 'tx', actor: USER },
    ]);
  });

  it('upgradeTo, and upgradeToAndCall recursing into the initialiser', () => {
    const impl = addr(0x1111);
    expect(decode(encode('upgradeTo(address)', [impl]), { to: SAFE })).toEqual([
      { kind: 'upgrade', contract: SAFE, implementation: impl, method: 'upgradeTo(address)', path: 'tx', actor: USER },
    ]);
    const init = encode('transferOwnership(address)', [newOwner]);
    expect(decode(encode('upgradeToAndCall(address,bytes)', [impl, init]), { to: SAFE })).toMatchObject([
      { kind: 'upgrade', implementation: impl },
      { kind: 'ownership-change', contract: SAFE, newOwner, path: 'tx.upgradeToAndCall' },
    ]);
  });
});

describe('malformed calldata', () => {
  it('a known selector with truncated arguments throws RISK_DECODE_FAILED with the cause kept', () => {
    const data = encode('approve(address,uint256)', [SPENDER, 1n]).slice(0, 40) as Hex;
    const error = rejection(() => decode(data));
    expect(error.code).toBe('RISK_DECODE_FAILED');
    expect(error.details).toEqual({ selector: '0x095ea7b3', path: 'tx' });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('a bad offset inside a wrapper throws RISK_DECODE_FAILED', () => {
    const data = `0xac9650d8${'f'.repeat(64)}` as Hex;
    expect(rejection(() => decode(data)).code).toBe('RISK_DECODE_FAILED');
  });

  it('input that is not a call at all is RISK_INVALID_REQUEST', () => {
    expect(rejection(() => decode('0xzz' as Hex)).code).toBe('RISK_INVALID_REQUEST');
    expect(rejection(() => decode('0x', { value: '-1' })).code).toBe('RISK_INVALID_REQUEST');
  });
});

describe('properties', () => {
  const selectors = decodedSignatures().map((signature) => toFunctionSelector(signature).slice(2));
  const allowed = new Set(['RISK_DECODE_FAILED', 'RISK_INVALID_REQUEST']);
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

  function decodesOrRefuses(data: Hex, to: Address = TOKEN): boolean {
    try {
      const intents = decode(data, { to });
      return Array.isArray(intents);
    } catch (error) {
      return error instanceof BaseError && allowed.has(error.code);
    }
  }

  /** Values of any ABI type, biased to small integers so enums and modes hit their valid cases. */
  function valuesOf(param: AbiParameter): fc.Arbitrary<unknown> {
    const array = /^(.*)\[(\d*)\]$/.exec(param.type);
    if (array) {
      const element = valuesOf({ ...param, type: array[1] as string });
      const length = array[2] ? Number(array[2]) : undefined;
      return fc.array(element, { minLength: length ?? 0, maxLength: length ?? 3 });
    }
    if (param.type === 'tuple') {
      const components = 'components' in param ? param.components : [];
      return fc.tuple(...components.map(valuesOf));
    }
    const bits = /^(u?)int(\d+)$/.exec(param.type);
    if (bits) {
      const size = BigInt(bits[2] as string);
      const [min, max] = bits[1] ? [0n, (1n << size) - 1n] : [-(1n << (size - 1n)), (1n << (size - 1n)) - 1n];
      return fc.oneof(fc.bigInt({ min: 0n, max: 3n }), fc.bigInt({ min, max }));
    }
    const fixed = /^bytes(\d+)$/.exec(param.type);
    if (fixed)
      return fc.uint8Array({ minLength: Number(fixed[1]), maxLength: Number(fixed[1]) }).map((b) => `0x${hex(b)}`);
    if (param.type === 'address')
      return fc.oneof(
        fc.constantFrom(addr(1), addr(2), USER, TOKEN),
        fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${hex(b)}`),
      );
    if (param.type === 'bool') return fc.boolean();
    if (param.type === 'string') return fc.string({ maxLength: 20 });
    // bytes: junk, or junk behind a modelled selector so wrappers recurse into something.
    return fc.oneof(
      fc.uint8Array({ maxLength: 80 }).map((b) => `0x${hex(b)}`),
      fc.tuple(fc.constantFrom(...selectors), fc.uint8Array({ maxLength: 200 })).map(([sel, b]) => `0x${sel}${hex(b)}`),
    );
  }

  it('validly encoded random arguments for every modelled function decode or are refused with a typed error', () => {
    const calls = decodedSignatures().map((signature) => {
      const item = parseAbiItem(`function ${signature}`) as AbiFunction;
      return fc.tuple(...item.inputs.map(valuesOf)).map((args) => encodeFunctionData({ abi: [item], args } as never));
    });
    fc.assert(
      fc.property(fc.oneof(...calls), (data) => decodesOrRefuses(data, ROUTER)),
      { numRuns: RUNS },
    );
  });

  it('validly encoded token and authority calls always decode, to at least one intent', () => {
    const plain = TOKEN_CALLS.map((h) => h.signature).filter((signature) => !signature.includes('AndCall'));
    const calls = plain.map((signature) => {
      const item = parseAbiItem(`function ${signature}`) as AbiFunction;
      return fc.tuple(...item.inputs.map(valuesOf)).map((args) => encodeFunctionData({ abi: [item], args } as never));
    });
    fc.assert(
      fc.property(fc.oneof(...calls), (data) => decode(data).length >= 1),
      { numRuns: RUNS },
    );
  });

  it('any bytes decode to intents or a typed refusal', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => decodesOrRefuses(`0x${hex(bytes)}`)),
      { numRuns: RUNS },
    );
  });

  it('any bytes behind a modelled selector decode to intents or a typed refusal', () => {
    fc.assert(
      fc.property(fc.constantFrom(...selectors), fc.uint8Array({ maxLength: 600 }), (selector, bytes) =>
        decodesOrRefuses(`0x${selector}${hex(bytes)}`, ROUTER),
      ),
      { numRuns: RUNS },
    );
  });

  it('word-structured junk (small offsets and lengths) behind a modelled selector', () => {
    const word = fc.oneof(
      fc.integer({ min: 0, max: 0x400 }).map((n) => n.toString(16).padStart(64, '0')),
      fc.constantFrom(...selectors).map((s) => s.padEnd(64, '0')),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hex),
    );
    fc.assert(
      fc.property(fc.constantFrom(...selectors), fc.array(word, { maxLength: 24 }), (selector, words) =>
        decodesOrRefuses(`0x${selector}${words.join('')}`, ROUTER),
      ),
      { numRuns: RUNS },
    );
  });

  it('wrappers around random inner calldata decode or refuse, never crash', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 4 }),
        fc.constantFrom(...selectors),
        (inner, selector) => {
          const calls = inner.map((bytes) => `0x${selector}${hex(bytes)}` as Hex);
          return decodesOrRefuses(encode('multicall(bytes[])', [calls]));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
