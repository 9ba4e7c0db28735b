/**
 * Seeded train/test splits of an in-memory data set.
 *
 * @packageDocumentation
 */
import { checkFinite, checkInt } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';
import { rngFor } from '../core/rng';
import type { Dataset, DenseDataset } from './dataset';

/** How large the test part is: an absolute count, or a fraction of the samples (rounded to nearest). */
export type TestPart = { readonly testSize: number } | { readonly testFraction: number };

/** The two parts of a split (dense by default; `TrainTest<SparseDataset>` for sparse data). */
export interface TrainTest<T extends Dataset = DenseDataset> {
  readonly train: T;
  readonly test: T;
}

/** An in-memory data set that can copy out the samples at some indices (DenseDataset, SparseDataset). */
export interface Subsettable<T extends Dataset> extends Dataset {
  /** The samples at `indices`, in that order, as a new data set called `name`. */
  subset(indices: Int32Array, name?: string): T;
}

/**
 * Splits `ds` (dense or sparse) into a test part and a train part by a seeded permutation (not stratified).
 *
 * The permutation comes from `rngFor(seed, 'split')`; its first `testSize` entries form the test part, the
 * rest the train part, each kept in permutation order. Both parts are copies named `<name>/train` and
 * `<name>/test`. Both parts must be non-empty.
 *
 * @param part - `{ testSize }` (an integer in [1, nSamples - 1]) or `{ testFraction }` (in (0, 1); the size
 *   is `round(testFraction * nSamples)`, which must also land in [1, nSamples - 1]).
 * @param seed - the run's seed; the same seed always gives the same split.
 * @throws {@link InvalidArgumentError} when the requested size leaves either part empty.
 * @example
 * const { train, test } = trainTestSplit(ds, { testFraction: 0.2 }, 0);
 */
export function trainTestSplit<T extends Subsettable<T>>(ds: T, part: TestPart, seed: number): TrainTest<T> {
  checkFinite(seed, 'seed');
  const n = ds.nSamples;
  let testSize: number;
  if ('testSize' in part) {
    testSize = part.testSize;
  } else {
    const f = part.testFraction;
    if (!(f > 0 && f < 1)) throw new InvalidArgumentError(`testFraction must be in (0, 1), got ${f}`);
    testSize = Math.round(f * n);
  }
  checkInt(testSize, `test size for ${ds.name} (${n} samples; both parts must be non-empty)`, 1, n - 1);
  return splitByOrder(ds, rngFor(seed, 'split').permutation(n), testSize);
}

/**
 * Splits `ds` along `order`: `order[0 .. testSize)` is the test part, the next `trainLimit` entries (all the
 * rest by default) the train part. Shared by {@link trainTestSplit} and the loaders that split with their own
 * random stream.
 *
 * @internal
 */
export function splitByOrder<T extends Subsettable<T>>(
  ds: T,
  order: Int32Array,
  testSize: number,
  trainLimit = Number.MAX_SAFE_INTEGER,
): TrainTest<T> {
  const trainEnd = Math.min(order.length, testSize + trainLimit);
  return {
    train: ds.subset(order.subarray(testSize, trainEnd), `${ds.name}/train`),
    test: ds.subset(order.subarray(0, testSize), `${ds.name}/test`),
  };
}

/** The two parts of a validation split: what training sees, and what model selection sees. */
export interface TrainValidation<T extends Dataset = DenseDataset> {
  readonly train: T;
  readonly validation: T;
}

/**
 * Holds out a stratified, seeded fraction of `ds` for validation (model selection, early stopping).
 *
 * Each class keeps its share: `round(fraction * n_c)` of its `n_c` samples go to validation, at most
 * `n_c - 1` (a class never leaves training) and at least one sample overall. Which samples go is decided by
 * the permutation `rngFor(seed, 'validation-split')`; both parts keep the samples in their original order and
 * are copies named `<name>/fit` and `<name>/validation`.
 *
 * @param fraction - in (0, 1).
 * @param seed - the run's seed; the same seed always gives the same split.
 * @throws {@link InvalidArgumentError} for a fraction outside (0, 1) or a data set too small to split.
 * @example
 * const { train, validation } = stratifiedValidationSplit(trainSet, 0.1, 1);
 */
export function stratifiedValidationSplit<T extends Subsettable<T>>(ds: T, fraction: number, seed: number): TrainValidation<T> {
  if (!(fraction > 0 && fraction < 1)) throw new InvalidArgumentError(`validation fraction must be in (0, 1), got ${fraction}`);
  checkFinite(seed, 'seed');
  const n = ds.nSamples;
  if (n < 2) throw new InvalidArgumentError(`${ds.name} has ${n} sample(s): at least 2 are needed to hold out a validation part`);
  const counts = new Int32Array(ds.nClasses);
  for (let i = 0; i < n; i++) counts[ds.labels[i]!]!++;
  const quota = Int32Array.from(counts, (c) => Math.min(Math.max(0, c - 1), Math.round(fraction * c)));
  if (quota.every((q) => q === 0)) {
    // Tiny classes round to nothing: take one sample of the largest class so that validation is never empty.
    const biggest = counts.indexOf(Math.max(...counts));
    if (counts[biggest]! < 2) throw new InvalidArgumentError(`${ds.name} has no class with 2 samples: cannot hold out a validation part`);
    quota[biggest] = 1;
  }
  const inValidation = new Uint8Array(n);
  for (const i of rngFor(seed, 'validation-split').permutation(n)) {
    const c = ds.labels[i]!;
    if (quota[c]! > 0) {
      quota[c]!--;
      inValidation[i] = 1;
    }
  }
  const nVal = inValidation.reduce((a, b) => a + b, 0);
  const val = new Int32Array(nVal), fit = new Int32Array(n - nVal);
  for (let i = 0, v = 0, f = 0; i < n; i++) {
    if (inValidation[i]) val[v++] = i;
    else fit[f++] = i;
  }
  return { train: ds.subset(fit, `${ds.name}/fit`), validation: ds.subset(val, `${ds.name}/validation`) };
}
