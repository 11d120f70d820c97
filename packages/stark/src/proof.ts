/**
 * A STARK proof as the prover produces it and the verifier reads it. The binary encoding lives in
 * `encoding.ts`.
 */
import type { MerkleOpening } from './crypto/merkle.js';
import type { ProofOptions } from './fri/params.js';
import type { FriProof } from './fri/verifier.js';

export const PROOF_VERSION = 1;

export interface OodFrame {
  /** Main columns at z and at z·g (packed extension elements, one per column). */
  readonly mainZ: Uint32Array;
  readonly mainZg: Uint32Array;
  /** Aux columns at z and z·g (packed extension elements). */
  readonly auxZ: Uint32Array;
  readonly auxZg: Uint32Array;
  /** Composition chunks at z (packed extension elements). */
  readonly chunksZ: Uint32Array;
}

export interface StarkProof {
  readonly version: number;
  readonly options: ProofOptions;
  readonly logTraceLength: number;
  readonly mainRoot: Uint8Array;
  /** Empty when the AIR has no second phase. */
  readonly auxRoot: Uint8Array;
  readonly chunksRoot: Uint8Array;
  /** Commits to the composition chunks and, with zero knowledge, the FRI mask R (one more column). */
  readonly ood: OodFrame;
  readonly fri: FriProof;
  readonly powNonce: number;
  readonly mainOpening: MerkleOpening;
  readonly auxOpening: MerkleOpening | null;
  readonly chunksOpening: MerkleOpening;
}
