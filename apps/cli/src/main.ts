/**
 * The `custos` command. Every capability is usable from here: pure commands run in-process,
 * commands on shared state talk to a server (`--server`, default http://127.0.0.1:8787).
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerAccounts } from './commands/accounts.js';
import { registerApprovals } from './commands/approvals.js';
import { registerDb } from './commands/db.js';
import { registerKeys } from './commands/keys.js';
import { registerLabels } from './commands/labels.js';
import { registerPor } from './commands/por.js';
import { registerScan } from './commands/scan.js';
import { registerServe } from './commands/serve.js';
import { registerStark } from './commands/stark.js';
import { registerWallet } from './commands/wallet.js';
import { EXIT, printJson, reportError } from './output.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('custos')
    .description('custos — security for Web3 wallets and crypto exchanges')
    .version(version, '-V, --version')
    .option('--json', 'print exactly one JSON document on stdout')
    .option(
      '--server <url>',
      'custos server for commands on shared state',
      process.env.CUSTOS_SERVER ?? 'http://127.0.0.1:8787',
    )
    .option('--operator-token <token>', 'operator token (CUSTOS_OPERATOR_TOKEN)')
    .option(
      '--data-dir <dir>',
      'local state directory: embedded database, dev token (CUSTOS_DATA_DIR; default .custos)',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`custos: ${text.replace(/^error: /, '').trimEnd()}\n`) });
  program.enablePositionalOptions(false);
  registerServe(program);
  registerAccounts(program);
  registerDb(program);
  registerWallet(program);
  registerLabels(program);
  registerScan(program);
  registerApprovals(program);
  registerPor(program);
  registerKeys(program);
  registerStark(program);
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  if (json && (argv.includes('--version') || argv.includes('-V'))) {
    printJson({ version });
    return EXIT.ok;
  }
  try {
    await program.parseAsync(argv as string[]);
    // A command whose answer is negative (a blocked scan) says so through process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (
      error instanceof CommanderError &&
      (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
    ) {
      return EXIT.ok;
    }
    if (error instanceof CommanderError && error.code === 'commander.help') return EXIT.ok;
    return reportError(error, json);
  }
}
