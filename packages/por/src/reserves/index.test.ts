/**
 * The public surface of the reserves module: the exact list of runtime exports, so an addition or
 * removal shows up in review.
 */
import { expect, it } from 'vitest';
import * as reserves from './index.js';

it('exports exactly the reserves API', () => {
  expect(Object.keys(reserves).sort()).toMatchInlineSnapshot(`
    [
      "BITCOIN_MESSAGE_MAGIC",
      "BTC_MAINNET",
      "DOGECOIN_MESSAGE_MAGIC",
      "DOGE_MAINNET",
      "EVM_NETWORKS",
      "OKX_MESSAGE_MAGIC",
      "TRON_MESSAGE_PREFIX",
      "UNSUPPORTED_NETWORKS",
      "aptosAuthenticationKey",
      "assertAddressOwnership",
      "bitcoinMessageDigest",
      "compactSize",
      "decodeAntelopePublicKey",
      "eip191Digest",
      "eip191KeccakDigest",
      "evmAddressOf",
      "hash160",
      "keccakAccount",
      "networkVerifier",
      "okxKeccakDigest",
      "okxMessagePayload",
      "okxSha256Digest",
      "parseBtcBalances",
      "parseExactAmount",
      "parseReserveFile",
      "parseReserveSummary",
      "readEvmBalances",
      "recoverMessageSigner",
      "recoverSecp256k1",
      "reserveRatios",
      "reservesReport",
      "roundMessage",
      "splitReserveCsvLine",
      "ss58Address",
      "tronAddressOf",
      "tronDigest",
      "tronKeccakDigest",
      "varString",
      "verifyAddressOwnership",
      "verifyEd25519Ownership",
      "verifyEosOwnership",
      "verifyEvmOwnership",
      "verifyOkxEvmOwnership",
      "verifyTronOwnership",
      "verifyUtxoOwnership",
    ]
  `);
});
