/**
 * The browser entry pulls in no Node API: every module reachable from `browser.ts` through
 * relative imports is read and none imports `node:` (or a package that is Node-only here). The
 * zero-knowledge verifier is reachable and exported — the very functions the main entry exports —
 * and the zero-knowledge prover (`zk/prove.ts`, `zk/trace.ts`) is not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Relative imports, type-only ones included (a type-only import is still a module to read). */
function reachable(file: URL, seen = new Set<string>()): Set<string> {
  if (seen.has(file.pathname)) return seen;
  seen.add(file.pathname);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/from '(\.[^']+)\.js'/g)) reachable(new URL(`${match[1]}.ts`, file), seen);
  return seen;
}

/** Packages a browser module may import: pure ones, and the STARK verifier's entry (not the prover's). */
const BROWSER_PACKAGES = /^(@custos\/core|@custos\/stark\/verifier|@noble\/(hashes|curves)\/[a-z0-9/.]+|@scure\/base)$/;

describe('@custos/por/verify', () => {
  const files = [...reachable(new URL('./browser.ts', import.meta.url))];
  const relative = files.map((f) => f.slice(new URL('.', import.meta.url).pathname.length));

  it('reaches only pure modules (no node: imports, no Node-only package)', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/from 'node:/);
      expect(text, f).not.toMatch(/import\(['"]node:/);
      for (const match of text.matchAll(/from '([^.'][^']*)'/g)) expect(match[1], f).toMatch(BROWSER_PACKAGES);
    }
  });

  it('reaches the zero-knowledge verifier, and not its prover', () => {
    for (const f of ['zk/round.ts', 'zk/leaf.ts', 'zk/air.ts']) expect(relative).toContain(f);
    for (const f of ['zk/prove.ts', 'zk/trace.ts', 'proof.ts', 'build.ts', 'bundle.ts'])
      expect(relative).not.toContain(f);
  });

  it('exports the verifiers the CLI uses', async () => {
    const entry = await import('@custos/por/verify');
    const main = await import('@custos/por');
    expect(entry.verifyInclusionProof).toBe(main.verifyInclusionProof);
    expect(entry.verifyRoot).toBe(main.verifyRoot);
    expect(entry.verifyZkInclusion).toBe(main.verifyZkInclusion);
    expect(entry.verifyBatch).toBe(main.verifyBatch);
    expect(entry.checkStatement).toBe(main.checkStatement);
    expect(entry.ZkVerifyError).toBe(main.ZkVerifyError);
    expect(entry.solvencyAir).toBe(main.solvencyAir);
    expect(entry.userLeaf).toBe(main.userLeaf);
    expect(typeof entry.checkStatementForRoot).toBe('function');
    expect('proveRound' in entry).toBe(false);
    expect('batchTrace' in entry).toBe(false);
  });
});
