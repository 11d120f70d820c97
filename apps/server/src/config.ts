/**
 * Server configuration: flags and environment merged (a flag beats its variable), then validated
 * with zod. Any problem is one INVALID_CONFIG error whose message names the setting, so the CLI
 * can print a single line and exit 2.
 */
import { BaseError } from '@custos/core';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

export interface RpcUrlSetting {
  chainId: number;
  /** May carry an API key: never logged or echoed in an error. */
  rpcUrl: string;
}

/**
 * `<chainId>=<url>` entries (a repeated flag, or one variable separated by commas or spaces). An
 * error names the entry's position and chain, never its URL, which may carry an API key.
 */
const rpcUrls = z
  .union([z.string(), z.array(z.string())])
  .default([])
  .transform((value, ctx): RpcUrlSetting[] => {
    const entries = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '');
    const out: RpcUrlSetting[] = [];
    for (const [i, entry] of entries.entries()) {
      const at = entry.indexOf('=');
      const id = at < 0 ? '' : entry.slice(0, at);
      const url = at < 0 ? '' : entry.slice(at + 1);
      const fail = (message: string) => {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} ${message}` });
        return z.NEVER;
      };
      if (at < 0) return fail('must be <chainId>=<url>');
      if (!/^[1-9][0-9]{0,15}$/.test(id) || !Number.isSafeInteger(Number(id)))
        return fail('must start with a decimal chain id');
      let protocol = '';
      try {
        protocol = new URL(url).protocol;
      } catch {
        return fail(`(chain ${id}) must have an http:// or https:// URL`);
      }
      if (protocol !== 'http:' && protocol !== 'https:')
        return fail(`(chain ${id}) must have an http:// or https:// URL`);
      if (out.some((o) => o.chainId === Number(id))) return fail(`repeats chain ${id}`);
      out.push({ chainId: Number(id), rpcUrl: url });
    }
    return out;
  });

export const ServerConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8787),
  dev: z.boolean().default(false),
  /** Where the embedded database, the dev operator token and other local state live. */
  dataDir: z.string().min(1).default('.custos'),
  /** A PGlite directory or a postgres:// URL; default `<dataDir>/db`. */
  db: z.string().min(1).optional(),
  operatorToken: z.string().min(24, 'must be at least 24 characters').optional(),
  redisUrl: z.url({ protocol: /^rediss?$/ }).optional(),
  chainHost: z.string().min(1).default('127.0.0.1'),
  chainPort: port.default(8545),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Proxies whose X-Forwarded-For is believed (addresses or CIDRs, comma-separated); none by default. */
  trustProxy: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    ),
  /** Requests per minute per client IP on public routes. */
  rateLimit: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Per minute per client IP on MPC device enrolment (each wallet costs the server CPU seconds). */
  enrolRateLimit: z.coerce.number().int().min(1).max(1_000_000).default(10),
  /** The MPC master key, 64 hex characters (environment only: a secret never goes on a command line). */
  masterKey: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)')
    .optional(),
  /** A file holding the master key; default `<dataDir>/master-key`, generated when missing. */
  masterKeyFile: z.string().min(1).optional(),
  /** The exchange's Ed25519 root-signing public key: published roots must carry it; the console pins it. */
  porPublicKey: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be 64 hex characters (an Ed25519 public key)')
    .transform((v) => v.toLowerCase().replace(/^0x/, ''))
    .optional(),
  /** Multiplies the OKX gateway's per-key, per-endpoint rate limits (OKX's own figures at 1). */
  apiRateScale: z.coerce.number().min(0.01).max(100_000).default(1),
  /** JSON-RPC nodes of real chains: the risk engine's facts and simulation, the firewall's upstream. */
  rpcUrls,
});

export type ServerConfig = z.infer<typeof ServerConfigSchema>;
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

/** Environment variables read, and the setting each fills. */
export const ENVIRONMENT = {
  CUSTOS_HOST: 'host',
  CUSTOS_PORT: 'port',
  CUSTOS_DATA_DIR: 'dataDir',
  DATABASE_URL: 'db',
  CUSTOS_OPERATOR_TOKEN: 'operatorToken',
  REDIS_URL: 'redisUrl',
  CUSTOS_CHAIN_PORT: 'chainPort',
  CUSTOS_LOG_LEVEL: 'logLevel',
  CUSTOS_RATE_LIMIT: 'rateLimit',
  CUSTOS_TRUST_PROXY: 'trustProxy',
  CUSTOS_CHAIN_HOST: 'chainHost',
  CUSTOS_ENROL_RATE_LIMIT: 'enrolRateLimit',
  CUSTOS_MASTER_KEY: 'masterKey',
  CUSTOS_MASTER_KEY_FILE: 'masterKeyFile',
  CUSTOS_RPC_URLS: 'rpcUrls',
  CUSTOS_POR_PUBKEY: 'porPublicKey',
  CUSTOS_API_RATE_SCALE: 'apiRateScale',
} as const satisfies Record<string, keyof ServerConfig>;

const FLAG_NAMES: Record<keyof ServerConfig, string> = {
  host: '--host',
  port: '--port',
  dev: '--dev',
  dataDir: '--data-dir',
  db: '--db',
  operatorToken: '--operator-token',
  redisUrl: '--redis-url',
  chainHost: '--chain-host',
  chainPort: '--chain-port',
  logLevel: '--log-level',
  rateLimit: '--rate-limit',
  trustProxy: '--trust-proxy',
  enrolRateLimit: '--enrol-rate-limit',
  masterKey: 'CUSTOS_MASTER_KEY',
  masterKeyFile: '--master-key-file',
  rpcUrls: '--rpc-url',
  porPublicKey: '--por-pubkey',
  apiRateScale: '--api-rate-scale',
};

/** Merges env and flags (flags win; empty env values count as unset) and validates. */
export function resolveServerConfig(
  flags: Partial<Record<keyof ServerConfig, unknown>>,
  env: Readonly<Record<string, string | undefined>> = {},
): ServerConfig {
  const merged: Record<string, unknown> = {};
  // Where each value came from, so an error names what the user actually set.
  const source: Record<string, string> = {};
  for (const [variable, key] of Object.entries(ENVIRONMENT)) {
    const value = env[variable];
    if (value !== undefined && value !== '') {
      merged[key] = value;
      source[key] = variable;
    }
  }
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    merged[key] = value;
    source[key] = FLAG_NAMES[key as keyof ServerConfig] ?? key;
  }
  const parsed = ServerConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'configuration') as keyof ServerConfig;
    const name = source[key] ?? FLAG_NAMES[key] ?? key;
    const got = merged[key];
    const secret = key === 'operatorToken' || key === 'masterKey' || key === 'rpcUrls';
    const shown = secret || got === undefined ? '' : `, got ${JSON.stringify(got)}`;
    throw new BaseError('INVALID_CONFIG', `invalid ${name}: ${issue?.message ?? 'invalid'}${shown}`, {
      details: { setting: key },
    });
  }
  return parsed.data;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}
