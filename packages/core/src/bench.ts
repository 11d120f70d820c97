/**
 * The shape of a benchmark suite (`*.bench.ts`, run by `npm run bench`). A suite names a baseline
 * case measured in the same run; every case gets the same input size and is reported as median and
 * p99 milliseconds per run plus its ratio to the baseline's median. `size.smoke` is the tiny size
 * CI uses to prove the benchmark still runs.
 */
export interface BenchCase<State = unknown> {
  name: string;
  /** Builds the input for one size; not timed. */
  setup?: (size: number) => State | Promise<State>;
  /** One timed run over `size` items. */
  run: (state: State, size: number) => unknown;
  /**
   * Numbers the case measured itself (an external load generator's requests per second and
   * latency percentiles), read after the timed runs and recorded beside the timings as `metrics`.
   */
  metrics?: (state: State) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Releases what setup opened; not timed. */
  teardown?: (state: State) => void | Promise<void>;
}

export interface BenchSuite {
  name: string;
  description: string;
  /** Name of the case every other case is compared against. */
  baseline: string;
  /** Items per run: the full size for recorded runs, a tiny one for the CI smoke run. */
  size: { full: number; smoke: number };
  /** What one item is ("amount", "row", "request"). */
  unit: string;
  /**
   * How many runs to time (full mode): untimed warm-ups, then at least `min` timed runs, more
   * while `budgetMs` lasts (up to 200). Default 3 warm-ups, 15 runs, 4 s — set it for slow units
   * (a wallet creation) so a recorded run takes exactly as many as the claim needs.
   */
  samples?: { warmups: number; min: number; budgetMs: number };
  // biome-ignore lint/suspicious/noExplicitAny: each case has its own state type
  cases: readonly BenchCase<any>[];
}

export function defineBench(suite: BenchSuite): BenchSuite {
  if (!suite.cases.some((c) => c.name === suite.baseline)) {
    throw new Error(`bench ${suite.name}: baseline ${suite.baseline} is not one of its cases`);
  }
  return suite;
}
