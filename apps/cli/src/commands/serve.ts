/**
 * `custos serve`: runs the server in the foreground until SIGINT or SIGTERM, then shuts down
 * gracefully (a second signal, or 8 s without finishing, forces the exit).
 */
import { resolveServerConfig, type ServerHandle, type ServerInfo, startServer } from '@custos/server';
import type { Command } from 'commander';
import { pino } from 'pino';
import { printJson } from '../output.js';

const SHUTDOWN_DEADLINE_MS = 8000;

interface ServeFlags {
  dev?: boolean;
  host?: string;
  port?: string;
  db?: string;
  chainHost?: string;
  chainPort?: string;
  redisUrl?: string;
  trustProxy?: string;
  logLevel?: string;
  rateLimit?: string;
  enrolRateLimit?: string;
  masterKeyFile?: string;
  rpcUrl?: string[];
  porPubkey?: string;
  apiRateScale?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the custos server (and, with --dev, an in-process EVM dev chain with fixtures)')
    .option('--dev', 'development mode: embedded database, dev chain, demo accounts, generated operator token')
    .option('--host <host>', 'address to listen on (CUSTOS_HOST)', undefined)
    .option('--port <port>', 'HTTP port, 0 for any free one (CUSTOS_PORT; default 8787)')
    .option('--db <path|url>', 'PGlite directory or postgres:// URL (DATABASE_URL; default <data dir>/db)')
    .option('--chain-host <host>', 'dev chain JSON-RPC address (CUSTOS_CHAIN_HOST; default 127.0.0.1)')
    .option('--chain-port <port>', 'dev chain JSON-RPC port, 0 for any free one (CUSTOS_CHAIN_PORT; default 8545)')
    .option('--redis-url <url>', 'Redis for rate-limit counters shared by several nodes (REDIS_URL)')
    .option(
      '--trust-proxy <addresses>',
      'proxies whose X-Forwarded-For is believed, comma-separated (CUSTOS_TRUST_PROXY)',
    )
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default info)')
    .option('--rate-limit <n>', 'requests per minute per IP on public routes (default 600)')
    .option('--enrol-rate-limit <n>', 'MPC device enrolments per minute per IP (CUSTOS_ENROL_RATE_LIMIT; default 10)')
    .option(
      '--master-key-file <file>',
      'MPC master key, 64 hex characters (CUSTOS_MASTER_KEY_FILE, or the key in CUSTOS_MASTER_KEY; default <data dir>/master-key, generated once)',
    )
    .option(
      '--rpc-url <chainId=url>',
      'JSON-RPC node of a real chain, for the risk engine and the firewall at /rpc/<chainId>; repeatable (CUSTOS_RPC_URLS, comma-separated)',
      collect,
    )
    .option(
      '--por-pubkey <hex>',
      "the exchange's Ed25519 proof-of-reserves key: published rounds must be signed by it; the console pins it (CUSTOS_POR_PUBKEY)",
    )
    .option(
      '--api-rate-scale <x>',
      "multiplies the OKX gateway's per-key, per-endpoint rate limits (CUSTOS_API_RATE_SCALE; default 1: OKX's own)",
    )
    .action(async (flags: ServeFlags, command: Command) => {
      // --json, --data-dir and --operator-token are global options, shared with the other commands.
      const globals = command.optsWithGlobals<{ json?: boolean; dataDir?: string; operatorToken?: string }>();
      const json = globals.json === true;
      const config = resolveServerConfig(
        {
          dev: flags.dev,
          host: flags.host,
          port: flags.port,
          db: flags.db,
          dataDir: globals.dataDir,
          operatorToken: globals.operatorToken,
          chainHost: flags.chainHost,
          chainPort: flags.chainPort,
          redisUrl: flags.redisUrl,
          trustProxy: flags.trustProxy,
          logLevel: flags.logLevel,
          rateLimit: flags.rateLimit,
          enrolRateLimit: flags.enrolRateLimit,
          masterKeyFile: flags.masterKeyFile,
          rpcUrls: flags.rpcUrl,
          porPublicKey: flags.porPubkey,
          apiRateScale: flags.apiRateScale,
        },
        process.env,
      );
      const logger = pino(
        { level: config.logLevel, base: { pid: process.pid } },
        pino.destination({ dest: 2, sync: true }),
      );
      // Signals are trapped before start-up, so Ctrl-C while starting still closes what opened.
      const signals = trapSignals(logger);
      const handle = await startServer(config, logger);
      if (json) {
        printJson({
          ...handle.info,
          ...(handle.generatedOperatorToken ? { operatorToken: handle.generatedOperatorToken } : {}),
        });
      } else {
        process.stdout.write(describe(handle.info, handle.generatedOperatorToken));
      }
      await signals.stopOnSignal(handle);
    });
}

function describe(info: ServerInfo, token: string | undefined): string {
  const lines = [`custos listening on ${info.url}`, `  database        ${info.db.kind} ${info.db.location}`];
  if (info.redis) lines.push(`  redis           ${info.redis}`);
  const key = info.mpc;
  lines.push(`  mpc master key  ${key.masterKeySource}${key.masterKeyGenerated ? ' (generated now: back it up)' : ''}`);
  if (info.firewall.chains.length > 0)
    lines.push(`  firewall        ${info.firewall.chains.map((id) => `${info.url}/rpc/${id}`).join(', ')}`);
  if (info.dev) {
    const d = info.dev;
    const state =
      d.chain === 'reset'
        ? `reset: the previous instance (genesis ${d.previousGenesisHash}) is gone, ${d.droppedRecords} stale records dropped`
        : d.chain;
    lines.push(`  dev chain       ${d.rpcUrl} (chain ${d.chainId}, genesis ${d.genesisHash}, ${state})`);
    for (const [name, address] of Object.entries(d.contracts)) lines.push(`    ${name.padEnd(16)} ${address}`);
    lines.push(`  accounts        ${d.accounts.map((a) => `${a.name} / ${a.password}`).join(', ')}`);
    const ratios = d.por.table.map((r) => `${r.asset} ${r.ratio ?? '–'}`).join(', ');
    lines.push(`  por round       ${d.por.roundId}: ${d.por.users} users, reserves ${ratios}`);
    lines.push(`  por dev key     ${d.por.publicKey} (fingerprint ${d.por.fingerprint}, seed in ${d.por.keyFile})`);
  } else if (info.porPublicKey) {
    lines.push(`  por key         ${info.porPublicKey}`);
  }
  if (token)
    lines.push(`  operator token  ${token}${info.operatorTokenFile ? ` (also in ${info.operatorTokenFile})` : ''}`);
  lines.push(`  metrics         ${info.url}/metrics    health ${info.url}/healthz`, '');
  return lines.join('\n');
}

function trapSignals(logger: pino.Logger): { stopOnSignal(handle: ServerHandle): Promise<void> } {
  let signalled = false;
  let wake: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    async stopOnSignal(handle) {
      if (!signalled) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      await handle.close();
      logger.info('stopped');
    },
  };
}
