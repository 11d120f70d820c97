/**
 * Reads the on-chain balances of reserve addresses at the snapshot height over Ethereum JSON-RPC:
 * `eth_getBalance(address, block)` for the chain's native asset and ERC-20 `balanceOf(address)`
 * through `eth_call(…, block)` for token rows whose contract is configured (decimals from the
 * configuration, or the token's `decimals()` at the same block). Every read names the block
 * explicitly, so a later transfer never leaks into the snapshot; reading old blocks needs an
 * archive node. Amounts are exact: the integer the node returns becomes a `Decimal` at the asset's
 * decimals, and per-asset totals are summed on those integers.
 */
import { BaseError, Decimal, describeValue, MAX_DECIMAL_SCALE } from '@custos/core';
import {
  type Address,
  decodeFunctionResult,
  encodeFunctionData,
  erc20Abi,
  getAddress,
  type Hex,
  isAddress,
} from 'viem';

/** Anything with an EIP-1193 `request` (a viem transport, a provider, a thin fetch wrapper). */
export interface ReserveRpc {
  request(args: { method: string; params?: readonly unknown[] }): Promise<unknown>;
}

export interface EvmTokenConfig {
  /** The token contract on this chain. */
  readonly contract: string;
  /** The token's decimals; read from `decimals()` at the snapshot block when left out. */
  readonly decimals?: number;
}

/** What a balance read needs from a row; {@link ReserveRow} fits. */
export interface EvmBalanceQuery {
  readonly asset: string;
  readonly address: string;
  /** The balance the exchange claims, compared with what the chain says. */
  readonly amount?: Decimal;
  readonly line?: number;
}

export interface ReadEvmBalancesParameters<Row extends EvmBalanceQuery = EvmBalanceQuery> {
  readonly rpc: ReserveRpc;
  /** Rows of this chain only. */
  readonly rows: readonly Row[];
  /** The snapshot height. */
  readonly blockNumber: bigint | number;
  /** Token rows by asset name (case-insensitive), e.g. `{ USDT: { contract: '0xdAC1…', decimals: 6 } }`. */
  readonly tokens?: Readonly<Record<string, EvmTokenConfig>>;
  /** The asset name of the chain's native coin in the rows; default `ETH`. */
  readonly nativeAsset?: string;
  /** Default 18. */
  readonly nativeDecimals?: number;
  /** Requests in flight at once; default 8. */
  readonly concurrency?: number;
}

export interface EvmBalance<Row extends EvmBalanceQuery = EvmBalanceQuery> {
  readonly row: Row;
  readonly asset: string;
  readonly address: Address;
  readonly kind: 'native' | 'erc20';
  /** The token contract for `erc20` reads. */
  readonly contract?: Address;
  readonly blockNumber: bigint;
  readonly balance: Decimal;
  /** Whether the chain balance equals the row's claimed amount (compared exactly), when it claims one. */
  readonly matchesClaim?: boolean;
}

export interface ReadEvmBalancesReturnType<Row extends EvmBalanceQuery = EvmBalanceQuery> {
  readonly balances: readonly EvmBalance<Row>[];
  /** Rows that were not read: their asset is neither the native coin nor a configured token. */
  readonly skipped: readonly { readonly row: Row; readonly reason: 'no-token-contract' }[];
  /** Sum of `balances` per asset. */
  readonly totals: Readonly<Record<string, Decimal>>;
}

function invalid(field: string, expected: string, got: unknown): BaseError {
  return new BaseError('POR_INVALID_INPUT', `"${field}" expected ${expected}, got ${describeValue(got)}`, {
    details: { field },
  });
}

function rpcFailed(method: string, message: string, details: Record<string, string>, cause?: unknown): BaseError {
  return new BaseError('RPC_REQUEST_FAILED', `${method} failed: ${message}`, {
    details: { method, ...details },
    hints: ['Balances at an old snapshot height need an archive node.'],
    cause,
  });
}

function checkDecimals(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_DECIMAL_SCALE) {
    throw invalid(field, `an integer 0..${MAX_DECIMAL_SCALE}`, value);
  }
  return value;
}

async function call(rpc: ReserveRpc, method: string, params: readonly unknown[], details: Record<string, string>) {
  let result: unknown;
  try {
    result = await rpc.request({ method, params });
  } catch (error) {
    throw rpcFailed(method, error instanceof Error ? error.message : String(error), details, error);
  }
  if (typeof result !== 'string' || !/^0x[0-9a-fA-F]*$/.test(result)) {
    throw rpcFailed(method, `the node answered ${describeValue(result)}, not hex`, details);
  }
  return result as Hex;
}

/** Runs `task` over `items` with at most `limit` in flight, keeping the input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function sameClaim(balance: Decimal, claim: Decimal): boolean {
  const scale = Math.max(balance.scale, claim.scale);
  return balance.rescale(scale).equals(claim.rescale(scale));
}

/**
 * Reads native and ERC-20 balances of reserve rows at one block.
 *
 * @throws {BaseError} `POR_INVALID_INPUT` for a bad block number, address, token contract or
 *   decimals; `RPC_REQUEST_FAILED` when the node fails or answers something that is not a
 *   quantity (for instance a token with no code at that block).
 */
export async function readEvmBalances<Row extends EvmBalanceQuery>(
  parameters: ReadEvmBalancesParameters<Row>,
): Promise<ReadEvmBalancesReturnType<Row>> {
  const { rpc, rows, blockNumber, tokens = {}, nativeAsset = 'ETH', concurrency = 8 } = parameters;
  if (rpc === null || typeof rpc !== 'object' || typeof rpc.request !== 'function') {
    throw invalid('rpc', 'an object with request()', rpc);
  }
  if (!Array.isArray(rows)) throw invalid('rows', 'an array', rows);
  const block =
    typeof blockNumber === 'number' && Number.isSafeInteger(blockNumber) ? BigInt(blockNumber) : blockNumber;
  if (typeof block !== 'bigint' || block < 0n) throw invalid('blockNumber', 'a non-negative integer', blockNumber);
  const blockTag = `0x${block.toString(16)}`;
  const nativeDecimals = checkDecimals(parameters.nativeDecimals ?? 18, 'nativeDecimals');
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw invalid('concurrency', 'a positive integer', concurrency);

  const tokenByAsset = new Map<string, { contract: Address; decimals?: number }>();
  for (const [asset, config] of Object.entries(tokens)) {
    if (!isAddress(config.contract, { strict: false }))
      throw invalid(`tokens.${asset}.contract`, 'an address', config.contract);
    tokenByAsset.set(asset.toUpperCase(), {
      contract: getAddress(config.contract),
      ...(config.decimals === undefined
        ? {}
        : { decimals: checkDecimals(config.decimals, `tokens.${asset}.decimals`) }),
    });
  }

  const decimalsCache = new Map<Address, Promise<number>>();
  const tokenDecimals = (contract: Address, configured: number | undefined): Promise<number> => {
    if (configured !== undefined) return Promise.resolve(configured);
    let pending = decimalsCache.get(contract);
    if (pending === undefined) {
      const data = encodeFunctionData({ abi: erc20Abi, functionName: 'decimals' });
      pending = call(rpc, 'eth_call', [{ to: contract, data }, blockTag], { contract, block: block.toString() }).then(
        (raw) => {
          try {
            return checkDecimals(
              decodeFunctionResult({ abi: erc20Abi, functionName: 'decimals', data: raw }),
              'decimals',
            );
          } catch (error) {
            throw rpcFailed('eth_call', 'decimals() did not return a number', { contract }, error);
          }
        },
      );
      decimalsCache.set(contract, pending);
    }
    return pending;
  };

  const skipped: { row: Row; reason: 'no-token-contract' }[] = [];
  const work: { row: Row; address: Address; token: { contract: Address; decimals?: number } | null }[] = [];
  rows.forEach((row, i) => {
    if (!isAddress(row.address, { strict: false })) {
      throw invalid(`rows[${i}].address`, 'a 20-byte EVM address', row.address);
    }
    const address = getAddress(row.address);
    if (row.asset.toUpperCase() === nativeAsset.toUpperCase()) {
      work.push({ row, address, token: null });
      return;
    }
    const token = tokenByAsset.get(row.asset.toUpperCase());
    if (token === undefined) skipped.push({ row, reason: 'no-token-contract' });
    else work.push({ row, address, token });
  });

  const balances = await mapLimited(work, concurrency, async ({ row, address, token }): Promise<EvmBalance<Row>> => {
    const details = { address, block: block.toString() };
    let units: bigint;
    let scale: number;
    if (token === null) {
      const raw = await call(rpc, 'eth_getBalance', [address, blockTag], details);
      if (raw.length < 3 || raw.length > 66) throw rpcFailed('eth_getBalance', `the node answered ${raw}`, details);
      units = BigInt(raw);
      scale = nativeDecimals;
    } else {
      const data = encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [address] });
      const raw = await call(rpc, 'eth_call', [{ to: token.contract, data }, blockTag], {
        ...details,
        contract: token.contract,
      });
      try {
        units = decodeFunctionResult({ abi: erc20Abi, functionName: 'balanceOf', data: raw });
      } catch (error) {
        throw rpcFailed(
          'eth_call',
          'balanceOf() did not return a uint256',
          { ...details, contract: token.contract },
          error,
        );
      }
      scale = await tokenDecimals(token.contract, token.decimals);
    }
    const balance = Decimal.fromUnits(units, scale);
    return {
      row,
      asset: row.asset,
      address,
      kind: token === null ? 'native' : 'erc20',
      ...(token === null ? {} : { contract: token.contract }),
      blockNumber: block,
      balance,
      ...(row.amount === undefined ? {} : { matchesClaim: sameClaim(balance, row.amount) }),
    };
  });

  const totals: Record<string, Decimal> = {};
  for (const { asset, balance } of balances) {
    const current = totals[asset];
    totals[asset] = current === undefined ? balance : current.add(balance);
  }
  return { balances, skipped, totals };
}
