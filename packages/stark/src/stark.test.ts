/**
 * End-to-end: each example AIR proves and verifies with the default (zero-knowledge, ≥ 100-bit)
 * parameters, and every way a proof can be wrong is rejected for its own reason: a trace that
 * does not satisfy the AIR (the honest prover refuses it; a proof made by skipping that check is
 * rejected), a wrong public input, a flipped byte in every section of the encoded proof, and
 * parameters below the caller's security level.
 */
import { BaseError } from '@custos/core';
import { describe, expect, it } from 'vitest';
import type { Air, AuxBuilder } from './air/air.js';
import { decodeProof, encodeProof, proofToJson, SECTIONS, sectionRanges } from './encoding.js';
import { fibonacciAir, fibonacciResult, fibonacciTrace } from './examples/fibonacci.js';
import { poseidon2Air, poseidon2PublicInputs, poseidon2Trace } from './examples/poseidon2.js';
import { poseidon2RowsAir, poseidon2RowsTrace } from './examples/poseidon2-rows.js';
import { rangeAir, rangeTotal, rangeTrace } from './examples/range.js';
import { DEFAULT_OPTIONS, type ProofOptions } from './fri/params.js';
import * as F from './math/field.js';
import { interpolate } from './math/poly.js';
import type { StarkProof } from './proof.js';
import { prove } from './prover/prover.js';
import { POSEIDON2_VECTORS } from './testing/poseidon2-vectors.js';
import { verify, verifyBytes } from './verifier/verifier.js';

interface Example {
  readonly name: string;
  readonly air: Air & Partial<AuxBuilder>;
  readonly trace: Uint32Array[];
  /** The same statement with one public input changed. */
  readonly wrongPublic: Air;
  /** A trace that breaks one constraint. */
  readonly wrongTrace: Uint32Array[];
}

function fibonacci(): Example {
  const rows = 128;
  const trace = fibonacciTrace(rows);
  const wrongTrace = trace.map((c) => c.slice());
  (wrongTrace[1] as Uint32Array)[20] = ((wrongTrace[1] as Uint32Array)[20] as number) + 1;
  const result = fibonacciResult(rows);
  return {
    name: 'fibonacci (128 rows)',
    air: fibonacciAir(rows, result),
    trace,
    wrongPublic: fibonacciAir(rows, result + 1),
    wrongTrace,
  };
}

function range(): Example {
  // 200 values spread over the whole 64-bit range, 256 rows of 8 one-byte limbs.
  const values = Array.from({ length: 200 }, (_, i) => (BigInt(i + 1) * 0x9e3779b97f4a7c15n) % 2n ** 64n);
  values.push(2n ** 64n - 1n, 0n);
  const { trace, statement } = rangeTrace(values, 256, 8);
  expect(rangeTotal(statement)).toBe(values.reduce((a, b) => a + b, 0n));
  // A limb of 256 is out of range for 8-bit limbs: the value it belongs to is ≥ 2^64 when read
  // back. The running sums are kept consistent so only the lookup is wrong.
  const wrongTrace = trace.map((c) => c.slice());
  const limb7 = wrongTrace[7] as Uint32Array;
  limb7[3] = 256;
  const acc7 = wrongTrace[8 + 1 + 7] as Uint32Array;
  for (let row = 3; row < 256; row++)
    acc7[row] = (acc7[row] as number) + (256 - ((trace[7] as Uint32Array)[3] as number));
  const wrongSums = statement.limbSums.map((s, k) => (k === 2 ? s + 1 : s));
  return {
    name: 'range check (256 rows of 64-bit values, 8-bit limbs)',
    air: rangeAir(statement),
    trace,
    wrongPublic: rangeAir({ ...statement, limbSums: wrongSums }),
    wrongTrace,
  };
}

function poseidon2(): Example {
  // The three reference vectors and one more input: four full permutations, 128 rows. The AIR's
  // outputs are the reference implementation's expected outputs, not the trace builder's.
  const inputs = [
    ...POSEIDON2_VECTORS.map((v) => Uint32Array.from(v.input)),
    Uint32Array.from({ length: 16 }, (_, i) => 1000 * i + 7),
  ];
  const { trace, outputs } = poseidon2Trace(inputs);
  const expected = POSEIDON2_VECTORS.map((v) => Uint32Array.from(v.output));
  for (const [k, output] of expected.entries()) expect([...(outputs[k] as Uint32Array)]).toEqual([...output]);
  const rows = (trace[0] as Uint32Array).length;
  const statement = poseidon2PublicInputs(inputs, [...expected, outputs[3] as Uint32Array]);
  const wrong = statement.slice();
  wrong[1 + 16 + 5] = ((wrong[1 + 16 + 5] as number) + 1) % 2013265921;
  const wrongTrace = trace.map((c) => c.slice());
  // A cube column in the second block's first full round.
  (wrongTrace[16 + 3] as Uint32Array)[32 + 2] = 12345;
  return {
    name: 'Poseidon2 (4 full width-16 permutations, 128 rows)',
    air: poseidon2Air(rows, statement),
    trace,
    wrongPublic: poseidon2Air(rows, wrong),
    wrongTrace,
  };
}

function poseidon2Rows(): Example {
  // The reference vectors and 5 more inputs, one permutation per row, 128 rows.
  const inputs = [
    ...POSEIDON2_VECTORS.map((v) => Uint32Array.from(v.input)),
    ...Array.from({ length: 5 }, (_, k) => Uint32Array.from({ length: 16 }, (_, i) => 977 * k + 31 * i)),
  ];
  const { trace, outputs } = poseidon2RowsTrace(inputs);
  const expected = POSEIDON2_VECTORS.map((v) => Uint32Array.from(v.output));
  const statement = poseidon2PublicInputs(inputs, [...expected, ...outputs.slice(expected.length)]);
  const rows = (trace[0] as Uint32Array).length;
  const wrong = statement.slice();
  wrong[1 + 2 * 16 * 4 + 16 + 2] = ((wrong[1 + 2 * 16 * 4 + 16 + 2] as number) + 1) % 2013265921;
  const wrongTrace = trace.map((c) => c.slice());
  // A cube of the second full round, in a padding row.
  (wrongTrace[16 + 32 + 5] as Uint32Array)[100] = 4242;
  return {
    name: 'Poseidon2, one permutation per row (8 permutations, 128 rows × 298 columns)',
    air: poseidon2RowsAir(rows, statement),
    trace,
    wrongPublic: poseidon2RowsAir(rows, wrong),
    wrongTrace,
  };
}

describe.each([fibonacci, range, poseidon2, poseidon2Rows])('STARK end to end: %o', (make) => {
  const example = make();
  const proof = prove({ air: example.air, trace: example.trace });
  const bytes = encodeProof(proof);

  it(`${example.name}: proves and verifies with ≥ 100 bits of conjectured security`, () => {
    expect(proof.options).toEqual(DEFAULT_OPTIONS);
    const result = verify({ air: example.air, proof, minSecurityBits: 100 });
    expect(result).toMatchObject({ valid: true, reason: null });
    expect(result.securityBits?.conjectured).toBeGreaterThanOrEqual(100);
    expect(result.securityBits?.proven).toBeGreaterThan(0);
    expect(verifyBytes({ air: example.air, bytes, minSecurityBits: 100 }).valid).toBe(true);
  });

  it(`${example.name}: the binary format round-trips and the JSON view shows it`, () => {
    expect(decodeProof(bytes)).toEqual(proof);
    expect(encodeProof(decodeProof(bytes))).toEqual(bytes);
    const json = proofToJson(proof);
    expect(json.traceLength).toBe(example.air.traceLength);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it(`${example.name}: the honest prover refuses a wrong trace; a proof that skips the check is rejected`, () => {
    let error: unknown;
    try {
      prove({ air: example.air, trace: example.wrongTrace });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BaseError);
    expect((error as BaseError).code).toBe('STARK_INVALID_INPUT');
    expect(['transition', 'every-row', 'first-row', 'last-row', 'assertion']).toContain(
      (error as BaseError).details.check,
    );
    const forged = prove({ air: example.air, trace: example.wrongTrace, unsafeSkipChecks: true });
    expect(verify({ air: example.air, proof: forged, minSecurityBits: 100 })).toMatchObject({
      valid: false,
      reason: 'ood-constraints',
    });
  });

  it(`${example.name}: a wrong public input is rejected`, () => {
    expect(verify({ air: example.wrongPublic, proof, minSecurityBits: 100 })).toMatchObject({
      valid: false,
      reason: 'ood-constraints',
    });
  });

  it(`${example.name}: a flipped byte in every section is rejected, each for its reason`, () => {
    const ranges = sectionRanges(bytes);
    expect(Object.keys(ranges)).toEqual([...SECTIONS]);
    const flip = (at: number, mask = 0x01): Uint8Array => {
      const copy = bytes.slice();
      copy[at] = (copy[at] as number) ^ mask;
      return copy;
    };
    const rejected = (b: Uint8Array) => verifyBytes({ air: example.air, bytes: b, minSecurityBits: 100 });
    // header: the version
    expect(rejected(flip(4))).toMatchObject({ valid: false, reason: 'version' });
    // header: the magic
    expect(rejected(flip(0))).toMatchObject({ valid: false, reason: 'malformed' });
    // header: the trace length
    expect(rejected(flip(12))).toMatchObject({ valid: false, reason: 'trace-length' });
    // roots: the main trace root (5 = section tag and length) — the challenges change
    expect(rejected(flip(ranges.roots.start + 5 + 7))).toMatchObject({ valid: false, reason: 'ood-constraints' });
    // ood: the first main value at z (after its u32 count)
    expect(rejected(flip(ranges.ood.start + 5 + 4))).toMatchObject({ valid: false, reason: 'ood-constraints' });
    // fri: a word of the first layer's first opened row (layer count, root, count, indices, width)
    const decoded = decodeProof(bytes);
    const firstLayer = decoded.fri.layers[0]?.opening as StarkProof['fri']['layers'][number]['opening'];
    const rowAt = ranges.fri.start + 5 + 1 + 32 + 2 + 4 * firstLayer.indices.length + 2;
    expect(rejected(flip(rowAt))).toMatchObject({ valid: false, reason: 'fri-layer-opening' });
    // fri: the final polynomial (the last bytes of the section) — absorbed before grinding
    expect(rejected(flip(ranges.fri.end - 2))).toMatchObject({ valid: false, reason: 'grinding' });
    // pow: the nonce
    expect(rejected(flip(ranges.pow.start + 5))).toMatchObject({ valid: false, reason: 'grinding' });
    // openings: a word of the first opened main-trace row (count, indices, width)
    const mainAt = ranges.openings.start + 5 + 2 + 4 * decoded.mainOpening.indices.length + 2;
    expect(rejected(flip(mainAt))).toMatchObject({ valid: false, reason: 'main-opening' });
    // truncation and trailing bytes
    expect(rejected(bytes.subarray(0, bytes.length - 1))).toMatchObject({ valid: false, reason: 'malformed' });
    expect(rejected(Uint8Array.from([...bytes, 0]))).toMatchObject({ valid: false, reason: 'malformed' });
    // and 40 more positions spread over the whole proof: every one is rejected
    for (let k = 0; k < 40; k++) {
      const at = Math.floor(((k + 0.5) / 40) * bytes.length);
      expect(rejected(flip(at, 0x10)).valid, `byte ${at}`).toBe(false);
    }
  });

  it(`${example.name}: a proof below the required security level is rejected`, () => {
    const weak: ProofOptions = { ...DEFAULT_OPTIONS, numQueries: 12, grindingBits: 0 };
    const weakProof = prove({ air: example.air, trace: example.trace, options: weak });
    // It is a valid proof, at its own level …
    const own = verify({ air: example.air, proof: weakProof, minSecurityBits: 0 });
    expect(own.valid).toBe(true);
    expect(own.securityBits?.conjectured).toBeLessThan(100);
    // … refused by a caller who asks for 100 bits, and the default proof by one who asks for more.
    expect(verify({ air: example.air, proof: weakProof, minSecurityBits: 100 })).toMatchObject({
      valid: false,
      reason: 'security-too-low',
    });
    const bits = verify({ air: example.air, proof, minSecurityBits: 0 }).securityBits?.conjectured as number;
    expect(verify({ air: example.air, proof, minSecurityBits: bits + 1 })).toMatchObject({
      valid: false,
      reason: 'security-too-low',
    });
  });
});

describe('zero knowledge', () => {
  const rows = 128;
  const air = fibonacciAir(rows, fibonacciResult(rows));
  const trace = fibonacciTrace(rows);

  /** The trace's own low-degree extension at domain point q (what an unmasked proof opens). */
  function plainLde(q: number, logDomain: number): number[] {
    const x = F.mul(F.GENERATOR, F.pow(F.rootOfUnity(logDomain), q));
    return trace.map((column) => {
      const coeffs = interpolate(column);
      let acc = 0;
      for (let i = coeffs.length - 1; i >= 0; i--) acc = F.add(F.mul(acc, x), coeffs[i] as number);
      return acc;
    });
  }

  it('opens the plain trace without it, and randomised values with it; two proofs of one statement differ', () => {
    const plain = prove({ air, trace, options: { ...DEFAULT_OPTIONS, zeroKnowledge: false } });
    const logPlain = Math.log2(rows) + DEFAULT_OPTIONS.logBlowup;
    plain.mainOpening.indices.forEach((q, k) => {
      expect([...(plain.mainOpening.rows[k] as Uint32Array)]).toEqual(plainLde(q, logPlain));
    });
    const first = prove({ air, trace });
    const second = prove({ air, trace });
    const logZk = logPlain + 1;
    let differing = 0;
    first.mainOpening.indices.forEach((q, k) => {
      if ([...(first.mainOpening.rows[k] as Uint32Array)].join() !== plainLde(q, logZk).join()) differing++;
    });
    expect(differing).toBe(first.mainOpening.indices.length);
    expect(first.mainRoot).not.toEqual(second.mainRoot);
    expect(first.ood.mainZ).not.toEqual(second.ood.mainZ);
    expect(first.mainOpening.salts[0]?.length).toBe(16);
    expect(plain.mainOpening.salts[0]?.length).toBe(0);
    for (const p of [plain, first, second]) expect(verify({ air, proof: p, minSecurityBits: 100 }).valid).toBe(true);
  });

  it('is refused for a trace too short to hide the opened points', () => {
    const short = fibonacciAir(64, fibonacciResult(64));
    expect(() => prove({ air: short, trace: fibonacciTrace(64) })).toThrow(/2·numQueries \+ 2 trace rows/);
    expect(
      prove({ air: short, trace: fibonacciTrace(64), options: { ...DEFAULT_OPTIONS, zeroKnowledge: false } }).options
        .zeroKnowledge,
    ).toBe(false);
  });
});

describe('every check of the verifier rejects on its own', () => {
  const example = range();
  const proof = prove({ air: example.air, trace: example.trace });
  const bytes = encodeProof(proof);
  const reasonOf = (p: StarkProof) => verify({ air: example.air, proof: p, minSecurityBits: 100 }).reason;

  it('options, shape, aux and chunk openings, FRI layer count and final polynomial size', () => {
    // An option byte out of range (logBlowup 0).
    const badOptions = bytes.slice();
    badOptions[6] = 0;
    expect(verifyBytes({ air: example.air, bytes: badOptions, minSecurityBits: 100 }).reason).toBe('options');
    // One out-of-domain value too many; a value that is not a field element.
    expect(
      reasonOf({ ...proof, ood: { ...proof.ood, mainZ: Uint32Array.from([...proof.ood.mainZ, 0, 0, 0, 0]) } }),
    ).toBe('shape');
    expect(
      reasonOf({
        ...proof,
        ood: { ...proof.ood, auxZ: Uint32Array.from(proof.ood.auxZ, (v, i) => (i === 0 ? 2013265921 : v)) },
      }),
    ).toBe('shape');
    // An AIR with a second phase needs its aux root.
    expect(reasonOf({ ...proof, auxRoot: new Uint8Array(0) })).toBe('shape');
    // A byte of an opened aux row, of an opened chunk row (the main rows stay intact).
    const ranges = sectionRanges(bytes);
    const aux = proof.auxOpening as NonNullable<StarkProof['auxOpening']>;
    const mainLength =
      2 + 4 * proof.mainOpening.indices.length + 2 + 4 * proof.mainOpening.rows.length * example.air.mainWidth;
    const mainSalts = 1 + 16 * proof.mainOpening.indices.length + 2 + 32 * proof.mainOpening.siblings.length;
    const auxRowAt = ranges.openings.start + 5 + mainLength + mainSalts + 1 + 2 + 4 * aux.indices.length + 2;
    const flipped = bytes.slice();
    flipped[auxRowAt] = (flipped[auxRowAt] as number) ^ 1;
    expect(verifyBytes({ air: example.air, bytes: flipped, minSecurityBits: 100 }).reason).toBe('aux-opening');
    const chunks = proof.chunksOpening;
    const tamperedChunks = {
      ...chunks,
      rows: chunks.rows.map((r, k) =>
        k === 0 ? Uint32Array.from(r, (w, j) => (j === 0 ? (w + 1) % 2013265921 : w)) : r,
      ),
    };
    expect(reasonOf({ ...proof, chunksOpening: tamperedChunks })).toBe('chunks-opening');
    // FRI: a layer dropped; a final polynomial of the wrong size.
    expect(reasonOf({ ...proof, fri: { ...proof.fri, layers: proof.fri.layers.slice(1) } })).toBe('fri-layer-count');
    expect(reasonOf({ ...proof, fri: { ...proof.fri, finalPoly: proof.fri.finalPoly.subarray(4) } })).toBe(
      'fri-final-poly',
    );
    // The intact proof still verifies.
    expect(reasonOf(proof)).toBeNull();
  });
});
