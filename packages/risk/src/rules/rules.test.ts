/**
 * Rule tests over hand-built intents and static facts: each rule fires on what it names and stays
 * quiet otherwise; the address-poisoning case of the corpus becomes a test over a counterparty
 * history; fingerprints are matched by code hash, whatever the address.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keccak256 } from 'viem';
import { describe, expect, it } from 'vitest';
import { RiskEngine } from '../engine.js';
import { StaticFactsProvider } from '../facts.js';
import { defaultFingerprints } from '../fingerprints.js';
import { KnownTokens } from '../known-tokens.js';
import type { Address, Decoded, Intent } from '../types.js';
import { lookAlikes } from './accounts.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/payloads/', import.meta.url));
const payload = (id: string) => JSON.parse(readFileSync(`${fixtures}${id}.json`, 'utf8'));

const USER: Address = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const TOKEN: Address = '0x1111111111111111111111111111111111111111';
const SPENDER: Address = '0x2222222222222222222222222222222222222222';
const MAX = ((1n << 256n) - 1n).toString();

function tx(intents: Intent[]): Decoded {
  return {
    type: 'transaction',
    method: 'eth_sendTransaction',
    transaction: { chainId: 1, from: USER, value: '0', data: '0x', type: 'eip1559' },
    intents,
  };
}

function engine(facts: ConstructorParameters<typeof StaticFactsProvider>[0] = {}, now = 1_800_000_000) {
  return new RiskEngine({ facts: new StaticFactsProvider(facts), knownTokens: new KnownTokens(), now: () => now });
}

const approve = (amount: string, spender = SPENDER): Intent => ({
  kind: 'approval',
  standard: 'erc20',
  method: 'approve',
  token: TOKEN,
  spender,
  amount,
  path: 'tx',
  actor: USER,
});

async function rulesOf(e: RiskEngine, decoded: Decoded, history: Address[] = []) {
  const v = await e.judge(decoded, { chainId: 1, history });
  return { action: v.action, rules: v.findings.map((f) => `${f.rule}:${f.severity}`) };
}

describe('address poisoning (corpus case incident-addr-poisoning-zero-value, as a rule over history)', () => {
  const c = payload('incident-addr-poisoning-zero-value');
  // The victim's real counterparty, and a look-alike ground by a vanity generator (same first 5 and
  // last 7 hex digits), as the case's zero-value-transfer and dust heuristics describe.
  const real: Address = '0xa9d1e08c7793af67e9d92fe308d5697fb81d3e43';
  const poisoned: Address = '0xa9d1e7b4c1f09e2d8a3c55e0b6f1d2c0f81d3e43';

  it('the corpus case is an observed-transaction case that expects warn', () => {
    expect(c.method).toBe('observed_tx');
    expect(c.expected.action).toBe('warn');
  });

  it('warns when the recipient imitates a past counterparty (≥ 4 leading and trailing digits)', async () => {
    const send: Intent = { kind: 'native-transfer', to: poisoned, amount: '1', path: 'tx', actor: USER };
    const r = await rulesOf(engine(), tx([send]), [real]);
    expect(r.action).toBe('warn');
    expect(r.rules).toContain('address_poisoning:warning');
    expect(lookAlikes(poisoned, [real])[0]).toMatchObject({ address: real, prefix: 5, suffix: 7 });
  });

  it('stays quiet for the real counterparty itself and for an unrelated address', async () => {
    for (const to of [real, '0x9999999999999999999999999999999999999999' as Address]) {
      const send: Intent = { kind: 'native-transfer', to, amount: '1', path: 'tx', actor: USER };
      const r = await rulesOf(engine(), tx([send]), [real]);
      expect(r.rules.some((x) => x.startsWith('address_poisoning'))).toBe(false);
    }
  });

  it('3 + 3 matching digits are not enough', async () => {
    const near: Address = '0xa9d0000000000000000000000000000000000e43';
    expect(lookAlikes(near, [real])).toEqual([]);
  });
});

describe('approval rules', () => {
  it('an unlimited approval to an unknown spender warns; a small one does not; a revocation is allowed', async () => {
    expect((await rulesOf(engine(), tx([approve(MAX)]))).rules).toContain('unlimited_approval:warning');
    expect((await rulesOf(engine(), tx([approve('1000')]))).action).toBe('allow');
    const revoke = await rulesOf(engine(), tx([approve('0')]));
    expect(revoke.action).toBe('allow');
    expect(revoke.rules).toEqual([]);
  });

  it('2^64 − 1 is unlimited, 2^64 − 2 is not, and more than the known supply is', async () => {
    expect((await rulesOf(engine(), tx([approve(((1n << 64n) - 1n).toString())]))).action).toBe('warn');
    expect((await rulesOf(engine(), tx([approve(((1n << 64n) - 2n).toString())]))).action).toBe('allow');
    const supply = engine({ tokens: { [TOKEN]: { standard: 'erc20', totalSupply: '1000' } } });
    expect((await rulesOf(supply, tx([approve('1001')]))).rules).toContain('unlimited_approval:warning');
    expect((await rulesOf(supply, tx([approve('1000')]))).action).toBe('allow');
  });

  it('an approval to an EOA, a delegated EOA or an undeployed address warns', async () => {
    for (const kind of ['eoa', 'delegated', 'empty'] as const) {
      const r = await rulesOf(engine({ addresses: { [SPENDER]: { kind } } }), tx([approve('5')]));
      expect(r.rules, kind).toContain('approval_to_eoa:warning');
    }
    const contract = await rulesOf(engine({ addresses: { [SPENDER]: { kind: 'contract' } } }), tx([approve('5')]));
    expect(contract.action).toBe('allow');
  });

  it('a spender deployed an hour ago warns; one deployed a year ago does not', async () => {
    const now = 1_800_000_000;
    const young = engine({ addresses: { [SPENDER]: { kind: 'contract', deployedAt: now - 3600 } } }, now);
    expect((await rulesOf(young, tx([approve('5')]))).rules).toContain('young_spender:warning');
    const old = engine({ addresses: { [SPENDER]: { kind: 'contract', deployedAt: now - 365 * 86400 } } }, now);
    expect((await rulesOf(old, tx([approve('5')]))).action).toBe('allow');
  });

  it('ERC-721 approve(0x0, id) is a revocation; approve(x, 0) on an ERC-721 grants NFT #0', async () => {
    const nft = { tokens: { [TOKEN]: { standard: 'erc721' as const } } };
    const grant: Intent = { ...approve('0'), standard: 'ambiguous' } as Intent;
    const r = await rulesOf(engine(nft), tx([grant]));
    expect(r.rules).not.toContain('unlimited_approval:warning');
    // Revoking (spender 0x0) produces no counterparty at all.
    const revoke = { ...approve('7'), standard: 'ambiguous', spender: `0x${'0'.repeat(40)}` } as Intent;
    expect((await rulesOf(engine(nft), tx([revoke]))).rules).toEqual([]);
  });

  it('setApprovalForAll(true) to an unknown operator warns; (false) is a revocation', async () => {
    const grant: Intent = { kind: 'approval-for-all', token: TOKEN, operator: SPENDER, approved: true, path: 'tx' };
    expect((await rulesOf(engine(), tx([grant]))).rules).toContain('set_approval_for_all:warning');
    expect((await rulesOf(engine(), tx([{ ...grant, approved: false } as Intent]))).rules).toEqual([]);
  });
});

describe('fingerprints: by code hash, never by address', () => {
  const sweeper = payload('bytecode-eip7702-crimeenjoyor-sweeper').facts.runtime_bytecode as `0x${string}`;
  const proxy = payload('bytecode-opensea-legacy-proxy').facts.runtime_bytecode as `0x${string}`;

  it('the shipped fingerprints are the two corpus bytecodes', () => {
    const prints = defaultFingerprints();
    expect(prints.get(keccak256(sweeper))?.kind).toBe('malicious-delegate');
    expect(prints.get(keccak256(proxy))?.kind).toBe('deprecated-spender');
  });

  it('a delegation to any address whose code is the sweeper blocks; to other code it warns', async () => {
    const delegate: Address = '0x3333333333333333333333333333333333333333';
    const intent: Intent = { kind: 'delegation', delegate, chainId: 1, nonce: '0', path: 'authorizationList[0]' };
    const bad = engine({ addresses: { [delegate]: { kind: 'contract', codeHash: keccak256(sweeper) } } });
    const r = await rulesOf(bad, tx([intent]));
    expect(r.action).toBe('block');
    expect(r.rules).toContain('malicious_delegate:critical');
    const other = engine({ addresses: { [delegate]: { kind: 'contract', codeHash: keccak256('0x6000') } } });
    expect((await rulesOf(other, tx([intent]))).rules).toContain('eip7702_delegation:warning');
  });

  it('an approval to a contract running the legacy proxy code warns with deprecated_spender', async () => {
    const r = await rulesOf(
      engine({ addresses: { [SPENDER]: { kind: 'contract', codeHash: keccak256(proxy) } } }),
      tx([approve('5')]),
    );
    expect(r.action).toBe('warn');
    expect(r.rules).toContain('deprecated_spender:warning');
  });
});

describe('orders and signatures', () => {
  const NFT: Address = '0x4444444444444444444444444444444444444444';
  const order = (consideration: object[]): Intent =>
    ({
      kind: 'order',
      market: 'seaport',
      offerer: USER,
      offer: [{ asset: 'erc721', token: NFT, id: '1', amount: '1' }],
      consideration,
      path: 'message',
    }) as Intent;
  const typed = (intents: Intent[]): Decoded => ({
    type: 'typed-data',
    method: 'eth_signTypedData_v4',
    signer: USER,
    domain: { chainId: 1 },
    primaryType: 'OrderComponents',
    schema: 'seaport.OrderComponents',
    digest: `0x${'00'.repeat(32)}`,
    intents,
  });

  it('an order that pays the offerer nothing blocks as seaport_farming', async () => {
    const r = await rulesOf(
      engine(),
      typed([order([{ asset: 'erc721', token: NFT, id: '1', amount: '1', recipient: SPENDER }])]),
    );
    expect(r.action).toBe('block');
    expect(r.rules).toContain('seaport_farming:critical');
  });

  it('an order paying the offerer 1 ETH is fine; paying 1000 wei warns as sold for nothing', async () => {
    const zero: Address = `0x${'0'.repeat(40)}`;
    const fair = await rulesOf(
      engine(),
      typed([order([{ asset: 'native', token: zero, amount: (10n ** 18n).toString(), recipient: USER }])]),
    );
    expect(fair.action).toBe('allow');
    const dust = await rulesOf(
      engine(),
      typed([order([{ asset: 'native', token: zero, amount: '1000', recipient: USER }])]),
    );
    expect(dust.rules).toContain('nft_sold_for_nothing:warning');
  });

  it('typed data for another chain warns', async () => {
    const d = typed([]);
    if (d.type === 'typed-data') d.domain.chainId = 137;
    expect((await rulesOf(engine(), d)).rules).toContain('chain_mismatch:warning');
  });
});

describe('token impersonation and the known-token table', () => {
  it('a token calling itself USDT at another address warns, even with a Cyrillic Т', async () => {
    const known = new KnownTokens([
      { chainId: 1, address: '0xdac17f958d2ee523a2206206994597c13d831ec7', symbol: 'USDT' },
    ]);
    for (const symbol of ['USDT', 'usdt', 'USD\u0422', 'ＵＳＤＴ', 'US\u200bDT']) {
      const e = new RiskEngine({
        facts: new StaticFactsProvider({ tokens: { [TOKEN]: { standard: 'erc20', symbol } } }),
        knownTokens: known,
      });
      const send: Intent = {
        kind: 'token-transfer',
        method: 'transfer',
        token: TOKEN,
        to: SPENDER,
        amount: '1',
        path: 'tx',
      };
      expect((await rulesOf(e, tx([send]))).rules, symbol).toContain('token_impersonation:warning');
    }
  });

  it('the shipped table knows mainnet USDT and USDC', () => {
    const table = KnownTokens.loadDefault();
    expect(table.get(1, '0xdac17f958d2ee523a2206206994597c13d831ec7')?.symbol).toBe('USDT');
    expect(table.addressesForSymbol(1, 'USDC')).toContain('0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48');
  });
});
