/**
 * The reference ledger's back office: deposits and the liabilities export (operator), and each
 * account's withdrawal allow-list — added by the account's own session or by the operator, both
 * audit-logged and both waiting out the same cooling-off period before API withdrawals may use
 * the address.
 */
import { isAbsolute } from 'node:path';
import { BaseError } from '@custos/core';
import type { WithdrawalAddress } from '@custos/exchange';
import { z } from 'zod';
import { exchangeOf } from '../../../exchange/runtime.js';
import { findAccountById, findAccountByName } from '../../../identity/accounts.js';
import type { Services } from '../../../services.js';
import { defineRoute, type RouteModule } from '../../route.js';

async function accountNamed(services: Services, named: string): Promise<bigint> {
  const account = /^[1-9][0-9]{0,18}$/.test(named)
    ? await findAccountById(services.db, BigInt(named))
    : await findAccountByName(services.db, named);
  if (account === undefined) throw new BaseError('NOT_FOUND', `no account ${named}`);
  return account.id;
}

const accountParams = z.object({ accountId: z.string().regex(/^[1-9][0-9]{0,18}$/, 'expected a decimal account id') });

function addressJson(a: WithdrawalAddress) {
  return { ...a, createdAt: new Date(a.createdAt).toISOString(), usableAt: new Date(a.usableAt).toISOString() };
}

const deposit = defineRoute({
  method: 'POST',
  url: '/v1/ledger/deposits',
  summary: 'Credit a deposit to an account (operator; idempotent on txId)',
  access: { principals: ['operator'] },
  body: z
    .object({
      account: z.string().min(1).max(64),
      ccy: z.string().min(1).max(20),
      amount: z.string().min(1).max(60),
      txId: z.string().min(1).max(200).optional(),
    })
    .strict(),
  async handler({ body, services }) {
    const accountId = await accountNamed(services, body.account);
    const result = await exchangeOf(services).ledger.deposit(
      accountId,
      body.ccy.toUpperCase(),
      body.amount,
      body.txId === undefined ? {} : { txId: body.txId },
    );
    return { accountId: accountId.toString(), ...result };
  },
});

const addAddress = defineRoute({
  method: 'POST',
  url: '/v1/accounts/:accountId/withdrawal-addresses',
  summary: "Allow-list a withdrawal address (the account's session, or the operator); usable after the cooling-off",
  access: { principals: ['account', 'operator'], ownerParam: 'accountId' },
  params: accountParams,
  body: z
    .object({
      ccy: z.string().min(1).max(20),
      chain: z.string().min(1).max(60),
      address: z.string().min(1).max(200),
      label: z.string().max(100).optional(),
    })
    .strict(),
  async handler({ params, body, principal, services, reply }) {
    const actor = principal?.kind === 'operator' ? 'operator' : 'account';
    const added = await exchangeOf(services).ledger.addWithdrawalAddress(
      BigInt(params.accountId),
      {
        ccy: body.ccy.toUpperCase(),
        chain: body.chain,
        address: body.address,
        ...(body.label === undefined ? {} : { label: body.label }),
      },
      actor,
    );
    reply.status(201);
    return { address: addressJson(added) };
  },
});

const listAddresses = defineRoute({
  method: 'GET',
  url: '/v1/accounts/:accountId/withdrawal-addresses',
  summary: "An account's withdrawal allow-list (the account's session, or the operator)",
  access: { principals: ['account', 'operator'], ownerParam: 'accountId' },
  params: accountParams,
  async handler({ params, services }) {
    const list = await exchangeOf(services).ledger.listWithdrawalAddresses(BigInt(params.accountId));
    return { addresses: list.map(addressJson) };
  },
});

const exportLiabilities = defineRoute({
  method: 'POST',
  url: '/v1/ledger/liabilities-export',
  summary: "Write the proof-of-reserves liabilities snapshot (CSV) to a file on the server's disk (operator)",
  access: { principals: ['operator'] },
  body: z
    .object({ out: z.string().min(1).max(4096), assets: z.array(z.string().min(1).max(20)).max(200).optional() })
    .strict(),
  async handler({ body, services }) {
    if (!isAbsolute(body.out)) {
      throw new BaseError('INVALID_INPUT', '"out" must be an absolute path on the server', {
        details: { field: 'out' },
      });
    }
    const result = await exchangeOf(services).ledger.exportLiabilities(
      body.out,
      body.assets === undefined ? {} : { assets: body.assets.map((a) => a.toUpperCase()) },
    );
    return { out: body.out, ...result };
  },
});

export const ledgerRoutes: RouteModule = {
  name: 'ledger',
  routes: [deposit, addAddress, listAddresses, exportLiabilities],
};
