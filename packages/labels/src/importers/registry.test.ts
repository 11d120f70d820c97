import { describe, expect, it } from 'vitest';
import { isTrust } from '../model.js';
import { getLabelSource, LABEL_SOURCES } from './registry.js';

describe('LABEL_SOURCES', () => {
  it('has unique ids and complete descriptions', () => {
    const ids = LABEL_SOURCES.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of LABEL_SOURCES) {
      expect(s.title && s.origin && s.license && s.scope).toBeTruthy();
      expect(isTrust(s.trust)).toBe(true);
    }
  });

  it('ships the permissive sources and never the scraped or GPL ones', () => {
    expect(LABEL_SOURCES.filter((s) => s.shipped).map((s) => s.id)).toEqual([
      'metamask-phishing',
      'forta-labelled',
      'forta-fp',
      'forta-attacks',
      'mew-darklist',
      'mew-lightlist',
      'mew-urls',
      'ofac-0xB10C',
      'ofac-ultrasoundmoney',
      'dawsbot-tokens',
    ]);
    for (const s of LABEL_SOURCES.filter((s) => s.trust === 'scraped' || s.license.startsWith('GPL'))) {
      expect(s.shipped).toBe(false);
    }
  });
});

describe('getLabelSource', () => {
  it('finds a source by id', () => {
    expect(getLabelSource('ofac-0xB10C').trust).toBe('authoritative');
  });

  it('throws LABELS_UNKNOWN_SOURCE listing the valid ids', () => {
    expect(() => getLabelSource('nope')).toThrowError(
      expect.objectContaining({
        code: 'LABELS_UNKNOWN_SOURCE',
        hints: [expect.stringContaining('metamask-phishing, forta-labelled')],
      }),
    );
  });
});
