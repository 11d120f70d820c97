/**
 * Bytecode fingerprints: runtime code the rules recognise by its keccak256, never by the address it
 * happens to live at — a sweeper redeployed at a fresh address, or a delegated EOA whose code is
 * `0xef0100 ‖ sweeper`, is caught the same way. The shipped set (data/fingerprints.json) holds the
 * "CrimeEnjoyor" EIP-7702 sweeper and the legacy OpenSea/Wyvern user proxy, both from revoke.cash
 * (MIT); operators add their own with `fingerprintsFrom`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BaseError } from '@custos/core';
import { keccak256 } from 'viem';
import { normalizeData } from './normalize.js';
import type { Fingerprint } from './rules/context.js';

const DEFAULT_PATH = fileURLToPath(new URL('../data/fingerprints.json', import.meta.url));
const KINDS = ['malicious-delegate', 'deprecated-spender', 'malicious-contract'] as const;

export interface FingerprintInput {
  kind: Fingerprint['kind'];
  name: string;
  source: string;
  /** The runtime code (what `eth_getCode` returns), 0x-hex. */
  runtimeBytecode: string;
}

/** Builds the code-hash table from runtime bytecodes. */
export function fingerprintsFrom(inputs: readonly FingerprintInput[]): Map<string, Fingerprint> {
  const out = new Map<string, Fingerprint>();
  inputs.forEach((input, i) => {
    if (!(KINDS as readonly string[]).includes(input.kind)) {
      throw new BaseError('INVALID_INPUT', `"fingerprints[${i}].kind" expected one of ${KINDS.join(', ')}`, {
        details: { field: `fingerprints[${i}].kind` },
      });
    }
    const code = normalizeData(input.runtimeBytecode, `fingerprints[${i}].runtimeBytecode`);
    if (code === '0x') throw new BaseError('INVALID_INPUT', `"fingerprints[${i}].runtimeBytecode" is empty`);
    const codeHash = keccak256(code);
    out.set(codeHash, { codeHash, kind: input.kind, name: input.name, source: input.source });
  });
  return out;
}

let defaults: ReadonlyMap<string, Fingerprint> | undefined;

/** The shipped fingerprints. */
export function defaultFingerprints(): ReadonlyMap<string, Fingerprint> {
  if (defaults === undefined) {
    const file = JSON.parse(readFileSync(DEFAULT_PATH, 'utf8')) as { fingerprints: FingerprintInput[] };
    defaults = fingerprintsFrom(file.fingerprints);
  }
  return defaults;
}
