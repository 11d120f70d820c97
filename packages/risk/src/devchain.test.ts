/**
 * The engine against a real chain (the dev chain, on EDR): on-chain facts from JSON-RPC,
 * bytecode fingerprints found wherever the code sits, simulation with asset changes, and the
 * honeypot check wired into a swap's verdict. The corpus cases without a request run here:
 * the "CrimeEnjoyor" sweeper's runtime code is set at fresh addresses with hardhat_setCode, and
 * a type-4 transaction delegating to it, and a transfer to an EOA delegated to it, are blocked;
 * an approve or setApprovalForAll to a contract running the legacy OpenSea proxy code warns with
 * deprecated_spender. The table case → action → findings is printed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DevChain, startDevChain } from '@custos/devchain';
import {
  bytesToHex,
  encodeFunctionData,
  erc20Abi,
  erc721Abi,
  type Hex,
  maxUint256,
  parseAbi,
  parseEther,
  toHex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RiskEngine } from './engine.js';
import { RpcFactsProvider } from './facts.js';
import { ChainSimulator } from './simulator.js';
import type { Address, ScanRequest, Verdict } from './types.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/payloads/', import.meta.url));
const codeOf = (id: string) =>
  (JSON.parse(readFileSync(`${fixtures}${id}.json`, 'utf8')) as { facts: { runtime_bytecode: Hex } }).facts
    .runtime_bytecode;
const SWEEPER = codeOf('bytecode-eip7702-crimeenjoyor-sweeper');
const LEGACY_PROXY = codeOf('bytecode-opensea-legacy-proxy');

const fresh = (): Address => bytesToHex(crypto.getRandomValues(new Uint8Array(20))) as Address;

let chain: DevChain;
let engine: RiskEngine;
let simulating: RiskEngine;
const table: string[] = [];

function row(name: string, verdict: Verdict): void {
  const findings = verdict.findings.filter((f) => f.severity !== 'info').map((f) => `${f.rule}:${f.severity}`);
  table.push(`${name.padEnd(60)} ${verdict.action.padEnd(5)} ${findings.join(', ')}`);
}

async function setCode(address: Address, code: Hex): Promise<void> {
  await chain.request('hardhat_setCode', [address, code]);
}

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
  const client = {
    request: (args: { method: string; params?: unknown }) =>
      chain.request(args.method, (args.params ?? []) as unknown[]),
  };
  const facts = new RpcFactsProvider({ clients: { [chain.chainId]: client } });
  engine = new RiskEngine({ facts });
  simulating = new RiskEngine({
    facts,
    simulator: new ChainSimulator({
      providers: { [chain.chainId]: client },
      routers: { [chain.chainId]: chain.contracts.uniswapV2Router.toLowerCase() as Address },
      facts,
    }),
  });
}, 120_000);

afterAll(async () => {
  console.info(`dev chain: case → action → findings\n${table.join('\n')}`);
  await chain?.close();
});

const user = () => chain.accounts[1] as { address: Address; privateKey: Hex };
const tx = (params: Record<string, unknown>): ScanRequest => ({
  chainId: chain.chainId,
  method: 'eth_sendTransaction',
  params: [{ from: user().address, value: '0x0', ...params }],
});

describe('bytecode fingerprints on the dev chain (corpus: bytecode-eip7702-crimeenjoyor-sweeper)', () => {
  it('a signed type-4 transaction delegating to a fresh address running the sweeper is blocked', async () => {
    const sweeper = fresh();
    await setCode(sweeper, SWEEPER);
    const account = privateKeyToAccount(user().privateKey);
    const nonce = Number(await chain.request('eth_getTransactionCount', [account.address, 'latest']));
    const authorization = await account.signAuthorization({
      address: sweeper,
      chainId: chain.chainId,
      nonce: nonce + 1,
    });
    const raw = await account.signTransaction({
      type: 'eip7702',
      chainId: chain.chainId,
      nonce,
      to: account.address,
      gas: 100_000n,
      maxFeePerGas: 10n ** 9n,
      maxPriorityFeePerGas: 1n,
      authorizationList: [authorization],
    });
    const verdict = await engine.scan({ chainId: chain.chainId, method: 'eth_sendRawTransaction', params: [raw] });
    row('type-4 delegation to the sweeper (fresh address)', verdict);
    expect(verdict.action).toBe('block');
    expect(verdict.findings.find((f) => f.rule === 'malicious_delegate')?.subject).toBe(sweeper);
  });

  it('an ETH transfer to an EOA delegated (0xef0100‖sweeper) to the sweeper is blocked; to a plain EOA it is not', async () => {
    const sweeper = fresh();
    const victim = fresh();
    await setCode(sweeper, SWEEPER);
    await setCode(victim, `0xef0100${sweeper.slice(2)}`);
    const bad = await engine.scan(tx({ to: victim, value: toHex(parseEther('1')) }));
    row('transfer to an EOA delegated to the sweeper', bad);
    expect(bad.action).toBe('block');
    expect(bad.findings.some((f) => f.rule === 'malicious_delegate' && f.subject === victim)).toBe(true);
    const plain = await engine.scan(tx({ to: fresh(), value: toHex(parseEther('1')) }));
    row('transfer to a fresh plain address', plain);
    expect(plain.action).toBe('allow');
  });
});

describe('deprecated spenders (corpus: bytecode-opensea-legacy-proxy)', () => {
  it('approve and setApprovalForAll to a contract running the legacy proxy code warn with deprecated_spender', async () => {
    const proxy = fresh();
    await setCode(proxy, LEGACY_PROXY);
    const approve = await engine.scan(
      tx({
        to: chain.contracts.erc20,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [proxy, 10n] }),
      }),
    );
    row('approve(legacy proxy, 10)', approve);
    const forAll = await engine.scan(
      tx({
        to: chain.contracts.erc721,
        data: encodeFunctionData({ abi: erc721Abi, functionName: 'setApprovalForAll', args: [proxy, true] }),
      }),
    );
    row('setApprovalForAll(legacy proxy, true)', forAll);
    for (const verdict of [approve, forAll]) {
      expect(verdict.action).toBe('warn');
      expect(verdict.findings.some((f) => f.rule === 'deprecated_spender' && f.subject === proxy)).toBe(true);
    }
  });

  it('an approve to a plain contract (the Uniswap router) does not', async () => {
    const router = chain.contracts.uniswapV2Router.toLowerCase() as Address;
    const verdict = await engine.scan(
      tx({
        to: chain.contracts.erc20,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [router, 10n] }),
      }),
    );
    row('approve(Uniswap router, 10)', verdict);
    expect(verdict.findings.some((f) => f.rule === 'deprecated_spender')).toBe(false);
  });
});

describe('on-chain facts in the verdict', () => {
  it('an unlimited approve to an EOA warns for the EOA and the unlimited amount, facts known', async () => {
    const eoa = chain.accounts[5]?.address.toLowerCase() as Address;
    const verdict = await engine.scan(
      tx({
        to: chain.contracts.erc20,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [eoa, maxUint256] }),
      }),
    );
    row('approve(EOA, MAX)', verdict);
    expect(verdict.action).toBe('warn');
    const rules = verdict.findings.map((f) => f.rule);
    expect(rules).toContain('approval_to_eoa');
    expect(rules).toContain('unlimited_approval');
    expect(rules).not.toContain('facts_unavailable');
  });
});

describe('simulation through the engine', () => {
  const swapAbi = parseAbi([
    'function swapExactETHForTokens(uint256 amountOutMin, address[] path, address to, uint256 deadline) payable returns (uint256[])',
  ]);
  const swap = (token: Address) =>
    tx({
      to: chain.contracts.uniswapV2Router,
      value: toHex(parseEther('0.01')),
      data: encodeFunctionData({
        abi: swapAbi,
        functionName: 'swapExactETHForTokens',
        args: [0n, [chain.contracts.weth, token], user().address, 2n ** 40n],
      }),
    });

  it('a simulated transfer reports the tokens out; a simulated approve reports the approval', async () => {
    const to = fresh();
    const transfer = await simulating.scan(
      tx({
        to: chain.contracts.erc20,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, 1234n] }),
      }),
    );
    expect(transfer.simulation?.success).toBe(true);
    expect(transfer.simulation?.assetChanges).toEqual([
      expect.objectContaining({ direction: 'out', asset: 'erc20', amount: '1234', counterparty: to }),
    ]);
    const approve = await simulating.scan(
      tx({
        to: chain.contracts.erc20,
        data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [to, 99n] }),
      }),
    );
    expect(approve.simulation?.approvals).toEqual([
      expect.objectContaining({ standard: 'erc20', spender: to, amount: '99' }),
    ]);
    expect(approve.simulation?.assetChanges).toEqual([]);
  });

  it('buying a honeypot token is blocked (its sell reverts in the same chain); buying cUSD is not', async () => {
    const contracts = chain.contracts as unknown as Record<string, Address>;
    const honeypot = contracts.honeypotToken?.toLowerCase() as Address;
    expect(honeypot).toMatch(/^0x[0-9a-f]{40}$/);
    const bad = await simulating.scan(swap(honeypot));
    row('swap ETH → honeypot token (simulated)', bad);
    expect(bad.action).toBe('block');
    expect(bad.findings.some((f) => f.rule === 'honeypot_token' && f.subject === honeypot)).toBe(true);
    const good = await simulating.scan(swap(chain.contracts.erc20.toLowerCase() as Address));
    row('swap ETH → cUSD (simulated)', good);
    expect(good.findings.some((f) => f.rule === 'honeypot_token')).toBe(false);
    expect(good.simulation?.honeypots?.[0]?.verdict).toBe('ok');
  });
});
