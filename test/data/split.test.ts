import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { batchOrder, batchSpans, DenseDataset, trainTestSplit } from '../../toolkit/src/data';

/** n samples of one feature whose value is the sample's index. */
function indexed(n: number): DenseDataset {
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = i;
  return new DenseDataset('idx', f, new Int32Array(n).map((_, i) => i % 3), 1, 3);
}

describe('trainTestSplit', () => {
  it('splits by size or fraction into disjoint parts covering every sample', () => {
    const ds = indexed(50);
    for (const part of [{ testSize: 10 }, { testFraction: 0.2 }]) {
      const { train, test } = trainTestSplit(ds, part, 1);
      expect(test.nSamples).toBe(10);
      expect(train.nSamples).toBe(40);
      expect([train.name, test.name]).toEqual(['idx/train', 'idx/test']);
      const all = [...train.features, ...test.features].sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 50 }, (_, i) => i));
      // Labels travel with their samples.
      for (const p of [train, test]) p.features.forEach((v, s) => expect(p.labels[s]).toBe(v % 3));
    }
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const ds = indexed(100);
    const a = trainTestSplit(ds, { testSize: 20 }, 3);
    const b = trainTestSplit(ds, { testSize: 20 }, 3);
    const c = trainTestSplit(ds, { testSize: 20 }, 4);
    expect(Array.from(b.test.features)).toEqual(Array.from(a.test.features));
    expect(Array.from(c.test.features)).not.toEqual(Array.from(a.test.features));
  });

  it('rejects sizes that leave a part empty', () => {
    const ds = indexed(10);
    expect(() => trainTestSplit(ds, { testSize: 0 }, 0)).toThrow(InvalidArgumentError);
    expect(() => trainTestSplit(ds, { testSize: 10 }, 0)).toThrow(/test size for idx \(10 samples/);
    expect(() => trainTestSplit(ds, { testFraction: 1 }, 0)).toThrow(/testFraction must be in \(0, 1\)/);
    expect(() => trainTestSplit(ds, { testFraction: 0.01 }, 0)).toThrow(InvalidArgumentError);
  });
});

describe('batchOrder', () => {
  it('is a permutation, reproducible per (seed, epoch), different across epochs', () => {
    const a = batchOrder(1000, 0, 9);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(batchOrder(1000, 0, 9))).toEqual(Array.from(a));
    expect(Array.from(batchOrder(1000, 1, 9))).not.toEqual(Array.from(a));
    expect(Array.from(batchOrder(1000, 0, 10))).not.toEqual(Array.from(a));
  });

  it('is the identity without shuffling', () => {
    expect(Array.from(batchOrder(5, 3, 1, false))).toEqual([0, 1, 2, 3, 4]);
    expect(batchOrder(0, 0, 0).length).toBe(0);
  });

  it('rejects bad arguments', () => {
    expect(() => batchOrder(-1, 0, 0)).toThrow(InvalidArgumentError);
    expect(() => batchOrder(3, 0.5, 0)).toThrow(/epoch/);
  });
});

describe('batchSpans', () => {
  it('cuts positions into batches, with an optional short last one', () => {
    expect([...batchSpans(5, 2)]).toEqual([[0, 2], [2, 2], [4, 1]]);
    expect([...batchSpans(5, 2, true)]).toEqual([[0, 2], [2, 2]]);
    expect([...batchSpans(4, 2)]).toEqual([[0, 2], [2, 2]]);
    expect([...batchSpans(0, 2)]).toEqual([]);
    expect(() => [...batchSpans(4, 0)]).toThrow(InvalidArgumentError);
  });
});
