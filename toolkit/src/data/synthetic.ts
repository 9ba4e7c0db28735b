/**
 * Seeded synthetic classification data: Gaussian blobs around class centroids that differ only on a random
 * subset of "informative" features. Small, fast and learnable, for tests and smoke runs.
 *
 * @packageDocumentation
 */
import { check, checkFinite, checkInt } from '../core/assert';
import { rngFor } from '../core/rng';
import { DenseDataset } from './dataset';

/** Options of {@link syntheticClassification}. */
export interface SyntheticOptions {
  /** Number of samples (integer >= 1). */
  readonly nSamples: number;
  /** Number of features per sample (integer >= 1). */
  readonly nFeatures: number;
  /** Number of classes (integer >= 2). Classes are balanced: their sizes differ by at most one. */
  readonly nClasses: number;
  /** Seed; the same options always give the same data. */
  readonly seed: number;
  /** Number of features that carry class information, in [1, nFeatures] (default `min(nFeatures, 10)`). */
  readonly informative?: number;
  /** Standard deviation of the Gaussian noise on every feature (default 1; finite, >= 0). */
  readonly noise?: number;
  /** Name of the data set (default `"synthetic"`). */
  readonly name?: string;
}

/** The default number of informative features for `nFeatures` features: `min(nFeatures, 10)`. */
export function defaultInformative(nFeatures: number): number {
  return Math.min(nFeatures, 10);
}

/**
 * Generates a seeded, learnable classification data set.
 *
 * The model: a random subset of `informative` features is chosen; each class `c` gets a centroid `mu_c` with
 * standard-normal coordinates on those features and 0 elsewhere. Each sample of class `c` is
 * `mu_c + noise * z` with `z` standard normal on every feature. So the other `nFeatures - informative`
 * features are pure noise, and with the defaults two centroids are about `sqrt(2 * 10) = 4.5` noise standard
 * deviations apart. Labels are a random arrangement of balanced classes.
 *
 * Streams: `rngFor(seed, 'synthetic', 'features' | 'centroids' | 'labels' | 'noise')`.
 *
 * @returns a {@link DenseDataset} of `nSamples x nFeatures` Float32 features.
 * @throws {@link InvalidArgumentError} on an invalid option.
 * @example
 * const ds = syntheticClassification({ nSamples: 1000, nFeatures: 20, nClasses: 3, seed: 0 });
 */
export function syntheticClassification(options: SyntheticOptions): DenseDataset {
  const { nSamples, nFeatures, nClasses, seed, name = 'synthetic' } = options;
  checkInt(nSamples, 'synthetic nSamples', 1, 0x7fffffff);
  checkInt(nFeatures, 'synthetic nFeatures', 1, 0x7fffffff);
  checkInt(nClasses, 'synthetic nClasses', 2, 0x7fffffff);
  checkFinite(seed, 'synthetic seed');
  const informative = options.informative ?? defaultInformative(nFeatures);
  checkInt(informative, `synthetic informative (nFeatures = ${nFeatures})`, 1, nFeatures);
  const noise = options.noise ?? 1;
  check(Number.isFinite(noise) && noise >= 0, () => `synthetic noise must be a finite number >= 0, got ${noise}`);
  check(nSamples * nFeatures <= 2 ** 31, () => `synthetic data of ${nSamples} x ${nFeatures} values is too large`);

  const chosen = rngFor(seed, 'synthetic', 'features').permutation(nFeatures).subarray(0, informative);
  const centroids = new Float64Array(nClasses * nFeatures);
  const cRng = rngFor(seed, 'synthetic', 'centroids');
  for (let c = 0; c < nClasses; c++) {
    for (let k = 0; k < informative; k++) centroids[c * nFeatures + chosen[k]!] = cRng.normal();
  }

  const labels = rngFor(seed, 'synthetic', 'labels').permutation(nSamples);
  for (let s = 0; s < nSamples; s++) labels[s] = labels[s]! % nClasses;

  const features = new Float32Array(nSamples * nFeatures);
  const zRng = rngFor(seed, 'synthetic', 'noise');
  for (let s = 0; s < nSamples; s++) {
    const row = s * nFeatures;
    const mu = labels[s]! * nFeatures;
    for (let f = 0; f < nFeatures; f++) features[row + f] = centroids[mu + f]! + noise * zRng.normal();
  }
  return new DenseDataset(name, features, labels, nFeatures, nClasses);
}
