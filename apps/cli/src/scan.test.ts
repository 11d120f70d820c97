/**
 * `custos scan` offline, on the shipped labels: a blind eth_sign exits 1 with the verdict JSON, a
 * plain personal_sign exits 0, bad input exits 2 with one line; `--domain` judges a site.
 */
import { describe, expect, it } from 'vitest';
import { run } from './testing/run.js';

const SIGNER = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const hex = (text: string) => `0x${Buffer.from(text, 'utf8').toString('hex')}`;

describe('custos scan --offline', () => {
  it('blocks eth_sign of a 32-byte hash: exit 1 with the verdict', async () => {
    const r = await run([
      'scan',
      '--offline',
      '--method',
      'eth_sign',
      '--params',
      JSON.stringify([SIGNER, `0x${'cd'.repeat(32)}`]),
    ]);
    expect(r.code, r.stderr).toBe(1);
    const verdict = JSON.parse(r.stdout);
    expect(verdict).toMatchObject({ action: 'block', decoded: { type: 'message', method: 'eth_sign' } });
    expect(verdict.findings.some((f: { severity: string }) => f.severity === 'critical')).toBe(true);
  });

  it('allows a plain personal_sign text: exit 0', async () => {
    const r = await run([
      '--json',
      'scan',
      '--offline',
      '--chain-id',
      '1',
      '--origin',
      'https://app.uniswap.org',
      '--method',
      'personal_sign',
      '--params',
      JSON.stringify([hex('Welcome! Sign in to continue.'), SIGNER]),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const verdict = JSON.parse(r.stdout);
    expect(verdict.action).not.toBe('block');
    expect(verdict.decoded).toMatchObject({ type: 'message', text: 'Welcome! Sign in to continue.' });
  });

  it('judges a site with --domain: a block-listed one exits 1', async () => {
    const bad = await run(['scan', '--offline', '--domain', 'https://metamask-io.com']);
    expect(bad.code, bad.stderr).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ action: 'block', domain: { tier: 'block' } });
    const good = await run(['scan', '--offline', '--domain', 'metamask.io']);
    expect(good.code, good.stderr).toBe(0);
  });

  it.each([
    [['--params', '[not json'], /^custos: --params is not JSON/],
    [['--params', '[]', '--method', 'eth_call'], /is not scanned/],
    [['--params', JSON.stringify([{ from: SIGNER, to: SIGNER, value: '<entire balance>' }])], /"value"/],
    [['--params', '[]', '--simulate'], /--simulate needs a server/],
    [['--params', '[]', '--method', ''], /--method/],
  ])('bad input %j exits 2 with one line', async (args, pattern) => {
    const withMethod = args.includes('--method') ? args : [...args, '--method', 'eth_sendTransaction'];
    const r = await run(['scan', '--offline', ...withMethod]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(pattern);
    expect(r.stdout).toBe('');
  });
});
