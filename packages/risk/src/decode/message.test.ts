/**
 * `decodeMessageRequest` against the corpus payloads and known shapes (hash, transaction, SIWE,
 * text, binary), the param orders and data readings MetaMask applies, refusals, and properties over
 * random bytes, strings and params.
 */
import fc from 'fast-check';
import { type Hex, keccak256, parseEther, serializeTransaction, stringToHex, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { HARDHAT_KEY_0, payload as loadPayload, outcome, RUNS, SIGNER } from '../testing/decode.js';
import type { Decoded } from '../types.js';
import { decodeMessageRequest, type MessageMethod, parseSiweMessage, printableText } from './message.js';

type MessageDecoded = Extract<Decoded, { type: 'message' }>;

const payload = (name: string) => loadPayload<{ method: MessageMethod; request: { params: [string, string] } }>(name);

function decode(method: MessageMethod, params: unknown): MessageDecoded {
  const decoded = decodeMessageRequest(method, params, 1);
  if (decoded.type !== 'message') throw new Error('expected a message');
  return decoded;
}

const shape = (d: MessageDecoded) => (d.intents[0]?.kind === 'raw-signature' ? d.intents[0].shape : undefined);

const SIWE = [
  'https://app.example.org wants you to sign in with your Ethereum account:',
  '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  '',
  'I accept the Terms of Service.',
  '',
  'URI: https://app.example.org/login',
  'Version: 1',
  'Chain ID: 1',
  'Nonce: 32891756',
  'Issued At: 2021-09-30T16:25:24Z',
  'Expiration Time: 2021-10-01T16:25:24Z',
  'Resources:',
  '- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/',
].join('\n');

describe('corpus payloads', () => {
  it('mm-eth-sign-blind-hash: eth_sign of a 32-byte hash', () => {
    const { method, request } = payload('mm-eth-sign-blind-hash');
    const decoded = decode(method, request.params);
    expect(decoded).toEqual({
      type: 'message',
      method: 'eth_sign',
      signer: SIGNER,
      data: '0x879a053d4800c6354e76c7985a865d2922c82fb5b3f4577b2fe08b998954f2e0',
      text: undefined,
      intents: [
        {
          kind: 'raw-signature',
          path: 'message',
          actor: SIGNER,
          method: 'eth_sign',
          shape: 'hash',
          domain: undefined,
        },
      ],
    });
  });

  it('syn-personal-sign-txhash-like: personal_sign of 32 opaque bytes', () => {
    const { method, request } = payload('syn-personal-sign-txhash-like');
    const decoded = decode(method, request.params);
    expect(decoded.signer).toBe(SIGNER);
    expect(decoded.data).toBe(request.params[0]);
    expect(shape(decoded)).toBe('hash');
  });
});

describe('shapes', () => {
  it('plain UTF-8 text, given as text or as hex, is text', () => {
    const text = 'Welcome to Example!\n\nClick to sign in.\tNonce: 7 — ünïcödé ✓';
    const asText = decode('personal_sign', [text, SIGNER]);
    const asHex = decode('personal_sign', [stringToHex(text), SIGNER]);
    for (const decoded of [asText, asHex]) {
      expect(decoded.data).toBe(stringToHex(text));
      expect(decoded.text).toBe(text);
      expect(shape(decoded)).toBe('text');
    }
  });

  it('a 32-character sentence is text, not a hash', () => {
    const text = 'Please sign to verify ownership.';
    expect(text).toHaveLength(32);
    expect(shape(decode('personal_sign', [text, SIGNER]))).toBe('text');
  });

  it('an EIP-4361 message is siwe with its domain; parseSiweMessage reads the fields', () => {
    const decoded = decode('personal_sign', [stringToHex(SIWE), SIGNER]);
    expect(shape(decoded)).toBe('siwe');
    expect(decoded.intents[0]).toMatchObject({ domain: 'app.example.org' });
    expect(parseSiweMessage(SIWE)).toEqual({
      scheme: 'https',
      domain: 'app.example.org',
      address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      statement: 'I accept the Terms of Service.',
      uri: 'https://app.example.org/login',
      version: '1',
      chainId: 1,
      nonce: '32891756',
      issuedAt: '2021-09-30T16:25:24Z',
      expirationTime: '2021-10-01T16:25:24Z',
    });
    const bare =
      'evil.example:8443 wants you to sign in with your Ethereum account:\r\n0xabc\r\n\r\nURI: x\r\nChain ID: 137';
    expect(parseSiweMessage(bare)).toMatchObject({ domain: 'evil.example:8443', uri: 'x', chainId: 137 });
    expect(parseSiweMessage(`Hello\n${SIWE}`)).toBeUndefined();
  });

  it('serialized transactions, signed or not, typed or legacy, are transaction', async () => {
    const account = privateKeyToAccount(HARDHAT_KEY_0);
    const tx = { to: SIGNER, value: parseEther('1'), chainId: 1, nonce: 3, gas: 21000n } as const;
    const unsigned1559 = serializeTransaction({ ...tx, type: 'eip1559', maxFeePerGas: 10n, maxPriorityFeePerGas: 1n });
    const signedLegacy = await account.signTransaction({ ...tx, type: 'legacy', gasPrice: 10n });
    for (const raw of [unsigned1559, signedLegacy]) {
      expect(shape(decode('eth_sign', [SIGNER, raw]))).toBe('transaction');
      expect(shape(decode('personal_sign', [raw, SIGNER]))).toBe('transaction');
    }
  });

  it('a transaction hash is hash; control characters, invalid UTF-8 and empty data are binary', () => {
    expect(shape(decode('eth_sign', [SIGNER, keccak256('0x01')]))).toBe('hash');
    for (const data of ['0x00', '0x48690007', '0xc328', '0x', `0x${'ff'.repeat(33)}`]) {
      const decoded = decode('eth_sign', [SIGNER, data]);
      expect(shape(decoded)).toBe('binary');
      expect(decoded.text).toBeUndefined();
    }
    expect(printableText(new Uint8Array([0xc2, 0x85]))).toBeUndefined(); // U+0085, a C1 control
  });
});

describe('params as wallets read them', () => {
  it('personal_sign [address, data] is swapped exactly when MetaMask swaps it', () => {
    const swapped = decode('personal_sign', [SIGNER, '0xdeadbeef']);
    expect(swapped).toMatchObject({ signer: SIGNER, data: '0xdeadbeef' });
    // A 20-byte message (42 characters) first is not swapped: it is the data.
    const twenty = `0x${'11'.repeat(20)}`;
    expect(decode('personal_sign', [twenty, SIGNER])).toMatchObject({ signer: SIGNER, data: twenty });
  });

  it('personal_sign data: hex without 0x is hex, 0X is text, odd hex is left-padded, "0x" is text', () => {
    expect(decode('personal_sign', ['abcd', SIGNER]).data).toBe('0xabcd');
    expect(decode('personal_sign', ['1234', SIGNER]).data).toBe('0x1234');
    expect(decode('personal_sign', ['0Xab', SIGNER]).data).toBe(stringToHex('0Xab'));
    expect(decode('personal_sign', ['0xabc', SIGNER]).data).toBe('0x0abc');
    expect(decode('personal_sign', ['0x', SIGNER]).data).toBe(stringToHex('0x'));
    expect(decode('personal_sign', ['', SIGNER]).data).toBe('0x');
  });

  it('checksum-wrong and upper-case signer addresses are accepted and lowercased', () => {
    const upper = `0x${SIGNER.slice(2).toUpperCase()}`;
    expect(decode('eth_sign', [upper, '0x01']).signer).toBe(SIGNER);
    expect(decode('personal_sign', ['0x01', '0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266']).signer).toBe(SIGNER);
  });

  it.each([
    ['eth_sign', 'not an array', { 0: SIGNER }],
    ['eth_sign', 'one param', [SIGNER]],
    ['eth_sign', 'text data', [SIGNER, 'hello']],
    ['eth_sign', 'missing data', [SIGNER, null]],
    ['eth_sign', 'a bad address', ['0x1234', '0x01']],
    ['personal_sign', 'a numeric message', [42, SIGNER]],
    ['personal_sign', 'a bad address', ['hello', 'alice.eth']],
    ['personal_sign', 'no address', ['hello', 'world']],
  ] as const)('%s with %s is RISK_INVALID_REQUEST', (method, _label, params) => {
    expect(outcome(() => decodeMessageRequest(method, params, 1))).toBe('invalid');
  });
});

describe('properties', () => {
  it('random bytes: the data round-trips and the shape is consistent with it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 96 }),
        fc.constantFrom<MessageMethod>('eth_sign', 'personal_sign'),
        (bytes, method) => {
          const hex: Hex = toHex(bytes);
          const params = method === 'eth_sign' ? [SIGNER, hex] : [hex, SIGNER];
          const decoded = decode(method, bytes.length === 0 && method === 'personal_sign' ? ['', SIGNER] : params);
          expect(decoded.data).toBe(hex);
          const s = shape(decoded);
          if (s === 'hash') expect(bytes.length).toBe(32);
          if (s === 'text' || s === 'siwe')
            expect(decoded.text).toBe(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
          else expect(decoded.text).toBeUndefined();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('random strings as personal_sign data are their UTF-8 unless they are hex', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const decoded = decode('personal_sign', [text, SIGNER]);
        const body = text.startsWith('0x') ? text.slice(2) : text;
        if (!/^[0-9a-fA-F]+$/.test(body)) expect(decoded.data).toBe(stringToHex(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('random params: a Decoded or RISK_INVALID_REQUEST, nothing else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.tuple(fc.jsonValue(), fc.jsonValue()),
          fc.tuple(fc.constant(SIGNER), fc.string()),
          fc.tuple(fc.string(), fc.constant(SIGNER)),
        ),
        fc.constantFrom<MessageMethod>('eth_sign', 'personal_sign'),
        (params, method) => {
          expect(['ok', 'invalid']).toContain(outcome(() => decodeMessageRequest(method, params, 1)));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
