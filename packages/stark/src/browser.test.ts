/**
 * The verifier in a browser: `@custos/stark/verifier`, bundled by Vite from the TypeScript sources
 * (the `@custos/source` export condition, as the tests resolve it), holds no prover code and no Node
 * module. In Debian's headless Chromium (playwright-core) the bundle, served with its page from a
 * local HTTP server, verifies a Fibonacci proof and a range-check proof made in Node with the
 * default options, at ≥ 100 bits; it rejects a proof with a flipped byte in its openings and a wrong
 * public input, each for the same reason the verifier gives in Node; and the page requests nothing
 * but its own two files. A static check backs the bundle's: no module the verifier entry reaches
 * through relative imports — type-only ones included — is the prover's or imports `node:`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { build, defaultClientConditions, type Plugin } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeProof, sectionRanges } from './encoding.js';
import { fibonacciAir, fibonacciResult, fibonacciTrace } from './examples/fibonacci.js';
import { type RangeStatement, rangeAir, rangeTrace } from './examples/range.js';
import { prove } from './prover/prover.js';
import { type VerifyResult, verifyBytes } from './verifier/verifier.js';

const CHROMIUM = process.env.CUSTOS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const ci = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
// Locally a machine without Chromium skips the browser part, saying why; CI never skips it.
const skipBrowser = !existsSync(CHROMIUM) && !ci;
if (skipBrowser) console.warn(`stark verifier browser test (SKIPPED: no ${CHROMIUM}; apt-get install chromium)`);

const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const VERIFIER_ENTRY = new URL('./verifier/index.ts', import.meta.url);
const PROVER_FILES = [new URL('./prover/prover.ts', import.meta.url), new URL('./fri/prover.ts', import.meta.url)];
// Strings that occur only in the prover (the test checks they still do): if any is in the bundle,
// prover code was bundled with the verifier.
const PROVER_MARKERS = [
  'unsafeSkipChecks',
  'the constraint quotient is not of low degree',
  'the trace does not satisfy the AIR',
  'the FRI input is not of the declared degree',
  'grinding failed',
];

const MIN_SECURITY_BITS = 100;
const ENTRY_ID = 'custos-stark-verifier-page';
// The page's script: it builds the AIR from the public statement, as a real verifier page would,
// never from the proof, and returns only plain data so the result crosses back to Node as is.
const ENTRY_SOURCE = `
import { fibonacciAir, rangeAir, verifyBytes } from '@custos/stark/verifier';

function airOf(name, statement) {
  if (name === 'fibonacci') return fibonacciAir(statement.rows, statement.result);
  if (name === 'range') return rangeAir(statement);
  throw new Error('unknown AIR: ' + name);
}

window.custosVerifyStark = (name, statement, bytes) => {
  const { valid, reason, securityBits } = verifyBytes({
    air: airOf(name, statement),
    bytes,
    minSecurityBits: ${MIN_SECURITY_BITS},
  });
  return { valid, reason, securityBits };
};
`;
// No inline script and nothing to load but the bundle (and an empty icon, so the browser asks for
// no favicon): the CSP would stop the verifier if it tried to fetch or connect to anything.
const PAGE = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; img-src data:">
<link rel="icon" href="data:,">
<title>custos STARK verifier</title>
</head>
<body><script src="/verifier.js"></script></body>
</html>
`;

type AirName = 'fibonacci' | 'range';
type FibonacciStatement = { rows: number; result: number };
type Statement = FibonacciStatement | RangeStatement;

interface Case {
  readonly air: AirName;
  readonly statement: Statement;
  readonly bytes: Uint8Array;
}

const airOf = (c: Case) =>
  c.air === 'fibonacci'
    ? fibonacciAir((c.statement as FibonacciStatement).rows, (c.statement as FibonacciStatement).result)
    : rangeAir(c.statement as RangeStatement);
const inNode = (c: Case): VerifyResult =>
  verifyBytes({ air: airOf(c), bytes: c.bytes, minSecurityBits: MIN_SECURITY_BITS });

/** The specifiers a module imports or re-exports, type-only ones included. */
function imports(text: string): string[] {
  return [...text.matchAll(/^(?:import|export)\s(?:type\s)?[^;]*?from '([^']+)';/gm)].map((m) => m[1] as string);
}

/** Every module reachable from `file` through relative imports (and re-exports). */
function reachable(file: URL, seen = new Map<string, string>()): Map<string, string> {
  if (seen.has(file.pathname)) return seen;
  const text = readFileSync(file, 'utf8');
  seen.set(file.pathname, text);
  for (const spec of imports(text)) {
    if (spec.startsWith('.')) reachable(new URL(spec.replace(/\.js$/, '.ts'), file), seen);
  }
  return seen;
}

describe("the verifier entry's modules", () => {
  it('import no node: module and nothing of the prover', () => {
    const modules = reachable(VERIFIER_ENTRY);
    const files = [...modules.keys()].map((f) => f.slice(f.lastIndexOf('/src/') + 5));
    expect(files).toEqual(expect.arrayContaining(['verifier/verifier.ts', 'fri/verifier.ts', 'encoding.ts']));
    for (const [path, text] of modules) {
      const name = path.slice(path.lastIndexOf('/src/') + 5);
      expect(name.startsWith('prover/') || name === 'fri/prover.ts', name).toBe(false);
      expect(text, name).not.toMatch(/from 'node:/);
      // Packages: only the shared errors and a pure hash, both of which run in a browser.
      for (const spec of imports(text).filter((s) => !s.startsWith('.'))) {
        expect(spec, `${name} imports ${spec}`).toMatch(/^(@custos\/core|@noble\/hashes\/[a-z0-9]+\.js)$/);
      }
    }
  });
});

const dir = mkdtempSync(join(tmpdir(), 'custos-stark-browser-'));
let bundle = '';
let fibonacci: Case;
let range: Case;

beforeAll(async () => {
  const rows = 128;
  const result = fibonacciResult(rows);
  fibonacci = {
    air: 'fibonacci',
    statement: { rows, result },
    bytes: encodeProof(prove({ air: fibonacciAir(rows, result), trace: fibonacciTrace(rows) })),
  };
  // 200 values over the whole 64-bit range in 256 rows of 8 one-byte limbs (the lookup table's
  // size is the least number of rows).
  const values = Array.from({ length: 200 }, (_, i) => (BigInt(i + 1) * 0x9e3779b97f4a7c15n) % 2n ** 64n);
  values.push(2n ** 64n - 1n, 0n);
  const { trace, statement } = rangeTrace(values, 256, 8);
  range = { air: 'range', statement, bytes: encodeProof(prove({ air: rangeAir(statement), trace })) };

  // The entry is a virtual module: it resolves `@custos/stark/verifier` from the package's root,
  // through the workspace link and the package's export map, as an application would.
  const entry: Plugin = {
    name: 'custos-stark-verifier-page',
    resolveId: (id) => (id.endsWith(ENTRY_ID) ? `\0${ENTRY_ID}` : null),
    load: (id) => (id === `\0${ENTRY_ID}` ? ENTRY_SOURCE : null),
  };
  await build({
    configFile: false,
    envDir: false,
    publicDir: false,
    root: PACKAGE_ROOT,
    logLevel: 'warn',
    plugins: [entry],
    resolve: { conditions: ['@custos/source', ...defaultClientConditions] },
    build: {
      outDir: join(dir, 'dist'),
      emptyOutDir: true,
      minify: true,
      reportCompressedSize: false,
      lib: { entry: ENTRY_ID, formats: ['iife'], name: 'custosStarkVerifier', fileName: () => 'verifier.js' },
    },
  });
  bundle = readFileSync(join(dir, 'dist', 'verifier.js'), 'utf8');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the verifier bundled by Vite', () => {
  it('holds the verifier, no prover code and no Node module', () => {
    const size = Buffer.byteLength(bundle);
    const gzipped = gzipSync(bundle).length;
    console.log(`stark verifier bundle: ${size} bytes, ${gzipped} gzipped`);
    // The markers are real: each still occurs in the prover's sources.
    const prover = PROVER_FILES.map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const marker of PROVER_MARKERS) expect(prover, marker).toContain(marker);
    // Not an empty bundle: the verifier's reasons are in it.
    for (const reason of ['ood-constraints', 'main-opening', 'security-too-low']) expect(bundle).toContain(reason);
    for (const marker of PROVER_MARKERS) expect(bundle, marker).not.toContain(marker);
    expect(bundle).not.toMatch(/["'`]node:/);
    expect(bundle).not.toContain('__vite-browser-external');
    expect(gzipped).toBeLessThan(size);
  });
});

interface Recorded {
  readonly method: string;
  readonly url: string;
}

/** Serves the page and the bundle, recording every request. */
async function serve(): Promise<{ server: Server; origin: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const files: Record<string, { type: string; body: string }> = {
    '/': { type: 'text/html; charset=utf-8', body: PAGE },
    '/verifier.js': { type: 'text/javascript; charset=utf-8', body: bundle },
  };
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    const file = files[req.url ?? ''];
    if (req.method !== 'GET' || file === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, origin: `http://127.0.0.1:${port}`, requests };
}

type PageVerify = (name: AirName, statement: Statement, bytes: Uint8Array) => VerifyResult;

describe.skipIf(skipBrowser)('the bundled verifier in headless Chromium', () => {
  let served: Awaited<ReturnType<typeof serve>> | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageRequests: string[] = [];
  const pageErrors: string[] = [];

  /** Runs the verifier in the page; the proof crosses over as base64 and is decoded there. */
  const inPage = async (c: Case): Promise<VerifyResult & { ms: number }> =>
    page.evaluate(
      ([name, statement, base64]) => {
        const binary = atob(base64);
        const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
        const verify = (globalThis as unknown as { custosVerifyStark: PageVerify }).custosVerifyStark;
        const started = performance.now();
        const result = verify(name, statement, bytes);
        return { ...result, ms: performance.now() - started };
      },
      [c.air, c.statement, Buffer.from(c.bytes).toString('base64')] as const,
    );

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`CI requires Debian's chromium at ${CHROMIUM} (.ci/run installs it)`);
    const { chromium } = await import('playwright-core');
    served = await serve();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on('request', (request) => pageRequests.push(request.url()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`${served.origin}/`);
    await page.waitForFunction(
      () => typeof (globalThis as { custosVerifyStark?: unknown }).custosVerifyStark === 'function',
      null,
      { timeout: 20_000 },
    );
  });

  afterAll(async () => {
    await browser?.close();
    const server = served?.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it(`verifies the Fibonacci (128 rows) and range-check (256 rows) proofs at ≥ ${MIN_SECURITY_BITS} bits`, async () => {
    const timings: string[] = [];
    for (const c of [fibonacci, range]) {
      const { ms, ...result } = await inPage(c);
      expect(result, c.air).toMatchObject({ valid: true, reason: null });
      expect(result.securityBits?.conjectured, c.air).toBeGreaterThanOrEqual(MIN_SECURITY_BITS);
      // The browser's verdict, to the bit counts, is Node's.
      expect(result, c.air).toEqual(inNode(c));
      timings.push(`${c.air} ${c.bytes.length} bytes in ${Math.round(ms)} ms`);
    }
    console.log(`stark verifier in Chromium: ${timings.join(', ')}`);
  });

  it('rejects a proof with a flipped byte in its openings, for the reason Node gives', async () => {
    for (const c of [fibonacci, range]) {
      const { openings } = sectionRanges(c.bytes);
      const bytes = c.bytes.slice();
      const at = Math.floor((openings.start + openings.end) / 2);
      bytes[at] = (bytes[at] as number) ^ 0x01;
      const tampered = { ...c, bytes };
      const { ms: _, ...result } = await inPage(tampered);
      expect(result.valid, c.air).toBe(false);
      expect(result.reason, c.air).toMatch(/^[a-z][a-z-]+$/);
      expect(result, c.air).toEqual(inNode(tampered));
    }
  });

  it("rejects a wrong public input (the Fibonacci result + 1) with 'ood-constraints'", async () => {
    const statement = fibonacci.statement as FibonacciStatement;
    const wrong = { ...fibonacci, statement: { ...statement, result: statement.result + 1 } };
    const { ms: _, ...result } = await inPage(wrong);
    expect(result).toMatchObject({ valid: false, reason: 'ood-constraints' });
    expect(result).toEqual(inNode(wrong));
  });

  it('made no request but the page and the bundle, to the local server, and logged no error', () => {
    const origin = served?.origin as string;
    expect(pageRequests.length).toBeGreaterThan(0);
    for (const url of pageRequests) expect(url.startsWith(`${origin}/`), url).toBe(true);
    expect(served?.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /', 'GET /verifier.js']);
    expect(pageErrors).toEqual([]);
  });
});
