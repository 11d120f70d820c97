import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of the workspace packages (the `@custos/source`
// export condition), so `npm test` never depends on a stale build.
const conditions = ['@custos/source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@custos/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
    globalSetup: ['./packages/db/src/testing/global-setup.ts'],
    // Under two workers a test that starts servers and child processes shares the CPU: its own
    // assertions bound what must be fast; this budget only catches a hang.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Both cores: Vitest's default on a 2-core machine is one worker (cores − 1), which leaves a
    // core idle while a file waits on a child process or a socket.
    maxWorkers: 2,
  },
});
