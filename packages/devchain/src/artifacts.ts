/**
 * Loads the compiled contracts the dev chain deploys. Our own contracts (OpenZeppelin-based tokens,
 * the Permit2 implementation, the EIP-1271 test wallet) come from the committed JSON under
 * `artifacts/`, produced by `scripts/compile.ts`, so start-up never runs a compiler. The Uniswap
 * v2 contracts (WETH9, UniswapV2Factory, UniswapV2Router02, UniswapV2Pair) are the published build
 * artifacts of `@uniswap/v2-core` / `@uniswap/v2-periphery`, read from node_modules at run time and
 * used byte for byte: they are GPL-3.0 build output, so the repository does not carry copies.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BaseError } from '@custos/core';
import type { Abi, Hex } from 'viem';

const require = createRequire(import.meta.url);

export interface ContractArtifact {
  contractName: string;
  /** Where the artifact came from: a package-relative source or an npm package file. */
  source: string;
  abi: Abi;
  bytecode: Hex;
  /** Runtime bytecode; only our own artifacts carry it (Permit2 needs it for hardhat_setCode). */
  deployedBytecode?: Hex;
}

export const OWN_CONTRACTS = [
  'DevUSD',
  'DevNFT',
  'DevMultiToken',
  'CustosPermit2',
  'DevERC1271Wallet',
  'DevHoneypotToken',
  'DevTaxToken',
] as const;
export type OwnContractName = (typeof OWN_CONTRACTS)[number];

export const UNISWAP_CONTRACTS = {
  WETH9: '@uniswap/v2-periphery/build/WETH9.json',
  UniswapV2Factory: '@uniswap/v2-core/build/UniswapV2Factory.json',
  UniswapV2Pair: '@uniswap/v2-core/build/UniswapV2Pair.json',
  UniswapV2Router02: '@uniswap/v2-periphery/build/UniswapV2Router02.json',
} as const;
export type UniswapContractName = keyof typeof UNISWAP_CONTRACTS;

const cache = new Map<string, ContractArtifact>();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toHex(value: unknown, field: string, name: string): Hex {
  if (typeof value !== 'string' || !/^(0x)?[0-9a-fA-F]*$/.test(value) || value.replace(/^0x/, '').length === 0) {
    throw new BaseError('DEVCHAIN_START_FAILED', 'A contract artifact has no usable bytecode.', {
      details: { contract: name, field },
      hints: ['Run `node --import tsx packages/devchain/scripts/compile.ts` and reinstall dependencies.'],
    });
  }
  return (value.startsWith('0x') ? value : `0x${value}`) as Hex;
}

function validate(raw: unknown, name: string, source: string, withRuntime: boolean): ContractArtifact {
  if (!isRecord(raw) || !Array.isArray(raw.abi)) {
    throw new BaseError('DEVCHAIN_START_FAILED', 'A contract artifact is malformed.', {
      details: { contract: name, source },
    });
  }
  const artifact: ContractArtifact = {
    contractName: name,
    source,
    // The ABI comes from solc output; its element shape is solc's, which is viem's Abi.
    abi: raw.abi as Abi,
    bytecode: toHex(raw.bytecode, 'bytecode', name),
  };
  if (withRuntime) artifact.deployedBytecode = toHex(raw.deployedBytecode, 'deployedBytecode', name);
  return artifact;
}

/** One of our committed artifacts (abi, creation and runtime bytecode). */
export function ownArtifact(name: OwnContractName): ContractArtifact & { deployedBytecode: Hex } {
  const key = `own:${name}`;
  let artifact = cache.get(key);
  if (artifact === undefined) {
    // Resolved against this module so it works from src/ (tests, tsx) and from dist/ alike.
    const url = new URL(`../artifacts/${name}.json`, import.meta.url);
    let text: string;
    try {
      text = readFileSync(url, 'utf8');
    } catch (error) {
      throw new BaseError('DEVCHAIN_START_FAILED', 'A compiled dev-chain contract is missing.', {
        details: { contract: name },
        hints: ['Run `node --import tsx packages/devchain/scripts/compile.ts` to regenerate artifacts/.'],
        cause: error,
      });
    }
    artifact = validate(JSON.parse(text) as unknown, name, `artifacts/${name}.json`, true);
    cache.set(key, artifact);
  }
  return artifact as ContractArtifact & { deployedBytecode: Hex };
}

/** A published Uniswap v2 build artifact, loaded from its npm package (abi + creation bytecode). */
export function uniswapArtifact(name: UniswapContractName): ContractArtifact {
  const key = `uniswap:${name}`;
  let artifact = cache.get(key);
  if (artifact === undefined) {
    const specifier = UNISWAP_CONTRACTS[name];
    let raw: unknown;
    try {
      raw = require(specifier) as unknown;
    } catch (error) {
      throw new BaseError('DEVCHAIN_START_FAILED', 'A Uniswap v2 build artifact could not be loaded.', {
        details: { contract: name, module: specifier },
        hints: ['Install the dependencies of @custos/devchain (npm install).'],
        cause: error,
      });
    }
    artifact = validate(raw, name, specifier, false);
    cache.set(key, artifact);
  }
  return artifact;
}
