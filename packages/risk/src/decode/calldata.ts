/**
 * `decodeCall`: what a call would do, as `Intent`s — pure and synchronous. The first four bytes of
 * the calldata select the function (Solidity ABI spec); a known selector is ABI-decoded by viem
 * and modelled by its handler (token, Permit2, wrapper, smart-account and Universal Router
 * handlers live in the `calldata-*.ts` files beside this one), wrappers recursing into the calls
 * they carry up to `MAX_CALL_DEPTH`. Whatever the data: value sent with a call is a
 * `native-transfer` to its target; an unknown selector, or data of one to three bytes, is a
 * `contract-call` named from the selector table; calldata that claims a known selector but does
 * not decode throws RISK_DECODE_FAILED (`{selector, path}`, the viem error as `cause`). Nothing
 * else is ever thrown, except RISK_INVALID_REQUEST for an input that is not a call at all.
 */
import { BaseError } from '@custos/core';
import { normalizeAddressInput, normalizeData, normalizeUint } from '../normalize.js';
import type { Hex, Intent } from '../types.js';
import { ACCOUNT_CALLS } from './calldata-accounts.js';
import {
  byteLength,
  type CallContext,
  type CallHandler,
  type CallInput,
  decodeFailed,
  MAX_CALL_DEPTH,
  sliceHex,
} from './calldata-core.js';
import { PERMIT2_CALLS } from './calldata-permit2.js';
import { TOKEN_CALLS } from './calldata-tokens.js';
import { UNIVERSAL_ROUTER_CALLS } from './calldata-universal-router.js';
import { WRAPPER_CALLS } from './calldata-wrappers.js';
import { lookupSelector } from './selectors.js';

export type { CallInput } from './calldata-core.js';
export { MAX_CALL_DEPTH } from './calldata-core.js';

function buildHandlerTable(groups: readonly (readonly CallHandler[])[]): ReadonlyMap<Hex, CallHandler> {
  const table = new Map<Hex, CallHandler>();
  for (const handler of groups.flat()) {
    const existing = table.get(handler.selector);
    // Two handlers for one selector would make the decoder's answer depend on list order.
    if (existing !== undefined) {
      throw new Error(`selector ${handler.selector} handled twice: ${existing.signature}, ${handler.signature}`);
    }
    table.set(handler.selector, handler);
  }
  return table;
}

const HANDLERS = buildHandlerTable([TOKEN_CALLS, PERMIT2_CALLS, WRAPPER_CALLS, ACCOUNT_CALLS, UNIVERSAL_ROUTER_CALLS]);

/** The text signature of every selector `decodeCall` models (for tests and documentation). */
export function decodedSignatures(): string[] {
  return [...HANDLERS.values()].map((handler) => handler.signature);
}

/**
 * How many bytes of nested calldata one decode may visit, copies included (each nested call
 * costs at least 32). ABI offsets may point many array elements at one blob, so every level of
 * nesting can multiply the work; this bounds it. A real transaction (≤ 128 KiB) nested to the
 * depth limit stays far below it.
 */
export const MAX_NESTED_CALLDATA_BYTES = 1 << 20;

interface Budget {
  remaining: number;
}

/**
 * Decodes one call. `depth` is the wrapper nesting level (0 for a top-level call); wrappers
 * recurse with `depth + 1`, and a call nested deeper than `MAX_CALL_DEPTH`, or nested calldata
 * past `MAX_NESTED_CALLDATA_BYTES`, fails closed with RISK_DECODE_FAILED.
 */
export function decodeCall(input: CallInput, depth = 0): Intent[] {
  return decodeWithin(input, depth, { remaining: MAX_NESTED_CALLDATA_BYTES });
}

function decodeWithin(input: CallInput, depth: number, budget: Budget): Intent[] {
  const to = normalizeAddressInput(input.to, `${input.path}.to`);
  const data = normalizeData(input.data, `${input.path}.data`);
  const value = normalizeUint(input.value, `${input.path}.value`, { decimalStrings: true });
  const actor = input.actor === undefined ? undefined : normalizeAddressInput(input.actor, `${input.path}.actor`);
  const { path } = input;

  const intents: Intent[] = [];
  if (value > 0n) intents.push({ kind: 'native-transfer', to, amount: value.toString(), path, actor });
  if (data === '0x') {
    if (value === 0n) intents.push({ kind: 'contract-call', to, selector: '0x', value: '0', path, actor });
    return intents;
  }
  if (byteLength(data) < 4) {
    intents.push({ kind: 'contract-call', to, selector: data, value: value.toString(), path, actor });
    return intents;
  }

  const selector = sliceHex(data, 0, 4);
  const handler = HANDLERS.get(selector);
  if (handler === undefined) {
    const signature = lookupSelector(selector);
    intents.push({ kind: 'contract-call', to, selector, signature, value: value.toString(), path, actor });
    return intents;
  }

  const call: CallContext = {
    to,
    value,
    actor,
    path,
    chainId: input.chainId,
    depth,
    selector,
    signature: handler.signature,
    inner(nested) {
      if (depth + 1 > MAX_CALL_DEPTH) {
        throw decodeFailed(call, undefined, undefined, `nests calls deeper than ${MAX_CALL_DEPTH} levels`);
      }
      budget.remaining -= Math.max(32, (nested.data.length - 2) / 2);
      if (budget.remaining < 0) {
        const limit = `${MAX_NESTED_CALLDATA_BYTES} bytes`;
        throw decodeFailed(call, undefined, undefined, `carries more nested calldata than a decode visits (${limit})`);
      }
      return decodeWithin(nested, depth + 1, budget);
    },
  };
  try {
    intents.push(...handler.decode(sliceHex(data, 4), call));
  } catch (error) {
    if (error instanceof BaseError) throw error;
    throw decodeFailed(call, error);
  }
  return intents;
}
