// Test helper run as a separate process: opens the PGlite directory at argv[2], says "ready",
// and holds it until stdin closes.
import { openDatabase } from '../index.js';

const db = await openDatabase(process.argv[2] as string);
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void db.close().then(() => process.exit(0));
});
