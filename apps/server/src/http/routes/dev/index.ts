/**
 * Dev-only: the in-process chain's RPC URL, funded accounts and fixture contract addresses, so
 * tests, the console and the CLI find them without configuration. Registered only under `--dev`.
 */
import { BaseError } from '@custos/core';
import { defineRoute, type RouteModule } from '../../route.js';

const fixtures = defineRoute({
  method: 'GET',
  url: '/v1/dev/fixtures',
  summary: 'The dev chain and its fixture contracts (--dev only)',
  access: { public: true },
  async handler({ services }) {
    const f = services.devFixtures;
    if (f === undefined) throw new BaseError('NOT_FOUND', 'the dev chain is not running');
    return {
      chainId: f.chainId,
      rpcUrl: f.rpcUrl,
      genesisHash: f.genesisHash,
      accounts: f.accounts,
      contracts: f.contracts,
    };
  },
});

export const devRoutes: RouteModule = { name: 'dev', routes: [fixtures] };
