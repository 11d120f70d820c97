/**
 * `custos approvals` against a running server (`custos serve --rpc-url <chainId>=<dev chain>`):
 * `list --wait` prints the live approvals, `revoke` without a signer prints the transactions, with
 * `--private-key-file` signs and sends them and the next list is empty; an invalid address or
 * chain id exits 2 with one line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevChain, startDevChain } from '@custos/devchain';
import type { Address } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveData, randomAddress, send } from '../../../packages/approvals/src/testing/history.js';
import { interrupt, run, serve } from './testing/run.js';

let dir: string;
let chain: DevChain;
let server: Awaited<ReturnType<typeof serve>>;
let url: string;
let owner: Address;
const spenders = [randomAddress(), randomAddress()];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-approvals-cli-'));
  chain = await startDevChain({ port: 0 });
  owner = chain.accounts[8]?.address.toLowerCase() as Address;
  for (const [i, spender] of spenders.entries())
    await send(chain, owner, chain.contracts.erc20.toLowerCase() as Address, approveData(spender, BigInt(100 + i)));
  server = await serve([
    '--port',
    '0',
    '--data-dir',
    join(dir, 'server'),
    '--rpc-url',
    `${chain.chainId}=${chain.rpcUrl}`,
  ]);
  url = server.info.url as string;
}, 60_000);

afterAll(async () => {
  if (server) await interrupt(server.child, server.done);
  await chain?.close();
  rmSync(dir, { recursive: true, force: true });
});

const approvals = (args: readonly string[]) => run(['--json', '--server', url, 'approvals', ...args]);

describe('custos approvals', () => {
  it('list --wait prints the live approvals; revoke prints, then signs and sends, the revocations', async () => {
    const base = ['--chain-id', String(chain.chainId), '--address', owner];
    const listed = await approvals(['list', ...base, '--wait']);
    expect(listed.code, listed.stderr).toBe(0);
    const list = JSON.parse(listed.stdout) as {
      status: string;
      approvals: { id: string; spender: string; amount: string }[];
    };
    expect(list.status).toBe('complete');
    expect(list.approvals.map((a) => [a.spender, a.amount]).sort()).toEqual(
      [
        [spenders[0], '100'],
        [spenders[1], '101'],
      ].sort(),
    );

    const first = list.approvals[0]?.id as string;
    const printed = await approvals(['revoke', ...base, '--id', first]);
    expect(printed.code, printed.stderr).toBe(0);
    const { transactions } = JSON.parse(printed.stdout) as { transactions: { method: string; revokes: string[] }[] };
    expect(transactions).toEqual([expect.objectContaining({ method: 'approve(spender, 0)', revokes: [first] })]);

    const keyFile = join(dir, 'owner.key');
    writeFileSync(keyFile, `${chain.accounts[8]?.privateKey}\n`, { mode: 0o600 });
    const sent = await approvals([
      'revoke',
      ...base,
      '--all',
      '--private-key-file',
      keyFile,
      '--rpc-url',
      chain.rpcUrl,
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    expect((JSON.parse(sent.stdout) as { sent: { hash: string }[] }).sent).toHaveLength(2);
    const after = await approvals(['list', ...base, '--wait']);
    expect(JSON.parse(after.stdout)).toMatchObject({ status: 'complete', approvals: [] });
  });

  it.each([
    [['list', '--chain-id', 'abc', '--address', `0x${'11'.repeat(20)}`], /--chain-id must be/],
    [['list', '--chain-id', '0', '--address', `0x${'11'.repeat(20)}`], /--chain-id must be/],
    [['list', '--chain-id', '31337', '--address', '0x1234'], /--address must be/],
    [['revoke', '--chain-id', '31337', '--address', `0x${'11'.repeat(20)}`], /--id <id...> or --all/],
  ])('%j exits 2 with one line', async (args, message) => {
    const r = await run(['--server', url, 'approvals', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^custos: /);
  });

  it('a chain the server does not serve exits 2 with the server’s typed error', async () => {
    const r = await run(['--server', url, 'approvals', 'list', '--chain-id', '5', '--address', owner]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/chain 5 is not served/);
  });
});
