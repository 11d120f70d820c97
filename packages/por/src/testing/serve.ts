/**
 * A static server for the publication page's browser tests: serves a bundle directory's files
 * (`/` is index.html; names of lower-case letters, digits and dots, optionally under `zk/` or
 * `zk/batches/`; nothing else, no listing) and records every request with its body, so a test
 * can show what the page sent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';

export interface RecordedRequest {
  method: string;
  url: string;
  body: string;
}

export async function serveDir(root: string): Promise<{ server: Server; url: string; requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      const path = (req.url ?? '/').split('?')[0] as string;
      const name = path === '/' ? 'index.html' : normalize(decodeURIComponent(path)).slice(1);
      const file = join(root, name);
      if (!/^(zk\/(batches\/)?)?[a-z0-9.]+$/.test(name) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const type = name.endsWith('.html')
        ? 'text/html'
        : name.endsWith('.json')
          ? 'application/json'
          : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(readFileSync(file));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://127.0.0.1:${port}/`, requests };
}
