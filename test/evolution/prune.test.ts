import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rngFor } from '../../toolkit/src/core/rng';
import { magnitude, randomPrune, signedMagnitude, smallestByKey } from '../../toolkit/src/evolution/prune';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { handLayer } from './fixtures';

const rng = rngFor(0);

describe('signed-magnitude prune (SET) on the hand layer', () => {
  // Non-negative: k0 0.5, k2 0.1, k4 0.1, k6 0.9 (P = 4). Negative: k1 -0.02, k3 -0.7, k5 -0.05, k7 -0.03 (N = 4).
  it('zeta 0.3: floor(1.2) = 1 per sign: the tie 0.1 goes to the lower index k2, and -0.02 (k1)', () => {
    expect(Array.from(signedMagnitude().select(handLayer(), 0.3, rng))).toEqual([1, 2]);
  });
  it('zeta 0.5: 2 per sign: both 0.1 (k2, k4) and the two negatives closest to zero, -0.02 (k1) and -0.03 (k7)', () => {
    expect(Array.from(signedMagnitude().select(handLayer(), 0.5, rng))).toEqual([1, 2, 4, 7]);
  });
  it('zeta 0 removes nothing; zeta 0.99 removes floor(0.99 * 4) = 3 per sign, keeping the largest of each', () => {
    expect(Array.from(signedMagnitude().select(handLayer(), 0, rng))).toEqual([]);
    // Kept: the largest positive 0.9 (k6) and the most negative -0.7 (k3).
    expect(Array.from(signedMagnitude().select(handLayer(), 0.99, rng))).toEqual([0, 1, 2, 4, 5, 7]);
  });
  it('zero counts as non-negative; each sign is counted separately (floor(0.5 * 1) = 0 for a lone sign)', () => {
    const w = CsrMatrix.fromArrays(1, 5, [0, 5], [0, 1, 2, 3, 4], [0, 0.5, -0.5, -1, 2]);
    // P = {0, 0.5, 2} -> floor(1.5) = 1: the 0. N = {-0.5, -1} -> 1: -0.5.
    expect(Array.from(signedMagnitude().select(w, 0.5, rng))).toEqual([0, 2]);
    const lone = CsrMatrix.fromArrays(1, 3, [0, 3], [0, 1, 2], [0.3, 0.2, -0.1]);
    expect(Array.from(signedMagnitude().select(lone, 0.5, rng))).toEqual([1]);
  });
  it('does not modify the layer', () => {
    const w = handLayer();
    const before = Array.from(w.values);
    signedMagnitude().select(w, 0.5, rng);
    expect(Array.from(w.values)).toEqual(before);
  });
});

describe('magnitude prune on the hand layer', () => {
  // |w|: k1 .02 < k7 .03 < k5 .05 < k2 .1 = k4 .1 < k3 .7 ... (0.5 k0, 0.9 k6)
  it('zeta 0.3: floor(2.4) = 2 smallest |w|: k1, k7', () => {
    expect(Array.from(magnitude().select(handLayer(), 0.3, rng))).toEqual([1, 7]);
  });
  it('zeta 0.5: 4 smallest |w|: k1, k7, k5, and the tie at 0.1 goes to k2', () => {
    expect(Array.from(magnitude().select(handLayer(), 0.5, rng))).toEqual([1, 2, 5, 7]);
  });
});

describe('random prune', () => {
  it('removes floor(zeta * nnz) distinct sorted entries, reproducibly', () => {
    const w = handLayer();
    const a = randomPrune().select(w, 0.5, rngFor(3, 'p'));
    expect(a.length).toBe(4);
    expect(Array.from(a)).toEqual(Array.from(a).sort((x, y) => x - y));
    expect(new Set(a).size).toBe(4);
    expect(Array.from(randomPrune().select(w, 0.5, rngFor(3, 'p')))).toEqual(Array.from(a));
    expect(randomPrune().select(w, 0.3, rngFor(3, 'p')).length).toBe(2);
  });
});

describe('smallestByKey', () => {
  const cand = Int32Array.from([0, 2, 3, 5, 9]);
  const keys: Record<number, number> = { 0: 4, 2: 1, 3: 4, 5: 0, 9: 4 };
  it('picks the smallest keys, ties to the lower index, output in index order', () => {
    expect(Array.from(smallestByKey(cand, (k) => keys[k]!, 2))).toEqual([2, 5]);
    expect(Array.from(smallestByKey(cand, (k) => keys[k]!, 3))).toEqual([0, 2, 5]);
    expect(Array.from(smallestByKey(cand, (k) => keys[k]!, 4))).toEqual([0, 2, 3, 5]);
    expect(Array.from(smallestByKey(cand, (k) => keys[k]!, 0))).toEqual([]);
    expect(Array.from(smallestByKey(cand, (k) => keys[k]!, 9))).toEqual([0, 2, 3, 5, 9]);
  });
  it('agrees with a stable sort for random keys (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 40 }), fc.nat(45), (ks, count) => {
        const c = Int32Array.from(ks.keys());
        const expected = Array.from(c)
          .sort((a, b) => ks[a]! - ks[b]! || a - b)
          .slice(0, count)
          .sort((a, b) => a - b);
        expect(Array.from(smallestByKey(c, (k) => ks[k]!, count))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
