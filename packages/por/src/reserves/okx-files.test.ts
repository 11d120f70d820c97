/**
 * Every row of OKX's three published reserve examples (copied byte for byte into
 * test/fixtures/reserves, see SOURCES.md there) is either verified or reported unsupported, and
 * the tests pin exactly which, with the scheme, what the signature is bound to and who signed.
 * The EVM signers are cross-checked with viem's own `recoverMessageAddress`.
 */
import { readFileSync } from 'node:fs';
import { type Hex, keccak256, recoverMessageAddress, toBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import { verifyAddressOwnership } from './ownership.js';
import type { OwnershipResult } from './ownership-result.js';
import { parseReserveFile, type ReserveRow } from './reserve-file.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/reserves/${name}`, import.meta.url), 'utf8');

const FILES = ['okx_por_example.csv', 'okx_por_staking_example.csv', 'test.csv'] as const;

type Expected = Pick<OwnershipResult, 'valid' | 'scheme' | 'signers'> & Partial<OwnershipResult>;

const OKX_EVM_1 = '0x0CDcDB19a857C2Ac24818CA4Fdfe38CcE071483e';
const OKX_EVM_2 = '0x16f01CfC16B0b8c3400Fb8e5099b0974fCc9Fc12';

const EXPECTED: Record<(typeof FILES)[number], Record<number, Expected>> = {
  'okx_por_example.csv': {
    16: { valid: true, scheme: 'eip191-keccak', boundTo: 'address', signers: [OKX_EVM_1] },
    17: { valid: true, scheme: 'eip191-keccak', boundTo: 'address', signers: [OKX_EVM_2] },
    18: { valid: true, scheme: 'eip191-keccak', boundTo: 'owners', signers: [OKX_EVM_1, OKX_EVM_2] },
    19: { valid: false, scheme: 'unsupported', reason: 'unsupported-network', signers: [] },
    20: {
      valid: true,
      scheme: 'okx-ed25519',
      boundTo: 'owners',
      signers: ['75067a6dbd4dced2f1ab3a58a2b2103daa0def4d436315f98134957399809aac'],
    },
  },
  'okx_por_staking_example.csv': {
    5: { valid: true, scheme: 'eip191-keccak', boundTo: 'address', signers: [OKX_EVM_1] },
    6: { valid: true, scheme: 'eip191-keccak', boundTo: 'owners', signers: [OKX_EVM_1] },
    7: { valid: true, scheme: 'eip191-keccak', boundTo: 'owners', signers: [OKX_EVM_1, OKX_EVM_2] },
  },
  'test.csv': {
    2: {
      valid: true,
      scheme: 'eip191-keccak',
      boundTo: 'address',
      signers: ['0x6a32beA6B4050763a6673202eFDE42AD87beC0b5'],
    },
    3: { valid: false, scheme: 'unsupported', reason: 'unsupported-network', signers: [] },
    4: {
      valid: true,
      scheme: 'bip137-multisig',
      boundTo: 'address',
      threshold: { m: 2, n: 3 },
      signers: [
        '03cf1f7e2d8e428e5dfc36d9eacd679a0bf7356a8e05dd02c8a9a12db36bb1c924',
        '027b961ddea8ae2e81d47804685cf2ab820a4d59cdcb10f70adeeaf0e4d8817eae',
      ],
    },
    5: {
      valid: true,
      scheme: 'okx-ed25519',
      boundTo: 'address',
      signers: ['44a4e37cb0fe0d92117dfb7785ea8d5fc6086cac726698e4b1cf08a473d0658c'],
    },
    6: {
      valid: true,
      scheme: 'okx-ed25519',
      boundTo: 'address',
      signers: ['9a2d141e5495a5430a728e29855c9c53a5656b8c059a8570544390c39b95d5e9'],
    },
    7: {
      valid: true,
      scheme: 'bip137-multisig',
      boundTo: 'address',
      threshold: { m: 2, n: 3 },
      signers: [
        '020b65f1fd63f160d509740c03d4f8f13eb16bc50c6df3cc2e3b19420faad235b6',
        '024f32d5d4d361270b65cf9b838833635ebfad40d9b0e37b12b9fd6281083143f8',
      ],
    },
    8: {
      valid: true,
      scheme: 'okx-keccak',
      boundTo: 'address',
      signers: ['0x5f504cD119640d5167c003Ce9E4250895374b24F'],
    },
    9: { valid: true, scheme: 'tron', boundTo: 'address', signers: ['TSBg5SM1TXVXneSivmzpZa9hpccLNeYcWq'] },
    10: {
      valid: true,
      scheme: 'okx-eos',
      boundTo: 'public-key',
      signers: ['037cf4a7b22729f8607b0266afd8cfc639969caf9a2a1f5d6fb2d63acb935538b9'],
    },
  },
};

function rowsOf(name: (typeof FILES)[number]): readonly ReserveRow[] {
  return parseReserveFile(fixture(name)).rows;
}

describe('the ownership proofs in OKX’s published reserve files', () => {
  for (const name of FILES) {
    it(`gives every row of ${name} exactly the pinned result`, () => {
      const results = Object.fromEntries(rowsOf(name).map((row) => [row.line, verifyAddressOwnership(row)]));
      expect(Object.keys(results).map(Number)).toEqual(Object.keys(EXPECTED[name]).map(Number));
      for (const [line, expected] of Object.entries(EXPECTED[name])) {
        expect(results[line], `${name} line ${line}`).toMatchObject(expected);
      }
    });
  }

  it('verifies 15 of the 17 rows and reports the other 2 (TON, STARKNET) as unsupported', () => {
    const all = FILES.flatMap((name) => rowsOf(name).map((row) => ({ row, result: verifyAddressOwnership(row) })));
    expect(all).toHaveLength(17);
    const count = (f: (r: OwnershipResult) => boolean) => all.filter(({ result }) => f(result)).length;
    expect(count((r) => r.valid)).toBe(15);
    expect(count((r) => r.valid && r.boundTo === 'address')).toBe(10);
    expect(count((r) => r.valid && r.boundTo === 'owners')).toBe(4);
    expect(count((r) => r.valid && r.boundTo === 'public-key')).toBe(1);
    const unsupported = all.filter(({ result }) => result.scheme === 'unsupported');
    expect(unsupported.map(({ row }) => row.network)).toEqual(['TON', 'STARKNET']);
    // No row fails: every row is either verified or explicitly unsupported.
    expect(count((r) => !r.valid && r.scheme !== 'unsupported')).toBe(0);
  });

  it('agrees with viem’s recoverMessageAddress on every EVM signature (OKX signs keccak256(message))', async () => {
    const evmRows = FILES.flatMap(rowsOf).filter((row) => row.network === 'ETH');
    expect(evmRows).toHaveLength(7);
    for (const row of evmRows) {
      const result = verifyAddressOwnership(row);
      const viaViem = await Promise.all(
        row.signatures.map((signature) =>
          recoverMessageAddress({ message: { raw: keccak256(toBytes(row.message)) }, signature: signature as Hex }),
        ),
      );
      expect(result.signers).toEqual(viaViem);
    }
  });

  it('rejects every supported row with wrong-message when a custos round message is required', () => {
    const expectedMessage = 'custos por round 2026-11 okx';
    const results = FILES.flatMap(rowsOf).map((row) => verifyAddressOwnership(row, { expectedMessage }));
    expect(results.filter((r) => r.reason === 'wrong-message')).toHaveLength(15);
    expect(results.filter((r) => r.reason === 'unsupported-network')).toHaveLength(2);
    expect(results.some((r) => r.valid)).toBe(false);
  });
});

describe('must-reject variants of OKX’s real multisig rows', () => {
  const rows = rowsOf('test.csv');
  const btc = rows.find((r) => r.network === 'BTC') as ReserveRow;
  const doge = rows.find((r) => r.network === 'DOGE') as ReserveRow;

  it('rejects a BTC multisig row with only one of the two required signatures', () => {
    const result = verifyAddressOwnership({ ...btc, signatures: btc.signatures.slice(0, 1) });
    expect(result).toMatchObject({ valid: false, scheme: 'bip137-multisig', reason: 'threshold-not-met' });
  });

  it('rejects a BTC multisig row whose two signatures are the same one', () => {
    const first = btc.signatures[0] as string;
    const result = verifyAddressOwnership({ ...btc, signatures: [first, first] });
    expect(result).toMatchObject({ valid: false, reason: 'threshold-not-met' });
  });

  it('rejects a redeem script that does not hash to the address', () => {
    // The DOGE script under the BTC address: a well-formed 2-of-3 script, but not this address's.
    const result = verifyAddressOwnership({ ...btc, redeemScriptOrPublicKey: doge.redeemScriptOrPublicKey as string });
    expect(result).toMatchObject({ valid: false, reason: 'redeem-script-mismatch' });
  });

  it('rejects a tampered signature byte', () => {
    const bytes = Buffer.from(btc.signatures[1] as string, 'base64');
    bytes[10] = (bytes[10] as number) ^ 0x01;
    const result = verifyAddressOwnership({
      ...btc,
      signatures: [btc.signatures[0] as string, bytes.toString('base64')],
    });
    expect(result.valid).toBe(false);
    expect(['signer-mismatch', 'invalid-signature']).toContain(result.reason);
  });

  it('rejects DOGE signatures checked with the Bitcoin magic (the BTC network)', () => {
    const result = verifyAddressOwnership({ ...doge, network: 'BTC' });
    // A DOGE P2SH address is not a Bitcoin address at all.
    expect(result).toMatchObject({ valid: false, reason: 'invalid-address' });
  });

  it('rejects the DOGE row with a signature moved in from the BTC row', () => {
    const result = verifyAddressOwnership({
      ...doge,
      signatures: [doge.signatures[0] as string, btc.signatures[1] as string],
    });
    expect(result).toMatchObject({ valid: false, reason: 'signer-mismatch' });
  });
});
