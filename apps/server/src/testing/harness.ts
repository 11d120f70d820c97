/**
 * Test harness: a real app on an in-memory PGlite (migrated), with an operator token, two
 * accounts and the MPC wallet (a fixed test master key, the real device verifier), driven through
 * Fastify's `inject` (no socket) unless a test listens on port 0.
 */

import { silentLogger } from '@custos/core';
import {
  approvalsMigrations,
  coreMigrations,
  type Database,
  exchangeMigrations,
  labelsMigrations,
  mpcMigrations,
  openPGlite,
  porMigrations,
  riskMigrations,
} from '@custos/db';
import { pino } from 'pino';
import type { DeviceAuthenticator } from '../access/principals.js';
import { type App, type BuildAppOptions, buildApp } from '../app.js';
import { createApprovalsRuntime } from '../approvals/runtime.js';
import { resolveServerConfig, type ServerConfig } from '../config.js';
import { createExchangeRuntime, type ExchangeRuntimeOptions } from '../exchange/runtime.js';
import { upsertAccount } from '../identity/accounts.js';
import { createLabelsRuntime } from '../labels/runtime.js';
import { createMetrics } from '../metrics.js';
import { createMpcServices, type MpcServicesOptions } from '../mpc/context.js';
import { checkMasterKey } from '../mpc/secrets.js';
import { createPorRuntime } from '../por/runtime.js';
import { createRiskRuntime, type RiskChainConfig } from '../risk/runtime.js';
import type { Services } from '../services.js';

export const OPERATOR_TOKEN = 'test-operator-token-0123456789abcdef';
export const PASSWORDS = { alice: 'alice-password-1', bob: 'bob-password-22' } as const;
/** The harness's MPC master key (tests only). */
export const TEST_MASTER_KEY: Uint8Array = new Uint8Array(32).map((_, i) => i + 1);

/**
 * A stand-in for a device verifier: `x-test-device: <name>` authenticates as device
 * `test-device-<name>` without any signature. It exercises the device seam of the access hook;
 * it is never registered by the real server (pass it as `deviceAuthenticator`).
 */
export const TEST_DEVICE_HEADER = 'x-test-device';
export const testDeviceAuthenticator: DeviceAuthenticator = {
  async identify(request) {
    const value = request.headers[TEST_DEVICE_HEADER];
    if (typeof value !== 'string' || !/^\w+$/.test(value)) return undefined;
    return { kind: 'device', deviceId: `test-device-${value}` };
  },
  async verify() {},
};

export interface Harness extends App {
  db: Database;
  services: Services;
  accounts: { alice: bigint; bob: bigint };
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** A database to use (migrated here, left open by `close`); default a fresh in-memory PGlite. */
  db?: Database;
  /** MPC services overrides (arithmetic, pairing keys, master key), or false for none. */
  mpc?: Partial<MpcServicesOptions> | false;
  /** Receives every log line (level trace) instead of silence — for tests that read the logs. */
  logTo?: { write(line: string): void };
  /**
   * The label layer: its compiled indexes go to `dir`. `seed` imports the shipped sources into
   * the store first (slower; off by default, when look-ups answer from the shipped index).
   */
  labels?: { dir: string; seed?: boolean; pollMs?: number };
  /**
   * The risk engine, scan routes and firewall over these chains (e.g. a dev chain started by the
   * test, `dev: true`), with the labels of `labels` when given; `simulate` defaults to false here.
   */
  risk?: { chains?: RiskChainConfig[]; simulate?: boolean };
  /** Approval discovery and revocation over the risk chains (needs `risk`); `freshForMs` default 0 here. */
  approvals?: { freshForMs?: number };
  /** The exchange gateway's clock, rate-limit scale, Redis and anti-fraud settings. */
  exchange?: Partial<Pick<ExchangeRuntimeOptions, 'clock' | 'rateScale' | 'antiFraud' | 'redis'>>;
}

export async function createHarness(
  config: Partial<ServerConfig> = {},
  extra: Partial<Omit<BuildAppOptions, 'services' | 'logger' | 'operatorToken'>> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const db = options.db ?? (await openPGlite());
  await db.migrate([
    ...(await coreMigrations()),
    ...(await mpcMigrations()),
    ...(await labelsMigrations()),
    ...(await riskMigrations()),
    ...(await approvalsMigrations()),
    ...(await porMigrations()),
    ...(await exchangeMigrations()),
  ]);
  const alice = await upsertAccount(db, 'alice', PASSWORDS.alice);
  const bob = await upsertAccount(db, 'bob', PASSWORDS.bob);
  const mpc =
    options.mpc === false ? undefined : createMpcServices({ masterKey: TEST_MASTER_KEY, ...(options.mpc ?? {}) });
  if (mpc !== undefined) await checkMasterKey(db, mpc.secrets, 'the test harness');
  const labels = options.labels
    ? await createLabelsRuntime({
        db,
        dir: options.labels.dir,
        logger: silentLogger,
        seed: options.labels.seed ?? false,
        pollMs: options.labels.pollMs ?? 0,
      })
    : undefined;
  if (labels) await labels.start();
  const risk = options.risk
    ? createRiskRuntime({
        ...(labels ? { labels: labels.service } : {}),
        chains: options.risk.chains ?? [],
        logger: silentLogger,
        simulate: options.risk.simulate ?? false,
      })
    : undefined;
  const approvals =
    risk && options.approvals
      ? createApprovalsRuntime({
          db,
          risk,
          ...(labels ? { labels: labels.service } : {}),
          logger: silentLogger,
          freshForMs: options.approvals.freshForMs ?? 0,
        })
      : undefined;
  const services: Services = {
    db,
    config: resolveServerConfig({ ...config }),
    logger: options.logTo ? pino({ level: 'trace' }, options.logTo) : pino({ level: 'silent' }),
    metrics: createMetrics(),
    ...(mpc === undefined ? {} : { mpc }),
    ...(labels === undefined ? {} : { labels }),
    ...(risk === undefined ? {} : { risk }),
    ...(approvals === undefined ? {} : { approvals }),
    por: createPorRuntime(db),
    exchange: createExchangeRuntime({
      db,
      masterKey: TEST_MASTER_KEY,
      logger: silentLogger,
      ...(options.exchange ?? {}),
    }),
  };
  const built = await buildApp({
    services,
    logger: options.logTo ? pino({ level: 'trace' }, options.logTo) : pino({ level: 'silent' }),
    operatorToken: OPERATOR_TOKEN,
    ...extra,
  });
  await built.app.ready();
  return {
    ...built,
    db,
    services,
    accounts: { alice: alice.id, bob: bob.id },
    async close() {
      await built.app.close();
      await approvals?.close();
      await services.por?.close();
      await risk?.close();
      await labels?.close();
      if (options.db === undefined) await db.close();
    },
  };
}

export interface LoggedIn {
  cookie: string;
  csrf: string;
  accountId: string;
}

export async function loginAs(h: Harness, name: keyof typeof PASSWORDS): Promise<LoggedIn> {
  const response = await h.app.inject({
    method: 'POST',
    url: '/v1/session',
    payload: { name, password: PASSWORDS[name] },
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.body}`);
  const setCookie = response.headers['set-cookie'];
  const raw = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  const body = response.json() as { csrf: string; account: { id: string } };
  return { cookie: String(raw).split(';')[0] as string, csrf: body.csrf, accountId: body.account.id };
}
