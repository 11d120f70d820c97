// Test helper run as a separate process: opens the database at argv[2], prints "armed", waits for
// a line on stdin (so a test releases several migrators at the same instant), then migrates with
// the core migrations plus a deliberately slow one and prints what it applied and how long the
// migrate call took as JSON.
import { createInterface } from 'node:readline';
import { coreMigrations, openDatabase } from '../index.js';

const url = process.argv[2] as string;
const db = await openDatabase(url);
const migrations = [
  ...(await coreMigrations()),
  { id: 9001, name: 'slow_probe', sql: 'SELECT pg_sleep(0.5); CREATE TABLE slow_probe (id int PRIMARY KEY);' },
];
const lines = createInterface({ input: process.stdin });
process.stdout.write('armed\n');
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
try {
  const started = performance.now();
  const result = await db.migrate(migrations);
  process.stdout.write(`${JSON.stringify({ ...result, ms: Math.round(performance.now() - started) })}\n`);
} finally {
  await db.close();
}
