/**
 * What prover and verifier derive alike from an AIR and the options: degree bounds, domain sizes,
 * the number of composition chunks, and the transcript's opening. Shared so the two cannot drift.
 */
import { BaseError } from '@custos/core';
import type { Transcript } from '../crypto/transcript.js';
import { optionWords, type ProofOptions } from '../fri/params.js';
import { type Air, airShapeError } from './air.js';

export interface Layout {
  readonly logN: number;
  readonly n: number;
  /** Degree bound of the committed trace polynomials: N, or 2N when randomised for zero knowledge. */
  readonly logTraceDegree: number;
  /** The LDE / constraint-evaluation / FRI domain: GENERATOR·⟨ω⟩ of size traceDegree·blowup. */
  readonly logDomain: number;
  /** The quotient is split every N coefficients into this many chunks. */
  readonly numChunks: number;
  /** Degree bound of each committed chunk: N, or 2N with the zero-knowledge masks. */
  readonly logChunkDegree: number;
  /** Rows of the domain between a point x and x·g (g generates the trace domain). */
  readonly nextStep: number;
  /** Salt bytes per committed leaf (0 without zero knowledge). */
  readonly saltBytes: number;
}

export function layoutOf(air: Air, options: ProofOptions): Layout {
  const shape = airShapeError(air);
  if (shape !== null)
    throw new BaseError('STARK_INVALID_INPUT', `invalid AIR: ${shape}`, { details: { air: air.name } });
  const n = air.traceLength;
  const logN = Math.log2(n);
  const zk = options.zeroKnowledge;
  // Each randomised column is evaluated, openly or inside the opened quotient chunks, at the
  // query points x, their next-row points x·g, z and z·g: its N random coefficients must
  // outnumber those 2·numQueries + 2 points for the values there to be uniform and independent.
  if (zk && n < 2 * options.numQueries + 2) {
    throw new BaseError('STARK_INVALID_INPUT', 'zero knowledge needs at least 2·numQueries + 2 trace rows', {
      details: { traceLength: n, numQueries: options.numQueries },
      hints: ['Pad the trace to a longer power of two, or turn zeroKnowledge off.'],
    });
  }
  const logTraceDegree = logN + (zk ? 1 : 0);
  const traceDegree = 2 ** logTraceDegree;
  const d = air.transitionDegree;
  // Transition quotients have degree ≤ d·(T − 1) − (N − 1) (every-row ones less), first- and last-row quotients
  // ≤ d·(T − 1) − 1, assertion quotients ≤ T − 2 (T the trace degree bound): the quotient's degree
  // bound is one more than the largest.
  const rowConstraints = (air.numFirstRow ?? 0) + (air.numLastRow ?? 0) > 0;
  const quotientBound =
    Math.max(d * (traceDegree - 1) - (n - 1), rowConstraints ? d * (traceDegree - 1) - 1 : 0, traceDegree - 2) + 1;
  const numChunks = Math.ceil(quotientBound / n);
  const logDomain = logTraceDegree + options.logBlowup;
  if (2 ** logDomain < quotientBound) {
    throw new BaseError('STARK_INVALID_INPUT', 'the blowup is too small for the constraint degree', {
      details: { transitionDegree: d, logBlowup: options.logBlowup },
    });
  }
  return {
    logN,
    n,
    logTraceDegree,
    logDomain,
    numChunks,
    logChunkDegree: logN + (zk ? 1 : 0),
    nextStep: 2 ** (logDomain - logN),
    saltBytes: zk ? 16 : 0,
  };
}

/** Everything both sides bind before the first commitment. */
export function openTranscript(transcript: Transcript, air: Air, options: ProofOptions): void {
  transcript.absorbBytes('air', new TextEncoder().encode(air.name));
  transcript.absorbWords('options', optionWords(options));
  transcript.absorbWords('shape', [
    air.traceLength,
    air.mainWidth,
    air.auxWidth,
    air.auxChallenges,
    air.transitionDegree,
    air.numTransitions,
    air.numEveryRow ?? 0,
    air.numFirstRow ?? 0,
    air.numLastRow ?? 0,
    air.periodicColumns.length,
  ]);
  transcript.absorbWords('public-inputs', air.publicInputs);
}
