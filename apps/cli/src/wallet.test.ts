/**
 * The keyless wallet end to end, as a user runs it: a real `custos serve` process (the server
 * party, embedded database, real prime generation), the built `custos wallet` commands as the
 * device, and the dev chain (Hardhat's EVM) over JSON-RPC. Create a wallet, fund it, send an
 * EIP-1559 transfer that is mined, check messages, typed data and the transaction with viem,
 * refresh in place (the old device share is refused afterwards), recover on a new device from the
 * backup (the lost device is refused), escape offline and sweep the wallet empty, then rotate.
 */
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevChain, startDevChain } from '@custos/devchain';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  parseEther,
  recoverTransactionAddress,
  serializeTransaction,
  verifyMessage,
  verifyTypedData,
} from 'viem';
import { privateKeyToAccount, publicKeyToAddress as uncompressedToAddress } from 'viem/accounts';
import { hardhat } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIL } from '../../../packages/chains/src/testing/fixtures.js';
import { interrupt, type RunResult, run, serve } from './testing/run.js';

const PASSWORD = 'gravel-otter-minute-lantern';

/** viem's publicKeyToAddress takes an uncompressed key; the wallet reports compressed ones. */
const publicKeyToAddress = (compressed: string): Address =>
  uncompressedToAddress(`0x${secp256k1.Point.fromHex(compressed.replace(/^0x/, '')).toHex(false)}`);

let dir: string;
let chain: DevChain;
let server: Awaited<ReturnType<typeof serve>>;
let url: string;
const passwordFile = () => join(dir, 'password');

const reader = () =>
  createPublicClient({ chain: { ...hardhat, id: 31337 }, transport: http(chain.rpcUrl), pollingInterval: 50 });

/** Runs `custos --json --server URL wallet --home HOME …` and parses its one JSON document. */
async function wallet(home: string, args: readonly string[]): Promise<{ r: RunResult; json: Record<string, unknown> }> {
  const r = await run(['--json', '--server', url, 'wallet', '--home', home, ...args]);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    // asserted by the caller through r.code / r.stdout
  }
  return { r, json };
}

/** Sends `value` from dev account 0 and waits until it is mined. */
async function fund(to: Address, value: bigint): Promise<void> {
  const funder = privateKeyToAccount(chain.accounts[0]?.privateKey as Hex);
  const wallet = createWalletClient({ account: funder, chain: hardhat, transport: http(chain.rpcUrl) });
  await reader().waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to, value }) });
}

async function ok(home: string, args: readonly string[]): Promise<Record<string, unknown>> {
  const { r, json } = await wallet(home, args);
  if (r.code !== 0) throw new Error(`custos wallet ${args[0]} exited ${r.code}: ${r.stderr}`);
  return json;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'custos-wallet-'));
  writeFileSync(passwordFile(), `${PASSWORD}\n`, { mode: 0o600 });
  chain = await startDevChain({ port: 0 });
  server = await serve(['--port', '0', '--data-dir', join(dir, 'server')]);
  url = server.info.url as string;
}, 60_000);

afterAll(async () => {
  if (server) await interrupt(server.child, server.done);
  await chain?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('custos wallet against custos serve and the dev chain', () => {
  const alice = () => join(dir, 'alice');
  const bob = () => join(dir, 'bob');
  let walletId: string;
  let address: Address;
  let publicKey: string;
  let backupFile: string;
  const recipient = () => chain.accounts[1]?.address as Address;
  /** `refresh` / `escape` of this wallet with its backup file and a password file. */
  const withBackup = (command: 'refresh' | 'escape', password = passwordFile()) => [
    command,
    '--wallet',
    walletId,
    '--backup',
    backupFile,
    '--password-file',
    password,
  ];

  it('creates a wallet: {walletId, address, publicKey, backupFile}; the backup and device files are 0600', async () => {
    const created = await ok(alice(), ['create', '--password-file', passwordFile()]);
    walletId = created.walletId as string;
    address = created.address as Address;
    publicKey = created.publicKey as string;
    backupFile = created.backupFile as string;
    expect(walletId).toMatch(/^[0-9a-f]{32}$/);
    expect(publicKeyToAddress(publicKey)).toBe(address);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(alice(), 'wallets', `${walletId}.json`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(alice(), 'device.json')).mode & 0o777).toBe(0o600);
    const listed = await ok(alice(), ['list']);
    expect(listed.wallets).toEqual([expect.objectContaining({ walletId, address })]);
  }, 180_000);

  it('is funded, then sends an EIP-1559 transfer signed by server + device, mined; viem recovers the sender', async () => {
    await fund(address, parseEther('2'));

    const before = await reader().getBalance({ address: recipient() });
    const sent = await ok(alice(), [
      'send',
      '--wallet',
      walletId,
      '--to',
      recipient(),
      '--value',
      parseEther('0.25').toString(),
      '--rpc-url',
      chain.rpcUrl,
    ]);
    expect(sent).toMatchObject({ from: address, status: 'success' });
    const hash = sent.hash as Hex;
    const receipt = await reader().getTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    expect(receipt.from.toLowerCase()).toBe(address.toLowerCase());
    expect(await reader().getBalance({ address: recipient() })).toBe(before + parseEther('0.25'));

    const tx = await reader().getTransaction({ hash });
    expect(tx.type).toBe('eip1559');
    const serialized = serializeTransaction(
      {
        type: 'eip1559',
        chainId: tx.chainId as number,
        nonce: tx.nonce,
        to: tx.to as Address,
        value: tx.value,
        gas: tx.gas,
        maxFeePerGas: tx.maxFeePerGas as bigint,
        maxPriorityFeePerGas: tx.maxPriorityFeePerGas as bigint,
        data: tx.input,
        accessList: tx.accessList ?? [],
      },
      { r: tx.r, s: tx.s, yParity: tx.yParity as number },
    );
    expect(await recoverTransactionAddress({ serializedTransaction: serialized })).toBe(address);
  }, 120_000);

  it('signs an EIP-191 message and EIP-712 typed data that viem verifies, for the root and child m/7', async () => {
    const message = 'custos end-to-end: sign in at example.org, nonce 42';
    const signed = await ok(alice(), ['sign-message', '--wallet', walletId, '--message', message]);
    expect(signed.address).toBe(address);
    expect(await verifyMessage({ address, message, signature: signed.signature as Hex })).toBe(true);
    expect(await verifyMessage({ address: recipient(), message, signature: signed.signature as Hex })).toBe(false);

    const child = (await ok(alice(), ['address', '--wallet', walletId, '--index', '7'])).address as Address;
    expect(child).not.toBe(address);
    const childSigned = await ok(alice(), ['sign-message', '--wallet', walletId, '--message', message, '--index', '7']);
    expect(childSigned.address).toBe(child);
    expect(await verifyMessage({ address: child, message, signature: childSigned.signature as Hex })).toBe(true);

    // The EIP-712 "Ether Mail" example, on the dev chain's id.
    const typedData = { ...MAIL, domain: { ...MAIL.domain, chainId: 31337 } };
    const file = join(dir, 'mail.json');
    writeFileSync(file, JSON.stringify(typedData));
    const typed = await ok(alice(), ['sign-typed-data', '--wallet', walletId, '--file', file]);
    expect(await verifyTypedData({ ...typedData, address, signature: typed.signature as Hex })).toBe(true);
  }, 120_000);

  it('refresh in place: the same address signs at the next generation; the old device share is refused and disables nothing', async () => {
    const walletFile = join(alice(), 'wallets', `${walletId}.json`);
    const oldShare = join(dir, 'old-share.json');
    copyFileSync(walletFile, oldShare);
    const backupBefore = readFileSync(backupFile);

    const refreshed = await ok(alice(), withBackup('refresh'));
    expect(refreshed).toMatchObject({ walletId, address, generation: 2 });
    // A new cloud backup was written in place.
    expect(readFileSync(backupFile).equals(backupBefore)).toBe(false);
    const message = 'after refresh';
    const signed = await ok(alice(), ['sign-message', '--wallet', walletId, '--message', message]);
    expect(await verifyMessage({ address, message, signature: signed.signature as Hex })).toBe(true);

    // The same device identity with its pre-refresh share: refused before any proof is checked.
    const stale = join(dir, 'alice-stale');
    cpSync(alice(), stale, { recursive: true });
    copyFileSync(oldShare, join(stale, 'wallets', `${walletId}.json`));
    chmodSync(join(stale, 'wallets', `${walletId}.json`), 0o600);
    const refused = await wallet(stale, ['sign-message', '--wallet', walletId, '--message', message]);
    expect(refused.r.code, refused.r.stdout).toBe(2);
    expect(refused.json).toEqual({ error: expect.objectContaining({ code: 'MPC_SESSION_MISMATCH' }) });
    // …and it disabled nothing: the current share still signs.
    const again = await ok(alice(), ['sign-message', '--wallet', walletId, '--message', message]);
    expect(await verifyMessage({ address, message, signature: again.signature as Hex })).toBe(true);
  }, 180_000);

  it('device loss: a new device with the backup and password recovers the wallet; the lost device is refused', async () => {
    const recovered = await ok(bob(), withBackup('refresh'));
    expect(recovered).toMatchObject({ walletId, address, generation: 3 });
    const message = 'signed on the new device';
    const signed = await ok(bob(), ['sign-message', '--wallet', walletId, '--message', message]);
    expect(await verifyMessage({ address, message, signature: signed.signature as Hex })).toBe(true);
    const lost = await wallet(alice(), ['sign-message', '--wallet', walletId, '--message', message]);
    expect(lost.r.code, lost.r.stdout).toBe(2);
    expect(lost.json).toEqual({ error: expect.objectContaining({ code: 'MPC_WALLET_NOT_FOUND' }) });
  }, 180_000);

  it('refresh --rotate creates a new wallet and sweeps the old one into it, to zero', async () => {
    const rotated = await ok(bob(), [...withBackup('refresh'), '--rotate', '--rpc-url', chain.rpcUrl]);
    const fresh = rotated.address as Address;
    expect(fresh).not.toBe(address);
    expect(rotated.walletId).not.toBe(walletId);
    const sweep = rotated.sweep as { from: Address; hash: Hex; value: string };
    expect(sweep.from).toBe(address);
    expect(await reader().getBalance({ address })).toBe(0n);
    expect(await reader().getBalance({ address: fresh })).toBe(BigInt(sweep.value));
    expect(existsSync(rotated.backupFile as string)).toBe(true);
    // Fund the old address again for the escape below.
    await fund(address, parseEther('1'));
  }, 240_000);

  it('escape with a wrong password fails with a typed error and writes no key file', async () => {
    const wrong = join(dir, 'wrong-password');
    writeFileSync(wrong, 'not-the-password-at-all\n');
    const keyFile = join(dir, 'never.json');
    const { r, json } = await wallet(bob(), [...withBackup('escape', wrong), '--out', keyFile]);
    expect(r.code).toBe(2);
    expect(json).toEqual({ error: expect.objectContaining({ code: 'MPC_BACKUP_WRONG_PASSWORD' }) });
    expect(existsSync(keyFile)).toBe(false);
  }, 60_000);

  it('escape offline: a 0600 key file whose xprv derives the wallet addresses, nothing secret on stdout, and a sweep to empty', async () => {
    await interrupt(server.child, server.done); // no server: the escape must not need one
    const keyFile = join(dir, 'escaped-key.json');
    const sweepTo = chain.accounts[2]?.address as Address;
    const before = await reader().getBalance({ address: sweepTo });
    const balance = await reader().getBalance({ address });
    expect(balance).toBeGreaterThan(0n);
    const { r, json } = await wallet(bob(), [
      ...withBackup('escape'),
      '--out',
      keyFile,
      '--sweep-to',
      sweepTo,
      '--rpc-url',
      chain.rpcUrl,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(json).toMatchObject({ address, keyFile });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = JSON.parse(readFileSync(keyFile, 'utf8')) as {
      privateKey: Hex;
      xprv: string;
    };
    expect(privateKeyToAccount(key.privateKey).address).toBe(address);
    expect(r.stdout).not.toContain(key.privateKey.slice(2));
    expect(r.stdout).not.toContain(key.xprv);
    expect(r.stderr).not.toContain(key.privateKey.slice(2));
    // @scure/bip32 derives from the exported xprv the same children the MPC wallet uses.
    const hd = HDKey.fromExtendedKey(key.xprv);
    const child7 = hd.deriveChild(7);
    expect(publicKeyToAddress(Buffer.from(child7.publicKey as Uint8Array).toString('hex'))).toBe(
      (await ok(bob(), ['address', '--wallet', walletId, '--index', '7'])).address,
    );
    // Swept empty.
    expect(await reader().getBalance({ address })).toBe(0n);
    const sweep = json.sweep as { hash: Hex; value: string };
    expect(await reader().getBalance({ address: sweepTo })).toBe(before + BigInt(sweep.value));
  }, 120_000);
});
