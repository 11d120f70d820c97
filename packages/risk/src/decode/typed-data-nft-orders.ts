/**
 * NFT marketplace orders signed as EIP-712 typed data, each an `order` intent: what the offerer
 * gives up and what must be paid out, to whom. Type strings are the contracts' own:
 *
 * - Seaport `OrderComponents` and `BulkOrder(OrderComponents[2]…[2] tree)` (ProjectOpenSea/seaport
 *   `ConsiderationTypeHashes.sol`, `TypehashDirectory.sol`);
 * - Blur `Order` (Blur Exchange `lib/EIP712.sol`) and its `Root(bytes32 root)` bulk signature: a
 *   Merkle root over orders the wallet never sees, so it yields no intent — schema `blur.Root`
 *   alone tells the rules it is a blind signature;
 * - 0x v4 `ERC721Order` / `ERC1155Order` (`LibNFTOrder.sol`, type hashes 0x2de32b2b… / 0x930490b1…);
 * - LooksRare v2 `Maker` and `BatchOrder(Maker[2]…[2] tree)`, and v1 `MakerOrder`.
 *
 * Where an order does not say whether its collection is ERC-721 or ERC-1155 (Blur, LooksRare v1),
 * an amount of 1 is read as ERC-721 and anything else as ERC-1155.
 */
import type { Address, Intent, OrderItem } from '../types.js';
import type { ParsedTypedData, TypedStruct, TypedValue } from './typed-data-parse.js';
import { isRecord } from './typed-data-parse.js';
import {
  addressAt,
  boolAt,
  dec,
  exactSchema,
  expiryOf,
  fungible,
  max,
  nft,
  structIs,
  structsAt,
  type TypedDataSchema,
  takerOf,
  typeString,
  uintAt,
  uintsAt,
  ZERO_ADDRESS,
} from './typed-data-schema.js';

// ---------------------------------------------------------------------------------------------
// Seaport

const OFFER_ITEM =
  'OfferItem(uint8 itemType,address token,uint256 identifierOrCriteria,uint256 startAmount,uint256 endAmount)';
const CONSIDERATION_ITEM =
  'ConsiderationItem(uint8 itemType,address token,uint256 identifierOrCriteria,uint256 startAmount,uint256 endAmount,address recipient)';
export const SEAPORT_ORDER = typeString(
  'OrderComponents(address offerer,address zone,OfferItem[] offer,ConsiderationItem[] consideration,uint8 orderType,uint256 startTime,uint256 endTime,bytes32 zoneHash,uint256 salt,bytes32 conduitKey,uint256 counter)',
  CONSIDERATION_ITEM,
  OFFER_ITEM,
);

/** Seaport `ItemType`: 0 native, 1 ERC-20, 2 ERC-721, 3 ERC-1155, 4/5 the same with a criteria root as id. */
function seaportItem(item: TypedStruct, path: string, recipient?: Address): OrderItem {
  const type = uintAt(item, 'itemType', path);
  const token = addressAt(item, 'token', path);
  const amount = max(uintAt(item, 'startAmount', path), uintAt(item, 'endAmount', path));
  const id = uintAt(item, 'identifierOrCriteria', path);
  const to = recipient === undefined ? {} : { recipient };
  if (type === 0n) return { asset: 'native', token: ZERO_ADDRESS, amount: dec(amount), ...to };
  if (type === 1n) return { asset: 'erc20', token, amount: dec(amount), ...to };
  if (type === 2n || type === 4n) return nft('erc721', token, id, amount, recipient);
  if (type === 3n || type === 5n) return nft('erc1155', token, id, amount, recipient);
  return nft('unknown', token, id, amount, recipient);
}

function seaportIntent(order: TypedStruct, path: string, signer: Address): Intent {
  return {
    kind: 'order',
    market: 'seaport',
    path,
    actor: signer,
    offerer: addressAt(order, 'offerer', path),
    offer: structsAt(order, 'offer', path).map(({ item, path: at }) => seaportItem(item, at)),
    consideration: structsAt(order, 'consideration', path).map(({ item, path: at }) =>
      seaportItem(item, at, addressAt(item, 'recipient', at)),
    ),
    expiry: dec(uintAt(order, 'endTime', path)),
  };
}

/** The leaves of a bulk-order tree (nested arrays of any depth; the parser bounded the depth). */
function treeLeaves(value: TypedValue, path: string, out: { item: TypedStruct; path: string }[] = []) {
  if (Array.isArray(value)) {
    value.forEach((child: TypedValue, i) => {
      treeLeaves(child, `${path}[${i}]`, out);
    });
  } else if (isRecord(value)) out.push({ item: value as TypedStruct, path });
  return out;
}

/** `Name(Leaf[2]…[2] tree)` whose leaf struct has the expected type string. */
function bulkSchema(
  name: string,
  primary: string,
  leaf: string,
  leafType: string,
  intents: (leaves: { item: TypedStruct; path: string }[], signer: Address) => Intent[],
): TypedDataSchema {
  const tree = new RegExp(`^${leaf}(\\[[0-9]*\\])+$`);
  return {
    name,
    match: (data: ParsedTypedData) => {
      const fields = data.types[data.primaryType] ?? [];
      return (
        data.primaryType === primary &&
        fields.length === 1 &&
        fields[0]?.name === 'tree' &&
        tree.test(fields[0].type) &&
        structIs(data, leaf, leafType)
      );
    },
    intents: (data, signer) => {
      const root = data.message.tree;
      return root === undefined ? [] : intents(treeLeaves(root, 'message.tree'), signer);
    },
  };
}

const seaportSchemas: TypedDataSchema[] = [
  exactSchema('seaport.OrderComponents', SEAPORT_ORDER, (data, signer) => [
    seaportIntent(data.message, 'message', signer),
  ]),
  // Seaport pads a bulk tree to a power of two with empty orders; those carry nothing and are skipped.
  bulkSchema('seaport.BulkOrder', 'BulkOrder', 'OrderComponents', SEAPORT_ORDER, (leaves, signer) =>
    leaves
      .map(({ item, path }) => seaportIntent(item, path, signer))
      .filter((o) => o.kind === 'order' && (o.offer.length > 0 || o.consideration.length > 0)),
  ),
];

// ---------------------------------------------------------------------------------------------
// Blur

export const BLUR_ORDER = typeString(
  'Order(address trader,uint8 side,address matchingPolicy,address collection,uint256 tokenId,uint256 amount,address paymentToken,uint256 price,uint256 listingTime,uint256 expirationTime,Fee[] fees,uint256 salt,bytes extraParams,uint256 nonce)',
  'Fee(uint16 rate,address recipient)',
);

const nftStandard = (amount: bigint) => (amount === 1n ? 'erc721' : 'erc1155');

/** Blur `Side`: 0 buy (a bid paying `price`), 1 sell (a listing); fees are basis points of the price. */
function blurIntents(data: ParsedTypedData, signer: Address): Intent[] {
  const m = data.message;
  const side = uintAt(m, 'side');
  const trader = addressAt(m, 'trader');
  const collection = addressAt(m, 'collection');
  const tokenId = uintAt(m, 'tokenId');
  const amount = uintAt(m, 'amount');
  const paymentToken = addressAt(m, 'paymentToken');
  const price = uintAt(m, 'price');
  if (side !== 0n && side !== 1n) return [];
  const base = { kind: 'order', market: 'blur', path: 'message', actor: signer, offerer: trader } as const;
  const expiry = expiryOf(uintAt(m, 'expirationTime'));
  if (side === 0n) {
    return [
      {
        ...base,
        offer: [fungible(paymentToken, price)],
        consideration: [nft(nftStandard(amount), collection, tokenId, amount, trader)],
        ...expiry,
      },
    ];
  }
  const fees = structsAt(m, 'fees').map(({ item, path }) =>
    fungible(paymentToken, (price * uintAt(item, 'rate', path)) / 10_000n, addressAt(item, 'recipient', path)),
  );
  const feeTotal = fees.reduce((sum, f) => sum + BigInt(f.amount), 0n);
  const proceeds = price > feeTotal ? price - feeTotal : 0n;
  return [
    {
      ...base,
      offer: [nft(nftStandard(amount), collection, tokenId, amount)],
      consideration: [fungible(paymentToken, proceeds, trader), ...fees],
      ...expiry,
    },
  ];
}

const blurSchemas: TypedDataSchema[] = [
  exactSchema('blur.Order', BLUR_ORDER, blurIntents),
  exactSchema('blur.Root', 'Root(bytes32 root)', () => []),
];

// ---------------------------------------------------------------------------------------------
// 0x v4 NFT orders

const ZEROX_FEE = 'Fee(address recipient,uint256 amount,bytes feeData)';
const ZEROX_PROPERTY = 'Property(address propertyValidator,bytes propertyData)';
export const ZEROX_ERC721_ORDER = typeString(
  'ERC721Order(uint8 direction,address maker,address taker,uint256 expiry,uint256 nonce,address erc20Token,uint256 erc20TokenAmount,Fee[] fees,address erc721Token,uint256 erc721TokenId,Property[] erc721TokenProperties)',
  ZEROX_FEE,
  ZEROX_PROPERTY,
);
export const ZEROX_ERC1155_ORDER = typeString(
  'ERC1155Order(uint8 direction,address maker,address taker,uint256 expiry,uint256 nonce,address erc20Token,uint256 erc20TokenAmount,Fee[] fees,address erc1155Token,uint256 erc1155TokenId,Property[] erc1155TokenProperties,uint128 erc1155TokenAmount)',
  ZEROX_FEE,
  ZEROX_PROPERTY,
);

/**
 * `direction` 0 sells the NFT for `erc20TokenAmount` (the taker also pays the fees); 1 buys it,
 * the maker paying `erc20TokenAmount` plus the fees. With properties, a buy order accepts any id.
 */
function zeroExNftIntents(standard: 'erc721' | 'erc1155') {
  return (data: ParsedTypedData, signer: Address): Intent[] => {
    const m = data.message;
    const direction = uintAt(m, 'direction');
    if (direction !== 0n && direction !== 1n) return [];
    const maker = addressAt(m, 'maker');
    const erc20 = addressAt(m, 'erc20Token');
    const price = uintAt(m, 'erc20TokenAmount');
    const fees = structsAt(m, 'fees').map(({ item, path }) => ({
      recipient: addressAt(item, 'recipient', path),
      amount: uintAt(item, 'amount', path),
    }));
    const token = addressAt(m, `${standard}Token`);
    const id = uintAt(m, `${standard}TokenId`);
    const amount = standard === 'erc721' ? 1n : uintAt(m, 'erc1155TokenAmount');
    const base = { kind: 'order', market: '0x', path: 'message', actor: signer, offerer: maker } as const;
    const terms = { ...takerOf(addressAt(m, 'taker')), expiry: dec(uintAt(m, 'expiry')) };
    if (direction === 0n) {
      return [
        {
          ...base,
          offer: [nft(standard, token, id, amount)],
          consideration: [fungible(erc20, price, maker), ...fees.map((f) => fungible(erc20, f.amount, f.recipient))],
          ...terms,
        },
      ];
    }
    const total = fees.reduce((sum, f) => sum + f.amount, price);
    return [
      { ...base, offer: [fungible(erc20, total)], consideration: [nft(standard, token, id, amount, maker)], ...terms },
    ];
  };
}

const zeroExSchemas: TypedDataSchema[] = [
  exactSchema('0x.ERC721Order', ZEROX_ERC721_ORDER, zeroExNftIntents('erc721')),
  exactSchema('0x.ERC1155Order', ZEROX_ERC1155_ORDER, zeroExNftIntents('erc1155')),
];

// ---------------------------------------------------------------------------------------------
// LooksRare

export const LOOKSRARE_MAKER =
  'Maker(uint8 quoteType,uint256 globalNonce,uint256 subsetNonce,uint256 orderNonce,uint256 strategyId,uint8 collectionType,address collection,address currency,address signer,uint256 startTime,uint256 endTime,uint256 price,uint256[] itemIds,uint256[] amounts,bytes additionalParameters)';
export const LOOKSRARE_V1_MAKER =
  'MakerOrder(bool isOrderAsk,address signer,address collection,uint256 price,uint256 tokenId,uint256 amount,address strategy,address currency,uint256 nonce,uint256 startTime,uint256 endTime,uint256 minPercentageToAsk,bytes params)';

/** v2 `QuoteType` 0 bid / 1 ask; `CollectionType` 0 ERC-721 / 1 ERC-1155. */
function looksRareIntent(maker: TypedStruct, path: string, signer: Address): Intent[] {
  const quote = uintAt(maker, 'quoteType', path);
  const kind = uintAt(maker, 'collectionType', path);
  const standard = kind === 0n ? 'erc721' : kind === 1n ? 'erc1155' : 'unknown';
  const offerer = addressAt(maker, 'signer', path);
  const collection = addressAt(maker, 'collection', path);
  const amounts = uintsAt(maker, 'amounts', path);
  const currency = addressAt(maker, 'currency', path);
  const price = uintAt(maker, 'price', path);
  const items = (recipient?: Address) =>
    uintsAt(maker, 'itemIds', path).map((id, i) => nft(standard, collection, id, amounts[i] ?? 1n, recipient));
  const base = { kind: 'order', market: 'looksrare', path, actor: signer, offerer } as const;
  const expiry = dec(uintAt(maker, 'endTime', path));
  if (quote === 1n) return [{ ...base, offer: items(), consideration: [fungible(currency, price, offerer)], expiry }];
  if (quote === 0n) return [{ ...base, offer: [fungible(currency, price)], consideration: items(offerer), expiry }];
  return [];
}

function looksRareV1Intents(data: ParsedTypedData, signer: Address): Intent[] {
  const m = data.message;
  const offerer = addressAt(m, 'signer');
  const amount = uintAt(m, 'amount');
  const item = (recipient?: Address) =>
    nft(nftStandard(amount), addressAt(m, 'collection'), uintAt(m, 'tokenId'), amount, recipient);
  const payment = (recipient?: Address) => fungible(addressAt(m, 'currency'), uintAt(m, 'price'), recipient);
  const base = { kind: 'order', market: 'looksrare', path: 'message', actor: signer, offerer } as const;
  const expiry = dec(uintAt(m, 'endTime'));
  return boolAt(m, 'isOrderAsk')
    ? [{ ...base, offer: [item()], consideration: [payment(offerer)], expiry }]
    : [{ ...base, offer: [payment()], consideration: [item(offerer)], expiry }];
}

const looksRareSchemas: TypedDataSchema[] = [
  exactSchema('looksrare.Maker', LOOKSRARE_MAKER, (data, signer) => looksRareIntent(data.message, 'message', signer)),
  bulkSchema('looksrare.BatchOrder', 'BatchOrder', 'Maker', LOOKSRARE_MAKER, (leaves, signer) =>
    leaves.flatMap(({ item, path }) => looksRareIntent(item, path, signer)),
  ),
  exactSchema('looksrare.MakerOrder', LOOKSRARE_V1_MAKER, looksRareV1Intents),
];

export const NFT_ORDER_SCHEMAS: readonly TypedDataSchema[] = [
  ...seaportSchemas,
  ...blurSchemas,
  ...zeroExSchemas,
  ...looksRareSchemas,
];
