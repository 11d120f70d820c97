import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@custos/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interrupt, run, serve } from './testing/run.js';

const TOKEN = 'cli-test-operator-token-0123456789';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'custos-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('custos basics', () => {
  it('--version prints the version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('--help lists every command, and each command has help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['serve', 'accounts', 'db']) expect(r.stdout).toContain(command);
    for (const args of [
      ['serve', '--help'],
      ['accounts', 'create', '--help'],
      ['db', 'migrate', '--help'],
    ]) {
      const help = await run(args);
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.stdout).toContain('Usage: custos');
    }
  });

  it.each([
    [['--no-such-flag'], /unknown option '--no-such-flag'/],
    [['serve', '--port', 'abc'], /^custos: invalid --port: .*got "abc"$/],
    [['serve', '--port', '99999'], /^custos: invalid --port: /],
    [['accounts', 'create', '--name', 'x'], /required option '--password-file <file>' not specified/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('bad usage %j exits 2 with one clear line', async (args, pattern) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toMatch(pattern);
    expect(r.stdout).toBe('');
  });

  it('an unreachable DATABASE_URL exits 2 with one line naming the server, not the password', async () => {
    const r = await run(['serve', '--port', '0', '--data-dir', join(dir, 'unused')], {
      DATABASE_URL: 'postgres://custos:hunter2@127.0.0.1:1/custos',
    });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'custos: cannot connect to PostgreSQL at postgres://custos@127.0.0.1:1/custos (ECONNREFUSED)',
    ]);
  });

  it.each([
    [
      ['serve', '--port', '0', '--host', '203.0.113.5'],
      {},
      /^custos: cannot listen on 203\.0\.113\.5:0 \(EADDRNOTAVAIL\)$/,
    ],
    [['serve'], { CUSTOS_PORT: 'abc' }, /^custos: invalid CUSTOS_PORT: .*got "abc"$/],
    [
      ['serve', '--port', '0'],
      { CUSTOS_OPERATOR_TOKEN: 'short' },
      /^custos: invalid CUSTOS_OPERATOR_TOKEN: must be at least 24 characters$/,
    ],
    [
      ['--server', 'http://example.invalid:1', '--operator-token', 'x'.repeat(30), 'accounts', 'list'],
      {},
      /^custos: refusing to send the operator token over plain HTTP to example\.invalid:1$/,
    ],
  ])('bad configuration %j exits 2 with one clear line', async (args, env, pattern) => {
    const r = await run(['--data-dir', join(dir, 'bad-config'), ...args], env);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(lines(r.stderr)[0]).toMatch(pattern);
  });

  it('a --data-dir that is a file exits 2 naming it', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const r = await run(['--data-dir', file, 'serve', '--port', '0']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`custos: invalid --data-dir: cannot create ${file} (EEXIST)`]);
  });

  it('--json --version is a JSON document', async () => {
    const r = await run(['--json', '--version']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });

  it('db migrate creates the default database under --data-dir on a fresh machine, then is a no-op', async () => {
    const dataDir = join(dir, 'fresh', 'state');
    const first = await run(['--json', '--data-dir', dataDir, 'db', 'migrate']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      db: join(dataDir, 'db'),
      applied: [
        { id: 1, name: 'core' },
        { id: 2, name: 'mpc' },
        { id: 3, name: 'labels' },
        { id: 4, name: 'risk' },
        { id: 5, name: 'approvals' },
        { id: 6, name: 'por' },
        { id: 7, name: 'exchange_keys' },
        { id: 8, name: 'exchange_ledger' },
        { id: 9, name: 'exchange_audit' },
        { id: 10, name: 'exchange_key_changes' },
      ],
      skipped: 0,
    });
    const second = await run(['--json', '--data-dir', dataDir, 'db', 'migrate']);
    expect(JSON.parse(second.stdout)).toMatchObject({ applied: [], skipped: 10 });
  });

  it('with --json an error is one JSON document on stdout', async () => {
    const r = await run(['--json', 'serve', '--port', 'abc']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'INVALID_CONFIG', message: expect.stringContaining('--port') },
    });
  });
});

describe('custos serve (embedded database) and the commands that talk to it', () => {
  it('serves, refuses a second process on its data directory and on its port, and stops on SIGTERM', async () => {
    const dataDir = join(dir, 'a');
    const server = await serve(['--port', '0', '--data-dir', dataDir], { CUSTOS_OPERATOR_TOKEN: TOKEN });
    try {
      const url = server.info.url as string;
      expect(server.info.db).toEqual({ kind: 'pglite', location: join(dataDir, 'db') });
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      const missing = await fetch(`${url}/no/such/route`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });

      // A second process on the same PGlite directory: exit 2 and one line naming it and the holder.
      const second = await run(['serve', '--port', '0', '--data-dir', dataDir]);
      expect(second.code).toBe(2);
      expect(lines(second.stderr)).toEqual([
        `custos: database directory ${join(dataDir, 'db')} is in use by process ${server.child.pid}`,
      ]);

      // A port in use: exit 2 and one line.
      const port = new URL(url).port;
      const clash = await run(['serve', '--port', port, '--data-dir', join(dir, 'b')]);
      expect(clash.code).toBe(2);
      expect(lines(clash.stderr)).toEqual([`custos: port ${port} on 127.0.0.1 is already in use`]);

      // Shared-state commands go through the server with the operator token.
      const passwordFile = join(dir, 'pw');
      writeFileSync(passwordFile, 'a-long-enough-password\n');
      const createErin = (...globals: string[]) =>
        run([
          ...globals,
          '--server',
          url,
          '--operator-token',
          TOKEN,
          'accounts',
          'create',
          '--name',
          'erin',
          '--password-file',
          passwordFile,
        ]);
      const created = await createErin('--json');
      expect(created.code, created.stderr).toBe(0);
      expect(JSON.parse(created.stdout).account).toMatchObject({ name: 'erin' });
      const login = await fetch(`${url}/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'erin', password: 'a-long-enough-password' }),
      });
      expect(login.status).toBe(200);
      const duplicate = await createErin();
      expect(duplicate.code).toBe(2);
      expect(lines(duplicate.stderr)).toEqual(['custos: an account named erin already exists']);
      const wrongToken = await run([
        '--server',
        url,
        '--operator-token',
        'wrong-token-wrong-token-wrong',
        'accounts',
        'list',
      ]);
      expect(wrongToken.code).toBe(2);
      expect(lines(wrongToken.stderr)).toEqual(['custos: the bearer token is not valid']);
      const listed = await run(['--json', '--server', url, 'accounts', 'list'], { CUSTOS_OPERATOR_TOKEN: TOKEN });
      expect(JSON.parse(listed.stdout).accounts.map((a: { name: string }) => a.name)).toEqual(['erin']);
    } finally {
      const stopped = await interrupt(server.child, server.done, 'SIGTERM');
      expect(stopped.code).toBe(0);
      expect(stopped.stderr).toContain('"signal":"SIGTERM"');
      expect(stopped.ms).toBeLessThan(10_000);
    }
    // Released: the directory opens again.
    const migrate = await run(['--json', 'db', 'migrate', '--db', join(dataDir, 'db')]);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(JSON.parse(migrate.stdout)).toMatchObject({ applied: [], skipped: 10 });
  }, 120_000);

  it('commands on shared state exit 2 when no server answers', async () => {
    const port = await freePort();
    const r = await run(['--server', `http://127.0.0.1:${port}`, '--operator-token', TOKEN, 'accounts', 'list']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`custos: cannot reach the custos server at http://127.0.0.1:${port}`]);
  });
});
