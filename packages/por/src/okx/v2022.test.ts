/**
 * Tests of the November-2022 OKX path verifier against OKX's own published sample file (copied
 * into test/fixtures/okx, source in SOURCES.md). Besides the sample verifying with the known root
 * sums, the point is that the file is fully bound: every single-character change is rejected, and
 * targeted changes are rejected by the check meant to catch them. Synthetic trees, built here
 * with an independent few-line writer, show what the format cannot prove (Hu–Zhang–Guo).
 */
import { readFileSync } from 'node:fs';
import { BaseError } from '@custos/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { verifyOkx2022Proof } from './index.js';

const PROOF = readFileSync(new URL('../../test/fixtures/okx/merkle_proof_file.json', import.meta.url), 'utf8');

interface Rejection {
  code: string;
  reason: string;
}

function rejection(run: () => unknown): Rejection | undefined {
  try {
    run();
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    return { code: error.code, reason: String(error.details.reason) };
  }
  return undefined;
}

/** A deterministic substitution that stays in the character's class (hex stays lower-case hex). */
function substitute(c: string): string {
  if (c >= '0' && c <= '8') return String.fromCharCode(c.charCodeAt(0) + 1);
  if (c === '9') return 'a';
  if (c >= 'a' && c <= 'e') return String.fromCharCode(c.charCodeAt(0) + 1);
  if (c === 'f') return '0';
  if (c >= 'g' && c < 'z') return String.fromCharCode(c.charCodeAt(0) + 1);
  if (c === 'z') return 'a';
  if (c >= 'A' && c < 'Z') return String.fromCharCode(c.charCodeAt(0) + 1);
  const swaps: Record<string, string> = {
    '"': "'",
    ':': ';',
    ',': ';',
    '.': ',',
    '{': '[',
    '}': ']',
    '[': '{',
    ']': '}',
  };
  return swaps[c] ?? 'x';
}

/** A digit replacement that keeps a canonical decimal canonical (never introduces a 0). */
function nextDigit(c: string): string {
  return String((Number(c) % 9) + 1);
}

function mutate(text: string, position: number, replacement: string): string {
  return text.slice(0, position) + replacement + text.slice(position + 1);
}

/** Positions of the first capture group of every match of `re`, one array per match. */
function spans(text: string, re: RegExp): number[][] {
  const indexed = new RegExp(re.source, `${re.flags}d`);
  return [...text.matchAll(indexed)].map((m) => {
    const [start, end] = m.indices?.[1] ?? [0, 0];
    return Array.from({ length: end - start }, (_, k) => start + k);
  });
}

/** Entry index (0..23 for path, 24 for self) of a text position; self comes last in this file. */
function entryAt(position: number): number {
  return PROOF.slice(0, position).split('"auditId"').length - 2;
}

function reasonsOf(mutations: readonly string[]): Map<string, number> {
  const tally = new Map<string, number>();
  for (const text of mutations) {
    const r = rejection(() => verifyOkx2022Proof(text));
    const key = r === undefined ? 'ACCEPTED' : `${r.code}/${r.reason}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  return tally;
}

describe('verifyOkx2022Proof on the real OKX sample', () => {
  it('verifies and reproduces the published root sums', () => {
    const result = verifyOkx2022Proof(PROOF);
    expect(result.valid).toBe(true);
    expect(result.root).toEqual({
      height: 24,
      hash: 'ac6b39d2a0aa8112bd1aadff5e7d4b5c2b91cd54d595262ba4367f5d2db4160d',
      balances: { BTC: '95088.55505656', ETH: '939953.49090361', USDT: '3137909428.88369702' },
    });
    expect(result.levels).toBe(24);
    expect(result.auditId).toBe('499930592');
    expect(result.userHash).toBe('461a101e9aa20e694e52cb95dae0d84d81787f532859f1385bae3f009926366c');
    expect(result.userBalances).toEqual({ BTC: '1.000069', ETH: '0.99908176', USDT: '19398.33550812' });
    expect(result.path).toHaveLength(24);
    expect(result.path[1]?.balances).toEqual({ BTC: '1.000069', ETH: '0.99908176', USDT: '19398.33558094' });
    expect(result.path[23]).toEqual(result.root);
  });

  it('accepts the parsed JSON as well as the text', () => {
    expect(verifyOkx2022Proof(JSON.parse(PROOF)).root.hash).toBe(verifyOkx2022Proof(PROOF).root.hash);
  });
});

describe('verifyOkx2022Proof rejects every single-character change', () => {
  it('at every position of the file (compact JSON, so no change is neutral)', () => {
    const mutations = [...PROOF].map((c, i) => mutate(PROOF, i, substitute(c)));
    const tally = reasonsOf(mutations);
    expect(tally.get('ACCEPTED')).toBeUndefined();
    expect(mutations).toHaveLength(4991);
    // Every rejection is one of ours, never a TypeError; both error codes occur.
    for (const key of tally.keys()) expect(key).toMatch(/^POR_(INVALID_INPUT|PROOF_INVALID)\//);
  });

  it('in every hash and nonce, by the hash check that binds it', () => {
    const hashes = spans(PROOF, /"hash":"([0-9a-f]{64})"/g);
    const nonces = spans(PROOF, /"nonce":"([0-9a-f]{64})"/g);
    expect(hashes).toHaveLength(25);
    expect(nonces).toHaveLength(2);
    const expected = (entry: number): string => {
      if (entry === 24) return 'leaf-hash';
      if (entry === 0) return 'sibling-leaf-hash';
      // path[21] is the padding copy of the height-22 ancestor, so it checks every hash below it.
      if (entry <= 21) return 'padding';
      return 'root-mismatch';
    };
    let count = 0;
    for (const p of [...hashes, ...nonces].flat()) {
      const r = rejection(() => verifyOkx2022Proof(mutate(PROOF, p, substitute(PROOF[p] as string))));
      expect(r).toEqual({ code: 'POR_PROOF_INVALID', reason: expected(entryAt(p)) });
      count++;
    }
    expect(count).toBe(27 * 64);
  });

  it('in every digit of every balance, by the leaf hash or the sums', () => {
    const digits = spans(PROOF, /"(?:BTC|ETH|USDT)":"([0-9.]+)"/g)
      .flat()
      .filter((p) => PROOF[p] !== '.');
    let count = 0;
    for (const p of digits) {
      const entry = entryAt(p);
      const r = rejection(() => verifyOkx2022Proof(mutate(PROOF, p, nextDigit(PROOF[p] as string))));
      // Below the padding sibling (path[21]) a changed sum changes the ancestor it must copy.
      const reason =
        entry === 24 ? 'leaf-hash' : entry === 0 ? 'sibling-leaf-hash' : entry <= 21 ? 'padding' : 'sum-mismatch';
      expect(r).toEqual({ code: 'POR_PROOF_INVALID', reason });
      count++;
    }
    expect(count).toBe(digits.length);
    expect(count).toBeGreaterThan(500);
  });

  it('in every height, type and audit id', () => {
    const heights = spans(PROOF, /"height":([0-9]+)/g).flat();
    const auditIds = spans(PROOF, /"auditId":"([0-9]+)"/g).flat();
    const types = spans(PROOF, /"type":([0-9])/g).flat();
    expect(heights).toHaveLength(25 + 15); // 25 entries, heights 10..24 have two digits
    for (const p of heights) {
      expect(rejection(() => verifyOkx2022Proof(mutate(PROOF, p, nextDigit(PROOF[p] as string))))).toEqual({
        code: 'POR_PROOF_INVALID',
        reason: 'height',
      });
    }
    for (const p of auditIds) {
      expect(rejection(() => verifyOkx2022Proof(mutate(PROOF, p, nextDigit(PROOF[p] as string))))).toEqual({
        code: 'POR_PROOF_INVALID',
        reason: 'audit-id',
      });
    }
    // Each type replaced by every other value 0..5: 0 and 5 are not types at all (malformed);
    // 1..4 are rejected by the position rules, the padding rules, or the root no longer matching.
    let typeCount = 0;
    for (const p of types) {
      for (const t of ['0', '1', '2', '3', '4', '5']) {
        if (t === PROOF[p]) continue;
        const r = rejection(() => verifyOkx2022Proof(mutate(PROOF, p, t)));
        if (t === '0' || t === '5') expect(r).toEqual({ code: 'POR_INVALID_INPUT', reason: 'malformed' });
        else expect(['position', 'padding', 'root-mismatch']).toContain(r?.reason);
        typeCount++;
      }
    }
    expect(typeCount).toBe(25 * 5);
    expect(auditIds).toHaveLength(25 * 9);
  });
});

describe('verifyOkx2022Proof input errors', () => {
  const object = (): { path: Record<string, unknown>[]; self: Record<string, unknown> } => JSON.parse(PROOF);
  const withSelf = (patch: Record<string, unknown>): unknown => {
    const o = object();
    Object.assign(o.self, patch);
    return o;
  };
  const withBalance = (value: unknown): unknown => {
    const o = object();
    (o.path[3]?.balances as Record<string, unknown>).BTC = value;
    return o;
  };

  it.each([
    ['text that is not JSON', '{"path":', 'json'],
    ['a number', 42, 'malformed'],
    ['null', null, 'malformed'],
    ['an array', [], 'malformed'],
    ['a missing self', { path: [] }, 'malformed'],
    ['an empty path', { ...JSON.parse(PROOF), path: [] }, 'malformed'],
    ['an unknown top-level field', { ...JSON.parse(PROOF), extra: 1 }, 'malformed'],
    ['an upper-case hash', withSelf({ hash: (JSON.parse(PROOF).self.hash as string).toUpperCase() }), 'malformed'],
    ['a short nonce', withSelf({ nonce: 'abc' }), 'malformed'],
    ['a string height', withSelf({ height: '1' }), 'malformed'],
    ['a fractional type', withSelf({ type: 1.5 }), 'malformed'],
    ['a numeric balance', withBalance(1), 'malformed'],
    ['a trailing zero', withBalance('0.10'), 'malformed'],
    ['nine decimals', withBalance('0.000000001'), 'malformed'],
    ['an exponent', withBalance('1e3'), 'malformed'],
    ['a leading zero', withBalance('01'), 'malformed'],
    ['a negative zero', withBalance('-0'), 'malformed'],
    ['a leading plus', withBalance('+1'), 'malformed'],
  ])('refuses %s with POR_INVALID_INPUT', (_, input, reason) => {
    expect(rejection(() => verifyOkx2022Proof(input))).toEqual({ code: 'POR_INVALID_INPUT', reason });
  });

  it('refuses a nonce on an internal sibling', () => {
    const o = object();
    (o.path[5] as Record<string, unknown>).nonce = '00'.repeat(32);
    expect(rejection(() => verifyOkx2022Proof(o))).toEqual({ code: 'POR_INVALID_INPUT', reason: 'malformed' });
  });
});

// An independent writer of the 2022 format for synthetic trees (never used by the verifier).
type Triple = readonly [bigint, bigint, bigint];
const h = (s: string): string => bytesToHex(sha256(utf8ToBytes(s)));
const fmt = (u: bigint): string => {
  const neg = u < 0n;
  const s = (neg ? -u : u).toString().padStart(9, '0');
  const frac = s.slice(-8).replace(/0+$/, '');
  return `${neg ? '-' : ''}${s.slice(0, -8)}${frac ? `.${frac}` : ''}`;
};
const bal = (t: Triple) => ({ BTC: fmt(t[0]), ETH: fmt(t[1]), USDT: fmt(t[2]) });
const add = (a: Triple, b: Triple): Triple => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const sub = (a: Triple, b: Triple): Triple => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
function larger(x: bigint, y: bigint): bigint {
  if (x > y) return x;
  return y;
}
const max = (a: Triple, b: Triple): Triple => [larger(a[0], b[0]), larger(a[1], b[1]), larger(a[2], b[2])];
const leaf = (nonce: string, t: Triple): string => {
  const b = bal(t);
  return h(`${nonce}{"BTC":"${b.BTC}","ETH":"${b.ETH}","USDT":"${b.USDT}"}`);
};
const node = (l: string, r: string, t: Triple, height: number): string => {
  const b = bal(t);
  return h(`${l}${r}${b.BTC}${b.ETH}${b.USDT}${height}`);
};
const entry = (hash: string, t: Triple, type: number, height: number, nonce?: string) => ({
  balances: bal(t),
  type,
  hash,
  height,
  ...(nonce === undefined ? {} : { nonce }),
});

/** Four users in a 4-leaf tree; the two height-2 subtrees hold `a` and `b`. */
function fourUsers(balances: readonly Triple[]) {
  const nonces = [1, 2, 3, 4].map((i) => String(i).repeat(64));
  const leaves = balances.map((t, i) => leaf(nonces[i] as string, t));
  const [t1, t2, t3, t4] = balances as [Triple, Triple, Triple, Triple];
  const a = add(t1, t2);
  const b = add(t3, t4);
  const A = node(leaves[0] as string, leaves[1] as string, a, 2);
  const B = node(leaves[2] as string, leaves[3] as string, b, 2);
  return { nonces, leaves, t1, t2, t3, t4, a, b, A, B };
}

describe('what the 2022 format cannot prove', () => {
  const U = 100_000_000n; // one coin
  const users: Triple[] = [
    [5n * U, 0n, 100n * U],
    [1n * U, 10n * U, 0n],
    [2n * U, 3n * U, 50n * U],
    [4n * U, 0n, 10n * U],
  ];

  it('an honest synthetic tree verifies for each user', () => {
    const { nonces, leaves, t1, t2, t3, a, b, A, B } = fourUsers(users);
    const total = add(a, b);
    const root = node(A, B, total, 3);
    const proofFor1 = {
      self: entry(leaves[0] as string, t1, 1, 1, nonces[0]),
      path: [entry(leaves[1] as string, t2, 2, 1, nonces[1]), entry(B, b, 2, 2), entry(root, total, 3, 3)],
    };
    expect(verifyOkx2022Proof(proofFor1).root.balances).toEqual(bal(total));
    const proofFor3 = {
      self: entry(leaves[2] as string, t3, 1, 1, nonces[2]),
      path: [
        entry(leaves[3] as string, users[3] as Triple, 2, 1, nonces[3]),
        entry(A, a, 1, 2),
        entry(root, total, 3, 3),
      ],
    };
    expect(verifyOkx2022Proof(proofFor3).root.hash).toBe(root);
  });

  it('Hu–Zhang–Guo: two users accept the same under-reported root (sibling sums are not bound)', () => {
    const { nonces, leaves, t1, t2, t3, t4, a, b, A, B } = fourUsers(users);
    // The parent commits only to its own sum, so the exchange publishes S = max(a, b) instead of
    // a + b and shows each side the sibling value S - own subtree, which is never negative.
    const S = max(a, b);
    const root = node(A, B, S, 3);
    const proofFor1 = {
      self: entry(leaves[0] as string, t1, 1, 1, nonces[0]),
      path: [entry(leaves[1] as string, t2, 2, 1, nonces[1]), entry(B, sub(S, a), 2, 2), entry(root, S, 3, 3)],
    };
    const proofFor3 = {
      self: entry(leaves[2] as string, t3, 1, 1, nonces[2]),
      path: [entry(leaves[3] as string, t4, 2, 1, nonces[3]), entry(A, sub(S, b), 1, 2), entry(root, S, 3, 3)],
    };
    const r1 = verifyOkx2022Proof(proofFor1);
    const r3 = verifyOkx2022Proof(proofFor3);
    expect(r1.root).toEqual(r3.root);
    expect(r1.root.balances).toEqual({ BTC: '6', ETH: '10', USDT: '100' });
    expect(bal(add(a, b))).toEqual({ BTC: '12', ETH: '13', USDT: '160' }); // the real liabilities
  });

  it('a negative account is seen only by the user whose sibling it is', () => {
    const { nonces, leaves, t1, t2, a, A } = fourUsers(users);
    // The right subtree holds a real user with 5 BTC and a fake account with -4 BTC: its sum, 1 BTC,
    // is all anybody else sees, and the published total is 4 BTC short.
    const real: Triple = [5n * U, 0n, 0n];
    const fake: Triple = [-4n * U, 0n, 0n];
    const fakeLeaves = [leaf('5'.repeat(64), real), leaf('6'.repeat(64), fake)] as const;
    const b = add(real, fake);
    const B = node(fakeLeaves[0], fakeLeaves[1], b, 2);
    const total = add(a, b);
    const root = node(A, B, total, 3);
    const proofFor1 = {
      self: entry(leaves[0] as string, t1, 1, 1, nonces[0]),
      path: [entry(leaves[1] as string, t2, 2, 1, nonces[1]), entry(B, b, 2, 2), entry(root, total, 3, 3)],
    };
    expect(verifyOkx2022Proof(proofFor1).root.balances.BTC).toBe('7');
    const proofForReal = {
      self: entry(fakeLeaves[0], real, 1, 1, '5'.repeat(64)),
      path: [entry(fakeLeaves[1], fake, 2, 1, '6'.repeat(64)), entry(A, a, 1, 2), entry(root, total, 3, 3)],
    };
    expect(rejection(() => verifyOkx2022Proof(proofForReal))).toEqual({
      code: 'POR_PROOF_INVALID',
      reason: 'negative-balance',
    });
  });

  it('a root hash does not fix how its digits split between assets; the sums are compared by value', () => {
    const result = verifyOkx2022Proof(PROOF);
    const proof = JSON.parse(PROOF) as { path: { hash: string }[] };
    const left = proof.path[22]?.hash as string; // the root's left child is the type-1 sibling
    const right = result.path[22]?.hash as string;
    // Moving the last BTC digit to the front of ETH leaves the hashed text unchanged.
    const resplit = `${left}${right}95088.5550565${'6939953.49090361'}3137909428.8836970224`;
    expect(h(resplit)).toBe(result.root.hash);
    const edited = PROOF.replace(
      '"BTC":"95088.55505656","ETH":"939953.49090361"',
      '"BTC":"95088.5550565","ETH":"6939953.49090361"',
    );
    expect(edited).not.toBe(PROOF);
    expect(rejection(() => verifyOkx2022Proof(edited))).toEqual({ code: 'POR_PROOF_INVALID', reason: 'sum-mismatch' });
  });

  it('a padding sibling must be the zero-balance copy of its pair', () => {
    const nonce = '7'.repeat(64);
    const t: Triple = [1n, 2n, 3n];
    const l = leaf(nonce, t);
    const root = node(l, l, t, 2);
    const ok = { self: entry(l, t, 1, 1, nonce), path: [entry(l, [0n, 0n, 0n], 4, 1), entry(root, t, 3, 2)] };
    expect(verifyOkx2022Proof(ok).root.balances).toEqual(bal(t));
    const typedRight = { ...ok, path: [entry(l, [0n, 0n, 0n], 2, 1), entry(root, t, 3, 2)] };
    expect(rejection(() => verifyOkx2022Proof(typedRight))?.reason).toBe('padding');
  });
});
