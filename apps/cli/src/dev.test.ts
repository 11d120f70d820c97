/**
 * What `npm start` does (`custos serve --dev`), end to end on ports chosen by the OS: the server
 * answers /healthz and the dev chain eth_chainId within 60 s of the start, fixtures are deployed,
 * the demo accounts log in, SIGINT stops everything within 10 s, and a second start on the same
 * data directory keeps its accounts and recognises that the chain was reset.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { okxSign, okxTimestamp } from '@custos/exchange';
import { verifyInclusionProof, verifyRoot } from '@custos/por';
import { createPublicClient, http } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interrupt, run, serve } from './testing/run.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'custos-dev-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface DevInfo {
  url: string;
  operatorToken: string;
  operatorTokenFile: string;
  dev: {
    chainId: number;
    rpcUrl: string;
    genesisHash: string;
    chain: string;
    previousGenesisHash?: string;
    droppedRecords: number;
    contracts: Record<string, `0x${string}`>;
    accounts: { name: string; password: string }[];
    por: {
      roundId: string;
      users: number;
      publicKey: string;
      fingerprint: string;
      keyFile: string;
      table: { asset: string; ratio: string | null; status: string }[];
    };
  };
}

/** A signed OKX-v5 GET, as a trading client sends it. */
async function okxGet(url: string, path: string, key: { apiKey: string; secretKey: string; passphrase: string }) {
  const ts = okxTimestamp(Date.now());
  const response = await fetch(`${url}${path}`, {
    headers: {
      'OK-ACCESS-KEY': key.apiKey,
      'OK-ACCESS-SIGN': okxSign(key.secretKey, ts, 'GET', path, ''),
      'OK-ACCESS-TIMESTAMP': ts,
      'OK-ACCESS-PASSPHRASE': key.passphrase,
    },
  });
  return (await response.json()) as { code: string; data: { details: { ccy: string; eq: string }[] }[] };
}

/**
 * The dev exchange through the CLI: a key created for demo reads demo's seeded balance over the
 * OKX gateway; a deposit shows at once (the balance cache is invalidated); an address is
 * allow-listed; the liabilities export writes the snapshot CSV; a revoked key stops working.
 */
async function checkDevExchange(info: DevInfo, dataDir: string): Promise<void> {
  const cli = (...args: string[]) => run(['--json', '--server', info.url, '--data-dir', dataDir, ...args]);
  const created = await cli('keys', 'create', '--account', 'demo', '--permissions', 'read,trade', '--ip', '127.0.0.1');
  expect(created.code, created.stderr).toBe(0);
  const key = JSON.parse(created.stdout) as { apiKey: string; secretKey: string; passphrase: string };
  expect(Object.keys(key).sort()).toEqual(['apiKey', 'passphrase', 'secretKey']);
  const instruments = (await (await fetch(`${info.url}/api/v5/public/instruments?instType=SPOT`)).json()) as {
    data: { instId: string }[];
  };
  expect(instruments.data.map((i) => i.instId).sort()).toEqual(['BTC-CUSD', 'ETH-CUSD', 'THIN-CUSD']);
  const cusd = async () => (await okxGet(info.url, '/api/v5/account/balance?ccy=CUSD', key)).data[0]?.details[0]?.eq;
  expect(await cusd()).toBe('2500');
  const deposited = await cli('ledger', 'deposit', '--account', 'demo', '--ccy', 'CUSD', '--amount', '10.5');
  expect(deposited.code, deposited.stderr).toBe(0);
  expect(await cusd()).toBe('2510.5');
  const listed = await cli('keys', 'list', '--account', 'demo');
  const keys = JSON.parse(listed.stdout) as { keys: { apiKey: string; permissions: string[] }[] };
  expect(keys.keys.map((k) => k.apiKey)).toContain(key.apiKey);
  expect(listed.stdout).not.toContain(key.secretKey);
  const demoId = (
    JSON.parse((await cli('accounts', 'list')).stdout) as { accounts: { id: string; name: string }[] }
  ).accounts.find((a) => a.name === 'demo')?.id as string;
  const allowed = await cli(
    'ledger',
    'allow-address',
    '--account',
    demoId,
    '--ccy',
    'CUSD',
    '--chain',
    'CUSD-ERC20',
    '--address',
    '0x00000000000000000000000000000000000000b2',
  );
  expect(allowed.code, allowed.stderr).toBe(0);
  expect(
    Date.parse((JSON.parse(allowed.stdout) as { address: { usableAt: string } }).address.usableAt),
  ).toBeGreaterThan(Date.now() + 23 * 3600_000);
  const out = join(dataDir, 'liabilities.csv');
  const exported = await cli('ledger', 'export-liabilities', '--out', out);
  expect(exported.code, exported.stderr).toBe(0);
  const csv = readFileSync(out, 'utf8').split('\n');
  expect(csv[0]).toBe('user_id,BTC:8,CUSD:6,ETH:8,THIN:8');
  expect(csv).toContain(`${demoId},0.05,2510.5,1.5,0`);
  const revoked = await cli('keys', 'revoke', key.apiKey);
  expect(revoked.code, revoked.stderr).toBe(0);
  expect((await okxGet(info.url, '/api/v5/account/balance', key)).code).toBe('50111');
}

/** Logs in and answers the session cookie and the account id. */
async function session(url: string, name: string, password: string): Promise<{ cookie: string; id: string }> {
  const r = await fetch(`${url}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  const body = (await r.json()) as { account: { id: string } };
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0] as string;
  return { cookie, id: body.account.id };
}

/**
 * The dev proof-of-reserves round: the latest round is signed by the printed dev key, the console
 * configuration pins that key, each seeded account fetches and verifies its own proof (with its
 * fixed balances) and no other, and every reserve ratio is at least 100 %.
 */
async function checkDevRound(info: DevInfo, cusd = '2500'): Promise<void> {
  const por = info.dev.por;
  expect(statSync(por.keyFile).mode & 0o777).toBe(0o600);
  expect(por.users).toBeGreaterThan(1000);
  const config = (await (await fetch(`${info.url}/v1/por/config`)).json()) as { publicKey: string };
  expect(config.publicKey).toBe(por.publicKey);
  const latest = (await (await fetch(`${info.url}/v1/por/rounds/latest`)).json()) as {
    roundId: string;
    root: unknown;
    reserves: {
      table: { asset: string; ratio: string; status: string }[];
      addresses: { ownership: { valid: boolean } }[];
    };
  };
  expect(latest.roundId).toBe(por.roundId);
  const root = verifyRoot(latest.root, { publicKey: por.publicKey });
  expect(root.signer.pinned).toBe(true);
  expect(latest.reserves.table.map((r) => r.asset)).toEqual(['CUSD', 'ETH']);
  for (const row of latest.reserves.table) {
    expect(row.status, row.asset).toBe('ok');
    expect(Number.parseFloat(row.ratio), row.asset).toBeGreaterThanOrEqual(100);
  }
  expect(latest.reserves.addresses.every((a) => a.ownership.valid)).toBe(true);
  const [demo, demo2] = info.dev.accounts as [{ name: string; password: string }, { name: string; password: string }];
  const mine = await session(info.url, demo.name, demo.password);
  const other = await session(info.url, demo2.name, demo2.password);
  const proof = await fetch(`${info.url}/v1/por/proof/${mine.id}`, { headers: { cookie: mine.cookie } });
  expect(proof.status).toBe(200);
  const verified = verifyInclusionProof(await proof.json(), root);
  expect(verified.userId).toBe(mine.id);
  expect(verified.balances).toEqual([
    { symbol: 'ETH', balance: '1.5' },
    { symbol: 'CUSD', balance: cusd },
  ]);
  const foreign = await fetch(`${info.url}/v1/por/proof/${other.id}`, { headers: { cookie: mine.cookie } });
  expect(foreign.status).toBe(403);
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Pids whose command line mentions the data directory: none may outlive the server. */
function processesUsing(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(path)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

async function login(url: string, name: string, password: string): Promise<number> {
  const r = await fetch(`${url}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  return r.status;
}

describe('custos serve --dev', () => {
  it('a dev chain port in use exits 2 with one line naming it, and leaves no token file', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = join(dir, 'busy');
    try {
      const r = await run(['--data-dir', dataDir, 'serve', '--dev', '--port', '0', '--chain-port', String(port)]);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([`custos: dev chain port ${port} on 127.0.0.1 is already in use`]);
      expect(existsSync(join(dataDir, 'operator-token'))).toBe(false);
      expect(existsSync(join(dataDir, 'db.lock'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('starts within 60 s, serves fixtures, stops on SIGINT within 10 s, and recognises the reset chain on restart', async () => {
    const dataDir = join(dir, 'state');
    const args = ['--dev', '--port', '0', '--chain-port', '0', '--data-dir', dataDir, '--log-level', 'warn'];
    const t0 = Date.now();
    const first = await serve(args);
    const info = first.info as unknown as DevInfo;
    const client = createPublicClient({ transport: http(info.dev.rpcUrl) });
    let stopped: Awaited<ReturnType<typeof interrupt>> | undefined;
    try {
      expect((await fetch(`${info.url}/healthz`)).status).toBe(200);
      expect(await client.getChainId()).toBe(31337);
      expect(Date.now() - t0).toBeLessThan(60_000);

      // Fixtures: every contract has code on the chain.
      const fixtures = (await (await fetch(`${info.url}/v1/dev/fixtures`)).json()) as {
        chainId: number;
        rpcUrl: string;
        accounts: unknown[];
        contracts: Record<string, `0x${string}`>;
      };
      expect(fixtures.chainId).toBe(31337);
      expect(fixtures.rpcUrl).toBe(info.dev.rpcUrl);
      expect(fixtures.accounts.length).toBeGreaterThanOrEqual(10);
      expect(Object.keys(fixtures.contracts)).toEqual(
        expect.arrayContaining([
          'erc20',
          'erc721',
          'erc1155',
          'permit2',
          'weth',
          'uniswapV2Factory',
          'uniswapV2Router',
        ]),
      );
      expect(fixtures.contracts.permit2).toBe('0x000000000022D473030F116dDEE9F6B43aC78BA3');
      for (const [name, address] of Object.entries(fixtures.contracts)) {
        const code = await client.getCode({ address });
        expect(code?.length ?? 0, name).toBeGreaterThan(2);
      }

      // Demo accounts log in with the printed passwords; the operator token file is private.
      expect(info.dev.accounts.map((a) => a.name)).toEqual(['demo', 'demo2']);
      for (const a of info.dev.accounts) expect(await login(info.url, a.name, a.password)).toBe(200);
      expect(statSync(info.operatorTokenFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(info.operatorTokenFile, 'utf8').trim()).toBe(info.operatorToken);

      await checkDevRound(info);
      await checkDevExchange(info, dataDir);

      // The CLI finds the token file for a loopback server by itself.
      const listed = await run(['--json', '--server', info.url, '--data-dir', dataDir, 'accounts', 'list']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout).accounts.map((a: { name: string }) => a.name)).toEqual(['demo', 'demo2']);
    } finally {
      stopped = await interrupt(first.child, first.done);
    }
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(await portIsFree(Number(new URL(info.url).port))).toBe(true);
    expect(await portIsFree(Number(new URL(info.dev.rpcUrl).port))).toBe(true);
    expect(processesUsing(dataDir)).toEqual([]);
    expect(existsSync(join(dataDir, 'db.lock'))).toBe(false);
    expect(existsSync(info.operatorTokenFile)).toBe(false);

    // Second start on the same data directory.
    const second = await serve(args);
    const again = second.info as unknown as DevInfo;
    try {
      expect(again.dev.chain).toBe('reset');
      expect(again.dev.previousGenesisHash).toBe(info.dev.genesisHash);
      expect(again.dev.genesisHash).not.toBe(info.dev.genesisHash);
      expect(again.dev.droppedRecords).toBeGreaterThanOrEqual(1);
      // The accounts and their passwords carried over.
      expect(again.dev.accounts).toEqual(info.dev.accounts);
      expect(await login(again.url, 'demo', info.dev.accounts[0]?.password as string)).toBe(200);
      // A new dev round, under the same dev key; the previous round's directory is gone.
      expect(again.dev.por.roundId).not.toBe(info.dev.por.roundId);
      expect(again.dev.por.publicKey).toBe(info.dev.por.publicKey);
      expect(readdirSync(join(dataDir, 'por'))).toEqual([again.dev.por.roundId]);
      // The round's liabilities come from the ledger: the deposit made through the CLI is in it.
      await checkDevRound(again, '2510.5');
    } finally {
      const s = await interrupt(second.child, second.done);
      expect(s.code).toBe(0);
    }
    // Two full dev starts (chain, fixtures, exchange, proof-of-reserves round) and the CLI checks:
    // the start-up bound is the assertion above, not this test's own budget.
  }, 240_000);
});
