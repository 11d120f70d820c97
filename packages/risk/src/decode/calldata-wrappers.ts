/**
 * Calldata handlers for functions that carry other calls, decoded recursively one level deeper
 * each time: Uniswap-style `multicall` (delegatecall to itself, so the caller stays the actor),
 * BoringBatchable `batch`, Multicall/Multicall2/Multicall3 `aggregate*` (real calls made by the
 * aggregator, which is then the actor), Safe `execTransaction` and
 * `execTransactionFromModule` (the Safe is the actor; operation 1 is a delegatecall), Safe
 * `multiSend` (packed `operation ‖ to ‖ value ‖ dataLength ‖ data` records, made to be
 * delegatecalled by a Safe, so the Safe stays the actor) and DSProxy `execute(address,bytes)`
 * (a delegatecall run as the proxy). A delegatecall hands the target the caller's storage and
 * balance, so besides decoding its data each one yields a `contract-call` intent whose signature
 * text starts with `delegatecall`.
 */
import type { Address, Hex, Intent } from '../types.js';
import {
  byteLength,
  type CallContext,
  type CallHandler,
  childPath,
  decodeFailed,
  defineCall,
  lower,
  sliceHex,
  uint,
} from './calldata-core.js';
import { lookupSelector } from './selectors.js';

/** The selector of a nested call as the `contract-call` intent spells it. */
function selectorOf(data: Hex): Hex {
  return byteLength(data) >= 4 ? sliceHex(data, 0, 4) : data;
}

/** The marker intent for a delegatecall: the target's code will run with the actor's assets. */
export function delegatecallIntent(target: Address, data: Hex, actor: Address | undefined, path: string): Intent {
  const selector = selectorOf(data);
  return {
    kind: 'contract-call',
    to: target,
    selector,
    signature: `delegatecall ${lookupSelector(selector) ?? selector}`,
    value: '0',
    path,
    actor,
  };
}

/**
 * A Safe-style `(to, value, data, operation)` execution by `actor`: operation 0 is a call,
 * 1 a delegatecall (no value moves with it); anything else makes the Safe revert.
 */
export function executeWithOperation(
  exec: { to: string; value: bigint; data: Hex; operation: number },
  actor: Address,
  path: string,
  call: CallContext,
): Intent[] {
  const target = lower(exec.to);
  if (exec.operation === 0) {
    return call.inner({ to: target, data: exec.data, value: uint(exec.value), actor, path, chainId: call.chainId });
  }
  if (exec.operation === 1) {
    return [
      delegatecallIntent(target, exec.data, actor, path),
      ...call.inner({ to: target, data: exec.data, value: '0', actor, path, chainId: call.chainId }),
    ];
  }
  throw decodeFailed(call, undefined, undefined, `has operation ${exec.operation} (0 = call, 1 = delegatecall)`);
}

/** Calls back into the same contract with the same sender (multicall, batch). */
function selfCalls(step: string, calls: readonly Hex[], call: CallContext): Intent[] {
  return calls.flatMap((data, i) =>
    call.inner({
      to: call.to,
      data,
      value: '0',
      actor: call.actor,
      path: childPath(call.path, `${step}[${i}]`),
      chainId: call.chainId,
    }),
  );
}

/** Calls the aggregator makes itself: it is the sender, so it is the actor. */
function aggregatedCalls(
  step: string,
  calls: readonly { target: string; callData: Hex; value?: bigint }[],
  call: CallContext,
): Intent[] {
  return calls.flatMap((inner, i) =>
    call.inner({
      to: lower(inner.target),
      data: inner.callData,
      value: uint(inner.value ?? 0n),
      actor: call.to,
      path: childPath(call.path, `${step}[${i}]`),
      chainId: call.chainId,
    }),
  );
}

/** Safe MultiSend's packed records: uint8 operation, address to, uint256 value, uint256 length, bytes data. */
function multiSendCalls(transactions: Hex, call: CallContext): Intent[] {
  const intents: Intent[] = [];
  const total = byteLength(transactions);
  const header = 1 + 20 + 32 + 32;
  let offset = 0;
  for (let i = 0; offset < total; i++) {
    if (total - offset < header) throw decodeFailed(call, undefined, `record ${i}`, 'is truncated');
    const operation = Number.parseInt(sliceHex(transactions, offset, offset + 1).slice(2), 16);
    const to = sliceHex(transactions, offset + 1, offset + 21);
    const value = BigInt(sliceHex(transactions, offset + 21, offset + 53));
    const length = BigInt(sliceHex(transactions, offset + 53, offset + 85));
    if (length > BigInt(total - offset - header)) {
      throw decodeFailed(call, undefined, `record ${i}`, 'claims more data than it carries');
    }
    const end = offset + header + Number(length);
    const data = sliceHex(transactions, offset + header, end);
    // MultiSend runs delegatecalled by the Safe: the Safe (the caller here) makes every call.
    const actor = call.actor ?? call.to;
    const path = childPath(call.path, `multiSend[${i}]`);
    intents.push(...executeWithOperation({ to, value, data, operation }, actor, path, call));
    offset = end;
  }
  return intents;
}

const SAFE_EXEC =
  'execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures)';

export const WRAPPER_CALLS: readonly CallHandler[] = [
  defineCall('multicall(bytes[] data)', ([calls], call) => selfCalls('multicall', calls, call)),
  defineCall('multicall(uint256 deadline, bytes[] data)', ([, calls], call) => selfCalls('multicall', calls, call)),
  defineCall('multicall(bytes32 previousBlockhash, bytes[] data)', ([, calls], call) =>
    selfCalls('multicall', calls, call),
  ),
  defineCall('batch(bytes[] calls, bool revertOnFail)', ([calls], call) => selfCalls('batch', calls, call)),
  defineCall('aggregate((address target, bytes callData)[] calls)', ([calls], call) =>
    aggregatedCalls('aggregate', calls, call),
  ),
  defineCall('tryAggregate(bool requireSuccess, (address target, bytes callData)[] calls)', ([, calls], call) =>
    aggregatedCalls('tryAggregate', calls, call),
  ),
  defineCall('blockAndAggregate((address target, bytes callData)[] calls)', ([calls], call) =>
    aggregatedCalls('blockAndAggregate', calls, call),
  ),
  defineCall('tryBlockAndAggregate(bool requireSuccess, (address target, bytes callData)[] calls)', ([, calls], call) =>
    aggregatedCalls('tryBlockAndAggregate', calls, call),
  ),
  defineCall('aggregate3((address target, bool allowFailure, bytes callData)[] calls)', ([calls], call) =>
    aggregatedCalls('aggregate3', calls, call),
  ),
  defineCall(
    'aggregate3Value((address target, bool allowFailure, uint256 value, bytes callData)[] calls)',
    ([calls], call) => aggregatedCalls('aggregate3Value', calls, call),
  ),
  defineCall(SAFE_EXEC, ([to, value, data, operation], call) =>
    executeWithOperation({ to, value, data, operation }, call.to, childPath(call.path, 'execTransaction'), call),
  ),
  defineCall(
    'execTransactionFromModule(address to, uint256 value, bytes data, uint8 operation)',
    ([to, value, data, operation], call) =>
      executeWithOperation(
        { to, value, data, operation },
        call.to,
        childPath(call.path, 'execTransactionFromModule'),
        call,
      ),
  ),
  defineCall(
    'execTransactionFromModuleReturnData(address to, uint256 value, bytes data, uint8 operation)',
    ([to, value, data, operation], call) =>
      executeWithOperation(
        { to, value, data, operation },
        call.to,
        childPath(call.path, 'execTransactionFromModuleReturnData'),
        call,
      ),
  ),
  defineCall('multiSend(bytes transactions)', ([transactions], call) => multiSendCalls(transactions, call)),
  // DSProxy: delegatecalls `target` with `data`, so the code runs as the proxy.
  defineCall('execute(address target, bytes data)', ([target, data], call) =>
    executeWithOperation({ to: target, value: 0n, data, operation: 1 }, call.to, childPath(call.path, 'execute'), call),
  ),
];
