/**
 * The device side of the keyless wallet in a browser Web Worker (the test and bench page's
 * worker, bundled by Vite): it enrols a non-extractable WebCrypto P-256 device key kept in
 * IndexedDB (`connectDevice`), creates a wallet (the 2-of-3 DKG as parties 2 and 3, Lindell17
 * pairing with the server, the password-encrypted backup of share 3 — `DeviceWallets.create`) and
 * signs an EIP-191 personal message (EIP-191 §"version 0x45": keccak-256 of
 * "\x19Ethereum Signed Message:\n" ‖ length ‖ message, computed here with viem's `hashMessage`),
 * all over the HTTP contract, with BigInt arithmetic. It runs in a worker so the seconds of
 * modular arithmetic never block the page. It answers with ids, public values and timings; only
 * when the request says `revealShares` (the test's own page, never a product) does it also return
 * shares 2 and 3, so the test can prove no request body carried them.
 */
import {
  connectDevice,
  createBigIntArithmetic,
  createIndexedDbDeviceStore,
  type DeviceStore,
  type DeviceWalletRecord,
  DeviceWallets,
  decryptBackup,
  MemoryBackupStore,
} from '@custos/mpc';
import { hashMessage } from 'viem';

/** What the page asks the worker to do. */
export interface DeviceRunRequest {
  /** The custos server (the page's own origin: the test server proxies the API). */
  readonly serverUrl: string;
  /** The backup password (must pass the strength check). */
  readonly password: string;
  /** An EIP-191 personal message to sign with the new wallet; no signature when absent. */
  readonly message?: string;
  /** The IndexedDB database; one per device. */
  readonly storeName?: string;
  /** TEST ONLY: return shares 2 and 3 so the test can scan what was sent for them. */
  readonly revealShares?: boolean;
}

export interface DeviceStageTiming {
  readonly stage: string;
  /** Milliseconds since the run started. */
  readonly atMs: number;
}

export interface DeviceRunResult {
  readonly deviceId: string;
  readonly walletId: string;
  readonly address: `0x${string}`;
  readonly publicKey: string;
  readonly chainCode: string;
  /** What `GET /v1/mpc/wallets/:walletId` (device-signed) answered after the creation. */
  readonly serverWallet: unknown;
  readonly signature?: {
    readonly message: string;
    readonly digest: `0x${string}`;
    readonly r: `0x${string}`;
    readonly s: `0x${string}`;
    readonly yParity: 0 | 1;
    /** The address the server says it signed for. */
    readonly address: `0x${string}`;
  };
  readonly timings: {
    /** Opening IndexedDB and enrolling (or loading) the device key. */
    readonly connectMs: number;
    /** `DeviceWallets.create`: ring-Pedersen set-up, DKG, pairing, backup. */
    readonly createMs: number;
    /** Presign plus the online signing step. */
    readonly signMs?: number;
    readonly stages: readonly DeviceStageTiming[];
  };
  /** TEST ONLY (`revealShares`): lowercase hex, no 0x. */
  readonly revealed?: { readonly share2: string; readonly share3: string };
}

export type DeviceWorkerReply =
  | { readonly type: 'progress'; readonly stage: string; readonly atMs: number }
  | { readonly type: 'done'; readonly result: DeviceRunResult }
  | {
      readonly type: 'error';
      readonly error: {
        readonly name: string;
        readonly code?: string;
        readonly message: string;
        readonly details?: unknown;
      };
    };

// The worker global, typed here because the server's TypeScript has no DOM/WebWorker library.
interface WorkerScope {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: DeviceWorkerReply): void;
}

/** The record's device share, read before the store seals it (TEST ONLY, `revealShares`). */
function capturingStore(store: DeviceStore, seen: (record: DeviceWalletRecord) => void): DeviceStore {
  return {
    loadIdentity: () => store.loadIdentity(),
    saveIdentity: (identity) => store.saveIdentity(identity),
    loadWallet: (walletId) => store.loadWallet(walletId),
    saveWallet: async (record) => {
      seen(record);
      await store.saveWallet(record);
    },
    listWallets: () => store.listWallets(),
  };
}

function shareOf(record: DeviceWalletRecord | undefined): string {
  const secret = record?.secret as { key?: { share?: unknown } } | undefined;
  const share = secret?.key?.share;
  if (typeof share !== 'string') throw new Error('the device store was not given a key share');
  return share;
}

export async function runDevice(
  request: DeviceRunRequest,
  progress: (stage: string, atMs: number) => void = () => {},
): Promise<DeviceRunResult> {
  const t0 = performance.now();
  const stages: DeviceStageTiming[] = [];
  const mark = (stage: string) => {
    const atMs = Math.round(performance.now() - t0);
    stages.push({ stage, atMs });
    progress(stage, atMs);
  };
  let saved: DeviceWalletRecord | undefined;
  const indexedDb = await createIndexedDbDeviceStore(request.storeName ?? 'custos-device');
  const store = request.revealShares === true ? capturingStore(indexedDb, (r) => (saved = r)) : indexedDb;
  const client = await connectDevice({ serverUrl: request.serverUrl, store });
  const deviceId = client.deviceId;
  if (deviceId === undefined) throw new Error('the device is not enrolled after connectDevice');
  const connectMs = performance.now() - t0;
  mark('connected');

  const wallets = new DeviceWallets({ client, store, arith: createBigIntArithmetic(), onProgress: mark });
  const backupStore = new MemoryBackupStore();
  const c0 = performance.now();
  const created = await wallets.create({ password: request.password, backupStore });
  const createMs = performance.now() - c0;
  mark('created');
  const serverWallet = await client.request<unknown>('GET', `/v1/mpc/wallets/${created.walletId}`);

  let signature: DeviceRunResult['signature'];
  let signMs: number | undefined;
  if (request.message !== undefined) {
    const digest = hashMessage(request.message);
    const s0 = performance.now();
    const signed = await wallets.sign(created.walletId, {
      request: { kind: 'message', message: request.message },
      digest,
    });
    signMs = performance.now() - s0;
    mark('signed');
    signature = {
      message: request.message,
      digest,
      r: signed.r,
      s: signed.s,
      yParity: signed.yParity,
      address: signed.address,
    };
  }

  let revealed: DeviceRunResult['revealed'];
  if (request.revealShares === true) {
    // After every timing: decrypting the backup costs another scrypt.
    const share3 = (await decryptBackup(created.backup, request.password)).share;
    revealed = { share2: shareOf(saved), share3 };
  }

  return {
    deviceId,
    walletId: created.walletId,
    address: created.address,
    publicKey: created.publicKey,
    chainCode: created.chainCode,
    serverWallet,
    ...(signature === undefined ? {} : { signature }),
    timings: { connectMs, createMs, ...(signMs === undefined ? {} : { signMs }), stages },
    ...(revealed === undefined ? {} : { revealed }),
  };
}

function describe(error: unknown): Extract<DeviceWorkerReply, { type: 'error' }>['error'] {
  if (error instanceof Error) {
    const { code, details } = error as Error & { code?: unknown; details?: unknown };
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(details === undefined ? {} : { details }),
    };
  }
  return { name: 'Error', message: String(error) };
}

const worker = globalThis as unknown as WorkerScope;
worker.onmessage = (event) => {
  const request = event.data as DeviceRunRequest;
  runDevice(request, (stage, atMs) => worker.postMessage({ type: 'progress', stage, atMs })).then(
    (result) => worker.postMessage({ type: 'done', result }),
    (error: unknown) => worker.postMessage({ type: 'error', error: describe(error) }),
  );
};
