/**
 * The STARK verifier. It takes the AIR — with the public inputs from its caller, never from the
 * proof — and the minimum security the caller accepts, replays the transcript, and checks, in
 * order: the proof's version and parameters, the security level, the constraint identity at the
 * out-of-domain point, the proof of work, every Merkle opening, the DEEP values and FRI. Each
 * failure has its own reason. Nothing here imports the prover: a browser loads this alone.
 */

import { BaseError } from '@custos/core';
import { type Air, evaluateRow, extAlgebra } from '../air/air.js';
import {
  evaluateBaseAt,
  evaluatePackedAt,
  groupAssertions,
  interpolateGroup,
  vanishingCoefficients,
} from '../air/boundary.js';
import { deepCoefficients, drawOodPoint } from '../air/deep.js';
import { type Layout, layoutOf, openTranscript } from '../air/layout.js';
import { type MerkleOpening, verifyOpening } from '../crypto/merkle.js';
import { Transcript } from '../crypto/transcript.js';
import { decodeProof } from '../encoding.js';
import { validateOptions } from '../fri/params.js';
import { drawQueries, friReplayCommit, friVerifyQueries } from '../fri/verifier.js';
import type { Ext } from '../math/ext.js';
import * as E from '../math/ext.js';
import * as F from '../math/field.js';
import { intt } from '../math/ntt.js';
import { PROOF_VERSION, type StarkProof } from '../proof.js';
import { type SecurityLevel, securityLevel } from './security.js';

export type RejectReason =
  | 'malformed'
  | 'version'
  | 'options'
  | 'trace-length'
  | 'security-too-low'
  | 'shape'
  | 'ood-constraints'
  | 'grinding'
  | 'main-opening'
  | 'aux-opening'
  | 'chunks-opening'
  | `fri-${string}`;

export interface VerifyResult {
  readonly valid: boolean;
  readonly reason: RejectReason | null;
  readonly securityBits: SecurityLevel | null;
}

export interface VerifyParameters {
  readonly air: Air;
  readonly proof: StarkProof;
  /** The least conjectured security, in bits, the caller accepts. */
  readonly minSecurityBits: number;
}

const BABYBEAR_BITS = Math.log2(F.P);

/** The security a proof's parameters give for an AIR's trace length. */
export function proofSecurity(air: Air, proof: Pick<StarkProof, 'options'>): SecurityLevel {
  return securityLevel({
    options: proof.options,
    logTraceLength: Math.log2(air.traceLength),
    extensionDegree: 4,
    baseFieldBits: BABYBEAR_BITS,
    collisionBits: 128,
    logTraceDegree: Math.log2(air.traceLength) + (proof.options.zeroKnowledge ? 1 : 0),
    constraintDegree: air.transitionDegree,
    // Constraints are combined with powers of one α; DEEP terms each get their own coefficient.
    numConstraints:
      air.numTransitions +
      (air.numEveryRow ?? 0) +
      (air.numFirstRow ?? 0) +
      (air.numLastRow ?? 0) +
      groupAssertions(air.assertions([]), air.traceLength).length,
  });
}

export function verify({ air, proof, minSecurityBits }: VerifyParameters): VerifyResult {
  const reject = (reason: RejectReason, securityBits: SecurityLevel | null = null): VerifyResult => ({
    valid: false,
    reason,
    securityBits,
  });
  if (proof.version !== PROOF_VERSION) return reject('version');
  if (validateOptions(proof.options) !== null) return reject('options');
  if (2 ** proof.logTraceLength !== air.traceLength) return reject('trace-length');
  let layout: Layout;
  try {
    layout = layoutOf(air, proof.options);
  } catch {
    return reject('options');
  }
  const security = proofSecurity(air, proof);
  if (security.conjectured < minSecurityBits) return reject('security-too-low', security);
  const result = check(air, proof, layout);
  return result === null ? { valid: true, reason: null, securityBits: security } : reject(result, security);
}

/** Decodes and verifies an encoded proof; a proof that does not decode is rejected as malformed. */
export function verifyBytes(
  parameters: Omit<VerifyParameters, 'proof'> & { readonly bytes: Uint8Array },
): VerifyResult {
  let proof: StarkProof;
  try {
    proof = decodeProof(parameters.bytes);
  } catch (error) {
    const reason = error instanceof BaseError && error.details.reason === 'version' ? 'version' : 'malformed';
    if (!(error instanceof BaseError)) throw error;
    return { valid: false, reason, securityBits: null };
  }
  return verify({ air: parameters.air, proof, minSecurityBits: parameters.minSecurityBits });
}

function check(air: Air, proof: StarkProof, layout: Layout): RejectReason | null {
  const { options } = proof;
  const transcript = new Transcript('custos-stark');
  openTranscript(transcript, air, options);
  if (proof.mainRoot.length !== 32 || proof.chunksRoot.length !== 32) return 'shape';
  transcript.absorbBytes('main-root', proof.mainRoot);
  const challenges: Ext[] = [];
  for (let i = 0; i < air.auxChallenges; i++) challenges.push(transcript.drawExt());
  if (air.auxWidth > 0) {
    if (proof.auxRoot.length !== 32 || proof.auxOpening === null) return 'shape';
    transcript.absorbBytes('aux-root', proof.auxRoot);
  } else if (proof.auxRoot.length !== 0 || proof.auxOpening !== null) return 'shape';
  const alpha = transcript.drawExt();
  transcript.absorbBytes('chunks-root', proof.chunksRoot);
  const z = drawOodPoint(transcript, layout);
  const g = F.rootOfUnity(layout.logN);
  const zg = E.mulBase(z, g);
  const { ood } = proof;
  if (
    ood.mainZ.length !== 4 * air.mainWidth ||
    ood.mainZg.length !== 4 * air.mainWidth ||
    ood.auxZ.length !== 4 * air.auxWidth ||
    ood.auxZg.length !== 4 * air.auxWidth ||
    ood.chunksZ.length !== 4 * layout.numChunks
  ) {
    return 'shape';
  }
  for (const v of [ood.mainZ, ood.mainZg, ood.auxZ, ood.auxZg, ood.chunksZ]) if (!canonical(v)) return 'shape';
  transcript.absorbWords('ood-main-z', ood.mainZ);
  transcript.absorbWords('ood-main-zg', ood.mainZg);
  transcript.absorbWords('ood-aux-z', ood.auxZ);
  transcript.absorbWords('ood-aux-zg', ood.auxZg);
  transcript.absorbWords('ood-chunks-z', ood.chunksZ);

  // The constraint identity at z: the composition from the frame equals Σ_j z^(jN)·Q_j(z).
  const composed = compositionAt(air, layout, ood, z, challenges, alpha);
  let fromChunks: Ext = [0, 0, 0, 0];
  const zN = E.pow(z, layout.n);
  let zPow: Ext = [1, 0, 0, 0];
  for (let j = 0; j < layout.numChunks; j++) {
    fromChunks = E.add(fromChunks, E.mul(zPow, E.at(ood.chunksZ, j)));
    zPow = E.mul(zPow, zN);
  }
  if (!E.eq(composed, fromChunks)) return 'ood-constraints';

  const gammas = deepCoefficients(transcript, air, layout);
  const fri = friReplayCommit(transcript, proof.fri, layout.logTraceDegree, options);
  if (typeof fri === 'string') return `fri-${fri}`;
  if (!Number.isSafeInteger(proof.powNonce) || proof.powNonce < 0) return 'grinding';
  const drawn = drawQueries(transcript, options, layout.logDomain, proof.powNonce);
  if (drawn === null) return 'grinding';
  const { queries } = drawn;
  const positions = [...new Set(queries)].sort((a, b) => a - b);

  const zk = options.zeroKnowledge;
  const chunkColumns = layout.numChunks + (zk ? 1 : 0);
  if (!openingHolds(proof.mainRoot, layout, air.mainWidth, proof.mainOpening, positions)) return 'main-opening';
  if (
    proof.auxOpening !== null &&
    !openingHolds(proof.auxRoot, layout, 4 * air.auxWidth, proof.auxOpening, positions)
  ) {
    return 'aux-opening';
  }
  if (!openingHolds(proof.chunksRoot, layout, 4 * chunkColumns, proof.chunksOpening, positions))
    return 'chunks-opening';

  // The DEEP composition at every queried point, from the opened rows.
  const omega = F.rootOfUnity(layout.logDomain);
  const firstValues: Ext[] = queries.map((q) => {
    const k = positions.indexOf(q);
    const x = F.mul(F.GENERATOR, F.pow(omega, q));
    const main = proof.mainOpening.rows[k] as Uint32Array;
    const aux = proof.auxOpening?.rows[k];
    const chunks = proof.chunksOpening.rows[k] as Uint32Array;
    let atZ: Ext = [0, 0, 0, 0];
    let atZg: Ext = [0, 0, 0, 0];
    let t = 0;
    for (let c = 0; c < air.mainWidth; c++) {
      const v: Ext = [main[c] as number, 0, 0, 0];
      atZ = E.add(atZ, E.mul(gammas[t++] as Ext, E.sub(v, E.at(ood.mainZ, c))));
      atZg = E.add(atZg, E.mul(gammas[t++] as Ext, E.sub(v, E.at(ood.mainZg, c))));
    }
    for (let c = 0; c < air.auxWidth; c++) {
      const v = E.at(aux as Uint32Array, c);
      atZ = E.add(atZ, E.mul(gammas[t++] as Ext, E.sub(v, E.at(ood.auxZ, c))));
      atZg = E.add(atZg, E.mul(gammas[t++] as Ext, E.sub(v, E.at(ood.auxZg, c))));
    }
    for (let j = 0; j < layout.numChunks; j++) {
      atZ = E.add(atZ, E.mul(gammas[t++] as Ext, E.sub(E.at(chunks, j), E.at(ood.chunksZ, j))));
    }
    const xe: Ext = [x, 0, 0, 0];
    let f = E.add(E.div(atZ, E.sub(xe, z)), E.div(atZg, E.sub(xe, zg)));
    if (zk) f = E.add(f, E.at(chunks, layout.numChunks));
    return f;
  });
  const failure = friVerifyQueries(proof.fri, fri, queries, firstValues);
  return failure === null ? null : `fri-${failure}`;
}

function canonical(v: Uint32Array): boolean {
  for (const w of v) if (w >= F.P) return false;
  return true;
}

function openingHolds(
  root: Uint8Array,
  layout: Layout,
  width: number,
  opening: MerkleOpening,
  positions: readonly number[],
): boolean {
  if (opening.indices.length !== positions.length || opening.indices.some((i, k) => i !== positions[k])) return false;
  for (const row of opening.rows) if (!canonical(row)) return false;
  return verifyOpening(root, layout.logDomain, width, layout.saltBytes, opening) === null;
}

/** Σ_k α^k·c_k(frame(z))·(z − g^(N−1))/(z^N − 1) + Σ_b α^(K+b)·(column_b(z) − v_b)/(z − g^(row_b)). */
function compositionAt(
  air: Air,
  layout: Layout,
  ood: StarkProof['ood'],
  z: Readonly<Ext>,
  challenges: readonly Ext[],
  alpha: Readonly<Ext>,
): Ext {
  const n = layout.n;
  const g = F.rootOfUnity(layout.logN);
  const unpack = (v: Uint32Array) => Array.from({ length: v.length / 4 }, (_, i) => E.at(v, i));
  const periodic = air.periodicColumns.map((values) => {
    const coeffs = new Uint32Array(values);
    intt(coeffs);
    const point = E.pow(z, n / values.length);
    let acc: Ext = [0, 0, 0, 0];
    for (let i = coeffs.length - 1; i >= 0; i--) acc = E.addBase(E.mul(acc, point), coeffs[i] as number);
    return acc;
  });
  const out = { transitions: [] as Ext[], every: [] as Ext[], first: [] as Ext[], last: [] as Ext[] };
  evaluateRow(
    air,
    extAlgebra,
    { current: unpack(ood.mainZ), next: unpack(ood.mainZg) },
    { current: unpack(ood.auxZ), next: unpack(ood.auxZg) },
    periodic,
    challenges,
    out,
  );
  let a: Ext = [1, 0, 0, 0];
  const combine = (values: readonly Ext[], count: number): Ext => {
    let sum: Ext = [0, 0, 0, 0];
    for (let k = 0; k < count; k++) {
      sum = E.add(sum, E.mul(a, values[k] ?? E.ZERO));
      a = E.mul(a, alpha);
    }
    return sum;
  };
  const zN = E.pow(z, n);
  const gLast = F.pow(g, n - 1);
  let acc = E.mul(combine(out.transitions, air.numTransitions), E.div(E.subBase(z, gLast), E.subBase(zN, 1)));
  acc = E.add(acc, E.div(combine(out.every, air.numEveryRow ?? 0), E.subBase(zN, 1)));
  acc = E.add(acc, E.div(combine(out.first, air.numFirstRow ?? 0), E.subBase(z, 1)));
  acc = E.add(acc, E.div(combine(out.last, air.numLastRow ?? 0), E.subBase(z, gLast)));
  for (const group of groupAssertions(air.assertions(challenges), n)) {
    const value = group.aux ? E.at(ood.auxZ, group.column) : E.at(ood.mainZ, group.column);
    const interpolant = evaluatePackedAt(interpolateGroup(group, g), z);
    const vanishing = evaluateBaseAt(vanishingCoefficients(group.rows, g), z);
    acc = E.add(acc, E.mul(a, E.div(E.sub(value, interpolant), vanishing)));
    a = E.mul(a, alpha);
  }
  return acc;
}
