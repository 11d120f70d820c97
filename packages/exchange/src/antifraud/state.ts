/**
 * What the anti-fraud engine remembers between evaluations, behind `FraudState` so a shared store
 * (Redis, PostgreSQL) can replace the in-memory one when several gateway processes run: networks
 * seen per API key, which accounts of a broker ordered in which illiquid pair lately, the
 * overpayment charged to each account, each account's recent risky orders, and the counterparties
 * suspected of being paid by them. Every method is a single step a shared store can make atomic;
 * `chargeOverpayment` in particular checks and adds in one go, so two concurrent orders cannot
 * both fit under the cap. Times are epoch milliseconds.
 *
 * `MemoryFraudState` keeps all of it in bounded maps: least recently used keys, accounts and
 * (broker, pair) buckets are dropped beyond the limits, time-windowed entries are pruned as they
 * are read, and an account's overpayment list, when too long, merges its oldest entries (keeping
 * the later time) rather than dropping any amount.
 */
import { Decimal } from '@custos/core';
import { cmp, plus, VALUE_SCALE } from './amount.js';
import type { FraudOrderSide } from './types.js';

export interface IpObservation {
  /** When the key was first seen from any network (this one included). */
  keyFirstSeen: number;
  /** When the key was first seen from this network (now, if never before). */
  networkFirstSeen: number;
  /** True when this call is the key's first sighting from this network. */
  firstSighting: boolean;
}

/** The networks each API key was used from; `DbKeyIpHistory` keeps it in the audit database. */
export interface KeyIpHistory {
  observeIp(apiKey: string, network: string, at: number): Promise<IpObservation>;
}

/** An order evaluated in risky conditions, remembered for fills fed back and for withdrawals. */
export interface RiskyOrderNote {
  accountId: bigint;
  instId: string;
  side: FraudOrderSide;
  at: number;
  /** The reference price the order was judged against (null if there was none). */
  reference: Decimal | null;
  /** Whether the order was refused (then no fill can follow, but the note still counts for withdrawals). */
  refused: boolean;
  /** Whether the order's price itself was the risk (far from the reference, paid to a suspect, or beyond tolerance in a thin book). */
  priceRisk: boolean;
}

export interface SuspicionSummary {
  /** Distinct accounts that paid (or would have paid) this account far from the reference. */
  victims: number;
  lastAt: number;
}

export interface FraudState extends KeyIpHistory {
  /** Notes an order of `accountId` (with a key of `brokerId`) in `instId`; distinct accounts within the window, this one included. */
  noteBrokerOrder(brokerId: string, instId: string, accountId: bigint, at: number, windowMs: number): Promise<number>;
  /**
   * Adds `amount` to the account's overpayment within the window if the total stays at or below
   * `limit`; otherwise adds nothing. `total` is the total after the charge, or the unchanged one.
   */
  chargeOverpayment(
    accountId: bigint,
    amount: Decimal,
    limit: Decimal,
    at: number,
    windowMs: number,
  ): Promise<{ charged: boolean; total: Decimal }>;
  noteRiskyOrder(note: RiskyOrderNote): Promise<void>;
  /** The account's risky orders noted within the window, newest last. */
  riskyOrders(accountId: bigint, at: number, windowMs: number): Promise<readonly RiskyOrderNote[]>;
  /** Notes that `victim` paid (or would have paid) `counterparty` far from the reference. */
  noteSuspect(counterparty: bigint, victim: bigint, at: number): Promise<void>;
  suspicion(accountId: bigint, at: number, windowMs: number): Promise<SuspicionSummary | null>;
}

export interface MemoryFraudStateLimits {
  /** API keys whose networks are remembered. */
  maxKeys?: number;
  /** Networks remembered per key (least recently used go first). */
  maxNetworksPerKey?: number;
  /** Accounts with overpayment, risky orders or suspicion remembered (each kind separately). */
  maxAccounts?: number;
  /** (broker, pair) buckets remembered. */
  maxBrokerPairs?: number;
  /** Entries per account list or bucket. */
  maxEntries?: number;
}

/** A Map that forgets its least recently used entries beyond `limit`. */
class Lru<K, V> {
  readonly #map = new Map<K, V>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.#limit) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.#map.delete(key);
  }
}

interface KeyNetworks {
  firstSeen: number;
  networks: Lru<string, number>;
}

interface Charge {
  at: number;
  amount: Decimal;
}

export class MemoryFraudState implements FraudState {
  readonly #maxNetworks: number;
  readonly #maxEntries: number;
  readonly #maxAccounts: number;
  readonly #keys: Lru<string, KeyNetworks>;
  readonly #broker: Lru<string, Map<bigint, number>>;
  readonly #charges: Lru<bigint, Charge[]>;
  readonly #risky: Lru<bigint, RiskyOrderNote[]>;
  readonly #suspects: Lru<bigint, Map<bigint, number>>;

  constructor(limits: MemoryFraudStateLimits = {}) {
    this.#maxNetworks = limits.maxNetworksPerKey ?? 32;
    this.#maxEntries = limits.maxEntries ?? 1_000;
    this.#maxAccounts = limits.maxAccounts ?? 100_000;
    this.#keys = new Lru(limits.maxKeys ?? 100_000);
    this.#broker = new Lru(limits.maxBrokerPairs ?? 10_000);
    this.#charges = new Lru(this.#maxAccounts);
    this.#risky = new Lru(this.#maxAccounts);
    this.#suspects = new Lru(this.#maxAccounts);
  }

  async observeIp(apiKey: string, network: string, at: number): Promise<IpObservation> {
    let key = this.#keys.get(apiKey);
    if (key === undefined) {
      key = { firstSeen: at, networks: new Lru(this.#maxNetworks) };
      this.#keys.set(apiKey, key);
    }
    const seen = key.networks.get(network);
    const networkFirstSeen = seen === undefined ? at : Math.min(seen, at);
    key.networks.set(network, networkFirstSeen);
    key.firstSeen = Math.min(key.firstSeen, networkFirstSeen);
    return { keyFirstSeen: key.firstSeen, networkFirstSeen, firstSighting: seen === undefined };
  }

  async noteBrokerOrder(
    brokerId: string,
    instId: string,
    accountId: bigint,
    at: number,
    windowMs: number,
  ): Promise<number> {
    const bucketKey = `${brokerId}\u0000${instId}`;
    let bucket = this.#broker.get(bucketKey);
    if (bucket === undefined) {
      bucket = new Map();
      this.#broker.set(bucketKey, bucket);
    }
    for (const [account, last] of bucket) if (last <= at - windowMs) bucket.delete(account);
    bucket.delete(accountId);
    bucket.set(accountId, at);
    while (bucket.size > this.#maxEntries) {
      const oldest = bucket.keys().next();
      if (oldest.done) break;
      bucket.delete(oldest.value);
    }
    return bucket.size;
  }

  async chargeOverpayment(
    accountId: bigint,
    amount: Decimal,
    limit: Decimal,
    at: number,
    windowMs: number,
  ): Promise<{ charged: boolean; total: Decimal }> {
    const charges = (this.#charges.get(accountId) ?? []).filter((c) => c.at > at - windowMs);
    let total = Decimal.zero(VALUE_SCALE);
    for (const c of charges) total = plus(total, c.amount);
    const after = plus(total, amount);
    const charged = !amount.isNegative() && cmp(after, limit) <= 0;
    if (charged && !amount.isZero()) {
      charges.push({ at, amount });
      while (charges.length > this.#maxEntries) {
        const [a, b] = charges.splice(0, 2) as [Charge, Charge];
        charges.unshift({ at: Math.max(a.at, b.at), amount: plus(a.amount, b.amount) });
      }
    }
    if (charges.length > 0) this.#charges.set(accountId, charges);
    else this.#charges.delete(accountId);
    return { charged, total: charged ? after : total };
  }

  async noteRiskyOrder(note: RiskyOrderNote): Promise<void> {
    const notes = this.#risky.get(note.accountId) ?? [];
    notes.push(note);
    if (notes.length > this.#maxEntries) notes.splice(0, notes.length - this.#maxEntries);
    this.#risky.set(note.accountId, notes);
  }

  async riskyOrders(accountId: bigint, at: number, windowMs: number): Promise<readonly RiskyOrderNote[]> {
    const notes = this.#risky.get(accountId);
    if (notes === undefined) return [];
    const live = notes.filter((n) => n.at > at - windowMs);
    if (live.length === 0) this.#risky.delete(accountId);
    else if (live.length !== notes.length) this.#risky.set(accountId, live);
    return live.filter((n) => n.at <= at);
  }

  async noteSuspect(counterparty: bigint, victim: bigint, at: number): Promise<void> {
    let victims = this.#suspects.get(counterparty);
    if (victims === undefined) {
      victims = new Map();
      this.#suspects.set(counterparty, victims);
    }
    victims.delete(victim);
    victims.set(victim, Math.max(at, victims.get(victim) ?? at));
    while (victims.size > this.#maxEntries) {
      const oldest = victims.keys().next();
      if (oldest.done) break;
      victims.delete(oldest.value);
    }
  }

  async suspicion(accountId: bigint, at: number, windowMs: number): Promise<SuspicionSummary | null> {
    const victims = this.#suspects.get(accountId);
    if (victims === undefined) return null;
    let count = 0;
    let lastAt = 0;
    for (const [victim, last] of victims) {
      if (last <= at - windowMs) {
        victims.delete(victim);
        continue;
      }
      count++;
      lastAt = Math.max(lastAt, last);
    }
    if (victims.size === 0) this.#suspects.delete(accountId);
    return count === 0 ? null : { victims: count, lastAt };
  }
}
