/**
 * IP addresses and allowlist entries for API keys and brokers. Parsing is strict: IPv4 only as four
 * decimal parts without leading zeros (no `010.0.0.1`, `127.1` or hex forms, which ipaddr.js
 * alone would accept with surprising meanings), IPv6 without zone ids and without the deprecated
 * IPv4-compatible form `::a.b.c.d`. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4
 * address, both as a client address and in an entry (`::ffff:10.0.0.0/104` is `10.0.0.0/8`).
 * Entries are normalised: a CIDR to its network address (`10.1.2.3/8` is `10.0.0.0/8`), a full
 * prefix (`/32`, `/128`) to the plain address, IPv6 to its RFC 5952 text, so two spellings of one
 * range are one entry. A `/0` entry (every address) is refused: it would bind nothing.
 */
import { createRequire } from 'node:module';
import { BaseError, describeValue } from '@custos/core';
import type { IPv4, IPv6 } from 'ipaddr.js';

// ipaddr.js is CommonJS with an `export =` declaration: loaded with require so neither the
// compiler's interop flags nor Node's named-export detection matter.
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof import('ipaddr.js');

type Address = IPv4 | IPv6;

const IPV6_TEXT = /^[0-9a-f:]+(?:\d+\.\d+\.\d+\.\d+)?$/i;
const DEPRECATED_COMPATIBLE = /^::\d+\.\d+\.\d+\.\d+$/;
const PREFIX = /^(0|[1-9]\d{0,2})$/;

/** Parses one address strictly; IPv4-mapped IPv6 comes back as IPv4. Null when not an address. */
function parseAddress(text: string): Address | null {
  if (text.includes('.') && !text.includes(':')) {
    return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : null;
  }
  if (!IPV6_TEXT.test(text) || DEPRECATED_COMPATIBLE.test(text) || !ipaddr.IPv6.isValid(text)) return null;
  const dotted = text.lastIndexOf(':');
  if (text.includes('.') && !ipaddr.IPv4.isValidFourPartDecimal(text.slice(dotted + 1))) return null;
  const address = ipaddr.IPv6.parse(text);
  return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

// Client addresses repeat (a bot sends from a handful): parsed ones are remembered, a bounded
// number of them, so the hot path parses each address once. Parsed addresses are never mutated.
const PARSED_MAX = 4096;
const parsed = new Map<string, Address | null>();

function parseClientAddress(text: string): Address | null {
  let address = parsed.get(text);
  if (address === undefined) {
    address = parseAddress(text);
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(text, address);
  }
  return address;
}

function format(address: Address): string {
  return address.kind() === 'ipv4' ? address.toString() : (address as IPv6).toRFC5952String();
}

/**
 * The canonical text of a client address (`::ffff:1.2.3.4` → `1.2.3.4`, `2001:DB8:0::1` →
 * `2001:db8::1`). Throws EXCHANGE_INVALID_REQUEST when it is not an IP address.
 */
export function normaliseIp(ip: string): string {
  const address = typeof ip === 'string' ? parseAddress(ip) : null;
  if (address === null) {
    throw new BaseError('EXCHANGE_INVALID_REQUEST', `not an IP address: ${describeValue(ip)}`, {
      details: { field: 'ip' },
    });
  }
  return format(address);
}

/** One parsed allowlist entry: a network and its prefix length (32 / 128 for a single address). */
interface Range {
  network: Address;
  bits: number;
}

function invalidEntry(text: unknown, reason: string): BaseError {
  return new BaseError('EXCHANGE_INVALID_REQUEST', `invalid IP allowlist entry ${describeValue(text)}: ${reason}`, {
    details: { field: 'ipAllowlist', entry: typeof text === 'string' ? text.slice(0, 80) : null },
    hints: [
      'Write an IPv4 or IPv6 address (203.0.113.7, 2001:db8::7) or a CIDR range (203.0.113.0/24, 2001:db8::/32).',
    ],
  });
}

function parseRange(text: unknown): Range {
  if (typeof text !== 'string') throw invalidEntry(text, 'not a string');
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > 64) throw invalidEntry(text, 'empty or too long');
  const slash = trimmed.indexOf('/');
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const address = parseAddress(addressText);
  if (address === null) throw invalidEntry(text, 'not an IPv4 or IPv6 address');
  if (slash === -1) return { network: address, bits: address.kind() === 'ipv4' ? 32 : 128 };
  const prefixText = trimmed.slice(slash + 1);
  if (!PREFIX.test(prefixText)) throw invalidEntry(text, 'the prefix length must be a decimal number');
  let bits = Number(prefixText);
  // An IPv4-mapped range written in IPv6 counts its prefix over 128 bits; as IPv4 it is 96 fewer.
  const mapped = address.kind() === 'ipv4' && addressText.includes(':');
  if (mapped) {
    if (bits < 96) throw invalidEntry(text, 'an IPv4-mapped range needs a prefix of at least 96');
    bits -= 96;
  }
  const max = address.kind() === 'ipv4' ? 32 : 128;
  if (bits > max) throw invalidEntry(text, `the prefix length must be at most ${mapped ? 128 : max}`);
  if (bits === 0) throw invalidEntry(text, 'a range of every address binds nothing');
  return { network: networkOf(address, bits), bits };
}

function networkOf(address: Address, bits: number): Address {
  const bytes = address.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes);
}

function formatRange(range: Range): string {
  const full = range.network.kind() === 'ipv4' ? 32 : 128;
  return range.bits === full ? format(range.network) : `${format(range.network)}/${range.bits}`;
}

/**
 * The normalised text of one allowlist entry: `10.0.0.0/8`, `2001:db8::/32`, `203.0.113.7`.
 * Throws EXCHANGE_INVALID_REQUEST naming the entry when it is not an address or CIDR range.
 */
export function parseAllowEntry(text: string): string {
  return formatRange(parseRange(text));
}

/**
 * Parses and normalises a whole list, refusing more than `max` entries and duplicates (two
 * spellings of one range are a duplicate). `field` names the list in errors.
 */
export function parseAllowlist(entries: readonly string[], max: number, field = 'ipAllowlist'): string[] {
  if (!Array.isArray(entries)) {
    throw new BaseError('EXCHANGE_INVALID_REQUEST', `"${field}" must be an array of IP addresses or CIDR ranges`, {
      details: { field },
    });
  }
  if (entries.length > max) {
    throw new BaseError(
      'EXCHANGE_INVALID_REQUEST',
      `"${field}" has ${entries.length} entries, at most ${max} allowed`,
      {
        details: { field, count: entries.length, max },
      },
    );
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    const normal = parseAllowEntry(entry);
    if (seen.has(normal)) {
      throw new BaseError('EXCHANGE_INVALID_REQUEST', `"${field}" lists ${normal} twice`, {
        details: { field, entry: normal },
      });
    }
    seen.add(normal);
  }
  return [...seen];
}

/** A compiled allowlist: matching costs one parse of the client address. */
export interface IpMatcher {
  readonly entries: readonly string[];
  /** False for an unparseable client address. */
  matches(ip: string): boolean;
}

/** Compiles already-valid entries (normalised or not) for repeated matching. */
export function compileAllowlist(entries: readonly string[]): IpMatcher {
  const ranges = entries.map(parseRange);
  return {
    entries: [...entries],
    matches(ip: string): boolean {
      const address = typeof ip === 'string' && ip.length <= 64 ? parseClientAddress(ip) : null;
      if (address === null) return false;
      for (const range of ranges) {
        if (range.network.kind() === address.kind() && address.match(range.network, range.bits)) return true;
      }
      return false;
    },
  };
}

/** Whether a client address is inside any of the entries (IPv4-mapped IPv6 counts as IPv4). */
export function ipAllowed(ip: string, entries: readonly string[]): boolean {
  return compileAllowlist(entries).matches(ip);
}
