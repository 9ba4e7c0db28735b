import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectKth } from '../../toolkit/src/evolution/prune';

describe('selectKth (quickselect)', () => {
  it('equals the k-th value of the sorted array, for any array and k (ties, constants, sorted input)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 200 }), fc.nat(), (xs, k0) => {
        const k = k0 % xs.length;
        const sorted = Float64Array.from(xs).sort();
        expect(selectKth(Float64Array.from(xs), k)).toBe(sorted[k]);
      }),
      { numRuns: 500 },
    );
    const big = Float64Array.from({ length: 100_000 }, (_, i) => i);
    expect(selectKth(big.slice(), 54_321)).toBe(54_321);
    expect(selectKth(big.slice().reverse(), 7)).toBe(7);
    expect(selectKth(new Float64Array(1000).fill(2), 500)).toBe(2);
  });
});
