/**
 * Runs the built `custos` binary (apps/cli/dist/bin.js, produced by `npm run build`, which
 * `npm test` runs first) as a child process, as a user would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collect, type ProcessResult } from '@custos/db/testing/process';

export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(BIN))
    throw new Error('apps/cli/dist/bin.js is missing: run `npm run build` (npm test does it first)');
}

export type RunResult = ProcessResult;

export function start(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string): ChildProcess {
  assertBuilt();
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.CUSTOS_OPERATOR_TOKEN;
  return spawn(process.execPath, [BIN, ...args], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
}

/** Resolves when the child has exited, with all it printed. */
export const finished = collect;

export function run(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<RunResult> {
  return finished(start(args, env, cwd));
}

/** Starts `custos serve … --json` and resolves with its ready document (one JSON object). */
export async function serve(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Promise<{ child: ChildProcess; info: Record<string, unknown>; done: Promise<RunResult>; stderr: () => string }> {
  const child = start(['--json', 'serve', ...args], env, cwd);
  const done = finished(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve(JSON.parse(out) as Record<string, unknown>);
      } catch {
        // not complete yet
      }
    });
    void done.then((r) => reject(new Error(`serve exited early (${r.code}): ${r.stderr}`)));
  });
  return { child, info, done, stderr: () => err };
}

/** Sends SIGINT (or another signal) and resolves with the exit and how long it took. */
export async function interrupt(
  child: ChildProcess,
  done: Promise<RunResult>,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<RunResult & { ms: number }> {
  const t0 = Date.now();
  child.kill(signal);
  const result = await done;
  return { ...result, ms: Date.now() - t0 };
}
