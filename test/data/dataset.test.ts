import { describe, expect, it } from 'vitest';
import { DataError, InvalidArgumentError, ShapeError } from '../../toolkit/src/core/errors';
import { DenseDataset } from '../../toolkit/src/data';

/** Three samples of four features: sample s, feature f holds 10 * s + f. */
function small(): DenseDataset {
  const f = new Float32Array([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
  return new DenseDataset('small', f, new Int32Array([2, 0, 1]), 4, 3, [2, 2]);
}

describe('DenseDataset.gather', () => {
  it('writes the feature-major layout x[f * count + b] (hand-checked)', () => {
    const ds = small();
    const indices = new Int32Array([2, 0, 1]);
    const x = new Float32Array(8);
    const y = new Int32Array(2);
    ds.gather(indices, 0, 2, x, y); // samples 2 and 0
    expect(Array.from(x)).toEqual([20, 0, 21, 1, 22, 2, 23, 3]);
    expect(Array.from(y)).toEqual([1, 2]);
    ds.gather(indices, 1, 2, x, y); // samples 0 and 1
    expect(Array.from(x)).toEqual([0, 10, 1, 11, 2, 12, 3, 13]);
    expect(Array.from(y)).toEqual([2, 0]);
  });

  it('matches a one-at-a-time oracle at every count (blocks of eight, of four, and single samples)', () => {
    const nF = 5, n = 40;
    const features = Float32Array.from({ length: n * nF }, (_, i) => i + 0.5);
    const ds = new DenseDataset('d', features, Int32Array.from({ length: n }, (_, i) => i % 3), nF, 3);
    const indices = Int32Array.from({ length: n }, (_, i) => (i * 17) % n);
    for (const count of [1, 3, 4, 7, 8, 12, 13, 29]) {
      const x = new Float32Array(nF * count), y = new Int32Array(count);
      ds.gather(indices, 3, count, x, y);
      for (let b = 0; b < count; b++) {
        const sample = indices[3 + b]!;
        expect(y[b]).toBe(sample % 3);
        for (let f = 0; f < nF; f++) expect(x[f * count + b]).toBe(features[sample * nF + f]);
      }
    }
  });

  it('rejects output buffers of the wrong size and spans outside the indices', () => {
    const ds = small();
    const indices = new Int32Array([0, 1, 2]);
    expect(() => ds.gather(indices, 0, 2, new Float32Array(7), new Int32Array(2))).toThrow(ShapeError);
    expect(() => ds.gather(indices, 0, 2, new Float32Array(7), new Int32Array(2))).toThrow(/has length 7, expected 8/);
    expect(() => ds.gather(indices, 0, 2, new Float32Array(8), new Int32Array(3))).toThrow(ShapeError);
    expect(() => ds.gather(indices, 2, 2, new Float32Array(8), new Int32Array(2))).toThrow(InvalidArgumentError);
  });

  it('subset copies the chosen samples', () => {
    const sub = small().subset(new Int32Array([2, 1]), 'sub');
    expect(sub.name).toBe('sub');
    expect(Array.from(sub.features)).toEqual([20, 21, 22, 23, 10, 11, 12, 13]);
    expect(Array.from(sub.labels)).toEqual([1, 0]);
  });

  it('rejects inconsistent construction', () => {
    expect(() => new DenseDataset('d', new Float32Array(5), new Int32Array(2), 3, 2)).toThrow(DataError);
    expect(() => new DenseDataset('d', new Float32Array([0, NaN]), new Int32Array(1), 2, 2)).toThrow(/finite/);
    expect(() => new DenseDataset('d', new Float32Array(2), new Int32Array([2]), 2, 2)).toThrow(/label of sample 0 is 2/);
  });
});
