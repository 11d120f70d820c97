/**
 * Shared helpers for the decoder tests under `src/decode/`: well-known addresses and keys, the
 * corpus payload loader, JSON with bigints, typed-data and calldata decoding shortcuts, refusal
 * catchers and the EIP-712 type fragments the tests build documents from. Test-only; excluded
 * from the build.
 */
import { readFileSync } from 'node:fs';
import { BaseError } from '@custos/core';
import {
  type AbiFunction,
  encodeFunctionData,
  type Hex,
  hashTypedData,
  parseAbiItem,
  type TypedDataDefinition,
} from 'viem';
import { expect } from 'vitest';
import { decodeCall } from '../decode/calldata.js';
import { decodeTypedDataRequest, type TypedDataMethod } from '../decode/typed-data.js';
import type { Address, Decoded, Intent } from '../types.js';

// Property runs; long mode is `CUSTOS_LONG=1 npx vitest run packages/risk/src/decode`.
export const RUNS = process.env.CUSTOS_LONG ? 100_000 : 2_000;

// ---------------------------------------------------------------------------------------------
// Addresses, keys and bounds

export const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
/** Hardhat account 0: the signer / sender of most requests. */
export const SIGNER = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
/** Hardhat account 0's well-known private key. */
export const HARDHAT_KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
export const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';
export const WETH = '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2';
export const DAI = '0x6b175474e89094c44da98b954eedeac495271d0f';
export const BAYC = '0xbc4ca0eda7647a8ab7c2061c2e118a18a936f13d';
/** A known drainer address: the spender / recipient of hostile requests. */
export const DRAINER = '0x1661f1b207629e4f385da89cff535c8e5eb23ee3';
export const PERMIT2 = '0x000000000022d473030f116ddee9f6b43ac78ba3';
export const ROUTER = '0x3fc91a3afd70395cd496c647d5a6cc9d4b2b7fad';
export const FEE = '0x0000a26b00c1f0df003000390027140000faa719';
export const ZERO = '0x0000000000000000000000000000000000000000';
export const SAFE: Address = addr(0x5afe);
export const MAX_UINT256 = (1n << 256n) - 1n;
export const MAX_UINT160 = (1n << 160n) - 1n;
export const SIG: Hex = `0x${'ab'.repeat(65)}`;

// ---------------------------------------------------------------------------------------------
// Payloads, JSON and refusals

/** A corpus payload from `packages/risk/test/fixtures/payloads/<name>.json`. */
export function payload<T = { chainId: number; request: { params: [string, string] } }>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/payloads/${name}.json`, import.meta.url), 'utf8'));
}

/** JSON with bigints written as decimal strings. */
export const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

/** Runs `fn`; a RISK_INVALID_REQUEST BaseError is `invalid`, any other exception fails the test. */
export function outcome(fn: () => unknown): 'ok' | 'invalid' {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof BaseError && error.code === 'RISK_INVALID_REQUEST') return 'invalid';
    throw error;
  }
}

/** The BaseError `run` throws; any other exception, or none, fails the test. */
export function rejection(run: () => unknown): BaseError {
  try {
    run();
  } catch (error) {
    if (error instanceof BaseError) return error;
    throw error;
  }
  throw new Error('expected a BaseError');
}

// ---------------------------------------------------------------------------------------------
// Typed data

export type TypedDecoded = Extract<Decoded, { type: 'typed-data' }>;

/** Decodes `doc` (an object, or a string sent as is) as a typed-data request on chain 1. */
export function decodeTyped(
  doc: unknown,
  method: TypedDataMethod = 'eth_signTypedData_v4',
  signer: unknown = SIGNER,
): TypedDecoded {
  const decoded = decodeTypedDataRequest(method, [signer, typeof doc === 'string' ? doc : json(doc)], 1);
  if (decoded.type !== 'typed-data') throw new Error('expected typed data');
  return decoded;
}

export interface Doc {
  domain: Record<string, unknown>;
  types: Record<string, { name: string; type: string }[]>;
  primaryType: string;
  message: Record<string, unknown>;
}

/** Decodes `doc` with eth_signTypedData_v4 and checks its digest against viem's `hashTypedData`. */
export function decodeDoc(doc: Doc): TypedDecoded {
  const decoded = decodeTyped(doc);
  // Every schema's digest is viem's over the very same document (bigints, lowercase addresses).
  expect(decoded.digest).toBe(hashTypedData(doc as unknown as TypedDataDefinition));
  return decoded;
}

/** Decodes `doc` (see `decodeDoc`) and expects its schema and intents. */
export function expectSchema(doc: Doc, schema: string, intents: Intent[]) {
  const decoded = decodeDoc(doc);
  expect(decoded.schema).toBe(schema);
  expect(decoded.intents).toEqual(intents);
  return decoded;
}

/** `{Name: [{name, type}]}` from `Name(type name,…)Other(…)` type strings. */
export function typesFrom(...strings: string[]): Record<string, { name: string; type: string }[]> {
  const types: Record<string, { name: string; type: string }[]> = {};
  for (const s of strings) {
    for (const [, name, body] of s.matchAll(/(\w+)\(([^)]*)\)/g)) {
      types[name as string] = (body as string)
        .split(',')
        .filter(Boolean)
        .map((f) => {
          const [type, field] = f.split(' ') as [string, string];
          return { name: field, type };
        });
    }
  }
  return types;
}

/** EIP712Domain fields for the given domain field names. */
export const domainTypes = (...names: string[]) =>
  names.map((n) => ({ name: n, type: n === 'chainId' ? 'uint256' : n === 'verifyingContract' ? 'address' : 'string' }));

/** Types from `typesFrom(...strings)` under an EIP712Domain of name, version, chainId and verifyingContract. */
export const typesWithDomain = (...strings: string[]) => ({
  EIP712Domain: domainTypes('name', 'version', 'chainId', 'verifyingContract'),
  ...typesFrom(...strings),
});

export const EIP712_DOMAIN = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];
export const PERMIT = [
  { name: 'owner', type: 'address' },
  { name: 'spender', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'nonce', type: 'uint256' },
  { name: 'deadline', type: 'uint256' },
];

/** The USDC permit of the MetaMask PPOM payload, written independently with bigints. */
export const usdcPermit = {
  domain: { name: 'USD Coin', version: '2', chainId: 1n, verifyingContract: USDC },
  types: { EIP712Domain: EIP712_DOMAIN, Permit: PERMIT },
  primaryType: 'Permit',
  message: { owner: SIGNER, spender: DRAINER, value: 1033366316628n, nonce: 1n, deadline: 1678709555n },
} as const;

// ---------------------------------------------------------------------------------------------
// Calldata

/** Calldata for a human-readable signature, encoded by viem. */
export function encode(signature: string, args: readonly unknown[]): Hex {
  const abi = [parseAbiItem(`function ${signature}`) as AbiFunction];
  return encodeFunctionData({ abi, args } as never);
}

/** `decodeCall` of `data` sent by SIGNER to USDC with no value on chain 1, unless overridden. */
export function decodeCalldata(data: Hex, overrides: Partial<Parameters<typeof decodeCall>[0]> = {}): Intent[] {
  return decodeCall({ to: USDC, data, value: '0', actor: SIGNER, path: 'tx', chainId: 1, ...overrides });
}

/** Permit2 `PermitDetails` for `token` and `amount`. */
export const DETAILS = (token: Address, amount: bigint) => ({ token, amount, expiration: 1885674579, nonce: 0 });
