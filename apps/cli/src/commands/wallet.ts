/**
 * `custos wallet`: the device side of the keyless wallet, talking to a running `custos serve`.
 * The device's state (its P-256 identity key and, per wallet, share 2 and the pairing record) lives
 * in `--home` (default ~/.custos/device), every file mode 0600. Backups are written to
 * `--backup-dir` (default <home>/backups). The escape runs offline and never prints the key unless
 * asked to with `--print-secret`.
 */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { assemble, type DigestSigner, digestOf, type SignRequest, toMpcAccount } from '@custos/chains';
import { BaseError } from '@custos/core';
import {
  connectDevice,
  DeviceWallets,
  escapeWallet,
  type MpcServerClient,
  MpcServerError,
  parseDerivationPath,
  walletAddress,
} from '@custos/mpc';
import { createFileDeviceStore, createNodeArithmetic, FolderBackupStore } from '@custos/mpc/node';
import type { Command } from 'commander';
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  isAddress,
  type LocalAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { printJson, usageError } from '../output.js';

interface GlobalFlags {
  json?: boolean;
  server: string;
  home?: string;
}

export function readSecretFile(file: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (cause) {
    throw usageError(`cannot read ${flag} ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, cause);
  }
  return text.replace(/\r?\n$/, '');
}

function readFileBytes(file: string, flag: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw usageError(`cannot read ${flag} ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, cause);
  }
}

function homeDir(command: Command): string {
  const o = command.optsWithGlobals<GlobalFlags>();
  return resolve(o.home ?? process.env.CUSTOS_DEVICE_HOME ?? join(homedir(), '.custos', 'device'));
}

/** Plain HTTP only to a loopback server: device requests carry signatures, not secrets, but a
 * man in the middle could still drop or delay them. */
function serverUrl(command: Command): string {
  const url = command.optsWithGlobals<GlobalFlags>().server;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw usageError(`--server is not a URL: ${url}`, cause);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw usageError(`refusing plain HTTP to ${parsed.host}: use https://`);
  }
  return parsed.origin;
}

function progress(command: Command): (stage: string) => void {
  const json = command.optsWithGlobals<GlobalFlags>().json === true;
  return (stage) => {
    if (!json || process.env.CUSTOS_PROGRESS) process.stderr.write(`custos: ${stage}…\n`);
  };
}

export async function wallets(
  command: Command,
): Promise<{ wallets: DeviceWallets; client: MpcServerClient; home: string }> {
  const home = homeDir(command);
  const store = createFileDeviceStore(home);
  const client = await connectDevice({ serverUrl: serverUrl(command), store, extractableKey: true });
  const arith = createNodeArithmetic();
  return { wallets: new DeviceWallets({ client, store, arith, onProgress: progress(command) }), client, home };
}

function output(command: Command, value: Record<string, unknown>, human: string): void {
  if (command.optsWithGlobals<GlobalFlags>().json) printJson(value);
  else process.stdout.write(`${human}\n`);
}

export function indexPath(index: string | undefined): number[] {
  return index === undefined ? [] : parseDerivationPath([Number(index)]);
}

/** A chains DigestSigner for one wallet child: the digest is computed here and recomputed by the server. */
export async function mpcSigner(
  w: DeviceWallets,
  walletId: string,
  path: readonly number[],
  confirmWarnings = false,
): Promise<DigestSigner> {
  const { address, publicKey } = await w.address(walletId, path);
  return {
    publicKey: `0x${publicKey}`,
    address,
    async signDigest(request: SignRequest) {
      const digest = digestOf(request);
      let signature: Awaited<ReturnType<DeviceWallets['sign']>>;
      try {
        signature = await w.sign(walletId, { request, digest, path });
      } catch (error) {
        // The co-signer found warnings: show them; sign only if the user confirmed beforehand.
        if (!(error instanceof MpcServerError) || error.code !== 'RISK_CONFIRMATION_REQUIRED') throw error;
        const data = error.data as {
          confirmation?: string;
          verdict?: { findings?: { severity: string; message: string }[] };
        };
        for (const f of data.verdict?.findings ?? []) {
          if (f.severity !== 'info') process.stderr.write(`custos: warning: ${f.message}\n`);
        }
        if (!confirmWarnings || data.confirmation === undefined) throw error;
        signature = await w.sign(walletId, { request, digest, path, confirmation: data.confirmation });
      }
      return { r: signature.r, s: signature.s, yParity: signature.yParity };
    },
  };
}

export function rpcUrl(flag: string | undefined): string {
  if (flag) return flag;
  const host = process.env.CUSTOS_CHAIN_HOST ?? '127.0.0.1';
  return `http://${host}:${process.env.CUSTOS_CHAIN_PORT ?? '8545'}`;
}

export async function walletClientFor(
  account: LocalAccount,
  url: string,
): Promise<{ wallet: WalletClient<Transport, Chain, LocalAccount>; client: PublicClient<Transport, Chain> }> {
  const transport = http(url, { retryCount: 0 });
  const id = await createPublicClient({ transport }).getChainId();
  const chain = defineChain({
    id,
    name: `chain ${id}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  return {
    wallet: createWalletClient({ account, chain, transport }),
    client: createPublicClient({ chain, transport, pollingInterval: 50 }),
  };
}

/**
 * Sends everything from `account` to `to`, leaving exactly zero: the priority fee equals the fee
 * cap, so the price paid is the cap whatever the block's base fee (EIP-1559: min(cap, base + tip)),
 * and value = balance − 21 000 × cap.
 */
async function sweep(account: LocalAccount, to: Address, url: string): Promise<{ hash: Hex; value: bigint }> {
  const { wallet, client } = await walletClientFor(account, url);
  const balance = await client.getBalance({ address: account.address });
  const fees = await client.estimateFeesPerGas();
  const gas = 21_000n;
  const value = balance - gas * fees.maxFeePerGas;
  if (value <= 0n) {
    throw new BaseError('INVALID_INPUT', `nothing to sweep from ${account.address}`, {
      details: { balance: balance.toString() },
    });
  }
  const hash = await wallet.sendTransaction({
    to,
    value,
    gas,
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxFeePerGas,
  });
  await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  return { hash, value };
}

function requireAddress(value: string, flag: string): Address {
  if (!isAddress(value)) throw usageError(`${flag} is not an address: ${value}`);
  return value;
}

export function registerWallet(program: Command): void {
  const wallet = program
    .command('wallet')
    .description('MPC keyless wallet: this machine is the device (party 2); the server co-signs')
    .option('--home <dir>', 'device state directory (CUSTOS_DEVICE_HOME; default ~/.custos/device)');

  wallet
    .command('create')
    .description('create a 2-of-3 wallet and write its password-encrypted cloud backup')
    .requiredOption('--password-file <file>', 'backup password (- for stdin); ≥ 12 characters, zxcvbn score ≥ 3')
    .option('--backup-dir <dir>', 'where the backup file goes (default <home>/backups)')
    .action(async (flags: { passwordFile: string; backupDir?: string }, command: Command) => {
      const password = readSecretFile(flags.passwordFile, '--password-file');
      const { wallets: w, home } = await wallets(command);
      const dir = resolve(flags.backupDir ?? join(home, 'backups'));
      const created = await w.create({ password, backupStore: new FolderBackupStore(dir) });
      const backupFile = join(dir, created.backupName);
      output(
        command,
        { walletId: created.walletId, address: created.address, publicKey: created.publicKey, backupFile },
        `created wallet ${created.walletId}\naddress ${created.address}\nbackup ${backupFile}`,
      );
    });

  wallet
    .command('list')
    .description('wallets this device holds')
    .action(async (_flags: unknown, command: Command) => {
      const store = createFileDeviceStore(homeDir(command));
      const ids = await store.listWallets();
      const list = [];
      for (const id of ids) {
        const r = await store.loadWallet(id);
        if (r)
          list.push({ walletId: r.walletId, address: r.address, generation: r.generation, createdAt: r.createdAt });
      }
      output(command, { wallets: list }, list.map((r) => `${r.walletId}\t${r.address}`).join('\n'));
    });

  wallet
    .command('address')
    .description('the wallet address, or its BIP-32 child m/N')
    .requiredOption('--wallet <id>', 'wallet id')
    .option('--index <n>', 'non-hardened child index')
    .action(async (flags: { wallet: string; index?: string }, command: Command) => {
      const store = createFileDeviceStore(homeDir(command));
      const record = await store.loadWallet(flags.wallet);
      if (record === undefined) {
        throw new BaseError('MPC_WALLET_NOT_FOUND', `this device holds no wallet ${flags.wallet}`);
      }
      // Offline: the address comes from the public key and chain code alone.
      const { address } = walletAddress(record, indexPath(flags.index));
      output(command, { address }, address);
    });

  wallet
    .command('sign-message')
    .description('sign an EIP-191 personal message with server + device')
    .requiredOption('--wallet <id>', 'wallet id')
    .requiredOption('--message <text>', 'the message')
    .option('--index <n>', 'non-hardened child index')
    .option('--confirm-warnings', "sign even if the co-signer's risk scan warns (the warnings are printed)")
    .action(
      async (
        flags: { wallet: string; message: string; index?: string; confirmWarnings?: boolean },
        command: Command,
      ) => {
        const { wallets: w } = await wallets(command);
        const signer = await mpcSigner(w, flags.wallet, indexPath(flags.index), flags.confirmWarnings);
        const signature = await toMpcAccount(signer).signMessage({ message: flags.message });
        output(command, { signature, address: signer.address }, signature);
      },
    );

  wallet
    .command('sign-typed-data')
    .description('sign EIP-712 typed data (a JSON file: domain, types, primaryType, message)')
    .requiredOption('--wallet <id>', 'wallet id')
    .requiredOption('--file <file>', 'typed data JSON')
    .option('--index <n>', 'non-hardened child index')
    .option('--confirm-warnings', "sign even if the co-signer's risk scan warns (the warnings are printed)")
    .action(
      async (flags: { wallet: string; file: string; index?: string; confirmWarnings?: boolean }, command: Command) => {
        let typedData: unknown;
        try {
          typedData = JSON.parse(readSecretFile(flags.file, '--file'));
        } catch (cause) {
          if (cause instanceof BaseError) throw cause;
          throw usageError(`--file ${flags.file} is not JSON`, cause);
        }
        const { wallets: w } = await wallets(command);
        const signer = await mpcSigner(w, flags.wallet, indexPath(flags.index), flags.confirmWarnings);
        const request = { kind: 'typed-data', typedData } as SignRequest;
        const digest = digestOf(request);
        const sig = await signer.signDigest(request);
        const signature = await assemble(request, sig, signer.address);
        output(command, { signature, address: signer.address, digest }, signature);
      },
    );

  wallet
    .command('send')
    .description('send native currency (EIP-1559), signed by server + device')
    .requiredOption('--wallet <id>', 'wallet id')
    .requiredOption('--to <address>', 'recipient')
    .requiredOption('--value <wei>', 'amount in wei')
    .option('--index <n>', 'non-hardened child index')
    .option('--rpc-url <url>', 'JSON-RPC endpoint (default the dev chain, CUSTOS_CHAIN_HOST/PORT or 127.0.0.1:8545)')
    .option('--confirm-warnings', "sign even if the co-signer's risk scan warns (the warnings are printed)")
    .action(
      async (
        flags: {
          wallet: string;
          to: string;
          value: string;
          index?: string;
          rpcUrl?: string;
          confirmWarnings?: boolean;
        },
        command: Command,
      ) => {
        const to = requireAddress(flags.to, '--to');
        if (!/^[0-9]+$/.test(flags.value)) throw usageError(`--value must be an integer amount of wei: ${flags.value}`);
        const { wallets: w } = await wallets(command);
        const signer = await mpcSigner(w, flags.wallet, indexPath(flags.index), flags.confirmWarnings);
        const { wallet: client, client: reader } = await walletClientFor(toMpcAccount(signer), rpcUrl(flags.rpcUrl));
        const hash = await client.sendTransaction({ to, value: BigInt(flags.value) });
        const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval: 50 });
        output(command, { hash, from: signer.address, status: receipt.status }, hash);
      },
    );

  wallet
    .command('refresh')
    .description('re-share under the same key with the cloud backup (routine, or on a new device after a loss)')
    .requiredOption('--wallet <id>', 'wallet id')
    .requiredOption('--backup <file>', 'the cloud backup file')
    .requiredOption('--password-file <file>', 'backup password (- for stdin)')
    .option('--rotate', 'instead create a NEW wallet and sweep the old one to it (needs --rpc-url or the dev chain)')
    .option('--rpc-url <url>', 'JSON-RPC endpoint for --rotate')
    .action(
      async (
        flags: { wallet: string; backup: string; passwordFile: string; rotate?: boolean; rpcUrl?: string },
        command: Command,
      ) => {
        const password = readSecretFile(flags.passwordFile, '--password-file');
        const backup = readFileBytes(flags.backup, '--backup');
        const backupStore = new FolderBackupStore(dirname(resolve(flags.backup)));
        const { wallets: w } = await wallets(command);
        if (flags.rotate) {
          const created = await w.create({ password, backupStore });
          const old = await mpcSigner(w, flags.wallet, []);
          const swept = await sweep(toMpcAccount(old), created.address, rpcUrl(flags.rpcUrl));
          output(
            command,
            {
              walletId: created.walletId,
              address: created.address,
              backupFile: join(dirname(resolve(flags.backup)), created.backupName),
              sweep: { from: old.address, hash: swept.hash, value: swept.value.toString() },
            },
            `rotated to wallet ${created.walletId} (${created.address}); swept ${swept.value} wei in ${swept.hash}`,
          );
          return;
        }
        const refreshed = await w.refresh({
          walletId: flags.wallet,
          backup,
          password,
          backupStore,
          backupName: basename(flags.backup),
        });
        output(
          command,
          {
            walletId: refreshed.walletId,
            address: refreshed.address,
            generation: refreshed.generation,
            backupFile: resolve(flags.backup),
          },
          `refreshed wallet ${refreshed.walletId} (generation ${refreshed.generation}); new backup ${resolve(flags.backup)}`,
        );
      },
    );

  wallet
    .command('escape')
    .description('OFFLINE: rebuild the private key from this device and the backup; no server involved')
    .requiredOption('--wallet <id>', 'wallet id')
    .requiredOption('--backup <file>', 'the cloud backup file')
    .requiredOption('--password-file <file>', 'backup password (- for stdin)')
    .option('--out <file>', 'write the key here (created with mode 0600; must not exist)')
    .option('--print-secret', 'also print the private key and xprv on stdout')
    .option('--sweep-to <address>', 'send everything at the wallet address to this address')
    .option('--rpc-url <url>', 'JSON-RPC endpoint for --sweep-to')
    .action(
      async (
        flags: {
          wallet: string;
          backup: string;
          passwordFile: string;
          out?: string;
          printSecret?: boolean;
          sweepTo?: string;
          rpcUrl?: string;
        },
        command: Command,
      ) => {
        if (flags.out === undefined && !flags.printSecret && flags.sweepTo === undefined) {
          throw usageError('give --out FILE, --sweep-to ADDRESS or --print-secret');
        }
        const sweepTo = flags.sweepTo === undefined ? undefined : requireAddress(flags.sweepTo, '--sweep-to');
        const password = readSecretFile(flags.passwordFile, '--password-file');
        const store = createFileDeviceStore(homeDir(command));
        const record = await store.loadWallet(flags.wallet);
        if (record === undefined) {
          throw new BaseError('MPC_WALLET_NOT_FOUND', `this device holds no wallet ${flags.wallet}`);
        }
        const escaped = await escapeWallet({ record, backup: readFileBytes(flags.backup, '--backup'), password });
        const keyFile = flags.out === undefined ? undefined : resolve(flags.out);
        if (keyFile !== undefined) {
          let handle: Awaited<ReturnType<typeof open>>;
          try {
            handle = await open(keyFile, 'wx', 0o600);
          } catch (cause) {
            throw usageError(
              `cannot create --out ${keyFile}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`,
              cause,
            );
          }
          try {
            const body = {
              address: escaped.address,
              privateKey: `0x${escaped.privateKey}`,
              xprv: escaped.xprv,
              chainCode: escaped.chainCode,
            };
            await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`);
            await handle.sync();
          } finally {
            await handle.close();
          }
        }
        let sweepResult: { hash: Hex; value: string } | undefined;
        if (sweepTo !== undefined) {
          const account = privateKeyToAccount(`0x${escaped.privateKey}`);
          const swept = await sweep(account, sweepTo, rpcUrl(flags.rpcUrl));
          sweepResult = { hash: swept.hash, value: swept.value.toString() };
        }
        const result: Record<string, unknown> = {
          address: escaped.address,
          ...(keyFile === undefined ? {} : { keyFile }),
          ...(sweepResult === undefined ? {} : { sweep: sweepResult }),
          ...(flags.printSecret ? { privateKey: `0x${escaped.privateKey}`, xprv: escaped.xprv } : {}),
        };
        output(
          command,
          result,
          [
            `address ${escaped.address}`,
            ...(keyFile ? [`key written to ${keyFile} (mode 0600)`] : []),
            ...(sweepResult ? [`swept ${sweepResult.value} wei in ${sweepResult.hash}`] : []),
            ...(flags.printSecret ? [`privateKey 0x${escaped.privateKey}`, `xprv ${escaped.xprv}`] : []),
          ].join('\n'),
        );
      },
    );
}
