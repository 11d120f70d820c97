/**
 * Security parameters of the Paillier / ring-Pedersen / ZK layer. These are verifier-side
 * constants: no verifier ever reads a size, a round count, ℓ or ε from a proof (the okx
 * threshold-lib Π^fac and Π^log* read them from the prover, research notes §1.9 items 1–2). Values
 * follow CGGMP21 (ePrint 2021/060): Π^mod Fig. 16 and Π^prm Fig. 17 with m ≥ 80 repetitions
 * (statistical soundness 2^-80), ℓ and ε as in §6 / the Taurus parameter set.
 */

/** |N| of a Paillier modulus, exactly (two 1024-bit Blum primes with the top two bits set). */
export const PAILLIER_BITS = 2048;
/** |Ñ| of a ring-Pedersen modulus, exactly (two 1024-bit safe primes). */
export const RING_PEDERSEN_BITS = 2048;
/** Π^mod repetitions (CGGMP21 Fig. 16; soundness 2^-m). */
export const PI_MOD_ROUNDS = 80;
/** Π^prm repetitions (CGGMP21 Fig. 17; binary challenges, soundness 2^-m). */
export const PI_PRM_ROUNDS = 80;
/** ℓ (CGGMP21 §6): Π^fac proves both factors exceed about √N·2^-(ℓ+ε). */
export const ELL = 256;
/** ε, the slack of the range proofs. */
export const EPSILON = 512;
/** Statistical hiding parameter. */
export const STAT = 80;
