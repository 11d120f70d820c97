/**
 * The Uniswap Universal Router's `execute(bytes commands, bytes[] inputs[, uint256 deadline])`,
 * decoded per its Commands/Dispatcher layout (github.com/Uniswap/universal-router,
 * `contracts/libraries/Commands.sol` and `contracts/base/Dispatcher.sol`): one command byte per
 * input, the command type in bits 0–5 (`& 0x3f`), bit 7 (`0x80`) letting that command revert
 * without reverting the plan. Inputs are ABI-encoded per command:
 *
 * - 0x00/0x01 V3_SWAP_EXACT_IN/OUT `(address recipient, uint256 amount, uint256 limit, bytes path, bool payerIsUser)`
 * - 0x02 PERMIT2_TRANSFER_FROM `(address token, address recipient, uint160 amount)`
 * - 0x03 PERMIT2_PERMIT_BATCH `(PermitBatch, bytes signature)`; 0x0a PERMIT2_PERMIT `(PermitSingle, bytes signature)`
 * - 0x04 SWEEP, 0x05 TRANSFER, 0x06 PAY_PORTION `(address token, address recipient, uint256 amount|bips)`
 * - 0x08/0x09 V2_SWAP_EXACT_IN/OUT `(address recipient, uint256 amount, uint256 limit, address[] path, bool payerIsUser)`
 * - 0x0b WRAP_ETH, 0x0c UNWRAP_WETH `(address recipient, uint256 amountMin)`
 * - 0x0d PERMIT2_TRANSFER_FROM_BATCH `(AllowanceTransferDetails[])`; 0x0e BALANCE_CHECK_ERC20 `(address, address, uint256)`
 * - 0x21 EXECUTE_SUB_PLAN `(bytes commands, bytes[] inputs)` (0x20 on v1.0, where v1.2 has SEAPORT_V1_4 there:
 *   0x20 is read as a sub-plan when it parses as one).
 *
 * Recipients `address(1)` and `address(2)` mean the caller and the router. Token `address(0)`
 * means ETH. Permits are signed by the caller (the router passes `msg.sender` to Permit2) and keep
 * the spender as encoded; sweeps, transfers and unwraps move the router's balance (the router is
 * the actor); swaps become `contract-call` intents named after the command. Newer routers give
 * 0x40–0x7f to third-party integrations while older ones mask bit 6 away: a byte with bit 6 set is
 * decoded as its masked command when its input parses as one (what an old router would run), and
 * is otherwise shown as an unknown command.
 */
import {
  type AbiParameter,
  type DecodeAbiParametersReturnType,
  decodeAbiParameters,
  encodeAbiParameters,
  type ParseAbiParameters,
  parseAbiParameters,
} from 'viem';
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
  PERMIT2_ADDRESS,
  uint,
  ZERO_ADDRESS,
} from './calldata-core.js';
import {
  ALLOWANCE_TRANSFER_DETAILS,
  PERMIT_BATCH,
  PERMIT_SINGLE,
  permit2Permits,
  permit2TransfersFrom,
} from './calldata-permit2.js';

const ALLOW_REVERT = 0x80;
const COMMAND_MASK = 0x3f;
const THIRD_PARTY = 0x40;
const MSG_SENDER: Address = '0x0000000000000000000000000000000000000001';
const ADDRESS_THIS: Address = '0x0000000000000000000000000000000000000002';

/** What a command handler needs: the call it sits in and where its intents go. */
interface CommandContext {
  call: CallContext;
  path: string;
  router: Address;
  /** The router's `msg.sender` (its `lockedBy`), when known. */
  user: Address | undefined;
}

interface Command {
  name: string;
  params: readonly AbiParameter[];
  handle(args: readonly unknown[], command: CommandContext): Intent[];
}

type CommandArgs<P extends string> = DecodeAbiParametersReturnType<
  ParseAbiParameters<P> extends infer Params extends readonly AbiParameter[] ? Params : never
>;

function command<const P extends string>(
  name: string,
  params: P,
  handle: (args: CommandArgs<P>, command: CommandContext) => Intent[],
): Command {
  return {
    name,
    params: parseAbiParameters(params as string) as readonly AbiParameter[],
    handle: handle as Command['handle'],
  };
}

function formatType(param: AbiParameter): string {
  if (!param.type.startsWith('tuple')) return param.type;
  const components = 'components' in param ? param.components : [];
  return `(${components.map(formatType).join(',')})${param.type.slice('tuple'.length)}`;
}

/** The router's `map(recipient)`: address(1) is the caller, address(2) the router itself. */
function recipientOf(recipient: string, command: CommandContext): Address {
  const address = lower(recipient);
  if (address === MSG_SENDER) return command.user ?? address;
  if (address === ADDRESS_THIS) return command.router;
  return address;
}

/** A payment out of the router's balance: ETH when `token` is address(0). */
function payment(token: string, recipient: string, amount: bigint, command: CommandContext): Intent {
  const to = recipientOf(recipient, command);
  const base = { path: command.path, actor: command.router };
  if (lower(token) === ZERO_ADDRESS) return { kind: 'native-transfer', to, amount: uint(amount), ...base };
  return {
    kind: 'token-transfer',
    method: 'transfer',
    token: lower(token),
    from: command.router,
    to,
    amount: uint(amount),
    ...base,
  };
}

/** A command the decoder names but does not model (swaps, wraps, fee payments, unknown commands). */
function opaque(signature: string, command: CommandContext): Intent {
  return {
    kind: 'contract-call',
    to: command.router,
    selector: command.call.selector,
    signature,
    value: '0',
    path: command.path,
    actor: command.user,
  };
}

const SWAP_V3 = 'address recipient, uint256 amount, uint256 limit, bytes path, bool payerIsUser';
const SWAP_V2 = 'address recipient, uint256 amount, uint256 limit, address[] path, bool payerIsUser';
const PAYMENT = 'address token, address recipient, uint256 amount';

/** A command the decoder checks the layout of and names, without modelling what it moves. */
function opaqueCommand(name: string, params: string): Command {
  const signature = `${name}(${formatTypes(params)})`;
  return command(name, params, (_args, c) => [opaque(signature, c)]);
}

function formatTypes(params: string): string {
  return (parseAbiParameters(params) as readonly AbiParameter[]).map(formatType).join(',');
}

const COMMANDS = new Map<number, Command>([
  [0x00, opaqueCommand('V3_SWAP_EXACT_IN', SWAP_V3)],
  [0x01, opaqueCommand('V3_SWAP_EXACT_OUT', SWAP_V3)],
  [
    0x02,
    command('PERMIT2_TRANSFER_FROM', 'address token, address recipient, uint160 amount', ([token, to, amount], c) =>
      permit2TransfersFrom([{ from: c.user ?? ZERO_ADDRESS, to: recipientOf(to, c), amount, token }], c),
    ),
  ],
  [
    0x03,
    command('PERMIT2_PERMIT_BATCH', `${PERMIT_BATCH} permitBatch, bytes signature`, ([batch], c) =>
      permit2Permits(c.user, batch, PERMIT2_ADDRESS, c),
    ),
  ],
  [0x04, command('SWEEP', PAYMENT, ([token, to, amountMin], c) => [payment(token, to, amountMin, c)])],
  [0x05, command('TRANSFER', PAYMENT, ([token, to, value], c) => [payment(token, to, value, c)])],
  [0x06, opaqueCommand('PAY_PORTION', PAYMENT)],
  [0x07, opaqueCommand('PAY_PORTION_FULL_PRECISION', PAYMENT)],
  [0x08, opaqueCommand('V2_SWAP_EXACT_IN', SWAP_V2)],
  [0x09, opaqueCommand('V2_SWAP_EXACT_OUT', SWAP_V2)],
  [
    0x0a,
    command('PERMIT2_PERMIT', `${PERMIT_SINGLE} permitSingle, bytes signature`, ([single], c) =>
      permit2Permits(c.user, { ...single, details: [single.details] }, PERMIT2_ADDRESS, c),
    ),
  ],
  [0x0b, opaqueCommand('WRAP_ETH', 'address recipient, uint256 amountMin')],
  [
    0x0c,
    command('UNWRAP_WETH', 'address recipient, uint256 amountMin', ([to, amountMin], c) => [
      payment(ZERO_ADDRESS, to, amountMin, c),
    ]),
  ],
  [
    0x0d,
    command('PERMIT2_TRANSFER_FROM_BATCH', `${ALLOWANCE_TRANSFER_DETAILS}[] batchDetails`, ([transfers], c) =>
      permit2TransfersFrom(transfers, c),
    ),
  ],
  [0x0e, command('BALANCE_CHECK_ERC20', 'address owner, address token, uint256 minBalance', () => [])],
  [0x21, command('EXECUTE_SUB_PLAN', 'bytes commands, bytes[] inputs', ([cmds, ins], c) => subPlan(cmds, ins, c))],
]);

/** Commands named for the record only: their layout differs between router versions. */
const UNMODELLED = new Map<number, string>([
  [0x10, 'V4_SWAP on v2 | SEAPORT_V1_5 on v1.2'],
  [0x11, 'V3_POSITION_MANAGER_PERMIT on v2 | LOOKS_RARE_V2 on v1.2'],
  [0x12, 'V3_POSITION_MANAGER_CALL on v2 | NFTX on v1.2'],
  [0x13, 'V4_INITIALIZE_POOL on v2 | CRYPTOPUNKS on v1.2'],
  [0x14, 'V4_POSITION_MANAGER_CALL on v2 | LOOKS_RARE_1155 on v1.0'],
  [0x15, 'OWNER_CHECK_721 on v1'],
  [0x16, 'OWNER_CHECK_1155 on v1'],
  [0x17, 'SWEEP_ERC721 on v1'],
  [0x18, 'X2Y2_721 on v1'],
  [0x19, 'SUDOSWAP on v1'],
  [0x1a, 'NFT20 on v1'],
  [0x1b, 'X2Y2_1155 on v1'],
  [0x1c, 'FOUNDATION on v1'],
  [0x1d, 'SWEEP_ERC1155 on v1'],
  [0x1e, 'ELEMENT_MARKET on v1'],
  [0x20, 'SEAPORT_V1_4 on v1.2 | EXECUTE_SUB_PLAN on v1.0'],
  [0x22, 'APPROVE_ERC20 on v1.2'],
]);

const SUB_PLAN = parseAbiParameters('bytes commands, bytes[] inputs');
const EXECUTE_PLAN = defineCall('execute(bytes commands, bytes[] inputs)', ([cmds, ins], call) =>
  routerPlan(cmds, ins, call),
);

/** A sub-plan runs as `router.execute(commands, inputs)` with the same `lockedBy`: one level deeper. */
function subPlan(commands: Hex, inputs: readonly Hex[], command: CommandContext): Intent[] {
  const data = `${EXECUTE_PLAN.selector}${encodeAbiParameters(SUB_PLAN, [commands, inputs]).slice(2)}` as Hex;
  return command.call.inner({
    to: command.router,
    data,
    value: '0',
    actor: command.user,
    path: command.path,
    chainId: command.call.chainId,
  });
}

function unknownCommand(byte: number, command: CommandContext): Intent {
  const code = `0x${(byte & 0x7f).toString(16).padStart(2, '0')}`;
  return opaque(`Universal Router command ${code} (${UNMODELLED.get(byte & 0x7f) ?? 'unknown'})`, command);
}

function tryDecode(params: readonly AbiParameter[], input: Hex): readonly unknown[] | undefined {
  try {
    return decodeAbiParameters(params, input);
  } catch {
    // Not this command's layout; the caller reports the command as unknown instead.
    return undefined;
  }
}

function runCommand(byte: number, input: Hex, command: CommandContext): Intent[] {
  const type = byte & COMMAND_MASK;
  const spec = COMMANDS.get(type);
  const call = { ...command.call, path: command.path };
  if (byte & THIRD_PARTY) {
    const args = spec === undefined ? undefined : tryDecode(spec.params, input);
    if (spec === undefined || args === undefined) return [unknownCommand(byte, command)];
    return spec.handle(args, command);
  }
  if (type === 0x20) {
    const args = tryDecode(SUB_PLAN, input) as [Hex, readonly Hex[]] | undefined;
    if (args !== undefined && byteLength(args[0]) === args[1].length) return subPlan(args[0], args[1], command);
    return [unknownCommand(byte, command)];
  }
  if (spec === undefined) return [unknownCommand(byte, command)];
  const args = decodeParameters(spec.params, input, call, `command ${spec.name}`);
  return spec.handle(args, command);
}

function routerPlan(commands: Hex, inputs: readonly Hex[], call: CallContext): Intent[] {
  const count = byteLength(commands);
  if (count !== inputs.length) {
    throw decodeFailed(call, undefined, undefined, `has ${count} commands for ${inputs.length} inputs`);
  }
  const intents: Intent[] = [];
  for (let i = 0; i < count; i++) {
    const byte = Number.parseInt(commands.slice(2 + i * 2, 4 + i * 2), 16);
    const path = childPath(call.path, `execute[${i}]`);
    const context: CommandContext = { call, path, router: call.to, user: call.actor };
    // The allow-revert flag (bit 7) changes nothing about what the command would do.
    intents.push(...runCommand(byte & ~ALLOW_REVERT, inputs[i] as Hex, context));
  }
  return intents;
}

export const UNIVERSAL_ROUTER_CALLS: readonly CallHandler[] = [
  defineCall('execute(bytes commands, bytes[] inputs, uint256 deadline)', ([cmds, ins], call) =>
    routerPlan(cmds, ins, call),
  ),
  EXECUTE_PLAN,
];
