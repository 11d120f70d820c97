/**
 * What the MPC wallet capability needs besides the database: the box that seals server secrets
 * under the master key, the arithmetic backend (OpenSSL through node:crypto, created on first use
 * because its self-test costs a few milliseconds), and where the pairing's Paillier and
 * ring-Pedersen keys come from (generated per pairing; tests and a future pool pass their own).
 *
 * CPU: Paillier and safe-prime generation run in OpenSSL's thread pool (async generatePrime), but
 * the pairing proofs (Π^mod, Π^prm, Π^fac, Π^log*) and the signing proof check are synchronous
 * modular exponentiations on the event loop — a pairing blocks it for seconds, a signature for tens
 * of milliseconds. Worker threads are the next step if pairing volume grows.
 */
import type { Arithmetic, PaillierSecretKey, RingPedersenSecret } from '@custos/mpc';
import { createNodeArithmetic } from '@custos/mpc/node';
import { SecretBox } from './secrets.js';

/** Pre-generated keys for one pairing (absent: generated during the pairing round). */
export interface PairingKeys {
  readonly paillier?: PaillierSecretKey;
  readonly ringPedersen?: RingPedersenSecret;
}

export interface MpcServices {
  readonly secrets: SecretBox;
  arithmetic(): Arithmetic;
  pairingKeys(): Promise<PairingKeys>;
  /** How long a protocol session may take from start to finish. */
  readonly sessionTtlMs: number;
}

export interface MpcServicesOptions {
  masterKey: Uint8Array;
  /** Default: OpenSSL (`createNodeArithmetic`). */
  arithmetic?: Arithmetic;
  pairingKeys?: () => Promise<PairingKeys>;
  sessionTtlMs?: number;
}

export const DEFAULT_SESSION_TTL_MS = 15 * 60_000;

export function createMpcServices(options: MpcServicesOptions): MpcServices {
  let arith = options.arithmetic;
  return {
    secrets: new SecretBox(options.masterKey),
    arithmetic() {
      arith ??= createNodeArithmetic();
      return arith;
    },
    pairingKeys: options.pairingKeys ?? (async () => ({})),
    sessionTtlMs: options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
  };
}
