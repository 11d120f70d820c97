/**
 * Tests of the hostile RPC proxy against a tiny scripted node, so the other tests can rely on it
 * doing exactly what it claims: refusing only eth_getLogs ranges above the limit (per item in a
 * batch, resolving block tags), failing the share of requests it is set to in the three promised
 * ways and reproducibly for a seed, sparing the methods it is told to, and closing promptly.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RpcProxy, startRpcProxy } from './rpc-proxy.js';

/** A node that answers every call with its method and params, and eth_blockNumber with 0x64 (100). */
let node: Server;
let nodeUrl: string;
let nodeCalls = 0;

beforeAll(async () => {
  node = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const answer = (call: { id: unknown; method: string; params?: unknown }) => {
        nodeCalls++;
        const result = call.method === 'eth_blockNumber' ? '0x64' : { method: call.method, params: call.params };
        return { jsonrpc: '2.0', id: call.id, result };
      };
      const body = Array.isArray(parsed) ? parsed.map(answer) : answer(parsed as never);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
  nodeUrl = `http://127.0.0.1:${(node.address() as AddressInfo).port}`;
});

afterAll(async () => {
  node.closeAllConnections();
  await new Promise((resolve) => node.close(resolve));
});

async function call(proxy: RpcProxy, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(proxy.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

const getLogs = (id: number, fromBlock: string, toBlock: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'eth_getLogs',
  params: [{ fromBlock, toBlock, topics: [] }],
});

describe('startRpcProxy', () => {
  it('refuses eth_getLogs above 500 blocks with -32005 over HTTP 200 and forwards the rest', async () => {
    const proxy = await startRpcProxy({ target: nodeUrl, maxLogRange: 500 });
    try {
      expect(await call(proxy, getLogs(1, '0x0', '0x1f3'))).toEqual({
        status: 200,
        body: {
          jsonrpc: '2.0',
          id: 1,
          result: { method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: '0x1f3', topics: [] }] },
        },
      });
      expect(await call(proxy, getLogs(2, '0x0', '0x1f4'))).toEqual({
        status: 200,
        body: { jsonrpc: '2.0', id: 2, error: { code: -32005, message: 'query exceeds max block range 500' } },
      });
      // 'latest' is the node's head (100): 0..100 is 101 blocks, under the limit.
      expect((await call(proxy, getLogs(3, 'earliest', 'latest'))).body).toMatchObject({ id: 3, result: {} });
      proxy.configure({ maxLogRange: 50 });
      expect((await call(proxy, getLogs(4, 'earliest', 'latest'))).body).toMatchObject({
        id: 4,
        error: { code: -32005 },
      });
      expect(proxy.stats).toEqual({ forwarded: 2, refusedRange: 2, failed: 0, byMethod: { eth_getLogs: 4 } });
    } finally {
      await proxy.close();
    }
  });

  it('refuses per item in a batch of 3 and keeps the order', async () => {
    const proxy = await startRpcProxy({ target: nodeUrl, maxLogRange: 10 });
    try {
      const answer = await call(proxy, [
        getLogs(1, '0x0', '0x9'),
        getLogs(2, '0x0', '0xa'),
        { jsonrpc: '2.0', id: 3, method: 'eth_chainId' },
      ]);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject([
        { id: 1, result: { method: 'eth_getLogs' } },
        { id: 2, error: { code: -32005, message: 'query exceeds max block range 10' } },
        { id: 3, result: { method: 'eth_chainId' } },
      ]);
      expect(proxy.stats).toMatchObject({
        forwarded: 2,
        refusedRange: 1,
        byMethod: { eth_getLogs: 2, eth_chainId: 1 },
      });
    } finally {
      await proxy.close();
    }
  });

  it('fails every request at rate 1 in turn with 503, 429 and a dropped socket, sparing spare methods', async () => {
    const proxy = await startRpcProxy({ target: nodeUrl, failureRate: 1, spareMethods: ['eth_chainId'] });
    try {
      const before = nodeCalls;
      const ping = { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' };
      expect((await call(proxy, ping)).status).toBe(503);
      expect((await call(proxy, ping)).status).toBe(429);
      await expect(call(proxy, ping)).rejects.toThrow('fetch failed');
      expect((await call(proxy, ping)).status).toBe(503);
      expect((await call(proxy, { jsonrpc: '2.0', id: 2, method: 'eth_chainId' })).status).toBe(200);
      // A batch is failed as one HTTP request unless every call in it is spared.
      expect((await call(proxy, [ping, { jsonrpc: '2.0', id: 2, method: 'eth_chainId' }])).status).toBe(429);
      expect(nodeCalls - before).toBe(1);
      expect(proxy.stats).toMatchObject({ forwarded: 1, failed: 5 });
      proxy.configure({ failureRate: 0 });
      expect((await call(proxy, ping)).body).toMatchObject({ result: '0x64' });
    } finally {
      await proxy.close();
    }
  });

  it('fails the same 100 requests for the same seed, about 30 % of them', async () => {
    const pattern = async (seed: number): Promise<boolean[]> => {
      const proxy = await startRpcProxy({ target: nodeUrl, failureRate: 0.3, seed });
      try {
        const failed: boolean[] = [];
        for (let i = 0; i < 100; i++) {
          const before = proxy.stats.failed;
          await call(proxy, { jsonrpc: '2.0', id: i, method: 'eth_blockNumber' }).catch((error: unknown) => {
            // The dropped socket is one of the failures: it is counted below, not lost.
            if (!(error instanceof TypeError)) throw error;
          });
          failed.push(proxy.stats.failed > before);
        }
        return failed;
      } finally {
        await proxy.close();
      }
    };
    const first = await pattern(7);
    expect(await pattern(7)).toEqual(first);
    expect(await pattern(8)).not.toEqual(first);
    const count = first.filter(Boolean).length;
    expect(count).toBeGreaterThan(15);
    expect(count).toBeLessThan(45);
  });

  it('refuses bad options and closes with keep-alive connections open', async () => {
    await expect(startRpcProxy({ target: nodeUrl, failureRate: 2 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(startRpcProxy({ target: nodeUrl, maxLogRange: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const proxy = await startRpcProxy({ target: nodeUrl });
    await call(proxy, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' });
    await proxy.close();
    await expect(call(proxy, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' })).rejects.toThrow('fetch failed');
  });
});
