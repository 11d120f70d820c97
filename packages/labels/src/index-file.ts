/**
 * The compiled label index: one immutable file built from sorted records, designed for hundreds
 * of millions of addresses.
 *
 * Layout (all integers little-endian; sections start on 4 KiB boundaries):
 *   [0, 4096)   header: magic `CUSTOSLX`, u32 version, u32 JSON length, JSON (counts, section
 *               offsets and lengths, SHA-256 of the metadata, domain and directory sections)
 *   entries     one 64-byte entry per address, sorted by address: the 20-byte address, a kind
 *               byte, then either the record inline (u16 length + up to 41 bytes) or a pointer
 *               (u64 offset, u32 length) into the spill section
 *   spill       records too long to sit inline
 *   dir         u32[2^b + 1]: the first entry of each bucket (bucket = the address's top b bits)
 *   fp          u16[n]: the 16 address bits after the bucket bits, per entry
 *   meta        JSON: category and source tables, source trust, build facts
 *   domains     JSON: the domain lists and their fuzzy tolerance
 *
 * Only `dir` and `fp` are held in memory: about 2–3 bytes per address. A look-up finds the
 * address's bucket, scans its 16-bit fingerprints (no false negatives: every stored address has
 * its own bits there), and answers a miss from memory. A fingerprint match is only a candidate:
 * its 64-byte entry is read from disk and the full 20-byte address compared before any label is
 * reported, so no answer ever comes from a truncated key (addresses that share 40 leading bits
 * can be ground on a GPU).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { BaseError } from '@custos/core';
import { DomainIndex } from './domains.js';
import type { Address, DomainLabel, Trust } from './model.js';
import { decodeRecord, type IndexLabel, RecordWriter, StringTable } from './record.js';

export const INDEX_MAGIC = 'CUSTOSLX';
export const INDEX_VERSION = 1;
const HEADER_SIZE = 4096;
export const ENTRY_SIZE = 64;
const INLINE_MAX = ENTRY_SIZE - 23;
const ALIGN = 4096;

interface Section {
  offset: number;
  length: number;
}

interface Header {
  version: number;
  count: number;
  bucketBits: number;
  sections: Record<'entries' | 'spill' | 'dir' | 'fp' | 'meta' | 'domains', Section>;
  sha256: { meta: string; domains: string; dir: string };
}

export interface IndexMeta {
  categories: string[];
  sources: string[];
  trust: Record<string, Trust>;
  builtAt: string;
  labelCount: number;
  description: string;
}

export interface IndexBuildStats {
  path: string;
  addresses: number;
  labels: number;
  bucketBits: number;
  fileBytes: number;
  spilledRecords: number;
  domains: number;
}

export interface IndexBuilderOptions {
  /** Trust of each source (stored in the index so look-ups can apply the precedence policy). */
  trust: Record<string, Trust>;
  domains?: Iterable<DomainLabel>;
  fuzzyTolerance?: number;
  description?: string;
  /** Called about every 2^20 addresses. */
  onProgress?: (addresses: number) => void;
  /** Fixed build time (for reproducible shipped indexes). */
  builtAt?: Date;
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function corrupt(message: string, details: Record<string, string | number> = {}): BaseError {
  return new BaseError('LABELS_INDEX_CORRUPT', message, {
    details,
    hints: ['Rebuild the index (custos labels compile), or point --index at a complete file.'],
  });
}

/** The bucket bits for n addresses: about 8–16 addresses per bucket. */
export function bucketBitsFor(n: number): number {
  return Math.min(32, Math.max(4, Math.ceil(Math.log2(Math.max(n, 1) / 16))));
}

const HEX = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[65 + i] = 10 + i;
    t[97 + i] = 10 + i;
  }
  return t;
})();

/**
 * Parses a 0x-optional 40-hex-digit address into `out` without allocating; false if it is not
 * one (any case: look-ups are case-insensitive and checksum-agnostic).
 */
export function parseAddressInto(input: string, out: Uint8Array): boolean {
  let start = 0;
  if (input.length === 42 && input.charCodeAt(0) === 48 && (input.charCodeAt(1) | 0x20) === 120) start = 2;
  else if (input.length !== 40) return false;
  for (let i = 0; i < 20; i++) {
    const a = input.charCodeAt(start + 2 * i);
    const b = input.charCodeAt(start + 2 * i + 1);
    const hi = a < 128 ? (HEX[a] as number) : -1;
    const lo = b < 128 ? (HEX[b] as number) : -1;
    if ((hi | lo) < 0) return false;
    out[i] = (hi << 4) | lo;
  }
  return true;
}

export function addressToBytes(address: Address): Uint8Array {
  const out = new Uint8Array(20);
  if (!parseAddressInto(address, out)) throw new BaseError('LABELS_INVALID_ADDRESS', 'not a 20-byte hex address');
  return out;
}

const HEX_CHARS = '0123456789abcdef';
const addressChars: number[] = new Array(42).fill(0);

/** Lowercase 0x-hex of 20 bytes, as one flat string (a concatenation would build a rope). */
export function bytesToAddress(bytes: Uint8Array): Address {
  addressChars[0] = 48;
  addressChars[1] = 120;
  for (let i = 0; i < 20; i++) {
    const b = bytes[i] as number;
    addressChars[2 + 2 * i] = HEX_CHARS.charCodeAt(b >>> 4);
    addressChars[3 + 2 * i] = HEX_CHARS.charCodeAt(b & 15);
  }
  return String.fromCharCode.apply(null, addressChars) as Address;
}

function compare20(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 20; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** Buffered sequential writer over a file descriptor. */
class FileWriter {
  readonly #fd: number;
  readonly #buf = Buffer.allocUnsafe(1 << 22);
  #len = 0;
  position: number;
  constructor(fd: number, position: number) {
    this.#fd = fd;
    this.position = position;
  }
  write(bytes: Uint8Array): void {
    if (bytes.length > this.#buf.length - this.#len) this.flush();
    if (bytes.length > this.#buf.length) {
      this.#writeAll(bytes);
      return;
    }
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }
  /** Room for `n` bytes in the buffer, written in place. */
  reserve(n: number): Buffer {
    if (n > this.#buf.length - this.#len) this.flush();
    const view = this.#buf.subarray(this.#len, this.#len + n);
    this.#len += n;
    return view;
  }
  #writeAll(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      done += writeSync(this.#fd, bytes, done, bytes.length - done, this.position + done);
    }
    this.position += bytes.length;
  }
  flush(): void {
    if (this.#len === 0) return;
    this.#writeAll(this.#buf.subarray(0, this.#len));
    this.#len = 0;
  }
  padTo(position: number): void {
    this.flush();
    this.position = position;
  }
}

const CHUNK = 1 << 20;

/**
 * Builds an index from records given in strictly increasing address order (the store's
 * `ORDER BY address`, or a generator). Memory during the build: 6 bytes per address (the 48-bit
 * prefixes the directory and fingerprints are made from) plus buffers; entries stream to disk.
 * The file appears under its name only when `finish()` completes (written as `<path>.tmp`, then
 * renamed), so a reader never sees a half-written index.
 */
export class IndexBuilder {
  readonly #path: string;
  readonly #tmp: string;
  readonly #fd: number;
  readonly #spillPath: string;
  readonly #spillFd: number;
  readonly #entries: FileWriter;
  readonly #spill: FileWriter;
  readonly #options: IndexBuilderOptions;
  readonly #categories = new StringTable();
  readonly #sources = new StringTable();
  readonly #records = new RecordWriter();
  readonly #hi: Uint32Array[] = [];
  readonly #lo: Uint16Array[] = [];
  readonly #prev = new Uint8Array(20);
  readonly #scratch = new Uint8Array(20);
  #count = 0;
  #labels = 0;
  #spilled = 0;
  #done = false;

  constructor(path: string, options: IndexBuilderOptions) {
    this.#path = path;
    this.#tmp = `${path}.tmp`;
    this.#spillPath = `${path}.spill.tmp`;
    this.#options = options;
    this.#fd = openSync(this.#tmp, 'w');
    this.#spillFd = openSync(this.#spillPath, 'w+');
    this.#entries = new FileWriter(this.#fd, HEADER_SIZE);
    this.#spill = new FileWriter(this.#spillFd, 0);
  }

  get count(): number {
    return this.#count;
  }

  /** Adds one address (hex or 20 bytes) with its labels; addresses must strictly increase. */
  add(address: Address | Uint8Array, labels: readonly IndexLabel[]): void {
    if (this.#done) throw new Error('index builder already finished');
    let bytes: Uint8Array;
    if (typeof address === 'string') {
      if (!parseAddressInto(address, this.#scratch)) {
        throw new BaseError('LABELS_INVALID_ADDRESS', 'index builder got an invalid address', {
          details: { address: String(address).slice(0, 64) },
        });
      }
      bytes = this.#scratch;
    } else bytes = address;
    if (bytes.length !== 20) throw new BaseError('LABELS_INVALID_ADDRESS', 'an address is 20 bytes');
    if (labels.length === 0) throw new BaseError('INVALID_INPUT', 'an indexed address needs at least one label');
    if (this.#count > 0 && compare20(bytes, this.#prev) <= 0) {
      throw new BaseError('INVALID_INPUT', 'index builder input is not in strictly increasing address order', {
        details: { address: bytesToAddress(bytes), previous: bytesToAddress(this.#prev), position: this.#count },
      });
    }
    this.#prev.set(bytes);
    const i = this.#count % CHUNK;
    if (i === 0) {
      this.#hi.push(new Uint32Array(CHUNK));
      this.#lo.push(new Uint16Array(CHUNK));
    }
    (this.#hi[this.#hi.length - 1] as Uint32Array)[i] =
      ((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number);
    (this.#lo[this.#lo.length - 1] as Uint16Array)[i] = ((bytes[4] as number) << 8) | (bytes[5] as number);

    const record = this.#records.encode(labels, this.#categories, this.#sources);
    const entry = this.#entries.reserve(ENTRY_SIZE);
    entry.fill(0);
    entry.set(bytes, 0);
    if (record.length <= INLINE_MAX) {
      entry[20] = 0;
      entry.writeUInt16LE(record.length, 21);
      entry.set(record, 23);
    } else {
      entry[20] = 1;
      const offset = this.#spillBytes;
      entry.writeUInt32LE(offset % 0x100000000, 21);
      entry.writeUInt32LE(Math.floor(offset / 0x100000000), 25);
      entry.writeUInt32LE(record.length, 29);
      this.#spill.write(record);
      this.#spillBytes += record.length;
      this.#spilled++;
    }
    this.#count++;
    this.#labels += labels.length;
    if ((this.#count & 0xfffff) === 0) this.#options.onProgress?.(this.#count);
  }

  /** Logical length of the spill section (its writer buffers). */
  #spillBytes = 0;

  /** Writes the remaining sections and the header, then renames the file into place. */
  async finish(): Promise<IndexBuildStats> {
    if (this.#done) throw new Error('index builder already finished');
    this.#done = true;
    try {
      const n = this.#count;
      if (n >= 0xffffffff) throw new BaseError('INVALID_INPUT', 'an index holds at most 2^32 − 1 addresses');
      this.#entries.flush();
      this.#spill.flush();
      const entries: Section = { offset: HEADER_SIZE, length: n * ENTRY_SIZE };

      // Spill section: copied from its temporary file.
      const spill: Section = { offset: alignUp(entries.offset + entries.length), length: this.#spillBytes };
      const copy = Buffer.allocUnsafe(1 << 22);
      const out = new FileWriter(this.#fd, spill.offset);
      for (let pos = 0; pos < spill.length; ) {
        const got = readSync(this.#spillFd, copy, 0, Math.min(copy.length, spill.length - pos), pos);
        if (got <= 0) throw new Error('spill file shorter than written');
        out.write(copy.subarray(0, got));
        pos += got;
      }
      out.flush();

      // Directory and fingerprints from the 48-bit prefixes.
      const b = bucketBitsFor(n);
      const buckets = 2 ** b;
      const dir = new Uint32Array(buckets + 1);
      const fp = new Uint16Array(n);
      const bucketDiv = 2 ** (48 - b);
      const fpDiv = 2 ** (32 - b);
      for (let i = 0; i < n; i++) {
        const c = Math.floor(i / CHUNK);
        const j = i % CHUNK;
        const prefix =
          ((this.#hi[c] as Uint32Array)[j] as number) * 65536 + ((this.#lo[c] as Uint16Array)[j] as number);
        const bucket = Math.floor(prefix / bucketDiv);
        (dir as Uint32Array)[bucket + 1] = ((dir[bucket + 1] as number) + 1) >>> 0;
        fp[i] = Math.floor(prefix / fpDiv) & 0xffff;
      }
      for (let k = 1; k <= buckets; k++) dir[k] = ((dir[k] as number) + (dir[k - 1] as number)) >>> 0;
      const dirBytes = new Uint8Array(dir.buffer);
      const fpBytes = new Uint8Array(fp.buffer);

      const meta: IndexMeta = {
        categories: this.#categories.values,
        sources: this.#sources.values,
        trust: Object.fromEntries(this.#sources.values.map((s) => [s, this.#options.trust[s] ?? 'community'])),
        builtAt: (this.#options.builtAt ?? new Date()).toISOString(),
        labelCount: this.#labels,
        description: this.#options.description ?? '',
      };
      const metaBytes = Buffer.from(JSON.stringify(meta));
      const domainIndex = new DomainIndex(this.#options.domains ?? [], this.#options.fuzzyTolerance ?? 0);
      const domainBytes = Buffer.from(
        JSON.stringify({ tolerance: domainIndex.tolerance, entries: [...domainIndex.entries()] }),
      );

      const sections = { entries, spill } as Header['sections'];
      let at = alignUp(spill.offset + spill.length);
      for (const [name, bytes] of [
        ['dir', dirBytes],
        ['fp', fpBytes],
        ['meta', metaBytes],
        ['domains', domainBytes],
      ] as const) {
        sections[name] = { offset: at, length: bytes.length };
        const w = new FileWriter(this.#fd, at);
        w.write(bytes);
        w.flush();
        at = alignUp(at + bytes.length);
      }
      const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
      const header: Header = {
        version: INDEX_VERSION,
        count: n,
        bucketBits: b,
        sections,
        sha256: { meta: sha(metaBytes), domains: sha(domainBytes), dir: sha(dirBytes) },
      };
      const json = Buffer.from(JSON.stringify(header));
      if (json.length > HEADER_SIZE - 16) throw new Error('index header too large');
      const head = Buffer.alloc(HEADER_SIZE);
      head.write(INDEX_MAGIC, 0, 'latin1');
      head.writeUInt32LE(INDEX_VERSION, 8);
      head.writeUInt32LE(json.length, 12);
      json.copy(head, 16);
      writeSync(this.#fd, head, 0, HEADER_SIZE, 0);
      // The file's length is the end of its last section, so a truncated copy is detected.
      const end = sections.domains.offset + sections.domains.length;
      closeSync(this.#fd);
      closeSync(this.#spillFd);
      rmSync(this.#spillPath, { force: true });
      renameSync(this.#tmp, this.#path);
      return {
        path: this.#path,
        addresses: n,
        labels: this.#labels,
        bucketBits: b,
        fileBytes: end,
        spilledRecords: this.#spilled,
        domains: Object.values(domainIndex.size).reduce((a, b) => a + b, 0),
      };
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** Deletes the partial files. */
  abort(): void {
    this.#done = true;
    for (const fd of [this.#fd, this.#spillFd]) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    rmSync(this.#tmp, { force: true });
    rmSync(this.#spillPath, { force: true });
  }
}

/** The labels the index holds for one address, in every scope. */
export interface IndexHit {
  address: Address;
  labels: IndexLabel[];
}

/**
 * A read-only open index. `find` answers misses from memory and confirms every hit against the
 * full address read from disk. Safe to share: look-ups are synchronous and keep no state
 * between calls.
 */
export class LabelIndex {
  readonly path: string;
  readonly count: number;
  readonly bucketBits: number;
  readonly meta: IndexMeta;
  readonly domains: DomainIndex;
  readonly fileBytes: number;
  readonly #fd: number;
  readonly #dir: Uint32Array;
  readonly #fp: Uint16Array;
  readonly #entriesOffset: number;
  readonly #spillOffset: number;
  readonly #spillLength: number;
  readonly #bucketShift: number;
  readonly #entry = Buffer.alloc(ENTRY_SIZE);
  readonly #key = new Uint8Array(20);
  #closed = false;
  /** Entries read from disk (candidates confirmed or rejected), for benchmarks and tests. */
  diskReads = 0;

  private constructor(path: string, fd: number, header: Header, dir: Uint32Array, fp: Uint16Array, meta: IndexMeta) {
    this.path = path;
    this.#fd = fd;
    this.count = header.count;
    this.bucketBits = header.bucketBits;
    this.#dir = dir;
    this.#fp = fp;
    this.meta = meta;
    this.#entriesOffset = header.sections.entries.offset;
    this.#spillOffset = header.sections.spill.offset;
    this.#spillLength = header.sections.spill.length;
    this.#bucketShift = 32 - header.bucketBits;
    this.fileBytes = header.sections.domains.offset + header.sections.domains.length;
    const d = readSection(fd, header.sections.domains);
    checkSha(d, header.sha256.domains, 'domains');
    let parsed: { tolerance: number; entries: DomainLabel[] };
    try {
      parsed = JSON.parse(Buffer.from(d).toString('utf8'));
    } catch (cause) {
      throw corrupt('label index domain section is not JSON', { cause: String(cause) });
    }
    this.domains = new DomainIndex(parsed.entries, parsed.tolerance);
  }

  static open(path: string): LabelIndex {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (cause) {
      throw new BaseError('LABELS_INDEX_CORRUPT', 'cannot open the label index', {
        details: { path },
        cause,
        hints: ['Build one with `custos labels compile`, or omit --index to use the shipped one.'],
      });
    }
    try {
      const size = fstatSync(fd).size;
      if (size < HEADER_SIZE) throw corrupt('label index is shorter than its header', { size });
      const head = Buffer.alloc(HEADER_SIZE);
      readSync(fd, head, 0, HEADER_SIZE, 0);
      if (head.toString('latin1', 0, 8) !== INDEX_MAGIC) throw corrupt('not a custos label index (bad magic)');
      const version = head.readUInt32LE(8);
      if (version !== INDEX_VERSION) throw corrupt('unsupported label index version', { version });
      const len = head.readUInt32LE(12);
      if (len > HEADER_SIZE - 16) throw corrupt('label index header length out of range');
      let header: Header;
      try {
        header = JSON.parse(head.toString('utf8', 16, 16 + len));
      } catch {
        throw corrupt('label index header is not JSON');
      }
      const n = header.count;
      const b = header.bucketBits;
      if (!Number.isSafeInteger(n) || n < 0 || !Number.isInteger(b) || b < 4 || b > 32) {
        throw corrupt('label index header out of range');
      }
      const s = header.sections;
      const expect: Record<string, number> = { entries: n * ENTRY_SIZE, dir: (2 ** b + 1) * 4, fp: n * 2 };
      for (const [name, section] of Object.entries(s)) {
        if (section.offset < HEADER_SIZE || section.offset + section.length > size) {
          throw corrupt('label index is truncated', { section: name, size, needed: section.offset + section.length });
        }
        if (expect[name] !== undefined && section.length !== expect[name]) {
          throw corrupt('label index section has the wrong length', { section: name });
        }
      }
      const dirBytes = readSection(fd, s.dir);
      checkSha(dirBytes, header.sha256.dir, 'dir');
      const dir = new Uint32Array(dirBytes.buffer, dirBytes.byteOffset, 2 ** b + 1);
      if (dir[0] !== 0 || dir[2 ** b] !== n) throw corrupt('label index directory is inconsistent');
      const fpBytes = readSection(fd, s.fp);
      const fp = new Uint16Array(fpBytes.buffer, fpBytes.byteOffset, n);
      const metaBytes = readSection(fd, s.meta);
      checkSha(metaBytes, header.sha256.meta, 'meta');
      const meta = JSON.parse(Buffer.from(metaBytes).toString('utf8')) as IndexMeta;
      return new LabelIndex(path, fd, header, dir, fp, meta);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Bytes the index keeps in memory (directory and fingerprints). */
  get residentBytes(): number {
    return this.#dir.byteLength + this.#fp.byteLength;
  }

  /**
   * The labels of an address in every scope, or null. `address` must already be valid (use
   * `normalizeAddress` first for user input); a string that is not an address is a miss.
   */
  find(address: string | Uint8Array, wantScope?: (scope: number) => boolean): IndexHit | null {
    if (this.#closed) throw new BaseError('LABELS_INDEX_CORRUPT', 'label index is closed');
    const key = this.#key;
    if (typeof address === 'string') {
      if (!parseAddressInto(address, key)) return null;
    } else {
      if (address.length !== 20) return null;
      key.set(address);
    }
    const hi =
      (((key[0] as number) << 24) | ((key[1] as number) << 16) | ((key[2] as number) << 8) | (key[3] as number)) >>> 0;
    const lo = ((key[4] as number) << 8) | (key[5] as number);
    const shift = this.#bucketShift;
    const bucket = shift === 32 ? 0 : hi >>> shift;
    // The 16 bits after the bucket bits: the low `shift` bits of hi, then the top of lo.
    const want = shift >= 16 ? (hi >>> (shift - 16)) & 0xffff : ((hi << (16 - shift)) | (lo >>> shift)) & 0xffff;
    let start = this.#dir[bucket] as number;
    const end = this.#dir[bucket + 1] as number;
    const fp = this.#fp;
    if (end - start > 16) {
      // Fingerprints within a bucket are sorted (entries are in address order): binary search.
      let lo2 = start;
      let hi2 = end;
      while (lo2 < hi2) {
        const mid = (lo2 + hi2) >>> 1;
        if ((fp[mid] as number) < want) lo2 = mid + 1;
        else hi2 = mid;
      }
      start = lo2;
    }
    for (let i = start; i < end; i++) {
      const f = fp[i] as number;
      if (f > want) break;
      if (f === want) {
        const hit = this.#confirm(i, key, wantScope);
        if (hit) return hit;
      }
    }
    return null;
  }

  #confirm(i: number, key: Uint8Array, wantScope?: (scope: number) => boolean): IndexHit | null {
    const entry = this.#entry;
    this.diskReads++;
    const got = readSync(this.#fd, entry, 0, ENTRY_SIZE, this.#entriesOffset + i * ENTRY_SIZE);
    if (got !== ENTRY_SIZE) throw corrupt('label index entry truncated');
    for (let k = 0; k < 20; k++) if (entry[k] !== key[k]) return null;
    let record: Uint8Array;
    if (entry[20] === 0) {
      const len = entry.readUInt16LE(21);
      if (len > INLINE_MAX) throw corrupt('label index inline record too long');
      record = entry.subarray(23, 23 + len);
    } else if (entry[20] === 1) {
      const offset = entry.readUInt32LE(21) + entry.readUInt32LE(25) * 0x100000000;
      const len = entry.readUInt32LE(29);
      if (offset + len > this.#spillLength) throw corrupt('label index spill pointer out of range');
      record = Buffer.allocUnsafe(len);
      if (readSync(this.#fd, record, 0, len, this.#spillOffset + offset) !== len) throw corrupt('spill truncated');
    } else throw corrupt('label index entry kind unknown');
    const labels = decodeRecord(record, this.meta.categories, this.meta.sources, wantScope);
    return { address: bytesToAddress(key), labels };
  }

  trustOf = (source: string): Trust => this.meta.trust[source] ?? 'community';

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

function readSection(fd: number, section: Section): Uint8Array {
  const out = new Uint8Array(section.length);
  let done = 0;
  while (done < section.length) {
    const got = readSync(fd, out, done, Math.min(1 << 30, section.length - done), section.offset + done);
    if (got <= 0) throw corrupt('label index is truncated');
    done += got;
  }
  return out;
}

function checkSha(bytes: Uint8Array, expected: string, section: string): void {
  if (createHash('sha256').update(bytes).digest('hex') !== expected) {
    throw corrupt('label index section checksum mismatch', { section });
  }
}
