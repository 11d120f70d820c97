/**
 * `custos scan`: judge a request to sign — the JSON-RPC method and params exactly as a dapp sent
 * them — or, with `--domain`, a site. Through the server (`POST /v1/scan`, its labels, on-chain
 * facts and, with `--simulate`, a simulation), or with `--offline` in-process on the shipped
 * labels without on-chain facts. Prints the verdict JSON; exits 1 when the action is block.
 */
import { BaseError } from '@custos/core';
import { LabelService } from '@custos/labels';
import { OfflineFactsProvider, RiskEngine, type Verdict } from '@custos/risk';
import type { Command } from 'commander';
import { callServer } from '../client.js';
import { EXIT, printJson, usageError } from '../output.js';
import { clientOptions } from './accounts.js';

interface ScanFlags {
  method?: string;
  params?: string;
  origin?: string;
  chainId: string;
  domain?: string;
  offline?: boolean;
  simulate?: boolean;
}

function parseParams(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new BaseError('INVALID_INPUT', `--params is not JSON: ${(cause as Error).message}`, {
      details: { field: 'params' },
      hints: [`Quote the JSON-RPC params array, e.g. --params '["0x…", "0x…"]'.`],
      cause,
    });
  }
}

/** A decimal id as a number (the server's schema takes numbers or strings; keep hex as given). */
function chainIdOf(text: string): number | string {
  return /^[0-9]+$/.test(text) ? Number(text) : text;
}

async function withOfflineEngine<T>(run: (engine: RiskEngine) => Promise<T> | T): Promise<T> {
  const labels = LabelService.openDefault();
  try {
    return await run(new RiskEngine({ labels, facts: new OfflineFactsProvider() }));
  } finally {
    labels.close();
  }
}

export function registerScan(program: Command): void {
  program
    .command('scan')
    .description(
      'judge a request to sign (JSON-RPC method and params as the dapp sent them), or a site with --domain; exits 1 on block',
    )
    .option('--method <method>', 'JSON-RPC method, e.g. eth_sendTransaction, eth_signTypedData_v4, personal_sign')
    .option('--params <json>', 'the JSON-RPC params, exactly as sent (a JSON array)')
    .option('--origin <url>', 'the site that asked for the signature')
    .option('--chain-id <n>', "the wallet's chain", '1')
    .option('--domain <origin>', 'judge a site (block lists, look-alikes) instead of a request')
    .option('--offline', 'judge here, on the shipped labels and without on-chain facts, instead of on the server')
    .option('--simulate', 'simulate a transaction on the server (chains it has an RPC URL for)')
    .action(async (flags: ScanFlags, command: Command) => {
      if (flags.offline && flags.simulate) throw usageError('--simulate needs a server: drop --offline');
      if (flags.domain !== undefined) {
        if (flags.method !== undefined || flags.params !== undefined)
          throw usageError('--domain judges a site: give it without --method and --params');
        const result = flags.offline
          ? await withOfflineEngine((engine) => engine.scanDomain(flags.domain as string))
          : await callServer<{ action: string }>(clientOptions(command), 'POST', '/v1/scan/domain', {
              origin: flags.domain,
            });
        printJson(result);
        if (result.action === 'block') process.exitCode = EXIT.negative;
        return;
      }
      if (flags.method === undefined || flags.method === '')
        throw usageError('--method is required (or --domain <origin>)');
      if (flags.params === undefined) throw usageError('--params is required: the JSON-RPC params as a JSON array');
      const request = {
        chainId: chainIdOf(flags.chainId),
        method: flags.method,
        params: parseParams(flags.params),
        ...(flags.origin === undefined ? {} : { origin: flags.origin }),
      };
      const verdict = flags.offline
        ? await withOfflineEngine((engine) => engine.scan(request))
        : await callServer<Verdict>(clientOptions(command), 'POST', '/v1/scan', {
            ...request,
            ...(flags.simulate ? { simulate: true } : {}),
          });
      printJson(verdict);
      if (verdict.action === 'block') process.exitCode = EXIT.negative;
    });
}
