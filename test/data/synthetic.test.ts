import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';

function classMeans(ds: ReturnType<typeof syntheticClassification>): Float64Array[] {
  const means = Array.from({ length: ds.nClasses }, () => new Float64Array(ds.nFeatures));
  const counts = new Array<number>(ds.nClasses).fill(0);
  for (let s = 0; s < ds.nSamples; s++) {
    const c = ds.labels[s]!;
    counts[c]!++;
    for (let f = 0; f < ds.nFeatures; f++) means[c]![f]! += ds.features[s * ds.nFeatures + f]!;
  }
  means.forEach((m, c) => m.forEach((v, f) => (m[f] = v / counts[c]!)));
  return means;
}

describe('syntheticClassification', () => {
  const options = { nSamples: 600, nFeatures: 30, nClasses: 3, seed: 5 };

  it('is reproducible for a seed and differs across seeds', () => {
    const a = syntheticClassification(options);
    const b = syntheticClassification(options);
    const c = syntheticClassification({ ...options, seed: 6 });
    expect(Array.from(b.features)).toEqual(Array.from(a.features));
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(Array.from(c.features)).not.toEqual(Array.from(a.features));
  });

  it('has the requested shape and balanced classes', () => {
    const ds = syntheticClassification({ ...options, nSamples: 601, name: 'blobs' });
    expect(ds.name).toBe('blobs');
    expect([ds.nSamples, ds.nFeatures, ds.nClasses]).toEqual([601, 30, 3]);
    const counts = [0, 0, 0];
    for (const l of ds.labels) counts[l]!++;
    expect(counts.sort()).toEqual([200, 200, 201]);
  });

  it('looks learnable: class means differ on exactly the informative features', () => {
    const ds = syntheticClassification({ ...options, informative: 4, noise: 0.5 });
    const means = classMeans(ds);
    let separated = 0;
    for (let f = 0; f < ds.nFeatures; f++) {
      const spread = Math.max(...means.map((m) => m[f]!)) - Math.min(...means.map((m) => m[f]!));
      if (spread > 0.3) separated++;
    }
    expect(separated).toBe(4);
    // A nearest-class-mean classifier does far better than chance (1/3).
    let correct = 0;
    for (let s = 0; s < ds.nSamples; s++) {
      let best = -1, bestD = Infinity;
      means.forEach((m, c) => {
        let d = 0;
        for (let f = 0; f < ds.nFeatures; f++) d += (ds.features[s * ds.nFeatures + f]! - m[f]!) ** 2;
        if (d < bestD) [best, bestD] = [c, d];
      });
      if (best === ds.labels[s]) correct++;
    }
    expect(correct / ds.nSamples).toBeGreaterThan(0.8);
  });

  it('with noise 0 places every sample on its class centroid', () => {
    const ds = syntheticClassification({ ...options, noise: 0 });
    const means = classMeans(ds);
    for (let s = 0; s < ds.nSamples; s++) {
      for (let f = 0; f < ds.nFeatures; f++) {
        expect(ds.features[s * ds.nFeatures + f]).toBeCloseTo(means[ds.labels[s]!]![f]!, 5);
      }
    }
  });

  it('validates its options', () => {
    const bad = [
      { nSamples: 0 },
      { nFeatures: 2.5 },
      { nClasses: 1 },
      { seed: NaN },
      { informative: 0 },
      { informative: 31 },
      { noise: -1 },
      { noise: Infinity },
    ];
    for (const b of bad) expect(() => syntheticClassification({ ...options, ...b })).toThrow(InvalidArgumentError);
    expect(() => syntheticClassification({ ...options, informative: 31 })).toThrow(/informative \(nFeatures = 30\)/);
  });
});
