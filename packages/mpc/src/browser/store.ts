/**
 * The browser's device store: IndexedDB. The device's P-256 identity key and a wallet-sealing
 * AES-256-GCM key are WebCrypto keys created non-extractable and stored as CryptoKey objects
 * (structured clone keeps them non-extractable), so page script can use them but never read them
 * out. Each wallet's secret part (the device share) is sealed with that AES-GCM key, bound to the
 * wallet id as associated data; only the public fields are stored in the clear.
 */
import { BaseError, utf8ToBytes } from '@custos/core';
import type { DeviceKey, WebCryptoKey } from '../device/auth.js';
import type { DeviceIdentity, DeviceStore, DeviceWalletRecord } from '../device/store.js';

// Minimal IndexedDB typings: the package compiles without the DOM library.
interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
}
interface IdbStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  getAllKeys(): IdbRequest<unknown[]>;
}
interface IdbTransaction {
  objectStore(name: string): IdbStore;
}
interface IdbDatabase {
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(names: string[], mode: 'readonly' | 'readwrite'): IdbTransaction;
}
interface IdbFactory {
  open(name: string, version: number): IdbOpenRequest;
}

function request<T>(r: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(new BaseError('INTERNAL', 'IndexedDB request failed', { cause: r.error }));
  });
}

const STORES = ['identity', 'wallets'] as const;

async function openDatabase(name: string): Promise<IdbDatabase> {
  const factory = (globalThis as { indexedDB?: IdbFactory }).indexedDB;
  if (factory === undefined) throw new BaseError('INVALID_CONFIG', 'IndexedDB is not available here');
  const open = factory.open(name, 1);
  open.onupgradeneeded = () => {
    for (const store of STORES) if (!open.result.objectStoreNames.contains(store)) open.result.createObjectStore(store);
  };
  return request(open);
}

interface StoredIdentity {
  deviceId: string;
  serverUrl: string;
  privateKey: WebCryptoKey;
  publicKey: Uint8Array;
}

interface SealedWallet extends Omit<DeviceWalletRecord, 'secret'> {
  iv: Uint8Array;
  sealed: Uint8Array;
}

export async function createIndexedDbDeviceStore(name = 'custos-device'): Promise<DeviceStore> {
  const db = await openDatabase(name);
  const get = async (store: string, key: string) =>
    request(db.transaction([store], 'readonly').objectStore(store).get(key));
  const put = async (store: string, key: string, value: unknown) =>
    request(db.transaction([store], 'readwrite').objectStore(store).put(value, key));

  let sealingKey = (await get('identity', 'sealing-key')) as WebCryptoKey | undefined;
  if (sealingKey === undefined) {
    sealingKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    await put('identity', 'sealing-key', sealingKey);
  }
  const key = sealingKey;

  return {
    async loadIdentity() {
      const stored = (await get('identity', 'device')) as StoredIdentity | undefined;
      if (stored === undefined) return undefined;
      const deviceKey: DeviceKey = { privateKey: stored.privateKey, publicKey: stored.publicKey };
      return { deviceId: stored.deviceId, serverUrl: stored.serverUrl, key: deviceKey };
    },
    async saveIdentity(identity: DeviceIdentity) {
      const stored: StoredIdentity = {
        deviceId: identity.deviceId,
        serverUrl: identity.serverUrl,
        privateKey: identity.key.privateKey,
        publicKey: identity.key.publicKey,
      };
      await put('identity', 'device', stored);
    },
    async loadWallet(walletId: string) {
      const stored = (await get('wallets', walletId)) as SealedWallet | undefined;
      if (stored === undefined) return undefined;
      const { iv, sealed, ...rest } = stored;
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: utf8ToBytes(walletId) },
        key,
        sealed,
      );
      return { ...rest, secret: JSON.parse(new TextDecoder().decode(plain)) };
    },
    async saveWallet(record: DeviceWalletRecord) {
      const { secret, ...rest } = record;
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: 'AES-GCM', iv, additionalData: utf8ToBytes(record.walletId) },
          key,
          utf8ToBytes(JSON.stringify(secret)),
        ),
      );
      const stored: SealedWallet = { ...rest, iv, sealed };
      await put('wallets', record.walletId, stored);
    },
    async listWallets() {
      const keys = await request(db.transaction(['wallets'], 'readonly').objectStore('wallets').getAllKeys());
      return keys.filter((k): k is string => typeof k === 'string');
    },
  };
}
