/**
 * The rules of an API key that do not need the database: permissions, limits, the idle expiry of
 * unbound trading keys, and the status a key has at a given instant.
 */

export const PERMISSIONS = ['read', 'trade', 'withdraw'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Stored status; `expired` is never stored, it is computed from the times (see keyStatusAt). */
export type StoredKeyStatus = 'active' | 'frozen' | 'revoked';
export type KeyStatus = StoredKeyStatus | 'expired';

export const KEY_LIMITS = {
  /** Non-revoked keys per account. */
  maxKeysPerAccount: 50,
  /** Entries of a key's own IP allowlist. */
  maxIpAllowlist: 20,
  /** CIDR ranges of one broker. */
  maxBrokerCidrs: 100,
  /** Label length in characters. */
  maxLabel: 50,
  /** Freeze reason length in characters. */
  maxFrozenReason: 200,
  /** A trade/withdraw key bound to no IP (own list or broker) expires after this long unused. */
  idleExpiryMs: 14 * 24 * 60 * 60 * 1000,
} as const;

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** The facts the time rules read; times in ms since the epoch. */
export interface KeyTimes {
  readonly permissions: readonly Permission[];
  readonly ipAllowlist: readonly string[];
  readonly brokerId: string | null;
  readonly createdAt: number;
  /** Last successful authentication; null when never used. */
  readonly lastUsedAt: number | null;
  /** Explicit expiry chosen at creation; null when none. */
  readonly expiresAt: number | null;
}

/** Whether the idle expiry applies: it can trade or withdraw and is bound to no IP at all. */
export function isIdleExpiring(key: Pick<KeyTimes, 'permissions' | 'ipAllowlist' | 'brokerId'>): boolean {
  const powerful = key.permissions.includes('trade') || key.permissions.includes('withdraw');
  return powerful && key.ipAllowlist.length === 0 && key.brokerId === null;
}

/**
 * The first instant the key no longer works (the earlier of its explicit expiry and, for an
 * unbound trade/withdraw key, 14 days after its last use or its creation), or null when never.
 */
export function keyExpiry(key: KeyTimes): number | null {
  const idle = isIdleExpiring(key) ? (key.lastUsedAt ?? key.createdAt) + KEY_LIMITS.idleExpiryMs : null;
  if (idle === null) return key.expiresAt;
  return key.expiresAt === null ? idle : Math.min(idle, key.expiresAt);
}

/** The status at `now`: revoked wins, then expired (at or after the expiry instant), then stored. */
export function keyStatusAt(key: KeyTimes & { readonly status: StoredKeyStatus }, now: number): KeyStatus {
  if (key.status === 'revoked') return 'revoked';
  const expiry = keyExpiry(key);
  if (expiry !== null && now >= expiry) return 'expired';
  return key.status;
}
