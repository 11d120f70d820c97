/**
 * The co-signer that refuses: before the server party spends a presignature it scans what it is
 * asked to sign with the risk engine and applies the wallet's policy. `block` is refused with the
 * verdict; `warn` is signed only when the device's (signed) request carries the confirmation
 * token for exactly this digest and these findings — the device shows the warnings to its user,
 * then asks again; a destination outside the wallet's allow-list or an outflow over a per-asset
 * daily limit is refused. Every decision, signed or not, is recorded with the verdict. A 'signed'
 * decision is written (under a row lock on the policy) before the signature is produced and marked
 * 'failed' if signing fails, so two concurrent requests cannot both spend the same daily limit.
 */
import { createHash } from 'node:crypto';
import type { SignRequest } from '@custos/chains';
import { BaseError } from '@custos/core';
import type { Database, Queryable } from '@custos/db';
import { LabelService } from '@custos/labels';
import { type Address, type Intent, RiskEngine, type ScanRequest, type Verdict } from '@custos/risk';
import { parseTransaction, toHex } from 'viem';
import type { Services } from '../services.js';

export interface DailyLimit {
  chainId: number;
  /** `native` or an ERC-20 address (lowercase). */
  asset: 'native' | Address;
  /** Smallest units, decimal. */
  amount: string;
}

export interface WalletPolicy {
  dailyLimits: DailyLimit[];
  /** Destinations allowed (lowercase addresses); null = no allow-list. */
  allowlist: Address[] | null;
}

export interface Outflow {
  chainId: number;
  asset: 'native' | Address;
  amount: string;
}

/** Carries the verdict (and, for warnings, the confirmation token) into the HTTP error body. */
export class CosignerRefusedError extends BaseError {
  override name = 'CosignerRefusedError';
  readonly responseData: { verdict: Verdict; confirmation?: string; decisionId: string };

  constructor(
    code: 'RISK_BLOCKED' | 'RISK_CONFIRMATION_REQUIRED' | 'RISK_POLICY_REFUSED',
    message: string,
    data: { verdict: Verdict; confirmation?: string; decisionId: string },
    details: Record<string, string | number | null> = {},
  ) {
    super(code, message, { details });
    this.responseData = data;
  }
}

// One fallback engine per services object (built once, not per signature).
const fallbackEngines = new WeakMap<Services, RiskEngine>();

/** The engine the co-signer scans with: the server's, else one over the label layer (offline facts). */
function engineFor(services: Services): RiskEngine {
  if (services.risk !== undefined) return services.risk.engine;
  let engine = fallbackEngines.get(services);
  if (engine === undefined) {
    engine = new RiskEngine({ labels: services.labels?.service ?? LabelService.openDefault() });
    fallbackEngines.set(services, engine);
  }
  return engine;
}

/** The JSON-RPC request a wallet would have made for this sign request. */
export function scanRequestFor(request: SignRequest, signer: Address): ScanRequest | undefined {
  switch (request.kind) {
    case 'transaction': {
      const tx = parseTransaction(request.transaction);
      const params: Record<string, unknown> = {
        from: signer,
        value: toHex(tx.value ?? 0n),
        data: tx.data ?? '0x',
        chainId: toHex(request.chainId),
      };
      if (tx.to) params.to = tx.to;
      if (tx.nonce !== undefined) params.nonce = toHex(tx.nonce);
      if (tx.gas !== undefined) params.gas = toHex(tx.gas);
      if ('authorizationList' in tx && tx.authorizationList !== undefined) {
        params.authorizationList = tx.authorizationList.map((a) => ({
          chainId: toHex(a.chainId),
          address: a.address,
          nonce: toHex(a.nonce),
          yParity: toHex(a.yParity ?? 0),
          r: a.r,
          s: a.s,
        }));
      }
      return { chainId: request.chainId, method: 'eth_signTransaction', params: [params] };
    }
    case 'message': {
      const data = typeof request.message === 'string' ? toHex(request.message) : request.message.raw;
      return { chainId: 1, method: 'personal_sign', params: [data, signer] };
    }
    case 'typed-data': {
      const chainId = Number((request.typedData.domain as { chainId?: unknown } | undefined)?.chainId ?? 1) || 1;
      return { chainId, method: 'eth_signTypedData_v4', params: [signer, JSON.stringify(request.typedData)] };
    }
    case 'digest':
      return undefined;
  }
}

/** What a request would move out of the wallet, per asset (counted against daily limits). */
export function outflowsOf(verdict: Verdict, chainId: number, wallet: Address): Outflow[] {
  const sums = new Map<string, bigint>();
  const add = (asset: 'native' | Address, amount: string) => {
    sums.set(asset, (sums.get(asset) ?? 0n) + BigInt(amount));
  };
  const mine = (actor: Address | undefined) => actor === undefined || actor === wallet;
  for (const intent of verdict.decoded.intents as Intent[]) {
    if (!mine(intent.actor)) continue;
    switch (intent.kind) {
      case 'native-transfer':
        add('native', intent.amount);
        break;
      case 'token-transfer':
        if (intent.method === 'transfer' || intent.from === wallet) add(intent.token, intent.amount);
        break;
      case 'approval':
        // An approval is a right to move the amount: it counts (a revocation moves nothing).
        if (intent.method.startsWith('increase') || intent.method === 'approve') add(intent.token, intent.amount);
        break;
      case 'permit':
      case 'permit-transfer':
        add(intent.token, intent.amount);
        break;
      case 'permit2-transfer-from':
        if (intent.from === wallet) add(intent.token, intent.amount);
        break;
      case 'order':
        for (const item of intent.offer) {
          if (item.asset === 'native') add('native', item.amount);
          else if (item.asset === 'erc20') add(item.token, item.amount);
        }
        break;
      default:
        break;
    }
  }
  return [...sums]
    .filter(([, amount]) => amount > 0n)
    .map(([asset, amount]) => ({ chainId, asset: asset as Outflow['asset'], amount: amount.toString() }));
}

/** Who the request sends to, grants a right to, hands control to or calls (for the allow-list). */
export function destinationsOf(verdict: Verdict): Address[] {
  const out = new Set<Address>();
  const add = (a: Address | undefined) => {
    if (a !== undefined && a !== '0x0000000000000000000000000000000000000000') out.add(a);
  };
  for (const intent of verdict.decoded.intents as Intent[]) {
    switch (intent.kind) {
      case 'native-transfer':
      case 'token-transfer':
      case 'nft-transfer':
      case 'permit2-transfer-from':
        add(intent.to);
        break;
      case 'approval':
      case 'permit':
        if (BigInt(intent.amount) > 0n) add(intent.spender);
        break;
      case 'permit-transfer':
        add(intent.spender);
        add(intent.to);
        break;
      case 'approval-for-all':
        if (intent.approved) add(intent.operator);
        break;
      case 'order':
        for (const item of intent.consideration) if (item.recipient !== intent.offerer) add(item.recipient);
        add(intent.taker);
        break;
      case 'delegation':
        add(intent.delegate);
        break;
      case 'ownership-change':
        add(intent.newOwner);
        break;
      case 'upgrade':
        add(intent.implementation);
        break;
      case 'contract-call':
        add(intent.to);
        break;
      default:
        break;
    }
  }
  return [...out];
}

/** The token a device must send back to sign a `warn` verdict: bound to wallet, digest and findings. */
export function confirmationToken(walletId: string, digest: string, verdict: Verdict): string {
  const findings = verdict.findings
    .filter((f) => f.severity !== 'info')
    .map((f) => `${f.rule}:${f.severity}:${f.subject ?? ''}`)
    .sort();
  return createHash('sha256')
    .update(JSON.stringify(['custos-cosigner-confirmation-v1', walletId, digest.toLowerCase(), findings]))
    .digest('hex');
}

export async function loadPolicy(db: Queryable, walletId: string, lock = false): Promise<WalletPolicy> {
  const r = await db.query<{ daily_limits: DailyLimit[]; allowlist: string[] | null }>(
    `SELECT daily_limits, allowlist FROM mpc_wallet_policies WHERE wallet_id = $1${lock ? ' FOR UPDATE' : ''}`,
    [walletId],
  );
  const row = r.rows[0];
  if (row === undefined) return { dailyLimits: [], allowlist: null };
  return { dailyLimits: row.daily_limits, allowlist: row.allowlist as Address[] | null };
}

export async function savePolicy(db: Database, walletId: string, policy: Partial<WalletPolicy>): Promise<WalletPolicy> {
  const current = await loadPolicy(db, walletId);
  const next: WalletPolicy = {
    dailyLimits: policy.dailyLimits ?? current.dailyLimits,
    allowlist: policy.allowlist === undefined ? current.allowlist : policy.allowlist,
  };
  await db.query(
    `INSERT INTO mpc_wallet_policies (wallet_id, daily_limits, allowlist, updated_at) VALUES ($1, $2::jsonb, $3, now())
     ON CONFLICT (wallet_id) DO UPDATE SET daily_limits = EXCLUDED.daily_limits, allowlist = EXCLUDED.allowlist,
       updated_at = now()`,
    [walletId, JSON.stringify(next.dailyLimits), next.allowlist],
  );
  return next;
}

interface DecisionInput {
  walletId: string;
  deviceId: string;
  kind: SignRequest['kind'];
  digest: string;
  chainId: number | null;
  verdict: Verdict | null;
  decision: 'signed' | 'refused' | 'confirmation-required';
  reason: string;
  outflows: Outflow[];
}

async function recordDecision(db: Queryable, d: DecisionInput): Promise<string> {
  const r = await db.query<{ id: bigint | string }>(
    `INSERT INTO mpc_sign_decisions (wallet_id, device_id, request_kind, digest, chain_id, action, decision, reason,
       verdict, outflows) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb) RETURNING id`,
    [
      d.walletId,
      d.deviceId,
      d.kind,
      d.digest,
      d.chainId,
      d.verdict?.action ?? null,
      d.decision,
      d.reason,
      d.verdict === null ? null : JSON.stringify(d.verdict),
      JSON.stringify(d.outflows),
    ],
  );
  return String(r.rows[0]?.id);
}

export interface SignDecision {
  id: string;
  at: string;
  requestKind: SignRequest['kind'];
  digest: string;
  chainId: number | null;
  action: 'allow' | 'warn' | 'block' | null;
  decision: 'signed' | 'refused' | 'confirmation-required' | 'failed';
  reason: string;
  verdict: Verdict | null;
  outflows: Outflow[];
}

/** The wallet's recorded decisions, newest first. */
export async function listSignDecisions(db: Queryable, walletId: string, limit: number): Promise<SignDecision[]> {
  const r = await db.query<{
    id: bigint | string;
    at: Date;
    request_kind: SignRequest['kind'];
    digest: string;
    chain_id: bigint | string | null;
    action: SignDecision['action'];
    decision: SignDecision['decision'];
    reason: string;
    verdict: Verdict | null;
    outflows: Outflow[];
  }>(
    `SELECT id, at, request_kind, digest, chain_id, action, decision, reason, verdict, outflows
     FROM mpc_sign_decisions WHERE wallet_id = $1 ORDER BY id DESC LIMIT $2`,
    [walletId, limit],
  );
  return r.rows.map((row) => ({
    id: String(row.id),
    at: row.at.toISOString(),
    requestKind: row.request_kind,
    digest: row.digest,
    chainId: row.chain_id === null ? null : Number(row.chain_id),
    action: row.action,
    decision: row.decision,
    reason: row.reason,
    verdict: row.verdict,
    outflows: row.outflows,
  }));
}

/** Marks a 'signed' decision whose signing step then failed (its outflows stop counting). */
export async function markDecisionFailed(db: Database, decisionId: string, reason: string): Promise<void> {
  await db.query(`UPDATE mpc_sign_decisions SET decision = 'failed', reason = $2 WHERE id = $1`, [decisionId, reason]);
}

/** Records a refusal the signing path made before scanning (blind signing). */
export async function recordRefusal(
  db: Database,
  input: { walletId: string; deviceId: string; kind: SignRequest['kind']; digest: string; reason: string },
): Promise<void> {
  await recordDecision(db, { ...input, chainId: null, verdict: null, decision: 'refused', outflows: [] });
}

/** Destinations of the wallet's signed requests over the last 90 days, newest first (at most 500). */
export async function recentCounterparties(db: Queryable, walletId: string): Promise<Address[]> {
  const r = await db.query<{ verdict: Verdict }>(
    `SELECT verdict FROM mpc_sign_decisions
     WHERE wallet_id = $1 AND decision = 'signed' AND verdict IS NOT NULL AND at > now() - interval '90 days'
     ORDER BY id DESC LIMIT 200`,
    [walletId],
  );
  const out = new Set<Address>();
  for (const row of r.rows) for (const d of destinationsOf(row.verdict)) if (out.size < 500) out.add(d);
  return [...out];
}

async function spentToday(db: Queryable, walletId: string): Promise<Outflow[]> {
  const r = await db.query<{ outflows: Outflow[] }>(
    `SELECT outflows FROM mpc_sign_decisions
     WHERE wallet_id = $1 AND decision = 'signed' AND at > now() - interval '24 hours'`,
    [walletId],
  );
  return r.rows.flatMap((row) => row.outflows);
}

function overLimit(policy: WalletPolicy, spent: Outflow[], asked: Outflow[]): string | undefined {
  for (const limit of policy.dailyLimits) {
    const same = (o: Outflow) => o.chainId === limit.chainId && o.asset === limit.asset;
    const now = asked.filter(same).reduce((s, o) => s + BigInt(o.amount), 0n);
    if (now === 0n) continue;
    const before = spent.filter(same).reduce((s, o) => s + BigInt(o.amount), 0n);
    if (before + now > BigInt(limit.amount)) {
      return `${limit.asset} on chain ${limit.chainId}: ${before} already signed in 24 h + ${now} asked > limit ${limit.amount}`;
    }
  }
  return undefined;
}

export interface CosignInput {
  walletId: string;
  deviceId: string;
  request: SignRequest;
  digest: string;
  /** The derived address that will sign. */
  signer: Address;
  confirmation?: string | undefined;
}

/**
 * Scans and applies policy. Returns the id of the 'signed' decision (mark it failed if signing
 * then fails), or throws CosignerRefusedError after recording the refusal.
 */
export async function cosign(
  services: Services,
  raw: CosignInput,
): Promise<{ decisionId: string; verdict: Verdict | null; chainId: number | null }> {
  const { db } = services;
  const input = { ...raw, signer: raw.signer.toLowerCase() as Address };
  const scan = scanRequestFor(input.request, input.signer);
  if (scan === undefined) {
    // A bare digest the wallet's blind-signing policy allowed: nothing to scan, recorded as such.
    const decisionId = await recordDecision(db, {
      walletId: input.walletId,
      deviceId: input.deviceId,
      kind: input.request.kind,
      digest: input.digest,
      chainId: null,
      verdict: null,
      decision: 'signed',
      reason: 'blind signing allowed by wallet policy',
      outflows: [],
    });
    return { decisionId, verdict: null, chainId: null };
  }
  const engine = engineFor(services);
  // The wallet's recent counterparties (what it signed for before) feed the address-poisoning rule.
  const verdict = await engine.scan(scan, { history: await recentCounterparties(db, input.walletId) });
  const chainId = Number(scan.chainId);
  const base = {
    walletId: input.walletId,
    deviceId: input.deviceId,
    kind: input.request.kind,
    digest: input.digest,
    chainId,
    verdict,
  };
  const refuse = async (
    code: 'RISK_BLOCKED' | 'RISK_CONFIRMATION_REQUIRED' | 'RISK_POLICY_REFUSED',
    decision: 'refused' | 'confirmation-required',
    reason: string,
    confirmation?: string,
  ): Promise<never> => {
    const decisionId = await recordDecision(db, { ...base, decision, reason, outflows: [] });
    const data = confirmation === undefined ? { verdict, decisionId } : { verdict, confirmation, decisionId };
    throw new CosignerRefusedError(code, reason, data, { walletId: input.walletId, action: verdict.action });
  };
  if (verdict.action === 'block') {
    const worst = verdict.findings.find((f) => f.severity === 'critical');
    await refuse('RISK_BLOCKED', 'refused', `the co-signer refuses: ${worst?.message ?? 'blocked'}`);
  }
  if (verdict.action === 'warn') {
    const token = confirmationToken(input.walletId, input.digest, verdict);
    if (input.confirmation !== token) {
      await refuse(
        'RISK_CONFIRMATION_REQUIRED',
        'confirmation-required',
        'the request has warnings: the device must confirm them (send back the confirmation token)',
        token,
      );
    }
  }
  const outflows = outflowsOf(verdict, chainId, input.signer);
  const destinations = destinationsOf(verdict);
  // Check and reserve under the policy row's lock; a refusal is recorded after the transaction
  // (a rolled-back transaction would lose it).
  const outcome = await db.transaction(
    async (tx): Promise<{ decisionId: string } | { refusal: string; check: string }> => {
      const policy = await loadPolicy(tx, input.walletId, true);
      if (policy.allowlist !== null) {
        const outside = destinations.filter((d) => !policy.allowlist?.includes(d));
        if (outside.length > 0)
          return {
            refusal: `destination not on the wallet's allow-list: ${outside.join(', ')}`,
            check: 'policy.allowlist',
          };
      }
      const exceeded = overLimit(policy, await spentToday(tx, input.walletId), outflows);
      if (exceeded !== undefined) return { refusal: `over the daily limit: ${exceeded}`, check: 'policy.daily-limit' };
      const decisionId = await recordDecision(tx, {
        ...base,
        decision: 'signed',
        reason: verdict.action === 'warn' ? 'warnings confirmed by the device' : 'allowed',
        outflows,
      });
      return { decisionId };
    },
  );
  if ('decisionId' in outcome) return { decisionId: outcome.decisionId, verdict, chainId };
  const decisionId = await recordDecision(db, { ...base, decision: 'refused', reason: outcome.refusal, outflows: [] });
  throw new CosignerRefusedError(
    'RISK_POLICY_REFUSED',
    outcome.refusal,
    { verdict, decisionId },
    { walletId: input.walletId, check: outcome.check },
  );
}
