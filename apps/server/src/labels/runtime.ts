/**
 * The server's label layer: the store in the database (source of truth), a compiled index file
 * per store generation under `<dataDir>/labels/`, and the look-up service with its override
 * overlay. Until the store has its own compiled index, look-ups answer from the shipped default
 * index. On first start the store is seeded from the shipped sources in the background. Every
 * node polls the store's generation and override version, so an import or override made on one
 * node reaches the others within the poll interval (and the node that made it at once).
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@custos/core';
import type { Database } from '@custos/db';
import {
  compileIndex,
  type ImportBatch,
  type ImportReport,
  importBatch,
  LabelIndex,
  LabelService,
  type LabelSource,
  labelState,
  listOverrides,
  type Override,
  type OverrideInput,
  removeOverride,
  type StoreStats,
  seedDefaultLabels,
  setOverride,
  storeIsEmpty,
  storeStats,
} from '@custos/labels';

export interface LabelsRuntimeOptions {
  db: Database;
  /** Directory for compiled index files. */
  dir: string;
  logger: Logger;
  /** Seed an empty store from the shipped sources (default true). */
  seed?: boolean;
  /** How often to look for imports and overrides made by other nodes; 0 = never (default 5 s). */
  pollMs?: number;
}

export interface LabelsRuntime {
  readonly service: LabelService;
  /**
   * Begins seeding (an empty store), the first compile and polling; resolves when the first two
   * are done (failures are logged: look-ups keep answering from the shipped index).
   */
  start(): Promise<void>;
  /** Which index answers: the shipped default, or the store's compiled generation N. */
  indexSource(): string;
  importBatch(
    source: Pick<LabelSource, 'id' | 'title' | 'trust' | 'license' | 'origin'>,
    batch: ImportBatch,
  ): Promise<ImportReport>;
  setOverride(input: OverrideInput): Promise<Override>;
  removeOverride(scope: number, address: string): Promise<boolean>;
  listOverrides(): Promise<Override[]>;
  stats(): Promise<
    StoreStats & { index: { source: string; addresses: number; domains: number; residentBytes: number } }
  >;
  close(): Promise<void>;
}

export async function createLabelsRuntime(options: LabelsRuntimeOptions): Promise<LabelsRuntime> {
  const { db, dir, logger } = options;
  mkdirSync(dir, { recursive: true });
  const service = LabelService.openDefault();
  service.replaceOverrides(await listOverrides(db));
  let compiledGeneration: number | null = null;
  let overridesVersion = (await labelState(db)).overridesVersion;
  let closed = false;
  // Imports and compiles run one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Opens (compiling first if needed) the index of the store's current generation. */
  const refreshIndex = (): Promise<void> =>
    serial(async () => {
      const { generation } = await labelState(db);
      if (closed || generation === compiledGeneration || (await storeIsEmpty(db))) return;
      const path = join(dir, `index-g${generation}.clx`);
      let index: LabelIndex;
      try {
        index = LabelIndex.open(path);
      } catch {
        const started = performance.now();
        const stats = await compileIndex(db, path);
        logger.info(
          { generation, addresses: stats.addresses, ms: Math.round(performance.now() - started) },
          'label index compiled',
        );
        index = LabelIndex.open(path);
      }
      if (closed) {
        index.close();
        return;
      }
      service.replaceIndex(index);
      compiledGeneration = generation;
      // Older generations are no longer read (the open one is kept by its descriptor).
      for (const f of readdirSync(dir)) {
        if (/^index-g\d+\.clx$/.test(f) && f !== `index-g${generation}.clx`) rmSync(join(dir, f), { force: true });
      }
    });

  const reloadOverrides = async (): Promise<void> => {
    const state = await labelState(db);
    if (state.overridesVersion === overridesVersion) return;
    overridesVersion = state.overridesVersion;
    service.replaceOverrides(await listOverrides(db));
  };

  let ready: Promise<void> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  /** Seeding, the first compile and polling begin here: after the server listens. */
  const start = (): Promise<void> => {
    ready ??= (async () => {
      if ((options.seed ?? true) && (await storeIsEmpty(db))) {
        const started = performance.now();
        await serial(() => seedDefaultLabels(db, { shouldStop: () => closed }));
        if (closed) return;
        logger.info({ ms: Math.round(performance.now() - started) }, 'label store seeded from the shipped sources');
      }
      await refreshIndex();
    })().catch((error: unknown) => {
      if (!closed) logger.error({ err: error }, 'label store start-up failed; serving the shipped index');
    });
    const pollMs = options.pollMs ?? 5000;
    if (pollMs > 0 && timer === undefined) {
      timer = setInterval(() => {
        if (closed) return;
        Promise.all([reloadOverrides(), refreshIndex()]).catch((error: unknown) =>
          logger.warn({ err: error }, 'label store poll failed'),
        );
      }, pollMs);
      timer.unref();
    }
    return ready;
  };

  return {
    service,
    start,
    indexSource: () => (compiledGeneration === null ? 'default' : `store generation ${compiledGeneration}`),
    async importBatch(source, batch) {
      const report = await serial(() => importBatch(db, source, batch));
      await refreshIndex();
      return report;
    },
    async setOverride(input) {
      const override = await setOverride(db, input);
      service.setOverride(override);
      overridesVersion = (await labelState(db)).overridesVersion;
      return override;
    },
    async removeOverride(scope, address) {
      const removed = await removeOverride(db, scope, address);
      service.replaceOverrides(await listOverrides(db));
      overridesVersion = (await labelState(db)).overridesVersion;
      return removed;
    },
    listOverrides: () => listOverrides(db),
    async stats() {
      const stats = await storeStats(db);
      const index = service.index;
      const size = index.domains.size;
      return {
        ...stats,
        index: {
          source: compiledGeneration === null ? 'default' : `store generation ${compiledGeneration}`,
          addresses: index.count,
          domains: size.block + size.allow + size.fuzzy,
          residentBytes: index.residentBytes,
        },
      };
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      await ready;
      await queue.catch(() => undefined);
      service.close();
    },
  };
}
