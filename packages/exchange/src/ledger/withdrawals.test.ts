/**
 * Withdrawals on an in-memory PGlite with a clock the tests move: only to allow-listed addresses,
 * only after the cooling-off (the same for an address the account or an operator listed), never
 * while the account's withdrawals are frozen, never under the chain's minimum or over the
 * balance; the amount and fee frozen until the back office completes or fails it; and every
 * allow-list and freeze change in the audit table.
 */
import { coreMigrations, type Database, exchangeMigrations, openPGlite } from '@custos/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COOLING_OFF_MS, Ledger } from './ledger.js';

const HOUR = 60 * 60 * 1000;
const ADDR = '0x52908400098527886E0F7030069857D2E4169EE7';
const OTHER = '0x8617E340B3D01FA5F11F306F4090FD50E238070D';

let db: Database;
let now = Date.UTC(2026, 2, 1);
let ledger: Ledger;
let accounts = 0;

beforeAll(async () => {
  db = await openPGlite();
  await db.migrate([...(await coreMigrations()), ...(await exchangeMigrations())]);
  ledger = new Ledger(db, { clock: { now: () => now } });
  await ledger.createAsset({
    ccy: 'USDT',
    scale: 6,
    chains: [
      { chain: 'USDT-ERC20', minWd: '10', fee: '1.5' },
      { chain: 'USDT-TRC20', minWd: '1', fee: '1', canWd: false },
    ],
  });
});
afterAll(async () => db?.close());

async function funded(usdt: string): Promise<bigint> {
  const r = await db.query<{ id: bigint }>("INSERT INTO accounts (name, password_hash) VALUES ($1, 'x') RETURNING id", [
    `wd-${++accounts}`,
  ]);
  const id = (r.rows[0] as { id: bigint }).id;
  await ledger.deposit(id, 'USDT', usdt);
  return id;
}

async function usdt(id: bigint) {
  const [b] = await ledger.balances(id, ['USDT']);
  return { available: b?.available, frozen: b?.frozen };
}

const wd = (amt: string, toAddr = ADDR, chain = 'USDT-ERC20') => ({ ccy: 'USDT', chain, amt, toAddr });

describe('the withdrawal address allow-list', () => {
  it('refuses an address before its cooling-off ends and allows it after (24 h, clock moved)', async () => {
    const id = await funded('1000');
    const t0 = now;
    const entry = await ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address: ADDR }, 'account');
    expect(entry).toMatchObject({ address: ADDR.toLowerCase(), addedBy: 'account', createdAt: t0 });
    expect(entry.usableAt).toBe(t0 + DEFAULT_COOLING_OFF_MS);
    now = t0 + HOUR;
    await expect(ledger.withdraw(id, wd('100'))).rejects.toMatchObject({
      code: 'EXCHANGE_ADDRESS_COOLING_OFF',
      details: { usableAt: entry.usableAt, addressId: entry.id },
    });
    now = entry.usableAt - 1;
    await expect(ledger.withdraw(id, wd('100'))).rejects.toMatchObject({ code: 'EXCHANGE_ADDRESS_COOLING_OFF' });
    expect(await usdt(id)).toEqual({ available: '1000', frozen: '0' });
    now = entry.usableAt;
    // The address matches whatever the case of its hex digits.
    const pending = await ledger.withdraw(id, wd('100', ADDR.toLowerCase()));
    expect(pending).toMatchObject({ state: 'pending', amt: '100', fee: '1.5', toAddr: ADDR.toLowerCase() });
    expect(await usdt(id)).toEqual({ available: '898.5', frozen: '101.5' });
    expect(await ledger.isKnownWithdrawalAddress(id, ADDR)).toBe(false);
    const done = await ledger.completeWithdrawal(pending.wdId, { txId: '0xabc' });
    expect(done).toMatchObject({ state: 'completed', txId: '0xabc' });
    expect(await usdt(id)).toEqual({ available: '898.5', frozen: '0' });
    expect(await ledger.isKnownWithdrawalAddress(id, ADDR)).toBe(true);
    expect(await ledger.isKnownWithdrawalAddress(id, OTHER)).toBe(false);
    expect(await ledger.isKnownWithdrawalAddress(id, ADDR, 'USDT')).toBe(true);
    expect(await ledger.isKnownWithdrawalAddress(id, ADDR, 'BTC')).toBe(false);
    await expect(ledger.completeWithdrawal(pending.wdId)).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    expect(await ledger.feesCollected()).toEqual({ USDT: '1.5' });
  });

  it('makes an address an operator lists wait the same cooling-off (24 h)', async () => {
    const id = await funded('100');
    const t0 = now;
    const entry = await ledger.addWithdrawalAddress(
      id,
      { ccy: 'USDT', chain: 'USDT-ERC20', address: OTHER, label: 'cold' },
      'operator',
    );
    expect(entry).toMatchObject({ addedBy: 'operator', label: 'cold', usableAt: t0 + DEFAULT_COOLING_OFF_MS });
    await expect(ledger.withdraw(id, wd('20', OTHER))).rejects.toMatchObject({ code: 'EXCHANGE_ADDRESS_COOLING_OFF' });
    // Listing it again changes nothing (and does not restart the wait).
    now = t0 + HOUR;
    expect(
      await ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address: OTHER }, 'account'),
    ).toEqual(entry);
    now = t0 + DEFAULT_COOLING_OFF_MS;
    await expect(ledger.withdraw(id, wd('20', OTHER))).resolves.toMatchObject({ state: 'pending' });
  });

  it('refuses addresses not listed, listed for another chain, or removed; re-listing restarts the wait (2 accounts, 3 chains)', async () => {
    const id = await funded('100');
    const other = await funded('100');
    const entry = await ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address: ADDR }, 'account');
    now += DEFAULT_COOLING_OFF_MS;
    await expect(ledger.withdraw(id, wd('20', OTHER))).rejects.toMatchObject({ code: 'EXCHANGE_ADDRESS_NOT_ALLOWED' });
    await expect(ledger.withdraw(other, wd('20', ADDR))).rejects.toMatchObject({
      code: 'EXCHANGE_ADDRESS_NOT_ALLOWED',
    });
    await ledger.setAssetChain('USDT', { chain: 'USDT-Polygon', minWd: '1', fee: '0.1' });
    await expect(ledger.withdraw(id, wd('20', ADDR, 'USDT-Polygon'))).rejects.toMatchObject({
      code: 'EXCHANGE_ADDRESS_NOT_ALLOWED',
    });
    await expect(ledger.withdraw(id, wd('20', ADDR, 'USDT-TRC20'))).rejects.toMatchObject({
      code: 'EXCHANGE_INVALID_REQUEST',
      details: { reason: 'chain_suspended' },
    });
    expect(await ledger.removeWithdrawalAddress(other, entry.id, 'account')).toBe(false);
    expect(await ledger.removeWithdrawalAddress(id, entry.id, 'account')).toBe(true);
    expect(await ledger.removeWithdrawalAddress(id, entry.id, 'account')).toBe(false);
    expect(await ledger.listWithdrawalAddresses(id)).toEqual([]);
    await expect(ledger.withdraw(id, wd('20', ADDR))).rejects.toMatchObject({ code: 'EXCHANGE_ADDRESS_NOT_ALLOWED' });
    const again = await ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address: ADDR }, 'account');
    expect(again.id).not.toBe(entry.id);
    expect(again.usableAt).toBe(now + DEFAULT_COOLING_OFF_MS);
    await expect(ledger.withdraw(id, wd('20', ADDR))).rejects.toMatchObject({ code: 'EXCHANGE_ADDRESS_COOLING_OFF' });
    expect(await ledger.listWithdrawalAddresses(id)).toEqual([again]);
    await expect(
      ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'BTC-Bitcoin', address: ADDR }, 'account'),
    ).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
    await expect(
      ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address: 'a b' }, 'account'),
    ).rejects.toMatchObject({ code: 'EXCHANGE_INVALID_REQUEST' });
  });
});

describe('withdrawal refusals and the back office', () => {
  it('refuses a frozen account, amounts under the minimum or over the balance, and a wrong fee (100 USDT, min 10, fee 1.5)', async () => {
    const id = await funded('100');
    await ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address: ADDR }, 'account');
    now += DEFAULT_COOLING_OFF_MS;
    expect(await ledger.freezeWithdrawals(id, 'anti-fraud: new device and new address', 'system')).toBe(true);
    expect(await ledger.freezeWithdrawals(id, 'again')).toBe(false);
    expect(await ledger.withdrawalsFrozen(id)).toBe(true);
    await expect(ledger.withdraw(id, wd('20'))).rejects.toMatchObject({ code: 'EXCHANGE_WITHDRAWALS_FROZEN' });
    expect(await ledger.unfreezeWithdrawals(id, 'operator', 'verified by phone')).toBe(true);
    expect(await ledger.unfreezeWithdrawals(id)).toBe(false);
    expect(await ledger.withdrawalsFrozen(id)).toBe(false);

    await expect(ledger.withdraw(id, wd('9.999999'))).rejects.toMatchObject({
      code: 'EXCHANGE_INSUFFICIENT_FUNDS',
      details: { reason: 'below_min_withdrawal', minWd: '10' },
    });
    await expect(ledger.withdraw(id, wd('98.500001'))).rejects.toMatchObject({
      code: 'EXCHANGE_INSUFFICIENT_FUNDS',
      details: { reason: 'balance', required: '100.000001', available: '100' },
    });
    await expect(ledger.withdraw(id, { ...wd('20'), fee: '1' })).rejects.toMatchObject({
      code: 'EXCHANGE_INVALID_REQUEST',
    });
    expect(await usdt(id)).toEqual({ available: '100', frozen: '0' });
    const all = await ledger.withdraw(id, { ...wd('98.5'), fee: '1.50' });
    expect(await usdt(id)).toEqual({ available: '0', frozen: '100' });
    const failed = await ledger.failWithdrawal(all.wdId, 'node unreachable');
    expect(failed).toMatchObject({ state: 'failed', reason: 'node unreachable' });
    expect(await usdt(id)).toEqual({ available: '100', frozen: '0' });
    expect(await ledger.isKnownWithdrawalAddress(id, ADDR)).toBe(false);
    expect((await ledger.withdrawals(id)).map((w) => w.state)).toEqual(['failed']);
    await expect(ledger.getWithdrawal('424242')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('writes every allow-list and freeze change to the audit table (5 changes)', async () => {
    const id = await funded('1');
    const t0 = now;
    const a = await ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address: ADDR }, 'account');
    const b = await ledger.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address: OTHER }, 'operator');
    await ledger.removeWithdrawalAddress(id, a.id, 'operator');
    await ledger.freezeWithdrawals(id, 'suspicious login');
    await ledger.unfreezeWithdrawals(id, 'operator', 'cleared');
    const rows = await db.query<{ at: Date; actor: string; action: string; details: Record<string, unknown> }>(
      'SELECT at, actor, action, details FROM exchange_ledger_audit WHERE account_id = $1 ORDER BY id',
      [id],
    );
    expect(rows.rows.map((r) => [r.actor, r.action])).toEqual([
      ['account', 'withdrawal_address_added'],
      ['operator', 'withdrawal_address_added'],
      ['operator', 'withdrawal_address_removed'],
      ['operator', 'withdrawals_frozen'],
      ['operator', 'withdrawals_unfrozen'],
    ]);
    expect(rows.rows[0]?.at.getTime()).toBe(t0);
    expect(rows.rows[1]?.details).toMatchObject({
      id: b.id,
      address: OTHER.toLowerCase(),
      chain: 'USDT-ERC20',
      usableAt: new Date(b.usableAt).toISOString(),
    });
    expect(rows.rows[3]?.details).toEqual({ reason: 'suspicious login' });
    const trail = await ledger.auditTrail(id);
    expect(trail.map((e) => e.action)).toEqual(rows.rows.map((r) => r.action).reverse());
  });

  it('takes the cooling-off from the options (1 h)', async () => {
    const short = new Ledger(db, { clock: { now: () => now }, coolingOffMs: HOUR });
    const id = await funded('50');
    const entry = await short.addWithdrawalAddress(id, { ccy: 'USDT', chain: 'USDT-ERC20', address: ADDR }, 'account');
    expect(entry.usableAt - entry.createdAt).toBe(HOUR);
    now += HOUR;
    await expect(short.withdraw(id, wd('10'))).resolves.toMatchObject({ state: 'pending' });
    expect(() => new Ledger(db, { coolingOffMs: -1 })).toThrow();
  });
});
