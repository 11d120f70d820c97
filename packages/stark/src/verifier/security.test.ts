/**
 * Security estimates against three kinds of evidence:
 *
 * 1. Numbers Winterfell itself documents or asserts: the conjectured level of its README example,
 *    and every numeric expectation in the tests of air/src/proof/security.rs (facebook/winterfell
 *    v0.13.1, commit 2f78ee9bf667a561bdfcdfa68668d0f9b18b8315). Those tests use the 64-bit
 *    Goldilocks field (MODULUS_BITS = 64) with quadratic or cubic extensions, so they are ported
 *    with baseFieldBits = 64 and the matching extension degree; equal numbers show the proven
 *    formulas here are Winterfell's.
 * 2. Properties: more queries, a larger blowup or more grinding never lose bits; a longer trace
 *    lowers the field term; batching losses, a larger constraint degree and the zero-knowledge
 *    degree doubling only ever lower the figures.
 * 3. The project's default options over trace lengths 2^6 … 2^20, and the BabyBear⁴ figures for
 *    each blowup with enough queries for about 100 conjectured bits.
 */
import { BaseError } from '@custos/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, type ProofOptions } from '../fri/params.js';
import { type SecurityInputs, securityLevel, securityReport } from './security.js';

const BABYBEAR_BITS = Math.log2(15 * 2 ** 27 + 1);

function babyBear(options: ProofOptions, logTraceLength: number, extra: Partial<SecurityInputs> = {}): SecurityInputs {
  return { options, logTraceLength, extensionDegree: 4, baseFieldBits: BABYBEAR_BITS, collisionBits: 128, ...extra };
}

/**
 * A Winterfell test case in Winterfell's own terms. `deepPolys` / `constraints` stand for
 * algebraic batching of the DEEP polynomial / the constraints with that many items; leaving one
 * out is Winterfell's BatchingMethod::Linear.
 */
interface WinterfellCase {
  readonly extension: 2 | 3;
  readonly foldingFactor: number;
  readonly remainderMaxDegree: number;
  readonly grinding: number;
  readonly blowup: number;
  readonly queries: number;
  readonly traceLength: number;
  readonly deepPolys?: number;
  readonly constraints?: number;
}

function winterfell(c: WinterfellCase) {
  const options: ProofOptions = {
    logBlowup: Math.log2(c.blowup),
    numQueries: c.queries,
    logFoldingFactor: Math.log2(c.foldingFactor),
    // Winterfell stops folding at degree ≤ remainderMaxDegree, i.e. degree bound remainderMaxDegree + 1.
    logFinalDegree: Math.log2(c.remainderMaxDegree + 1),
    grindingBits: c.grinding,
    zeroKnowledge: false,
  };
  const inputs: SecurityInputs = {
    options,
    logTraceLength: Math.log2(c.traceLength),
    extensionDegree: c.extension,
    baseFieldBits: 64,
    collisionBits: 128,
    ...(c.deepPolys === undefined ? {} : { numColumns: c.deepPolys }),
    ...(c.constraints === undefined ? {} : { numConstraints: c.constraints }),
  };
  return securityReport(inputs);
}

describe('conjectured security matches Winterfell and ethSTARK Eq. (19)', () => {
  it('README example: 32 queries, blowup 8, no grinding, 128-bit field, 2^20 steps → 95 bits', () => {
    // Winterfell's README proves 2^20 steps over its 128-bit field with these options ("enough
    // for ~96-bit security") and has the verifier accept MinConjecturedSecurity(95). A 64-bit
    // field with a quadratic extension has the same 128 bits and gives the same answer.
    const options: ProofOptions = {
      logBlowup: 3,
      numQueries: 32,
      logFoldingFactor: 3,
      logFinalDegree: 7,
      grindingBits: 0,
      zeroKnowledge: false,
    };
    for (const [extensionDegree, baseFieldBits] of [
      [1, 128],
      [2, 64],
    ] as const) {
      const r = securityReport({ options, logTraceLength: 20, extensionDegree, baseFieldBits, collisionBits: 128 });
      expect(r.querySecurity).toBe(96);
      expect(r.fieldSecurity).toBe(128 - 23);
      expect(r.conjectured).toBe(95);
    }
  });

  it('grinding counts only once the queries alone give 80 bits', () => {
    const at = (numQueries: number) =>
      securityReport(
        babyBear({ ...DEFAULT_OPTIONS, logBlowup: 2, numQueries, grindingBits: 20, zeroKnowledge: false }, 10),
      );
    expect(at(39).querySecurity).toBe(78);
    expect(at(39).conjectured).toBe(77);
    expect(at(40).querySecurity).toBe(80 + 20);
    expect(at(40).conjectured).toBe(99);
  });

  it('BabyBear⁴ counts 123 field bits (real log2 rounded down), not 4 · 31', () => {
    const r = securityReport(babyBear({ ...DEFAULT_OPTIONS, zeroKnowledge: false }, 10));
    expect(BABYBEAR_BITS).toBeCloseTo(30.907, 3);
    expect(r.fieldBits).toBe(123);
    expect(r.logLdeDomain).toBe(13);
    expect(r.fieldSecurity).toBe(110);
  });

  it('the hash caps both figures', () => {
    const options: ProofOptions = { ...DEFAULT_OPTIONS, numQueries: 120 };
    const r = securityLevel(babyBear(options, 10, { collisionBits: 80 }));
    expect(r.conjectured).toBe(80);
    expect(r.proven).toBe(80);
  });
});

describe("proven security reproduces Winterfell's tests (Goldilocks, MODULUS_BITS = 64)", () => {
  it('get_100_bits_security', () => {
    const c: WinterfellCase = {
      extension: 2,
      foldingFactor: 2,
      remainderMaxDegree: 127,
      grinding: 20,
      blowup: 4,
      queries: 119,
      traceLength: 2 ** 20,
    };
    const r = winterfell(c);
    expect(r.uniqueDecoding).toBe(100);
    expect(r.listDecoding).toBe(69);
    expect(r.proven).toBe(100);
    // More queries do not help the list-decoding bound: the field terms limit it.
    expect(winterfell({ ...c, queries: 150 }).listDecoding).toBe(69);
    // A larger extension field does, and needs fewer queries in list decoding.
    expect(winterfell({ ...c, extension: 3, queries: 81 }).listDecoding).toBe(100);
  });

  it('unique_decoding_folding_factor_effect', () => {
    const c: WinterfellCase = {
      extension: 2,
      foldingFactor: 2,
      remainderMaxDegree: 7,
      grinding: 16,
      blowup: 8,
      queries: 123,
      traceLength: 2 ** 8,
    };
    expect(winterfell(c).uniqueDecoding).toBe(116);
    expect(winterfell({ ...c, foldingFactor: 4 }).uniqueDecoding).toBe(115);
  });

  it('unique_versus_list_decoding_rate_effect', () => {
    const c: WinterfellCase = {
      extension: 2,
      foldingFactor: 2,
      remainderMaxDegree: 7,
      grinding: 20,
      blowup: 2,
      queries: 195,
      traceLength: 2 ** 8,
    };
    expect(winterfell(c).uniqueDecoding).toBe(100);
    expect(winterfell({ ...c, extension: 3, queries: 163 }).listDecoding).toBe(100);
    expect(winterfell({ ...c, blowup: 4, queries: 119 }).uniqueDecoding).toBe(100);
    expect(winterfell({ ...c, extension: 3, blowup: 4, queries: 81 }).listDecoding).toBe(100);
  });

  it('get_96_bits_security', () => {
    const c: WinterfellCase = {
      extension: 3,
      foldingFactor: 8,
      remainderMaxDegree: 127,
      grinding: 20,
      blowup: 4,
      queries: 80,
      traceLength: 2 ** 18,
    };
    expect(winterfell(c).listDecoding).toBe(99);
    expect(winterfell({ ...c, blowup: 8, queries: 53 }).listDecoding).toBe(99);
  });

  it('get_128_bits_security', () => {
    const c: WinterfellCase = {
      extension: 3,
      foldingFactor: 8,
      remainderMaxDegree: 127,
      grinding: 20,
      blowup: 8,
      queries: 85,
      traceLength: 2 ** 18,
    };
    expect(winterfell(c).listDecoding).toBe(128);
    expect(winterfell({ ...c, blowup: 16, queries: 65 }).listDecoding).toBe(128);
  });

  it('extension_degree', () => {
    const c: WinterfellCase = {
      extension: 2,
      foldingFactor: 8,
      remainderMaxDegree: 127,
      grinding: 20,
      blowup: 8,
      queries: 85,
      traceLength: 2 ** 18,
    };
    expect(winterfell(c).listDecoding).toBe(70);
    expect(winterfell({ ...c, extension: 3 }).listDecoding).toBe(128);
  });

  it('trace_length, num_fri_queries, blowup_factor', () => {
    const c: WinterfellCase = {
      extension: 3,
      foldingFactor: 8,
      remainderMaxDegree: 127,
      grinding: 20,
      blowup: 8,
      queries: 80,
      traceLength: 2 ** 20,
    };
    expect(winterfell(c).listDecoding).toBeLessThan(winterfell({ ...c, traceLength: 2 ** 16 }).listDecoding);
    expect(winterfell({ ...c, queries: 60 }).listDecoding).toBeLessThan(winterfell(c).listDecoding);
    expect(winterfell({ ...c, queries: 30 }).listDecoding).toBeLessThan(
      winterfell({ ...c, queries: 30, blowup: 16 }).listDecoding,
    );
  });

  it('deep_batching_method_udr', () => {
    const c: WinterfellCase = {
      extension: 2,
      foldingFactor: 8,
      remainderMaxDegree: 255,
      grinding: 20,
      blowup: 8,
      queries: 120,
      traceLength: 2 ** 16,
    };
    expect(winterfell({ ...c, deepPolys: 2 }).uniqueDecoding).toBe(106);
    expect(winterfell({ ...c, deepPolys: 4 }).uniqueDecoding).toBe(106);
    expect(winterfell({ ...c, deepPolys: 32 }).uniqueDecoding).toBe(104);
    expect(winterfell({ ...c, deepPolys: 256 }).uniqueDecoding).toBe(101);
  });

  it('deep_batching_method_ldr', () => {
    const c: WinterfellCase = {
      extension: 3,
      foldingFactor: 8,
      remainderMaxDegree: 255,
      grinding: 20,
      blowup: 8,
      queries: 120,
      traceLength: 2 ** 22,
    };
    expect(winterfell({ ...c, deepPolys: 2 }).listDecoding).toBe(126);
    expect(winterfell({ ...c, deepPolys: 256 }).listDecoding).toBe(118);
  });

  it('constraints_batching_method_udr', () => {
    const c: WinterfellCase = {
      extension: 2,
      foldingFactor: 2,
      remainderMaxDegree: 255,
      grinding: 20,
      blowup: 8,
      queries: 120,
      traceLength: 2 ** 16,
    };
    expect(winterfell(c).uniqueDecoding).toBe(108);
    expect(winterfell({ ...c, constraints: 2 ** 19 }).uniqueDecoding).toBe(108);
    expect(winterfell({ ...c, constraints: 2 ** 21 }).uniqueDecoding).toBe(107);
    expect(winterfell({ ...c, constraints: 2 ** 23 }).uniqueDecoding).toBe(105);
  });

  it('constraints_batching_method_ldr', () => {
    const c: WinterfellCase = {
      extension: 3,
      foldingFactor: 8,
      remainderMaxDegree: 255,
      grinding: 20,
      blowup: 8,
      queries: 120,
      traceLength: 2 ** 22,
    };
    expect(winterfell(c).listDecoding).toBe(126);
    expect(winterfell({ ...c, constraints: 2 ** 50 }).listDecoding).toBe(126);
    expect(winterfell({ ...c, constraints: 2 ** 62 }).listDecoding).toBe(125);
  });
});

describe('monotonicity', () => {
  const base: ProofOptions = { ...DEFAULT_OPTIONS, grindingBits: 0 };

  it('more queries never give fewer bits', () => {
    for (const logTraceLength of [6, 12, 20]) {
      let previous = securityLevel(babyBear({ ...base, numQueries: 1 }, logTraceLength));
      for (let numQueries = 2; numQueries <= 255; numQueries++) {
        const next = securityLevel(babyBear({ ...base, numQueries }, logTraceLength));
        expect(next.conjectured).toBeGreaterThanOrEqual(previous.conjectured);
        expect(next.proven).toBeGreaterThanOrEqual(previous.proven);
        previous = next;
      }
    }
  });

  it('a larger blowup gives more bits for the same queries while the queries bind', () => {
    // Once the field term binds instead, a larger blowup costs a conjectured bit through |D|.
    for (const numQueries of [10, 20]) {
      const levels = [1, 2, 3, 4].map((logBlowup) => securityLevel(babyBear({ ...base, logBlowup, numQueries }, 12)));
      for (let i = 1; i < levels.length; i++) {
        const [lo, hi] = [levels[i - 1], levels[i]] as [(typeof levels)[0], (typeof levels)[0]];
        expect(hi.conjectured).toBeGreaterThan(lo.conjectured);
        expect(hi.proven).toBeGreaterThan(lo.proven);
      }
    }
  });

  it('more grinding never gives fewer bits', () => {
    let previous = securityLevel(babyBear({ ...base, numQueries: 30, grindingBits: 0 }, 16));
    for (let grindingBits = 1; grindingBits <= 32; grindingBits++) {
      const next = securityLevel(babyBear({ ...base, numQueries: 30, grindingBits }, 16));
      expect(next.conjectured).toBeGreaterThanOrEqual(previous.conjectured);
      expect(next.proven).toBeGreaterThanOrEqual(previous.proven);
      previous = next;
    }
  });

  it('a longer trace lowers the field term one bit per doubling and never raises the conjectured figure', () => {
    const options: ProofOptions = { ...DEFAULT_OPTIONS, numQueries: 100 };
    let previous = securityReport(babyBear(options, 3));
    for (let logTraceLength = 4; logTraceLength <= 24; logTraceLength++) {
      const next = securityReport(babyBear(options, logTraceLength));
      expect(next.fieldSecurity).toBe(previous.fieldSecurity - 1);
      expect(next.conjectured).toBeLessThanOrEqual(previous.conjectured);
      // The list-decoding bound only loses as the domains grow. The unique-decoding bound is not
      // monotone for small traces: its per-query error (1 + ρ⁺)/2 uses ρ⁺ = (N + 2)/|D|, which
      // approaches ρ from above as N grows, so it first gains a little before the field terms
      // take over.
      expect(next.listDecoding).toBeLessThanOrEqual(previous.listDecoding);
      previous = next;
    }
    expect(securityReport(babyBear(options, 20)).proven).toBeLessThan(securityReport(babyBear(options, 16)).proven);
  });

  it('batching losses, a higher constraint degree and the ZK degree doubling never raise the figures', () => {
    const options: ProofOptions = { ...DEFAULT_OPTIONS, numQueries: 120, zeroKnowledge: false };
    const plain = securityLevel(babyBear(options, 20));
    // One or two polynomials under algebraic batching cost nothing: the factor N − 1 is at most 1.
    expect(securityLevel(babyBear(options, 20, { numColumns: 1, numConstraints: 1 }))).toEqual(plain);
    expect(securityLevel(babyBear(options, 20, { numColumns: 2, numConstraints: 2 }))).toEqual(plain);
    const variants: Partial<SecurityInputs>[] = [
      { numColumns: 300 },
      { numConstraints: 1000 },
      { constraintDegree: 64 },
      { logTraceDegree: 21 },
    ];
    for (const extra of variants) {
      const r = securityLevel(babyBear(options, 20, extra));
      expect(r.conjectured).toBeLessThanOrEqual(plain.conjectured);
      expect(r.proven).toBeLessThanOrEqual(plain.proven);
    }
    // Many batched columns cost about log2(N − 1) bits where the FRI batching term binds.
    expect(securityReport(babyBear(options, 20, { numColumns: 2 ** 12 + 1 })).listDecoding).toBeLessThan(
      securityReport(babyBear(options, 20)).listDecoding,
    );
  });

  it('zero knowledge commits degree < 2N polynomials on a 2N·blowup domain: one conjectured bit less', () => {
    for (let logTraceLength = 6; logTraceLength <= 20; logTraceLength++) {
      const plain = securityReport(babyBear({ ...DEFAULT_OPTIONS, zeroKnowledge: false }, logTraceLength));
      const zk = securityReport(babyBear(DEFAULT_OPTIONS, logTraceLength));
      expect(zk.logLdeDomain).toBe(plain.logLdeDomain + 1);
      expect(zk.conjectured).toBe(plain.conjectured - 1);
      expect(zk.proven).toBeLessThanOrEqual(plain.proven);
      // The default degree bound is the explicit one.
      const explicit = securityReport(
        babyBear({ ...DEFAULT_OPTIONS, zeroKnowledge: false }, logTraceLength, { logTraceDegree: logTraceLength + 1 }),
      );
      expect(explicit).toEqual(zk);
    }
  });
});

describe("the project's defaults (blowup 8, 34 queries, 16 grinding bits, arity 8, ZK), BabyBear⁴, SHA-256", () => {
  it('reach 100 conjectured bits up to 2^18 rows with zero knowledge, 2^19 without; not at 2^20', () => {
    for (let logTraceLength = 6; logTraceLength <= 20; logTraceLength++) {
      for (const zeroKnowledge of [true, false]) {
        const r = securityReport(babyBear({ ...DEFAULT_OPTIONS, zeroKnowledge }, logTraceLength));
        // Queries give 3 · 34 + 16 = 118 bits; the field term 123 − log2 |D| binds throughout,
        // with |D| = 2N · 8 under zero knowledge and N · 8 without.
        const logLde = logTraceLength + (zeroKnowledge ? 1 : 0) + 3;
        expect(r.querySecurity).toBe(118);
        expect(r.conjectured).toBe(Math.min(123 - logLde, 118) - 1);
        if (logTraceLength <= (zeroKnowledge ? 18 : 19)) expect(r.conjectured).toBeGreaterThanOrEqual(100);
      }
    }
    // The shortfalls, one or two bits. (Winterfell's MODULUS_BITS convention, 4 · 31 = 124 field
    // bits, would add one; the real log2 of BabyBear⁴ is 123.63.)
    expect(securityLevel(babyBear(DEFAULT_OPTIONS, 19)).conjectured).toBe(99);
    expect(securityLevel(babyBear(DEFAULT_OPTIONS, 20)).conjectured).toBe(98);
    expect(securityLevel(babyBear({ ...DEFAULT_OPTIONS, zeroKnowledge: false }, 20)).conjectured).toBe(99);
  });

  it('give these (conjectured, proven) figures', () => {
    const table = [8, 12, 16, 20].map((l) => {
      const zk = securityLevel(babyBear(DEFAULT_OPTIONS, l));
      const plain = securityLevel(babyBear({ ...DEFAULT_OPTIONS, zeroKnowledge: false }, l));
      return [l, zk.conjectured, zk.proven, plain.conjectured, plain.proven];
    });
    expect(table).toEqual([
      [8, 110, 65, 111, 66],
      [12, 106, 64, 107, 64],
      [16, 102, 62, 103, 63],
      [20, 98, 59, 99, 59],
    ]);
  });

  it('prove 100 bits only with three times the queries, and not at all at 2^20 rows', () => {
    // For BabyBear⁴ the unique-decoding bound is the better one: each query is worth
    // −log2((1 + ρ⁺)/2) ≈ 0.83 bits at blowup 8 instead of the conjectured 3.
    const at = (numQueries: number, logTraceLength: number, logFoldingFactor = 3, zeroKnowledge = true) =>
      securityReport(babyBear({ ...DEFAULT_OPTIONS, numQueries, logFoldingFactor, zeroKnowledge }, logTraceLength));
    expect(at(101, 16).proven).toBeLessThan(100);
    expect(at(102, 16).proven).toBeGreaterThanOrEqual(100);
    expect(at(102, 16).proven).toBe(at(102, 16).uniqueDecoding);
    // At 2^20 rows the folding-round term of unique decoding, 123.6 − log2((arity − 1)·(|D| + 1)),
    // caps the proven figure however many queries are made: 96 bits with arity 8 under zero
    // knowledge (|D| = 2^24), 99 with arity 2; without zero knowledge arity 2 reaches 100.
    expect(at(255, 20).proven).toBe(96);
    expect(at(255, 20, 1).proven).toBe(99);
    expect(at(102, 20, 1, false).proven).toBe(100);
  });
});

describe('blowups 2 … 16 with queries for about 100 conjectured bits (2^16 rows, 16 grinding bits, ZK)', () => {
  it('give these (conjectured, proven) figures', () => {
    const rows = [
      [1, 85],
      [2, 43],
      [3, 29],
      [4, 22],
    ].map(([logBlowup = 0, numQueries = 0]) => {
      const r = securityLevel(babyBear({ ...DEFAULT_OPTIONS, logBlowup, numQueries }, 16));
      return [2 ** logBlowup, numQueries, r.conjectured, r.proven];
    });
    expect(rows).toEqual([
      [2, 85, 100, 55],
      [4, 43, 101, 56],
      [8, 29, 102, 57],
      [16, 22, 101, 57],
    ]);
  });
});

describe('input checks', () => {
  it('rejects invalid options and shapes', () => {
    const bad: SecurityInputs[] = [
      babyBear({ ...DEFAULT_OPTIONS, logBlowup: 0 }, 10),
      babyBear(DEFAULT_OPTIONS, 0),
      babyBear(DEFAULT_OPTIONS, 10.5),
      babyBear(DEFAULT_OPTIONS, 10, { logTraceDegree: 9 }),
      babyBear(DEFAULT_OPTIONS, 10, { extensionDegree: 0 }),
      babyBear(DEFAULT_OPTIONS, 10, { baseFieldBits: Number.NaN }),
      babyBear(DEFAULT_OPTIONS, 10, { collisionBits: -1 }),
      babyBear(DEFAULT_OPTIONS, 10, { numColumns: 0 }),
      babyBear(DEFAULT_OPTIONS, 10, { constraintDegree: 2.5 }),
    ];
    for (const inputs of bad) {
      expect(() => securityLevel(inputs)).toThrow(BaseError);
      try {
        securityLevel(inputs);
      } catch (e) {
        expect((e as BaseError).code).toBe('STARK_INVALID_INPUT');
      }
    }
  });

  it('tiny traces fall back to unique decoding when no list-decoding parameter is admissible', () => {
    const r = securityReport(babyBear({ ...DEFAULT_OPTIONS, numQueries: 100, zeroKnowledge: false }, 2));
    expect(r.listDecodingM).toBe(0);
    expect(r.listDecoding).toBe(0);
    expect(r.proven).toBe(r.uniqueDecoding);
    expect(r.proven).toBeGreaterThan(0);
  });
});
