import { BaseError } from '@custos/core';
import { describe, expect, it } from 'vitest';
import { compileAllowlist, ipAllowed, normaliseIp, parseAllowEntry, parseAllowlist } from './ip.js';

function errorOf(fn: () => unknown): BaseError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BaseError) return error;
    throw error;
  }
  throw new Error('expected a BaseError');
}

describe('parseAllowEntry', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.7/32', '203.0.113.7'],
    [' 203.0.113.7 ', '203.0.113.7'],
    ['192.168.1.129/25', '192.168.1.128/25'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:DB8:0:0:1::/32', '2001:db8::/32'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8::1/128', '2001:db8::1'],
    ['::1', '::1'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:cb00:7107', '203.0.113.7'],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
    ['::ffff:10.9.9.9/128', '10.9.9.9'],
  ])('%s → %s', (input, expected) => {
    expect(parseAllowEntry(input)).toBe(expected);
  });

  it.each([
    ['', 'empty'],
    ['banana', 'not an address'],
    ['10.0.0', 'three-part IPv4'],
    ['127.1', 'two-part IPv4'],
    ['010.0.0.1', 'leading zero (octal in some parsers)'],
    ['0x7f.0.0.1', 'hex IPv4'],
    ['256.0.0.1', 'octet over 255'],
    ['10.0.0.0/33', 'IPv4 prefix over 32'],
    ['10.0.0.0/-1', 'negative prefix'],
    ['10.0.0.0/08', 'prefix with a leading zero'],
    ['10.0.0.0/', 'empty prefix'],
    ['10.0.0.0/8/8', 'two prefixes'],
    ['0.0.0.0/0', 'every IPv4 address'],
    ['::/0', 'every IPv6 address'],
    ['2001:db8::/129', 'IPv6 prefix over 128'],
    ['2001:db8::g', 'bad hex'],
    ['1::2::3', 'two ::'],
    ['fe80::1%eth0', 'zone id'],
    ['::1.2.3.4', 'deprecated IPv4-compatible form'],
    ['::ffff:010.0.0.1', 'mapped IPv4 with a leading zero'],
    ['::ffff:10.0.0.0/95', 'mapped range shorter than the mapped prefix'],
    ['10.0.0.1 10.0.0.2', 'two addresses'],
  ])('refuses %j (%s) with EXCHANGE_INVALID_REQUEST naming the entry', (input) => {
    const error = errorOf(() => parseAllowEntry(input));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
    expect(error.details.field).toBe('ipAllowlist');
    expect(error.details.entry).toBe(input);
  });

  it('refuses a non-string entry with a typed error', () => {
    expect(errorOf(() => parseAllowEntry(7 as unknown as string)).code).toBe('EXCHANGE_INVALID_REQUEST');
  });
});

describe('parseAllowlist', () => {
  it('normalises every entry', () => {
    expect(parseAllowlist(['10.1.0.0/16', '2001:DB8::/48', '::ffff:1.2.3.4'], 20)).toEqual([
      '10.1.0.0/16',
      '2001:db8::/48',
      '1.2.3.4',
    ]);
  });

  it('refuses two spellings of one range as a duplicate', () => {
    const error = errorOf(() => parseAllowlist(['10.0.0.0/8', '10.1.2.3/8'], 20));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
    expect(error.details.entry).toBe('10.0.0.0/8');
  });

  it('refuses an address and its mapped IPv6 form as a duplicate', () => {
    expect(errorOf(() => parseAllowlist(['1.2.3.4', '::ffff:1.2.3.4'], 20)).code).toBe('EXCHANGE_INVALID_REQUEST');
  });

  it('refuses more entries than the limit', () => {
    const entries = Array.from({ length: 21 }, (_, i) => `198.51.100.${i}`);
    const error = errorOf(() => parseAllowlist(entries, 20));
    expect(error.code).toBe('EXCHANGE_INVALID_REQUEST');
    expect(error.details).toMatchObject({ count: 21, max: 20 });
    expect(parseAllowlist(entries.slice(0, 20), 20)).toHaveLength(20);
  });

  it('names the bad entry among good ones', () => {
    const error = errorOf(() => parseAllowlist(['10.0.0.0/8', '10.0.0.999'], 20));
    expect(error.details.entry).toBe('10.0.0.999');
    expect(error.shortMessage).toContain('10.0.0.999');
  });
});

describe('normaliseIp', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:DB8:0::1', '2001:db8::1'],
    ['::1', '::1'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseIp(input)).toBe(expected);
  });

  it.each(['', 'localhost', '10.0.0.0/8', '1.2.3', 'fe80::1%eth0'])('refuses %j', (input) => {
    expect(errorOf(() => normaliseIp(input)).code).toBe('EXCHANGE_INVALID_REQUEST');
  });
});

describe('ipAllowed', () => {
  const list = ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7'];

  it('matches an IPv4 address inside a range', () => {
    expect(ipAllowed('203.0.113.200', list)).toBe(true);
  });
  it('refuses an IPv4 address outside every range', () => {
    expect(ipAllowed('203.0.114.1', list)).toBe(false);
  });
  it('matches a single-address entry exactly', () => {
    expect(ipAllowed('198.51.100.7', list)).toBe(true);
    expect(ipAllowed('198.51.100.8', list)).toBe(false);
  });
  it('matches an IPv6 address inside an IPv6 range', () => {
    expect(ipAllowed('2001:db8:ffff::1', list)).toBe(true);
  });
  it('refuses an IPv6 address outside', () => {
    expect(ipAllowed('2001:db9::1', list)).toBe(false);
  });
  it('treats an IPv4-mapped IPv6 client as its IPv4 address', () => {
    expect(ipAllowed('::ffff:203.0.113.9', list)).toBe(true);
    expect(ipAllowed('::ffff:192.0.2.1', list)).toBe(false);
  });
  it('matches a mapped-range entry against a plain IPv4 client', () => {
    expect(ipAllowed('10.20.30.40', ['::ffff:10.0.0.0/104'])).toBe(true);
  });
  it('never matches an unparseable client address', () => {
    expect(ipAllowed('not-an-ip', list)).toBe(false);
    expect(ipAllowed('', list)).toBe(false);
  });
  it('never matches an empty list', () => {
    expect(ipAllowed('203.0.113.1', [])).toBe(false);
  });
  it('compiles once for repeated matching', () => {
    const m = compileAllowlist(list);
    expect(m.entries).toEqual(list);
    expect(['203.0.113.1', '192.0.2.1', '2001:db8::5'].map((ip) => m.matches(ip))).toEqual([true, false, true]);
  });
});
