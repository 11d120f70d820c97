/**
 * Tests of the Uniswap V2 fixtures, which come verbatim from the published npm build artifacts:
 * the pair creation code hashes to the init-code hash compiled into Router02 (found by searching
 * the router's bytecode, not only by trusting the well-known constant), factory.createPair lands
 * on the CREATE2 address that hash predicts, and a swap through the router against the seeded
 * cUSD/WETH pool pays out what getAmountsOut quotes.
 */
import { type Abi, type Address, encodePacked, getContractAddress, keccak256 } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownArtifact, uniswapArtifact } from './artifacts.js';
import { type DevChain, startDevChain } from './devchain.js';
import { SEED_LIQUIDITY } from './fixtures.js';
import { devPublicClient, devWallet, devWrite } from './testing/clients.js';

/** The init-code hash of UniswapV2Pair as deployed on mainnet and hard-coded in UniswapV2Library. */
const KNOWN_INIT_CODE_HASH = '0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f';

let chain: DevChain;

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
});

afterAll(async () => {
  await chain.close();
});

function client() {
  return devPublicClient(chain);
}

function wallet(index: number) {
  return devWallet(chain, index);
}

function write(
  index: number,
  address: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
  value?: bigint,
): Promise<void> {
  return devWrite(chain, index, { address, abi, functionName, args, ...(value === undefined ? {} : { value }) });
}

function sortTokens(a: Address, b: Address): [Address, Address] {
  return BigInt(a) < BigInt(b) ? [a, b] : [b, a];
}

function predictPair(factory: Address, a: Address, b: Address, initCodeHash: `0x${string}`): Address {
  const [token0, token1] = sortTokens(a, b);
  return getContractAddress({
    opcode: 'CREATE2',
    from: factory,
    salt: keccak256(encodePacked(['address', 'address'], [token0, token1])),
    bytecodeHash: initCodeHash,
  });
}

describe('Uniswap V2 fixtures', () => {
  const pairInitCodeHash = keccak256(uniswapArtifact('UniswapV2Pair').bytecode);

  it("the pair's creation code hash is the init-code hash inside Router02's bytecode", () => {
    const router = uniswapArtifact('UniswapV2Router02').bytecode.toLowerCase();
    // UniswapV2Library.pairFor pushes the hash as a PUSH32 (0x7f) immediate.
    expect(router).toContain(`7f${pairInitCodeHash.slice(2)}`);
    expect(pairInitCodeHash).toBe(KNOWN_INIT_CODE_HASH);
  });

  it('deploys the published bytecode and seeds the cUSD/WETH pair at its CREATE2 address', async () => {
    const { uniswapV2Factory, uniswapV2Router, weth, erc20, uniswapV2Pair } = chain.contracts;
    const routerAbi = uniswapArtifact('UniswapV2Router02').abi;
    expect(await client().readContract({ address: uniswapV2Router, abi: routerAbi, functionName: 'factory' })).toBe(
      uniswapV2Factory,
    );
    expect(await client().readContract({ address: uniswapV2Router, abi: routerAbi, functionName: 'WETH' })).toBe(weth);
    expect(uniswapV2Pair).toBe(predictPair(uniswapV2Factory, erc20, weth, pairInitCodeHash));
    const [r0, r1] = (await client().readContract({
      address: uniswapV2Pair,
      abi: uniswapArtifact('UniswapV2Pair').abi,
      functionName: 'getReserves',
    })) as readonly [bigint, bigint, number];
    const [token0] = sortTokens(erc20, weth);
    expect(token0 === erc20 ? [r0, r1] : [r1, r0]).toEqual([SEED_LIQUIDITY.cusd, SEED_LIQUIDITY.eth]);
  });

  it('factory.createPair deploys at the address the CREATE2 formula predicts', async () => {
    const factoryAbi = uniswapArtifact('UniswapV2Factory').abi;
    const usd = ownArtifact('DevUSD');
    const deployer = wallet(3);
    const hash = await deployer.deployContract({ abi: usd.abi, bytecode: usd.bytecode, args: [[], 0n] });
    const other = (await client().waitForTransactionReceipt({ hash })).contractAddress;
    if (other === null || other === undefined) throw new Error('token not deployed');
    const { uniswapV2Factory, weth } = chain.contracts;
    await write(3, uniswapV2Factory, factoryAbi, 'createPair', [other, weth]);
    const pair = await client().readContract({
      address: uniswapV2Factory,
      abi: factoryAbi,
      functionName: 'getPair',
      args: [weth, other],
    });
    expect(pair).toBe(predictPair(uniswapV2Factory, other, weth, pairInitCodeHash));
    expect(await client().getCode({ address: pair as Address })).toBeDefined();
  });

  it('swaps ETH for cUSD through Router02 at the quoted price', async () => {
    const { uniswapV2Router, weth, erc20 } = chain.contracts;
    const routerAbi = uniswapArtifact('UniswapV2Router02').abi;
    const trader = wallet(2).account.address;
    const amountIn = 10n ** 18n;
    const path = [weth, erc20];
    const quote = (await client().readContract({
      address: uniswapV2Router,
      abi: routerAbi,
      functionName: 'getAmountsOut',
      args: [amountIn, path],
    })) as readonly bigint[];
    const expectedOut = quote[1] ?? 0n;
    // 1 ETH into a 100 ETH / 300 000 cUSD pool, 0.3 % fee: a little under 2 970 cUSD.
    expect(expectedOut).toBeGreaterThan(2_900n * 10n ** 6n);
    expect(expectedOut).toBeLessThan(3_000n * 10n ** 6n);
    const usdAbi = ownArtifact('DevUSD').abi;
    const before = (await client().readContract({
      address: erc20,
      abi: usdAbi,
      functionName: 'balanceOf',
      args: [trader],
    })) as bigint;
    const deadline = (await client().getBlock()).timestamp + 600n;
    await write(
      2,
      uniswapV2Router,
      routerAbi,
      'swapExactETHForTokens',
      [expectedOut, path, trader, deadline],
      amountIn,
    );
    const after = (await client().readContract({
      address: erc20,
      abi: usdAbi,
      functionName: 'balanceOf',
      args: [trader],
    })) as bigint;
    expect(after - before).toBe(expectedOut);
  });
});
