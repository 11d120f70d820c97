// Test helper run as a separate process: opens the PGlite directory at argv[2] and prints "ready"
// (then holds it until stdin closes), or prints "locked <pid>" if another process holds it. With
// `--barrier` it first prints "armed" and waits for a line on stdin, so a test can release several
// processes at the same instant.
import { createInterface } from 'node:readline';
import { BaseError } from '@custos/core';
import { openDatabase } from '../index.js';

const lines = createInterface({ input: process.stdin });
const stdinClosed = new Promise<void>((resolve) => lines.once('close', resolve));
if (process.argv[3] === '--barrier') {
  process.stdout.write('armed\n');
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
}
try {
  const db = await openDatabase(process.argv[2] as string);
  process.stdout.write('ready\n');
  await stdinClosed;
  await db.close();
  process.exit(0);
} catch (error) {
  if (!(error instanceof BaseError) || error.code !== 'DB_LOCKED') throw error;
  process.stdout.write(`locked ${error.details.pid}\n`);
  process.exit(3);
}
