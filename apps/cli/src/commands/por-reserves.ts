/**
 * `custos por reserves`: the reserves side of a round. Every address in the reserve file must
 * prove control by a signature over the round's own message (`custos proof of reserves: round
 * <roundId>` unless `--message` says otherwise: a static message, like OKX's, can be replayed from
 * an old round); its balance is read at the snapshot block (EVM over JSON-RPC, Bitcoin-family
 * from a balance file) — never taken from the file's own claim — and only addresses that pass
 * both count. Reserves per asset are compared with the signed root's liabilities, exactly.
 */
import { readFileSync } from 'node:fs';
import { BaseError, Decimal } from '@custos/core';
import {
  type AssetSpec,
  EVM_NETWORKS,
  networkVerifier,
  parseBtcBalances,
  parseReserveFile,
  parseRootFile,
  type ReserveRow,
  readEvmBalances,
  reserveRatios,
  verifyAddressOwnership,
  verifyRootSignature,
} from '@custos/por';
import { createClient, http } from 'viem';
import { usageError } from '../output.js';
import { readPublicKey } from './por.js';

export interface ReservesFlags {
  addresses: string;
  root: string;
  pubkey?: string;
  rpcUrl?: string;
  block?: string;
  btcBalances?: string;
  token?: string[];
  message?: string;
  anyMessage?: boolean;
}

/** The message custos's own rounds ask every reserve address to sign. */
export function roundMessage(roundId: string): string {
  return `custos proof of reserves: round ${roundId}`;
}

/** `USDT-TRC20` → `USDT`: the asset a reserve row holds, as the liabilities name it. */
function assetOf(row: ReserveRow): string {
  return row.asset.split('-')[0]?.trim().toUpperCase() ?? row.asset;
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw usageError(`cannot read ${flag} ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, cause);
  }
}

function addTo(sums: Map<string, Decimal>, asset: string, amount: Decimal): void {
  const previous = sums.get(asset);
  if (previous === undefined) {
    sums.set(asset, amount);
    return;
  }
  const scale = Math.max(previous.scale, amount.scale);
  sums.set(asset, previous.rescale(scale).add(amount.rescale(scale)));
}

function tokenConfig(
  specs: readonly string[] | undefined,
): Record<string, { contract: `0x${string}`; decimals?: number }> {
  const out: Record<string, { contract: `0x${string}`; decimals?: number }> = {};
  for (const spec of specs ?? []) {
    const m = /^([A-Za-z0-9._-]+)=(0x[0-9a-fA-F]{40})(?::([0-9]{1,2}))?$/.exec(spec);
    if (m === null) throw usageError(`--token must be ASSET=0xcontract[:decimals]: ${spec}`);
    out[(m[1] as string).toUpperCase()] = {
      contract: m[2] as `0x${string}`,
      ...(m[3] === undefined ? {} : { decimals: Number(m[3]) }),
    };
  }
  return out;
}

export async function reservesReport(flags: ReservesFlags) {
  if (flags.anyMessage === true && flags.message !== undefined)
    throw usageError('give --message or --any-message, not both');
  const root = parseRootFile(JSON.parse(readText(flags.root, '--root')));
  const signer = verifyRootSignature(root, flags.pubkey === undefined ? undefined : readPublicKey(flags.pubkey));
  const expectedMessage = flags.anyMessage === true ? undefined : (flags.message ?? roundMessage(root.roundId));
  if (expectedMessage === undefined) {
    process.stderr.write('custos: accepting any signed message: a signature from an earlier round would pass too\n');
  }
  const file = parseReserveFile(readText(flags.addresses, '--addresses'));
  const addresses = file.rows.map((row) => ({
    row,
    ownership: verifyAddressOwnership(row, expectedMessage === undefined ? {} : { expectedMessage }),
  }));
  const owned = addresses.filter((a) => a.ownership.valid).map((a) => a.row);
  const reserves = new Map<string, Decimal>();
  const balanceOf = new Map<ReserveRow, { balance: string; source: string }>();

  const evmRows = owned.filter((r) => EVM_NETWORKS.includes(r.network.trim().toUpperCase()));
  if (evmRows.length > 0) {
    if (flags.rpcUrl === undefined) throw usageError('EVM reserve rows need --rpc-url to read their balances');
    const client = createClient({ transport: http(flags.rpcUrl, { retryCount: 2 }) });
    const rpc = { request: (args: { method: string; params?: readonly unknown[] }) => client.request(args as never) };
    const byHeight = new Map<number, ReserveRow[]>();
    for (const row of evmRows) {
      const height = row.snapshotHeight ?? (flags.block === undefined ? undefined : Number(flags.block));
      if (height === undefined || !Number.isSafeInteger(height) || height < 0)
        throw usageError(`line ${row.line}: the row names no snapshot block: give --block`);
      byHeight.set(height, [...(byHeight.get(height) ?? []), row]);
    }
    const tokens = tokenConfig(flags.token);
    for (const [height, rows] of byHeight) {
      const queries = rows.map((row) => ({ asset: assetOf(row), address: row.address, line: row.line, row }));
      const read = await readEvmBalances({ rpc, rows: queries, blockNumber: height, tokens });
      for (const b of read.balances) {
        const amount = b.balance;
        addTo(reserves, b.asset.toUpperCase(), amount);
        balanceOf.set(b.row.row, {
          balance: amount.toString(),
          source: `eth_getBalance / balanceOf at block ${height}`,
        });
      }
    }
  }
  const btcRows = owned.filter((r) => networkVerifier(r.network).family === 'utxo');
  if (btcRows.length > 0 && flags.btcBalances !== undefined) {
    const balances = new Map(
      parseBtcBalances(readText(flags.btcBalances, '--btc-balances')).map((b) => [b.address, b.balance] as const),
    );
    for (const row of btcRows) {
      const balance = balances.get(row.address);
      if (balance === undefined) continue;
      addTo(reserves, assetOf(row), balance);
      balanceOf.set(row, { balance: balance.toString(), source: '--btc-balances' });
    }
  }
  const liabilities: Record<string, Decimal> = {};
  for (const [i, asset] of root.assets.entries()) {
    liabilities[asset.symbol.toUpperCase()] = Decimal.parse(root.totals[i], (asset as AssetSpec).scale, `totals[${i}]`);
  }
  const table = reserveRatios({ liabilities, reserves: Object.fromEntries(reserves) }).map((r) => ({
    asset: r.asset,
    liabilities: r.liabilities?.toString() ?? null,
    reserves: r.reserves?.toString() ?? null,
    ratio: r.ratio,
    status: r.status,
  }));
  if (table.length === 0) throw new BaseError('POR_INVALID_INPUT', 'no asset to compare');
  return {
    roundId: root.roundId,
    signer,
    message: expectedMessage ?? null,
    table,
    addresses: addresses.map(({ row, ownership }) => ({
      line: row.line,
      asset: row.asset,
      network: row.network,
      address: row.address,
      ownership: {
        valid: ownership.valid,
        scheme: ownership.scheme,
        ...(ownership.reason === undefined ? {} : { reason: ownership.reason }),
      },
      ...(balanceOf.get(row) ?? { balance: null, source: ownership.valid ? 'no balance source' : 'not counted' }),
    })),
  };
}
