/**
 * The exchange anti-fraud engine: request, order and withdrawal checks against leaked-key market
 * manipulation (the 3Commas pattern), its state, its audit log. See engine.ts for the rules and
 * the combination policy.
 */
export { AuditLog, DbKeyIpHistory, type FraudAuditEntry, type FraudAuditQuery, scrubAuditFields } from './audit.js';
export {
  type AntiFraudConfig,
  DEFAULT_ANTIFRAUD_CONFIG,
  type ResolvedAntiFraudConfig,
  resolveAntiFraudConfig,
} from './config.js';
export {
  type AntiFraud,
  type AntiFraudOptions,
  createAntiFraud,
  FRAUD_SEVERITY_WEIGHT,
  fraudDecisionError,
  fraudRefuses,
} from './engine.js';
export {
  type FraudState,
  type IpObservation,
  type KeyIpHistory,
  MemoryFraudState,
  type MemoryFraudStateLimits,
  type RiskyOrderNote,
  type SuspicionSummary,
} from './state.js';
export type {
  FraudAction,
  FraudAuditContext,
  FraudAuditSink,
  FraudBook,
  FraudBookLevel,
  FraudDataValue,
  FraudDecision,
  FraudFacts,
  FraudFill,
  FraudFinding,
  FraudOrderInput,
  FraudOrderSide,
  FraudOrderType,
  FraudRequestInput,
  FraudRestingOrder,
  FraudRule,
  FraudSeverity,
  FraudSubject,
  FraudWithdrawalInput,
} from './types.js';
