/**
 * Exchange accounts: the second principal. An account has a name and a scrypt password hash;
 * its id is the user id later capabilities hang balances and proof-of-reserves entries on.
 */
import { BaseError, findBaseError } from '@custos/core';
import type { Queryable } from '@custos/db';
import { hashPassword } from './passwords.js';

export interface Account {
  id: bigint;
  name: string;
  createdAt: Date;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function validateAccountName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new BaseError('INVALID_INPUT', '"name" expected 1..63 of a-z 0-9 . _ - starting with a letter or digit', {
      details: { field: 'name' },
    });
  }
  return name;
}

export function validatePassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < 12 || password.length > 1024) {
    throw new BaseError('INVALID_INPUT', '"password" expected 12..1024 characters', { details: { field: 'password' } });
  }
  return password;
}

type AccountRow = { id: bigint; name: string; created_at: Date };
const toAccount = (row: AccountRow): Account => ({ id: row.id, name: row.name, createdAt: row.created_at });

export async function createAccount(db: Queryable, name: string, password: string): Promise<Account> {
  validateAccountName(name);
  validatePassword(password);
  const hash = await hashPassword(password);
  try {
    const result = await db.query<AccountRow>(
      'INSERT INTO accounts (name, password_hash) VALUES ($1, $2) RETURNING id, name, created_at',
      [name, hash],
    );
    return toAccount(result.rows[0] as AccountRow);
  } catch (error) {
    if (findBaseError(error)?.details.sqlstate === '23505') {
      throw new BaseError('ACCOUNT_EXISTS', `an account named ${name} already exists`, {
        details: { name },
        cause: error,
      });
    }
    throw error;
  }
}

/** Sets the password of an existing account, or creates it; used to seed the dev accounts. */
export async function upsertAccount(db: Queryable, name: string, password: string): Promise<Account> {
  validateAccountName(name);
  validatePassword(password);
  const hash = await hashPassword(password);
  const result = await db.query<AccountRow>(
    `INSERT INTO accounts (name, password_hash) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET password_hash = EXCLUDED.password_hash
     RETURNING id, name, created_at`,
    [name, hash],
  );
  return toAccount(result.rows[0] as AccountRow);
}

export async function listAccounts(db: Queryable): Promise<Account[]> {
  const result = await db.query<AccountRow>('SELECT id, name, created_at FROM accounts ORDER BY id');
  return result.rows.map(toAccount);
}

export async function findAccountById(db: Queryable, id: bigint): Promise<Account | undefined> {
  const result = await db.query<AccountRow>('SELECT id, name, created_at FROM accounts WHERE id = $1', [id]);
  const row = result.rows[0];
  return row === undefined ? undefined : toAccount(row);
}

export async function findAccountByName(
  db: Queryable,
  name: string,
): Promise<(Account & { passwordHash: string }) | undefined> {
  const result = await db.query<AccountRow & { password_hash: string }>(
    'SELECT id, name, created_at, password_hash FROM accounts WHERE name = $1',
    [name],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : { ...toAccount(row), passwordHash: row.password_hash };
}
