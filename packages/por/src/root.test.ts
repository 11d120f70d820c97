/**
 * The root file's shape check: every asset's scale is an integer 0–12 and no symbol appears twice
 * (a root that breaks either is refused as malformed, POR_PROOF_INVALID with reason
 * `malformed-root`, before its signature is looked at — even when the signature is valid).
 */
import { describe, expect, it } from 'vitest';
import { MAX_SCALE, parseRootFile, ROOT_VERSION, type RootFile, signRoot } from './root.js';
import { verifyRoot } from './verify.js';

const SEED = new Uint8Array(32).fill(3);

function root(assets: unknown[]): RootFile {
  return signRoot(
    {
      version: ROOT_VERSION,
      roundId: '2026-11',
      snapshotTime: '2026-11-30T00:00:00.000Z',
      assets: assets as RootFile['assets'],
      height: 3,
      rootHash: 'ab'.repeat(32),
      totals: assets.map(() => '1'),
    },
    SEED,
  );
}

const rejection = (run: () => unknown): Error & { code?: string; details?: Record<string, unknown> } => {
  try {
    run();
  } catch (error) {
    return error as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
};

describe('parseRootFile: asset scales and symbols', () => {
  it('accepts scales 0 and 12 and distinct symbols', () => {
    const r = root([
      { symbol: 'DOGE', scale: 0 },
      { symbol: 'ETH', scale: MAX_SCALE },
      { symbol: 'eth', scale: 8 },
    ]);
    expect(parseRootFile(r)).toBe(r);
    expect(verifyRoot(r).root).toBe(r);
  });

  it.each([
    ['a scale above 12', 13],
    ['a scale of 18', 18],
    ['a negative scale', -1],
    ['a fractional scale', 1.5],
    ['a scale as a string', '8'],
    ['no scale', undefined],
    ['an infinite scale', Number.POSITIVE_INFINITY],
  ])('refuses %s as malformed', (_name, scale) => {
    const r = root([
      { symbol: 'BTC', scale: 8 },
      { symbol: 'ETH', scale },
    ]);
    for (const check of [() => parseRootFile(r), () => verifyRoot(r)]) {
      const error = rejection(check);
      expect(error).toMatchObject({
        code: 'POR_PROOF_INVALID',
        details: { reason: 'malformed-root', field: 'assets' },
      });
      expect(error.message).toMatch(/^the root file's asset "ETH" has no integer scale 0–12/);
    }
  });

  it('refuses a symbol that appears twice (even at another scale) as malformed', () => {
    const r = root([
      { symbol: 'BTC', scale: 8 },
      { symbol: 'ETH', scale: 8 },
      { symbol: 'BTC', scale: 6 },
    ]);
    for (const check of [() => parseRootFile(r), () => verifyRoot(r)]) {
      const error = rejection(check);
      expect(error).toMatchObject({
        code: 'POR_PROOF_INVALID',
        details: { reason: 'malformed-root', field: 'assets' },
      });
      expect(error.message).toMatch(/^the root file's asset "BTC" appears twice/);
    }
  });

  it('refuses an asset without a symbol', () => {
    for (const asset of [{ scale: 8 }, { symbol: '', scale: 8 }, { symbol: 7, scale: 8 }, null]) {
      expect(rejection(() => parseRootFile(root([asset])))).toMatchObject({
        code: 'POR_PROOF_INVALID',
        details: { reason: 'malformed-root', field: 'assets' },
      });
    }
  });
});
