/**
 * The plumbing the calldata decoders share: how a known function is declared (`defineCall`: a
 * human-readable Solidity signature, parsed once by viem, whose selector is computed from the text
 * and whose arguments are ABI-decoded by viem per the Solidity ABI spec), the context a handler
 * sees (the call's target, value, actor and path, and `inner` to decode a nested call one level
 * deeper), and the one error a decoder throws for calldata that claims a known selector but does
 * not decode: `RISK_DECODE_FAILED` with `{selector, path}` and the original error kept as `cause`.
 */
import { BaseError } from '@custos/core';
import {
  type AbiFunction,
  type AbiParameter,
  type DecodeAbiParametersReturnType,
  decodeAbiParameters,
  type ParseAbiItem,
  parseAbiItem,
  toFunctionSelector,
  toFunctionSignature,
} from 'viem';
import type { Address, Hex, Intent, UintString } from '../types.js';

export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
/** The canonical Permit2 deployment (same address on every chain). */
export const PERMIT2_ADDRESS: Address = '0x000000000022d473030f116ddee9f6b43ac78ba3';
/**
 * How many wrappers may nest (handleOps → execute → multicall → …). Real transactions stay well
 * inside it; anything deeper fails closed with RISK_DECODE_FAILED instead of recursing on.
 */
export const MAX_CALL_DEPTH = 5;

/** A call to decode: what a transaction, UserOperation or wrapper asks `to` to run. */
export interface CallInput {
  to: Address;
  data: Hex;
  value: UintString;
  /** Whose assets the call moves: the sender of the transaction, the Safe, the UserOp sender … */
  actor?: Address | undefined;
  /** Where the call sits in the request, e.g. `tx` or `tx.multicall[2]`. */
  path: string;
  chainId: number;
}

/** What a handler knows about the call it decodes. */
export interface CallContext {
  to: Address;
  value: bigint;
  actor: Address | undefined;
  path: string;
  chainId: number;
  /** Wrapper nesting level of this call (0 at the top). */
  depth: number;
  selector: Hex;
  signature: string;
  /** Decodes a nested call one level deeper (throws RISK_DECODE_FAILED past MAX_CALL_DEPTH). */
  inner(input: CallInput): Intent[];
}

export interface CallHandler {
  selector: Hex;
  /** Canonical text signature, e.g. `approve(address,uint256)`. */
  signature: string;
  decode(args: Hex, call: CallContext): Intent[];
}

type FunctionInputs<S extends string> =
  ParseAbiItem<`function ${S}`> extends { inputs: infer I extends readonly AbiParameter[] } ? I : never;

/** The decoded arguments of a function given as human-readable Solidity text. */
export type CallArgs<S extends string> = DecodeAbiParametersReturnType<FunctionInputs<S>>;

/**
 * Declares a known function. `signature` is human-readable Solidity without the `function`
 * keyword (`approve(address spender, uint256 amount)`); named tuple components decode as objects.
 */
export function defineCall<const S extends string>(
  signature: S,
  handle: (args: CallArgs<S>, call: CallContext) => Intent[],
): CallHandler {
  const item = parseAbiItem(`function ${signature}` as string) as AbiFunction;
  const canonical = toFunctionSignature(item);
  return {
    selector: toFunctionSelector(item),
    signature: canonical,
    decode(args, call) {
      const decoded = decodeParameters(item.inputs, args, call) as CallArgs<S>;
      return handle(decoded, call);
    },
  };
}

/**
 * ABI-decodes `data` against `parameters`, turning any viem error into RISK_DECODE_FAILED for
 * the call at hand (`part` names a nested blob, e.g. a Universal Router command's input).
 */
export function decodeParameters(
  parameters: readonly AbiParameter[],
  data: Hex,
  call: Pick<CallContext, 'selector' | 'signature' | 'path'>,
  part?: string,
): readonly unknown[] {
  try {
    return decodeAbiParameters(parameters, data);
  } catch (cause) {
    throw decodeFailed(call, cause, part);
  }
}

export function decodeFailed(
  call: Pick<CallContext, 'selector' | 'signature' | 'path'>,
  cause: unknown,
  part?: string,
  reason?: string,
): BaseError {
  const what = part === undefined ? call.signature : `${call.signature} ${part}`;
  const why = reason ?? 'does not decode';
  return new BaseError('RISK_DECODE_FAILED', `calldata for ${what} at ${call.path} ${why}`, {
    details: { selector: call.selector, path: call.path },
    hints: ['The calldata claims a known function but its arguments are malformed; do not sign it blind.'],
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A decoded address (viem returns checksummed text) in the engine's lowercase form. */
export function lower(address: string): Address {
  return address.toLowerCase() as Address;
}

/** A decoded integer (viem returns `number` up to 48 bits, `bigint` above) as a decimal string. */
export function uint(value: bigint | number): UintString {
  return BigInt(value).toString();
}

/** `0x` + hex slice helper: bytes `[start, end)` of 0x-hex `data`. */
export function sliceHex(data: Hex, start: number, end?: number): Hex {
  return `0x${data.slice(2 + start * 2, end === undefined ? undefined : 2 + end * 2)}`;
}

export function byteLength(data: Hex): number {
  return (data.length - 2) / 2;
}

/** Maps a wrapper's path to a nested one: `tx` → `tx.multicall[2]`. */
export function childPath(path: string, step: string): string {
  return `${path}.${step}`;
}
