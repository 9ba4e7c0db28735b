/**
 * A data set whose samples stay sparse in memory (CSR over samples) until a batch is built: the form of very
 * wide inputs such as gene expression or DNA markers, with tens of thousands of features of which each sample
 * has few nonzeros.
 *
 * @packageDocumentation
 */
import { checkLength } from '../core/assert';
import { DataError, InvalidArgumentError, ShapeError } from '../core/errors';
import { SparseBatch } from '../sparse/sparse-batch';
import { checkDatasetBasics, namesOf, type Dataset, type DatasetNames } from './dataset';

/**
 * A data set that can hand out SPARSE batches ({@link SparseBatch}) besides dense ones: the trainer then
 * feeds a network whose first layer is sparse without any `nFeatures * batch` array (see `Model.fit`).
 */
export interface SparseBatchSource extends Dataset {
  /**
   * Makes `out` the batch of samples `indices[start .. start + count)` (batch column `b` is sample
   * `indices[start + b]`) and writes their labels to `y` (length `count`); the sparse counterpart of
   * {@link Dataset.gather}, with the same samples and values.
   */
  gatherSparse(indices: Int32Array, start: number, count: number, out: SparseBatch, y: Int32Array): SparseBatch;
}

/** Whether `d` can hand out sparse batches ({@link SparseBatchSource}). */
export function hasSparseBatches(d: Dataset): d is SparseBatchSource {
  return typeof (d as Partial<SparseBatchSource>).gatherSparse === 'function';
}

/**
 * Samples stored as compressed sparse rows: sample `s` has the nonzeros
 * `featureIdx[rowPtr[s] .. rowPtr[s + 1])` with values `values[...]` (indices strictly increasing per row).
 * Memory is `4 * (nSamples + 1) + 8 * nnz + 4 * nSamples` bytes, however wide the samples are.
 */
export class SparseDataset implements SparseBatchSource {
  readonly nSamples: number;
  readonly classNames?: readonly string[];
  readonly featureNames?: readonly string[];

  /**
   * @param rowPtr - `nSamples + 1` offsets, `rowPtr[0] = 0`, non-decreasing, `rowPtr[nSamples] = nnz`.
   * @param featureIdx - `nnz` feature indices in [0, nFeatures), strictly increasing within each sample.
   * @param values - `nnz` finite values.
   * @param labels - `nSamples` integers in [0, nClasses).
   * @throws {@link DataError} naming the sample for any broken invariant (checked in O(nnz)).
   */
  constructor(
    readonly name: string,
    readonly rowPtr: Int32Array,
    readonly featureIdx: Int32Array,
    readonly values: Float32Array,
    readonly labels: Int32Array,
    readonly nFeatures: number,
    readonly nClasses: number,
    names: DatasetNames = {},
  ) {
    checkDatasetBasics(name, labels, nFeatures, nClasses, names);
    if (names.classNames) this.classNames = names.classNames;
    if (names.featureNames) this.featureNames = names.featureNames;
    const n = labels.length;
    this.nSamples = n;
    if (rowPtr.length !== n + 1) throw new DataError(`${name}: rowPtr has ${rowPtr.length} entries, expected nSamples + 1 = ${n + 1}`);
    const nnz = featureIdx.length;
    if (values.length !== nnz) throw new DataError(`${name}: values has ${values.length} entries but featureIdx has ${nnz}`);
    if (rowPtr[0] !== 0 || rowPtr[n] !== nnz) throw new DataError(`${name}: rowPtr must start at 0 and end at nnz = ${nnz}, got ${rowPtr[0]} .. ${rowPtr[n]}`);
    for (let s = 0; s < n; s++) {
      const a = rowPtr[s]!, b = rowPtr[s + 1]!;
      if (b < a) throw new DataError(`${name}: rowPtr decreases at sample ${s} (${a} then ${b})`);
      let prev = -1;
      for (let k = a; k < b; k++) {
        const f = featureIdx[k]!;
        if (f <= prev || f >= nFeatures) {
          throw new DataError(`${name}: sample ${s} has feature index ${f} after ${prev}; indices must be strictly increasing in [0, ${nFeatures})`);
        }
        const v = values[k]!;
        if (v - v !== 0) throw new DataError(`${name}: feature ${f} of sample ${s} is ${v}; features must be finite`);
        prev = f;
      }
    }
  }

  /** Number of stored nonzeros. */
  get nnz(): number {
    return this.featureIdx.length;
  }

  /** Fraction of the `nSamples * nFeatures` entries that are stored. */
  get density(): number {
    return this.nnz / Math.max(1, this.nSamples * this.nFeatures);
  }

  /**
   * Builds a dense feature-major batch, `x[f * count + b]`, as {@link Dataset.gather}. The batch is zeroed
   * first, O(nFeatures * count), then only the stored nonzeros of the chosen samples are written, O(their nnz).
   * The zeroing dominates for very sparse rows; it is the price of the dense batch the layers consume.
   */
  gather(indices: Int32Array, start: number, count: number, x: Float32Array, y: Int32Array): void {
    checkLength(x.length, this.nFeatures * count, `${this.name}: batch input`, `nFeatures * count = ${this.nFeatures} * ${count}`);
    checkLength(y.length, count, `${this.name}: batch labels`);
    if (start < 0 || start + count > indices.length) {
      throw new InvalidArgumentError(`${this.name}: batch [${start}, ${start + count}) is outside the ${indices.length} indices`);
    }
    x.fill(0);
    const ptr = this.rowPtr, idx = this.featureIdx, val = this.values;
    for (let b = 0; b < count; b++) {
      const s = indices[start + b]!;
      y[b] = this.labels[s]!;
      const end = ptr[s + 1]!;
      for (let k = ptr[s]!; k < end; k++) x[idx[k]! * count + b] = val[k]!;
    }
  }

  /**
   * Builds a sparse batch, as {@link SparseBatchSource.gatherSparse}: O(nnz of the chosen samples +
   * nFeatures), no `nFeatures * count` array (the form `Model.fit` uses for a sparse first layer).
   */
  gatherSparse(indices: Int32Array, start: number, count: number, out: SparseBatch, y: Int32Array): SparseBatch {
    if (out.nFeatures !== this.nFeatures) {
      throw new ShapeError(`${this.name}: the sparse batch has ${out.nFeatures} features, the data set ${this.nFeatures}`);
    }
    checkLength(y.length, count, `${this.name}: batch labels`);
    out.setRows(this.rowPtr, this.featureIdx, this.values, indices, start, count);
    for (let b = 0; b < count; b++) y[b] = this.labels[indices[start + b]!]!;
    return out;
  }

  /** The samples at `indices`, in that order, as a new sparse data set (class and feature names kept). */
  subset(indices: Int32Array, name = this.name): SparseDataset {
    const ptr = new Int32Array(indices.length + 1);
    indices.forEach((s, at) => {
      if (!(s >= 0 && s < this.nSamples)) throw new InvalidArgumentError(`${this.name}: subset index ${s} is outside [0, ${this.nSamples})`);
      ptr[at + 1] = ptr[at]! + this.rowPtr[s + 1]! - this.rowPtr[s]!;
    });
    const nnz = ptr[indices.length]!;
    const idx = new Int32Array(nnz), val = new Float32Array(nnz), lab = new Int32Array(indices.length);
    indices.forEach((s, at) => {
      const a = this.rowPtr[s]!, b = this.rowPtr[s + 1]!;
      idx.set(this.featureIdx.subarray(a, b), ptr[at]!);
      val.set(this.values.subarray(a, b), ptr[at]!);
      lab[at] = this.labels[s]!;
    });
    return new SparseDataset(name, ptr, idx, val, lab, this.nFeatures, this.nClasses, namesOf(this));
  }

  /**
   * A copy with every value of feature `f` multiplied by `scale[f]` (zeros stay zeros), e.g. for
   * {@link maxAbsScale}.
   */
  scaled(scale: ArrayLike<number>, name = this.name): SparseDataset {
    checkLength(scale.length, this.nFeatures, `${this.name}: scale`);
    const val = new Float32Array(this.values.length);
    for (let k = 0; k < val.length; k++) val[k] = this.values[k]! * scale[this.featureIdx[k]!]!;
    return new SparseDataset(name, this.rowPtr, this.featureIdx, val, this.labels, this.nFeatures, this.nClasses, namesOf(this));
  }
}
