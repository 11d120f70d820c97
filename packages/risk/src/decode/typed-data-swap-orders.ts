/**
 * Token-for-token limit orders signed as EIP-712 typed data, each an `order` intent:
 *
 * - 0x v4 native orders `LimitOrder`, `RfqOrder`, `OtcOrder` (`LibNativeOrder.sol`, type hashes
 *   0xce918627…, 0xe593d3fd…, 0x2f754524…); a non-zero `taker` fixes the counterparty;
 * - the 1inch Limit Order Protocol `Order` of v4 (`OrderLib.sol`: maker, receiver, makerAsset,
 *   takerAsset, makingAmount, takingAmount, makerTraits), v3 (allowedSender, offsets,
 *   interactions) and v2. What the taker pays goes to `receiver`, or to the maker when it is zero.
 *   v4 packs the expiry into `makerTraits` bits 80–119; its allowed sender is only the low 80 bits
 *   of an address, so no `taker` is reported for v4.
 */
import type { Address, Intent } from '../types.js';
import type { ParsedTypedData } from './typed-data-parse.js';
import {
  addressAt,
  dec,
  exactSchema,
  expiryOf,
  fungible,
  type TypedDataSchema,
  takerOf,
  uintAt,
  ZERO_ADDRESS,
} from './typed-data-schema.js';

export const ZEROX_LIMIT_ORDER =
  'LimitOrder(address makerToken,address takerToken,uint128 makerAmount,uint128 takerAmount,uint128 takerTokenFeeAmount,address maker,address taker,address sender,address feeRecipient,bytes32 pool,uint64 expiry,uint256 salt)';
export const ZEROX_RFQ_ORDER =
  'RfqOrder(address makerToken,address takerToken,uint128 makerAmount,uint128 takerAmount,address maker,address taker,address txOrigin,bytes32 pool,uint64 expiry,uint256 salt)';
export const ZEROX_OTC_ORDER =
  'OtcOrder(address makerToken,address takerToken,uint128 makerAmount,uint128 takerAmount,address maker,address taker,address txOrigin,uint256 expiryAndNonce)';

export const ONEINCH_V4_ORDER =
  'Order(uint256 salt,address maker,address receiver,address makerAsset,address takerAsset,uint256 makingAmount,uint256 takingAmount,uint256 makerTraits)';
export const ONEINCH_V3_ORDER =
  'Order(uint256 salt,address makerAsset,address takerAsset,address maker,address receiver,address allowedSender,uint256 makingAmount,uint256 takingAmount,uint256 offsets,bytes interactions)';
export const ONEINCH_V2_ORDER =
  'Order(uint256 salt,address makerAsset,address takerAsset,address maker,address receiver,address allowedSender,uint256 makingAmount,uint256 takingAmount,bytes makerAssetData,bytes takerAssetData,bytes getMakerAmount,bytes getTakerAmount,bytes predicate,bytes permit,bytes interaction)';

/** `OtcOrder.expiryAndNonce` is `uint64 expiry ‖ uint64 nonceBucket ‖ uint128 nonce`. */
function zeroExExpiry(data: ParsedTypedData): bigint {
  return data.primaryType === 'OtcOrder'
    ? uintAt(data.message, 'expiryAndNonce') >> 192n
    : uintAt(data.message, 'expiry');
}

function zeroExIntents(data: ParsedTypedData, signer: Address): Intent[] {
  const m = data.message;
  const maker = addressAt(m, 'maker');
  const takerToken = addressAt(m, 'takerToken');
  const consideration = [fungible(takerToken, uintAt(m, 'takerAmount'), maker)];
  if (data.primaryType === 'LimitOrder') {
    const fee = uintAt(m, 'takerTokenFeeAmount');
    if (fee > 0n) consideration.push(fungible(takerToken, fee, addressAt(m, 'feeRecipient')));
  }
  return [
    {
      kind: 'order',
      market: '0x',
      path: 'message',
      actor: signer,
      offerer: maker,
      offer: [fungible(addressAt(m, 'makerToken'), uintAt(m, 'makerAmount'))],
      consideration,
      ...takerOf(addressAt(m, 'taker')),
      expiry: dec(zeroExExpiry(data)),
    },
  ];
}

const EXPIRATION_MASK = (1n << 40n) - 1n;

function oneInchIntents(version: 2 | 3 | 4) {
  return (data: ParsedTypedData, signer: Address): Intent[] => {
    const m = data.message;
    const maker = addressAt(m, 'maker');
    const receiver = addressAt(m, 'receiver');
    const terms =
      version === 4
        ? expiryOf((uintAt(m, 'makerTraits') >> 80n) & EXPIRATION_MASK)
        : takerOf(addressAt(m, 'allowedSender'));
    return [
      {
        kind: 'order',
        market: '1inch',
        path: 'message',
        actor: signer,
        offerer: maker,
        offer: [fungible(addressAt(m, 'makerAsset'), uintAt(m, 'makingAmount'))],
        consideration: [
          fungible(addressAt(m, 'takerAsset'), uintAt(m, 'takingAmount'), receiver === ZERO_ADDRESS ? maker : receiver),
        ],
        ...terms,
      },
    ];
  };
}

export const SWAP_ORDER_SCHEMAS: readonly TypedDataSchema[] = [
  exactSchema('0x.LimitOrder', ZEROX_LIMIT_ORDER, zeroExIntents),
  exactSchema('0x.RfqOrder', ZEROX_RFQ_ORDER, zeroExIntents),
  exactSchema('0x.OtcOrder', ZEROX_OTC_ORDER, zeroExIntents),
  exactSchema('1inch-v4.Order', ONEINCH_V4_ORDER, oneInchIntents(4)),
  exactSchema('1inch-v3.Order', ONEINCH_V3_ORDER, oneInchIntents(3)),
  exactSchema('1inch-v2.Order', ONEINCH_V2_ORDER, oneInchIntents(2)),
];
