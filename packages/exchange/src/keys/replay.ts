/**
 * Replay protection for signed requests. `firstSeen(id, ttl)` records `id` for `ttl` ms and says
 * whether it was new; a second call with the same id inside the ttl answers false. The check and the
 * record are one atomic step, so two copies of one request racing each other cannot both pass.
 * The memory guard serves one process; the Redis guard is shared by every gateway node.
 */
import { BaseError } from '@custos/core';
import { type Clock, systemClock } from './clock.js';

export interface ReplayGuard {
  /** True when `id` was not recorded (or its record expired); records it for `ttlMs` either way. */
  firstSeen(id: string, ttlMs: number): Promise<boolean>;
}

function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 1) {
    throw new BaseError('INVALID_INPUT', `a replay record's lifetime must be a positive number of ms, got ${ttlMs}`, {
      details: { field: 'ttlMs' },
    });
  }
  return Math.ceil(ttlMs);
}

export interface MemoryReplayGuardOptions {
  clock?: Clock;
}

/**
 * In-process guard: a Map from id to expiry. Each call also advances a cursor (one long-lived Map
 * iterator; Map iterators see later insertions and skip deleted entries) over up to two entries:
 * an expired one is dropped, a live one is moved to the back. Every call adds at most one entry and
 * visits two, so entries are examined round-robin and an expired one is gone within about one
 * pass: the Map stays within a small factor of the live records, at O(1) amortised work per call
 * (the cursor never rescans from the start, so deleted slots are skipped once). Its size is
 * bounded by the accepted-request rate times the ttl, since only accepted requests are recorded.
 */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #clock: Clock;
  readonly #expiries = new Map<string, number>();
  #cursor: MapIterator<[string, number]> = this.#expiries.entries();

  constructor(options: MemoryReplayGuardOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.#expiries.size;
  }

  async firstSeen(id: string, ttlMs: number): Promise<boolean> {
    const ttl = checkTtl(ttlMs);
    const now = this.#clock.now();
    this.#sweep(now, 2);
    const expiry = this.#expiries.get(id);
    if (expiry !== undefined && expiry > now) return false;
    this.#expiries.delete(id);
    this.#expiries.set(id, now + ttl);
    return true;
  }

  #sweep(now: number, visits: number): void {
    for (let i = 0; i < visits; i++) {
      let next = this.#cursor.next();
      if (next.done) {
        // Only when the cursor ran off the end: restart it (at most once per call).
        this.#cursor = this.#expiries.entries();
        next = this.#cursor.next();
        if (next.done) return;
      }
      const [id, expiry] = next.value;
      this.#expiries.delete(id);
      if (expiry > now) this.#expiries.set(id, expiry);
    }
  }
}

/** The part of a Redis client the guard uses; ioredis's `Redis` fits. */
export interface RedisSetNx {
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
}

export interface RedisReplayGuardOptions {
  /** Key prefix; default `custos:okx-replay:`. */
  prefix?: string;
}

/**
 * Shared guard: `SET prefix+id 1 PX ttl NX`, which sets only when absent, atomically. Redis expires
 * the keys on its own clock. A Redis failure rejects the call: the caller must refuse the request
 * (fail closed), never treat it as new.
 */
export class RedisReplayGuard implements ReplayGuard {
  readonly #redis: RedisSetNx;
  readonly #prefix: string;

  constructor(redis: RedisSetNx, options: RedisReplayGuardOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'custos:okx-replay:';
  }

  async firstSeen(id: string, ttlMs: number): Promise<boolean> {
    const ttl = checkTtl(ttlMs);
    return (await this.#redis.set(`${this.#prefix}${id}`, '1', 'PX', ttl, 'NX')) === 'OK';
  }
}
