/**
 * Honeypot check for a token traded on a Uniswap V2 style pool: buy it and sell it back for real,
 * inside one state snapshot that is always reverted. A throwaway address (impersonated, funded with
 * `hardhat_setBalance`) buys with ETH through Router02's
 * `swapExactETHForTokensSupportingFeeOnTransferTokens`, approves the router and sells everything
 * through `swapExactTokensForETHSupportingFeeOnTransferTokens`. Each leg's tax is what the quote
 * (`getAmountsOut`, which already includes the pool's 0.3 % fee) promised minus what arrived, as a
 * fraction of the quote — so a normal token shows ~0 and the fee is never counted as tax. The
 * verdict is `honeypot` when the approve or the sell reverts, or when either tax is 50 % or more;
 * `unknown` when there is no pair, no liquidity, or the buy itself fails.
 */
import { BaseError } from '@custos/core';
import { encodeFunctionData, keccak256, parseAbi, stringToHex } from 'viem';
import { describeRpcFailure, type Eip1193Like, nodeAnswered, parseAddressField, rpcHex, rpcQuantity } from './facts.js';
import {
  asImpersonated,
  callRpc,
  type ImpersonatedSendResult,
  nativeBalance,
  sendImpersonated,
  withSnapshot,
} from './simulate.js';
import type { Address, Hex, UintString } from './types.js';

export interface CheckHoneypotInput {
  /** A node with Hardhat's test methods: the dev chain, an EDR fork, anvil. */
  provider: Eip1193Like;
  token: Address;
  /** A Uniswap V2 Router02 (or a fork of it with the same functions). */
  router: Address;
  /** Wrapped native token of the pool; default `router.WETH()`. */
  weth?: Address | undefined;
  /** Wei to buy with; default 0.1 ETH or 1 % of the pool's WETH, whichever is less. */
  amountIn?: UintString | undefined;
  /** Who trades; default a fresh, never-used address (so no owner or allow-list exemption applies). */
  user?: Address | undefined;
}

export interface HoneypotResult {
  verdict: 'ok' | 'honeypot' | 'unknown';
  /** Share of the buy quote that did not arrive, 0..1. */
  buyTax?: number | undefined;
  /** Share of the sell quote that did not arrive, 0..1. */
  sellTax?: number | undefined;
  /** Why the verdict is not `ok`. */
  reason?: string | undefined;
  pair?: Address | undefined;
  /** Wei spent on the buy. */
  amountIn?: UintString | undefined;
  /** Tokens received by the buy (and offered in the sell). */
  tokensBought?: UintString | undefined;
  /** Wei received by the sell. */
  ethReturned?: UintString | undefined;
  buyGas?: UintString | undefined;
  sellGas?: UintString | undefined;
  /** The block the check ran on top of. */
  block?: UintString | undefined;
}

/** A tax at or above this share is a honeypot: holders cannot get their money back. */
export const HONEYPOT_TAX_THRESHOLD = 0.5;
const DEFAULT_AMOUNT_IN = 10n ** 17n;
/** Tax fractions are computed in millionths, in integers, then converted. */
const TAX_SCALE = 1_000_000n;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
/** The default trader: an address nobody holds a key for, derived from a fixed label. */
const PROBE_ADDRESS = `0x${keccak256(stringToHex('custos.risk.honeypot-probe')).slice(-40)}` as Address;

const ROUTER_ABI = parseAbi([
  'function WETH() view returns (address)',
  'function factory() view returns (address)',
  'function getAmountsOut(uint256 amountIn, address[] path) view returns (uint256[] amounts)',
  'function swapExactETHForTokensSupportingFeeOnTransferTokens(uint256 amountOutMin, address[] path, address to, uint256 deadline) payable',
  'function swapExactTokensForETHSupportingFeeOnTransferTokens(uint256 amountIn, uint256 amountOutMin, address[] path, address to, uint256 deadline)',
]);
const FACTORY_ABI = parseAbi(['function getPair(address, address) view returns (address)']);
const PAIR_ABI = parseAbi([
  'function getReserves() view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast)',
  'function token0() view returns (address)',
]);
const ERC20_ABI = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function approve(address spender, uint256 amount) returns (bool)',
]);

async function call(provider: Eip1193Like, to: Address, data: Hex): Promise<Hex> {
  return rpcHex(await callRpc(provider, 'eth_call', [{ to, data }, 'latest']), 'eth_call');
}

function words(data: Hex): bigint[] {
  const body = data.slice(2);
  const out: bigint[] = [];
  for (let i = 0; i + 64 <= body.length; i += 64) out.push(BigInt(`0x${body.slice(i, i + 64)}`));
  return out;
}

function addressWord(data: Hex): Address {
  return `0x${data.slice(-40)}` as Address;
}

/** `getAmountsOut(amountIn, [from, to])[1]`, or undefined when the router refuses to quote. */
async function quote(
  provider: Eip1193Like,
  router: Address,
  amountIn: bigint,
  path: Address[],
): Promise<bigint | undefined> {
  const data = encodeFunctionData({ abi: ROUTER_ABI, functionName: 'getAmountsOut', args: [amountIn, path] });
  try {
    // ABI: offset, length, amounts[0], amounts[1]
    return words(await call(provider, router, data))[3];
  } catch {
    // The router reverts on an empty pool or a zero amount: there is no quote.
    return undefined;
  }
}

async function tokenBalance(provider: Eip1193Like, token: Address, owner: Address): Promise<bigint> {
  const data = encodeFunctionData({ abi: ERC20_ABI, functionName: 'balanceOf', args: [owner] });
  return words(await call(provider, token, data))[0] ?? 0n;
}

/** `(quoted - received) / quoted`, clamped to 0..1; undefined without a quote. */
function taxOf(quoted: bigint | undefined, received: bigint): number | undefined {
  if (quoted === undefined || quoted === 0n) return undefined;
  const lost = quoted > received ? quoted - received : 0n;
  const millionths = (lost * TAX_SCALE) / quoted;
  return Number(millionths > TAX_SCALE ? TAX_SCALE : millionths) / Number(TAX_SCALE);
}

function isHoneypotTax(tax: number | undefined): boolean {
  return tax !== undefined && tax >= HONEYPOT_TAX_THRESHOLD;
}

interface Pool {
  weth: Address;
  pair: Address;
  wethReserve: bigint;
}

/** Finds the token's WETH pair and its WETH reserve, or says why there is none. */
async function findPool(input: CheckHoneypotInput, token: Address, router: Address): Promise<Pool | string> {
  const { provider } = input;
  const weth =
    input.weth === undefined
      ? addressWord(await call(provider, router, encodeFunctionData({ abi: ROUTER_ABI, functionName: 'WETH' })))
      : parseAddressField(input.weth, 'weth');
  const factory = addressWord(
    await call(provider, router, encodeFunctionData({ abi: ROUTER_ABI, functionName: 'factory' })),
  );
  const pairData = encodeFunctionData({ abi: FACTORY_ABI, functionName: 'getPair', args: [token, weth] });
  const pair = addressWord(await call(provider, factory, pairData));
  if (pair === ZERO_ADDRESS) return 'no WETH pair for the token';
  const [reserve0 = 0n, reserve1 = 0n] = words(
    await call(provider, pair, encodeFunctionData({ abi: PAIR_ABI, functionName: 'getReserves' })),
  );
  const token0 = addressWord(await call(provider, pair, encodeFunctionData({ abi: PAIR_ABI, functionName: 'token0' })));
  const wethReserve = token0 === weth ? reserve0 : reserve1;
  const tokenReserve = token0 === weth ? reserve1 : reserve0;
  if (wethReserve === 0n || tokenReserve === 0n) return 'the pair has no liquidity';
  return { weth, pair, wethReserve };
}

/** Who trades what where, for one check. */
interface Trade {
  provider: Eip1193Like;
  router: Address;
  token: Address;
  weth: Address;
  user: Address;
  deadline: bigint;
}

/**
 * The buy leg: ETH in through the router, tokens counted by balance (fee-on-transfer safe).
 * `bought` is set only when there is something to sell; otherwise `result` is final.
 */
async function buyLeg(
  trade: Trade,
  amountIn: bigint,
  base: HoneypotResult,
): Promise<{ bought?: bigint; result: HoneypotResult }> {
  const { provider, router, token, weth, user, deadline } = trade;
  const path = [weth, token];
  const quoted = await quote(provider, router, amountIn, path);
  const before = await tokenBalance(provider, token, user);
  const buy = await sendImpersonated(provider, {
    from: user,
    to: router,
    value: amountIn,
    data: encodeFunctionData({
      abi: ROUTER_ABI,
      functionName: 'swapExactETHForTokensSupportingFeeOnTransferTokens',
      args: [0n, path, user, deadline],
    }),
  });
  if (!buy.success) return { result: { ...base, reason: `the buy reverted: ${buy.revertReason ?? 'no reason'}` } };
  const bought = (await tokenBalance(provider, token, user)) - before;
  const result: HoneypotResult = {
    ...base,
    buyTax: taxOf(quoted, bought),
    tokensBought: bought.toString(),
    buyGas: gasOf(buy),
  };
  if (bought <= 0n) return { result: { ...result, verdict: 'honeypot', reason: 'the buy delivered no tokens' } };
  return { bought, result };
}

/** The sell leg: approve the router, sell everything for ETH, count the ETH that arrived. */
async function sellLeg(trade: Trade, bought: bigint, afterBuy: HoneypotResult): Promise<HoneypotResult> {
  const { provider, router, token, weth, user, deadline } = trade;
  const approve = await sendImpersonated(provider, {
    from: user,
    to: token,
    value: 0n,
    data: encodeFunctionData({ abi: ERC20_ABI, functionName: 'approve', args: [router, bought] }),
  });
  if (!approve.success) {
    return { ...afterBuy, verdict: 'honeypot', reason: `approve reverted: ${approve.revertReason ?? 'no reason'}` };
  }
  const path = [token, weth];
  const quoted = await quote(provider, router, bought, path);
  const before = await nativeBalance(provider, user);
  const sell = await sendImpersonated(provider, {
    from: user,
    to: router,
    value: 0n,
    data: encodeFunctionData({
      abi: ROUTER_ABI,
      functionName: 'swapExactTokensForETHSupportingFeeOnTransferTokens',
      args: [bought, 0n, path, user, deadline],
    }),
  });
  if (!sell.success) {
    return { ...afterBuy, verdict: 'honeypot', reason: `the sell reverted: ${sell.revertReason ?? 'no reason'}` };
  }
  const returned = (await nativeBalance(provider, user)) - before + sell.gasPaid - sell.toppedUp;
  const sellTax = taxOf(quoted, returned);
  const result: HoneypotResult = {
    ...afterBuy,
    sellTax,
    ethReturned: returned.toString(),
    sellGas: gasOf(sell),
    verdict: 'ok',
  };
  const { buyTax } = afterBuy;
  if (isHoneypotTax(sellTax) || isHoneypotTax(buyTax)) {
    result.verdict = 'honeypot';
    const worst = percent(Math.max(sellTax ?? 0, buyTax ?? 0));
    result.reason = `tax of ${worst} (buy ${percent(buyTax)}, sell ${percent(sellTax)})`;
  }
  return result;
}

/** Buys `token` with ETH and sells it all back in a reverted snapshot; see the module comment. */
export async function checkHoneypot(input: CheckHoneypotInput): Promise<HoneypotResult> {
  const { provider } = input;
  const token = parseAddressField(input.token, 'token');
  const router = parseAddressField(input.router, 'router');
  const user = input.user === undefined ? PROBE_ADDRESS : parseAddressField(input.user, 'user');
  if (input.amountIn !== undefined && !/^[1-9][0-9]*$/.test(input.amountIn)) {
    const message = `"amountIn" expected a positive decimal integer, got "${input.amountIn}"`;
    throw new BaseError('RISK_INVALID_REQUEST', message, { details: { field: 'amountIn' } });
  }

  return withSnapshot(provider, async () => {
    const block = BigInt(rpcHex(await callRpc(provider, 'eth_blockNumber'), 'eth_blockNumber')).toString();
    let pool: Pool | string;
    try {
      pool = await findPool(input, token, router);
    } catch (error) {
      if (!nodeAnswered(error)) throw error;
      pool = `the router, factory or pair did not answer: ${describeRpcFailure(error)}`;
    }
    if (typeof pool === 'string') return { verdict: 'unknown', reason: pool, block };
    const onePercent = pool.wethReserve / 100n;
    const amountIn =
      input.amountIn !== undefined
        ? BigInt(input.amountIn)
        : onePercent < DEFAULT_AMOUNT_IN
          ? onePercent
          : DEFAULT_AMOUNT_IN;
    const base: HoneypotResult = { verdict: 'unknown', pair: pool.pair, amountIn: amountIn.toString(), block };
    const header = (await callRpc(provider, 'eth_getBlockByNumber', ['latest', false])) as { timestamp: Hex };
    const trade: Trade = { provider, router, token, weth: pool.weth, user, deadline: BigInt(header.timestamp) + 3600n };
    // Enough for the buy and, should the node insist on pricing gas, for gas too.
    const funds = (await nativeBalance(provider, user)) + amountIn + 10n ** 18n;
    await callRpc(provider, 'hardhat_setBalance', [user, rpcQuantity(funds)]);

    return asImpersonated(provider, user, async () => {
      const { bought, result } = await buyLeg(trade, amountIn, base);
      return bought === undefined ? result : sellLeg(trade, bought, result);
    });
  });
}

function gasOf(sent: ImpersonatedSendResult): UintString | undefined {
  return sent.receipt === undefined ? undefined : BigInt(sent.receipt.gasUsed).toString();
}

function percent(tax: number | undefined): string {
  return tax === undefined ? 'unknown' : `${(tax * 100).toFixed(1)} %`;
}
