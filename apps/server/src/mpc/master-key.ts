/**
 * Where the server's master key comes from, in order: `--master-key-file` (or
 * CUSTOS_MASTER_KEY_FILE), then CUSTOS_MASTER_KEY, else `<data dir>/master-key` — read if it
 * exists, generated (32 random bytes, hex, mode 0600) if not. Unlike the dev operator token the
 * file is never removed: it is what the stored MPC server shares are sealed under. Losing it loses
 * every server share; users keep their funds through the device share and the backup (the
 * offline escape), but no wallet co-signs any more. Back it up apart from the database.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaseError } from '@custos/core';
import type { ServerConfig } from '../config.js';
import { parseMasterKey } from './secrets.js';

export interface ResolvedMasterKey {
  readonly key: Uint8Array;
  /** How it is named in messages: a flag, a variable or a file. */
  readonly source: string;
  /** The file it was read from or written to, when it came from one. */
  readonly file?: string;
  readonly generated: boolean;
}

function readKeyFile(path: string, source: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new BaseError('INVALID_CONFIG', `invalid ${source}: cannot read ${path} (${reason})`, {
      details: { setting: 'masterKey' },
      cause,
    });
  }
  return parseMasterKey(text, `${source} (${path})`);
}

/** The data directory must exist already (the caller creates it). */
export function resolveMasterKey(config: ServerConfig): ResolvedMasterKey {
  if (config.masterKeyFile !== undefined) {
    const source = '--master-key-file';
    return { key: readKeyFile(config.masterKeyFile, source), source, file: config.masterKeyFile, generated: false };
  }
  if (config.masterKey !== undefined) {
    return {
      key: parseMasterKey(config.masterKey, 'CUSTOS_MASTER_KEY'),
      source: 'CUSTOS_MASTER_KEY',
      generated: false,
    };
  }
  const file = join(config.dataDir, 'master-key');
  if (existsSync(file)) return { key: readKeyFile(file, 'master key file'), source: file, file, generated: false };
  const key = randomBytes(32);
  try {
    // `wx`: never overwrite a key another process wrote a moment ago.
    writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      return { key: readKeyFile(file, 'master key file'), source: file, file, generated: false };
    }
    const reason = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new BaseError('INVALID_CONFIG', `cannot write the master key to ${file} (${reason})`, {
      details: { setting: 'masterKey' },
      cause,
    });
  }
  return { key: new Uint8Array(key), source: file, file, generated: true };
}
