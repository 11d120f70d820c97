/**
 * Node's native SHA-256 for the prover's bulk hashing (Merkle trees of the LDE, grinding): the
 * one-shot `crypto.hash` is about three times faster than the pure-JS hash on 25–65-byte inputs.
 * Its digests are the same bytes as @noble/hashes's, which the verifier uses, so the prover may use
 * either. Node-only: nothing on the verifier's side imports this module.
 */
import { hash } from 'node:crypto';

export function nativeSha256(data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer');
}
