/**
 * Runs one of the TypeScript test helpers in a child process (through tsx, resolving workspace
 * packages to their sources), for tests that need a second process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function spawnTs(
  script: URL,
  args: readonly string[],
  options: { stdin?: 'pipe' | 'ignore' } = {},
): ChildProcess {
  return spawn(process.execPath, ['--conditions=@custos/source', '--import', 'tsx', fileURLToPath(script), ...args], {
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Everything a child process prints, and how it ended. */
export function collect(child: ChildProcess): Promise<ProcessResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
