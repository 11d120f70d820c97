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
 * In-process guard: two generations of a Map from id to expiry. Records go into the current
 * generation; a lookup reads both (an expired record counts as absent, so an id is forgotten exactly
 * when its ttl ends). When the current generation is as old as the longest ttl seen, the previous
 * one — every record in it inserted at least that long ago, so expired — is dropped whole and the
 * current one takes its place. No per-record sweeping: O(1) work per call, and the Map holds at most
 * two ttl-spans of accepted requests (only accepted requests are recorded).
 */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #clock: Clock;
  #current = new Map<string, number>();
  #previous = new Map<string, number>();
  #currentSince: number;
  #longestTtl = 0;

  constructor(options: MemoryReplayGuardOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#currentSince = this.#clock.now();
  }

  /** Records held, expired ones of the two generations included. */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  async firstSeen(id: string, ttlMs: number): Promise<boolean> {
    const ttl = checkTtl(ttlMs);
    const now = this.#clock.now();
    if (ttl > this.#longestTtl) this.#longestTtl = ttl;
    const age = now - this.#currentSince;
    if (age >= this.#longestTtl) {
      this.#previous = this.#current;
      this.#current = new Map();
      this.#currentSince = now;
    } else if (age < 0) {
      // The clock went back: the current span restarts now, both generations kept.
      this.#currentSince = now;
    }
    const expiry = this.#current.get(id) ?? this.#previous.get(id);
    if (expiry !== undefined && expiry > now) return false;
    this.#current.set(id, now + ttl);
    return true;
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
