#!/usr/bin/env node
import { main } from './main.js';

const code = await main(process.argv);
// Exit once stdout has drained: a finished command must not linger on a handle some library left.
process.stdout.write('', () => process.exit(code));
