/**
 * Known-answer tests for the typed-data type strings (against the contracts' published type hashes
 * and literal type strings) and for the permit schemas — EIP-2612, DAI, Permit2 — and UniswapX
 * orders: the intents of a hand-written document of each kind, and its digest against viem's
 * `hashTypedData` over the same document.
 */
import { type Address, keccak256, stringToHex } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  DAI,
  decodeDoc as decode,
  domainTypes,
  expectSchema,
  FEE,
  MAX_UINT160 as MAX160,
  PERMIT2,
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
  LOOKSRARE_V1_MAKER,
  SEAPORT_ORDER,
  ZEROX_ERC721_ORDER,
  ZEROX_ERC1155_ORDER,
} from './typed-data-nft-orders.js';
import { DAI_PERMIT, EIP2612_PERMIT, PERMIT2_TYPES } from './typed-data-permits.js';
import { ZEROX_LIMIT_ORDER, ZEROX_OTC_ORDER, ZEROX_RFQ_ORDER } from './typed-data-swap-orders.js';

describe('type strings are the contracts’ own', () => {
  it.each([
    [EIP2612_PERMIT, '0x6e71edae12b1b97f4d1f60370fef10105fa2faae0126114a169c64845d6126c9'],
    [DAI_PERMIT, '0xea2aa0a1be11a07ed86d755c93467f4f82362b452371d1ba94d1715123511acb'],
    [ZEROX_ERC721_ORDER, '0x2de32b2b090da7d8ab83ca4c85ba2eb6957bc7f6c50cb4ae1995e87560d808ed'],
    [ZEROX_ERC1155_ORDER, '0x930490b1bcedd2e5139e22c761fafd52e533960197c2283f3922c7fd8c880be9'],
    [ZEROX_LIMIT_ORDER, '0xce918627cb55462ddbb85e73de69a8b322f2bc88f4507c52fcad6d4c33c29d49'],
    [ZEROX_RFQ_ORDER, '0xe593d3fdfa8b60e5e17a1b2204662ecbe15c23f2084b9ad5bae40359540a7da9'],
    [ZEROX_OTC_ORDER, '0x2f754524de756ae72459efbe1ec88c19a745639821de528ac3fb88f9e65e35c8'],
    [LOOKSRARE_V1_MAKER, '0x40261ade532fa1d2c7293df30aaadb9b3c616fae525a0b56d3d411c841a85028'],
  ])('keccak256(%s)', (type, hash) => {
    expect(keccak256(stringToHex(type))).toBe(hash);
  });

  it('Permit2 (PermitHash.sol), Seaport (ConsiderationTypeHashes.sol), Blur (EIP712.sol) literals', () => {
    expect(PERMIT2_TYPES.PermitSingle).toBe(
      'PermitSingle(PermitDetails details,address spender,uint256 sigDeadline)PermitDetails(address token,uint160 amount,uint48 expiration,uint48 nonce)',
    );
    expect(PERMIT2_TYPES.PermitBatchTransferFrom).toBe(
      'PermitBatchTransferFrom(TokenPermissions[] permitted,address spender,uint256 nonce,uint256 deadline)TokenPermissions(address token,uint256 amount)',
    );
    expect(SEAPORT_ORDER).toBe(
      'OrderComponents(address offerer,address zone,OfferItem[] offer,ConsiderationItem[] consideration,uint8 orderType,uint256 startTime,uint256 endTime,bytes32 zoneHash,uint256 salt,bytes32 conduitKey,uint256 counter)ConsiderationItem(uint8 itemType,address token,uint256 identifierOrCriteria,uint256 startAmount,uint256 endAmount,address recipient)OfferItem(uint8 itemType,address token,uint256 identifierOrCriteria,uint256 startAmount,uint256 endAmount)',
    );
    expect(BLUR_ORDER).toBe(
      'Order(address trader,uint8 side,address matchingPolicy,address collection,uint256 tokenId,uint256 amount,address paymentToken,uint256 price,uint256 listingTime,uint256 expirationTime,Fee[] fees,uint256 salt,bytes extraParams,uint256 nonce)Fee(uint16 rate,address recipient)',
    );
  });
});

describe('permits', () => {
  const tokenDomain = { name: 'Dai Stablecoin', version: '1', chainId: 1n, verifyingContract: DAI as Address };

  it('DAI permit: allowed=true is 2^256 − 1, owner = holder, deadline = expiry', () => {
    const doc = {
      domain: tokenDomain,
      types: typesWithDomain(DAI_PERMIT),
      primaryType: 'Permit',
      message: { holder: SIGNER, spender: THIEF, nonce: 3n, expiry: 0n, allowed: true },
    };
    expectSchema(doc, 'dai.Permit', [
      {
        kind: 'permit',
        scheme: 'dai',
        path: 'message',
        actor: SIGNER,
        token: DAI,
        spender: THIEF,
        owner: SIGNER,
        amount: ((1n << 256n) - 1n).toString(),
        deadline: '0',
        nonce: '3',
        verifyingContract: DAI,
      },
    ]);
    const revoke = decode({ ...doc, message: { ...doc.message, allowed: false } });
    expect(revoke.intents[0]).toMatchObject({ amount: '0' });
  });

  const permit2Domain = { name: 'Permit2', chainId: 1n, verifyingContract: PERMIT2 as Address };
  const permit2Types = (...defs: string[]) => ({
    EIP712Domain: domainTypes('name', 'chainId', 'verifyingContract'),
    ...typesFrom(...defs),
  });

  it('Permit2 PermitSingle: a standing allowance with expiration, nonce and sigDeadline', () => {
    expectSchema(
      {
        domain: permit2Domain,
        types: permit2Types(PERMIT2_TYPES.PermitSingle),
        primaryType: 'PermitSingle',
        message: {
          details: { token: USDC, amount: MAX160, expiration: 1885674579n, nonce: 7n },
          spender: THIEF,
          sigDeadline: 1720297342n,
        },
      },
      'permit2.PermitSingle',
      [
        {
          kind: 'permit',
          scheme: 'permit2',
          path: 'message.details',
          actor: SIGNER,
          token: USDC,
          spender: THIEF,
          owner: SIGNER,
          amount: MAX160.toString(),
          expiration: '1885674579',
          nonce: '7',
          deadline: '1720297342',
          verifyingContract: PERMIT2,
        },
      ],
    );
  });

  it('Permit2 PermitTransferFrom and PermitBatchTransferFrom: one-shot transfers', () => {
    const single = expectSchema(
      {
        domain: permit2Domain,
        types: permit2Types(PERMIT2_TYPES.PermitTransferFrom),
        primaryType: 'PermitTransferFrom',
        message: { permitted: { token: WETH, amount: 10n ** 18n }, spender: THIEF, nonce: 99n, deadline: 1900000000n },
      },
      'permit2.PermitTransferFrom',
      [
        {
          kind: 'permit-transfer',
          scheme: 'permit2-signature-transfer',
          path: 'message.permitted',
          actor: SIGNER,
          token: WETH,
          spender: THIEF,
          amount: (10n ** 18n).toString(),
          deadline: '1900000000',
          nonce: '99',
          witnessType: undefined,
        },
      ],
    );
    expect(single.domain).toEqual({ name: 'Permit2', chainId: 1, verifyingContract: PERMIT2 });
    const batch = decode({
      domain: permit2Domain,
      types: permit2Types(PERMIT2_TYPES.PermitBatchTransferFrom),
      primaryType: 'PermitBatchTransferFrom',
      message: {
        permitted: [
          { token: WETH, amount: 1n },
          { token: USDC, amount: 2n },
        ],
        spender: THIEF,
        nonce: 1n,
        deadline: 2n,
      },
    });
    expect(batch.schema).toBe('permit2.PermitBatchTransferFrom');
    expect(batch.intents.map((i) => i.kind === 'permit-transfer' && [i.path, i.token, i.amount])).toEqual([
      ['message.permitted[0]', WETH, '1'],
      ['message.permitted[1]', USDC, '2'],
    ]);
  });

  const REACTOR = '0x6000da47483062a0d734ba3dc7576ce6a0b645c4';
  const orderInfo = {
    reactor: REACTOR,
    swapper: SIGNER,
    nonce: 5n,
    deadline: 1700000000n,
    additionalValidationContract: ZERO,
    additionalValidationData: '0x',
  };
  const ORDER_INFO =
    'OrderInfo(address reactor,address swapper,uint256 nonce,uint256 deadline,address additionalValidationContract,bytes additionalValidationData)';
  const DUTCH_OUTPUT = 'DutchOutput(address token,uint256 startAmount,uint256 endAmount,address recipient)';
  const EXCLUSIVE =
    'ExclusiveDutchOrder(OrderInfo info,uint256 decayStartTime,uint256 decayEndTime,address exclusiveFiller,uint256 exclusivityOverrideBps,address inputToken,uint256 inputStartAmount,uint256 inputEndAmount,DutchOutput[] outputs)';
  const exclusiveOrder = {
    info: orderInfo,
    decayStartTime: 1n,
    decayEndTime: 2n,
    exclusiveFiller: THIEF,
    exclusivityOverrideBps: 0n,
    inputToken: USDC,
    inputStartAmount: 1000n,
    inputEndAmount: 1200n,
    outputs: [
      { token: ZERO, startAmount: 5n, endAmount: 4n, recipient: SIGNER },
      { token: ZERO, startAmount: 1n, endAmount: 1n, recipient: FEE },
    ],
  };
  const exclusiveIntent: Intent = {
    kind: 'order',
    market: 'uniswapx',
    path: 'message.witness',
    actor: SIGNER,
    offerer: SIGNER,
    offer: [{ asset: 'erc20', token: USDC, amount: '1200' }],
    consideration: [
      { asset: 'native', token: ZERO, amount: '5', recipient: SIGNER },
      { asset: 'native', token: ZERO, amount: '1', recipient: FEE },
    ],
    expiry: '1700000000',
  };

  it('Permit2 PermitWitnessTransferFrom with a UniswapX ExclusiveDutchOrder witness: transfer + order', () => {
    const types = permit2Types(
      'PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline,ExclusiveDutchOrder witness)',
      'TokenPermissions(address token,uint256 amount)',
      EXCLUSIVE,
      DUTCH_OUTPUT,
      ORDER_INFO,
    );
    expectSchema(
      {
        domain: permit2Domain,
        types,
        primaryType: 'PermitWitnessTransferFrom',
        message: {
          permitted: { token: USDC, amount: 1200n },
          spender: orderInfo.reactor,
          nonce: 5n,
          deadline: 1700000000n,
          witness: exclusiveOrder,
        },
      },
      'permit2.PermitWitnessTransferFrom',
      [
        {
          kind: 'permit-transfer',
          scheme: 'permit2-witness-transfer',
          path: 'message.permitted',
          actor: SIGNER,
          token: USDC,
          spender: REACTOR,
          amount: '1200',
          deadline: '1700000000',
          nonce: '5',
          witnessType: 'ExclusiveDutchOrder',
        },
        exclusiveIntent,
      ],
    );
  });

  it('Permit2 PermitBatchWitnessTransferFrom with an unknown witness: transfers only, witnessType recorded', () => {
    const decoded = decode({
      domain: permit2Domain,
      types: permit2Types(
        'PermitBatchWitnessTransferFrom(TokenPermissions[] permitted,address spender,uint256 nonce,uint256 deadline,Claim claim)',
        'TokenPermissions(address token,uint256 amount)',
        'Claim(address to,uint256 id)',
      ),
      primaryType: 'PermitBatchWitnessTransferFrom',
      message: {
        permitted: [{ token: USDC, amount: 9n }],
        spender: THIEF,
        nonce: 0n,
        deadline: 0n,
        claim: { to: THIEF, id: 1n },
      },
    });
    expect(decoded.schema).toBe('permit2.PermitBatchWitnessTransferFrom');
    expect(decoded.intents).toEqual([
      expect.objectContaining({ kind: 'permit-transfer', scheme: 'permit2-witness-transfer', witnessType: 'Claim' }),
    ]);
  });

  it('UniswapX orders signed directly: Dutch, V2, V3, Priority, Limit', () => {
    const direct = (primary: string, typeDefs: string[], message: Record<string, unknown>) =>
      decode({ domain: permit2Domain, types: permit2Types(...typeDefs), primaryType: primary, message });
    const exclusive = direct('ExclusiveDutchOrder', [EXCLUSIVE, DUTCH_OUTPUT, ORDER_INFO], exclusiveOrder);
    expect(exclusive.schema).toBe('uniswapx.ExclusiveDutchOrder');
    expect(exclusive.intents).toEqual([{ ...exclusiveIntent, path: 'message' }]);

    const v2 = direct(
      'V2DutchOrder',
      [
        'V2DutchOrder(OrderInfo info,address cosigner,address baseInputToken,uint256 baseInputStartAmount,uint256 baseInputEndAmount,DutchOutput[] baseOutputs)',
        DUTCH_OUTPUT,
        ORDER_INFO,
      ],
      {
        info: orderInfo,
        cosigner: ZERO,
        baseInputToken: WETH,
        baseInputStartAmount: 7n,
        baseInputEndAmount: 7n,
        baseOutputs: [{ token: USDC, startAmount: 100n, endAmount: 90n, recipient: SIGNER }],
      },
    );
    expect(v2.schema).toBe('uniswapx.V2DutchOrder');
    expect(v2.intents[0]).toMatchObject({
      offer: [{ asset: 'erc20', token: WETH, amount: '7' }],
      consideration: [{ asset: 'erc20', token: USDC, amount: '100', recipient: SIGNER }],
    });

    const curve = { relativeBlocks: 0n, relativeAmounts: [-1n, 2n] };
    const v3 = direct(
      'V3DutchOrder',
      [
        'V3DutchOrder(OrderInfo info,address cosigner,uint256 startingBaseFee,V3DutchInput baseInput,V3DutchOutput[] baseOutputs)',
        'NonlinearDutchDecay(uint256 relativeBlocks,int256[] relativeAmounts)',
        ORDER_INFO,
        'V3DutchInput(address token,uint256 startAmount,NonlinearDutchDecay curve,uint256 maxAmount,uint256 adjustmentPerGweiBaseFee)',
        'V3DutchOutput(address token,uint256 startAmount,NonlinearDutchDecay curve,address recipient,uint256 minAmount,uint256 adjustmentPerGweiBaseFee)',
      ],
      {
        info: orderInfo,
        cosigner: ZERO,
        startingBaseFee: 0n,
        baseInput: { token: USDC, startAmount: 10n, curve, maxAmount: 12n, adjustmentPerGweiBaseFee: 0n },
        baseOutputs: [
          { token: WETH, startAmount: 3n, curve, recipient: THIEF, minAmount: 2n, adjustmentPerGweiBaseFee: 0n },
        ],
      },
    );
    expect(v3.schema).toBe('uniswapx.V3DutchOrder');
    expect(v3.intents[0]).toMatchObject({
      offer: [{ token: USDC, amount: '12' }],
      consideration: [{ token: WETH, amount: '3', recipient: THIEF }],
    });

    const priority = direct(
      'PriorityOrder',
      [
        'PriorityOrder(OrderInfo info,address cosigner,uint256 auctionStartBlock,uint256 baselinePriorityFeeWei,PriorityInput input,PriorityOutput[] outputs)',
        ORDER_INFO,
        'PriorityInput(address token,uint256 amount,uint256 mpsPerPriorityFeeWei)',
        'PriorityOutput(address token,uint256 amount,uint256 mpsPerPriorityFeeWei,address recipient)',
      ],
      {
        info: orderInfo,
        cosigner: ZERO,
        auctionStartBlock: 1n,
        baselinePriorityFeeWei: 0n,
        input: { token: USDC, amount: 50n, mpsPerPriorityFeeWei: 0n },
        outputs: [{ token: WETH, amount: 1n, mpsPerPriorityFeeWei: 1n, recipient: SIGNER }],
      },
    );
    expect(priority.schema).toBe('uniswapx.PriorityOrder');
    expect(priority.intents[0]).toMatchObject({ offer: [{ amount: '50' }], consideration: [{ amount: '1' }] });

    const limit = direct(
      'LimitOrder',
      [
        'LimitOrder(OrderInfo info,address inputToken,uint256 inputAmount,OutputToken[] outputs)',
        ORDER_INFO,
        'OutputToken(address token,uint256 amount,address recipient)',
      ],
      {
        info: orderInfo,
        inputToken: USDC,
        inputAmount: 8n,
        outputs: [{ token: WETH, amount: 1n, recipient: THIEF }],
      },
    );
    expect(limit.schema).toBe('uniswapx.LimitOrder');
    expect(limit.intents[0]).toMatchObject({ offer: [{ amount: '8' }], consideration: [{ recipient: THIEF }] });
  });
});

describe('UniswapX: Dutch, v4 Hybrid, v4 PriorityOrderWitness', () => {
  const domain = { name: 'Permit2', chainId: 1n, verifyingContract: PERMIT2 as Address };
  const EIP712Domain = domainTypes('name', 'chainId', 'verifyingContract');
  const V4_INFO =
    'OrderInfo(address reactor,address swapper,uint256 nonce,uint256 deadline,address preExecutionHook,bytes preExecutionHookData,address postExecutionHook,bytes postExecutionHookData,address auctionResolver)';
  const infoV4 = {
    reactor: THIEF,
    swapper: SIGNER,
    nonce: 1n,
    deadline: 99n,
    preExecutionHook: ZERO,
    preExecutionHookData: '0x',
    postExecutionHook: ZERO,
    postExecutionHookData: '0x',
    auctionResolver: ZERO,
  };

  it('DutchOrder: the input at its largest, outputs at their largest', () => {
    const decoded = decode({
      domain,
      types: {
        EIP712Domain,
        ...typesFrom(
          'DutchOrder(OrderInfo info,uint256 decayStartTime,uint256 decayEndTime,address inputToken,uint256 inputStartAmount,uint256 inputEndAmount,DutchOutput[] outputs)',
          'DutchOutput(address token,uint256 startAmount,uint256 endAmount,address recipient)',
          'OrderInfo(address reactor,address swapper,uint256 nonce,uint256 deadline,address additionalValidationContract,bytes additionalValidationData)',
        ),
      },
      primaryType: 'DutchOrder',
      message: {
        info: {
          reactor: THIEF,
          swapper: SIGNER,
          nonce: 1n,
          deadline: 99n,
          additionalValidationContract: ZERO,
          additionalValidationData: '0x',
        },
        decayStartTime: 0n,
        decayEndTime: 1n,
        inputToken: USDC,
        inputStartAmount: 4n,
        inputEndAmount: 6n,
        outputs: [{ token: WETH, startAmount: 9n, endAmount: 8n, recipient: SIGNER }],
      },
    });
    expect(decoded.schema).toBe('uniswapx.DutchOrder');
    expect(decoded.intents).toEqual([
      {
        kind: 'order',
        market: 'uniswapx',
        path: 'message',
        actor: SIGNER,
        offerer: SIGNER,
        offer: [{ asset: 'erc20', token: USDC, amount: '6' }],
        consideration: [{ asset: 'erc20', token: WETH, amount: '9', recipient: SIGNER }],
        expiry: '99',
      },
    ]);
  });

  it('HybridOrder (v4): maxAmount in, minAmount out', () => {
    const decoded = decode({
      domain,
      types: {
        EIP712Domain,
        ...typesFrom(
          'HybridOrder(OrderInfo info,address cosigner,HybridInput input,HybridOutput[] outputs,uint256 auctionStartBlock,uint256 baselinePriorityFee,uint256 scalingFactor,uint256[] priceCurve)',
          'HybridInput(address token,uint256 maxAmount)',
          'HybridOutput(address token,uint256 minAmount,address recipient)',
          V4_INFO,
        ),
      },
      primaryType: 'HybridOrder',
      message: {
        info: infoV4,
        cosigner: ZERO,
        input: { token: USDC, maxAmount: 11n },
        outputs: [{ token: ZERO, minAmount: 2n, recipient: SIGNER }],
        auctionStartBlock: 0n,
        baselinePriorityFee: 0n,
        scalingFactor: 0n,
        priceCurve: [],
      },
    });
    expect(decoded.schema).toBe('uniswapx.HybridOrder');
    expect(decoded.intents[0]).toMatchObject({
      offer: [{ token: USDC, amount: '11' }],
      consideration: [{ asset: 'native', amount: '2', recipient: SIGNER }],
      expiry: '99',
    });
  });

  it('PriorityOrderWitness (v4) as a Permit2 witness: the wrapped order', () => {
    const decoded = decode({
      domain,
      types: {
        EIP712Domain,
        ...typesFrom(
          'PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline,PriorityOrderWitness witness)',
          'TokenPermissions(address token,uint256 amount)',
          'PriorityOrderWitness(address resolver,PriorityOrder order)',
          'PriorityOrder(OrderInfo info,address cosigner,uint256 auctionStartBlock,uint256 baselinePriorityFeeWei,PriorityInput input,PriorityOutput[] outputs)',
          'PriorityInput(address token,uint256 amount,uint256 mpsPerPriorityFeeWei)',
          'PriorityOutput(address token,uint256 amount,uint256 mpsPerPriorityFeeWei,address recipient)',
          V4_INFO,
        ),
      },
      primaryType: 'PermitWitnessTransferFrom',
      message: {
        permitted: { token: USDC, amount: 5n },
        spender: THIEF,
        nonce: 1n,
        deadline: 99n,
        witness: {
          resolver: ZERO,
          order: {
            info: infoV4,
            cosigner: ZERO,
            auctionStartBlock: 0n,
            baselinePriorityFeeWei: 0n,
            input: { token: USDC, amount: 5n, mpsPerPriorityFeeWei: 0n },
            outputs: [{ token: WETH, amount: 1n, mpsPerPriorityFeeWei: 0n, recipient: THIEF }],
          },
        },
      },
    });
    expect(decoded.schema).toBe('permit2.PermitWitnessTransferFrom');
    expect(decoded.intents).toEqual([
      expect.objectContaining({ kind: 'permit-transfer', witnessType: 'PriorityOrderWitness', spender: THIEF }),
      expect.objectContaining({
        kind: 'order',
        path: 'message.witness',
        offerer: SIGNER,
        consideration: [{ asset: 'erc20', token: WETH, amount: '1', recipient: THIEF }],
      }),
    ]);
  });
});
