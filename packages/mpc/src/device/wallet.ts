/**
 * The device side of the keyless wallet, end to end: enrol, create (DKG as parties 2 and 3, then
 * Lindell17 pairing with the server, then the password-encrypted cloud backup of share 3), sign
 * (presign, then the one-message online step), refresh (device loss or routine: server and cloud
 * backup re-share under the same public key, re-pair, test-sign) and derive addresses. It speaks
 * the HTTP contract in the package README through `MpcServerClient`, keeps its state in a
 * `DeviceStore`, and does its arithmetic through an `Arithmetic` (BigInt in a browser worker,
 * OpenSSL in Node). No request body ever carries share 2 or share 3.
 */
import { BaseError, bytesToHex } from '@custos/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { Arithmetic } from '../arith/backend.js';
import {
  type BackupFile,
  type BackupOptions,
  type BackupStore,
  decryptBackup,
  encodeBackup,
  encryptBackup,
} from '../backup.js';
import { decodePoint, wireHexToBytes } from '../curve.js';
import { derivePublic } from '../derivation.js';
import { MpcError } from '../errors.js';
import { escapeKey } from '../escape.js';
import { assertStrongPassword } from '../password.js';
import {
  deriveSessionId,
  finishParties,
  type KeyShare,
  partiesRound2,
  partiesRound3,
  randomSessionContribution,
  startDkgParties,
} from '../protocol/dkg.js';
import type { Envelope } from '../protocol/envelope.js';
import {
  type DevicePairing,
  type DeviceSetup,
  deviceCompletePairing,
  devicePairingRound1,
  devicePairingStart,
  prepareDeviceSetup,
} from '../protocol/pairing.js';
import { startRefreshParties } from '../protocol/refresh.js';
import {
  type DevicePresignature,
  devicePresign,
  deviceSign,
  deviceSignRound2,
  deviceSignStart,
} from '../protocol/sign.js';
import { generateDeviceKey } from './auth.js';
import { type FetchLike, MpcServerClient } from './client.js';
import type { DeviceStore, DeviceWalletRecord } from './store.js';

/** What the device keeps secret per wallet (sealed by the store). */
export interface DeviceWalletSecret {
  readonly key: KeyShare;
  readonly pairing: DevicePairing;
  /**
   * Presignatures made ahead (`DeviceWallets.presign`), single use: one is removed from the stored
   * record before it is used, so a crash can lose one but never use one twice (the server's half
   * is consumed atomically in any case). Only those of the current pairing are ever used.
   */
  readonly presignatures?: readonly DevicePresignature[];
}

export interface SessionStep {
  messages: Envelope[];
  done: boolean;
  result?: Record<string, unknown>;
}

export interface RecoverableSignature {
  r: `0x${string}`;
  s: `0x${string}`;
  yParity: 0 | 1;
}

export interface CreatedWallet {
  walletId: string;
  address: `0x${string}`;
  publicKey: string;
  chainCode: string;
  backupName: string;
  backup: BackupFile;
}

/**
 * The EVM address of a compressed secp256k1 public key: the last 20 bytes of keccak-256 of the
 * uncompressed point, in EIP-55 mixed-case checksum form.
 */
export function evmAddress(publicKey: string): `0x${string}` {
  const uncompressed = decodePoint(publicKey, 'publicKey').toBytes(false);
  const lower = bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12)).slice(2);
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = '';
  for (let i = 0; i < lower.length; i++) {
    const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    const c = lower[i] as string;
    out += nibble >= 8 ? c.toUpperCase() : c;
  }
  return `0x${out}`;
}

/**
 * The device does not take the server's word for a signature: it must verify (low-s, prehash off)
 * under the child public key the device derived itself, for the digest the device computed.
 */
function checkServerSignature(signature: unknown, digest: Uint8Array, childPublicKey: string): RecoverableSignature {
  const sig = signature as Partial<RecoverableSignature> | undefined;
  const scalar = /^0x[0-9a-f]{64}$/;
  if (
    typeof sig?.r !== 'string' ||
    typeof sig.s !== 'string' ||
    !scalar.test(sig.r) ||
    !scalar.test(sig.s) ||
    (sig.yParity !== 0 && sig.yParity !== 1)
  ) {
    throw new MpcError('MPC_INVALID_MESSAGE', 'sign.answer', 'the server answered a malformed signature', {
      field: 'signature',
    });
  }
  // Recovering exactly the child key from (r, s, yParity, digest) proves the signature verifies
  // under it (Q = r⁻¹(s·R − e·G)); low-s is checked on its own.
  const compact = wireHexToBytes(`${sig.r.slice(2)}${sig.s.slice(2)}`, 'signature', 64);
  let recovered: string | undefined;
  try {
    const parsed = secp256k1.Signature.fromBytes(compact, 'compact');
    if (!parsed.hasHighS()) {
      recovered = bytesToHex(parsed.addRecoveryBit(sig.yParity).recoverPublicKey(digest).toBytes(true)).slice(2);
    }
  } catch {
    recovered = undefined;
  }
  if (recovered !== childPublicKey) {
    throw new MpcError(
      'MPC_SIGNATURE_INVALID',
      'sign.server-answer',
      "the server's signature does not verify under the wallet key",
    );
  }
  return { r: sig.r as `0x${string}`, s: sig.s as `0x${string}`, yParity: sig.yParity };
}

/** Offline: the address and public key of a wallet's child `path` (non-hardened BIP-32), or of its root. */
export function walletAddress(
  record: Pick<DeviceWalletRecord, 'publicKey' | 'chainCode'>,
  path: readonly number[] = [],
): { address: `0x${string}`; publicKey: string } {
  const child = derivePublic({ publicKey: record.publicKey, chainCode: record.chainCode }, path);
  return { address: evmAddress(child.key.publicKey), publicKey: child.key.publicKey };
}

/**
 * The device's client for an enrolled identity: loads it from the store, or makes a fresh P-256
 * key (non-extractable unless `extractableKey`, which the CLI needs to keep it in a file) and
 * enrols it with the server.
 */
export async function connectDevice(options: {
  serverUrl: string;
  store: DeviceStore;
  fetch?: FetchLike;
  extractableKey?: boolean;
}): Promise<MpcServerClient> {
  const base = options.serverUrl.replace(/\/+$/, '');
  const existing = await options.store.loadIdentity();
  if (existing !== undefined && existing.serverUrl === base) {
    return new MpcServerClient({
      baseUrl: base,
      key: existing.key,
      deviceId: existing.deviceId,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }
  const key = await generateDeviceKey(options.extractableKey ?? false);
  const client = new MpcServerClient({ baseUrl: base, key, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const deviceId = await client.enrol();
  await options.store.saveIdentity({ deviceId, serverUrl: base, key });
  return client;
}

export interface DeviceWalletsOptions {
  client: MpcServerClient;
  store: DeviceStore;
  arith: Arithmetic;
  /** Called at each stage (for progress lines); never with secrets. */
  onProgress?: (stage: string) => void;
  /** Backup options (tests may lower the KDF cost; production never does). */
  backupOptions?: BackupOptions;
}

export class DeviceWallets {
  readonly #client: MpcServerClient;
  readonly #store: DeviceStore;
  readonly #arith: Arithmetic;
  readonly #progress: (stage: string) => void;
  readonly #backupOptions: BackupOptions;

  constructor(options: DeviceWalletsOptions) {
    this.#client = options.client;
    this.#store = options.store;
    this.#arith = options.arith;
    this.#progress = options.onProgress ?? (() => {});
    this.#backupOptions = options.backupOptions ?? {};
  }

  #step(sessionId: string, messages: readonly Envelope[]): Promise<SessionStep> {
    return this.#client.request<SessionStep>('POST', `/v1/mpc/sessions/${sessionId}`, { messages });
  }

  /**
   * Creates a wallet: the password is checked first (nothing is created for a weak one), then
   * DKG, pairing, and the encrypted backup of share 3 written to `backupStore`.
   */
  async create(options: { password: string; backupStore: BackupStore; backupName?: string }): Promise<CreatedWallet> {
    assertStrongPassword(options.password, this.#backupOptions.userInputs);
    this.#progress('generating the device ring-Pedersen modulus');
    const setup = await prepareDeviceSetup(this.#arith);
    this.#progress('distributed key generation');
    const nonce = randomSessionContribution();
    const created = await this.#client.request<{
      walletId: string;
      sessionId: string;
      serverNonce: string;
      messages: Envelope[];
    }>('POST', '/v1/mpc/wallets', { nonce });
    if (deriveSessionId('dkg', [created.serverNonce, nonce]) !== created.sessionId) {
      throw new MpcError('MPC_SESSION_MISMATCH', 'dkg.session-id', 'the server computed another session id');
    }
    const keys = await this.#runSharing(
      created.sessionId,
      startDkgParties({ sessionId: created.sessionId, partyIds: [2, 3] }),
      created.messages,
    );
    const { key2, key3 } = pickKeys(keys);
    const pairing = await this.#pair(created.walletId, key2, setup, false);
    this.#progress('encrypting the cloud backup');
    const backup = await encryptBackup(
      {
        share: key3.share,
        publicKey: key3.publicKey,
        chainCode: key3.chainCode,
        sharePublicKey: key3.sharePublicKeys[3],
        transcriptHash: key3.transcriptHash,
        walletId: created.walletId,
      },
      options.password,
      this.#backupOptions,
    );
    const backupName = options.backupName ?? `custos-backup-${created.walletId}.json`;
    await options.backupStore.put(backupName, encodeBackup(backup));
    const record: DeviceWalletRecord = {
      walletId: created.walletId,
      address: evmAddress(key2.publicKey),
      publicKey: key2.publicKey,
      chainCode: key2.chainCode,
      generation: 1,
      createdAt: new Date().toISOString(),
      secret: { key: key2, pairing } satisfies DeviceWalletSecret,
    };
    await this.#store.saveWallet(record);
    return {
      walletId: created.walletId,
      address: evmAddress(key2.publicKey),
      publicKey: key2.publicKey,
      chainCode: key2.chainCode,
      backupName,
      backup,
    };
  }

  async #runSharing(
    sessionId: string,
    start: ReturnType<typeof startDkgParties>,
    serverRound1: readonly Envelope[],
  ): Promise<KeyShare[]> {
    const serverRound2 = await this.#step(sessionId, start.messages);
    const second = partiesRound2(start.state, serverRound1);
    const serverRound3 = await this.#step(sessionId, second.messages);
    const third = partiesRound3(second.state, serverRound2.messages);
    const last = await this.#step(sessionId, third.messages);
    if (!last.done)
      throw new MpcError('MPC_INVALID_MESSAGE', 'session.not-done', 'the server did not finish the key generation');
    return finishParties(third.state, serverRound3.messages);
  }

  async #pair(walletId: string, key2: KeyShare, setup: DeviceSetup, pending: boolean): Promise<DevicePairing> {
    this.#progress('pairing with the server (Lindell17 set-up proofs)');
    const started = devicePairingStart(key2, setup);
    const response = await this.#client.request<{ sessionId: string; serverNonce: string }>(
      'POST',
      `/v1/mpc/wallets/${walletId}/pair`,
      { ...started.request, ...(pending ? { pending: true } : {}) },
    );
    const round1 = devicePairingRound1(this.#arith, started.state, response);
    const round2 = await this.#step(round1.state.sessionId, [round1.message]);
    const complete = deviceCompletePairing(this.#arith, round1.state, round2.messages[0]);
    const done = await this.#step(round1.state.sessionId, [complete.message]);
    if (!done.done)
      throw new MpcError('MPC_INVALID_MESSAGE', 'session.not-done', 'the server did not finish the pairing');
    return complete.pairing;
  }

  async #load(walletId: string): Promise<{ record: DeviceWalletRecord; secret: DeviceWalletSecret }> {
    const record = await this.#store.loadWallet(walletId);
    if (record === undefined) {
      throw new BaseError('MPC_WALLET_NOT_FOUND', `this device holds no wallet ${walletId}`, { details: { walletId } });
    }
    return { record, secret: record.secret as DeviceWalletSecret };
  }

  async list(): Promise<readonly string[]> {
    return this.#store.listWallets();
  }

  async record(walletId: string): Promise<Omit<DeviceWalletRecord, 'secret'>> {
    const { record } = await this.#load(walletId);
    const { secret: _secret, ...rest } = record;
    return rest;
  }

  /** The address (and public key) of the wallet's child `path` (non-hardened BIP-32), or of the root. */
  async address(
    walletId: string,
    path: readonly number[] = [],
  ): Promise<{ address: `0x${string}`; publicKey: string }> {
    const { record } = await this.#load(walletId);
    const child = derivePublic({ publicKey: record.publicKey, chainCode: record.chainCode }, path);
    return { address: evmAddress(child.key.publicKey), publicKey: child.key.publicKey };
  }

  /**
   * Signs `digest` for `request` (what the server recomputes the digest from: a transaction,
   * message or typed data — see @custos/chains) with the wallet's child `path`.
   */
  async sign(
    walletId: string,
    input: { request: unknown; digest: `0x${string}`; path?: readonly number[]; confirmation?: string },
  ): Promise<RecoverableSignature & { address: `0x${string}` }> {
    // Taking a presignature is exclusive per wallet in this process: a device nonce used for two
    // messages would hand the server the key. (One device home serves one process at a time.)
    const { record, secret, pooled } = await this.#exclusive(walletId, async () => {
      const loaded = await this.#load(walletId);
      return { ...loaded, pooled: await this.#takePresignature(loaded.record, loaded.secret) };
    });
    return this.#sign(walletId, record, secret.pairing, input, false, pooled);
  }

  /**
   * Makes `count` presignatures now (two requests each) and keeps them with the wallet, so the
   * next signatures need only the online request. Returns how many the wallet holds.
   */
  async presign(walletId: string, count: number): Promise<{ presignatures: number }> {
    if (!Number.isInteger(count) || count < 1 || count > 1000) {
      throw new BaseError('INVALID_INPUT', 'presign between 1 and 1000 at a time', { details: { count } });
    }
    const made: DevicePresignature[] = [];
    const { secret } = await this.#load(walletId);
    for (let i = 0; i < count; i++) made.push(await this.#presign(walletId, secret.pairing, false));
    return this.#exclusive(walletId, async () => {
      // Re-read: signatures may have taken some meanwhile.
      const { record, secret: current } = await this.#load(walletId);
      const kept = [...(current.presignatures ?? []), ...made].filter(
        (p) => p.pairingId === current.pairing.pairingId && !p.used,
      );
      await this.#store.saveWallet({ ...record, secret: { ...current, presignatures: kept } });
      return { presignatures: kept.length };
    });
  }

  readonly #locks = new Map<string, Promise<unknown>>();

  async #exclusive<T>(walletId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(walletId) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.#locks.set(walletId, settled);
    try {
      return await run;
    } finally {
      if (this.#locks.get(walletId) === settled) this.#locks.delete(walletId);
    }
  }

  /** How many presignatures of the current pairing the wallet holds. */
  async presignatures(walletId: string): Promise<number> {
    const { secret } = await this.#load(walletId);
    return (secret.presignatures ?? []).filter((p) => p.pairingId === secret.pairing.pairingId).length;
  }

  /** Removes one presignature of the current pairing from the stored record, then returns it. */
  async #takePresignature(
    record: DeviceWalletRecord,
    secret: DeviceWalletSecret,
  ): Promise<DevicePresignature | undefined> {
    const pool = (secret.presignatures ?? []).filter((p) => p.pairingId === secret.pairing.pairingId && !p.used);
    const taken = pool[0];
    if (taken === undefined && (secret.presignatures ?? []).length === 0) return undefined;
    await this.#store.saveWallet({ ...record, secret: { ...secret, presignatures: pool.slice(1) } });
    return taken;
  }

  async #presign(walletId: string, pairing: DevicePairing, pending: boolean): Promise<DevicePresignature> {
    const flag = { pairingId: pairing.pairingId, ...(pending ? { pending: true } : {}) };
    const started = deviceSignStart(pairing);
    const presign = await this.#client.request<{ sessionId: string; messages: Envelope[] }>(
      'POST',
      `/v1/mpc/wallets/${walletId}/presignatures`,
      { ...started.request, ...flag },
    );
    const round2 = deviceSignRound2(started.state, presign.messages[0]);
    const round3 = await this.#step(presign.sessionId, [round2.message]);
    return devicePresign(this.#arith, pairing, round2.state, round3.messages[0]);
  }

  async #sign(
    walletId: string,
    record: Pick<DeviceWalletRecord, 'publicKey' | 'chainCode'>,
    pairing: DevicePairing,
    input: { request: unknown; digest: `0x${string}`; path?: readonly number[]; confirmation?: string },
    pending: boolean,
    pooled?: DevicePresignature,
  ): Promise<RecoverableSignature & { address: `0x${string}`; generation?: number }> {
    const path = input.path ?? [];
    const child = derivePublic({ publicKey: record.publicKey, chainCode: record.chainCode }, path);
    const { tweak } = child;
    const flag = { pairingId: pairing.pairingId, ...(pending ? { pending: true } : {}) };
    const presignature = pooled ?? (await this.#presign(walletId, pairing, pending));
    const digest = wireHexToBytes(input.digest, 'digest', 32);
    const online = deviceSign(this.#arith, pairing, presignature, digest, { tweak });
    const answer = await this.#client.request<{ signature: unknown; generation?: number }>(
      'POST',
      `/v1/mpc/wallets/${walletId}/sign`,
      {
        request: input.request,
        digest: input.digest,
        path,
        presignatureId: presignature.presignatureId,
        message: online.message,
        ...flag,
        ...(input.confirmation === undefined ? {} : { confirmation: input.confirmation }),
      },
    );
    const childKey = child.key.publicKey;
    const verified = checkServerSignature(answer.signature, digest, childKey);
    return {
      ...verified,
      address: evmAddress(childKey),
      ...(typeof answer.generation === 'number' ? { generation: answer.generation } : {}),
    };
  }

  /**
   * Refresh with the cloud backup (routine, or on a new device after the old one was lost): the
   * server and the backup's share re-share under the same public key, this device takes fresh
   * shares 2 and 3, pairs the new key, proves it with a test signature (which promotes it on the
   * server, so the old server and device shares stop working) and writes a new backup.
   */
  async refresh(options: {
    walletId: string;
    backup: Uint8Array | string | object;
    password: string;
    backupStore: BackupStore;
    backupName?: string;
  }): Promise<CreatedWallet & { generation: number }> {
    const contents = await decryptBackup(options.backup, options.password, this.#backupOptions);
    if (contents.walletId !== undefined && contents.walletId !== options.walletId) {
      throw new BaseError('MPC_BACKUP_CORRUPT', 'the backup belongs to another wallet', {
        details: { check: 'backup.wallet-id', walletId: options.walletId },
      });
    }
    const previous = await this.#store.loadWallet(options.walletId);
    this.#progress('generating the device ring-Pedersen modulus');
    const setup = await prepareDeviceSetup(this.#arith);
    this.#progress('re-sharing with the server');
    const nonce = randomSessionContribution();
    const started = await this.#client.request<{ sessionId: string; serverNonce: string; messages: Envelope[] }>(
      'POST',
      `/v1/mpc/wallets/${options.walletId}/refresh`,
      { nonce },
    );
    if (deriveSessionId('refresh', [started.serverNonce, nonce]) !== started.sessionId) {
      throw new MpcError('MPC_SESSION_MISMATCH', 'refresh.session-id', 'the server computed another session id');
    }
    const keys = await this.#runSharing(
      started.sessionId,
      startRefreshParties(
        {
          sessionId: started.sessionId,
          dealers: [1, 3],
          publicKey: contents.publicKey,
          chainCode: contents.chainCode,
          sharePublicKeys: { 3: contents.sharePublicKey },
        },
        [{ partyId: 3, share: contents.share }, { partyId: 2 }],
      ),
      started.messages,
    );
    const { key2, key3 } = pickKeys(keys);
    const pairing = await this.#pair(options.walletId, key2, setup, true);
    this.#progress('test signature with the new shares');
    const probe = bytesToHex(keccak_256(new TextEncoder().encode(`custos refresh ${started.sessionId}`)));
    const tested = await this.#sign(
      options.walletId,
      key2,
      pairing,
      { request: { kind: 'digest', digest: probe }, digest: probe },
      true,
    );
    const backup = await encryptBackup(
      {
        share: key3.share,
        publicKey: key3.publicKey,
        chainCode: key3.chainCode,
        sharePublicKey: key3.sharePublicKeys[3],
        transcriptHash: key3.transcriptHash,
        walletId: options.walletId,
      },
      options.password,
      this.#backupOptions,
    );
    const backupName = options.backupName ?? `custos-backup-${options.walletId}.json`;
    await options.backupStore.put(backupName, encodeBackup(backup));
    // The server's generation once the test signature promoted the new key.
    const generation = tested.generation ?? (previous?.generation ?? 1) + 1;
    await this.#store.saveWallet({
      walletId: options.walletId,
      address: evmAddress(key2.publicKey),
      publicKey: key2.publicKey,
      chainCode: key2.chainCode,
      generation,
      createdAt: previous?.createdAt ?? new Date().toISOString(),
      secret: { key: key2, pairing } satisfies DeviceWalletSecret,
    });
    return {
      walletId: options.walletId,
      address: evmAddress(key2.publicKey),
      publicKey: key2.publicKey,
      chainCode: key2.chainCode,
      backupName,
      backup,
      generation,
    };
  }
}

function pickKeys(keys: readonly KeyShare[]): { key2: KeyShare; key3: KeyShare } {
  const key2 = keys.find((k) => k.partyId === 2);
  const key3 = keys.find((k) => k.partyId === 3);
  if (key2 === undefined || key3 === undefined) {
    throw new MpcError('MPC_INVALID_PARTY', 'device.parties', 'the device did not end with shares 2 and 3');
  }
  return { key2, key3 };
}

/**
 * The emergency escape, offline: the device share and the decrypted backup rebuild the private key
 * (checked against the public key) and its BIP-32 extended private key.
 */
export async function escapeWallet(options: {
  record: DeviceWalletRecord;
  backup: Uint8Array | string | object;
  password: string;
  backupOptions?: BackupOptions;
}): Promise<{ privateKey: string; xprv: string; address: `0x${string}`; publicKey: string; chainCode: string }> {
  const contents = await decryptBackup(options.backup, options.password, options.backupOptions ?? {});
  const secret = options.record.secret as DeviceWalletSecret;
  if (contents.publicKey !== options.record.publicKey) {
    throw new BaseError('MPC_KEY_MISMATCH', 'the backup belongs to another wallet', {
      details: { check: 'escape.backup-wallet', walletId: options.record.walletId },
    });
  }
  const escaped = escapeKey({
    shares: [
      { partyId: 2, share: secret.key.share },
      { partyId: 3, share: contents.share },
    ],
    publicKey: options.record.publicKey,
    chainCode: options.record.chainCode,
  });
  return {
    privateKey: escaped.privateKey,
    xprv: escaped.xprv,
    address: evmAddress(options.record.publicKey),
    publicKey: options.record.publicKey,
    chainCode: options.record.chainCode,
  };
}
