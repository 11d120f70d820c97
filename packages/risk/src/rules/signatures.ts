/**
 * Signature rules: `eth_sign` (signs any 32 bytes — a transaction hash included — so it is always
 * refused, as MetaMask and Blowfish ETH_SIGN_TX_HASH do), `personal_sign` of something that is
 * not readable text, sign-in messages for another site (EIP-4361 domain ≠ origin, Rabby 1088),
 * typed data for another chain (Blowfish MAINNET_REPLAY_POSSIBLE), opaque bulk-order roots and
 * typed data no decoder recognises.
 */
import type { Finding } from '../types.js';
import { finding, type Rule } from './context.js';

export const rawSignature: Rule = {
  id: 'raw_signature_farming',
  description:
    'eth_sign of anything: block. personal_sign of a bare 32-byte hash or of transaction bytes: warn; of other binary data: info.',
  evaluate(decoded) {
    const findings: Finding[] = [];
    for (const intent of decoded.intents) {
      if (intent.kind !== 'raw-signature') continue;
      if (intent.method === 'eth_sign') {
        findings.push(
          finding(
            'raw_signature_farming',
            'critical',
            intent.shape === 'hash'
              ? 'eth_sign of an opaque 32-byte hash: it could be the hash of a transaction that empties your account.'
              : 'eth_sign signs raw data that can stand for a transaction; no legitimate site needs it.',
          ),
        );
      } else if (intent.shape === 'hash' || intent.shape === 'transaction') {
        findings.push(
          finding(
            'raw_signature_farming',
            'warning',
            intent.shape === 'hash'
              ? 'Signs a bare 32-byte hash you cannot read (it could be an order or a multisig transaction hash).'
              : 'Signs bytes that decode as a transaction.',
          ),
        );
      } else if (intent.shape === 'binary') {
        findings.push(finding('unreadable_message', 'info', 'Signs binary data that is not readable text.'));
      }
    }
    return findings;
  },
};

function sameSite(host: string, claimed: string): boolean {
  const h = host.toLowerCase();
  const c = claimed.toLowerCase().replace(/:\d+$/, '');
  return h === c;
}

export const siweDomainMismatch: Rule = {
  id: 'siwe_domain_mismatch',
  description: 'A sign-in message (EIP-4361) for a domain other than the requesting site: warn (Rabby 1088).',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    if (context.origin === undefined) return findings;
    for (const intent of decoded.intents) {
      if (intent.kind !== 'raw-signature' || intent.shape !== 'siwe' || intent.domain === undefined) continue;
      if (sameSite(context.origin.host, intent.domain)) continue;
      findings.push(
        finding(
          'siwe_domain_mismatch',
          'warning',
          `${context.origin.host} asks you to sign in to ${intent.domain}: a site signing you in elsewhere is a phishing pattern.`,
        ),
      );
    }
    return findings;
  },
};

export const typedDataChainMismatch: Rule = {
  id: 'chain_mismatch',
  description: 'Typed data whose domain names another chain than the wallet is on: warn (replay on that chain).',
  evaluate(decoded, context) {
    if (decoded.type !== 'typed-data') return [];
    const chain = decoded.domain.chainId;
    if (chain === undefined || chain === context.chainId) return [];
    return [
      finding(
        'chain_mismatch',
        'warning',
        `The signature is for chain ${chain}, but the wallet is on chain ${context.chainId}: it would be valid there, not here.`,
      ),
    ];
  },
};

export const opaqueTypedData: Rule = {
  id: 'opaque_signature',
  description:
    'A Blur bulk-listing root (signs orders you cannot see): warn as blur_farming. Typed data no decoder recognises: info.',
  evaluate(decoded) {
    if (decoded.type !== 'typed-data') return [];
    if (decoded.schema === 'blur.Root') {
      return [
        finding(
          'blur_farming',
          'warning',
          'Signs a Merkle root of Blur orders: the orders themselves are not shown to you.',
        ),
      ];
    }
    if (decoded.schema === 'unknown' || decoded.schema === 'legacy-v1') {
      return [
        finding(
          'unknown_signature',
          'info',
          `Typed data of type ${decoded.primaryType} that custos does not recognise; check what it authorises.`,
        ),
      ];
    }
    return [];
  },
};
