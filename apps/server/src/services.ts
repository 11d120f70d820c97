/**
 * What route handlers get besides their request: the database, configuration, logger, metrics,
 * the MPC wallet's secrets and arithmetic (when a master key is configured), and — under `--dev`
 * only — the dev chain's fixtures. Passed in, never imported, so handlers stay testable without a
 * process around them.
 */
import type { Logger } from '@custos/core';
import type { Database } from '@custos/db';
import type { ApprovalsRuntime } from './approvals/runtime.js';
import type { ServerConfig } from './config.js';
import type { ExchangeRuntime } from './exchange/runtime.js';
import type { LabelsRuntime } from './labels/runtime.js';
import type { Metrics } from './metrics.js';
import type { MpcServices } from './mpc/context.js';
import type { PorRuntime } from './por/runtime.js';
import type { RiskRuntime } from './risk/runtime.js';

export interface DevFixtures {
  chainId: number;
  rpcUrl: string;
  genesisHash: `0x${string}`;
  accounts: readonly { address: `0x${string}`; privateKey: `0x${string}` }[];
  contracts: Readonly<Record<string, `0x${string}`>>;
}

export interface Services {
  db: Database;
  config: ServerConfig;
  logger: Logger;
  metrics: Metrics;
  /** The MPC wallet capability; its routes and the device verifier exist only when this is set. */
  mpc?: MpcServices;
  /** Address and domain labels (store, compiled index, overrides); its routes exist when set. */
  labels?: LabelsRuntime;
  /** The risk engine and the firewall's upstream per chain; the scan and firewall routes exist when set. */
  risk?: RiskRuntime;
  /** Approval discovery and revocation over the risk runtime's chains; its routes exist when set. */
  approvals?: ApprovalsRuntime;
  /** Published proof-of-reserves rounds; its routes exist when set. */
  por?: PorRuntime;
  /** The exchange behind the OKX-compatible gateway: keys, ledger, rate limits, anti-fraud. */
  exchange?: ExchangeRuntime;
  /** The exchange's root-signing key the console pins (`--por-pubkey`, or the dev key in `--dev`). */
  porPublicKey?: string;
  devFixtures?: DevFixtures;
}
