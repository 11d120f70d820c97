/**
 * The CLI's device store: a directory (`--home`, default ~/.custos/device) holding the device's
 * P-256 key and one JSON file per wallet, every file created with mode 0600 inside a 0700
 * directory and written atomically (temp file, fsync, rename) so a crash never leaves half a share.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { BaseError, bytesToHex, hexToBytes } from '@custos/core';
import { exportDeviceKey, importDeviceKey } from '../device/auth.js';
import type { DeviceIdentity, DeviceStore, DeviceWalletRecord } from '../device/store.js';

const WALLET_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Writes `data` to `path` with mode 0600, atomically. */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cause;
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new BaseError('INVALID_INPUT', `device file is not valid JSON: ${path}`, { cause, details: { path } });
  }
}

export function createFileDeviceStore(home: string): DeviceStore {
  const walletsDir = join(home, 'wallets');
  const ensure = async () => {
    await mkdir(walletsDir, { recursive: true, mode: 0o700 });
    await chmod(home, 0o700);
  };
  const walletPath = (walletId: string) => {
    if (!WALLET_ID.test(walletId))
      throw new BaseError('INVALID_INPUT', `"walletId" is not a wallet id`, { details: { field: 'walletId' } });
    return join(walletsDir, `${walletId}.json`);
  };
  return {
    async loadIdentity() {
      const json = (await readJson(join(home, 'device.json'))) as
        | { deviceId: string; serverUrl: string; publicKey: string; privateKey: string }
        | undefined;
      if (json === undefined) return undefined;
      const key = await importDeviceKey(
        hexToBytes(json.privateKey, 'device.privateKey'),
        hexToBytes(json.publicKey, 'device.publicKey', 65),
      );
      return { deviceId: json.deviceId, serverUrl: json.serverUrl, key };
    },
    async saveIdentity(identity: DeviceIdentity) {
      await ensure();
      const privateKey = bytesToHex(await exportDeviceKey(identity.key));
      const body = {
        deviceId: identity.deviceId,
        serverUrl: identity.serverUrl,
        publicKey: bytesToHex(identity.key.publicKey),
        privateKey,
      };
      await writePrivateFile(join(home, 'device.json'), `${JSON.stringify(body, null, 2)}\n`);
    },
    async loadWallet(walletId: string) {
      return (await readJson(walletPath(walletId))) as DeviceWalletRecord | undefined;
    },
    async saveWallet(record: DeviceWalletRecord) {
      await ensure();
      await writePrivateFile(walletPath(record.walletId), `${JSON.stringify(record, null, 2)}\n`);
    },
    async listWallets() {
      try {
        return (await readdir(walletsDir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw cause;
      }
    },
  };
}
