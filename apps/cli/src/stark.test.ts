/**
 * `custos stark prove` and `verify` as a user runs them: a proof of each example AIR verifies
 * against the public inputs `prove` printed (exit 0, with its security level); a wrong public
 * input, a tampered file and a demand for more security than the proof has are rejected (exit 1)
 * with the reason; bad usage exits 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './testing/run.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-stark-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('custos stark', () => {
  it.each(['fibonacci', 'range', 'poseidon2', 'poseidon2-rows'])(
    'proves %s (256 rows) and verifies it; refuses a wrong public input and a tampered file',
    async (air) => {
      const out = join(dir, `${air}.bin`);
      const proved = await run(['--json', 'stark', 'prove', '--air', air, '--rows', '256', '--out', out]);
      expect(proved.code, proved.stderr).toBe(0);
      const report = JSON.parse(proved.stdout) as {
        publicInputs: number[];
        securityBits: { conjectured: number; proven: number };
      };
      expect(report.securityBits.conjectured).toBeGreaterThanOrEqual(100);
      const pub = report.publicInputs.join(',');

      const ok = await run(['--json', 'stark', 'verify', '--air', air, '--rows', '256', '--public', pub, out]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual({ valid: true, reason: null, securityBits: report.securityBits });
      const human = await run(['stark', 'verify', '--air', air, '--rows', '256', '--public', pub, out]);
      expect(human.stdout).toMatch(/^valid: .* \d+ bits conjectured, \d+ bits proven/);

      const wrong = report.publicInputs.map((v, i) => (i === report.publicInputs.length - 1 ? v + 1 : v)).join(',');
      const refused = await run(['--json', 'stark', 'verify', '--air', air, '--rows', '256', '--public', wrong, out]);
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({ valid: false, reason: 'ood-constraints' });

      const bytes = readFileSync(out);
      bytes[bytes.length - 40] = (bytes[bytes.length - 40] as number) ^ 0x04;
      const tampered = join(dir, `${air}-tampered.bin`);
      writeFileSync(tampered, bytes);
      const bad = await run(['stark', 'verify', '--air', air, '--rows', '256', '--public', pub, tampered]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^rejected: [a-z-]+/);

      const inspected = await run(['stark', 'inspect', out]);
      expect(inspected.code).toBe(0);
      expect(JSON.parse(inspected.stdout)).toMatchObject({
        version: 1,
        traceLength: 256,
        bytes: readFileSync(out).length,
      });

      const strict = await run([
        '--json',
        'stark',
        'verify',
        '--air',
        air,
        '--rows',
        '256',
        '--public',
        pub,
        '--min-security',
        '128',
        out,
      ]);
      expect(strict.code).toBe(1);
      expect(JSON.parse(strict.stdout)).toMatchObject({ valid: false, reason: 'security-too-low' });
    },
  );

  it('exits 2 on bad usage', async () => {
    expect((await run(['stark', 'prove', '--air', 'nope', '--rows', '256', '--out', join(dir, 'x.bin')])).code).toBe(2);
    expect(
      (await run(['stark', 'prove', '--air', 'fibonacci', '--rows', '100', '--out', join(dir, 'x.bin')])).code,
    ).toBe(2);
    expect(
      (await run(['stark', 'verify', '--air', 'range', '--rows', '256', '--public', '8,1', join(dir, 'x.bin')])).code,
    ).toBe(2);
    expect(
      (await run(['stark', 'verify', '--air', 'fibonacci', '--rows', '256', '--public', '1', join(dir, 'missing.bin')]))
        .code,
    ).toBe(2);
  });
});
