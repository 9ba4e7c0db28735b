/**
 * The data-set abstraction every loader produces and the trainer consumes.
 *
 * Storage is sample-major (one contiguous row of `nFeatures` per sample), which is how files are read.
 * The kernels want batches feature-major (one contiguous run of `batch` values per feature), so
 * {@link Dataset.gather} transposes while it copies: `x[f * count + b] = feature f of sample indices[start + b]`.
 *
 * @packageDocumentation
 */
import { checkInt, checkLength, firstNonFinite } from '../core/assert';
import { DataError, InvalidArgumentError } from '../core/errors';

/** A labelled classification data set. */
export interface Dataset {
  /** A short name for logs and manifests, e.g. `"mnist"` or `"fashion-mnist/train"`. */
  readonly name: string;
  /** Number of samples. */
  readonly nSamples: number;
  /** Number of input features per sample. */
  readonly nFeatures: number;
  /** Number of classes; labels are integers in [0, nClasses). */
  readonly nClasses: number;
  /** Optional spatial shape of one sample, e.g. `[28, 28]` (used by plots); its product is nFeatures. */
  readonly sampleShape?: readonly number[];
  /** Optional text of each class, indexed by label (e.g. the label values of a CSV file); length nClasses. */
  readonly classNames?: readonly string[];
  /** Optional name of each feature (e.g. CSV column names); length nFeatures. */
  readonly featureNames?: readonly string[];
  /** The class label of every sample. */
  readonly labels: Int32Array;
  /**
   * Copies samples `indices[start .. start + count)` into a feature-major batch.
   * @param x - output of length `nFeatures * count`: `x[f * count + b]`.
   * @param y - output labels of length `count`.
   */
  gather(indices: Int32Array, start: number, count: number, x: Float32Array, y: Int32Array): void;
}

/** Optional names of a data set's classes and features (see {@link Dataset.classNames}). */
export interface DatasetNames {
  readonly classNames?: readonly string[];
  readonly featureNames?: readonly string[];
}

/**
 * The checks every in-memory data set shares: positive sizes, names of the right lengths, and every label
 * an integer in [0, nClasses).
 * @throws {@link DataError} (or InvalidArgumentError for the sizes) naming the data set and the bad value.
 * @internal
 */
export function checkDatasetBasics(name: string, labels: Int32Array, nFeatures: number, nClasses: number, names: DatasetNames): void {
  checkInt(nFeatures, `${name}: nFeatures`, 1);
  checkInt(nClasses, `${name}: nClasses`, 1);
  checkNames(name, names, nFeatures, nClasses);
  for (let s = 0; s < labels.length; s++) {
    const l = labels[s]!;
    if (l < 0 || l >= nClasses) throw new DataError(`${name}: label of sample ${s} is ${l}, expected an integer in [0, ${nClasses})`);
  }
}

/**
 * Checks that `names` fit a data set of `nClasses` classes and `nFeatures` features.
 * @throws {@link DataError} naming the data set and both lengths.
 * @internal
 */
export function checkNames(name: string, names: DatasetNames, nFeatures: number, nClasses: number): void {
  if (names.classNames && names.classNames.length !== nClasses) {
    throw new DataError(`${name}: classNames has ${names.classNames.length} entries, expected nClasses = ${nClasses}`);
  }
  if (names.featureNames && names.featureNames.length !== nFeatures) {
    throw new DataError(`${name}: featureNames has ${names.featureNames.length} entries, expected nFeatures = ${nFeatures}`);
  }
}

/** A data set held in memory as a dense sample-major Float32Array. */
export class DenseDataset implements Dataset {
  readonly nSamples: number;
  readonly classNames?: readonly string[];
  readonly featureNames?: readonly string[];

  /**
   * @param features - `nSamples * nFeatures` values, sample-major; must be finite.
   * @param labels - `nSamples` integers in [0, nClasses).
   * @param names - optional class and feature names, kept by {@link DenseDataset.subset}.
   * @throws {@link DataError} on a size mismatch, a non-finite feature, a label out of range or names of the
   *   wrong length.
   */
  constructor(
    readonly name: string,
    readonly features: Float32Array,
    readonly labels: Int32Array,
    readonly nFeatures: number,
    readonly nClasses: number,
    readonly sampleShape?: readonly number[],
    names: DatasetNames = {},
  ) {
    checkDatasetBasics(name, labels, nFeatures, nClasses, names);
    if (names.classNames) this.classNames = names.classNames;
    if (names.featureNames) this.featureNames = names.featureNames;
    this.nSamples = labels.length;
    if (features.length !== this.nSamples * nFeatures) {
      throw new DataError(
        `${name}: features has ${features.length} values, expected nSamples * nFeatures = ${this.nSamples} * ${nFeatures}`,
      );
    }
    const bad = firstNonFinite(features);
    if (bad >= 0) {
      throw new DataError(
        `${name}: feature ${bad % nFeatures} of sample ${Math.floor(bad / nFeatures)} is ${features[bad]}; features must be finite`,
      );
    }
    if (sampleShape && sampleShape.reduce((a, b) => a * b, 1) !== nFeatures) {
      throw new DataError(`${name}: sampleShape [${sampleShape.join(', ')}] does not multiply to nFeatures = ${nFeatures}`);
    }
  }

  gather(indices: Int32Array, start: number, count: number, x: Float32Array, y: Int32Array): void {
    const nF = this.nFeatures;
    checkLength(x.length, nF * count, `${this.name}: batch input`, `nFeatures * count = ${nF} * ${count}`);
    checkLength(y.length, count, `${this.name}: batch labels`);
    if (start < 0 || start + count > indices.length) {
      throw new InvalidArgumentError(`${this.name}: batch [${start}, ${start + count}) is outside the ${indices.length} indices`);
    }
    const src = this.features;
    for (let b = 0; b < count; b++) y[b] = this.labels[indices[start + b]!]!;
    // Eight samples at a time, then four: each feature then writes neighbouring floats instead of one per
    // cache line (the timings are in docs/bench.md).
    let b = 0;
    for (; b + 8 <= count; b += 8) {
      const r0 = indices[start + b]! * nF, r1 = indices[start + b + 1]! * nF;
      const r2 = indices[start + b + 2]! * nF, r3 = indices[start + b + 3]! * nF;
      const r4 = indices[start + b + 4]! * nF, r5 = indices[start + b + 5]! * nF;
      const r6 = indices[start + b + 6]! * nF, r7 = indices[start + b + 7]! * nF;
      for (let f = 0, o = b; f < nF; f++, o += count) {
        x[o] = src[r0 + f]!;
        x[o + 1] = src[r1 + f]!;
        x[o + 2] = src[r2 + f]!;
        x[o + 3] = src[r3 + f]!;
        x[o + 4] = src[r4 + f]!;
        x[o + 5] = src[r5 + f]!;
        x[o + 6] = src[r6 + f]!;
        x[o + 7] = src[r7 + f]!;
      }
    }
    for (; b + 4 <= count; b += 4) {
      const r0 = indices[start + b]! * nF, r1 = indices[start + b + 1]! * nF;
      const r2 = indices[start + b + 2]! * nF, r3 = indices[start + b + 3]! * nF;
      for (let f = 0, o = b; f < nF; f++, o += count) {
        x[o] = src[r0 + f]!;
        x[o + 1] = src[r1 + f]!;
        x[o + 2] = src[r2 + f]!;
        x[o + 3] = src[r3 + f]!;
      }
    }
    for (; b < count; b++) {
      const row = indices[start + b]! * nF;
      for (let f = 0; f < nF; f++) x[f * count + b] = src[row + f]!;
    }
  }

  /** The subset of samples at `indices`, as a new in-memory data set. */
  subset(indices: Int32Array, name = this.name): DenseDataset {
    const nF = this.nFeatures;
    const f = new Float32Array(indices.length * nF);
    const l = new Int32Array(indices.length);
    indices.forEach((s, at) => {
      f.set(this.features.subarray(s * nF, (s + 1) * nF), at * nF);
      l[at] = this.labels[s]!;
    });
    return new DenseDataset(name, f, l, nF, this.nClasses, this.sampleShape, namesOf(this));
  }
}

/** The class and feature names of `ds` (only those it has), to pass on to a derived data set. @internal */
export function namesOf(ds: Dataset): DatasetNames {
  return {
    ...(ds.classNames ? { classNames: ds.classNames } : {}),
    ...(ds.featureNames ? { featureNames: ds.featureNames } : {}),
  };
}
