/**
 * API keys (permissions, passphrase, IP and broker allowlists, expiry) and OKX-v5-compatible
 * request authentication.
 */
export {
  type AuthenticatedKey,
  createOkxAuthenticator,
  type OkxAuthenticator,
  type OkxAuthenticatorOptions,
  type OkxAuthRequest,
  type OkxAuthResult,
} from './authenticate.js';
export { type Clock, systemClock } from './clock.js';
export {
  isOkxErrorCode,
  OKX_ERRORS,
  OKX_REPLAY_MSG,
  type OkxErrorCode,
  type OkxErrorEntry,
  type OkxErrorParams,
  type OkxErrorResponse,
  okxError,
} from './errors.js';
export { compileAllowlist, type IpMatcher, ipAllowed, normaliseIp, parseAllowEntry, parseAllowlist } from './ip.js';
export {
  isIdleExpiring,
  isPermission,
  KEY_LIMITS,
  type KeyStatus,
  type KeyTimes,
  keyExpiry,
  keyStatusAt,
  PERMISSIONS,
  type Permission,
  type StoredKeyStatus,
} from './policy.js';
export {
  MemoryReplayGuard,
  type MemoryReplayGuardOptions,
  RedisReplayGuard,
  type RedisReplayGuardOptions,
  type RedisSetNx,
  type ReplayGuard,
} from './replay.js';
export { OKX_TIMESTAMP, okxPrehash, okxSign, okxTimestamp, parseOkxTimestamp } from './sign.js';
export {
  type ApiKeySpec,
  ApiKeyStore,
  type ApiKeyStoreOptions,
  type ApiKeyView,
  type AuthKeyRecord,
  type Broker,
  type BrokerSpec,
  type CreatedApiKey,
  type KeySource,
  type ListOptions,
  type RotatedApiKey,
  type RotateOptions,
} from './store.js';
