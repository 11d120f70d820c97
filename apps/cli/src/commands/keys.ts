/**
 * `custos keys` (exchange API keys) and `custos ledger` (the reference ledger's back office),
 * through the server with the operator token. `keys create` prints the secret and passphrase
 * once: they cannot be read again.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { callServer } from '../client.js';
import { printJson, usageError } from '../output.js';
import { clientOptions } from './accounts.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function permissionsOf(text: string): string[] {
  const permissions = text.split(',').map((p) => p.trim());
  for (const p of permissions) {
    if (p !== 'read' && p !== 'trade' && p !== 'withdraw') {
      throw usageError(`--permissions takes read, trade and withdraw, comma-separated: ${p}`);
    }
  }
  return permissions;
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('exchange API keys (operator, through the server)');
  keys
    .command('create')
    .description('create an API key; prints {apiKey, secretKey, passphrase} once')
    .requiredOption('--account <account>', 'account id or name')
    .requiredOption('--permissions <list>', 'read,trade[,withdraw] (withdraw needs --ip)')
    .option('--ip <cidr>', 'allowed source address or CIDR (IPv4/IPv6), repeatable, at most 20', collect)
    .option('--broker <id>', 'bind the key to a registered third-party app (its CIDRs only)')
    .option('--label <label>', 'a name for the key', 'cli')
    .option('--expires <iso>', 'expiry, ISO-8601')
    .action(
      async (
        flags: {
          account: string;
          permissions: string;
          ip?: string[];
          broker?: string;
          label: string;
          expires?: string;
        },
        command: Command,
      ) => {
        const created = await callServer<{ apiKey: string; secretKey: string; passphrase: string; key: unknown }>(
          clientOptions(command),
          'POST',
          '/v1/keys',
          {
            account: flags.account,
            label: flags.label,
            permissions: permissionsOf(flags.permissions),
            ...(flags.ip === undefined ? {} : { ipAllowlist: flags.ip }),
            ...(flags.broker === undefined ? {} : { brokerId: flags.broker }),
            ...(flags.expires === undefined ? {} : { expiresAt: flags.expires }),
          },
        );
        printJson({ apiKey: created.apiKey, secretKey: created.secretKey, passphrase: created.passphrase });
      },
    );
  keys
    .command('list')
    .description("an account's keys (never their secrets)")
    .requiredOption('--account <account>', 'account id or name')
    .action(async (flags: { account: string }, command: Command) => {
      const query = new URLSearchParams({ account: flags.account });
      printJson(await callServer(clientOptions(command), 'GET', `/v1/keys?${query}`));
    });
  keys
    .command('revoke')
    .description('revoke a key')
    .argument('<apiKey>', 'the API key')
    .action(async (apiKey: string, _flags: unknown, command: Command) => {
      printJson(await callServer(clientOptions(command), 'DELETE', `/v1/keys/${encodeURIComponent(apiKey)}`));
    });

  const ledger = program.command('ledger').description('the reference ledger (operator, through the server)');
  ledger
    .command('deposit')
    .description('credit a deposit (idempotent with --tx-id)')
    .requiredOption('--account <account>', 'account id or name')
    .requiredOption('--ccy <ccy>', 'currency')
    .requiredOption('--amount <amount>', 'exact decimal amount')
    .option('--tx-id <id>', 'the deposit transaction id')
    .action(async (flags: { account: string; ccy: string; amount: string; txId?: string }, command: Command) => {
      printJson(
        await callServer(clientOptions(command), 'POST', '/v1/ledger/deposits', {
          account: flags.account,
          ccy: flags.ccy,
          amount: flags.amount,
          ...(flags.txId === undefined ? {} : { txId: flags.txId }),
        }),
      );
    });
  ledger
    .command('allow-address')
    .description('allow-list a withdrawal address (usable after the cooling-off period)')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--ccy <ccy>', 'currency')
    .requiredOption('--chain <chain>', 'chain, e.g. USDT-ERC20')
    .requiredOption('--address <address>', 'the address')
    .option('--label <label>', 'a name for it')
    .action(
      async (
        flags: { account: string; ccy: string; chain: string; address: string; label?: string },
        command: Command,
      ) => {
        if (!/^[1-9][0-9]{0,18}$/.test(flags.account)) throw usageError('--account takes the decimal account id');
        printJson(
          await callServer(clientOptions(command), 'POST', `/v1/accounts/${flags.account}/withdrawal-addresses`, {
            ccy: flags.ccy,
            chain: flags.chain,
            address: flags.address,
            ...(flags.label === undefined ? {} : { label: flags.label }),
          }),
        );
      },
    );
  ledger
    .command('export-liabilities')
    .description('write the proof-of-reserves liabilities CSV (a path on the server’s disk)')
    .requiredOption('--out <file>', 'output CSV, as the server sees it')
    .option('--asset <ccy>', 'an asset column (repeatable; default every asset)', collect)
    .action(async (flags: { out: string; asset?: string[] }, command: Command) => {
      printJson(
        await callServer(clientOptions(command), 'POST', '/v1/ledger/liabilities-export', {
          out: resolve(flags.out),
          ...(flags.asset === undefined ? {} : { assets: flags.asset }),
        }),
      );
    });
}
