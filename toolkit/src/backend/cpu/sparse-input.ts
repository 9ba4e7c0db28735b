/**
 * A sparse layer fed a sparse batch (the first layer on wide sparse data), as plain loops: the readable
 * reference of {@link Backend.sparseInputForward} and {@link Backend.sparseInputWeightGrad}.
 *
 * Each connection `k` of row `j` reads the entries of its input feature `col_k` in the batch
 * ({@link SparseBatch}: the samples that have the feature, ascending), so the work is the number of
 * connections plus the products with non-zero inputs, and no `nFeatures * batch` array exists.
 *
 * Numerics: the terms are those of the dense reference (backend/cpu/sparse.ts) without its zero inputs,
 * added in the same order (k ascending for the forward pass, samples ascending for the dot), each update
 * rounded once to float32 as there; adding an exact zero changes nothing, so on finite data both give the
 * same values (the sign of a zero aside).
 *
 * @packageDocumentation
 */
import { checkLength } from '../../core/assert';
import { ShapeError } from '../../core/errors';
import type { CsrMatrix } from '../../sparse/csr';
import type { SparseBatch } from '../../sparse/sparse-batch';
import type { SparseInputForwardRequest, SparseInputWeightGradRequest } from '../backend';

/** Checks that `x` fits `w` (its features are the layer's inputs). @internal */
export function checkSparseInput(w: CsrMatrix, x: SparseBatch, op: string): void {
  if (x.nFeatures !== w.cols) throw new ShapeError(`${op}: the sparse batch has ${x.nFeatures} features but the layer has ${w.cols} inputs`);
}

/** `y[j,:] = bias[j] + sum_{k in row j} w_k * x[col_k,:]` over the batch's stored entries. */
export function sparseInputForward(req: SparseInputForwardRequest): Float32Array {
  const { w, x, bias, y } = req;
  checkSparseInput(w, x, 'sparseInputForward');
  const { rows, rowPtr, colIdx, values } = w;
  const batch = x.batch;
  checkLength(y.length, rows * batch, 'sparseInputForward y', `rows * batch = ${rows} * ${batch}`);
  if (bias !== null) checkLength(bias.length, rows, 'sparseInputForward bias');
  const fp = x.featPtr, smp = x.sample, xv = x.values;
  for (let j = 0; j < rows; j++) {
    const yo = j * batch;
    const b0 = bias === null ? 0 : bias[j]!;
    for (let b = 0; b < batch; b++) y[yo + b] = b0;
    for (let k = rowPtr[j]!, end = rowPtr[j + 1]!; k < end; k++) {
      const wk = values[k]!;
      const f = colIdx[k]!;
      for (let e = fp[f]!, eEnd = fp[f + 1]!; e < eEnd; e++) y[yo + smp[e]!] += wk * xv[e]!;
    }
  }
  return y;
}

/** `dw[k] = dot(dy[row_k,:], x[col_k,:])` over the samples that have feature `col_k`. */
export function sparseInputWeightGrad(req: SparseInputWeightGradRequest): Float32Array {
  const { w, x, dy, dw } = req;
  checkSparseInput(w, x, 'sparseInputWeightGrad');
  const { rows, rowPtr, colIdx } = w;
  const batch = x.batch;
  checkLength(dy.length, rows * batch, 'sparseInputWeightGrad dy', `rows * batch = ${rows} * ${batch}`);
  checkLength(dw.length, w.nnz, 'sparseInputWeightGrad dw', 'one per connection');
  const fp = x.featPtr, smp = x.sample, xv = x.values;
  for (let j = 0; j < rows; j++) {
    const go = j * batch;
    for (let k = rowPtr[j]!, end = rowPtr[j + 1]!; k < end; k++) {
      const f = colIdx[k]!;
      let s = 0;
      for (let e = fp[f]!, eEnd = fp[f + 1]!; e < eEnd; e++) s += dy[go + smp[e]!]! * xv[e]!;
      dw[k] = s;
    }
  }
  return dw;
}
