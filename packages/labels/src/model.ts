/**
 * The label model. A label says one thing one source believes about one address in one scope:
 * its tier (allow → normal notice, gray → risk warning, block → refuse), a category, a name, when
 * the source first saw it and how sure it is. Scope is a chain id, or `EVM_FAMILY` (0) for labels
 * about a key holder: a sanctioned or phishing EOA is the same key on every EVM chain, while a
 * contract label belongs to the chain its contract lives on.
 */
import { BaseError } from '@custos/core';

export const TIERS = ['allow', 'gray', 'block'] as const;
export type Tier = (typeof TIERS)[number];

/** Severity order used by the precedence policy: allow < gray < block. */
export const TIER_SEVERITY: Readonly<Record<Tier, number>> = { allow: 0, gray: 1, block: 2 };

/** Scope 0: every EVM chain (key-holder labels). Any other value is an EIP-155 chain id. */
export const EVM_FAMILY = 0;

/**
 * Well-known categories. A source may use another lowercase slug; the index stores categories in
 * a table, so the set is open.
 */
export const CATEGORIES = [
  'phishing',
  'drainer',
  'scam',
  'sanctioned',
  'exploit',
  'heist',
  'mixer',
  'honeypot',
  'fake-token',
  'mev-bot',
  'flagged',
  'exchange',
  'protocol',
  'token',
  'bridge',
  'wallet',
  'benign',
  'other',
] as const;

/**
 * How much a source is trusted, lowest first. The precedence policy uses it so that a scraped or
 * community list can warn about an address a more trusted source allows, but never block it.
 */
export const TRUST_LEVELS = ['community', 'scraped', 'curated', 'authoritative'] as const;
export type Trust = (typeof TRUST_LEVELS)[number];
export const TRUST_RANK: Readonly<Record<Trust, number>> = { community: 0, scraped: 1, curated: 2, authoritative: 3 };

/** A lowercase, 0x-prefixed, 40-hex-digit address. */
export type Address = `0x${string}`;

export interface Label {
  /** `EVM_FAMILY` (0) or an EIP-155 chain id. */
  scope: number;
  address: Address;
  tier: Tier;
  /** A lowercase slug, usually one of `CATEGORIES`. */
  category: string;
  /** Free text from the source (may be empty). */
  name: string;
  /** Source id, e.g. `ofac-ultrasoundmoney`. */
  source: string;
  /** Unix seconds the source first listed the address, or 0 when it does not say. */
  firstSeen: number;
  /** 0–100: how sure the source is. */
  confidence: number;
  /**
   * `delisted`: a sanction that a newer snapshot of the same authority's list no longer carries
   * (it becomes gray). Set by the store, never by an importer.
   */
  status: 'active' | 'delisted';
}

/** What a domain list says: block it, never block it, or treat it as a look-alike target. */
export const DOMAIN_LISTS = ['block', 'allow', 'fuzzy'] as const;
export type DomainList = (typeof DOMAIN_LISTS)[number];

export interface DomainLabel {
  /** Lowercase ASCII hostname (IDNs in punycode), no trailing dot. */
  domain: string;
  list: DomainList;
  source: string;
  /** A comment from the source (may be empty). */
  name: string;
}

/** A tier an operator sets by hand; it beats every source. */
export interface Override {
  scope: number;
  address: Address;
  tier: Tier;
  reason: string;
  /** Who set it (an account id or `operator`). */
  by: string;
  at: Date;
}

/** The answer to a look-up. `tier: 'none'` means no source knows the address in that scope. */
export interface LookupResult {
  address: Address;
  chainId: number;
  tier: Tier | 'none';
  /** Why the tier is what it is: the precedence rule that decided it. */
  decidedBy: PrecedenceRule;
  labels: LabelView[];
  override?: Override;
}

export interface LabelView extends Omit<Label, 'firstSeen'> {
  /** ISO date or null. */
  firstSeen: string | null;
  /** The tier this label contributes after the policy's adjustments. */
  effectiveTier: Tier;
  trust: Trust;
}

export type PrecedenceRule =
  | 'none'
  | 'override'
  | 'max-severity'
  | 'trusted-allow-caps-untrusted-block'
  | 'delisted-sanction-is-gray'
  | 'known-token-never-blocked';

export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && (TIERS as readonly string[]).includes(value);
}

export function isTrust(value: unknown): value is Trust {
  return typeof value === 'string' && (TRUST_LEVELS as readonly string[]).includes(value);
}

const ADDRESS_RE = /^(0x|0X)?[0-9a-fA-F]{40}$/;

/**
 * Normalises an address for look-up and storage: case-insensitive and checksum-agnostic (EIP-55
 * mixed case is accepted whatever its checksum, since labels come from sources that lowercase,
 * uppercase or checksum at random). Anything else is a typed `LABELS_INVALID_ADDRESS` error.
 */
export function normalizeAddress(input: unknown, field = 'address'): Address {
  if (typeof input !== 'string' || !ADDRESS_RE.test(input.trim())) {
    throw new BaseError('LABELS_INVALID_ADDRESS', `"${field}" is not a 20-byte hex address`, {
      details: { field, got: typeof input === 'string' ? input.slice(0, 64) : typeof input },
      hints: ['An EVM address is 0x followed by 40 hex digits.'],
    });
  }
  const s = input.trim().toLowerCase();
  return (s.startsWith('0x') ? s : `0x${s}`) as Address;
}

/** Like `normalizeAddress` but returns null instead of throwing (for importers that report rows). */
export function tryNormalizeAddress(input: unknown): Address | null {
  return typeof input === 'string' && ADDRESS_RE.test(input.trim()) ? normalizeAddress(input) : null;
}

/** A chain id: a positive safe integer (a scope of 0 is the EVM family and is not a chain). */
export function normalizeChainId(input: unknown, field = 'chainId'): number {
  const n = typeof input === 'string' && /^[0-9]{1,16}$/.test(input) ? Number(input) : input;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0 || n > 0xffffffff) {
    throw new BaseError('INVALID_INPUT', `"${field}" expected a chain id (1..4294967295)`, {
      details: { field, got: String(input).slice(0, 32) },
    });
  }
  return n;
}

/** Parses a scope: `evm` (or 0) is the EVM family, anything else a chain id. */
export function parseScope(input: unknown, field = 'scope'): number {
  if (input === 'evm' || input === 0 || input === '0') return EVM_FAMILY;
  return normalizeChainId(input, field);
}

export function scopeName(scope: number): string {
  return scope === EVM_FAMILY ? 'evm' : String(scope);
}
