// Wallet creation by the browser device: the Vite bundle of @custos/mpc's device side in a Web
// Worker of Debian's headless Chromium (pure BigInt arithmetic: its own 2048-bit ring-Pedersen
// modulus from two 1024-bit safe primes, the DKG as parties 2 and 3, Lindell17 pairing with the
// checks of the server's proofs, the scrypt-encrypted backup), against a real server over loopback
// HTTP that generates its own Paillier and ring-Pedersen primes (OpenSSL), as in use. Ten
// creations, median and p90. Baseline in the same run: the same creation by the Node device
// (OpenSSL arithmetic) against the same server.
import { defineBench } from '@custos/core/bench';
import { connectDevice, createMemoryDeviceStore, DeviceWallets, MemoryBackupStore } from '@custos/mpc';
import { createNodeArithmetic } from '@custos/mpc/node';
import { createHarness, type Harness } from '../testing/harness.js';
import {
  type BrowserDevice,
  createWalletInBrowser,
  openBrowserDevice,
  removeDevicePageBuild,
  TEST_BACKUP_PASSWORD,
} from './browser/device.js';

interface NodeSetup {
  harness: Harness;
  wallets: DeviceWallets;
}

interface BrowserSetup {
  harness: Harness;
  device: BrowserDevice;
}

async function server(): Promise<{ harness: Harness; url: string }> {
  const harness = await createHarness({}, {}, { mpc: { arithmetic: createNodeArithmetic() } });
  const url = await harness.app.listen({ port: 0, host: '127.0.0.1' });
  return { harness, url };
}

export default defineBench({
  name: 'mpc-browser',
  description:
    'one wallet creation (device ring-Pedersen set-up, DKG, Lindell17 pairing, backup) by the device in headless Chromium vs the Node device, against a server over loopback HTTP; all primes generated',
  baseline: 'create: node device (openssl)',
  size: { full: 1, smoke: 1 },
  unit: 'wallet',
  samples: { warmups: 0, min: 10, budgetMs: 0 },
  cases: [
    {
      name: 'create: node device (openssl)',
      setup: async (): Promise<NodeSetup> => {
        const { harness, url } = await server();
        const store = createMemoryDeviceStore();
        const client = await connectDevice({ serverUrl: url, store });
        return { harness, wallets: new DeviceWallets({ client, store, arith: createNodeArithmetic() }) };
      },
      run: (s: NodeSetup) => s.wallets.create({ password: TEST_BACKUP_PASSWORD, backupStore: new MemoryBackupStore() }),
      teardown: (s: NodeSetup) => s.harness.close(),
    },
    {
      name: 'create: chromium worker (bigint)',
      setup: async (): Promise<BrowserSetup> => {
        const { harness, url } = await server();
        try {
          return { harness, device: await openBrowserDevice({ upstream: url }) };
        } catch (error) {
          await harness.close();
          throw error;
        }
      },
      run: (s: BrowserSetup) => createWalletInBrowser({ device: s.device, timeoutMs: 180_000 }),
      teardown: async (s: BrowserSetup) => {
        await s.device.close();
        await removeDevicePageBuild();
        await s.harness.close();
      },
    },
  ],
});
