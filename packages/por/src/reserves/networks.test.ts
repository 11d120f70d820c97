/**
 * The network table: names are matched case-insensitively, every deliberately unsupported network
 * and every unknown one is reported as `unsupported` with a reason, never as valid — even when the
 * row carries a signature that would verify under another network's rules.
 */
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { EVM_NETWORKS, networkVerifier, UNSUPPORTED_NETWORKS } from './networks.js';
import { verifyAddressOwnership } from './ownership.js';

describe('networkVerifier', () => {
  it('matches network names case-insensitively', () => {
    expect(networkVerifier('Vaulta')).toEqual({ family: 'eos' });
    expect(networkVerifier(' eth ')).toEqual({ family: 'evm' });
    expect(networkVerifier('doge')).toMatchObject({ family: 'utxo', params: { name: 'DOGE', scriptHash: 0x16 } });
  });

  it('lists the deliberately unsupported networks with their reasons', () => {
    expect(Object.keys(UNSUPPORTED_NETWORKS)).toEqual([
      'STARKNET',
      'TON',
      'SUI',
      'NEAR',
      'HBAR',
      'XRP',
      'RIPPLE',
      'ALGO',
      'BETH',
      'LTC',
      'BCH',
      'BSV',
      'DASH',
      'BTG',
      'DGB',
      'QTUM',
      'RVN',
      'ZEC',
    ]);
    expect(networkVerifier('STARKNET')).toEqual({ family: 'unsupported', reason: UNSUPPORTED_NETWORKS.STARKNET });
    expect(networkVerifier('ton').family).toBe('unsupported');
    expect(networkVerifier('MADE-UP-CHAIN')).toEqual({
      family: 'unsupported',
      reason: 'No ownership verifier is configured for network "MADE-UP-CHAIN"; its rows are not checked.',
    });
    expect(EVM_NETWORKS).toContain('ETH');
  });
});

describe('unsupported networks are never reported valid', () => {
  it('reports an EVM-valid signature on an unsupported network as unsupported', async () => {
    const signer = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
    const message = 'custos por round 2026-11 example-exchange';
    const signature = await signer.signMessage({ message });
    const base = { line: 1, asset: 'X', address: signer.address, message, signatures: [signature] };
    expect(verifyAddressOwnership({ ...base, network: 'ETH' }).valid).toBe(true);
    for (const network of [...Object.keys(UNSUPPORTED_NETWORKS), 'MADE-UP-CHAIN']) {
      const result = verifyAddressOwnership({ ...base, network });
      expect(result).toMatchObject({ valid: false, scheme: 'unsupported', reason: 'unsupported-network', signers: [] });
      expect(result.detail).toEqual(expect.any(String));
    }
  });
});
