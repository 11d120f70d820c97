/**
 * `custos por`: proof of reserves from the shell, without a server. `build` makes a round from a
 * liabilities snapshot (streaming, resumable: run the same command again after an interruption),
 * with a progress bar on stderr; `proof` extracts one user's inclusion proof; `verify` checks a
 * proof against the signed root (exit 0 valid, 1 invalid with the reason) — against a pinned key
 * with `--pubkey`, else against the root file's own key, saying so on stderr; `verify-okx` checks
 * OKX's published 2022 proof files and 2023 user-info files against their tree file.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BaseError } from '@custos/core';
import {
  type BuildProgress,
  buildLiabilitiesTree,
  keyFingerprint,
  RoundReader,
  verifyInclusionProof,
  verifyOkx2022Proof,
  verifyOkx2023,
  writePublicationBundle,
} from '@custos/por';
import type { Command } from 'commander';
import { callServer } from '../client.js';
import { EXIT, printJson, usageError } from '../output.js';
import { clientOptions } from './accounts.js';
import { type ReservesFlags, reservesReport } from './por-reserves.js';
import { readSecretFile } from './wallet.js';

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
    .action(async (flags: { round: string; out: string; reserves?: string; pubkey?: string }) => {
      const bundle = await writePublicationBundle({
        round: flags.round,
        out: flags.out,
        ...(flags.reserves === undefined ? {} : { reserves: readJson(flags.reserves, '--reserves') }),
        ...(flags.pubkey === undefined ? {} : { publicKey: readPublicKey(flags.pubkey) }),
      });
      if (!bundle.pinned) {
        process.stderr.write(
          `custos: signer not pinned: the page pins the root's own key ${bundle.fingerprint} (fingerprint); pass --pubkey to pin the exchange's key\n`,
        );
      }
      printJson(bundle);
    });

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
}
