/**
 * The label routes on an in-process server: look-ups (case-insensitive, typed 400s), batch,
 * operator-only writes, an override changing a running server's answer at once, and an import
 * recompiling the index the server answers from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLabelSource } from '@custos/labels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, OPERATOR_TOKEN } from '../testing/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-labels-http-'));
const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };
const LAZARUS = '0x098B716B8Aaf21512996dC57EB0615e2383E2f96';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({}, {}, { mpc: false, labels: { dir } });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('label look-ups over HTTP (shipped index, no import step)', () => {
  it('answers an address in any case, with or without its checksum', async () => {
    const variants = [LAZARUS, LAZARUS.toLowerCase(), `0x${LAZARUS.slice(2).toUpperCase()}`];
    const bodies = await Promise.all(
      variants.map(async (a) => (await h.app.inject({ method: 'GET', url: `/v1/labels/1/${a}` })).json()),
    );
    for (const body of bodies) {
      expect(body).toMatchObject({ address: LAZARUS.toLowerCase(), chainId: 1, tier: 'block' });
      expect(body.labels.some((l: { category: string }) => l.category === 'sanctioned')).toBe(true);
    }
  });

  it('answers a domain: exact, subdomain and look-alike', async () => {
    const get = async (d: string) => (await h.app.inject({ method: 'GET', url: `/v1/labels/domain/${d}` })).json();
    expect(await get('metamask-io.com')).toMatchObject({ tier: 'block', match: 'exact' });
    expect(await get('Login.MetaMask-IO.com')).toMatchObject({ tier: 'block', match: 'parent' });
    expect(await get('metamazk.io')).toMatchObject({ tier: 'block', match: 'fuzzy', matched: 'metamask.io' });
    expect(await get('metamask.io')).toMatchObject({ tier: 'allow' });
  });

  it('refuses an invalid address, chain id or domain with a typed 400', async () => {
    const cases = [
      ['/v1/labels/1/0x1234', 'LABELS_INVALID_ADDRESS'],
      [`/v1/labels/1/0x${'g'.repeat(40)}`, 'LABELS_INVALID_ADDRESS'],
      [`/v1/labels/0/${LAZARUS}`, 'INVALID_INPUT'],
      [`/v1/labels/0x01/${LAZARUS}`, 'INVALID_INPUT'],
      ['/v1/labels/domain/not%20a%20domain', 'LABELS_INVALID_DOMAIN'],
      ['/v1/labels/domain/localhost', 'LABELS_INVALID_DOMAIN'],
    ] as const;
    for (const [url, code] of cases) {
      const response = await h.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json().code, url).toBe(code);
    }
  });

  it('looks up a batch, and names the element that is invalid', async () => {
    const ok = await h.app.inject({
      method: 'POST',
      url: '/v1/labels/lookup',
      payload: {
        chainId: 56,
        addresses: [LAZARUS, '0x00000000000000000000000000000000000c0ffe'],
        domains: ['metamask-io.com'],
      },
    });
    expect(ok.statusCode).toBe(200);
    const body = ok.json();
    expect(body.addresses.map((r: { tier: string }) => r.tier)).toEqual(['block', 'none']);
    expect(body.domains[0].tier).toBe('block');
    const bad = await h.app.inject({
      method: 'POST',
      url: '/v1/labels/lookup',
      payload: { addresses: [LAZARUS, 'nope'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'LABELS_INVALID_ADDRESS', details: { field: 'body.addresses.1' } });
  });
});

describe('operator writes', () => {
  it('refuses overrides, imports and stats without the operator token', async () => {
    for (const [method, url] of [
      ['POST', '/v1/labels/overrides'],
      ['POST', '/v1/labels/import'],
      ['GET', '/v1/labels/stats'],
      ['GET', '/v1/labels/overrides'],
    ] as const) {
      const response = await h.app.inject(method === 'POST' ? { method, url, payload: {} } : { method, url });
      expect(response.statusCode, url).toBe(401);
    }
  });

  it("an override changes the running server's answer at once, and its removal restores it", async () => {
    const url = `/v1/labels/1/${LAZARUS}`;
    expect((await h.app.inject({ method: 'GET', url })).json().tier).toBe('block');
    const set = await h.app.inject({
      method: 'POST',
      url: '/v1/labels/overrides',
      headers: operator,
      payload: { scope: 'evm', address: LAZARUS, tier: 'allow', reason: 'test: cleared by compliance' },
    });
    expect(set.statusCode).toBe(200);
    const after = (await h.app.inject({ method: 'GET', url })).json();
    expect(after).toMatchObject({
      tier: 'allow',
      decidedBy: 'override',
      override: { reason: 'test: cleared by compliance' },
    });
    const removed = await h.app.inject({
      method: 'DELETE',
      url: `/v1/labels/overrides/evm/${LAZARUS}`,
      headers: operator,
    });
    expect(removed.statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url })).json().tier).toBe('block');
    const again = await h.app.inject({
      method: 'DELETE',
      url: `/v1/labels/overrides/evm/${LAZARUS}`,
      headers: operator,
    });
    expect(again.statusCode).toBe(404);
  });

  it('an invalid override is a typed 400 and changes nothing', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/labels/overrides',
      headers: operator,
      payload: { scope: 'evm', address: '0xnothex', tier: 'allow', reason: 'x' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('LABELS_INVALID_ADDRESS');
    expect(
      (await h.app.inject({ method: 'GET', url: '/v1/labels/overrides', headers: operator })).json().overrides,
    ).toEqual([]);
  });

  it('an import lands in the store and the server answers from the recompiled index', async () => {
    const importer = getLabelSource('generic-csv');
    const path = join(dir, 'ops.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      path,
      'address,tier,category,name,scope\n0x00000000000000000000000000000000000c0ffe,block,drainer,Ops drainer,evm\n',
    );
    const batch = await importer.read(path, { sourceId: 'ops-list', trust: 'curated' });
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/labels/import',
      headers: operator,
      payload: { importer: 'generic-csv', trust: 'curated', batch },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ source: 'ops-list', labels: { inserted: 1 }, index: 'store generation 1' });
    const hit = (
      await h.app.inject({ method: 'GET', url: '/v1/labels/10/0x00000000000000000000000000000000000C0FFE' })
    ).json();
    expect(hit).toMatchObject({
      tier: 'block',
      labels: [{ source: 'ops-list', category: 'drainer', trust: 'curated' }],
    });
    const stats = (await h.app.inject({ method: 'GET', url: '/v1/labels/stats', headers: operator })).json();
    expect(stats).toMatchObject({ labels: 1, index: { source: 'store generation 1', addresses: 1 } });
    const bad = await h.app.inject({
      method: 'POST',
      url: '/v1/labels/import',
      headers: operator,
      payload: { importer: 'no-such-importer', batch },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('LABELS_UNKNOWN_SOURCE');
  });
});
