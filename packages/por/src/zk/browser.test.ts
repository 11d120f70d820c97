/**
 * The publication page of a zero-knowledge round (300 users × 3 assets, batches of capacity 128,
 * fast proof options) in Debian's headless Chromium. The bundle copies the statement and every
 * batch's leaves and proof and holds nothing about any user. Served over HTTP by a server that
 * records every request, the page verifies a user's `por-proof/v2` — the leaf under C, the
 * statement against the signed root, the user's batch proof and a random sample of the others —
 * and shows the security bits the Node verifier reports; it refuses a tampered proof and a batch
 * proof with one flipped byte, each with the verifier's reason; every request it makes is a
 * body-less GET of a public file, none carrying anything from the proof, and its connections are
 * narrowed to the bundle's `zk/` directory. A proof showing the same units at another scale is
 * refused too. When the server lacks a batch file, or the page is opened from disk with the
 * statement not embedded, the page asks for the files it needs and the user picks them; from disk
 * it makes no request at all.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Decimal } from '@custos/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLiabilitiesTree } from '../build.js';
import { writePublicationBundle } from '../bundle.js';
import type { AssetSpec } from '../root.js';
import { type RecordedRequest, serveDir } from '../testing/serve.js';
import { writeSnapshot } from '../testing/snapshot.js';
import { ZK_TEST_OPTIONS } from '../testing/zk.js';
import { batchFileName, proveRound, zkInclusionProof } from './prove.js';
import { verifyBatch, verifyZkInclusion, type ZkBatchFile, type ZkInclusionProof, type ZkStatement } from './round.js';

const CHROMIUM = process.env.CUSTOS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const FAST = ZK_TEST_OPTIONS;
const SEED = new Uint8Array(32).map((_, i) => 40 + i);
const PUBKEY = bytesToHex(ed25519.getPublicKey(SEED));

const dir = mkdtempSync(join(tmpdir(), 'custos-zk-page-'));
const round = join(dir, 'round');
const pub = join(dir, 'pub');
let statement: ZkStatement;
let sampleIds: string[];
let proof: ZkInclusionProof;
/** The weakest security over every batch, as the Node verifier reports it. */
let security: { conjectured: number; proven: number };

const batchFile = (root: string, index: number, ext: 'json' | 'stark') =>
  join(root, 'zk', 'batches', batchFileName(index, ext));

beforeAll(async () => {
  const input = join(dir, 'snapshot.csv');
  sampleIds = (await writeSnapshot(input, { users: 300, assets: 3, seed: 21, samples: 30 })).sampleIds;
  buildLiabilitiesTree({
    input,
    out: round,
    signingSeed: SEED,
    roundId: 'zk-page-1',
    snapshotTime: '2026-11-30T23:59:59.000Z',
  });
  statement = await proveRound({ dir: round, capacity: 128, workers: 2, options: FAST });
  // A user with a balance in a scaled asset (the rescaling check needs one).
  const nonZero = (p: ZkInclusionProof) =>
    p.balances.some((b, i) => !/^0(\.0*)?$/.test(b) && (p.assets[i]?.scale ?? 0) >= 2);
  proof = sampleIds.map((id) => zkInclusionProof(round, id)).find(nonZero) as ZkInclusionProof;
  expect(proof).toBeDefined();
  security = { conjectured: Number.POSITIVE_INFINITY, proven: Number.POSITIVE_INFINITY };
  for (const info of statement.batches) {
    const file = JSON.parse(readFileSync(batchFile(round, info.index, 'json'), 'utf8'));
    const bytes = new Uint8Array(readFileSync(batchFile(round, info.index, 'stark')));
    const bits = verifyBatch(statement, info, file as ZkBatchFile, bytes).securityBits;
    security.conjectured = Math.min(security.conjectured, bits?.conjectured ?? 0);
    security.proven = Math.min(security.proven, bits?.proven ?? 0);
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the publication bundle of a zero-knowledge round (300 users × 3 assets, capacity 128)', () => {
  it('copies the statement and every batch file, embeds the statement, and holds nothing about any user', async () => {
    const bundle = await writePublicationBundle({ round, out: pub, publicKey: PUBKEY });
    expect(statement.batches.length).toBe(3);
    const batchNames = statement.batches.flatMap((b) => [
      `zk/batches/${batchFileName(b.index, 'json')}`,
      `zk/batches/${batchFileName(b.index, 'stark')}`,
    ]);
    expect(bundle.files).toEqual(['index.html', 'root.json', ...batchNames, 'zk/statement.json'].sort());
    expect(bundle.zk).toEqual({ batches: 3, commitment: statement.commitment, statementEmbedded: true });
    for (const name of bundle.files.filter((f) => f.startsWith('zk/'))) {
      expect(readFileSync(join(pub, name)).equals(readFileSync(join(round, name))), name).toBe(true);
    }
    const html = readFileSync(join(pub, 'index.html'), 'utf8');
    expect(html).toContain("connect-src 'self'");
    expect(html).toContain(`"commitment":"${statement.commitment}"`);
    const secret = (JSON.parse(readFileSync(join(round, 'build.json'), 'utf8')) as { saltSecret: string }).saltSecret;
    for (const file of bundle.files) {
      const text = readFileSync(join(pub, file), 'latin1');
      for (const id of sampleIds) expect(text.includes(id), `${file} names ${id}`).toBe(false);
      for (const s of [secret, proof.salt]) expect(text.includes(s), `${file} holds a secret`).toBe(false);
    }
  });

  it('refuses a round whose proving is unfinished, or whose statement is not the signed root’s', async () => {
    const partial = join(dir, 'partial');
    cpSync(round, partial, { recursive: true });
    rmSync(batchFile(partial, 1, 'stark'));
    await expect(writePublicationBundle({ round: partial, out: join(dir, 'partial-pub') })).rejects.toMatchObject({
      code: 'POR_INVALID_INPUT',
      message: expect.stringMatching(/batch 1 has no 000001\.stark/),
    });
    expect(existsSync(join(dir, 'partial-pub'))).toBe(false);
    const statementPath = join(partial, 'zk', 'statement.json');
    const altered = (change: (s: ZkStatement) => void) => {
      const s = structuredClone(statement);
      change(s);
      writeFileSync(statementPath, JSON.stringify(s));
    };
    for (const [change, reason] of [
      [(s: ZkStatement) => Object.assign(s, { roundId: 'zk-page-2' }), 'round-mismatch'],
      [(s: ZkStatement) => Object.assign(s, { totals: [...s.totals.slice(0, -1), '1'] }), 'totals-mismatch'],
      [(s: ZkStatement) => (s.assets[0] as AssetSpec).scale--, 'assets-mismatch'],
    ] as const) {
      altered(change);
      await expect(writePublicationBundle({ round: partial, out: join(dir, 'partial-pub') })).rejects.toMatchObject({
        code: 'POR_PROOF_INVALID',
        details: { reason },
      });
    }
  });
});

/** One unit more in the first balance: still a well-formed amount, no longer the committed one. */
function bumped(p: ZkInclusionProof): ZkInclusionProof {
  const b = p.balances[0] as string;
  const more = b.includes('.') ? `${b.slice(0, -1)}${(Number(b.at(-1)) + 1) % 10}` : (BigInt(b) + 1n).toString();
  return { ...p, balances: [more, ...p.balances.slice(1)] };
}

/** A non-zero balance shown with two decimals fewer: the same units, a 100× balance. */
function rescaledProof(p: ZkInclusionProof): ZkInclusionProof {
  const a = p.assets.findIndex((x, i) => x.scale >= 2 && !/^0(\.0*)?$/.test(p.balances[i] as string));
  const asset = p.assets[a] as AssetSpec;
  const units = Decimal.parse(p.balances[a], asset.scale).units;
  return {
    ...p,
    assets: p.assets.map((x, i) => (i === a ? { ...x, scale: x.scale - 2 } : x)),
    balances: p.balances.map((b, i) => (i === a ? Decimal.fromUnits(units, asset.scale - 2).toString() : b)),
  };
}

/** Chooses a proof file in the page and waits for its final verdict. */
async function check(page: Page, file: string): Promise<string> {
  await page.evaluate("document.getElementById('result').replaceChildren()");
  await page.evaluate("delete document.getElementById('result').dataset.state");
  await page.setInputFiles('#proof-file', file);
  await page.waitForSelector('#result[data-state="done"]', { timeout: 30_000 });
  return (await page.textContent('#result')) ?? '';
}

describe('the zero-knowledge publication page in headless Chromium', () => {
  const secrets = () => [proof.userId, proof.salt, proof.batchSums, ...proof.leafPath.slice(0, 2)];

  it('verifies a por-proof/v2 with its batch proofs, refuses a tampered proof and a flipped batch proof, and sends nothing', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`this test requires Debian's chromium at ${CHROMIUM} (apt-get install chromium)`);
    const { chromium } = await import('playwright-core');
    if (!existsSync(pub)) await writePublicationBundle({ round, out: pub, publicKey: PUBKEY });
    writeFileSync(join(dir, 'proof.json'), JSON.stringify(proof));
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(bumped(proof)));
    const served = await serveDir(pub);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const seen: RecordedRequest[] = [];
      page.on('request', (r) => seen.push({ method: r.method(), url: r.url(), body: r.postData() ?? '' }));
      await page.goto(served.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
      expect(await page.getAttribute('#zk-status', 'class')).toBe('ok');
      expect(await page.textContent('#zk-status')).toMatch(/C is recomputed from its 3 batches/);

      // Valid, with every batch checked (the default sample of 4 covers both others here).
      const valid = await check(page, join(dir, 'proof.json'));
      expect(valid).toMatch(/^Valid: your balances are counted in round zk-page-1 \(zero-knowledge proof\)\./);
      for (const [i, asset] of proof.assets.entries()) expect(valid).toContain(`${asset.symbol}: ${proof.balances[i]}`);
      expect(valid).toContain(`yours (batch ${batchFileName(proof.batch, 'json').slice(0, 6)}) and 2 of the other 2`);
      expect(security.conjectured).toBeGreaterThanOrEqual(100);
      expect(valid).toContain(
        `Security: ${security.conjectured} bits conjectured, ${security.proven} bits proven (the weakest batch checked).`,
      );
      expect(await page.getAttribute('#result', 'data-conjectured')).toBe(String(security.conjectured));
      const listed = await page.$$eval('#zk-batches li', (items) => items.map((i) => i.getAttribute('data-batch')));
      expect(listed.map(Number).sort()).toEqual([0, 1, 2]);

      // A sample of one other batch: the user's own and one more.
      await page.selectOption('#zk-sample', '1');
      expect(await check(page, join(dir, 'proof.json'))).toMatch(/^Valid: .*and 1 of the other 2 chosen at random/);
      const sampled = await page.$$eval('#zk-batches li', (items) => items.map((i) => i.getAttribute('data-batch')));
      expect(sampled).toHaveLength(2);
      expect(sampled).toContain(String(proof.batch));

      // One balance changed: the leaf no longer leads to C.
      expect(await check(page, join(dir, 'tampered.json'))).toMatch(/^Not valid \(reason: path\)\./);
      // The same units shown at another scale (the leaf binds units only): refused against the
      // statement, here and in Node alike.
      const rescaled = rescaledProof(proof);
      expect(verifyZkInclusion(rescaled).balances).not.toEqual(verifyZkInclusion(proof, statement).balances);
      expect(() => verifyZkInclusion(rescaled, statement)).toThrow(/assets differ/);
      writeFileSync(join(dir, 'rescaled.json'), JSON.stringify(rescaled));
      expect(await check(page, join(dir, 'rescaled.json'))).toMatch(/^Not valid \(reason: assets-mismatch\)\./);

      // One flipped byte in the user's batch proof, as served: refused with the verifier's reason.
      const starkPath = batchFile(pub, proof.batch, 'stark');
      const honest = readFileSync(starkPath);
      const flipped = Buffer.from(honest);
      const at = Math.floor(flipped.length / 2);
      flipped[at] = (flipped[at] as number) ^ 0x01;
      const info = statement.batches[proof.batch] as ZkStatement['batches'][number];
      const batchJson = JSON.parse(readFileSync(batchFile(pub, proof.batch, 'json'), 'utf8')) as ZkBatchFile;
      let expected = '';
      try {
        verifyBatch(statement, info, batchJson, new Uint8Array(flipped));
      } catch (error) {
        expected = (error as { reason: string }).reason;
      }
      expect(expected).toMatch(/^batch-proof:/);
      writeFileSync(starkPath, flipped);
      try {
        const refused = await check(page, join(dir, 'proof.json'));
        expect(refused).toContain(`Not valid (reason: ${expected}).`);
        expect(refused).toContain('the round’s liabilities are not proven');
        expect(await page.textContent(`#zk-batches li[data-batch="${proof.batch}"]`)).toContain(
          `(yours): refused (reason: ${expected})`,
        );
      } finally {
        writeFileSync(starkPath, honest);
      }
      expect(errors).toEqual([]);

      // Every request: the page itself, then body-less GETs of public batch files.
      const paths = served.requests.map((r) => `${r.method} ${r.url}`);
      expect(paths[0]).toBe('GET /');
      for (const p of paths.slice(1)) expect(p).toMatch(/^GET \/zk\/batches\/\d{6}\.(json|stark)$/);
      // All three batches, then two (own and one sampled) twice; the tampered proof loads none.
      expect(paths.length).toBe(1 + 2 * 3 + 2 * 2 + 2 * 2);
      expect(seen.map((r) => r.url)).toEqual(served.requests.map((r) => new URL(r.url, served.url).href));
      for (const r of [...served.requests, ...seen]) {
        expect(r.body).toBe('');
        for (const secret of secrets()) expect(`${r.url}${r.body}`).not.toContain(secret);
      }

      // The page's connections are narrowed to its zk/ directory: nothing else is reachable.
      const outside =
        await page.evaluate(`Promise.all(['root.json', '${served.url}index.html', 'https://example.invalid/'].map(
        (u) => fetch(u).then(() => 'loaded', () => 'blocked')))`);
      expect(outside).toEqual(['blocked', 'blocked', 'blocked']);
      expect(served.requests.length).toBe(paths.length);
    } finally {
      await browser.close();
      served.server.close();
    }
  }, 90_000);

  it('served without one batch file, asks the user for the files the server did not give', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`this test requires Debian's chromium at ${CHROMIUM} (apt-get install chromium)`);
    const { chromium } = await import('playwright-core');
    const partial = join(dir, 'pub-partial');
    cpSync(pub, partial, { recursive: true });
    const missing = statement.batches.find((b) => b.index !== proof.batch)?.index as number;
    rmSync(batchFile(partial, missing, 'stark'));
    const served = await serveDir(partial);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(served.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
      await page.setInputFiles('#proof-file', join(dir, 'proof.json'));
      await page.waitForSelector('#zk-files:not([hidden])', { timeout: 30_000 });
      const name = batchFileName(missing, 'stark');
      expect(await page.textContent('#zk-files-note')).toMatch(
        new RegExp(
          `^The server did not give the round’s files \\(zk/batches/${name}: HTTP 404\\)\\..*zk/batches/${name}`,
        ),
      );
      await page.setInputFiles(
        '#zk-batch-files',
        readdirSync(join(pub, 'zk', 'batches')).map((f) => join(pub, 'zk', 'batches', f)),
      );
      await page.waitForSelector('#result[data-state="done"]', { timeout: 30_000 });
      expect(await page.textContent('#result')).toMatch(/^Valid: .*Batch proofs checked: 3/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      served.server.close();
    }
  }, 60_000);

  it('opened from disk with the statement not embedded, asks for the files it needs and makes no request', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`this test requires Debian's chromium at ${CHROMIUM} (apt-get install chromium)`);
    const { chromium } = await import('playwright-core');
    const disk = join(dir, 'disk');
    const bundle = await writePublicationBundle({ round, out: disk, publicKey: PUBKEY, statementEmbedLimit: 0 });
    expect(bundle.zk?.statementEmbedded).toBe(false);
    expect(readFileSync(join(disk, 'index.html'), 'utf8')).not.toContain(`"commitment":"${statement.commitment}"`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const seen: string[] = [];
      page.on('request', (r) => seen.push(r.url()));
      const url = pathToFileURL(join(disk, 'index.html')).href;
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
      await page.setInputFiles('#proof-file', join(dir, 'proof.json'));
      await page.waitForSelector('#zk-files:not([hidden])');
      expect(await page.textContent('#zk-files-note')).toMatch(/Opened from disk.*zk\/statement\.json/);
      // The user picks every file of the bundle's zk folder.
      const picks = [
        join(disk, 'zk', 'statement.json'),
        ...readdirSync(join(disk, 'zk', 'batches')).map((f) => join(disk, 'zk', 'batches', f)),
      ];
      await page.setInputFiles('#zk-batch-files', picks);
      await page.waitForSelector('#result[data-state="done"]', { timeout: 30_000 });
      const valid = (await page.textContent('#result')) ?? '';
      expect(valid).toMatch(/^Valid: your balances are counted in round zk-page-1 \(zero-knowledge proof\)\./);
      expect(valid).toContain(`Security: ${security.conjectured} bits conjectured, ${security.proven} bits proven`);
      expect(await page.getAttribute('#zk-status', 'class')).toBe('ok');
      expect(await page.isHidden('#zk-files')).toBe(true);
      expect(errors).toEqual([]);
      expect(seen).toEqual([url]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
