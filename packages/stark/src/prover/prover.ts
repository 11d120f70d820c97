/**
 * The STARK prover: trace LDE and commitment, second phase, constraint composition, DEEP-ALI,
 * FRI, grinding, openings — with zero knowledge after Haböck and Al Kindi, "A note on adding
 * zero-knowledge to STARKs" (ePrint 2024/1037):
 *
 * 1. randomised trace: each committed column is T(x) + Z_H(x)·r(x) with r random of degree < N,
 *    equal to T on the trace domain H (so every constraint still holds there) and uniformly
 *    random at any N points outside it — the OOD points and the queried points (at most
 *    numQueries + 2 ≤ N of them);
 * 2. masked quotient chunks: the quotient Q = Σ_j x^(jN) Q_j is committed as
 *    Q̃_j = Q_j + x^N·t_j − t_(j−1) (t random of degree < N, t_(−1) = t_(k−1) = 0), whose weighted
 *    sum is still Q while each Q̃_j alone is random at the opened points;
 * 3. FRI runs on the DEEP composition plus a random polynomial R of the same degree bound,
 *    committed with the chunks before the DEEP challenge, so the FRI layers reveal nothing either;
 * 4. salted leaves in the trace and chunk commitments, so the Merkle paths reveal nothing about
 *    unopened rows.
 */
import { BaseError } from '@custos/core';
import { type Air, type AuxBuilder, baseAlgebra, evaluateRow, mixedAlgebra } from '../air/air.js';
import { groupAssertions, interpolateGroup, vanishingCoefficients } from '../air/boundary.js';
import { deepCoefficients, drawOodPoint } from '../air/deep.js';
import { type Layout, layoutOf, openTranscript } from '../air/layout.js';
import { MerkleTree, type RowMatrix } from '../crypto/merkle.js';
import { nativeSha256 } from '../crypto/native.js';
import { Transcript } from '../crypto/transcript.js';
import { DEFAULT_OPTIONS, type ProofOptions, validateOptions } from '../fri/params.js';
import { friCommit, friOpen } from '../fri/prover.js';
import { drawQueries } from '../fri/verifier.js';
import type { Ext } from '../math/ext.js';
import * as E from '../math/ext.js';
import * as F from '../math/field.js';
import { cosetNtt, intt } from '../math/ntt.js';
import { PROOF_VERSION, type StarkProof } from '../proof.js';

export interface ProveParameters {
  readonly air: Air & Partial<AuxBuilder>;
  /** The main trace: `mainWidth` columns of `traceLength` canonical elements. */
  readonly trace: readonly Uint32Array[];
  readonly options?: ProofOptions;
  /** Source of randomness (zero-knowledge masks, salts); defaults to crypto.getRandomValues. */
  readonly random?: (bytes: Uint8Array) => void;
  /**
   * Test-only: skip the checks an honest prover makes (trace satisfies the AIR, quotient of low
   * degree), to show what the verifier does with a proof of a false statement.
   */
  readonly unsafeSkipChecks?: boolean;
}

const defaultRandom = (bytes: Uint8Array): void => {
  for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
};

export function prove(parameters: ProveParameters): StarkProof {
  const { air, trace } = parameters;
  const options = parameters.options ?? DEFAULT_OPTIONS;
  const random = parameters.random ?? defaultRandom;
  const unsafe = parameters.unsafeSkipChecks === true;
  const bad = validateOptions(options);
  if (bad !== null) throw new BaseError('STARK_INVALID_INPUT', `invalid proof options: ${bad}`);
  const layout = layoutOf(air, options);
  checkTraceShape(air, trace);
  if (!unsafe) checkTrace(air, trace);

  const transcript = new Transcript('custos-stark', nativeSha256);
  openTranscript(transcript, air, options);
  const domainSize = 2 ** layout.logDomain;

  // 1. Main trace: coefficients (randomised), LDE, commitment.
  const mainCoeffs = trace.map((column) => traceCoefficients(column, layout, options.zeroKnowledge, random));
  const mainLde = mainCoeffs.map((c) => extend(c, domainSize));
  const mainTree = commitColumns(mainLde, layout, random);
  transcript.absorbBytes('main-root', mainTree.root);

  // 2. Second phase.
  const challenges: Ext[] = [];
  for (let i = 0; i < air.auxChallenges; i++) challenges.push(transcript.drawExt());
  let auxCoeffs: Uint32Array[][] = [];
  let auxLde: Uint32Array[] = [];
  let auxTree: MerkleTree | null = null;
  if (air.auxWidth > 0) {
    if (air.buildAux === undefined)
      throw new BaseError('STARK_INVALID_INPUT', `AIR ${air.name} has aux columns but no builder`);
    const aux = air.buildAux(trace, challenges);
    if (!unsafe) checkAux(air, trace, aux, challenges);
    // An extension column is four base columns (its coordinates), each extended alike.
    auxCoeffs = aux.map((column) =>
      [0, 1, 2, 3].map((c) =>
        traceCoefficients(
          column.filter((_, i) => i % 4 === c),
          layout,
          options.zeroKnowledge,
          random,
        ),
      ),
    );
    auxLde = auxCoeffs.flat().map((c) => extend(c, domainSize));
    auxTree = commitColumns(auxLde, layout, random);
    transcript.absorbBytes('aux-root', auxTree.root);
  }

  // 3. Composition: Q = Σ α^k·(constraint_k / divisor_k) over the domain, then chunks.
  const alpha = transcript.drawExt();
  const quotient = composition(air, layout, mainLde, auxLde, challenges, alpha);
  const chunkCoeffs = splitQuotient(quotient, layout, options.zeroKnowledge, random, unsafe);
  // The FRI mask R (zero knowledge) rides in the chunk commitment as one more column.
  if (options.zeroKnowledge) chunkCoeffs.push(randomExtPoly(2 ** layout.logChunkDegree, random));
  const chunkLde = chunkCoeffs.flatMap((chunk) => [0, 1, 2, 3].map((c) => extend(coordinate(chunk, c), domainSize)));
  const chunksTree = commitColumns(chunkLde, layout, random);
  transcript.absorbBytes('chunks-root', chunksTree.root);

  // 4. Out-of-domain point z and the trace and chunks there.
  const z = drawOodPoint(transcript, layout);
  const g = F.rootOfUnity(layout.logN);
  const zg = E.mulBase(z, g);
  // Every trace polynomial at z and z·g: one table of powers per point, then four base-field
  // multiply-adds per coefficient instead of an extension multiplication.
  const traceLen = Math.max(0, ...mainCoeffs.map((c) => c.length), ...auxCoeffs.flat().map((c) => c.length));
  const zPowers = extPowers(z, traceLen);
  const zgPowers = extPowers(zg, traceLen);
  const mainZ = packExt(mainCoeffs.map((c) => evalBaseWith(c, zPowers)));
  const mainZg = packExt(mainCoeffs.map((c) => evalBaseWith(c, zgPowers)));
  const auxZ = packExt(auxCoeffs.map((coords) => combineCoordinates(coords.map((c) => evalBaseWith(c, zPowers)))));
  const auxZg = packExt(auxCoeffs.map((coords) => combineCoordinates(coords.map((c) => evalBaseWith(c, zgPowers)))));
  const realChunks = chunkCoeffs.slice(0, layout.numChunks);
  const chunksZ = packExt(realChunks.map((chunk) => evalExtAt(chunk, z)));
  for (const [tag, v] of [
    ['ood-main-z', mainZ],
    ['ood-main-zg', mainZg],
    ['ood-aux-z', auxZ],
    ['ood-aux-zg', auxZg],
    ['ood-chunks-z', chunksZ],
  ] as const) {
    transcript.absorbWords(tag, v);
  }

  // 5. DEEP composition over the domain, plus the mask R.
  const gammas = deepCoefficients(transcript, air, layout);
  const deep = deepComposition(
    layout,
    mainLde,
    auxLde,
    chunkLde,
    { mainZ, mainZg, auxZ, auxZg, chunksZ },
    z,
    zg,
    gammas,
    options,
  );

  // 6. FRI, grinding, queries, openings.
  const fri = friCommit(transcript, deep, layout.logTraceDegree, options, unsafe);
  const drawn = drawQueries(transcript, options, layout.logDomain);
  if (drawn === null) throw new BaseError('INTERNAL', 'grinding failed');
  const { nonce, queries } = drawn;
  return {
    version: PROOF_VERSION,
    options,
    logTraceLength: layout.logN,
    mainRoot: mainTree.root,
    auxRoot: auxTree === null ? new Uint8Array(0) : auxTree.root,
    chunksRoot: chunksTree.root,
    ood: { mainZ, mainZg, auxZ, auxZg, chunksZ },
    fri: friOpen(fri, queries),
    powNonce: nonce,
    mainOpening: mainTree.open(queries),
    auxOpening: auxTree === null ? null : auxTree.open(queries),
    chunksOpening: chunksTree.open(queries),
  };
}

function checkTraceShape(air: Air, trace: readonly Uint32Array[]): void {
  if (trace.length !== air.mainWidth) {
    throw new BaseError('STARK_INVALID_INPUT', 'the trace has the wrong number of columns', {
      details: { expected: air.mainWidth, actual: trace.length },
    });
  }
  for (const [c, column] of trace.entries()) {
    if (column.length !== air.traceLength) {
      throw new BaseError('STARK_INVALID_INPUT', 'a trace column has the wrong length', {
        details: { column: c, expected: air.traceLength, actual: column.length },
      });
    }
    for (const [row, v] of column.entries()) {
      if (v >= F.P)
        throw new BaseError('STARK_INVALID_INPUT', 'a trace value is not a field element', {
          details: { column: c, row },
        });
    }
  }
}

/** The honest prover refuses a trace that does not satisfy the AIR, naming the first failure. */
function checkTrace(air: Air, trace: readonly Uint32Array[]): void {
  if (air.auxWidth > 0) return; // checked with the aux columns, which need the challenges
  const n = air.traceLength;
  const out = { transitions: [] as number[], every: [] as number[], first: [] as number[], last: [] as number[] };
  for (let row = 0; row < n; row++) {
    const next = (row + 1) % n;
    const frame = { current: trace.map((c) => c[row] as number), next: trace.map((c) => c[next] as number) };
    const periodic = air.periodicColumns.map((p) => p[row % p.length] as number);
    evaluateRow(air, baseAlgebra, frame, { current: [], next: [] }, periodic, [], out);
    rowFailure(air, row, out, (v) => v !== 0);
  }
  for (const a of air.assertions([])) {
    if (a.aux) continue;
    const v = trace[a.column]?.[a.row];
    if (v === undefined || !E.eq([v, 0, 0, 0], a.value))
      throw traceError('assertion', { column: a.column, row: a.row });
  }
}

function checkAux(
  air: Air,
  trace: readonly Uint32Array[],
  aux: readonly Uint32Array[],
  challenges: readonly Ext[],
): void {
  const n = air.traceLength;
  if (aux.length !== air.auxWidth || aux.some((c) => c.length !== 4 * n)) {
    throw new BaseError('STARK_INVALID_INPUT', 'the aux builder returned columns of the wrong shape');
  }
  // Main values stay base-field numbers (the mixed algebra lifts only what touches the aux
  // columns or the challenges), so a main-trace gadget is checked at base-field cost.
  const out = {
    transitions: [] as (number | Ext)[],
    every: [] as (number | Ext)[],
    first: [] as (number | Ext)[],
    last: [] as (number | Ext)[],
  };
  const nonZero = (v: number | Ext) => (typeof v === 'number' ? v !== 0 : !E.eq(v, E.ZERO));
  const current = new Array<number>(trace.length);
  const nextRow = new Array<number>(trace.length);
  for (let row = 0; row < n; row++) {
    const next = (row + 1) % n;
    for (let c = 0; c < trace.length; c++) {
      const column = trace[c] as Uint32Array;
      current[c] = column[row] as number;
      nextRow[c] = column[next] as number;
    }
    const periodic = air.periodicColumns.map((p) => p[row % p.length] as number);
    evaluateRow<number | Ext>(
      air,
      mixedAlgebra,
      { current, next: nextRow },
      { current: aux.map((c) => E.at(c, row)), next: aux.map((c) => E.at(c, next)) },
      periodic,
      challenges,
      out,
    );
    rowFailure(air, row, out, nonZero);
  }
  for (const a of air.assertions(challenges)) {
    const v = a.aux ? E.at(aux[a.column] as Uint32Array, a.row) : E.fromBase(trace[a.column]?.[a.row] as number);
    if (!E.eq(v, a.value)) throw traceError('assertion', { column: a.column, row: a.row, aux: a.aux });
  }
}

/** Throws for the first constraint of `row` that does not vanish where it must. */
function rowFailure<T>(
  air: Air,
  row: number,
  out: { transitions: T[]; every: T[]; first: T[]; last: T[] },
  nonZero: (v: T) => boolean,
): void {
  const n = air.traceLength;
  if (row < n - 1) {
    for (let k = 0; k < air.numTransitions; k++)
      if (nonZero(out.transitions[k] as T)) throw traceError('transition', { row, constraint: k });
  }
  for (let k = 0; k < (air.numEveryRow ?? 0); k++) {
    if (nonZero(out.every[k] as T)) throw traceError('every-row', { row, constraint: k });
  }
  if (row === 0) {
    for (let k = 0; k < (air.numFirstRow ?? 0); k++)
      if (nonZero(out.first[k] as T)) throw traceError('first-row', { row, constraint: k });
  }
  if (row === n - 1) {
    for (let k = 0; k < (air.numLastRow ?? 0); k++)
      if (nonZero(out.last[k] as T)) throw traceError('last-row', { row, constraint: k });
  }
}

function traceError(kind: string, details: Record<string, number | boolean>): BaseError {
  return new BaseError('STARK_INVALID_INPUT', `the trace does not satisfy the AIR (${kind})`, {
    details: { check: kind, ...details },
  });
}

/** Uniform field elements from random bytes (rejection of words ≥ 2p). */
function randomElements(count: number, random: (bytes: Uint8Array) => void): Uint32Array {
  const out = new Uint32Array(count);
  let filled = 0;
  while (filled < count) {
    const words = new Uint32Array(Math.max(8, Math.ceil((count - filled) * 1.1)));
    random(new Uint8Array(words.buffer));
    for (const w of words) {
      if (filled === count) break;
      if (w < 2 * F.P) out[filled++] = w >= F.P ? w - F.P : w;
    }
  }
  return out;
}

/**
 * Coefficients of the column's polynomial over H, of length traceDegree: for zero knowledge
 * T(x) + Z_H(x)·r(x) = T(x) + (x^N − 1)·r(x), i.e. coefficient i gets −r_i and N + i gets r_i.
 */
function traceCoefficients(
  column: Uint32Array,
  layout: Layout,
  zk: boolean,
  random: (bytes: Uint8Array) => void,
): Uint32Array {
  const n = layout.n;
  const out = new Uint32Array(2 ** layout.logTraceDegree);
  out.set(column);
  intt(out.subarray(0, n));
  if (zk) {
    const r = randomElements(n, random);
    for (let i = 0; i < n; i++) {
      out[i] = F.sub(out[i] as number, r[i] as number);
      out[n + i] = r[i] as number;
    }
  }
  return out;
}

/** Evaluations of a coefficient vector on the domain GENERATOR·⟨ω⟩ of `size` points. */
function extend(coeffs: Uint32Array, size: number): Uint32Array {
  const out = new Uint32Array(size);
  out.set(coeffs);
  cosetNtt(out, F.GENERATOR);
  return out;
}

/** Commits to the rows of column-major data. */
function commitColumns(columns: readonly Uint32Array[], layout: Layout, random: (b: Uint8Array) => void): MerkleTree {
  const rows = (columns[0] as Uint32Array).length;
  const width = columns.length;
  const values = new Uint32Array(rows * width);
  for (let c = 0; c < width; c++) {
    const column = columns[c] as Uint32Array;
    for (let i = 0; i < rows; i++) values[i * width + c] = column[i] as number;
  }
  const matrix: RowMatrix = { width, values };
  return new MerkleTree(matrix, layout.saltBytes, random, nativeSha256);
}

function coordinate(packed: Uint32Array, c: number): Uint32Array {
  const out = new Uint32Array(packed.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = packed[4 * i + c] as number;
  return out;
}

function packExt(values: readonly Ext[]): Uint32Array {
  const out = new Uint32Array(4 * values.length);
  values.forEach((v, i) => {
    E.put(out, i, v);
  });
  return out;
}

/** Σ_c P_c(z)·X^c: an extension column from its four coordinate polynomials' values. */
function combineCoordinates(values: readonly Ext[]): Ext {
  let acc: Ext = [0, 0, 0, 0];
  const basis: Ext[] = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
  values.forEach((v, c) => {
    acc = E.add(acc, E.mul(v, basis[c] as Ext));
  });
  return acc;
}

/** z^0 … z^(count−1), packed. */
function extPowers(z: Readonly<Ext>, count: number): Uint32Array {
  const out = new Uint32Array(4 * count);
  let p: Ext = [1, 0, 0, 0];
  for (let i = 0; i < count; i++) {
    E.put(out, i, p);
    p = E.mul(p, z);
  }
  return out;
}

/** Σ_i c_i·z^i for base coefficients, from a table of z's powers at least as long. */
function evalBaseWith(coeffs: Uint32Array, powers: Uint32Array): Ext {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  for (let i = 0; i < coeffs.length; i++) {
    const c = coeffs[i] as number;
    if (c === 0) continue;
    const j = 4 * i;
    a0 = F.add(a0, F.mul(c, powers[j] as number));
    a1 = F.add(a1, F.mul(c, powers[j + 1] as number));
    a2 = F.add(a2, F.mul(c, powers[j + 2] as number));
    a3 = F.add(a3, F.mul(c, powers[j + 3] as number));
  }
  return [a0, a1, a2, a3];
}

function evalExtAt(coeffs: Uint32Array, z: Readonly<Ext>): Ext {
  let acc: Ext = [0, 0, 0, 0];
  for (let i = coeffs.length / 4 - 1; i >= 0; i--) acc = E.add(E.mul(acc, z), E.at(coeffs, i));
  return acc;
}

function randomExtPoly(degreeBound: number, random: (b: Uint8Array) => void): Uint32Array {
  return randomElements(4 * degreeBound, random);
}

/**
 * The composition quotient on the domain (packed extension elements): for each point x,
 * Σ_k α^k·c_k(frame(x))·(x − g^(N−1))/(x^N − 1) + Σ_b α^(K+b)·(column_b(x) − v_b)/(x − g^(row_b)).
 */
function composition(
  air: Air,
  layout: Layout,
  mainLde: readonly Uint32Array[],
  auxLde: readonly Uint32Array[],
  challenges: readonly Ext[],
  alpha: Readonly<Ext>,
): Uint32Array {
  const size = 2 ** layout.logDomain;
  const n = layout.n;
  const step = layout.nextStep;
  const omega = F.rootOfUnity(layout.logDomain);
  const g = F.rootOfUnity(layout.logN);
  const gLast = F.pow(g, n - 1);
  const xs = new Uint32Array(size);
  let x = F.GENERATOR;
  for (let i = 0; i < size; i++) {
    xs[i] = x;
    x = F.mul(x, omega);
  }
  // 1 / (x^N − 1): x^N takes only size/N distinct values on the domain (period size/N).
  const period = size / n;
  const zhInv = F.batchInverse(Uint32Array.from({ length: period }, (_, i) => F.sub(F.pow(xs[i] as number, n), 1)));
  // Assertions, one constraint per column: the interpolant I of its asserted values and
  // 1/Z_R over the domain (Z_R shared by columns asserted on the same rows).
  const groups = groupAssertions(air.assertions(challenges), n);
  const zInverses = new Map<string, Uint32Array>();
  const boundary = groups.map((group) => {
    const coeffs = interpolateGroup(group, g);
    const interpolant = [0, 1, 2, 3].map((c) => {
      const column = new Uint32Array(size);
      for (let k = 0; k < group.rows.length; k++) column[k] = coeffs[4 * k + c] as number;
      cosetNtt(column, F.GENERATOR);
      return column;
    });
    const key = group.rows.join(',');
    let zInv = zInverses.get(key);
    if (zInv === undefined) {
      const z = new Uint32Array(size);
      z.set(vanishingCoefficients(group.rows, g));
      cosetNtt(z, F.GENERATOR);
      zInv = F.batchInverse(z);
      zInverses.set(key, zInv);
    }
    return { group, interpolant, zInv };
  });
  // Periodic columns on the domain: p(x^(N/m)) repeats with period size·m/N.
  const periodic = air.periodicColumns.map((values) => {
    const m = values.length;
    const coeffs = new Uint32Array(values);
    intt(coeffs);
    const len = (size * m) / n;
    const out = new Uint32Array(len);
    out.set(coeffs);
    cosetNtt(out, F.pow(F.GENERATOR, n / m));
    return out;
  });
  const numT = air.numTransitions;
  const numV = air.numEveryRow ?? 0;
  const numF = air.numFirstRow ?? 0;
  const numL = air.numLastRow ?? 0;
  const alphas: Ext[] = [];
  let a: Ext = [1, 0, 0, 0];
  for (let k = 0; k < numT + numV + numF + numL + groups.length; k++) {
    alphas.push(a);
    a = E.mul(a, alpha);
  }
  // 1/(x − 1) and 1/(x − g^(N−1)) for the first- and last-row constraints.
  const firstInv = numF > 0 ? F.batchInverse(xs.map((v) => F.sub(v, 1))) : new Uint32Array(0);
  const lastInv = numL > 0 ? F.batchInverse(xs.map((v) => F.sub(v, gLast))) : new Uint32Array(0);
  const out = new Uint32Array(4 * size);
  const useExt = air.auxWidth > 0;
  const auxColumns = air.auxWidth;
  const baseOut = { transitions: [] as number[], every: [] as number[], first: [] as number[], last: [] as number[] };
  const mixedOut = {
    transitions: [] as (number | Ext)[],
    every: [] as (number | Ext)[],
    first: [] as (number | Ext)[],
    last: [] as (number | Ext)[],
  };
  // Σ_k α^k·value_k over one group of constraints (base or extension values).
  // The α powers coordinate by coordinate, so base-valued constraints accumulate without
  // allocating: Σ α^k·v_k for a base v_k is four multiply-adds into plain numbers.
  const alphaPacked = new Uint32Array(4 * alphas.length);
  alphas.forEach((a, k) => {
    E.put(alphaPacked, k, a);
  });
  const combine = (values: readonly (number | Ext)[], offset: number, count: number): Ext => {
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    let extAcc: Ext | null = null;
    for (let k = 0; k < count; k++) {
      const v = values[k] as number | Ext;
      if (typeof v === 'number') {
        if (v === 0) continue;
        const o = 4 * (offset + k);
        c0 = F.add(c0, F.mul(alphaPacked[o] as number, v));
        c1 = F.add(c1, F.mul(alphaPacked[o + 1] as number, v));
        c2 = F.add(c2, F.mul(alphaPacked[o + 2] as number, v));
        c3 = F.add(c3, F.mul(alphaPacked[o + 3] as number, v));
      } else {
        const term = E.mul(alphas[offset + k] as Ext, v);
        extAcc = extAcc === null ? term : E.add(extAcc, term);
      }
    }
    const base: Ext = [c0, c1, c2, c3];
    return extAcc === null ? base : E.add(base, extAcc);
  };
  const mainWidth = mainLde.length;
  const current: number[] = new Array(mainWidth).fill(0);
  const following: number[] = new Array(mainWidth).fill(0);
  const periodicRow: number[] = new Array(periodic.length).fill(0);
  const mainFrame = { current, next: following };
  const noAux = { current: [] as number[], next: [] as number[] };
  for (let i = 0; i < size; i++) {
    const next = (i + step) % size;
    const xi = xs[i] as number;
    let groups: {
      transitions: readonly (number | Ext)[];
      every: readonly (number | Ext)[];
      first: readonly (number | Ext)[];
      last: readonly (number | Ext)[];
    };
    // The frame and periodic values are written into arrays reused for every point.
    for (let c = 0; c < mainWidth; c++) {
      const column = mainLde[c] as Uint32Array;
      current[c] = column[i] as number;
      following[c] = column[next] as number;
    }
    for (let p = 0; p < periodic.length; p++) {
      const column = periodic[p] as Uint32Array;
      periodicRow[p] = column[i % column.length] as number;
    }
    if (useExt) {
      const aux = { current: auxRow(auxLde, auxColumns, i), next: auxRow(auxLde, auxColumns, next) };
      evaluateRow<number | Ext>(air, mixedAlgebra, mainFrame, aux, periodicRow, challenges, mixedOut);
      groups = mixedOut;
    } else {
      evaluateRow(air, baseAlgebra, mainFrame, noAux, periodicRow, [], baseOut);
      groups = baseOut;
    }
    const divisor = F.mul(F.sub(xi, gLast), zhInv[i % period] as number);
    let acc = E.mulBase(combine(groups.transitions, 0, numT), divisor);
    if (numV > 0) acc = E.add(acc, E.mulBase(combine(groups.every, numT, numV), zhInv[i % period] as number));
    if (numF > 0) acc = E.add(acc, E.mulBase(combine(groups.first, numT + numV, numF), firstInv[i] as number));
    if (numL > 0) acc = E.add(acc, E.mulBase(combine(groups.last, numT + numV + numF, numL), lastInv[i] as number));
    for (let b = 0; b < boundary.length; b++) {
      const { group, interpolant, zInv } = boundary[b] as (typeof boundary)[number];
      const value: Ext = group.aux
        ? (auxRow(auxLde, auxColumns, i)[group.column] as Ext)
        : E.fromBase((mainLde[group.column] as Uint32Array)[i] as number);
      const numerator: Ext = [
        F.sub(value[0], (interpolant[0] as Uint32Array)[i] as number),
        F.sub(value[1], (interpolant[1] as Uint32Array)[i] as number),
        F.sub(value[2], (interpolant[2] as Uint32Array)[i] as number),
        F.sub(value[3], (interpolant[3] as Uint32Array)[i] as number),
      ];
      acc = E.add(acc, E.mul(alphas[numT + numV + numF + numL + b] as Ext, E.mulBase(numerator, zInv[i] as number)));
    }
    E.put(out, i, acc);
  }
  return out;
}

function auxRow(auxLde: readonly Uint32Array[], width: number, i: number): Ext[] {
  const out: Ext[] = [];
  for (let c = 0; c < width; c++) {
    out.push([
      (auxLde[4 * c] as Uint32Array)[i] as number,
      (auxLde[4 * c + 1] as Uint32Array)[i] as number,
      (auxLde[4 * c + 2] as Uint32Array)[i] as number,
      (auxLde[4 * c + 3] as Uint32Array)[i] as number,
    ]);
  }
  return out;
}

/**
 * Interpolates the quotient from the domain, checks its degree, splits it every N coefficients
 * and (zero knowledge) masks the chunks. Returns packed extension coefficient vectors of length
 * chunkDegree each.
 */
function splitQuotient(
  quotient: Uint32Array,
  layout: Layout,
  zk: boolean,
  random: (b: Uint8Array) => void,
  unsafe: boolean,
): Uint32Array[] {
  const size = 2 ** layout.logDomain;
  const n = layout.n;
  const coords = [0, 1, 2, 3].map((c) => {
    const column = coordinate(quotient, c);
    intt(column);
    // Coefficients of Q(GENERATOR·y) → of Q(x): divide coefficient k by GENERATOR^k.
    const shiftInv = F.inv(F.GENERATOR);
    let s = 1;
    for (let k = 0; k < size; k++) {
      column[k] = F.mul(column[k] as number, s);
      s = F.mul(s, shiftInv);
    }
    return column;
  });
  const bound = layout.numChunks * n;
  if (!unsafe) {
    for (const column of coords) {
      for (let k = bound; k < size; k++) {
        if (column[k] !== 0) {
          throw new BaseError('STARK_INVALID_INPUT', 'the constraint quotient is not of low degree', {
            details: { check: 'quotient-degree' },
            hints: ['The trace does not satisfy the AIR, or its transitionDegree is declared too low.'],
          });
        }
      }
    }
  }
  const chunkDegree = 2 ** layout.logChunkDegree;
  const chunks: Uint32Array[] = [];
  for (let j = 0; j < layout.numChunks; j++) {
    const chunk = new Uint32Array(4 * chunkDegree);
    for (let k = 0; k < n; k++)
      for (let c = 0; c < 4; c++) chunk[4 * k + c] = (coords[c] as Uint32Array)[j * n + k] as number;
    chunks.push(chunk);
  }
  if (zk) {
    // Q̃_j = Q_j + x^N·t_j − t_(j−1): the masks cancel in Σ_j x^(jN)·Q̃_j.
    for (let j = 0; j + 1 < layout.numChunks; j++) {
      const t = randomElements(4 * n, random);
      const here = chunks[j] as Uint32Array;
      const there = chunks[j + 1] as Uint32Array;
      for (let k = 0; k < 4 * n; k++) {
        here[4 * n + k] = F.add(here[4 * n + k] as number, t[k] as number);
        there[k] = F.sub(there[k] as number, t[k] as number);
      }
    }
  }
  return chunks;
}

/**
 * f(x) = [R(x)] + Σ_i γ_i·(P_i(x) − P_i(z))/(x − z) + Σ_c γ'_c·(T_c(x) − T_c(zg))/(x − zg) over the
 * domain, for every committed trace column T_c and every chunk P_i.
 */
function deepComposition(
  layout: Layout,
  mainLde: readonly Uint32Array[],
  auxLde: readonly Uint32Array[],
  chunkLde: readonly Uint32Array[],
  ood: { mainZ: Uint32Array; mainZg: Uint32Array; auxZ: Uint32Array; auxZg: Uint32Array; chunksZ: Uint32Array },
  z: Readonly<Ext>,
  zg: Readonly<Ext>,
  gammas: readonly Ext[],
  options: ProofOptions,
): Uint32Array {
  const size = 2 ** layout.logDomain;
  const omega = F.rootOfUnity(layout.logDomain);
  const dz = new Uint32Array(4 * size);
  const dzg = new Uint32Array(4 * size);
  let x = F.GENERATOR;
  for (let i = 0; i < size; i++) {
    E.put(dz, i, E.sub([x, 0, 0, 0], z));
    E.put(dzg, i, E.sub([x, 0, 0, 0], zg));
    x = F.mul(x, omega);
  }
  const invZ = E.batchInverse(dz);
  const invZg = E.batchInverse(dzg);
  const mainWidth = mainLde.length;
  const auxWidth = auxLde.length / 4;
  const numChunks = ood.chunksZ.length / 4;
  // Σ γ·(v(x) − v(z)) = Σ γ·v(x) − Σ γ·v(z): the second sums are constants, computed once.
  let constZ: Ext = [0, 0, 0, 0];
  let constZg: Ext = [0, 0, 0, 0];
  {
    let k = 0;
    for (let c = 0; c < mainWidth; c++) {
      constZ = E.add(constZ, E.mul(gammas[k++] as Ext, E.at(ood.mainZ, c)));
      constZg = E.add(constZg, E.mul(gammas[k++] as Ext, E.at(ood.mainZg, c)));
    }
    for (let c = 0; c < auxWidth; c++) {
      constZ = E.add(constZ, E.mul(gammas[k++] as Ext, E.at(ood.auxZ, c)));
      constZg = E.add(constZg, E.mul(gammas[k++] as Ext, E.at(ood.auxZg, c)));
    }
    for (let j = 0; j < numChunks; j++) constZ = E.add(constZ, E.mul(gammas[k++] as Ext, E.at(ood.chunksZ, j)));
  }
  // The main columns' coefficients, coordinate by coordinate, for the allocation-free inner loop.
  const gz = new Uint32Array(4 * mainWidth);
  const gzg = new Uint32Array(4 * mainWidth);
  for (let c = 0; c < mainWidth; c++) {
    E.put(gz, c, gammas[2 * c] as Ext);
    E.put(gzg, c, gammas[2 * c + 1] as Ext);
  }
  const out = new Uint32Array(4 * size);
  for (let i = 0; i < size; i++) {
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    let z3 = 0;
    let w0 = 0;
    let w1 = 0;
    let w2 = 0;
    let w3 = 0;
    for (let c = 0; c < mainWidth; c++) {
      const v = (mainLde[c] as Uint32Array)[i] as number;
      const o = 4 * c;
      z0 = F.add(z0, F.mul(gz[o] as number, v));
      z1 = F.add(z1, F.mul(gz[o + 1] as number, v));
      z2 = F.add(z2, F.mul(gz[o + 2] as number, v));
      z3 = F.add(z3, F.mul(gz[o + 3] as number, v));
      w0 = F.add(w0, F.mul(gzg[o] as number, v));
      w1 = F.add(w1, F.mul(gzg[o + 1] as number, v));
      w2 = F.add(w2, F.mul(gzg[o + 2] as number, v));
      w3 = F.add(w3, F.mul(gzg[o + 3] as number, v));
    }
    let atZ: Ext = [z0, z1, z2, z3];
    let atZg: Ext = [w0, w1, w2, w3];
    let k = 2 * mainWidth;
    if (auxWidth > 0) {
      const aux = auxRow(auxLde, auxWidth, i);
      for (let c = 0; c < auxWidth; c++) {
        atZ = E.add(atZ, E.mul(gammas[k++] as Ext, aux[c] as Ext));
        atZg = E.add(atZg, E.mul(gammas[k++] as Ext, aux[c] as Ext));
      }
    }
    for (let j = 0; j < numChunks; j++) {
      const v: Ext = [
        (chunkLde[4 * j] as Uint32Array)[i] as number,
        (chunkLde[4 * j + 1] as Uint32Array)[i] as number,
        (chunkLde[4 * j + 2] as Uint32Array)[i] as number,
        (chunkLde[4 * j + 3] as Uint32Array)[i] as number,
      ];
      atZ = E.add(atZ, E.mul(gammas[k++] as Ext, v));
    }
    let f = E.add(E.mul(E.sub(atZ, constZ), E.at(invZ, i)), E.mul(E.sub(atZg, constZg), E.at(invZg, i)));
    if (options.zeroKnowledge) {
      const r = 4 * numChunks;
      f = E.add(f, [
        (chunkLde[r] as Uint32Array)[i] as number,
        (chunkLde[r + 1] as Uint32Array)[i] as number,
        (chunkLde[r + 2] as Uint32Array)[i] as number,
        (chunkLde[r + 3] as Uint32Array)[i] as number,
      ]);
    }
    E.put(out, i, f);
  }
  return out;
}
