/**
 * `custos accounts`: exchange accounts, managed through the server by the operator.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type ClientOptions, callServer } from '../client.js';
import { printJson, usageError } from '../output.js';

interface AccountJson {
  id: string;
  name: string;
  createdAt: string;
}

function readPassword(file: string): string {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (cause) {
    throw usageError(`cannot read --password-file ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, cause);
  }
  // One trailing newline is the file's, not the password's.
  return text.replace(/\r?\n$/, '');
}

export function clientOptions(command: Command): ClientOptions {
  const o = command.optsWithGlobals<{ server: string; operatorToken?: string; dataDir?: string }>();
  const dataDir = o.dataDir ?? process.env.CUSTOS_DATA_DIR ?? '.custos';
  return { server: o.server, dataDir, ...(o.operatorToken ? { operatorToken: o.operatorToken } : {}) };
}

export function registerAccounts(program: Command): void {
  const accounts = program.command('accounts').description('exchange accounts (operator)');
  accounts
    .command('create')
    .description('create an account with a password read from a file (- for stdin)')
    .requiredOption('--name <name>', 'account name: 1..63 of a-z 0-9 . _ -')
    .requiredOption('--password-file <file>', 'file holding the password (12..1024 characters)')
    .action(async (flags: { name: string; passwordFile: string }, command: Command) => {
      const password = readPassword(flags.passwordFile);
      const result = await callServer<{ account: AccountJson }>(clientOptions(command), 'POST', '/v1/accounts', {
        name: flags.name,
        password,
      });
      if (command.optsWithGlobals<{ json?: boolean }>().json) printJson(result);
      else process.stdout.write(`created account ${result.account.name} (id ${result.account.id})\n`);
    });
  accounts
    .command('list')
    .description('list accounts')
    .action(async (_flags: unknown, command: Command) => {
      const result = await callServer<{ accounts: AccountJson[] }>(clientOptions(command), 'GET', '/v1/accounts');
      if (command.optsWithGlobals<{ json?: boolean }>().json) printJson(result);
      else for (const a of result.accounts) process.stdout.write(`${a.id}\t${a.name}\t${a.createdAt}\n`);
    });
}
