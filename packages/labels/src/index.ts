export {
  buildDefaultIndex,
  DEFAULT_INDEX_BUILT_AT,
  DEFAULT_SOURCES,
  defaultSourcePath,
  seedDefaultLabels,
  storeIsEmpty,
} from './defaults.js';
export { DomainIndex, type DomainLookupResult, fuzzyForm, normalizeDomain } from './domains.js';
export { getLabelSource, LABEL_SOURCES } from './importers/registry.js';
export type { ImportBatch, ImportOptions, LabelSource, RowError, RowSkip } from './importers/types.js';
export {
  addressToBytes,
  bucketBitsFor,
  bytesToAddress,
  ENTRY_SIZE,
  IndexBuilder,
  type IndexBuilderOptions,
  type IndexBuildStats,
  type IndexHit,
  type IndexMeta,
  LabelIndex,
  parseAddressInto,
} from './index-file.js';
export * from './model.js';
export { decide, KNOWN_TOKEN_SOURCES, type PolicyDecision, type PolicyInput } from './policy.js';
export type { IndexLabel } from './record.js';
export { DEFAULT_INDEX_PATH, LabelService } from './service.js';
export {
  type CompileOptions,
  compileIndex,
  type ImportReport,
  importBatch,
  type LabelState,
  labelState,
  listOverrides,
  type OverrideInput,
  removeOverride,
  type StoreStats,
  setOverride,
  storeStats,
} from './store.js';
