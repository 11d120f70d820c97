/**
 * Drives the browser device from Node for the test and the bench: builds the page and its worker
 * with Vite (the workspace packages resolve to their TypeScript sources through the
 * `@custos/source` export condition), serves the build from a small same-origin HTTP server that
 * also proxies `/v1/*` and `/healthz` to a running custos server — so the page needs no CORS and
 * every request body the device sends is recorded — and runs it in Debian's headless Chromium
 * through playwright-core.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build, defaultClientConditions } from 'vite';
import type { DeviceRunRequest, DeviceRunResult } from './worker.js';

export type { DeviceRunRequest, DeviceRunResult } from './worker.js';

/** Debian's `chromium` package; CUSTOS_CHROMIUM overrides it. */
export const CHROMIUM_PATH = process.env.CUSTOS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** A strong backup password for tests and benches (the device refuses weak ones). */
export const TEST_BACKUP_PASSWORD = 'quartz-Lantern-orbit-57-harbour-vivid';

const PAGE_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** Builds index.html, main.ts and worker.ts into a fresh temporary directory; returns it. */
export async function buildDevicePage(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'custos-device-page-'));
  const conditions = ['@custos/source', ...defaultClientConditions];
  await build({
    configFile: false,
    envDir: false,
    root: PAGE_ROOT,
    base: './',
    logLevel: 'warn',
    resolve: { conditions },
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      // A test build: unminified keeps the build fast and a failure's stack readable.
      minify: false,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 8192,
      rollupOptions: { input: join(PAGE_ROOT, 'index.html') },
    },
  });
  return outDir;
}

/** One request the page sent through the proxy and what the server answered. */
export interface RecordedExchange {
  readonly method: string;
  readonly path: string;
  readonly requestBody: string;
  readonly status: number;
  readonly responseBody: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

// Hop-by-hop and recomputed headers are not forwarded either way.
const SKIPPED_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => done(Buffer.concat(chunks)));
    request.on('error', fail);
  });
}

export interface DevicePageServer {
  readonly url: string;
  readonly exchanges: RecordedExchange[];
  close(): Promise<void>;
}

/** Serves `outDir` and proxies the API to `upstream` (e.g. http://127.0.0.1:40123). */
export async function serveDevicePage(options: { outDir: string; upstream: string }): Promise<DevicePageServer> {
  const root = resolve(options.outDir);
  const upstream = options.upstream.replace(/\/+$/, '');
  const exchanges: RecordedExchange[] = [];

  async function proxy(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const body = await readBody(request);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!SKIPPED_HEADERS.has(name) && typeof value === 'string') headers[name] = value;
    }
    const method = request.method ?? 'GET';
    const answer = await fetch(`${upstream}${path}`, {
      method,
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    const text = await answer.text();
    exchanges.push({ method, path, requestBody: body.toString('utf8'), status: answer.status, responseBody: text });
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!SKIPPED_HEADERS.has(name) && name !== 'content-encoding') out[name] = value;
    });
    response.writeHead(answer.status, out).end(text);
  }

  async function serveFile(response: ServerResponse, path: string): Promise<void> {
    const file = resolve(root, `.${path === '/' ? '/index.html' : path}`);
    if (!file.startsWith(root + sep)) {
      response.writeHead(403).end();
      return;
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause;
      response.writeHead(404).end();
      return;
    }
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(bytes);
  }

  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    const pathname = path.split('?')[0] ?? '/';
    const handled =
      pathname.startsWith('/v1/') || pathname === '/healthz'
        ? proxy(request, response, path)
        : serveFile(response, pathname);
    handled.catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`device page server: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections();
        server.close((error) => (error ? fail(error) : done()));
      }),
  };
}

/** A Chromium page on the device page, ready to run the device side. */
export interface BrowserDevice {
  readonly pageUrl: string;
  /** Every API request the page made, in order. */
  readonly exchanges: RecordedExchange[];
  /** Console lines and page errors (for a failure's message). */
  readonly console: string[];
  /** Runs one device run in a fresh worker (same IndexedDB, so the device enrols only once). */
  run(request: Omit<DeviceRunRequest, 'serverUrl'>, timeoutMs?: number): Promise<DeviceRunResult>;
  close(): Promise<void>;
}

let cachedBuild: Promise<string> | undefined;

/**
 * Builds the page (once per process), serves it in front of `upstream`, launches Chromium and
 * opens the page. Close it when done: it owns the browser, the server and the build directory.
 */
export async function openBrowserDevice(options: {
  upstream: string;
  executablePath?: string;
}): Promise<BrowserDevice> {
  cachedBuild ??= buildDevicePage();
  const outDir = await cachedBuild;
  const pageServer = await serveDevicePage({ outDir, upstream: options.upstream });
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  const lines: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: options.executablePath ?? CHROMIUM_PATH, args: CHROMIUM_ARGS });
    context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (message) => lines.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => lines.push(`pageerror: ${error.message}`));
    await page.goto(`${pageServer.url}/index.html`);
    await page.waitForFunction(() => typeof (globalThis as { custosRun?: unknown }).custosRun === 'function');
  } catch (error) {
    await browser?.close();
    await pageServer.close();
    throw error;
  }
  const opened = browser;
  return {
    pageUrl: pageServer.url,
    exchanges: pageServer.exchanges,
    console: lines,
    async run(request, timeoutMs = 180_000) {
      const full: DeviceRunRequest = { ...request, serverUrl: pageServer.url };
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, fail) => {
        timer = setTimeout(
          () =>
            fail(new Error(`the browser device did not finish within ${timeoutMs} ms; console:\n${lines.join('\n')}`)),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([
          page.evaluate(
            (r) =>
              (globalThis as unknown as { custosRun: (q: DeviceRunRequest) => Promise<DeviceRunResult> }).custosRun(r),
            full,
          ),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await opened.close();
      await pageServer.close();
    },
  };
}

/** Removes the cached build directory (call once at the end of a process that built it). */
export async function removeDevicePageBuild(): Promise<void> {
  if (cachedBuild === undefined) return;
  const outDir = await cachedBuild;
  cachedBuild = undefined;
  await rm(outDir, { recursive: true, force: true });
}

/**
 * The bench's unit: one wallet creation by the browser device (no signature). Returns the
 * creation's duration measured in the worker around `DeviceWallets.create` (ring-Pedersen set-up,
 * DKG, pairing, backup), plus the whole run's wall time as Node saw it.
 */
export async function createWalletInBrowser(options: {
  device: BrowserDevice;
  password?: string;
  timeoutMs?: number;
}): Promise<{ createMs: number; wallMs: number; walletId: string; address: `0x${string}` }> {
  const t0 = performance.now();
  const result = await options.device.run({ password: options.password ?? TEST_BACKUP_PASSWORD }, options.timeoutMs);
  return {
    createMs: result.timings.createMs,
    wallMs: performance.now() - t0,
    walletId: result.walletId,
    address: result.address,
  };
}
