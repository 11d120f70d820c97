/**
 * Test devices for the MPC routes. `TestDevice` is an independent implementation of the device
 * side of the HTTP contract (node:crypto P-256, not the @custos/mpc client), so the server is
 * checked against the contract rather than against the code that shares its assumptions; every
 * header can be overridden to build must-reject requests. `injectFetch` lets the real device
 * client (`MpcServerClient` / `DeviceWallets` of @custos/mpc) talk to an app through `inject`, and
 * `fixedPrimeArithmetic` hands out fixed primes instead of generating them, so pairing in tests
 * takes seconds rather than minutes; `createTestMpcWallet` sets up a harness and one MPC wallet
 * (device + server) on such primes. Tests only.
 */
import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  type Arithmetic,
  type BackupOptions,
  connectDevice,
  createMemoryDeviceStore,
  DeviceWallets,
  type FetchLike,
  MemoryBackupStore,
  type MpcServerClient,
} from '@custos/mpc';
import { createNodeArithmetic } from '@custos/mpc/node';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Address } from 'viem';
import { DEVICE_HEADERS, enrolmentMessage, requestMessage } from '../mpc/device-auth.js';
import { createHarness, type Harness, type HarnessOptions } from './harness.js';

export interface SignedRequestOverrides {
  deviceId?: string;
  timestamp?: string;
  nonce?: string;
  signature?: string;
  /** Sign these bytes but send the request's own body (a body changed after signing). */
  signedBody?: Uint8Array;
  /** Sign this path but send the request's own. */
  signedPath?: string;
  /** Leave these headers out. */
  omit?: readonly (keyof typeof DEVICE_HEADERS)[];
}

function p1363(privateKey: KeyObject, message: string): string {
  return sign('sha256', Buffer.from(message, 'utf8'), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('hex');
}

export class TestDevice {
  readonly privateKey: KeyObject;
  /** Uncompressed SEC1 point, lowercase hex without 0x. */
  readonly publicKeyHex: string;
  deviceId = '';

  constructor() {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const coordinate = (v: string | undefined) =>
      Buffer.from(v ?? '', 'base64url')
        .toString('hex')
        .padStart(64, '0');
    this.publicKeyHex = `04${coordinate(jwk.x)}${coordinate(jwk.y)}`;
  }

  /** A new device enrolled with `app` (challenge, then the signed enrolment). */
  static async enrol(app: FastifyInstance, remoteAddress?: string): Promise<TestDevice> {
    const device = new TestDevice();
    const challenge = await app.inject({
      method: 'POST',
      url: '/v1/mpc/devices/challenge',
      ...(remoteAddress ? { remoteAddress } : {}),
    });
    if (challenge.statusCode !== 200) throw new Error(`challenge failed: ${challenge.body}`);
    const enrolled = await app.inject({
      method: 'POST',
      url: '/v1/mpc/devices',
      payload: device.enrolmentBody(challenge.json<{ challenge: string }>().challenge),
      ...(remoteAddress ? { remoteAddress } : {}),
    });
    if (enrolled.statusCode !== 201) throw new Error(`enrolment failed: ${enrolled.body}`);
    device.deviceId = enrolled.json<{ deviceId: string }>().deviceId;
    return device;
  }

  enrolmentBody(challenge: string): { publicKey: string; challenge: string; signature: string } {
    return {
      publicKey: this.publicKeyHex,
      challenge,
      signature: p1363(this.privateKey, enrolmentMessage(challenge, this.publicKeyHex)),
    };
  }

  /** The four headers of a signed request for exactly these bytes. */
  headers(method: string, path: string, body: Uint8Array, overrides: SignedRequestOverrides = {}) {
    const deviceId = overrides.deviceId ?? this.deviceId;
    const timestamp = overrides.timestamp ?? String(Date.now());
    const nonce = overrides.nonce ?? randomBytes(16).toString('hex');
    const message = requestMessage({
      method,
      path: overrides.signedPath ?? path,
      body: overrides.signedBody ?? body,
      deviceId,
      timestamp,
      nonce,
    });
    const all: Record<keyof typeof DEVICE_HEADERS, string> = {
      device: deviceId,
      timestamp,
      nonce,
      signature: overrides.signature ?? p1363(this.privateKey, message),
    };
    const out: Record<string, string> = {};
    for (const [key, name] of Object.entries(DEVICE_HEADERS) as [keyof typeof DEVICE_HEADERS, string][]) {
      if (!overrides.omit?.includes(key)) out[name] = all[key];
    }
    return out;
  }

  /** A signed request through `inject`; `body` is serialised once and those bytes are signed. */
  request(
    app: FastifyInstance,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    overrides: SignedRequestOverrides = {},
  ): Promise<LightMyRequestResponse> {
    const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body), 'utf8');
    return app.inject({
      method,
      url: path,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...this.headers(method, path, bytes, overrides),
      },
      ...(body === undefined ? {} : { payload: bytes }),
    });
  }
}

/** A `fetch` for the @custos/mpc device client that goes through `app.inject` (no socket). */
export function injectFetch(app: FastifyInstance): FetchLike {
  return async (url, init) => {
    const { pathname, search } = new URL(url);
    const response = await app.inject({
      method: init.method as 'GET' | 'POST',
      url: `${pathname}${search}`,
      headers: init.headers,
      ...(init.body === undefined ? {} : { payload: Buffer.from(init.body) }),
    });
    return { status: response.statusCode, text: async () => response.body };
  };
}

/**
 * An arithmetic whose prime generation hands out the given primes in turn (Blum primes for
 * Paillier, safe primes for ring-Pedersen) instead of searching for new ones. Give the server and
 * the device disjoint lists, or their moduli would collide.
 */
export function fixedPrimeArithmetic(
  base: Arithmetic,
  primes: { blum: readonly bigint[]; safe: readonly bigint[] },
): Arithmetic {
  const next = { blum: 0, safe: 0 };
  return {
    name: base.name,
    modPow: (b, e, m) => base.modPow(b, e, m),
    isProbablePrime: (n) => base.isProbablePrime(n),
    async generatePrime(_bits, kind) {
      const list = primes[kind];
      const prime = list[next[kind] % list.length];
      next[kind]++;
      if (prime === undefined) throw new Error(`no fixed ${kind} primes given`);
      return prime;
    },
  };
}

/** Backup key derivation fast enough for tests (scrypt at the minimum a test may ask for). */
const FAST_KDF = { N: 2 ** 10, r: 8, p: 1 };
const TEST_BACKUP_OPTIONS: BackupOptions = { kdf: FAST_KDF, unsafeTestingMinimumKdf: FAST_KDF };

export interface TestMpcWallet {
  /** The app, its MPC server party on fixed primes; close it when done. */
  h: Harness;
  /** The device's client of the app (enrolled, signing its requests). */
  device: MpcServerClient;
  /** The device's wallets, on fixed primes of their own. */
  wallets: DeviceWallets;
  walletId: string;
  /** The wallet's address, lowercase. */
  address: Address;
}

/**
 * A harness with the MPC routes and one MPC wallet created through them by a real device client
 * (`connectDevice` + `DeviceWallets.create`, over `inject`). `primes` are the test primes
 * (TEST_BLUM_PRIMES / TEST_SAFE_PRIMES of @custos/mpc's testing, passed in because that file lies
 * outside this package's build), at least four of each: the server takes the first two, the
 * device the next two. `harness` is passed to `createHarness` (everything but `mpc`).
 */
export async function createTestMpcWallet(options: {
  primes: { blum: readonly bigint[]; safe: readonly bigint[] };
  harness?: Omit<HarnessOptions, 'mpc'>;
  password?: string;
}): Promise<TestMpcWallet> {
  const { blum, safe } = options.primes;
  if (blum.length < 4 || safe.length < 4) throw new Error('createTestMpcWallet needs four Blum and four safe primes');
  const arith = createNodeArithmetic();
  const h = await createHarness(
    {},
    {},
    {
      ...options.harness,
      mpc: { arithmetic: fixedPrimeArithmetic(arith, { blum: blum.slice(0, 2), safe: safe.slice(0, 2) }) },
    },
  );
  try {
    const store = createMemoryDeviceStore();
    const device = await connectDevice({ serverUrl: 'http://custos.test', store, fetch: injectFetch(h.app) });
    const wallets = new DeviceWallets({
      client: device,
      store,
      arith: fixedPrimeArithmetic(arith, { blum: blum.slice(2, 4), safe: safe.slice(2, 4) }),
      backupOptions: TEST_BACKUP_OPTIONS,
    });
    const created = await wallets.create({
      password: options.password ?? 'gravel-otter-minute-lantern',
      backupStore: new MemoryBackupStore(),
    });
    return { h, device, wallets, walletId: created.walletId, address: created.address.toLowerCase() as Address };
  } catch (error) {
    await h.close();
    throw error;
  }
}
