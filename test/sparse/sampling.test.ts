import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { sampleSortedDistinct } from '../../toolkit/src/sparse/sampling';

function isStrictlyIncreasingInts(a: Float64Array, n: number): boolean {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= n) return false;
    if (i > 0 && v <= a[i - 1]!) return false;
  }
  return true;
}

/** Index of a k-subset of [0, n) among all k-subsets (combinatorial number system). */
function subsetIndex(s: Float64Array): number {
  const binom = (n: number, k: number) => {
    let r = 1;
    for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
    return Math.round(r);
  };
  return Array.from(s).reduce((acc, v, i) => acc + binom(v, i + 1), 0);
}

function chiSquareUniform(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
}

describe('sampleSortedDistinct', () => {
  it('returns k sorted distinct integers in [0, n) for many (n, k), including k = 0 and k = n', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n }))),
        fc.integer(),
        ([n, k], seed) => {
          const s = sampleSortedDistinct(n, k, rngFor(seed));
          expect(s.length).toBe(k);
          expect(isStrictlyIncreasingInts(s, n)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('edge cases: k = 0, k = n, n = 0, n = 1', () => {
    expect(sampleSortedDistinct(0, 0, rngFor(1)).length).toBe(0);
    expect(sampleSortedDistinct(10, 0, rngFor(1)).length).toBe(0);
    expect(Array.from(sampleSortedDistinct(1, 1, rngFor(1)))).toEqual([0]);
    expect(Array.from(sampleSortedDistinct(12, 12, rngFor(1)))).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('works for populations far beyond 2^32 (Floyd branch)', () => {
    for (const n of [2 ** 33 + 5, 2 ** 45, 2 ** 53 - 1, 2 ** 53]) {
      const s = sampleSortedDistinct(n, 50, rngFor(2, n));
      expect(isStrictlyIncreasingInts(s, n)).toBe(true);
      expect(s[49]! > 2 ** 32).toBe(true); // 50 uniform draws from such n all below 2^32 is essentially impossible
    }
  });

  it('is deterministic for a stream and differs across streams', () => {
    const a = sampleSortedDistinct(1000, 40, rngFor(3, 'a'));
    expect(Array.from(sampleSortedDistinct(1000, 40, rngFor(3, 'a')))).toEqual(Array.from(a));
    expect(Array.from(sampleSortedDistinct(1000, 40, rngFor(3, 'b')))).not.toEqual(Array.from(a));
  });

  // Every k-subset must be equally likely, in both algorithms (selection sampling when 8k >= n, Floyd otherwise).
  for (const [n, k, trials] of [[6, 2, 15000], [5, 5, 100], [7, 3, 35000], [20, 2, 38000]] as const) {
    it(`every ${k}-subset of ${n} is equally likely (chi-square, fixed seed)`, () => {
      const rng = rngFor(4, 'uniform', n, k);
      const counts: number[] = [];
      for (let t = 0; t < trials; t++) {
        const idx = subsetIndex(sampleSortedDistinct(n, k, rng));
        counts[idx] = (counts[idx] ?? 0) + 1;
      }
      let subsets = 1;
      for (let i = 0; i < k; i++) subsets = (subsets * (n - i)) / (i + 1);
      subsets = Math.round(subsets);
      const full = Array.from({ length: subsets }, (_, i) => counts[i] ?? 0);
      expect(counts.length).toBeLessThanOrEqual(subsets);
      const df = subsets - 1;
      if (df === 0) expect(full).toEqual([trials]);
      else expect(chiSquareUniform(full)).toBeLessThan(df + 5 * Math.sqrt(2 * df));
    });
  }

  it('each element is included with probability k / n (Floyd branch, large n)', () => {
    const n = 1000, k = 20, trials = 5000;
    const rng = rngFor(5, 'inclusion');
    const buckets = new Array<number>(10).fill(0);
    for (let t = 0; t < trials; t++) for (const v of sampleSortedDistinct(n, k, rng)) buckets[Math.floor(v / 100)]!++;
    expect(chiSquareUniform(buckets)).toBeLessThan(9 + 5 * Math.sqrt(18));
  });

  it('rejects k > n and non-integers', () => {
    expect(() => sampleSortedDistinct(3, 4, rngFor(1))).toThrow(InvalidArgumentError);
    expect(() => sampleSortedDistinct(3, 4, rngFor(1))).toThrow(/sample size k \(population 3\)/);
    expect(() => sampleSortedDistinct(-1, 0, rngFor(1))).toThrow(InvalidArgumentError);
    expect(() => sampleSortedDistinct(5, 1.5, rngFor(1))).toThrow(InvalidArgumentError);
  });
});
