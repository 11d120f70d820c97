/**
 * @custos/mpc — the keyless wallet's cryptography: a 2-of-3 Feldman DKG (server, device, cloud
 * backup), Lindell17 two-party ECDSA between server and device with CGGMP21 proofs, refresh,
 * BIP-32 derivation, the password-encrypted backup and the offline escape, plus the device-side
 * client. Nothing here imports `node:`; Node-only pieces (OpenSSL arithmetic, file stores) are in
 * `@custos/mpc/node`.
 */
export type { Arithmetic, PrimeKind } from './arith/backend.js';
export { createBigIntArithmetic } from './arith/bigint.js';
export * from './backup.js';
export { createIndexedDbDeviceStore } from './browser/store.js';
export { decodePoint, pointToHex, q, randomScalar, scalarToHex, wireHexToBytes } from './curve.js';
export * from './derivation.js';
export * from './device/auth.js';
export * from './device/client.js';
export * from './device/store.js';
export * from './device/wallet.js';
export { check, MpcError, type MpcErrorCode } from './errors.js';
export * from './escape.js';
export * from './paillier.js';
export * from './params.js';
export * from './password.js';
export * from './protocol/dkg.js';
export * from './protocol/envelope.js';
export * from './protocol/lindell.js';
export * from './protocol/pairing.js';
export * from './protocol/refresh.js';
export * from './protocol/sign.js';
export {
  generateRingPedersen,
  paramsFromJson as ringPedersenParamsFromJson,
  paramsToJson as ringPedersenParamsToJson,
  type RingPedersenParams,
  type RingPedersenSecret,
  ringPedersenFromPrimes,
  secretFromJson as ringPedersenSecretFromJson,
  secretToJson as ringPedersenSecretToJson,
} from './ring-pedersen.js';
export * from './shamir.js';
export { Transcript } from './transcript.js';
export type { ProofContext } from './zk/context.js';
