import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaseError } from '@custos/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderBackupStore } from './backup-store.js';

describe('FolderBackupStore', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'custos-backup-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes files with mode 0600 in a 0700 folder it creates, reads them back, lists them', async () => {
    const dir = join(root, 'nested', 'backups');
    const store = new FolderBackupStore(dir);
    expect(await store.list()).toEqual([]);
    expect(await store.get('wallet.json')).toBeUndefined();
    await store.put('wallet.json', Uint8Array.of(1, 2, 3));
    await store.put('another.json', Uint8Array.of(4));
    expect(await store.get('wallet.json')).toEqual(Uint8Array.of(1, 2, 3));
    expect(await store.list()).toEqual(['another.json', 'wallet.json']);
    expect((await stat(join(dir, 'wallet.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('replaces a file atomically and leaves no temporary files behind', async () => {
    const store = new FolderBackupStore(root);
    await store.put('wallet.json', Uint8Array.of(1));
    await Promise.all([
      store.put('wallet.json', Uint8Array.of(2, 2)),
      store.put('wallet.json', Uint8Array.of(3, 3, 3)),
    ]);
    const got = await store.get('wallet.json');
    expect([2, 3]).toContain(got?.length);
    expect(got?.every((b) => b === got.length)).toBe(true);
    expect(await readdir(root)).toEqual(['wallet.json']);
  });

  it('refuses names that could escape the folder', async () => {
    const store = new FolderBackupStore(root);
    for (const name of ['../escape.json', 'a/b.json', '.hidden']) {
      const error = await store.put(name, Uint8Array.of(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as BaseError).code).toBe('INVALID_INPUT');
    }
    expect(await readdir(root)).toEqual([]);
  });
});
