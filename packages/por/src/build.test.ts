/**
 * The build record and resumes: a resume keeps the round id, snapshot time, salt secret, format
 * and signing key the build began with — given again with another value it is refused with a
 * typed error naming the setting (never the secret), left out it reuses the recorded one; and
 * `build.json` is always mode 0600, even when a crash left a `build.json.tmp` of another mode.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildOptions, buildLiabilitiesTree, deriveSaltSecret, readBuildState } from './build.js';
import { keyFingerprint, type RootFile } from './root.js';
import { writeSnapshot } from './testing/snapshot.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-por-build-'));
const SEED = new Uint8Array(32).map((_, i) => i + 7);
const OTHER_SEED = new Uint8Array(32).fill(9);
const SALT = new Uint8Array(32).fill(0xa5);
const OTHER_SALT = new Uint8Array(32).fill(0x5a);
const FIXED = { signingSeed: SEED, roundId: '2026-11', snapshotTime: '2026-11-30T23:59:59.000Z' } as const;
const input = join(dir, 'snapshot.csv');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Rejection = Error & { code?: string; details?: Record<string, unknown> };
const rejection = (run: () => unknown): Rejection => {
  try {
    run();
  } catch (error) {
    return error as Rejection;
  }
  throw new Error('expected a rejection');
};

let rounds = 0;
/** A build of `input` stopped in the order phase (the leaves done and recorded). */
function interrupted(options: Partial<BuildOptions> = {}): string {
  const out = join(dir, `round-${rounds++}`);
  const stop = new Error('interrupted');
  expect(() =>
    buildLiabilitiesTree({
      ...FIXED,
      input,
      out,
      ...options,
      onProgress: (p) => {
        if (p.phase === 'order') throw stop;
      },
    }),
  ).toThrow(stop);
  expect(readBuildState(out)?.phase).toBe('order');
  return out;
}

let expected: RootFile;

beforeAll(async () => {
  await writeSnapshot(input, { users: 3_000, assets: 3, seed: 4 });
  expected = buildLiabilitiesTree({ ...FIXED, input, out: join(dir, 'clean') }).root;
});

describe('a resume keeps the settings the build began with', () => {
  it('another round id is refused; without one the recorded round id is reused', () => {
    const out = interrupted();
    const error = rejection(() => buildLiabilitiesTree({ ...FIXED, input, out, roundId: '2026-12' }));
    expect(error).toMatchObject({
      code: 'POR_INVALID_INPUT',
      details: { setting: 'round id', given: '2026-12', recorded: '2026-11' },
    });
    expect(error.message).toMatch(
      /^the round id differs from the one the interrupted build in .* began with \(2026-11\): resume with the same --round-id, or without --round-id to reuse the recorded one, or remove .* to build from scratch with the new round id\n/,
    );
    expect(readBuildState(out)?.phase).toBe('order'); // untouched
    const resumed = buildLiabilitiesTree({ input, out, signingSeed: SEED });
    expect(resumed.resumed).toBe(true);
    expect(resumed.root).toEqual(expected);
  });

  it('the same round id and snapshot time given again resume', () => {
    const out = interrupted();
    const resumed = buildLiabilitiesTree({ ...FIXED, input, out, snapshotTime: '2026-11-30T23:59:59Z' });
    expect(resumed.root).toEqual(expected);
  });

  it('another salt secret is refused without showing either secret; the same one, or none, resumes', () => {
    const out = interrupted({ saltSecret: SALT });
    const error = rejection(() => buildLiabilitiesTree({ ...FIXED, input, out, saltSecret: OTHER_SALT }));
    expect(error).toMatchObject({ code: 'POR_INVALID_INPUT', details: { setting: 'salt secret' } });
    expect(error.message).toMatch(
      /^the salt secret differs from the one the interrupted build in .* began with: resume with the same --salt-secret, or without --salt-secret to reuse the recorded one, or remove/,
    );
    expect(error.details).toEqual({ setting: 'salt secret' });
    const shown = JSON.stringify({ message: error.message, details: error.details });
    for (const secret of [SALT, OTHER_SALT]) expect(shown).not.toContain(bytesToHex(secret));
    // A shorter secret is a different one too (compared without throwing on the length).
    expect(
      rejection(() => buildLiabilitiesTree({ ...FIXED, input, out, saltSecret: SALT.subarray(0, 16) })).details,
    ).toMatchObject({ setting: 'salt secret' });
    const same = buildLiabilitiesTree({ ...FIXED, input, out, saltSecret: SALT });
    expect(same.resumed).toBe(true);
    const out2 = interrupted({ saltSecret: SALT });
    expect(buildLiabilitiesTree({ ...FIXED, input, out: out2 }).root).toEqual(same.root);
    expect(same.root.rootHash).not.toBe(expected.rootHash);
  });

  it('a salt secret given on resume must equal the one derived when the build began without one', () => {
    const out = interrupted();
    expect(rejection(() => buildLiabilitiesTree({ ...FIXED, input, out, saltSecret: SALT })).details).toMatchObject({
      setting: 'salt secret',
    });
    expect(buildLiabilitiesTree({ ...FIXED, input, out, saltSecret: deriveSaltSecret(SEED) }).root).toEqual(expected);
  });

  it('another signing key is refused, naming both fingerprints', () => {
    const out = interrupted();
    const error = rejection(() => buildLiabilitiesTree({ ...FIXED, input, out, signingSeed: OTHER_SEED }));
    const given = keyFingerprint(bytesToHex(ed25519.getPublicKey(OTHER_SEED)));
    const recorded = keyFingerprint(bytesToHex(ed25519.getPublicKey(SEED)));
    expect(error).toMatchObject({
      code: 'POR_INVALID_INPUT',
      details: { setting: 'signing key', given: `key ${given}`, recorded: `key ${recorded}` },
    });
    expect(error.message).toMatch(
      new RegExp(`^the signing key differs from .* began with \\(key ${recorded}\\): resume with the --signing-key`),
    );
    expect(buildLiabilitiesTree({ ...FIXED, input, out }).root).toEqual(expected);
  });

  it('a record from before the key was kept still resumes (no key to compare)', () => {
    const out = interrupted();
    const path = join(out, 'build.json');
    const { publicKey: _dropped, ...older } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify(older), { mode: 0o600 });
    expect(buildLiabilitiesTree({ ...FIXED, input, out }).root).toEqual(expected);
  });

  it('another snapshot time or format is refused', () => {
    const out = interrupted();
    expect(
      rejection(() => buildLiabilitiesTree({ ...FIXED, input, out, snapshotTime: '2026-11-30T00:00:00Z' })),
    ).toMatchObject({
      code: 'POR_INVALID_INPUT',
      details: { setting: 'snapshot time', given: '2026-11-30T00:00:00.000Z', recorded: FIXED.snapshotTime },
    });
    expect(rejection(() => buildLiabilitiesTree({ ...FIXED, input, out, format: 'ndjson' }))).toMatchObject({
      code: 'POR_INVALID_INPUT',
      details: { setting: 'format', given: 'ndjson', recorded: 'csv' },
    });
    expect(buildLiabilitiesTree({ ...FIXED, input, out, format: 'csv' }).root).toEqual(expected);
  });

  it('a signing seed that is not 32 bytes is refused before anything is written', () => {
    const out = join(dir, 'short-seed');
    expect(
      rejection(() => buildLiabilitiesTree({ ...FIXED, input, out, signingSeed: SEED.subarray(0, 31) })),
    ).toMatchObject({ code: 'POR_INVALID_INPUT', message: 'an Ed25519 signing seed is 32 bytes' });
    expect(() => statSync(out)).toThrow();
  });
});

describe('build.json stays private', () => {
  const mode = (out: string) => statSync(join(out, 'build.json')).mode & 0o777;
  const leftover = (out: string) => {
    const tmp = join(out, 'build.json.tmp');
    writeFileSync(tmp, '{"left": "over"}\n');
    chmodSync(tmp, 0o644);
    return tmp;
  };
  const stopAt = (phase: string) => {
    const stop = new Error('interrupted');
    return {
      stop,
      onProgress: (p: { phase: string }) => {
        if (p.phase === phase) throw stop;
      },
    };
  };

  it('is mode 0600 from its first write even when a crash left a build.json.tmp of mode 0644', () => {
    const out = join(dir, 'leftover');
    mkdirSync(out, { recursive: true });
    const tmp = leftover(out);
    // Stopped right after the first record is written (before any checkpoint rewrites it).
    const { stop, onProgress } = stopAt('leaves');
    expect(() => buildLiabilitiesTree({ ...FIXED, input, out, onProgress })).toThrow(stop);
    expect(readBuildState(out)?.rows).toBe(0);
    expect(mode(out)).toBe(0o600);
    expect(() => statSync(tmp)).toThrow();
    expect(buildLiabilitiesTree({ ...FIXED, input, out }).root).toEqual(expected);
    expect(mode(out)).toBe(0o600);
  });

  it('a resume past a leftover build.json.tmp of mode 0644 writes its record 0600', () => {
    const first = stopAt('leaves');
    const out = join(dir, 'leftover-resume');
    expect(() => buildLiabilitiesTree({ ...FIXED, input, out, onProgress: first.onProgress })).toThrow(first.stop);
    leftover(out);
    // The resume's first record is the one written when the leaves are done.
    const second = stopAt('order');
    expect(() => buildLiabilitiesTree({ ...FIXED, input, out, onProgress: second.onProgress })).toThrow(second.stop);
    expect(readBuildState(out)?.phase).toBe('order');
    expect(mode(out)).toBe(0o600);
  });
});
