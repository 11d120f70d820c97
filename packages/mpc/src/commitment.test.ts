import { utf8ToBytes } from '@custos/core';
import { describe, expect, it } from 'vitest';
import { COMMITMENT_BYTES, commit, commitmentDigest, echoDigest, verifyCommitment } from './commitment.js';
import { mpcFailure } from './testing/errors.js';

const ctx = { domain: 'test/commit', sessionId: 'a'.repeat(64), partyId: 1 };
const values = [utf8ToBytes('A0'), utf8ToBytes('A1')];

function expectMpcError(fn: () => unknown, code: string, check: string): void {
  expect(mpcFailure(fn)).toEqual({ code, check });
}

describe('hash commitment', () => {
  it('opens with the same context, values and randomness', () => {
    const { commitment, randomness } = commit(ctx, values);
    expect(commitment.length).toBe(COMMITMENT_BYTES);
    verifyCommitment(ctx, commitment, values, randomness);
  });

  it('refuses another value, randomness, session, party or domain', () => {
    const { commitment, randomness } = commit(ctx, values);
    const bad = 'MPC_COMMITMENT_MISMATCH';
    expectMpcError(
      () => verifyCommitment(ctx, commitment, [values[0] as Uint8Array, utf8ToBytes('A2')], randomness),
      bad,
      'commitment.open',
    );
    const r2 = randomness.slice();
    r2[0] = (r2[0] as number) ^ 1;
    expectMpcError(() => verifyCommitment(ctx, commitment, values, r2), bad, 'commitment.open');
    expectMpcError(
      () => verifyCommitment({ ...ctx, sessionId: 'b'.repeat(64) }, commitment, values, randomness),
      bad,
      'commitment.open',
    );
    // Commitment copying: party 2 re-sending party 1's commitment and opening is refused.
    expectMpcError(
      () => verifyCommitment({ ...ctx, partyId: 2 }, commitment, values, randomness),
      bad,
      'commitment.open',
    );
    expectMpcError(
      () => verifyCommitment({ ...ctx, domain: 'other' }, commitment, values, randomness),
      bad,
      'commitment.open',
    );
  });

  it('refuses wrong lengths', () => {
    const { commitment, randomness } = commit(ctx, values);
    expectMpcError(
      () => verifyCommitment(ctx, commitment.slice(1), values, randomness),
      'MPC_INVALID_MESSAGE',
      'commitment.length',
    );
    expectMpcError(
      () => verifyCommitment(ctx, commitment, values, randomness.slice(1)),
      'MPC_INVALID_MESSAGE',
      'commitment.length',
    );
  });

  it('encodes values injectively (no concatenation ambiguity)', () => {
    const r = new Uint8Array(32);
    const a = commitmentDigest(ctx, [utf8ToBytes('ab'), utf8ToBytes('c')], r);
    const b = commitmentDigest(ctx, [utf8ToBytes('a'), utf8ToBytes('bc')], r);
    expect(a).not.toEqual(b);
  });

  it('echo digest depends on every entry and its party', () => {
    const x = utf8ToBytes('x');
    const y = utf8ToBytes('y');
    const base = echoDigest('d', ctx.sessionId, [
      [1, x],
      [2, y],
    ]);
    expect(
      echoDigest('d', ctx.sessionId, [
        [1, x],
        [2, y],
      ]),
    ).toEqual(base);
    expect(
      echoDigest('d', ctx.sessionId, [
        [1, y],
        [2, x],
      ]),
    ).not.toEqual(base);
    expect(
      echoDigest('d', ctx.sessionId, [
        [1, x],
        [3, y],
      ]),
    ).not.toEqual(base);
    expect(
      echoDigest('d', 'c'.repeat(64), [
        [1, x],
        [2, y],
      ]),
    ).not.toEqual(base);
  });
});
