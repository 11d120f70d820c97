/**
 * The arithmetic seam of the MPC protocols. Paillier and ring-Pedersen work is dominated by modular
 * exponentiation with 2048- and 4096-bit moduli, so it sits behind one interface: OpenSSL through
 * node:crypto in Node (`@custos/mpc/node`, with a start-up self-test), and pure BigInt everywhere
 * else (browsers, workers). Both pass the same known-answer tests. Prime generation belongs here
 * too: node:crypto's generator in Node, a sieved Miller–Rabin search in BigInt elsewhere.
 */

export type PrimeKind = 'blum' | 'safe';

export interface Arithmetic {
  /** `openssl` (node:crypto) or `bigint` (portable). */
  readonly name: 'openssl' | 'bigint';
  /**
   * base^exponent mod modulus for exponent ≥ 0 and an odd modulus > 1 (every modulus in these
   * protocols is odd: N, N², Ñ and their prime factors). The base may be any integer; it is reduced.
   */
  modPow(base: bigint, exponent: bigint, modulus: bigint): bigint;
  /**
   * A random prime of exactly `bits` bits. `blum`: p ≡ 3 (mod 4). `safe`: p = 2p' + 1 with p' prime
   * (so also p ≡ 3 mod 4 for p > 7).
   */
  generatePrime(bits: number, kind: PrimeKind): Promise<bigint>;
  /** Probabilistic primality with error below 2^-100 for adversarial inputs. */
  isProbablePrime(n: bigint): boolean;
}
