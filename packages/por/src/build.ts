/**
 * Builds a round's liabilities Merkle sum tree from a snapshot, streaming, for tens of millions of
 * users: memory holds one batch of rows and one 8-byte sort key per user (plus I/O buffers), never
 * the tree; every level goes to a binary file under `DIR/tree/`. Four phases, each resumable after
 * a crash or a kill (the private `DIR/build.json` records where the build is, with the round id,
 * snapshot time, salt secret and signing key's public key so a resumed build makes the same tree;
 * a resume given any of them explicitly with another value is refused, never silently overridden):
 *
 * 1. leaves — the snapshot is parsed in order; each user's salt, user hash and leaf hash go to
 *    `leaves.bin` in the round’s `work` directory, in input order; progress (row count and byte offset) is checkpointed
 *    every `checkpointRows` rows after an fsync, so a resumed build truncates to the checkpoint and
 *    reads on from its byte offset;
 * 2. order — users are sorted by their user hash (a keyed permutation: the hash is salted with
 *    HMAC(secret, roundId ‖ userId), so the order reveals nothing about input order or ids), the
 *    level-0 file is written in that order and duplicates (equal user hashes) are refused with both
 *    line numbers; `DIR/tree/keys.bin` keeps each position's 8-byte key for proof look-ups;
 * 3. levels — each level is hashed from the one below, a zero-sum padding node completing an odd
 *    level; each finished level is checkpointed;
 * 4. root — the root node's sums must equal the totals summed while parsing (an independent
 *    check), and `DIR/root.json` is signed with Ed25519.
 *
 * Hashing uses node:crypto's SHA-256 and HMAC over exactly the bytes encoding.ts defines.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { BaseError, Decimal } from '@custos/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DOMAIN_TAGS, HASH_BYTES, MAX_SUM, paddingMessage, SUM_BYTES, saltMessage } from './encoding.js';
import { type AssetSpec, keyFingerprint, ROOT_VERSION, type RootFile, signRoot } from './root.js';
import {
  invalidSnapshot,
  readSnapshotHeader,
  readSnapshotRows,
  type SnapshotFormat,
  type SnapshotHeader,
} from './snapshot.js';

export const BUILD_VERSION = 'por-build/v1';

export type BuildPhase = 'leaves' | 'order' | 'levels' | 'root' | 'done';

export interface BuildProgress {
  phase: BuildPhase;
  done: number;
  total: number;
}

export interface BuildOptions {
  /** The liabilities snapshot (CSV or NDJSON). */
  input: string;
  /** The round directory. */
  out: string;
  /** The 32-byte Ed25519 seed the root is signed with (a resume must give the same one). */
  signingSeed: Uint8Array;
  /**
   * Default: the snapshot month, YYYY-MM in UTC. On a resume, undefined reuses the recorded one
   * and another value is refused — and so for `snapshotTime`, `saltSecret` and `format`.
   */
  roundId?: string | undefined;
  /** ISO-8601 time of the snapshot (default: now). */
  snapshotTime?: string | undefined;
  /** Default: HKDF-SHA256(signing seed, info "custos/por/salt/v1"). */
  saltSecret?: Uint8Array | undefined;
  /** Default: from the first line. */
  format?: SnapshotFormat | undefined;
  /** Rows between checkpoints of the leaves phase (default 1,000,000). */
  checkpointRows?: number | undefined;
  onProgress?: ((progress: BuildProgress) => void) | undefined;
  /**
   * For tests: give the input index at least this many low bits of the sort key (forcing many
   * users to share the masked key the look-up searches by). Default: just enough for the users.
   */
  sortKeyBits?: number | undefined;
}

export interface BuildResult {
  root: RootFile;
  users: number;
  /** Bytes of the tree files. */
  treeBytes: number;
  /** Whether this run continued an interrupted build. */
  resumed: boolean;
}

/** The private build record (`DIR/build.json`, mode 0600). */
export interface BuildState {
  version: typeof BUILD_VERSION;
  input: { path: string; size: number; mtimeMs: number };
  format: SnapshotFormat;
  roundId: string;
  snapshotTime: string;
  /** Hex; private. */
  saltSecret: string;
  /** Hex Ed25519 public key of the signing seed (absent from records written before it was kept). */
  publicKey?: string | undefined;
  assets: AssetSpec[];
  dataOffset: number;
  firstDataLine: number;
  keys?: string[] | undefined;
  phase: BuildPhase;
  /** Leaves phase: rows stored and where the next row starts. */
  rows: number;
  byteOffset: number;
  /** Per-asset totals in units (decimal strings), over the stored rows. */
  totals: string[];
  /** After the order phase: entries per level written so far (level 0 first). */
  levels: number[];
  /** Low bits of each sort key that hold the input index (see `sortKeyBits`). */
  sortKeyBits?: number | undefined;
}

/**
 * Bits of a user's 8-byte sort key given to its input index: enough for `users` distinct
 * indices, so the keys (hash prefix above, index below) are all distinct and sort into a total
 * order. `keys.bin` stores each key with these bits cleared — still non-decreasing — and a look-up
 * scans the few positions that share its masked key, confirming each by its leaf.
 */
export function sortKeyBits(users: number): number {
  return Math.max(1, Math.ceil(Math.log2(users + 1)));
}

const RECORD_HEAD = HASH_BYTES * 2; // user hash, leaf hash
const enc = new TextEncoder();

export function deriveSaltSecret(seed: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', seed, new Uint8Array(0), 'custos/por/salt/v1', 32));
}

function monthOf(iso: string): string {
  return iso.slice(0, 7);
}

function writeState(out: string, state: BuildState): void {
  const path = join(out, 'build.json');
  const tmp = `${path}.tmp`;
  // A mode applies only to a file the open creates: a tmp file left by a crash (or put there) would
  // keep its own, so it is removed and the tmp file made afresh, exclusively, with mode 0600.
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeFileSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function readBuildState(out: string): BuildState | undefined {
  const path = join(out, 'build.json');
  if (!existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8')) as BuildState;
  if (state.version !== BUILD_VERSION) {
    throw new BaseError('POR_INVALID_INPUT', `${path} is not a build record this version can resume`, {
      details: { version: String(state.version) },
    });
  }
  return state;
}

export function entryBytes(assets: number): number {
  return HASH_BYTES + SUM_BYTES * assets;
}

export function levelPath(out: string, level: number): string {
  return join(out, 'tree', `level-${String(level).padStart(2, '0')}.bin`);
}

/** Writes `buffer[0, length)` at `position`, all of it. */
function writeAll(fd: number, buffer: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) done += writeSync(fd, buffer, done, length - done, position + done);
}

function readAll(fd: number, buffer: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) throw new BaseError('POR_INVALID_INPUT', 'a tree file ends early: the build is damaged');
    done += n;
  }
}

/** The hex Ed25519 public key of a signing seed, refusing anything but 32 bytes up front. */
function publicKeyOf(seed: Uint8Array): string {
  if (seed.length !== 32) throw new BaseError('POR_INVALID_INPUT', 'an Ed25519 signing seed is 32 bytes');
  return bytesToHex(ed25519.getPublicKey(seed));
}

function isoTime(text: string): string {
  if (Number.isNaN(Date.parse(text)))
    throw new BaseError('POR_INVALID_INPUT', `--snapshot-time is not an ISO-8601 time: ${text}`);
  return new Date(text).toISOString();
}

/**
 * A resume keeps the settings the build began with: each given explicitly must equal the
 * recorded one (undefined reuses it). The message says which differs and how to go on (the CLI
 * prints only the message); the salt secret is compared, never shown.
 */
function checkResumeSettings(options: BuildOptions, state: BuildState, publicKey: string): void {
  const out = options.out;
  const differs = (
    setting: string,
    values: { given: string; recorded: string } | undefined,
    proceed: string,
  ): never => {
    const recorded = values === undefined ? '' : ` (${values.recorded})`;
    throw new BaseError(
      'POR_INVALID_INPUT',
      `the ${setting} differs from the one the interrupted build in ${out} began with${recorded}: ${proceed}, or remove ${out} to build from scratch with the new ${setting}`,
      { details: { setting, ...values } },
    );
  };
  const reuse = (flag: string) => `resume with the same ${flag}, or without ${flag} to reuse the recorded one`;
  if (options.roundId !== undefined && options.roundId !== state.roundId)
    differs('round id', { given: options.roundId, recorded: state.roundId }, reuse('--round-id'));
  if (options.snapshotTime !== undefined) {
    const given = isoTime(options.snapshotTime);
    if (given !== state.snapshotTime)
      differs('snapshot time', { given, recorded: state.snapshotTime }, reuse('--snapshot-time'));
  }
  if (options.saltSecret !== undefined) {
    const given = Buffer.from(options.saltSecret);
    const recorded = Buffer.from(state.saltSecret, 'hex');
    if (given.length !== recorded.length || !timingSafeEqual(given, recorded))
      differs('salt secret', undefined, reuse('--salt-secret'));
  }
  if (options.format !== undefined && options.format !== state.format)
    differs('format', { given: options.format, recorded: state.format }, reuse('--format'));
  if (state.publicKey !== undefined && state.publicKey !== publicKey) {
    differs(
      'signing key',
      { given: `key ${keyFingerprint(publicKey)}`, recorded: `key ${keyFingerprint(state.publicKey)}` },
      'resume with the --signing-key the build began with (the round is signed by one key)',
    );
  }
}

function startState(options: BuildOptions, header: SnapshotHeader, publicKey: string): BuildState {
  const stat = statSync(options.input);
  const snapshotTime = isoTime(options.snapshotTime ?? new Date().toISOString());
  const roundId = options.roundId ?? monthOf(new Date(snapshotTime).toISOString());
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(roundId))
    throw new BaseError(
      'POR_INVALID_INPUT',
      `the round id must be 1–128 letters, digits, ".", "_", ":" or "-": ${roundId}`,
    );
  const secret = options.saltSecret ?? deriveSaltSecret(options.signingSeed);
  if (secret.length < 32) throw new BaseError('POR_INVALID_INPUT', 'the salt secret must be at least 32 bytes');
  return {
    version: BUILD_VERSION,
    input: { path: options.input, size: stat.size, mtimeMs: stat.mtimeMs },
    format: header.format,
    roundId,
    snapshotTime,
    saltSecret: Buffer.from(secret).toString('hex'),
    publicKey,
    assets: header.assets,
    dataOffset: header.dataOffset,
    firstDataLine: header.firstDataLine,
    keys: header.keys,
    phase: 'leaves',
    rows: 0,
    byteOffset: header.dataOffset,
    totals: header.assets.map(() => '0'),
    levels: [],
  };
}

/** Builds (or resumes building) a round. */
export function buildLiabilitiesTree(options: BuildOptions): BuildResult {
  const publicKey = publicKeyOf(options.signingSeed);
  mkdirSync(join(options.out, 'tree'), { recursive: true });
  mkdirSync(join(options.out, 'work'), { recursive: true });
  let state = readBuildState(options.out);
  if (state?.phase === 'done') {
    // A finished round may be published and open on a server: never rewrite it in place.
    throw new BaseError('POR_INVALID_INPUT', `${options.out} already holds a finished round`, {
      details: { roundId: state.roundId },
      hints: ['Build each round into a new directory.'],
    });
  }
  const resumed = state !== undefined;
  if (state === undefined) {
    const header = readSnapshotHeader(options.input, options.format);
    state = startState(options, header, publicKey);
    for (const f of ['work/leaves.bin', 'tree/keys.bin']) rmSync(join(options.out, f), { force: true });
    for (let level = 0; existsSync(levelPath(options.out, level)); level++) rmSync(levelPath(options.out, level));
    rmSync(join(options.out, 'root.json'), { force: true });
    writeState(options.out, state);
  } else {
    const stat = statSync(options.input);
    if (stat.size !== state.input.size || stat.mtimeMs !== state.input.mtimeMs) {
      throw new BaseError('POR_INVALID_INPUT', 'the snapshot changed since the interrupted build began', {
        details: { input: options.input },
        hints: ['Remove the round directory to build from scratch.'],
      });
    }
    checkResumeSettings(options, state, publicKey);
  }
  if (state.phase === 'leaves') buildLeaves(options, state);
  if (state.phase === 'order') orderLeaves(options, state);
  if (state.phase === 'levels') buildLevels(options, state);
  const root = finishRoot(options, state);
  let treeBytes = statSync(join(options.out, 'tree', 'keys.bin')).size;
  for (let level = 0; level < state.levels.length; level++) treeBytes += statSync(levelPath(options.out, level)).size;
  return { root, users: state.rows, treeBytes, resumed };
}

/** Per-asset totals as two Number halves per asset, folded into bigints before they can lose bits. */
class Totals {
  readonly #hi: Float64Array;
  readonly #lo: Float64Array;
  readonly #exact: bigint[];
  #pending = 0;

  constructor(start: readonly string[]) {
    this.#exact = start.map((t) => BigInt(t));
    this.#hi = new Float64Array(start.length);
    this.#lo = new Float64Array(start.length);
  }

  add(balances: Uint32Array, at: number): void {
    for (let i = 0; i < this.#hi.length; i++) {
      this.#hi[i] = (this.#hi[i] as number) + (balances[at + 2 * i] as number);
      this.#lo[i] = (this.#lo[i] as number) + (balances[at + 2 * i + 1] as number);
    }
    // Each half stays below 2^53 for 2^21 rows: fold well before.
    if (++this.#pending === 1 << 20) this.fold();
  }

  fold(): bigint[] {
    for (let i = 0; i < this.#exact.length; i++) {
      this.#exact[i] =
        (this.#exact[i] as bigint) + (BigInt(this.#hi[i] as number) << 32n) + BigInt(this.#lo[i] as number);
      this.#hi[i] = 0;
      this.#lo[i] = 0;
    }
    this.#pending = 0;
    return this.#exact;
  }
}

function buildLeaves(options: BuildOptions, state: BuildState): void {
  const a = state.assets.length;
  const recordSize = RECORD_HEAD + 8 * a;
  const secret = Buffer.from(state.saltSecret, 'hex');
  const path = join(options.out, 'work', 'leaves.bin');
  const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
  const checkpointRows = options.checkpointRows ?? 1_000_000;
  try {
    // Anything after the last checkpoint is redone.
    ftruncateSync(fd, state.rows * recordSize);
    const header: SnapshotHeader = {
      format: state.format,
      assets: state.assets,
      dataOffset: state.dataOffset,
      firstDataLine: state.firstDataLine,
      ...(state.keys === undefined ? {} : { keys: state.keys }),
    };
    const totals = new Totals(state.totals);
    const roundBytes = enc.encode(state.roundId);
    const roundLen = Buffer.alloc(4);
    roundLen.writeUInt32BE(roundBytes.length);
    const leafHead = Buffer.concat([DOMAIN_TAGS.leaf, roundLen, roundBytes]);
    const assetCount = Buffer.alloc(2);
    assetCount.writeUInt16BE(a);
    const idLen = Buffer.alloc(4);
    const balancesBytes = Buffer.alloc(8 * a);
    let rows = state.rows;
    let sinceCheckpoint = 0;
    const total = state.input.size;
    const startLine = state.firstDataLine + state.rows;
    for (const batch of readSnapshotRows(options.input, header, state.byteOffset, startLine)) {
      const out = Buffer.alloc(batch.userIds.length * recordSize);
      for (let r = 0; r < batch.userIds.length; r++) {
        const userId = batch.userIds[r] as string;
        const idBytes = Buffer.from(userId, 'utf8');
        const salt = createHmac('sha256', secret).update(saltMessage(state.roundId, userId)).digest();
        idLen.writeUInt32BE(idBytes.length);
        const userHash = createHash('sha256')
          .update(DOMAIN_TAGS.user)
          .update(salt)
          .update(idLen)
          .update(idBytes)
          .digest();
        const at = r * a * 2;
        for (let i = 0; i < a; i++) {
          balancesBytes.writeUInt32BE(batch.balances[at + 2 * i] as number, 8 * i);
          balancesBytes.writeUInt32BE(batch.balances[at + 2 * i + 1] as number, 8 * i + 4);
        }
        const leafHash = createHash('sha256')
          .update(leafHead)
          .update(userHash)
          .update(assetCount)
          .update(balancesBytes)
          .digest();
        const o = r * recordSize;
        userHash.copy(out, o);
        leafHash.copy(out, o + HASH_BYTES);
        balancesBytes.copy(out, o + RECORD_HEAD);
        totals.add(batch.balances, at);
      }
      writeAll(fd, out, out.length, rows * recordSize);
      rows += batch.userIds.length;
      sinceCheckpoint += batch.userIds.length;
      options.onProgress?.({ phase: 'leaves', done: batch.endOffset, total });
      if (sinceCheckpoint >= checkpointRows) {
        fsyncSync(fd);
        state.rows = rows;
        state.byteOffset = batch.endOffset;
        state.totals = totals.fold().map(String);
        checkTotals(state);
        writeState(options.out, state);
        sinceCheckpoint = 0;
      }
    }
    fsyncSync(fd);
    state.rows = rows;
    state.byteOffset = total;
    state.totals = totals.fold().map(String);
    checkTotals(state);
    if (rows === 0) throw invalidSnapshot('the snapshot has no users', state.firstDataLine);
    state.phase = 'order';
    writeState(options.out, state);
  } finally {
    closeSync(fd);
  }
}

function checkTotals(state: BuildState): void {
  for (const [i, t] of state.totals.entries()) {
    if (BigInt(t) > MAX_SUM) {
      throw new BaseError('POR_INVALID_INPUT', `the ${state.assets[i]?.symbol} total reaches 2^96 units`, {
        details: { asset: state.assets[i]?.symbol ?? null },
        hints: ['Declare the asset at a smaller scale.'],
      });
    }
  }
}

function orderLeaves(options: BuildOptions, state: BuildState): void {
  const n = state.rows;
  const a = state.assets.length;
  const recordSize = RECORD_HEAD + 8 * a;
  const entrySize = entryBytes(a);
  const bitCount = Math.max(sortKeyBits(n), options.sortKeyBits ?? 0);
  if (bitCount > 63) throw new BaseError('POR_INVALID_INPUT', 'sortKeyBits must stay below 64');
  const bits = BigInt(bitCount);
  const mask = (1n << bits) - 1n;
  const fd = openSync(join(options.out, 'work', 'leaves.bin'), 'r');
  const level0 = openSync(levelPath(options.out, 0), 'w');
  const keysFd = openSync(join(options.out, 'tree', 'keys.bin'), 'w');
  try {
    // One sort key per user: the top bits of its user hash, then its input index (a total order).
    const keys = new BigUint64Array(n);
    const chunkRows = Math.max(1, Math.floor((8 << 20) / recordSize));
    const chunk = Buffer.alloc(chunkRows * recordSize);
    for (let start = 0; start < n; start += chunkRows) {
      const count = Math.min(chunkRows, n - start);
      readAll(fd, chunk, count * recordSize, start * recordSize);
      for (let i = 0; i < count; i++) {
        const prefix = chunk.readBigUInt64BE(i * recordSize);
        keys[start + i] = ((prefix >> bits) << bits) | BigInt(start + i);
      }
      options.onProgress?.({ phase: 'order', done: start + count, total: n * 2 });
    }
    keys.sort();
    const batch = 4096;
    const entries = Buffer.alloc(batch * entrySize);
    const keyBytes = Buffer.alloc(batch * 8);
    const record = Buffer.alloc(recordSize);
    let previous: { top: bigint; hashes: { hash: Buffer; index: number }[] } | undefined;
    for (let r = 0; r < n; r += batch) {
      const count = Math.min(batch, n - r);
      entries.fill(0);
      for (let j = 0; j < count; j++) {
        const key = keys[r + j] as bigint;
        const index = Number(key & mask);
        readAll(fd, record, recordSize, index * recordSize);
        const userHash = record.subarray(0, HASH_BYTES);
        const top = key >> bits;
        // Equal users have equal hashes, so equal top bits: they sit in one run of the sorted keys.
        if (previous === undefined || previous.top !== top) previous = { top, hashes: [] };
        for (const seen of previous.hashes) {
          if (seen.hash.equals(userHash)) {
            const lines = [seen.index, index].map((i) => state.firstDataLine + i).sort((x, y) => x - y);
            throw invalidSnapshot(`the same user_id as line ${lines[0]}`, lines[1] as number);
          }
        }
        previous.hashes.push({ hash: Buffer.from(userHash), index });
        const o = j * entrySize;
        record.copy(entries, o, HASH_BYTES, RECORD_HEAD);
        for (let i = 0; i < a; i++)
          record.copy(entries, o + HASH_BYTES + SUM_BYTES * i + 4, RECORD_HEAD + 8 * i, RECORD_HEAD + 8 * i + 8);
        keyBytes.writeBigUInt64BE(top << bits, j * 8);
      }
      writeAll(level0, entries, count * entrySize, r * entrySize);
      writeAll(keysFd, keyBytes, count * 8, r * 8);
      if (r % (batch * 64) === 0) options.onProgress?.({ phase: 'order', done: n + r + count, total: n * 2 });
    }
    let count = n;
    if (n > 1 && n % 2 === 1) {
      writeAll(level0, paddingEntry(state, 0, n, a), entrySize, n * entrySize);
      count++;
    }
    fsyncSync(level0);
    fsyncSync(keysFd);
    state.levels = [count];
    state.sortKeyBits = bitCount;
    state.phase = 'levels';
    writeState(options.out, state);
  } finally {
    closeSync(fd);
    closeSync(level0);
    closeSync(keysFd);
  }
}

function paddingEntry(state: BuildState, height: number, index: number, assets: number): Buffer {
  const entry = Buffer.alloc(entryBytes(assets));
  createHash('sha256')
    .update(paddingMessage(state.roundId, height, BigInt(index)))
    .digest()
    .copy(entry, 0);
  return entry;
}

/** left + right for each 96-bit big-endian sum, as three 32-bit limbs with carry. */
function addSums(left: Buffer, right: Buffer, out: Buffer, at: number, assets: number): void {
  for (let i = 0; i < assets; i++) {
    const o = HASH_BYTES + SUM_BYTES * i;
    let carry = 0;
    for (let limb = 8; limb >= 0; limb -= 4) {
      const sum = left.readUInt32BE(o + limb) + right.readUInt32BE(o + limb) + carry;
      carry = sum >= 2 ** 32 ? 1 : 0;
      out.writeUInt32BE(sum - carry * 2 ** 32, at + o + limb);
    }
    if (carry !== 0) throw new BaseError('POR_INVALID_INPUT', 'a per-asset sum reaches 2^96 units');
  }
}

function buildLevels(options: BuildOptions, state: BuildState): void {
  const a = state.assets.length;
  const entrySize = entryBytes(a);
  const nodeHead = Buffer.alloc(DOMAIN_TAGS.node.length + 3);
  nodeHead.set(DOMAIN_TAGS.node, 0);
  nodeHead.writeUInt16BE(a, DOMAIN_TAGS.node.length + 1);
  const pairsPerChunk = Math.max(1, Math.floor((8 << 20) / (2 * entrySize)));
  const totalNodes = (state.levels[0] as number) - 1;
  let doneNodes = 0;
  for (let h = 0; (state.levels[h] as number) > 1; h++) {
    const below = state.levels[h] as number;
    if (state.levels[h + 1] !== undefined) {
      doneNodes += below / 2;
      continue; // finished before an interruption
    }
    const parents = below / 2;
    const input = openSync(levelPath(options.out, h), 'r');
    const output = openSync(levelPath(options.out, h + 1), 'w');
    try {
      const inBuf = Buffer.alloc(pairsPerChunk * 2 * entrySize);
      const outBuf = Buffer.alloc(pairsPerChunk * entrySize);
      nodeHead.writeUInt8(h + 1, DOMAIN_TAGS.node.length);
      for (let p = 0; p < parents; p += pairsPerChunk) {
        const count = Math.min(pairsPerChunk, parents - p);
        readAll(input, inBuf, count * 2 * entrySize, p * 2 * entrySize);
        for (let k = 0; k < count; k++) {
          const left = inBuf.subarray(2 * k * entrySize, (2 * k + 1) * entrySize);
          const right = inBuf.subarray((2 * k + 1) * entrySize, (2 * k + 2) * entrySize);
          createHash('sha256')
            .update(nodeHead)
            .update(left)
            .update(right)
            .digest()
            .copy(outBuf, k * entrySize);
          addSums(left, right, outBuf, k * entrySize, a);
        }
        writeAll(output, outBuf, count * entrySize, p * entrySize);
        doneNodes += count;
        options.onProgress?.({ phase: 'levels', done: doneNodes, total: totalNodes });
      }
      let count = parents;
      if (parents > 1 && parents % 2 === 1) {
        writeAll(output, paddingEntry(state, h + 1, parents, a), entrySize, parents * entrySize);
        count++;
      }
      fsyncSync(output);
      state.levels.push(count);
      writeState(options.out, state);
    } finally {
      closeSync(input);
      closeSync(output);
    }
  }
  state.phase = 'root';
  writeState(options.out, state);
}

function finishRoot(options: BuildOptions, state: BuildState): RootFile {
  const a = state.assets.length;
  const top = state.levels.length - 1;
  const fd = openSync(levelPath(options.out, top), 'r');
  const entry = Buffer.alloc(entryBytes(a));
  try {
    if (fstatSync(fd).size !== entry.length) throw new BaseError('INTERNAL', 'the top level holds more than the root');
    readAll(fd, entry, entry.length, 0);
  } finally {
    closeSync(fd);
  }
  const sums = state.assets.map((_, i) => {
    let v = 0n;
    for (let b = 0; b < SUM_BYTES; b++) v = (v << 8n) | BigInt(entry[HASH_BYTES + SUM_BYTES * i + b] as number);
    return v;
  });
  // The root's sums come from the tree; the totals from the parser: two independent sums.
  for (const [i, s] of sums.entries()) {
    if (s !== BigInt(state.totals[i] as string)) {
      throw new BaseError('INTERNAL', `the tree's ${state.assets[i]?.symbol} sum is not the snapshot's total`);
    }
  }
  const root = signRoot(
    {
      version: ROOT_VERSION,
      roundId: state.roundId,
      snapshotTime: state.snapshotTime,
      assets: state.assets,
      height: top,
      rootHash: entry.subarray(0, HASH_BYTES).toString('hex'),
      totals: sums.map((s, i) => Decimal.fromUnits(s, (state.assets[i] as AssetSpec).scale).toString()),
    },
    options.signingSeed,
  );
  writeFileSync(join(options.out, 'root.json'), `${JSON.stringify(root, null, 2)}\n`);
  rmSync(join(options.out, 'work'), { recursive: true, force: true });
  state.phase = 'done';
  writeState(options.out, state);
  return root;
}
