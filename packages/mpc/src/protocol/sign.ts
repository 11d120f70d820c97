/**
 * Lindell17 two-party ECDSA signing between the server (P1) and the device (P2) (Y. Lindell, ePrint
 * 2017/552 Protocol 3.3 / J. Cryptology 2021, additive shares), hardened as coinbase/cb-mpc's
 * ECDSA-2PC (research notes §2.1, §2.3): a fresh joint session id per signature; P1 commits to
 * R1 = k1·G with a Schnorr proof bound to (sid, 1); P2 answers R2 = k2·G with a proof bound to
 * (sid, 2); P1 opens; P2 sends D = c_key^a·Enc(b + ρ·q) (a = r·k2⁻¹, b = k2⁻¹(h + r·x2')) with the
 * zk/pi-sign.ts proof, which P1 verifies BEFORE decrypting. s = k1⁻¹·Dec(D) is normalised to low-s
 * and verified against PK (+ tweak) before it is returned.
 *
 * Everything up to P2's last message is independent of the message, so the first three messages
 * form a PRESIGNATURE (single use, JSON, carries `used`), and signing itself is one message:
 * deviceSign(presignature, digest) → (D, proof) → serverSign(presignature, digest) → signature.
 * Plain signing is the same functions run back to back. HTTP shape: POST start {deviceNonce} →
 * round 1; POST round 2 → round 3; POST round 4 (+ the digest's source) → signature.
 *
 * Abort policy (Lindell17 abort attack, CVE-2023-33242): the two server steps that check the
 * device's cryptography RETURN an outcome. `{ ok: false, disableKey: true, error }` means the
 * authenticated device sent a failing proof, an invalid ciphertext or a message whose signature
 * does not verify: the caller must persist `disableSigning(pairing)` (key-wide, in the database)
 * and never retry; recovery is refresh and re-pairing. Anything refused BEFORE a cryptographic
 * check — malformed envelope or payload, wrong session, a round replayed, a state in the wrong
 * phase, a used presignature, an invalid point encoding — is THROWN and disables nothing.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { Arithmetic } from '../arith/backend.js';
import { hexToInt, intToHex, mod, modInverse, randomBits, randomUnit } from '../arith/modular.js';
import { commit, verifyCommitment } from '../commitment.js';
import {
  decodePoint,
  encodePoint,
  modQ,
  mul,
  mulG,
  mulPublic,
  type Point,
  pointToHex,
  q,
  randomScalar,
  scalarToHex,
} from '../curve.js';
import { MpcError, type MpcErrorCode } from '../errors.js';
import { decryptSigned } from '../paillier.js';
import { PAILLIER_BITS } from '../params.js';
import {
  decodeSchnorrProof,
  encodeSchnorrProof,
  proveSchnorr,
  type SchnorrContext,
  type SchnorrProofJson,
  verifySchnorr,
} from '../schnorr.js';
import type { ProofContext } from '../zk/context.js';
import { expectRecord } from '../zk/context.js';
import {
  decodeSignPrecomputation,
  decodeSignProof,
  encodeSignPrecomputation,
  encodeSignProof,
  precomputeSignProof,
  proveSign,
  SIGN_RHO_BITS,
  type SignProofJson,
  type SignProofPrecomputationJson,
  verifySign,
} from '../zk/pi-sign.js';
import { deriveSessionId, randomSessionContribution } from './dkg.js';
import { type Envelope, envelope, expectMessages, PARTY, parseEnvelope } from './envelope.js';
import {
  assertPhase,
  assertTweak,
  decodeHex32,
  decodeScalarHex,
  digestToScalar,
  type EcdsaSignature,
  finishSignature,
  signatureR,
  tweakPoint,
} from './lindell.js';
import { type DevicePairing, loadDevicePairing, loadServerPairing, type ServerPairing } from './pairing.js';

export const SIGN_VERSION = 1 as const;

// ---------------------------------------------------------------------------------------------
// States and payloads

export interface SignStartRequest {
  readonly deviceNonce: string;
}

export interface DeviceSignStarted {
  readonly v: typeof SIGN_VERSION;
  readonly phase: 'device-sign-started';
  readonly pairingId: string;
  readonly deviceNonce: string;
}

export interface ServerSignCommitted {
  readonly v: typeof SIGN_VERSION;
  readonly phase: 'server-sign-committed';
  readonly pairingId: string;
  readonly sessionId: string;
  /** Secret nonce share. */
  readonly k1: string;
  readonly R1: string;
  readonly proof: SchnorrProofJson;
  readonly randomness: string;
}

export interface DeviceSignCommitted {
  readonly v: typeof SIGN_VERSION;
  readonly phase: 'device-sign-committed';
  readonly pairingId: string;
  readonly sessionId: string;
  /** Secret nonce share. */
  readonly k2: string;
  readonly R2: string;
  readonly commitment: string;
}

/** The server's single-use presignature. Secret: k1. */
export interface ServerPresignature {
  readonly v: typeof SIGN_VERSION;
  readonly phase: 'server-presignature';
  readonly pairingId: string;
  /** The presigning session id; round 4 carries it. */
  readonly presignatureId: string;
  readonly k1: string;
  readonly R: string;
  readonly R2: string;
  readonly used: boolean;
}

/** The device's single-use presignature. Secret: everything but R, R2 and ids. */
export interface DevicePresignature {
  readonly v: typeof SIGN_VERSION;
  readonly phase: 'device-presignature';
  readonly pairingId: string;
  readonly presignatureId: string;
  readonly k2: string;
  readonly R: string;
  readonly R2: string;
  /** a = r·k2⁻¹ mod q. */
  readonly a: string;
  /** ρ_mask ∈ [0, 2^SIGN_RHO_BITS). */
  readonly mask: string;
  /** Paillier randomness of D, and its N-th power mod N². */
  readonly rhoEnc: string;
  readonly rhoEncN: string;
  /** c_key^a mod N². */
  readonly cKeyA: string;
  readonly proof: SignProofPrecomputationJson;
  readonly used: boolean;
}

export interface SignRound1Payload {
  readonly serverNonce: string;
  readonly commitment: string;
}

export interface SignRound2Payload {
  readonly R2: string;
  readonly proof: SchnorrProofJson;
}

export interface SignRound3Payload {
  readonly R1: string;
  readonly proof: SchnorrProofJson;
  readonly randomness: string;
}

export interface SignRound4Payload {
  readonly D: string;
  readonly proof: SignProofJson;
}

/** The device's cryptography failed: persist `disableSigning(pairing)`; `error` says which check. */
export interface DisableKeyOutcome {
  readonly ok: false;
  readonly disableKey: true;
  readonly error: MpcError;
}

export type ServerPresignOutcome =
  | { readonly ok: true; readonly presignature: ServerPresignature; readonly message: Envelope<SignRound3Payload> }
  | DisableKeyOutcome;

export type ServerSignOutcome =
  | { readonly ok: true; readonly signature: EcdsaSignature; readonly presignature: ServerPresignature }
  | (DisableKeyOutcome & { readonly presignature: ServerPresignature });

/** @internal Known-answer tests only: a fixed nonce share instead of a random one. */
export interface NonceOverride {
  readonly nonce?: bigint;
}

export interface SignOptions {
  /** BIP-32 non-hardened tweak δ: signs for PK + δ·G. Each side derives it itself. */
  readonly tweak?: bigint;
}

export interface ServerSignOptions extends SignOptions {
  /** Verify with CRT over the server's own factors (default true; identical results, faster). */
  readonly useTrapdoor?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Helpers

const nonceCtx = (sessionId: string, prover: 1 | 2): SchnorrContext => ({ domain: 'sign/nonce', sessionId, prover });
const commitCtx = (sessionId: string) => ({ domain: 'sign/r1', sessionId, partyId: PARTY.server });

function r1Values(R1: Point, proof: { A: Point; z: bigint }): Uint8Array[] {
  return [encodePoint(R1), encodePoint(proof.A), hexToBytes(scalarToHex(proof.z))];
}

function disable(error: MpcError): MpcError {
  return new MpcError(
    error.code as MpcErrorCode,
    error.check,
    error.shortMessage,
    { ...error.details, disableKey: true },
    error,
  );
}

/** Runs the checks of a device message; an MpcError becomes a disable outcome, anything else is a bug. */
function guarded<T>(run: () => T): { ok: true; value: T } | DisableKeyOutcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (error instanceof MpcError) return { ok: false, disableKey: true, error: disable(error) };
    throw error;
  }
}

function assertUsable(pairing: ServerPairing): void {
  assertPhase(pairing, 'server-paired');
  if (pairing.signingDisabled !== false) {
    throw new MpcError(
      'MPC_SIGNING_DISABLED',
      'pair.disabled',
      'signing with this key is disabled after a failed proof',
    );
  }
}

function assertPresignature(p: { readonly used?: unknown; readonly pairingId: string }, pairingId: string): void {
  if (p.used !== false) {
    throw new MpcError('MPC_PRESIGNATURE_CONSUMED', 'presignature.used', 'this presignature has already been used');
  }
  if (p.pairingId !== pairingId) {
    throw new MpcError('MPC_SESSION_MISMATCH', 'presignature.pairing', 'the presignature belongs to another pairing');
  }
}

// ---------------------------------------------------------------------------------------------
// Presigning (message independent)

/** Step 0 (device): its nonce for the joint session id. */
export function deviceSignStart(pairing: DevicePairing): { state: DeviceSignStarted; request: SignStartRequest } {
  assertPhase(pairing, 'device-paired');
  const deviceNonce = randomSessionContribution();
  return {
    state: { v: SIGN_VERSION, phase: 'device-sign-started', pairingId: pairing.pairingId, deviceNonce },
    request: { deviceNonce },
  };
}

/** Round 1 (server → device): the session id and a commitment to R1 with its proof. */
export function serverSignRound1(
  pairing: ServerPairing,
  request: unknown,
  override: NonceOverride = {},
): { state: ServerSignCommitted; message: Envelope<SignRound1Payload> } {
  assertUsable(pairing);
  const deviceNonce = decodeHex32(expectRecord(request, 'request', ['deviceNonce']).deviceNonce, 'request.deviceNonce');
  const serverNonce = randomSessionContribution();
  const sessionId = deriveSessionId('sign', [serverNonce, deviceNonce]);
  const k1 = override.nonce ?? randomScalar();
  const R1 = mulG(k1);
  const proof = proveSchnorr(nonceCtx(sessionId, 1), k1, R1);
  const { commitment, randomness } = commit(commitCtx(sessionId), r1Values(R1, proof));
  return {
    state: {
      v: SIGN_VERSION,
      phase: 'server-sign-committed',
      pairingId: pairing.pairingId,
      sessionId,
      k1: scalarToHex(k1),
      R1: pointToHex(R1),
      proof: encodeSchnorrProof(proof),
      randomness: bytesToHex(randomness),
    },
    message: envelope('sign', sessionId, 1, PARTY.server, PARTY.device, {
      serverNonce,
      commitment: bytesToHex(commitment),
    }),
  };
}

/** Round 2 (device → server): R2 = k2·G with its proof, once the session id is checked. */
export function deviceSignRound2(
  state: DeviceSignStarted,
  message: unknown,
  override: NonceOverride = {},
): { state: DeviceSignCommitted; message: Envelope<SignRound2Payload> } {
  assertPhase(state, 'device-sign-started');
  const payload = expectRecord(parseEnvelope(message).payload, 'payload', ['serverNonce', 'commitment']);
  const serverNonce = decodeHex32(payload.serverNonce, 'payload.serverNonce');
  const sessionId = deriveSessionId('sign', [serverNonce, state.deviceNonce]);
  expectMessages([message], { protocol: 'sign', sessionId, round: 1, to: PARTY.device, from: [PARTY.server] });
  const commitment = decodeHex32(payload.commitment, 'payload.commitment');
  const k2 = override.nonce ?? randomScalar();
  const R2 = mulG(k2);
  const proof = proveSchnorr(nonceCtx(sessionId, 2), k2, R2);
  return {
    state: {
      v: SIGN_VERSION,
      phase: 'device-sign-committed',
      pairingId: state.pairingId,
      sessionId,
      k2: scalarToHex(k2),
      R2: pointToHex(R2),
      commitment,
    },
    message: envelope('sign', sessionId, 2, PARTY.device, PARTY.server, {
      R2: pointToHex(R2),
      proof: encodeSchnorrProof(proof),
    }),
  };
}

function assertSamePairing(sessionPairingId: string, pairingId: string): void {
  if (sessionPairingId !== pairingId) {
    throw new MpcError(
      'MPC_SESSION_MISMATCH',
      'presignature.pairing',
      'the signing session belongs to another pairing',
    );
  }
}

/**
 * Round 2 received, round 3 sent (server): R2's proof must verify for THIS session and party 2
 * (else a disable outcome); the result is the server's presignature and the opening of R1.
 */
export function serverSignRound3(
  pairing: ServerPairing,
  state: ServerSignCommitted,
  message: unknown,
): ServerPresignOutcome {
  assertUsable(pairing);
  assertPhase(state, 'server-sign-committed');
  assertSamePairing(state.pairingId, pairing.pairingId);
  const { sessionId } = state;
  const raw = expectMessages([message], {
    protocol: 'sign',
    sessionId,
    round: 2,
    to: PARTY.server,
    from: [PARTY.device],
  }).get(PARTY.device);
  const p = expectRecord(raw, 'payload', ['R2', 'proof']);
  const R2 = decodePoint(p.R2, 'payload.R2');
  const proof = decodeSchnorrProof(p.proof, 'payload.proof');
  const checked = guarded(() => verifySchnorr(nonceCtx(sessionId, 2), R2, proof));
  if (!checked.ok) return checked;
  const k1 = decodeScalarHex(state.k1, 'state.k1');
  const R = mul(R2, k1);
  signatureR(R);
  return {
    ok: true,
    presignature: {
      v: SIGN_VERSION,
      phase: 'server-presignature',
      pairingId: state.pairingId,
      presignatureId: sessionId,
      k1: state.k1,
      R: pointToHex(R),
      R2: pointToHex(R2),
      used: false,
    },
    message: envelope('sign', sessionId, 3, PARTY.server, PARTY.device, {
      R1: state.R1,
      proof: state.proof,
      randomness: state.randomness,
    }),
  };
}

/**
 * Round 3 received (device): checks the opening and R1's proof, then does all message-independent
 * work (c_key^a, ρ^N, the proof's first messages). Returns the device's presignature.
 */
export function devicePresign(
  arith: Arithmetic,
  pairing: DevicePairing,
  state: DeviceSignCommitted,
  message: unknown,
): DevicePresignature {
  assertPhase(state, 'device-sign-committed');
  const loaded = loadDevicePairing(pairing);
  assertSamePairing(state.pairingId, loaded.pairingId);
  const { sessionId } = state;
  const raw = expectMessages([message], {
    protocol: 'sign',
    sessionId,
    round: 3,
    to: PARTY.device,
    from: [PARTY.server],
  }).get(PARTY.server);
  const p = expectRecord(raw, 'payload', ['R1', 'proof', 'randomness']);
  const R1 = decodePoint(p.R1, 'payload.R1');
  const proof = decodeSchnorrProof(p.proof, 'payload.proof');
  const randomness = hexToBytes(decodeHex32(p.randomness, 'payload.randomness'));
  verifyCommitment(commitCtx(sessionId), hexToBytes(state.commitment), r1Values(R1, proof), randomness);
  verifySchnorr(nonceCtx(sessionId, 1), R1, proof);

  const k2 = decodeScalarHex(state.k2, 'state.k2');
  const R2 = decodePoint(state.R2, 'state.R2');
  const R = mul(R1, k2);
  const r = signatureR(R);
  const a = modQ(r * modInverse(k2, q));
  const { N, N2 } = loaded.paillier;
  const rhoEnc = randomUnit(N);
  const pre = precomputeSignProof(
    arith,
    { publicKey: loaded.paillier, cKey: loaded.cKey, R2 },
    a,
    loaded.serverRingPedersen,
  );
  return {
    v: SIGN_VERSION,
    phase: 'device-presignature',
    pairingId: state.pairingId,
    presignatureId: sessionId,
    k2: state.k2,
    R: pointToHex(R),
    R2: state.R2,
    a: scalarToHex(a),
    mask: intToHex(randomBits(SIGN_RHO_BITS)),
    rhoEnc: intToHex(rhoEnc),
    rhoEncN: intToHex(arith.modPow(rhoEnc, N, N2)),
    cKeyA: intToHex(arith.modPow(loaded.cKey, a, N2)),
    proof: encodeSignPrecomputation(pre),
    used: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Online signing

/** U = r·G and V = h·G + r·X2' — what a·R2 and b'·R2 must equal. */
function proofPoints(r: bigint, h: bigint, X2tweaked: Point): { U: Point; V: Point } {
  return { U: mulG(r), V: mulG(h).add(mulPublic(X2tweaked, r)) };
}

/**
 * Round 4 (device → server): D = c_key^a·Enc(b + ρ_mask·q) and its proof. The returned
 * presignature is marked used: persist it BEFORE sending (a presignature answered twice with
 * different digests leaks the key).
 */
export function deviceSign(
  arith: Arithmetic,
  pairing: DevicePairing,
  presignature: DevicePresignature,
  digest: Uint8Array,
  options: SignOptions = {},
): { presignature: DevicePresignature; message: Envelope<SignRound4Payload> } {
  assertPhase(presignature, 'device-presignature');
  assertPresignature(presignature, pairing.pairingId);
  const loaded = loadDevicePairing(pairing);
  const tweak = options.tweak ?? 0n;
  assertTweak(tweak);
  const h = digestToScalar(digest);
  const { N, N2 } = loaded.paillier;
  const k2 = decodeScalarHex(presignature.k2, 'presignature.k2');
  const R2 = decodePoint(presignature.R2, 'presignature.R2');
  const r = signatureR(decodePoint(presignature.R, 'presignature.R'));
  const a = decodeScalarHex(presignature.a, 'presignature.a');
  const mask = hexToInt(presignature.mask, 'presignature.mask', { maxBits: SIGN_RHO_BITS });
  const rhoEnc = hexToInt(presignature.rhoEnc, 'presignature.rhoEnc', { maxBits: PAILLIER_BITS });
  const rhoEncN = hexToInt(presignature.rhoEncN, 'presignature.rhoEncN', { maxBits: 2 * PAILLIER_BITS });
  const cKeyA = hexToInt(presignature.cKeyA, 'presignature.cKeyA', { maxBits: 2 * PAILLIER_BITS });
  const pre = decodeSignPrecomputation(presignature.proof, 'presignature.proof');

  const x2 = modQ(loaded.x2 + tweak);
  const b = modQ(modInverse(k2, q) * (h + r * x2)) + mask * q;
  const D = (((cKeyA * mod(1n + mod(b, N) * N, N2)) % N2) * rhoEncN) % N2;
  const statement = {
    publicKey: loaded.paillier,
    cKey: loaded.cKey,
    R2,
    D,
    ...proofPoints(r, h, tweakPoint(loaded.X2, tweak)),
  };
  const ctx: ProofContext = { sessionId: presignature.presignatureId, prover: PARTY.device };
  const proof = proveSign(arith, ctx, statement, { a, b, rho: rhoEnc }, loaded.serverRingPedersen, pre);
  return {
    presignature: { ...presignature, used: true },
    message: envelope('sign', presignature.presignatureId, 4, PARTY.device, PARTY.server, {
      D: intToHex(D),
      proof: encodeSignProof(proof),
    }),
  };
}

/**
 * Round 4 received (server): verifies the device's proof against the statement the server builds
 * itself (its own R, digest, stored X2 and tweak), only then decrypts (CRT), finishes s and
 * verifies the signature. The returned presignature is marked used in every outcome; the caller
 * consumes it atomically in storage (compare-and-set on `used`) and passes the record it read.
 */
export function serverSign(
  arith: Arithmetic,
  pairing: ServerPairing,
  presignature: ServerPresignature,
  digest: Uint8Array,
  message: unknown,
  options: ServerSignOptions = {},
): ServerSignOutcome {
  assertPhase(presignature, 'server-presignature');
  assertPresignature(presignature, pairing.pairingId);
  const loaded = loadServerPairing(arith, pairing);
  const tweak = options.tweak ?? 0n;
  assertTweak(tweak);
  const h = digestToScalar(digest);
  const sessionId = presignature.presignatureId;
  const raw = expectMessages([message], {
    protocol: 'sign',
    sessionId,
    round: 4,
    to: PARTY.server,
    from: [PARTY.device],
  }).get(PARTY.device);
  const p = expectRecord(raw, 'payload', ['D', 'proof']);
  const D = hexToInt(p.D, 'payload.D', { maxBits: 2 * PAILLIER_BITS });
  const proof = decodeSignProof(p.proof, 'payload.proof');
  const k1 = decodeScalarHex(presignature.k1, 'presignature.k1');
  const R = decodePoint(presignature.R, 'presignature.R');
  const R2 = decodePoint(presignature.R2, 'presignature.R2');
  const consumed: ServerPresignature = { ...presignature, used: true };

  const outcome = guarded(() => {
    const r = signatureR(R);
    const statement = {
      publicKey: loaded.paillier.publicKey,
      cKey: loaded.cKey,
      R2,
      D,
      ...proofPoints(r, h, tweakPoint(loaded.X2, tweak)),
    };
    const ctx: ProofContext = { sessionId, prover: PARTY.device };
    const trapdoor =
      options.useTrapdoor === false ? {} : { paillier: loaded.paillier.crtN2, ringPedersen: loaded.ringPedersen.crt };
    verifySign(arith, ctx, statement, loaded.ringPedersen.params, proof, trapdoor);
    const plaintext = decryptSigned(arith, loaded.paillier, D);
    return finishSignature(R, modInverse(k1, q) * plaintext, digest, tweakPoint(loaded.publicKey, tweak));
  });
  if (!outcome.ok) return { ...outcome, presignature: consumed };
  return { ok: true, signature: outcome.value, presignature: consumed };
}
