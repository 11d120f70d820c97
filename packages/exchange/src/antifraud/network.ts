/**
 * The network an IP belongs to, as the anti-fraud engine compares them: IPv4-mapped IPv6
 * addresses count as IPv4, and an address is reduced to its /24 (IPv4) or /64 (IPv6) by default,
 * so a client renumbered inside its provider's block is not "new". Text that is not an address
 * is kept as its own opaque network, so it can still be told apart, never matched to a real one.
 */
import { createRequire } from 'node:module';
import type { IPv6 } from 'ipaddr.js';

// ipaddr.js is CommonJS with an `export =` declaration: loaded with require, independent of interop flags.
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof import('ipaddr.js');

// Client addresses repeat: each (address, prefixes) is reduced once, a bounded number remembered.
const REMEMBERED_MAX = 4096;
const remembered = new Map<string, string>();

export function networkOf(ip: string, ipv4Prefix: number, ipv6Prefix: number): string {
  const id = `${ipv4Prefix}/${ipv6Prefix}/${ip}`;
  let network = remembered.get(id);
  if (network === undefined) {
    network = reduce(ip, ipv4Prefix, ipv6Prefix);
    if (remembered.size >= REMEMBERED_MAX) remembered.clear();
    remembered.set(id, network);
  }
  return network;
}

function reduce(ip: string, ipv4Prefix: number, ipv6Prefix: number): string {
  const text = ip.trim();
  if (!ipaddr.isValid(text)) return `other:${text.slice(0, 64).toLowerCase()}`;
  const address = ipaddr.process(text);
  const bytes = address.toByteArray();
  const prefix = address.kind() === 'ipv4' ? ipv4Prefix : ipv6Prefix;
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  const network = ipaddr.fromByteArray(bytes);
  const shown = network.kind() === 'ipv6' ? (network as IPv6).toRFC5952String() : network.toString();
  return `${shown}/${prefix}`;
}
