/**
 * The server's proof-of-reserves rounds: the operator publishes a built round directory (on the
 * server's disk) with its reserves table; the latest published round is what `GET
 * /v1/por/rounds/latest` answers and what users' proofs come from. A round's root is checked
 * (shape and Ed25519 signature) before it is recorded, and each node opens a round's tree files
 * once and keeps them open (proofs are a few small reads each).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BaseError } from '@custos/core';
import type { Database, Queryable } from '@custos/db';
import { parseRootFile, type RootFile, RoundReader, verifyRootSignature } from '@custos/por';

export interface PublishedRound {
  roundId: string;
  dir: string;
  root: RootFile;
  reserves: unknown;
  publishedAt: string;
}

export interface PorRuntime {
  publish(dir: string, reserves?: unknown): Promise<PublishedRound>;
  latest(): Promise<PublishedRound | undefined>;
  /** The reader of a published round's tree (opened once per node). */
  reader(round: PublishedRound): RoundReader;
  close(): Promise<void>;
}

interface RoundRow {
  round_id: string;
  dir: string;
  root: RootFile;
  reserves: unknown;
  published_at: Date;
}

const toRound = (r: RoundRow): PublishedRound => ({
  roundId: r.round_id,
  dir: r.dir,
  root: r.root,
  reserves: r.reserves,
  publishedAt: r.published_at.toISOString(),
});

export async function latestRound(db: Queryable): Promise<PublishedRound | undefined> {
  const result = await db.query<RoundRow>(
    'SELECT round_id, dir, root, reserves, published_at FROM por_rounds ORDER BY published_at DESC LIMIT 1',
  );
  const row = result.rows[0];
  return row === undefined ? undefined : toRound(row);
}

export interface PorRuntimeOptions {
  /** The exchange's root-signing key: a round signed by any other is refused at publication. */
  publicKey?: string;
}

export function createPorRuntime(db: Database, options: PorRuntimeOptions = {}): PorRuntime {
  const readers = new Map<string, RoundReader>();
  return {
    async publish(dirInput, reserves) {
      const dir = resolve(dirInput);
      const rootPath = join(dir, 'root.json');
      if (!existsSync(rootPath) || !existsSync(join(dir, 'build.json'))) {
        throw new BaseError('POR_ROUND_NOT_FOUND', 'the directory holds no finished round (root.json and build.json)', {
          details: { dir: dirInput },
          hints: ['Build it on this server’s disk first: custos por build … --out <dir>.'],
        });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(rootPath, 'utf8'));
      } catch (cause) {
        throw new BaseError('POR_INVALID_INPUT', 'root.json is not JSON', { details: { dir: dirInput }, cause });
      }
      const root = parseRootFile(parsed);
      verifyRootSignature(root, options.publicKey);
      // Opening the reader checks the tree files are there before the round is announced.
      const reader = RoundReader.open(dir);
      if (reader.root.rootHash !== root.rootHash) {
        reader.close();
        throw new BaseError('POR_INVALID_INPUT', 'root.json does not match the round’s build record');
      }
      readers.get(dir)?.close();
      readers.set(dir, reader);
      const result = await db.query<RoundRow>(
        `INSERT INTO por_rounds (round_id, dir, root, reserves) VALUES ($1, $2, $3::jsonb, $4::jsonb)
         ON CONFLICT (round_id) DO UPDATE SET dir = EXCLUDED.dir, root = EXCLUDED.root,
           reserves = EXCLUDED.reserves, published_at = now()
         RETURNING round_id, dir, root, reserves, published_at`,
        [root.roundId, dir, JSON.stringify(root), reserves === undefined ? null : JSON.stringify(reserves)],
      );
      return toRound(result.rows[0] as RoundRow);
    },
    latest: () => latestRound(db),
    reader(round) {
      let reader = readers.get(round.dir);
      if (reader === undefined || reader.root.rootHash !== round.root.rootHash) {
        reader?.close();
        reader = RoundReader.open(round.dir);
        readers.set(round.dir, reader);
      }
      return reader;
    },
    async close() {
      for (const reader of readers.values()) reader.close();
      readers.clear();
    },
  };
}
