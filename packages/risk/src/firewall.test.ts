/**
 * The firewall in process: reads forwarded untouched, blocked signing methods answered with the
 * verdict and never forwarded, warnings forwarded unless refused by option, batches answered
 * item by item, malformed bodies answered with JSON-RPC errors, and the EIP-1193 wrapper.
 */
import { describe, expect, it } from 'vitest';
import { RiskEngine } from './engine.js';
import { FIREWALL_REFUSED_CODE, FirewallRefusedError, handleJsonRpc, withFirewall } from './firewall.js';
import { KnownTokens } from './known-tokens.js';

const SIGNER = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const HASH = `0x${'87'.repeat(32)}`;
const APPROVE_MAX = `0x095ea7b3${'00'.repeat(12)}${'99'.repeat(20)}${'ff'.repeat(32)}`;

function upstream() {
  const seen: string[] = [];
  return {
    seen,
    async request(args: { method: string; params?: unknown }) {
      seen.push(args.method);
      if (args.method === 'eth_fail') throw Object.assign(new Error('execution reverted'), { code: 3, data: '0x08c3' });
      return args.method === 'eth_blockNumber' ? '0x10' : `0x${'ab'.repeat(32)}`;
    },
  };
}

const engine = new RiskEngine({ knownTokens: new KnownTokens() });

describe('the JSON-RPC firewall', () => {
  it('forwards reads and answers them as JSON-RPC', async () => {
    const up = upstream();
    const answer = await handleJsonRpc(
      { engine, chainId: 1, upstream: up },
      { jsonrpc: '2.0', id: 7, method: 'eth_blockNumber' },
    );
    expect(answer).toEqual({ jsonrpc: '2.0', id: 7, result: '0x10' });
    expect(up.seen).toEqual(['eth_blockNumber']);
  });

  it('refuses a blocked request with code -32003 and the verdict, and never forwards it', async () => {
    const up = upstream();
    const answer = await handleJsonRpc(
      { engine, chainId: 1, upstream: up },
      { jsonrpc: '2.0', id: 'a', method: 'eth_sign', params: [SIGNER, HASH] },
    );
    expect(answer).toMatchObject({
      id: 'a',
      error: { code: FIREWALL_REFUSED_CODE, data: { verdict: { action: 'block' } } },
    });
    expect(up.seen).toEqual([]);
  });

  it('forwards a warning by default and refuses it with refuseWarnings', async () => {
    const tx = { from: SIGNER, to: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', data: APPROVE_MAX };
    const body = { jsonrpc: '2.0', id: 1, method: 'eth_sendTransaction', params: [tx] };
    const up = upstream();
    expect(await handleJsonRpc({ engine, chainId: 1, upstream: up }, body)).toHaveProperty('result');
    expect(up.seen).toEqual(['eth_sendTransaction']);
    const strict = upstream();
    const refused = await handleJsonRpc({ engine, chainId: 1, upstream: strict, refuseWarnings: true }, body);
    expect(refused).toMatchObject({ error: { code: FIREWALL_REFUSED_CODE, data: { verdict: { action: 'warn' } } } });
    expect(strict.seen).toEqual([]);
  });

  it('reports what it forwarded and the answer (onForwarded), never what it refused or failed to forward', async () => {
    const seen: { method: string; action: string; result: unknown }[] = [];
    const options = {
      engine,
      chainId: 1,
      upstream: upstream(),
      onForwarded: (method: string, _params: unknown, verdict: { action: string }, result: unknown) => {
        seen.push({ method, action: verdict.action, result });
      },
    };
    const tx = { from: SIGNER, to: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', data: APPROVE_MAX };
    await handleJsonRpc(options, [
      { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' },
      { jsonrpc: '2.0', id: 2, method: 'eth_sendTransaction', params: [tx] },
      { jsonrpc: '2.0', id: 3, method: 'eth_sign', params: [SIGNER, HASH] },
    ]);
    expect(seen).toEqual([{ method: 'eth_sendTransaction', action: 'warn', result: `0x${'ab'.repeat(32)}` }]);
    seen.length = 0;
    await withFirewall(options).request({ method: 'eth_sendTransaction', params: [tx] });
    expect(seen.map((s) => s.method)).toEqual(['eth_sendTransaction']);
    const failing = { ...options, upstream: { request: async () => Promise.reject(new Error('node down')) } };
    await handleJsonRpc(failing, { jsonrpc: '2.0', id: 4, method: 'eth_sendTransaction', params: [tx] });
    expect(seen).toHaveLength(1);
  });

  it('answers a batch item by item', async () => {
    const up = upstream();
    const answer = await handleJsonRpc({ engine, chainId: 1, upstream: up }, [
      { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' },
      { jsonrpc: '2.0', id: 2, method: 'eth_sign', params: [SIGNER, HASH] },
      { jsonrpc: '2.0', id: 3, method: 'eth_fail' },
    ]);
    expect(answer).toEqual([
      { jsonrpc: '2.0', id: 1, result: '0x10' },
      expect.objectContaining({ id: 2, error: expect.objectContaining({ code: FIREWALL_REFUSED_CODE }) }),
      { jsonrpc: '2.0', id: 3, error: { code: 3, message: 'execution reverted', data: '0x08c3' } },
    ]);
  });

  it('answers malformed bodies and bad params with JSON-RPC errors, not exceptions', async () => {
    const options = { engine, chainId: 1, upstream: upstream() };
    expect(await handleJsonRpc(options, 'nope')).toMatchObject({ error: { code: -32600 } });
    expect(await handleJsonRpc(options, [])).toMatchObject({ error: { code: -32600 } });
    expect(await handleJsonRpc(options, { jsonrpc: '2.0', id: 1 })).toMatchObject({ error: { code: -32600 } });
    const bad = await handleJsonRpc(options, {
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_sendTransaction',
      params: [{ value: 'x' }],
    });
    expect(bad).toMatchObject({ error: { code: -32602, data: { code: 'RISK_INVALID_REQUEST' } } });
  });

  it('the EIP-1193 wrapper throws FirewallRefusedError with the verdict and passes the rest through', async () => {
    const up = upstream();
    const provider = withFirewall({ engine, chainId: 1, upstream: up });
    expect(await provider.request({ method: 'eth_blockNumber' })).toBe('0x10');
    const error = await provider.request({ method: 'eth_sign', params: [SIGNER, HASH] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FirewallRefusedError);
    expect((error as FirewallRefusedError).verdict.action).toBe('block');
    expect(up.seen).toEqual(['eth_blockNumber']);
  });
});
