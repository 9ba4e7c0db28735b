import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../toolkit/src/core/errors';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { inDegrees, layerStats, outDegrees, overlap } from '../../toolkit/src/sparse/stats';

// row 0: cols 0, 2; row 1: empty; row 2: cols 1, 2, 3 (values 1..5, one negative).
const m = CsrMatrix.fromArrays(3, 4, [0, 2, 2, 5], [0, 2, 1, 2, 3], [1, -2, 3, 4, 5]);

describe('topology statistics', () => {
  it('degrees', () => {
    expect(Array.from(inDegrees(m))).toEqual([1, 1, 2, 1]);
    expect(Array.from(outDegrees(m))).toEqual([2, 0, 3]);
  });

  it('overlap counts shared positions and checks shapes', () => {
    const other = CsrMatrix.fromArrays(3, 4, [0, 1, 2, 4], [2, 0, 0, 3]);
    expect(overlap(m, other)).toBe(2); // (0, 2) and (2, 3)
    expect(overlap(m, m)).toBe(5);
    expect(() => overlap(m, CsrMatrix.full(4, 3))).toThrow(ShapeError);
  });

  it('layerStats', () => {
    expect(layerStats(m)).toEqual({
      rows: 3, cols: 4, connections: 5, density: 5 / 12, meanFanIn: 5 / 3, maxFanIn: 3, isolatedInputs: 0, meanAbsWeight: 3,
    });
    const empty = CsrMatrix.fromArrays(2, 3, [0, 0, 0], []);
    expect(layerStats(empty)).toMatchObject({ connections: 0, isolatedInputs: 3, meanAbsWeight: 0, maxFanIn: 0 });
  });
});
