/**
 * `custos por`: proof of reserves from the shell, without a server. `build` makes a round from a
 * liabilities snapshot (streaming, resumable: run the same command again after an interruption),
 * with a progress bar on stderr; `proof` extracts one user's inclusion proof; `verify` checks a
 * proof against the signed root (exit 0 valid, 1 invalid with the reason) — against a pinned key
 * with `--pubkey`, else against the root file's own key, saying so on stderr; `verify-okx` checks
 * OKX's published 2022 proof files and 2023 user-info files against their tree file.
 *
 * The zero-knowledge round: `prove` proves a built round's batches (worker threads here, or with
 * `--database-url` through the PostgreSQL job queue that `worker` processes serve, on any hosts),
 * writing DIR/zk/; `verify-zk` checks the statement (C, T_a against the round's liabilities), the
 * batch proofs (all, or a random sample) and a user's proof, from the published files alone;
 * `proof-zk` extracts a user's por-proof/v2.
 */
import { createPrivateKey, createPublicKey, randomInt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { BaseError, Decimal } from '@custos/core';
import {
  type BuildProgress,
  batchFileName,
  batchStatementOf,
  buildLiabilitiesTree,
  checkStatement,
  checkStatementForRoot,
  DEFAULT_CAPACITY,
  keyFingerprint,
  MAX_CAPACITY,
  parseRootFile,
  planBatches,
  proveRound,
  RoundReader,
  readRoundWitness,
  solvencyAir,
  verifyBatch,
  verifyInclusionProof,
  verifyOkx2022Proof,
  verifyOkx2023,
  verifyRootSignature,
  verifyZkInclusion,
  writePublicationBundle,
  type ZkBatchFile,
  type ZkProgress,
  type ZkStatement,
  ZkVerifyError,
  zkDir,
  zkInclusionProof,
} from '@custos/por';
import type * as QueueModule from '@custos/por/queue';
import { proofSecurity, type SecurityLevel } from '@custos/stark';
import type { Command } from 'commander';
import { callServer } from '../client.js';
import { EXIT, printJson, usageError } from '../output.js';
import { clientOptions } from './accounts.js';
import { type ReservesFlags, reservesReport } from './por-reserves.js';
import { readSecretFile } from './wallet.js';

type Queue = typeof QueueModule;

function wantsJson(command: Command): boolean {
  return command.optsWithGlobals<{ json?: boolean }>().json === true;
}

/** An Ed25519 seed: 64 hex characters, or a PKCS#8 PEM private key. */
export function readSigningSeed(file: string): Uint8Array {
  const text = readSecretFile(file, '--signing-key').trim();
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(text)) return Uint8Array.from(Buffer.from(text.replace(/^0x/, ''), 'hex'));
  if (text.startsWith('-----BEGIN')) {
    try {
      const key = createPrivateKey(text);
      if (key.asymmetricKeyType !== 'ed25519') throw usageError('--signing-key is not an Ed25519 key');
      const jwk = key.export({ format: 'jwk' }) as { d?: string };
      if (jwk.d === undefined) throw usageError('--signing-key holds no private key');
      return Uint8Array.from(Buffer.from(jwk.d, 'base64url'));
    } catch (cause) {
      if (cause instanceof BaseError) throw cause;
      throw usageError('--signing-key is not a PKCS#8 PEM Ed25519 key', cause);
    }
  }
  throw usageError('--signing-key must hold a 32-byte Ed25519 seed as 64 hex characters, or a PKCS#8 PEM key');
}

/** A pinned public key: 64 hex characters, or a file holding them or an SPKI PEM. */
export function readPublicKey(value: string): string {
  const direct = value.trim().replace(/^0x/, '');
  if (/^[0-9a-fA-F]{64}$/.test(direct)) return direct.toLowerCase();
  if (!existsSync(value)) throw usageError('--pubkey must be 64 hex characters or a file holding them (or a PEM key)');
  const text = readFileSync(value, 'utf8').trim();
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(text)) return text.replace(/^0x/, '').toLowerCase();
  try {
    const jwk = createPublicKey(text).export({ format: 'jwk' }) as { x?: string; crv?: string };
    if (jwk.crv !== 'Ed25519' || jwk.x === undefined) throw usageError('--pubkey is not an Ed25519 key');
    return Buffer.from(jwk.x, 'base64url').toString('hex');
  } catch (cause) {
    if (cause instanceof BaseError) throw cause;
    throw usageError('--pubkey file holds neither 64 hex characters nor a PEM public key', cause);
  }
}

function readJson(file: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw usageError(`cannot read ${flag} ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, cause);
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new BaseError('POR_INVALID_INPUT', `${flag} ${file} is not JSON`, { details: { file }, cause });
  }
}

/** A progress bar on stderr: phase, percent, rate and ETA, at most 4 times a second. */
function progressBar(): (p: { phase: BuildProgress['phase'] | 'proofs'; done: number; total: number }) => void {
  let last = 0;
  let phase = '';
  let started = performance.now();
  const tty = process.stderr.isTTY === true;
  return (p) => {
    const now = performance.now();
    if (p.phase !== phase) {
      if (phase !== '' && tty) process.stderr.write('\n');
      phase = p.phase;
      started = now;
      last = 0;
    }
    if (now - last < 250 && p.done < p.total) return;
    last = now;
    const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const seconds = (now - started) / 1000;
    const eta = fraction > 0 ? (seconds / fraction) * (1 - fraction) : 0;
    const line = `${phase.padEnd(7)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)} %  ${seconds.toFixed(1)} s  eta ${eta.toFixed(0)} s`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
}

/** The PostgreSQL proving queue (`@custos/por/queue`: pg-boss), loaded only by the commands that use it. */
async function loadQueue(): Promise<Queue> {
  return (await import('@custos/por/queue')) as Queue;
}

function integerFlag(value: string, flag: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max)
    throw usageError(`${flag} must be an integer from ${min} to ${max}`);
  return Number(value);
}

function capacityFlag(value: string | undefined): number {
  if (value === undefined) return DEFAULT_CAPACITY;
  const c = integerFlag(value, '--capacity', 2, MAX_CAPACITY);
  if ((c & (c - 1)) !== 0) throw usageError('--capacity must be a power of two');
  return c;
}

function databaseUrlFlag(value: string): string {
  if (!/^postgres(ql)?:\/\//.test(value)) throw usageError('--database-url must be a postgres:// URL');
  return value;
}

/** The zero-knowledge progress on stderr: batches, rate and ETA, at most 4 times a second. */
function zkProgressLine(): (p: ZkProgress) => void {
  let last = 0;
  const tty = process.stderr.isTTY === true;
  return (p) => {
    const now = performance.now();
    if (now - last < 250 && p.done < p.total) return;
    last = now;
    const fraction = p.total > 0 ? p.done / p.total : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const eta = p.etaSeconds === null ? '–' : `${p.etaSeconds.toFixed(0)} s`;
    const line = `zk      [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)} %  ${p.done}/${p.total} batches (${p.skipped} skipped)  ${p.rate.toFixed(1)}/min  eta ${eta}`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
}

/** Installs SIGINT/SIGTERM handlers that abort `controller`; a second signal exits at once. */
function abortOnSignals(controller: AbortController, what: string): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(EXIT.negative);
    process.stderr.write(`${what}: ${signal}, stopping (again to exit now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

async function metricsServer(
  port: string | undefined,
  render: () => string,
): Promise<{ close(): Promise<void> } | undefined> {
  if (port === undefined) return undefined;
  const { serveMetrics } = await loadQueue();
  const server = await serveMetrics(integerFlag(port, '--metrics-port', 0, 65535), render);
  process.stderr.write(`metrics at http://0.0.0.0:${server.port}/metrics\n`);
  return server;
}

function readStatement(round: string): ZkStatement {
  const path = join(zkDir(round), 'statement.json');
  if (!existsSync(path))
    throw usageError(`${round} holds no zero-knowledge statement (zk/statement.json): run custos por prove first`);
  return readJson(path, '--round') as ZkStatement;
}

/**
 * Ties the statement to the round's liabilities: T_a must equal the private build record's totals
 * (DIR/build.json) when it is there, and the signed root's (DIR/root.json, its signature checked,
 * pinned to `pubkey` when given) when that is. Says where the liabilities came from, and whether
 * the signer was pinned.
 */
function checkLiabilities(
  round: string,
  statement: ZkStatement,
  pubkey: string | undefined,
): { sources: string[]; pinned: boolean | null } {
  const sources: string[] = [];
  let pinned: boolean | null = null;
  const build = join(round, 'build.json');
  if (existsSync(build)) {
    const totals = (readJson(build, '--round') as { totals?: unknown }).totals;
    if (Array.isArray(totals)) {
      checkStatement(statement, totals.map(String));
      sources.push('build.json');
    }
  }
  const rootPath = join(round, 'root.json');
  if (existsSync(rootPath)) {
    const root = parseRootFile(readJson(rootPath, '--round'));
    pinned = verifyRootSignature(root, pubkey).pinned;
    checkStatementForRoot(statement, root);
    sources.push('root.json');
  } else if (pubkey !== undefined) throw usageError(`--pubkey given, but ${round} holds no root.json`);
  if (sources.length === 0) checkStatement(statement);
  return { sources, pinned };
}

/** `n` distinct batch indices out of `count`, drawn with node:crypto. */
function sampleIndices(count: number, n: number): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (n >= count) return all;
  for (let i = 0; i < n; i++) {
    const j = i + randomInt(count - i);
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, n).sort((a, b) => a - b);
}

function minSecurity(a: SecurityLevel | null, b: SecurityLevel | null): SecurityLevel | null {
  if (a === null) return b;
  if (b === null) return a;
  return { conjectured: Math.min(a.conjectured, b.conjectured), proven: Math.min(a.proven, b.proven) };
}

function readBatchFiles(round: string, index: number): { file: ZkBatchFile; proof: Uint8Array } | undefined {
  const dir = join(zkDir(round), 'batches');
  const json = join(dir, batchFileName(index, 'json'));
  const stark = join(dir, batchFileName(index, 'stark'));
  if (!existsSync(json) || !existsSync(stark)) return undefined;
  let file: ZkBatchFile;
  try {
    file = JSON.parse(readFileSync(json, 'utf8')) as ZkBatchFile;
  } catch {
    throw new ZkVerifyError('malformed', `batch ${index}: the leaves file is not JSON`, { batch: index });
  }
  return { file, proof: new Uint8Array(readFileSync(stark)) };
}

/** The summary `custos por prove` prints. */
function proveSummary(round: string, statement: ZkStatement, extra: Record<string, unknown>) {
  const first = statement.batches[0];
  const files = first === undefined ? undefined : readBatchFiles(round, first.index);
  const securityBits =
    first === undefined || files === undefined
      ? null
      : proofSecurity(solvencyAir(batchStatementOf(statement, first, files.file)), { options: statement.options });
  return {
    round,
    roundId: statement.roundId,
    users: statement.users,
    capacity: statement.capacity,
    batches: statement.batches.length,
    commitment: statement.commitment,
    totals: statement.assets.map((a, i) => ({
      asset: a.symbol,
      units: statement.totals[i] as string,
      total: Decimal.fromUnits(BigInt(statement.totals[i] as string), a.scale).toString(),
    })),
    securityBits,
    ...extra,
  };
}

export function registerPor(program: Command): void {
  const por = program.command('por').description('proof of reserves: build a round, extract and verify proofs');

  por
    .command('build')
    .description('build a round (liabilities sum tree, signed root) from a snapshot; run again to resume')
    .requiredOption('--liabilities <file>', 'snapshot: CSV `user_id,<ASSET>:<scale>,…` or NDJSON')
    .requiredOption('--out <dir>', 'round directory (root.json, tree/, private build.json)')
    .requiredOption('--signing-key <file>', 'Ed25519 seed (64 hex characters) or PKCS#8 PEM')
    .option('--round-id <id>', 'round id (default: the snapshot month, YYYY-MM UTC)')
    .option('--snapshot-time <iso>', 'time of the snapshot (default: now)')
    .option('--salt-secret <file>', 'salt secret, 64+ hex characters (default: derived from the signing key)')
    .option('--format <format>', 'csv or ndjson (default: from the first line)')
    .option('--checkpoint-rows <n>', 'rows between resumable checkpoints', '1000000')
    .option('--emit-proofs', 'after the build, write every user’s proof to DIR/proofs/<shard>/<salted id hash>.json')
    .action(
      (
        flags: {
          liabilities: string;
          out: string;
          signingKey: string;
          roundId?: string;
          snapshotTime?: string;
          saltSecret?: string;
          format?: string;
          checkpointRows: string;
          emitProofs?: boolean;
        },
        command: Command,
      ) => {
        if (flags.format !== undefined && flags.format !== 'csv' && flags.format !== 'ndjson')
          throw usageError('--format must be csv or ndjson');
        if (!/^[1-9][0-9]*$/.test(flags.checkpointRows))
          throw usageError('--checkpoint-rows must be a positive integer');
        let saltSecret: Uint8Array | undefined;
        if (flags.saltSecret !== undefined) {
          const text = readSecretFile(flags.saltSecret, '--salt-secret').trim();
          if (!/^([0-9a-fA-F]{2}){32,}$/.test(text))
            throw usageError('--salt-secret must hold 64 or more hex characters');
          saltSecret = Uint8Array.from(Buffer.from(text, 'hex'));
        }
        if (!existsSync(flags.liabilities)) throw usageError(`--liabilities ${flags.liabilities} does not exist`);
        const started = performance.now();
        const result = buildLiabilitiesTree({
          input: flags.liabilities,
          out: flags.out,
          signingSeed: readSigningSeed(flags.signingKey),
          roundId: flags.roundId,
          snapshotTime: flags.snapshotTime,
          saltSecret,
          format: flags.format as 'csv' | 'ndjson' | undefined,
          checkpointRows: Number(flags.checkpointRows),
          onProgress: progressBar(),
        });
        if (process.stderr.isTTY) process.stderr.write('\n');
        let proofs: number | undefined;
        if (flags.emitProofs === true) {
          // Outside the build: a proof per user, named so the files reveal no ids.
          const reader = RoundReader.open(flags.out);
          const progress = progressBar();
          try {
            proofs = reader.emitProofs(join(flags.out, 'proofs'), (done, total) =>
              progress({ phase: 'proofs', done, total }),
            );
          } finally {
            reader.close();
          }
          if (process.stderr.isTTY) process.stderr.write('\n');
        }
        const summary = {
          ...(proofs === undefined ? {} : { proofs }),
          round: flags.out,
          roundId: result.root.roundId,
          users: result.users,
          assets: result.root.assets.length,
          rootHash: result.root.rootHash,
          publicKey: result.root.publicKey,
          fingerprint: keyFingerprint(result.root.publicKey),
          treeBytes: result.treeBytes,
          resumed: result.resumed,
          seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
        };
        if (wantsJson(command)) printJson({ ...summary, root: result.root });
        else printJson(summary);
      },
    );

  por
    .command('proof')
    .description("one user's inclusion proof (por-proof/v1) from a built round")
    .requiredOption('--round <dir>', 'round directory')
    .requiredOption('--user <id>', 'user id')
    .option('--out <file>', 'write the proof here instead of stdout')
    .action((flags: { round: string; user: string; out?: string }) => {
      const reader = RoundReader.open(flags.round);
      try {
        const proof = reader.proof(flags.user);
        if (flags.out === undefined) printJson(proof);
        else writeFileSync(flags.out, `${JSON.stringify(proof, null, 2)}\n`);
      } finally {
        reader.close();
      }
    });

  por
    .command('verify')
    .description('verify an inclusion proof against the signed root (exit 0 valid, 1 invalid)')
    .requiredOption('--proof <file>', 'por-proof/v1 file')
    .requiredOption('--root <file>', 'the round root.json')
    .option('--pubkey <key>', "the exchange's Ed25519 public key (hex, or a file) — pin it")
    .action((flags: { proof: string; root: string; pubkey?: string }, command: Command) => {
      const publicKey = flags.pubkey === undefined ? undefined : readPublicKey(flags.pubkey);
      const result = verifyInclusionProof(readJson(flags.proof, '--proof'), readJson(flags.root, '--root'), {
        publicKey,
      });
      if (!result.signer.pinned) {
        process.stderr.write(
          `custos: signer not pinned: the root is signed by key ${keyFingerprint(result.signer.publicKey)} (fingerprint); pass --pubkey to require the exchange's key\n`,
        );
      }
      printJson({ valid: true, ...result, fingerprint: keyFingerprint(result.signer.publicKey) });
      void command;
    });

  por
    .command('reserves')
    .description(
      'verify reserve addresses (ownership at the round message, balances at the snapshot) and print ratios per asset',
    )
    .requiredOption('--addresses <file>', 'reserve addresses: an OKX reserve file (9-, 11- or 12-column layout)')
    .requiredOption('--root <file>', "the round's root.json (liabilities per asset)")
    .option('--pubkey <key>', "the exchange's Ed25519 key to pin the root to")
    .option('--rpc-url <url>', 'JSON-RPC endpoint for EVM balances')
    .option('--block <n>', 'snapshot block for rows that name none (the 9-column layout)')
    .option('--btc-balances <file>', 'Bitcoin balances, `address,balance` per line')
    .option('--token <asset=contract[:decimals]...>', 'ERC-20 contracts for token rows, e.g. USDT=0xdAC1…:6')
    .option('--message <text>', 'the message every address must have signed (default: the round message)')
    .option('--any-message', 'accept any signed message (OKX-style static messages can be replayed across rounds)')
    .action(async (flags: ReservesFlags) => {
      const report = await reservesReport(flags);
      printJson(report);
      if (report.addresses.some((a) => a.ownership.valid === false && a.ownership.scheme !== 'unsupported'))
        process.exitCode = EXIT.negative;
    });

  por
    .command('publish')
    .description(
      'publish a built round (a directory on the server’s disk) as the latest, with its reserves table (operator)',
    )
    .requiredOption('--round <dir>', 'round directory, as the server sees it')
    .option('--reserves <file>', 'the reserves table (JSON) to publish with it')
    .action(async (flags: { round: string; reserves?: string }, command: Command) => {
      const reserves = flags.reserves === undefined ? undefined : readJson(flags.reserves, '--reserves');
      const result = await callServer(clientOptions(command), 'POST', '/v1/por/rounds', {
        dir: resolve(flags.round),
        ...(reserves === undefined ? {} : { reserves }),
      });
      printJson(result);
    });

  por
    .command('bundle')
    .description(
      'write the static publication bundle: the signed root, the reserves table and the verifier page (no user data)',
    )
    .requiredOption('--round <dir>', 'the built round directory')
    .requiredOption('--out <dir>', 'the bundle directory (new or empty; not inside the round directory)')
    .option('--reserves <file>', 'the reserves table (custos por reserves --json)')
    .option('--pubkey <key>', "the exchange's Ed25519 public key the page pins (hex, or a file)")
    .option('--zk-sample <n>', 'zero-knowledge round: batch proofs the page checks besides the user’s own (default 4)')
    .option('--min-security <bits>', 'zero-knowledge round: least conjectured bits the page accepts (default 100)')
    .action(
      async (flags: {
        round: string;
        out: string;
        reserves?: string;
        pubkey?: string;
        zkSample?: string;
        minSecurity?: string;
      }) => {
        const bundle = await writePublicationBundle({
          round: flags.round,
          out: flags.out,
          ...(flags.zkSample === undefined
            ? {}
            : { zkSample: integerFlag(flags.zkSample, '--zk-sample', 0, 1_000_000) }),
          ...(flags.minSecurity === undefined
            ? {}
            : { minSecurityBits: integerFlag(flags.minSecurity, '--min-security', 1, 256) }),
          ...(flags.reserves === undefined ? {} : { reserves: readJson(flags.reserves, '--reserves') }),
          ...(flags.pubkey === undefined ? {} : { publicKey: readPublicKey(flags.pubkey) }),
        });
        if (!bundle.pinned) {
          process.stderr.write(
            `custos: signer not pinned: the page pins the root's own key ${bundle.fingerprint} (fingerprint); pass --pubkey to pin the exchange's key\n`,
          );
        }
        printJson(bundle);
      },
    );

  por
    .command('verify-okx')
    .description("verify OKX's published files: --proof (2022 path file) or --user-info with --tree (2023)")
    .option('--proof <file>', 'OKX 2022 merkle_proof_file.json')
    .option('--user-info <file>', 'OKX 2023 user info file')
    .option('--tree <file>', 'OKX 2023 full-liabilities-merkle-tree.txt')
    .action((flags: { proof?: string; userInfo?: string; tree?: string }) => {
      if (flags.proof !== undefined) {
        if (flags.userInfo !== undefined || flags.tree !== undefined)
          throw usageError('give --proof, or --user-info with --tree, not both');
        printJson(verifyOkx2022Proof(readFileSync(flags.proof, 'utf8')));
        return;
      }
      if (flags.userInfo === undefined || flags.tree === undefined)
        throw usageError('give --proof <2022 file>, or --user-info <file> with --tree <file>');
      printJson(verifyOkx2023(readJson(flags.userInfo, '--user-info'), readFileSync(flags.tree, 'utf8')));
    });

  por
    .command('prove')
    .description('prove a built round with zero knowledge (DIR/zk/: batch proofs, statement.json); run again to resume')
    .requiredOption('--round <dir>', 'round directory (custos por build)')
    .option('--capacity <n>', `users per batch, a power of two (default ${DEFAULT_CAPACITY})`)
    .option(
      '--workers <n>',
      'proving threads here (default: one per core); with --database-url, queue workers in this process (0: external workers only)',
    )
    .option('--database-url <url>', 'prove through the PostgreSQL job queue, served by `custos por worker` processes')
    .option(
      '--lease-seconds <s>',
      'with --database-url: a batch whose worker is silent this long goes to another',
      '60',
    )
    .option('--metrics-port <port>', 'serve progress as Prometheus text at http://0.0.0.0:PORT/metrics')
    .action(
      async (
        flags: {
          round: string;
          capacity?: string;
          workers?: string;
          databaseUrl?: string;
          leaseSeconds: string;
          metricsPort?: string;
        },
        command: Command,
      ) => {
        const capacity = capacityFlag(flags.capacity);
        const queued = flags.databaseUrl !== undefined;
        const databaseUrl = queued ? databaseUrlFlag(flags.databaseUrl as string) : undefined;
        const workers =
          flags.workers === undefined ? availableParallelism() : integerFlag(flags.workers, '--workers', 0, 256);
        if (!queued && workers === 0) throw usageError('--workers 0 needs --database-url (external workers)');
        const leaseSeconds = integerFlag(flags.leaseSeconds, '--lease-seconds', 2, 3600);
        if (!existsSync(join(flags.round, 'root.json'))) throw usageError(`--round ${flags.round} holds no round`);
        const witness = readRoundWitness(flags.round);
        let latest: ZkProgress = {
          done: 0,
          total: planBatches(witness.users.length, capacity).length,
          skipped: 0,
          rate: 0,
          etaSeconds: null,
        };
        const line = zkProgressLine();
        const onProgress = (p: ZkProgress) => {
          latest = p;
          line(p);
        };
        const queue = queued || flags.metricsPort !== undefined ? await loadQueue() : undefined;
        const metrics = await metricsServer(flags.metricsPort, () =>
          (queue as Queue).metricsText((queue as Queue).coordinatorMetrics(witness.roundId, latest)),
        );
        const started = performance.now();
        const log = (text: string) => process.stderr.write(`${text}\n`);
        try {
          let statement: ZkStatement;
          let extra: Record<string, unknown>;
          if (queue !== undefined && databaseUrl !== undefined) {
            const result = await queue.proveRoundOnQueue({
              dir: flags.round,
              databaseUrl,
              capacity,
              witness,
              leaseSeconds,
              localWorkers: workers,
              onProgress,
              log,
            });
            statement = result.statement;
            extra = {
              proven: statement.batches.length - result.skipped - result.found,
              skipped: result.skipped,
              queue: { queued: result.queued, found: result.found },
            };
          } else {
            statement = await proveRound({
              dir: flags.round,
              capacity,
              workers,
              witness,
              onProgress,
            });
            extra = { proven: latest.done - latest.skipped, skipped: latest.skipped };
          }
          if (process.stderr.isTTY) process.stderr.write('\n');
          const summary = proveSummary(flags.round, statement, {
            ...extra,
            seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
          });
          if (wantsJson(command)) {
            printJson(summary);
            return;
          }
          const bits = summary.securityBits;
          process.stdout.write(
            `round ${summary.roundId}: ${summary.users} users in ${summary.batches} batches of capacity ${summary.capacity}; ${String(extra.proven)} proven, ${String(extra.skipped)} skipped\n` +
              `C    ${summary.commitment}\n` +
              summary.totals.map((t) => `T    ${t.asset} ${t.total}\n`).join('') +
              (bits === null ? '' : `security: ${bits.conjectured} bits conjectured, ${bits.proven} bits proven\n`),
          );
        } finally {
          await metrics?.close();
        }
      },
    );

  por
    .command('worker')
    .description('prove batches from the PostgreSQL job queue (custos por prove --database-url) until SIGINT/SIGTERM')
    .requiredOption('--database-url <url>', 'the queue’s PostgreSQL database')
    .option('--id <name>', 'this worker’s name in logs and the results table (default host:pid)')
    .option('--threads <n>', 'batches proven at once, one thread each (default: one per core)')
    .option('--metrics-port <port>', 'serve progress as Prometheus text at http://0.0.0.0:PORT/metrics')
    .action(
      async (flags: { databaseUrl: string; id?: string; threads?: string; metricsPort?: string }, command: Command) => {
        const databaseUrl = databaseUrlFlag(flags.databaseUrl);
        const concurrency =
          flags.threads === undefined ? availableParallelism() : integerFlag(flags.threads, '--threads', 1, 256);
        if (flags.id !== undefined && !/^[\w.:@-]{1,64}$/.test(flags.id))
          throw usageError('--id must be 1 to 64 letters, digits or . : @ - _');
        const queue = await loadQueue();
        let latest: Parameters<typeof queue.workerMetrics>[0] = queue.idleWorkerProgress(flags.id ?? '');
        let shown = '';
        const metrics = await metricsServer(flags.metricsPort, () => queue.metricsText(queue.workerMetrics(latest)));
        const controller = new AbortController();
        const release = abortOnSignals(controller, 'worker');
        try {
          const summary = await queue.runBatchWorker({
            databaseUrl,
            workerId: flags.id,
            concurrency,
            signal: controller.signal,
            log: (text) => process.stderr.write(`${text}\n`),
            onProgress: (p) => {
              latest = p;
              const eta = p.etaSeconds === null ? '–' : `${p.etaSeconds.toFixed(0)} s`;
              const text = `worker ${p.worker}: ${p.proven} proven, ${p.skipped} skipped, ${p.failed} failed; queue ${p.queued ?? '?'} waiting, ${p.rate === null ? '–' : p.rate.toFixed(1)}/min, eta ${eta}`;
              if (text !== shown) process.stderr.write(`${text}\n`);
              shown = text;
            },
          });
          if (wantsJson(command)) printJson(summary);
          else
            process.stdout.write(
              `worker ${summary.worker}: ${summary.proven} proven, ${summary.skipped} skipped, ${summary.failed} failed\n`,
            );
        } finally {
          release();
          await metrics?.close();
        }
      },
    );

  por
    .command('verify-zk')
    .description(
      'verify a zero-knowledge round from its published files: C and T_a, the batch proofs, a user’s proof (exit 0 valid, 1 rejected)',
    )
    .requiredOption('--round <dir>', 'the round directory (zk/ and root.json are enough)')
    .option('--user-proof <file>', 'a user’s por-proof/v2 to check against the statement')
    .option('--sample <n>', 'check n batch proofs drawn at random instead of all')
    .option('--min-security <bits>', 'least conjectured security accepted', '100')
    .option('--pubkey <key>', "the exchange's Ed25519 public key the signed root must carry (hex, or a file)")
    .action(
      (
        flags: { round: string; userProof?: string; sample?: string; minSecurity: string; pubkey?: string },
        command: Command,
      ) => {
        const minSecurityBits = integerFlag(flags.minSecurity, '--min-security', 0, 256);
        const sample = flags.sample === undefined ? undefined : integerFlag(flags.sample, '--sample', 1, 2 ** 30);
        const pubkey = flags.pubkey === undefined ? undefined : readPublicKey(flags.pubkey);
        const statement = readStatement(flags.round);
        const userProof = flags.userProof === undefined ? undefined : readJson(flags.userProof, '--user-proof');
        let checked = 0;
        let security: SecurityLevel | null = null;
        let user: string | undefined;
        let liabilities: { sources: string[]; pinned: boolean | null } | undefined;
        let rejection: { reason: string; message: string } | null = null;
        try {
          liabilities = checkLiabilities(flags.round, statement, pubkey);
          const indices =
            sample === undefined
              ? statement.batches.map((b) => b.index)
              : sampleIndices(statement.batches.length, sample);
          for (const index of indices) {
            const info = statement.batches[index];
            const files = info === undefined ? undefined : readBatchFiles(flags.round, index);
            if (info === undefined || files === undefined) {
              rejection = { reason: 'batch-missing', message: `batch ${index}: its leaves or proof file is missing` };
              break;
            }
            const verified = verifyBatch(statement, info, files.file, files.proof, minSecurityBits);
            security = minSecurity(security, verified.securityBits);
            checked++;
          }
          if (rejection === null && userProof !== undefined)
            user = verifyZkInclusion(userProof as Parameters<typeof verifyZkInclusion>[0], statement).userId;
        } catch (error) {
          // A rejected statement, batch or user proof; or a root file that is malformed or whose
          // signature fails (POR_PROOF_INVALID / POR_SIGNATURE_INVALID, with the reason).
          if (error instanceof ZkVerifyError) rejection = { reason: error.reason, message: error.shortMessage };
          else if (
            error instanceof BaseError &&
            (error.code === 'POR_PROOF_INVALID' || error.code === 'POR_SIGNATURE_INVALID')
          ) {
            rejection = { reason: String(error.details.reason ?? 'root-signature'), message: error.shortMessage };
          } else throw error;
        }
        const sources = liabilities?.sources.join(' and ') ?? '';
        if (rejection === null && sources === '')
          process.stderr.write('custos: no build.json or root.json: T_a not compared with the liabilities\n');
        if (rejection === null && liabilities?.pinned === false) {
          process.stderr.write(
            "custos: signer not pinned: root.json is checked against its own key; pass --pubkey to require the exchange's key\n",
          );
        }
        const result = {
          valid: rejection === null,
          reason: rejection?.reason ?? null,
          ...(rejection === null ? {} : { message: rejection.message }),
          roundId: statement.roundId,
          commitment: statement.commitment,
          batches: statement.batches.length,
          batchesChecked: checked,
          securityBits: security,
          ...(sources === '' ? {} : { liabilities: sources }),
          ...(user === undefined ? {} : { userId: user }),
        };
        if (wantsJson(command)) printJson(result);
        else if (rejection === null) {
          process.stdout.write(
            `valid: round ${statement.roundId}, ${checked} of ${statement.batches.length} batch proofs checked, C and T_a recomputed${sources === '' ? '' : ` and equal to ${sources}`}${user === undefined ? '' : `, user ${user} included`}` +
              (security === null
                ? '\n'
                : `; security ${security.conjectured} bits conjectured, ${security.proven} bits proven\n`),
          );
        } else process.stdout.write(`rejected: ${rejection.reason}: ${rejection.message}\n`);
        process.exitCode = rejection === null ? EXIT.ok : EXIT.negative;
      },
    );

  por
    .command('proof-zk')
    .description("one user's zero-knowledge inclusion proof (por-proof/v2: hashes only) from a proven round")
    .requiredOption('--round <dir>', 'round directory (built and proven)')
    .requiredOption('--user <id>', 'user id')
    .option('--out <file>', 'write the proof here instead of stdout')
    .action((flags: { round: string; user: string; out?: string }) => {
      readStatement(flags.round);
      const proof = zkInclusionProof(flags.round, flags.user);
      if (flags.out === undefined) printJson(proof);
      else writeFileSync(flags.out, `${JSON.stringify(proof, null, 2)}\n`);
    });
}
