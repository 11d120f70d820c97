/**
 * The precedence policy and the domain index, rule by rule, on small hand-made inputs (the
 * store tests run the same rules on conflicts found in the real data).
 */
import { findBaseError } from '@custos/core';
import { describe, expect, it } from 'vitest';
import { DomainIndex, fuzzyForm, normalizeDomain } from './domains.js';
import { EVM_FAMILY, type Label, normalizeAddress, type Trust } from './model.js';
import { decide } from './policy.js';

const A = '0x00000000000000000000000000000000000000aa' as const;
const trust: Record<string, Trust> = {
  ofac: 'authoritative',
  forta: 'curated',
  tokens: 'curated',
  scrape: 'scraped',
  noisy: 'community',
};
const trustOf = (s: string): Trust => trust[s] ?? 'community';

function label(source: string, tier: Label['tier'], category: string, extra: Partial<Label> = {}): Label {
  return {
    scope: EVM_FAMILY,
    address: A,
    tier,
    category,
    name: '',
    source,
    firstSeen: 0,
    confidence: 90,
    status: 'active',
    ...extra,
  };
}

const run = (labels: Label[], override?: Parameters<typeof decide>[0]['override']) =>
  decide({ labels, address: A, trustOf, override });

describe('precedence policy', () => {
  it('no label: tier none', () => {
    expect(run([])).toMatchObject({ tier: 'none', decidedBy: 'none', labels: [] });
  });

  it('the most severe tier wins among equally trusted sources', () => {
    expect(run([label('forta', 'allow', 'benign'), label('forta', 'block', 'phishing')]).tier).toBe('block');
    expect(run([label('scrape', 'allow', 'exchange'), label('scrape', 'gray', 'mev-bot')]).tier).toBe('gray');
  });

  it('a trusted block beats a scraped allow (e.g. exchange vs phish-hack)', () => {
    const r = run([label('scrape', 'allow', 'exchange'), label('forta', 'block', 'phishing')]);
    expect(r).toMatchObject({ tier: 'block', decidedBy: 'max-severity' });
  });

  it('a scraped block against a trusted allow is capped at gray', () => {
    const r = run([label('forta', 'allow', 'exchange'), label('scrape', 'block', 'phishing')]);
    expect(r).toMatchObject({ tier: 'gray', decidedBy: 'trusted-allow-caps-untrusted-block' });
    expect(r.labels[1]).toMatchObject({ tier: 'block', effectiveTier: 'gray' });
  });

  it('a sanction beats every allow, even a curated one', () => {
    expect(run([label('tokens', 'allow', 'token'), label('ofac', 'block', 'sanctioned')]).tier).toBe('block');
  });

  it('a delisted sanction is gray', () => {
    const r = run([label('ofac', 'block', 'sanctioned', { status: 'delisted' })]);
    expect(r).toMatchObject({ tier: 'gray', decidedBy: 'delisted-sanction-is-gray' });
  });

  it('a known token is never blocked by a non-authoritative source', () => {
    const token = label('tokens', 'allow', 'token', { scope: 1, name: 'Tether USD (USDT)' });
    expect(run([token, label('noisy', 'block', 'drainer')])).toMatchObject({
      tier: 'gray',
      decidedBy: 'known-token-never-blocked',
    });
    expect(run([token, label('forta', 'block', 'phishing')]).tier).toBe('gray');
    expect(run([token, label('ofac', 'block', 'sanctioned')]).tier).toBe('block');
  });

  it('an override decides alone, whatever the labels', () => {
    const override = { scope: EVM_FAMILY, address: A, tier: 'allow' as const, reason: 'r', by: 'o', at: new Date(0) };
    const r = run([label('ofac', 'block', 'sanctioned')], override);
    expect(r).toMatchObject({ tier: 'allow', decidedBy: 'override' });
    expect(r.labels).toHaveLength(1);
  });

  it('first-seen travels as an ISO date, or null when the source does not say', () => {
    const r = run([label('forta', 'block', 'phishing', { firstSeen: 1_700_000_000 }), label('forta', 'block', 'scam')]);
    expect(r.labels.map((l) => l.firstSeen)).toEqual(['2023-11-14T22:13:20.000Z', null]);
  });
});

describe('address normalisation', () => {
  it('is case-insensitive and checksum-agnostic, 0x optional', () => {
    const forms = [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed',
      '0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED',
      '5aaeb6053f3e94c9b9a09f33669435e7ef1beaed',
      '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeD', // wrong checksum: still the same 20 bytes
    ];
    for (const f of forms) expect(normalizeAddress(f)).toBe('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed');
  });

  it('refuses anything else with LABELS_INVALID_ADDRESS', () => {
    for (const bad of [
      '',
      '0x',
      '0x1234',
      `0x${'a'.repeat(41)}`,
      `0x${'g'.repeat(40)}`,
      42,
      null,
      `0x${'a'.repeat(64)}`,
    ]) {
      let code: string | undefined;
      try {
        normalizeAddress(bad);
      } catch (error) {
        code = findBaseError(error)?.code;
      }
      expect(code, String(bad)).toBe('LABELS_INVALID_ADDRESS');
    }
  });
});

describe('domain index', () => {
  const index = new DomainIndex(
    [
      { domain: 'evil.example', list: 'block', source: 's', name: 'drainer kit' },
      { domain: 'safe.evil.example', list: 'allow', source: 's', name: '' },
      { domain: 'metamask.io', list: 'fuzzy', source: 's', name: '' },
      { domain: 'myetherwallet.com', list: 'fuzzy', source: 's', name: '' },
    ],
    1,
  );

  it('normalises URLs, case, trailing dots, ports and IDNs', () => {
    expect(normalizeDomain('HTTPS://App.Evil.Example./connect?x=1')).toBe('app.evil.example');
    expect(normalizeDomain('evil.example:8443/path')).toBe('evil.example');
    // Cyrillic "е" in metamask: punycode (Python's idna codec gives the same), so it cannot pass for the real name.
    expect(normalizeDomain('mеtamask.io')).toBe('xn--mtamask-7gg.io');
    for (const bad of ['', 'localhost', 'a b.com', 'user@evil.example', '-bad-.com', 'http://']) {
      let code: string | undefined;
      try {
        normalizeDomain(bad);
      } catch (error) {
        code = findBaseError(error)?.code;
      }
      expect(code, bad).toBe('LABELS_INVALID_DOMAIN');
    }
  });

  it('matches exact, then parent domains; the allow list first', () => {
    expect(index.lookup('evil.example')).toMatchObject({ tier: 'block', match: 'exact' });
    expect(index.lookup('a.b.evil.example')).toMatchObject({ tier: 'block', match: 'parent', matched: 'evil.example' });
    expect(index.lookup('safe.evil.example')).toMatchObject({ tier: 'allow', match: 'exact' });
    expect(index.lookup('x.safe.evil.example')).toMatchObject({ tier: 'allow', match: 'parent' });
  });

  it('flags look-alikes within the tolerance, not the targets themselves', () => {
    expect(fuzzyForm('www.metamask.io')).toBe('metamask');
    expect(index.lookup('metamasks.io')).toMatchObject({
      tier: 'block',
      match: 'fuzzy',
      matched: 'metamask.io',
      distance: 1,
    });
    expect(index.lookup('www.metamask.com')).toMatchObject({ tier: 'block', match: 'fuzzy' });
    expect(index.lookup('metamask.io')).toMatchObject({ tier: 'allow', match: 'fuzzy-target' });
    expect(index.lookup('portfolio.metamask.io')).toMatchObject({ tier: 'allow', match: 'fuzzy-target' });
    expect(index.lookup('metamaskk1.io')).toMatchObject({ tier: 'none' });
    expect(
      new DomainIndex([{ domain: 'metamask.io', list: 'fuzzy', source: 's', name: '' }], 0).lookup('metamasks.io').tier,
    ).toBe('none');
  });
});
