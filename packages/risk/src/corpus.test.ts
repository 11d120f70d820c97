/**
 * The evaluation corpus (test/fixtures/payloads, from the custos shared corpus; provenance in
 * test/fixtures/payloads/SOURCES.md): every case with a request reaches its expected action from
 * the shipped default labels plus test/fixtures/corpus-blocklist.csv (each counterparty a case
 * blames, block-listed in that case's own chain and under the source its provenance names).
 * Then every block case runs twice more — with its counterparty swapped for a fresh address
 * block-listed in a temporary store, and for a fresh unlabelled one — to show that the verdicts
 * come from labels and from what the request does, never from a particular address.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseError } from '@custos/core';
import { type Database, labelsMigrations, openPGlite } from '@custos/db';
import { compileIndex, getLabelSource, importBatch, LabelIndex, LabelService, seedDefaultLabels } from '@custos/labels';
import { parse } from 'csv-parse/sync';
import { bytesToHex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RiskEngine } from './engine.js';
import { UNLIMITED_THRESHOLD } from './rules/context.js';
import type { Action, Intent, ScanRequest, Verdict } from './types.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'custos-risk-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  id: string;
  method: string;
  chainId: number | null;
  request?: Record<string, unknown> & { params?: unknown[] };
  expected?: { action: 'block' | 'warn' | 'none' };
}

interface BlocklistRow {
  address: string;
  scope: string;
  source: string;
  cases: string;
}

const cases: Case[] = readdirSync(join(fixtures, 'payloads'))
  .filter((f) => f.endsWith('.json') && f !== 'index.json')
  .map((f) => JSON.parse(readFileSync(join(fixtures, 'payloads', f), 'utf8')) as Case)
  .sort((a, b) => a.id.localeCompare(b.id));
const withRequest = cases.filter((c) => c.request !== undefined);
const blocklistCsv = readFileSync(join(fixtures, 'corpus-blocklist.csv'), 'utf8');
const blocklist = parse(blocklistCsv, { columns: true }) as BlocklistRow[];

/** The value the Arbitrum case's placeholder stands for in these tests: 1 ETH. */
const ENTIRE_BALANCE = '0xde0b6b3a7640000';

function expectedAction(c: Case): Action {
  const a = c.expected?.action;
  return a === 'none' || a === undefined ? 'allow' : a;
}

function blamed(c: Case): string[] {
  return blocklist.filter((r) => r.cases.split(' ').includes(c.id)).map((r) => r.address.toLowerCase());
}

/** The request as the dapp sends it: transactions as `params: [tx]`, the rest as given. */
function scanRequestOf(c: Case, replacePlaceholder = true): ScanRequest {
  const request = c.request ?? {};
  let params: unknown;
  if (c.method === 'eth_sendTransaction') {
    const tx = { ...request };
    if (replacePlaceholder && tx.value === '<entire balance>') tx.value = ENTIRE_BALANCE;
    params = [tx];
  } else params = request.params;
  return { chainId: c.chainId ?? 1, method: c.method, params };
}

/** Replaces every occurrence of an address (any case, inside embedded JSON strings too). */
function swapAddress(value: unknown, from: string, to: string): unknown {
  const body = new RegExp(from.slice(2), 'gi');
  if (typeof value === 'string') return value.replace(body, to.slice(2));
  if (Array.isArray(value)) return value.map((v) => swapAddress(v, from, to));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swapAddress(v, from, to)]));
  return value;
}

function freshAddress(): `0x${string}` {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(20)));
}

/** Which of the "must still warn" criteria a decoded request meets (printed per case). */
function criteria(verdict: Verdict): string[] {
  const out = new Set<string>();
  const huge = (amount: string) => BigInt(amount) >= UNLIMITED_THRESHOLD;
  for (const intent of verdict.decoded.intents as Intent[]) {
    if ((intent.kind === 'approval' || intent.kind === 'permit') && huge(intent.amount)) out.add('allowance ≥ 2^64−1');
    if (intent.kind === 'approval-for-all' && intent.approved) out.add('setApprovalForAll(true)');
    if (intent.kind === 'order') {
      const back = intent.consideration.filter(
        (i) => (i.recipient === undefined || i.recipient === intent.offerer) && BigInt(i.amount) > 0n,
      );
      if (back.length === 0) out.add('order returns nothing to the offerer');
    }
  }
  return [...out];
}

async function importCsv(db: Database, path: string, sourceId: string): Promise<void> {
  const source = getLabelSource('generic-csv');
  const batch = await source.read(path, { sourceId });
  expect(batch.errors).toEqual([]);
  await importBatch(db, { ...source, id: sourceId, title: sourceId, trust: 'curated' }, batch);
}

describe('evaluation corpus: shipped default labels + corpus-blocklist.csv (offline: no on-chain facts)', () => {
  let db: Database;
  let labels: LabelService;
  let engine: RiskEngine;
  /** Per block case with a counterparty: a fresh address block-listed in the temporary store. */
  const freshBlocked = new Map<string, string>();

  beforeAll(async () => {
    db = await openPGlite();
    await db.migrate(await labelsMigrations());
    await seedDefaultLabels(db);
    // The fixture, one import per source its provenance names.
    for (const source of new Set(blocklist.map((r) => r.source))) {
      const rows = blocklist.filter((r) => r.source === source);
      const path = join(dir, `${source}.csv`);
      writeFileSync(
        path,
        `address,tier,category,name,scope\n${rows.map((r) => `${r.address},block,phishing,corpus,${r.scope}`).join('\n')}\n`,
      );
      await importCsv(db, path, source);
    }
    // Fresh random addresses, block-listed in this temporary store only.
    const fresh: string[] = [];
    for (const c of withRequest) {
      if (expectedAction(c) !== 'block' || blamed(c).length === 0) continue;
      const address = freshAddress();
      freshBlocked.set(c.id, address);
      fresh.push(`${address},block,drainer,fresh test address,${c.chainId ?? 1}`);
    }
    const freshPath = join(dir, 'fresh.csv');
    writeFileSync(freshPath, `address,tier,category,name,scope\n${fresh.join('\n')}\n`);
    await importCsv(db, freshPath, 'corpus-fresh');
    const indexPath = join(dir, 'corpus.clx');
    await compileIndex(db, indexPath);
    labels = new LabelService(LabelIndex.open(indexPath));
    engine = new RiskEngine({ labels });
  }, 180_000);

  afterAll(async () => {
    labels?.close();
    await db?.close();
  });

  it('the shipped default labels contain none of the blamed counterparties', () => {
    const shipped = LabelService.openDefault();
    try {
      for (const row of blocklist) {
        const result = shipped.lookupAddress(row.address, Number(row.scope));
        expect(result.labels, row.address).toEqual([]);
        expect(result.tier).toBe('none');
      }
    } finally {
      shipped.close();
    }
  });

  it('the corpus has the cases this test expects (21, 18 with a request)', () => {
    expect(cases).toHaveLength(21);
    expect(withRequest).toHaveLength(18);
  });

  it('every case with a request reaches its expected action, and no benign case is blocked', async () => {
    const table: string[] = [];
    for (const c of withRequest) {
      const verdict = await engine.scan(scanRequestOf(c));
      table.push(
        `${c.id.padEnd(48)} ${expectedAction(c).padEnd(5)} → ${verdict.action.padEnd(5)} ${verdict.findings
          .filter((f) => f.severity !== 'info')
          .map((f) => f.rule)
          .join(', ')}`,
      );
      expect(verdict.action, `${c.id}: ${JSON.stringify(verdict.findings)}`).toBe(expectedAction(c));
    }
    console.info(`case → expected → action, findings\n${table.join('\n')}`);
  });

  it('the Arbitrum case sent with its "<entire balance>" placeholder is a typed 400 error', async () => {
    const c = withRequest.find((x) => x.id === 'incident-2023-03-securityupdate-payable');
    expect(c).toBeDefined();
    const error = await engine.scan(scanRequestOf(c as Case, false)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BaseError);
    expect((error as BaseError).code).toBe('RISK_INVALID_REQUEST');
    expect((error as BaseError).status).toBe(400);
    expect((error as BaseError).details.field).toBe('value');
  });

  it('every block case still blocks with its counterparty swapped for a fresh block-listed address', async () => {
    const blockCases = withRequest.filter((c) => expectedAction(c) === 'block' && blamed(c).length > 0);
    expect(blockCases.length).toBeGreaterThanOrEqual(12);
    for (const c of blockCases) {
      const fresh = freshBlocked.get(c.id) as string;
      let request = scanRequestOf(c);
      for (const address of blamed(c)) request = swapAddress(request, address, fresh) as ScanRequest;
      expect(JSON.stringify(request).toLowerCase()).toContain(fresh.slice(2));
      const verdict = await engine.scan(request);
      expect(verdict.action, `${c.id}: ${JSON.stringify(verdict.findings)}`).toBe('block');
      expect(verdict.findings.some((f) => f.severity === 'critical' && f.subject === fresh)).toBe(true);
    }
  });

  it('with a fresh unlabelled counterparty, requests granting unlimited rights or giving assets away still warn', async () => {
    const lines: string[] = [];
    for (const c of withRequest.filter((x) => expectedAction(x) === 'block')) {
      let request = scanRequestOf(c);
      for (const address of blamed(c)) request = swapAddress(request, address, freshAddress()) as ScanRequest;
      const verdict = await engine.scan(request);
      const applied = criteria(verdict);
      lines.push(`${c.id.padEnd(48)} ${verdict.action.padEnd(5)} criteria: ${applied.join('; ') || 'none'}`);
      if (blamed(c).length === 0) {
        // mm-eth-sign-blind-hash: nothing to swap; it is refused for what it is.
        expect(verdict.action, c.id).toBe('block');
      } else if (applied.length > 0) {
        expect(['warn', 'block'], `${c.id}: ${JSON.stringify(verdict.findings)}`).toContain(verdict.action);
      }
    }
    console.info(`unlabelled counterparty: case → action, criteria\n${lines.join('\n')}`);
  });
});
