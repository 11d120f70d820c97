/**
 * `custos labels` end to end: offline look-ups on the shipped index (exit 0 with the answer, exit 2
 * for bad input), then a real server seeding its store, imports of a fixture set (a second import
 * changes nothing), an override that the running server applies at once, stats, and compiling
 * the store into an index file after the server stops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { interrupt, run, serve } from './testing/run.js';

const TOKEN = 'labels-cli-operator-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'custos-cli-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const LAZARUS = '0x098B716B8Aaf21512996dC57EB0615e2383E2f96';
const brianleect = fileURLToPath(
  new URL('../../../packages/labels/fixtures/etherscan-labels-brianleect', import.meta.url),
);

describe('custos labels lookup (offline, shipped index)', () => {
  it('answers addresses in any case and domains, as JSON', async () => {
    const r = await run(['labels', 'lookup', LAZARUS.toUpperCase().replace('0X', '0x'), '--chain-id', '137']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ address: LAZARUS.toLowerCase(), chainId: 137, tier: 'block' });
    const d = await run(['labels', 'lookup', 'https://metamask-io.com/claim']);
    expect(JSON.parse(d.stdout)).toMatchObject({ domain: 'metamask-io.com', tier: 'block' });
  });

  it.each([
    [['labels', 'lookup', '0x1234'], /is not a 20-byte hex address/],
    [['labels', 'lookup', 'not a domain'], /is not a domain name/],
    [['labels', 'lookup', LAZARUS, '--chain-id', 'x'], /chain id/],
    [['labels', 'lookup', LAZARUS, '--index', '/nonexistent/index.clx'], /cannot open the label index/],
    [['labels', 'import', 'no-such-source', '.'], /unknown label source/i],
  ])('bad input %j exits 2 with one line', async (args, pattern) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(pattern);
  });
});

describe('custos labels through a server', () => {
  it('seeds, imports idempotently, overrides at once, reports stats, and compiles', async () => {
    const dataDir = join(dir, 'server');
    const server = await serve(['--port', '0', '--data-dir', dataDir], { CUSTOS_OPERATOR_TOKEN: TOKEN });
    const url = server.info.url as string;
    const cli = (...args: string[]) => run(['--json', '--server', url, '--operator-token', TOKEN, 'labels', ...args]);
    try {
      // The store seeds itself from the shipped sources in the background.
      let stats: { sources: unknown[]; index: { source: string } } | undefined;
      for (let i = 0; i < 120; i++) {
        const r = await cli('stats');
        expect(r.code, r.stderr).toBe(0);
        stats = JSON.parse(r.stdout);
        if (stats?.index.source.startsWith('store generation')) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(stats?.index.source).toMatch(/^store generation \d+$/);
      expect(stats?.sources.length).toBe(10);

      const first = await cli('import', 'etherscan-brianleect', brianleect);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ source: 'etherscan-brianleect', labels: { inserted: 44_971 } });
      const second = await cli('import', 'etherscan-brianleect', brianleect);
      expect(JSON.parse(second.stdout).labels).toMatchObject({
        inserted: 0,
        updated: 0,
        deleted: 0,
        unchanged: 44_971,
      });

      // A chain-scoped explorer label is now answered by the server (Polygon's own label).
      const lookup = async (chain: number, address: string) =>
        (await fetch(`${url}/v1/labels/${chain}/${address}`)).json() as Promise<{ tier: string; decidedBy: string }>;
      expect((await lookup(1, LAZARUS)).tier).toBe('block');

      const set = await cli('override', LAZARUS, '--tier', 'gray', '--reason', 'under review', '--scope', '1');
      expect(set.code, set.stderr).toBe(0);
      expect(await lookup(1, LAZARUS)).toMatchObject({ tier: 'gray', decidedBy: 'override' });
      expect((await lookup(56, LAZARUS)).tier).toBe('block');
      const bad = await cli('override', LAZARUS, '--tier', 'maybe', '--reason', 'x');
      expect(bad.code).toBe(2);
      const removed = await cli('override', LAZARUS, '--remove', '--scope', '1');
      expect(removed.code, removed.stderr).toBe(0);
      expect((await lookup(1, LAZARUS)).tier).toBe('block');
    } finally {
      await interrupt(server.child, server.done);
    }

    const out = join(dir, 'compiled.clx');
    const compiled = await run(['--data-dir', dataDir, 'labels', 'compile', out]);
    expect(compiled.code, compiled.stderr).toBe(0);
    expect(JSON.parse(compiled.stdout).addresses).toBeGreaterThan(50_000);
    const offline = await run([
      'labels',
      'lookup',
      '0x11111112542d85b3ef69ae05771c2dccff4faa26',
      '--chain-id',
      '250',
      '--index',
      out,
    ]);
    expect(JSON.parse(offline.stdout).tier).toBe('block');
  }, 240_000);
});
