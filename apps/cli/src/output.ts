/**
 * How the CLI speaks. With `--json`, stdout carries exactly one JSON document (the result, or
 * `{ "error": {code, message} }`); without it, human lines. Logs and progress always go to stderr.
 * Exit codes: 0 success, 1 a negative result, 2 bad usage or bad input (including configuration
 * the process cannot start with).
 */
import { BaseError, ErrorCodes, findBaseError } from '@custos/core';
import { CommanderError } from 'commander';

export const EXIT = { ok: 0, negative: 1, usage: 2 } as const;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const base = findBaseError(error);
  if (base === undefined) return EXIT.negative;
  const kind = ErrorCodes[base.code].kind;
  return kind === 'usage' ? EXIT.usage : EXIT.negative;
}

/** One line on stderr (and the JSON document on stdout with --json); never a stack for known errors. */
export function reportError(error: unknown, json: boolean): number {
  const code = exitCodeFor(error);
  const base = findBaseError(error);
  let message = base?.shortMessage ?? (error instanceof Error ? error.message : String(error));
  if (base !== undefined && ErrorCodes[base.code].kind === 'internal') {
    // A failure the user cannot fix from the message alone: show what went wrong underneath.
    const root = base.walk();
    if (root !== base && root instanceof Error) message = `${message}: ${root.message.split('\n')[0]}`;
  }
  if (!(error instanceof CommanderError)) process.stderr.write(`custos: ${message.split('\n')[0]}\n`);
  if (base === undefined && !(error instanceof CommanderError) && process.env.CUSTOS_DEBUG && error instanceof Error) {
    process.stderr.write(`${error.stack}\n`);
  }
  if (json) {
    const body = base
      ? { code: base.code, message: base.shortMessage }
      : { code: code === EXIT.usage ? 'INVALID_INPUT' : 'INTERNAL', message };
    printJson({ error: body });
  }
  return code;
}

export function usageError(message: string, cause?: unknown): BaseError {
  return new BaseError('INVALID_INPUT', message, { cause });
}
