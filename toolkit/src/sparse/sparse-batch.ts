/**
 * A batch of sparse inputs in the layout the first layer's kernels read: compressed rows over the INPUT
 * FEATURES, each row listing the batch's samples that have that feature and their values.
 *
 * Why this orientation: the first layer's forward pass is `Y[j,:] = sum over k in row j of W_k X[col_k,:]`
 * and its weight gradient `dW_k = dot(dY[j,:], X[col_k,:])` (DESIGN.md, "The hot path"). Both read one
 * input feature's row over the batch per connection; with a sparse batch that row is a short sparse vector,
 * here the contiguous entries `featPtr[f] .. featPtr[f + 1]`. The first layer's input gradient is never
 * needed, so no other orientation is required. A dense batch would be `nFeatures * batch` floats (128 MB
 * per batch of 32 at 10^6 features); this one is `8 * nnz + 4 * (nFeatures + 1)` bytes.
 *
 * The batch is built from sample-major compressed rows (the storage of {@link "data/sparse-dataset".SparseDataset})
 * by a counting sort over the features, O(nnz + nFeatures); its arrays grow to the largest batch seen and
 * are reused, so a training loop allocates nothing per batch once they are large enough.
 *
 * @packageDocumentation
 */
import { checkInt, checkLength } from '../core/assert';
import { InvalidArgumentError, ShapeError } from '../core/errors';

/** A reusable feature-major sparse batch (see the module comment). */
export class SparseBatch {
  /** Samples in the batch (set by {@link SparseBatch.setRows}). */
  batch = 0;
  /**
   * `nFeatures + 1` offsets: feature `f` of the batch has the entries `featPtr[f] .. featPtr[f + 1]` of
   * {@link SparseBatch.sample} and {@link SparseBatch.values}; `featPtr[nFeatures]` is the batch's nnz.
   */
  readonly featPtr: Int32Array;
  /** Per entry, the sample it belongs to (its column in the batch, in [0, batch)), ascending within a feature. */
  sample: Int32Array = new Int32Array(0);
  /** Per entry, its value. Only the first {@link SparseBatch.nnz} entries of both arrays are the batch's. */
  values: Float32Array = new Float32Array(0);

  /** @param nFeatures - input features (the first layer's `nIn`). */
  constructor(readonly nFeatures: number) {
    checkInt(nFeatures, 'SparseBatch nFeatures', 1);
    this.featPtr = new Int32Array(nFeatures + 1);
  }

  /** Stored entries of the current batch. */
  get nnz(): number {
    return this.featPtr[this.nFeatures]!;
  }

  /**
   * Makes this the batch of samples `order[start .. start + count)` of sample-major compressed rows (sample
   * `s` has the features `featureIdx[rowPtr[s] .. rowPtr[s + 1])` with `values[...]`, indices in
   * `[0, nFeatures)`): batch column `b` is sample `order[start + b]`. Allocates only when the batch has more
   * entries than any before.
   * @throws {@link InvalidArgumentError} for a range outside `order` or a sample outside the rows;
   *   {@link ShapeError} for a feature index outside `[0, nFeatures)` (nothing is changed then).
   */
  setRows(rowPtr: Int32Array, featureIdx: Int32Array, values: Float32Array, order: Int32Array, start: number, count: number): this {
    const nF = this.nFeatures, nSamples = rowPtr.length - 1;
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= order.length)) {
      throw new InvalidArgumentError(`sparse batch [${start}, ${start + count}) is outside the ${order.length} indices`);
    }
    let nnz = 0;
    for (let b = 0; b < count; b++) {
      const s = order[start + b]!;
      if (!(s >= 0 && s < nSamples)) throw new InvalidArgumentError(`sparse batch: sample ${s} is outside [0, ${nSamples})`);
      nnz += rowPtr[s + 1]! - rowPtr[s]!;
    }
    if (this.sample.length < nnz) {
      // Some headroom, so that batches of slightly varying sizes do not reallocate one after another.
      const cap = Math.ceil(nnz * 1.25) + 16;
      this.sample = new Int32Array(cap);
      this.values = new Float32Array(cap);
    }
    // Counting sort by feature: counts in ptr[f + 1], then prefix sums, then each entry goes to ptr[f]++
    // (samples in batch order, so ascending within a feature), then the offsets are shifted back.
    const ptr = this.featPtr;
    ptr.fill(0);
    for (let b = 0; b < count; b++) {
      const s = order[start + b]!;
      for (let k = rowPtr[s]!, end = rowPtr[s + 1]!; k < end; k++) {
        const f = featureIdx[k]!;
        if (!(f >= 0 && f < nF)) {
          ptr.fill(0);
          this.batch = 0;
          throw new ShapeError(`sparse batch: sample ${s} has feature ${f}, outside [0, ${nF})`);
        }
        ptr[f + 1]!++;
      }
    }
    for (let f = 0; f < nF; f++) ptr[f + 1]! += ptr[f]!;
    const smp = this.sample, val = this.values;
    for (let b = 0; b < count; b++) {
      const s = order[start + b]!;
      for (let k = rowPtr[s]!, end = rowPtr[s + 1]!; k < end; k++) {
        const at = ptr[featureIdx[k]!]!++;
        smp[at] = b;
        val[at] = values[k]!;
      }
    }
    for (let f = nF; f > 0; f--) ptr[f] = ptr[f - 1]!;
    ptr[0] = 0;
    this.batch = count;
    return this;
  }

  /**
   * The batch as a dense feature-major array, `out[f * batch + b]` (zeros elsewhere): for tests and for
   * checks against the dense path, never for training.
   */
  toDense(out: Float32Array = new Float32Array(this.nFeatures * this.batch)): Float32Array {
    const batch = this.batch;
    checkLength(out.length, this.nFeatures * batch, 'SparseBatch.toDense output', `nFeatures * batch = ${this.nFeatures} * ${batch}`);
    out.fill(0);
    const ptr = this.featPtr;
    for (let f = 0; f < this.nFeatures; f++) {
      for (let e = ptr[f]!, end = ptr[f + 1]!; e < end; e++) out[f * batch + this.sample[e]!] = this.values[e]!;
    }
    return out;
  }
}
