/**
 * Feature rankings that do not train a network, the baselines a learned ranking must beat: random, variance,
 * and univariate tests (the ANOVA F statistic, the chi-squared statistic of scikit-learn's `chi2`).
 * Each returns one score per feature (higher is more important), to wrap in a {@link FeatureRanking}.
 * All of them read a data set through its batches (`Dataset.gather`), so dense and sparse data both work;
 * O(nSamples * nFeatures) time, O(nClasses * nFeatures) memory.
 *
 * @packageDocumentation
 */
import { rngFor } from '../core/rng';
import type { Dataset } from '../data/dataset';
import { SparseDataset } from '../data/sparse-dataset';
import { DenseDataset } from '../data/dataset';
import { FeatureRanking } from './importance';

/** Names of the baseline rankings. */
export const BASELINES = ['random', 'variance', 'anova', 'chi2'] as const;
/** A baseline ranking. */
export type BaselineName = (typeof BASELINES)[number];

/**
 * Per class and feature: the count of samples, the sum and the sum of squares of the feature's values.
 * Sparse data is summed over its stored non-zeros only.
 * @internal
 */
export function classSums(data: Dataset): { counts: Float64Array; sum: Float64Array; sq: Float64Array } {
  const K = data.nClasses, F = data.nFeatures;
  const counts = new Float64Array(K), sum = new Float64Array(K * F), sq = new Float64Array(K * F);
  for (let s = 0; s < data.nSamples; s++) counts[data.labels[s]!]!++;
  if (data instanceof SparseDataset) {
    const { rowPtr, featureIdx, values } = data;
    for (let s = 0; s < data.nSamples; s++) {
      const o = data.labels[s]! * F;
      for (let k = rowPtr[s]!; k < rowPtr[s + 1]!; k++) {
        const v = values[k]!;
        sum[o + featureIdx[k]!]! += v;
        sq[o + featureIdx[k]!]! += v * v;
      }
    }
  } else if (data instanceof DenseDataset) {
    const x = data.features;
    for (let s = 0; s < data.nSamples; s++) {
      const o = data.labels[s]! * F, r = s * F;
      for (let f = 0; f < F; f++) {
        const v = x[r + f]!;
        sum[o + f]! += v;
        sq[o + f]! += v * v;
      }
    }
  } else {
    // Any other data set: through feature-major batches of 64 samples.
    const B = 64, order = Int32Array.from({ length: data.nSamples }, (_, i) => i);
    const x = new Float32Array(F * B), y = new Int32Array(B);
    for (let start = 0; start < data.nSamples; start += B) {
      const n = Math.min(B, data.nSamples - start);
      data.gather(order, start, n, x.subarray(0, F * n), y.subarray(0, n));
      for (let f = 0; f < F; f++) {
        for (let b = 0; b < n; b++) {
          const v = x[f * n + b]!, o = y[b]! * F + f;
          sum[o]! += v;
          sq[o]! += v * v;
        }
      }
    }
  }
  return { counts, sum, sq };
}

/** A random permutation's scores (`rngFor(seed, 'random-ranking')`): the chance level of every metric. */
export function randomScores(nFeatures: number, seed: number): Float64Array {
  const rng = rngFor(seed, 'random-ranking');
  return Float64Array.from({ length: nFeatures }, () => rng.float());
}

/** The variance of every feature over the samples (unsupervised). */
export function varianceScores(data: Dataset): Float64Array {
  const { counts, sum, sq } = classSums(data);
  const F = data.nFeatures, n = data.nSamples;
  const out = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    let s = 0, q = 0;
    for (let c = 0; c < counts.length; c++) {
      s += sum[c * F + f]!;
      q += sq[c * F + f]!;
    }
    out[f] = Math.max(0, q / n - (s / n) ** 2);
  }
  return out;
}

/**
 * The one-way ANOVA F statistic of every feature against the class (scikit-learn's `f_classif`):
 * between-class mean square over within-class mean square. A constant feature scores 0.
 */
export function anovaScores(data: Dataset): Float64Array {
  const { counts, sum, sq } = classSums(data);
  const F = data.nFeatures, n = data.nSamples, K = counts.length;
  const out = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    let total = 0, totalSq = 0, between = 0;
    for (let c = 0; c < K; c++) {
      total += sum[c * F + f]!;
      totalSq += sq[c * F + f]!;
      if (counts[c]! > 0) between += sum[c * F + f]! ** 2 / counts[c]!;
    }
    const ssb = between - total ** 2 / n;
    const ssw = totalSq - between;
    const dfb = K - 1, dfw = n - K;
    out[f] = ssw > 1e-12 * Math.max(1, totalSq) ? ssb / dfb / (ssw / dfw) : ssb > 1e-12 ? Infinity : 0;
  }
  return out;
}

/**
 * The chi-squared statistic of every non-negative feature against the class (scikit-learn's `chi2`: observed
 * per-class sums of the feature against the sums expected from the class frequencies). Suited to counts
 * such as genotypes 0/1/2; negative values make it meaningless (they are used as they are).
 */
export function chi2Scores(data: Dataset): Float64Array {
  const { counts, sum } = classSums(data);
  const F = data.nFeatures, n = data.nSamples, K = counts.length;
  const out = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    let total = 0;
    for (let c = 0; c < K; c++) total += sum[c * F + f]!;
    let chi = 0;
    for (let c = 0; c < K; c++) {
      const expected = (total * counts[c]!) / n;
      if (expected > 0) chi += (sum[c * F + f]! - expected) ** 2 / expected;
    }
    out[f] = chi;
  }
  return out;
}

/**
 * A baseline ranking of `data`'s features.
 * @param seed - used by `random` only.
 */
export function baselineRanking(name: BaselineName, data: Dataset, seed = 0): FeatureRanking {
  switch (name) {
    case 'random':
      return new FeatureRanking(name, randomScores(data.nFeatures, seed), data.featureNames);
    case 'variance':
      return new FeatureRanking(name, varianceScores(data), data.featureNames);
    case 'anova':
      return new FeatureRanking(name, anovaScores(data), data.featureNames);
    case 'chi2':
      return new FeatureRanking(name, chi2Scores(data), data.featureNames);
  }
}
