import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../../toolkit/src/core/errors';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';

/**
 * The 3 x 4 example used across these tests:
 *   row 0: (0, 0) = 1, (0, 2) = 2
 *   row 1: empty
 *   row 2: (2, 1) = 3, (2, 2) = 4, (2, 3) = 5
 */
function example(): CsrMatrix {
  return CsrMatrix.fromArrays(3, 4, [0, 2, 2, 5], [0, 2, 1, 2, 3], [1, 2, 3, 4, 5]);
}

function raw(rows: number, cols: number, rowPtr: number[], colIdx: number[], values?: number[]): CsrMatrix {
  return new CsrMatrix(rows, cols, Int32Array.from(rowPtr), Int32Array.from(colIdx), Float32Array.from(values ?? colIdx.map(() => 1)));
}

describe('CsrMatrix basics', () => {
  it('reports nnz, density, row lengths, positions and the dense twin', () => {
    const m = example();
    expect(m.nnz).toBe(5);
    expect(m.density).toBeCloseTo(5 / 12, 12);
    expect([0, 1, 2].map((r) => m.rowLength(r))).toEqual([2, 0, 3]);
    expect(m.maxRowLength()).toBe(3);
    expect(Array.from(m.rowIndices())).toEqual([0, 0, 2, 2, 2]);
    expect(m.find(2, 2)).toBe(3);
    expect(m.find(0, 1)).toBe(-1);
    expect(m.find(1, 0)).toBe(-1);
    expect(m.find(2, 3)).toBe(4);
    expect(Array.from(m.toDense())).toEqual([1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 4, 5]);
  });

  it('clone is deep', () => {
    const m = example();
    const c = m.clone();
    c.values[0] = 99;
    c.colIdx[0] = 1;
    expect(m.values[0]).toBe(1);
    expect(m.colIdx[0]).toBe(0);
  });

  it('full is every position, sorted, with zero values', () => {
    const f = CsrMatrix.full(3, 2);
    expect(() => f.validate()).not.toThrow();
    expect(f.nnz).toBe(6);
    expect(f.density).toBe(1);
    expect(Array.from(f.rowPtr)).toEqual([0, 2, 4, 6]);
    expect(Array.from(f.colIdx)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(Array.from(f.values)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('an empty matrix and a 0 x 0 matrix are valid', () => {
    expect(() => raw(3, 4, [0, 0, 0, 0], []).validate()).not.toThrow();
    expect(() => raw(0, 0, [0], []).validate()).not.toThrow();
    expect(raw(0, 0, [0], []).density).toBe(0);
  });
});

describe('CsrMatrix.validate names the broken invariant', () => {
  const cases: [string, () => CsrMatrix, new (m: string) => Error, RegExp][] = [
    ['unsorted columns', () => raw(2, 4, [0, 2, 3], [3, 1, 0]), InvalidArgumentError, /row 0 has column 1 after 3: column indices must be sorted and unique/],
    ['duplicate column', () => raw(2, 4, [0, 1, 3], [0, 2, 2]), InvalidArgumentError, /row 1 has column 2 after 2: .*sorted and unique/],
    ['column index too large', () => raw(2, 4, [0, 1, 2], [0, 4]), InvalidArgumentError, /column index 4 in row 1 is outside \[0, 4\)/],
    ['negative column index', () => raw(2, 4, [0, 1, 2], [-1, 0]), InvalidArgumentError, /column index -1 in row 0 is outside/],
    ['rowPtr of the wrong length', () => raw(2, 4, [0, 2], [0, 1]), ShapeError, /rowPtr has length 2, expected rows \+ 1 = 3/],
    ['rowPtr not starting at 0', () => raw(2, 4, [1, 1, 2], [0, 1]), InvalidArgumentError, /rowPtr\[0\] must be 0, got 1/],
    ['rowPtr not ending at nnz', () => raw(2, 4, [0, 1, 1], [0, 1]), ShapeError, /rowPtr\[rows\] = 1 but colIdx has 2 entries/],
    ['rowPtr decreasing', () => raw(3, 4, [0, 2, 1, 2], [0, 1]), InvalidArgumentError, /rowPtr decreases at row 1: 2 > 1/],
    ['NaN value', () => raw(2, 4, [0, 1, 2], [0, 1], [1, NaN]), InvalidArgumentError, /value 1 is NaN; values must be finite/],
    ['infinite value', () => raw(2, 4, [0, 1, 2], [0, 1], [-Infinity, 1]), InvalidArgumentError, /value 0 is -Infinity; values must be finite/],
    ['values of the wrong length', () => new CsrMatrix(2, 4, Int32Array.of(0, 1, 2), Int32Array.of(0, 1), new Float32Array(3)), ShapeError, /values has length 3, expected nnz/],
    ['negative shape', () => raw(-1, 4, [0], []), InvalidArgumentError, /shape must be non-negative integers/],
    ['fractional shape', () => raw(1.5, 4, [0, 0], []), InvalidArgumentError, /shape must be non-negative integers/],
  ];
  for (const [what, build, type, message] of cases) {
    it(what, () => {
      const m = build();
      expect(() => m.validate()).toThrow(type);
      expect(() => m.validate()).toThrow(message);
    });
  }

  it('fromArrays validates too', () => {
    expect(() => CsrMatrix.fromArrays(2, 4, [0, 2, 3], [3, 1, 0])).toThrow(/sorted and unique/);
    expect(CsrMatrix.fromArrays(2, 4, [0, 1, 2], [3, 1]).values).toEqual(new Float32Array(2));
  });
});

describe('CsrMatrix.fromTriplets', () => {
  it('sorts triplets given in any order into CSR', () => {
    const m = CsrMatrix.fromTriplets(3, 4, [2, 0, 2, 2, 0], [3, 2, 1, 2, 0], [5, 2, 3, 4, 1]);
    const e = example();
    expect(Array.from(m.rowPtr)).toEqual(Array.from(e.rowPtr));
    expect(Array.from(m.colIdx)).toEqual(Array.from(e.colIdx));
    expect(Array.from(m.values)).toEqual(Array.from(e.values));
  });

  it('accepts no triplets', () => {
    const m = CsrMatrix.fromTriplets(2, 2, [], [], []);
    expect(m.nnz).toBe(0);
    expect(Array.from(m.rowPtr)).toEqual([0, 0, 0]);
  });

  it('rejects duplicates, out-of-range positions and ragged arrays', () => {
    expect(() => CsrMatrix.fromTriplets(2, 2, [1, 1], [0, 0], [1, 2])).toThrow(/sorted and unique/);
    expect(() => CsrMatrix.fromTriplets(2, 2, [2], [0], [1])).toThrow(/row index 2 at triplet 0 is outside \[0, 2\)/);
    expect(() => CsrMatrix.fromTriplets(2, 2, [-1], [0], [1])).toThrow(InvalidArgumentError);
    expect(() => CsrMatrix.fromTriplets(2, 2, [0], [2], [1])).toThrow(/column index 2 in row 0 is outside/);
    expect(() => CsrMatrix.fromTriplets(2, 2, [0, 1], [0], [1, 1])).toThrow(ShapeError);
    expect(() => CsrMatrix.fromTriplets(2, 2, [0], [0], [NaN])).toThrow(/finite/);
  });
});
