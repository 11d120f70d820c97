/**
 * The default rule set, in the order findings are reported. Each rule is a small pure function
 * over the decoded request and its context (see context.ts); none names a particular case's
 * address, selector or chain — those live in labels and fingerprints, which are data.
 */
import {
  addressPoisoning,
  authorityChange,
  maliciousDomain,
  sendToTokenContract,
  tokenImpersonation,
} from './accounts.js';
import {
  approvalToCodeless,
  collectionApproval,
  deprecatedSpender,
  permitExpiry,
  unlimitedApproval,
  unlimitedPermit,
  youngSpender,
} from './approvals.js';
import type { Rule } from './context.js';
import { blocklistedCounterparty, compromisedAccount, delegationRule } from './counterparty.js';
import { nftUnderpriced, privateOrder, tradeForNothing } from './orders.js';
import { opaqueTypedData, rawSignature, siweDomainMismatch, typedDataChainMismatch } from './signatures.js';
import { factsUnavailable, hiddenApproval, honeypotToken, simulationReverted } from './simulation.js';

export const DEFAULT_RULES: readonly Rule[] = Object.freeze([
  maliciousDomain,
  blocklistedCounterparty,
  compromisedAccount,
  tradeForNothing,
  rawSignature,
  honeypotToken,
  unlimitedApproval,
  unlimitedPermit,
  approvalToCodeless,
  collectionApproval,
  youngSpender,
  deprecatedSpender,
  delegationRule,
  addressPoisoning,
  tokenImpersonation,
  sendToTokenContract,
  authorityChange,
  nftUnderpriced,
  privateOrder,
  siweDomainMismatch,
  typedDataChainMismatch,
  opaqueTypedData,
  hiddenApproval,
  simulationReverted,
  permitExpiry,
  factsUnavailable,
]);

export { lookAlikes } from './accounts.js';
export { approvalStandard, isRevocation, isUnlimited } from './approvals.js';
export * from './context.js';
export { counterpartiesOf, farmingReason } from './counterparty.js';
