/**
 * Feature standardisation: `(x - mean) / std` per feature, with the statistics of the training set
 * applied to both sets (the reference SET code does this for Fashion-MNIST). Constant features (std 0)
 * are only centred.
 *
 * @packageDocumentation
 */
import { DenseDataset, namesOf } from './dataset';
import type { TrainTest } from './split';

/** Per-feature mean and standard deviation (population std, as NumPy's `np.std`). */
export interface FeatureStats {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** Mean and standard deviation of every feature of `ds`, accumulated in float64. */
export function featureStats(ds: DenseDataset): FeatureStats {
  const nF = ds.nFeatures, n = ds.nSamples;
  const mean = new Float64Array(nF);
  const sq = new Float64Array(nF);
  const x = ds.features;
  for (let s = 0; s < n; s++) {
    const o = s * nF;
    for (let f = 0; f < nF; f++) mean[f]! += x[o + f]!;
  }
  for (let f = 0; f < nF; f++) mean[f]! /= Math.max(1, n);
  for (let s = 0; s < n; s++) {
    const o = s * nF;
    for (let f = 0; f < nF; f++) {
      const d = x[o + f]! - mean[f]!;
      sq[f]! += d * d;
    }
  }
  const std = sq.map((v) => Math.sqrt(v / Math.max(1, n)));
  return { mean, std };
}

/** A standardised copy of `ds` using `stats` (from the training set). */
export function applyStandardization(ds: DenseDataset, stats: FeatureStats, name = ds.name): DenseDataset {
  const nF = ds.nFeatures;
  const out = new Float32Array(ds.features.length);
  const scale = stats.std.map((s) => (s > 0 ? 1 / s : 1));
  for (let s = 0; s < ds.nSamples; s++) {
    const o = s * nF;
    for (let f = 0; f < nF; f++) out[o + f] = (ds.features[o + f]! - stats.mean[f]!) * scale[f]!;
  }
  return new DenseDataset(name, out, ds.labels, nF, ds.nClasses, ds.sampleShape, namesOf(ds));
}

/**
 * Standardises a train/test pair with the training set's statistics.
 * @example const { train, test } = standardize(loadFashionMnist());
 */
export function standardize(data: TrainTest): TrainTest & { stats: FeatureStats } {
  const stats = featureStats(data.train);
  return { train: applyStandardization(data.train, stats), test: applyStandardization(data.test, stats), stats };
}
