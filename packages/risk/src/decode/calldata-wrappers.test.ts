/**
 * decodeCall on calls that carry calls: multicall and Multicall3 aggregates, the Uniswap Universal
 * Router's command plans (inputs encoded per its Dispatcher with viem's `encodeAbiParameters`),
 * Safe `execTransaction` and MultiSend, ERC-4337 `handleOps` (v0.6 and v0.7) and the smart-account
 * execution encodings (SimpleAccount-style batches, ERC-7579 modes): inner intents, their paths
 * and actors, delegatecall markers, and fail-closed refusals of malformed or over-deep nesting.
 */
import { encodeAbiParameters, encodePacked, type Hex, parseAbiParameters } from 'viem';
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
  rejection,
  SAFE,
  SIG,
  DRAINER as SPENDER,
  USDC as TOKEN,
  SIGNER as USER,
} from '../testing/decode.js';
import type { Address } from '../types.js';
import { MAX_CALL_DEPTH, MAX_NESTED_CALLDATA_BYTES } from './calldata.js';

const ENTRY_POINT: Address = '0x0000000071727de22e5e9d8baf0edac6f37da032';

describe('multicall and aggregate', () => {
  const approve = encode('approve(address,uint256)', [SPENDER, 1n]);
  const transfer = encode('transfer(address,uint256)', [SPENDER, 2n]);

  it('multicall(bytes[]) and multicall(uint256,bytes[]) call the same contract as the same sender', () => {
    const data = encode('multicall(bytes[])', [[approve, transfer]]);
    expect(data.slice(0, 10)).toBe('0xac9650d8');
    const intents = decode(data);
    expect(intents.map((i) => [i.kind, i.path, i.actor])).toEqual([
      ['approval', 'tx.multicall[0]', USER],
      ['token-transfer', 'tx.multicall[1]', USER],
    ]);
    const deadline = encode('multicall(uint256,bytes[])', [123n, [approve]]);
    expect(deadline.slice(0, 10)).toBe('0x5ae401dc');
    expect(decode(deadline)[0]).toMatchObject({ kind: 'approval', token: TOKEN, path: 'tx.multicall[0]' });
  });

  it('aggregate3 calls the given targets, made by the aggregator', () => {
    const multicall3 = addr(0xca11);
    const data = encode('aggregate3((address,bool,bytes)[])', [
      [
        [TOKEN, false, approve],
        [NFT, true, transfer],
      ],
    ]);
    const intents = decode(data, { to: multicall3 });
    expect(intents).toMatchObject([
      { kind: 'approval', token: TOKEN, path: 'tx.aggregate3[0]', actor: multicall3 },
      { kind: 'token-transfer', token: NFT, path: 'tx.aggregate3[1]', actor: multicall3 },
    ]);
    const valued = encode('aggregate3Value((address,bool,uint256,bytes)[])', [[[SPENDER, false, 5n, '0x']]]);
    expect(decode(valued, { to: multicall3 })).toEqual([
      { kind: 'native-transfer', to: SPENDER, amount: '5', path: 'tx.aggregate3Value[0]', actor: multicall3 },
    ]);
  });

  it('array elements sharing one blob multiply work: the nested-calldata budget fails closed', () => {
    /** multicall(bytes[]) whose `count` elements all point at one blob: legal ABI that amplifies. */
    const sharedOffsets = (count: number, element: Hex): Hex => {
      const word = (n: number) => n.toString(16).padStart(64, '0');
      const body = element.slice(2);
      const padded = body.padEnd(Math.ceil(body.length / 64) * 64, '0');
      return `0xac9650d8${word(0x20)}${word(count)}${word(count * 32).repeat(count)}${word(body.length / 2)}${padded}`;
    };
    expect(decode(sharedOffsets(3, approve)).map((i) => i.path)).toEqual([
      'tx.multicall[0]',
      'tx.multicall[1]',
      'tx.multicall[2]',
    ]);
    const blob: Hex = `0xdeadbeef${'ab'.repeat(1996)}`;
    const bomb = sharedOffsets(30, sharedOffsets(30, blob));
    expect(bomb.length / 2).toBeLessThan(5000);
    const error = rejection(() => decode(bomb));
    expect(error.code).toBe('RISK_DECODE_FAILED');
    expect(error.shortMessage).toContain(`${MAX_NESTED_CALLDATA_BYTES} bytes`);
  });

  it(`nesting deeper than ${MAX_CALL_DEPTH} levels fails closed`, () => {
    const nest = (levels: number) => {
      let data = approve;
      for (let i = 0; i < levels; i++) data = encode('multicall(bytes[])', [[data]]);
      return data;
    };
    expect(decode(nest(MAX_CALL_DEPTH))).toHaveLength(1);
    const error = rejection(() => decode(nest(MAX_CALL_DEPTH + 1)));
    expect(error.code).toBe('RISK_DECODE_FAILED');
    expect(error.details.selector).toBe('0xac9650d8');
  });
});

/** Universal Router input encodings per Dispatcher.sol. */
const ur = {
  permit: (token: Address, spender: Address, amount: bigint) =>
    encodeAbiParameters(
      parseAbiParameters(
        '((address token, uint160 amount, uint48 expiration, uint48 nonce) details, address spender, uint256 sigDeadline), bytes',
      ),
      [{ details: { token, amount, expiration: 1700000000, nonce: 3 }, spender, sigDeadline: 1700000100n }, SIG],
    ),
  v2Swap: (recipient: Address) =>
    encodeAbiParameters(parseAbiParameters('address, uint256, uint256, address[], bool'), [
      recipient,
      10n,
      9n,
      [TOKEN, NFT],
      true,
    ]),
  payment: (token: Address, recipient: Address, amount: bigint) =>
    encodeAbiParameters(parseAbiParameters('address, address, uint256'), [token, recipient, amount]),
};

describe('Universal Router', () => {
  const execute = (commands: Hex, inputs: Hex[]) => encode('execute(bytes,bytes[],uint256)', [commands, inputs, 99n]);

  it('PERMIT2_PERMIT + V2_SWAP_EXACT_IN + SWEEP', () => {
    const data = execute('0x0a0804', [
      ur.permit(TOKEN, ROUTER, MAX_UINT160),
      ur.v2Swap(addr(2)),
      ur.payment(NFT, addr(1), 8n),
    ]);
    expect(data.slice(0, 10)).toBe('0x3593564c');
    expect(decode(data, { to: ROUTER, value: '0' })).toEqual([
      {
        kind: 'permit',
        scheme: 'permit2',
        token: TOKEN,
        spender: ROUTER,
        owner: USER,
        amount: MAX_UINT160.toString(),
        deadline: '1700000100',
        expiration: '1700000000',
        nonce: '3',
        verifyingContract: PERMIT2,
        path: 'tx.execute[0]',
        actor: USER,
      },
      {
        kind: 'contract-call',
        to: ROUTER,
        selector: '0x3593564c',
        signature: 'V2_SWAP_EXACT_IN(address,uint256,uint256,address[],bool)',
        value: '0',
        path: 'tx.execute[1]',
        actor: USER,
      },
      {
        kind: 'token-transfer',
        method: 'transfer',
        token: NFT,
        from: ROUTER,
        to: USER,
        amount: '8',
        path: 'tx.execute[2]',
        actor: ROUTER,
      },
    ]);
  });

  it('permit batch, Permit2 transfers, ETH transfers and unwraps, allow-revert flag, deadline-less execute', () => {
    const batchPermit = encodeAbiParameters(
      parseAbiParameters(
        '((address token, uint160 amount, uint48 expiration, uint48 nonce)[] details, address spender, uint256 sigDeadline), bytes',
      ),
      [{ details: [DETAILS(TOKEN, 1n), DETAILS(NFT, 2n)], spender: SPENDER, sigDeadline: 5n }, SIG],
    );
    const transferFrom = encodeAbiParameters(parseAbiParameters('address, address, uint160'), [TOKEN, SPENDER, 4n]);
    const transferBatch = encodeAbiParameters(parseAbiParameters('(address, address, uint160, address)[]'), [
      [[USER, SPENDER, 6n, NFT]],
    ]);
    const unwrap = encodeAbiParameters(parseAbiParameters('address, uint256'), [SPENDER, 11n]);
    const data = encode('execute(bytes,bytes[])', [
      '0x83020d050c',
      [batchPermit, transferFrom, transferBatch, ur.payment(addr(0), SPENDER, 12n), unwrap],
    ]);
    const intents = decode(data, { to: ROUTER });
    expect(intents.map((i) => [i.kind, i.path])).toEqual([
      ['permit', 'tx.execute[0]'],
      ['permit', 'tx.execute[0]'],
      ['permit2-transfer-from', 'tx.execute[1]'],
      ['permit2-transfer-from', 'tx.execute[2]'],
      ['native-transfer', 'tx.execute[3]'],
      ['native-transfer', 'tx.execute[4]'],
    ]);
    expect(intents[1]).toMatchObject({ token: NFT, spender: SPENDER, owner: USER, amount: '2' });
    expect(intents[2]).toMatchObject({ token: TOKEN, from: USER, to: SPENDER, amount: '4', actor: USER });
    expect(intents[4]).toEqual({
      kind: 'native-transfer',
      to: SPENDER,
      amount: '12',
      path: 'tx.execute[3]',
      actor: ROUTER,
    });
    expect(intents[5]).toMatchObject({ to: SPENDER, amount: '11', actor: ROUTER });
  });

  it('a sub-plan recurses; unknown commands are named; a count mismatch fails closed', () => {
    const inner = encodeAbiParameters(parseAbiParameters('bytes, bytes[]'), ['0x0a', [ur.permit(TOKEN, SPENDER, 1n)]]);
    const intents = decode(execute('0x2110', [inner, '0x1234']), { to: ROUTER });
    expect(intents[0]).toMatchObject({
      kind: 'permit',
      spender: SPENDER,
      path: 'tx.execute[0].execute[0]',
      owner: USER,
    });
    expect(intents[1]).toMatchObject({
      kind: 'contract-call',
      signature: 'Universal Router command 0x10 (V4_SWAP on v2 | SEAPORT_V1_5 on v1.2)',
      path: 'tx.execute[1]',
    });
    const mismatch = rejection(() => decode(execute('0x0a0a', [ur.permit(TOKEN, SPENDER, 1n)]), { to: ROUTER }));
    expect(mismatch.code).toBe('RISK_DECODE_FAILED');
    const truncated = rejection(() => decode(execute('0x0a', ['0x1234']), { to: ROUTER }));
    expect(truncated).toMatchObject({
      code: 'RISK_DECODE_FAILED',
      details: { selector: '0x3593564c', path: 'tx.execute[0]' },
    });
    expect(truncated.cause).toBeDefined();
  });

  it('a command byte with bit 6 set decodes as the masked command when it parses as one', () => {
    const intents = decode(execute('0x4a', [ur.permit(TOKEN, SPENDER, 1n)]), { to: ROUTER });
    expect(intents[0]).toMatchObject({ kind: 'permit', spender: SPENDER });
    expect(decode(execute('0x40', ['0x1234']), { to: ROUTER })[0]).toMatchObject({ kind: 'contract-call' });
  });
});

describe('Safe', () => {
  const approve = encode('approve(address,uint256)', [SPENDER, MAX_UINT256]);
  const exec = (to: Address, value: bigint, data: Hex, operation: number) =>
    encode('execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)', [
      to,
      value,
      data,
      operation,
      0n,
      0n,
      0n,
      addr(0),
      addr(0),
      SIG,
    ]);

  it('execTransaction wrapping an approve: the Safe approves', () => {
    const data = exec(TOKEN, 0n, approve, 0);
    expect(data.slice(0, 10)).toBe('0x6a761202');
    expect(decode(data, { to: SAFE })).toEqual([
      {
        kind: 'approval',
        standard: 'ambiguous',
        method: 'approve',
        token: TOKEN,
        spender: SPENDER,
        amount: MAX_UINT256.toString(),
        path: 'tx.execTransaction',
        actor: SAFE,
      },
    ]);
  });

  it('a delegatecall is flagged, and MultiSend records run as the Safe', () => {
    const multiSendLib = addr(0x3d4ba2e0);
    const record = (operation: number, to: Address, value: bigint, data: Hex) =>
      encodePacked(
        ['uint8', 'address', 'uint256', 'uint256', 'bytes'],
        [operation, to, value, BigInt((data.length - 2) / 2), data],
      );
    const packed = `0x${record(0, TOKEN, 0n, approve).slice(2)}${record(0, SPENDER, 3n, '0x').slice(2)}` as Hex;
    const data = exec(multiSendLib, 0n, encode('multiSend(bytes)', [packed]), 1);
    expect(decode(data, { to: SAFE })).toEqual([
      {
        kind: 'contract-call',
        to: multiSendLib,
        selector: '0x8d80ff0a',
        signature: 'delegatecall multiSend(bytes)',
        value: '0',
        path: 'tx.execTransaction',
        actor: SAFE,
      },
      expect.objectContaining({ kind: 'approval', token: TOKEN, path: 'tx.execTransaction.multiSend[0]', actor: SAFE }),
      { kind: 'native-transfer', to: SPENDER, amount: '3', path: 'tx.execTransaction.multiSend[1]', actor: SAFE },
    ]);
    const bad = exec(TOKEN, 0n, approve, 2);
    expect(rejection(() => decode(bad, { to: SAFE })).code).toBe('RISK_DECODE_FAILED');
    const truncatedRecord = exec(multiSendLib, 0n, encode('multiSend(bytes)', [packed.slice(0, -10) as Hex]), 1);
    expect(rejection(() => decode(truncatedRecord, { to: SAFE })).code).toBe('RISK_DECODE_FAILED');
  });
});

describe('ERC-4337', () => {
  const sender = addr(0x5e4d);
  const transfer = encode('transfer(address,uint256)', [SPENDER, 77n]);
  const execute = encode('execute(address,uint256,bytes)', [TOKEN, 0n, transfer]);
  const expected = {
    kind: 'token-transfer',
    method: 'transfer',
    token: TOKEN,
    from: sender,
    to: SPENDER,
    amount: '77',
    path: 'tx.handleOps[0].execute',
    actor: sender,
  };

  it('handleOps v0.6 and v0.7 wrapping an ERC-20 transfer', () => {
    const v06 = encode(
      'handleOps((address,uint256,bytes,bytes,uint256,uint256,uint256,uint256,uint256,bytes,bytes)[],address)',
      [[[sender, 0n, '0x', execute, 1n, 2n, 3n, 4n, 5n, '0x', SIG]], USER],
    );
    expect(v06.slice(0, 10)).toBe('0x1fad948c');
    expect(decode(v06, { to: ENTRY_POINT })).toEqual([expected]);
    const v07 = encode('handleOps((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)[],address)', [
      [[sender, 0n, '0x', execute, `0x${'00'.repeat(32)}`, 1n, `0x${'00'.repeat(32)}`, '0x', SIG]],
      USER,
    ]);
    expect(v07.slice(0, 10)).toBe('0x765e827f');
    expect(decode(v07, { to: ENTRY_POINT })).toEqual([expected]);
  });

  it('account batch encodings', () => {
    const onSender = (data: Hex) => decode(data, { to: sender, actor: sender });
    const approve = encode('approve(address,uint256)', [SPENDER, 1n]);
    const shapes = [
      encode('executeBatch(address[],bytes[])', [
        [TOKEN, NFT],
        [transfer, approve],
      ]),
      encode('executeBatch(address[],uint256[],bytes[])', [
        [TOKEN, NFT],
        [0n, 0n],
        [transfer, approve],
      ]),
      encode('executeBatch(address[],uint256[],bytes[])', [[TOKEN, NFT], [], [transfer, approve]]),
      encode('executeBatch((address,uint256,bytes)[])', [
        [
          [TOKEN, 0n, transfer],
          [NFT, 0n, approve],
        ],
      ]),
    ];
    for (const data of shapes) {
      expect(onSender(data)).toMatchObject([
        { kind: 'token-transfer', token: TOKEN, path: 'tx.executeBatch[0]', actor: sender },
        { kind: 'approval', token: NFT, path: 'tx.executeBatch[1]', actor: sender },
      ]);
    }
    const unpaired = encode('executeBatch(address[],bytes[])', [[TOKEN], [transfer, approve]]);
    expect(rejection(() => onSender(unpaired)).code).toBe('RISK_DECODE_FAILED');
  });

  it('ERC-7579 execute: single, batch and delegatecall modes', () => {
    const onSender = (data: Hex) => decode(data, { to: sender, actor: sender });
    const mode = (callType: string) => `0x${callType}${'00'.repeat(31)}` as Hex;
    const single = encode('execute(bytes32,bytes)', [
      mode('00'),
      encodePacked(['address', 'uint256', 'bytes'], [TOKEN, 5n, transfer]),
    ]);
    expect(single.slice(0, 10)).toBe('0xe9ae5c53');
    expect(onSender(single)).toMatchObject([
      { kind: 'native-transfer', to: TOKEN, amount: '5', actor: sender, path: 'tx.execute' },
      { kind: 'token-transfer', token: TOKEN, to: SPENDER, actor: sender, path: 'tx.execute' },
    ]);
    const batch = encode('execute(bytes32,bytes)', [
      mode('01'),
      encodeAbiParameters(parseAbiParameters('(address,uint256,bytes)[]'), [[[TOKEN, 0n, transfer]]]),
    ]);
    expect(onSender(batch)).toMatchObject([{ kind: 'token-transfer', path: 'tx.execute[0]', actor: sender }]);
    const delegate = encode('execute(bytes32,bytes)', [
      mode('ff'),
      encodePacked(['address', 'bytes'], [NFT, transfer]),
    ]);
    expect(onSender(delegate)[0]).toMatchObject({
      kind: 'contract-call',
      to: NFT,
      signature: 'delegatecall transfer(address,uint256)',
    });
    const short = encode('execute(bytes32,bytes)', [mode('00'), '0x1234']);
    expect(rejection(() => onSender(short)).code).toBe('RISK_DECODE_FAILED');
  });
});
