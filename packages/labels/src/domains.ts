/**
 * The domain index: exact and parent-domain matches against allow and block lists, and the
 * look-alike (fuzzy) match of eth-phishing-detect — the host without its last label and without a
 * leading `www.`, within `tolerance` Levenshtein edits of a high-value target's same form.
 * Order as in eth-phishing-detect: allow list first, then block list, then look-alikes.
 */
import { domainToASCII } from 'node:url';
import { BaseError } from '@custos/core';
import { distance } from 'fastest-levenshtein';
import type { DomainLabel, DomainList } from './model.js';

export interface DomainLookupResult {
  domain: string;
  tier: 'allow' | 'block' | 'none';
  /** How it matched: the domain itself, a listed parent, or a look-alike of a fuzzy target. */
  match: 'exact' | 'parent' | 'fuzzy' | 'fuzzy-target' | 'none';
  /** The list entry that matched. */
  matched: string | null;
  /** Edit distance for a fuzzy match. */
  distance?: number;
  labels: DomainLabel[];
}

const LABEL_RE = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/**
 * Normalises what a user or dapp gives as a site: a bare host or a URL, any case, a trailing dot,
 * an internationalised name (turned into punycode so look-alike Unicode cannot hide). Anything
 * that is not a multi-label hostname is a typed `LABELS_INVALID_DOMAIN` error.
 */
export function normalizeDomain(input: unknown, field = 'domain'): string {
  const fail = (why: string): BaseError =>
    new BaseError('LABELS_INVALID_DOMAIN', `"${field}" is not a domain name: ${why}`, {
      details: { field, got: typeof input === 'string' ? input.slice(0, 80) : typeof input },
      hints: ['Give a host name such as app.example.org, or a URL.'],
    });
  if (typeof input !== 'string' || input.trim() === '' || input.length > 2048) throw fail('empty or too long');
  let host = input.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) {
    try {
      host = new URL(host).hostname;
    } catch {
      throw fail('unparseable URL');
    }
  } else {
    host = host.split(/[/?#]/, 1)[0] ?? '';
    if (/[@\s]/.test(host)) throw fail('unexpected characters');
    host = host.replace(/:\d+$/, '');
  }
  host = host.replace(/\.$/, '');
  const ascii = domainToASCII(host);
  if (ascii === '' || ascii.length > 253) throw fail('not a valid host name');
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL_RE.test(l))) throw fail('not a valid host name');
  return ascii;
}

/** The host without its last label, joined, without a leading `www.` (eth-phishing-detect's form). */
export function fuzzyForm(domain: string): string {
  const labels = domain.split('.');
  return labels
    .slice(0, Math.max(1, labels.length - 1))
    .join('.')
    .replace(/^www\./, '');
}

export class DomainIndex {
  readonly tolerance: number;
  readonly #lists: Record<DomainList, Map<string, DomainLabel[]>> = {
    block: new Map(),
    allow: new Map(),
    fuzzy: new Map(),
  };
  readonly #fuzzyForms: { target: string; form: string }[] = [];

  constructor(entries: Iterable<DomainLabel>, tolerance: number) {
    this.tolerance = tolerance;
    for (const entry of entries) {
      const list = this.#lists[entry.list];
      const existing = list.get(entry.domain);
      if (existing) existing.push(entry);
      else list.set(entry.domain, [entry]);
    }
    for (const target of this.#lists.fuzzy.keys()) this.#fuzzyForms.push({ target, form: fuzzyForm(target) });
  }

  get size(): Record<DomainList, number> {
    return { block: this.#lists.block.size, allow: this.#lists.allow.size, fuzzy: this.#lists.fuzzy.size };
  }

  /** Every entry, for serialising the index. */
  *entries(): Generator<DomainLabel> {
    for (const list of Object.values(this.#lists)) for (const labels of list.values()) yield* labels;
  }

  /** The listed entry equal to the domain or to one of its parents, closest first. */
  #suffixMatch(list: DomainList, domain: string): { matched: string; labels: DomainLabel[] } | null {
    const map = this.#lists[list];
    let host = domain;
    for (;;) {
      const labels = map.get(host);
      if (labels) return { matched: host, labels };
      const dot = host.indexOf('.');
      if (dot < 0) return null;
      host = host.slice(dot + 1);
    }
  }

  lookup(input: string): DomainLookupResult {
    const domain = normalizeDomain(input);
    const allowed = this.#suffixMatch('allow', domain);
    if (allowed) return this.#result(domain, 'allow', allowed.matched, allowed.labels);
    const blocked = this.#suffixMatch('block', domain);
    if (blocked) return this.#result(domain, 'block', blocked.matched, blocked.labels);
    // A high-value target itself (or its subdomain) is what look-alikes imitate, not one of them.
    const target = this.#suffixMatch('fuzzy', domain);
    if (target) {
      return { domain, tier: 'allow', match: 'fuzzy-target', matched: target.matched, labels: target.labels };
    }
    if (this.tolerance > 0) {
      const form = fuzzyForm(domain);
      for (const f of this.#fuzzyForms) {
        const d = distance(form, f.form);
        if (d <= this.tolerance) {
          const labels = this.#lists.fuzzy.get(f.target) ?? [];
          return { domain, tier: 'block', match: 'fuzzy', matched: f.target, distance: d, labels };
        }
      }
    }
    return { domain, tier: 'none', match: 'none', matched: null, labels: [] };
  }

  #result(domain: string, tier: 'allow' | 'block', matched: string, labels: DomainLabel[]): DomainLookupResult {
    return { domain, tier, match: matched === domain ? 'exact' : 'parent', matched, labels };
  }
}
