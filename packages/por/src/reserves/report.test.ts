/**
 * The reserves report over a stub JSON-RPC node: only addresses that signed the round's message
 * count, each at the snapshot block it names; ratios are exact against the signed root; a missing
 * node or block is a typed error naming what is missing.
 */
import { BaseError } from '@custos/core';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { signRoot } from '../root.js';
import { type ReserveRpc, reservesReport, roundMessage } from './index.js';
import { parseReserveFile } from './reserve-file.js';

const KEYS = [`0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`, `0x${'33'.repeat(32)}`] as const;
const HEADER = 'digitalAsset,network,address,signedMessage,signedMessage2,message,publicKey,owner1,owner2';

const root = signRoot(
  {
    version: 'por-root/v1',
    roundId: '2026-11',
    snapshotTime: '2026-11-30T00:00:00.000Z',
    assets: [{ symbol: 'ETH', scale: 8 }],
    height: 1,
    rootHash: 'ab'.repeat(32),
    totals: ['15'],
  },
  new Uint8Array(32).fill(4),
);

async function reserveFile(messages: readonly string[]) {
  const rows: string[] = [];
  for (const [i, message] of messages.entries()) {
    const account = privateKeyToAccount(KEYS[i] as `0x${string}`);
    rows.push(`ETH,ETH,${account.address},${await account.signMessage({ message })},,${message},,,`);
  }
  return parseReserveFile(`${HEADER}\n${rows.join('\n')}\n`);
}

/** Every address holds 10 ETH at block 0x64 (100); any other block is refused. */
const rpc: ReserveRpc & { blocks: string[] } = {
  blocks: [],
  async request({ method, params }) {
    if (method !== 'eth_getBalance') throw new Error(`unexpected ${method}`);
    const block = (params as string[])[1] as string;
    this.blocks.push(block);
    if (block !== '0x64') throw new Error(`unexpected block ${block}`);
    return `0x${(10n * 10n ** 18n).toString(16)}`;
  },
};

describe('reservesReport', () => {
  it('counts only addresses that signed the round message, at the snapshot block', async () => {
    const message = roundMessage('2026-11');
    const file = await reserveFile([message, message, 'I am an OKX address']);
    const report = await reservesReport({ root, rows: file.rows, expectedMessage: message, rpc, block: 100 });
    expect(report.table).toEqual([
      { asset: 'ETH', liabilities: '15', reserves: '20', ratio: '133.33 %', status: 'ok' },
    ]);
    expect(report.addresses.map((a) => a.ownership.valid)).toEqual([true, true, false]);
    expect(report.addresses[2]).toMatchObject({ balance: null, source: 'not counted' });
    expect(new Set(rpc.blocks)).toEqual(new Set(['0x64']));
    // With any message accepted, the third address counts too.
    const any = await reservesReport({ root, rows: file.rows, expectedMessage: null, rpc, block: 100 });
    expect(any.table[0]).toMatchObject({ reserves: '30', ratio: '200.00 %' });
  });

  it('names what is missing: the node, or the snapshot block', async () => {
    const message = roundMessage('2026-11');
    const file = await reserveFile([message]);
    const noRpc = await reservesReport({ root, rows: file.rows, expectedMessage: message }).catch((e: unknown) => e);
    expect(noRpc).toBeInstanceOf(BaseError);
    expect(noRpc).toMatchObject({ code: 'POR_INVALID_INPUT', details: { missing: 'rpc' } });
    const noBlock = await reservesReport({ root, rows: file.rows, expectedMessage: message, rpc }).catch(
      (e: unknown) => e,
    );
    expect(noBlock).toMatchObject({ code: 'POR_INVALID_INPUT', details: { missing: 'block', line: 2 } });
  });
});
