/**
 * The CLI's client for commands that read or change shared state: they talk to a running server
 * over HTTP with the operator token. The token comes from `--operator-token`, else
 * CUSTOS_OPERATOR_TOKEN, else — only when the server is on loopback — the file a dev server wrote
 * to `<data dir>/operator-token`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaseError, isErrorCode } from '@custos/core';
import { isLoopbackHost } from '@custos/server';

export interface ClientOptions {
  server: string;
  operatorToken?: string;
  dataDir: string;
}

export function resolveOperatorToken(options: ClientOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (options.operatorToken) return options.operatorToken;
  if (env.CUSTOS_OPERATOR_TOKEN) return env.CUSTOS_OPERATOR_TOKEN;
  const host = new URL(options.server).hostname;
  if (!isLoopbackHost(host)) return undefined;
  try {
    return readFileSync(join(options.dataDir, 'operator-token'), 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function callServer<T>(options: ClientOptions, method: string, path: string, body?: unknown): Promise<T> {
  let base: URL;
  try {
    base = new URL(options.server);
  } catch (cause) {
    throw new BaseError('INVALID_INPUT', `--server is not a URL: ${options.server}`, { cause });
  }
  const token = resolveOperatorToken(options);
  if (token !== undefined && base.protocol === 'http:' && !isLoopbackHost(base.hostname)) {
    throw new BaseError('INVALID_INPUT', `refusing to send the operator token over plain HTTP to ${base.host}`, {
      hints: ['Use an https:// --server URL (or a loopback one).'],
    });
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(new URL(path, base), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new BaseError('SERVER_UNREACHABLE', `cannot reach the custos server at ${base.origin}`, {
      hints: ['Start one with `custos serve`, or pass --server URL.'],
      cause,
    });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch (cause) {
    throw new BaseError('RPC_REQUEST_FAILED', `the server answered ${response.status} with a body that is not JSON`, {
      cause,
    });
  }
  if (!response.ok) {
    const error = (parsed ?? {}) as { code?: unknown; message?: unknown };
    const code = isErrorCode(error.code) ? error.code : 'RPC_REQUEST_FAILED';
    const message = typeof error.message === 'string' ? error.message : `the server answered ${response.status}`;
    throw new BaseError(code, message, { details: { status: response.status } });
  }
  return parsed as T;
}
