import fc from 'fast-check';
import { bytesToHex as viemBytesToHex, hexToBytes as viemHexToBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import { assertInteger, assertOneOf, describeValue } from './assert.js';
import { bytesToHex, bytesToUtf8, concatBytes, equalBytes, hexToBytes, isHex, utf8ToBytes } from './bytes.js';

describe('hex', () => {
  it('round-trips and agrees with viem', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const hex = bytesToHex(bytes);
        expect(hex).toBe(viemBytesToHex(bytes));
        expect(hexToBytes(hex)).toEqual(bytes);
        expect(viemHexToBytes(hex)).toEqual(bytes);
      }),
    );
  });

  it('accepts upper case and checks the length when asked', () => {
    expect(hexToBytes('0xDEADbeef')).toEqual(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    expect(hexToBytes('0x', 'empty', 0)).toEqual(new Uint8Array());
    expect(() => hexToBytes('0xdead', 'digest', 32)).toThrow(/"digest" expected 32 bytes of hex/);
  });

  it.each([['deadbeef'], ['0xabc'], ['0xzz'], ['0x 1'], [42], [null]])('rejects %j naming the field', (value) => {
    expect(() => hexToBytes(value, 'tx.data')).toThrow(/"tx.data" expected/);
  });

  it('isHex is strict', () => {
    expect(isHex('0x')).toBe(true);
    expect(isHex('0x0aF')).toBe(true);
    expect(isHex('0X00')).toBe(false);
    expect(isHex('00')).toBe(false);
    expect(isHex(0)).toBe(false);
  });
});

describe('bytes', () => {
  it('concatenates and compares', () => {
    const joined = concatBytes(new Uint8Array([1]), new Uint8Array([]), new Uint8Array([2, 3]));
    expect(joined).toEqual(new Uint8Array([1, 2, 3]));
    expect(equalBytes(joined, new Uint8Array([1, 2, 3]))).toBe(true);
    expect(equalBytes(joined, new Uint8Array([1, 2, 4]))).toBe(false);
    expect(equalBytes(joined, new Uint8Array([1, 2]))).toBe(false);
  });

  it('decodes UTF-8 strictly', () => {
    expect(bytesToUtf8(utf8ToBytes('custos ✓'))).toBe('custos ✓');
    expect(() => bytesToUtf8(new Uint8Array([0xff, 0xfe]), 'message')).toThrow(/"message" expected valid UTF-8/);
  });
});

describe('assertions', () => {
  it('name the field, the expectation and what came', () => {
    expect(() => assertInteger(7, 'share.index', 1, 3)).toThrow('"share.index" expected an integer 1..3, got 7');
    expect(() => assertOneOf('purple', 'tier', ['allow', 'gray', 'block'] as const)).toThrow(
      '"tier" expected one of allow | gray | block, got "purple"',
    );
  });

  it('never print a secret value', () => {
    expect(describeValue('hunter2-super-secret', { secret: true })).toBe('a string of length 20');
    expect(describeValue('x'.repeat(200)).length).toBeLessThan(90);
  });
});
