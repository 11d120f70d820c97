import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modQ, mulG, q } from './curve.js';
import {
  evaluatePolynomial,
  feldmanCommitments,
  feldmanSharePoint,
  lagrangeCoefficient,
  randomPolynomial,
  reconstructSecret,
  splitSecret,
  verifyFeldmanShare,
} from './shamir.js';
import { mpcFailure } from './testing/errors.js';

function expectMpcError(fn: () => unknown, code: string, check: string): void {
  expect(mpcFailure(fn)).toEqual({ code, check });
}

const scalar = fc.bigInt({ min: 1n, max: q - 1n });
const pairs = [
  [1, 2],
  [1, 3],
  [2, 3],
] as const;

describe('shamir', () => {
  it('any pair of shares rebuilds the secret', () => {
    fc.assert(
      fc.property(scalar, (secret) => {
        const { shares } = splitSecret(secret);
        for (const [i, j] of pairs) {
          const got = reconstructSecret([
            { partyId: i, share: shares.get(i) as bigint },
            { partyId: j, share: shares.get(j) as bigint },
          ]);
          expect(got).toBe(secret);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('Lagrange coefficients of a pair sum to 1 and match the closed form j/(j−i)', () => {
    for (const [i, j] of pairs) {
      const li = lagrangeCoefficient(i, [i, j]);
      const lj = lagrangeCoefficient(j, [i, j]);
      expect(modQ(li + lj)).toBe(1n);
      expect(modQ(li * BigInt(j - i))).toBe(BigInt(j));
    }
    expect(lagrangeCoefficient(1, [1, 2])).toBe(2n);
    expect(lagrangeCoefficient(2, [1, 2])).toBe(q - 1n);
    expect(lagrangeCoefficient(2, [2, 3])).toBe(3n);
    expect(lagrangeCoefficient(3, [2, 3])).toBe(q - 2n);
  });

  it('Feldman: every honest share verifies and its point is f(i)·G', () => {
    const poly = randomPolynomial();
    const commitments = feldmanCommitments(poly);
    for (const id of [1, 2, 3]) {
      const share = evaluatePolynomial(poly, id);
      verifyFeldmanShare(share, id, commitments);
      expect(feldmanSharePoint(id, commitments).equals(mulG(share))).toBe(true);
    }
  });

  it('Feldman: refuses a wrong share, a share for another party and an out-of-range share', () => {
    const poly = randomPolynomial();
    const commitments = feldmanCommitments(poly);
    const share = evaluatePolynomial(poly, 2);
    expectMpcError(
      () => verifyFeldmanShare(modQ(share + 1n), 2, commitments),
      'MPC_FELDMAN_SHARE_INVALID',
      'feldman.share',
    );
    expectMpcError(() => verifyFeldmanShare(share, 3, commitments), 'MPC_FELDMAN_SHARE_INVALID', 'feldman.share');
    expectMpcError(() => verifyFeldmanShare(share + q, 2, commitments), 'MPC_FELDMAN_SHARE_INVALID', 'feldman.range');
    expectMpcError(() => verifyFeldmanShare(-1n, 2, commitments), 'MPC_FELDMAN_SHARE_INVALID', 'feldman.range');
    // A commitment to a different a_1 (a dealer changing its polynomial after the fact).
    const other = feldmanCommitments([poly[0], modQ(poly[1] + 1n)]);
    expectMpcError(() => verifyFeldmanShare(share, 2, other), 'MPC_FELDMAN_SHARE_INVALID', 'feldman.share');
  });

  it('refuses party id 0, repeated ids and a party outside the signer set', () => {
    expectMpcError(() => splitSecret(5n, [0, 1, 2]), 'MPC_INVALID_PARTY', 'party.range');
    expectMpcError(() => splitSecret(5n, [1, 1, 2]), 'MPC_INVALID_PARTY', 'party.distinct');
    expectMpcError(() => lagrangeCoefficient(1, [2, 2]), 'MPC_INVALID_PARTY', 'party.distinct');
    expectMpcError(() => lagrangeCoefficient(0, [1, 2]), 'MPC_INVALID_PARTY', 'party.range');
    expectMpcError(() => lagrangeCoefficient(3, [1, 2]), 'MPC_INVALID_PARTY', 'party.not-a-signer');
    expectMpcError(() => evaluatePolynomial([1n, 2n], 0), 'MPC_INVALID_PARTY', 'party.range');
    expectMpcError(
      () =>
        reconstructSecret([
          { partyId: 1, share: 1n },
          { partyId: 1, share: 2n },
        ]),
      'MPC_INVALID_PARTY',
      'party.distinct',
    );
  });
});
