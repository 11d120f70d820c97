/**
 * What the published package carries: the shipped default set and its sources with their
 * licences — never the Etherscan-scraped fixtures (unclear terms), GPL data or tests.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('the published @custos/labels package', () => {
  it('ships data/default.clx and the licensed sources, not fixtures, tests or GPL data', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--workspace', '@custos/labels'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
    expect(files).toContain('data/default.clx');
    expect(files).toContain('data/sources/SOURCES.md');
    expect(files).toContain('data/sources/ofac-ultrasoundmoney/LICENSE');
    expect(files).toContain('data/sources/metamask-eth-phishing-detect/LICENSE');
    expect(files.filter((f) => f.startsWith('fixtures/'))).toEqual([]);
    // Data only: the importers' own code (scamsniffer.ts …) ships, their formats' files do not.
    const data = files.filter((f) => !/\.(ts|js|map)$/.test(f));
    expect(data.filter((f) => /etherscan-labels|etherscan-by-label|scamsniffer/.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.test.ts') || f.includes('/testing/'))).toEqual([]);
  });
});
