/**
 * Offline compiler for the dev-chain fixture contracts. It feeds every `contracts/*.sol` file to
 * solc-js (the pinned `solc` npm package, no download) through the Solidity standard-JSON interface,
 * resolving `@openzeppelin/...` imports from node_modules, and writes one JSON artifact per contract
 * (abi, bytecode, deployedBytecode, compiler settings) to `artifacts/`. The artifacts are committed
 * so the dev chain never compiles at start-up. Run from the repository root:
 *   node --import tsx packages/devchain/scripts/compile.ts
 * Uniswap v2 artifacts are deliberately not copied here: they are GPL build output loaded from
 * node_modules at run time (see src/artifacts.ts).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

interface Solc {
  compile(input: string, callbacks: { import: (path: string) => { contents: string } | { error: string } }): string;
  version(): string;
}

interface SolcError {
  severity: 'error' | 'warning' | 'info';
  formattedMessage: string;
}

interface SolcContractOutput {
  abi: unknown[];
  evm: { bytecode: { object: string }; deployedBytecode: { object: string } };
}

interface SolcOutput {
  errors?: SolcError[];
  contracts?: Record<string, Record<string, SolcContractOutput>>;
}

const solc = require('solc') as Solc;

/** Contracts whose artifacts the dev chain (or its tests) load; other compiled units are libraries. */
const WANTED = new Set([
  'DevUSD',
  'DevNFT',
  'DevMultiToken',
  'CustosPermit2',
  'DevERC1271Wallet',
  'DevHoneypotToken',
  'DevTaxToken',
]);

/**
 * Cancun is the newest EVM target solc 0.8.28 supports as stable; the EDR runs a later hardfork
 * (Osaka), which executes Cancun bytecode unchanged.
 */
const SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const contractsDir = new URL('../contracts/', import.meta.url);
const artifactsDir = new URL('../artifacts/', import.meta.url);

/** Source names stay package-relative so no machine path ends up in the committed artifacts. */
function readSources(): Record<string, { content: string }> {
  const sources: Record<string, { content: string }> = {};
  for (const file of readdirSync(contractsDir)
    .filter((f) => f.endsWith('.sol'))
    .sort()) {
    sources[`contracts/${file}`] = { content: readFileSync(new URL(file, contractsDir), 'utf8') };
  }
  return sources;
}

function resolveImport(path: string): { contents: string } | { error: string } {
  try {
    return { contents: readFileSync(require.resolve(path, { paths: [packageDir] }), 'utf8') };
  } catch (error) {
    // solc-js reports the message to the user as a compile error; keep the reason.
    return { error: `cannot resolve import ${path}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function compile(): SolcOutput {
  const input = { language: 'Solidity', sources: readSources(), settings: SETTINGS };
  return JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport })) as SolcOutput;
}

function main(): void {
  const output = compile();
  const problems = output.errors ?? [];
  for (const problem of problems) process.stderr.write(`${problem.formattedMessage}\n`);
  if (problems.some((p) => p.severity === 'error')) {
    process.exitCode = 1;
    return;
  }
  mkdirSync(artifactsDir, { recursive: true });
  const version = solc.version();
  let written = 0;
  for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [contractName, contract] of Object.entries(contracts)) {
      if (!WANTED.has(contractName)) continue;
      const artifact = {
        contractName,
        sourceName,
        compiler: {
          name: 'solc-js',
          version,
          settings: { evmVersion: SETTINGS.evmVersion, optimizer: SETTINGS.optimizer },
        },
        abi: contract.abi,
        bytecode: `0x${contract.evm.bytecode.object}`,
        deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
      };
      writeFileSync(new URL(`${contractName}.json`, artifactsDir), `${JSON.stringify(artifact, null, 2)}\n`);
      process.stdout.write(
        `wrote artifacts/${contractName}.json (${contract.evm.deployedBytecode.object.length / 2} bytes runtime)\n`,
      );
      written += 1;
    }
  }
  if (written !== WANTED.size) {
    process.stderr.write(`expected ${WANTED.size} artifacts, wrote ${written}\n`);
    process.exitCode = 1;
  }
}

main();
