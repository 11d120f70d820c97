/**
 * Known-answer tests for the order schemas — Seaport, Blur, 0x, LooksRare, 1inch: the intents of a
 * hand-written order of each kind, and its digest against viem's `hashTypedData` over the same
 * document. The type strings themselves are checked in `typed-data-permits.test.ts`.
 */
import type { Address } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  BAYC,
  decodeDoc as decode,
  domainTypes,
  expectSchema,
  FEE,
  SIGNER,
  DRAINER as THIEF,
  typesFrom,
  typesWithDomain,
  USDC,
  WETH,
  ZERO,
} from '../testing/decode.js';
import type { Intent } from '../types.js';
import {
  BLUR_ORDER,
  LOOKSRARE_MAKER,
  LOOKSRARE_V1_MAKER,
  SEAPORT_ORDER,
  ZEROX_ERC721_ORDER,
  ZEROX_ERC1155_ORDER,
} from './typed-data-nft-orders.js';
import {
  ONEINCH_V2_ORDER,
  ONEINCH_V3_ORDER,
  ONEINCH_V4_ORDER,
  ZEROX_LIMIT_ORDER,
  ZEROX_OTC_ORDER,
  ZEROX_RFQ_ORDER,
} from './typed-data-swap-orders.js';

describe('NFT orders', () => {
  const seaportDomain = {
    name: 'Seaport',
    version: '1.5',
    chainId: 1n,
    verifyingContract: '0x00000000000000adc04c56bf30ac9d3c0aaf14dc' as Address,
  };
  const offerItem = (itemType: bigint, token: string, id: bigint, start: bigint, end: bigint) => ({
    itemType,
    token,
    identifierOrCriteria: id,
    startAmount: start,
    endAmount: end,
  });
  const components = (offerer: string, offer: object[], consideration: object[]) => ({
    offerer,
    zone: ZERO,
    offer,
    consideration,
    orderType: 0n,
    startTime: 1n,
    endTime: 1900000000n,
    zoneHash: `0x${'00'.repeat(32)}`,
    salt: 1n,
    conduitKey: `0x${'00'.repeat(32)}`,
    counter: 0n,
  });
  const listing = components(
    SIGNER,
    [offerItem(2n, BAYC, 1234n, 1n, 1n), offerItem(5n, BAYC, 0xabcn, 2n, 3n)],
    [
      { ...offerItem(0n, ZERO, 0n, 10n, 9n), recipient: SIGNER },
      { ...offerItem(1n, WETH, 0n, 1n, 1n), recipient: FEE },
    ],
  );
  const listingIntent = (path: string): Intent => ({
    kind: 'order',
    market: 'seaport',
    path,
    actor: SIGNER,
    offerer: SIGNER,
    offer: [
      { asset: 'erc721', token: BAYC, id: '1234', amount: '1' },
      { asset: 'erc1155', token: BAYC, id: '2748', amount: '3' },
    ],
    consideration: [
      { asset: 'native', token: ZERO, amount: '10', recipient: SIGNER },
      { asset: 'erc20', token: WETH, amount: '1', recipient: FEE },
    ],
    expiry: '1900000000',
  });
  const seaportTypes = { EIP712Domain: domainTypes('name', 'version', 'chainId', 'verifyingContract') };

  it('Seaport OrderComponents: offer, consideration with recipients, criteria items, max amounts', () => {
    expectSchema(
      {
        domain: seaportDomain,
        types: { ...seaportTypes, ...typesFrom(SEAPORT_ORDER) },
        primaryType: 'OrderComponents',
        message: listing,
      },
      'seaport.OrderComponents',
      [listingIntent('message')],
    );
  });

  it('Seaport BulkOrder: one order per real leaf of a nested tree, padding skipped', () => {
    const empty = components(ZERO, [], []);
    expectSchema(
      {
        domain: seaportDomain,
        types: { ...seaportTypes, ...typesFrom('BulkOrder(OrderComponents[2][2] tree)', SEAPORT_ORDER) },
        primaryType: 'BulkOrder',
        message: {
          tree: [
            [listing, empty],
            [empty, listing],
          ],
        },
      },
      'seaport.BulkOrder',
      [listingIntent('message.tree[0][0]'), listingIntent('message.tree[1][1]')],
    );
  });

  const blurDomain = {
    name: 'Blur Exchange',
    version: '1.0',
    chainId: 1n,
    verifyingContract: '0x000000000000ad05ccc4f10045630fb830b95127' as Address,
  };
  const blurOrder = (side: bigint) => ({
    trader: SIGNER,
    side,
    matchingPolicy: '0x00000000006411739da1c40b106f8511de5d1fac',
    collection: BAYC,
    tokenId: 42n,
    amount: 1n,
    paymentToken: ZERO,
    price: 10_000n,
    listingTime: 1n,
    expirationTime: 1900000000n,
    fees: [{ rate: 250n, recipient: FEE }],
    salt: 1n,
    extraParams: '0x',
    nonce: 0n,
  });
  const blurTypes = typesWithDomain(BLUR_ORDER);

  it('Blur Order: a sell pays price − fees to the trader and the fees to their recipients; a buy pays price', () => {
    expectSchema({ domain: blurDomain, types: blurTypes, primaryType: 'Order', message: blurOrder(1n) }, 'blur.Order', [
      {
        kind: 'order',
        market: 'blur',
        path: 'message',
        actor: SIGNER,
        offerer: SIGNER,
        offer: [{ asset: 'erc721', token: BAYC, id: '42', amount: '1' }],
        consideration: [
          { asset: 'native', token: ZERO, amount: '9750', recipient: SIGNER },
          { asset: 'native', token: ZERO, amount: '250', recipient: FEE },
        ],
        expiry: '1900000000',
      },
    ]);
    const buy = decode({ domain: blurDomain, types: blurTypes, primaryType: 'Order', message: blurOrder(0n) });
    expect(buy.intents[0]).toMatchObject({
      offer: [{ asset: 'native', amount: '10000' }],
      consideration: [{ asset: 'erc721', token: BAYC, id: '42', recipient: SIGNER }],
    });
  });

  it('Blur Root: a blind Merkle root of orders is recognised but yields no intent', () => {
    const decoded = decode({
      domain: blurDomain,
      types: { ...blurTypes, Root: [{ name: 'root', type: 'bytes32' }] },
      primaryType: 'Root',
      message: { root: `0x${'ab'.repeat(32)}` },
    });
    expect(decoded.schema).toBe('blur.Root');
    expect(decoded.intents).toEqual([]);
    expect(decoded.domain.name).toBe('Blur Exchange');
  });

  const zeroExDomain = {
    name: 'ZeroEx',
    version: '1.0.0',
    chainId: 1n,
    verifyingContract: '0xdef1c0ded9bec7f1a1670819833240f027b25eff' as Address,
  };
  const nftOrder = {
    direction: 0n,
    maker: SIGNER,
    taker: THIEF,
    expiry: 1900000000n,
    nonce: 1n,
    erc20Token: '0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
    erc20TokenAmount: 1n,
    fees: [{ recipient: FEE, amount: 2n, feeData: '0x' }],
  };

  it('0x ERC721Order sell: NFT for erc20TokenAmount to the maker plus fees; fixed taker; 0xeeee… is native', () => {
    expectSchema(
      {
        domain: zeroExDomain,
        types: typesWithDomain(ZEROX_ERC721_ORDER),
        primaryType: 'ERC721Order',
        message: { ...nftOrder, erc721Token: BAYC, erc721TokenId: 7n, erc721TokenProperties: [] },
      },
      '0x.ERC721Order',
      [
        {
          kind: 'order',
          market: '0x',
          path: 'message',
          actor: SIGNER,
          offerer: SIGNER,
          offer: [{ asset: 'erc721', token: BAYC, id: '7', amount: '1' }],
          consideration: [
            { asset: 'native', token: ZERO, amount: '1', recipient: SIGNER },
            { asset: 'native', token: ZERO, amount: '2', recipient: FEE },
          ],
          taker: THIEF,
          expiry: '1900000000',
        },
      ],
    );
  });

  it('0x ERC1155Order buy: the maker pays amount + fees and receives the NFTs', () => {
    const decoded = decode({
      domain: zeroExDomain,
      types: typesWithDomain(ZEROX_ERC1155_ORDER),
      primaryType: 'ERC1155Order',
      message: {
        ...nftOrder,
        direction: 1n,
        taker: ZERO,
        erc20Token: WETH,
        erc1155Token: BAYC,
        erc1155TokenId: 3n,
        erc1155TokenProperties: [],
        erc1155TokenAmount: 5n,
      },
    });
    expect(decoded.schema).toBe('0x.ERC1155Order');
    expect(decoded.intents).toEqual([
      expect.objectContaining({
        offer: [{ asset: 'erc20', token: WETH, amount: '3' }],
        consideration: [{ asset: 'erc1155', token: BAYC, id: '3', amount: '5', recipient: SIGNER }],
      }),
    ]);
    expect(decoded.intents[0]).not.toHaveProperty('taker');
  });

  it('LooksRare v2 Maker ask and bid, BatchOrder tree, v1 MakerOrder', () => {
    const domain = {
      name: 'LooksRareProtocol',
      version: '2',
      chainId: 1n,
      verifyingContract: '0x0000000000e655fae4d56241588680f86e3b2377' as Address,
    };
    const maker = (quoteType: bigint) => ({
      quoteType,
      globalNonce: 0n,
      subsetNonce: 0n,
      orderNonce: 0n,
      strategyId: 0n,
      collectionType: 1n,
      collection: BAYC,
      currency: WETH,
      signer: SIGNER,
      startTime: 1n,
      endTime: 1900000000n,
      price: 77n,
      itemIds: [1n, 2n],
      amounts: [3n, 4n],
      additionalParameters: '0x',
    });
    const types = typesWithDomain(LOOKSRARE_MAKER);
    const ask = decode({ domain, types, primaryType: 'Maker', message: maker(1n) });
    expect(ask.schema).toBe('looksrare.Maker');
    expect(ask.intents).toEqual([
      {
        kind: 'order',
        market: 'looksrare',
        path: 'message',
        actor: SIGNER,
        offerer: SIGNER,
        offer: [
          { asset: 'erc1155', token: BAYC, id: '1', amount: '3' },
          { asset: 'erc1155', token: BAYC, id: '2', amount: '4' },
        ],
        consideration: [{ asset: 'erc20', token: WETH, amount: '77', recipient: SIGNER }],
        expiry: '1900000000',
      },
    ]);
    const bid = decode({ domain, types, primaryType: 'Maker', message: maker(0n) });
    expect(bid.intents[0]).toMatchObject({
      offer: [{ token: WETH, amount: '77' }],
      consideration: [
        { id: '1', recipient: SIGNER },
        { id: '2', recipient: SIGNER },
      ],
    });
    const batch = decode({
      domain,
      types: { ...types, BatchOrder: [{ name: 'tree', type: 'Maker[2]' }] },
      primaryType: 'BatchOrder',
      message: { tree: [maker(1n), maker(1n)] },
    });
    expect(batch.schema).toBe('looksrare.BatchOrder');
    expect(batch.intents.map((i) => i.path)).toEqual(['message.tree[0]', 'message.tree[1]']);

    const v1 = decode({
      domain: { ...domain, name: 'LooksRareExchange', version: '1' },
      types: { EIP712Domain: types.EIP712Domain, ...typesFrom(LOOKSRARE_V1_MAKER) },
      primaryType: 'MakerOrder',
      message: {
        isOrderAsk: true,
        signer: SIGNER,
        collection: BAYC,
        price: 5n,
        tokenId: 9n,
        amount: 1n,
        strategy: ZERO,
        currency: WETH,
        nonce: 0n,
        startTime: 0n,
        endTime: 2n,
        minPercentageToAsk: 8500n,
        params: '0x',
      },
    });
    expect(v1.schema).toBe('looksrare.MakerOrder');
    expect(v1.intents[0]).toMatchObject({
      offer: [{ asset: 'erc721', token: BAYC, id: '9', amount: '1' }],
      consideration: [{ token: WETH, amount: '5', recipient: SIGNER }],
      expiry: '2',
    });
  });
});

describe('swap orders', () => {
  const oneInchDomain = {
    name: '1inch Aggregation Router',
    version: '6',
    chainId: 1n,
    verifyingContract: '0x111111125421ca6dc452d289314280a0f8842a65' as Address,
  };
  it('1inch v4: receiver 0 pays the maker; expiry from makerTraits bits 80–119', () => {
    const makerTraits = (1700000000n << 80n) | (1n << 255n) | 0x1234n;
    expectSchema(
      {
        domain: oneInchDomain,
        types: typesWithDomain(ONEINCH_V4_ORDER),
        primaryType: 'Order',
        message: {
          salt: 1n,
          maker: SIGNER,
          receiver: ZERO,
          makerAsset: USDC,
          takerAsset: WETH,
          makingAmount: 100n,
          takingAmount: 1n,
          makerTraits,
        },
      },
      '1inch-v4.Order',
      [
        {
          kind: 'order',
          market: '1inch',
          path: 'message',
          actor: SIGNER,
          offerer: SIGNER,
          offer: [{ asset: 'erc20', token: USDC, amount: '100' }],
          consideration: [{ asset: 'erc20', token: WETH, amount: '1', recipient: SIGNER }],
          expiry: '1700000000',
        },
      ],
    );
  });

  it('1inch v3 and v2: a receiver other than the maker, allowedSender as taker', () => {
    const base = {
      salt: 1n,
      makerAsset: USDC,
      takerAsset: WETH,
      maker: SIGNER,
      receiver: THIEF,
      allowedSender: FEE,
      makingAmount: 100n,
      takingAmount: 1n,
    };
    const v3 = decode({
      domain: oneInchDomain,
      types: typesWithDomain(ONEINCH_V3_ORDER),
      primaryType: 'Order',
      message: { ...base, offsets: 0n, interactions: '0x' },
    });
    expect(v3.schema).toBe('1inch-v3.Order');
    expect(v3.intents[0]).toMatchObject({ consideration: [{ recipient: THIEF }], taker: FEE });
    const v2 = decode({
      domain: oneInchDomain,
      types: typesWithDomain(ONEINCH_V2_ORDER),
      primaryType: 'Order',
      message: {
        ...base,
        makerAssetData: '0x',
        takerAssetData: '0x',
        getMakerAmount: '0x',
        getTakerAmount: '0x',
        predicate: '0x',
        permit: '0x',
        interaction: '0x',
      },
    });
    expect(v2.schema).toBe('1inch-v2.Order');
    expect(v2.intents[0]).toMatchObject({ consideration: [{ recipient: THIEF }], taker: FEE });
  });

  const zeroExDomain = {
    name: 'ZeroEx',
    version: '1.0.0',
    chainId: 1n,
    verifyingContract: '0xdef1c0ded9bec7f1a1670819833240f027b25eff' as Address,
  };
  const common = { makerToken: USDC, takerToken: WETH, makerAmount: 100n, takerAmount: 1n, maker: SIGNER };

  it('0x LimitOrder (taker fee to the fee recipient), RfqOrder, OtcOrder (expiry in the top 64 bits)', () => {
    const limit = decode({
      domain: zeroExDomain,
      types: typesWithDomain(ZEROX_LIMIT_ORDER),
      primaryType: 'LimitOrder',
      message: {
        ...common,
        takerTokenFeeAmount: 3n,
        taker: ZERO,
        sender: ZERO,
        feeRecipient: FEE,
        pool: `0x${'00'.repeat(32)}`,
        expiry: 1900000000n,
        salt: 1n,
      },
    });
    expect(limit.schema).toBe('0x.LimitOrder');
    expect(limit.intents).toEqual([
      {
        kind: 'order',
        market: '0x',
        path: 'message',
        actor: SIGNER,
        offerer: SIGNER,
        offer: [{ asset: 'erc20', token: USDC, amount: '100' }],
        consideration: [
          { asset: 'erc20', token: WETH, amount: '1', recipient: SIGNER },
          { asset: 'erc20', token: WETH, amount: '3', recipient: FEE },
        ],
        expiry: '1900000000',
      },
    ]);
    const rfq = decode({
      domain: zeroExDomain,
      types: typesWithDomain(ZEROX_RFQ_ORDER),
      primaryType: 'RfqOrder',
      message: { ...common, taker: THIEF, txOrigin: THIEF, pool: `0x${'00'.repeat(32)}`, expiry: 5n, salt: 1n },
    });
    expect(rfq.schema).toBe('0x.RfqOrder');
    expect(rfq.intents[0]).toMatchObject({ taker: THIEF, expiry: '5' });
    const otc = decode({
      domain: zeroExDomain,
      types: typesWithDomain(ZEROX_OTC_ORDER),
      primaryType: 'OtcOrder',
      message: { ...common, taker: ZERO, txOrigin: THIEF, expiryAndNonce: (1900000000n << 192n) | (7n << 128n) | 9n },
    });
    expect(otc.schema).toBe('0x.OtcOrder');
    expect(otc.intents[0]).toMatchObject({ expiry: '1900000000' });
  });
});
