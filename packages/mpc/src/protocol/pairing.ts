/**
 * Lindell17 pairing between the server (P1, Paillier holder) and the device (P2), after the 2-of-3
 * DKG: the key-generation phase of Lindell's two-party ECDSA (ePrint 2017/552, Protocol 3.2) with
 * the checks of coinbase/cb-mpc's ECDSA-2PC and CGGMP21 (ePrint 2021/060) proofs instead of the
 * original PDL proof (research notes §2.1, §2.3, §3.2). The server encrypts its additive share as
 * c_key = Enc(x1) and proves, under the DEVICE's ring-Pedersen parameters Ñ_D: N is a Paillier-Blum
 * modulus (Π^mod, Fig. 16) with no small factor (Π^fac, Fig. 28), and c_key encrypts the discrete
 * log of X1 in range (Π^log*, Fig. 25). The device first proves Ñ_D well formed (Π^prm, Π^mod);
 * the server sends its own Ñ_S (+ Π^prm, Π^mod) for the device's signing proofs later. Each side
 * checks every proof against the statement it computes itself (X1 from its own DKG output, N and
 * c_key exactly as stored) with constants from params.ts. Round functions are pure over
 * JSON-serialisable states (hex strings); the server keeps its state in a database between HTTP
 * requests. Flow: device start (nonce) → server start (nonce, sid) → round 1 (device) → round 2
 * (server) → round 3 (device confirmation) → paired.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Arithmetic } from '../arith/backend.js';
import { hexToInt, intToHex } from '../arith/modular.js';
import { decodePoint, encodePoint, mulG, type Point, pointToHex, scalarToHex } from '../curve.js';
import { MpcError } from '../errors.js';
import {
  assertCiphertext,
  encrypt,
  generatePaillierKey,
  type PaillierPublicKey,
  type PaillierPublicKeyJson,
  type PaillierSecretKey,
  type PaillierSecretKeyJson,
  paillierPublicKey,
  secretKeyFromJson,
  secretKeyToJson,
} from '../paillier.js';
import { PAILLIER_BITS } from '../params.js';
import {
  assertRingPedersenParams,
  generateRingPedersen,
  paramsFromJson,
  paramsToJson,
  type RingPedersenParams,
  type RingPedersenParamsJson,
  type RingPedersenSecret,
  type RingPedersenSecretJson,
  secretFromJson,
  secretToJson,
} from '../ring-pedersen.js';
import { Transcript } from '../transcript.js';
import { expectRecord, type ProofContext } from '../zk/context.js';
import { decodeFacProof, encodeFacProof, type PiFacProofJson, proveFac, verifyFac } from '../zk/pi-fac.js';
import {
  decodeKeyCiphertextProof,
  encodeKeyCiphertextProof,
  type PiLogProofJson,
  proveKeyCiphertext,
  verifyKeyCiphertext,
} from '../zk/pi-log.js';
import { decodeModProof, encodeModProof, type PiModProofJson, proveMod, verifyMod } from '../zk/pi-mod.js';
import { decodePrmProof, encodePrmProof, type PiPrmProofJson, provePrm, verifyPrm } from '../zk/pi-prm.js';
import { deriveSessionId, type KeyShare, parseKeyShare, randomSessionContribution } from './dkg.js';
import { type Envelope, envelope, expectMessages, PARTY } from './envelope.js';
import { additivePoints, additiveShare, assertPhase, decodeHex32, decodeScalarHex } from './lindell.js';

export const PAIRING_VERSION = 1 as const;

// ---------------------------------------------------------------------------------------------
// States and messages (all JSON: lowercase hex without prefix — integers canonical, points compressed).

/** The device's ring-Pedersen secret, generated ahead (it may run during the DKG). */
export interface DeviceSetup {
  readonly v: typeof PAIRING_VERSION;
  readonly ringPedersen: RingPedersenSecretJson;
}

export interface PairingStartRequest {
  readonly deviceNonce: string;
}

export interface PairingStartResponse {
  readonly serverNonce: string;
  readonly sessionId: string;
}

export interface DevicePairingStarted {
  readonly v: typeof PAIRING_VERSION;
  readonly phase: 'device-pair-started';
  readonly key: KeyShare;
  readonly setup: DeviceSetup;
  readonly deviceNonce: string;
}

export interface DevicePairingSent {
  readonly v: typeof PAIRING_VERSION;
  readonly phase: 'device-pair-sent';
  readonly sessionId: string;
  readonly key: KeyShare;
  readonly setup: DeviceSetup;
}

export interface ServerPairingStarted {
  readonly v: typeof PAIRING_VERSION;
  readonly phase: 'server-pair-started';
  readonly sessionId: string;
  readonly key: KeyShare;
}

/** What both sides keep about the pair's public setup. */
interface PairingPublic {
  readonly v: typeof PAIRING_VERSION;
  /** The pairing session id; names the pair. */
  readonly pairingId: string;
  readonly publicKey: string;
  readonly X1: string;
  readonly X2: string;
  readonly cKey: string;
}

/** The server's (P1's) pairing record. Secret: the Paillier and Ñ_S factors. */
export interface ServerPairing extends PairingPublic {
  readonly phase: 'server-paired';
  readonly paillier: PaillierSecretKeyJson;
  readonly ringPedersen: RingPedersenSecretJson;
  readonly deviceRingPedersen: RingPedersenParamsJson;
  /** Set (and persisted) by the caller after any signing outcome with `disableKey`. */
  readonly signingDisabled: boolean;
}

export interface ServerPairingSent extends Omit<ServerPairing, 'phase'> {
  readonly phase: 'server-pair-sent';
  readonly confirmation: string;
}

/** The device's (P2's) pairing record. Secret: x2 and its own Ñ_D factors. */
export interface DevicePairing extends PairingPublic {
  readonly phase: 'device-paired';
  readonly x2: string;
  readonly paillier: PaillierPublicKeyJson;
  readonly serverRingPedersen: RingPedersenParamsJson;
  readonly ringPedersen: RingPedersenSecretJson;
}

export interface PairRound1Payload {
  readonly ringPedersen: RingPedersenParamsJson;
  readonly piPrm: PiPrmProofJson;
  readonly piMod: PiModProofJson;
}

export interface PairRound2Payload {
  readonly paillier: PaillierPublicKeyJson;
  readonly cKey: string;
  readonly piMod: PiModProofJson;
  readonly piFac: PiFacProofJson;
  readonly piLog: PiLogProofJson;
  readonly ringPedersen: RingPedersenParamsJson;
  readonly piPrm: PiPrmProofJson;
  readonly piModRingPedersen: PiModProofJson;
}

export interface PairRound3Payload {
  readonly confirmation: string;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The additive view of a DKG output for the pair {1, 2}, checked against PK. */
function pairKey(key: KeyShare, me: 1 | 2): { share: bigint; X1: Point; X2: Point; publicKey: Point } {
  const k = parseKeyShare(key);
  if (k.partyId !== me) {
    throw new MpcError('MPC_INVALID_PARTY', 'pair.party', `pairing needs party ${me}'s key share`, {
      partyId: k.partyId,
    });
  }
  const share = decodeScalarHex(k.share, 'key.share');
  const S1 = decodePoint(k.sharePublicKeys[1], 'key.sharePublicKeys.1');
  const S2 = decodePoint(k.sharePublicKeys[2], 'key.sharePublicKeys.2');
  const publicKey = decodePoint(k.publicKey, 'key.publicKey');
  if (!mulG(share).equals(me === 1 ? S1 : S2)) {
    throw new MpcError('MPC_KEY_MISMATCH', 'pair.share', 'the key share does not match its public point');
  }
  return { share: additiveShare(me, share), ...additivePoints(S1, S2, publicKey), publicKey };
}

/** The digest both sides compare at the end: everything the pair will sign with. */
function confirmationDigest(
  sessionId: string,
  N: bigint,
  cKey: bigint,
  server: RingPedersenParams,
  device: RingPedersenParams,
  X1: Point,
  X2: Point,
  publicKey: Point,
): string {
  const t = new Transcript('pair/confirm').string('sid', sessionId).bigint('N', N).bigint('cKey', cKey);
  t.bigints('serverRingPedersen', [server.N, server.s, server.t]).bigints('deviceRingPedersen', [
    device.N,
    device.s,
    device.t,
  ]);
  t.bytes('X1', encodePoint(X1)).bytes('X2', encodePoint(X2)).bytes('PK', encodePoint(publicKey));
  return bytesToHex(t.digest().slice(0, 32));
}

// ---------------------------------------------------------------------------------------------
// Device

/** Generates the device's ring-Pedersen parameters (two safe primes: seconds; run it early). */
export async function prepareDeviceSetup(arith: Arithmetic): Promise<DeviceSetup> {
  return deviceSetupFromSecret(await generateRingPedersen(arith));
}

export function deviceSetupFromSecret(secret: RingPedersenSecret): DeviceSetup {
  return { v: PAIRING_VERSION, ringPedersen: secretToJson(secret) };
}

/** Step 0 (device): a fresh nonce for the joint session id. */
export function devicePairingStart(
  key: KeyShare,
  setup: DeviceSetup,
): { state: DevicePairingStarted; request: PairingStartRequest } {
  pairKey(key, 2);
  const deviceNonce = randomSessionContribution();
  return {
    state: { v: PAIRING_VERSION, phase: 'device-pair-started', key, setup, deviceNonce },
    request: { deviceNonce },
  };
}

/** Round 1 (device → server): Ñ_D with Π^prm and Π^mod, bound to the joint session id. */
export function devicePairingRound1(
  arith: Arithmetic,
  state: DevicePairingStarted,
  response: unknown,
): { state: DevicePairingSent; message: Envelope<PairRound1Payload> } {
  assertPhase(state, 'device-pair-started');
  const r = expectRecord(response, 'response', ['serverNonce', 'sessionId']);
  const serverNonce = decodeHex32(r.serverNonce, 'response.serverNonce');
  const sessionId = deriveSessionId('pair', [serverNonce, state.deviceNonce]);
  if (r.sessionId !== sessionId) {
    throw new MpcError('MPC_SESSION_MISMATCH', 'pair.session-id', 'the server computed another session id');
  }
  const secret = secretFromJson(state.setup.ringPedersen, 'setup.ringPedersen', arith);
  const ctx: ProofContext = { sessionId, prover: PARTY.device };
  const payload: PairRound1Payload = {
    ringPedersen: paramsToJson(secret.params),
    piPrm: encodePrmProof(provePrm(arith, ctx, secret)),
    piMod: encodeModProof(proveMod(arith, ctx, { N: secret.params.N, p: secret.p, q: secret.q })),
  };
  return {
    state: { v: PAIRING_VERSION, phase: 'device-pair-sent', sessionId, key: state.key, setup: state.setup },
    message: envelope('pair', sessionId, 1, PARTY.device, PARTY.server, payload),
  };
}

/**
 * Round 2 received (device): checks everything the server sent against the device's own view —
 * cheap structural checks first, then Π^log* (against THE c_key, N and X1 = λ1·S1 from the
 * device's own DKG output), Π^fac and Π^mod(N) under the device's own Ñ_D, then Ñ_S (distinct
 * from N and Ñ_D, well formed, Π^prm, Π^mod). Returns the pairing record and the confirmation.
 */
export function deviceCompletePairing(
  arith: Arithmetic,
  state: DevicePairingSent,
  message: unknown,
): { pairing: DevicePairing; message: Envelope<PairRound3Payload> } {
  assertPhase(state, 'device-pair-sent');
  const { sessionId } = state;
  const raw = expectMessages([message], {
    protocol: 'pair',
    sessionId,
    round: 2,
    to: PARTY.device,
    from: [PARTY.server],
  }).get(PARTY.server);
  const p = expectRecord(raw, 'payload', [
    'paillier',
    'cKey',
    'piMod',
    'piFac',
    'piLog',
    'ringPedersen',
    'piPrm',
    'piModRingPedersen',
  ]);
  const N = hexToInt(expectRecord(p.paillier, 'payload.paillier', ['N']).N, 'payload.paillier.N', {
    maxBits: PAILLIER_BITS,
  });
  const cKey = hexToInt(p.cKey, 'payload.cKey', { maxBits: 2 * PAILLIER_BITS });
  const serverRp = paramsFromJson(p.ringPedersen, 'payload.ringPedersen');
  const piLog = decodeKeyCiphertextProof(p.piLog, 'payload.piLog');
  const piFac = decodeFacProof(p.piFac, 'payload.piFac');
  const piMod = decodeModProof(p.piMod, 'payload.piMod');
  const piPrm = decodePrmProof(p.piPrm, 'payload.piPrm');
  const piModRp = decodeModProof(p.piModRingPedersen, 'payload.piModRingPedersen');

  const own = secretFromJson(state.setup.ringPedersen, 'setup.ringPedersen', arith);
  const { share: x2, X1, X2, publicKey } = pairKey(state.key, 2);
  const pk: PaillierPublicKey = paillierPublicKey(N);
  if (N === own.params.N) {
    throw new MpcError('MPC_PAILLIER_MODULUS_INVALID', 'paillier.equals-ring-pedersen', 'N equals the device Ñ');
  }
  assertCiphertext(pk, cKey, 'cKey');
  assertRingPedersenParams(serverRp, { otherModulus: N });
  if (serverRp.N === own.params.N) {
    throw new MpcError('MPC_RING_PEDERSEN_INVALID', 'ring-pedersen.equals-own', "the server's Ñ equals the device's Ñ");
  }
  const ctx: ProofContext = { sessionId, prover: PARTY.server };
  verifyKeyCiphertext(arith, ctx, { publicKey: pk, c: cKey, X: X1 }, own.params, piLog, { ringPedersen: own.crt });
  verifyFac(arith, ctx, N, own.params, piFac, own);
  verifyMod(arith, ctx, N, piMod);
  verifyPrm(arith, ctx, serverRp, piPrm);
  verifyMod(arith, ctx, serverRp.N, piModRp);

  const confirmation = confirmationDigest(sessionId, N, cKey, serverRp, own.params, X1, X2, publicKey);
  const pairing: DevicePairing = {
    v: PAIRING_VERSION,
    phase: 'device-paired',
    pairingId: sessionId,
    publicKey: pointToHex(publicKey),
    X1: pointToHex(X1),
    X2: pointToHex(X2),
    cKey: intToHex(cKey),
    x2: scalarToHex(x2),
    paillier: { N: intToHex(N) },
    serverRingPedersen: paramsToJson(serverRp),
    ringPedersen: state.setup.ringPedersen,
  };
  return { pairing, message: envelope('pair', sessionId, 3, PARTY.device, PARTY.server, { confirmation }) };
}

// ---------------------------------------------------------------------------------------------
// Server

/** Step 0 (server): its own nonce; the session id is fixed from here on. */
export function serverPairingStart(
  key: KeyShare,
  request: unknown,
): { state: ServerPairingStarted; response: PairingStartResponse } {
  pairKey(key, 1);
  const r = expectRecord(request, 'request', ['deviceNonce']);
  const deviceNonce = decodeHex32(r.deviceNonce, 'request.deviceNonce');
  const serverNonce = randomSessionContribution();
  const sessionId = deriveSessionId('pair', [serverNonce, deviceNonce]);
  return {
    state: { v: PAIRING_VERSION, phase: 'server-pair-started', sessionId, key },
    response: { serverNonce, sessionId },
  };
}

export interface ServerPairingOptions {
  /** A Paillier key generated ahead (a pool); generated now when absent. */
  readonly paillier?: PaillierSecretKey;
  /** Ñ_S generated ahead (a pool; safe primes take seconds); generated now when absent. */
  readonly ringPedersen?: RingPedersenSecret;
}

/**
 * Round 1 received, round 2 sent (server): checks Ñ_D (≠ N, well formed, Π^prm, Π^mod) before
 * making any proof under it, then sends N, c_key = Enc(x1) and Π^mod(N), Π^fac(N; Ñ_D),
 * Π^log*(c_key, X1; Ñ_D), and its own Ñ_S with Π^prm and Π^mod.
 */
export async function serverPairingRound2(
  arith: Arithmetic,
  state: ServerPairingStarted,
  message: unknown,
  options: ServerPairingOptions = {},
): Promise<{ state: ServerPairingSent; message: Envelope<PairRound2Payload> }> {
  assertPhase(state, 'server-pair-started');
  const { sessionId } = state;
  const raw = expectMessages([message], {
    protocol: 'pair',
    sessionId,
    round: 1,
    to: PARTY.server,
    from: [PARTY.device],
  }).get(PARTY.device);
  const p = expectRecord(raw, 'payload', ['ringPedersen', 'piPrm', 'piMod']);
  const deviceRp = paramsFromJson(p.ringPedersen, 'payload.ringPedersen');
  const piPrm = decodePrmProof(p.piPrm, 'payload.piPrm');
  const piMod = decodeModProof(p.piMod, 'payload.piMod');
  const { share: x1, X1, X2, publicKey } = pairKey(state.key, 1);

  const paillier = options.paillier ?? (await generatePaillierKey(arith));
  const { N } = paillier.publicKey;
  assertRingPedersenParams(deviceRp, { otherModulus: N });
  const deviceCtx: ProofContext = { sessionId, prover: PARTY.device };
  verifyPrm(arith, deviceCtx, deviceRp, piPrm);
  verifyMod(arith, deviceCtx, deviceRp.N, piMod);

  let own = options.ringPedersen ?? (await generateRingPedersen(arith));
  while (own.params.N === N || own.params.N === deviceRp.N) own = await generateRingPedersen(arith);

  const ctx: ProofContext = { sessionId, prover: PARTY.server };
  const { c: cKey, r: rho } = encrypt(arith, paillier.publicKey, x1);
  const factors = { N, p: paillier.p, q: paillier.q };
  const payload: PairRound2Payload = {
    paillier: { N: intToHex(N) },
    cKey: intToHex(cKey),
    piMod: encodeModProof(proveMod(arith, ctx, factors)),
    piFac: encodeFacProof(proveFac(arith, ctx, factors, deviceRp)),
    piLog: encodeKeyCiphertextProof(
      proveKeyCiphertext(arith, ctx, { publicKey: paillier.publicKey, c: cKey, X: X1 }, { x: x1, rho }, deviceRp),
    ),
    ringPedersen: paramsToJson(own.params),
    piPrm: encodePrmProof(provePrm(arith, ctx, own)),
    piModRingPedersen: encodeModProof(proveMod(arith, ctx, { N: own.params.N, p: own.p, q: own.q })),
  };
  const next: ServerPairingSent = {
    v: PAIRING_VERSION,
    phase: 'server-pair-sent',
    pairingId: sessionId,
    publicKey: pointToHex(publicKey),
    X1: pointToHex(X1),
    X2: pointToHex(X2),
    cKey: intToHex(cKey),
    paillier: secretKeyToJson(paillier),
    ringPedersen: secretToJson(own),
    deviceRingPedersen: paramsToJson(deviceRp),
    signingDisabled: false,
    confirmation: confirmationDigest(sessionId, N, cKey, own.params, deviceRp, X1, X2, publicKey),
  };
  return { state: next, message: envelope('pair', sessionId, 2, PARTY.server, PARTY.device, payload) };
}

/** Round 3 received (server): the device's confirmation must match; then the pair is usable. */
export function serverCompletePairing(state: ServerPairingSent, message: unknown): ServerPairing {
  assertPhase(state, 'server-pair-sent');
  const raw = expectMessages([message], {
    protocol: 'pair',
    sessionId: state.pairingId,
    round: 3,
    to: PARTY.server,
    from: [PARTY.device],
  }).get(PARTY.device);
  const p = expectRecord(raw, 'payload', ['confirmation']);
  if (p.confirmation !== state.confirmation) {
    throw new MpcError('MPC_ECHO_MISMATCH', 'pair.confirm', 'the device confirmed a different pairing');
  }
  const { confirmation: _, phase: __, ...rest } = state;
  return { ...rest, phase: 'server-paired' };
}

// ---------------------------------------------------------------------------------------------
// Loading stored records for signing

export interface LoadedServerPairing {
  readonly pairingId: string;
  readonly publicKey: Point;
  readonly X2: Point;
  readonly cKey: bigint;
  readonly paillier: PaillierSecretKey;
  readonly ringPedersen: RingPedersenSecret;
}

export interface LoadedDevicePairing {
  readonly pairingId: string;
  readonly publicKey: Point;
  readonly X2: Point;
  readonly x2: bigint;
  readonly cKey: bigint;
  readonly paillier: PaillierPublicKey;
  readonly serverRingPedersen: RingPedersenParams;
}

/** Parses a stored server record; refuses one whose signing was disabled (MPC_SIGNING_DISABLED). */
export function loadServerPairing(arith: Arithmetic, state: ServerPairing): LoadedServerPairing {
  assertPhase(state, 'server-paired');
  if (state.signingDisabled !== false) {
    throw new MpcError(
      'MPC_SIGNING_DISABLED',
      'pair.disabled',
      'signing with this key is disabled after a failed proof',
    );
  }
  const paillier = secretKeyFromJson(state.paillier, 'pairing.paillier');
  return {
    pairingId: state.pairingId,
    publicKey: decodePoint(state.publicKey, 'pairing.publicKey'),
    X2: decodePoint(state.X2, 'pairing.X2'),
    cKey: hexToInt(state.cKey, 'pairing.cKey', { maxBits: 2 * PAILLIER_BITS }),
    paillier,
    ringPedersen: secretFromJson(state.ringPedersen, 'pairing.ringPedersen', arith),
  };
}

/** Parses a stored device record (validated at pairing; only the encoding is checked here). */
export function loadDevicePairing(state: DevicePairing): LoadedDevicePairing {
  assertPhase(state, 'device-paired');
  const N = hexToInt(state.paillier.N, 'pairing.paillier.N', { maxBits: PAILLIER_BITS });
  return {
    pairingId: state.pairingId,
    publicKey: decodePoint(state.publicKey, 'pairing.publicKey'),
    X2: decodePoint(state.X2, 'pairing.X2'),
    x2: decodeScalarHex(state.x2, 'pairing.x2'),
    cKey: hexToInt(state.cKey, 'pairing.cKey', { maxBits: 2 * PAILLIER_BITS }),
    paillier: { N, N2: N * N },
    serverRingPedersen: paramsFromJson(state.serverRingPedersen, 'pairing.serverRingPedersen'),
  };
}

/** The record to persist after an outcome with `disableKey: true`. */
export function disableSigning(state: ServerPairing): ServerPairing {
  return { ...state, signingDisabled: true };
}
