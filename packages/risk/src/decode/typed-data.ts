/**
 * Decodes an `eth_signTypedData_v4` / `_v3` / `eth_signTypedData` request into what signing it
 * would do. The document is checked and normalised the way wallets read it (`typed-data-parse.ts`,
 * EIP-712), its digest computed with viem, and its schema recognised by exact type definitions —
 * EIP-2612 and DAI permits, Permit2, Seaport, Blur, 0x, 1inch, UniswapX, LooksRare — into intents
 * whose actor is the signer. Anything else is schema `unknown` with no intents: the rules treat
 * an unrecognised signature as opaque rather than trust a guess at its meaning.
 *
 * Choices, each failing closed:
 * - params are `[signer, typedData]`; `[typedData, signer]` is accepted when the first param is not
 *   an address and the second is (dapps swap them; legacy v1 is `[typedData, signer]` by spec).
 * - `typedData` is a JSON string or an object. A `domain.chainId` other than the wallet's is not
 *   refused: it is recorded in `domain.chainId` for the cross-chain replay rule.
 * - `eth_signTypedData` with a v1 array decodes to schema `legacy-v1` (digest only, no intents);
 *   given a v3/v4 document instead (some wallets accept that) it is decoded as v4.
 * - v3 is decoded as v4: MetaMask refuses arrays under v3, other wallets hash them as v4 does.
 */
import { BaseError } from '@custos/core';
import { invalidRequest, normalizeAddressInput } from '../normalize.js';
import type { Address, Decoded, Intent } from '../types.js';
import { legacyTypedDataDigest } from './typed-data-legacy.js';
import { NFT_ORDER_SCHEMAS } from './typed-data-nft-orders.js';
import { isRecord, type ParsedTypedData, parseTypedData, typedDataDigest } from './typed-data-parse.js';
import { PERMIT_SCHEMAS } from './typed-data-permits.js';
import type { TypedDataSchema } from './typed-data-schema.js';
import { SWAP_ORDER_SCHEMAS } from './typed-data-swap-orders.js';
import { UNISWAPX_SCHEMAS } from './typed-data-uniswapx.js';

export type TypedDataMethod = 'eth_signTypedData_v4' | 'eth_signTypedData_v3' | 'eth_signTypedData';

/** A typed-data document given as JSON text longer than this is refused. */
const MAX_JSON_LENGTH = 4 * 1024 * 1024;

/** Every recognised schema. Type strings are exact, so at most one matches. */
export const TYPED_DATA_SCHEMAS: readonly TypedDataSchema[] = [
  ...PERMIT_SCHEMAS,
  ...NFT_ORDER_SCHEMAS,
  ...SWAP_ORDER_SCHEMAS,
  ...UNISWAPX_SCHEMAS,
];

function isAddressLike(value: unknown): boolean {
  return typeof value === 'string' && /^(0[xX])?[0-9a-fA-F]{40}$/.test(value.trim());
}

/** Splits params into signer and document, in whichever order they came. */
function splitParams(method: TypedDataMethod, params: unknown): { signer: Address; document: unknown; at: string } {
  if (!Array.isArray(params) || params.length < 2) {
    throw invalidRequest('params', 'an array [address, typedData]', params);
  }
  const [first, second] = params as [unknown, unknown];
  const documentFirst =
    method === 'eth_signTypedData'
      ? !(isAddressLike(first) && !isAddressLike(second))
      : !isAddressLike(first) && isAddressLike(second);
  return documentFirst
    ? { signer: normalizeAddressInput(second, 'params[1]'), document: first, at: 'params[0]' }
    : { signer: normalizeAddressInput(first, 'params[0]'), document: second, at: 'params[1]' };
}

function parseJson(document: unknown, at: string): unknown {
  if (typeof document !== 'string') {
    if (isRecord(document) || Array.isArray(document)) return document;
    throw invalidRequest(at, 'typed data as a JSON string or an object', document);
  }
  if (document.length > MAX_JSON_LENGTH)
    throw invalidRequest(at, `at most ${MAX_JSON_LENGTH} characters of JSON`, document);
  try {
    return JSON.parse(document);
  } catch (cause) {
    throw new BaseError('RISK_INVALID_REQUEST', `"${at}" expected typed data as valid JSON`, {
      details: { field: at },
      cause,
    });
  }
}

/** The schema a document matches and its intents, or `unknown` and none. */
export function classifyTypedData(data: ParsedTypedData, signer: Address): { schema: string; intents: Intent[] } {
  const schema = TYPED_DATA_SCHEMAS.find((s) => s.match(data));
  return schema === undefined
    ? { schema: 'unknown', intents: [] }
    : { schema: schema.name, intents: schema.intents(data, signer) };
}

/**
 * Decodes a typed-data signature request. `chainId` is the wallet's chain; it is not compared
 * here (a differing `domain.chainId` is reported in `domain`, for the rules to judge).
 * Throws RISK_INVALID_REQUEST for anything malformed or ambiguous.
 */
export function decodeTypedDataRequest(method: TypedDataMethod, params: unknown, _chainId: number): Decoded {
  const { signer, document, at } = splitParams(method, params);
  const raw = parseJson(document, at);
  if (Array.isArray(raw)) {
    if (method !== 'eth_signTypedData') throw invalidRequest(at, 'an EIP-712 typed data object', raw);
    const digest = legacyTypedDataDigest(raw, at);
    return {
      type: 'typed-data',
      method,
      signer,
      domain: {},
      primaryType: '',
      schema: 'legacy-v1',
      digest,
      intents: [],
    };
  }
  const data = parseTypedData(raw, at);
  const digest = typedDataDigest(data);
  const { schema, intents } = classifyTypedData(data, signer);
  return {
    type: 'typed-data',
    method,
    signer,
    domain: data.domain,
    primaryType: data.primaryType,
    schema,
    digest,
    intents,
  };
}
