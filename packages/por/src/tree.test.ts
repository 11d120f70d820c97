/**
 * The liabilities tree end to end at 100,000 users × 22 assets: build, the per-asset totals equal
 * an independent sum of the generated balances, a random sample of proofs verifies in the pure
 * verifier (noble's SHA-256 against the builder's node:crypto), and every tamper — a balance, the
 * salt, a sibling hash, a sibling sum, the height, the root, the signature, a root re-signed under
 * another key — is rejected with its named reason when the exchange's key is pinned. Bad input is
 * refused at build time with the line number; a build interrupted in any phase resumes to the same
 * root; CSV and NDJSON of the same snapshot make the same tree.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildPhase, buildLiabilitiesTree, readBuildState } from './build.js';
import { RoundReader } from './proof.js';
import { type RootFile, signRoot } from './root.js';
import { formatUnits, type GeneratedSnapshot, writeSnapshot } from './testing/snapshot.js';
import { type InclusionProof, verifyInclusionProof, verifyRoot } from './verify.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-por-'));
const SEED = new Uint8Array(32).map((_, i) => i + 7);
const PUBKEY = bytesToHex(ed25519.getPublicKey(SEED));
const FIXED = { signingSeed: SEED, roundId: '2026-11', snapshotTime: '2026-11-30T23:59:59.000Z' } as const;

let snapshot: GeneratedSnapshot;
let root: RootFile;
let reader: RoundReader;

beforeAll(async () => {
  snapshot = await writeSnapshot(join(dir, 'big.csv'), { users: 100_000, assets: 22, seed: 11, samples: 200 });
  const result = buildLiabilitiesTree({ ...FIXED, input: join(dir, 'big.csv'), out: join(dir, 'big') });
  root = result.root;
  reader = RoundReader.open(join(dir, 'big'));
}, 120_000);

afterAll(() => {
  reader?.close();
  rmSync(dir, { recursive: true, force: true });
});

const rejection = (run: () => unknown): { code?: string; details?: { reason?: string } } => {
  try {
    run();
  } catch (error) {
    return error as { code?: string; details?: { reason?: string } };
  }
  throw new Error('expected a rejection');
};

describe('a round of 100,000 users × 22 assets', () => {
  it('has per-asset totals equal to an independent sum of the generated balances', () => {
    expect(root.totals).toEqual(snapshot.totals.map((t, i) => formatUnits(t, snapshot.assets[i]?.scale as number)));
    expect(root.height).toBe(17); // ⌈log2 100,000⌉
    expect(root.publicKey).toBe(PUBKEY);
    expect(reader.users).toBe(100_000);
  });

  it('gives every sampled user a proof that verifies against the pinned key (200 users)', () => {
    expect(snapshot.sampleIds.length).toBeGreaterThanOrEqual(200);
    const positions = new Set<number>();
    for (const id of snapshot.sampleIds) {
      const proof = reader.proof(id);
      const verified = verifyInclusionProof(proof, root, { publicKey: PUBKEY });
      expect(verified).toMatchObject({ userId: id, rootHash: root.rootHash, signer: { pinned: true } });
      positions.add(proof.position);
    }
    // Shuffled: the sampled users (every 500th input row) are not in input order.
    const ordered = [...positions];
    expect(ordered.some((p, i) => i > 0 && p < (ordered[i - 1] as number))).toBe(true);
  });

  it('a root checked once verifies many proofs; a plain object cannot pass as a checked root', () => {
    const checked = verifyRoot(root, { publicKey: PUBKEY });
    for (const id of snapshot.sampleIds.slice(0, 20)) verifyInclusionProof(reader.proof(id), checked);
    const forged = { root: { ...root, rootHash: '00'.repeat(32) }, signer: { publicKey: PUBKEY, pinned: true } };
    expect(rejection(() => verifyInclusionProof(reader.proof(snapshot.sampleIds[0] as string), forged)).code).toBe(
      'POR_PROOF_INVALID',
    );
    // Pinning the same key again (any spelling) keeps it valid and says it was pinned.
    const unpinned = verifyRoot(root);
    expect(
      verifyInclusionProof(reader.proof(snapshot.sampleIds[0] as string), unpinned, {
        publicKey: `0x${PUBKEY.toUpperCase()}`,
      }).signer,
    ).toEqual({ publicKey: PUBKEY, pinned: true });
    const other = bytesToHex(ed25519.getPublicKey(new Uint8Array(32).fill(1)));
    expect(
      rejection(() =>
        verifyInclusionProof(reader.proof(snapshot.sampleIds[0] as string), checked, { publicKey: other }),
      ).details?.reason,
    ).toBe('wrong-signer');
  });

  it('answers NOT_FOUND for a user who is not in the round', () => {
    expect(rejection(() => reader.proof('nobody'))).toMatchObject({ code: 'NOT_FOUND' });
  });

  describe('rejects every tamper with its named reason (key pinned)', () => {
    const fresh = (): { proof: InclusionProof; root: RootFile } => ({
      proof: structuredClone(reader.proof(snapshot.sampleIds[3] as string)),
      root: structuredClone(root),
    });
    const reason = (p: unknown, r: unknown, publicKey: string | undefined = PUBKEY) =>
      rejection(() => verifyInclusionProof(p, r, { publicKey })).details?.reason;

    it('a changed balance', () => {
      const { proof, root: r } = fresh();
      const i = proof.balances.findIndex((b) => b !== '0');
      proof.balances[i] = proof.balances[i] === '1' ? '2' : '1';
      expect(reason(proof, r)).toBe('leaf-hash-mismatch');
    });
    it('a changed salt', () => {
      const { proof, root: r } = fresh();
      proof.salt = `${proof.salt.slice(0, -1)}${proof.salt.endsWith('0') ? '1' : '0'}`;
      expect(reason(proof, r)).toBe('leaf-hash-mismatch');
    });
    it('a changed sibling hash', () => {
      const { proof, root: r } = fresh();
      const step = proof.path[5] as InclusionProof['path'][number];
      step.sibling.hash = `${step.sibling.hash.slice(0, -1)}${step.sibling.hash.endsWith('0') ? '1' : '0'}`;
      expect(reason(proof, r)).toBe('node-hash-mismatch');
    });
    it('a changed sibling sum, and one over the 2^96 bound', () => {
      const { proof, root: r } = fresh();
      const step = proof.path[9] as InclusionProof['path'][number];
      step.sibling.sums[0] = '0';
      expect(reason(proof, r)).toBe('node-hash-mismatch');
      step.sibling.sums[1] = '79228162514264337593543950336'; // 2^96 units at scale 0 would already be too much
      expect(reason(proof, r)).toBe('sibling-sum-over-bound');
    });
    it('a changed height (a level dropped, or the root file’s height)', () => {
      const { proof, root: r } = fresh();
      proof.path.pop();
      expect(reason(proof, r)).toBe('height-mismatch');
      const other = fresh();
      other.root.height += 1;
      expect(reason(other.proof, other.root)).toBe('signature-invalid');
    });
    it('a changed root hash or total', () => {
      const { proof, root: r } = fresh();
      r.rootHash = `${r.rootHash.slice(0, -1)}${r.rootHash.endsWith('0') ? '1' : '0'}`;
      expect(reason(proof, r)).toBe('signature-invalid');
      const other = fresh();
      other.root.totals[0] = '1';
      expect(reason(other.proof, other.root)).toBe('signature-invalid');
    });
    it('a changed signature', () => {
      const { proof, root: r } = fresh();
      r.signature = `${r.signature.slice(0, -1)}${r.signature.endsWith('0') ? '1' : '0'}`;
      expect(reason(proof, r)).toBe('signature-invalid');
    });
    it('a root re-signed under another key: refused when the key is pinned, reported when not', () => {
      const { proof, root: r } = fresh();
      const { signature: _s, publicKey: _k, ...unsigned } = r;
      const forged = signRoot(unsigned, new Uint8Array(32).fill(9));
      expect(reason(proof, forged)).toBe('wrong-signer');
      expect(verifyInclusionProof(proof, forged).signer).toEqual({ publicKey: forged.publicKey, pinned: false });
    });
    it('a consistent forgery down the path still cannot reach the signed root', () => {
      const { proof, root: r } = fresh();
      // Move value out of a sibling sum and recompute nothing: the parent hash claimed no longer holds.
      const step = proof.path[0] as InclusionProof['path'][number];
      step.parent = (proof.path[1] as InclusionProof['path'][number]).sibling.hash;
      expect(reason(proof, r)).toBe('node-hash-mismatch');
    });
  });
});

describe('bad snapshots are refused at build time, with the line number', () => {
  const cases: [string, string, RegExp][] = [
    ['negative balance', 'user_id,BTC:8\nu1,0.5\nu2,-1\n', /line 3: BTC: negative balance -1/],
    ['an extra decimal', 'user_id,BTC:8\nu1,0.123456789\n', /line 2: BTC: "0.123456789" has more than 8 decimals/],
    [
      '2^64 units',
      'user_id,BTC:0\nu1,18446744073709551616\n',
      /line 2: BTC: 18446744073709551616 is 2\^64 units or more/,
    ],
    ['a scale above 12', 'user_id,ETH:18\nu1,1\n', /line 1: column "ETH:18": scale 18 is above 12/],
    ['a missing field', 'user_id,BTC:8,ETH:8\nu1,1\n', /line 2: expected 3 fields/],
    ['an extra field', 'user_id,BTC:8\nu1,1,2\n', /line 2: expected 2 fields/],
    ['an empty balance', 'user_id,BTC:8\nu1,\n', /line 2: BTC: empty balance/],
    ['an exponent', 'user_id,BTC:8\nu1,1e5\n', /line 2: BTC: "1e5" is not a decimal/],
    ['a leading zero', 'user_id,BTC:8\nu1,01\n', /line 2: BTC: "01" has a leading zero/],
    ['a blank line inside', 'user_id,BTC:8\nu1,1\n\nu2,1\n', /line 3: blank line inside the snapshot/],
    ['a duplicate user', 'user_id,BTC:8\nu1,1\nu2,1\nu1,2\n', /line 4: the same user_id as line 2/],
    ['a duplicate asset', 'user_id,BTC:8,BTC:6\nu1,1,1\n', /line 1: asset BTC appears twice/],
    ['no users', 'user_id,BTC:8\n', /the snapshot has no users/],
    [
      'NDJSON with a number',
      '{"user_id":"u1","BTC:8":"1"}\n{"user_id":"u2","BTC:8":1}\n',
      /line 2: "BTC:8" must be a decimal string/,
    ],
  ];
  it.each(cases)('%s', (_name, text, message) => {
    const input = join(dir, `bad-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(input, text);
    const error = rejection(() => buildLiabilitiesTree({ ...FIXED, input, out: `${input}.round` }));
    expect(error).toMatchObject({ code: 'POR_INVALID_INPUT' });
    expect((error as unknown as Error).message).toMatch(message);
  });
});

describe('a build interrupted in any phase resumes to the same root (20,000 users × 5 assets)', () => {
  let input: string;
  let expected: RootFile;

  beforeAll(async () => {
    input = join(dir, 'resume.csv');
    await writeSnapshot(input, { users: 20_000, assets: 5, seed: 3 });
    expected = buildLiabilitiesTree({ ...FIXED, input, out: join(dir, 'resume-clean') }).root;
  });

  it.each(['leaves', 'order', 'levels'] as BuildPhase[])('interrupted in %s', (phase) => {
    const out = join(dir, `resume-${phase}`);
    let seen = 0;
    const stop = new Error('interrupted');
    // Leaves: after the first batch's checkpoint; order: at once; levels: a few levels in.
    const at = { leaves: 2, order: 1, levels: 3 }[phase as 'leaves' | 'order' | 'levels'];
    const interrupt = (p: { phase: BuildPhase }) => {
      if (p.phase === phase && ++seen === at) throw stop;
    };
    expect(() => buildLiabilitiesTree({ ...FIXED, input, out, checkpointRows: 4096, onProgress: interrupt })).toThrow(
      stop,
    );
    const state = readBuildState(out);
    expect(state?.phase).toBe(phase);
    if (phase === 'leaves') expect(state?.rows).toBeGreaterThan(0); // resumes from a checkpoint, not row 0
    const resumed = buildLiabilitiesTree({ ...FIXED, input, out, checkpointRows: 4096 });
    expect(resumed.resumed).toBe(true);
    expect(resumed.root).toEqual(expected);
  });
});

describe('look-ups when many users share a sort key (keys forced down to 6 bits)', () => {
  it('finds and proves every one of 2,000 users; duplicates are still refused; a finished round is never rebuilt in place', async () => {
    const input = join(dir, 'crowded.csv');
    const generated = await writeSnapshot(input, { users: 2_000, assets: 3, seed: 8, samples: 2_000 });
    const out = join(dir, 'crowded');
    const built = buildLiabilitiesTree({ ...FIXED, input, out, sortKeyBits: 58 });
    const r = RoundReader.open(out);
    try {
      for (const id of generated.sampleIds) verifyInclusionProof(r.proof(id), built.root, { publicKey: PUBKEY });
      expect(generated.sampleIds).toHaveLength(2_000);
    } finally {
      r.close();
    }
    expect(rejection(() => buildLiabilitiesTree({ ...FIXED, input, out }))).toMatchObject({
      code: 'POR_INVALID_INPUT',
    });
    const dupes = join(dir, 'crowded-dupes.csv');
    writeFileSync(dupes, 'user_id,BTC:8\na,1\nb,1\nc,1\nb,2\n');
    const error = rejection(() =>
      buildLiabilitiesTree({ ...FIXED, input: dupes, out: `${dupes}.round`, sortKeyBits: 60 }),
    );
    expect((error as unknown as Error).message).toMatch(/line 5: the same user_id as line 3/);
  });
});

describe('formats', () => {
  it('CSV and NDJSON of the same snapshot make the same tree (2,000 users × 4 assets)', async () => {
    await writeSnapshot(join(dir, 'same.csv'), { users: 2_000, assets: 4, seed: 5, format: 'csv' });
    await writeSnapshot(join(dir, 'same.ndjson'), { users: 2_000, assets: 4, seed: 5, format: 'ndjson' });
    const a = buildLiabilitiesTree({ ...FIXED, input: join(dir, 'same.csv'), out: join(dir, 'same-csv') }).root;
    const b = buildLiabilitiesTree({ ...FIXED, input: join(dir, 'same.ndjson'), out: join(dir, 'same-ndjson') }).root;
    expect(b.rootHash).toBe(a.rootHash);
    expect(b.totals).toEqual(a.totals);
  });

  it('a round of one user has height 0 and an empty path; an odd count is padded with zero sums', () => {
    const input = join(dir, 'one.csv');
    writeFileSync(input, 'user_id,BTC:8\nsolo,1.5\n');
    const one = buildLiabilitiesTree({ ...FIXED, input, out: join(dir, 'one') }).root;
    expect(one.height).toBe(0);
    const r = RoundReader.open(join(dir, 'one'));
    expect(verifyInclusionProof(r.proof('solo'), one, { publicKey: PUBKEY }).balances).toEqual([
      { symbol: 'BTC', balance: '1.5' },
    ]);
    r.close();
    const three = join(dir, 'three.csv');
    writeFileSync(three, 'user_id,BTC:8\na,1\nb,2\nc,3\n');
    const t = buildLiabilitiesTree({ ...FIXED, input: three, out: join(dir, 'three') }).root;
    expect(t).toMatchObject({ height: 2, totals: ['6'] });
    const rt = RoundReader.open(join(dir, 'three'));
    for (const id of ['a', 'b', 'c']) verifyInclusionProof(rt.proof(id), t, { publicKey: PUBKEY });
    rt.close();
  });
});
