/**
 * The page of the browser device test and bench: it exposes `custosRun(request)` (the test calls
 * it with Playwright's `page.evaluate`), which starts a fresh module Web Worker running the device
 * side (worker.ts), relays its progress to the page and resolves with its result. A worker per
 * run keeps each run's memory apart; the device identity survives between runs in IndexedDB.
 */
import type { DeviceRunRequest, DeviceRunResult, DeviceWorkerReply } from './worker.js';

// The browser globals used here, typed locally: the server's TypeScript has no DOM library.
interface BrowserWorker {
  onmessage: ((event: { data: DeviceWorkerReply }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
  postMessage(message: DeviceRunRequest): void;
  terminate(): void;
}
interface PageGlobals {
  Worker: new (url: URL, options: { type: 'module'; name?: string }) => BrowserWorker;
  document: { getElementById(id: string): { textContent: string | null } | null };
  custosRun?: (request: DeviceRunRequest) => Promise<DeviceRunResult>;
  custosProgress?: { stage: string; atMs: number }[];
}

const page = globalThis as unknown as PageGlobals;
const Worker = page.Worker;

function status(text: string): void {
  const element = page.document.getElementById('status');
  if (element !== null) element.textContent = text;
}

page.custosProgress = [];
page.custosRun = (request) =>
  new Promise<DeviceRunResult>((resolve, reject) => {
    // This exact `new Worker(new URL(…, import.meta.url), { type: 'module' })` shape is what
    // Vite recognises to bundle the worker as its own ES module chunk.
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      if (data.type === 'progress') {
        page.custosProgress?.push({ stage: data.stage, atMs: data.atMs });
        status(data.stage);
        return;
      }
      worker.terminate();
      if (data.type === 'done') {
        status('done');
        resolve(data.result);
      } else {
        status(`failed: ${data.error.message}`);
        const error = new Error(`${data.error.code ?? data.error.name}: ${data.error.message}`);
        reject(Object.assign(error, { details: data.error.details }));
      }
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`the device worker failed: ${event.message ?? 'unknown error'}`));
    };
    worker.postMessage(request);
  });
status('ready');
