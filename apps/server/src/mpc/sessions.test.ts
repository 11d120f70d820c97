/**
 * The protocol-session runner over the DKG (cheap: no Paillier), on PGlite and PostgreSQL: the
 * device's parties 2 and 3 run the round functions of @custos/mpc against the server's routes.
 * Checked: the finished key matches on both sides and the server share is stored sealed; a step
 * after the end, on an expired session, or racing another step for the same round is refused; a
 * malformed step leaves the session where it was; a node with another master key cannot open the
 * stored share and says so without showing anything secret.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { type Database, openDatabase } from '@custos/db';
import { createTestDatabase } from '@custos/db/testing';
import {
  deriveSessionId,
  type Envelope,
  finishParties,
  type KeyShare,
  partiesRound2,
  partiesRound3,
  startDkgParties,
} from '@custos/mpc';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../app.js';
import { TestDevice } from '../testing/device.js';
import { createHarness, type Harness } from '../testing/harness.js';
import { createMpcServices } from './context.js';
import { SecretBox } from './secrets.js';
import { bindings, findWallet } from './store.js';

interface Step {
  messages: Envelope[];
  done: boolean;
  result?: Record<string, unknown>;
  next?: Record<string, unknown>;
}

describe.each(['pglite', 'postgres'] as const)('protocol sessions on %s', (kind) => {
  let h: Harness;
  let db: Database | undefined;
  let drop = async () => {};
  let device: TestDevice;

  beforeAll(async () => {
    if (kind === 'postgres') {
      const fresh = await createTestDatabase(inject('postgresUrl'));
      db = await openDatabase(fresh.url);
      drop = fresh.drop;
    }
    h = await createHarness({}, {}, db === undefined ? {} : { db });
    device = await TestDevice.enrol(h.app);
  });
  afterAll(async () => {
    await h.close();
    await db?.close();
    await drop();
  });

  const step = (sessionId: string, messages: readonly unknown[]) =>
    device.request(h.app, 'POST', `/v1/mpc/sessions/${sessionId}`, { messages });

  async function startWallet() {
    const nonce = randomBytes(32).toString('hex');
    const r = await device.request(h.app, 'POST', '/v1/mpc/wallets', { nonce });
    expect(r.statusCode, r.body).toBe(201);
    const created = r.json<{
      walletId: string;
      sessionId: string;
      protocol: string;
      serverNonce: string;
      messages: Envelope[];
    }>();
    expect(created.protocol).toBe('dkg');
    expect(created.sessionId).toBe(deriveSessionId('dkg', [created.serverNonce, nonce]));
    const start = startDkgParties({ sessionId: created.sessionId, partyIds: [2, 3] });
    return { created, start };
  }

  async function runDkg(): Promise<{ walletId: string; sessionId: string; keys: KeyShare[]; last: Step }> {
    const { created, start } = await startWallet();
    const a = await step(created.sessionId, start.messages);
    expect(a.statusCode, a.body).toBe(200);
    const second = partiesRound2(start.state, created.messages);
    const b = await step(created.sessionId, second.messages);
    expect(b.statusCode, b.body).toBe(200);
    const third = partiesRound3(second.state, a.json<Step>().messages);
    const c = await step(created.sessionId, third.messages);
    expect(c.statusCode, c.body).toBe(200);
    const keys = finishParties(third.state, b.json<Step>().messages);
    return { walletId: created.walletId, sessionId: created.sessionId, keys, last: c.json<Step>() };
  }

  it('runs the DKG over the routes; the server share is stored sealed and matches S1', async () => {
    const { walletId, keys, last } = await runDkg();
    const key2 = keys[0] as KeyShare;
    expect(last.done).toBe(true);
    expect(last.messages).toEqual([]);
    expect(last.result).toMatchObject({ walletId, publicKey: key2.publicKey, chainCode: key2.chainCode });
    expect(last.result?.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(last.next).toEqual({ protocol: 'pair', url: `/v1/mpc/wallets/${walletId}/pair` });

    const wallet = await findWallet(h.db, walletId);
    expect(wallet).toMatchObject({ status: 'pairing', publicKey: key2.publicKey, generation: 1 });
    const sealed = wallet?.serverShare as Uint8Array;
    const share = h.services.mpc?.secrets.openJson(bindings.share(walletId, 1), sealed) as KeyShare;
    expect(share.partyId).toBe(1);
    const ecdh = createECDH('secp256k1');
    ecdh.setPrivateKey(Buffer.from(share.share, 'hex'));
    const S1 = ecdh.getPublicKey('hex', 'compressed');
    expect(S1).toBe(key2.sharePublicKeys[1]);
    expect(Buffer.from(sealed).toString('latin1')).not.toContain(share.share);
    // Finished sessions keep no state.
    const stored = await h.db.query<{ state: Uint8Array | null; done: boolean }>(
      'SELECT state, done FROM mpc_sessions WHERE wallet_id = $1',
      [walletId],
    );
    expect(stored.rows).toEqual([{ state: null, done: true }]);
  });

  it('refuses a step on a finished session', async () => {
    const { sessionId } = await runDkg();
    const again = await step(sessionId, []);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'MPC_MESSAGE_REPLAYED', details: { check: 'session.done' } });
  });

  it('of two concurrent steps for one round exactly one advances the session', async () => {
    const { created, start } = await startWallet();
    const [x, y] = await Promise.all([
      step(created.sessionId, start.messages),
      step(created.sessionId, start.messages),
    ]);
    expect([x.statusCode, y.statusCode].sort()).toEqual([200, 409]);
    const loser = x.statusCode === 409 ? x : y;
    expect(loser.json().code).toBe('MPC_MESSAGE_REPLAYED');
    const { rows } = await h.db.query<{ round: number }>('SELECT round FROM mpc_sessions WHERE id = $1', [
      created.sessionId,
    ]);
    expect(rows[0]?.round).toBe(1);
  });

  it('a malformed step is answered and leaves the session where it was', async () => {
    const { created, start } = await startWallet();
    const bad = await step(created.sessionId, [{ v: 1, protocol: 'dkg' }]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('MPC_INVALID_MESSAGE');
    const replayedRound = await step(created.sessionId, [...start.messages, ...start.messages]);
    expect(replayedRound.statusCode).toBe(409);
    const good = await step(created.sessionId, start.messages);
    expect(good.statusCode, good.body).toBe(200);
  });

  it('refuses an expired session', async () => {
    const { created, start } = await startWallet();
    await h.db.query("UPDATE mpc_sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [
      created.sessionId,
    ]);
    const r = await step(created.sessionId, start.messages);
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ details: { check: 'session.expired' } });
  });

  it('a node with another master key cannot open the share, and says so without leaking it', async () => {
    const { walletId } = await runDkg();
    const wrong = createMpcServices({ masterKey: new Uint8Array(32).fill(0xee) });
    const services = { ...h.services, mpc: wrong };
    const built = await buildApp({ services, logger: h.services.logger as never, operatorToken: undefined });
    try {
      const r = await device.request(built.app, 'POST', `/v1/mpc/wallets/${walletId}/pair`, {
        deviceNonce: randomBytes(32).toString('hex'),
      });
      expect(r.statusCode).toBe(500);
      expect(r.json()).toMatchObject({
        code: 'INVALID_CONFIG',
        details: { check: 'secret.wrong-key', field: 'mpc_wallets.server_share' },
      });
      const wallet = await findWallet(h.db, walletId);
      const share = h.services.mpc?.secrets.openJson(
        bindings.share(walletId, 1),
        wallet?.serverShare as Uint8Array,
      ) as KeyShare;
      expect(r.body).not.toContain(share.share);
    } finally {
      await built.app.close();
    }
    expect(() => new SecretBox(new Uint8Array(32).fill(0xee))).not.toThrow();
  });
});
