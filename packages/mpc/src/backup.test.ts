import { BaseError } from '@custos/core';
import { gcm } from '@noble/ciphers/aes.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  BACKUP_KDF_MINIMUM,
  type BackupFile,
  type BackupOptions,
  backupAssociatedData,
  decryptBackup,
  encodeBackup,
  encryptBackup,
  MemoryBackupStore,
  parseBackup,
} from './backup.js';
import { mulG, pointToHex, randomScalar, scalarToHex } from './curve.js';
import { MpcError } from './errors.js';

const PASSWORD = 'gravel-otter-minute-lantern';
/** Fast scrypt for tests: lowered only through the explicit testing option. */
const FAST = { N: 2 ** 10, r: 8, p: 1 };
const fast: BackupOptions = { kdf: FAST, unsafeTestingMinimumKdf: FAST };

const x = randomScalar();
const input = {
  share: scalarToHex(x),
  publicKey: pointToHex(mulG(randomScalar())),
  chainCode: bytesToHex(crypto.getRandomValues(new Uint8Array(32))),
  sharePublicKey: pointToHex(mulG(x)),
  transcriptHash: bytesToHex(crypto.getRandomValues(new Uint8Array(32))),
  walletId: 'w_123',
};

async function rejects(promise: Promise<unknown>, code: string, check: string): Promise<MpcError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MpcError);
  expect({ code: (error as MpcError).code, check: (error as MpcError).check }).toEqual({ code, check });
  expect(JSON.stringify({ m: (error as MpcError).message, d: (error as MpcError).details })).not.toContain(PASSWORD);
  return error as MpcError;
}

const flipHex = (h: string) => `${h.slice(0, -1)}${h.endsWith('0') ? '1' : '0'}`;
const otherPoint = () => pointToHex(mulG(randomScalar()));

describe('cloud backup', () => {
  it('round-trips the share and its public facts (object, JSON text and bytes)', async () => {
    const file = await encryptBackup(input, PASSWORD, fast);
    expect(file).toMatchObject({
      version: 1,
      partyIndex: 3,
      kdf: { name: 'scrypt', ...FAST },
      cipher: { name: 'aes-256-gcm' },
    });
    expect(JSON.stringify(file)).not.toContain(input.share);
    for (const form of [file, JSON.stringify(file), encodeBackup(file)]) {
      const out = await decryptBackup(form, PASSWORD, fast);
      expect(out).toEqual({ ...input, partyIndex: 3, createdAt: file.createdAt });
    }
  });

  it(`full production cost (scrypt N=2^${Math.log2(BACKUP_KDF_MINIMUM.N)}, r=${BACKUP_KDF_MINIMUM.r}, p=${BACKUP_KDF_MINIMUM.p})`, async () => {
    const start = performance.now();
    const file = await encryptBackup(input, PASSWORD);
    const encryptMs = performance.now() - start;
    expect(file.kdf).toMatchObject(BACKUP_KDF_MINIMUM);
    const out = await decryptBackup(file, PASSWORD);
    expect(out.share).toBe(input.share);
    // Printed for the README's performance section; scrypt is the whole cost.
    console.info(`backup scrypt N=2^17 r=8 p=1: encrypt ${encryptMs.toFixed(0)} ms`);
  }, 30_000);

  it('wrong password → MPC_BACKUP_WRONG_PASSWORD', async () => {
    const file = await encryptBackup(input, PASSWORD, fast);
    await rejects(decryptBackup(file, `${PASSWORD}!`, fast), 'MPC_BACKUP_WRONG_PASSWORD', 'backup.decrypt');
  });

  it('any modified header field or ciphertext fails authentication (reported as "wrong password or modified file")', async () => {
    const file = await encryptBackup(input, PASSWORD, fast);
    const { walletId: _drop, ...withoutWallet } = file;
    const tampered: BackupFile[] = [
      { ...file, kdf: { ...file.kdf, N: 2 ** 11 } },
      { ...file, kdf: { ...file.kdf, r: 9 } },
      { ...file, kdf: { ...file.kdf, p: 2 } },
      { ...file, kdf: { ...file.kdf, salt: flipHex(file.kdf.salt) } },
      { ...file, cipher: { ...file.cipher, nonce: flipHex(file.cipher.nonce) } },
      { ...file, ciphertext: flipHex(file.ciphertext) },
      { ...file, partyIndex: 2 },
      { ...file, publicKey: otherPoint() },
      { ...file, chainCode: flipHex(file.chainCode) },
      { ...file, sharePublicKey: otherPoint() },
      { ...file, transcriptHash: flipHex(file.transcriptHash) },
      { ...file, walletId: 'w_124' },
      withoutWallet,
      { ...file, createdAt: '2001-01-01T00:00:00.000Z' },
    ];
    for (const bad of tampered) {
      await rejects(decryptBackup(bad, PASSWORD, fast), 'MPC_BACKUP_WRONG_PASSWORD', 'backup.decrypt');
    }
  });

  it('structurally invalid files → MPC_BACKUP_CORRUPT naming the problem', async () => {
    const file = await encryptBackup(input, PASSWORD, fast);
    const text = JSON.stringify(file);
    const corrupt = 'MPC_BACKUP_CORRUPT';
    await rejects(decryptBackup('not json', PASSWORD, fast), corrupt, 'backup.json');
    await rejects(decryptBackup(text.slice(0, text.length - 20), PASSWORD, fast), corrupt, 'backup.json');
    await rejects(decryptBackup(Uint8Array.of(0xff, 0xfe), PASSWORD, fast), corrupt, 'backup.json');
    await rejects(decryptBackup({ ...file, version: 2 }, PASSWORD, fast), corrupt, 'backup.version');
    await rejects(decryptBackup([], PASSWORD, fast), corrupt, 'backup.version');
    const { transcriptHash: _t, ...missing } = file;
    expect((await rejects(decryptBackup(missing, PASSWORD, fast), corrupt, 'backup.shape')).details.field).toBe(
      'transcriptHash',
    );
    await rejects(decryptBackup({ ...file, extra: 1 }, PASSWORD, fast), corrupt, 'backup.shape');
    await rejects(
      decryptBackup({ ...file, chainCode: file.chainCode.toUpperCase() }, PASSWORD, fast),
      corrupt,
      'backup.shape',
    );
    await rejects(
      decryptBackup({ ...file, kdf: { ...file.kdf, name: 'argon2id' } }, PASSWORD, fast),
      corrupt,
      'backup.shape',
    );
    await rejects(decryptBackup({ ...file, createdAt: 'yesterday' }, PASSWORD, fast), corrupt, 'backup.shape');
    await rejects(
      decryptBackup({ ...file, publicKey: `02${'0'.repeat(63)}5` }, PASSWORD, fast),
      corrupt,
      'backup.point',
    );
    await rejects(
      decryptBackup({ ...file, ciphertext: file.ciphertext.slice(0, -2) }, PASSWORD, fast),
      corrupt,
      'backup.ciphertext-length',
    );
    await rejects(
      decryptBackup({ ...file, ciphertext: `${file.ciphertext}00` }, PASSWORD, fast),
      corrupt,
      'backup.ciphertext-length',
    );
  });

  it('refuses a KDF cost below the minimum (downgrade) or absurdly high', async () => {
    const file = await encryptBackup(input, PASSWORD, fast);
    // Without the testing option the production minimum applies: a cheap file is refused before scrypt runs.
    await rejects(decryptBackup(file, PASSWORD), 'MPC_BACKUP_CORRUPT', 'backup.kdf-minimum');
    await rejects(
      decryptBackup({ ...file, kdf: { ...file.kdf, N: 2 ** 16 } }, PASSWORD),
      'MPC_BACKUP_CORRUPT',
      'backup.kdf-minimum',
    );
    await rejects(
      decryptBackup({ ...file, kdf: { ...file.kdf, N: 2 ** 17, r: 4 } }, PASSWORD),
      'MPC_BACKUP_CORRUPT',
      'backup.kdf-minimum',
    );
    await rejects(
      decryptBackup({ ...file, kdf: { ...file.kdf, N: 3000 } }, PASSWORD, fast),
      'MPC_BACKUP_CORRUPT',
      'backup.kdf-parameters',
    );
    await rejects(
      decryptBackup({ ...file, kdf: { ...file.kdf, N: 2 ** 21 } }, PASSWORD, fast),
      'MPC_BACKUP_CORRUPT',
      'backup.kdf-maximum',
    );
    await rejects(
      decryptBackup({ ...file, kdf: { ...file.kdf, N: 2 ** 20, r: 16 } }, PASSWORD, fast),
      'MPC_BACKUP_CORRUPT',
      'backup.kdf-maximum',
    );
  });

  it('a decrypted share that does not match sharePublicKey → MPC_BACKUP_CORRUPT', async () => {
    // A file written by a broken encryptor: authentic, but share·G ≠ sharePublicKey.
    const header = {
      version: 1,
      kdf: { name: 'scrypt', ...FAST, salt: '11'.repeat(32) },
      cipher: { name: 'aes-256-gcm', nonce: '22'.repeat(12) },
      partyIndex: 3,
      publicKey: input.publicKey,
      chainCode: input.chainCode,
      sharePublicKey: otherPoint(),
      transcriptHash: input.transcriptHash,
      createdAt: new Date().toISOString(),
    } as const;
    const key = await scryptAsync(PASSWORD, hexToBytes(header.kdf.salt), { ...FAST, dkLen: 32 });
    const ciphertext = gcm(key, hexToBytes(header.cipher.nonce), backupAssociatedData(header)).encrypt(
      hexToBytes(input.share),
    );
    const file = parseBackup({ ...header, ciphertext: bytesToHex(ciphertext) });
    await rejects(decryptBackup(file, PASSWORD, fast), 'MPC_BACKUP_CORRUPT', 'backup.share-public-key');
  });

  it('encryption refuses a weak password, a share that does not match its point, and a KDF below the minimum', async () => {
    await rejects(encryptBackup(input, 'password1234', fast), 'MPC_WEAK_PASSWORD', 'password.score');
    await rejects(encryptBackup(input, 'short', fast), 'MPC_WEAK_PASSWORD', 'password.length');
    await rejects(
      encryptBackup({ ...input, sharePublicKey: otherPoint() }, PASSWORD, fast),
      'MPC_KEY_MISMATCH',
      'backup.share-public-key',
    );
    for (const options of [{ kdf: FAST }, { kdf: { ...BACKUP_KDF_MINIMUM, N: 2 ** 21 } }]) {
      const error = await encryptBackup(input, PASSWORD, options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BaseError);
      expect((error as BaseError).code).toBe('INVALID_INPUT');
    }
  });
});

describe('MemoryBackupStore', () => {
  it('stores copies, lists names, returns undefined for a missing name', async () => {
    const store = new MemoryBackupStore();
    const bytes = Uint8Array.of(1, 2, 3);
    await store.put('wallet-b.json', bytes);
    await store.put('wallet-a.json', Uint8Array.of(9));
    bytes[0] = 7;
    expect(await store.get('wallet-b.json')).toEqual(Uint8Array.of(1, 2, 3));
    expect(await store.list()).toEqual(['wallet-a.json', 'wallet-b.json']);
    expect(await store.get('nope')).toBeUndefined();
  });

  it('refuses names that are not plain file names', async () => {
    const store = new MemoryBackupStore();
    for (const name of ['../x', 'a/b', '.hidden', '', 'a\\b', 'x'.repeat(129)]) {
      const error = await store.put(name, new Uint8Array(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as BaseError).code).toBe('INVALID_INPUT');
    }
  });
});
