/**
 * The proof-of-reserves round a `--dev` server builds and publishes at start, so the whole flow —
 * a user fetching and checking their proof, the reserves table, the verifier page — works out of
 * the box. Liabilities: the reference ledger's ETH and CUSD balances (its export, under account
 * ids, as the proof route expects), among generated users whose ids can never be an account's. Reserves: Hardhat dev accounts sign the round's own message and their ETH and cUSD
 * are read at the snapshot block, through the same code `custos por reserves` runs; the
 * liabilities are sized so that every ratio is a little over 100 %. The root is signed with a dev
 * key generated once in `<dataDir>/por-dev-key` (0600); each start builds a new round and drops
 * the dev rounds before it.
 */
import { randomBytes, randomInt } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BaseError, Decimal, type Logger } from '@custos/core';
import type { Database } from '@custos/db';
import type { Ledger } from '@custos/exchange';
import {
  buildLiabilitiesTree,
  keyFingerprint,
  parseReserveFile,
  type ReserveRpc,
  type ReservesReport,
  readEvmBalances,
  reservesReport,
  roundMessage,
} from '@custos/por';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { privateKeyToAccount } from 'viem/accounts';
import type { PorRuntime } from './runtime.js';

/** Hardhat dev accounts whose ownership signatures make up the dev reserves (1–4: 0 deploys). */
export const DEV_RESERVE_ACCOUNTS = [1, 2, 3, 4] as const;
/** Generated users beside the seeded accounts: enough for a proof of realistic depth (11 levels). */
export const DEV_GENERATED_USERS = 1_500;
/** Liabilities as a share of reserves, in basis points: every dev ratio is about 104 %. */
const LIABILITY_SHARE_BPS = 9_600n;

export interface DevRoundParameters {
  dataDir: string;
  db: Database;
  por: PorRuntime;
  rpc: ReserveRpc;
  /** Hardhat's dev accounts (private keys are the public, well-known test keys). */
  chainAccounts: readonly { address: string; privateKey: `0x${string}` }[];
  /** The dev chain's cUSD token. */
  token: { symbol: string; contract: string; decimals: number };
  /** The reference ledger: its accounts' ETH and CUSD are the round's liabilities (under their account ids). */
  ledger: Pick<Ledger, 'exportLiabilities'>;
  logger: Logger;
}

export interface DevRoundInfo {
  roundId: string;
  dir: string;
  users: number;
  /** The dev signing key's public half, which the console pins. */
  publicKey: string;
  fingerprint: string;
  keyFile: string;
  keyGenerated: boolean;
  table: ReservesReport['table'];
}

/** Reads (or generates once) the dev root-signing seed. */
function devSigningSeed(dataDir: string): { seed: Uint8Array; file: string; generated: boolean } {
  const file = join(dataDir, 'por-dev-key');
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(text)) {
      throw new BaseError('INVALID_CONFIG', `${file} is not a 64-hex-digit Ed25519 seed`, {
        hints: ['Delete it: a new dev proof-of-reserves key is generated on the next start.'],
      });
    }
    return { seed: hexToBytes(text), file, generated: false };
  }
  const seed = new Uint8Array(randomBytes(32));
  writeFileSync(file, `${bytesToHex(seed)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { seed, file, generated: true };
}

/** `1234567` at scale 4 → `123.4567`. */
function units(value: bigint, scale: number): string {
  if (scale === 0) return value.toString();
  const digits = value.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Splits `total` units over `n` users at random weights; the parts sum to exactly `total`. */
function split(total: bigint, n: number): bigint[] {
  const weights = Array.from({ length: n }, () => BigInt(1 + randomInt(1_000_000)));
  const sum = weights.reduce((a, b) => a + b, 0n);
  const parts = weights.map((w) => (total * w) / sum);
  const rest = total - parts.reduce((a, b) => a + b, 0n);
  parts[0] = (parts[0] as bigint) + rest;
  return parts;
}

export async function buildDevRound(parameters: DevRoundParameters): Promise<DevRoundInfo> {
  const { dataDir, logger } = parameters;
  const started = performance.now();
  const key = devSigningSeed(dataDir);
  const publicKey = bytesToHex(ed25519.getPublicKey(key.seed));
  const snapshotTime = new Date();
  const roundId = `dev-${snapshotTime
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
  const message = roundMessage(roundId);
  const { token } = parameters;

  // Reserves: each dev reserve account signs this round's message.
  const header = 'digitalAsset,network,address,signedMessage,signedMessage2,message,publicKey,owner1,owner2';
  const rows: string[] = [];
  for (const index of DEV_RESERVE_ACCOUNTS) {
    const account = parameters.chainAccounts[index];
    if (account === undefined) throw new BaseError('INTERNAL', `the dev chain has no account ${index}`);
    const signer = privateKeyToAccount(account.privateKey);
    const signature = await signer.signMessage({ message });
    for (const asset of ['ETH', token.symbol]) rows.push(`${asset},ETH,${signer.address},${signature},,${message},,,`);
  }
  const reserveFile = parseReserveFile(`${header}\n${rows.join('\n')}\n`);
  const block = Number(await parameters.rpc.request({ method: 'eth_blockNumber', params: [] }));

  // Liabilities sized from the reserves at the same block: a share of each total over the users.
  const ETH_SCALE = 8;
  const tokens = { [token.symbol]: { contract: token.contract, decimals: token.decimals } };
  const read = await readEvmBalances({
    rpc: parameters.rpc,
    rows: reserveFile.rows.map((row) => ({ asset: row.asset, address: row.address })),
    blockNumber: block,
    tokens,
  });
  const reserveUnits = (asset: string, scale: number): bigint => {
    const total = read.totals[asset];
    if (total === undefined || total.isZero()) throw new BaseError('INTERNAL', `the dev reserves hold no ${asset}`);
    // Truncated to the liabilities' scale (ETH has 18 decimals on chain, 8 in the snapshot).
    return total.scale <= scale ? total.rescale(scale).units : total.units / 10n ** BigInt(total.scale - scale);
  };
  const assets = [
    { symbol: 'ETH', scale: ETH_SCALE },
    { symbol: token.symbol, scale: token.decimals },
  ];
  const porDir = join(dataDir, 'por');
  mkdirSync(porDir, { recursive: true, mode: 0o700 });
  const dir = join(porDir, roundId);
  const input = join(porDir, `${roundId}.liabilities.csv`);
  // The reference ledger's accounts first (its export is the snapshot format), then generated
  // users holding the rest of the sized liabilities.
  const exported = await parameters.ledger.exportLiabilities(input, { assets: assets.map((a) => a.symbol) });
  for (const [i, column] of exported.assets.entries()) {
    const expected = assets[i];
    if (expected === undefined || column.ccy !== expected.symbol || column.scale !== expected.scale) {
      throw new BaseError(
        'INTERNAL',
        `the ledger exports ${column.ccy}:${column.scale}, the dev round needs ETH:8 and CUSD:6`,
      );
    }
  }
  const users = exported.users + DEV_GENERATED_USERS;
  const columns = assets.map((asset) => {
    const target = (reserveUnits(asset.symbol, asset.scale) * LIABILITY_SHARE_BPS) / 10_000n;
    const held = Decimal.parse(exported.totals[asset.symbol] ?? '0', asset.scale).units;
    if (held > target)
      throw new BaseError('INTERNAL', `the dev ledger owes more ${asset.symbol} than the dev reserves hold`);
    return split(target - held, DEV_GENERATED_USERS);
  });
  // Generated ids carry a prefix: no account id (a decimal number) can ever be one of them.
  const lines: string[] = [];
  for (let u = 0; u < DEV_GENERATED_USERS; u++) {
    lines.push(`dev-${u + 1},${assets.map((a, j) => units(columns[j]?.[u] as bigint, a.scale)).join(',')}`);
  }
  appendFileSync(input, `${lines.join('\n')}\n`);
  let built: ReturnType<typeof buildLiabilitiesTree>;
  try {
    built = buildLiabilitiesTree({
      input,
      out: dir,
      signingSeed: key.seed,
      roundId,
      snapshotTime: snapshotTime.toISOString(),
    });
  } finally {
    rmSync(input, { force: true });
  }
  const report = await reservesReport({
    root: built.root,
    rows: reserveFile.rows,
    expectedMessage: message,
    rpc: parameters.rpc,
    block,
    tokens,
  });
  await parameters.por.publish(dir, report);

  // Earlier dev rounds: their rows and directories go (a dev round is rebuilt on every start).
  const stale = await parameters.db.query<{ round_id: string }>(
    `DELETE FROM por_rounds WHERE round_id LIKE 'dev-%' AND round_id <> $1 RETURNING round_id`,
    [roundId],
  );
  for (const entry of readdirSync(porDir)) {
    if (entry.startsWith('dev-') && entry !== roundId) rmSync(join(porDir, entry), { recursive: true, force: true });
  }
  logger.info(
    {
      roundId,
      users,
      ms: Math.round(performance.now() - started),
      replaced: stale.rows.length,
      fingerprint: keyFingerprint(publicKey),
    },
    'dev proof-of-reserves round published',
  );
  return {
    roundId,
    dir,
    users,
    publicKey,
    fingerprint: keyFingerprint(publicKey),
    keyFile: key.file,
    keyGenerated: key.generated,
    table: report.table,
  };
}
