/**
 * A curated table of text function signatures, used to name the 4-byte selector of a call the
 * decoders do not model further (Solidity ABI spec: a selector is the first four bytes of
 * keccak256 of the canonical signature `name(type1,type2,…)`). Every selector is computed from its
 * text at module load with viem's `toFunctionSelector`, so none is typed by hand and a typo in a
 * signature can only make an entry useless, never mislabel another selector. The list covers the
 * token standards (ERC-20/721/1155, EIP-2612, EIP-3009), Permit2, Uniswap V2/V3/Universal Router,
 * Seaport, Safe, DSProxy, ERC-4337 EntryPoints and accounts, ERC-7579, WETH, common DeFi entry
 * points (Aave, Compound, Curve, 1inch, 0x, Lido), ownership and proxy-upgrade functions, and the
 * lure names drainer pages use (`claim()`, `SecurityUpdate()` …). Signatures that share a selector
 * are all kept and reported together, joined with ` | `.
 */
import { toFunctionSelector } from 'viem';
import type { Hex } from '../types.js';

const TOKENS = [
  // ERC-20 and its common extensions
  'transfer(address,uint256)',
  'transferFrom(address,address,uint256)',
  'approve(address,uint256)',
  'increaseAllowance(address,uint256)',
  'decreaseAllowance(address,uint256)',
  'increaseApproval(address,uint256)',
  'decreaseApproval(address,uint256)',
  'balanceOf(address)',
  'allowance(address,address)',
  'totalSupply()',
  'name()',
  'symbol()',
  'decimals()',
  'nonces(address)',
  'DOMAIN_SEPARATOR()',
  'permit(address,address,uint256,uint256,uint8,bytes32,bytes32)',
  'permit(address,address,uint256,uint256,bool,uint8,bytes32,bytes32)',
  'permit(address,address,uint256,uint256,bytes)',
  'mint(address,uint256)',
  'burn(uint256)',
  'burn(address,uint256)',
  'burnFrom(address,uint256)',
  'transferAndCall(address,uint256,bytes)',
  'transferFromAndCall(address,address,uint256,bytes)',
  'approveAndCall(address,uint256,bytes)',
  'transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)',
  'receiveWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)',
  'cancelAuthorization(address,bytes32,uint8,bytes32,bytes32)',
  'delegate(address)',
  'delegateBySig(address,uint256,uint256,uint8,bytes32,bytes32)',
  // ERC-721
  'safeTransferFrom(address,address,uint256)',
  'safeTransferFrom(address,address,uint256,bytes)',
  'setApprovalForAll(address,bool)',
  'isApprovedForAll(address,address)',
  'getApproved(uint256)',
  'ownerOf(uint256)',
  'tokenURI(uint256)',
  'supportsInterface(bytes4)',
  'safeMint(address,uint256)',
  'safeMint(address)',
  'mint(uint256)',
  'mint(address)',
  'publicMint(uint256)',
  'permit(address,uint256,uint256,uint8,bytes32,bytes32)',
  // ERC-1155
  'safeTransferFrom(address,address,uint256,uint256,bytes)',
  'safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)',
  'balanceOf(address,uint256)',
  'balanceOfBatch(address[],uint256[])',
  'uri(uint256)',
  // WETH
  'deposit()',
  'withdraw(uint256)',
  // ERC-1271 and ERC-165
  'isValidSignature(bytes32,bytes)',
];

const PERMIT2 = [
  'approve(address,address,uint160,uint48)',
  'lockdown((address,address)[])',
  'invalidateNonces(address,address,uint48)',
  'invalidateUnorderedNonces(uint256,uint256)',
  'allowance(address,address,address)',
  'nonceBitmap(address,uint256)',
  'permit(address,((address,uint160,uint48,uint48),address,uint256),bytes)',
  'permit(address,((address,uint160,uint48,uint48)[],address,uint256),bytes)',
  'permitTransferFrom(((address,uint256),uint256,uint256),(address,uint256),address,bytes)',
  'permitTransferFrom(((address,uint256)[],uint256,uint256),(address,uint256)[],address,bytes)',
  'permitWitnessTransferFrom(((address,uint256),uint256,uint256),(address,uint256),address,bytes32,string,bytes)',
  'permitWitnessTransferFrom(((address,uint256)[],uint256,uint256),(address,uint256)[],address,bytes32,string,bytes)',
  'transferFrom(address,address,uint160,address)',
  'transferFrom((address,address,uint160,address)[])',
];

const UNISWAP = [
  // V2 router
  'swapExactTokensForTokens(uint256,uint256,address[],address,uint256)',
  'swapTokensForExactTokens(uint256,uint256,address[],address,uint256)',
  'swapExactETHForTokens(uint256,address[],address,uint256)',
  'swapTokensForExactETH(uint256,uint256,address[],address,uint256)',
  'swapExactTokensForETH(uint256,uint256,address[],address,uint256)',
  'swapETHForExactTokens(uint256,address[],address,uint256)',
  'swapExactTokensForTokensSupportingFeeOnTransferTokens(uint256,uint256,address[],address,uint256)',
  'swapExactETHForTokensSupportingFeeOnTransferTokens(uint256,address[],address,uint256)',
  'swapExactTokensForETHSupportingFeeOnTransferTokens(uint256,uint256,address[],address,uint256)',
  'addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)',
  'addLiquidityETH(address,uint256,uint256,uint256,address,uint256)',
  'removeLiquidity(address,address,uint256,uint256,uint256,address,uint256)',
  'removeLiquidityETH(address,uint256,uint256,uint256,address,uint256)',
  'removeLiquidityWithPermit(address,address,uint256,uint256,uint256,address,uint256,bool,uint8,bytes32,bytes32)',
  'removeLiquidityETHWithPermit(address,uint256,uint256,uint256,address,uint256,bool,uint8,bytes32,bytes32)',
  'removeLiquidityETHSupportingFeeOnTransferTokens(address,uint256,uint256,uint256,address,uint256)',
  'removeLiquidityETHWithPermitSupportingFeeOnTransferTokens(address,uint256,uint256,uint256,address,uint256,bool,uint8,bytes32,bytes32)',
  // V2 pair
  'swap(uint256,uint256,address,bytes)',
  'skim(address)',
  'sync()',
  'burn(address)',
  // V3 SwapRouter (with deadline) and SwapRouter02 (without)
  'exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))',
  'exactInput((bytes,address,uint256,uint256,uint256))',
  'exactOutputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))',
  'exactOutput((bytes,address,uint256,uint256,uint256))',
  'exactInputSingle((address,address,uint24,address,uint256,uint256,uint160))',
  'exactInput((bytes,address,uint256,uint256))',
  'exactOutputSingle((address,address,uint24,address,uint256,uint256,uint160))',
  'exactOutput((bytes,address,uint256,uint256))',
  'swapExactTokensForTokens(uint256,uint256,address[],address)',
  'swapTokensForExactTokens(uint256,uint256,address[],address)',
  'unwrapWETH9(uint256,address)',
  'unwrapWETH9(uint256)',
  'unwrapWETH9WithFee(uint256,address,uint256,address)',
  'refundETH()',
  'sweepToken(address,uint256,address)',
  'sweepToken(address,uint256)',
  'wrapETH(uint256)',
  'pull(address,uint256)',
  'selfPermit(address,uint256,uint256,uint8,bytes32,bytes32)',
  'selfPermitIfNecessary(address,uint256,uint256,uint8,bytes32,bytes32)',
  'selfPermitAllowed(address,uint256,uint256,uint8,bytes32,bytes32)',
  'selfPermitAllowedIfNecessary(address,uint256,uint256,uint8,bytes32,bytes32)',
  // V3 NonfungiblePositionManager
  'mint((address,address,uint24,int24,int24,uint256,uint256,uint256,uint256,address,uint256))',
  'increaseLiquidity((uint256,uint256,uint256,uint256,uint256,uint256))',
  'decreaseLiquidity((uint256,uint128,uint256,uint256,uint256))',
  'collect((uint256,address,uint128,uint128))',
  'createAndInitializePoolIfNecessary(address,address,uint24,uint160)',
  // Universal Router and V4 PositionManager
  'execute(bytes,bytes[],uint256)',
  'execute(bytes,bytes[])',
  'modifyLiquidities(bytes,uint256)',
  'modifyLiquiditiesWithoutUnlock(bytes,bytes[])',
];

// Seaport 1.x structs, spelled out as tuples:
// OfferItem (uint8,address,uint256,uint256,uint256); ConsiderationItem adds a recipient;
// OrderParameters ends with totalOriginalConsiderationItems, OrderComponents with counter.
const OFFER = '(uint8,address,uint256,uint256,uint256)';
const CONSIDERATION = '(uint8,address,uint256,uint256,uint256,address)';
const ORDER_PARAMETERS = `(address,address,${OFFER}[],${CONSIDERATION}[],uint8,uint256,uint256,bytes32,uint256,bytes32,uint256)`;
const ORDER = `(${ORDER_PARAMETERS},bytes)`;
const ADVANCED_ORDER = `(${ORDER_PARAMETERS},uint120,uint120,bytes,bytes)`;
const CRITERIA_RESOLVER = '(uint256,uint8,uint256,uint256,bytes32[])';
const FULFILLMENT_COMPONENT = '(uint256,uint256)';
const FULFILLMENT = `(${FULFILLMENT_COMPONENT}[],${FULFILLMENT_COMPONENT}[])`;
const BASIC_ORDER =
  '(address,uint256,uint256,address,address,address,uint256,uint256,uint8,uint256,uint256,bytes32,uint256,bytes32,bytes32,uint256,(uint256,address)[],bytes)';

const SEAPORT = [
  `fulfillBasicOrder(${BASIC_ORDER})`,
  `fulfillBasicOrder_efficient_6GL6yc(${BASIC_ORDER})`,
  `fulfillOrder(${ORDER},bytes32)`,
  `fulfillAdvancedOrder(${ADVANCED_ORDER},${CRITERIA_RESOLVER}[],bytes32,address)`,
  `fulfillAvailableOrders(${ORDER}[],${FULFILLMENT_COMPONENT}[][],${FULFILLMENT_COMPONENT}[][],bytes32,uint256)`,
  `fulfillAvailableAdvancedOrders(${ADVANCED_ORDER}[],${CRITERIA_RESOLVER}[],${FULFILLMENT_COMPONENT}[][],${FULFILLMENT_COMPONENT}[][],bytes32,address,uint256)`,
  `matchOrders(${ORDER}[],${FULFILLMENT}[])`,
  `matchAdvancedOrders(${ADVANCED_ORDER}[],${CRITERIA_RESOLVER}[],${FULFILLMENT}[],address)`,
  `cancel((address,address,${OFFER}[],${CONSIDERATION}[],uint8,uint256,uint256,bytes32,uint256,bytes32,uint256)[])`,
  `validate(${ORDER}[])`,
  'incrementCounter()',
  'getCounter(address)',
];

const SAFE = [
  'execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)',
  'execTransactionFromModule(address,uint256,bytes,uint8)',
  'execTransactionFromModuleReturnData(address,uint256,bytes,uint8)',
  'addOwnerWithThreshold(address,uint256)',
  'removeOwner(address,address,uint256)',
  'swapOwner(address,address,address)',
  'changeThreshold(uint256)',
  'enableModule(address)',
  'disableModule(address,address)',
  'setGuard(address)',
  'setModuleGuard(address)',
  'setFallbackHandler(address)',
  'changeMasterCopy(address)',
  'approveHash(bytes32)',
  'setup(address[],uint256,address,bytes,address,address,uint256,address)',
  'multiSend(bytes)',
  'createProxyWithNonce(address,bytes,uint256)',
  'createChainSpecificProxyWithNonce(address,bytes,uint256)',
  'simulateAndRevert(address,bytes)',
  'getOwners()',
  'getThreshold()',
  'nonce()',
  // Safe4337Module
  'executeUserOp(address,uint256,bytes,uint8)',
  'executeUserOpWithErrorString(address,uint256,bytes,uint8)',
];

const DSPROXY = [
  'execute(address,bytes)',
  'execute(bytes,bytes)',
  'setOwner(address)',
  'setAuthority(address)',
  'setCache(address)',
  'build()',
  'build(address)',
];

const USER_OPERATION_V06 = '(address,uint256,bytes,bytes,uint256,uint256,uint256,uint256,uint256,bytes,bytes)';
const PACKED_USER_OPERATION = '(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)';

const ACCOUNT_ABSTRACTION = [
  // EntryPoint v0.6 and v0.7/v0.8
  `handleOps(${USER_OPERATION_V06}[],address)`,
  `handleOps(${PACKED_USER_OPERATION}[],address)`,
  `handleAggregatedOps((${USER_OPERATION_V06}[],address,bytes)[],address)`,
  `handleAggregatedOps((${PACKED_USER_OPERATION}[],address,bytes)[],address)`,
  'depositTo(address)',
  'withdrawTo(address,uint256)',
  'addStake(uint32)',
  'unlockStake()',
  'withdrawStake(address)',
  'getNonce(address,uint192)',
  'incrementNonce(uint192)',
  // accounts
  `validateUserOp(${USER_OPERATION_V06},bytes32,uint256)`,
  `validateUserOp(${PACKED_USER_OPERATION},bytes32,uint256)`,
  'execute(address,uint256,bytes)',
  'execute(address,uint256,bytes,uint8)',
  'executeBatch(address[],bytes[])',
  'executeBatch(address[],uint256[],bytes[])',
  'executeBatch((address,uint256,bytes)[])',
  'executeCall(address,uint256,bytes)',
  'execute_ncC(address,uint256,bytes)',
  'executeBatch_y6U(address[],uint256[],bytes[])',
  'addDeposit()',
  'withdrawDepositTo(address,uint256)',
  'initialize(address)',
  'createAccount(address,uint256)',
  'createAccount(bytes[],uint256)',
  // ERC-7579 modular accounts (and ERC-7821 batch executors)
  'execute(bytes32,bytes)',
  'executeFromExecutor(bytes32,bytes)',
  'installModule(uint256,address,bytes)',
  'uninstallModule(uint256,address,bytes)',
  'supportsExecutionMode(bytes32)',
  'isModuleInstalled(uint256,address,bytes)',
  'accountId()',
];

const AUTHORITY = [
  'owner()',
  'transferOwnership(address)',
  'renounceOwnership()',
  'acceptOwnership()',
  'pendingOwner()',
  'changeOwner(address)',
  'setAdmin(address)',
  'changeAdmin(address)',
  'changeProxyAdmin(address,address)',
  'admin()',
  'implementation()',
  'upgradeTo(address)',
  'upgradeToAndCall(address,bytes)',
  'upgrade(address,address)',
  'upgradeAndCall(address,address,bytes)',
  'grantRole(bytes32,address)',
  'revokeRole(bytes32,address)',
  'renounceRole(bytes32,address)',
  'pause()',
  'unpause()',
  'initialize()',
];

const MULTICALL = [
  'multicall(bytes[])',
  'multicall(uint256,bytes[])',
  'multicall(bytes32,bytes[])',
  'aggregate((address,bytes)[])',
  'tryAggregate(bool,(address,bytes)[])',
  'blockAndAggregate((address,bytes)[])',
  'tryBlockAndAggregate(bool,(address,bytes)[])',
  'aggregate3((address,bool,bytes)[])',
  'aggregate3Value((address,bool,uint256,bytes)[])',
  'batch(bytes[],bool)',
  'multicall()',
  'Multicall()',
];

// Names drainer pages give payable or no-argument functions to look routine.
const LURES = [
  'claim()',
  'Claim()',
  'claim(address)',
  'claim(uint256)',
  'claim(address,uint256)',
  'claim(uint256,address,uint256,bytes32[])',
  'claim(address,uint256,bytes32[])',
  'claimRewards()',
  'claimRewards(address)',
  'ClaimRewards()',
  'claimReward()',
  'ClaimReward()',
  'claimAirdrop()',
  'ClaimAirdrop()',
  'claimTokens()',
  'SecurityUpdate()',
  'SecurityUpdates()',
  'securityUpdate()',
  'securityUpdates()',
  'Connect()',
  'connect()',
  'verify()',
  'Verify()',
  'register()',
  'Register()',
  'mint()',
  'freeMint()',
  'airdrop()',
  'Airdrop()',
  'withdraw()',
  'Withdraw()',
  'Execute()',
  'execute()',
  'start()',
  'Start()',
  'activate()',
  'enable()',
  'buy()',
];

const DEFI = [
  // Aave V3 Pool, V2 LendingPool, WETH gateway, incentives, credit delegation
  'supply(address,uint256,address,uint16)',
  'supplyWithPermit(address,uint256,address,uint16,uint256,uint8,bytes32,bytes32)',
  'deposit(address,uint256,address,uint16)',
  'withdraw(address,uint256,address)',
  'borrow(address,uint256,uint256,uint16,address)',
  'repay(address,uint256,uint256,address)',
  'repayWithPermit(address,uint256,uint256,address,uint256,uint8,bytes32,bytes32)',
  'repayWithATokens(address,uint256,uint256)',
  'setUserUseReserveAsCollateral(address,bool)',
  'setUserEMode(uint8)',
  'liquidationCall(address,address,address,uint256,bool)',
  'flashLoan(address,address[],uint256[],uint256[],address,bytes,uint16)',
  'flashLoanSimple(address,address,uint256,bytes,uint16)',
  'depositETH(address,address,uint16)',
  'withdrawETH(address,uint256,address)',
  'borrowETH(address,uint256,uint256,uint16)',
  'repayETH(address,uint256,uint256,address)',
  'approveDelegation(address,uint256)',
  'claimRewards(address[],uint256,address)',
  'claimRewards(address[],uint256,address,address)',
  'claimAllRewards(address[],address)',
  'claimRewards(address,uint256)',
  'stake(address,uint256)',
  'redeem(address,uint256)',
  'cooldown()',
  // Compound V2 cTokens and Comptroller, Compound III (Comet)
  'mint(uint256)',
  'redeem(uint256)',
  'redeemUnderlying(uint256)',
  'borrow(uint256)',
  'repayBorrow(uint256)',
  'repayBorrow()',
  'repayBorrowBehalf(address,uint256)',
  'liquidateBorrow(address,uint256,address)',
  'enterMarkets(address[])',
  'exitMarket(address)',
  'claimComp(address)',
  'claimComp(address,address[])',
  'supply(address,uint256)',
  'supplyTo(address,address,uint256)',
  'withdraw(address,uint256)',
  'withdrawTo(address,address,uint256)',
  'allow(address,bool)',
  'allowBySig(address,address,bool,uint256,uint256,uint8,bytes32,bytes32)',
  // Curve pools, gauges and router
  'exchange(int128,int128,uint256,uint256)',
  'exchange(int128,int128,uint256,uint256,address)',
  'exchange_underlying(int128,int128,uint256,uint256)',
  'exchange(uint256,uint256,uint256,uint256)',
  'exchange(uint256,uint256,uint256,uint256,bool)',
  'add_liquidity(uint256[2],uint256)',
  'add_liquidity(uint256[3],uint256)',
  'add_liquidity(uint256[4],uint256)',
  'add_liquidity(uint256[],uint256)',
  'remove_liquidity(uint256,uint256[2])',
  'remove_liquidity(uint256,uint256[3])',
  'remove_liquidity(uint256,uint256[4])',
  'remove_liquidity_one_coin(uint256,int128,uint256)',
  'remove_liquidity_one_coin(uint256,uint256,uint256)',
  'remove_liquidity_imbalance(uint256[3],uint256)',
  'exchange(address[11],uint256[5][5],uint256,uint256)',
  'exchange(address[11],uint256[5][5],uint256,uint256,address[5],address)',
  'exchange_multiple(address[9],uint256[3][4],uint256,uint256)',
  'deposit(uint256)',
  'deposit(uint256,address)',
  'claim_rewards()',
  'claim_rewards(address)',
  // 1inch AggregationRouter V5 and V6
  'swap(address,(address,address,address,address,uint256,uint256,uint256),bytes,bytes)',
  'swap(address,(address,address,address,address,uint256,uint256,uint256),bytes)',
  'unoswap(address,uint256,uint256,uint256[])',
  'unoswapTo(address,address,uint256,uint256,uint256[])',
  'uniswapV3Swap(uint256,uint256,uint256[])',
  'uniswapV3SwapTo(address,uint256,uint256,uint256[])',
  'unoswap(uint256,uint256,uint256,uint256)',
  'unoswap2(uint256,uint256,uint256,uint256,uint256)',
  'unoswap3(uint256,uint256,uint256,uint256,uint256,uint256)',
  'unoswapTo(uint256,uint256,uint256,uint256,uint256)',
  'ethUnoswap(uint256,uint256)',
  'ethUnoswapTo(uint256,uint256,uint256)',
  // 0x Exchange Proxy and AllowanceHolder
  'transformERC20(address,address,uint256,uint256,(uint32,bytes)[])',
  'sellToUniswap(address[],uint256,uint256,bool)',
  'sellEthForTokenToUniswapV3(bytes,uint256,address)',
  'sellTokenForEthToUniswapV3(bytes,uint256,uint256,address)',
  'sellTokenForTokenToUniswapV3(bytes,uint256,uint256,address)',
  'sellToPancakeSwap(address[],uint256,uint256,uint8)',
  'exec(address,address,uint256,address,bytes)',
  // Lido
  'submit(address)',
  'requestWithdrawals(uint256[],address)',
  'wrap(uint256)',
  'unwrap(uint256)',
  // ENS
  'commit(bytes32)',
  'setResolver(bytes32,address)',
  'setName(string)',
];

/** Every curated signature, in canonical form (`name(type,…)`, no spaces, no parameter names). */
export const KNOWN_SIGNATURES: readonly string[] = [
  ...TOKENS,
  ...PERMIT2,
  ...UNISWAP,
  ...SEAPORT,
  ...SAFE,
  ...DSPROXY,
  ...ACCOUNT_ABSTRACTION,
  ...AUTHORITY,
  ...MULTICALL,
  ...LURES,
  ...DEFI,
];

/**
 * Builds a selector → text table; signatures sharing a selector are joined with ` | ` in list
 * order, and a signature listed twice appears once.
 */
export function buildSelectorTable(signatures: readonly string[]): ReadonlyMap<Hex, string> {
  const grouped = new Map<Hex, string[]>();
  for (const signature of signatures) {
    const selector = toFunctionSelector(signature);
    const names = grouped.get(selector);
    if (names === undefined) grouped.set(selector, [signature]);
    else if (!names.includes(signature)) names.push(signature);
  }
  return new Map([...grouped].map(([selector, names]) => [selector, names.join(' | ')]));
}

const TABLE = buildSelectorTable(KNOWN_SIGNATURES);

/** The text signature(s) of a 4-byte selector (`0x` + 8 hex digits, any case), if the table has it. */
export function lookupSelector(selector: Hex): string | undefined {
  return TABLE.get(selector.toLowerCase() as Hex);
}
