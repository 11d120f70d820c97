/**
 * Deploys the dev-chain fixtures into a fresh in-process chain: the OpenZeppelin ERC-20 with
 * EIP-2612 permit (cUSD, 6 decimals), an ERC-721 and an ERC-1155 with balances for the first dev
 * accounts, our Permit2 implementation installed at Permit2's canonical address with
 * `hardhat_setCode`, and WETH9 + Uniswap V2 Factory + Router02 from the published Uniswap builds,
 * with a seeded cUSD/WETH pair so swaps work out of the box. Last come two deliberately malicious
 * tokens for the honeypot check — one whose sells revert, one taxing sells at 90 % — each with a
 * seeded WETH pair; they are deployed after everything else so the older fixture addresses never
 * move. A dedicated deployer (the last of the 20 Hardhat accounts) sends every transaction, so the
 * accounts handed to users keep nonce 0 and every fixture address is the same on every start.
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
/** Supply of each malicious test token (18 decimals), all minted to the deployer. */
export const SCAM_TOKEN_SUPPLY = 1_000_000n * 10n ** 18n;
/** Seed liquidity of the honeypot and tax token pairs: 500 000 tokens against 10 ETH each. */
export const SCAM_TOKEN_LIQUIDITY = { tokens: 500_000n * 10n ** 18n, eth: 10n * 10n ** 18n } as const;
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
  /** `DevHoneypotToken` (cHONEY): buys work, every sell into its pair reverts. */
  honeypotToken: Address;
  /** The seeded cHONEY/WETH pair. */
  honeypotPair: Address;
  /** `DevTaxToken` (cTAX): a 90 % tax on every sell into its pair. */
  taxToken: Address;
  /** The seeded cTAX/WETH pair. */
  taxPair: Address;
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

interface Uniswap {
  router: Address;
  factory: Address;
  weth: Address;
}

/**
 * Adds `amounts` of `token` and ETH as the first liquidity of its WETH pair through the router
 * (which creates the pair), from `deployer`, and returns the pair's address.
 */
async function seedLiquidity(
  provider: Eip1193Provider,
  deployer: Address,
  token: Address,
  uniswap: Uniswap,
  amounts: { tokens: bigint; eth: bigint },
): Promise<Address> {
  const erc20 = ownArtifact('DevUSD');
  const routerAbi = uniswapArtifact('UniswapV2Router02').abi;
  await send(provider, {
    from: deployer,
    to: token,
    data: encodeFunctionData({ abi: erc20.abi, functionName: 'approve', args: [uniswap.router, amounts.tokens] }),
  });
  const block = (await provider.request({ method: 'eth_getBlockByNumber', params: ['latest', false] })) as {
    timestamp: Hex;
  };
  const deadline = BigInt(block.timestamp) + 3600n;
  await send(provider, {
    from: deployer,
    to: uniswap.router,
    value: amounts.eth,
    data: encodeFunctionData({
      abi: routerAbi,
      functionName: 'addLiquidityETH',
      args: [token, amounts.tokens, amounts.tokens, amounts.eth, deployer, deadline],
    }),
  });
  const factoryAbi = uniswapArtifact('UniswapV2Factory').abi;
  const result = await call(
    provider,
    uniswap.factory,
    encodeFunctionData({ abi: factoryAbi, functionName: 'getPair', args: [token, uniswap.weth] }),
  );
  return getAddress(`0x${result.slice(-40)}`);
}

/**
 * Deploys one of the malicious test tokens, pools it against WETH (the deployer owns the token,
 * so its own transfer into the pair is exempt) and then arms it by naming the pair.
 */
async function deployScamToken(
  provider: Eip1193Provider,
  deployer: Address,
  name: 'DevHoneypotToken' | 'DevTaxToken',
  uniswap: Uniswap,
): Promise<{ token: Address; pair: Address }> {
  const artifact = ownArtifact(name);
  const token = await deploy(provider, deployer, artifact, [SCAM_TOKEN_SUPPLY]);
  const pair = await seedLiquidity(provider, deployer, token, uniswap, SCAM_TOKEN_LIQUIDITY);
  await send(provider, {
    from: deployer,
    to: token,
    data: encodeFunctionData({ abi: artifact.abi, functionName: 'setPair', args: [pair] }),
  });
  return { token, pair };
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

  const uniswap = { router: uniswapV2Router, factory: uniswapV2Factory, weth };
  const uniswapV2Pair = await seedLiquidity(provider, deployer, erc20, uniswap, {
    tokens: SEED_LIQUIDITY.cusd,
    eth: SEED_LIQUIDITY.eth,
  });
  // Always last: anything deployed before them keeps its address.
  const honeypot = await deployScamToken(provider, deployer, 'DevHoneypotToken', uniswap);
  const tax = await deployScamToken(provider, deployer, 'DevTaxToken', uniswap);
  return {
    erc20,
    erc721,
    erc1155,
    permit2: PERMIT2_ADDRESS,
    weth,
    uniswapV2Factory,
    uniswapV2Router,
    uniswapV2Pair,
    honeypotToken: honeypot.token,
    honeypotPair: honeypot.pair,
    taxToken: tax.token,
    taxPair: tax.pair,
  };
}
