import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseError } from '@custos/core';
import { coreMigrations, mpcMigrations, openPGlite } from '@custos/db';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveServerConfig } from '../config.js';
import { resolveMasterKey } from './master-key.js';
import { checkMasterKey, MasterKeyError, parseMasterKey, type SecretBinding, SecretBox } from './secrets.js';

const KEY_A = new Uint8Array(32).fill(0xa1);
const KEY_B = new Uint8Array(32).fill(0xb2);
const BINDING: SecretBinding = { field: 'mpc_wallets.server_share', rowId: 'w1', generation: 1 };

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof MasterKeyError) return `${error.code}:${error.reason}`;
    throw error;
  }
  throw new Error('expected a MasterKeyError');
}

describe('SecretBox (AES-256-GCM under the master key)', () => {
  it('round-trips any bytes and JSON, with a fresh IV each time', () => {
    const box = new SecretBox(KEY_A);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (plaintext) => {
        expect(box.open(BINDING, box.seal(BINDING, plaintext))).toEqual(plaintext);
      }),
      { numRuns: 50 },
    );
    const value = { share: 'ab'.repeat(32), nested: [1, 2, { x: null }] };
    expect(box.openJson(BINDING, box.sealJson(BINDING, value))).toEqual(value);
    expect(box.sealJson(BINDING, value)).not.toEqual(box.sealJson(BINDING, value));
  });

  it('never stores the plaintext or the key', () => {
    const box = new SecretBox(KEY_A);
    const secret = 'deadbeef'.repeat(8);
    const sealed = Buffer.from(box.sealJson(BINDING, { share: secret }));
    expect(sealed.toString('latin1')).not.toContain(secret);
    expect(sealed.includes(Buffer.from(KEY_A))).toBe(false);
  });

  it('a wrong master key is a clear configuration error that names no value', () => {
    const sealed = new SecretBox(KEY_A).sealJson(BINDING, { share: '11'.repeat(32) });
    let caught: unknown;
    try {
      new SecretBox(KEY_B).openJson(BINDING, sealed);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MasterKeyError);
    const error = caught as MasterKeyError;
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.reason).toBe('wrong-key');
    expect(error.details).toMatchObject({ check: 'secret.wrong-key', field: 'mpc_wallets.server_share' });
    expect(error.message).not.toContain('11'.repeat(32));
  });

  it('refuses a ciphertext moved to another field, row or generation (associated data)', () => {
    const box = new SecretBox(KEY_A);
    const sealed = box.seal(BINDING, new Uint8Array([1, 2, 3]));
    for (const other of [
      { ...BINDING, field: 'mpc_wallets.pairing' },
      { ...BINDING, rowId: 'w2' },
      { ...BINDING, generation: 2 },
    ]) {
      expect(reasonOf(() => box.open(other, sealed))).toBe('INTERNAL:tampered');
    }
  });

  it('refuses any flipped byte: header, ciphertext or tag', () => {
    const box = new SecretBox(KEY_A);
    const sealed = box.seal(BINDING, new Uint8Array(40).fill(9));
    for (const at of [0, 1, 9, 12, 21, 30, sealed.length - 1]) {
      const tampered = sealed.slice();
      tampered[at] = (tampered[at] as number) ^ 0x01;
      expect(['INTERNAL:tampered', 'INTERNAL:format', 'INVALID_CONFIG:wrong-key']).toContain(
        reasonOf(() => box.open(BINDING, tampered)),
      );
    }
    expect(reasonOf(() => box.open(BINDING, sealed.subarray(0, 20)))).toBe('INTERNAL:format');
  });

  it('parses a master key of 64 hex characters only, naming the source', () => {
    expect(parseMasterKey(`${'ab'.repeat(32)}\n`, 'x')).toEqual(new Uint8Array(32).fill(0xab));
    for (const bad of ['', 'ab'.repeat(31), 'zz'.repeat(32), 'ab'.repeat(33)]) {
      expect(() => parseMasterKey(bad, '--master-key-file (k)')).toThrow(/invalid --master-key-file \(k\)/);
    }
  });
});

describe('the database remembers which master key sealed it', () => {
  it('a second node with another key refuses to start', async () => {
    const db = await openPGlite();
    try {
      await db.migrate([...(await coreMigrations()), ...(await mpcMigrations())]);
      await checkMasterKey(db, new SecretBox(KEY_A), 'CUSTOS_MASTER_KEY');
      await checkMasterKey(db, new SecretBox(KEY_A), 'CUSTOS_MASTER_KEY');
      const refused = await checkMasterKey(db, new SecretBox(KEY_B), 'CUSTOS_MASTER_KEY').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(BaseError);
      expect((refused as BaseError).code).toBe('INVALID_CONFIG');
      expect((refused as BaseError).shortMessage).toContain('CUSTOS_MASTER_KEY');
    } finally {
      await db.close();
    }
  });
});

describe('where the master key comes from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custos-master-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates <dataDir>/master-key once (0600) and reads it back after', () => {
    const config = resolveServerConfig({ dataDir: dir });
    const first = resolveMasterKey(config);
    expect(first.generated).toBe(true);
    expect(first.file).toBe(join(dir, 'master-key'));
    expect(statSync(join(dir, 'master-key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'master-key'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    const second = resolveMasterKey(config);
    expect(second.generated).toBe(false);
    expect(second.key).toEqual(first.key);
  });

  it('a configured key wins: --master-key-file, then CUSTOS_MASTER_KEY', () => {
    const file = join(dir, 'configured');
    writeFileSync(file, 'cd'.repeat(32));
    const fromFile = resolveMasterKey(resolveServerConfig({ dataDir: dir, masterKeyFile: file }));
    expect(fromFile).toMatchObject({ source: '--master-key-file', generated: false });
    expect(fromFile.key).toEqual(new Uint8Array(32).fill(0xcd));
    const fromEnv = resolveMasterKey(resolveServerConfig({ dataDir: dir }, { CUSTOS_MASTER_KEY: 'ef'.repeat(32) }));
    expect(fromEnv).toMatchObject({ source: 'CUSTOS_MASTER_KEY', generated: false });
    expect(fromEnv.key).toEqual(new Uint8Array(32).fill(0xef));
  });

  it('bad keys are one INVALID_CONFIG line that never shows the value', () => {
    const file = join(dir, 'bad');
    writeFileSync(file, 'not-a-key');
    expect(() => resolveMasterKey(resolveServerConfig({ dataDir: dir, masterKeyFile: file }))).toThrow(
      /^invalid --master-key-file/,
    );
    expect(() => resolveMasterKey(resolveServerConfig({ dataDir: dir, masterKeyFile: join(dir, 'missing') }))).toThrow(
      /cannot read .*missing \(ENOENT\)/,
    );
    try {
      resolveServerConfig({}, { CUSTOS_MASTER_KEY: 'secret-but-too-short' });
      expect.unreachable();
    } catch (error) {
      expect((error as BaseError).shortMessage).toBe('invalid CUSTOS_MASTER_KEY: must be 64 hex characters (32 bytes)');
    }
  });
});
