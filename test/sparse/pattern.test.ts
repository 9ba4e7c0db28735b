import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { differenceRanks, unionWithRanks } from '../../toolkit/src/sparse/pattern';
import { fromRanks } from '../../toolkit/src/sparse/topology';

/** Row-major positions of every stored entry, in CSR order. */
function positionsOf(w: CsrMatrix): number[] {
  const out: number[] = [];
  for (let j = 0; j < w.rows; j++) for (let k = w.rowPtr[j]!; k < w.rowPtr[j + 1]!; k++) out.push(j * w.cols + w.colIdx[k]!);
  return out;
}

/** A pattern with exactly the given positions (any order, duplicates merged). */
function patternOf(rows: number, cols: number, positions: Iterable<number>): CsrMatrix {
  const sorted = [...new Set(positions)].sort((a, b) => a - b);
  return CsrMatrix.fromTriplets(rows, cols, sorted.map((p) => Math.floor(p / cols)), sorted.map((p) => p % cols), sorted.map(() => 1));
}

/** A shape, a set of stored positions, and a sorted list of ranks (duplicates allowed) in that shape. */
const shapeAndSets = fc
  .record({ rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }) })
  .chain(({ rows, cols }) =>
    fc.record({
      rows: fc.constant(rows),
      cols: fc.constant(cols),
      a: fc.uniqueArray(fc.integer({ min: 0, max: rows * cols - 1 }), { maxLength: rows * cols }),
      b: fc.uniqueArray(fc.integer({ min: 0, max: rows * cols - 1 }), { maxLength: rows * cols }),
      ranks: fc.array(fc.integer({ min: 0, max: rows * cols - 1 }), { maxLength: 2 * rows * cols }),
    }),
  );

describe('unionWithRanks', () => {
  it('by hand: a 3 x 4 pattern plus new, repeated and already-stored ranks', () => {
    const a = patternOf(3, 4, [0, 2, 3, 5, 6, 8, 9, 11]);
    const u = unionWithRanks(a, Float64Array.from([1, 1, 2, 7, 10, 11, 11]));
    u.validate();
    expect(positionsOf(u)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
    expect(Array.from(u.values)).toEqual(new Array(11).fill(0));
    expect(Array.from(u.rowPtr)).toEqual([0, 4, 7, 11]);
    // No ranks: a copy of the pattern with zero values; the input is untouched.
    const same = unionWithRanks(a, new Float64Array(0));
    expect(positionsOf(same)).toEqual(positionsOf(a));
    expect(same).not.toBe(a);
    expect(Array.from(a.values)).toEqual(new Array(8).fill(1));
    // An empty pattern plus ranks in the last row only; ranks into empty rows.
    const empty = CsrMatrix.fromArrays(3, 4, [0, 0, 0, 0], []);
    expect(positionsOf(unionWithRanks(empty, Float64Array.from([9, 11])))).toEqual([9, 11]);
    expect(Array.from(unionWithRanks(empty, Float64Array.from([0, 11])).rowPtr)).toEqual([0, 1, 1, 2]);
  });

  it('equals the Set union, is a valid CSR with zero values (property)', () => {
    fc.assert(
      fc.property(shapeAndSets, ({ rows, cols, a, ranks }) => {
        const pa = patternOf(rows, cols, a);
        const sortedRanks = Float64Array.from(ranks.sort((x, y) => x - y));
        const u = unionWithRanks(pa, sortedRanks);
        expect(() => u.validate()).not.toThrow();
        expect(u.rows).toBe(rows);
        expect(u.cols).toBe(cols);
        const oracle = [...new Set([...a, ...ranks])].sort((x, y) => x - y);
        expect(positionsOf(u)).toEqual(oracle);
        expect(u.nnz).toBe(oracle.length);
        expect(u.values.every((v) => v === 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('differenceRanks', () => {
  it('by hand', () => {
    const a = patternOf(3, 4, [0, 2, 3, 5, 6, 8, 9, 11]);
    const b = patternOf(3, 4, [0, 1, 3, 6, 7, 11]);
    expect(Array.from(differenceRanks(a, b))).toEqual([2, 5, 8, 9]);
    expect(Array.from(differenceRanks(b, a))).toEqual([1, 7]);
    expect(Array.from(differenceRanks(a, a))).toEqual([]);
    expect(Array.from(differenceRanks(a, CsrMatrix.fromArrays(3, 4, [0, 0, 0, 0], [])))).toEqual(positionsOf(a));
  });

  it('equals the Set difference, sorted (property)', () => {
    fc.assert(
      fc.property(shapeAndSets, ({ rows, cols, a, b }) => {
        const pa = patternOf(rows, cols, a);
        const pb = patternOf(rows, cols, b);
        const inB = new Set(b);
        const oracle = [...new Set(a)].filter((p) => !inB.has(p)).sort((x, y) => x - y);
        const d = differenceRanks(pa, pb);
        expect(d).toBeInstanceOf(Float64Array);
        expect(Array.from(d)).toEqual(oracle);
        // Union of the difference with b covers a; the difference never touches b.
        const u = unionWithRanks(pb, d);
        u.validate();
        const all = new Set(positionsOf(u));
        for (const p of a) expect(all.has(p)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with fromRanks topologies (values ignored)', () => {
    const a = fromRanks(5, 4, Float64Array.from([0, 3, 4, 9, 13, 19]));
    const b = fromRanks(5, 4, Float64Array.from([3, 9, 10, 19]));
    expect(Array.from(differenceRanks(a, b))).toEqual([0, 4, 13]);
  });
});
