import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBigIntArithmetic } from '../arith/bigint.js';
import { intToHex } from '../arith/modular.js';
import { mulG, pointToHex, q } from '../curve.js';
import { MpcError } from '../errors.js';
import { encrypt, paillierSecretKeyFromPrimes } from '../paillier.js';
import { paramsToJson } from '../ring-pedersen.js';
import { caughtMpcError } from '../testing/errors.js';
import { findSecretLeaks, testKeyShares, testPaillierKey, testRingPedersen } from '../testing/fixtures.js';
import { TEST_SAFE_PRIMES } from '../testing/primes.js';
import type { ProofContext } from '../zk/context.js';
import { encodeFacProof, proveFac } from '../zk/pi-fac.js';
import { encodeKeyCiphertextProof, proveKeyCiphertext } from '../zk/pi-log.js';
import { decodePrmProof, encodePrmProof } from '../zk/pi-prm.js';
import type { Envelope } from './envelope.js';
import { additivePoint, additiveShare } from './lindell.js';
import {
  type DevicePairing,
  type DevicePairingSent,
  deviceCompletePairing,
  devicePairingRound1,
  devicePairingStart,
  deviceSetupFromSecret,
  type PairRound1Payload,
  type PairRound2Payload,
  type ServerPairing,
  type ServerPairingSent,
  type ServerPairingStarted,
  serverCompletePairing,
  serverPairingRound2,
  serverPairingStart,
} from './pairing.js';
import {
  devicePresign,
  deviceSign,
  deviceSignRound2,
  deviceSignStart,
  serverSign,
  serverSignRound1,
  serverSignRound3,
} from './sign.js';

const arith = createBigIntArithmetic();
const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const key = testKeyShares();
const paillier = testPaillierKey(0, 1);
const serverRp = testRingPedersen(0, 1, arith);
const deviceRp = testRingPedersen(2, 3, arith);
const setup = deviceSetupFromSecret(deviceRp);
const x1 = additiveShare(1, key.shares[0]);
const X1 = additivePoint(1, mulG(key.shares[0]));
const errors: unknown[] = [];

let serverStarted: ServerPairingStarted;
let deviceSent: DevicePairingSent;
let round1: Envelope<PairRound1Payload>;
let serverSent: ServerPairingSent;
let round2: Envelope<PairRound2Payload>;
let devicePairing: DevicePairing;
let serverPairing: ServerPairing;
let sessionId: string;

beforeAll(async () => {
  const d0 = devicePairingStart(key.device, setup);
  const s0 = serverPairingStart(key.server, wire(d0.request));
  const d1 = devicePairingRound1(arith, wire(d0.state), wire(s0.response));
  const s2 = await serverPairingRound2(arith, wire(s0.state), wire(d1.message), { paillier, ringPedersen: serverRp });
  const d3 = deviceCompletePairing(arith, wire(d1.state), wire(s2.message));
  serverPairing = serverCompletePairing(wire(s2.state), wire(d3.message));
  serverStarted = wire(s0.state);
  deviceSent = wire(d1.state);
  round1 = wire(d1.message);
  serverSent = wire(s2.state);
  round2 = wire(s2.message);
  devicePairing = wire(d3.pairing);
  sessionId = d1.state.sessionId;
});

function refused(fn: () => unknown, code: string, check?: string): void {
  const caught = caughtMpcError(fn);
  errors.push(caught);
  expect(caught.code).toBe(code);
  if (check !== undefined) expect(caught.check).toBe(check);
}

async function refusedAsync(fn: () => Promise<unknown>, code: string, check?: string): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  errors.push(caught);
  expect(caught).toBeInstanceOf(MpcError);
  expect((caught as MpcError).code).toBe(code);
  if (check !== undefined) expect((caught as MpcError).check).toBe(check);
}

/** The device's answer to a round-2 message with `edit` applied to the payload. */
function deviceOn(edit: (p: PairRound2Payload) => Partial<PairRound2Payload>): () => unknown {
  return () =>
    deviceCompletePairing(arith, deviceSent, { ...round2, payload: { ...round2.payload, ...edit(round2.payload) } });
}

const serverCtx = (): ProofContext => ({ sessionId, prover: 1 });

describe('Lindell17 pairing, end to end in memory', () => {
  it('pairs: both sides agree on N, c_key, Ñ_S, X1, X2 and PK; c_key decrypts to x1', () => {
    expect(serverPairing.phase).toBe('server-paired');
    expect(devicePairing.phase).toBe('device-paired');
    for (const f of ['pairingId', 'publicKey', 'X1', 'X2', 'cKey'] as const)
      expect(devicePairing[f]).toBe(serverPairing[f]);
    expect(devicePairing.paillier.N).toBe(intToHex(paillier.publicKey.N));
    expect(devicePairing.serverRingPedersen).toEqual(paramsToJson(serverRp.params));
    expect(serverPairing.deviceRingPedersen).toEqual(paramsToJson(deviceRp.params));
    expect(devicePairing.X1).toBe(pointToHex(X1));
    expect(JSON.stringify(devicePairing)).not.toContain(serverPairing.paillier.p);
  });

  it('the paired states sign', () => {
    const start = deviceSignStart(devicePairing);
    const r1 = serverSignRound1(serverPairing, start.request);
    const r2 = deviceSignRound2(start.state, r1.message);
    const r3 = serverSignRound3(serverPairing, r1.state, r2.message);
    if (!r3.ok) throw r3.error;
    const pre = devicePresign(arith, devicePairing, r2.state, r3.message);
    const digest = crypto.getRandomValues(new Uint8Array(32));
    const { message } = deviceSign(arith, devicePairing, pre, digest);
    expect(serverSign(arith, serverPairing, r3.presignature, digest, message).ok).toBe(true);
  });
});

describe('Lindell17 pairing: the device must reject', () => {
  it('c_key = Enc(2^1500), or Enc(x1 + q·2^1244) ≈ 2^1500 with the same X1, each with a proof for it (Π^log* range)', () => {
    for (const [big, X] of [
      [2n ** 1500n, mulG(2n ** 1500n)],
      [x1 + q * 2n ** 1244n, X1],
    ] as const) {
      const enc = encrypt(arith, paillier.publicKey, big);
      const st = { publicKey: paillier.publicKey, c: enc.c, X };
      const proof = proveKeyCiphertext(arith, serverCtx(), st, { x: big, rho: enc.r }, deviceRp.params);
      refused(
        deviceOn(() => ({ cKey: intToHex(enc.c), piLog: encodeKeyCiphertextProof(proof) })),
        'MPC_KEY_CIPHERTEXT_PROOF_INVALID',
        'pi-log.z1-range',
      );
    }
  });

  it('a Π^log* made under the prover’s parameters, for another X1, or for another c_key', () => {
    const enc = encrypt(arith, paillier.publicKey, x1);
    const st = { publicKey: paillier.publicKey, c: enc.c, X: X1 };
    const underServerRp = proveKeyCiphertext(arith, serverCtx(), st, { x: x1, rho: enc.r }, serverRp.params);
    refused(
      deviceOn(() => ({ cKey: intToHex(enc.c), piLog: encodeKeyCiphertextProof(underServerRp) })),
      'MPC_KEY_CIPHERTEXT_PROOF_INVALID',
    );
    // A consistent proof for x1 + 1 (the server's own claim of X1): the device uses λ1·S1.
    const other = encrypt(arith, paillier.publicKey, x1 + 1n);
    const forOther = proveKeyCiphertext(
      arith,
      serverCtx(),
      { publicKey: paillier.publicKey, c: other.c, X: mulG(x1 + 1n) },
      { x: x1 + 1n, rho: other.r },
      deviceRp.params,
    );
    refused(
      deviceOn(() => ({ cKey: intToHex(other.c), piLog: encodeKeyCiphertextProof(forOther) })),
      'MPC_KEY_CIPHERTEXT_PROOF_INVALID',
    );
    // Another encryption of the same x1 with the original proof: the proof is bound to THE c_key.
    refused(
      deviceOn(() => ({ cKey: intToHex(enc.c) })),
      'MPC_KEY_CIPHERTEXT_PROOF_INVALID',
    );
  });

  it('Π^fac made under the prover’s parameters instead of the device’s Ñ_D', () => {
    const proof = proveFac(
      arith,
      serverCtx(),
      { N: paillier.publicKey.N, p: paillier.p, q: paillier.q },
      serverRp.params,
    );
    refused(
      deviceOn(() => ({ piFac: encodeFacProof(proof) })),
      'MPC_PI_FAC_INVALID',
    );
  });

  it('Ñ_S equal to N or to the device’s Ñ_D', () => {
    const asN = { N: round2.payload.paillier.N, s: round2.payload.ringPedersen.s, t: round2.payload.ringPedersen.t };
    refused(
      deviceOn(() => ({ ringPedersen: asN })),
      'MPC_RING_PEDERSEN_INVALID',
      'ring-pedersen.equals-paillier',
    );
    refused(
      deviceOn(() => ({ ringPedersen: paramsToJson(deviceRp.params) })),
      'MPC_RING_PEDERSEN_INVALID',
      'ring-pedersen.equals-own',
    );
  });

  it('an invalid N, an invalid c_key, tampered Π^mod / Π^prm, and malformed fields', () => {
    refused(
      deviceOn(() => ({ paillier: { N: intToHex(paillier.publicKey.N + 1n) } })),
      'MPC_PAILLIER_MODULUS_INVALID',
      'paillier.even',
    );
    refused(
      deviceOn(() => ({ paillier: { N: intToHex(paillier.p) } })),
      'MPC_PAILLIER_MODULUS_INVALID',
      'paillier.size',
    );
    refused(
      deviceOn(() => ({ paillier: { N: intToHex(deviceRp.params.N) } })),
      'MPC_PAILLIER_MODULUS_INVALID',
      'paillier.equals-ring-pedersen',
    );
    refused(
      deviceOn(() => ({ cKey: intToHex(paillier.publicKey.N * 5n) })),
      'MPC_PAILLIER_CIPHERTEXT_INVALID',
      'ciphertext.coprime',
    );
    refused(
      deviceOn((p) => ({ piMod: { ...p.piMod, rounds: p.piMod.rounds.slice(1) } })),
      'MPC_PI_MOD_INVALID',
    );
    refused(
      deviceOn((p) => ({ piModRingPedersen: p.piMod })),
      'MPC_PI_MOD_INVALID',
    );
    refused(
      deviceOn((p) => ({ piPrm: { ...p.piPrm, z: [...p.piPrm.z].reverse() } })),
      'MPC_PI_PRM_INVALID',
    );
    refused(
      deviceOn(() => ({ cKey: 'xyz' })),
      'MPC_INVALID_MESSAGE',
    );
  });

  it('a round-2 message replayed, from another session, or a start response with another session id', () => {
    refused(() => deviceCompletePairing(arith, devicePairing as never, round2), 'MPC_MESSAGE_REPLAYED', 'state.phase');
    refused(
      () => deviceCompletePairing(arith, deviceSent, { ...round2, sessionId: 'ab'.repeat(32) }),
      'MPC_SESSION_MISMATCH',
    );
    const d0 = devicePairingStart(key.device, setup);
    refused(
      () => devicePairingRound1(arith, d0.state, { serverNonce: '01'.repeat(32), sessionId: 'ab'.repeat(32) }),
      'MPC_SESSION_MISMATCH',
    );
  });

  it('a key share that does not belong to the public key', () => {
    const wrong = { ...key.device, sharePublicKeys: { ...key.device.sharePublicKeys, 1: pointToHex(mulG(5n)) } };
    refused(() => devicePairingStart(wrong, setup), 'MPC_KEY_MISMATCH', 'pair.public-key');
    refused(() => devicePairingStart(key.server, setup), 'MPC_INVALID_PARTY', 'pair.party');
  });
});

describe('Lindell17 pairing: the server must reject', () => {
  it('a device Ñ_D equal to its Paillier N (checked before any proof is made under Ñ_D)', async () => {
    const [p2, p3] = [TEST_SAFE_PRIMES[2], TEST_SAFE_PRIMES[3]] as [bigint, bigint];
    const sameAsDevice = paillierSecretKeyFromPrimes(p2, p3);
    await refusedAsync(
      () => serverPairingRound2(arith, serverStarted, round1, { paillier: sameAsDevice, ringPedersen: serverRp }),
      'MPC_RING_PEDERSEN_INVALID',
      'ring-pedersen.equals-paillier',
    );
  });

  it('a tampered Π^prm or Π^mod on Ñ_D', async () => {
    const prm = decodePrmProof(round1.payload.piPrm);
    const badPrm = encodePrmProof({ ...prm, z: prm.z.map((z, i) => (i === 0 ? z + 1n : z)) });
    await refusedAsync(
      () =>
        serverPairingRound2(
          arith,
          serverStarted,
          { ...round1, payload: { ...round1.payload, piPrm: badPrm } },
          { paillier, ringPedersen: serverRp },
        ),
      'MPC_PI_PRM_INVALID',
    );
    const badMod = { ...round1.payload.piMod, rounds: round1.payload.piMod.rounds.slice(0, 79) };
    await refusedAsync(
      () =>
        serverPairingRound2(
          arith,
          serverStarted,
          { ...round1, payload: { ...round1.payload, piMod: badMod } },
          { paillier, ringPedersen: serverRp },
        ),
      'MPC_PI_MOD_INVALID',
    );
  });

  it('a replayed round 1 and a confirmation that does not match', async () => {
    await refusedAsync(
      () => serverPairingRound2(arith, serverSent as never, round1, { paillier }),
      'MPC_MESSAGE_REPLAYED',
      'state.phase',
    );
    const confirm = {
      v: 1,
      protocol: 'pair',
      sessionId,
      round: 3,
      from: 2,
      to: 1,
      payload: { confirmation: '00'.repeat(32) },
    };
    refused(() => serverCompletePairing(serverSent, confirm), 'MPC_ECHO_MISMATCH', 'pair.confirm');
  });
});

afterAll(() => {
  const secrets = [
    x1,
    ...key.shares,
    key.x,
    paillier.p,
    paillier.q,
    serverRp.p,
    serverRp.lambda,
    deviceRp.p,
    deviceRp.lambda,
  ];
  expect(errors.length).toBeGreaterThan(15);
  expect(findSecretLeaks(errors, secrets)).toEqual([]);
});
