/**
 * Starts a custos server process: opens and migrates the database, settles the operator token and
 * the MPC master key (checked against the one the database's secrets are sealed under), under
 * `--dev` starts the in-process EVM with its fixtures and seeds the demo accounts, then listens. Everything opened is closed again, in reverse order, by `close()` — or at once if a
 * later step fails, so a bad port or an unreachable database leaves nothing running.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaseError } from '@custos/core';
import {
  approvalsMigrations,
  coreMigrations,
  type Database,
  exchangeMigrations,
  isPostgresUrl,
  labelsMigrations,
  mpcMigrations,
  openDatabase,
  porMigrations,
  putChainRecord,
  type RegisterChainResult,
  redactUrl,
  registerChain,
  riskMigrations,
} from '@custos/db';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { createApprovalsRuntime } from './approvals/runtime.js';
import type { ServerConfig } from './config.js';
import { seedDevExchange } from './exchange/dev.js';
import { createExchangeRuntime } from './exchange/runtime.js';
import { upsertAccount } from './identity/accounts.js';
import { createLabelsRuntime } from './labels/runtime.js';
import { createMetrics } from './metrics.js';
import { createMpcServices } from './mpc/context.js';
import { resolveMasterKey } from './mpc/master-key.js';
import { checkMasterKey } from './mpc/secrets.js';
import { buildDevRound, type DevRoundInfo } from './por/dev-round.js';
import { createPorRuntime } from './por/runtime.js';
import { createRiskRuntime, type RiskChainConfig } from './risk/runtime.js';
import type { DevFixtures, Services } from './services.js';

export interface ServerInfo {
  url: string;
  host: string;
  port: number;
  db: { kind: string; location: string };
  operatorTokenFile?: string;
  /** Where the MPC master key came from (a variable or a file; never the key). */
  mpc: { masterKeySource: string; masterKeyGenerated: boolean };
  redis?: string;
  /** Chains the wallet firewall serves at `<url>/rpc/<chainId>` (their node URLs are never shown). */
  firewall: { chains: number[] };
  dev?: {
    chainId: number;
    rpcUrl: string;
    genesisHash: string;
    chain: RegisterChainResult['status'];
    previousGenesisHash?: string;
    droppedRecords: number;
    contracts: Readonly<Record<string, string>>;
    accounts: { name: string; password: string }[];
    /** The round built and published at start, and the dev key its root is signed with. */
    por: Omit<DevRoundInfo, 'dir' | 'keyFile'> & { keyFile: string };
  };
  /** The root-signing key the console pins (configured, or the dev key). */
  porPublicKey?: string;
}

export interface ServerHandle {
  info: ServerInfo;
  /** Generated in dev when none was configured: shown once to the person who started it. */
  generatedOperatorToken?: string;
  close(): Promise<void>;
}

export const DEV_ACCOUNT_NAMES = ['demo', 'demo2'] as const;

function writeSecretFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600); // the mode option does not apply to a file that already existed
}

/** Dev passwords persist in `<dataDir>/dev-accounts.json` (0600) so a restart keeps them. */
function devPasswords(dataDir: string): Record<string, string> {
  const path = join(dataDir, 'dev-accounts.json');
  let stored: Record<string, string> = {};
  if (existsSync(path)) {
    try {
      stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    } catch (cause) {
      throw new BaseError('INVALID_CONFIG', `${path} is not valid JSON`, {
        hints: ['Delete it: new demo passwords are generated on the next start.'],
        cause,
      });
    }
  }
  let changed = false;
  for (const name of DEV_ACCOUNT_NAMES) {
    if (typeof stored[name] !== 'string' || (stored[name] as string).length < 12) {
      stored[name] = randomBytes(12).toString('base64url');
      changed = true;
    }
  }
  if (changed) writeSecretFile(path, `${JSON.stringify(stored, null, 2)}\n`);
  return stored;
}

type Closer = () => Promise<void>;

async function closeAll(closers: Closer[], logger: FastifyBaseLogger): Promise<void> {
  for (const close of closers.reverse()) {
    await close().catch((error: unknown) => logger.error({ err: error }, 'error while shutting down'));
  }
}

export async function startServer(config: ServerConfig, logger: FastifyBaseLogger): Promise<ServerHandle> {
  const closers: Closer[] = [];
  try {
    return await start(config, logger, closers);
  } catch (error) {
    await closeAll(closers, logger);
    throw error;
  }
}

async function start(config: ServerConfig, logger: FastifyBaseLogger, closers: Closer[]): Promise<ServerHandle> {
  const target = config.db ?? join(config.dataDir, 'db');
  if (!isPostgresUrl(target) || config.dev) makeDataDir(config.dataDir);
  const db = await openDatabase(target, { logger });
  closers.push(() => db.close());
  const migrated = await db.migrate([
    ...(await coreMigrations()),
    ...(await mpcMigrations()),
    ...(await labelsMigrations()),
    ...(await riskMigrations()),
    ...(await approvalsMigrations()),
    ...(await porMigrations()),
    ...(await exchangeMigrations()),
  ]);
  if (migrated.applied.length > 0) logger.debug({ applied: migrated.applied.map((m) => m.name) }, 'database migrated');

  // In dev without a configured token, one is generated; its file is written once the server
  // listens. A configured token makes any file an earlier dev run left behind stale: remove it.
  const tokenFile = join(config.dataDir, 'operator-token');
  const generatedOperatorToken =
    config.operatorToken === undefined && config.dev ? randomBytes(32).toString('base64url') : undefined;
  const operatorToken = config.operatorToken ?? generatedOperatorToken;
  if (config.operatorToken !== undefined) rmSync(tokenFile, { force: true });

  let redis: Redis | undefined;
  if (config.redisUrl !== undefined) redis = await connectRedis(config.redisUrl, closers, logger);

  const mpc = await settleMasterKey(config, db, logger);
  const labels = await createLabelsRuntime({ db, dir: join(config.dataDir, 'labels'), logger });
  closers.push(() => labels.close());
  const services: Services = { db, config, logger, metrics: createMetrics(), mpc: mpc.services, labels };
  let dev: Omit<NonNullable<ServerInfo['dev']>, 'por'> | undefined;
  let devAccounts: { id: bigint; name: string }[] = [];
  if (config.dev) {
    const started = await startDev(config, db, logger, closers);
    services.devFixtures = started.fixtures;
    dev = started.info;
    devAccounts = started.accounts;
  }
  const risk = createRiskRuntime({
    labels: labels.service,
    chains: riskChains(config, services.devFixtures),
    logger,
  });
  closers.push(() => risk.close());
  services.risk = risk;
  const approvals = createApprovalsRuntime({
    db,
    risk,
    labels: labels.service,
    logger,
    metrics: services.metrics,
  });
  closers.push(() => approvals.close());
  services.approvals = approvals;
  const exchange = createExchangeRuntime({
    db,
    masterKey: mpc.key,
    logger,
    ...(redis ? { redis } : {}),
    rateScale: config.apiRateScale,
  });
  closers.push(() => exchange.close());
  services.exchange = exchange;
  if (config.dev) await seedDevExchange(exchange, devAccounts, logger);
  const por = createPorRuntime(db, config.porPublicKey === undefined ? {} : { publicKey: config.porPublicKey });
  closers.push(() => por.close());
  services.por = por;
  let devInfo: ServerInfo['dev'];
  if (dev !== undefined && services.devFixtures !== undefined) {
    const fixtures = services.devFixtures;
    const round = await buildDevRound({
      dataDir: config.dataDir,
      db,
      por,
      rpc: { request: (args) => rpcRequest(fixtures.rpcUrl, args) },
      chainAccounts: fixtures.accounts,
      token: { symbol: 'CUSD', contract: fixtures.contracts.erc20 as string, decimals: 6 },
      ledger: exchange.ledger,
      logger,
    });
    const { dir: _dir, ...shown } = round;
    devInfo = { ...dev, por: shown };
    // The console pins the configured key; in dev, without one, the dev key.
    services.porPublicKey = config.porPublicKey ?? round.publicKey;
  } else if (config.porPublicKey !== undefined) {
    services.porPublicKey = config.porPublicKey;
  }

  const { app } = await buildApp({
    services,
    logger,
    operatorToken,
    ...(redis ? { redis } : {}),
  });
  closers.push(() => app.close());
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (cause) {
    throw listenError(cause, config.host, config.port);
  }
  let operatorTokenFile: string | undefined;
  if (generatedOperatorToken !== undefined) {
    operatorTokenFile = tokenFile;
    writeSecretFile(tokenFile, `${generatedOperatorToken}\n`);
    closers.push(async () => rmSync(tokenFile, { force: true }));
  }
  void labels.start();
  mpc.warning();
  if (operatorToken === undefined) {
    logger.warn('no operator token configured (CUSTOS_OPERATOR_TOKEN): operator routes will refuse every request');
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const info: ServerInfo = {
    url: `http://${hostForUrl}:${port}`,
    host: config.host,
    port,
    db: { kind: db.kind, location: db.location },
    ...(operatorTokenFile ? { operatorTokenFile } : {}),
    mpc: mpc.info,
    ...(config.redisUrl ? { redis: redactUrl(config.redisUrl) } : {}),
    firewall: { chains: [...risk.chains] },
    ...(devInfo ? { dev: devInfo } : {}),
    ...(services.porPublicKey ? { porPublicKey: services.porPublicKey } : {}),
  };
  let closing: Promise<void> | undefined;
  return {
    info,
    ...(generatedOperatorToken ? { generatedOperatorToken } : {}),
    close: () => {
      closing ??= closeAll(closers, logger);
      return closing;
    },
  };
}

/**
 * The master key the MPC secrets are sealed under: configured, or kept in `<dataDir>/master-key`
 * (generated on the first start). It must be the key the database's secrets were sealed with.
 */
async function settleMasterKey(
  config: ServerConfig,
  db: Database,
  logger: FastifyBaseLogger,
): Promise<{
  services: NonNullable<Services['mpc']>;
  key: Uint8Array;
  info: ServerInfo['mpc'];
  warning: () => void;
}> {
  const configured = config.masterKey !== undefined || config.masterKeyFile !== undefined;
  if (!configured) makeDataDir(config.dataDir);
  const resolved = resolveMasterKey(config);
  const services = createMpcServices({ masterKey: resolved.key });
  await checkMasterKey(db, services.secrets, resolved.source);
  // Said once the server listens (a failed start prints only its one error line).
  const warning =
    !configured && db.kind === 'postgres' && !config.dev
      ? () =>
          logger.warn(
            { file: resolved.file },
            'MPC master key kept in a local file: every node sharing this database needs the same key (CUSTOS_MASTER_KEY or --master-key-file)',
          )
      : () => {};
  return {
    services,
    key: resolved.key,
    info: { masterKeySource: resolved.source, masterKeyGenerated: resolved.generated },
    warning,
  };
}

/** The chains the risk engine reads and the firewall serves: every --rpc-url, and the dev chain. */
function riskChains(config: ServerConfig, dev: DevFixtures | undefined): RiskChainConfig[] {
  const chains: RiskChainConfig[] = config.rpcUrls.map((c) => ({ chainId: c.chainId, rpcUrl: c.rpcUrl }));
  if (dev !== undefined) {
    if (chains.some((c) => c.chainId === dev.chainId)) {
      throw new BaseError('INVALID_CONFIG', `invalid --rpc-url: chain ${dev.chainId} is the dev chain`, {
        details: { setting: 'rpcUrls', chainId: dev.chainId },
        hints: ['Drop that --rpc-url entry: with --dev the dev chain is served by its own node.'],
      });
    }
    chains.push({ chainId: dev.chainId, rpcUrl: dev.rpcUrl, dev: true, router: dev.contracts.uniswapV2Router });
  }
  return chains;
}

function makeDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new BaseError('INVALID_CONFIG', `invalid --data-dir: cannot create ${dataDir} (${reason})`, { cause });
  }
}

function listenError(cause: unknown, host: string, port: number): BaseError {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new BaseError('PORT_IN_USE', `port ${port} on ${host} is already in use`, {
      details: { host, port },
      hints: ['Stop the other process or choose another port with --port.'],
      cause,
    });
  }
  return new BaseError('INVALID_CONFIG', `cannot listen on ${host}:${port} (${code ?? 'error'})`, {
    details: { host, port },
    hints: ["Check --host and --port: the address must be one of this machine's and the port free to bind."],
    cause,
  });
}

async function connectRedis(url: string, closers: Closer[], logger: FastifyBaseLogger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 3000,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (cause) {
    redis.disconnect();
    throw new BaseError('SERVER_UNREACHABLE', `cannot connect to Redis at ${redactUrl(url)}`, {
      details: { url: redactUrl(url) },
      cause,
    });
  }
  // With skipOnError the limiter fails open while Redis is down; say so in the log.
  redis.on('error', (error: Error) =>
    logger.warn({ err: error.message, redis: redactUrl(url) }, 'Redis error: rate limits not shared'),
  );
  closers.push(async () => {
    await redis.quit();
  });
  return redis;
}

async function startDev(
  config: ServerConfig,
  db: Database,
  logger: FastifyBaseLogger,
  closers: Closer[],
): Promise<{
  fixtures: DevFixtures;
  info: Omit<NonNullable<ServerInfo['dev']>, 'por'>;
  accounts: { id: bigint; name: string }[];
}> {
  // Loaded only under --dev: production servers never load the EVM.
  const { startDevChain } = await import('@custos/devchain');
  const chain = await startDevChain({ host: config.chainHost, port: config.chainPort, logger });
  closers.push(() => chain.close());
  const registered = await registerChain(db, { chainId: chain.chainId, genesisHash: chain.genesisHash });
  if (registered.status === 'reset') {
    logger.info(
      {
        chainId: chain.chainId,
        previous: registered.previousGenesisHash,
        genesis: chain.genesisHash,
        dropped: registered.droppedRecords,
      },
      'dev chain was reset: state kept for the previous instance dropped',
    );
  }
  const fixtures: DevFixtures = {
    chainId: chain.chainId,
    rpcUrl: chain.rpcUrl,
    genesisHash: chain.genesisHash,
    accounts: chain.accounts,
    contracts: chain.contracts,
  };
  await putChainRecord(db, registered.ref, 'dev', 'fixtures', { contracts: chain.contracts });
  const passwords = devPasswords(config.dataDir);
  const accounts: { name: string; password: string }[] = [];
  const ids: { id: bigint; name: string }[] = [];
  for (const name of DEV_ACCOUNT_NAMES) {
    const password = passwords[name] as string;
    const account = await upsertAccount(db, name, password);
    accounts.push({ name, password });
    ids.push({ id: account.id, name });
  }
  return {
    accounts: ids,
    fixtures,
    info: {
      chainId: chain.chainId,
      rpcUrl: chain.rpcUrl,
      genesisHash: chain.genesisHash,
      chain: registered.status,
      ...(registered.previousGenesisHash ? { previousGenesisHash: registered.previousGenesisHash } : {}),
      droppedRecords: registered.droppedRecords,
      contracts: chain.contracts,
      accounts,
    },
  };
}

/** One JSON-RPC call to the dev chain (its node is local and in process). */
async function rpcRequest(url: string, args: { method: string; params?: readonly unknown[] }): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: args.method, params: args.params ?? [] }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string } };
  if (body.error !== undefined) {
    throw new BaseError('RPC_REQUEST_FAILED', `dev chain ${args.method}: ${body.error.message}`, {
      details: { code: body.error.code },
    });
  }
  return body.result;
}
