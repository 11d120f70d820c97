/**
 * Helpers for the must-reject tests (tests only, no test-runner import): catch the MpcError a
 * call throws, reduce it to `{code, check}`, and look for secrets in what an error shows.
 */
import { MpcError } from '../errors.js';

/** The MpcError `fn` throws; throws an Error naming what happened instead (nothing, or another error). */
export function caughtMpcError(fn: () => unknown): MpcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MpcError) return error;
    throw new Error(`expected an MpcError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an MpcError, but nothing was thrown');
}

/** `{code, check}` of the MpcError `fn` throws: compare it with `toEqual`. */
export function mpcFailure(fn: () => unknown): { code: string; check: string } {
  const error = caughtMpcError(fn);
  return { code: error.code, check: error.check };
}

/** Hex and decimal renderings of `secrets` found in an error's message, details or cause chain. */
export function secretsShown(error: unknown, secrets: Iterable<bigint>): string[] {
  let text = '';
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    text += `\n${e.message}\n${JSON.stringify((e as { details?: unknown }).details ?? {})}`;
  }
  const shown: string[] = [];
  for (const secret of secrets) {
    for (const form of [secret.toString(16), secret.toString(10)]) if (text.includes(form)) shown.push(form);
  }
  return shown;
}
