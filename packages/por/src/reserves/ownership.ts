/**
 * Address-ownership check for reserve rows: does the row's signature show that whoever published
 * the file controls the key behind the address? Dispatches on the row's network (networks.ts) to
 * the signature family that network uses — EIP-191 for EVM chains, OKX's own formats for OKC,
 * Ed25519 chains and EOS, TIP-191 for TRON, Bitcoin signed messages (BIP-137 headers) with
 * single-key and m-of-n multisig addresses for BTC and DOGE — and reports networks it cannot check
 * as `scheme: 'unsupported'`, never as valid. With `expectedMessage`, a row signed over any other
 * text (an old round's message, another exchange's) is rejected as `wrong-message` before any
 * signature is looked at, because a proof that can be replayed proves nothing about this round.
 */
import { BaseError, describeValue } from '@custos/core';
import { verifyEd25519Ownership } from './ed25519-ownership.js';
import { verifyEosOwnership } from './eos-ownership.js';
import { verifyEvmOwnership, verifyOkxEvmOwnership, verifyTronOwnership } from './evm-ownership.js';
import { type NetworkVerifier, networkVerifier } from './networks.js';
import { type OwnershipResult, type OwnershipScheme, ownershipFailure } from './ownership-result.js';
import type { ReserveRow } from './reserve-file.js';
import { verifyUtxoOwnership } from './utxo-ownership.js';

export interface VerifyAddressOwnershipOptions {
  /**
   * The exact message this round requires (for example `custos por round 2026-11 <exchange>`).
   * When given, a row whose message differs is rejected as `wrong-message`.
   */
  readonly expectedMessage?: string;
}

const DEFAULT_SCHEME: Record<NetworkVerifier['family'], OwnershipScheme> = {
  evm: 'eip191',
  'okx-evm': 'okx-keccak',
  tron: 'tron',
  utxo: 'bip137',
  ed25519: 'okx-ed25519',
  eos: 'okx-eos',
  unsupported: 'unsupported',
};

function checkRow(row: unknown): asserts row is ReserveRow {
  const r = row as Partial<ReserveRow> | null;
  const bad = (field: string, value: unknown) =>
    new BaseError('POR_INVALID_INPUT', `"row.${field}" expected a string, got ${describeValue(value)}`, {
      details: { field: `row.${field}` },
    });
  if (r === null || typeof r !== 'object') throw bad('', r);
  for (const field of ['network', 'address', 'message'] as const) {
    if (typeof r[field] !== 'string') throw bad(field, r[field]);
  }
  if (!Array.isArray(r.signatures) || r.signatures.some((s) => typeof s !== 'string')) {
    throw new BaseError('POR_INVALID_INPUT', '"row.signatures" expected an array of strings', {
      details: { field: 'row.signatures' },
    });
  }
}

/**
 * Checks one reserve row's ownership signature(s).
 *
 * @param row - A row from {@link parseReserveFile} (or built by hand with the same fields).
 * @param options - `expectedMessage` to require this round's message.
 * @returns `{ valid, scheme, signers, boundTo?, threshold?, reason?, detail? }`; a signature that
 *   does not verify is a `valid: false` result, not an exception.
 * @throws {BaseError} `POR_INVALID_INPUT` when the row is not shaped like a reserve row.
 */
export function verifyAddressOwnership(row: ReserveRow, options: VerifyAddressOwnershipOptions = {}): OwnershipResult {
  checkRow(row);
  const { expectedMessage } = options;
  if (expectedMessage !== undefined && typeof expectedMessage !== 'string') {
    throw new BaseError(
      'POR_INVALID_INPUT',
      `"expectedMessage" expected a string, got ${describeValue(expectedMessage)}`,
      {
        details: { field: 'expectedMessage' },
      },
    );
  }
  const verifier = networkVerifier(row.network);
  if (verifier.family === 'unsupported') {
    return ownershipFailure('unsupported', 'unsupported-network', verifier.reason);
  }
  if (expectedMessage !== undefined && row.message !== expectedMessage) {
    return ownershipFailure(
      DEFAULT_SCHEME[verifier.family],
      'wrong-message',
      `The row is signed over ${describeValue(row.message)}, not the required ${describeValue(expectedMessage)}.`,
    );
  }
  switch (verifier.family) {
    case 'evm':
      return verifyEvmOwnership(row);
    case 'okx-evm':
      return verifyOkxEvmOwnership(row);
    case 'tron':
      return verifyTronOwnership(row);
    case 'utxo':
      return verifyUtxoOwnership(row, verifier.params);
    case 'ed25519':
      return verifyEd25519Ownership(row, verifier.address, verifier.address === 'ss58' ? verifier.ss58Prefix : 0);
    case 'eos':
      return verifyEosOwnership(row);
  }
}

/**
 * Like {@link verifyAddressOwnership}, but throws unless the row verifies.
 *
 * @throws {BaseError} `POR_SIGNATURE_INVALID` (a negative result) with the row's line, network,
 *   address, scheme and reason in `details`; `POR_INVALID_INPUT` for a malformed row.
 */
export function assertAddressOwnership(row: ReserveRow, options: VerifyAddressOwnershipOptions = {}): OwnershipResult {
  const result = verifyAddressOwnership(row, options);
  if (!result.valid) {
    throw new BaseError(
      'POR_SIGNATURE_INVALID',
      `The ownership proof of ${row.network} address ${row.address} is not valid`,
      {
        details: {
          line: row.line ?? null,
          network: row.network,
          address: row.address,
          scheme: result.scheme,
          reason: result.reason ?? null,
        },
        hints: [result.detail ?? 'Do not count this address towards the reserves.'],
      },
    );
  }
  return result;
}
