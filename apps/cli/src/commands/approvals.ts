/**
 * `custos approvals`: an account's live approvals and their revocation, through the server.
 * `list` prints what the server knows at once (or, with `--wait`, after a scan that started after
 * the call). `revoke` asks the server for the revoking transactions of the chosen approvals (by id,
 * or `--all`) and prints them — or, given a signer (`--wallet`, the MPC wallet through its
 * co-signer, or `--private-key-file`), signs and sends each, waits for the receipts and prints
 * the hashes. Nothing is signed on the server.
 */
import { type ApprovalList, type RevocationJson, revocationFromJson, sendRevocations } from '@custos/approvals';
import { toMpcAccount } from '@custos/chains';
import type { Command } from 'commander';
import type { LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { callServer } from '../client.js';
import { printJson, usageError } from '../output.js';
import { clientOptions } from './accounts.js';
import { indexPath, mpcSigner, readSecretFile, rpcUrl, walletClientFor, wallets } from './wallet.js';

function chainIdOf(text: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw usageError(`--chain-id must be a positive decimal chain id: ${text}`);
  }
  return Number(text);
}

function addressOf(text: string): `0x${string}` {
  if (!/^0x[0-9a-fA-F]{40}$/.test(text))
    throw usageError(`--address must be a 0x-prefixed 20-byte hex address: ${text}`);
  return text.toLowerCase() as `0x${string}`;
}

interface RevokeFlags {
  chainId: string;
  address: string;
  id?: string[];
  all?: boolean;
  wallet?: string;
  index?: string;
  privateKeyFile?: string;
  rpcUrl?: string;
  confirmWarnings?: boolean;
}

async function signerFor(flags: RevokeFlags, command: Command): Promise<LocalAccount | undefined> {
  if (flags.wallet !== undefined && flags.privateKeyFile !== undefined)
    throw usageError('give one signer: --wallet or --private-key-file');
  if (flags.privateKeyFile !== undefined) {
    const key = readSecretFile(flags.privateKeyFile, '--private-key-file').trim();
    if (!/^0x[0-9a-fA-F]{64}$/.test(key))
      throw usageError('--private-key-file must hold one 0x-prefixed 32-byte hex key');
    return privateKeyToAccount(key as `0x${string}`);
  }
  if (flags.wallet !== undefined) {
    const { wallets: w } = await wallets(command);
    return toMpcAccount(await mpcSigner(w, flags.wallet, indexPath(flags.index), flags.confirmWarnings));
  }
  return undefined;
}

export function registerApprovals(program: Command): void {
  const approvals = program
    .command('approvals')
    .description(
      "an account's token, NFT and Permit2 approvals and signed permits: list and revoke (through the server)",
    );

  approvals
    .command('list')
    .description('live approvals of an address on a chain, with value at risk and the risk verdict')
    .requiredOption('--chain-id <n>', 'EIP-155 chain id the server has an RPC URL for')
    .requiredOption('--address <address>', 'the account')
    .option('--wait', 'wait for a scan that starts now instead of answering with what is known')
    .action(async (flags: { chainId: string; address: string; wait?: boolean }, command: Command) => {
      const chainId = chainIdOf(flags.chainId);
      const address = addressOf(flags.address);
      const list = await callServer<ApprovalList>(
        clientOptions(command),
        'GET',
        `/v1/approvals/${chainId}/${address}${flags.wait ? '?wait=true' : ''}`,
      );
      printJson(list);
    });

  approvals
    .command('revoke')
    .description('revoke approvals by id (or --all); prints the transactions, or signs and sends them with a signer')
    .requiredOption('--chain-id <n>', 'EIP-155 chain id')
    .requiredOption('--address <address>', 'the account that granted the approvals')
    .option('--id <id...>', 'approval ids from `custos approvals list`')
    .option('--all', 'every approval in the last list')
    .option('--wallet <id>', 'sign with this MPC wallet (device + server, through the co-signer)')
    .option('--index <n>', 'non-hardened child index of the MPC wallet')
    .option('--private-key-file <file>', 'sign with the key in this file (0x hex)')
    .option('--rpc-url <url>', 'JSON-RPC endpoint to send through (default the dev chain, CUSTOS_CHAIN_HOST/PORT)')
    .option('--confirm-warnings', "sign even if the co-signer's risk scan warns (the warnings are printed)")
    .action(async (flags: RevokeFlags, command: Command) => {
      const chainId = chainIdOf(flags.chainId);
      const address = addressOf(flags.address);
      if ((flags.all === true) === (flags.id !== undefined && flags.id.length > 0))
        throw usageError('choose the approvals: --id <id...> or --all');
      const signer = await signerFor(flags, command);
      if (signer !== undefined && signer.address.toLowerCase() !== address)
        throw usageError(`the signer is ${signer.address}, not --address ${address}`);
      const answer = await callServer<{ transactions: RevocationJson[] }>(
        clientOptions(command),
        'POST',
        '/v1/approvals/revoke',
        { chainId, owner: address, approvals: flags.all ? 'all' : flags.id },
      );
      if (signer === undefined) {
        printJson(answer);
        return;
      }
      const { wallet } = await walletClientFor(signer, rpcUrl(flags.rpcUrl));
      const sent = await sendRevocations(wallet, answer.transactions.map(revocationFromJson));
      printJson({
        chainId,
        owner: address,
        sent: sent.map((s) => ({ ...s, blockNumber: s.blockNumber.toString() })),
      });
    });
}
