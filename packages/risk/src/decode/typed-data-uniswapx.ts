/**
 * UniswapX orders (github.com/Uniswap/UniswapX `src/lib/*OrderLib.sol`, v4 `src/v4/lib`): Dutch,
 * ExclusiveDutch, V2Dutch, V3Dutch, Priority, Limit and the v4 Hybrid and PriorityOrderWitness.
 * A swapper signs them as the witness of a Permit2 `PermitWitnessTransferFrom`; they are also
 * recognised when signed directly. Each becomes an `order` intent, market `uniswapx`: the input the
 * swapper gives up (its largest amount over the auction) and the outputs that must be paid, with
 * their recipients. The exclusive filler of an ExclusiveDutchOrder is not a fixed taker (anyone
 * may fill after the exclusivity window), so `taker` is left out.
 */
import type { Address, Intent, OrderItem } from '../types.js';
import type { ParsedTypedData, TypedStruct } from './typed-data-parse.js';
import {
  addressAt,
  dec,
  fungible,
  max,
  structAt,
  structIs,
  structsAt,
  type TypedDataSchema,
  typeString,
  uintAt,
} from './typed-data-schema.js';

const ORDER_INFO =
  'OrderInfo(address reactor,address swapper,uint256 nonce,uint256 deadline,address additionalValidationContract,bytes additionalValidationData)';
const ORDER_INFO_V4 =
  'OrderInfo(address reactor,address swapper,uint256 nonce,uint256 deadline,address preExecutionHook,bytes preExecutionHookData,address postExecutionHook,bytes postExecutionHookData,address auctionResolver)';
const DUTCH_OUTPUT = 'DutchOutput(address token,uint256 startAmount,uint256 endAmount,address recipient)';
const NONLINEAR_DECAY = 'NonlinearDutchDecay(uint256 relativeBlocks,int256[] relativeAmounts)';
const V3_INPUT =
  'V3DutchInput(address token,uint256 startAmount,NonlinearDutchDecay curve,uint256 maxAmount,uint256 adjustmentPerGweiBaseFee)';
const V3_OUTPUT =
  'V3DutchOutput(address token,uint256 startAmount,NonlinearDutchDecay curve,address recipient,uint256 minAmount,uint256 adjustmentPerGweiBaseFee)';
const PRIORITY_INPUT = 'PriorityInput(address token,uint256 amount,uint256 mpsPerPriorityFeeWei)';
const PRIORITY_OUTPUT = 'PriorityOutput(address token,uint256 amount,uint256 mpsPerPriorityFeeWei,address recipient)';
const PRIORITY_ORDER =
  'PriorityOrder(OrderInfo info,address cosigner,uint256 auctionStartBlock,uint256 baselinePriorityFeeWei,PriorityInput input,PriorityOutput[] outputs)';

type Sides = { offer: OrderItem[]; consideration: OrderItem[] };

interface UniswapxOrder {
  struct: string;
  typeString: string;
  /** The order struct itself, for wrappers such as PriorityOrderWitness. */
  unwrap?: (value: TypedStruct, path: string) => { order: TypedStruct; path: string };
  sides(order: TypedStruct, path: string): Sides;
}

function dutchOutputs(order: TypedStruct, key: string, path: string): OrderItem[] {
  return structsAt(order, key, path).map(({ item, path: at }) =>
    fungible(
      addressAt(item, 'token', at),
      max(uintAt(item, 'startAmount', at), uintAt(item, 'endAmount', at)),
      addressAt(item, 'recipient', at),
    ),
  );
}

function outputs(order: TypedStruct, key: string, amount: string, path: string): OrderItem[] {
  return structsAt(order, key, path).map(({ item, path: at }) =>
    fungible(addressAt(item, 'token', at), uintAt(item, amount, at), addressAt(item, 'recipient', at)),
  );
}

function dutchInput(prefix: 'input' | 'baseInput') {
  return (order: TypedStruct, path: string): OrderItem => {
    const start = uintAt(order, `${prefix}StartAmount`, path);
    const end = uintAt(order, `${prefix}EndAmount`, path);
    return fungible(addressAt(order, `${prefix}Token`, path), max(start, end));
  };
}

const priority = (order: TypedStruct, path: string): Sides => {
  const input = structAt(order, 'input', path);
  return {
    offer: [fungible(addressAt(input, 'token', `${path}.input`), uintAt(input, 'amount', `${path}.input`))],
    consideration: outputs(order, 'outputs', 'amount', path),
  };
};

const ORDERS: readonly UniswapxOrder[] = [
  {
    struct: 'DutchOrder',
    typeString: typeString(
      'DutchOrder(OrderInfo info,uint256 decayStartTime,uint256 decayEndTime,address inputToken,uint256 inputStartAmount,uint256 inputEndAmount,DutchOutput[] outputs)',
      DUTCH_OUTPUT,
      ORDER_INFO,
    ),
    sides: (o, p) => ({ offer: [dutchInput('input')(o, p)], consideration: dutchOutputs(o, 'outputs', p) }),
  },
  {
    struct: 'ExclusiveDutchOrder',
    typeString: typeString(
      'ExclusiveDutchOrder(OrderInfo info,uint256 decayStartTime,uint256 decayEndTime,address exclusiveFiller,uint256 exclusivityOverrideBps,address inputToken,uint256 inputStartAmount,uint256 inputEndAmount,DutchOutput[] outputs)',
      DUTCH_OUTPUT,
      ORDER_INFO,
    ),
    sides: (o, p) => ({ offer: [dutchInput('input')(o, p)], consideration: dutchOutputs(o, 'outputs', p) }),
  },
  {
    struct: 'V2DutchOrder',
    typeString: typeString(
      'V2DutchOrder(OrderInfo info,address cosigner,address baseInputToken,uint256 baseInputStartAmount,uint256 baseInputEndAmount,DutchOutput[] baseOutputs)',
      DUTCH_OUTPUT,
      ORDER_INFO,
    ),
    sides: (o, p) => ({ offer: [dutchInput('baseInput')(o, p)], consideration: dutchOutputs(o, 'baseOutputs', p) }),
  },
  {
    struct: 'V3DutchOrder',
    typeString: typeString(
      'V3DutchOrder(OrderInfo info,address cosigner,uint256 startingBaseFee,V3DutchInput baseInput,V3DutchOutput[] baseOutputs)',
      NONLINEAR_DECAY,
      ORDER_INFO,
      V3_INPUT,
      V3_OUTPUT,
    ),
    // The input can rise to `maxAmount`; outputs decay from `startAmount` towards `minAmount`.
    sides: (o, p) => {
      const input = structAt(o, 'baseInput', p);
      const at = `${p}.baseInput`;
      return {
        offer: [
          fungible(
            addressAt(input, 'token', at),
            max(uintAt(input, 'startAmount', at), uintAt(input, 'maxAmount', at)),
          ),
        ],
        consideration: outputs(o, 'baseOutputs', 'startAmount', p),
      };
    },
  },
  {
    struct: 'PriorityOrder',
    typeString: typeString(PRIORITY_ORDER, ORDER_INFO, PRIORITY_INPUT, PRIORITY_OUTPUT),
    sides: priority,
  },
  {
    struct: 'PriorityOrderWitness',
    typeString: typeString(
      'PriorityOrderWitness(address resolver,PriorityOrder order)',
      ORDER_INFO_V4,
      PRIORITY_INPUT,
      PRIORITY_ORDER,
      PRIORITY_OUTPUT,
    ),
    unwrap: (value, path) => ({ order: structAt(value, 'order', path), path: `${path}.order` }),
    sides: priority,
  },
  {
    struct: 'LimitOrder',
    typeString: typeString(
      'LimitOrder(OrderInfo info,address inputToken,uint256 inputAmount,OutputToken[] outputs)',
      ORDER_INFO,
      'OutputToken(address token,uint256 amount,address recipient)',
    ),
    sides: (o, p) => ({
      offer: [fungible(addressAt(o, 'inputToken', p), uintAt(o, 'inputAmount', p))],
      consideration: outputs(o, 'outputs', 'amount', p),
    }),
  },
  {
    struct: 'HybridOrder',
    typeString: typeString(
      'HybridOrder(OrderInfo info,address cosigner,HybridInput input,HybridOutput[] outputs,uint256 auctionStartBlock,uint256 baselinePriorityFee,uint256 scalingFactor,uint256[] priceCurve)',
      'HybridInput(address token,uint256 maxAmount)',
      'HybridOutput(address token,uint256 minAmount,address recipient)',
      ORDER_INFO_V4,
    ),
    sides: (o, p) => {
      const input = structAt(o, 'input', p);
      return {
        offer: [fungible(addressAt(input, 'token', `${p}.input`), uintAt(input, 'maxAmount', `${p}.input`))],
        consideration: outputs(o, 'outputs', 'minAmount', p),
      };
    },
  },
];

function orderIntent(spec: UniswapxOrder, value: TypedStruct, path: string, signer: Address): Intent {
  const { order, path: at } = spec.unwrap ? spec.unwrap(value, path) : { order: value, path };
  const info = structAt(order, 'info', at);
  const { offer, consideration } = spec.sides(order, at);
  return {
    kind: 'order',
    market: 'uniswapx',
    path,
    actor: signer,
    offerer: addressAt(info, 'swapper', `${at}.info`),
    offer,
    consideration,
    expiry: dec(uintAt(info, 'deadline', `${at}.info`)),
  };
}

/** The `order` intent for a Permit2 witness of type `struct`, when it is a UniswapX order. */
export function uniswapxWitnessIntent(
  data: ParsedTypedData,
  struct: string,
  value: TypedStruct,
  path: string,
  signer: Address,
): Intent | undefined {
  const spec = ORDERS.find((o) => o.struct === struct && structIs(data, struct, o.typeString));
  return spec === undefined ? undefined : orderIntent(spec, value, path, signer);
}

/** UniswapX orders signed directly (not as a Permit2 witness). */
export const UNISWAPX_SCHEMAS: readonly TypedDataSchema[] = ORDERS.map((spec) => ({
  name: `uniswapx.${spec.struct}`,
  match: (data: ParsedTypedData) => data.typeString === spec.typeString,
  intents: (data: ParsedTypedData, signer: Address) => [orderIntent(spec, data.message, 'message', signer)],
}));
