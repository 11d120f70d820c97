import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { type Hex, recoverAddress } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import { afterAll, describe, expect, it } from 'vitest';
import type { Arithmetic } from '../arith/backend.js';
import { createBigIntArithmetic } from '../arith/bigint.js';
import { intToHex, mod, modInverse } from '../arith/modular.js';
import { G, modQ, mulG, type Point, pointToHex, q } from '../curve.js';
import type { MpcError } from '../errors.js';
import { createNodeArithmetic } from '../node/arith.js';
import { reconstructSecret } from '../shamir.js';
import { caughtMpcError } from '../testing/errors.js';
import { findSecretLeaks, type TestKey, type TestPairing, testKeyShares, testPairing } from '../testing/fixtures.js';
import { decodeSignProof, encodeSignProof, type SignProof } from '../zk/pi-sign.js';
import { type KeyShare, runDkgInMemory } from './dkg.js';
import { digestToScalar, type EcdsaSignature, tweakPoint } from './lindell.js';
import { disableSigning } from './pairing.js';
import { runRefreshInMemory } from './refresh.js';
import {
  type DevicePresignature,
  devicePresign,
  deviceSign,
  deviceSignRound2,
  deviceSignStart,
  type ServerPresignature,
  type ServerSignOutcome,
  serverSign,
  serverSignRound1,
  serverSignRound3,
} from './sign.js';

const arith = createBigIntArithmetic();
/** Every state and message crosses a JSON boundary, as it does through HTTP and the database. */
const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Secrets seen in this file, and every error met; checked at the end for leaks. */
const secrets = new Set<bigint>();
const errors: unknown[] = [];

function remember(p: TestPairing): TestPairing {
  for (const s of [p.x1, p.x2, p.key.x, ...p.key.shares]) secrets.add(s);
  secrets.add(BigInt(`0x${p.server.paillier.p}`));
  secrets.add(BigInt(`0x${p.server.paillier.q}`));
  secrets.add(BigInt(`0x${p.server.ringPedersen.p}`));
  secrets.add(BigInt(`0x${p.server.ringPedersen.lambda}`));
  return p;
}

const pairing = remember(testPairing(arith));

interface Presigned {
  readonly server: ServerPresignature;
  readonly device: DevicePresignature;
}

function presign(p: TestPairing, nonces: { k1?: bigint; k2?: bigint } = {}): Presigned {
  const start = deviceSignStart(p.device);
  const r1 = serverSignRound1(p.server, wire(start.request), nonces.k1 === undefined ? {} : { nonce: nonces.k1 });
  const r2 = deviceSignRound2(wire(start.state), wire(r1.message), nonces.k2 === undefined ? {} : { nonce: nonces.k2 });
  const r3 = serverSignRound3(p.server, wire(r1.state), wire(r2.message));
  if (!r3.ok) throw r3.error;
  const device = devicePresign(arith, p.device, wire(r2.state), wire(r3.message));
  for (const s of [r1.state.k1, r2.state.k2, device.a, device.mask, device.rhoEnc]) secrets.add(BigInt(`0x${s}`));
  return wire({ server: r3.presignature, device });
}

function sign(
  p: TestPairing,
  digest: Uint8Array,
  options: { tweak?: bigint; pre?: Presigned; arith?: Arithmetic } = {},
) {
  const pre = options.pre ?? presign(p);
  const tweak = options.tweak === undefined ? {} : { tweak: options.tweak };
  const device = deviceSign(arith, p.device, pre.device, digest, tweak);
  expect(device.presignature.used).toBe(true);
  return serverSign(options.arith ?? arith, p.server, pre.server, digest, wire(device.message), tweak);
}

function signature(outcome: ServerSignOutcome): EcdsaSignature {
  if (!outcome.ok) throw outcome.error;
  expect(outcome.presignature.used).toBe(true);
  return outcome.signature;
}

function randomDigest(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

async function checkInterop(sig: EcdsaSignature, digest: Uint8Array, publicKey: Point): Promise<void> {
  const compact = secp256k1.Signature.fromBytes(
    new Uint8Array([...hexBytes(sig.r), ...hexBytes(sig.s)]),
    'compact',
  ).toBytes('compact');
  expect(secp256k1.verify(compact, digest, publicKey.toBytes(true), { prehash: false })).toBe(true);
  expect(BigInt(sig.s) <= q >> 1n).toBe(true);
  const address = await recoverAddress({
    hash: `0x${bytesToHex(digest)}`,
    signature: { r: sig.r, s: sig.s, yParity: sig.recovery & 1 },
  });
  expect(address).toBe(publicKeyToAddress(`0x${bytesToHex(publicKey.toBytes(false))}` as Hex));
}

function hexBytes(h: string): Uint8Array {
  return Uint8Array.from(h.slice(2).match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

function refused(fn: () => unknown, code: string, check?: string): MpcError {
  const e = caughtMpcError(fn);
  errors.push(e);
  expect(e.code).toBe(code);
  if (check !== undefined) expect(e.check).toBe(check);
  expect(e.details.disableKey).toBeUndefined();
  return e;
}

function disabled(
  outcome: { ok: boolean; error?: MpcError; disableKey?: boolean },
  code: string,
  check?: string,
): void {
  expect(outcome.ok).toBe(false);
  expect(outcome.disableKey).toBe(true);
  errors.push(outcome.error);
  expect(outcome.error?.code).toBe(code);
  if (check !== undefined) expect(outcome.error?.check).toBe(check);
  expect(outcome.error?.details.disableKey).toBe(true);
}

/** The round-4 message with its proof (or D) replaced. */
function tamperRound4(
  p: TestPairing,
  pre: Presigned,
  digest: Uint8Array,
  edit: (proof: SignProof, D: bigint) => { proof?: SignProof; D?: bigint },
) {
  const { message } = deviceSign(arith, p.device, pre.device, digest);
  const proof = decodeSignProof(message.payload.proof);
  const changed = edit(proof, BigInt(`0x${message.payload.D}`));
  const payload = {
    D: changed.D === undefined ? message.payload.D : intToHex(changed.D),
    proof: encodeSignProof(changed.proof ?? proof),
  };
  return { ...message, payload };
}

describe('Lindell17 signing: server (P1) + device (P2)', () => {
  it('produces 100 random signatures (OpenSSL backend, both parties) that verify with @noble/curves and recover with viem', async () => {
    const openssl = createNodeArithmetic();
    const p = remember(testPairing(openssl));
    for (let i = 0; i < 100; i++) {
      const digest = randomDigest();
      const start = deviceSignStart(p.device);
      const r1 = serverSignRound1(p.server, wire(start.request));
      const r2 = deviceSignRound2(wire(start.state), wire(r1.message));
      const r3 = serverSignRound3(p.server, wire(r1.state), wire(r2.message));
      if (!r3.ok) throw r3.error;
      const pre = devicePresign(openssl, p.device, wire(r2.state), wire(r3.message));
      const device = deviceSign(openssl, p.device, pre, digest);
      const outcome = serverSign(openssl, p.server, wire(r3.presignature), digest, wire(device.message));
      await checkInterop(signature(outcome), digest, mulG(p.key.x));
    }
  }, 60_000);

  it('produces 20 random signatures on the pure BigInt backend that verify with @noble/curves and recover with viem', async () => {
    for (let i = 0; i < 20; i++) {
      const digest = randomDigest();
      await checkInterop(signature(sign(pairing, digest)), digest, mulG(pairing.key.x));
    }
  });

  it('property: a DKG, a refresh dealt by a random pair of parties, then a random message signs (fast-check)', async () => {
    const pairs = [
      [1, 2],
      [1, 3],
      [2, 3],
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...pairs),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async (dealers, digest) => {
          const old = runDkgInMemory();
          const fresh = runRefreshInMemory(
            old.filter((s) => dealers.includes(s.partyId as never)),
            dealers,
          );
          const share = (id: 1 | 2 | 3) => fresh.find((s) => s.partyId === id) as KeyShare;
          const shares = [1, 2, 3].map((id) => BigInt(`0x${share(id as 1 | 2 | 3).share}`)) as [bigint, bigint, bigint];
          const x = reconstructSecret([
            { partyId: 1, share: shares[0] },
            { partyId: 2, share: shares[1] },
          ]);
          expect(pointToHex(mulG(x))).toBe(old[0]?.publicKey);
          const key: TestKey = { x, shares, server: share(1), device: share(2), cloud: share(3) };
          const p = remember(testPairing(arith, { key }));
          await checkInterop(signature(sign(p, digest)), digest, mulG(x));
        },
      ),
      { numRuns: 4 },
    );
  });

  it('property: any shares and any message give a valid signature (fast-check)', async () => {
    const scalar = fc.bigInt({ min: 1n, max: q - 1n });
    await fc.assert(
      fc.asyncProperty(
        scalar,
        scalar,
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async (secret, slope, digest) => {
          // fast-check favours boundary values (1, q − 1): keep to keys a DKG can produce, whose
          // three shares are non-zero (a zero share has probability 2^-256 and is refused as an
          // identity point).
          fc.pre([1n, 2n, 3n].every((i) => (secret + slope * i) % q !== 0n));
          const p = remember(testPairing(arith, { key: testKeyShares(secret, slope) }));
          await checkInterop(signature(sign(p, digest)), digest, mulG(secret));
        },
      ),
      { numRuns: 4 },
    );
  });

  it('known answer: injected k1, k2 give r = (k1k2·G).x and s = low-s((k1k2)⁻¹(h + r(x1 + x2)))', async () => {
    const p = remember(testPairing(arith, { key: testKeyShares(0x1234567890abcdefn, 0xfedcba0987654321n) }));
    const k1 = 0x1111111111111111111111111111111111111111111111111111111111111111n;
    const k2 = 0x2222222222222222222222222222222222222222222222222222222222222222n;
    const digest = hexBytes('0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53');
    const sig = signature(sign(p, digest, { pre: presign(p, { k1, k2 }) }));
    const h = digestToScalar(digest);
    const R = mulG(modQ(k1 * k2));
    const r = modQ(R.toAffine().x);
    const s = modQ(modInverse(modQ(k1 * k2), q) * (h + r * (p.x1 + p.x2)));
    expect(BigInt(sig.r)).toBe(r);
    expect(BigInt(sig.s)).toBe(s > q >> 1n ? q - s : s);
    // Fixed values (x = 0x1234567890abcdef, the EIP-155 example digest), computed once from the formula.
    expect(sig).toEqual({
      r: '0x77e0510d5042e2f5e9e59c977b81eeed590cf7d20c1c51da451a8eaa9fdc45ff',
      s: '0x23da531d4d9cc551595af28eee56b2650137fe2f92066cba92e9a3ba0629d5cd',
      recovery: 0,
    });
    await checkInterop(sig, digest, mulG(p.key.x));
  });

  it('signs for a BIP-32 child key PK + δ·G when both sides apply the same tweak', async () => {
    const tweak = 0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefn;
    const digest = randomDigest();
    await checkInterop(signature(sign(pairing, digest, { tweak })), digest, tweakPoint(mulG(pairing.key.x), tweak));
  });

  it('a device that uses another tweak than the server derived is caught by the proof (disable)', () => {
    const pre = presign(pairing);
    const digest = randomDigest();
    const { message } = deviceSign(arith, pairing.device, pre.device, digest, { tweak: 5n });
    // The server's V = h·G + r·(X2 + 7·G) is hashed into its challenge: the proof fails at once.
    disabled(
      serverSign(arith, pairing.server, pre.server, digest, wire(message), { tweak: 7n }),
      'MPC_SIGN_PROOF_INVALID',
      'pi-sign.paillier',
    );
  });

  it('presigned path: presignatures made ahead, each used once, online signing is one message', async () => {
    const pres = [presign(pairing), presign(pairing), presign(pairing)];
    for (const pre of pres) {
      const digest = randomDigest();
      const { presignature, message } = deviceSign(arith, pairing.device, pre.device, digest);
      const outcome = serverSign(arith, pairing.server, pre.server, digest, wire(message));
      await checkInterop(signature(outcome), digest, mulG(pairing.key.x));
      refused(
        () => deviceSign(arith, pairing.device, wire(presignature), randomDigest()),
        'MPC_PRESIGNATURE_CONSUMED',
        'presignature.used',
      );
      refused(
        () => serverSign(arith, pairing.server, wire(outcome.presignature), digest, wire(message)),
        'MPC_PRESIGNATURE_CONSUMED',
        'presignature.used',
      );
    }
  });

  it('the CRT verifier path and the plain path give the same signature', () => {
    const pre = presign(pairing);
    const digest = randomDigest();
    const { message } = deviceSign(arith, pairing.device, pre.device, digest);
    const a = signature(serverSign(arith, pairing.server, pre.server, digest, wire(message)));
    const b = signature(serverSign(arith, pairing.server, pre.server, digest, wire(message), { useTrapdoor: false }));
    expect(a).toEqual(b);
  });
});

describe('Lindell17 signing: must reject', () => {
  const digest = randomDigest();

  it('a tampered device proof, each equation ⇒ refused with disableKey', () => {
    const cases: [string, (p: SignProof) => SignProof][] = [
      ['pi-sign.paillier', (p) => ({ ...p, z1: p.z1 + 1n })],
      ['pi-sign.paillier', (p) => ({ ...p, w: (p.w * 2n) % BigInt(`0x${pairing.device.paillier.N}`) })],
      ['pi-sign.ring-pedersen-a', (p) => ({ ...p, z3: p.z3 + 1n })],
      ['pi-sign.ring-pedersen-b', (p) => ({ ...p, z4: p.z4 - 1n })],
      ['pi-sign.z1-range', (p) => ({ ...p, z1: 2n ** 769n })],
      ['pi-sign.z2-range', (p) => ({ ...p, z2: -(2n ** 1618n) })],
      ['pi-sign.T', (p) => ({ ...p, T: 0n })],
      ['pi-sign.paillier', (p) => ({ ...p, Bx: p.Bx.add(G) })],
    ];
    for (const [check, edit] of cases) {
      const pre = presign(pairing);
      const message = tamperRound4(pairing, pre, digest, (p) => ({ proof: edit(p) }));
      const outcome = serverSign(arith, pairing.server, pre.server, digest, wire(message));
      disabled(outcome, 'MPC_SIGN_PROOF_INVALID', check);
      expect(outcome.presignature.used).toBe(true);
    }
  });

  it('the Lindell17 abort attack: D for a wrong b without a valid proof ⇒ refused BEFORE decryption, disableKey', () => {
    const moduli: bigint[] = [];
    const spy: Arithmetic = {
      ...arith,
      modPow: (b, e, m) => {
        moduli.push(m);
        return arith.modPow(b, e, m);
      },
    };
    const pre = presign(pairing);
    const N = BigInt(`0x${pairing.device.paillier.N}`);
    // Enc(a·x1 + b + 2^i): valid iff bit i of something the attacker probes; the proof catches it first.
    const message = tamperRound4(pairing, pre, digest, (_, D) => ({
      D: (D * mod(1n + (1n << 100n) * N, N * N)) % (N * N),
    }));
    const outcome = serverSign(spy, pairing.server, pre.server, digest, wire(message), { useTrapdoor: false });
    disabled(outcome, 'MPC_SIGN_PROOF_INVALID', 'pi-sign.paillier');
    const p = BigInt(`0x${pairing.server.paillier.p}`);
    expect(moduli.length).toBeGreaterThan(0);
    expect(moduli.includes(p * p)).toBe(false); // decryption works mod p² and q²: never reached
  });

  it('D out of range or not coprime to N ⇒ MPC_PAILLIER_CIPHERTEXT_INVALID, disableKey', () => {
    const N = BigInt(`0x${pairing.device.paillier.N}`);
    for (const [D, check] of [
      [0n, 'ciphertext.range'],
      [N * N, 'ciphertext.range'],
      [N * 3n, 'ciphertext.coprime'],
    ] as const) {
      const pre = presign(pairing);
      const outcome = serverSign(
        arith,
        pairing.server,
        pre.server,
        digest,
        wire(tamperRound4(pairing, pre, digest, () => ({ D }))),
      );
      disabled(outcome, 'MPC_PAILLIER_CIPHERTEXT_INVALID', check);
    }
  });

  it('R2 that is the identity, off the curve or badly encoded ⇒ MPC_INVALID_POINT, no disable', () => {
    for (const [R2, check] of [
      ['00'.repeat(33), 'point.encoding'],
      [`02${'ff'.repeat(32)}`, 'point.on-curve'],
      [`04${'11'.repeat(32)}`, 'point.encoding'],
    ] as const) {
      const start = deviceSignStart(pairing.device);
      const r1 = serverSignRound1(pairing.server, start.request);
      const r2 = deviceSignRound2(start.state, r1.message);
      refused(
        () => serverSignRound3(pairing.server, r1.state, { ...r2.message, payload: { ...r2.message.payload, R2 } }),
        'MPC_INVALID_POINT',
        check,
      );
    }
  });

  it('a Schnorr proof for R2 from another session ⇒ refused with disableKey', () => {
    const start = deviceSignStart(pairing.device);
    const r1 = serverSignRound1(pairing.server, start.request);
    const r2 = deviceSignRound2(start.state, r1.message);
    const otherStart = deviceSignStart(pairing.device);
    const other = deviceSignRound2(otherStart.state, serverSignRound1(pairing.server, otherStart.request).message);
    const message = { ...r2.message, payload: other.message.payload };
    disabled(
      serverSignRound3(pairing.server, r1.state, wire(message)),
      'MPC_SCHNORR_PROOF_INVALID',
      'schnorr.equation',
    );
  });

  it('a replayed or misdirected round message ⇒ refused without disable', () => {
    const start = deviceSignStart(pairing.device);
    const r1 = serverSignRound1(pairing.server, start.request);
    const r2 = deviceSignRound2(start.state, r1.message);
    const r3 = serverSignRound3(pairing.server, r1.state, r2.message);
    if (!r3.ok) throw r3.error;
    // Round 2 again, against the state the server has moved to.
    refused(
      () => serverSignRound3(pairing.server, r3.presignature as never, r2.message),
      'MPC_MESSAGE_REPLAYED',
      'state.phase',
    );
    // Round 2 offered where round 4 is expected.
    refused(
      () => serverSign(arith, pairing.server, r3.presignature, digest, r2.message),
      'MPC_MESSAGE_REPLAYED',
      'envelope.round',
    );
    // Round 1 replayed to the device after it answered.
    refused(() => deviceSignRound2(r2.state as never, r1.message), 'MPC_MESSAGE_REPLAYED', 'state.phase');
    // A message for another session.
    refused(
      () => serverSignRound3(pairing.server, r1.state, { ...r2.message, sessionId: 'ab'.repeat(32) }),
      'MPC_SESSION_MISMATCH',
    );
    refused(() => deviceSignRound2(start.state, { ...r1.message, sessionId: 'ab'.repeat(32) }), 'MPC_SESSION_MISMATCH');
    // Shape errors.
    refused(
      () => serverSignRound3(pairing.server, r1.state, { ...r2.message, payload: { R2: 1 } }),
      'MPC_INVALID_MESSAGE',
    );
    refused(() => serverSignRound1(pairing.server, { deviceNonce: 'zz' }), 'MPC_INVALID_MESSAGE');
  });

  it('an opening that does not match the commitment ⇒ the device refuses', () => {
    const start = deviceSignStart(pairing.device);
    const r1 = serverSignRound1(pairing.server, start.request);
    const r2 = deviceSignRound2(start.state, r1.message);
    const r3 = serverSignRound3(pairing.server, r1.state, r2.message);
    if (!r3.ok) throw r3.error;
    const swapped = { ...r3.message, payload: { ...r3.message.payload, R1: pointToHex(G) } };
    refused(
      () => devicePresign(arith, pairing.device, r2.state, swapped),
      'MPC_COMMITMENT_MISMATCH',
      'commitment.open',
    );
  });

  it('a disabled key, or a presignature of another pairing, is refused', () => {
    const pre = presign(pairing);
    const off = disableSigning(pairing.server);
    refused(
      () => serverSignRound1(off, deviceSignStart(pairing.device).request),
      'MPC_SIGNING_DISABLED',
      'pair.disabled',
    );
    const { message } = deviceSign(arith, pairing.device, pre.device, digest);
    refused(() => serverSign(arith, off, pre.server, digest, message), 'MPC_SIGNING_DISABLED', 'pair.disabled');
    const other = { ...pairing.server, pairingId: '44'.repeat(32) };
    refused(
      () => serverSign(arith, other, pre.server, digest, message),
      'MPC_SESSION_MISMATCH',
      'presignature.pairing',
    );
  });

  it('a digest that is not 32 bytes is refused', () => {
    const pre = presign(pairing);
    refused(
      () => deviceSign(arith, pairing.device, pre.device, new Uint8Array(31)),
      'MPC_INVALID_MESSAGE',
      'digest.length',
    );
  });
});

afterAll(() => {
  // No secret (share, nonce, mask, Paillier/ring-Pedersen factor) in any message, detail or cause.
  expect(errors.length).toBeGreaterThan(20);
  expect(findSecretLeaks(errors, secrets)).toEqual([]);
});
