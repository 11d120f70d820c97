/**
 * Tests of the March-2023 OKX user-info and full-tree verifier against OKX's own published sample
 * pair (copied into test/fixtures/okx, source in SOURCES.md): the pair verifies with the known
 * root, every single-character change of either file is rejected (whitespace in the pretty-printed
 * user file is the one neutral change, shown separately), and targeted changes are rejected by the
 * check meant for them, at the line they were made. Synthetic trees, written here with an
 * independent few-line writer, cover what the sample cannot: negatives, lies and omissions.
 */
import { readFileSync } from 'node:fs';
import { BaseError } from '@custos/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { parseOkx2023Tree, verifyOkx2023 } from './index.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../test/fixtures/okx/${name}`, import.meta.url), 'utf8');
const USER = fixture('user_info_file.json');
const TREE = fixture('full-liabilities-merkle-tree.txt');
const TREE_LINES = TREE.split('\n').slice(0, -1);

interface Rejection {
  code: string;
  reason: string;
  line: unknown;
}

function rejection(run: () => unknown): Rejection | undefined {
  try {
    run();
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    return { code: error.code, reason: String(error.details.reason), line: error.details.line ?? null };
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

function spans(text: string, re: RegExp): number[][] {
  const indexed = new RegExp(re.source, `${re.flags}d`);
  return [...text.matchAll(indexed)].map((m) => {
    const [start, end] = m.indices?.[1] ?? [0, 0];
    return Array.from({ length: end - start }, (_, k) => start + k);
  });
}

const lineOf = (text: string, position: number): number => text.slice(0, position).split('\n').length;
const heightOfLine = (line: number): number => Number(TREE_LINES[line - 1]?.split(',')[1]);

describe('verifyOkx2023 on the real OKX sample pair', () => {
  it('verifies, rebuilding every node up to the published root', () => {
    const result = verifyOkx2023(USER, TREE);
    expect(result.valid).toBe(true);
    expect(result.root).toEqual({
      line: 1,
      height: 6,
      hash: '9e98ebde32ef22ded88a5fb2d5e53d76ed57cb9c6b2c966f250721defe6ab041',
      balances: { BTC: '0.00005', ETH: '0.1', USDT: '1.42045977' },
    });
    expect(result.levels).toBe(6);
    expect(result.leafCount).toBe(22);
    expect(result.nodeCount).toBe(47);
    expect(result.userHash).toBe('cd7b0c79c62f3c680cdd8e536604b7db1d6e7752dd1111ae4d778103adfec4b9');
    expect(result.userBalances).toEqual({ BTC: '0.00005', ETH: '0', USDT: '0' });
    expect(result.userLeaves.map((l) => [l.line, l.balances.BTC])).toEqual([
      [40, '0.0000487'],
      [34, '0.0000013'],
    ]);
  });

  it('accepts parsed user JSON, CRLF line ends and a missing final newline', () => {
    const root = verifyOkx2023(USER, TREE).root.hash;
    expect(verifyOkx2023(JSON.parse(USER), TREE).root.hash).toBe(root);
    expect(verifyOkx2023(USER, TREE.replaceAll('\n', '\r\n')).root.hash).toBe(root);
    expect(verifyOkx2023(USER, TREE.trimEnd()).root.hash).toBe(root);
  });

  it('parseOkx2023Tree returns each level left to right', () => {
    const tree = parseOkx2023Tree(TREE);
    expect(tree.height).toBe(6);
    expect(tree.lineCount).toBe(47);
    expect(tree.levels.map((l) => l.length)).toEqual([22, 12, 6, 4, 2, 1]);
    expect(tree.root.line).toBe(1);
    // The file lists each level right to left: the leftmost leaf is the last line, the padding
    // (a zero-balance copy of the rightmost real leaf) is the first leaf line.
    expect(tree.levels[0]?.[0]?.line).toBe(47);
    expect(tree.levels[0]?.[21]).toMatchObject({ line: 26, balances: { BTC: '0', ETH: '0', USDT: '0' } });
    expect(tree.levels[0]?.[21]?.hash).toBe(tree.levels[0]?.[20]?.hash);
  });
});

describe('verifyOkx2023 rejects every single-character change of the tree file', () => {
  it('at every position', () => {
    let count = 0;
    for (let p = 0; p < TREE.length; p++) {
      const r = rejection(() => verifyOkx2023(USER, mutate(TREE, p, substitute(TREE[p] as string))));
      expect(r?.code, `position ${p}`).toMatch(/^POR_(INVALID_INPUT|PROOF_INVALID)$/);
      count++;
    }
    expect(count).toBe(5228);
  });

  it('in the hash of every line, at the node itself or (for a leaf) at its parent', () => {
    // Every 8th digit and the last of each hash (the sweep above already covers every position).
    let count = 0;
    for (const positions of spans(TREE, /^([0-9a-f]{64}),/gm)) {
      for (const p of positions.filter((_, k) => k % 8 === 0 || k === 63)) {
        const line = lineOf(TREE, p);
        const r = rejection(() => verifyOkx2023(USER, mutate(TREE, p, substitute(TREE[p] as string))));
        if (line === 1) expect(r).toEqual({ code: 'POR_PROOF_INVALID', reason: 'root-mismatch', line: 1 });
        else if (heightOfLine(line) > 1) expect(r).toEqual({ code: 'POR_PROOF_INVALID', reason: 'node-hash', line });
        else {
          expect(r).toMatchObject({ code: 'POR_PROOF_INVALID', reason: 'node-hash' });
          expect(heightOfLine(r?.line as number)).toBe(2);
        }
        count++;
      }
    }
    expect(count).toBe(47 * 9);
  });

  it('in every digit of every balance, as a sum that no longer adds up', () => {
    let count = 0;
    for (const p of spans(TREE, /"(?:BTC|ETH|USDT)":"([0-9.]+)"/g).flat()) {
      if (TREE[p] === '.') continue;
      const line = lineOf(TREE, p);
      const r = rejection(() => verifyOkx2023(USER, mutate(TREE, p, nextDigit(TREE[p] as string))));
      expect(r).toMatchObject({ code: 'POR_PROOF_INVALID', reason: 'sum-mismatch' });
      // An internal node is caught at its own line, a leaf at its parent.
      if (heightOfLine(line) > 1) expect(r?.line).toBe(line);
      else expect(heightOfLine(r?.line as number)).toBe(2);
      count++;
    }
    expect(count).toBeGreaterThan(300);
  });

  it('in every height, as a malformed layout or a level of the wrong size', () => {
    const positions = spans(TREE, /^[0-9a-f]{64},([0-9]+),/gm).flat();
    expect(positions).toHaveLength(47);
    for (const p of positions) {
      const r = rejection(() => verifyOkx2023(USER, mutate(TREE, p, nextDigit(TREE[p] as string))));
      expect(['POR_INVALID_INPUT/malformed', 'POR_PROOF_INVALID/tree-shape']).toContain(`${r?.code}/${r?.reason}`);
    }
  });

  it('when any line is deleted, duplicated or swapped with its neighbour', () => {
    let count = 0;
    for (let i = 0; i < TREE_LINES.length; i++) {
      const deleted = TREE_LINES.filter((_, k) => k !== i);
      const duplicated = [...TREE_LINES.slice(0, i + 1), ...TREE_LINES.slice(i)];
      for (const lines of [deleted, duplicated]) {
        expect(rejection(() => verifyOkx2023(USER, `${lines.join('\n')}\n`))).toBeDefined();
        count++;
      }
      if (i + 1 < TREE_LINES.length) {
        const swapped = [...TREE_LINES];
        [swapped[i], swapped[i + 1]] = [swapped[i + 1] as string, swapped[i] as string];
        expect(
          rejection(() => verifyOkx2023(USER, `${swapped.join('\n')}\n`)),
          `swap ${i + 1}`,
        ).toBeDefined();
        count++;
      }
    }
    expect(count).toBe(47 * 2 + 46);
  });
});

describe('verifyOkx2023 rejects every single-character change of the user file', () => {
  it('at every position', () => {
    let count = 0;
    for (let p = 0; p < USER.length; p++) {
      const r = rejection(() => verifyOkx2023(mutate(USER, p, substitute(USER[p] as string)), TREE));
      expect(r?.code, `position ${p}`).toMatch(/^POR_(INVALID_INPUT|PROOF_INVALID)$/);
      count++;
    }
    expect(count).toBe(762);
  });

  it('except whitespace turned into other whitespace, which JSON ignores (neutral, so excluded above)', () => {
    const whitespace = [...USER].flatMap((c, p) => (c === ' ' || c === '\n' ? [p] : []));
    expect(whitespace.length).toBeGreaterThan(100);
    for (const p of whitespace) expect(verifyOkx2023(mutate(USER, p, '\t'), TREE).valid).toBe(true);
  });

  it('in the user hash, nonce or totals (user hash) and in a leaf hash or balance (leaf hash)', () => {
    const userHash = spans(USER, /^ {4}"hash": "([0-9a-f]{64})"/gm).flat();
    const nonce = spans(USER, /"nonce": "([0-9a-f]{64})"/g).flat();
    const leafHashes = spans(USER, /^ {12}"hash": "([0-9a-f]{64})"/gm).flat();
    const totalsStart = USER.indexOf('"totalBalances"');
    const balanceDigits = spans(USER, /"(?:BTC|ETH|USDT)": "([0-9.]+)"/g)
      .flat()
      .filter((p) => USER[p] !== '.');
    const cases: [number[], string][] = [
      [userHash, 'user-hash'],
      [nonce, 'user-hash'],
      [
        balanceDigits.filter((p) => p > totalsStart),
        'user-hash', // totalBalances is bound by the user hash
      ],
      [leafHashes, 'leaf-hash'],
      [balanceDigits.filter((p) => p < totalsStart), 'leaf-hash'],
    ];
    let count = 0;
    for (const [positions, reason] of cases) {
      expect(positions.length).toBeGreaterThan(0);
      for (const p of positions) {
        const c = USER[p] as string;
        const text = mutate(USER, p, /[0-9]/.test(c) ? nextDigit(c) : substitute(c));
        expect(rejection(() => verifyOkx2023(text, TREE))).toEqual({ code: 'POR_PROOF_INVALID', reason, line: null });
        count++;
      }
    }
    expect(count).toBe(64 + 64 + 8 + 2 * 64 + 2 * 10); // hashes, nonce, total digits, leaf hashes, leaf digits
  });
});

describe('verifyOkx2023 input errors', () => {
  const user = (): Record<string, unknown> => JSON.parse(USER);
  const lines = (edit: (l: string[]) => void): string => {
    const copy = [...TREE_LINES];
    edit(copy);
    return `${copy.join('\n')}\n`;
  };

  it.each([
    ['user text that is not JSON', '{', 'json'],
    ['a user array', [], 'malformed'],
    ['a missing nonce', { ...user(), nonce: undefined }, 'malformed'],
    ['an unknown field', { ...user(), extra: true }, 'malformed'],
    ['no leaves', { ...user(), nodes: [] }, 'malformed'],
    ['a leaf with a height', { ...user(), nodes: [{ ...(user().nodes as object[])[0], height: 1 }] }, 'malformed'],
    ['a non-canonical total', { ...user(), totalBalances: { BTC: '0.000050', ETH: '0', USDT: '0' } }, 'malformed'],
  ])('refuses %s with POR_INVALID_INPUT', (_, input, reason) => {
    const value = JSON.parse(JSON.stringify(input) ?? 'null');
    expect(rejection(() => verifyOkx2023(value, TREE))).toMatchObject({ code: 'POR_INVALID_INPUT', reason });
  });

  it.each([
    ['an empty file', '', null],
    ['an empty line', lines((l) => l.splice(3, 0, '')), 4],
    ['spaces in the balances', lines((l) => l.splice(2, 1, (l[2] as string).replace(':', ': '))), 3],
    ['a missing field', lines((l) => l.splice(5, 1, (l[5] as string).replace(/,[0-9]+,/, ','))), 6],
    ['an upper-case hash', lines((l) => l.splice(7, 1, (l[7] as string).toUpperCase())), 8],
    ['a height of 0', lines((l) => l.splice(9, 1, (l[9] as string).replace(',3,', ',0,'))), 10],
    ['a trailing zero', lines((l) => l.splice(0, 1, (l[0] as string).replace('"0.1"', '"0.10"'))), 1],
    ['a second root', lines((l) => l.splice(1, 0, l[0] as string)), 2],
    ['a skipped height', lines((l) => l.splice(1, 2)), 2],
    ['a height going up', lines((l) => l.splice(4, 0, l[1] as string)), 5],
    ['no leaves at the end', lines((l) => l.splice(25)), 25],
  ])('refuses a tree with %s, naming the line', (_, text, line) => {
    expect(rejection(() => verifyOkx2023(USER, text))).toEqual({
      code: 'POR_INVALID_INPUT',
      reason: 'malformed',
      line,
    });
    expect(rejection(() => parseOkx2023Tree(text))).toEqual({ code: 'POR_INVALID_INPUT', reason: 'malformed', line });
  });

  it('refuses a tree that is not text', () => {
    expect(rejection(() => parseOkx2023Tree(42 as unknown as string))?.code).toBe('POR_INVALID_INPUT');
  });
});

// An independent writer of the 2023 format for synthetic trees (never used by the verifier).
type Triple = readonly [bigint, bigint, bigint];
const h = (s: string): string => bytesToHex(sha256(utf8ToBytes(s)));
const fmt = (u: bigint): string => {
  const neg = u < 0n;
  const s = (neg ? -u : u).toString().padStart(9, '0');
  const frac = s.slice(-8).replace(/0+$/, '');
  return `${neg ? '-' : ''}${s.slice(0, -8)}${frac ? `.${frac}` : ''}`;
};
const add = (a: Triple, b: Triple): Triple => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const ZERO: Triple = [0n, 0n, 0n];
const json = (t: Triple): string => `{"BTC":"${fmt(t[0])}","ETH":"${fmt(t[1])}","USDT":"${fmt(t[2])}"}`;

interface WNode {
  hash: string;
  t: Triple;
}

function userFile(nonce: string, leaves: readonly Triple[]) {
  const total = leaves.reduce(add, ZERO);
  const hash = h(`${nonce}${json(total)}`);
  const nodes = leaves.map((t) => ({
    hash: h(`${hash}${fmt(t[0])}${fmt(t[1])}${fmt(t[2])}`),
    balances: { BTC: fmt(t[0]), ETH: fmt(t[1]), USDT: fmt(t[2]) },
  }));
  return {
    info: { hash, nodes, nonce, totalBalances: JSON.parse(json(total)) },
    leaves: nodes.map((n, i) => ({ hash: n.hash, t: leaves[i] as Triple })),
  };
}

/** Writes a tree file the way OKX does; `lie` may replace a parent's sum (its hash follows the lie). */
function writeTree(leaves: readonly WNode[], lie?: (height: number, index: number, sum: Triple) => Triple): string {
  const pad = (level: WNode[]): WNode[] =>
    level.length % 2 === 1 ? [...level, { hash: (level[level.length - 1] as WNode).hash, t: ZERO }] : level;
  const levels: WNode[][] = [pad([...leaves])];
  while ((levels[levels.length - 1] as WNode[]).length > 1) {
    const below = levels[levels.length - 1] as WNode[];
    const height = levels.length + 1;
    const up: WNode[] = [];
    for (let i = 0; i < below.length; i += 2) {
      const l = below[i] as WNode;
      const r = below[i + 1] as WNode;
      const t = lie ? lie(height, i / 2, add(l.t, r.t)) : add(l.t, r.t);
      up.push({ hash: h(`${l.hash}${r.hash}${fmt(t[0])}${fmt(t[1])}${fmt(t[2])}${height}`), t });
    }
    levels.push(up.length > 1 ? pad(up) : up);
  }
  return levels
    .map((level, i) => [...level].reverse().map((n) => `${n.hash},${i + 1},${json(n.t)}`))
    .reverse()
    .flat()
    .join('\n');
}

describe('what the 2023 format proves with a full rebuild, and what it cannot', () => {
  const U = 100_000_000n;
  const alice = userFile('a'.repeat(64), [
    [1n * U, 0n, 5n],
    [2n, 3n * U, 0n],
  ]);
  const bob = userFile('b'.repeat(64), [[0n, 0n, 70n * U]]);
  const carol = userFile('c'.repeat(64), [[4n * U, 1n, 1n]]);
  const others = [...bob.leaves, ...carol.leaves];

  it('a tree written the OKX way verifies for every user in it', () => {
    const tree = writeTree([...alice.leaves, ...others]);
    expect(verifyOkx2023(alice.info, tree).root.balances).toEqual({
      BTC: '5.00000002',
      ETH: '3.00000001',
      USDT: '70.00000006',
    });
    expect(verifyOkx2023(bob.info, tree).userLeaves).toHaveLength(1);
    expect(verifyOkx2023(carol.info, tree).levels).toBe(3);
  });

  it('two equal leaves of one user (the same hash twice) each need their own line', () => {
    const twin = userFile('d'.repeat(64), [
      [1n, 1n, 1n],
      [1n, 1n, 1n],
    ]);
    expect(twin.leaves[0]?.hash).toBe(twin.leaves[1]?.hash);
    const both = verifyOkx2023(twin.info, writeTree([...twin.leaves, ...others]));
    expect(new Set(both.userLeaves.map((l) => l.line)).size).toBe(2);
    const one = writeTree([twin.leaves[0] as WNode, ...others]);
    expect(rejection(() => verifyOkx2023(twin.info, one))?.reason).toBe('leaf-missing');
  });

  it('a parent that under-reports its children (Hu–Zhang–Guo) is caught by the rebuild', () => {
    // Height 2, node 1 (bob and carol) claims max instead of the sum; its hash follows the lie.
    const tree = writeTree([...alice.leaves, ...others], (height, index, sum) =>
      height === 2 && index === 1 ? [4n * U, 1n, 70n * U] : sum,
    );
    expect(rejection(() => verifyOkx2023(alice.info, tree))).toMatchObject({ reason: 'sum-mismatch' });
  });

  it('a negative leaf is refused, wherever it is', () => {
    const fake: WNode = { hash: h('fake'), t: [-3n * U, 0n, 0n] };
    const tree = writeTree([...alice.leaves, ...others, fake]);
    expect(rejection(() => verifyOkx2023(alice.info, tree))).toMatchObject({ reason: 'negative-balance' });
  });

  it('an omitted user is noticed only by that user', () => {
    const tree = writeTree([...alice.leaves, ...bob.leaves]);
    expect(verifyOkx2023(alice.info, tree).valid).toBe(true);
    expect(rejection(() => verifyOkx2023(carol.info, tree))).toMatchObject({ reason: 'leaf-missing' });
  });

  it('the leaf padding must be the last leaf: moving it left is refused', () => {
    const tree = writeTree([...alice.leaves, ...bob.leaves]).split('\n');
    const leafStart = tree.findIndex((l) => l.split(',')[1] === '1');
    [tree[leafStart], tree[leafStart + 1]] = [tree[leafStart + 1] as string, tree[leafStart] as string];
    expect(rejection(() => verifyOkx2023(alice.info, tree.join('\n')))).toMatchObject({ reason: 'padding' });
  });
});
