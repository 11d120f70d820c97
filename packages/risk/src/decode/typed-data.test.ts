/**
 * `decodeTypedDataRequest` against the corpus payloads, against digests produced by independent
 * implementations (MetaMask signatures over Permit2 data, a viem local account), and under the
 * hostile encodings wallets accept — each must sign the same digest or be refused.
 */
import {
  type Hex,
  hashTypedData,
  recoverAddress,
  recoverTypedDataAddress,
  type TypedDataDefinition,
  toHex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import {
  DRAINER,
  decodeTyped as decode,
  EIP712_DOMAIN,
  HARDHAT_KEY_0,
  json,
  outcome,
  payload,
  SIGNER,
  USDC,
  usdcPermit,
} from '../testing/decode.js';
import { decodeTypedDataRequest } from './typed-data.js';

const usdcPermitIntent = {
  kind: 'permit',
  scheme: 'eip2612',
  path: 'message',
  actor: SIGNER,
  token: USDC,
  spender: DRAINER,
  owner: SIGNER,
  amount: '1033366316628',
  deadline: '1678709555',
  nonce: '1',
  verifyingContract: USDC,
};

describe('corpus payloads', () => {
  it('mm-ppom-malicious-permit: an EIP-2612 USDC permit to a drainer', () => {
    const decoded = decode(payload('mm-ppom-malicious-permit').request.params[1]);
    expect(decoded).toMatchObject({ schema: 'eip2612.Permit', signer: SIGNER, primaryType: 'Permit' });
    expect(decoded.domain).toEqual({ name: 'USD Coin', version: '2', chainId: 1, verifyingContract: USDC });
    expect(decoded.intents).toEqual([usdcPermitIntent]);
    expect(decoded.digest).toBe(hashTypedData(usdcPermit as unknown as TypedDataDefinition));
  });

  it('mm-bypass-permit-int-address: the decimal verifyingContract is USDC and signs the same digest', () => {
    const doc = payload('mm-bypass-permit-int-address').request.params[1];
    expect(doc).toContain('"917551056842671309452305380979543736893630245704"');
    const decoded = decode(doc);
    expect(decoded.domain.verifyingContract).toBe(USDC);
    expect(decoded.intents).toEqual([usdcPermitIntent]);
    // EIP-712 encodes an address as uint160: the integer and the hex form are the same word.
    expect(decoded.digest).toBe(hashTypedData(usdcPermit as unknown as TypedDataDefinition));
  });

  it('mm-ppom-malicious-seaport: six NFTs offered, every consideration item to one recipient', () => {
    const doc = payload('mm-ppom-malicious-seaport').request.params[1];
    const decoded = decodeTypedDataRequest(
      'eth_signTypedData_v4',
      payload('mm-ppom-malicious-seaport').request.params,
      1,
    );
    if (decoded.type !== 'typed-data') throw new Error('expected typed data');
    expect(decoded.schema).toBe('seaport.OrderComponents');
    expect(decoded.digest).toBe(hashTypedData(JSON.parse(doc)));
    const [order] = decoded.intents;
    if (order?.kind !== 'order') throw new Error('expected an order');
    expect(order.offerer).toBe('0x5a6f5477bdeb7801ba137a9f0dc39c0599bac994');
    expect(order.expiry).toBe('1681983215');
    expect(order.offer.map((o) => `${o.asset}:${o.token.slice(0, 6)}:${o.id}:${o.amount}`)).toEqual([
      'erc721:0x60e4:26464:1',
      'erc721:0x60e4:7779:1',
      'erc721:0x60e4:4770:1',
      'erc721:0xba30:9594:1',
      'erc721:0xba30:2118:1',
      'erc721:0xba30:1753:1',
    ]);
    expect(new Set(order.consideration.map((c) => c.recipient))).toEqual(
      new Set(['0xdfdc0b1cf8e9950d6a860af6501c4fecf7825cc1']),
    );
  });

  it.each([
    ['mm-benign-permit2-batch-universal-router', '0x3fc91a3afd70395cd496c647d5a6cc9d4b2b7fad', 2],
    ['syn-permit2-batch-drainer', DRAINER, 4],
  ])('%s: one Permit2 allowance per detail', (name, spender, count) => {
    const doc = payload(name).request.params[1];
    const decoded = decode(doc);
    expect(decoded.schema).toBe('permit2.PermitBatch');
    // viem refuses the drainer payload's wrong checksum (…e9eB0cE…); wallets sign it all the same.
    const lowercase = doc.replace(/0x[0-9a-fA-F]{40}/g, (a) => a.toLowerCase());
    expect(decoded.digest).toBe(hashTypedData(JSON.parse(lowercase)));
    expect(decoded.domain).toEqual({
      name: 'Permit2',
      chainId: 1,
      verifyingContract: '0x000000000022d473030f116ddee9f6b43ac78ba3',
    });
    expect(decoded.intents).toHaveLength(count);
    for (const [i, intent] of decoded.intents.entries()) {
      expect(intent).toMatchObject({
        kind: 'permit',
        scheme: 'permit2',
        spender,
        owner: SIGNER,
        path: `message.details[${i}]`,
      });
    }
    expect(decoded.intents[0]).toMatchObject({ amount: ((1n << 160n) - 1n).toString() });
  });
});

describe('the digest is what the wallet signs', () => {
  // MetaMask signatures by Hardhat account #0 over Permit2 typed data, from Uniswap/permit2
  // test/TypehashGeneration.t.sol (MIT): an independent implementation's digest.
  const domain = { name: 'Permit2', chainId: 1, verifyingContract: '0xCe71065D4017F316EC606Fe4422e11eB2c47c246' };
  const EIP712Domain = [EIP712_DOMAIN[0], EIP712_DOMAIN[2], EIP712_DOMAIN[3]];
  const token1 = '0x1f9840a85d5aF5bf1D1762F925BDADdC4201F984';
  const token2 = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';
  const spender = '0x68b3465833fb72A70ecDF485E0e4C7bD8665Fc45';
  const details = (token: string) => ({ token, amount: 100, expiration: 946902158100, nonce: 0 });
  const PermitDetails = [
    { name: 'token', type: 'address' },
    { name: 'amount', type: 'uint160' },
    { name: 'expiration', type: 'uint48' },
    { name: 'nonce', type: 'uint48' },
  ];
  const TokenPermissions = [
    { name: 'token', type: 'address' },
    { name: 'amount', type: 'uint256' },
  ];
  const transferFields = (permitted: string) => [
    { name: 'permitted', type: permitted },
    { name: 'spender', type: 'address' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ];
  const witness = { person: '0xd5F5175D014F28c85F7D67A111C2c9335D7CD771', amount: 100 };
  const MockWitness = [
    { name: 'person', type: 'address' },
    { name: 'amount', type: 'uint256' },
  ];
  const cases: [string, Record<string, unknown>, string, Record<string, unknown>, Hex][] = [
    [
      'PermitSingle',
      {
        PermitSingle: [
          { name: 'details', type: 'PermitDetails' },
          { name: 'spender', type: 'address' },
          { name: 'sigDeadline', type: 'uint256' },
        ],
        PermitDetails,
      },
      'permit2.PermitSingle',
      { details: details(token1), spender, sigDeadline: 146902158100 },
      '0xdb5507adaba8ed8e1d83dc7cb64980735c4769076c657d80563ce9a991fbb1981d07973917923c7942307e63285ff2e9e8d435fc4da8cdc7546a669bf474fb6d1b',
    ],
    [
      'PermitBatch',
      {
        PermitBatch: [
          { name: 'details', type: 'PermitDetails[]' },
          { name: 'spender', type: 'address' },
          { name: 'sigDeadline', type: 'uint256' },
        ],
        PermitDetails,
      },
      'permit2.PermitBatch',
      { details: [details(token1), details(token2)], spender, sigDeadline: 146902158100 },
      '0x3d298c897075538134ee0003bba9b149fac6e4b3496e34272f6731c32be2a710682657710eb4208db1eb6a6dac08b375f171733604e4e1deed30d49e22d0c42f1c',
    ],
    [
      'PermitTransferFrom',
      { PermitTransferFrom: transferFields('TokenPermissions'), TokenPermissions },
      'permit2.PermitTransferFrom',
      { permitted: { token: token1, amount: 100 }, spender, nonce: 0, deadline: 146902158100 },
      '0xc12d33a96aef9ea42f1ad72587f52b5113b68d7b8fe35675fc0bb1ade377345556f3bbecb0c791bc9e23e58ce3a889f39c4b37b315faa264b8e4b5f2d5f7b3651b',
    ],
    [
      'PermitBatchTransferFrom',
      { PermitBatchTransferFrom: transferFields('TokenPermissions[]'), TokenPermissions },
      'permit2.PermitBatchTransferFrom',
      {
        permitted: [
          { token: token1, amount: 100 },
          { token: token2, amount: 100 },
        ],
        spender,
        nonce: 0,
        deadline: 146902158100,
      },
      '0x8987ef38bdbf7f7dd8f133c92a331b5359036ca9732b2cf15750f1a56050159e10a62544d74648d917ce4c1b670024a771aadb8bace7db63ef6f5d3975451b231b',
    ],
    [
      'PermitWitnessTransferFrom',
      {
        PermitWitnessTransferFrom: [...transferFields('TokenPermissions'), { name: 'witness', type: 'MockWitness' }],
        TokenPermissions,
        MockWitness,
      },
      'permit2.PermitWitnessTransferFrom',
      { permitted: { token: token1, amount: 100 }, spender, nonce: 0, deadline: 146902158100, witness },
      '0x6cf7721a2a489c29d86fe0bb9b1f5f440a6a7e3fea5f5533ec080068025a7d4f30d7d8452106654827fd3b44f24260bacb8cf191ec185fc19fc24f5941d573d71c',
    ],
    [
      'PermitBatchWitnessTransferFrom',
      {
        PermitBatchWitnessTransferFrom: [
          ...transferFields('TokenPermissions[]'),
          { name: 'witness', type: 'MockWitness' },
        ],
        TokenPermissions,
        MockWitness,
      },
      'permit2.PermitBatchWitnessTransferFrom',
      {
        permitted: [
          { token: token1, amount: 100 },
          { token: token2, amount: 100 },
        ],
        spender,
        nonce: 0,
        deadline: 146902158100,
        witness,
      },
      '0x0dff2ebed15802a2a21eaac44a12fb182ac41771aaaf6ff33a6a5c78ac66aec306e693dba180302dc0b6aecd97261adfa91f27fd0964e71f58c8b40444ce2f7a1b',
    ],
  ];

  it.each(cases)(
    'MetaMask-signed Permit2 %s recovers to the signer from our digest',
    async (primaryType, types, schema, message, signature) => {
      const decoded = decode({ domain, types: { EIP712Domain, ...types }, primaryType, message });
      expect(decoded.schema).toBe(schema);
      expect(await recoverAddress({ hash: decoded.digest, signature })).toBe(
        '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      );
    },
  );

  it('a viem local account’s signature recovers from the digest of a hostile encoding of the same permit', async () => {
    const account = privateKeyToAccount(HARDHAT_KEY_0);
    const signature = await account.signTypedData(usdcPermit as unknown as TypedDataDefinition);
    const hostile = {
      domain: { name: 'USD Coin', version: '2', chainId: '0x01', verifyingContract: BigInt(USDC).toString() },
      types: usdcPermit.types,
      primaryType: 'Permit',
      message: {
        owner: '0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266',
        spender: '0x1661F1B207629E4F385DA89CFF535C8E5EB23EE3',
        value: toHex(1033366316628n),
        nonce: 1,
        deadline: '1678709555',
        note: 'not declared, not hashed',
      },
    };
    const decoded = decode(hostile);
    expect(decoded.intents).toEqual([usdcPermitIntent]);
    expect(await recoverAddress({ hash: decoded.digest, signature })).toBe(account.address);
    expect(await recoverTypedDataAddress({ ...(usdcPermit as unknown as TypedDataDefinition), signature })).toBe(
      account.address,
    );
  });

  it('without a declared EIP712Domain the domain fields present are hashed, as viem and ethers do', () => {
    const { EIP712Domain: _, ...types } = usdcPermit.types;
    const decoded = decode({ ...usdcPermit, types });
    expect(decoded.digest).toBe(hashTypedData(usdcPermit as unknown as TypedDataDefinition));
    expect(decoded.domain).toEqual({ name: 'USD Coin', version: '2', chainId: 1, verifyingContract: USDC });
  });

  it('a domain-only signature (primaryType EIP712Domain) hashes the domain alone', () => {
    const decoded = decode({ ...usdcPermit, primaryType: 'EIP712Domain', message: {} });
    expect(decoded.schema).toBe('unknown');
    expect(decoded.digest).toBe(
      hashTypedData({ ...usdcPermit, primaryType: 'EIP712Domain', message: {} } as unknown as TypedDataDefinition),
    );
  });
});

describe('hostile encodings', () => {
  const digestOf = (overrides: { domain?: object; message?: object }) =>
    decode({
      ...usdcPermit,
      domain: { ...usdcPermit.domain, ...overrides.domain },
      message: { ...usdcPermit.message, ...overrides.message },
    }).digest;
  const reference = hashTypedData(usdcPermit as unknown as TypedDataDefinition);

  it.each([
    ['chainId "0x01"', { domain: { chainId: '0x01' } }],
    ['chainId "1"', { domain: { chainId: '1' } }],
    ['verifyingContract as a decimal string', { domain: { verifyingContract: BigInt(USDC).toString() } }],
    ['spender as a decimal string', { message: { spender: BigInt(DRAINER).toString() } }],
    ['spender with a wrong checksum', { message: { spender: '0x1661f1B207629e4F385DA89cFF535C8E5Eb23Ee3' } }],
    ['spender with an upper-case 0X', { message: { spender: `0X${DRAINER.slice(2)}` } }],
    ['value as 0x-hex', { message: { value: toHex(1033366316628n) } }],
    ['value with leading zeros', { message: { value: '0001033366316628' } }],
    ['nonce as a JSON number', { message: { nonce: 1 } }],
  ])('%s signs the same digest', (_label, overrides) => {
    expect(digestOf(overrides)).toBe(reference);
  });

  it('an address given as a small JSON number is that uint160', () => {
    expect(decode({ ...usdcPermit, message: { ...usdcPermit.message, spender: 4660 } }).intents[0]).toMatchObject({
      spender: '0x0000000000000000000000000000000000001234',
    });
  });

  it.each([
    ['40 hex digits without 0x (ethers reads hex, MetaMask garbage)', DRAINER.slice(2)],
    ['40 decimal digits (ethers reads hex, MetaMask decimal)', '1234567890123456789012345678901234567890'],
    ['an integer of 2^160', (1n << 160n).toString()],
    ['a short hex address', '0x1234'],
    ['surrounding spaces', ` ${DRAINER}`],
  ])('refuses an ambiguous address: %s', (_label, spender) => {
    expect(outcome(() => decode({ ...usdcPermit, message: { ...usdcPermit.message, spender } }))).toBe('invalid');
  });

  const daiDoc = (allowed: unknown) => ({
    domain: {
      name: 'Dai Stablecoin',
      version: '1',
      chainId: 1,
      verifyingContract: '0x6b175474e89094c44da98b954eedeac495271d0f',
    },
    types: {
      EIP712Domain: EIP712_DOMAIN,
      Permit: [
        { name: 'holder', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'nonce', type: 'uint256' },
        { name: 'expiry', type: 'uint256' },
        { name: 'allowed', type: 'bool' },
      ],
    },
    primaryType: 'Permit',
    message: { holder: SIGNER, spender: DRAINER, nonce: 0, expiry: 0, allowed },
  });

  it('a bool given as the string "false" is true, as MetaMask and ethers sign it', () => {
    const decoded = decode(daiDoc('false'));
    expect(decoded.intents[0]).toMatchObject({ scheme: 'dai', amount: ((1n << 256n) - 1n).toString() });
    expect(decoded.digest).toBe(decode(daiDoc(true)).digest);
    expect(decode(daiDoc(0)).digest).toBe(decode(daiDoc(false)).digest);
  });

  const bytesDoc = (type: string, value: unknown) => ({
    domain: { name: 'x' },
    types: { Blob: [{ name: 'data', type }] },
    primaryType: 'Blob',
    message: { data: value },
  });
  const blobDigest = (type: string, value: unknown) =>
    hashTypedData({
      ...bytesDoc(type, value),
      types: { Blob: [{ name: 'data', type }] },
    } as unknown as TypedDataDefinition);

  it('a bytesN shorter than N is right-padded, as ABI encoding does', () => {
    expect(decode(bytesDoc('bytes4', '0x12')).digest).toBe(blobDigest('bytes4', '0x12000000'));
    expect(decode(bytesDoc('bytes4', '0xABCDEF01')).digest).toBe(blobDigest('bytes4', '0xabcdef01'));
    expect(outcome(() => decode(bytesDoc('bytes4', '0x1234567890')))).toBe('invalid');
  });

  it('a bytes value that is not 0x-hex is its UTF-8, as MetaMask hashes it', () => {
    expect(decode(bytesDoc('bytes', 'hello')).digest).toBe(blobDigest('bytes', toHex('hello')));
    expect(decode(bytesDoc('bytes', '0x123')).digest).toBe(blobDigest('bytes', '0x0123'));
  });

  it('a domain chainId other than the wallet’s is recorded, not refused', () => {
    const decoded = decodeTypedDataRequest(
      'eth_signTypedData_v4',
      [SIGNER, json({ ...usdcPermit, domain: { ...usdcPermit.domain, chainId: 137 } })],
      1,
    );
    expect(decoded.type === 'typed-data' && decoded.domain.chainId).toBe(137);
  });

  it('domain fields EIP712Domain does not declare are neither hashed nor recorded', () => {
    const doc = payload('mm-benign-permit2-batch-universal-router').request.params[1];
    const withVersion = JSON.parse(doc);
    withVersion.domain.version = '1';
    const decoded = decode(withVersion);
    expect(decoded.domain).not.toHaveProperty('version');
    expect(decoded.digest).toBe(decode(doc).digest);
  });
});
