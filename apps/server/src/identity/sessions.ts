/**
 * Account sessions. A login issues two random 256-bit values: the session token (sent only as an
 * HttpOnly, SameSite=Strict cookie) and a CSRF value (returned in the body, echoed by the client
 * in `X-Custos-CSRF` on every state-changing request). The database keeps only SHA-256 hashes of
 * both, so a leaked table grants no session.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BaseError } from '@custos/core';
import type { Queryable } from '@custos/db';
import { findAccountByName } from './accounts.js';
import { decoyHash, verifyPassword } from './passwords.js';

export const SESSION_COOKIE = 'custos_session';
export const CSRF_HEADER = 'x-custos-csrf';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

export interface IssuedSession {
  token: string;
  csrf: string;
  accountId: bigint;
  name: string;
  expiresAt: Date;
}

export async function login(db: Queryable, name: string, password: string): Promise<IssuedSession> {
  const account = await findAccountByName(db, name);
  const ok = await verifyPassword(password, account?.passwordHash ?? (await decoyHash()));
  if (account === undefined || !ok) {
    throw new BaseError('INVALID_CREDENTIALS', 'wrong account name or password');
  }
  const token = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_TTL_SECONDS * 1000);
  await db.query('INSERT INTO sessions (token_hash, account_id, csrf_hash, expires_at) VALUES ($1, $2, $3, $4)', [
    sha256(token),
    account.id,
    sha256(csrf),
    expiresAt,
  ]);
  // Opportunistic clean-up keeps the table small without a scheduler.
  await db.query('DELETE FROM sessions WHERE expires_at < now()');
  return { token, csrf, accountId: account.id, name: account.name, expiresAt };
}

export interface SessionPrincipal {
  accountId: bigint;
  name: string;
  csrfHash: Buffer;
  tokenHash: Buffer;
}

export async function findSession(db: Queryable, token: string): Promise<SessionPrincipal | undefined> {
  const tokenHash = sha256(token);
  const result = await db.query<{ account_id: bigint; name: string; csrf_hash: Uint8Array }>(
    `SELECT s.account_id, a.name, s.csrf_hash FROM sessions s JOIN accounts a ON a.id = s.account_id
     WHERE s.token_hash = $1 AND s.expires_at > now()`,
    [tokenHash],
  );
  const row = result.rows[0];
  return row === undefined
    ? undefined
    : { accountId: row.account_id, name: row.name, csrfHash: Buffer.from(row.csrf_hash), tokenHash };
}

export function csrfMatches(session: SessionPrincipal, presented: string | undefined): boolean {
  if (presented === undefined || presented.length === 0) return false;
  return timingSafeEqual(sha256(presented), session.csrfHash);
}

export async function logout(db: Queryable, session: SessionPrincipal): Promise<void> {
  await db.query('DELETE FROM sessions WHERE token_hash = $1', [session.tokenHash]);
}
