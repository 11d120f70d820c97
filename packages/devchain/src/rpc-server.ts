/**
 * The HTTP transport of the dev chain: a plain `node:http` server that passes every request to
 * Hardhat's JSON-RPC handler (JSON-RPC 2.0 over HTTP POST, single and batch). It exists instead of
 * Hardhat's `JsonRpcServer` because that class never reports a failed `listen` (a busy port would
 * hang start-up) and always attaches a WebSocket server. Binding reports EADDRINUSE as a typed
 * `PORT_IN_USE` error, port 0 picks a free port that is read back, and `close()` drops keep-alive
 * connections so the port is free again as soon as it resolves.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BaseError } from '@custos/core';
import type { HttpRequestHandler } from './hardhat.js';

export interface RpcServer {
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

function listenError(error: unknown, host: string, port: number): BaseError {
  const code = error instanceof Error && 'code' in error ? String(error.code) : undefined;
  if (code === 'EADDRINUSE') {
    return new BaseError('PORT_IN_USE', `dev chain port ${port} on ${host} is already in use`, {
      details: { host, port },
      hints: ['Stop the other process on that port, or pick another port (0 chooses a free one).'],
      cause: error,
    });
  }
  return new BaseError(
    'DEVCHAIN_START_FAILED',
    `the dev chain cannot listen on ${host}:${port} (${code ?? 'unknown error'})`,
    {
      details: { host, port, reason: code ?? 'unknown' },
      cause: error,
    },
  );
}

/** IPv6 literals need brackets inside a URL. */
export function httpUrl(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

function bind(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: unknown): void => {
      server.off('listening', onListening);
      reject(listenError(error, host, port));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => {
      if (error === undefined) resolve();
      else
        reject(
          new BaseError('DEVCHAIN_START_FAILED', 'The dev chain JSON-RPC server did not close.', { cause: error }),
        );
    });
    // Without this, idle keep-alive sockets (viem and fetch keep them) hold close() open.
    server.closeAllConnections();
  });
}

/** Starts the HTTP front on host:port and resolves once it is listening. */
export async function startRpcServer(handler: HttpRequestHandler, host: string, port: number): Promise<RpcServer> {
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      // Hardhat's handler turns request errors into JSON-RPC errors itself; reaching here means
      // the socket broke mid-response, so the only thing left is to end it.
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  // A dev chain should not keep a client's idle socket around longer than a browser would.
  server.keepAliveTimeout = 5_000;
  const address = await bind(server, host, port);
  let closing: Promise<void> | undefined;
  return {
    host,
    port: address.port,
    url: httpUrl(host, address.port),
    close: () => {
      closing ??= closeServer(server);
      return closing;
    },
  };
}
