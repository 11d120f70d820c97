// The risk engine's costs. (1) Decoding calldata against viem's decodeFunctionData (the baseline,
// which knows only the ABI it is given; ours names the intent across every supported standard).
// (2) Scan latency per request, one request per run so median and p99 are per-scan: in process
// with on-chain facts cached (a warmed RpcFactsProvider on the dev chain), with cold facts (a new
// provider per scan, every fact read over HTTP JSON-RPC from the dev chain's server), and with simulation on the dev chain; the
// decode-only time is the baseline. (3) The firewall's overhead: a raw transaction and a read
// through `handleJsonRpc` against the same calls sent straight to the upstream (an in-process
// stub for sends, so only the firewall's own work is measured; the dev chain for reads).
import { defineBench } from '@custos/core/bench';
import { type DevChain, startDevChain } from '@custos/devchain';
import {
  createPublicClient,
  decodeFunctionData,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  http,
  maxUint256,
  parseEther,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { decodeCall } from './decode/calldata.js';
import { decodeRequest } from './decode/request.js';
import { RiskEngine } from './engine.js';
import { RpcFactsProvider } from './facts.js';
import { handleJsonRpc } from './firewall.js';
import { ChainSimulator } from './simulator.js';
import type { Address, ScanRequest } from './types.js';

const TOKEN: Address = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48';

function calldata(size: number): Hex[] {
  const out: Hex[] = [];
  for (let i = 0; i < size; i++) {
    const spender = `0x${(i + 1).toString(16).padStart(40, '0')}` as Address;
    out.push(
      i % 2 === 0
        ? encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spender, BigInt(i)] })
        : encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [spender, BigInt(i)] }),
    );
  }
  return out;
}

const decode = defineBench({
  name: 'risk-decode',
  description: 'decode ERC-20 approve/transfer calldata into intents',
  baseline: 'viem decodeFunctionData',
  size: { full: 10_000, smoke: 20 },
  unit: 'call',
  cases: [
    {
      name: 'viem decodeFunctionData',
      setup: calldata,
      run: (input: Hex[]) => {
        let n = 0;
        for (const data of input) n += decodeFunctionData({ abi: erc20Abi, data }).args.length;
        return n;
      },
    },
    {
      name: 'custos decodeCall',
      setup: calldata,
      run: (input: Hex[]) => {
        let n = 0;
        for (const data of input) n += decodeCall({ to: TOKEN, data, value: '0', path: 'tx', chainId: 1 }).length;
        return n;
      },
    },
  ],
});

interface ScanState {
  chain: DevChain;
  engine: RiskEngine;
  request: ScanRequest;
  makeEngine?: () => RiskEngine;
}

let shared: Promise<DevChain> | undefined;
let users = 0;
/** One dev chain for every case of the file; closed by the last teardown. */
async function devChain(): Promise<DevChain> {
  users++;
  shared ??= startDevChain({ port: 0 });
  return shared;
}
async function release(): Promise<void> {
  users--;
  if (users === 0 && shared !== undefined) {
    const chain = await shared;
    shared = undefined;
    await chain.close();
  }
}

function clientOf(chain: DevChain) {
  return {
    request: (a: { method: string; params?: unknown }) => chain.request(a.method, (a.params ?? []) as unknown[]),
  };
}

function approveRequest(chain: DevChain): ScanRequest {
  const spender = chain.accounts[4]?.address as Address;
  return {
    chainId: chain.chainId,
    method: 'eth_sendTransaction',
    params: [
      {
        from: chain.accounts[1]?.address,
        to: chain.contracts.erc20,
        value: '0x0',
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spender, maxUint256] }),
      },
    ],
  };
}

async function scanSetup(kind: 'cached' | 'cold' | 'simulated' | 'decode'): Promise<ScanState> {
  const chain = await devChain();
  const client = clientOf(chain);
  // Cold facts come over HTTP JSON-RPC (the dev chain's own server), as from a real node.
  const factsClient =
    kind === 'cold' ? createPublicClient({ transport: http(chain.rpcUrl, { retryCount: 0 }) }) : client;
  const makeEngine = () => {
    const facts = new RpcFactsProvider({ clients: { [chain.chainId]: factsClient } });
    return new RiskEngine({
      facts,
      simulator:
        kind === 'simulated' ? new ChainSimulator({ providers: { [chain.chainId]: client }, facts }) : undefined,
    });
  };
  const engine = makeEngine();
  const request = approveRequest(chain);
  await engine.scan(request); // warms the facts cache
  return kind === 'cold' ? { chain, engine, request, makeEngine } : { chain, engine, request };
}

const scanCase = (name: string, kind: 'cached' | 'cold' | 'simulated' | 'decode') => ({
  name,
  setup: () => scanSetup(kind),
  run: async (s: ScanState) => {
    if (kind === 'decode') return decodeRequest(s.request);
    const engine = s.makeEngine ? s.makeEngine() : s.engine;
    return engine.scan(s.request, { simulate: kind === 'simulated' });
  },
  teardown: () => release(),
});

const scan = defineBench({
  name: 'risk-scan',
  description: 'scan one eth_sendTransaction (unlimited approve) on the dev chain',
  baseline: 'decode only',
  size: { full: 1, smoke: 1 },
  unit: 'scan',
  samples: { warmups: 20, min: 200, budgetMs: 20_000 },
  cases: [
    scanCase('decode only', 'decode'),
    scanCase('scan, facts cached', 'cached'),
    scanCase('scan, cold facts over HTTP JSON-RPC', 'cold'),
    scanCase('scan + simulation', 'simulated'),
  ],
});

interface FirewallState {
  chain: DevChain;
  engine: RiskEngine;
  raws: Hex[];
  next: number;
}

/** Signed transfers to fresh addresses (never sent to a chain: the upstream is a stub). */
async function firewallSetup(size: number): Promise<FirewallState> {
  const chain = await devChain();
  const account = privateKeyToAccount(chain.accounts[2]?.privateKey as Hex);
  const raws: Hex[] = [];
  for (let i = 0; i < Math.max(size, 1) * 64; i++) {
    raws.push(
      await account.signTransaction({
        chainId: chain.chainId,
        nonce: i,
        to: `0x${(i + 7).toString(16).padStart(40, '0')}`,
        value: parseEther('0.001'),
        gas: 21_000n,
        maxFeePerGas: 10n ** 9n,
        maxPriorityFeePerGas: 1n,
      }),
    );
  }
  const engine = new RiskEngine({ facts: new RpcFactsProvider({ clients: { [chain.chainId]: clientOf(chain) } }) });
  return { chain, engine, raws, next: 0 };
}

const stub = { request: async (_args: { method: string; params?: unknown }) => `0x${'ab'.repeat(32)}` };

const firewall = defineBench({
  name: 'risk-firewall',
  description: 'JSON-RPC through the firewall vs straight to the upstream',
  baseline: 'sendRawTransaction, direct',
  size: { full: 1, smoke: 1 },
  unit: 'request',
  samples: { warmups: 20, min: 200, budgetMs: 10_000 },
  cases: [
    {
      name: 'sendRawTransaction, direct',
      setup: firewallSetup,
      run: (s: FirewallState) =>
        stub.request({ method: 'eth_sendRawTransaction', params: [s.raws[s.next++ % s.raws.length]] }),
      teardown: () => release(),
    },
    {
      name: 'sendRawTransaction, through the firewall',
      setup: firewallSetup,
      run: (s: FirewallState) =>
        handleJsonRpc(
          { engine: s.engine, chainId: s.chain.chainId, upstream: stub },
          { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [s.raws[s.next++ % s.raws.length]] },
        ),
      teardown: () => release(),
    },
    {
      name: 'eth_getBalance, direct to the dev chain',
      setup: firewallSetup,
      run: (s: FirewallState) => s.chain.request('eth_getBalance', [s.chain.accounts[0]?.address, 'latest']),
      teardown: () => release(),
    },
    {
      name: 'eth_getBalance, through the firewall',
      setup: firewallSetup,
      run: (s: FirewallState) =>
        handleJsonRpc(
          { engine: s.engine, chainId: s.chain.chainId, upstream: clientOf(s.chain) },
          { jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [s.chain.accounts[0]?.address, 'latest'] },
        ),
      teardown: () => release(),
    },
  ],
});

export default [decode, scan, firewall];
