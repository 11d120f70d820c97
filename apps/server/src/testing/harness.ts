/**
 * Test harness: a real app on an in-memory PGlite (migrated), with an operator token and two
 * accounts, driven through Fastify's `inject` (no socket) unless a test listens on port 0.
 */
import { coreMigrations, type Database, openPGlite } from '@custos/db';
import { pino } from 'pino';
import type { DeviceAuthenticator } from '../access/principals.js';
import { type App, type BuildAppOptions, buildApp } from '../app.js';
import { resolveServerConfig, type ServerConfig } from '../config.js';
import { createAccount } from '../identity/accounts.js';
import { createMetrics } from '../metrics.js';
import type { Services } from '../services.js';

export const OPERATOR_TOKEN = 'test-operator-token-0123456789abcdef';
export const PASSWORDS = { alice: 'alice-password-1', bob: 'bob-password-22' } as const;

/**
 * A stand-in for the MPC wallet's device verifier: `x-test-device: <accountId>` authenticates as a
 * device of that account. It exercises the device seam of the access hook; it is never registered
 * by the real server.
 */
export const TEST_DEVICE_HEADER = 'x-test-device';
export const testDeviceAuthenticator: DeviceAuthenticator = async (request) => {
  const value = request.headers[TEST_DEVICE_HEADER];
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return { kind: 'device', deviceId: `test-device-${value}`, accountId: BigInt(value) };
};

export interface Harness extends App {
  db: Database;
  services: Services;
  accounts: { alice: bigint; bob: bigint };
  close(): Promise<void>;
}

export async function createHarness(
  config: Partial<ServerConfig> = {},
  extra: Partial<Omit<BuildAppOptions, 'services' | 'logger' | 'operatorToken'>> = {},
): Promise<Harness> {
  const db = await openPGlite();
  await db.migrate(await coreMigrations());
  const alice = await createAccount(db, 'alice', PASSWORDS.alice);
  const bob = await createAccount(db, 'bob', PASSWORDS.bob);
  const services: Services = {
    db,
    config: resolveServerConfig({ ...config }),
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
  };
  const built = await buildApp({
    services,
    logger: pino({ level: 'silent' }),
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
      await db.close();
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
