/**
 * The three products of a sparse layer, as plain loops over typed arrays (the readable reference).
 * Feature-major layout: every inner loop is a contiguous run of `batch` values.
 *
 * @packageDocumentation
 */
import type { CsrMatrix } from '../../sparse/csr';

/** `y[j,:] = bias[j] + sum_{k in row j} w_k * x[col_k,:]`. */
export function spmmForward(w: CsrMatrix, x: Float32Array, batch: number, bias: Float32Array | null, y: Float32Array): Float32Array {
  const { rows, rowPtr, colIdx, values } = w;
  for (let j = 0; j < rows; j++) {
    const yo = j * batch;
    const b0 = bias === null ? 0 : bias[j]!;
    for (let b = 0; b < batch; b++) y[yo + b] = b0;
    for (let k = rowPtr[j]!, end = rowPtr[j + 1]!; k < end; k++) {
      const wk = values[k]!;
      const xo = colIdx[k]! * batch;
      for (let b = 0; b < batch; b++) y[yo + b] += wk * x[xo + b]!;
    }
  }
  return y;
}

/** `dx[col_k,:] = sum over entries k of w_k * dy[row_k,:]` (overwrites dx). */
export function spmmInputGrad(w: CsrMatrix, dy: Float32Array, batch: number, dx: Float32Array): Float32Array {
  const { rows, rowPtr, colIdx, values } = w;
  dx.fill(0, 0, w.cols * batch);
  for (let j = 0; j < rows; j++) {
    const go = j * batch;
    for (let k = rowPtr[j]!, end = rowPtr[j + 1]!; k < end; k++) {
      const wk = values[k]!;
      const xo = colIdx[k]! * batch;
      for (let b = 0; b < batch; b++) dx[xo + b] += wk * dy[go + b]!;
    }
  }
  return dx;
}

/** `dw[k] = dot(dy[row_k,:], x[col_k,:])`, only at the stored connections. */
export function spmmWeightGrad(w: CsrMatrix, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array): Float32Array {
  const { rows, rowPtr, colIdx } = w;
  for (let j = 0; j < rows; j++) {
    const go = j * batch;
    for (let k = rowPtr[j]!, end = rowPtr[j + 1]!; k < end; k++) {
      const xo = colIdx[k]! * batch;
      let s = 0;
      for (let b = 0; b < batch; b++) s += dy[go + b]! * x[xo + b]!;
      dw[k] = s;
    }
  }
  return dw;
}
