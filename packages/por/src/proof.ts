/**
 * Inclusion proofs on demand from a built round: `RoundReader` opens a round directory once (its
 * private build record for the salt secret, the signed root, the level files and the sorted key
 * file) and answers `proof(userId)` with a `por-proof/v1` document in about 2·height small reads:
 * the user's key (the top 8 bytes of its salted user hash) is found by binary search in
 * `tree/keys.bin`, confirmed by recomputing the leaf from the stored balances, and the path is the
 * sibling and parent entries of each level. A user who is not in the round is NOT_FOUND.
 */
import { createHash, createHmac } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaseError, Decimal } from '@custos/core';
import { type BuildState, entryBytes, levelPath, readBuildState, sortKeyBits } from './build.js';
import { HASH_BYTES, leafMessage, SUM_BYTES, saltMessage, userHashMessage } from './encoding.js';
import { parseRootFile, type RootFile } from './root.js';
import { readSnapshotHeader, readSnapshotRows } from './snapshot.js';
import { type InclusionProof, PROOF_VERSION } from './verify.js';

export class RoundReader {
  readonly root: RootFile;
  readonly #state: BuildState;
  readonly #secret: Buffer;
  readonly #levels: number[];
  readonly #keys: number;
  readonly #entry: number;
  readonly #users: number;

  private constructor(dir: string, state: BuildState, root: RootFile) {
    this.root = root;
    this.#state = state;
    this.#secret = Buffer.from(state.saltSecret, 'hex');
    this.#entry = entryBytes(state.assets.length);
    this.#levels = state.levels.map((_, level) => openSync(levelPath(dir, level), 'r'));
    this.#keys = openSync(join(dir, 'tree', 'keys.bin'), 'r');
    this.#users = fstatSync(this.#keys).size / 8;
  }

  /** Opens a finished round directory. */
  static open(dir: string): RoundReader {
    const state = readBuildState(dir);
    if (state === undefined || state.phase !== 'done') {
      throw new BaseError('POR_ROUND_NOT_FOUND', `${dir} holds no finished round`, {
        details: { dir },
        hints: ['Build it first: custos por build --liabilities <file> --out <dir> --signing-key <file>.'],
      });
    }
    const root = parseRootFile(JSON.parse(readFileSync(join(dir, 'root.json'), 'utf8')));
    return new RoundReader(dir, state, root);
  }

  get users(): number {
    return this.#users;
  }

  #read(fd: number, length: number, position: number): Buffer {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, position + done);
      if (n === 0) throw new BaseError('POR_INVALID_INPUT', 'a tree file ends early: the round is damaged');
      done += n;
    }
    return out;
  }

  #entryAt(level: number, index: number): Buffer {
    return this.#read(this.#levels[level] as number, this.#entry, index * this.#entry);
  }

  #sums(entry: Buffer): string[] {
    return this.#state.assets.map((asset, i) => {
      let units = 0n;
      for (let b = 0; b < SUM_BYTES; b++)
        units = (units << 8n) | BigInt(entry[HASH_BYTES + SUM_BYTES * i + b] as number);
      return Decimal.fromUnits(units, asset.scale).toString();
    });
  }

  /** The leaf position of `userId`, or undefined when the user is not in the round. */
  #locate(userId: string): { position: number; salt: Buffer; userHash: Uint8Array } | undefined {
    const salt = createHmac('sha256', this.#secret).update(saltMessage(this.#state.roundId, userId)).digest();
    const userHash = new Uint8Array(createHash('sha256').update(userHashMessage(salt, userId)).digest());
    const bits = BigInt(this.#state.sortKeyBits ?? sortKeyBits(this.#users));
    const key = (Buffer.from(userHash.subarray(0, 8)).readBigUInt64BE(0) >> bits) << bits;
    let low = 0;
    let high = this.#users;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#read(this.#keys, 8, middle * 8).readBigUInt64BE(0) < key) low = middle + 1;
      else high = middle;
    }
    // Several users may share a masked key (never equal users): confirm each by its leaf.
    const assets = this.#state.assets.length;
    for (let position = low; position < this.#users; position++) {
      if (this.#read(this.#keys, 8, position * 8).readBigUInt64BE(0) !== key) break;
      const entry = this.#entryAt(0, position);
      const balances = Array.from({ length: assets }, (_, i) => entry.readBigUInt64BE(HASH_BYTES + SUM_BYTES * i + 4));
      const leaf = createHash('sha256')
        .update(leafMessage(this.#state.roundId, userHash, balances))
        .digest();
      if (leaf.equals(entry.subarray(0, HASH_BYTES))) return { position, salt, userHash };
    }
    return undefined;
  }

  /**
   * A user's position, user hash and balances (units), or undefined when the user is not in the
   * round: the witness the zero-knowledge round is proven from.
   */
  witness(userId: string): { position: number; salt: Buffer; userHash: Uint8Array; balances: bigint[] } | undefined {
    const found = this.#locate(userId);
    if (found === undefined) return undefined;
    const entry = this.#entryAt(0, found.position);
    const balances = this.#state.assets.map((_, i) => entry.readBigUInt64BE(HASH_BYTES + SUM_BYTES * i + 4));
    return { ...found, balances };
  }

  /** The user ids of the snapshot the round was built from, in input order, a batch at a time. */
  *userIds(): Generator<string[]> {
    const header = readSnapshotHeader(this.#state.input.path, this.#state.format);
    for (const batch of readSnapshotRows(this.#state.input.path, header, header.dataOffset, header.firstDataLine))
      yield batch.userIds;
  }

  /** The user's `por-proof/v1`. */
  proof(userId: string): InclusionProof {
    const found = this.#locate(userId);
    if (found === undefined) {
      throw new BaseError('NOT_FOUND', 'no such user in this round', { details: { roundId: this.#state.roundId } });
    }
    const leafEntry = this.#entryAt(0, found.position);
    const path: InclusionProof['path'] = [];
    let index = found.position;
    for (let level = 0; level < this.root.height; level++) {
      const sibling = this.#entryAt(level, index ^ 1);
      const parent = this.#entryAt(level + 1, index >>> 1);
      path.push({
        sibling: { hash: sibling.subarray(0, HASH_BYTES).toString('hex'), sums: this.#sums(sibling) },
        parent: parent.subarray(0, HASH_BYTES).toString('hex'),
      });
      index >>>= 1;
    }
    return {
      version: PROOF_VERSION,
      roundId: this.#state.roundId,
      userId,
      salt: found.salt.toString('hex'),
      assets: this.#state.assets,
      balances: this.#sums(leafEntry),
      position: found.position,
      leaf: leafEntry.subarray(0, HASH_BYTES).toString('hex'),
      path,
    };
  }

  /**
   * The file name a user's proof is emitted under: a salted hash of the user id (so the file
   * names reveal no ids), sharded by its first two hex digits.
   */
  proofFileName(userId: string): string {
    const name = createHmac('sha256', this.#secret)
      .update('custos-por-v1/proof-file\0')
      .update(saltMessage(this.#state.roundId, userId))
      .digest('hex')
      .slice(0, 32);
    return join(name.slice(0, 2), `${name}.json`);
  }

  /**
   * Writes every user's proof to `outDir/<shard>/<salted id hash>.json`, reading the user ids
   * from the snapshot the round was built from (the tree holds none). Returns the file count.
   */
  emitProofs(outDir: string, onProgress?: (done: number, total: number) => void): number {
    const header = readSnapshotHeader(this.#state.input.path, this.#state.format);
    let done = 0;
    for (const batch of readSnapshotRows(this.#state.input.path, header, header.dataOffset, header.firstDataLine)) {
      for (const userId of batch.userIds) {
        const file = join(outDir, this.proofFileName(userId));
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, JSON.stringify(this.proof(userId)));
        done++;
      }
      onProgress?.(done, this.#users);
    }
    return done;
  }

  close(): void {
    for (const fd of this.#levels) closeSync(fd);
    closeSync(this.#keys);
  }
}
