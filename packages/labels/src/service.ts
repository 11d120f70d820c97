/**
 * Look-ups as a user sees them: an address on a chain, or a domain, answered from the compiled
 * index, with operator overrides from a small mutable overlay checked first, and the precedence
 * policy applied to the labels in scope (the chain's own labels and the EVM family's).
 */
import { fileURLToPath } from 'node:url';
import type { DomainLookupResult } from './domains.js';
import { LabelIndex, parseAddressInto } from './index-file.js';
import {
  type Address,
  EVM_FAMILY,
  type LookupResult,
  normalizeAddress,
  normalizeChainId,
  type Override,
} from './model.js';
import { decide } from './policy.js';

/** The default label set compiled from the shipped sources (see data/sources/SOURCES.md). */
export const DEFAULT_INDEX_PATH = fileURLToPath(new URL('../data/default.clx', import.meta.url));

function overlayKey(scope: number, address: Address): string {
  return `${scope}:${address}`;
}

export class LabelService {
  #index: LabelIndex;
  readonly #overrides = new Map<string, Override>();
  readonly #key = new Uint8Array(20);

  constructor(index: LabelIndex, overrides: Iterable<Override> = []) {
    this.#index = index;
    for (const o of overrides) this.#overrides.set(overlayKey(o.scope, o.address), o);
  }

  /** Opens the shipped default index (works right after install, no import step). */
  static openDefault(): LabelService {
    return new LabelService(LabelIndex.open(DEFAULT_INDEX_PATH));
  }

  get index(): LabelIndex {
    return this.#index;
  }

  /** Swaps in a newly compiled index; the old one is closed. */
  replaceIndex(index: LabelIndex): void {
    const old = this.#index;
    this.#index = index;
    if (old !== index) old.close();
  }

  /** Replaces the whole overlay (after reloading overrides from the store). */
  replaceOverrides(overrides: Iterable<Override>): void {
    this.#overrides.clear();
    for (const o of overrides) this.#overrides.set(overlayKey(o.scope, o.address), o);
  }

  setOverride(override: Override): void {
    this.#overrides.set(overlayKey(override.scope, override.address), override);
  }

  removeOverride(scope: number, address: Address): void {
    this.#overrides.delete(overlayKey(scope, address));
  }

  get overrideCount(): number {
    return this.#overrides.size;
  }

  /**
   * Labels and tier of `address` on `chainId`. Case-insensitive and checksum-agnostic; an
   * invalid address or chain id is a typed error (LABELS_INVALID_ADDRESS / INVALID_INPUT).
   */
  lookupAddress(input: string, chainId: number | string = 1): LookupResult {
    const chain =
      typeof chainId === 'number' && chainId > 0 && chainId <= 0xffffffff && Number.isInteger(chainId)
        ? chainId
        : normalizeChainId(chainId);
    // Fast path: a well-formed address parses straight into the key; anything else goes through
    // normalizeAddress, which trims or throws the typed error.
    let address: Address;
    if (typeof input === 'string' && parseAddressInto(input, this.#key)) {
      const lower = input.toLowerCase();
      address = (lower.length === 42 ? lower : `0x${lower}`) as Address;
    } else {
      address = normalizeAddress(input);
      parseAddressInto(address, this.#key);
    }
    const hit = this.#index.find(this.#key, (scope) => scope === EVM_FAMILY || scope === chain);
    const override =
      this.#overrides.size > 0
        ? (this.#overrides.get(overlayKey(chain, address)) ?? this.#overrides.get(overlayKey(EVM_FAMILY, address)))
        : undefined;
    const decision = decide({ labels: hit ? hit.labels : [], address, trustOf: this.#index.trustOf, override });
    const result: LookupResult = {
      address,
      chainId: chain,
      tier: decision.tier,
      decidedBy: decision.decidedBy,
      labels: decision.labels,
    };
    if (override) result.override = override;
    return result;
  }

  lookupDomain(input: string): DomainLookupResult {
    return this.#index.domains.lookup(input);
  }

  close(): void {
    this.#index.close();
  }
}
