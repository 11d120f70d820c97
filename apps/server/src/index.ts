export {
  type Access,
  type DeviceAuthenticator,
  PRINCIPAL_KINDS,
  type Principal,
  type PrincipalKind,
} from './access/principals.js';
export { type App, type BuildAppOptions, buildApp, defaultRouteModules, type RouteTableEntry } from './app.js';
export { ENVIRONMENT, isLoopbackHost, resolveServerConfig, type ServerConfig, ServerConfigSchema } from './config.js';
export { defineRoute, type Route, type RouteModule } from './http/route.js';
export { createMetrics, type Metrics } from './metrics.js';
export { DEV_ACCOUNT_NAMES, type ServerHandle, type ServerInfo, startServer } from './serve.js';
export type { DevFixtures, Services } from './services.js';
