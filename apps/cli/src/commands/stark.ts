/**
 * `custos stark`: prove and verify the example AIRs from the shell, without a server.
 *
 *   custos stark prove  --air fibonacci|range --rows N --out proof.bin [options]
 *   custos stark verify --air fibonacci|range --rows N --public a,b,… [--min-security 100] proof.bin
 *   custos stark inspect proof.bin     (the JSON view)
 *
 * poseidon2 proves rows / 32 permutations of the inputs (16k, …, 16k + 15), poseidon2-rows one per row. `prove` prints the public inputs (the statement) and the security of the proof; `verify` takes
 * the public inputs from its caller, never from the proof, and exits 0 when the proof is valid, 1
 * when it is rejected (with the reason), 2 on bad usage. `--json` prints
 * `{valid, reason, securityBits: {conjectured, proven}}`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { BaseError } from '@custos/core';
import {
  DEFAULT_OPTIONS,
  decodeProof,
  EXAMPLE_AIRS,
  encodeProof,
  exampleAir,
  fibonacciAir,
  fibonacciResult,
  fibonacciTrace,
  type LimbBits,
  type ProofOptions,
  poseidon2Air,
  poseidon2PublicInputs,
  poseidon2RowsAir,
  poseidon2RowsTrace,
  poseidon2Trace,
  proofSecurity,
  proofToJson,
  prove,
  rangeAir,
  rangeTrace,
  validateOptions,
  verifyBytes,
} from '@custos/stark';
import type { Command } from 'commander';
import { EXIT, printJson, usageError } from '../output.js';

function wantsJson(command: Command): boolean {
  return command.optsWithGlobals<{ json?: boolean }>().json === true;
}

function positiveInteger(value: string, flag: string): number {
  if (!/^[0-9]+$/.test(value)) throw usageError(`${flag} must be a non-negative integer`);
  return Number(value);
}

function powerOfTwo(value: string, flag: string): number {
  const n = positiveInteger(value, flag);
  if (n < 2 || (n & (n - 1)) !== 0) throw usageError(`${flag} must be a power of two`);
  return Math.log2(n);
}

function rowsOf(value: string): number {
  const rows = positiveInteger(value, '--rows');
  if (rows < 4 || rows > 2 ** 24 || (rows & (rows - 1)) !== 0)
    throw usageError('--rows must be a power of two from 4 to 2^24');
  return rows;
}

function airName(value: string): string {
  if (!(EXAMPLE_AIRS as readonly string[]).includes(value))
    throw usageError(`--air must be one of ${EXAMPLE_AIRS.join(', ')}`);
  return value;
}

/** `--values` file: one unsigned 64-bit integer per line (decimal or 0x hex); blank lines ignored. */
function readValues(file: string): bigint[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw usageError(`cannot read --values ${file}`, cause);
  }
  const values: bigint[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (!/^([0-9]+|0x[0-9a-fA-F]+)$/.test(line)) throw usageError(`--values line ${i + 1} is not an unsigned integer`);
    const v = BigInt(line);
    if (v >= 2n ** 64n) throw usageError(`--values line ${i + 1} is not below 2^64`);
    values.push(v);
  }
  return values;
}

interface ProveFlags {
  air: string;
  rows: string;
  out: string;
  values?: string;
  limbBits?: string;
  blowup: string;
  queries: string;
  folding: string;
  grinding: string;
  finalDegree: string;
  zeroKnowledge: boolean;
}

export function registerStark(program: Command): void {
  const stark = program.command('stark').description('transparent STARK proofs of the example AIRs: prove and verify');

  stark
    .command('prove')
    .description('prove an example AIR and write the binary proof')
    .requiredOption('--air <name>', `the AIR: ${EXAMPLE_AIRS.join(', ')}`)
    .requiredOption('--rows <n>', 'trace length, a power of two')
    .requiredOption('--out <file>', 'where to write the proof')
    .option('--values <file>', 'range: the 64-bit values, one per line (default: random values)')
    .option('--limb-bits <b>', 'range: 8 or 16 (default: 16 when rows ≥ 65536, else 8)')
    .option('--blowup <n>', 'LDE blowup factor', String(2 ** DEFAULT_OPTIONS.logBlowup))
    .option('--queries <n>', 'FRI queries', String(DEFAULT_OPTIONS.numQueries))
    .option('--folding <n>', 'FRI folding factor', String(2 ** DEFAULT_OPTIONS.logFoldingFactor))
    .option('--grinding <bits>', 'proof-of-work bits before the queries', String(DEFAULT_OPTIONS.grindingBits))
    .option(
      '--final-degree <n>',
      'degree bound of the last FRI layer, sent whole',
      String(2 ** DEFAULT_OPTIONS.logFinalDegree),
    )
    .option('--no-zero-knowledge', 'leave out the zero-knowledge masks (smaller, faster, not hiding)')
    .action((flags: ProveFlags, command: Command) => {
      const name = airName(flags.air);
      const rows = rowsOf(flags.rows);
      const options: ProofOptions = {
        logBlowup: powerOfTwo(flags.blowup, '--blowup'),
        numQueries: positiveInteger(flags.queries, '--queries'),
        logFoldingFactor: powerOfTwo(flags.folding, '--folding'),
        logFinalDegree: flags.finalDegree === '1' ? 0 : powerOfTwo(flags.finalDegree, '--final-degree'),
        grindingBits: positiveInteger(flags.grinding, '--grinding'),
        zeroKnowledge: flags.zeroKnowledge,
      };
      const bad = validateOptions(options);
      if (bad !== null) throw usageError(`invalid proof options: ${bad}`);
      let air: ReturnType<typeof fibonacciAir>;
      let trace: Uint32Array[];
      if (name === 'fibonacci') {
        air = fibonacciAir(rows, fibonacciResult(rows));
        trace = fibonacciTrace(rows);
      } else if (name === 'poseidon2') {
        // rows / 32 permutations of the inputs (16k, 16k + 1, …, 16k + 15), k = 0, 1, …
        if (rows < 128) throw usageError('--rows must be at least 128 for poseidon2 (32 rows per permutation)');
        const inputs = Array.from({ length: rows / 32 }, (_, k) =>
          Uint32Array.from({ length: 16 }, (_, i) => 16 * k + i),
        );
        const built = poseidon2Trace(inputs);
        air = poseidon2Air(rows, poseidon2PublicInputs(inputs, built.outputs));
        trace = built.trace;
      } else if (name === 'poseidon2-rows') {
        // one permutation per row of the inputs (16k, 16k + 1, …, 16k + 15), k = 0, 1, …
        const inputs = Array.from({ length: rows }, (_, k) =>
          Uint32Array.from({ length: 16 }, (_, i) => (16 * k + i) % 2013265921),
        );
        const built = poseidon2RowsTrace(inputs, rows);
        air = poseidon2RowsAir(rows, poseidon2PublicInputs(inputs, built.outputs));
        trace = built.trace;
      } else {
        const limbBits = (flags.limbBits === undefined ? (rows >= 65536 ? 16 : 8) : Number(flags.limbBits)) as LimbBits;
        if (limbBits !== 8 && limbBits !== 16) throw usageError('--limb-bits must be 8 or 16');
        const values =
          flags.values === undefined
            ? Array.from({ length: rows }, () => randomBytes(8).readBigUInt64LE())
            : readValues(flags.values);
        const built = rangeTrace(values, rows, limbBits);
        air = rangeAir(built.statement);
        trace = built.trace;
      }
      const started = performance.now();
      const proof = prove({ air, trace, options });
      const ms = performance.now() - started;
      const bytes = encodeProof(proof);
      try {
        writeFileSync(flags.out, bytes);
      } catch (cause) {
        throw usageError(`cannot write --out ${flags.out}`, cause);
      }
      const security = proofSecurity(air, proof);
      const publicInputs = [...air.publicInputs];
      if (wantsJson(command)) {
        printJson({ air: name, rows, publicInputs, bytes: bytes.length, securityBits: security, ms: Math.round(ms) });
        return;
      }
      process.stdout.write(
        `${flags.out}: ${name}, ${rows} rows, ${bytes.length} bytes, proved in ${(ms / 1000).toFixed(2)} s\n` +
          `security: ${security.conjectured} bits conjectured, ${security.proven} bits proven\n` +
          `public inputs: ${publicInputs.join(',')}\n` +
          `verify with: custos stark verify --air ${name} --rows ${rows} --public ${publicInputs.join(',')} ${flags.out}\n`,
      );
    });

  stark
    .command('inspect')
    .description('print a proof as JSON (roots, out-of-domain values, FRI layers, openings); checks nothing')
    .argument('<proof>', 'the binary proof file')
    .action((file: string) => {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (cause) {
        throw usageError(`cannot read proof ${file}`, cause);
      }
      printJson({ bytes: bytes.length, ...proofToJson(decodeProof(bytes)) });
    });

  stark
    .command('verify')
    .description('verify a proof of an example AIR against public inputs you supply (exit 0 valid, 1 rejected)')
    .requiredOption('--air <name>', `the AIR: ${EXAMPLE_AIRS.join(', ')}`)
    .requiredOption('--rows <n>', 'trace length, a power of two')
    .requiredOption('--public <list>', 'the public inputs, comma-separated field elements (as `prove` prints them)')
    .option('--min-security <bits>', 'least conjectured security accepted', '100')
    .argument('<proof>', 'the binary proof file')
    .action(
      (file: string, flags: { air: string; rows: string; public: string; minSecurity: string }, command: Command) => {
        const name = airName(flags.air);
        const rows = rowsOf(flags.rows);
        const publicInputs = flags.public.split(',').map((v) => positiveInteger(v.trim(), '--public'));
        const minSecurityBits = positiveInteger(flags.minSecurity, '--min-security');
        let bytes: Uint8Array;
        try {
          bytes = readFileSync(file);
        } catch (cause) {
          throw usageError(`cannot read proof ${file}`, cause);
        }
        let air: ReturnType<typeof exampleAir>;
        try {
          air = exampleAir(name, rows, publicInputs);
        } catch (cause) {
          if (cause instanceof BaseError) throw usageError(cause.shortMessage, cause);
          throw cause;
        }
        const result = verifyBytes({ air, bytes, minSecurityBits });
        if (wantsJson(command)) printJson(result);
        else if (result.valid) {
          process.stdout.write(
            `valid: ${name}, ${rows} rows; security ${result.securityBits?.conjectured} bits conjectured, ${result.securityBits?.proven} bits proven\n`,
          );
        } else {
          const bits =
            result.securityBits === null
              ? ''
              : ` (proof parameters give ${result.securityBits.conjectured} bits conjectured)`;
          process.stdout.write(`rejected: ${result.reason}${bits}\n`);
        }
        process.exitCode = result.valid ? EXIT.ok : EXIT.negative;
      },
    );
}
