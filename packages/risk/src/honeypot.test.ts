/**
 * Tests of the honeypot check on a real dev chain (in-process JSON-RPC): the dev chain's normal
 * cUSD is `ok` with no tax (the pool's 0.3 % fee is in the quote, so it is not counted as tax), the
 * honeypot fixture (sells revert) and the 90 % sell-tax fixture are both `honeypot` with their
 * taxes, a token without a pool is `unknown`, and the chain is untouched afterwards.
 */
import { type DevChain, startDevChain } from '@custos/devchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Eip1193Like } from './facts.js';
import { checkHoneypot } from './honeypot.js';
import { simulateTransaction } from './simulate.js';
import type { Address } from './types.js';

let chain: DevChain;
let provider: Eip1193Like;

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
  provider = {
    request: ({ method, params }) => chain.request(method, (params ?? []) as readonly unknown[]),
  };
});

afterAll(async () => {
  await chain.close();
});

function check(token: Address, extra: { amountIn?: string; user?: Address } = {}) {
  return checkHoneypot({ provider, token, router: chain.contracts.uniswapV2Router, ...extra });
}

describe('checkHoneypot', () => {
  it("calls cUSD ok with ~0 tax: the V2 fee is in getAmountsOut's quote", async () => {
    const result = await check(chain.contracts.erc20);
    expect(result.verdict).toBe('ok');
    expect(result.reason).toBeUndefined();
    expect(result.buyTax).toBeLessThan(0.001);
    expect(result.sellTax).toBeLessThan(0.001);
    expect(result.pair).toBe(chain.contracts.uniswapV2Pair.toLowerCase());
    expect(result.amountIn).toBe(String(10n ** 17n));
    expect(BigInt(result.tokensBought ?? '0')).toBeGreaterThan(0n);
    // A round trip through the pool loses the fee twice (~0.6 %), no more.
    const returned = Number(result.ethReturned) / 1e17;
    expect(returned).toBeGreaterThan(0.99);
    expect(returned).toBeLessThan(0.995);
  });

  it('flags the honeypot token: buying works, selling reverts', async () => {
    const result = await check(chain.contracts.honeypotToken);
    expect(result.verdict).toBe('honeypot');
    expect(result.reason).toMatch(/^the sell reverted: TransferHelper: TRANSFER_FROM_FAILED/);
    expect(result.buyTax).toBeLessThan(0.001);
    expect(result.sellTax).toBeUndefined();
    expect(result.pair).toBe(chain.contracts.honeypotPair.toLowerCase());
  });

  it('flags the 90 % sell-tax token with its tax', async () => {
    const result = await check(chain.contracts.taxToken, { amountIn: String(5n * 10n ** 16n) });
    expect(result.verdict).toBe('honeypot');
    expect(result.buyTax).toBeLessThan(0.001);
    expect(result.sellTax).toBeGreaterThan(0.85);
    expect(result.sellTax).toBeLessThan(0.95);
    expect(result.reason).toMatch(/^tax of (89|9\d)\.\d % \(buy 0\.0 %, sell (89|9\d)\.\d %\)$/);
    expect(result.pair).toBe(chain.contracts.taxPair.toLowerCase());
  });

  it('answers unknown for a token without a WETH pool', async () => {
    const result = await check(chain.contracts.erc1155);
    expect(result).toMatchObject({ verdict: 'unknown', reason: 'no WETH pair for the token' });
  });

  it('answers unknown when the router is not a router', async () => {
    const result = await checkHoneypot({ provider, token: chain.contracts.erc20, router: chain.contracts.erc721 });
    expect(result.verdict).toBe('unknown');
    expect(result.reason).toMatch(/did not answer/);
  });

  it('trades as a given user and leaves the chain as it was, alongside a simulation', async () => {
    const user = chain.accounts[6]?.address;
    if (user === undefined) throw new Error('no account');
    const state = async () => ({
      block: await chain.request('eth_blockNumber'),
      balance: await chain.request('eth_getBalance', [user, 'latest']),
      nonce: await chain.request('eth_getTransactionCount', [user, 'latest']),
      reserves: await chain.request('eth_call', [{ to: chain.contracts.taxPair, data: '0x0902f1ac' }, 'latest']),
    });
    const before = await state();
    const [honeypot, simulation] = await Promise.all([
      check(chain.contracts.taxToken, { user }),
      simulateTransaction({ provider, tx: { from: user, to: user, value: '1', data: '0x' } }),
    ]);
    expect(honeypot.verdict).toBe('honeypot');
    expect(simulation.success).toBe(true);
    expect(await state()).toEqual(before);
  });

  it('refuses a malformed amount', async () => {
    await expect(check(chain.contracts.erc20, { amountIn: '0' })).rejects.toMatchObject({
      code: 'RISK_INVALID_REQUEST',
    });
  });
});
