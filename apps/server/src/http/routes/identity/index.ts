/**
 * Identity routes: account sessions (log in, who am I, log out) and operator account management.
 * Account ids travel as decimal strings in JSON (they are int8 in the database).
 */
import { BaseError } from '@custos/core';
import { z } from 'zod';
import { isDirectLoopbackRequest } from '../../../access/authenticate.js';
import {
  type Account,
  createAccount,
  findAccountById,
  listAccounts,
  validatePassword,
} from '../../../identity/accounts.js';
import { login, logout, SESSION_COOKIE, SESSION_TTL_SECONDS } from '../../../identity/sessions.js';
import { defineRoute, type RouteModule } from '../../route.js';

const MAX_INT8 = 2n ** 63n - 1n;

/** An account in JSON: the int8 id as a decimal string, dates in ISO 8601. */
function accountJson(account: Account): { id: string; name: string; createdAt: string } {
  return { id: account.id.toString(), name: account.name, createdAt: account.createdAt.toISOString() };
}

const Credentials = z.object({ name: z.string().min(1).max(63), password: z.string().min(1).max(1024) }).strict();

const createSession = defineRoute({
  method: 'POST',
  url: '/v1/session',
  summary: 'Log in: a session cookie and a CSRF value',
  access: { public: true, perMinute: 30 },
  body: Credentials,
  async handler({ body, services, request, reply }) {
    const session = await login(services.db, body.name, body.password);
    reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'strict',
      // Not Secure only for a direct request on this machine (plain-HTTP local development).
      secure: !isDirectLoopbackRequest(request),
      path: '/',
      maxAge: SESSION_TTL_SECONDS,
    });
    reply.header('cache-control', 'no-store');
    return {
      account: { id: session.accountId.toString(), name: session.name },
      csrf: session.csrf,
      expiresAt: session.expiresAt.toISOString(),
    };
  },
});

const getSession = defineRoute({
  method: 'GET',
  url: '/v1/session',
  summary: 'The account of the current session',
  access: { principals: ['account'] },
  async handler({ principal }) {
    if (principal?.kind !== 'account') throw new BaseError('INTERNAL', 'access hook let a non-account through');
    return { account: { id: principal.accountId.toString(), name: principal.name } };
  },
});

const deleteSession = defineRoute({
  method: 'DELETE',
  url: '/v1/session',
  summary: 'Log out',
  access: { principals: ['account'] },
  async handler({ principal, services, reply }) {
    if (principal?.kind !== 'account') throw new BaseError('INTERNAL', 'access hook let a non-account through');
    await logout(services.db, principal.session);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  },
});

const createAccountRoute = defineRoute({
  method: 'POST',
  url: '/v1/accounts',
  summary: 'Create an account (operator)',
  access: { principals: ['operator'] },
  body: z.object({ name: z.string(), password: z.string() }).strict(),
  async handler({ body, services, reply }) {
    validatePassword(body.password);
    const account = await createAccount(services.db, body.name, body.password);
    reply.status(201);
    return { account: accountJson(account) };
  },
});

const listAccountsRoute = defineRoute({
  method: 'GET',
  url: '/v1/accounts',
  summary: 'List accounts (operator)',
  access: { principals: ['operator'] },
  async handler({ services }) {
    const accounts = await listAccounts(services.db);
    return {
      accounts: accounts.map(accountJson),
    };
  },
});

const getAccount = defineRoute({
  method: 'GET',
  url: '/v1/accounts/:accountId',
  summary: 'One account: its owner or the operator',
  access: { principals: ['operator', 'account'], ownerParam: 'accountId' },
  params: z.object({
    accountId: z
      .string()
      .regex(/^[1-9][0-9]{0,18}$/, 'expected a decimal account id')
      .refine((v) => BigInt(v) <= MAX_INT8, 'expected an account id below 2^63'),
  }),
  async handler({ params, services }) {
    const account = await findAccountById(services.db, BigInt(params.accountId));
    if (account === undefined) throw new BaseError('NOT_FOUND', `no account ${params.accountId}`);
    return { account: accountJson(account) };
  },
});

export const identityRoutes: RouteModule = {
  name: 'identity',
  routes: [createSession, getSession, deleteSession, createAccountRoute, listAccountsRoute, getAccount],
};
