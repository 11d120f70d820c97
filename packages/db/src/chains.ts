/**
 * Chain identity. Anything kept about a chain is keyed by its chain id AND its genesis block hash:
 * a dev chain restarted without a pinned date keeps chain id 31337 but gets a new genesis, and
 * state recorded for the old instance (fixture addresses, scan cursors, cached approvals) would be
 * wrong for the new one. `registerChain` recognises the reset and drops that state by deleting the
 * old `chains` row, which cascades to every table that references it.
 */
import { BaseError, bytesToHex, type Hex, hexToBytes } from '@custos/core';
import type { Database, Queryable } from './types.js';

const CHAIN_LOCK_BASE = 0x63686169n << 32n;

export interface RegisterChainResult {
  /** `chains.id`: the key other tables reference. */
  ref: bigint;
  status: 'new' | 'known' | 'reset';
  /** On a reset, the genesis hash that was replaced. */
  previousGenesisHash?: Hex;
  /** On a reset, how many chain_records rows were dropped with it. */
  droppedRecords: number;
}

export interface ChainIdentity {
  chainId: number;
  genesisHash: Hex;
}

export async function registerChain(
  db: Pick<Database, 'transaction'>,
  chain: ChainIdentity,
): Promise<RegisterChainResult> {
  if (!Number.isSafeInteger(chain.chainId) || chain.chainId <= 0) {
    throw new BaseError('INVALID_INPUT', `"chainId" expected a positive integer, got ${chain.chainId}`);
  }
  const genesis = hexToBytes(chain.genesisHash, 'genesisHash', 32);
  return db.transaction(async (tx) => {
    // Serialise registrations of one chain id across processes (the row may not exist yet).
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK_BASE ^ BigInt(chain.chainId)]);
    const existing = await tx.query<{ id: bigint; genesis_hash: Uint8Array }>(
      'SELECT id, genesis_hash FROM chains WHERE chain_id = $1',
      [chain.chainId],
    );
    const row = existing.rows[0];
    if (row !== undefined && bytesToHex(row.genesis_hash) === bytesToHex(genesis)) {
      await tx.query('UPDATE chains SET last_seen = now() WHERE id = $1', [row.id]);
      return { ref: row.id, status: 'known', droppedRecords: 0 };
    }
    let droppedRecords = 0;
    if (row !== undefined) {
      const count = await tx.query<{ n: bigint }>('SELECT count(*) AS n FROM chain_records WHERE chain_ref = $1', [
        row.id,
      ]);
      droppedRecords = Number(count.rows[0]?.n ?? 0n);
      await tx.query('DELETE FROM chains WHERE id = $1', [row.id]);
    }
    const inserted = await tx.query<{ id: bigint }>(
      'INSERT INTO chains (chain_id, genesis_hash) VALUES ($1, $2) RETURNING id',
      [chain.chainId, genesis],
    );
    const ref = (inserted.rows[0] as { id: bigint }).id;
    return row === undefined
      ? { ref, status: 'new', droppedRecords: 0 }
      : { ref, status: 'reset', previousGenesisHash: bytesToHex(row.genesis_hash), droppedRecords };
  });
}

export async function putChainRecord(
  db: Queryable,
  ref: bigint,
  kind: string,
  key: string,
  value: unknown,
): Promise<void> {
  await db.query(
    `INSERT INTO chain_records (chain_ref, kind, key, value) VALUES ($1, $2, $3, $4)
     ON CONFLICT (chain_ref, kind, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [ref, kind, key, JSON.stringify(value)],
  );
}

export async function getChainRecord<T>(db: Queryable, ref: bigint, kind: string, key: string): Promise<T | undefined> {
  const result = await db.query<{ value: T }>(
    'SELECT value FROM chain_records WHERE chain_ref = $1 AND kind = $2 AND key = $3',
    [ref, kind, key],
  );
  return result.rows[0]?.value;
}
