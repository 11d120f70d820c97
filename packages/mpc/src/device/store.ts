/**
 * Where a device keeps what it must remember: its identity key (enrolment) and, per wallet, its
 * key share and the pairing data it checked. The interface is small so each platform stores it
 * its own way: files with mode 0600 under `--home` for the CLI (`@custos/mpc/node`), IndexedDB with
 * the share sealed under a non-extractable WebCrypto AES-GCM key in a browser (`browser/store.ts`),
 * and memory in tests.
 */
import type { DeviceKey } from './auth.js';

export interface DeviceIdentity {
  readonly deviceId: string;
  readonly serverUrl: string;
  readonly key: DeviceKey;
}

/** One wallet as the device knows it. `secret` holds the share and is sealed by the store. */
export interface DeviceWalletRecord {
  readonly walletId: string;
  readonly address: string;
  readonly publicKey: string;
  readonly chainCode: string;
  readonly generation: number;
  readonly createdAt: string;
  /** JSON-serialisable device state: key share (secret), pairing data (public). */
  readonly secret: unknown;
}

export interface DeviceStore {
  loadIdentity(): Promise<DeviceIdentity | undefined>;
  saveIdentity(identity: DeviceIdentity): Promise<void>;
  loadWallet(walletId: string): Promise<DeviceWalletRecord | undefined>;
  saveWallet(record: DeviceWalletRecord): Promise<void>;
  listWallets(): Promise<readonly string[]>;
}

export function createMemoryDeviceStore(): DeviceStore {
  let identity: DeviceIdentity | undefined;
  const wallets = new Map<string, string>();
  return {
    loadIdentity: async () => identity,
    saveIdentity: async (value) => {
      identity = value;
    },
    loadWallet: async (walletId) => {
      const text = wallets.get(walletId);
      return text === undefined ? undefined : (JSON.parse(text) as DeviceWalletRecord);
    },
    saveWallet: async (record) => {
      wallets.set(record.walletId, JSON.stringify(record));
    },
    listWallets: async () => [...wallets.keys()],
  };
}
