/**
 * Independent references for the field tests and benchmarks: BigInt arithmetic modulo BabyBear's
 * prime (slow, but with no precision questions) and a seeded generator, so a failure reproduces.
 */
import type { Ext } from '../math/ext.js';
import { W } from '../math/ext.js';
import { P } from '../math/field.js';

export const PB = BigInt(P);

export const mod = (x: bigint): bigint => ((x % PB) + PB) % PB;

export function modPow(base: bigint, e: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let n = e;
  while (n > 0n) {
    if (n & 1n) result = (result * b) % PB;
    b = (b * b) % PB;
    n >>= 1n;
  }
  return result;
}

/** A seeded generator (mulberry32), so a failure reproduces. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform elements of [0, p) by rejection from 31 random bits. */
export function below(p: number, next: () => number): number {
  for (;;) {
    const r = next() >>> 1;
    if (r < p) return r;
  }
}

/** Uniform BabyBear elements from a seed. */
export function fieldSampler(seed: number): () => number {
  const next = rng(seed);
  return () => below(P, next);
}

const WB = BigInt(W);

/** An extension element with BigInt coordinates. */
export type BigExt = [bigint, bigint, bigint, bigint];
export const toBig = (a: Readonly<Ext>): BigExt => [BigInt(a[0]), BigInt(a[1]), BigInt(a[2]), BigInt(a[3])];
export const fromBig = (a: BigExt): Ext => [Number(a[0]), Number(a[1]), Number(a[2]), Number(a[3])];

/** Schoolbook product of two degree-3 polynomials, then X^(4+k) → W·X^k. */
export function mulRef(a: BigExt, b: BigExt): BigExt {
  const c = new Array<bigint>(7).fill(0n);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) c[i + j] = (c[i + j] as bigint) + (a[i] as bigint) * (b[j] as bigint);
  }
  for (let k = 6; k >= 4; k--) c[k - 4] = (c[k - 4] as bigint) + WB * (c[k] as bigint);
  return [mod(c[0] as bigint), mod(c[1] as bigint), mod(c[2] as bigint), mod(c[3] as bigint)];
}
