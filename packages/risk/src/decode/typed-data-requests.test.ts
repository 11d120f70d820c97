/**
 * `decodeTypedDataRequest` refusals (every malformed or ambiguous input is RISK_INVALID_REQUEST
 * naming its field), param orders, methods, and legacy v1 typed data against eth-sig-util vectors.
 */
import { BaseError } from '@custos/core';
import { describe, expect, it } from 'vitest';
import { DRAINER, decodeTyped as decode, json, outcome, PERMIT, SIGNER, usdcPermit } from '../testing/decode.js';
import { decodeTypedDataRequest } from './typed-data.js';
import { MAX_DEPTH } from './typed-data-parse.js';

/** A chain of `depth` nested structs (`depth` 1 is a flat message). */
function nested(depth: number) {
  const types: Record<string, { name: string; type: string }[]> = {};
  let message: Record<string, unknown> = { v: 1 };
  for (let i = depth; i >= 1; i--) {
    types[`S${i}`] = i === depth ? [{ name: 'v', type: 'uint8' }] : [{ name: 'inner', type: `S${i + 1}` }];
    if (i < depth) message = { inner: message };
  }
  return { domain: {}, types, primaryType: 'S1', message };
}

describe('malformed requests are RISK_INVALID_REQUEST', () => {
  const base = usdcPermit;
  const withMessage = (message: object) => ({ ...base, message: { ...base.message, ...message } });
  const cases: [string, unknown][] = [
    ['missing types', { ...base, types: undefined }],
    ['types not an object', { ...base, types: [] }],
    ['primaryType not in types', { ...base, primaryType: 'Transfer' }],
    ['primaryType missing', { ...base, primaryType: undefined }],
    ['an array primaryType', { ...base, primaryType: 'Permit[]' }],
    ['domain not an object', { ...base, domain: 'USDC' }],
    ['message not an object', { ...base, message: [1] }],
    ['a uint given "abc"', withMessage({ value: 'abc' })],
    ['a uint given a negative number', withMessage({ value: -1 })],
    ['a uint given a fraction', withMessage({ value: 1.5 })],
    ['a uint above 2^256 − 1', withMessage({ value: (1n << 256n).toString() })],
    ['a missing message field', { ...base, message: { owner: SIGNER } }],
    ['a null message field', withMessage({ nonce: null })],
    ['an address given an object', withMessage({ spender: { a: 1 } })],
    ['an unknown field type', { ...base, types: { ...base.types, Permit: [...PERMIT, { name: 'x', type: 'uint7' }] } }],
    [
      'an undefined struct type',
      { ...base, types: { ...base.types, Permit: [...PERMIT, { name: 'x', type: 'Foo' }] } },
    ],
    ['a field declared twice', { ...base, types: { ...base.types, Permit: [...PERMIT, PERMIT[0]] } }],
    ['a field name with a comma', { ...base, types: { ...base.types, Permit: [{ name: 'a,b', type: 'uint8' }] } }],
    ['a struct name with parentheses', { ...base, types: { ...base.types, 'P()': PERMIT } }],
    ['a struct named like an atomic type', { ...base, types: { ...base.types, uint256: PERMIT } }],
    ['a struct named like a Solidity type', { ...base, types: { ...base.types, uint7: PERMIT } }],
    [
      'an EIP712Domain field that is not standard',
      { ...base, types: { ...base.types, EIP712Domain: [{ name: 'foo', type: 'string' }] } },
    ],
    [
      'an EIP712Domain field of the wrong type',
      { ...base, types: { ...base.types, EIP712Domain: [{ name: 'chainId', type: 'string' }] } },
    ],
    ['a declared domain field missing', { ...base, domain: { name: 'USD Coin' } }],
    ['chainId "abc"', { ...base, domain: { ...base.domain, chainId: 'abc' } }],
    ['chainId 0', { ...base, domain: { ...base.domain, chainId: 0 } }],
    ['verifyingContract "cosmos"', { ...base, domain: { ...base.domain, verifyingContract: 'cosmos' } }],
    [
      'an array given where a struct belongs',
      {
        domain: {},
        types: { A: [{ name: 'b', type: 'B' }], B: [{ name: 'x', type: 'uint8' }] },
        primaryType: 'A',
        message: { b: [1] },
      },
    ],
    [
      'a struct given where an array belongs',
      { domain: {}, types: { A: [{ name: 'b', type: 'uint8[]' }] }, primaryType: 'A', message: { b: { 0: 1 } } },
    ],
    [
      'circular types A → B → A',
      {
        domain: {},
        types: { A: [{ name: 'b', type: 'B' }], B: [{ name: 'a', type: 'A[]' }] },
        primaryType: 'A',
        message: { b: { a: [] } },
      },
    ],
    [
      'a self-recursive type',
      { domain: {}, types: { Node: [{ name: 'kids', type: 'Node[]' }] }, primaryType: 'Node', message: { kids: [] } },
    ],
    [`nesting ${MAX_DEPTH + 1} levels deep`, nested(MAX_DEPTH + 1)],
    ['invalid JSON', '{"types": '],
    ['a JSON number', '42'],
  ];

  it.each(cases)('%s', (_label, doc) => {
    expect(outcome(() => decode(doc))).toBe('invalid');
  });

  it(`accepts nesting of exactly ${MAX_DEPTH} levels`, () => {
    expect(decode(nested(MAX_DEPTH)).schema).toBe('unknown');
  });

  it.each([
    ['params not an array', { 0: SIGNER }],
    ['one param', [SIGNER]],
    ['no address at all', [json(usdcPermit), json(usdcPermit)]],
    ['a signer that is not an address', ['0x1234', json(usdcPermit)]],
    ['typed data that is a boolean', [SIGNER, true]],
  ])('%s', (_label, params) => {
    expect(outcome(() => decodeTypedDataRequest('eth_signTypedData_v4', params, 1))).toBe('invalid');
  });

  it('an error names the field that failed', () => {
    try {
      decode(withMessage({ value: 'abc' }));
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(BaseError);
      expect((error as BaseError).details.field).toBe('params[1].message.value');
    }
  });
});

describe('params and methods', () => {
  it('accepts [typedData, signer] when the first param is not an address, and an object document', () => {
    const swapped = decodeTypedDataRequest('eth_signTypedData_v4', [json(usdcPermit), SIGNER], 1);
    const object = decodeTypedDataRequest('eth_signTypedData_v4', [SIGNER, JSON.parse(json(usdcPermit))], 1);
    const v3 = decodeTypedDataRequest('eth_signTypedData_v3', [SIGNER, json(usdcPermit)], 1);
    for (const decoded of [swapped, object, v3]) {
      expect(decoded).toMatchObject({ type: 'typed-data', signer: SIGNER, schema: 'eip2612.Permit' });
    }
    expect(v3).toMatchObject({ method: 'eth_signTypedData_v3' });
  });

  it('an unrecognised document is schema unknown with no intents', () => {
    const decoded = decode({
      domain: { name: 'Totally Legit Airdrop', chainId: 1 },
      types: {
        Claim: [
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
        ],
      },
      primaryType: 'Claim',
      message: { spender: DRAINER, value: ((1n << 256n) - 1n).toString() },
    });
    expect(decoded).toMatchObject({
      schema: 'unknown',
      intents: [],
      domain: { name: 'Totally Legit Airdrop', chainId: 1 },
    });
  });

  it('a Permit2-named domain does not make a document Permit2: the types decide', () => {
    const decoded = decode({
      domain: { name: 'Permit2', chainId: 1, verifyingContract: '0x000000000022d473030f116ddee9f6b43ac78ba3' },
      types: { PermitSingle: [{ name: 'spender', type: 'address' }] },
      primaryType: 'PermitSingle',
      message: { spender: DRAINER },
    });
    expect(decoded.schema).toBe('unknown');
  });

  // Vectors from @metamask/eth-sig-util's `typedSignatureHash` tests (MIT).
  it.each([
    [
      [
        { type: 'string', name: 'message', value: 'Hi, Alice!' },
        { type: 'uint8', name: 'value', value: 10 },
      ],
      '0xf7ad23226db5c1c00ca0ca1468fd49c8f8bbc1489bc1c382de5adc557a69c229',
    ],
    [
      [{ type: 'address', name: 'message', value: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' }],
      '0x04c21f11808f1da08fcc268b752f1b27ff3398234a08c4e4ec3350518c03555d',
    ],
    [
      [{ type: 'bool', name: 'message', value: 'false' }],
      '0x4401c8323e5bef2e92610abb1fdec4b8d6672a233a3ab50c621a62193e7c998d',
    ],
    [
      [{ type: 'bool', name: 'message', value: false }],
      '0x5611bafe7fef082941c84a60b14c9c9bc65e75b6c3a8bdde354ea7c19224133c',
    ],
    [
      [{ type: 'bytes', name: 'message', value: '0x10' }],
      '0xc7aadc43dcbb4f7fd58f426049c2fa422d065883e967ec01f256d58567167b11',
    ],
    [
      [{ type: 'bytes', name: 'message', value: '10' }],
      '0x76b2b458c966fbaa1dc0d7b4c3009ed5b7b97de8b43de21b1dac0c0edf9c623f',
    ],
    [
      [{ type: 'bytes32', name: 'message', value: '0x10' }],
      '0x069f13801896fb0f05589f2a15923974e0264816a616cb34b02f2282dfb12709',
    ],
    [
      [{ type: 'int', name: 'message', value: 0 }],
      '0x686fb61f0afb05d69bd879972afed7426967a5e91003e083d5eafb2cb1ccd6ee',
    ],
    [
      [{ type: 'int8', name: 'message', value: '0x0' }],
      '0x83a255171acdbdc915af829b403e5e99bdd55d0c2029f8b257575d7e4cbf2afc',
    ],
    [
      [{ type: 'int256', name: 'message', value: -9007199254740991 }],
      '0x0258bedb71140dbb942d7249f9eee22ecf400a98d5efb6d700ce67a7522ea5c6',
    ],
    [
      [{ type: 'string', name: 'message', value: 'Hello!' }],
      '0x77273fe101105a2ee5b7404e3510b6dce57a614f9b71a21ca56f1ef045f938dd',
    ],
    [
      [{ type: 'string', name: 'message', value: '😁' }],
      '0xa71914f88ee19b3e0108d7495053a591858052850cebd62120ea2ccfefb7c651',
    ],
    [
      [{ type: 'uint', name: 'message', value: '0' }],
      '0xf57c2405e30bca7599fa9475502c7dc1fa363a71c8d7472d614dcfd1cde00b1a',
    ],
    [
      [{ type: 'uint8', name: 'message', value: 255 }],
      '0xaba3a954e6f9a8ad5fe36dff7559301ac22d643e8a6101f66631ac6b1b63d4bb',
    ],
    [
      [{ type: 'uint256', name: 'message', value: 9007199254740991 }],
      '0x05770f527520e29c71a473d53acf69c509cccc5df4add1422ab4b486198d6b6c',
    ],
  ])('legacy eth_signTypedData v1 %#: schema legacy-v1, eth-sig-util digest', (data, digest) => {
    const decoded = decodeTypedDataRequest('eth_signTypedData', [data, SIGNER], 1);
    expect(decoded).toMatchObject({ type: 'typed-data', schema: 'legacy-v1', intents: [], digest, signer: SIGNER });
  });

  it('legacy v1: [signer, data] order, JSON text, and refusals', () => {
    const data = [{ type: 'string', name: 'message', value: 'Hello!' }];
    expect(decodeTypedDataRequest('eth_signTypedData', [SIGNER, JSON.stringify(data)], 1)).toMatchObject({
      schema: 'legacy-v1',
    });
    for (const bad of [
      [],
      [{ type: 'uint8[]', name: 'a', value: [1] }],
      [{ type: 'string', name: '', value: 'x' }],
      [{ type: 'uint8', name: 'a', value: -255 }],
      [{ type: 'address', name: 'a', value: '1234' }],
      [{ type: 'function', name: 'a', value: '0x' }],
    ]) {
      expect(outcome(() => decodeTypedDataRequest('eth_signTypedData', [bad, SIGNER], 1))).toBe('invalid');
    }
    expect(outcome(() => decodeTypedDataRequest('eth_signTypedData_v4', [SIGNER, data], 1))).toBe('invalid');
  });

  it('eth_signTypedData given a v4 document decodes it as v4 (some wallets accept that)', () => {
    const decoded = decodeTypedDataRequest('eth_signTypedData', [SIGNER, json(usdcPermit)], 1);
    expect(decoded).toMatchObject({ method: 'eth_signTypedData', schema: 'eip2612.Permit' });
  });
});
