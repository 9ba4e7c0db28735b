import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rngFor } from '../../toolkit/src/core/rng';
import { emptyPositions, emptyRankToPosition, NotEnoughRoomError, uniformRandom } from '../../toolkit/src/evolution/regrow';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { uniformDensity } from '../../toolkit/src/sparse/topology';
import { handLayer, positionsOf } from './fixtures';

const ranks = (...r: number[]) => Float64Array.from(r);

describe('emptyRankToPosition, by hand', () => {
  it('the hand layer: empty positions are 1, 4, 7, 10', () => {
    const w = handLayer();
    expect(emptyPositions(w)).toBe(4);
    expect(Array.from(emptyRankToPosition(w, ranks(0, 1, 2, 3)))).toEqual([1, 4, 7, 10]);
    expect(Array.from(emptyRankToPosition(w, ranks(1, 2)))).toEqual([4, 7]);
    expect(Array.from(emptyRankToPosition(w, ranks(3)))).toEqual([10]);
    expect(Array.from(emptyRankToPosition(w, ranks(0, 3)))).toEqual([1, 10]);
    expect(Array.from(emptyRankToPosition(w, ranks()))).toEqual([]);
  });

  it('a full row, then an empty row, then a row with a gap', () => {
    // row 0: cols 0..3 (full); row 1: empty; row 2: col 1 only.
    const w = CsrMatrix.fromArrays(3, 4, [0, 4, 4, 5], [0, 1, 2, 3, 1]);
    expect(Array.from(emptyRankToPosition(w, ranks(0, 1, 2, 3, 4, 5, 6)))).toEqual([4, 5, 6, 7, 8, 10, 11]);
    expect(Array.from(emptyRankToPosition(w, ranks(4, 5)))).toEqual([8, 10]);
  });

  it('an empty layer maps ranks to themselves; a single column', () => {
    const empty = CsrMatrix.fromArrays(2, 3, [0, 0, 0], []);
    expect(Array.from(emptyRankToPosition(empty, ranks(0, 2, 5)))).toEqual([0, 2, 5]);
    const column = CsrMatrix.fromArrays(4, 1, [0, 1, 1, 2, 2], [0, 0]); // rows 0 and 2 stored
    expect(Array.from(emptyRankToPosition(column, ranks(0, 1)))).toEqual([1, 3]);
  });

  it('agrees with enumerating every position (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 1, max: 15 }), fc.double({ min: 0.01, max: 0.95, noNaN: true }), fc.integer(), (nIn, nOut, d, seed) => {
        const w = uniformDensity(nIn, nOut, d, rngFor(seed, 'w'));
        const stored = new Set(positionsOf(w));
        const empty: number[] = [];
        for (let p = 0; p < nIn * nOut; p++) if (!stored.has(p)) empty.push(p);
        const all = empty.map((_, r) => r);
        expect(Array.from(emptyRankToPosition(w, Float64Array.from(all)))).toEqual(empty);
        const some = all.filter((r) => r % 3 === Math.abs(seed % 3));
        expect(Array.from(emptyRankToPosition(w, Float64Array.from(some)))).toEqual(some.map((r) => empty[r]));
      }),
      { numRuns: 200 },
    );
  });
});

describe('uniformRandom regrowth', () => {
  it('grows distinct, sorted positions that were empty', () => {
    const w = handLayer();
    const g = uniformRandom().grow(w, 3, rngFor(1, 'g'), { pruned: new Float64Array(0) });
    expect(g.length).toBe(3);
    for (const p of g) expect([1, 4, 7, 10]).toContain(p);
    expect(Array.from(g)).toEqual(Array.from(g).sort((a, b) => a - b));
    expect(new Set(g).size).toBe(3);
  });

  it('fills every empty position when asked for all of them', () => {
    expect(Array.from(uniformRandom().grow(handLayer(), 4, rngFor(1), { pruned: new Float64Array(0) }))).toEqual([1, 4, 7, 10]);
  });

  it('is uniform over the empty positions (chi-square, fixed seed)', () => {
    const w = handLayer();
    const counts = new Map<number, number>();
    const trials = 8000;
    for (let t = 0; t < trials; t++) {
      const [p] = uniformRandom().grow(w, 1, rngFor(2, 'uniform', t), { pruned: new Float64Array(0) });
      counts.set(p!, (counts.get(p!) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([1, 4, 7, 10]);
    const chi = [...counts.values()].reduce((s, c) => s + (c - trials / 4) ** 2 / (trials / 4), 0);
    expect(chi).toBeLessThan(3 + 5 * Math.sqrt(6));
  });

  it('raises NotEnoughRoomError (not a loop) when there are fewer empty positions than asked', () => {
    expect(() => uniformRandom().grow(handLayer(), 5, rngFor(1), { pruned: new Float64Array(0) })).toThrow(NotEnoughRoomError);
    expect(() => uniformRandom().grow(CsrMatrix.full(3, 3), 1, rngFor(1), { pruned: new Float64Array(0) })).toThrow(
      /cannot regrow 1 connections in a 3 x 3 layer with only 0 empty positions/,
    );
  });
});
