/**
 * Authorization management end to end on a dev chain, through the library: a scripted history
 * (approvals, increases, revokes, allowances spent by transferFrom, Permit2 allowances one of which
 * expires, NFT token and operator approvals, ERC-1155 operators, an approval to an OFAC-listed
 * address, a token deployed during the test) is scanned from the node alone, and the list must
 * equal what the contracts' own view functions say, pair by pair. Then every kind is revoked with
 * a real signed transaction and the next scan finds nothing; signed permits no transaction used
 * yet are listed and revoked by nonce invalidation or by using the EIP-2612 nonce up.
 */
import { approvalsMigrations, type Database, openPGlite } from '@custos/db';
import { type DevChain, PERMIT2_ADDRESS, startDevChain } from '@custos/devchain';
import { LabelService } from '@custos/labels';
import { type Eip1193Like, RiskEngine, RpcFactsProvider } from '@custos/risk';
import {
  createClient,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  erc20Abi,
  http,
  parseAbi,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permitRecordsFromVerdict } from './offchain.js';
import { buildRevocations, sendRevocations } from './revoke.js';
import { type ApprovalList, ApprovalScanner } from './scanner.js';
import { ApprovalStore } from './store.js';
import {
  type History,
  listedOf,
  OFAC_LISTED,
  PERMIT2_ABI,
  randomAddress,
  scriptHistory,
  send,
  truthOf,
} from './testing/history.js';
import { eip2612Permit, permit2Single, permit2Transfer } from './testing/typed-data.js';
import type { Address, Approval } from './types.js';

let chain: DevChain;
let db: Database;
let store: ApprovalStore;
let labels: LabelService;
let scanner: ApprovalScanner;
let rpc: Eip1193Like;
let owner: Address;
let history: History;

const lower = (a: string) => a.toLowerCase() as Address;

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
  db = await openPGlite();
  await db.migrate(await approvalsMigrations());
  store = new ApprovalStore(db);
  labels = LabelService.openDefault();
  const client = createClient({ transport: http(chain.rpcUrl, { retryCount: 0 }) });
  rpc = { request: (args) => client.request(args as never) };
  const facts = new RpcFactsProvider({ clients: { [chain.chainId]: rpc } });
  scanner = new ApprovalScanner({
    store,
    chain: (id) => (id === chain.chainId ? { rpc } : undefined),
    engine: new RiskEngine({ labels, facts }),
    labels,
    facts,
    freshForMs: 0,
  });
  owner = lower(chain.accounts[1]?.address as string);
  history = await scriptHistory(chain, owner, {
    spenderA: lower(chain.accounts[2]?.address as string),
    spenderB: lower(chain.accounts[3]?.address as string),
  });
}, 120_000);

afterAll(async () => {
  await scanner?.close();
  labels?.close();
  await db?.close();
  await chain?.close();
});

const byId = (list: ApprovalList) => new Map(list.approvals.map((a) => [a.id, a]));

describe('discovery on a scripted dev-chain history (17 grants over 6 tokens)', () => {
  let first: ApprovalList;

  it('lists exactly the live grants the contracts report, pair by pair', async () => {
    first = await scanner.scan(chain.chainId, owner);
    expect(first.status).toBe('complete');
    const truth = await truthOf(chain, owner, history.pairs);
    expect(listedOf(first.approvals)).toEqual(truth);
    // The cases the script plants, by name: live ones present, dead ones absent.
    const s = history.spenders;
    const ids = [...truth.keys()].join(' ');
    for (const live of ['plain', 'increased', 'spentPartly', 'ofac', 'p2live', 'p2expiring', 'nftOperator'])
      expect(ids).toContain(s[live]);
    // ERC-721 token approvals are keyed by token id: the approved address is the value.
    expect([...truth.values()]).toContain(s.nftSingle);
    expect([...truth.values()]).not.toContain(s.nftCleared);
    for (const dead of ['revoked', 'spentFully', 'p2lockedDown', 'nftCleared', 'multiRevoked'])
      expect(ids).not.toContain(s[dead]);
    expect(ids).toContain(`operator:${lower(chain.contracts.erc1155)}:${s.multiOperator}`);
    expect(ids).toContain(`erc20:${history.newToken}:${s.newTokenSpender}`);
    expect(truth.get(`erc20:${lower(chain.contracts.erc20)}:${s.increased}`)).toBe('2500');
    expect(truth.get(`erc20:${lower(chain.contracts.erc20)}:${s.spentPartly}`)).toBe('600');
  });

  it('annotates each grant: token metadata, unlimited, value at risk, spender identity, the verdict', async () => {
    const list = byId(first);
    const cusd = lower(chain.contracts.erc20);
    const s = history.spenders;
    const ofac = list.get(`erc20:${cusd}:${OFAC_LISTED}`) as Approval;
    expect(ofac.tokenInfo).toMatchObject({ standard: 'erc20', symbol: 'cUSD', decimals: 6 });
    expect(ofac.unlimited).toBe(true);
    expect(ofac.valueAtRisk.amount).toBe(ofac.balance);
    expect(ofac.spenderInfo).toMatchObject({ tier: 'block', name: expect.stringMatching(/OFAC|LAZARUS/) });
    expect(ofac.verdict.action).toBe('block');
    expect(ofac.verdict.findings.some((f) => f.rule === 'sanctioned_counterparty' && f.subject === OFAC_LISTED)).toBe(
      true,
    );
    expect(ofac.lastChange?.timestamp).toBeGreaterThan(1_600_000_000);

    const plain = list.get(`erc20:${cusd}:${s.plain}`) as Approval;
    expect(plain).toMatchObject({
      amount: '1000',
      unlimited: false,
      valueAtRisk: { amount: '1000', formatted: '0.001' },
    });
    expect(plain.spenderInfo.facts.kind).toBe('empty');
    expect(plain.verdict.decoded.intents[0]).toMatchObject({ kind: 'approval', spender: s.plain, amount: '1000' });

    // Permit2: bounded by the Permit2 allowance, the token's allowance to Permit2 and the balance.
    const p2 = list.get(`permit2:${lower(PERMIT2_ADDRESS)}:${cusd}:${s.p2live}`) as Approval;
    expect(p2).toMatchObject({ kind: 'permit2', amount: '5000', valueAtRisk: { amount: '5000' } });
    expect(p2.expiration).toBeGreaterThan(Math.floor(Date.now() / 1000));
    const p2max = list.get(`permit2:${lower(PERMIT2_ADDRESS)}:${cusd}:${s.p2expiring}`) as Approval;
    expect(p2max.unlimited).toBe(true);
    expect(p2max.valueAtRisk.amount).toBe(p2max.balance);

    const operator = list.get(`operator:${lower(chain.contracts.erc721)}:${s.nftOperator}`) as Approval;
    expect(operator).toMatchObject({ standard: 'erc721', balance: '2', valueAtRisk: { amount: '2' } });
    const multi = list.get(`operator:${lower(chain.contracts.erc1155)}:${s.multiOperator}`) as Approval;
    // The fixture gives each holder ids 1 (1000 units), 2 (10) and 3 (1), read from its transfer logs.
    expect(multi.standard).toBe('erc1155');
    expect(multi.valueAtRisk).toMatchObject({
      amount: '1011',
      items: [
        { tokenId: '1', amount: '1000' },
        { tokenId: '2', amount: '10' },
        { tokenId: '3', amount: '1' },
      ],
    });

    const fresh = list.get(`erc20:${history.newToken}:${s.newTokenSpender}`) as Approval;
    expect(fresh.tokenInfo).toMatchObject({ standard: 'erc20', symbol: 'cUSD' });
    expect(fresh.valueAtRisk.amount).toBe('123456');
  });

  it('prices the value at risk only when a price source is configured', async () => {
    const priced = new ApprovalScanner({
      store,
      chain: () => ({ rpc }),
      engine: new RiskEngine({ labels }),
      price: async (_chainId, token) =>
        token === lower(chain.contracts.erc20) ? { currency: 'USD', price: 1 } : undefined,
    });
    const list = byId(await priced.scan(chain.chainId, owner));
    const plain = list.get(`erc20:${lower(chain.contracts.erc20)}:${history.spenders.plain}`) as Approval;
    expect(plain.valueAtRisk.fiat).toEqual({ currency: 'USD', value: 0.001 });
    const fresh = list.get(`erc20:${history.newToken}:${history.spenders.newTokenSpender}`) as Approval;
    expect(fresh.valueAtRisk.fiat).toBeUndefined();
    expect(byId(first).get(plain.id)?.valueAtRisk.fiat).toBeUndefined();
  });

  it('an incremental re-scan reads only new blocks (plus the last 64) and drops a Permit2 allowance once it expires', async () => {
    await chain.request('evm_increaseTime', [700]);
    await chain.request('hardhat_mine', ['0x5']);
    const before = await store.progress(chain.chainId, owner);
    const list = await scanner.scan(chain.chainId, owner);
    const expired = `permit2:${lower(PERMIT2_ADDRESS)}:${lower(chain.contracts.erc20)}:${history.expiring.spender}`;
    expect(byId(first).has(expired)).toBe(true);
    expect(byId(list).has(expired)).toBe(false);
    expect(listedOf(list.approvals)).toEqual(await truthOf(chain, owner, history.pairs));
    const after = await store.progress(chain.chainId, owner);
    expect(after.scannedTo).toBe((before.scannedTo as bigint) + 5n);
    const events = await store.events(chain.chainId, owner);
    expect(new Set(events.map((e) => `${e.blockNumber}:${e.logIndex}`)).size).toBe(events.length);
  });

  it('revokes every kind with real signed transactions; the next scan lists nothing', async () => {
    const list = await scanner.scan(chain.chainId, owner);
    expect(list.approvals.length).toBeGreaterThanOrEqual(8);
    const revocations = buildRevocations(list.approvals, { chainId: chain.chainId, owner });
    const methods = revocations.map((r) => r.method);
    expect(methods).toContain('approve(spender, 0)');
    expect(methods).toContain('approve(address(0), tokenId)');
    expect(methods).toContain('setApprovalForAll(operator, false)');
    expect(methods).toContain('Permit2.approve(token, spender, 0, 0)');
    for (const r of revocations) {
      expect(r.transaction).toMatchObject({ chainId: chain.chainId, from: owner, value: 0n });
      expect(r.transaction.data).toMatch(/^0x[0-9a-f]{8}/);
    }
    const account = privateKeyToAccount(chain.accounts[1]?.privateKey as `0x${string}`);
    const wallet = createWalletClient({ account, transport: http(chain.rpcUrl) });
    const sent = await sendRevocations(wallet, revocations);
    expect(sent.flatMap((s) => s.revokes).sort()).toEqual(list.approvals.map((a) => a.id).sort());
    const after = await scanner.scan(chain.chainId, owner);
    expect(after.approvals).toEqual([]);
    expect(await truthOf(chain, owner, history.pairs)).toEqual(new Map());
  });

  it('refuses to send a revocation for another chain, or one asking for a trap’s gas, before sending anything', async () => {
    const account = privateKeyToAccount(chain.accounts[1]?.privateKey as `0x${string}`);
    const wallet = createWalletClient({ account, transport: http(chain.rpcUrl) });
    const [revocation] = buildRevocations(
      [
        {
          id: 'erc20:x',
          chainId: 1,
          owner,
          kind: 'erc20',
          token: lower(chain.contracts.erc20),
          spender: randomAddress(),
        },
      ],
      { chainId: 1, owner },
    );
    const nonce = await createPublicClient({ transport: http(chain.rpcUrl) }).getTransactionCount({ address: owner });
    const wrongChain = await sendRevocations(wallet, [revocation as never]).catch((e: unknown) => e);
    expect(wrongChain).toMatchObject({
      code: 'APPROVALS_INVALID_REQUEST',
      details: { revocation: 1, node: chain.chainId },
    });
    const heavy = {
      ...(revocation as never as { transaction: object }),
      transaction: { ...(revocation?.transaction ?? {}), chainId: chain.chainId, gas: 5_000_000n },
    };
    const trap = await sendRevocations(wallet, [heavy as never]).catch((e: unknown) => e);
    expect(trap).toMatchObject({ code: 'APPROVALS_INVALID_REQUEST', details: { gas: '5000000' } });
    expect(await createPublicClient({ transport: http(chain.rpcUrl) }).getTransactionCount({ address: owner })).toBe(
      nonce,
    );
  });

  it('several Permit2 allowances are revoked by one lockdown call', async () => {
    const cusd = lower(chain.contracts.erc20);
    const permit2 = lower(PERMIT2_ADDRESS);
    const spenders = [randomAddress(), randomAddress(), randomAddress()];
    const block = await createPublicClient({ transport: http(chain.rpcUrl) }).getBlock();
    for (const sp of spenders) {
      await send(chain, owner, permit2, encodeP2Approve(cusd, sp, 10n, Number(block.timestamp) + 86_400));
    }
    const list = await scanner.scan(chain.chainId, owner);
    const p2 = list.approvals.filter((a) => a.kind === 'permit2');
    expect(p2).toHaveLength(3);
    const revocations = buildRevocations(p2, { chainId: chain.chainId, owner });
    expect(revocations).toHaveLength(1);
    expect(revocations[0]?.method).toBe('Permit2.lockdown(3 pairs)');
    const account = privateKeyToAccount(chain.accounts[1]?.privateKey as `0x${string}`);
    await sendRevocations(createWalletClient({ account, transport: http(chain.rpcUrl) }), revocations);
    expect((await scanner.scan(chain.chainId, owner)).approvals).toEqual([]);
  });
});

function encodeP2Approve(token: Address, spender: Address, amount: bigint, expiration: number) {
  return encodeFunctionData({ abi: PERMIT2_ABI, functionName: 'approve', args: [token, spender, amount, expiration] });
}

describe('signed permits not yet used (EIP-2612, Permit2 AllowanceTransfer and SignatureTransfer)', () => {
  it('are listed while usable and revoked by nonce invalidation or by using the EIP-2612 nonce up', async () => {
    const signerAccount = chain.accounts[4] as { address: Address; privateKey: `0x${string}` };
    const who = lower(signerAccount.address);
    const account = privateKeyToAccount(signerAccount.privateKey);
    const cusd = lower(chain.contracts.erc20);
    const permit2 = lower(PERMIT2_ADDRESS);
    const spender = randomAddress();
    const engine = new RiskEngine({ labels });
    const block = await createPublicClient({ transport: http(chain.rpcUrl) }).getBlock();
    const deadline = block.timestamp + 86_400n;
    const single = (nonce: bigint) =>
      permit2Single({
        chainId: chain.chainId,
        permit2,
        token: cusd,
        spender,
        amount: 5000n,
        expiration: deadline + 86_400n,
        nonce,
        sigDeadline: deadline,
      });
    const eip2612 = (owner: Address) =>
      eip2612Permit({
        chainId: chain.chainId,
        token: cusd,
        name: 'Custos Dev USD',
        owner,
        spender,
        value: 1_000_000n,
        nonce: 0n,
        deadline,
      });
    const documents: unknown[] = [
      eip2612(who),
      single(0n),
      permit2Transfer({
        chainId: chain.chainId,
        permit2,
        token: cusd,
        spender,
        amount: 777n,
        nonce: 1234567n,
        deadline,
      }),
      // A second PermitSingle for the same pair at the next nonce: usable once the first is used.
      single(1n),
    ];
    // An EIP-2612 permit naming another owner than its signer can never be used: not recorded.
    const foreign = eip2612(randomAddress());
    const foreignVerdict = await engine.scan({
      chainId: chain.chainId,
      method: 'eth_signTypedData_v4',
      params: [who, foreign],
    });
    expect(
      permitRecordsFromVerdict(foreignVerdict, { chainId: chain.chainId, via: 'firewall', typedData: foreign }),
    ).toEqual([]);
    for (const doc of documents) {
      const verdict = await engine.scan({ chainId: chain.chainId, method: 'eth_signTypedData_v4', params: [who, doc] });
      const records = permitRecordsFromVerdict(verdict, { chainId: chain.chainId, via: 'firewall', typedData: doc });
      expect(records).toHaveLength(1);
      for (const r of records) await store.recordPermit(r);
      await store.recordPermit(records[0] as never); // the same permit seen twice is stored once
    }
    expect(await store.permits(chain.chainId, who)).toHaveLength(4);
    const listed = (await scanner.scan(chain.chainId, who)).approvals.filter((a) => a.kind === 'offchain-permit');
    expect(listed.map((a) => a.scheme).sort()).toEqual([
      'eip2612',
      'permit2-allowance',
      'permit2-allowance',
      'permit2-transfer',
    ]);
    for (const a of listed) {
      expect(a.signed?.via).toBe('firewall');
      expect(a.spender).toBe(spender);
      expect(a.verdict.decoded.type).toBe('typed-data');
    }

    const revocations = buildRevocations(listed, { chainId: chain.chainId, owner: who });
    expect(revocations.map((r) => r.method).sort()).toEqual([
      'Permit2.invalidateNonces(token, spender, nonce + 1)',
      'Permit2.invalidateUnorderedNonces(wordPos, mask)',
      'permit(owner, spender, 0) at nonce 0',
    ]);
    await sendRevocations(createWalletClient({ account, transport: http(chain.rpcUrl) }), revocations);
    const reader = createPublicClient({ transport: http(chain.rpcUrl) });
    const nonces = await reader.readContract({
      address: cusd,
      abi: parseAbi(['function nonces(address) view returns (uint256)']),
      functionName: 'nonces',
      args: [who],
    });
    expect(nonces).toBe(1n);
    const [, , p2nonce] = await reader.readContract({
      address: permit2,
      abi: PERMIT2_ABI,
      functionName: 'allowance',
      args: [who, cusd, spender],
    });
    // One invalidation past the highest signed nonce voids both PermitSingles.
    expect(p2nonce).toBe(2);
    const bitmap = await reader.readContract({
      address: permit2,
      abi: PERMIT2_ABI,
      functionName: 'nonceBitmap',
      args: [who, 1234567n >> 8n],
    });
    expect((bitmap >> (1234567n & 255n)) & 1n).toBe(1n);
    const after = await scanner.scan(chain.chainId, who);
    expect(after.approvals.filter((a) => a.kind === 'offchain-permit')).toEqual([]);
    expect(
      await reader.readContract({ address: cusd, abi: erc20Abi, functionName: 'allowance', args: [who, spender] }),
    ).toBe(0n);
  });
});
