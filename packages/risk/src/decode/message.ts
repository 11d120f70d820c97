/**
 * Decodes `personal_sign` and `eth_sign` requests: which bytes would be signed, and what they look
 * like — one `raw-signature` intent whose `shape` the rules judge (Blockaid's
 * raw_signature_farming, Rabby's SIWE domain check).
 *
 * Params follow the wallets. `eth_sign` is `[address, data]`, data `0x`-hex. `personal_sign` is
 * `[data, address]`, swapped exactly when MetaMask swaps it: the first param is 42 characters long
 * (an address) and the second is not. Its data is read as MetaMask's message manager reads it:
 * strip a lowercase `0x`; if what is left is non-empty hex, those are the bytes (odd length
 * left-padded), otherwise the string's UTF-8 — so `"abcd"` signs 0xabcd and `"0Xab"` signs the
 * four characters.
 *
 * Shapes, first match wins: `transaction` (bytes viem parses as a serialized transaction),
 * `siwe` (EIP-4361, https://eips.ethereum.org/EIPS/eip-4361), `text` (printable UTF-8), `hash`
 * (exactly 32 bytes), `binary`. Printable text is tested before the 32-byte length so a 32-letter
 * sentence is text; a random hash is valid printable UTF-8 with negligible probability.
 */
import { hexToBytes, parseTransaction, stringToHex } from 'viem';
import { invalidRequest, normalizeAddressInput, normalizeData } from '../normalize.js';
import type { Address, Decoded, Hex } from '../types.js';

export type MessageMethod = 'personal_sign' | 'eth_sign';
type Shape = 'hash' | 'transaction' | 'text' | 'siwe' | 'binary';

/** The fields of an EIP-4361 message that could be read; only `domain` is always present. */
export interface SiweMessage {
  scheme?: string;
  domain: string;
  address?: string;
  statement?: string;
  uri?: string;
  version?: string;
  chainId?: number;
  nonce?: string;
  issuedAt?: string;
  expirationTime?: string;
  notBefore?: string;
  requestId?: string;
}

const SIWE_HEADER = /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?(\S+) wants you to sign in with your Ethereum account:$/;
const SIWE_FIELDS: readonly [string, keyof SiweMessage][] = [
  ['URI: ', 'uri'],
  ['Version: ', 'version'],
  ['Nonce: ', 'nonce'],
  ['Issued At: ', 'issuedAt'],
  ['Expiration Time: ', 'expirationTime'],
  ['Not Before: ', 'notBefore'],
  ['Request ID: ', 'requestId'],
];

/**
 * Reads an EIP-4361 message: the header line `[scheme://]domain wants you to sign in with your
 * Ethereum account:` (required), the address line, the statement, and the `Key: value` lines that
 * are present. Returns undefined when the header is not there.
 */
export function parseSiweMessage(text: string): SiweMessage | undefined {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  const header = SIWE_HEADER.exec(lines[0] ?? '');
  if (!header) return undefined;
  const siwe: SiweMessage = { domain: header[2] as string };
  if (header[1] !== undefined) siwe.scheme = header[1];
  if (lines[1]) siwe.address = lines[1];
  // The statement, when present, is the line after the blank line that follows the address.
  if (lines[2] === '' && lines[3] && !lines[3].includes(': ')) siwe.statement = lines[3];
  for (const line of lines.slice(2)) {
    if (line.startsWith('Chain ID: ')) {
      const id = line.slice('Chain ID: '.length);
      if (/^[1-9][0-9]{0,15}$/.test(id) && Number.isSafeInteger(Number(id))) siwe.chainId = Number(id);
      continue;
    }
    for (const [prefix, key] of SIWE_FIELDS) {
      if (line.startsWith(prefix)) Object.assign(siwe, { [key]: line.slice(prefix.length) });
    }
  }
  return siwe;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as text when they are valid UTF-8 without control characters (tab, CR, LF allowed). */
export function printableText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    // Invalid UTF-8 is simply not text; the bytes are classified as binary.
    return undefined;
  }
  for (const char of text) {
    const cp = char.codePointAt(0) as number;
    if ((cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) || (cp >= 0x7f && cp <= 0x9f)) return undefined;
  }
  return text;
}

/** Serialized transactions start with an EIP-2718 type 0x01–0x04 or, legacy, an RLP list (≥ 0xc0). */
function isTransaction(data: Hex): boolean {
  const first = Number.parseInt(data.slice(2, 4) || '00', 16);
  if (!(first >= 0x01 && first <= 0x04) && first < 0xc0) return false;
  try {
    parseTransaction(data);
    return true;
  } catch {
    // Not a serialized transaction: any parse failure means another shape.
    return false;
  }
}

/** `personal_sign` data as MetaMask's message manager reads it (see the module comment). */
function personalSignBytes(value: unknown, at: string): Hex {
  if (typeof value !== 'string') throw invalidRequest(at, 'a message (hex or text)', value);
  const body = value.startsWith('0x') ? value.slice(2) : value;
  return /^[0-9a-fA-F]+$/.test(body) ? normalizeData(`0x${body}`, at) : stringToHex(value);
}

function splitParams(method: MessageMethod, params: unknown): { signer: Address; data: Hex } {
  if (!Array.isArray(params) || params.length < 2) {
    throw invalidRequest(
      'params',
      method === 'eth_sign' ? 'an array [address, data]' : 'an array [data, address]',
      params,
    );
  }
  const [first, second] = params as [unknown, unknown];
  if (method === 'eth_sign') {
    if (typeof second !== 'string') throw invalidRequest('params[1]', 'hex data', second);
    return { signer: normalizeAddressInput(first, 'params[0]'), data: normalizeData(second, 'params[1]') };
  }
  const resembles = (v: unknown) => typeof v === 'string' && v.length === 42;
  return resembles(first) && !resembles(second)
    ? { signer: normalizeAddressInput(first, 'params[0]'), data: personalSignBytes(second, 'params[1]') }
    : { signer: normalizeAddressInput(second, 'params[1]'), data: personalSignBytes(first, 'params[0]') };
}

function classify(data: Hex): { shape: Shape; text?: string; domain?: string } {
  if (isTransaction(data)) return { shape: 'transaction' };
  const bytes = hexToBytes(data);
  const text = printableText(bytes);
  if (text !== undefined) {
    const siwe = parseSiweMessage(text);
    return siwe === undefined ? { shape: 'text', text } : { shape: 'siwe', text, domain: siwe.domain };
  }
  return { shape: bytes.length === 32 ? 'hash' : 'binary' };
}

/**
 * Decodes a `personal_sign` / `eth_sign` request into a `message` with one `raw-signature`
 * intent. `chainId` is unused (a message carries none, except a SIWE `Chain ID` line, which
 * `parseSiweMessage` reads). Throws RISK_INVALID_REQUEST for malformed params.
 */
export function decodeMessageRequest(method: MessageMethod, params: unknown, _chainId: number): Decoded {
  const { signer, data } = splitParams(method, params);
  const { shape, text, domain } = classify(data);
  return {
    type: 'message',
    method,
    signer,
    data,
    text,
    intents: [{ kind: 'raw-signature', path: 'message', actor: signer, method, shape, domain }],
  };
}
