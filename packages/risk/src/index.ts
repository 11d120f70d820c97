/**
 * @custos/risk: what a request to sign really does, and whether to sign it. Decoders for
 * transactions (raw and JSON-RPC), user operations, EIP-712 typed data and signed messages; pure
 * rules over the decoded intents plus labels, on-chain facts and simulation; one verdict shape,
 * `{action, findings, decoded, simulation?}`, used unchanged by every other capability.
 */
export * from './decode/index.js';
export { decodeRequest, isScanMethod } from './decode/request.js';
export {
  actionOf,
  originHost,
  RiskEngine,
  type RiskEngineOptions,
  type ScanOptions,
  SEVERITY_ACTION,
  type Simulator,
} from './engine.js';
export * from './facts.js';
export { defaultFingerprints, type FingerprintInput, fingerprintsFrom } from './fingerprints.js';
export {
  FIREWALL_REFUSED_CODE,
  type FirewallOptions,
  FirewallRefusedError,
  handleJsonRpc,
  inspect,
  type JsonRpcResponse,
  withFirewall,
} from './firewall.js';
export * from './honeypot.js';
export { foldSymbol, type KnownToken, KnownTokens } from './known-tokens.js';
export {
  invalidRequest,
  normalizeAddressInput,
  normalizeChainIdInput,
  normalizeData,
  normalizeUint,
} from './normalize.js';
export * from './rules/index.js';
export * from './simulate.js';
export { ChainSimulator, type ChainSimulatorOptions } from './simulator.js';
export * from './types.js';
