/**
 * Proof-of-reserves rounds through the server: nothing is published at first (404); the operator
 * publishes a round built on the server's disk (others cannot); the latest round answers the
 * signed root and reserves table to anyone; a signed-in user gets their own proof — which the
 * browser verifier accepts against the pinned key — and never another user's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLiabilitiesTree, type RootFile, verifyInclusionProof } from '@custos/por';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, loginAs, OPERATOR_TOKEN } from '../testing/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-por-server-'));
let h: Harness;
let root: RootFile;
const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };

beforeAll(async () => {
  h = await createHarness({}, {}, { mpc: false });
  const { alice, bob } = h.accounts;
  writeFileSync(join(dir, 'l.csv'), `user_id,BTC:8,USDT:6\n${alice},0.5,100\n${bob},2,0\nexternal-7,0,5\n`);
  root = buildLiabilitiesTree({
    input: join(dir, 'l.csv'),
    out: join(dir, 'round'),
    signingSeed: new Uint8Array(32).fill(8),
    roundId: '2026-11',
  }).root;
}, 60_000);

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('proof-of-reserves routes', () => {
  it('answers 404 before any round is published', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v1/por/rounds/latest' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ code: 'POR_ROUND_NOT_FOUND' });
  });

  it('lets only the operator publish, and only a finished round', async () => {
    const anon = await h.app.inject({ method: 'POST', url: '/v1/por/rounds', payload: { dir: join(dir, 'round') } });
    expect(anon.statusCode).toBe(401);
    const empty = await h.app.inject({
      method: 'POST',
      url: '/v1/por/rounds',
      headers: operator,
      payload: { dir: join(dir, 'nothing-here') },
    });
    expect(empty.statusCode).toBe(404);
    const reserves = [{ asset: 'BTC', liabilities: '2.5', reserves: '2.6', ratio: '104.00 %' }];
    const published = await h.app.inject({
      method: 'POST',
      url: '/v1/por/rounds',
      headers: operator,
      payload: { dir: join(dir, 'round'), reserves },
    });
    expect(published.statusCode, published.body).toBe(200);
    expect(published.json()).toMatchObject({ roundId: '2026-11', rootHash: root.rootHash });
    const latest = await h.app.inject({ method: 'GET', url: '/v1/por/rounds/latest' });
    expect(latest.json()).toMatchObject({ roundId: '2026-11', root, reserves });
  });

  it("gives a signed-in user their own proof (it verifies), never another user's", async () => {
    const alice = await loginAs(h, 'alice');
    const own = await h.app.inject({
      method: 'GET',
      url: `/v1/por/proof/${alice.accountId}`,
      headers: { cookie: alice.cookie },
    });
    expect(own.statusCode, own.body).toBe(200);
    const verified = verifyInclusionProof(own.json(), root, { publicKey: root.publicKey });
    expect(verified.balances).toEqual([
      { symbol: 'BTC', balance: '0.5' },
      { symbol: 'USDT', balance: '100' },
    ]);
    const other = await h.app.inject({
      method: 'GET',
      url: `/v1/por/proof/${h.accounts.bob}`,
      headers: { cookie: alice.cookie },
    });
    expect(other.statusCode).toBe(403);
    const anonymous = await h.app.inject({ method: 'GET', url: `/v1/por/proof/${alice.accountId}` });
    expect(anonymous.statusCode).toBe(401);
  });
});
