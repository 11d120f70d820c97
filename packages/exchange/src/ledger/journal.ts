/**
 * Balance changes as journal entries. A write collects its entries here and applies them in one
 * go: the balances touched are locked first, in (account, ccy) order — the same order in every
 * transaction, so two writes never wait on each other in a cycle — then updated by the net of the
 * entries and the entries inserted, all in the caller's transaction.
 */
import { BaseError } from '@custos/core';
import type { Queryable } from '@custos/db';

export type Bucket = 'available' | 'frozen';
export type JournalKind = 'deposit' | 'trade' | 'fee' | 'withdrawal' | 'freeze' | 'unfreeze';
export type RefType = 'deposit' | 'order' | 'fill' | 'withdrawal';

export interface JournalEntry {
  accountId: bigint;
  ccy: string;
  bucket: Bucket;
  delta: bigint;
  kind: JournalKind;
  refType: RefType;
  refId: bigint;
}

export interface HeldBalance {
  available: bigint;
  frozen: bigint;
}

const keyOf = (accountId: bigint, ccy: string) => `${accountId}:${ccy}`;

/**
 * Locks (creating when missing) the balances of the given (account, ccy) pairs, in key order, and
 * returns them keyed `account:ccy`.
 */
export async function lockBalances(
  tx: Queryable,
  pairs: readonly { accountId: bigint; ccy: string }[],
): Promise<Map<string, HeldBalance>> {
  const unique = new Map<string, { accountId: bigint; ccy: string }>();
  for (const p of pairs) unique.set(keyOf(p.accountId, p.ccy), p);
  const list = [...unique.values()];
  const held = new Map<string, HeldBalance>();
  if (list.length === 0) return held;
  const result = await tx.query<{ account_id: bigint; ccy: string; available: string; frozen: string }>(
    `INSERT INTO exchange_balances (account_id, ccy)
       SELECT a, c FROM unnest($1::bigint[], $2::text[]) AS t(a, c) ORDER BY a, c
     ON CONFLICT (account_id, ccy) DO UPDATE SET updated_at = exchange_balances.updated_at
     RETURNING account_id, ccy, available::text AS available, frozen::text AS frozen`,
    [list.map((p) => p.accountId.toString()), list.map((p) => p.ccy)],
  );
  for (const row of result.rows) {
    held.set(keyOf(row.account_id, row.ccy), { available: BigInt(row.available), frozen: BigInt(row.frozen) });
  }
  return held;
}

export function heldOf(held: ReadonlyMap<string, HeldBalance>, accountId: bigint, ccy: string): HeldBalance {
  const found = held.get(keyOf(accountId, ccy));
  if (found === undefined) throw new BaseError('INTERNAL', 'a balance was used without being locked');
  return found;
}

export class Changes {
  readonly entries: JournalEntry[] = [];

  add(entry: JournalEntry): void {
    if (entry.delta !== 0n) this.entries.push(entry);
  }

  /** Moves `amount` from available to frozen. */
  freeze(accountId: bigint, ccy: string, amount: bigint, refType: RefType, refId: bigint): void {
    this.add({ accountId, ccy, bucket: 'available', delta: -amount, kind: 'freeze', refType, refId });
    this.add({ accountId, ccy, bucket: 'frozen', delta: amount, kind: 'freeze', refType, refId });
  }

  /** Moves `amount` from frozen back to available. */
  unfreeze(accountId: bigint, ccy: string, amount: bigint, refType: RefType, refId: bigint): void {
    this.add({ accountId, ccy, bucket: 'frozen', delta: -amount, kind: 'unfreeze', refType, refId });
    this.add({ accountId, ccy, bucket: 'available', delta: amount, kind: 'unfreeze', refType, refId });
  }

  /** The accounts whose balances these entries change, ascending. */
  accounts(): bigint[] {
    const ids = [...new Set(this.entries.map((e) => e.accountId))];
    return ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The (account, ccy) pairs touched. */
  pairs(): { accountId: bigint; ccy: string }[] {
    return this.entries.map((e) => ({ accountId: e.accountId, ccy: e.ccy }));
  }

  /**
   * Updates the balances by the net of the entries and inserts the entries. The balances must
   * already be locked (lockBalances) in this transaction. A balance that would go negative is a
   * bug in the caller's checks: the CHECK constraint refuses it and the transaction rolls back.
   */
  async apply(tx: Queryable, at: Date, held: ReadonlyMap<string, HeldBalance>): Promise<void> {
    if (this.entries.length === 0) return;
    const net = new Map<string, { accountId: bigint; ccy: string; available: bigint; frozen: bigint }>();
    for (const e of this.entries) {
      const key = keyOf(e.accountId, e.ccy);
      let n = net.get(key);
      if (n === undefined) {
        n = { accountId: e.accountId, ccy: e.ccy, available: 0n, frozen: 0n };
        net.set(key, n);
      }
      n[e.bucket] += e.delta;
    }
    const rows = [...net.values()];
    for (const n of rows) {
      const h = heldOf(held, n.accountId, n.ccy);
      if (h.available + n.available < 0n || h.frozen + n.frozen < 0n) {
        throw new BaseError('INTERNAL', 'a ledger write would make a balance negative', {
          details: { accountId: n.accountId.toString(), ccy: n.ccy },
        });
      }
      h.available += n.available;
      h.frozen += n.frozen;
    }
    await tx.query(
      `UPDATE exchange_balances b
          SET available = b.available + d.da, frozen = b.frozen + d.df, updated_at = $5
         FROM unnest($1::bigint[], $2::text[], $3::numeric[], $4::numeric[]) AS d(a, c, da, df)
        WHERE b.account_id = d.a AND b.ccy = d.c`,
      [
        rows.map((n) => n.accountId.toString()),
        rows.map((n) => n.ccy),
        rows.map((n) => n.available.toString()),
        rows.map((n) => n.frozen.toString()),
        at,
      ],
    );
    const e = this.entries;
    await tx.query(
      `INSERT INTO exchange_journal (at, account_id, ccy, bucket, delta, kind, ref_type, ref_id)
       SELECT $1, a, c, bu, d, k, rt, ri
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::numeric[], $6::text[], $7::text[], $8::bigint[])
           AS t(a, c, bu, d, k, rt, ri)`,
      [
        at,
        e.map((x) => x.accountId.toString()),
        e.map((x) => x.ccy),
        e.map((x) => x.bucket),
        e.map((x) => x.delta.toString()),
        e.map((x) => x.kind),
        e.map((x) => x.refType),
        e.map((x) => x.refId.toString()),
      ],
    );
  }
}
