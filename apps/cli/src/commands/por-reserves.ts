/**
 * `custos por reserves`: reads the reserve file, the round's root (checked against `--pubkey`, or
 * its own key, which is then reported as not pinned) and the Bitcoin balance list, and runs the
 * round's reserves check (`reservesReport` in `@custos/por`): ownership at the round message
 * (`custos proof of reserves: round <roundId>` unless `--message` says otherwise), balances at the
 * snapshot, exact ratios per asset.
 */
import { readFileSync } from 'node:fs';
import { BaseError } from '@custos/core';
import {
  type EvmTokenConfig,
  parseBtcBalances,
  parseReserveFile,
  parseRootFile,
  type ReservesReport,
  roundMessage,
  reservesReport as runReservesReport,
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

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw usageError(`cannot read ${flag} ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, cause);
  }
}

function tokenConfig(specs: readonly string[] | undefined): Record<string, EvmTokenConfig> {
  const out: Record<string, EvmTokenConfig> = {};
  for (const spec of specs ?? []) {
    const m = /^([A-Za-z0-9._-]+)=(0x[0-9a-fA-F]{40})(?::([0-9]{1,2}))?$/.exec(spec);
    if (m === null) throw usageError(`--token must be ASSET=0xcontract[:decimals]: ${spec}`);
    out[(m[1] as string).toUpperCase()] = {
      contract: m[2] as string,
      ...(m[3] === undefined ? {} : { decimals: Number(m[3]) }),
    };
  }
  return out;
}

export async function reservesReport(
  flags: ReservesFlags,
): Promise<ReservesReport & { signer: ReturnType<typeof verifyRootSignature> }> {
  if (flags.anyMessage === true && flags.message !== undefined)
    throw usageError('give --message or --any-message, not both');
  const root = parseRootFile(JSON.parse(readText(flags.root, '--root')));
  const signer = verifyRootSignature(root, flags.pubkey === undefined ? undefined : readPublicKey(flags.pubkey));
  const anyMessage = flags.anyMessage === true;
  if (anyMessage) {
    process.stderr.write('custos: accepting any signed message: a signature from an earlier round would pass too\n');
  }
  const file = parseReserveFile(readText(flags.addresses, '--addresses'));
  let block: number | undefined;
  if (flags.block !== undefined) {
    block = Number(flags.block);
    if (!/^[0-9]+$/.test(flags.block) || !Number.isSafeInteger(block))
      throw usageError('--block must be a block number');
  }
  let rpc: { request(args: { method: string; params?: readonly unknown[] }): Promise<unknown> } | undefined;
  if (flags.rpcUrl !== undefined) {
    const client = createClient({ transport: http(flags.rpcUrl, { retryCount: 2 }) });
    rpc = { request: (args) => client.request(args as never) };
  }
  const report = await runReservesReport({
    root,
    rows: file.rows,
    expectedMessage: anyMessage ? null : (flags.message ?? roundMessage(root.roundId)),
    ...(rpc === undefined ? {} : { rpc }),
    ...(block === undefined ? {} : { block }),
    tokens: tokenConfig(flags.token),
    ...(flags.btcBalances === undefined
      ? {}
      : { btcBalances: parseBtcBalances(readText(flags.btcBalances, '--btc-balances')) }),
  }).catch((error: unknown) => {
    const missing =
      error instanceof BaseError ? (error.details as { missing?: string } | undefined)?.missing : undefined;
    if (missing === 'rpc') throw usageError('EVM reserve rows need --rpc-url to read their balances', error);
    if (missing === 'block') throw usageError(`${(error as Error).message}: give --block`, error);
    throw error;
  });
  return { roundId: report.roundId, signer, message: report.message, table: report.table, addresses: report.addresses };
}
