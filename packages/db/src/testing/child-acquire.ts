// Test helper run as a separate process (inside a fresh network namespace, where nothing listens
// on 127.0.0.1:5432): finds PostgreSQL the way the test suite does, with the real defaults, and
// prints which source it used and the server's version.
import pg from 'pg';
import { acquireTestPostgres } from './postgres.js';

const found = await acquireTestPostgres();
const client = new pg.Client({ connectionString: found.url });
await client.connect();
const result = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
await client.end();
await found.stop();
process.stdout.write(`${JSON.stringify({ source: found.source, version: result.rows[0]?.v })}\n`);
