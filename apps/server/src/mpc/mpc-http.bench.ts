// One wallet signature over real loopback HTTP: the device (@custos/mpc DeviceWallets with its
// P-256 request signatures, Node's fetch) against the server party (Fastify, PGlite, sealed
// shares and presignatures), on the OpenSSL path (both parties use node:crypto's modular
// exponentiation) and on the pure BigInt path (both parties BigInt). `sign presigned` is the
// online request alone, with a presignature the device made ahead (DeviceWallets.presign);
// `presign` is making one (two requests); `sign on demand` is both in a row. Baseline in the same run: single-party @noble/curves signing;
// `device-signed GET` shows what one authenticated round trip costs. Key generation and pairing
// happen in setup (fixed primes: prime generation is the mpc-keygen suite's subject).
import { digestOf, type SignRequest } from '@custos/chains';
import { defineBench } from '@custos/core/bench';
import {
  type Arithmetic,
  connectDevice,
  createBigIntArithmetic,
  createMemoryDeviceStore,
  DeviceWallets,
  MemoryBackupStore,
  type MpcServerClient,
} from '@custos/mpc';
import { createNodeArithmetic } from '@custos/mpc/node';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from '../../../../packages/mpc/src/testing/primes.js';
import { fixedPrimeArithmetic } from '../testing/device.js';
import { createHarness, type Harness } from '../testing/harness.js';

const PASSWORD = 'quartz-Lantern-orbit-57-harbour-vivid';
const FAST_KDF = { N: 2 ** 10, r: 8, p: 1 };

interface Setup {
  harness: Harness;
  client: MpcServerClient;
  wallets: DeviceWallets;
  store: ReturnType<typeof createMemoryDeviceStore>;
  walletId: string;
  arith: Arithmetic;
}

const message = (i: number): SignRequest => ({ kind: 'message', message: `bench message ${i}` });
let counter = 0;

async function setup(backend: 'openssl' | 'bigint'): Promise<Setup> {
  const base = backend === 'openssl' ? createNodeArithmetic() : createBigIntArithmetic();
  const serverArith = fixedPrimeArithmetic(base, {
    blum: TEST_BLUM_PRIMES.slice(0, 2),
    safe: TEST_SAFE_PRIMES.slice(0, 2),
  });
  const arith = fixedPrimeArithmetic(base, { blum: TEST_BLUM_PRIMES.slice(2, 4), safe: TEST_SAFE_PRIMES.slice(2, 4) });
  const harness = await createHarness({}, {}, { mpc: { arithmetic: serverArith } });
  const url = await harness.app.listen({ port: 0, host: '127.0.0.1' });
  const store = createMemoryDeviceStore();
  const client = await connectDevice({ serverUrl: url, store });
  const wallets = new DeviceWallets({
    client,
    store,
    arith,
    backupOptions: { kdf: FAST_KDF, unsafeTestingMinimumKdf: FAST_KDF },
  });
  const created = await wallets.create({ password: PASSWORD, backupStore: new MemoryBackupStore() });
  return { harness, client, wallets, store, walletId: created.walletId, arith };
}

const close = async (s: Setup) => {
  await s.harness.close();
};

function cases(backend: 'openssl' | 'bigint', poolSize: number) {
  const signOnce = (s: Setup) => {
    const request = message(counter++);
    return s.wallets.sign(s.walletId, { request, digest: digestOf(request) });
  };
  return [
    {
      // What a user waits for when the device keeps presignatures (DeviceWallets.presign): the
      // online request alone. The pool is made in setup (untimed); each run takes one.
      name: `sign presigned ${backend}`,
      setup: async () => {
        const s = await setup(backend);
        await s.wallets.presign(s.walletId, poolSize);
        return s;
      },
      run: signOnce,
      // Every timed run must have found a presignature: some must be left over.
      teardown: async (s: Setup) => {
        const left = await s.wallets.presignatures(s.walletId);
        await close(s);
        if (left === 0) throw new Error('presignature pool exhausted: a run signed on demand');
      },
    },
    {
      name: `presign ${backend}`,
      setup: () => setup(backend),
      run: (s: Setup) => s.wallets.presign(s.walletId, 1),
      teardown: close,
    },
    {
      name: `sign on demand ${backend}`,
      setup: () => setup(backend),
      run: signOnce,
      teardown: close,
    },
  ];
}

const SMOKE = process.argv.includes('--smoke') || process.argv.includes('--smoke-if-ci');

export default defineBench({
  name: 'mpc-http',
  description:
    'one 2-of-3 wallet signature over loopback HTTP (device-signed requests, Fastify, PGlite): presign + online incl. the device proof',
  baseline: 'noble secp256k1 sign',
  size: { full: 1, smoke: 1 },
  unit: 'signature',
  // A fixed count (no time budget), so a device's pool of presignatures stays a realistic size.
  samples: { warmups: 3, min: 60, budgetMs: 0 },
  cases: [
    {
      name: 'noble secp256k1 sign',
      setup: () => secp256k1.utils.randomSecretKey(),
      run: (key: Uint8Array) => secp256k1.sign(crypto.getRandomValues(new Uint8Array(32)), key, { prehash: false }),
    },
    {
      name: 'device-signed GET',
      setup: () => setup('openssl'),
      run: (s: Setup) => s.client.request('GET', `/v1/mpc/wallets/${s.walletId}`),
      teardown: close,
    },
    ...cases('openssl', SMOKE ? 3 : 70),
    ...cases('bigint', SMOKE ? 3 : 70),
  ],
});
