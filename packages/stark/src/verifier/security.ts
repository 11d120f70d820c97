/**
 * How many bits of security a proof's parameters buy: the conjectured figure that STARK systems
 * usually quote, and a proven figure from the published soundness analysis.
 *
 * Sources (formulas re-derived here; numbers cross-checked in the tests against Winterfell's own):
 *
 * - [ethSTARK] StarkWare, "ethSTARK Documentation", ePrint 2021/582: Conjecture 1 (security of
 *   the "toy problem") and the security level it implies, Eq. (19): min(field bits, query bits
 *   + grinding bits) − 1, capped by the hash's collision resistance. Its Theorem 5 (DEEP-ALI with
 *   FRI in the list-decoding regime) underlies the proven figure.
 * - [Hab22] U. Haböck, "A summary on the FRI low degree test", ePrint 2022/1216: Theorem 8, and
 *   Eq. (7) for the FRI commit-phase error, whose dominant term is
 *   (m + ½)^7 · |D|² · (N − 1) / (3 · ρ^{3/2} · |F|) for N batched polynomials.
 * - [2024/1553] ePrint 2024/1553: Theorem 2 (list decoding, built on [Hab22] Th. 8 and
 *   [ethSTARK] Th. 5) and Theorem 3 (unique decoding), round-by-round soundness errors for this
 *   protocol.
 * - [WF] facebook/winterfell, air/src/proof/security.rs (v0.13.1, July 2025), which implements
 *   Eq. (19) and both theorems. The proven computation below follows it term by term; only the
 *   field-specific inputs, the batching counts and the zero-knowledge degree are adapted, as noted
 *   where they occur. Winterfell issue #122 records where the conjectured field term comes from.
 *
 * Security in bits is −log2 of an error probability, so every "term" below is a number of bits
 * and the protocol is as strong as its weakest term (round-by-round soundness: the minimum).
 */
import { BaseError, type ErrorDetails } from '@custos/core';
import { type ProofOptions, validateOptions } from '../fri/params.js';

export interface SecurityInputs {
  readonly options: ProofOptions;
  /** log2 of the trace length (rows): the trace domain H has 2^logTraceLength points. */
  readonly logTraceLength: number;
  /** Degree of the extension field the verifier's challenges are drawn from (4 for BabyBear⁴). */
  readonly extensionDegree: number;
  /** log2 of the base field's order as a real number: log2(15·2^27 + 1) ≈ 30.907 for BabyBear. */
  readonly baseFieldBits: number;
  /** Collision resistance of the commitment hash in bits (128 for SHA-256). */
  readonly collisionBits: number;
  /**
   * Highest degree of the AIR's constraints. The proven bound's DEEP term grows with it. Like
   * Winterfell, the blowup factor is taken as the degree when this is smaller or absent, because
   * the composition polynomial must fit the LDE domain.
   */
  readonly constraintDegree?: number;
  /**
   * Number of polynomials batched into the DEEP composition polynomial: trace columns plus
   * composition chunks (plus any zero-knowledge masking polynomial folded in). Give it when the
   * prover batches with successive powers of one challenge ("algebraic" batching), which costs
   * log2(numColumns − 1) bits in the FRI batching term [Hab22, Eq. (7)]. Leave it out only when
   * every polynomial gets its own independent random coefficient ("linear" batching, no loss).
   */
  readonly numColumns?: number;
  /**
   * Number of constraints combined into the composition polynomial, with the same meaning as
   * `numColumns`: give it when they are combined with powers of one challenge, which costs
   * log2(numConstraints − 1) bits in the ALI term [2024/1553, Th. 2 and 3]; leave it out when each
   * constraint has its own random coefficient.
   */
  readonly numConstraints?: number;
  /**
   * log2 of the degree bound of the committed trace polynomials. With zero knowledge the prover
   * commits to T(x) + Z_H(x)·r(x), r random of degree < N, so the polynomials have degree < 2N,
   * live on an LDE domain of 2N·blowup points, and FRI tests degree < 2N. The default follows
   * that rule — logTraceLength + 1 when `options.zeroKnowledge`, else logTraceLength — and a
   * caller that knows the layout's degree bound should pass it. Every term that depends on the
   * degree or on the LDE domain size uses this larger degree, which only lowers the estimates.
   */
  readonly logTraceDegree?: number;
}

export interface SecurityLevel {
  readonly conjectured: number;
  readonly proven: number;
}

/** The figures behind `securityLevel`, for callers (and tests) that want to see the terms. */
export interface SecurityReport extends SecurityLevel {
  /** Extension-field bits used by the conjectured formula: ⌊extensionDegree · baseFieldBits⌋. */
  readonly fieldBits: number;
  /** log2 of the LDE domain size. */
  readonly logLdeDomain: number;
  /** fieldBits − logLdeDomain. */
  readonly fieldSecurity: number;
  /** logBlowup · numQueries, plus the grinding bits when that reaches the grinding floor. */
  readonly querySecurity: number;
  /** Proven bits in the unique-decoding regime [2024/1553, Th. 3]. */
  readonly uniqueDecoding: number;
  /** Proven bits in the list-decoding regime [2024/1553, Th. 2], at the best proximity parameter. */
  readonly listDecoding: number;
  /** The proximity parameter m that maximised the list-decoding bound (0 if no m was admissible). */
  readonly listDecodingM: number;
}

/**
 * Grinding only counts in the conjectured figure once the queries alone reach 80 bits ([WF],
 * GRINDING_CONTRIBUTION_FLOOR): proof of work should top up a sound query phase, not stand in for
 * one.
 */
const GRINDING_CONTRIBUTION_FLOOR = 80;
/**
 * Upper end of the search for the list-decoding proximity parameter m ([WF], MAX_PROXIMITY_PARAMETER).
 * The FRI commit-phase error grows like m^7, so the optimum sits at small m and the cap costs
 * nothing.
 */
const MAX_PROXIMITY_PARAMETER = 1000;
/** Smallest proximity parameter tried, as in [WF]: the list-decoding analysis takes m ≥ 3. */
const MIN_PROXIMITY_PARAMETER = 3;
/**
 * Points at which the trace polynomials are opened out of domain: z and z·g (current and next
 * row), as in [WF]. A protocol that opened further rows would need a larger count here.
 */
const NUM_OPENINGS = 2;

/** Conjectured and proven security of a proof with these parameters, in whole bits (rounded down). */
export function securityLevel(inputs: SecurityInputs): SecurityLevel {
  const { conjectured, proven } = securityReport(inputs);
  return { conjectured, proven };
}

export function securityReport(inputs: SecurityInputs): SecurityReport {
  const p = checkInputs(inputs);
  const conj = conjecturedSecurity(p);
  const udr = uniqueDecodingSecurity(p);
  const ldr = listDecodingSecurity(p);
  const cap = Math.floor(inputs.collisionBits);
  const uniqueDecoding = clampBits(Math.min(udr, cap));
  const listDecoding = clampBits(Math.min(ldr.bits, cap));
  return {
    conjectured: conj.bits,
    // Either regime's theorem is a valid bound on its own, so the proof is as secure as the better.
    proven: Math.max(uniqueDecoding, listDecoding),
    fieldBits: conj.fieldBits,
    logLdeDomain: p.logLde,
    fieldSecurity: conj.fieldSecurity,
    querySecurity: conj.querySecurity,
    uniqueDecoding,
    listDecoding,
    listDecodingM: ldr.m,
  };
}

// ------------------------------------------------------------------------------------------------
// Parameters

interface Params {
  readonly o: ProofOptions;
  readonly collisionBits: number;
  /** log2 |F| for the extension field, real-valued: the proven analysis divides by |F| exactly. */
  readonly extBits: number;
  /** The extension-field bits of the conjectured formula, rounded down. */
  readonly extBitsFloor: number;
  readonly logDegree: number;
  readonly logLde: number;
  /** Degree bound N of the committed polynomials (the trace length unless randomised for ZK). */
  readonly n: number;
  /** LDE domain size |D| = N · blowup. */
  readonly lde: number;
  readonly blowup: number;
  readonly rho: number;
  readonly maxDegree: number;
  readonly constraintBatching: number;
  readonly deepBatching: number;
}

function checkInputs(inputs: SecurityInputs): Params {
  const bad = (message: string, details: ErrorDetails): never => {
    throw new BaseError('STARK_INVALID_INPUT', message, { details });
  };
  const optionsError = validateOptions(inputs.options);
  if (optionsError !== null) bad(`invalid proof options: ${optionsError}`, {});
  const { logTraceLength, extensionDegree, baseFieldBits, collisionBits } = inputs;
  if (!Number.isInteger(logTraceLength) || logTraceLength < 1 || logTraceLength > 40) {
    bad('logTraceLength must be an integer from 1 to 40', { logTraceLength });
  }
  const logDegree = inputs.logTraceDegree ?? logTraceLength + (inputs.options.zeroKnowledge ? 1 : 0);
  if (!Number.isInteger(logDegree) || logDegree < logTraceLength || logDegree > 40) {
    bad('logTraceDegree must be an integer, at least logTraceLength', { logTraceDegree: logDegree });
  }
  if (!Number.isInteger(extensionDegree) || extensionDegree < 1) {
    bad('extensionDegree must be a positive integer', { extensionDegree });
  }
  if (!Number.isFinite(baseFieldBits) || baseFieldBits <= 1) bad('baseFieldBits must exceed 1', { baseFieldBits });
  if (!Number.isFinite(collisionBits) || collisionBits < 0) {
    bad('collisionBits must be a non-negative number', { collisionBits });
  }
  const positiveInt = (name: string, v: number | undefined): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) bad(`${name} must be a positive integer`, { [name]: v });
  };
  positiveInt('constraintDegree', inputs.constraintDegree);
  positiveInt('numColumns', inputs.numColumns);
  positiveInt('numConstraints', inputs.numConstraints);

  const o = inputs.options;
  const blowup = 2 ** o.logBlowup;
  const n = 2 ** logDegree;
  const extBits = extensionDegree * baseFieldBits;
  return {
    o,
    collisionBits,
    extBits,
    // A tiny epsilon keeps an exact integer product (64 · 2 = 128) from flooring to 127 through
    // rounding noise; it is far below any real field's distance to the next integer.
    extBitsFloor: Math.floor(extBits + 1e-9),
    logDegree,
    logLde: logDegree + o.logBlowup,
    n,
    lde: n * blowup,
    blowup,
    rho: 1 / blowup,
    // [WF] bounds the constraint degree by the blowup factor and uses blowup + 1 as the degree
    // factor of the DEEP term; a larger declared constraint degree takes its place.
    maxDegree: Math.max(blowup, inputs.constraintDegree ?? 0) + 1,
    // Batching with powers of one challenge: a bad combination is a root of a polynomial of
    // degree count − 1 in that challenge. A single polynomial has nothing to batch; it is charged
    // like linear batching (factor 1) rather than given an infinite term.
    constraintBatching: Math.max((inputs.numConstraints ?? 2) - 1, 1),
    deepBatching: Math.max((inputs.numColumns ?? 2) - 1, 1),
  };
}

function clampBits(bits: number): number {
  return Number.isFinite(bits) ? Math.max(0, Math.floor(bits)) : 0;
}

// ------------------------------------------------------------------------------------------------
// Conjectured security: [ethSTARK] Conjecture 1 and Eq. (19), as implemented by [WF]

function conjecturedSecurity(p: Params): {
  bits: number;
  fieldBits: number;
  fieldSecurity: number;
  querySecurity: number;
} {
  // Field term. Eq. (19) of [ethSTARK] charges only log2 |F|; the ethSTARK code's README
  // ("Measuring security") subtracts log2 of the trace length, and Winterfell subtracted log2 of
  // the LDE domain size until v0.12.0 (PR #361, February 2025), which went back to log2 |F|. The
  // most conservative of the three is kept: log2 |F| − log2 |D|.
  //
  // Field bits: Winterfell multiplies MODULUS_BITS (the modulus's bit length, i.e. log2 p
  // rounded up: 64 for Goldilocks, 31 for BabyBear) by the extension degree. Rounding up is
  // optimistic by up to a bit per base-field factor, so here the real log2 of the extension
  // field is rounded down instead: ⌊4 · 30.907⌋ = 123 for BabyBear⁴, where Winterfell's
  // convention would say 124.
  const fieldBits = p.extBitsFloor;
  const fieldSecurity = fieldBits - p.logLde;
  // Query term: each query catches a far-from-code word except with probability ρ (conjectured
  // for the toy problem), i.e. log2(blowup) bits per query; grinding adds its bits on top.
  let querySecurity = p.o.logBlowup * p.o.numQueries;
  if (querySecurity >= GRINDING_CONTRIBUTION_FLOOR) querySecurity += p.o.grindingBits;
  const bits = Math.min(Math.min(fieldSecurity, querySecurity) - 1, Math.floor(p.collisionBits));
  return { bits: Math.max(0, bits), fieldBits, fieldSecurity, querySecurity };
}

// ------------------------------------------------------------------------------------------------
// Proven security, unique-decoding regime: [2024/1553] Theorem 3, as implemented by [WF]

function uniqueDecodingSecurity(p: Params): number {
  const { extBits, n, lde, o } = p;
  const terms: number[] = [];
  // ALI: a false statement survives the random combination of constraints with probability
  // (C − 1)/|F| under algebraic batching, 1/|F| under linear batching.
  terms.push(extBits - Math.log2(p.constraintBatching));
  // DEEP: the out-of-domain point z hits one of at most d·(N + k − 1) + (N − 1) bad points; the
  // denominator |F| − |D ∪ H| is taken as |F|, a negligible difference for a 2^123 field and
  // domains of at most 2^27 points.
  terms.push(extBits - Math.log2(p.maxDegree * (n + NUM_OPENINGS - 1) + (n - 1)));
  // FRI batching: (N − 1)·|D|/|F| under algebraic batching, |D|/|F| under linear batching.
  terms.push(extBits - Math.log2(lde * p.deepBatching));
  // FRI folding rounds: each fold with arity a errs with probability (a − 1)·(|D| + 1)/|F|. The
  // first (largest) domain and the full folding factor bound every round. No round happens when
  // the polynomial already fits the final degree.
  if (p.logDegree > o.logFinalDegree) {
    terms.push(extBits - Math.log2((2 ** o.logFoldingFactor - 1) * (lde + 1)));
  }
  // Queries: within unique decoding radius (1 − ρ⁺)/2, with ρ⁺ = (N + k)/|D| the rate after
  // adding the k quotient openings, each query passes with probability at most (1 + ρ⁺)/2.
  const rhoPlus = (n + NUM_OPENINGS) / lde;
  terms.push(o.grindingBits - o.numQueries * Math.log2((1 + rhoPlus) / 2));
  return Math.min(...terms);
}

// ------------------------------------------------------------------------------------------------
// Proven security, list-decoding regime: [2024/1553] Theorem 2, as implemented by [WF]

function listDecodingSecurity(p: Params): { bits: number; m: number } {
  // The analysis needs the slack η > 0 in the proof of [ethSTARK] Th. 1; [2024/1553] Th. 2 bounds the
  // admissible m, and [WF] uses the sharper m < ⌈1 / (2(√((N + 2)/N) − 1))⌉, capped at 1000. The
  // trace-domain size N here is the degree bound of the committed polynomials.
  const ratio = (p.n + 2) / p.n;
  const mMax = Math.min(Math.ceil(1 / (2 * (Math.sqrt(ratio) - 1))), MAX_PROXIMITY_PARAMETER);
  let best = Number.NEGATIVE_INFINITY;
  let bestM = 0;
  for (let m = MIN_PROXIMITY_PARAMETER; m < mMax; m++) {
    const bits = listDecodingForM(p, m);
    if (bits > best) {
      best = bits;
      bestM = m;
    }
  }
  return { bits: best, m: bestM };
}

function listDecodingForM(p: Params, m: number): number {
  const { extBits, n, lde, rho, o } = p;
  // List size at the Johnson-type radius used by the theorem: L = m / (ρ − 2m/|D|). A
  // non-positive denominator means this m is outside the theorem's range.
  const denominator = rho - (2 * m) / lde;
  if (denominator <= 0) return Number.NEGATIVE_INFINITY;
  const listSize = m / denominator;
  const terms: number[] = [];
  // ALI: any of the L codewords in the list may satisfy a bad combination.
  terms.push(extBits - Math.log2(listSize) - Math.log2(p.constraintBatching));
  // DEEP: pairs of list elements, L² times the unique-decoding count of bad points.
  terms.push(extBits - Math.log2(listSize * listSize * (p.maxDegree * (n + NUM_OPENINGS - 1) + (n - 1))));
  // FRI commit phase: the dominant term of [Hab22] Eq. (7),
  // (m + ½)^7 · |D|² · (N − 1) / (3 · ρ^{3/2} · |F|); the other terms and the per-round folding
  // errors are smaller by many orders of magnitude and are left out, as in [WF].
  terms.push(extBits - Math.log2(((m + 0.5) ** 7 / (3 * rho ** 1.5)) * lde * lde * p.deepBatching));
  // Queries: each passes with probability at most α = (1 + 1/(2m))·√ρ.
  const alpha = (1 + 0.5 / m) * Math.sqrt(rho);
  terms.push(o.grindingBits - o.numQueries * Math.log2(alpha));
  return Math.min(...terms);
}
