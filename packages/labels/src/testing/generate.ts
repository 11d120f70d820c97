/**
 * Synthetic label records for scale benchmarks: uniformly random addresses emitted in sorted
 * order without holding them all (prefix by prefix: each 3-byte prefix gets its share of
 * addresses, whose 17-byte tails are drawn and sorted), each with one realistic label.
 */
import { randomFillSync } from 'node:crypto';
import { EVM_FAMILY } from '../model.js';
import type { IndexLabel } from '../record.js';

const CATEGORIES = ['phishing', 'drainer', 'scam', 'exploit', 'mixer', 'exchange', 'protocol', 'token'] as const;
const TIER_OF: Record<(typeof CATEGORIES)[number], IndexLabel['tier']> = {
  phishing: 'block',
  drainer: 'block',
  scam: 'block',
  exploit: 'block',
  mixer: 'gray',
  exchange: 'allow',
  protocol: 'allow',
  token: 'allow',
};

/** The label of the i-th generated address (deterministic, so a hit can be checked). */
export function generatedLabel(i: number): IndexLabel {
  const category = CATEGORIES[i % CATEGORIES.length] as (typeof CATEGORIES)[number];
  return {
    scope: i % 5 === 0 ? 1 : EVM_FAMILY,
    tier: TIER_OF[category],
    category,
    name: `${category} ${i % 100_000}`,
    source: 'synthetic-kyt',
    firstSeen: 1_600_000_000 + (i % 100_000_000),
    confidence: 50 + (i % 51),
    status: 'active',
  };
}

/**
 * Calls `emit` with n distinct addresses in strictly increasing order (the buffer is reused:
 * copy it to keep it). Returns how many were emitted (n, less the astronomically rare repeat).
 */
export function generateSortedAddresses(n: number, emit: (address: Uint8Array, i: number) => void): number {
  const prefixes = 2 ** 24;
  const per = n / prefixes;
  const base = Math.floor(per);
  const extra = per - base;
  const address = new Uint8Array(20);
  const pool = new Uint8Array(1 << 24);
  let at = pool.length;
  /** `len` fresh random bytes from the pool; returns their offset. A prefix never needs 16 MiB. */
  const take = (len: number): number => {
    if (at + len > pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    at += len;
    return at - len;
  };
  let keys = new Float64Array(64);
  let offs = new Int32Array(64);
  let emitted = 0;
  for (let p = 0; p < prefixes && emitted < n; p++) {
    let count = base + ((pool[take(1)] as number) / 256 + (pool[take(1)] as number) / 65536 < extra ? 1 : 0);
    count = p === prefixes - 1 ? n - emitted : Math.min(count, n - emitted);
    if (count === 0) continue;
    // All of this prefix's tails come from one stretch of the pool (a refill mid-prefix would
    // overwrite tails already sorted).
    if (at + count * 17 > pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    if (keys.length < count) {
      keys = new Float64Array(count * 2);
      offs = new Int32Array(count * 2);
    }
    // Insertion sort by the first 6 tail bytes (a 48-bit key; ties compared in full).
    for (let k = 0; k < count; k++) {
      const o = take(17);
      const key =
        (pool[o] as number) * 2 ** 40 +
        (pool[o + 1] as number) * 2 ** 32 +
        (((pool[o + 2] as number) << 24) >>> 0) +
        ((pool[o + 3] as number) << 16) +
        ((pool[o + 4] as number) << 8) +
        (pool[o + 5] as number);
      let j = k - 1;
      while (
        j >= 0 &&
        ((keys[j] as number) > key || ((keys[j] as number) === key && tailAfter(pool, offs[j] as number, o)))
      ) {
        keys[j + 1] = keys[j] as number;
        offs[j + 1] = offs[j] as number;
        j--;
      }
      keys[j + 1] = key;
      offs[j + 1] = o;
    }
    address[0] = p >>> 16;
    address[1] = (p >>> 8) & 0xff;
    address[2] = p & 0xff;
    for (let k = 0; k < count; k++) {
      const o = offs[k] as number;
      if (k > 0 && keys[k] === keys[k - 1] && !tailAfter(pool, o, offs[k - 1] as number)) continue;
      address.set(pool.subarray(o, o + 17), 3);
      emit(address, emitted);
      emitted++;
    }
  }
  return emitted;
}

/** Whether the 17-byte tail at a sorts after the one at b. */
function tailAfter(pool: Uint8Array, a: number, b: number): boolean {
  for (let i = 0; i < 17; i++) {
    const d = (pool[a + i] as number) - (pool[b + i] as number);
    if (d !== 0) return d > 0;
  }
  return false;
}
