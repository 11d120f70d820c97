/**
 * Test-only builders over the fixed primes of `primes.ts`: Paillier keys and ring-Pedersen
 * parameters without prime generation, 2-of-3 key shares from a chosen polynomial, and a paired
 * server + device state built directly (c_key = Enc(x1), no pairing proofs) so signing tests start
 * in milliseconds. Never used outside tests: the pairing records it builds skip every check that
 * protocol/pairing.ts makes.
 */
import type { Arithmetic, PrimeKind } from '../arith/backend.js';
import { createBigIntArithmetic } from '../arith/bigint.js';
import { intToHex, mod } from '../arith/modular.js';
import { modQ, mulG, pointToHex, randomScalar, scalarToHex } from '../curve.js';
import { encrypt, type PaillierSecretKey, paillierSecretKeyFromPrimes, secretKeyToJson } from '../paillier.js';
import type { KeyShare } from '../protocol/dkg.js';
import { additivePoints, additiveShare } from '../protocol/lindell.js';
import { type DevicePairing, deviceSetupFromSecret, PAIRING_VERSION, type ServerPairing } from '../protocol/pairing.js';
import { paramsToJson, type RingPedersenSecret, ringPedersenFromPrimes, secretToJson } from '../ring-pedersen.js';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from './primes.js';

function prime(list: readonly bigint[], i: number, name: string): bigint {
  const p = list[i];
  if (p === undefined) throw new Error(`${name}[${i}] does not exist`);
  return p;
}

/** A 2048-bit Paillier key from TEST_BLUM_PRIMES[i] and [j] (six primes: any distinct pair). */
export function testPaillierKey(i = 0, j = 1): PaillierSecretKey {
  return paillierSecretKeyFromPrimes(
    prime(TEST_BLUM_PRIMES, i, 'TEST_BLUM_PRIMES'),
    prime(TEST_BLUM_PRIMES, j, 'TEST_BLUM_PRIMES'),
  );
}

/** Ring-Pedersen parameters from TEST_SAFE_PRIMES[i] and [j] (four primes), fresh s and t. */
export function testRingPedersen(i = 0, j = 1, arith: Arithmetic = createBigIntArithmetic()): RingPedersenSecret {
  return ringPedersenFromPrimes(
    prime(TEST_SAFE_PRIMES, i, 'TEST_SAFE_PRIMES'),
    prime(TEST_SAFE_PRIMES, j, 'TEST_SAFE_PRIMES'),
    arith,
  );
}

export interface TestKey {
  /** The wallet key x = f(0). */
  readonly x: bigint;
  /** Shamir shares f(1), f(2), f(3). */
  readonly shares: readonly [bigint, bigint, bigint];
  readonly server: KeyShare;
  readonly device: KeyShare;
  readonly cloud: KeyShare;
}

/** The three KeyShares of f(X) = secret + slope·X, as the DKG would output them. */
export function testKeyShares(secret: bigint = randomScalar(), slope: bigint = randomScalar()): TestKey {
  const f = (i: bigint) => modQ(secret + slope * i);
  const shares = [f(1n), f(2n), f(3n)] as const;
  const sharePublicKeys = {
    1: pointToHex(mulG(shares[0])),
    2: pointToHex(mulG(shares[1])),
    3: pointToHex(mulG(shares[2])),
  };
  const common = {
    publicKey: pointToHex(mulG(secret)),
    chainCode: '11'.repeat(32),
    sharePublicKeys,
    transcriptHash: '22'.repeat(32),
  };
  const share = (partyId: 1 | 2 | 3): KeyShare => ({
    partyId,
    share: scalarToHex(shares[partyId - 1] as bigint),
    ...common,
  });
  return { x: modQ(secret), shares, server: share(1), device: share(2), cloud: share(3) };
}

export interface TestPairingOptions {
  readonly key?: TestKey;
  readonly paillier?: PaillierSecretKey;
  /** The server's Ñ_S (default: safe primes 0, 1). */
  readonly serverRingPedersen?: RingPedersenSecret;
  /** The device's Ñ_D (default: safe primes 2, 3). */
  readonly deviceRingPedersen?: RingPedersenSecret;
}

export interface TestPairing {
  readonly key: TestKey;
  readonly x1: bigint;
  readonly x2: bigint;
  readonly server: ServerPairing;
  readonly device: DevicePairing;
}

/** A paired server + device, built directly from the key shares (no proofs run). */
export function testPairing(arith: Arithmetic, options: TestPairingOptions = {}): TestPairing {
  const key = options.key ?? testKeyShares();
  const paillier = options.paillier ?? testPaillierKey();
  const serverRp = options.serverRingPedersen ?? testRingPedersen(0, 1, arith);
  const deviceRp = options.deviceRingPedersen ?? testRingPedersen(2, 3, arith);
  const x1 = additiveShare(1, key.shares[0]);
  const x2 = additiveShare(2, key.shares[1]);
  const { X1, X2 } = additivePoints(mulG(key.shares[0]), mulG(key.shares[1]), mulG(key.x));
  const cKey = encrypt(arith, paillier.publicKey, x1).c;
  const common = {
    v: PAIRING_VERSION,
    pairingId: '33'.repeat(32),
    publicKey: pointToHex(mulG(key.x)),
    X1: pointToHex(X1),
    X2: pointToHex(X2),
    cKey: intToHex(cKey),
  };
  const server: ServerPairing = {
    ...common,
    phase: 'server-paired',
    paillier: secretKeyToJson(paillier),
    ringPedersen: secretToJson(serverRp),
    deviceRingPedersen: paramsToJson(deviceRp.params),
    signingDisabled: false,
  };
  const device: DevicePairing = {
    ...common,
    phase: 'device-paired',
    x2: scalarToHex(x2),
    paillier: { N: intToHex(paillier.publicKey.N) },
    serverRingPedersen: paramsToJson(serverRp.params),
    ringPedersen: deviceSetupFromSecret(deviceRp).ringPedersen,
  };
  return { key, x1, x2, server, device };
}

/**
 * Every spelling of a secret (canonical hex, 64-digit hex, decimal) found in the message, details
 * or cause chain of the given errors, as "error message ⇒ form" lines; empty when none leaks.
 */
export function findSecretLeaks(errors: readonly unknown[], secrets: Iterable<bigint>): string[] {
  const forms = [...secrets].flatMap((s) =>
    [scalarToHex(s), intToHex(s), s.toString(10)].filter((f) => f.length >= 16),
  );
  const leaks: string[] = [];
  for (const error of errors) {
    for (let e: unknown = error; e instanceof Error; e = e.cause) {
      const details = (e as { details?: unknown }).details;
      const text = `${e.message}\n${JSON.stringify(details ?? {})}`;
      for (const f of forms) if (text.includes(f)) leaks.push(`${e.message.split('\n')[0]} ⇒ ${f.slice(0, 8)}…`);
    }
  }
  return leaks;
}

/**
 * `base` with a prime generator that hands out `queue` in order, for requests of exactly `bits`
 * and `kind`; any other request, or one past the end of the queue, throws.
 */
export function queuedPrimes(base: Arithmetic, bits: number, kind: PrimeKind, queue: readonly bigint[]): Arithmetic {
  const left = [...queue];
  return {
    ...base,
    async generatePrime(askedBits, askedKind) {
      if (askedBits !== bits || askedKind !== kind) {
        throw new Error(`expected a ${bits}-bit ${kind} prime request, got ${askedBits}-bit ${askedKind}`);
      }
      const next = left.shift();
      if (next === undefined) throw new Error('queue exhausted');
      return next;
    },
  };
}

/** Square-and-multiply with no windows: the naive reference for modular exponentiation. */
export function naivePow(base: bigint, exp: bigint, m: bigint): bigint {
  let r = 1n % m;
  let b = mod(base, m);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
  }
  return r;
}
