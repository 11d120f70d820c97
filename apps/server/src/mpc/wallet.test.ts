/**
 * The whole wallet over the routes, with the real device client of @custos/mpc (`DeviceWallets`,
 * WebCrypto device key) talking to the app through `inject`, on a file-backed PGlite so the server
 * can be restarted: create (DKG, pairing, backup), sign EIP-191 messages for the root and a derived
 * child (checked with viem), the blind-signing policy, the digest comparison, single-use
 * presignatures, the disable outcome — persisted across a restart, and never triggered by an
 * unauthenticated or malformed request — and refresh from the backup, which re-enables signing
 * under the same address and can move the wallet to a new device. Fixed primes stand in for prime
 * generation (server and device get disjoint ones).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf, type SignRequest } from '@custos/chains';
import { BaseError } from '@custos/core';
import { type Database, openPGlite } from '@custos/db';
import {
  type BackupOptions,
  connectDevice,
  createMemoryDeviceStore,
  type DeviceWalletSecret,
  DeviceWallets,
  devicePresign,
  deviceSign,
  deviceSignRound2,
  deviceSignStart,
  type Envelope,
  type FetchLike,
  MemoryBackupStore,
  type MpcServerClient,
  wireHexToBytes,
} from '@custos/mpc';
import { createNodeArithmetic } from '@custos/mpc/node';
import { recoverMessageAddress, serializeSignature } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from '../../../../packages/mpc/src/testing/primes.js';
import { fixedPrimeArithmetic, injectFetch } from '../testing/device.js';
import { createHarness, type Harness } from '../testing/harness.js';
import type { SecretBox } from './secrets.js';
import { bindings, findWallet } from './store.js';

const PASSWORD = 'gravel-otter-minute-lantern';
const secp256k1N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const FAST = { N: 2 ** 10, r: 8, p: 1 };
const backupOptions: BackupOptions = { kdf: FAST, unsafeTestingMinimumKdf: FAST };
const nodeArith = createNodeArithmetic();
const serverArith = () =>
  fixedPrimeArithmetic(nodeArith, {
    blum: TEST_BLUM_PRIMES.slice(0, 2),
    safe: TEST_SAFE_PRIMES.slice(0, 2),
  });
const deviceArith = fixedPrimeArithmetic(nodeArith, {
  blum: TEST_BLUM_PRIMES.slice(2, 4),
  safe: TEST_SAFE_PRIMES.slice(2, 4),
});

const dir = mkdtempSync(join(tmpdir(), 'custos-mpc-wallet-'));
let db: Database;
let h: Harness;
// The device client reaches whichever app is current (the server is restarted below).
// `rewrite`, when set, edits the server's answers on their way to the device (a lying server).
let rewrite: ((url: string, body: string) => string) | undefined;
/** Every answer the devices got and every server log line, searched for secrets at the end. */
const answers: string[] = [];
const requested: string[] = [];
const logLines: string[] = [];
const fetchApp: FetchLike = async (url, init) => {
  const response = await injectFetch(h.app)(url, init);
  requested.push(new URL(url).pathname);
  answers.push(await response.text());
  const edit = rewrite;
  if (edit === undefined) return response;
  const body = edit(url, await response.text());
  return { status: response.status, text: async () => body };
};

async function startServer(): Promise<void> {
  db = await openPGlite({ dataDir: join(dir, 'db') });
  h = await createHarness(
    {},
    {},
    { db, mpc: { arithmetic: serverArith() }, logTo: { write: (line: string) => logLines.push(line) } },
  );
}

async function restartServer(): Promise<void> {
  await h.close();
  await db.close();
  await startServer();
}

interface Device {
  client: MpcServerClient;
  store: ReturnType<typeof createMemoryDeviceStore>;
  wallets: DeviceWallets;
}

async function newDevice(): Promise<Device> {
  const store = createMemoryDeviceStore();
  const client = await connectDevice({ serverUrl: 'http://custos.test', store, fetch: fetchApp });
  return { client, store, wallets: new DeviceWallets({ client, store, arith: deviceArith, backupOptions }) };
}

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BaseError) return { code: error.code, details: { ...error.details } };
    throw error;
  }
  throw new Error('expected the request to fail');
}

const message = (text: string): SignRequest => ({ kind: 'message', message: text });

/** Secret fields of stored shares, pairings and presignatures (JSON as the code keeps them). */
const SECRET_FIELDS = new Set(['share', 'x2', 'p', 'q', 'lambda', 'k1', 'k2', 'a', 'mask', 'rhoEnc']);
const secretForms = new Set<string>();
function collectSecrets(value: unknown, field = ''): void {
  if (typeof value === 'string' && SECRET_FIELDS.has(field)) {
    const n = BigInt(`0x${value.replace(/^0x/, '')}`);
    for (const form of [n.toString(16), n.toString(16).padStart(64, '0'), n.toString(10)]) {
      if (form.length >= 16) secretForms.add(form);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) collectSecrets(v, field);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) collectSecrets(v, k);
  }
}

let alice: Device;
let bob: Device | undefined;
let walletId: string;
let address: string;
const backups = new MemoryBackupStore();
let backupName: string;

beforeAll(async () => {
  await startServer();
  alice = await newDevice();
}, 60_000);
afterAll(async () => {
  await h.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Presigns with the device's stored pairing and builds (but does not send) a round-4 message. */
async function presignAndPrepare(device: Device, digest: `0x${string}`) {
  const record = await device.store.loadWallet(walletId);
  const { pairing } = (record as { secret: DeviceWalletSecret }).secret;
  const started = deviceSignStart(pairing);
  const presign = await device.client.request<{ sessionId: string; messages: Envelope[] }>(
    'POST',
    `/v1/mpc/wallets/${walletId}/presignatures`,
    { ...started.request, pairingId: pairing.pairingId },
  );
  const round2 = deviceSignRound2(started.state, presign.messages[0]);
  const round3 = await device.client.request<{ messages: Envelope[]; result: { presignatureId: string } }>(
    'POST',
    `/v1/mpc/sessions/${presign.sessionId}`,
    { messages: [round2.message] },
  );
  expect(round3.result.presignatureId).toBe(presign.sessionId);
  const presignature = devicePresign(deviceArith, pairing, round2.state, round3.messages[0]);
  const online = deviceSign(deviceArith, pairing, presignature, wireHexToBytes(digest, 'digest', 32));
  return { presignatureId: presignature.presignatureId, pairingId: pairing.pairingId, message: online.message };
}

async function serverWallet(device: Device = alice) {
  return device.client.request<{
    status: string;
    address: string;
    signingDisabled: boolean;
    disabledReason: string | null;
    generation: number;
    refreshPending: boolean;
  }>('GET', `/v1/mpc/wallets/${walletId}`);
}

describe('the MPC wallet over HTTP', () => {
  it('creates a wallet: DKG, Lindell17 pairing, encrypted backup; the server has it active', async () => {
    const created = await alice.wallets.create({ password: PASSWORD, backupStore: backups });
    collectSecrets((await alice.store.loadWallet(created.walletId))?.secret);
    walletId = created.walletId;
    address = created.address;
    backupName = created.backupName;
    expect(await serverWallet()).toMatchObject({ status: 'active', address, signingDisabled: false, generation: 1 });
  }, 120_000);

  it('signs EIP-191 messages for the root key and a derived child; viem recovers each address', async () => {
    for (const path of [[], [0, 7]]) {
      const text = `hello from path [${path.join(',')}]`;
      const signed = await alice.wallets.sign(walletId, {
        request: message(text),
        digest: digestOf(message(text)),
        path,
      });
      const expected = (await alice.wallets.address(walletId, path)).address;
      expect(signed.address).toBe(expected);
      const recovered = await recoverMessageAddress({ message: text, signature: serializeSignature(signed) });
      expect(recovered).toBe(expected);
    }
  }, 60_000);

  it("the device verifies the server's signature itself: a forged or foreign answer is refused", async () => {
    const text = 'check the answer';
    const request = { request: message(text), digest: digestOf(message(text)) };
    const forge =
      (edit: (signature: { r: string; s: string; yParity: number }) => void) => (url: string, body: string) => {
        if (!url.endsWith('/sign')) return body;
        const answer = JSON.parse(body) as { signature: { r: string; s: string; yParity: number } };
        edit(answer.signature);
        return JSON.stringify(answer);
      };
    const cases: [string, (sig: { r: string; s: string; yParity: number }) => void, string][] = [
      [
        'another s',
        (sig) => {
          sig.s = `0x${(BigInt(sig.s) - 1n).toString(16).padStart(64, '0')}`;
        },
        'MPC_SIGNATURE_INVALID',
      ],
      [
        'the other recovery id',
        (sig) => {
          sig.yParity ^= 1;
        },
        'MPC_SIGNATURE_INVALID',
      ],
      [
        'high s',
        (sig) => {
          sig.s = `0x${(secp256k1N - BigInt(sig.s)).toString(16).padStart(64, '0')}`;
          sig.yParity ^= 1;
        },
        'MPC_SIGNATURE_INVALID',
      ],
      [
        'malformed',
        (sig) => {
          sig.r = 'zz';
        },
        'MPC_INVALID_MESSAGE',
      ],
    ];
    try {
      for (const [name, edit, code] of cases) {
        rewrite = forge(edit);
        expect((await codeOf(alice.wallets.sign(walletId, request))).code, name).toBe(code);
      }
    } finally {
      rewrite = undefined;
    }
    expect((await alice.wallets.sign(walletId, request)).address).toBe(address);
  }, 60_000);

  it('presignatures made ahead: a signature is then one request; concurrent signatures never share one', async () => {
    expect(await alice.wallets.presign(walletId, 3)).toEqual({ presignatures: 3 });
    const before = requested.length;
    const texts = ['pooled 1', 'pooled 2', 'pooled 3', 'pooled 4'];
    const signed = await Promise.all(
      texts.map((text) => alice.wallets.sign(walletId, { request: message(text), digest: digestOf(message(text)) })),
    );
    for (const [i, sig] of signed.entries()) {
      const text = texts[i] as string;
      expect(await recoverMessageAddress({ message: text, signature: serializeSignature(sig) })).toBe(address);
    }
    const made = requested.slice(before);
    // Three pooled (one request each), one made on demand (presign, step, sign).
    expect(made.filter((p) => p.endsWith('/sign'))).toHaveLength(4);
    expect(made.filter((p) => p.endsWith('/presignatures'))).toHaveLength(1);
    expect(await alice.wallets.presignatures(walletId)).toBe(0);
    expect((await serverWallet()).signingDisabled).toBe(false);
  }, 60_000);

  it('signs a bare digest only once the wallet allows blind signing', async () => {
    const digest = digestOf(message('opaque'));
    const blind = { request: { kind: 'digest', digest } as SignRequest, digest };
    expect(await codeOf(alice.wallets.sign(walletId, blind))).toMatchObject({
      code: 'MPC_BLIND_SIGNING_REFUSED',
      details: { status: 403 },
    });
    await alice.client.request('POST', `/v1/mpc/wallets/${walletId}/policy`, { blindSigning: true });
    expect((await alice.wallets.sign(walletId, blind)).address).toBe(address);
    await alice.client.request('POST', `/v1/mpc/wallets/${walletId}/policy`, { blindSigning: false });
  }, 60_000);

  it('refuses a device digest that differs from the request before any proof, without disabling', async () => {
    const prepared = await presignAndPrepare(alice, digestOf(message('what the device hashed')));
    const refused = await codeOf(
      alice.client.request('POST', `/v1/mpc/wallets/${walletId}/sign`, {
        request: message('what the device sent'),
        digest: digestOf(message('what the device hashed')),
        ...prepared,
      }),
    );
    expect(refused).toMatchObject({ code: 'MPC_INVALID_MESSAGE', details: { check: 'sign.digest' } });
    expect((await serverWallet()).signingDisabled).toBe(false);
  }, 60_000);

  it('a presignature signs once', async () => {
    const text = 'once';
    const prepared = await presignAndPrepare(alice, digestOf(message(text)));
    const body = { request: message(text), digest: digestOf(message(text)), ...prepared };
    const first = await alice.client.request<{ address: string }>('POST', `/v1/mpc/wallets/${walletId}/sign`, body);
    expect(first.address).toBe(address);
    const again = await codeOf(alice.client.request('POST', `/v1/mpc/wallets/${walletId}/sign`, body));
    expect(again).toMatchObject({ code: 'MPC_PRESIGNATURE_CONSUMED', details: { status: 409 } });
  }, 60_000);

  it("refuses a pairing id that is not the wallet's before any proof, without disabling", async () => {
    const text = 'with a stale pairing';
    const prepared = await presignAndPrepare(alice, digestOf(message(text)));
    const stale = 'cd'.repeat(32);
    const refused = await codeOf(
      alice.client.request('POST', `/v1/mpc/wallets/${walletId}/sign`, {
        request: message(text),
        digest: digestOf(message(text)),
        ...prepared,
        pairingId: stale,
      }),
    );
    expect(refused).toMatchObject({ code: 'MPC_SESSION_MISMATCH', details: { check: 'sign.pairing', status: 400 } });
    const presign = await codeOf(
      alice.client.request('POST', `/v1/mpc/wallets/${walletId}/presignatures`, {
        deviceNonce: 'ab'.repeat(32),
        pairingId: stale,
      }),
    );
    expect(presign).toMatchObject({ code: 'MPC_SESSION_MISMATCH', details: { check: 'sign.pairing' } });
    // The pending key is only for the device that ran a refresh (there is none yet).
    const pending = await codeOf(
      alice.client.request('POST', `/v1/mpc/wallets/${walletId}/pair`, { deviceNonce: 'ab'.repeat(32), pending: true }),
    );
    expect(pending.code).toBe('MPC_WALLET_NOT_FOUND');
    expect((await serverWallet()).signingDisabled).toBe(false);
  }, 60_000);

  it('a failing nonce proof while presigning disables the key too, and ends the session', async () => {
    const second = await alice.wallets.create({ password: PASSWORD, backupStore: new MemoryBackupStore() });
    const record = await alice.store.loadWallet(second.walletId);
    const { pairing } = (record as { secret: DeviceWalletSecret }).secret;
    const started = deviceSignStart(pairing);
    const presign = await alice.client.request<{ sessionId: string; messages: Envelope[] }>(
      'POST',
      `/v1/mpc/wallets/${second.walletId}/presignatures`,
      { ...started.request, pairingId: pairing.pairingId },
    );
    const round2 = deviceSignRound2(started.state, presign.messages[0]);
    const payload = round2.message.payload;
    const forged = { ...round2.message, payload: { ...payload, proof: { ...payload.proof, z: `${'0'.repeat(63)}1` } } };
    const step = () => alice.client.request('POST', `/v1/mpc/sessions/${presign.sessionId}`, { messages: [forged] });
    expect(await codeOf(step())).toMatchObject({
      code: 'MPC_SCHNORR_PROOF_INVALID',
      details: { disableKey: true },
    });
    const view = await alice.client.request<{ signingDisabled: boolean; disabledReason: string }>(
      'GET',
      `/v1/mpc/wallets/${second.walletId}`,
    );
    expect(view).toMatchObject({ signingDisabled: true, disabledReason: expect.stringContaining('presign') });
    expect(await codeOf(step())).toMatchObject({ code: 'MPC_MESSAGE_REPLAYED', details: { check: 'session.done' } });
    // Only that wallet: the first one still signs.
    expect((await serverWallet()).signingDisabled).toBe(false);
  }, 60_000);

  it('an unauthenticated or malformed bad request never disables signing', async () => {
    const text = 'not this';
    const prepared = await presignAndPrepare(alice, digestOf(message('something else')));
    const body = JSON.stringify({ request: message(text), digest: digestOf(message(text)), ...prepared });
    // No credentials, and a signature by nobody: refused before any handler runs.
    for (const headers of [
      {},
      {
        'x-custos-device': alice.client.deviceId as string,
        'x-custos-timestamp': String(Date.now()),
        'x-custos-nonce': '0123456789abcdef0123',
        'x-custos-signature': '11'.repeat(64),
      },
    ]) {
      const r = await h.app.inject({
        method: 'POST',
        url: `/v1/mpc/wallets/${walletId}/sign`,
        headers: { ...headers, 'content-type': 'application/json' },
        payload: body,
      });
      expect(r.statusCode).toBe(401);
    }
    // Authenticated but malformed: refused before any cryptographic check.
    const malformed = await codeOf(
      alice.client.request('POST', `/v1/mpc/wallets/${walletId}/sign`, {
        request: message(text),
        digest: digestOf(message(text)),
        presignatureId: prepared.presignatureId,
        pairingId: prepared.pairingId,
        message: { ...prepared.message, payload: { D: 'zz' } },
      }),
    );
    expect(malformed.code).toBe('MPC_INVALID_MESSAGE');
    expect(malformed.details.disableKey).toBeUndefined();
    expect((await serverWallet()).signingDisabled).toBe(false);
  }, 60_000);

  it('a failing device proof disables signing, in the database: still disabled after a restart', async () => {
    const prepared = await presignAndPrepare(alice, digestOf(message('proof for this')));
    const text = 'but asked to sign this';
    const failed = await codeOf(
      alice.client.request('POST', `/v1/mpc/wallets/${walletId}/sign`, {
        request: message(text),
        digest: digestOf(message(text)),
        ...prepared,
      }),
    );
    expect(failed).toMatchObject({ code: 'MPC_SIGN_PROOF_INVALID', details: { disableKey: true, status: 400 } });
    expect(await serverWallet()).toMatchObject({
      signingDisabled: true,
      disabledReason: expect.stringContaining('sign'),
    });
    const presign = () =>
      codeOf(
        alice.client.request('POST', `/v1/mpc/wallets/${walletId}/presignatures`, { deviceNonce: 'ab'.repeat(32) }),
      );
    expect(await presign()).toMatchObject({ code: 'MPC_SIGNING_DISABLED', details: { status: 423 } });

    await restartServer();
    expect((await serverWallet()).signingDisabled).toBe(true);
    expect(await presign()).toMatchObject({ code: 'MPC_SIGNING_DISABLED', details: { status: 423 } });
    expect(
      await codeOf(alice.wallets.sign(walletId, { request: message('x'), digest: digestOf(message('x')) })),
    ).toMatchObject({ code: 'MPC_SIGNING_DISABLED' });
  }, 60_000);

  it('refresh from the backup re-enables signing under the same address, at the next generation', async () => {
    const backup = await backups.get(backupName);
    const old = (await alice.store.loadWallet(walletId))?.secret as DeviceWalletSecret;
    const refreshed = await alice.wallets.refresh({
      walletId,
      backup: backup as Uint8Array,
      password: PASSWORD,
      backupStore: backups,
    });
    expect(refreshed).toMatchObject({ address, generation: 2 });
    expect(await serverWallet()).toMatchObject({ signingDisabled: false, generation: 2, refreshPending: false });
    // The old device share's pairing is refused up front — it cannot disable the new key.
    const stale = await codeOf(
      alice.client.request('POST', `/v1/mpc/wallets/${walletId}/presignatures`, {
        ...deviceSignStart(old.pairing).request,
        pairingId: old.pairing.pairingId,
      }),
    );
    expect(stale).toMatchObject({ code: 'MPC_SESSION_MISMATCH', details: { check: 'sign.pairing' } });
    const text = 'after the refresh';
    const signed = await alice.wallets.sign(walletId, { request: message(text), digest: digestOf(message(text)) });
    const recovered = await recoverMessageAddress({ message: text, signature: serializeSignature(signed) });
    expect(recovered).toBe(address);
    const { rows } = await h.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM mpc_presignatures WHERE wallet_id = $1 AND used_at IS NULL AND generation < 2',
      [walletId],
    );
    expect(rows[0]?.n).toBe(0);
  }, 180_000);

  it('another enrolled device with the backup and password takes the wallet over by refreshing', async () => {
    bob = await newDevice();
    const backup = await backups.get(backupName);
    const refreshed = await bob.wallets.refresh({
      walletId,
      backup: backup as Uint8Array,
      password: PASSWORD,
      backupStore: backups,
    });
    expect(refreshed.address).toBe(address);
    expect(await serverWallet(bob)).toMatchObject({ generation: 3, signingDisabled: false });
    expect(await codeOf(serverWallet(alice))).toMatchObject({ code: 'MPC_WALLET_NOT_FOUND' });
    const text = "bob's now";
    const signed = await bob.wallets.sign(walletId, { request: message(text), digest: digestOf(message(text)) });
    expect(await recoverMessageAddress({ message: text, signature: serializeSignature(signed) })).toBe(address);
  }, 180_000);
  it('no share, nonce or Paillier secret appears in any server log line or in any answer a device got', async () => {
    for (const device of [alice, bob ?? alice]) collectSecrets((await device.store.loadWallet(walletId))?.secret);
    const row = await findWallet(h.db, walletId);
    if (row?.serverShare == null || row.pairing == null) throw new Error('the wallet lost its server share');
    const box = h.services.mpc?.secrets as SecretBox;
    collectSecrets(box.openJson(bindings.share(walletId, row.generation), row.serverShare));
    collectSecrets(box.openJson(bindings.pairing(walletId, row.generation), row.pairing));
    const unused = await h.db.query<{ id: string; generation: number; state: Uint8Array }>(
      'SELECT id, generation, state FROM mpc_presignatures WHERE used_at IS NULL',
    );
    for (const p of unused.rows) collectSecrets(box.openJson(bindings.presignature(p.id, p.generation), p.state));
    // A used presignature keeps no nonce.
    const used = await h.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM mpc_presignatures WHERE used_at IS NOT NULL AND state IS NOT NULL',
    );
    expect(used.rows[0]?.n).toBe(0);
    // The search is over real material: shares, x2, Paillier p and q, ring-Pedersen λ, nonces.
    expect(secretForms.size).toBeGreaterThan(20);
    expect(logLines.length).toBeGreaterThan(50);
    expect(answers.length).toBeGreaterThan(50);
    const haystack = `${logLines.join('\n')}\n${answers.join('\n')}`.toLowerCase();
    const leaks = [...secretForms].filter((form) => haystack.includes(form));
    expect(leaks.map((l) => `${l.slice(0, 8)}…`)).toEqual([]);
  }, 60_000);
});
