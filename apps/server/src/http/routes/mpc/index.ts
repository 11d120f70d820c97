/**
 * The MPC keyless wallet's HTTP routes (the contract in packages/mpc/README.md): public device
 * enrolment, rate-limited per IP by `--enrol-rate-limit`; everything else device-signed.
 */
import type { ServerConfig } from '../../../config.js';
import type { RouteModule } from '../../route.js';
import { deviceRoutes } from './devices.js';
import { sessionRoutes } from './sessions.js';
import { walletRoutes } from './wallets.js';

export function mpcRoutes(config: Pick<ServerConfig, 'enrolRateLimit'>): RouteModule {
  return { name: 'mpc', routes: [...deviceRoutes(config.enrolRateLimit), ...walletRoutes, ...sessionRoutes] };
}
