/**
 * @custos/por: proof of reserves. A round's liabilities Merkle sum tree built streaming from a
 * snapshot (every node binding both children's hashes and per-asset sums), users' inclusion proofs
 * (`por-proof/v1`) and their pure verifier, the Ed25519-signed root file, and verifiers for OKX's
 * published formats and reserve files, and the static publication bundle with its verifier page.
 */
export {
  BUILD_VERSION,
  type BuildOptions,
  type BuildPhase,
  type BuildProgress,
  type BuildResult,
  type BuildState,
  buildLiabilitiesTree,
  deriveSaltSecret,
  entryBytes,
  levelPath,
  readBuildState,
} from './build.js';
export {
  type BundleDocument,
  bundleVerifierScript,
  type PublicationBundle,
  type PublicationBundleOptions,
  writePublicationBundle,
} from './bundle.js';
export * from './encoding.js';
export * from './okx/index.js';
export { RoundReader } from './proof.js';
export * from './reserves/index.js';
export * from './root.js';
export {
  MAX_SCALE,
  parseAssetColumn,
  parseBalance,
  type RowBatch,
  readSnapshotHeader,
  readSnapshotRows,
  type SnapshotFormat,
  type SnapshotHeader,
} from './snapshot.js';
export * from './verify.js';
// The zero-knowledge round: the solvency AIR, batches, aggregation, por-proof/v2 (the PostgreSQL
// proving queue is `@custos/por/queue`, apart: it loads pg-boss).
export * from './zk/air.js';
export * from './zk/leaf.js';
export * from './zk/prove.js';
export * from './zk/round.js';
export * from './zk/trace.js';
