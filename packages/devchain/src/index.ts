/**
 * @custos/devchain: the development chain behind `custos serve --dev`. An in-process EVM (Hardhat
 * 2's network on the EDR) with Hardhat's funded dev accounts, ERC-20/721/1155 fixtures, our own
 * Permit2 implementation at the canonical Permit2 address, Uniswap V2 from its published builds and
 * two deliberately malicious tokens (a honeypot and a 90 % sell tax) pooled against WETH, served
 * over JSON-RPC/HTTP; plus in-process EDR forks of other chains (`createEdrForkProvider`). See
 * README.md for the fixtures and how the artifacts are produced.
 */

export {
  type ContractArtifact,
  OWN_CONTRACTS,
  type OwnContractName,
  ownArtifact,
  UNISWAP_CONTRACTS,
  type UniswapContractName,
  uniswapArtifact,
} from './artifacts.js';
export {
  DEFAULT_DEV_CHAIN_ID,
  DEFAULT_DEV_HOST,
  DEFAULT_DEV_PORT,
  type DevAccount,
  type DevChain,
  type DevChainFixtures,
  type DevChainOptions,
  devChainFixtures,
  startDevChain,
} from './devchain.js';
export {
  DEV_USD_DECIMALS,
  DEV_USD_GRANT,
  type DevContracts,
  PERMIT2_ADDRESS,
  SCAM_TOKEN_LIQUIDITY,
  SCAM_TOKEN_SUPPLY,
  SEED_LIQUIDITY,
} from './fixtures.js';
export {
  createEdrForkProvider,
  type EdrForkOptions,
  type Eip1193Provider,
  HARDHAT_ACCOUNT_BALANCE,
  HARDHAT_ACCOUNT_COUNT,
  HARDHAT_MNEMONIC,
} from './hardhat.js';
