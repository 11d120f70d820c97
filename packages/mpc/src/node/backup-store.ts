/**
 * A BackupStore on a local folder (a synced cloud-drive folder, or a test directory). Each write is
 * atomic — a temporary file in the same folder, written with mode 0600, fsynced, then renamed over
 * the target, and the folder fsynced — so a crash never leaves a half-written backup in place of a
 * good one (POSIX rename(2) atomicity). The folder is created with mode 0700.
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assertBackupName, type BackupStore } from '../backup.js';

export class FolderBackupStore implements BackupStore {
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  async put(name: string, bytes: Uint8Array): Promise<void> {
    assertBackupName(name);
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const suffix = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join(
      '',
    );
    // A leading dot keeps temporary files out of `list()` (backup names cannot start with one).
    const temporary = join(this.directory, `.${name}.${suffix}.tmp`);
    const target = join(this.directory, name);
    try {
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    await syncDirectory(this.directory);
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    assertBackupName(name);
    try {
      return new Uint8Array(await readFile(join(this.directory, name)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names.filter((n) => !n.startsWith('.')).sort();
  }
}

/** Makes the rename durable. Some platforms cannot fsync a directory; the rename is still atomic. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR') throw error;
  } finally {
    await handle.close();
  }
}
