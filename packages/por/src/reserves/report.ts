/**
 * The reserves side of one round, end to end: every listed address must prove control by a
 * signature over the round's own message (a static message, like OKX's, can be replayed from an
 * old round); its balance is read at the snapshot height (EVM over JSON-RPC, Bitcoin-family from a
 * balance list), never taken from the file's own claim; only addresses that pass both count.
 * Reserves per asset are then compared with the signed root's liabilities, exactly. The CLI's
 * `custos por reserves` and the dev server's round both call {@link reservesReport}.
 */
import { BaseError, Decimal } from '@custos/core';
import type { RootFile } from '../root.js';
import type { BtcBalance } from './btc-balances.js';
import { type EvmTokenConfig, type ReserveRpc, readEvmBalances } from './evm-balances.js';
import { EVM_NETWORKS, networkVerifier } from './networks.js';
import { verifyAddressOwnership } from './ownership.js';
import type { OwnershipScheme } from './ownership-result.js';
import { type ReserveRatioStatus, reserveRatios } from './ratios.js';
import type { ReserveRow } from './reserve-file.js';

/** The message custos's own rounds ask every reserve address to sign. */
export function roundMessage(roundId: string): string {
  return `custos proof of reserves: round ${roundId}`;
}

export interface ReservesReportParameters {
  /** The round's root, already checked against the exchange's key by the caller. */
  readonly root: RootFile;
  readonly rows: readonly ReserveRow[];
  /** The message every address must have signed; `null` accepts any (replayable across rounds). */
  readonly expectedMessage: string | null;
  /** JSON-RPC for EVM rows; required when the file has any. */
  readonly rpc?: ReserveRpc;
  /** Snapshot block for EVM rows that name none. */
  readonly block?: number;
  /** ERC-20 contracts for token rows, by asset. */
  readonly tokens?: Readonly<Record<string, EvmTokenConfig>>;
  /** Balances of Bitcoin-family addresses at the snapshot; without it those rows count nothing. */
  readonly btcBalances?: readonly BtcBalance[];
}

export interface ReservesTableRow {
  readonly asset: string;
  readonly liabilities: string | null;
  readonly reserves: string | null;
  readonly ratio: string | null;
  readonly status: ReserveRatioStatus;
}

export interface ReserveAddressReport {
  readonly line: number;
  readonly asset: string;
  readonly network: string;
  readonly address: string;
  readonly ownership: { readonly valid: boolean; readonly scheme: OwnershipScheme; readonly reason?: string };
  readonly balance: string | null;
  readonly source: string;
}

/** The reserves table `custos por publish` takes and `GET /v1/por/rounds/latest` returns. */
export interface ReservesReport {
  readonly roundId: string;
  readonly message: string | null;
  readonly table: readonly ReservesTableRow[];
  readonly addresses: readonly ReserveAddressReport[];
}

/** `USDT-TRC20` → `USDT`: the asset a reserve row holds, as the liabilities name it. */
function assetOf(row: ReserveRow): string {
  return row.asset.split('-')[0]?.trim().toUpperCase() ?? row.asset;
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

/** `details.missing` names what the caller must supply (`rpc` or `block`), so a CLI can name its flag. */
function usage(message: string, missing?: 'rpc' | 'block', line?: number): BaseError {
  return new BaseError('POR_INVALID_INPUT', message, {
    ...(missing === undefined ? {} : { details: { missing, ...(line === undefined ? {} : { line }) } }),
  });
}

export async function reservesReport(parameters: ReservesReportParameters): Promise<ReservesReport> {
  const { root, rows, expectedMessage } = parameters;
  const addresses = rows.map((row) => ({
    row,
    ownership: verifyAddressOwnership(row, expectedMessage === null ? {} : { expectedMessage }),
  }));
  const owned = addresses.filter((a) => a.ownership.valid).map((a) => a.row);
  const reserves = new Map<string, Decimal>();
  const balanceOf = new Map<ReserveRow, { balance: string; source: string }>();

  const evmRows = owned.filter((r) => EVM_NETWORKS.includes(r.network.trim().toUpperCase()));
  if (evmRows.length > 0) {
    if (parameters.rpc === undefined)
      throw usage('EVM reserve rows need an RPC endpoint to read their balances', 'rpc');
    const byHeight = new Map<number, ReserveRow[]>();
    for (const row of evmRows) {
      const height = row.snapshotHeight ?? parameters.block;
      if (height === undefined || !Number.isSafeInteger(height) || height < 0)
        throw usage(`line ${row.line}: the row names no snapshot block`, 'block', row.line);
      byHeight.set(height, [...(byHeight.get(height) ?? []), row]);
    }
    for (const [height, heightRows] of byHeight) {
      const queries = heightRows.map((row) => ({ asset: assetOf(row), address: row.address, line: row.line, row }));
      const read = await readEvmBalances({
        rpc: parameters.rpc,
        rows: queries,
        blockNumber: height,
        ...(parameters.tokens === undefined ? {} : { tokens: parameters.tokens }),
      });
      for (const b of read.balances) {
        addTo(reserves, b.asset.toUpperCase(), b.balance);
        balanceOf.set(b.row.row, {
          balance: b.balance.toString(),
          source: `eth_getBalance / balanceOf at block ${height}`,
        });
      }
    }
  }
  const btcRows = owned.filter((r) => networkVerifier(r.network).family === 'utxo');
  if (btcRows.length > 0 && parameters.btcBalances !== undefined) {
    const balances = new Map(parameters.btcBalances.map((b) => [b.address, b.balance] as const));
    for (const row of btcRows) {
      const balance = balances.get(row.address);
      if (balance === undefined) continue;
      addTo(reserves, assetOf(row), balance);
      balanceOf.set(row, { balance: balance.toString(), source: 'balance list' });
    }
  }
  const liabilities: Record<string, Decimal> = {};
  for (const [i, asset] of root.assets.entries()) {
    liabilities[asset.symbol.toUpperCase()] = Decimal.parse(root.totals[i] as string, asset.scale, `totals[${i}]`);
  }
  const table = reserveRatios({ liabilities, reserves: Object.fromEntries(reserves) }).map((r) => ({
    asset: r.asset,
    liabilities: r.liabilities?.toString() ?? null,
    reserves: r.reserves?.toString() ?? null,
    ratio: r.ratio,
    status: r.status,
  }));
  if (table.length === 0) throw usage('no asset to compare');
  return {
    roundId: root.roundId,
    message: expectedMessage,
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
