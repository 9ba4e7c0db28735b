import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../toolkit/src/core/errors';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../toolkit/src/data/fashion-mnist';

// Runs wherever the Debian package dataset-fashion-mnist is installed; on CI it must be, so the test fails
// rather than skips there.
const available = existsSync(FASHION_MNIST_DIR) || process.env['CI'] === 'true';

describe('loadFashionMnist', () => {
  it.skipIf(!available)('loads 60,000 training and 10,000 test images of 28 x 28 in [0, 1]', () => {
    const { train, test } = loadFashionMnist();
    expect([train.nSamples, test.nSamples]).toEqual([60000, 10000]);
    expect([train.name, test.name]).toEqual(['fashion-mnist/train', 'fashion-mnist/test']);
    for (const ds of [train, test]) {
      expect(ds.nFeatures).toBe(784);
      expect(ds.nClasses).toBe(10);
      expect(ds.sampleShape).toEqual([28, 28]);
      const counts = new Array<number>(10).fill(0);
      for (const l of ds.labels) counts[l]!++;
      // Fashion-MNIST is exactly balanced: 6,000 / 1,000 images per class.
      expect(counts).toEqual(new Array(10).fill(ds.nSamples / 10));
      let min = Infinity, max = -Infinity;
      for (const v of ds.features) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect([min, max]).toEqual([0, 1]);
    }
  });

  it.skipIf(!available)('honours limits', () => {
    const { train, test } = loadFashionMnist(FASHION_MNIST_DIR, { limit: { train: 100, test: 50 } });
    expect([train.nSamples, test.nSamples]).toEqual([100, 50]);
  });

  it('says which Debian package provides a missing folder', () => {
    const dir = join(tmpdir(), 'no-such-fashion-mnist');
    expect(() => loadFashionMnist(dir)).toThrow(DataError);
    expect(() => loadFashionMnist(dir)).toThrow(/no-such-fashion-mnist does not exist; .*dataset-fashion-mnist/);
  });
});
