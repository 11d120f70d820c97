/**
 * Deploys the dev-chain fixtures into a fresh in-process chain: the OpenZeppelin ERC-20 with
 * EIP-2612 permit (cUSD, 6 decimals), an ERC-721 and an ERC-1155 with balances for the first dev
 * accounts, our Permit2 implementation installed at Permit2's canonical address with
 * `hardhat_setCode`, and WETH9 + Uniswap V2 Factory + Router02 from the published Uniswap builds,
 * with a seeded cUSD/WETH pair so swaps work out of the box. A dedicated deployer (the last of the
 * 20 Hardhat accounts) sends every transaction, so the accounts handed to users keep nonce 0 and
 * every fixture address is the same on every start.
 */
import { BaseError } from '@custos/core';
import { type Address, encodeDeployData, encodeFunctionData, getAddress, type Hex, numberToHex } from 'viem';
import { type ContractArtifact, ownArtifact, uniswapArtifact } from './artifacts.js';
import type { Eip1193Provider } from './hardhat.js';

/** Permit2's canonical address, identical on every chain where it is deployed. */
export const PERMIT2_ADDRESS: Address = '0x000000000022D473030F116dDEE9F6B43aC78BA3';

export const DEV_USD_DECIMALS = 6;
/** Every token holder gets one million cUSD. */
export const DEV_USD_GRANT = 1_000_000n * 10n ** BigInt(DEV_USD_DECIMALS);
/** Seed liquidity of the cUSD/WETH pair: 300 000 cUSD against 100 ETH (3 000 cUSD per ETH). */
export const SEED_LIQUIDITY = { cusd: 300_000n * 10n ** 6n, eth: 100n * 10n ** 18n } as const;
/** How many dev accounts receive the token fixtures (cUSD: these plus the deployer). */
const TOKEN_HOLDER_COUNT = 5;
const NFT_HOLDER_COUNT = 2;
const NFTS_PER_HOLDER = 3n;

export interface DevContracts {
  erc20: Address;
  erc721: Address;
  erc1155: Address;
  permit2: Address;
  weth: Address;
  uniswapV2Factory: Address;
  uniswapV2Router: Address;
  /** The seeded cUSD/WETH Uniswap V2 pair. */
  uniswapV2Pair: Address;
}

interface Receipt {
  status: Hex;
  contractAddress: Address | null;
}

/** Sends one transaction from `from` (an account the chain owns) and returns its mined receipt. */
async function send(
  provider: Eip1193Provider,
  tx: { from: Address; to?: Address; data: Hex; value?: bigint },
): Promise<Receipt> {
  const params = { ...tx, ...(tx.value === undefined ? {} : { value: numberToHex(tx.value) }) };
  const hash = await provider.request({ method: 'eth_sendTransaction', params: [params] });
  // Automine is on, so the receipt exists as soon as eth_sendTransaction returns.
  const receipt = (await provider.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as Receipt | null;
  if (receipt === null || receipt.status !== '0x1') {
    throw new BaseError('DEVCHAIN_START_FAILED', 'A dev-chain fixture transaction failed.', {
      details: { to: tx.to ?? 'contract creation', hash: String(hash) },
    });
  }
  return receipt;
}

async function deploy(
  provider: Eip1193Provider,
  from: Address,
  artifact: ContractArtifact,
  args: readonly unknown[] = [],
): Promise<Address> {
  const data = encodeDeployData({ abi: artifact.abi, bytecode: artifact.bytecode, args });
  const receipt = await send(provider, { from, data });
  if (receipt.contractAddress === null) {
    throw new BaseError('DEVCHAIN_START_FAILED', 'A dev-chain fixture deployment returned no address.', {
      details: { contract: artifact.contractName },
    });
  }
  return getAddress(receipt.contractAddress);
}

async function call(provider: Eip1193Provider, to: Address, data: Hex): Promise<Hex> {
  return (await provider.request({ method: 'eth_call', params: [{ to, data }, 'latest'] })) as Hex;
}

/** Creates the cUSD/WETH pair through the router and returns its address. */
async function seedLiquidity(
  provider: Eip1193Provider,
  deployer: Address,
  cusd: Address,
  router: Address,
  factory: Address,
  weth: Address,
): Promise<Address> {
  const erc20 = ownArtifact('DevUSD');
  const routerAbi = uniswapArtifact('UniswapV2Router02').abi;
  await send(provider, {
    from: deployer,
    to: cusd,
    data: encodeFunctionData({ abi: erc20.abi, functionName: 'approve', args: [router, SEED_LIQUIDITY.cusd] }),
  });
  const block = (await provider.request({ method: 'eth_getBlockByNumber', params: ['latest', false] })) as {
    timestamp: Hex;
  };
  const deadline = BigInt(block.timestamp) + 3600n;
  await send(provider, {
    from: deployer,
    to: router,
    value: SEED_LIQUIDITY.eth,
    data: encodeFunctionData({
      abi: routerAbi,
      functionName: 'addLiquidityETH',
      args: [cusd, SEED_LIQUIDITY.cusd, SEED_LIQUIDITY.cusd, SEED_LIQUIDITY.eth, deployer, deadline],
    }),
  });
  const factoryAbi = uniswapArtifact('UniswapV2Factory').abi;
  const result = await call(
    provider,
    factory,
    encodeFunctionData({ abi: factoryAbi, functionName: 'getPair', args: [cusd, weth] }),
  );
  return getAddress(`0x${result.slice(-40)}`);
}

/**
 * Deploys every fixture. `holders` are the user-facing dev accounts (the first few receive tokens);
 * `deployer` must be an account the chain owns and must not be one of the holders.
 */
export async function deployFixtures(
  provider: Eip1193Provider,
  deployer: Address,
  holders: readonly Address[],
): Promise<DevContracts> {
  const tokenHolders = [...holders.slice(0, TOKEN_HOLDER_COUNT), deployer];
  const nftHolders = holders.slice(0, NFT_HOLDER_COUNT);

  const erc20 = await deploy(provider, deployer, ownArtifact('DevUSD'), [tokenHolders, DEV_USD_GRANT]);
  const erc721 = await deploy(provider, deployer, ownArtifact('DevNFT'), [nftHolders, NFTS_PER_HOLDER]);
  const erc1155 = await deploy(provider, deployer, ownArtifact('DevMultiToken'), [nftHolders]);
  const weth = await deploy(provider, deployer, uniswapArtifact('WETH9'));
  const uniswapV2Factory = await deploy(provider, deployer, uniswapArtifact('UniswapV2Factory'), [deployer]);
  const uniswapV2Router = await deploy(provider, deployer, uniswapArtifact('UniswapV2Router02'), [
    uniswapV2Factory,
    weth,
  ]);

  // Runtime code only: the contract was written to need no constructor and no immutables.
  await provider.request({
    method: 'hardhat_setCode',
    params: [PERMIT2_ADDRESS, ownArtifact('CustosPermit2').deployedBytecode],
  });

  const uniswapV2Pair = await seedLiquidity(provider, deployer, erc20, uniswapV2Router, uniswapV2Factory, weth);
  return { erc20, erc721, erc1155, permit2: PERMIT2_ADDRESS, weth, uniswapV2Factory, uniswapV2Router, uniswapV2Pair };
}
