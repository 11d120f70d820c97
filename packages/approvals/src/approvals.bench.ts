// Approval discovery at scale on the dev chain: one account with N ERC-20 `Approval` events
// (default 10,000; CUSTOS_BENCH_SIZE sets N) over 10·N blocks, made by real `approve`
// transactions on eight tokens to N/4 (token, spender) pairs, an eighth of them revokes and an
// eighth unlimited, most pairs approved more than once. Everything is read over HTTP JSON-RPC, as
// from a real node, into an embedded PGlite store (nothing to install, so runs compare across
// machines). Cases: the raw `eth_getLogs` pages with discovery's own filter (the baseline: the
// node's cost alone), discovery into an empty store, the full scan into an empty store (discovery,
// a state read of every pair at the head, annotation of every live grant with token and spender
// facts and the risk verdict, wired as the server wires it), the same through viem's batching
// transport, and the re-scan after N/10 more blocks holding N/100 more approvals, as discovery
// alone and as the full scan. Every case is counted against the N events of the history, so
// events/s is history covered per second.
import { defineBench } from '@custos/core/bench';
import { approvalsMigrations, type Database, openPGlite } from '@custos/db';
import { type DevChain, ownArtifact, startDevChain } from '@custos/devchain';
import { LabelService } from '@custos/labels';
import { type Eip1193Like, KnownTokens, RiskEngine, RpcFactsProvider } from '@custos/risk';
import {
  createClient,
  encodeDeployData,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  http,
  keccak256,
  maxUint256,
  stringToHex,
} from 'viem';
import { discoverApprovalEvents } from './discover.js';
import { DISCOVERY_TOPICS, ownerTopic } from './events.js';
import { DEFAULT_MAX_RANGE, toRpcQuantity } from './logs.js';
import { ApprovalScanner } from './scanner.js';
import { ApprovalStore } from './store.js';
import type { Address } from './types.js';

const SMOKE = process.argv.includes('--smoke') || process.argv.includes('--smoke-if-ci');
const EVENTS = SMOKE ? 200 : Number(process.env.CUSTOS_BENCH_SIZE ?? 10_000);
if (!Number.isSafeInteger(EVENTS) || EVENTS < 100) throw new Error('the approvals bench needs at least 100 events');
const BLOCKS_PER_EVENT = 10;
const TOKENS = 8;
const PAIRS = Math.floor(EVENTS / 4);
const NEW_EVENTS = Math.floor(EVENTS / 100);
/** Approvals sent back to back before the chain is advanced by the empty blocks that follow them. */
const GROUP = 10;
/** Above what any `approve` costs, so the node skips estimating every one. */
const APPROVE_GAS = '0x186a0';

interface Approve {
  pair: number;
  amount: bigint;
}

/** A deterministic history, so every run and machine scans the same one. */
function plan(count: number, seed: number): Approve[] {
  let x = seed >>> 0;
  const next = () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return Array.from({ length: count }, () => {
    const pair = Math.floor(next() * PAIRS);
    const kind = next();
    const amount = kind < 0.125 ? 0n : kind < 0.25 ? maxUint256 : BigInt(Math.floor(next() * 1e12) + 1);
    return { pair, amount };
  });
}

const BASE = plan(EVENTS, 0xa99_0001);
const LATER = plan(NEW_EVENTS, 0xa99_0002);

function liveAfter(history: readonly Approve[]): number {
  const last = new Map<number, bigint>();
  for (const a of history) last.set(a.pair, a.amount);
  return [...last.values()].filter((v) => v !== 0n).length;
}
const LIVE_BASE = liveAfter(BASE);
const LIVE_LATER = liveAfter([...BASE, ...LATER]);

const spenderOf = (pair: number): Address => `0x${keccak256(stringToHex(`approvals-bench:${pair}`)).slice(-40)}`;

interface History {
  chain: DevChain;
  rpc: Eip1193Like;
  /** The same node through viem's batching transport (JSON-RPC batches of what is in flight at once). */
  batchedRpc: Eip1193Like;
  owner: Address;
  tokens: Address[];
  /** The head after the first N events: what the full-history cases scan. */
  baseHead: bigint;
  /** Set once the N/100 later events are on the chain. */
  laterHead?: bigint;
  /** One embedded database for the suite: every case empties or rewinds the account first. */
  db: Database;
  store: ApprovalStore;
  labels: LabelService;
  knownTokens: KnownTokens;
  /** The account's checkpoints right after a scan to the base head (JSON), for the re-scan cases. */
  baseCheckpoints?: string;
}

async function send(chain: DevChain, from: Address, to: Address | undefined, data: Hex, gas?: string): Promise<Hex> {
  return (await chain.request('eth_sendTransaction', [
    { from, ...(to === undefined ? {} : { to }), data, ...(gas === undefined ? {} : { gas }) },
  ])) as Hex;
}

async function head(chain: DevChain): Promise<bigint> {
  return BigInt((await chain.request('eth_blockNumber', [])) as Hex);
}

/** Sends the approvals in-process, each group followed by the empty blocks that spread them out. */
async function play(h: History, approvals: readonly Approve[]): Promise<void> {
  for (let i = 0; i < approvals.length; i += GROUP) {
    const group = approvals.slice(i, i + GROUP);
    for (const a of group) {
      const data = encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spenderOf(a.pair), a.amount] });
      await send(h.chain, h.owner, h.tokens[a.pair % TOKENS] as Address, data, APPROVE_GAS);
    }
    await h.chain.request('hardhat_mine', [toRpcQuantity(BigInt(group.length * (BLOCKS_PER_EVENT - 1)))]);
  }
}

let built: Promise<History> | undefined;

/** The chain, history and store every case shares, built once: the re-scans grow the same history. */
function history(): Promise<History> {
  built ??= (async () => {
    const t0 = performance.now();
    const chain = await startDevChain({ port: 0 });
    const owner = chain.accounts[1]?.address.toLowerCase() as Address;
    const deployer = chain.accounts[2]?.address as Address;
    const artifact = ownArtifact('DevUSD');
    const tokens: Address[] = [chain.contracts.erc20.toLowerCase() as Address];
    while (tokens.length < TOKENS) {
      const data = encodeDeployData({ abi: artifact.abi, bytecode: artifact.bytecode, args: [[owner], 10n ** 15n] });
      const hash = await send(chain, deployer, undefined, data);
      const receipt = (await chain.request('eth_getTransactionReceipt', [hash])) as { contractAddress: Address };
      tokens.push(receipt.contractAddress.toLowerCase() as Address);
    }
    const client = createClient({ transport: http(chain.rpcUrl, { retryCount: 0 }) });
    const rpc: Eip1193Like = { request: (a) => client.request(a as never) };
    const batched = createClient({ transport: http(chain.rpcUrl, { retryCount: 0, batch: true }) });
    const batchedRpc: Eip1193Like = { request: (a) => batched.request(a as never) };
    const db = await openPGlite();
    await db.migrate(await approvalsMigrations());
    const h: History = {
      chain,
      rpc,
      batchedRpc,
      owner,
      tokens,
      baseHead: 0n,
      db,
      store: new ApprovalStore(db),
      labels: LabelService.openDefault(),
      knownTokens: KnownTokens.loadDefault(),
    };
    const t1 = performance.now();
    await play(h, BASE);
    h.baseHead = await head(chain);
    process.stderr.write(
      `  history: ${EVENTS} approvals on ${TOKENS} tokens, ${PAIRS} pairs (${LIVE_BASE} live), head ${h.baseHead}; ` +
        `chain, store and labels ${Math.round(t1 - t0)} ms, approvals ${Math.round(performance.now() - t1)} ms\n`,
    );
    return h;
  })();
  return built;
}

/** The history plus the later approvals (played once, after every full-history case). */
async function grownHistory(): Promise<History> {
  const h = await history();
  if (h.laterHead === undefined) {
    const t0 = performance.now();
    await play(h, LATER);
    h.laterHead = await head(h.chain);
    process.stderr.write(
      `  ${NEW_EVENTS} more approvals over ${h.laterHead - h.baseHead} blocks in ${Math.round(performance.now() - t0)} ms\n`,
    );
  }
  return h;
}

/** The full-history cases scan to the latest block: the later approvals must not be there yet. */
async function baseHistory(): Promise<History> {
  const h = await history();
  if (h.laterHead !== undefined) throw new Error('full-history cases must run before the re-scan cases');
  return h;
}

let finished = 0;
/** Closes the chain after the suite's last case. */
async function caseDone(): Promise<void> {
  finished++;
  if (finished === suite.cases.length && built !== undefined) {
    const h = await built;
    built = undefined;
    h.labels.close();
    await h.db.close();
    await h.chain.close();
  }
}

/**
 * A scanner with facts as cold as an account's first scan (the server's facts cache keeps spenders
 * for a minute), wired like the server's: labels and facts for the engine and for annotation.
 */
function scanner(h: History, rpc: Eip1193Like = h.rpc): ApprovalScanner {
  const facts = new RpcFactsProvider({ clients: { [h.chain.chainId]: rpc } });
  return new ApprovalScanner({
    store: h.store,
    chain: (id) => (id === h.chain.chainId ? { rpc } : undefined),
    engine: new RiskEngine({ labels: h.labels, facts, knownTokens: h.knownTokens }),
    labels: h.labels,
    facts,
    freshForMs: 0,
  });
}

// Inside the timed run (the runner has no untimed step between runs); it costs a few milliseconds.
const emptyStore = (h: History) => h.db.exec('TRUNCATE approval_events, approval_scans');

/** Puts the account back where the scan to the base head left it, so each re-scan does the same work. */
async function rewindToBase(h: History): Promise<void> {
  const { chainId } = h.chain;
  await h.db.query('DELETE FROM approval_events WHERE chain_id = $1 AND owner = $2 AND block_number > $3', [
    chainId,
    h.owner,
    h.baseHead,
  ]);
  await h.db.query(
    'UPDATE approval_scans SET scanned_to = $3, checkpoints = $4::jsonb WHERE chain_id = $1 AND owner = $2',
    [chainId, h.owner, h.baseHead, h.baseCheckpoints ?? null],
  );
}

/** The grown history with the account scanned to the base head. */
async function rescanSetup(): Promise<History> {
  const h = await grownHistory();
  if (h.baseCheckpoints === undefined) {
    await emptyStore(h);
    // Discovery to the base head leaves the store as a scan at that head did; the checkpoints are
    // kept verbatim because the re-scan's own rewind drops the one at the base head.
    await discoverApprovalEvents({
      rpc: h.rpc,
      store: h.store,
      chainId: h.chain.chainId,
      owner: h.owner,
      toBlock: h.baseHead,
    });
    const row = await h.db.query<{ checkpoints: unknown }>(
      'SELECT checkpoints FROM approval_scans WHERE chain_id = $1 AND owner = $2',
      [h.chain.chainId, h.owner],
    );
    h.baseCheckpoints = JSON.stringify(row.rows[0]?.checkpoints);
  }
  return h;
}

function check(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`approvals bench: ${what} ${got}, expected ${want}`);
}

const suite = defineBench({
  name: 'approvals',
  description:
    `Approval discovery over HTTP JSON-RPC from the dev chain into PGlite: ${EVENTS} ERC-20 approval events ` +
    `over ${EVENTS * BLOCKS_PER_EVENT} blocks (${TOKENS} tokens, ${PAIRS} pairs, ${LIVE_BASE} live), then a re-scan ` +
    `after ${NEW_EVENTS * BLOCKS_PER_EVENT} more blocks with ${NEW_EVENTS} more approvals (${LIVE_LATER} live); ` +
    `per second: events of the history covered`,
  baseline: 'eth_getLogs pages only',
  size: { full: EVENTS, smoke: EVENTS },
  unit: 'event',
  samples: { warmups: 1, min: 7, budgetMs: 20_000 },
  cases: [
    {
      // Discovery's filter and 10,000-block pages, straight through the viem client: what the
      // node costs with no parsing, storing or checkpoints. (viem's getLogs cannot express the
      // owner topic across several event signatures.)
      name: 'eth_getLogs pages only',
      setup: baseHistory,
      run: async (h: History) => {
        let logs = 0;
        for (let from = 0n; from <= h.baseHead; from += DEFAULT_MAX_RANGE) {
          const to = from + DEFAULT_MAX_RANGE - 1n < h.baseHead ? from + DEFAULT_MAX_RANGE - 1n : h.baseHead;
          const page = (await h.rpc.request({
            method: 'eth_getLogs',
            params: [
              {
                fromBlock: toRpcQuantity(from),
                toBlock: toRpcQuantity(to),
                topics: [DISCOVERY_TOPICS, ownerTopic(h.owner)],
              },
            ],
          })) as unknown[];
          logs += page.length;
        }
        check('logs', logs, EVENTS);
      },
      teardown: caseDone,
    },
    {
      name: 'discovery, empty store',
      setup: baseHistory,
      run: async (h: History) => {
        await emptyStore(h);
        const r = await discoverApprovalEvents({
          rpc: h.rpc,
          store: h.store,
          chainId: h.chain.chainId,
          owner: h.owner,
        });
        check('events', r.events, EVENTS);
      },
      teardown: caseDone,
    },
    {
      name: 'full scan, empty store',
      setup: baseHistory,
      run: async (h: History) => {
        await emptyStore(h);
        const list = await scanner(h).scan(h.chain.chainId, h.owner);
        check('live approvals', list.approvals.length, LIVE_BASE);
      },
      teardown: caseDone,
    },
    {
      name: 'full scan, batched JSON-RPC',
      setup: baseHistory,
      run: async (h: History) => {
        await emptyStore(h);
        const list = await scanner(h, h.batchedRpc).scan(h.chain.chainId, h.owner);
        check('live approvals', list.approvals.length, LIVE_BASE);
      },
      teardown: caseDone,
    },
    {
      name: 're-scan discovery',
      setup: rescanSetup,
      run: async (h: History) => {
        await rewindToBase(h);
        const r = await discoverApprovalEvents({
          rpc: h.rpc,
          store: h.store,
          chainId: h.chain.chainId,
          owner: h.owner,
        });
        // The 64 blocks re-read below the old head may hold old events too.
        if (r.fromBlock !== h.baseHead - 63n || r.events < NEW_EVENTS) {
          throw new Error(`approvals bench: re-scan read ${r.events} events from ${r.fromBlock}`);
        }
      },
      teardown: caseDone,
    },
    {
      name: 're-scan, full',
      setup: rescanSetup,
      run: async (h: History) => {
        await rewindToBase(h);
        const list = await scanner(h).scan(h.chain.chainId, h.owner);
        check('live approvals', list.approvals.length, LIVE_LATER);
      },
      teardown: caseDone,
    },
  ],
});

export default suite;
