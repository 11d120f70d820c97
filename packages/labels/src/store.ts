/**
 * The label store: PostgreSQL (or PGlite) as the source of truth. An import replaces what one
 * source says with what its file says — idempotent: importing the same file again changes no
 * row. Overrides are rows of their own. `compileIndex` streams the labels in address order into
 * the same `IndexBuilder` a generator can feed.
 */
import { BaseError } from '@custos/core';
import type { Database, Queryable } from '@custos/db';
import type { ImportBatch, LabelSource } from './importers/types.js';
import { bytesToAddress, IndexBuilder, type IndexBuildStats } from './index-file.js';
import {
  type Address,
  type DomainLabel,
  isTier,
  normalizeAddress,
  type Override,
  type Tier,
  type Trust,
} from './model.js';
import type { IndexLabel } from './record.js';

export interface ImportReport {
  source: string;
  /** Rows read per file. */
  rows: Record<string, number>;
  labels: { inserted: number; updated: number; deleted: number; unchanged: number };
  domains: { inserted: number; deleted: number; unchanged: number };
  /** Labels whose delisted status changed because of this import (sanction snapshots). */
  statusChanged: number;
  errors: ImportBatch['errors'];
  skipped: number;
  /** The store's generation after the import (bumped only when something changed). */
  generation: number;
}

const CHUNK = 5000;

function hexBody(address: Address): string {
  return address.slice(2);
}

/**
 * Writes one source's batch: labels and domains the batch has are inserted or updated, those it
 * no longer has are deleted, the rest are left alone. Runs in one transaction.
 */
export async function importBatch(
  db: Database,
  source: Pick<LabelSource, 'id' | 'title' | 'trust' | 'license' | 'origin'>,
  batch: ImportBatch,
): Promise<ImportReport> {
  const sourceId = batch.source;
  return db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO label_sources (id, title, trust, license, origin, authority, as_of, fuzzy_tolerance)
       VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8)
       ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, trust = EXCLUDED.trust, license = EXCLUDED.license,
         origin = EXCLUDED.origin, authority = EXCLUDED.authority, as_of = EXCLUDED.as_of,
         fuzzy_tolerance = EXCLUDED.fuzzy_tolerance`,
      [
        sourceId,
        source.title,
        source.trust,
        source.license,
        source.origin,
        batch.snapshot?.authority ?? null,
        batch.snapshot?.asOf ?? null,
        batch.fuzzyTolerance ?? 0,
      ],
    );

    await tx.exec(`CREATE TEMP TABLE label_import (LIKE labels INCLUDING INDEXES) ON COMMIT DROP;
      CREATE TEMP TABLE domain_import (LIKE domain_labels INCLUDING INDEXES) ON COMMIT DROP;`);
    for (let i = 0; i < batch.labels.length; i += CHUNK) {
      const part = batch.labels.slice(i, i + CHUNK);
      await tx.query(
        `INSERT INTO label_import (address, scope, source, category, tier, name, first_seen, confidence, status)
         SELECT decode(a, 'hex'), s, $1, c, t, n, f, k, 'active'
         FROM unnest($2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::int2[])
           AS u(a, s, c, t, n, f, k)
         ON CONFLICT DO NOTHING`,
        [
          sourceId,
          part.map((l) => hexBody(l.address)),
          part.map((l) => l.scope),
          part.map((l) => l.category),
          part.map((l) => l.tier),
          part.map((l) => l.name),
          part.map((l) => l.firstSeen),
          part.map((l) => l.confidence),
        ],
      );
    }
    for (let i = 0; i < batch.domains.length; i += CHUNK) {
      const part = batch.domains.slice(i, i + CHUNK);
      await tx.query(
        `INSERT INTO domain_import (domain, list, source, name)
         SELECT d, l, $1, n FROM unnest($2::text[], $3::text[], $4::text[]) AS u(d, l, n)
         ON CONFLICT DO NOTHING`,
        [sourceId, part.map((d) => d.domain), part.map((d) => d.list), part.map((d) => d.name)],
      );
    }

    const deleted = await tx.query(
      `DELETE FROM labels l WHERE l.source = $1 AND NOT EXISTS (
         SELECT 1 FROM label_import i
         WHERE i.address = l.address AND i.scope = l.scope AND i.category = l.category)`,
      [sourceId],
    );
    // `status` is not compared: it is the store's own verdict (delisting), set below.
    const upserted = await tx.query<{ inserted: boolean }>(
      `INSERT INTO labels (address, scope, source, category, tier, name, first_seen, confidence, status)
       SELECT address, scope, source, category, tier, name, first_seen, confidence, status FROM label_import
       ON CONFLICT (address, scope, source, category) DO UPDATE SET
         tier = EXCLUDED.tier, name = EXCLUDED.name, first_seen = EXCLUDED.first_seen, confidence = EXCLUDED.confidence
       WHERE (labels.tier, labels.name, labels.first_seen, labels.confidence)
         IS DISTINCT FROM (EXCLUDED.tier, EXCLUDED.name, EXCLUDED.first_seen, EXCLUDED.confidence)
       RETURNING (xmax = 0) AS inserted`,
    );
    const inserted = upserted.rows.filter((r) => r.inserted).length;
    const updated = upserted.rows.length - inserted;

    const domainsDeleted = await tx.query(
      `DELETE FROM domain_labels d WHERE d.source = $1 AND NOT EXISTS (
         SELECT 1 FROM domain_import i WHERE i.domain = d.domain AND i.list = d.list AND i.name = d.name)`,
      [sourceId],
    );
    const domainsInserted = await tx.query(
      `INSERT INTO domain_labels (domain, list, source, name) SELECT domain, list, source, name FROM domain_import
       ON CONFLICT DO NOTHING`,
    );
    const statusChanged = await refreshDelisting(tx);
    const counts = await tx.query<{ labels: bigint; domains: bigint }>(
      `SELECT (SELECT count(*) FROM label_import) AS labels, (SELECT count(*) FROM domain_import) AS domains`,
    );
    const labelTotal = Number(counts.rows[0]?.labels ?? 0);
    const domainTotal = Number(counts.rows[0]?.domains ?? 0);
    await tx.query('UPDATE label_sources SET label_count = $2, domain_count = $3 WHERE id = $1', [
      sourceId,
      labelTotal,
      domainTotal,
    ]);
    const changed =
      inserted + updated + deleted.rowCount + domainsDeleted.rowCount + domainsInserted.rowCount + statusChanged > 0;
    const state = await tx.query<{ generation: bigint }>(
      `UPDATE label_state SET generation = generation + $1 RETURNING generation`,
      [changed ? 1 : 0],
    );
    return {
      source: sourceId,
      rows: batch.rows,
      labels: { inserted, updated, deleted: deleted.rowCount, unchanged: labelTotal - inserted - updated },
      domains: {
        inserted: domainsInserted.rowCount,
        deleted: domainsDeleted.rowCount,
        unchanged: domainTotal - domainsInserted.rowCount,
      },
      statusChanged,
      errors: batch.errors,
      skipped: batch.skipped.length,
      generation: Number(state.rows[0]?.generation ?? 0),
    };
  });
}

/**
 * Marks sanctions delisted: for each authority that publishes snapshots, a label from an older
 * snapshot whose address the newest snapshot no longer carries is `delisted` (the policy makes it
 * gray); every other label is `active`. Only rows whose status changes are written.
 */
async function refreshDelisting(tx: Queryable): Promise<number> {
  const result = await tx.query(
    `WITH latest AS (
       SELECT authority, max(as_of) AS as_of FROM label_sources
       WHERE authority IS NOT NULL AND as_of IS NOT NULL GROUP BY authority
     ), current_addresses AS (
       SELECT DISTINCT s.authority, l.address FROM labels l
       JOIN label_sources s ON s.id = l.source
       JOIN latest ON latest.authority = s.authority AND latest.as_of = s.as_of
     ), wanted AS (
       SELECT l.address, l.scope, l.source, l.category,
         CASE WHEN s.authority IS NOT NULL AND s.as_of < latest.as_of AND NOT EXISTS (
           SELECT 1 FROM current_addresses c WHERE c.authority = s.authority AND c.address = l.address)
         THEN 'delisted' ELSE 'active' END AS status
       FROM labels l JOIN label_sources s ON s.id = l.source
       LEFT JOIN latest ON latest.authority = s.authority
       WHERE s.authority IS NOT NULL OR l.status <> 'active'
     )
     UPDATE labels l SET status = w.status FROM wanted w
     WHERE l.address = w.address AND l.scope = w.scope AND l.source = w.source AND l.category = w.category
       AND l.status <> w.status`,
  );
  return result.rowCount;
}

function addressBytes(address: Address): Uint8Array {
  return Buffer.from(hexBody(address), 'hex');
}

export interface OverrideInput {
  scope: number;
  address: string;
  tier: Tier;
  reason: string;
  by: string;
}

export async function setOverride(db: Queryable, input: OverrideInput): Promise<Override> {
  const address = normalizeAddress(input.address);
  if (!isTier(input.tier)) {
    throw new BaseError('INVALID_INPUT', '"tier" expected allow, gray or block', { details: { field: 'tier' } });
  }
  if (typeof input.reason !== 'string' || input.reason.trim() === '' || input.reason.length > 500) {
    throw new BaseError('INVALID_INPUT', '"reason" expected a non-empty string of at most 500 characters', {
      details: { field: 'reason' },
    });
  }
  const result = await db.query<{ set_at: Date }>(
    `WITH upsert AS (
       INSERT INTO label_overrides (address, scope, tier, reason, set_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (address, scope) DO UPDATE SET tier = EXCLUDED.tier, reason = EXCLUDED.reason,
         set_by = EXCLUDED.set_by, set_at = now()
       RETURNING set_at
     ), bump AS (UPDATE label_state SET overrides_version = overrides_version + 1)
     SELECT set_at FROM upsert`,
    [addressBytes(address), input.scope, input.tier, input.reason.trim(), input.by],
  );
  return {
    scope: input.scope,
    address,
    tier: input.tier,
    reason: input.reason.trim(),
    by: input.by,
    at: result.rows[0]?.set_at ?? new Date(),
  };
}

export async function removeOverride(db: Queryable, scope: number, address: string): Promise<boolean> {
  const a = normalizeAddress(address);
  const result = await db.query(
    `WITH del AS (DELETE FROM label_overrides WHERE address = $1 AND scope = $2 RETURNING 1),
       bump AS (UPDATE label_state SET overrides_version = overrides_version + 1 WHERE EXISTS (SELECT 1 FROM del))
     SELECT count(*)::int AS n FROM del`,
    [addressBytes(a), scope],
  );
  return Number((result.rows[0] as { n: number } | undefined)?.n ?? 0) > 0;
}

export async function listOverrides(db: Queryable): Promise<Override[]> {
  const result = await db.query<{
    address: Uint8Array;
    scope: bigint;
    tier: Tier;
    reason: string;
    set_by: string;
    set_at: Date;
  }>('SELECT address, scope, tier, reason, set_by, set_at FROM label_overrides ORDER BY address, scope');
  return result.rows.map((r) => ({
    address: bytesToAddress(r.address),
    scope: Number(r.scope),
    tier: r.tier,
    reason: r.reason,
    by: r.set_by,
    at: r.set_at,
  }));
}

export interface LabelState {
  generation: number;
  overridesVersion: number;
}

export async function labelState(db: Queryable): Promise<LabelState> {
  const r = await db.query<{ generation: bigint; overrides_version: bigint }>(
    'SELECT generation, overrides_version FROM label_state',
  );
  return {
    generation: Number(r.rows[0]?.generation ?? 0),
    overridesVersion: Number(r.rows[0]?.overrides_version ?? 0),
  };
}

export interface StoreStats {
  generation: number;
  labels: number;
  addresses: number;
  domains: number;
  overrides: number;
  byTier: Record<string, number>;
  sources: {
    id: string;
    title: string;
    trust: Trust;
    license: string;
    labels: number;
    domains: number;
    asOf: string | null;
    importedAt: string;
  }[];
}

export async function storeStats(db: Queryable): Promise<StoreStats> {
  const [state, totals, tiers, sources] = await Promise.all([
    labelState(db),
    db.query<{ labels: bigint; addresses: bigint; domains: bigint; overrides: bigint }>(
      `SELECT (SELECT count(*) FROM labels) AS labels, (SELECT count(DISTINCT address) FROM labels) AS addresses,
         (SELECT count(*) FROM domain_labels) AS domains, (SELECT count(*) FROM label_overrides) AS overrides`,
    ),
    db.query<{ tier: string; n: bigint }>('SELECT tier, count(*) AS n FROM labels GROUP BY tier ORDER BY tier'),
    db.query<{
      id: string;
      title: string;
      trust: Trust;
      license: string;
      label_count: number;
      domain_count: number;
      as_of: Date | null;
      imported_at: Date;
    }>(
      'SELECT id, title, trust, license, label_count, domain_count, as_of, imported_at FROM label_sources ORDER BY id',
    ),
  ]);
  const t = totals.rows[0];
  return {
    generation: state.generation,
    labels: Number(t?.labels ?? 0),
    addresses: Number(t?.addresses ?? 0),
    domains: Number(t?.domains ?? 0),
    overrides: Number(t?.overrides ?? 0),
    byTier: Object.fromEntries(tiers.rows.map((r) => [r.tier, Number(r.n)])),
    sources: sources.rows.map((s) => ({
      id: s.id,
      title: s.title,
      trust: s.trust,
      license: s.license,
      labels: s.label_count,
      domains: s.domain_count,
      asOf: s.as_of ? s.as_of.toISOString().slice(0, 10) : null,
      importedAt: s.imported_at.toISOString(),
    })),
  };
}

export interface CompileOptions {
  onProgress?: (addresses: number) => void;
  builtAt?: Date;
  description?: string;
  /** Rows fetched per round trip (keyset pages over the primary key). */
  pageSize?: number;
}

/**
 * Compiles the store into an index file: labels in address order through keyset pages of the
 * primary key (one ordered index scan, constant memory), domains and source trust alongside.
 */
export async function compileIndex(
  db: Queryable,
  path: string,
  options: CompileOptions = {},
): Promise<IndexBuildStats> {
  const sources = await db.query<{ id: string; trust: Trust; fuzzy_tolerance: number }>(
    'SELECT id, trust, fuzzy_tolerance FROM label_sources ORDER BY id',
  );
  const domains = await db.query<DomainLabel>(
    'SELECT domain, list, source, name FROM domain_labels ORDER BY domain, list, source',
  );
  const tolerance = Math.max(
    0,
    ...sources.rows
      .filter((s) => domains.rows.some((d) => d.list === 'fuzzy' && d.source === s.id))
      .map((s) => s.fuzzy_tolerance),
  );
  const builder = new IndexBuilder(path, {
    trust: Object.fromEntries(sources.rows.map((s) => [s.id, s.trust])),
    domains: domains.rows,
    fuzzyTolerance: tolerance,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.builtAt ? { builtAt: options.builtAt } : {}),
    description: options.description ?? 'compiled from the label store',
  });
  const pageSize = options.pageSize ?? 50_000;
  try {
    let pendingAddress: Uint8Array | null = null;
    let pending: IndexLabel[] = [];
    let after: [Uint8Array, bigint, string, string] | null = null;
    for (;;) {
      type Row = {
        address: Uint8Array;
        scope: bigint;
        source: string;
        category: string;
        tier: Tier;
        name: string;
        first_seen: bigint;
        confidence: number;
        status: 'active' | 'delisted';
      };
      const cols = 'address, scope, source, category, tier, name, first_seen, confidence, status';
      const page: { rows: Row[] } = after
        ? await db.query<Row>(
            `SELECT ${cols} FROM labels WHERE (address, scope, source, category) > ($1, $2, $3, $4)
             ORDER BY address, scope, source, category LIMIT ${pageSize}`,
            after,
          )
        : await db.query<Row>(`SELECT ${cols} FROM labels ORDER BY address, scope, source, category LIMIT ${pageSize}`);
      for (const r of page.rows) {
        if (pendingAddress && !Buffer.from(r.address).equals(pendingAddress)) {
          builder.add(pendingAddress, pending);
          pending = [];
        }
        pendingAddress = r.address;
        pending.push({
          scope: Number(r.scope),
          source: r.source,
          category: r.category,
          tier: r.tier,
          name: r.name,
          firstSeen: Number(r.first_seen),
          confidence: Number(r.confidence),
          status: r.status,
        });
      }
      const last = page.rows[page.rows.length - 1];
      if (!last || page.rows.length < pageSize) break;
      after = [last.address, last.scope, last.source, last.category];
    }
    if (pendingAddress) builder.add(pendingAddress, pending);
  } catch (error) {
    builder.abort();
    throw error;
  }
  return builder.finish();
}
