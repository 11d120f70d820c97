/**
 * Where discovery keeps what it learnt, in PostgreSQL (or PGlite): per (chain, owner) how far the
 * logs have been read and the hashes of blocks along the way (`approval_scans`), every approval
 * event read (`approval_events`, idempotent on (block, log index)), the last list of live
 * approvals, and the signed permits custos saw (`approval_offchain_permits`). A page of events and
 * the progress that covers it are committed in one transaction, and progress only moves from the
 * value the scanner started from, so a crash or a second scanner never leaves events without
 * progress, progress without events, or the same log twice.
 */
import { BaseError } from '@custos/core';
import type { Database, Queryable } from '@custos/db';
import type { Address, ApprovalEvent, ApprovalEventType, Hex, LiveApproval, OffchainScheme } from './types.js';

/** A block whose hash discovery remembers, to notice when the chain under it changed. */
export interface Checkpoint {
  block: bigint;
  hash: Hex;
}

export interface ScanProgress {
  chainId: number;
  owner: Address;
  /** The last block whose logs are all stored; null when never scanned (or rewound to nothing). */
  scannedTo: bigint | null;
  /** Oldest first. */
  checkpoints: Checkpoint[];
  status: 'idle' | 'scanning' | 'failed';
  /** While scanning: until when the scanner's lease holds (renewed at every page). */
  leaseUntil: Date | null;
  error: { code: string; message: string } | null;
  approvals: unknown[] | null;
  approvalsBlock: bigint | null;
  updatedAt: Date;
}

/** The newest checkpoints kept one by one; older ones are kept one per power-of-two age. */
const RECENT_CHECKPOINTS = 8;

/**
 * Keeps the newest few checkpoints and, further back, the newest one in each band of age
 * [2^k, 2^(k+1)) blocks from the newest: a reorg of any depth is located within a factor of two,
 * with a list that grows with the logarithm of the history.
 */
export function thinCheckpoints(checkpoints: readonly Checkpoint[]): Checkpoint[] {
  const sorted = [...checkpoints].sort((a, b) => (a.block < b.block ? -1 : a.block > b.block ? 1 : 0));
  const newest = sorted.at(-1);
  if (newest === undefined) return [];
  const kept: Checkpoint[] = sorted.slice(-RECENT_CHECKPOINTS);
  const bands = new Set<number>();
  for (let i = sorted.length - RECENT_CHECKPOINTS - 1; i >= 0; i--) {
    const cp = sorted[i] as Checkpoint;
    const band = (newest.block - cp.block).toString(2).length;
    if (bands.has(band)) continue;
    bands.add(band);
    kept.unshift(cp);
  }
  return kept;
}

interface ScanRow {
  chain_id: bigint;
  owner: string;
  scanned_to: bigint | null;
  checkpoints: { block: string; hash: Hex }[];
  status: ScanProgress['status'];
  lease_until: Date | null;
  error: ScanProgress['error'];
  approvals: unknown[] | null;
  approvals_block: bigint | null;
  updated_at: Date;
}

interface EventRow {
  block_number: bigint;
  log_index: number;
  block_hash: Hex;
  tx_hash: Hex;
  emitter: Address;
  type: ApprovalEventType;
  token: Address;
  spender: Address;
  value: string;
  expiration: bigint | null;
}

/** A signed permit custos saw, as recorded. */
export interface OffchainPermitRecord {
  chainId: number;
  owner: Address;
  scheme: OffchainScheme;
  verifyingContract: Address;
  token: Address;
  spender: Address;
  amount: bigint;
  nonce: bigint;
  /** The signature's deadline (unix seconds). */
  deadline?: bigint | undefined;
  /** Permit2 AllowanceTransfer: the allowance's expiration. */
  expiration?: number | undefined;
  /** The EIP-712 digest that was signed. */
  digest: Hex;
  /** The typed-data document that was signed. */
  typedData: unknown;
  via: 'firewall' | 'cosigner' | 'import';
  signedAt?: Date | undefined;
}

interface PermitRow {
  chain_id: bigint;
  owner: Address;
  scheme: OffchainScheme;
  verifying_contract: Address;
  token: Address;
  spender: Address;
  amount: string;
  nonce: string;
  deadline: string | null;
  expiration: bigint | null;
  digest: Hex;
  typed_data: unknown;
  via: OffchainPermitRecord['via'];
  signed_at: Date;
}

/** Thrown inside a page commit when another scanner moved the progress first. */
export class ScanConflictError extends BaseError {
  override name = 'ScanConflictError';
  constructor(chainId: number, owner: Address) {
    super('CONFLICT', 'another scan of this account advanced first', { details: { chainId, owner } });
  }
}

function toProgress(row: ScanRow): ScanProgress {
  return {
    chainId: Number(row.chain_id),
    owner: row.owner as Address,
    scannedTo: row.scanned_to,
    checkpoints: row.checkpoints.map((c) => ({ block: BigInt(c.block), hash: c.hash })),
    status: row.status,
    leaseUntil: row.lease_until,
    error: row.error,
    approvals: row.approvals,
    approvalsBlock: row.approvals_block,
    updatedAt: row.updated_at,
  };
}

const checkpointsJson = (checkpoints: readonly Checkpoint[]) =>
  JSON.stringify(checkpoints.map((c) => ({ block: c.block.toString(), hash: c.hash })));

export class ApprovalStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The account's progress, creating the row (never scanned) on first use. */
  async progress(chainId: number, owner: Address): Promise<ScanProgress> {
    const inserted = await this.#db.query<ScanRow>(
      `INSERT INTO approval_scans (chain_id, owner) VALUES ($1, $2)
       ON CONFLICT (chain_id, owner) DO UPDATE SET chain_id = EXCLUDED.chain_id
       RETURNING *`,
      [chainId, owner],
    );
    return toProgress(inserted.rows[0] as ScanRow);
  }

  /**
   * Forgets everything after block `keepTo` (null: everything): its events, its checkpoints, and
   * progress back to `keepTo`. Only from the progress `expected`, like a page commit.
   */
  async rewind(
    chainId: number,
    owner: Address,
    expected: bigint | null,
    keepTo: bigint | null,
    /** The block `keepTo`'s hash now, kept as a checkpoint so a failed scan can resume from here. */
    at?: Checkpoint,
    /**
     * The newest block the chain is known to still agree with (null: none). A stored list read at
     * a later block describes a chain that may be gone, and is forgotten.
     */
    agreedTo: bigint | null = keepTo,
  ): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#claim(tx, chainId, owner, expected);
      await tx.query(
        `DELETE FROM approval_events WHERE chain_id = $1 AND owner = $2 AND ($3::bigint IS NULL OR block_number > $3)`,
        [chainId, owner, keepTo],
      );
      const current = await tx.query<Pick<ScanRow, 'checkpoints'>>(
        'SELECT checkpoints FROM approval_scans WHERE chain_id = $1 AND owner = $2',
        [chainId, owner],
      );
      const kept = (current.rows[0]?.checkpoints ?? [])
        .map((c) => ({ block: BigInt(c.block), hash: c.hash }))
        .filter((c) => keepTo !== null && c.block <= keepTo && c.block !== at?.block);
      if (at !== undefined && keepTo !== null && at.block === keepTo) kept.push(at);
      // A stored list read above the kept block describes a chain that is gone: forget it too.
      await tx.query(
        `UPDATE approval_scans SET scanned_to = $3, checkpoints = $4::jsonb, updated_at = now(),
           approvals = CASE WHEN $5::bigint IS NULL OR approvals_block > $5 THEN NULL ELSE approvals END,
           approvals_block = CASE WHEN $5::bigint IS NULL OR approvals_block > $5 THEN NULL ELSE approvals_block END
         WHERE chain_id = $1 AND owner = $2`,
        [chainId, owner, keepTo, checkpointsJson(thinCheckpoints(kept)), agreedTo],
      );
    });
  }

  /**
   * Stores one page: its events and the progress to `toBlock` with the checkpoint at `toBlock`,
   * in one transaction, only if progress is still `expected`. Events already stored (the same
   * block and log index) are left as they are.
   */
  async commitPage(
    chainId: number,
    owner: Address,
    expected: bigint | null,
    events: readonly ApprovalEvent[],
    checkpoint: Checkpoint,
  ): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const checkpoints = await this.#claim(tx, chainId, owner, expected);
      for (let i = 0; i < events.length; i += 500) {
        const chunk = events.slice(i, i + 500);
        const values: unknown[] = [];
        const rows = chunk.map((e, j) => {
          const o = j * 12;
          values.push(
            chainId,
            owner,
            e.blockNumber,
            e.logIndex,
            e.blockHash,
            e.transactionHash,
            e.emitter,
            e.type,
            e.token,
            e.spender,
            e.value.toString(),
            e.expiration ?? null,
          );
          return `(${Array.from({ length: 12 }, (_, k) => `$${o + k + 1}`).join(', ')})`;
        });
        await tx.query(
          `INSERT INTO approval_events (chain_id, owner, block_number, log_index, block_hash, tx_hash, emitter, type,
             token, spender, value, expiration)
           VALUES ${rows.join(', ')}
           ON CONFLICT (chain_id, owner, block_number, log_index) DO NOTHING`,
          values as never[],
        );
      }
      const next = thinCheckpoints([...checkpoints.filter((c) => c.block < checkpoint.block), checkpoint]);
      await tx.query(
        `UPDATE approval_scans SET scanned_to = $3, checkpoints = $4::jsonb, updated_at = now()
         WHERE chain_id = $1 AND owner = $2`,
        [chainId, owner, checkpoint.block, checkpointsJson(next)],
      );
    });
  }

  /** Locks the progress row and checks it is still `expected`; returns its checkpoints. */
  async #claim(tx: Queryable, chainId: number, owner: Address, expected: bigint | null): Promise<Checkpoint[]> {
    const row = await tx.query<Pick<ScanRow, 'scanned_to' | 'checkpoints'>>(
      'SELECT scanned_to, checkpoints FROM approval_scans WHERE chain_id = $1 AND owner = $2 FOR UPDATE',
      [chainId, owner],
    );
    const current = row.rows[0];
    if (current === undefined || current.scanned_to !== expected) throw new ScanConflictError(chainId, owner);
    return current.checkpoints.map((c) => ({ block: BigInt(c.block), hash: c.hash }));
  }

  /** Every stored event of the account, in chain order. */
  async events(chainId: number, owner: Address): Promise<ApprovalEvent[]> {
    const result = await this.#db.query<EventRow>(
      `SELECT block_number, log_index, block_hash, tx_hash, emitter, type, token, spender, value::text AS value,
         expiration
       FROM approval_events WHERE chain_id = $1 AND owner = $2 ORDER BY block_number, log_index`,
      [chainId, owner],
    );
    return result.rows.map((r) => ({
      blockNumber: r.block_number,
      logIndex: r.log_index,
      blockHash: r.block_hash,
      transactionHash: r.tx_hash,
      emitter: r.emitter,
      type: r.type,
      token: r.token,
      spender: r.spender,
      value: BigInt(r.value),
      ...(r.expiration === null ? {} : { expiration: Number(r.expiration) }),
    }));
  }

  /**
   * Saves the list computed at `block`, unless a list of a later block is stored or the events
   * no longer reach `block` (a rewind after a reorg or a reset chain happened meanwhile). Answers
   * whether it was saved.
   */
  async saveApprovals(chainId: number, owner: Address, approvals: readonly unknown[], block: bigint): Promise<boolean> {
    const result = await this.#db.query(
      `UPDATE approval_scans SET approvals = $3::jsonb, approvals_block = $4, updated_at = now()
       WHERE chain_id = $1 AND owner = $2 AND (approvals_block IS NULL OR approvals_block <= $4)
         AND scanned_to IS NOT NULL AND scanned_to >= $4`,
      [chainId, owner, JSON.stringify(approvals), block],
    );
    return result.rowCount > 0;
  }

  /**
   * Takes the account's scan lease: true when no other scanner holds it (or its lease, renewed
   * at every page, lapsed `leaseMs` ago — a crashed node). The holder renews it with `renewLease`.
   */
  async claimScan(chainId: number, owner: Address, holder: string, leaseMs: number): Promise<boolean> {
    await this.progress(chainId, owner);
    const result = await this.#db.query(
      `UPDATE approval_scans SET status = 'scanning', error = NULL, scan_holder = $3, scan_started_at = now(),
         lease_until = now() + make_interval(secs => $4::double precision / 1000), updated_at = now()
       WHERE chain_id = $1 AND owner = $2
         AND (status <> 'scanning' OR scan_holder = $3 OR lease_until IS NULL OR lease_until < now())`,
      [chainId, owner, holder, leaseMs],
    );
    return result.rowCount > 0;
  }

  async renewLease(chainId: number, owner: Address, holder: string, leaseMs: number): Promise<void> {
    await this.#db.query(
      `UPDATE approval_scans SET lease_until = now() + make_interval(secs => $4::double precision / 1000)
       WHERE chain_id = $1 AND owner = $2 AND scan_holder = $3`,
      [chainId, owner, holder, leaseMs],
    );
  }

  /** Ends the holder's scan: idle, or failed with the reason. */
  async releaseScan(
    chainId: number,
    owner: Address,
    holder: string,
    error: ScanProgress['error'] = null,
  ): Promise<void> {
    await this.#db.query(
      `UPDATE approval_scans SET status = $4, error = $5::jsonb, scan_holder = NULL, lease_until = NULL,
         updated_at = now()
       WHERE chain_id = $1 AND owner = $2 AND scan_holder = $3`,
      [chainId, owner, holder, error === null ? 'idle' : 'failed', error === null ? null : JSON.stringify(error)],
    );
  }

  /** Records a signed permit; the same digest and token again is a no-op. */
  async recordPermit(record: OffchainPermitRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO approval_offchain_permits (chain_id, owner, scheme, verifying_contract, token, spender, amount,
         nonce, deadline, expiration, digest, typed_data, via)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13)
       ON CONFLICT (chain_id, owner, digest, token) DO NOTHING`,
      [
        record.chainId,
        record.owner,
        record.scheme,
        record.verifyingContract,
        record.token,
        record.spender,
        record.amount.toString(),
        record.nonce.toString(),
        record.deadline === undefined ? null : record.deadline.toString(),
        record.expiration ?? null,
        record.digest,
        JSON.stringify(record.typedData),
        record.via,
      ],
    );
  }

  /** The account's recorded permits, oldest first. */
  async permits(chainId: number, owner: Address): Promise<OffchainPermitRecord[]> {
    const result = await this.#db.query<PermitRow>(
      `SELECT chain_id, owner, scheme, verifying_contract, token, spender, amount::text AS amount, nonce::text AS nonce,
         deadline::text AS deadline, expiration, digest, typed_data, via, signed_at
       FROM approval_offchain_permits WHERE chain_id = $1 AND owner = $2 ORDER BY id`,
      [chainId, owner],
    );
    return result.rows.map((r) => ({
      chainId: Number(r.chain_id),
      owner: r.owner,
      scheme: r.scheme,
      verifyingContract: r.verifying_contract,
      token: r.token,
      spender: r.spender,
      amount: BigInt(r.amount),
      nonce: BigInt(r.nonce),
      ...(r.deadline === null ? {} : { deadline: BigInt(r.deadline) }),
      ...(r.expiration === null ? {} : { expiration: Number(r.expiration) }),
      digest: r.digest,
      typedData: r.typed_data,
      via: r.via,
      signedAt: r.signed_at,
    }));
  }
}

/** The stored list, typed (it was written by `saveApprovals`). */
export type StoredApprovals = LiveApproval[];
