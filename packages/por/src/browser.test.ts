/**
 * The browser entry pulls in no Node API: every module reachable from `browser.ts` through
 * relative imports is read and none imports `node:` (or a package that is Node-only here).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function reachable(file: URL, seen = new Set<string>()): Set<string> {
  if (seen.has(file.pathname)) return seen;
  seen.add(file.pathname);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/from '(\.[^']+)\.js'/g)) reachable(new URL(`${match[1]}.ts`, file), seen);
  return seen;
}

describe('@custos/por/verify', () => {
  it('reaches only pure modules (no node: imports)', () => {
    const files = [...reachable(new URL('./browser.ts', import.meta.url))];
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/from 'node:/);
  });

  it('exports the verifier the CLI uses', async () => {
    const entry = await import('@custos/por/verify');
    const main = await import('@custos/por');
    expect(entry.verifyInclusionProof).toBe(main.verifyInclusionProof);
    expect(entry.verifyRoot).toBe(main.verifyRoot);
  });
});
