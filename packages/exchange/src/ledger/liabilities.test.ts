/**
 * The proof-of-reserves liabilities export: a CSV whose header names each asset at its ledger
 * scale, with one row per account holding anything (available and frozen — in open orders and
 * pending withdrawals — both count), exact decimals, read back here by an independent parser
 * whose per-asset totals must equal the balance sums in the database; and a file the
 * proof-of-reserves builder accepts, its signed root carrying the same totals.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreMigrations, type Database, exchangeMigrations, openPGlite } from '@custos/db';
import { buildLiabilitiesTree } from '@custos/por';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from './ledger.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-ledger-export-'));
let db: Database;
let now = Date.UTC(2026, 5, 30, 23, 59, 59);
let ledger: Ledger;

/** Parses the CSV without the ledger's or the builder's code: header, rows, per-asset unit totals. */
function parseCsv(text: string): { columns: { ccy: string; scale: number }[]; rows: Map<string, bigint[]> } {
  const lines = text.split('\n');
  expect(lines.at(-1)).toBe('');
  const [header, ...data] = lines.slice(0, -1);
  const names = (header as string).split(',');
  expect(names[0]).toBe('user_id');
  const columns = names.slice(1).map((n) => {
    const [ccy, scale] = n.split(':');
    return { ccy: ccy as string, scale: Number(scale) };
  });
  const rows = new Map<string, bigint[]>();
  for (const line of data) {
    const [user, ...values] = line.split(',');
    expect(user).toMatch(/^[1-9][0-9]*$/);
    expect(rows.has(user as string)).toBe(false);
    expect(values).toHaveLength(columns.length);
    rows.set(
      user as string,
      values.map((v, i) => {
        expect(v).toMatch(/^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/);
        const [whole = '', fraction = ''] = v.split('.');
        const scale = (columns[i] as { scale: number }).scale;
        expect(fraction.length).toBeLessThanOrEqual(scale);
        return BigInt(whole + fraction.padEnd(scale, '0'));
      }),
    );
  }
  return { columns, rows };
}

async function account(name: string): Promise<bigint> {
  const r = await db.query<{ id: bigint }>("INSERT INTO accounts (name, password_hash) VALUES ($1, 'x') RETURNING id", [
    name,
  ]);
  return (r.rows[0] as { id: bigint }).id;
}

beforeAll(async () => {
  db = await openPGlite();
  await db.migrate([...(await coreMigrations()), ...(await exchangeMigrations())]);
  ledger = new Ledger(db, { clock: { now: () => now }, coolingOffMs: 0 });
  await ledger.createAsset({ ccy: 'BTC', scale: 8, chains: [{ chain: 'BTC-Bitcoin', fee: '0.0001' }] });
  await ledger.createAsset({ ccy: 'ETH', scale: 8 });
  await ledger.createAsset({ ccy: 'USDT', scale: 6 });
  await ledger.createAsset({ ccy: 'DOGE', scale: 0 });
  await ledger.createMarket({ instId: 'BTC-USDT', tickSz: '0.1', lotSz: '0.0001', minSz: '0.0001', takerFeeBps: 10 });
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the liabilities export', () => {
  it('writes every holding account with exact totals, and the proof-of-reserves builder accepts it (304 accounts, 4 assets, pages of 7)', async () => {
    const ids: bigint[] = [];
    for (let i = 0; i < 300; i++) ids.push(await account(`holder-${i}`));
    // Balances of every shape: dust, large, whole, none at all.
    for (const [i, id] of ids.entries()) {
      if (i % 3 === 0) await ledger.deposit(id, 'BTC', `${i % 7}.${String(i + 1).padStart(8, '0')}`);
      if (i % 4 === 1) await ledger.deposit(id, 'USDT', `${i * 1000}.${String(i % 1000).padStart(6, '0')}`);
      if (i % 5 === 2) await ledger.deposit(id, 'DOGE', `${i * 13}`);
      if (i % 11 === 10) await ledger.deposit(id, 'ETH', '0.00000001');
    }
    // Frozen in orders, traded with fees, frozen in a pending withdrawal: all still owed.
    const maker = await account('maker');
    const taker = await account('taker');
    const leaver = await account('leaver');
    const empty = await account('empty');
    await ledger.deposit(maker, 'BTC', '2');
    await ledger.deposit(taker, 'USDT', '100000');
    await ledger.deposit(leaver, 'BTC', '1');
    await ledger.deposit(empty, 'BTC', '0.5');
    await ledger.placeOrder(maker, { instId: 'BTC-USDT', side: 'sell', ordType: 'limit', px: '30000', sz: '2' });
    await ledger.placeOrder(taker, { instId: 'BTC-USDT', side: 'buy', ordType: 'limit', px: '30000', sz: '0.5' });
    await ledger.placeOrder(taker, { instId: 'BTC-USDT', side: 'buy', ordType: 'limit', px: '20000', sz: '1' });
    await ledger.addWithdrawalAddress(leaver, { ccy: 'BTC', chain: 'BTC-Bitcoin', address: 'bc1qleaver' }, 'account');
    await ledger.withdraw(leaver, { ccy: 'BTC', chain: 'BTC-Bitcoin', amt: '0.9999', toAddr: 'bc1qleaver' });
    // An account that held something and has nothing now is not a liability.
    await ledger.addWithdrawalAddress(empty, { ccy: 'BTC', chain: 'BTC-Bitcoin', address: 'bc1qempty' }, 'account');
    const all = await ledger.withdraw(empty, { ccy: 'BTC', chain: 'BTC-Bitcoin', amt: '0.4999', toAddr: 'bc1qempty' });
    await ledger.completeWithdrawal(all.wdId);
    expect(await ledger.balances(empty)).toEqual([]);

    const out = join(dir, 'liabilities.csv');
    const result = await ledger.exportLiabilities(out, { pageSize: 7 });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toBe('user_id,BTC:8,DOGE:0,ETH:8,USDT:6');
    const parsed = parseCsv(text);
    expect(parsed.columns).toEqual(result.assets);

    const expectedUsers = await db.query<{ n: bigint }>(
      'SELECT count(DISTINCT account_id) AS n FROM exchange_balances WHERE available + frozen > 0',
    );
    expect(BigInt(parsed.rows.size)).toBe(expectedUsers.rows[0]?.n);
    expect(result.users).toBe(parsed.rows.size);
    expect(parsed.rows.has(empty.toString())).toBe(false);
    expect(parsed.rows.has(leaver.toString())).toBe(true);

    const sums = await db.query<{ ccy: string; total: string }>(
      'SELECT ccy, sum(available + frozen)::text AS total FROM exchange_balances GROUP BY ccy',
    );
    parsed.columns.forEach((c, i) => {
      let total = 0n;
      for (const values of parsed.rows.values()) total += values[i] as bigint;
      const expected = BigInt(sums.rows.find((r) => r.ccy === c.ccy)?.total ?? '0');
      expect(total, c.ccy).toBe(expected);
      const [whole = '', fraction = ''] = (result.totals[c.ccy] as string).split('.');
      expect(BigInt(whole + fraction.padEnd(c.scale, '0')), c.ccy).toBe(expected);
    });
    // The leaver's pending withdrawal (0.9999 + 0.0001 fee) still counts: 1 BTC owed.
    expect(parsed.rows.get(leaver.toString())?.[0]).toBe(100_000_000n);
    // The maker: 1.5 BTC still frozen in its order, 15000 USDT received (the taker's fee was in BTC).
    expect(parsed.rows.get(maker.toString())).toEqual([150_000_000n, 0n, 0n, 15_000_000_000n]);

    const round = join(dir, 'round');
    const built = buildLiabilitiesTree({
      input: out,
      out: round,
      signingSeed: new Uint8Array(32).fill(3),
      roundId: '2026-06',
      snapshotTime: new Date(now).toISOString(),
    });
    expect(built.users).toBe(result.users);
    expect(built.root.assets).toEqual(result.assets.map((a) => ({ symbol: a.ccy, scale: a.scale })));
    built.root.totals.forEach((total, i) => {
      const c = result.assets[i] as { ccy: string; scale: number };
      const [whole = '', fraction = ''] = total.split('.');
      const [rw = '', rf = ''] = (result.totals[c.ccy] as string).split('.');
      expect(BigInt(whole + fraction.padEnd(c.scale, '0'))).toBe(BigInt(rw + rf.padEnd(c.scale, '0')));
    });
  });

  it('exports only the assets asked for, in the order asked, and refuses unknown ones', async () => {
    const out = join(dir, 'usdt-btc.csv');
    const result = await ledger.exportLiabilities(out, { assets: ['USDT', 'BTC'] });
    const parsed = parseCsv(readFileSync(out, 'utf8'));
    expect(parsed.columns).toEqual([
      { ccy: 'USDT', scale: 6 },
      { ccy: 'BTC', scale: 8 },
    ]);
    for (const values of parsed.rows.values()) expect(values.some((v) => v > 0n)).toBe(true);
    expect(result.users).toBe(parsed.rows.size);
    await expect(ledger.exportLiabilities(join(dir, 'x.csv'), { assets: ['XRP'] })).rejects.toMatchObject({
      code: 'EXCHANGE_INVALID_REQUEST',
    });
    now += 1;
  });
});
