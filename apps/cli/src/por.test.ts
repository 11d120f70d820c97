/**
 * `custos por` as a user runs it: a build of 150,000 users × 5 assets killed with SIGKILL half-way
 * resumes (same command) to the same signed root as an uninterrupted build; `proof` + `verify`
 * exit 0 with the key pinned, say "signer not pinned" without it, and exit 1 with the reason for a
 * tampered proof; `verify-okx` accepts OKX's real 2022 and 2023 files and refuses a one-character
 * change; bad input exits 2 with the line number.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSnapshot } from '../../../packages/por/src/testing/snapshot.js';
import { finished, interrupt, run, serve, start } from './testing/run.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-por-cli-'));
const SEED_HEX = '11'.repeat(32);
const PUBKEY = Buffer.from(ed25519.getPublicKey(Buffer.from(SEED_HEX, 'hex'))).toString('hex');
const OKX = new URL('../../../packages/por/test/fixtures/okx/', import.meta.url).pathname;
const keyFile = join(dir, 'signing.key');
const input = join(dir, 'liabilities.csv');
const common = [
  '--liabilities',
  input,
  '--signing-key',
  keyFile,
  '--round-id',
  '2026-11',
  '--snapshot-time',
  '2026-11-30T00:00:00Z',
];

beforeAll(async () => {
  writeFileSync(keyFile, `${SEED_HEX}\n`, { mode: 0o600 });
  await writeSnapshot(input, { users: 150_000, assets: 5, seed: 9 });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('custos por build', () => {
  it('killed half-way (SIGKILL), the same command resumes to the same signed root', async () => {
    const clean = await run(['--json', 'por', 'build', ...common, '--out', join(dir, 'clean')]);
    expect(clean.code, clean.stderr).toBe(0);
    const expected = JSON.parse(clean.stdout) as { root: { rootHash: string; signature: string }; resumed: boolean };
    expect(expected.resumed).toBe(false);

    const out = join(dir, 'killed');
    const child = start(['por', 'build', ...common, '--out', out, '--checkpoint-rows', '10000']);
    const done = finished(child);
    await new Promise<void>((resolve) => {
      let err = '';
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        // Kill once the leaves phase is well under way (checkpoints written, the file not finished).
        const m = /leaves\s+\[[#.]+\]\s+([\d.]+) %/g;
        let last = 0;
        for (const match of err.matchAll(m)) last = Number(match[1]);
        if (last >= 30) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      void done.then(() => resolve());
    });
    const killed = await done;
    expect(killed.signal ?? killed.code).toBe('SIGKILL');
    expect(existsSync(join(out, 'root.json'))).toBe(false);
    const state = JSON.parse(readFileSync(join(out, 'build.json'), 'utf8')) as { phase: string; rows: number };
    expect(state.phase).toBe('leaves');
    expect(state.rows).toBeGreaterThan(0);

    const resumed = await run(['--json', 'por', 'build', ...common, '--out', out, '--checkpoint-rows', '10000']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = JSON.parse(resumed.stdout) as { root: { rootHash: string; signature: string }; resumed: boolean };
    expect(result.resumed).toBe(true);
    expect(result.root).toEqual(expected.root);
  }, 120_000);

  it('proof and verify: exit 0 pinned; "signer not pinned" otherwise; exit 1 with the reason when tampered', async () => {
    const proofFile = join(dir, 'proof.json');
    const ids = readFileSync(input, 'utf8')
      .split('\n')
      .slice(1, 4)
      .map((l) => l.split(',')[0] as string);
    const proof = await run([
      'por',
      'proof',
      '--round',
      join(dir, 'clean'),
      '--user',
      ids[1] as string,
      '--out',
      proofFile,
    ]);
    expect(proof.code, proof.stderr).toBe(0);
    const root = join(dir, 'clean', 'root.json');
    const pinned = await run(['por', 'verify', '--proof', proofFile, '--root', root, '--pubkey', PUBKEY]);
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(JSON.parse(pinned.stdout)).toMatchObject({ valid: true, userId: ids[1], signer: { pinned: true } });
    expect(pinned.stderr).not.toMatch(/not pinned/);
    const unpinned = await run(['por', 'verify', '--proof', proofFile, '--root', root]);
    expect(unpinned.code).toBe(0);
    expect(unpinned.stderr).toMatch(/signer not pinned: the root is signed by key [0-9a-f]{16}/);

    const tampered = JSON.parse(readFileSync(proofFile, 'utf8')) as { balances: string[] };
    tampered.balances[0] = tampered.balances[0] === '7' ? '8' : '7';
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tampered));
    const bad = await run([
      '--json',
      'por',
      'verify',
      '--proof',
      join(dir, 'tampered.json'),
      '--root',
      root,
      '--pubkey',
      PUBKEY,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^custos: the user's balances, id and salt do not give the leaf/);
    const other = Buffer.from(ed25519.getPublicKey(new Uint8Array(32).fill(3))).toString('hex');
    const wrongKey = await run(['por', 'verify', '--proof', proofFile, '--root', root, '--pubkey', other]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/signed by another key than the pinned one/);
    const missing = await run(['por', 'proof', '--round', join(dir, 'clean'), '--user', 'nobody']);
    expect(missing.code).toBe(2);
  }, 60_000);

  it('publish (operator, through the server) makes the round the latest', async () => {
    const token = 'por-test-operator-token-0123456789';
    const server = await serve(['--port', '0', '--data-dir', join(dir, 'server')], { CUSTOS_OPERATOR_TOKEN: token });
    try {
      const url = server.info.url as string;
      const refused = await run(['--server', url, 'por', 'publish', '--round', join(dir, 'clean')]);
      expect(refused.code).toBe(2);
      const r = await run(['--server', url, 'por', 'publish', '--round', join(dir, 'clean')], {
        CUSTOS_OPERATOR_TOKEN: token,
      });
      expect(r.code, r.stderr).toBe(0);
      const root = JSON.parse(readFileSync(join(dir, 'clean', 'root.json'), 'utf8')) as { rootHash: string };
      expect(JSON.parse(r.stdout)).toMatchObject({ roundId: '2026-11', rootHash: root.rootHash });
      const latest = (await (await fetch(`${url}/v1/por/rounds/latest`)).json()) as { root: { rootHash: string } };
      expect(latest.root.rootHash).toBe(root.rootHash);
    } finally {
      await interrupt(server.child, server.done);
    }
  }, 60_000);

  it('--emit-proofs writes one proof file per user, sharded, named without ids; each verifies', async () => {
    const small = join(dir, 'small.csv');
    writeFileSync(small, 'user_id,BTC:8\nalice,1\nbob,2\ncarol,0.5\ndave,0\n');
    const out = join(dir, 'emitted');
    const r = await run([
      '--json',
      'por',
      'build',
      '--liabilities',
      small,
      '--out',
      out,
      '--signing-key',
      keyFile,
      '--emit-proofs',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ proofs: 4 });
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(join(out, 'proofs'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(4);
    for (const f of files) {
      expect(f).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{32}\.json$/);
      expect(f.slice(3, 5)).toBe(f.slice(0, 2));
      const v = await run([
        'por',
        'verify',
        '--proof',
        join(out, 'proofs', f),
        '--root',
        join(out, 'root.json'),
        '--pubkey',
        PUBKEY,
      ]);
      expect(v.code, v.stderr).toBe(0);
    }
    expect(files.join(' ')).not.toMatch(/alice|bob|carol|dave/);
  }, 60_000);

  it('refuses a bad snapshot with the line number: exit 2', async () => {
    const badInput = join(dir, 'bad.csv');
    writeFileSync(badInput, 'user_id,BTC:8\nu1,1\nu2,-3\n');
    const r = await run([
      'por',
      'build',
      '--liabilities',
      badInput,
      '--out',
      join(dir, 'bad'),
      '--signing-key',
      keyFile,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^custos: line 3: BTC: negative balance -3/);
  });
});

describe('custos por reserves (dev chain)', () => {
  it('counts addresses that signed the round message, at the snapshot block; a stale message fails (exit 1)', async () => {
    const { startDevChain } = await import('@custos/devchain');
    const { privateKeyToAccount } = await import('viem/accounts');
    const chain = await startDevChain({ port: 0 });
    try {
      writeFileSync(join(dir, 'eth.csv'), 'user_id,ETH:8\nu1,10000\nu2,5000\n');
      const built = await run([
        '--json',
        'por',
        'build',
        '--liabilities',
        join(dir, 'eth.csv'),
        '--out',
        join(dir, 'eth'),
        '--signing-key',
        keyFile,
        '--round-id',
        '2026-11',
      ]);
      expect(built.code, built.stderr).toBe(0);
      const message = 'custos proof of reserves: round 2026-11';
      const rows: string[] = [];
      for (const i of [0, 1]) {
        const account = privateKeyToAccount(chain.accounts[i]?.privateKey as `0x${string}`);
        rows.push(`ETH,ETH,${account.address},${await account.signMessage({ message })},null,${message},,,`);
      }
      const block = Number(await chain.request('eth_blockNumber', []));
      // A transfer after the snapshot must not change what is counted.
      await chain.request('eth_sendTransaction', [
        { from: chain.accounts[0]?.address, to: chain.accounts[5]?.address, value: '0xde0b6b3a7640000' },
      ]);
      const header = 'digitalAsset,network,address,signedMessage,signedMessage2,message,publicKey,owner1,owner2';
      writeFileSync(join(dir, 'reserves.csv'), `${header}\n${rows.join('\n')}\n`);
      const args = [
        'por',
        'reserves',
        '--addresses',
        join(dir, 'reserves.csv'),
        '--root',
        join(dir, 'eth', 'root.json'),
        '--rpc-url',
        chain.rpcUrl,
        '--block',
        String(block),
        '--pubkey',
        PUBKEY,
      ];
      const ok = await run(args);
      expect(ok.code, ok.stderr).toBe(0);
      const report = JSON.parse(ok.stdout) as { table: { asset: string; reserves: string; ratio: string }[] };
      // Two dev accounts at genesis hold 10,000 ETH each (less the gas of the fixtures' deployer: none).
      expect(report.table).toEqual([
        expect.objectContaining({ asset: 'ETH', liabilities: '15000', reserves: '20000', ratio: '133.33 %' }),
      ]);

      // The publication bundle of this round, with its reserves table: the page, the root, the table.
      writeFileSync(join(dir, 'reserves.json'), ok.stdout);
      const bundleArgs = ['por', 'bundle', '--round', join(dir, 'eth'), '--reserves', join(dir, 'reserves.json')];
      const bundled = await run(['--json', ...bundleArgs, '--out', join(dir, 'pub'), '--pubkey', PUBKEY]);
      expect(bundled.code, bundled.stderr).toBe(0);
      expect(JSON.parse(bundled.stdout)).toMatchObject({
        files: ['index.html', 'reserves.json', 'root.json'],
        pinned: true,
        publicKey: PUBKEY,
      });
      expect(readFileSync(join(dir, 'pub', 'index.html'), 'utf8')).toContain('133.33 %');
      const unpinned = await run([...bundleArgs, '--out', join(dir, 'pub2')]);
      expect(unpinned.code, unpinned.stderr).toBe(0);
      expect(unpinned.stderr).toMatch(/signer not pinned/);
      const wrongKey = await run([...bundleArgs, '--out', join(dir, 'pub3'), '--pubkey', 'ab'.repeat(32)]);
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.stderr).toMatch(/pinned/);

      const stale = privateKeyToAccount(chain.accounts[2]?.privateKey as `0x${string}`);
      const old = 'I am an OKX address';
      rows.push(`ETH,ETH,${stale.address},${await stale.signMessage({ message: old })},null,${old},,,`);
      writeFileSync(join(dir, 'reserves.csv'), `${header}\n${rows.join('\n')}\n`);
      const bad = await run(args);
      expect(bad.code).toBe(1);
      const badReport = JSON.parse(bad.stdout) as {
        table: { reserves: string }[];
        addresses: { address: string; ownership: { valid: boolean; reason?: string } }[];
      };
      expect(badReport.addresses.at(-1)?.ownership).toMatchObject({ valid: false, reason: 'wrong-message' });
      expect(badReport.table[0]?.reserves).toBe('20000');
    } finally {
      await chain.close();
    }
  }, 60_000);
});

describe('custos por verify-okx', () => {
  it("accepts OKX's real 2022 proof file and 2023 user-info against its tree file", async () => {
    const v2022 = await run(['por', 'verify-okx', '--proof', join(OKX, 'merkle_proof_file.json')]);
    expect(v2022.code, v2022.stderr).toBe(0);
    expect(JSON.parse(v2022.stdout)).toMatchObject({
      valid: true,
      root: { balances: { BTC: '95088.55505656', ETH: '939953.49090361', USDT: '3137909428.88369702' } },
    });
    const v2023 = await run([
      'por',
      'verify-okx',
      '--user-info',
      join(OKX, 'user_info_file.json'),
      '--tree',
      join(OKX, 'full-liabilities-merkle-tree.txt'),
    ]);
    expect(v2023.code, v2023.stderr).toBe(0);
    expect(JSON.parse(v2023.stdout)).toMatchObject({ valid: true });
  });

  it('refuses a one-character change: exit 1', async () => {
    const text = readFileSync(join(OKX, 'merkle_proof_file.json'), 'utf8');
    const at = text.indexOf('"hash":"') + 12;
    const changed = text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1);
    writeFileSync(join(dir, 'okx-changed.json'), changed);
    const r = await run(['por', 'verify-okx', '--proof', join(dir, 'okx-changed.json')]);
    expect(r.code).toBe(1);
  });
});
