/**
 * The proof's binary format (version 1), compact and strict, and a JSON view for inspection.
 *
 *   "CSTK" · u16 version · options (6 × u8) · u8 log2(trace length)
 *   then the sections in this order, each `u8 tag · u32 byte length · body`:
 *     1 roots     main (32) · u8 aux present · aux (32)? · chunks (32)
 *     2 ood       five u32-counted word vectors: main(z), main(zg), aux(z), aux(zg), chunks(z)
 *     3 fri       u8 layer count · per layer: root (32) · opening;  then the final polynomial (counted words)
 *     4 pow       u64 nonce
 *     5 openings  main opening · u8 aux present · aux opening? · chunks opening
 *   opening = u16 count · count × u32 index · u16 width · count × width × u32 · u8 salt bytes ·
 *             count × salt · u16 sibling count · siblings × 32
 *
 * All integers little-endian. Decoding refuses anything else — a wrong magic, an unknown version,
 * a section out of order, a length that runs past the end, trailing bytes — with
 * STARK_PROOF_INVALID and `details.reason = 'malformed'`, before any allocation larger than the
 * input itself.
 */
import { BaseError } from '@custos/core';
import type { MerkleOpening } from './crypto/merkle.js';
import type { ProofOptions } from './fri/params.js';
import { PROOF_VERSION, type StarkProof } from './proof.js';

const MAGIC = [0x43, 0x53, 0x54, 0x4b]; // "CSTK"

/** Magic (4), version (2), options (6), log2 of the trace length (1). */
export const HEADER_BYTES = 13;

export const SECTIONS = ['header', 'roots', 'ood', 'fri', 'pow', 'openings'] as const;
export type Section = (typeof SECTIONS)[number];

class Writer {
  readonly #chunks: Uint8Array[] = [];
  u8(v: number): void {
    this.#chunks.push(Uint8Array.of(v));
  }
  u16(v: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    this.#chunks.push(b);
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.#chunks.push(b);
  }
  u64(v: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    this.#chunks.push(b);
  }
  bytes(b: Uint8Array): void {
    this.#chunks.push(b.slice());
  }
  words(w: Uint32Array): void {
    const b = new Uint8Array(w.length * 4);
    const view = new DataView(b.buffer);
    for (let i = 0; i < w.length; i++) view.setUint32(4 * i, w[i] as number, true);
    this.#chunks.push(b);
  }
  finish(): Uint8Array {
    let length = 0;
    for (const c of this.#chunks) length += c.length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function malformed(what: string): BaseError {
  return new BaseError('STARK_PROOF_INVALID', `malformed proof: ${what}`, { details: { reason: 'malformed' } });
}

class Reader {
  #at = 0;
  readonly #view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly what: string,
  ) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.#at;
  }
  #need(n: number): void {
    if (n > this.remaining) throw malformed(`${this.what} is truncated`);
  }
  u8(): number {
    this.#need(1);
    return this.#view.getUint8(this.#at++);
  }
  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#at, true);
    this.#at += 2;
    return v;
  }
  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#at, true);
    this.#at += 4;
    return v;
  }
  u64(): number {
    this.#need(8);
    const v = this.#view.getBigUint64(this.#at, true);
    this.#at += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(`${this.what}: nonce out of range`);
    return Number(v);
  }
  bytesOf(n: number): Uint8Array {
    this.#need(n);
    const out = this.bytes.slice(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  words(n: number): Uint32Array {
    this.#need(4 * n);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.#view.getUint32(this.#at + 4 * i, true);
    this.#at += 4 * n;
    return out;
  }
  countedWords(): Uint32Array {
    return this.words(this.u32());
  }
  end(): void {
    if (this.remaining !== 0) throw malformed(`${this.what} has ${this.remaining} trailing bytes`);
  }
}

function writeOpening(w: Writer, o: MerkleOpening): void {
  w.u16(o.indices.length);
  for (const i of o.indices) w.u32(i);
  const width = o.rows[0]?.length ?? 0;
  w.u16(width);
  for (const row of o.rows) w.words(row);
  const saltBytes = o.salts[0]?.length ?? 0;
  w.u8(saltBytes);
  for (const s of o.salts) w.bytes(s);
  w.u16(o.siblings.length);
  for (const s of o.siblings) w.bytes(s);
}

function readOpening(r: Reader): MerkleOpening {
  const count = r.u16();
  const indices: number[] = [];
  for (let k = 0; k < count; k++) indices.push(r.u32());
  const width = r.u16();
  if (count * width * 4 > r.remaining) throw malformed(`${r.what}: opening rows run past the end`);
  const rows: Uint32Array[] = [];
  for (let k = 0; k < count; k++) rows.push(r.words(width));
  const saltBytes = r.u8();
  const salts: Uint8Array[] = [];
  for (let k = 0; k < count; k++) salts.push(r.bytesOf(saltBytes));
  const siblingCount = r.u16();
  const siblings: Uint8Array[] = [];
  for (let k = 0; k < siblingCount; k++) siblings.push(r.bytesOf(32));
  return { indices, rows, salts, siblings };
}

function section(w: Writer, tag: number, body: Uint8Array): void {
  w.u8(tag);
  w.u32(body.length);
  w.bytes(body);
}

export function encodeProof(proof: StarkProof): Uint8Array {
  const w = new Writer();
  for (const b of MAGIC) w.u8(b);
  w.u16(proof.version);
  const o = proof.options;
  for (const v of [
    o.logBlowup,
    o.numQueries,
    o.logFoldingFactor,
    o.logFinalDegree,
    o.grindingBits,
    o.zeroKnowledge ? 1 : 0,
  ])
    w.u8(v);
  w.u8(proof.logTraceLength);

  const roots = new Writer();
  roots.bytes(proof.mainRoot);
  roots.u8(proof.auxRoot.length > 0 ? 1 : 0);
  if (proof.auxRoot.length > 0) roots.bytes(proof.auxRoot);
  roots.bytes(proof.chunksRoot);
  section(w, 1, roots.finish());

  const ood = new Writer();
  for (const v of [proof.ood.mainZ, proof.ood.mainZg, proof.ood.auxZ, proof.ood.auxZg, proof.ood.chunksZ]) {
    ood.u32(v.length);
    ood.words(v);
  }
  section(w, 2, ood.finish());

  const fri = new Writer();
  fri.u8(proof.fri.layers.length);
  for (const layer of proof.fri.layers) {
    fri.bytes(layer.root);
    writeOpening(fri, layer.opening);
  }
  fri.u32(proof.fri.finalPoly.length);
  fri.words(proof.fri.finalPoly);
  section(w, 3, fri.finish());

  const pow = new Writer();
  pow.u64(proof.powNonce);
  section(w, 4, pow.finish());

  const openings = new Writer();
  writeOpening(openings, proof.mainOpening);
  openings.u8(proof.auxOpening === null ? 0 : 1);
  if (proof.auxOpening !== null) writeOpening(openings, proof.auxOpening);
  writeOpening(openings, proof.chunksOpening);
  section(w, 5, openings.finish());
  return w.finish();
}

/** Where each section starts and ends in an encoded proof (for tests and inspection). */
export function sectionRanges(bytes: Uint8Array): Record<Section, { start: number; end: number }> {
  const r = new Reader(bytes, 'proof');
  const out = { header: { start: 0, end: HEADER_BYTES } } as Record<Section, { start: number; end: number }>;
  r.bytesOf(HEADER_BYTES);
  for (let tag = 1; tag <= 5; tag++) {
    const start = bytes.length - r.remaining;
    r.u8();
    const length = r.u32();
    r.bytesOf(length);
    out[SECTIONS[tag] as Section] = { start, end: start + 5 + length };
  }
  return out;
}

export function decodeProof(bytes: Uint8Array): StarkProof {
  const r = new Reader(bytes, 'proof');
  for (const b of MAGIC) if (r.u8() !== b) throw malformed('not a custos STARK proof (magic)');
  const version = r.u16();
  if (version !== PROOF_VERSION) {
    throw new BaseError('STARK_PROOF_INVALID', `unsupported proof version ${version}`, {
      details: { reason: 'version', version },
    });
  }
  const [logBlowup, numQueries, logFoldingFactor, logFinalDegree, grindingBits, zk] = [
    r.u8(),
    r.u8(),
    r.u8(),
    r.u8(),
    r.u8(),
    r.u8(),
  ];
  if (zk !== 0 && zk !== 1) throw malformed('zero-knowledge flag');
  const options: ProofOptions = {
    logBlowup: logBlowup as number,
    numQueries: numQueries as number,
    logFoldingFactor: logFoldingFactor as number,
    logFinalDegree: logFinalDegree as number,
    grindingBits: grindingBits as number,
    zeroKnowledge: zk === 1,
  };
  const logTraceLength = r.u8();
  const sectionOf = (tag: number): Reader => {
    const t = r.u8();
    if (t !== tag) throw malformed(`expected section ${SECTIONS[tag]}, found tag ${t}`);
    const length = r.u32();
    return new Reader(r.bytesOf(length), SECTIONS[tag] as string);
  };

  const roots = sectionOf(1);
  const mainRoot = roots.bytesOf(32);
  const hasAux = roots.u8();
  if (hasAux > 1) throw malformed('aux flag');
  const auxRoot = hasAux === 1 ? roots.bytesOf(32) : new Uint8Array(0);
  const chunksRoot = roots.bytesOf(32);
  roots.end();

  const oodReader = sectionOf(2);
  const [mainZ, mainZg, auxZ, auxZg, chunksZ] = [0, 1, 2, 3, 4].map(() => oodReader.countedWords()) as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  oodReader.end();

  const friReader = sectionOf(3);
  const layerCount = friReader.u8();
  const layers: { root: Uint8Array; opening: MerkleOpening }[] = [];
  for (let l = 0; l < layerCount; l++) layers.push({ root: friReader.bytesOf(32), opening: readOpening(friReader) });
  const finalPoly = friReader.countedWords();
  friReader.end();

  const powReader = sectionOf(4);
  const powNonce = powReader.u64();
  powReader.end();

  const openings = sectionOf(5);
  const mainOpening = readOpening(openings);
  const auxFlag = openings.u8();
  if (auxFlag > 1) throw malformed('aux opening flag');
  const auxOpening = auxFlag === 1 ? readOpening(openings) : null;
  const chunksOpening = readOpening(openings);
  openings.end();
  r.end();
  return {
    version,
    options,
    logTraceLength,
    mainRoot,
    auxRoot,
    chunksRoot,
    ood: { mainZ, mainZg, auxZ, auxZg, chunksZ },
    fri: { layers, finalPoly },
    powNonce,
    mainOpening,
    auxOpening,
    chunksOpening,
  };
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const openingJson = (o: MerkleOpening) => ({
  indices: [...o.indices],
  rows: o.rows.map((row) => [...row]),
  salts: o.salts.map(hex),
  siblings: o.siblings.map(hex),
});

/** A JSON view of a proof for inspection (not a second format: nothing reads it back). */
export function proofToJson(proof: StarkProof): Record<string, unknown> {
  return {
    version: proof.version,
    options: proof.options,
    traceLength: 2 ** proof.logTraceLength,
    roots: { main: hex(proof.mainRoot), aux: hex(proof.auxRoot), chunks: hex(proof.chunksRoot) },
    ood: {
      mainZ: [...proof.ood.mainZ],
      mainZg: [...proof.ood.mainZg],
      auxZ: [...proof.ood.auxZ],
      auxZg: [...proof.ood.auxZg],
      chunksZ: [...proof.ood.chunksZ],
    },
    fri: {
      layers: proof.fri.layers.map((l) => ({ root: hex(l.root), opening: openingJson(l.opening) })),
      finalPoly: [...proof.fri.finalPoly],
    },
    powNonce: proof.powNonce,
    openings: {
      main: openingJson(proof.mainOpening),
      aux: proof.auxOpening === null ? null : openingJson(proof.auxOpening),
      chunks: openingJson(proof.chunksOpening),
    },
  };
}
