/**
 * The on-chain facts the risk rules need, behind one small interface (`FactsProvider`): what kind
 * of account an address is (empty, EOA, contract, or an EOA delegated under EIP-7702, whose code is
 * exactly `0xef0100 ‖ delegate`), the hash of the code it runs, when a contract was deployed, and
 * what a token contract says about itself (ERC-165 `supportsInterface` for ERC-721 `0x80ac58cd` and
 * ERC-1155 `0xd9b67a26`, then the optional ERC-20 metadata calls, tolerating the bytes32 symbols of
 * pre-standard tokens such as MKR). `RpcFactsProvider` reads them over JSON-RPC with a per-call
 * timeout, a bounded LRU + TTL cache and in-flight de-duplication; a failing RPC never throws but
 * answers `unknown` with the reason, so the rules can decide without facts and say so.
 * `OfflineFactsProvider` and `StaticFactsProvider` serve offline use and tests. The low-level RPC
 * helpers at the bottom (timeouts, telling a revert from a dead node, safe error text) are shared
 * with the simulator.
 */
import { BaseError } from '@custos/core';
import { keccak256 } from 'viem';
import type { Address, AddressFacts, Hex, TokenFacts, UintString } from './types.js';

export interface FactsProvider {
  address(chainId: number, address: Address): Promise<AddressFacts>;
  token(chainId: number, address: Address): Promise<TokenFacts>;
}

/** Token facts plus why they are missing; `TokenFacts` itself has no field for the reason. */
export type TokenFactsResult = TokenFacts & { reason?: string | undefined };

export interface RpcRequestArguments {
  method: string;
  params?: readonly unknown[] | undefined;
}

/** What the facts provider and the simulator need of a client: EIP-1193 `request` (a viem client fits). */
export interface Eip1193Like {
  request(args: RpcRequestArguments): Promise<unknown>;
}

export type RpcRequestFn = (args: RpcRequestArguments) => Promise<unknown>;

const ERC721_INTERFACE_ID = '0x80ac58cd';
const ERC1155_INTERFACE_ID = '0xd9b67a26';
const SELECTORS = {
  supportsInterface: '0x01ffc9a7',
  decimals: '0x313ce567',
  symbol: '0x95d89b41',
  name: '0x06fdde03',
  totalSupply: '0x18160ddd',
} as const;
/** EIP-7702 delegation designator: `0xef0100` followed by the 20-byte delegate. */
const DELEGATION = /^0xef0100([0-9a-f]{40})$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const NO_CODE = 'no contract code at the address';
/** Longest token name or symbol kept; anything longer is a display attack, not metadata. */
const MAX_TEXT = 128;

export interface CacheLimits {
  /** Most entries kept (least recently used go first). */
  size?: number;
  /** How long an entry stays fresh, in milliseconds. */
  ttlMs?: number;
}

export interface RpcFactsProviderOptions {
  /** chainId → a client (`{ request }`, e.g. a viem PublicClient) or a bare EIP-1193 `request` function. */
  clients: ReadonlyMap<number, Eip1193Like | RpcRequestFn> | Readonly<Record<number, Eip1193Like | RpcRequestFn>>;
  /** Timeout of every single RPC call, in milliseconds; default 5 000. */
  timeoutMs?: number;
  /** Address facts cache; default 10 000 entries, 60 s. */
  addressCache?: CacheLimits;
  /** Token facts cache; default 10 000 entries, 1 h (metadata hardly ever changes). */
  tokenCache?: CacheLimits;
  /** Look up contract deployment times (O(log n) historical `eth_getCode` calls); default true. */
  deploymentTime?: boolean;
  /** Clock for the caches (ms); default `Date.now`. */
  now?: () => number;
}

/** A bounded least-recently-used map whose entries also expire after a fixed time. */
export class TtlLruCache<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>();
  readonly #size: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(size: number, ttlMs: number, now: () => number = Date.now) {
    if (!Number.isSafeInteger(size) || size < 1) throw invalidOption('size', 'a positive integer', size);
    if (!(ttlMs > 0)) throw invalidOption('ttlMs', 'a positive number', ttlMs);
    this.#size = size;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expires <= this.#now()) return undefined;
    this.#entries.set(key, entry); // most recently used goes to the end
    return entry.value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#size) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }
}

/** Facts from JSON-RPC nodes, one per chain. */
export class RpcFactsProvider implements FactsProvider {
  readonly #clients = new Map<number, RpcRequestFn>();
  readonly #timeoutMs: number;
  readonly #deploymentTime: boolean;
  readonly #addresses: TtlLruCache<AddressFacts>;
  readonly #tokens: TtlLruCache<TokenFactsResult>;
  /** Deployment times never change once known: kept without expiry (still bounded). */
  readonly #deployedAt: TtlLruCache<number>;
  readonly #inFlight = new Map<string, Promise<AddressFacts | TokenFactsResult>>();

  constructor(options: RpcFactsProviderOptions) {
    const entries = options.clients instanceof Map ? [...options.clients] : Object.entries(options.clients);
    for (const [chainId, client] of entries) {
      this.#clients.set(Number(chainId), typeof client === 'function' ? client : (args) => client.request(args));
    }
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    if (!(this.#timeoutMs > 0)) throw invalidOption('timeoutMs', 'a positive number', this.#timeoutMs);
    this.#deploymentTime = options.deploymentTime ?? true;
    const now = options.now ?? Date.now;
    const { addressCache = {}, tokenCache = {} } = options;
    this.#addresses = new TtlLruCache(addressCache.size ?? 10_000, addressCache.ttlMs ?? 60_000, now);
    this.#tokens = new TtlLruCache(tokenCache.size ?? 10_000, tokenCache.ttlMs ?? 3_600_000, now);
    this.#deployedAt = new TtlLruCache(100_000, Number.POSITIVE_INFINITY, now);
  }

  async address(chainId: number, address: Address): Promise<AddressFacts> {
    const target = parseAddressField(address);
    return this.#cached(`a:${chainId}:${target}`, this.#addresses, async () => {
      const request = this.#clients.get(chainId);
      if (request === undefined) return { kind: 'unknown', reason: `no RPC configured for chain ${chainId}` };
      try {
        return { answer: await this.#readAddress(chainId, request, target) };
      } catch (error) {
        return { kind: 'unknown', reason: describeRpcFailure(error) };
      }
    });
  }

  async token(chainId: number, address: Address): Promise<TokenFactsResult> {
    const target = parseAddressField(address);
    return this.#cached(`t:${chainId}:${target}`, this.#tokens, async () => {
      const request = this.#clients.get(chainId);
      if (request === undefined) return { standard: 'unknown', reason: `no RPC configured for chain ${chainId}` };
      try {
        const facts = await readTokenFacts(this.#call(request), target);
        // No code yet may be a token about to be deployed (CREATE2): ask again next time.
        return facts.reason === NO_CODE ? facts : { answer: facts };
      } catch (error) {
        return { standard: 'unknown', reason: describeRpcFailure(error) };
      }
    });
  }

  /**
   * Serves from `cache` and shares one lookup among concurrent callers. `load` wraps what the node
   * answered in `{ answer }`, which is cached; a bare value (a failure) is returned uncached.
   */
  async #cached<V extends AddressFacts | TokenFactsResult>(
    key: string,
    cache: TtlLruCache<V>,
    load: () => Promise<V | { answer: V }>,
  ): Promise<V> {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending as Promise<V>;
    const promise = load()
      .then((loaded) => {
        if (!('answer' in loaded)) return loaded;
        cache.set(key, loaded.answer);
        return loaded.answer;
      })
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, promise);
    return promise;
  }

  #call(request: RpcRequestFn): RpcCall {
    return (method, params) => withRpcTimeout(request({ method, params }), this.#timeoutMs, method);
  }

  async #readAddress(chainId: number, request: RpcRequestFn, address: Address): Promise<AddressFacts> {
    const call = this.#call(request);
    const [code, nonceHex] = await Promise.all([
      call('eth_getCode', [address, 'latest']).then((c) => rpcHex(c, 'eth_getCode')),
      call('eth_getTransactionCount', [address, 'latest']).then((n) => rpcHex(n, 'eth_getTransactionCount')),
    ]);
    const nonce = Number(BigInt(nonceHex));
    if (code === '0x') return nonce > 0 ? { kind: 'eoa', nonce } : { kind: 'empty', nonce };
    const delegation = DELEGATION.exec(code);
    if (delegation?.[1] !== undefined) {
      const delegate = `0x${delegation[1]}` as Address;
      const delegateCode = rpcHex(await call('eth_getCode', [delegate, 'latest']), 'eth_getCode');
      return { kind: 'delegated', delegate, codeHash: keccak256(delegateCode), nonce };
    }
    const facts: AddressFacts = { kind: 'contract', codeHash: keccak256(code), nonce };
    if (this.#deploymentTime) {
      const deployedAt = await this.#deploymentTimeOf(chainId, call, address);
      if (deployedAt !== undefined) facts.deployedAt = deployedAt;
    }
    return facts;
  }

  /**
   * Binary search for the first block whose state has code at `address` (O(log n) calls), then
   * that block's timestamp. A node without historical state (not an archive node) refuses the
   * old-block reads: the time stays unknown instead of failing the facts.
   */
  async #deploymentTimeOf(chainId: number, call: RpcCall, address: Address): Promise<number | undefined> {
    const key = `${chainId}:${address}`;
    const known = this.#deployedAt.get(key);
    if (known !== undefined) return known;
    let block: bigint;
    try {
      block = await findDeploymentBlock(call, address);
    } catch (error) {
      if (isTimeout(error)) throw error; // a dead node is not a pruned node
      return undefined;
    }
    const header = (await call('eth_getBlockByNumber', [rpcQuantity(block), false])) as { timestamp?: unknown } | null;
    if (typeof header?.timestamp !== 'string') return undefined;
    const timestamp = Number(BigInt(header.timestamp));
    this.#deployedAt.set(key, timestamp);
    return timestamp;
  }
}

/** One JSON-RPC call: method and positional params in, result out. */
export type RpcCall = (method: string, params: readonly unknown[]) => Promise<unknown>;

async function findDeploymentBlock(call: RpcCall, address: Address): Promise<bigint> {
  let high = BigInt(rpcHex(await call('eth_blockNumber', []), 'eth_blockNumber'));
  let low = 0n;
  // Invariant: the code exists at `high`; it may or may not exist at `low`.
  while (low < high) {
    const middle = (low + high) / 2n;
    const code = rpcHex(await call('eth_getCode', [address, rpcQuantity(middle)]), 'eth_getCode');
    if (code === '0x') low = middle + 1n;
    else high = middle;
  }
  return high;
}

/**
 * Reads a token's standard and metadata with `eth_call`s through `call`. A call that reverts (or
 * that the node answers with an error) means "not supported"; a transport failure or a timeout
 * propagates, so the caller can answer `unknown`.
 */
export async function readTokenFacts(call: RpcCall, token: Address): Promise<TokenFactsResult> {
  const code = rpcHex(await call('eth_getCode', [token, 'latest']), 'eth_getCode');
  if (code === '0x') return { standard: 'unknown', reason: NO_CODE };
  const read = async (data: Hex): Promise<Hex | undefined> => {
    try {
      return rpcHex(await call('eth_call', [{ to: token, data }, 'latest']), 'eth_call');
    } catch (error) {
      if (nodeAnswered(error)) return undefined;
      throw error;
    }
  };
  const supports = async (interfaceId: string) =>
    firstWord(await read(`${SELECTORS.supportsInterface}${interfaceId.slice(2).padEnd(64, '0')}`)) === 1n;
  const [is721, is1155, decimalsData, symbolData, nameData, supplyData] = await Promise.all([
    supports(ERC721_INTERFACE_ID),
    supports(ERC1155_INTERFACE_ID),
    read(SELECTORS.decimals),
    read(SELECTORS.symbol),
    read(SELECTORS.name),
    read(SELECTORS.totalSupply),
  ]);
  const decimals = firstWord(decimalsData);
  const totalSupply = firstWord(supplyData);
  const standard = tokenStandard(is721, is1155, decimals !== undefined || totalSupply !== undefined);
  const facts: TokenFactsResult = { standard };
  const symbol = decodeTokenText(symbolData);
  const name = decodeTokenText(nameData);
  if (symbol !== undefined) facts.symbol = symbol;
  if (name !== undefined) facts.name = name;
  if (standard === 'erc20' && decimals !== undefined && decimals <= 255n) facts.decimals = Number(decimals);
  if (totalSupply !== undefined) facts.totalSupply = totalSupply.toString() as UintString;
  if (standard === 'unknown') facts.reason = 'no ERC-165, ERC-20 decimals() or totalSupply() answer';
  return facts;
}

/** ERC-165 answers first; failing those, an ERC-20 `decimals()` or `totalSupply()` answer. */
function tokenStandard(is721: boolean, is1155: boolean, answersErc20: boolean): TokenFacts['standard'] {
  if (is721) return 'erc721';
  if (is1155) return 'erc1155';
  return answersErc20 ? 'erc20' : 'unknown';
}

function firstWord(data: Hex | undefined): bigint | undefined {
  if (data === undefined || data.length < 66) return undefined;
  return BigInt(data.slice(0, 66));
}

/** A `string` return value, or the `bytes32` that pre-standard tokens (MKR, SAI) return instead. */
export function decodeTokenText(data: Hex | undefined): string | undefined {
  if (data === undefined || data.length % 2 !== 0) return undefined;
  const body = data.slice(2);
  const size = body.length / 2;
  const word = (at: number) => BigInt(`0x${body.slice(at * 2, at * 2 + 64)}`);
  let raw: string;
  if (size === 32) {
    const bytes = Buffer.from(body, 'hex');
    const end = bytes.indexOf(0);
    raw = bytes.subarray(0, end === -1 ? 32 : end).toString('hex');
  } else if (size >= 64) {
    const offset = word(0);
    if (offset + 32n > BigInt(size)) return undefined;
    const start = Number(offset);
    const length = word(start);
    if (BigInt(start) + 32n + length > BigInt(size)) return undefined;
    raw = body.slice((start + 32) * 2, (start + 32 + Number(length)) * 2);
  } else {
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(raw, 'hex'));
  } catch {
    // Not UTF-8: there is no honest way to show it as a name.
    return undefined;
  }
  const printable = [...text].filter((ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code >= 0x20 && code !== 0x7f;
  });
  const clean = printable.join('').trim();
  return clean.length === 0 ? undefined : [...clean].slice(0, MAX_TEXT).join('');
}

/** Always unknown: for running without any chain access. */
export class OfflineFactsProvider implements FactsProvider {
  async address(_chainId: number, _address: Address): Promise<AddressFacts> {
    return { kind: 'unknown', reason: 'offline' };
  }

  async token(_chainId: number, _address: Address): Promise<TokenFactsResult> {
    return { standard: 'unknown', reason: 'offline' };
  }
}

export interface StaticFacts {
  /** Keyed by address (any chain) or `chainId:address` (that chain only, wins); case-insensitive. */
  addresses?: Readonly<Record<string, AddressFacts>>;
  tokens?: Readonly<Record<string, TokenFacts>>;
}

/** Facts from a fixed table, for tests and fixtures; anything missing is unknown. */
export class StaticFactsProvider implements FactsProvider {
  readonly #addresses: Map<string, AddressFacts>;
  readonly #tokens: Map<string, TokenFacts>;

  constructor(facts: StaticFacts = {}) {
    const lower = <V>(table: Readonly<Record<string, V>> = {}) =>
      new Map(Object.entries(table).map(([key, value]) => [key.toLowerCase(), value]));
    this.#addresses = lower(facts.addresses);
    this.#tokens = lower(facts.tokens);
  }

  async address(chainId: number, address: Address): Promise<AddressFacts> {
    const key = address.toLowerCase();
    return (
      this.#addresses.get(`${chainId}:${key}`) ??
      this.#addresses.get(key) ?? { kind: 'unknown', reason: 'not in the static facts' }
    );
  }

  async token(chainId: number, address: Address): Promise<TokenFactsResult> {
    const key = address.toLowerCase();
    return (
      this.#tokens.get(`${chainId}:${key}`) ??
      this.#tokens.get(key) ?? { standard: 'unknown', reason: 'not in the static facts' }
    );
  }
}

// ---------------------------------------------------------------------------------------------
// RPC helpers shared with the simulator

function invalidOption(field: string, expected: string, got: unknown): BaseError {
  return new BaseError('INVALID_INPUT', `"${field}" expected ${expected}, got ${String(got)}`, {
    details: { field },
  });
}

/** A 0x-hex address, lowercased; anything else is a RISK_INVALID_REQUEST naming `field`. */
export function parseAddressField(value: string | undefined, field = 'address'): Address {
  if (value === undefined || !ADDRESS.test(value)) {
    const got = value === undefined ? 'nothing' : `"${value.slice(0, 80)}"`;
    throw new BaseError('RISK_INVALID_REQUEST', `"${field}" expected a 20-byte 0x-hex address, got ${got}`, {
      details: { field },
    });
  }
  return value.toLowerCase() as Address;
}

export function rpcQuantity(value: bigint | number): Hex {
  return `0x${value.toString(16)}`;
}

/** A hex string from an RPC answer, lowercased; anything else is a malformed answer. */
export function rpcHex(value: unknown, method: string): Hex {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]*$/.test(value)) {
    throw new BaseError('RPC_REQUEST_FAILED', `${method} returned a malformed answer.`, { details: { method } });
  }
  return value.toLowerCase() as Hex;
}

/** Rejects with RPC_REQUEST_FAILED (details.timeoutMs set) if `promise` has not settled in `ms`. */
export function withRpcTimeout<T>(promise: Promise<T>, ms: number, method: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BaseError('RPC_REQUEST_FAILED', `${method} timed out after ${ms} ms.`, {
            details: { method, timeoutMs: ms },
          }),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isTimeout(error: unknown): boolean {
  return error instanceof BaseError && typeof error.details.timeoutMs === 'number';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The error, its `cause`s and nested `error`/`details` objects, outermost first (bounded). */
export function* rpcErrorChain(error: unknown): Generator<Record<string, unknown>> {
  const queue: unknown[] = [error];
  const seen = new Set<unknown>();
  while (queue.length > 0 && seen.size < 16) {
    const current = queue.shift();
    if (!isRecord(current) || seen.has(current)) continue;
    seen.add(current);
    yield current;
    queue.push(current.cause, current.error, current.details, current.data);
  }
}

/**
 * Whether the node answered (a revert, an unsupported method, a refused transaction) as opposed
 * to not answering at all (connection refused, timeout): only the first leaves the node usable.
 */
export function nodeAnswered(error: unknown): boolean {
  if (isTimeout(error)) return false;
  for (const e of rpcErrorChain(error)) {
    if (typeof e.code === 'number' && e.code !== -1) return true;
    if (typeof e.rpcCode === 'number') return true;
    if (typeof e.data === 'string' && /^0x[0-9a-fA-F]*$/.test(e.data)) return true;
    if (typeof e.message === 'string' && /revert|invalid opcode|out of gas|execution/i.test(e.message)) return true;
  }
  return false;
}

/**
 * A one-line reason for an RPC failure that is safe to show: viem's short message when there is
 * one, the first line otherwise, with any URL (which may carry an API key) replaced.
 */
export function describeRpcFailure(error: unknown): string {
  let text = 'unknown RPC failure';
  if (error instanceof BaseError) text = error.shortMessage;
  else if (error instanceof Error) {
    const short = 'shortMessage' in error && typeof error.shortMessage === 'string' ? error.shortMessage : undefined;
    text = short ?? error.message.split('\n')[0] ?? error.message;
    const details = 'details' in error && typeof error.details === 'string' ? error.details : undefined;
    if (details !== undefined && details.length > 0 && !text.includes(details)) text = `${text} ${details}`;
  } else if (typeof error === 'string') text = error;
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 300);
}
