/**
 * The static publication bundle (300 users × 4 assets): it holds the signed root, the reserves
 * table and the verifier page and nothing about any user; it refuses a wrong key, a reserves table
 * of another round, a non-empty or in-round output directory. In Debian's headless Chromium the
 * page — served over HTTP by a server that records every request — verifies a user's proof file,
 * refuses a tampered one with the verifier's reason, and refuses an altered root; the only request
 * the page makes is its own load, so no proof leaves the browser.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLiabilitiesTree } from './build.js';
import { writePublicationBundle } from './bundle.js';
import { RoundReader } from './proof.js';
import { serveDir } from './testing/serve.js';
import { type GeneratedSnapshot, writeSnapshot } from './testing/snapshot.js';

const CHROMIUM = process.env.CUSTOS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const ci = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
const skipBrowser = !existsSync(CHROMIUM) && !ci;
if (skipBrowser) console.warn(`publication page test (SKIPPED: no ${CHROMIUM}; apt-get install chromium)`);

const dir = mkdtempSync(join(tmpdir(), 'custos-por-bundle-'));
const SEED = new Uint8Array(32).map((_, i) => i + 3);
const PUBKEY = bytesToHex(ed25519.getPublicKey(SEED));
const OTHER_KEY = bytesToHex(ed25519.getPublicKey(new Uint8Array(32).fill(9)));
const ROUND = join(dir, 'round');
let snapshot: GeneratedSnapshot;

const reserves = (roundId: string) => ({
  roundId,
  message: `custos proof of reserves: round ${roundId}`,
  table: [{ asset: 'BTC', liabilities: '10', reserves: '10.2', ratio: '102.00 %', status: 'ok' }],
  addresses: [{ ownership: { valid: true } }],
});

beforeAll(async () => {
  snapshot = await writeSnapshot(join(dir, 'l.csv'), { users: 300, assets: 4, seed: 5, samples: 300 });
  buildLiabilitiesTree({
    input: join(dir, 'l.csv'),
    out: ROUND,
    signingSeed: SEED,
    roundId: '2026-11',
    snapshotTime: '2026-11-30T23:59:59.000Z',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writePublicationBundle (300 users × 4 assets)', () => {
  it('holds the root, the reserves table and the page, and nothing about any user', async () => {
    const out = join(dir, 'pub');
    const bundle = await writePublicationBundle({
      round: ROUND,
      out,
      reserves: reserves('2026-11'),
      publicKey: PUBKEY,
    });
    expect(bundle.files).toEqual(['index.html', 'reserves.json', 'root.json']);
    expect(readdirSync(out).sort()).toEqual(bundle.files);
    expect(bundle).toMatchObject({ roundId: '2026-11', publicKey: PUBKEY, pinned: true });
    const reader = RoundReader.open(ROUND);
    const proof = reader.proof(snapshot.sampleIds[0] as string);
    reader.close();
    const build = readFileSync(join(ROUND, 'build.json'), 'utf8');
    const secret = (JSON.parse(build) as { saltSecret: string }).saltSecret;
    expect(snapshot.sampleIds.length).toBe(300);
    for (const file of bundle.files) {
      const text = readFileSync(join(out, file), 'utf8');
      for (const id of snapshot.sampleIds) expect(text.includes(id), `${file} names ${id}`).toBe(false);
      expect(text.includes(secret), `${file} holds the salt secret`).toBe(false);
      expect(text.includes(proof.salt), `${file} holds a user's salt`).toBe(false);
      expect(text.includes(proof.leaf), `${file} holds a user's leaf`).toBe(false);
    }
    // The inline script is exactly the one the page's Content Security Policy allows.
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const script = /<script type="module">([\s\S]*?)<\/script>/.exec(html)?.[1] as string;
    expect(`sha256-${createHash('sha256').update(script).digest('base64')}`).toBe(bundle.scriptHash);
    expect(html).toContain(`script-src '${bundle.scriptHash}'`);
    expect(html).toContain("connect-src 'none'");
  });

  it('refuses a key other than the root’s signer, a reserves table of another round, a used or in-round directory', async () => {
    await expect(
      writePublicationBundle({ round: ROUND, out: join(dir, 'a'), publicKey: OTHER_KEY }),
    ).rejects.toMatchObject({ code: 'POR_PROOF_INVALID', details: { reason: 'wrong-signer' } });
    await expect(
      writePublicationBundle({ round: ROUND, out: join(dir, 'b'), reserves: reserves('2026-10') }),
    ).rejects.toMatchObject({ code: 'POR_INVALID_INPUT', message: expect.stringMatching(/round 2026-10/) });
    await expect(
      writePublicationBundle({ round: ROUND, out: join(dir, 'c'), reserves: { rows: [] } }),
    ).rejects.toMatchObject({
      code: 'POR_INVALID_INPUT',
    });
    mkdirSync(join(dir, 'used'));
    writeFileSync(join(dir, 'used', 'old.txt'), 'x');
    await expect(writePublicationBundle({ round: ROUND, out: join(dir, 'used') })).rejects.toMatchObject({
      code: 'POR_INVALID_INPUT',
      message: expect.stringMatching(/not empty/),
    });
    await expect(writePublicationBundle({ round: ROUND, out: join(ROUND, 'public') })).rejects.toMatchObject({
      code: 'POR_INVALID_INPUT',
      message: expect.stringMatching(/inside the round directory/),
    });
    expect(existsSync(join(ROUND, 'public'))).toBe(false);
    await expect(writePublicationBundle({ round: join(dir, 'none'), out: join(dir, 'd') })).rejects.toMatchObject({
      code: 'POR_ROUND_NOT_FOUND',
    });
  });
});

describe.skipIf(skipBrowser)('the publication page in headless Chromium (300 users × 4 assets)', () => {
  it('verifies a proof file in the page, refuses a tampered one and an altered root, and sends nothing', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`CI requires Debian's chromium at ${CHROMIUM} (.ci/run installs it)`);
    const { chromium } = await import('playwright-core');
    const out = join(dir, 'page');
    await writePublicationBundle({ round: ROUND, out, reserves: reserves('2026-11'), publicKey: PUBKEY });
    const userId = snapshot.sampleIds[7] as string;
    const reader = RoundReader.open(ROUND);
    const proof = reader.proof(userId);
    reader.close();
    writeFileSync(join(dir, 'proof.json'), JSON.stringify(proof));
    // One unit more in the first balance: still a well-formed amount, no longer the committed one.
    const bump = (b: string) =>
      b.includes('.') ? `${b.slice(0, -1)}${(Number(b.at(-1)) + 1) % 10}` : (BigInt(b) + 1n).toString();
    const tampered = { ...proof, balances: proof.balances.map((b, i) => (i === 0 ? bump(b) : b)) };
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tampered));
    writeFileSync(join(dir, 'garbage.json'), '{"version": "por-proof/v1", ');

    const served = await serveDir(out);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(served.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
      expect(await page.textContent('#root-status')).toMatch(/signed by the exchange’s key this page pins/);
      expect(await page.textContent('#reserves tbody')).toContain('102.00 %');

      const check = async (file: string): Promise<string> => {
        await page.evaluate("document.getElementById('result').textContent = ''");
        await page.setInputFiles('#proof-file', join(dir, file));
        await page.waitForSelector('#result p');
        return (await page.textContent('#result')) ?? '';
      };
      const valid = await check('proof.json');
      expect(valid).toMatch(/^Valid: your balances are counted in round 2026-11\./);
      for (const [i, asset] of proof.assets.entries()) expect(valid).toContain(`${asset.symbol}: ${proof.balances[i]}`);
      expect(await check('tampered.json')).toMatch(/Not valid \(reason: leaf-hash-mismatch\)/);
      expect(await check('garbage.json')).toMatch(/Not valid: the file is not JSON \(reason: malformed\)/);
      expect(errors).toEqual([]);

      // Only the page itself was fetched: no request carries (or follows) a proof.
      expect(served.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /']);
      for (const r of served.requests) {
        for (const secret of [userId, proof.salt, proof.leaf]) expect(`${r.url}${r.body}`).not.toContain(secret);
      }

      // An altered total in the embedded root: the signature no longer verifies, the page says so.
      const html = readFileSync(join(out, 'index.html'), 'utf8');
      const total =
        proof.assets.length > 0
          ? (JSON.parse(readFileSync(join(out, 'root.json'), 'utf8')) as { totals: string[] }).totals[0]
          : '';
      writeFileSync(join(out, 'index.html'), html.replace(`"totals":["${total}"`, `"totals":["${total}1"`));
      expect(readFileSync(join(out, 'index.html'), 'utf8')).not.toBe(html);
      await page.goto(served.url);
      await page.waitForFunction("document.getElementById('root-status')?.className === 'bad'");
      expect(await page.textContent('#root-status')).toMatch(/does not verify \(reason: signature-invalid\)/);
      expect(await page.isDisabled('#proof-file')).toBe(true);
    } finally {
      await browser.close();
      served.server.close();
    }
  }, 90_000);
});
