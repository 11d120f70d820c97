/**
 * The server's authorization manager: one `ApprovalScanner` over the chains the risk runtime
 * serves (the same upstream per chain, so dev-chain reads wait for an in-place simulation to be
 * reverted), judged by the same risk engine, labels and on-chain facts as every other route, with
 * its progress and lists in the server's database — so any node answers with what any other
 * node's scan stored. It also records the signed permits the firewall forwards and the co-signer
 * signs, and builds revocations only for grants its own last scan listed: an id names a grant the
 * server found, never a contract the caller chose (a look-alike Permit2 is never a revoke target).
 */
import {
  type Address,
  ApprovalScanner,
  ApprovalStore,
  buildRevocations,
  estimateRevocationGas,
  type PendingRevocation,
  permitRecordsFromVerdict,
  type Revocation,
} from '@custos/approvals';
import { BaseError, type Logger } from '@custos/core';
import type { Database } from '@custos/db';
import type { LabelLookup, Verdict } from '@custos/risk';
import { createClient, custom } from 'viem';
import type { Metrics } from '../metrics.js';
import type { RiskRuntime } from '../risk/runtime.js';

export interface ApprovalsRuntimeOptions {
  db: Database;
  risk: RiskRuntime;
  labels?: LabelLookup | undefined;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** A list this recent is answered without a new scan (default 15 s). */
  freshForMs?: number | undefined;
}

export interface ApprovalsRuntime {
  readonly scanner: ApprovalScanner;
  readonly store: ApprovalStore;
  /** Records the permits a signed request granted; logs and swallows nothing but its own failures. */
  recordSigned(
    verdict: Verdict,
    context: { chainId: number; via: 'firewall' | 'cosigner'; typedData: unknown },
  ): Promise<void>;
  /** Revocations for grants of the account's last stored list, by id (or all of them). */
  revocations(
    chainId: number,
    owner: Address,
    ids: readonly string[] | 'all',
  ): Promise<(Revocation | PendingRevocation)[]>;
  close(): Promise<void>;
}

export function createApprovalsRuntime(options: ApprovalsRuntimeOptions): ApprovalsRuntime {
  const { db, risk, logger } = options;
  const store = new ApprovalStore(db);
  const scanner = new ApprovalScanner({
    store,
    chain: (chainId) => {
      const rpc = risk.upstream(chainId);
      return rpc === undefined ? undefined : { rpc };
    },
    engine: risk.engine,
    labels: options.labels,
    facts: risk.facts,
    freshForMs: options.freshForMs,
    logger,
    onScan: (outcome) => {
      options.metrics?.approvalScans.inc({ outcome: outcome.ok ? 'ok' : 'failed' });
      logger.info(
        {
          chainId: outcome.chainId,
          ok: outcome.ok,
          ms: Math.round(outcome.ms),
          events: outcome.discover?.events,
          pages: outcome.discover?.pages,
          reorganised: outcome.discover?.reorganised,
          live: outcome.live,
        },
        'approvals scan finished',
      );
    },
  });
  return {
    scanner,
    store,
    async recordSigned(verdict, context) {
      const records = permitRecordsFromVerdict(verdict, context);
      for (const record of records) {
        try {
          await store.recordPermit(record);
        } catch (error) {
          // The signature is already out; a failed record only means the list will miss it.
          logger.warn({ err: error, chainId: context.chainId, via: context.via }, 'could not record a signed permit');
        }
      }
    },
    async revocations(chainId, owner, ids) {
      const upstream = risk.upstream(chainId);
      if (upstream === undefined) {
        throw new BaseError('NOT_FOUND', `chain ${chainId} is not served here`, { details: { chainId } });
      }
      const progress = await store.progress(chainId, owner);
      const listed = (progress.approvals ?? []) as Parameters<typeof buildRevocations>[0];
      const byId = new Map(listed.map((a) => [a.id, a]));
      const unknown = ids === 'all' ? [] : ids.filter((id) => !byId.has(id));
      if (unknown.length > 0) {
        throw new BaseError('APPROVALS_INVALID_REQUEST', 'some approvals are not in the account’s last scanned list', {
          details: { unknown: unknown.slice(0, 5).join(', '), count: unknown.length },
          hints: ['List the account first (GET /v1/approvals/:chainId/:address) and revoke by the ids it returns.'],
        });
      }
      const chosen = ids === 'all' ? listed : ids.map((id) => byId.get(id) as (typeof listed)[number]);
      const built = buildRevocations(chosen, { chainId, owner });
      return estimateRevocationGas(createClient({ transport: custom(upstream) }), built);
    },
    async close() {
      await scanner.close();
    },
  };
}
