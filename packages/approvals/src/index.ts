/**
 * @custos/approvals: every standing grant over an account's assets — ERC-20 allowances, ERC-721
 * token and operator approvals, ERC-1155 operators, Permit2 allowances and signed permits not yet
 * used — discovered from a chain's JSON-RPC node with no token list, confirmed against the
 * contracts' own view functions, annotated with the risk engine's verdict, and revocable with the
 * right transaction for each kind.
 */
export { type AnnotateOptions, annotateApprovals, grantRequest, type PriceSource } from './annotate.js';
export {
  type DiscoverOptions,
  type DiscoverResult,
  discoverApprovalEvents,
  getBlock,
  REREAD_BLOCKS,
} from './discover.js';
export { CANONICAL_PERMIT2, DISCOVERY_TOPICS, ownerTopic, parseApprovalLog, TOPICS } from './events.js';
export * from './logs.js';
export { permitId, permitRecordsFromVerdict, readLivePermits } from './offchain.js';
export {
  type BuildRevocationsOptions,
  buildRevocations,
  completeRevocation,
  estimateRevocationGas,
  isPending,
  PERMIT2_REVOKE_ABI,
  type PendingRevocation,
  type RevocationJson,
  revocationFromJson,
  revocationToJson,
  type SentRevocation,
  sendRevocations,
} from './revoke.js';
export {
  type ApprovalList,
  ApprovalScanner,
  type ApprovalScannerOptions,
  type ChainAccess,
  type ScanOutcome,
} from './scanner.js';
export { candidatesOf, isRevert, PERMIT2_VIEW_ABI, readLiveApprovals, VIEW_ABI } from './state.js';
export {
  ApprovalStore,
  type Checkpoint,
  type OffchainPermitRecord,
  ScanConflictError,
  type ScanProgress,
  thinCheckpoints,
} from './store.js';
export * from './types.js';
