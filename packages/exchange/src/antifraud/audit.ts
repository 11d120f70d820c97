/**
 * The anti-fraud record in the database (`exchange_audit_log`, migration 0009): every decision
 * other than a plain allow, with its findings and the non-secret context of what was evaluated.
 * `record()` ignores allow decisions, so the table holds only what an operator may need to look
 * at, and scrubs the context once more on the way in: a field whose name looks like a credential
 * (secret, passphrase, signature, password, token) is dropped, whatever the caller put there.
 *
 * `DbKeyIpHistory` keeps the networks each API key was used from (`exchange_key_ips`), for the
 * engine's new-IP rule to survive restarts and be shared between processes.
 */
import { assertInteger, BaseError } from '@custos/core';
import type { Queryable } from '@custos/db';
import type { IpObservation, KeyIpHistory } from './state.js';
import type {
  FraudAction,
  FraudAuditContext,
  FraudAuditSink,
  FraudDataValue,
  FraudDecision,
  FraudFinding,
  FraudSubject,
} from './types.js';

export interface FraudAuditEntry {
  id: bigint;
  at: Date;
  accountId: bigint | null;
  apiKey: string | null;
  subject: FraudSubject;
  action: Exclude<FraudAction, 'allow'>;
  score: number;
  rules: string[];
  findings: FraudFinding[];
  context: Record<string, FraudDataValue>;
}

export interface FraudAuditQuery {
  accountId?: bigint | undefined;
  apiKey?: string | undefined;
  /** Entries at or after this time. */
  since?: Date | undefined;
  /** Newest first, at most this many (1..1000, default 100). */
  limit?: number | undefined;
}

interface AuditRow {
  id: bigint;
  at: Date;
  account_id: bigint | null;
  api_key: string | null;
  subject: FraudSubject;
  action: Exclude<FraudAction, 'allow'>;
  score: number;
  rules: string[];
  findings: FraudFinding[];
  context: Record<string, FraudDataValue>;
}

/** Field names never stored in an audit context, whatever their value. */
const SECRET_NAME = /secret|passphrase|pass_?word|sign|token|private|mnemonic|seed|otp|cookie|authorization/i;

/** A copy of `fields` without credential-like names, nested objects flattened out (they have no place here). */
export function scrubAuditFields(fields: Readonly<Record<string, unknown>>): Record<string, FraudDataValue> {
  const out: Record<string, FraudDataValue> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (SECRET_NAME.test(name)) continue;
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[name] = value;
    } else if (typeof value === 'bigint') {
      out[name] = value.toString();
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      out[name] = [...value];
    }
  }
  return out;
}

export class AuditLog implements FraudAuditSink {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Writes a non-allow decision; returns its id, or null for an allow (nothing written). */
  async record(decision: FraudDecision, context: FraudAuditContext): Promise<bigint | null> {
    if (decision.action === 'allow') return null;
    const findings = decision.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      data: scrubAuditFields(f.data),
    }));
    const { rows } = await this.#db.query<{ id: bigint }>(
      `INSERT INTO exchange_audit_log (at, account_id, api_key, subject, action, score, rules, findings, context)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb) RETURNING id`,
      [
        context.at,
        context.accountId ?? null,
        context.apiKey ?? null,
        decision.subject,
        decision.action,
        decision.score,
        [...new Set(decision.findings.map((f) => f.rule))],
        JSON.stringify(findings),
        JSON.stringify(scrubAuditFields(context.fields)),
      ],
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new BaseError('DB_QUERY_FAILED', 'the audit insert returned no id');
    return BigInt(id);
  }

  /** Entries newest first, filtered by account, API key and time. */
  async list(query: FraudAuditQuery = {}): Promise<FraudAuditEntry[]> {
    const limit = query.limit ?? 100;
    assertInteger(limit, 'limit', 1, 1_000);
    const where: string[] = [];
    const params: (bigint | string | Date | number)[] = [];
    if (query.accountId !== undefined) {
      params.push(query.accountId);
      where.push(`account_id = $${params.length}`);
    }
    if (query.apiKey !== undefined) {
      params.push(query.apiKey);
      where.push(`api_key = $${params.length}`);
    }
    if (query.since !== undefined) {
      params.push(query.since);
      where.push(`at >= $${params.length}`);
    }
    params.push(limit);
    const { rows } = await this.#db.query<AuditRow>(
      `SELECT id, at, account_id, api_key, subject, action, score, rules, findings, context
         FROM exchange_audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      id: BigInt(r.id),
      at: r.at,
      accountId: r.account_id === null ? null : BigInt(r.account_id),
      apiKey: r.api_key,
      subject: r.subject,
      action: r.action,
      score: Number(r.score),
      rules: r.rules,
      findings: r.findings,
      context: r.context,
    }));
  }
}

/** `KeyIpHistory` over `exchange_key_ips`: one upsert per observation. */
/** How often a known (key, network) pair's `last_seen` is written: at most once per this many ms. */
export const KEY_IP_WRITE_INTERVAL_MS = 60_000;
const KEY_IP_CACHE_ENTRIES = 100_000;

/**
 * Seen networks per key in the database. A pair already seen by this process is answered from
 * memory and its `last_seen` written at most once a minute: the hot path of an authenticated
 * request writes nothing (a pair first seen by another node still reads the database once here).
 */
export class DbKeyIpHistory implements KeyIpHistory {
  readonly #db: Queryable;
  readonly #known = new Map<string, { keyFirstSeen: number; networkFirstSeen: number; writtenAt: number }>();

  constructor(db: Queryable) {
    this.#db = db;
  }

  async observeIp(apiKey: string, network: string, at: number): Promise<IpObservation> {
    const id = `${apiKey}\0${network}`;
    const known = this.#known.get(id);
    if (known !== undefined && at - known.writtenAt < KEY_IP_WRITE_INTERVAL_MS && at >= known.writtenAt) {
      return { keyFirstSeen: known.keyFirstSeen, networkFirstSeen: known.networkFirstSeen, firstSighting: false };
    }
    const observed = await this.#upsert(apiKey, network, at);
    this.#known.delete(id);
    this.#known.set(id, {
      keyFirstSeen: observed.keyFirstSeen,
      networkFirstSeen: observed.networkFirstSeen,
      writtenAt: at,
    });
    if (this.#known.size > KEY_IP_CACHE_ENTRIES) this.#known.delete(this.#known.keys().next().value as string);
    return observed;
  }

  async #upsert(apiKey: string, network: string, at: number): Promise<IpObservation> {
    // The sub-select reads the snapshot from before the upsert: the key's first sighting elsewhere.
    const { rows } = await this.#db.query<{ network_first_seen: Date; key_first_seen: Date | null; inserted: boolean }>(
      `WITH up AS (
         INSERT INTO exchange_key_ips (api_key, network, first_seen, last_seen) VALUES ($1, $2, $3, $3)
         ON CONFLICT (api_key, network) DO UPDATE
           SET first_seen = LEAST(exchange_key_ips.first_seen, EXCLUDED.first_seen),
               last_seen = GREATEST(exchange_key_ips.last_seen, EXCLUDED.last_seen)
         RETURNING first_seen, (xmax = 0) AS inserted)
       SELECT up.first_seen AS network_first_seen, up.inserted,
              (SELECT min(first_seen) FROM exchange_key_ips WHERE api_key = $1) AS key_first_seen
         FROM up`,
      [apiKey, network, new Date(at)],
    );
    const row = rows[0];
    if (row === undefined) throw new BaseError('DB_QUERY_FAILED', 'the key IP upsert returned no row');
    const networkFirstSeen = row.network_first_seen.getTime();
    const keyFirstSeen = Math.min(networkFirstSeen, row.key_first_seen?.getTime() ?? networkFirstSeen);
    return { keyFirstSeen, networkFirstSeen, firstSighting: row.inserted === true };
  }
}
