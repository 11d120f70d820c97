// Test helper run as a separate process: migrates the database at argv[2] with the core
// migrations plus a deliberately slow one, then prints what it applied as JSON.
import { coreMigrations, openDatabase } from '../index.js';

const url = process.argv[2] as string;
const db = await openDatabase(url);
try {
  const migrations = [
    ...(await coreMigrations()),
    { id: 9001, name: 'slow_probe', sql: 'SELECT pg_sleep(0.5); CREATE TABLE slow_probe (id int PRIMARY KEY);' },
  ];
  const result = await db.migrate(migrations);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await db.close();
}
