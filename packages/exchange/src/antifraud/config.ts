/**
 * The anti-fraud engine's thresholds, with defaults tuned for a spot exchange quoting in USDT.
 * Ratios are whole basis points (1 % = 100 bps), amounts are decimal strings (or Decimals) in the
 * valuation unit `FraudFacts.balanceValue` answers in, durations are milliseconds.
 */
import { BaseError, type Decimal } from '@custos/core';
import { toAmount } from './amount.js';

export interface AntiFraudConfig {
  /** Price levels per side read from the book. */
  bookDepth: number;
  /** Depth is measured within this band around mid, both sides (±2 %). */
  nearMidBandBps: number;
  /** A pair is illiquid when the value resting within the band, both sides, is below this. */
  minDepthValue: Decimal | string;
  /** ...or when the order's value is more than this share of that depth. */
  maxDepthShareBps: number;
  /** An order whose worst price is more than this above (buy) or below (sell) the reference is far from mid. */
  maxPremiumBps: number;
  /**
   * Paying up to this much over the reference in a thin book is normal (half a spread); beyond it,
   * the order counts as risky for the loss cap and, from a new IP, escalates.
   */
  overpayToleranceBps: number;
  /** In an illiquid pair, an order filling more than this share of the visible opposite side sweeps it. */
  maxSweepBps: number;
  /** A buy worth more than this share of the account's total balance value concentrates it. */
  maxBalanceShareBps: number;
  /** Distinct accounts of one broker ordering in one illiquid pair within the window that make a burst. */
  brokerBurstAccounts: number;
  brokerBurstWindowMs: number;
  /** One account receiving more than this share of an order's far-priced fills concentrates it. */
  counterpartyShareBps: number;
  /** An IP (network) first seen less than this long ago, for a key used before it, is new. */
  newIpWindowMs: number;
  /** IPs are compared by network: an address in a /24 (IPv4) or /64 (IPv6) the key used is not new. */
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** Per account: most estimated overpayment allowed in risky conditions within `lossWindowMs`. */
  lossCap: Decimal | string;
  lossWindowMs: number;
  /** How long an account's risky orders are remembered (for fills fed back, refusals and withdrawals). */
  riskyOrderWindowMs: number;
  /** The account's refused orders within riskyOrderWindowMs (this one included) from which the key is frozen. */
  refusalsBeforeFreeze: number;
  /** How long a counterparty of flagged trades stays suspect. */
  suspectWindowMs: number;
  /** Distinct victims after which a suspect counterparty's withdrawals are frozen. */
  suspectMinVictims: number;
  /** Score from which an action is flagged (recorded) rather than allowed silently. */
  flagScore: number;
  /** Score from which an action is rejected. */
  rejectScore: number;
  /**
   * What a first withdrawal to an address demands (default `reauth`). A gateway whose addresses
   * can only be used after being allow-listed by a signed-in session and waiting out a cooling-off
   * period has had that re-authentication already, and may lower it to `flag`.
   */
  newWithdrawalAddressAction: 'flag' | 'reauth';
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const DEFAULT_ANTIFRAUD_CONFIG: Readonly<AntiFraudConfig> = Object.freeze({
  bookDepth: 50,
  newWithdrawalAddressAction: 'reauth',
  nearMidBandBps: 200,
  minDepthValue: '20000',
  maxDepthShareBps: 2_000,
  maxPremiumBps: 500,
  overpayToleranceBps: 100,
  maxSweepBps: 5_000,
  maxBalanceShareBps: 5_000,
  brokerBurstAccounts: 3,
  brokerBurstWindowMs: 10 * MINUTE,
  counterpartyShareBps: 5_000,
  newIpWindowMs: 24 * HOUR,
  ipv4Prefix: 24,
  ipv6Prefix: 64,
  lossCap: '100',
  lossWindowMs: 24 * HOUR,
  riskyOrderWindowMs: HOUR,
  refusalsBeforeFreeze: 3,
  suspectWindowMs: 72 * HOUR,
  suspectMinVictims: 2,
  flagScore: 2,
  rejectScore: 6,
});

/** The configuration with amounts parsed, every field checked. */
export interface ResolvedAntiFraudConfig extends Omit<AntiFraudConfig, 'minDepthValue' | 'lossCap'> {
  minDepthValue: Decimal;
  lossCap: Decimal;
}

const INTEGER_LIMITS: Record<
  Exclude<keyof AntiFraudConfig, 'minDepthValue' | 'lossCap' | 'newWithdrawalAddressAction'>,
  [number, number]
> = {
  bookDepth: [1, 1_000],
  nearMidBandBps: [1, 9_999],
  maxDepthShareBps: [1, 1_000_000],
  maxPremiumBps: [1, 9_999],
  overpayToleranceBps: [0, 9_999],
  maxSweepBps: [1, 10_000],
  maxBalanceShareBps: [1, 1_000_000],
  brokerBurstAccounts: [2, 1_000_000],
  brokerBurstWindowMs: [1, 30 * 24 * HOUR],
  counterpartyShareBps: [0, 9_999],
  newIpWindowMs: [0, 365 * 24 * HOUR],
  ipv4Prefix: [0, 32],
  ipv6Prefix: [0, 128],
  lossWindowMs: [1, 365 * 24 * HOUR],
  riskyOrderWindowMs: [1, 365 * 24 * HOUR],
  refusalsBeforeFreeze: [1, 1_000],
  suspectWindowMs: [1, 365 * 24 * HOUR],
  suspectMinVictims: [1, 1_000_000],
  flagScore: [1, 1_000],
  rejectScore: [1, 1_000],
};

export function resolveAntiFraudConfig(overrides: Partial<AntiFraudConfig> = {}): ResolvedAntiFraudConfig {
  const merged: AntiFraudConfig = { ...DEFAULT_ANTIFRAUD_CONFIG };
  for (const [key, value] of Object.entries(overrides))
    if (value !== undefined) Object.assign(merged, { [key]: value });
  for (const [key, [lo, hi]] of Object.entries(INTEGER_LIMITS)) {
    const value = merged[key as keyof typeof INTEGER_LIMITS];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < lo || value > hi) {
      throw new BaseError(
        'INVALID_CONFIG',
        `anti-fraud "${key}" expected an integer ${lo}..${hi}, got ${String(value)}`,
        {
          details: { field: key },
        },
      );
    }
  }
  if (merged.newWithdrawalAddressAction !== 'flag' && merged.newWithdrawalAddressAction !== 'reauth') {
    throw new BaseError('INVALID_CONFIG', 'anti-fraud "newWithdrawalAddressAction" expected flag or reauth', {
      details: { field: 'newWithdrawalAddressAction' },
    });
  }
  if (merged.flagScore > merged.rejectScore) {
    throw new BaseError('INVALID_CONFIG', 'anti-fraud "flagScore" must not exceed "rejectScore"', {
      details: { flagScore: merged.flagScore, rejectScore: merged.rejectScore },
    });
  }
  const minDepthValue = amountOf(merged.minDepthValue, 'minDepthValue');
  const lossCap = amountOf(merged.lossCap, 'lossCap');
  return { ...merged, minDepthValue, lossCap };
}

function amountOf(value: Decimal | string, field: string): Decimal {
  let amount: Decimal;
  try {
    amount = toAmount(value, field);
  } catch (cause) {
    throw new BaseError('INVALID_CONFIG', `anti-fraud "${field}" expected a plain decimal amount`, {
      details: { field },
      cause,
    });
  }
  if (amount.isNegative()) {
    throw new BaseError('INVALID_CONFIG', `anti-fraud "${field}" must not be negative`, { details: { field } });
  }
  return amount;
}
