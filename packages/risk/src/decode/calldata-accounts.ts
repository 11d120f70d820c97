/**
 * Calldata handlers for smart accounts (ERC-4337): the EntryPoint's `handleOps` for the v0.6
 * `UserOperation` and the v0.7/v0.8 `PackedUserOperation` structs (each op's `callData` is a call
 * on its `sender`, decoded with the sender as actor), and the account execution encodings the
 * callData uses — `execute(address,uint256,bytes)` (SimpleAccount, Kernel, Light/Coinbase
 * accounts, Biconomy's `execute_ncC`/`executeCall`), the three `executeBatch` shapes, Kernel v2
 * and the Safe 4337 module's `(to, value, data, operation)` forms, and ERC-7579
 * `execute(bytes32 mode, bytes executionCalldata)` / `executeFromExecutor` (call type in the
 * mode's first byte: 0x00 single = `target(20) ‖ value(32) ‖ callData`, 0x01 batch =
 * `abi.encode((address,uint256,bytes)[])`, 0xff delegatecall = `target(20) ‖ callData`).
 * Calls an account executes are made by the account, so the account (`to`) is their actor.
 */
import { parseAbiParameters } from 'viem';
import type { Address, Hex, Intent } from '../types.js';
import {
  byteLength,
  type CallContext,
  type CallHandler,
  childPath,
  decodeFailed,
  decodeParameters,
  defineCall,
  lower,
  sliceHex,
  uint,
} from './calldata-core.js';
import { delegatecallIntent, executeWithOperation } from './calldata-wrappers.js';

interface Execution {
  target: string;
  value: bigint;
  callData: Hex;
}

function executions(step: string, calls: readonly Execution[], call: CallContext): Intent[] {
  return calls.flatMap((exec, i) =>
    call.inner({
      to: lower(exec.target),
      data: exec.callData,
      value: uint(exec.value),
      actor: call.to,
      path: childPath(call.path, `${step}[${i}]`),
      chainId: call.chainId,
    }),
  );
}

function single(step: string, target: string, value: bigint, data: Hex, call: CallContext): Intent[] {
  return call.inner({
    to: lower(target),
    data,
    value: uint(value),
    actor: call.to,
    path: childPath(call.path, step),
    chainId: call.chainId,
  });
}

/** Parallel-array batches; an empty value array means no value on any call (SimpleAccount v0.7). */
function parallelBatch(
  step: string,
  targets: readonly string[],
  values: readonly bigint[],
  datas: readonly Hex[],
  call: CallContext,
): Intent[] {
  if (targets.length !== datas.length || (values.length !== 0 && values.length !== datas.length)) {
    const counts = `${targets.length} targets, ${values.length} values and ${datas.length} calls`;
    throw decodeFailed(call, undefined, undefined, `pairs ${counts}`);
  }
  const calls = targets.map((target, i) => ({ target, value: values[i] ?? 0n, callData: datas[i] as Hex }));
  return executions(step, calls, call);
}

const EXECUTION_ARRAY = parseAbiParameters('(address target, uint256 value, bytes callData)[]');

/** ERC-7579 `execute(bytes32 mode, bytes executionCalldata)` by call type. */
function erc7579(mode: Hex, executionCalldata: Hex, call: CallContext): Intent[] {
  const callType = mode.slice(2, 4);
  const step = call.signature.slice(0, call.signature.indexOf('('));
  const length = byteLength(executionCalldata);
  if (callType === '00') {
    if (length < 52) throw decodeFailed(call, undefined, 'single execution', 'is shorter than target ‖ value');
    const target = sliceHex(executionCalldata, 0, 20);
    const value = BigInt(sliceHex(executionCalldata, 20, 52));
    return single(step, target, value, sliceHex(executionCalldata, 52), call);
  }
  if (callType === '01') {
    const [calls] = decodeParameters(EXECUTION_ARRAY, executionCalldata, call, 'batch executions') as [
      readonly Execution[],
    ];
    return executions(step, calls, call);
  }
  if (callType === 'ff') {
    if (length < 20) throw decodeFailed(call, undefined, 'delegatecall execution', 'is shorter than a target');
    const target = lower(sliceHex(executionCalldata, 0, 20));
    const data = sliceHex(executionCalldata, 20);
    const path = childPath(call.path, step);
    return [
      delegatecallIntent(target, data, call.to, path),
      ...call.inner({ to: target, data, value: '0', actor: call.to, path, chainId: call.chainId }),
    ];
  }
  // Static calls change nothing; other call types make a conforming account revert.
  return [
    {
      kind: 'contract-call',
      to: call.to,
      selector: call.selector,
      signature: `${call.signature} (call type 0x${callType})`,
      value: call.value.toString(),
      path: call.path,
      actor: call.actor,
    },
  ];
}

const USER_OPERATION_V06 =
  '(address sender, uint256 nonce, bytes initCode, bytes callData, uint256 callGasLimit, uint256 verificationGasLimit, uint256 preVerificationGas, uint256 maxFeePerGas, uint256 maxPriorityFeePerGas, bytes paymasterAndData, bytes signature)';
const PACKED_USER_OPERATION =
  '(address sender, uint256 nonce, bytes initCode, bytes callData, bytes32 accountGasLimits, uint256 preVerificationGas, bytes32 gasFees, bytes paymasterAndData, bytes signature)';

/** Each UserOperation's callData is a call the EntryPoint makes on the op's sender account. */
function userOperations(ops: readonly { sender: string; callData: Hex }[], call: CallContext): Intent[] {
  return ops.flatMap((op, i) => {
    const sender: Address = lower(op.sender);
    return call.inner({
      to: sender,
      data: op.callData,
      value: '0',
      actor: sender,
      path: childPath(call.path, `handleOps[${i}]`),
      chainId: call.chainId,
    });
  });
}

export const ACCOUNT_CALLS: readonly CallHandler[] = [
  defineCall(`handleOps(${USER_OPERATION_V06}[] ops, address beneficiary)`, ([ops], call) => userOperations(ops, call)),
  defineCall(`handleOps(${PACKED_USER_OPERATION}[] ops, address beneficiary)`, ([ops], call) =>
    userOperations(ops, call),
  ),
  defineCall('execute(address dest, uint256 value, bytes func)', ([target, value, data], call) =>
    single('execute', target, value, data, call),
  ),
  defineCall('executeCall(address dest, uint256 value, bytes func)', ([target, value, data], call) =>
    single('executeCall', target, value, data, call),
  ),
  defineCall('execute_ncC(address dest, uint256 value, bytes func)', ([target, value, data], call) =>
    single('execute_ncC', target, value, data, call),
  ),
  defineCall('executeBatch(address[] dest, bytes[] func)', ([targets, datas], call) =>
    parallelBatch('executeBatch', targets, [], datas, call),
  ),
  defineCall('executeBatch(address[] dest, uint256[] value, bytes[] func)', ([targets, values, datas], call) =>
    parallelBatch('executeBatch', targets, values, datas, call),
  ),
  defineCall('executeBatch_y6U(address[] dest, uint256[] value, bytes[] func)', ([targets, values, datas], call) =>
    parallelBatch('executeBatch_y6U', targets, values, datas, call),
  ),
  defineCall('executeBatch((address target, uint256 value, bytes callData)[] calls)', ([calls], call) =>
    executions('executeBatch', calls, call),
  ),
  // Kernel v2 and the Safe 4337 module: operation 1 is a delegatecall.
  defineCall('execute(address to, uint256 value, bytes data, uint8 operation)', ([to, value, data, op], call) =>
    executeWithOperation({ to, value, data, operation: op }, call.to, childPath(call.path, 'execute'), call),
  ),
  defineCall('executeUserOp(address to, uint256 value, bytes data, uint8 operation)', ([to, value, data, op], call) =>
    executeWithOperation({ to, value, data, operation: op }, call.to, childPath(call.path, 'executeUserOp'), call),
  ),
  defineCall(
    'executeUserOpWithErrorString(address to, uint256 value, bytes data, uint8 operation)',
    ([to, value, data, op], call) =>
      executeWithOperation(
        { to, value, data, operation: op },
        call.to,
        childPath(call.path, 'executeUserOpWithErrorString'),
        call,
      ),
  ),
  defineCall('execute(bytes32 mode, bytes executionCalldata)', ([mode, executionCalldata], call) =>
    erc7579(mode, executionCalldata, call),
  ),
  defineCall('executeFromExecutor(bytes32 mode, bytes executionCalldata)', ([mode, executionCalldata], call) =>
    erc7579(mode, executionCalldata, call),
  ),
];
