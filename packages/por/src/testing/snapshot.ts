/**
 * Deterministic liabilities snapshots for tests and benchmarks: `users` rows over `assets` assets
 * (scales cycling 8, 6, 10, 2, 12, 0 …), most balances small, some zero, a few near the u64
 * limit, written as CSV or NDJSON; the per-asset totals are summed here, with plain BigInt
 * arithmetic on the generated units, independently of the parser and the tree.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { AssetSpec } from '../root.js';

const SCALES = [8, 6, 10, 2, 12, 0, 8, 8, 6, 4];

export function testAssets(count: number): AssetSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    symbol: `A${String(i).padStart(2, '0')}`,
    scale: SCALES[i % SCALES.length] as number,
  }));
}

/** A small, fast, seeded generator (mulberry32). */
export function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function formatUnits(units: bigint, scale: number): string {
  if (scale === 0) return units.toString();
  const digits = units.toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, -scale);
  const fraction = digits.slice(-scale).replace(/0+$/, '');
  return fraction.length === 0 ? whole : `${whole}.${fraction}`;
}

export interface GeneratedSnapshot {
  assets: AssetSpec[];
  totals: bigint[];
  /** A few user ids, for sampling proofs. */
  sampleIds: string[];
  users: number;
}

/** Writes a snapshot of `users` × `assets`; resolves with its independent totals. */
export async function writeSnapshot(
  path: string,
  options: { users: number; assets: number; seed?: number; format?: 'csv' | 'ndjson'; samples?: number },
): Promise<GeneratedSnapshot> {
  const assets = testAssets(options.assets);
  const random = seeded(options.seed ?? 1);
  const totals = assets.map(() => 0n);
  const sampleIds: string[] = [];
  const sampleEvery = Math.max(1, Math.floor(options.users / (options.samples ?? 50)));
  const out = createWriteStream(path);
  const columns = assets.map((a) => `${a.symbol}:${a.scale}`);
  const lines: string[] = [];
  if ((options.format ?? 'csv') === 'csv') lines.push(`user_id,${columns.join(',')}`);
  for (let u = 0; u < options.users; u++) {
    const id = `user-${u.toString(36)}-${Math.floor(random() * 1e9).toString(36)}`;
    if (u % sampleEvery === 0) sampleIds.push(id);
    const values = assets.map((a, i) => {
      const r = random();
      let units: bigint;
      if (r < 0.3) units = 0n;
      else if (r < 0.999) units = BigInt(Math.floor(random() * 10 ** Math.min(12, a.scale + 4)));
      else units = (1n << 60n) + BigInt(Math.floor(random() * 2 ** 40)); // near the u64 limit
      totals[i] = (totals[i] as bigint) + units;
      return formatUnits(units, a.scale);
    });
    if ((options.format ?? 'csv') === 'csv') lines.push(`${id},${values.join(',')}`);
    else {
      const record: Record<string, string> = { user_id: id };
      for (const [i, c] of columns.entries()) record[c] = values[i] as string;
      lines.push(JSON.stringify(record));
    }
    if (lines.length >= 4096) {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      lines.length = 0;
    }
  }
  if (lines.length > 0) out.write(`${lines.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
  return { assets, totals, sampleIds, users: options.users };
}
