/**
 * The selector table: known-answer selectors from research/risk.md §3 (computed there with an
 * independent keccak) and well-known public values, every signature in canonical form, every
 * function the calldata decoder models named by the table, and collisions reported together.
 */
import { type AbiFunction, parseAbiItem, toFunctionSignature } from 'viem';
import { describe, expect, it } from 'vitest';
import { decodedSignatures } from './calldata.js';
import { buildSelectorTable, KNOWN_SIGNATURES, lookupSelector } from './selectors.js';

describe('lookupSelector', () => {
  it.each([
    ['0x095ea7b3', 'approve(address,uint256)'],
    ['0x39509351', 'increaseAllowance(address,uint256)'],
    ['0xd73dd623', 'increaseApproval(address,uint256)'],
    ['0xa457c2d7', 'decreaseAllowance(address,uint256)'],
    ['0xa22cb465', 'setApprovalForAll(address,bool)'],
    ['0xa9059cbb', 'transfer(address,uint256)'],
    ['0x23b872dd', 'transferFrom(address,address,uint256)'],
    ['0xf242432a', 'safeTransferFrom(address,address,uint256,uint256,bytes)'],
    ['0x2eb2c2d6', 'safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)'],
    ['0xd505accf', 'permit(address,address,uint256,uint256,uint8,bytes32,bytes32)'],
    ['0x8fcbaf0c', 'permit(address,address,uint256,uint256,bool,uint8,bytes32,bytes32)'],
    ['0x87517c45', 'approve(address,address,uint160,uint48)'],
    ['0xcc53287f', 'lockdown((address,address)[])'],
    ['0x65d9723c', 'invalidateNonces(address,address,uint48)'],
    ['0x3ff9dcb1', 'invalidateUnorderedNonces(uint256,uint256)'],
    ['0x927da105', 'allowance(address,address,address)'],
    ['0x2b67b570', 'permit(address,((address,uint160,uint48,uint48),address,uint256),bytes)'],
    ['0x2a2d80d1', 'permit(address,((address,uint160,uint48,uint48)[],address,uint256),bytes)'],
    ['0x30f28b7a', 'permitTransferFrom(((address,uint256),uint256,uint256),(address,uint256),address,bytes)'],
    ['0x5b34b966', 'incrementCounter()'],
    ['0xac9650d8', 'multicall(bytes[])'],
    ['0x5ae401dc', 'multicall(uint256,bytes[])'],
    ['0x3593564c', 'execute(bytes,bytes[],uint256)'],
    ['0x13af4035', 'setOwner(address)'],
    ['0xf2fde38b', 'transferOwnership(address)'],
    ['0x3659cfe6', 'upgradeTo(address)'],
    ['0x3158952e', 'Claim()'],
    ['0x4e71d92d', 'claim()'],
    ['0x5fba79f5', 'SecurityUpdate()'],
    ['0xef5cfb8c', 'claimRewards(address)'],
    // Public, widely indexed values.
    ['0x6a761202', 'execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)'],
    ['0x8d80ff0a', 'multiSend(bytes)'],
    [
      '0x1fad948c',
      'handleOps((address,uint256,bytes,bytes,uint256,uint256,uint256,uint256,uint256,bytes,bytes)[],address)',
    ],
    ['0x765e827f', 'handleOps((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)[],address)'],
    ['0xb61d27f6', 'execute(address,uint256,bytes)'],
    ['0xe9ae5c53', 'execute(bytes32,bytes)'],
    ['0x82ad56cb', 'aggregate3((address,bool,bytes)[])'],
    ['0x252dba42', 'aggregate((address,bytes)[])'],
    ['0xd0e30db0', 'deposit()'],
    ['0x2e1a7d4d', 'withdraw(uint256)'],
    ['0x38ed1739', 'swapExactTokensForTokens(uint256,uint256,address[],address,uint256)'],
    ['0x7ff36ab5', 'swapExactETHForTokens(uint256,address[],address,uint256)'],
    ['0x414bf389', 'exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))'],
    ['0x04e45aaf', 'exactInputSingle((address,address,uint24,address,uint256,uint256,uint160))'],
    ['0x4f1ef286', 'upgradeToAndCall(address,bytes)'],
    ['0x617ba037', 'supply(address,uint256,address,uint16)'],
    ['0x1cff79cd', 'execute(address,bytes)'],
  ])('%s is %s', (selector, signature) => {
    expect(lookupSelector(selector as `0x${string}`)).toBe(signature);
  });

  it('Seaport entry points match their public selectors', () => {
    expect(lookupSelector('0xfb0f3ee1')).toMatch(/^fulfillBasicOrder\(/);
    expect(lookupSelector('0x00000000')).toMatch(/^fulfillBasicOrder_efficient_6GL6yc\(/);
    expect(lookupSelector('0xb3a34c4c')).toMatch(/^fulfillOrder\(/);
    expect(lookupSelector('0xe7acab24')).toMatch(/^fulfillAdvancedOrder\(/);
    expect(lookupSelector('0xed98a574')).toMatch(/^fulfillAvailableOrders\(/);
    expect(lookupSelector('0x87201b41')).toMatch(/^fulfillAvailableAdvancedOrders\(/);
    expect(lookupSelector('0xa8174404')).toMatch(/^matchOrders\(/);
    expect(lookupSelector('0xf2d12b12')).toMatch(/^matchAdvancedOrders\(/);
    expect(lookupSelector('0xfd9f1e10')).toMatch(/^cancel\(/);
  });

  it('is case-insensitive and answers undefined for an unknown selector', () => {
    expect(lookupSelector('0x095EA7B3')).toBe('approve(address,uint256)');
    expect(lookupSelector('0x12345678')).toBeUndefined();
  });
});

describe('the table', () => {
  it('holds a few hundred canonical signatures', () => {
    expect(KNOWN_SIGNATURES.length).toBeGreaterThan(300);
    for (const signature of KNOWN_SIGNATURES) {
      expect(toFunctionSignature(parseAbiItem(`function ${signature}`) as AbiFunction)).toBe(signature);
    }
  });

  it('names every function the calldata decoder models', () => {
    for (const signature of decodedSignatures()) {
      expect(KNOWN_SIGNATURES, signature).toContain(signature);
    }
  });

  it('reports signatures sharing a selector together, each once', () => {
    // The classic collision: both hash to 0x23b872dd.
    const table = buildSelectorTable([
      'transferFrom(address,address,uint256)',
      'gasprice_bit_ether(int128)',
      'transferFrom(address,address,uint256)',
    ]);
    expect(table.get('0x23b872dd')).toBe('transferFrom(address,address,uint256) | gasprice_bit_ether(int128)');
    expect(table.size).toBe(1);
  });
});
