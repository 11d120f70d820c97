/**
 * The label store on the real data: idempotent imports, delisting, compile, and one test per
 * precedence rule on conflicts that exist in the shipped and fixture files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Database, labelsMigrations, openPGlite, openPostgres } from '@custos/db';
import { createTestDatabase } from '@custos/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  buildDefaultIndex,
  DEFAULT_INDEX_BUILT_AT,
  DEFAULT_SOURCES,
  defaultSourcePath,
  seedDefaultLabels,
} from './defaults.js';
import { getLabelSource } from './importers/registry.js';
import { LabelIndex } from './index-file.js';
import { EVM_FAMILY } from './model.js';
import { DEFAULT_INDEX_PATH, LabelService } from './service.js';
import { compileIndex, importBatch, labelState, setOverride, storeStats } from './store.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'custos-labels-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function importSource(db: Database, source: string, path: string) {
  const importer = getLabelSource(source);
  return importBatch(db, importer, await importer.read(path));
}

describe('label store on PGlite: shipped sources plus both Etherscan fixture sets', () => {
  let db: Database;
  let service: LabelService;
  beforeAll(async () => {
    db = await openPGlite();
    await db.migrate(await labelsMigrations());
    await seedDefaultLabels(db);
    await importSource(db, 'etherscan-brianleect', join(fixtures, 'etherscan-labels-brianleect'));
    await importSource(db, 'etherscan-dawsbot', join(fixtures, 'eth-labels-dawsbot'));
    await compileIndex(db, join(dir, 'all.clx'));
    service = new LabelService(LabelIndex.open(join(dir, 'all.clx')));
  }, 180_000);
  afterAll(async () => {
    service?.close();
    await db?.close();
  });

  it('a second import of every source changes nothing (no row, no generation)', async () => {
    const before = await labelState(db);
    for (const { source, path } of DEFAULT_SOURCES) {
      const report = await importSource(db, source, defaultSourcePath(path));
      expect(report.labels, source).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
      expect(report.domains, source).toMatchObject({ inserted: 0, deleted: 0 });
      expect(report.statusChanged, source).toBe(0);
    }
    const again = await importSource(db, 'etherscan-brianleect', join(fixtures, 'etherscan-labels-brianleect'));
    expect(again.labels).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
    expect((await labelState(db)).generation).toBe(before.generation);
  });

  it('an import replaces what the source said: removed rows go, changed rows update', async () => {
    const importer = getLabelSource('ofac-ultrasoundmoney');
    const batch = await importer.read(defaultSourcePath('ofac-ultrasoundmoney/data.csv'));
    const edited = { ...batch, labels: batch.labels.slice(1).map((l, i) => (i === 0 ? { ...l, name: 'renamed' } : l)) };
    const report = await importBatch(db, importer, edited);
    expect(report.labels).toMatchObject({ inserted: 0, updated: 1, deleted: 1 });
    const restored = await importBatch(db, importer, batch);
    expect(restored.labels).toMatchObject({ inserted: 1, updated: 1, deleted: 0 });
  });

  it('store statistics count every source', async () => {
    const stats = await storeStats(db);
    expect(stats.sources.map((s) => s.id).sort()).toEqual(
      [...DEFAULT_SOURCES.map((s) => s.source), 'etherscan-brianleect', 'etherscan-dawsbot'].sort(),
    );
    expect(stats.labels).toBeGreaterThan(90_000);
  });

  // Rule: a sanction from the authoritative list beats everything but an override.
  it('precedence: a current OFAC sanction blocks whatever the Etherscan scrapes say', () => {
    const r = service.lookupAddress('0x098B716B8Aaf21512996dC57EB0615e2383E2f96', 1);
    expect(r.tier).toBe('block');
    expect(r.decidedBy).toBe('max-severity');
    expect(r.labels.map((l) => l.source)).toEqual(
      expect.arrayContaining(['ofac-ultrasoundmoney', 'ofac-0xB10C', 'etherscan-brianleect']),
    );
  });

  // Rule: a sanction only an older snapshot carries (Tornado Cash, delisted in 2025) is gray.
  it('precedence: a delisted sanction becomes gray', () => {
    const r = service.lookupAddress('0x01e2919679362dfbc9ee1644ba9c6da6d6245bb1', 1);
    const ofac = r.labels.find((l) => l.source === 'ofac-0xB10C');
    expect(ofac?.status).toBe('delisted');
    expect(ofac?.effectiveTier).toBe('gray');
    expect(r.tier).toBe('gray');
    expect(r.decidedBy).toBe('delisted-sanction-is-gray');
    // Tornado.Cash: Donate — listed in 2024, absent in 2026; the scrapes call it a mixer.
    const donate = service.lookupAddress('0x8589427373d6d84e98730d7795d8f6f8731fda16', 1);
    expect(donate.tier).toBe('gray');
    expect(donate.labels.find((l) => l.source === 'ofac-0xB10C')?.status).toBe('delisted');
  });

  // Rule: a block from a trusted (curated) source beats an allow from a scraped list.
  it('precedence: Forta phishing (curated) beats an Etherscan-scraped "token sale" allow', () => {
    const r = service.lookupAddress('0xb9770e899908c2a575ed14848020ab26e22a71ac', 1);
    expect(r.labels.some((l) => l.source === 'etherscan-dawsbot' && l.tier === 'allow')).toBe(true);
    expect(r.tier).toBe('block');
    expect(r.decidedBy).toBe('max-severity');
  });

  // Rule: a less trusted block against a more trusted allow is capped at gray.
  it('precedence: an Etherscan-scraped heist label on a curated-list token warns, never blocks', () => {
    const r = service.lookupAddress('0xbc58b718b886cf62bf7000980fce96b2603e0950', 56);
    const heist = r.labels.find((l) => l.category === 'heist');
    expect(heist?.tier).toBe('block');
    expect(heist?.effectiveTier).toBe('gray');
    expect(r.tier).toBe('gray');
  });

  // Rule: known tokens are never blocked by non-authoritative sources.
  it('precedence: a known token flagged phish-hack by a scrape is gray (known-token rule)', () => {
    const r = service.lookupAddress('0x4639cd8cd52ec1cf2e496a606ce28d8afb1c792f', 1);
    expect(r.labels.find((l) => l.category === 'phishing')?.effectiveTier).toBe('gray');
    expect(r.tier).toBe('gray');
    expect(r.decidedBy).toBe('known-token-never-blocked');
  });

  it('precedence: a noisy drainer list that scraped USDT off a phishing page cannot block USDT', async () => {
    const importer = getLabelSource('scamsniffer-addresses');
    const synthetic = fileURLToPath(
      new URL('./testing/importers/inputs/scamsniffer/blacklist/address.json', import.meta.url),
    );
    await importBatch(db, importer, await importer.read(synthetic));
    await compileIndex(db, join(dir, 'with-scamsniffer.clx'));
    const s = new LabelService(LabelIndex.open(join(dir, 'with-scamsniffer.clx')));
    const usdt = s.lookupAddress('0xdac17f958d2ee523a2206206994597c13d831ec7', 1);
    expect(usdt.labels.find((l) => l.source === 'scamsniffer-addresses')?.tier).toBe('block');
    expect(usdt.tier).toBe('gray');
    s.close();
  });

  // Scope: the same address is the 1inch router on Ethereum and a fake 1inch exploit on Fantom.
  it('scope: a chain-scoped contract label stays on its chain (1, 250, and the dev chain 31337)', () => {
    const a = '0x11111112542d85b3ef69ae05771c2dccff4faa26';
    expect(service.lookupAddress(a, 1).tier).toBe('allow');
    expect(service.lookupAddress(a, 250).tier).toBe('block');
    expect(service.lookupAddress(a, 31337)).toMatchObject({ tier: 'none', labels: [] });
    // A key holder's label (EVM family) follows the key to every chain, the dev chain too.
    const phisher = service.lookupAddress('0x80d7bb18521acbef32d7906502ebe94928690e93', 31337);
    expect(phisher.tier).toBe('block');
    expect(phisher.labels.every((l) => l.scope === EVM_FAMILY)).toBe(true);
  });

  // Rule: an override beats every source, at once, without a recompile.
  it('precedence: an operator override beats a sanction, chain-scoped beats EVM-wide', async () => {
    const a = '0x098b716b8aaf21512996dc57eb0615e2383e2f96';
    const evm = await setOverride(db, { scope: EVM_FAMILY, address: a, tier: 'gray', reason: 'review', by: 't' });
    service.setOverride(evm);
    expect(service.lookupAddress(a, 1)).toMatchObject({ tier: 'gray', decidedBy: 'override' });
    const chain = await setOverride(db, { scope: 1, address: a, tier: 'allow', reason: 'cleared', by: 't' });
    service.setOverride(chain);
    expect(service.lookupAddress(a, 1).tier).toBe('allow');
    expect(service.lookupAddress(a, 56).tier).toBe('gray');
  });
});

describe('label store on PostgreSQL', () => {
  it('imports idempotently and compiles through keyset pages the same index PGlite does', async () => {
    const database = await createTestDatabase(inject('postgresUrl'));
    const pg = await openPostgres({ url: database.url });
    const lite = await openPGlite();
    try {
      for (const db of [pg, lite]) {
        await db.migrate(await labelsMigrations());
        await importSource(db, 'forta-labelled', defaultSourcePath('forta-labelled-datasets/labels'));
        await importSource(db, 'ofac-0xB10C', defaultSourcePath('ofac-0xB10C'));
        const again = await importSource(db, 'forta-labelled', defaultSourcePath('forta-labelled-datasets/labels'));
        expect(again.labels).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
      }
      const builtAt = new Date('2026-01-01T00:00:00Z');
      // A small page size makes the keyset pagination cross many page boundaries.
      await compileIndex(pg, join(dir, 'pg.clx'), { builtAt, pageSize: 997 });
      await compileIndex(lite, join(dir, 'lite.clx'), { builtAt });
      expect(readFileSync(join(dir, 'pg.clx')).equals(readFileSync(join(dir, 'lite.clx')))).toBe(true);
    } finally {
      await pg.close();
      await lite.close();
      await database.drop();
    }
  }, 120_000);
});

describe('the shipped default index', () => {
  it('is exactly what the store compiles from the shipped sources (reproducible)', async () => {
    const rebuilt = join(dir, 'default.clx');
    const stats = await buildDefaultIndex(rebuilt);
    expect(readFileSync(rebuilt).equals(readFileSync(DEFAULT_INDEX_PATH))).toBe(true);
    const index = LabelIndex.open(DEFAULT_INDEX_PATH);
    expect(index.count).toBe(stats.addresses);
    expect(index.meta.builtAt).toBe(DEFAULT_INDEX_BUILT_AT.toISOString());
    // Not shipped: the Etherscan scrapes and GPL data.
    expect(index.meta.sources).not.toContain('etherscan-brianleect');
    expect(index.meta.sources).not.toContain('etherscan-dawsbot');
    expect(index.meta.sources).not.toContain('scamsniffer-addresses');
    index.close();
  }, 120_000);
});
