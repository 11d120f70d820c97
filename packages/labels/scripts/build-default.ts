/** Rebuilds data/default.clx from the shipped sources through an in-memory store. */
import { fileURLToPath } from 'node:url';
import { buildDefaultIndex } from '../src/defaults.js';

const path = fileURLToPath(new URL('../data/default.clx', import.meta.url));
const stats = await buildDefaultIndex(path);
process.stdout.write(`${JSON.stringify(stats)}\n`);
