/**
 * Vitest global setup: finds (or starts) one PostgreSQL for the whole run and hands its admin URL
 * to the tests through `inject('postgresUrl')`. An embedded server is stopped at the end.
 */
import 'vitest';
import type { TestProject } from 'vitest/node';
import { acquireTestPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    postgresSource: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await acquireTestPostgres({ log: (line) => process.stderr.write(`[test postgres] ${line}\n`) });
  process.stderr.write(`[test postgres] using ${postgres.source} PostgreSQL\n`);
  project.provide('postgresUrl', postgres.url);
  project.provide('postgresSource', postgres.source);
  return () => postgres.stop();
}
