/** Assertions every importer test makes about a batch. */
import { expect } from 'vitest';
import type { ImportBatch, LabelSource } from '../../importers/types.js';
import { type Label, TIERS } from '../../model.js';

const CATEGORY_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Why a label breaks the model's promises, or null (plain checks: there are 45,000 of them). */
function labelProblem(label: Label, source: string): string | null {
  if (!/^0x[0-9a-f]{40}$/.test(label.address)) return 'address not lowercase hex';
  if (!Number.isSafeInteger(label.scope) || label.scope < 0) return 'bad scope';
  if (!TIERS.includes(label.tier)) return 'bad tier';
  if (!CATEGORY_RE.test(label.category)) return 'bad category';
  if (typeof label.name !== 'string') return 'no name';
  if (label.source !== source) return 'wrong source';
  if (!Number.isSafeInteger(label.firstSeen) || label.firstSeen < 0) return 'bad firstSeen';
  if (!Number.isInteger(label.confidence) || label.confidence < 0 || label.confidence > 100) return 'bad confidence';
  return label.status === 'active' ? null : 'not active';
}

/**
 * The batch keeps the label model's promises: lowercase addresses, every field set, one label
 * per (scope, address, category), labels of this source only, all active; domains lowercase and
 * one per (list, domain).
 */
export function expectWellFormed(batch: ImportBatch): void {
  const problems = batch.labels.flatMap((l) => {
    const problem = labelProblem(l, batch.source);
    return problem ? [{ problem, label: l }] : [];
  });
  expect(problems.slice(0, 5)).toEqual([]);
  expect(new Set(batch.labels.map((l) => `${l.scope}|${l.address}|${l.category}`)).size).toBe(batch.labels.length);
  expect(new Set(batch.domains.map((d) => `${d.list}|${d.domain}`)).size).toBe(batch.domains.length);
  expect(batch.domains.filter((d) => d.domain !== d.domain.toLowerCase() || d.source !== batch.source)).toEqual([]);
}

/** Reads twice and checks both batches are identical (same order included). */
export async function readTwice(source: LabelSource, path: string): Promise<ImportBatch> {
  const first = await source.read(path);
  // Compared as JSON text: a deep equality over 45,000 labels takes seconds.
  expect(JSON.stringify(await source.read(path))).toBe(JSON.stringify(first));
  expectWellFormed(first);
  return first;
}

/** How many items fall under each key, e.g. labels per `tier/category@scope`. */
export function tally<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** `tier/category@scope`, the usual tally key for labels. */
export function kind(label: { tier: string; category: string; scope: number }): string {
  return `${label.tier}/${label.category}@${label.scope}`;
}

/** The skip reasons with their counts. */
export function skipReasons(batch: ImportBatch): Record<string, number> {
  return tally(batch.skipped, (s) => s.reason);
}
