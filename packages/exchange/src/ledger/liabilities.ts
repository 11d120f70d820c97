/**
 * The proof-of-reserves liabilities snapshot from the ledger: `user_id,<CCY>:<scale>,…` with one
 * row per account holding anything (available + frozen) in one of the assets, every balance an
 * exact decimal at the asset's ledger scale. Read in pages of accounts inside one REPEATABLE READ
 * transaction (one consistent snapshot, never the whole ledger in memory), written to a temporary
 * file renamed into place when complete.
 */
import { open, rename, rm } from 'node:fs/promises';
import { BaseError } from '@custos/core';
import type { Database } from '@custos/db';
import { format } from './amounts.js';
import type { LiabilitiesExportOptions, LiabilitiesExportResult } from './types.js';

export async function writeLiabilities(
  db: Database,
  out: string,
  options: LiabilitiesExportOptions,
): Promise<LiabilitiesExportResult> {
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new BaseError('EXCHANGE_INVALID_REQUEST', '"pageSize" must be a positive integer');
  }
  const temporary = `${out}.tmp`;
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const known = await tx.query<{ ccy: string; scale: number }>('SELECT ccy, scale FROM exchange_assets ORDER BY ccy');
    let assets = known.rows.map((r) => ({ ccy: r.ccy, scale: Number(r.scale) }));
    if (options.assets !== undefined) {
      const byCcy = new Map(assets.map((a) => [a.ccy, a]));
      const picked: { ccy: string; scale: number }[] = [];
      for (const ccy of options.assets) {
        const asset = byCcy.get(ccy);
        if (asset === undefined) {
          throw new BaseError('EXCHANGE_INVALID_REQUEST', `unknown currency ${ccy}`, { details: { ccy } });
        }
        if (picked.some((p) => p.ccy === ccy)) {
          throw new BaseError('EXCHANGE_INVALID_REQUEST', `currency ${ccy} listed twice`, { details: { ccy } });
        }
        picked.push(asset);
      }
      assets = picked;
    }
    if (assets.length === 0) {
      throw new BaseError('EXCHANGE_INVALID_REQUEST', 'no assets to export', {
        hints: ['Create an asset first, or name the assets to export.'],
      });
    }
    const column = new Map(assets.map((a, i) => [a.ccy, i]));
    const ccys = assets.map((a) => a.ccy);
    const totals = assets.map(() => 0n);
    let users = 0;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.write(`user_id,${assets.map((a) => `${a.ccy}:${a.scale}`).join(',')}\n`);
      let after = 0n;
      while (true) {
        const page = await tx.query<{ account_id: bigint; ccy: string; total: string }>(
          `WITH ids AS (
             SELECT DISTINCT account_id FROM exchange_balances
              WHERE account_id > $1 AND ccy = ANY($2::text[]) AND (available > 0 OR frozen > 0)
              ORDER BY account_id LIMIT $3)
           SELECT b.account_id, b.ccy, (b.available + b.frozen)::text AS total
             FROM exchange_balances b JOIN ids USING (account_id)
            WHERE b.ccy = ANY($2::text[])
            ORDER BY b.account_id`,
          [after, ccys, pageSize],
        );
        if (page.rows.length === 0) break;
        const lines: string[] = [];
        let current: bigint | null = null;
        let row: bigint[] = [];
        const flush = () => {
          if (current === null) return;
          lines.push(
            `${current},${row.map((units, i) => format(units, (assets[i] as { scale: number }).scale)).join(',')}`,
          );
          row.forEach((units, i) => {
            totals[i] = (totals[i] as bigint) + units;
          });
          users++;
        };
        for (const r of page.rows) {
          if (r.account_id !== current) {
            flush();
            current = r.account_id;
            row = assets.map(() => 0n);
          }
          row[column.get(r.ccy) as number] = BigInt(r.total);
        }
        flush();
        await file.write(`${lines.join('\n')}\n`);
        after = current as bigint;
      }
      await file.sync();
    } catch (error) {
      await file.close();
      await rm(temporary, { force: true });
      throw error;
    }
    await file.close();
    await rename(temporary, out);
    const byCcy: Record<string, string> = {};
    assets.forEach((a, i) => {
      byCcy[a.ccy] = format(totals[i] as bigint, a.scale);
    });
    return { users, assets, totals: byCcy };
  });
}
