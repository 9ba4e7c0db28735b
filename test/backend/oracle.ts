/**
 * Dense Float64 oracles for the backend ops, written from the definitions with plain loops over dense
 * row-major matrices. Activations are feature-major, `x[f * batch + b]`, which is exactly a row-major
 * `n x batch` matrix, so the oracle reads them as matrices without a transpose.
 */
import { expect } from 'vitest';
import type { Rng } from '../../toolkit/src/core/rng';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';

/** Max-norm relative error `max|a - e| / max|e|` (absolute when the oracle is all zeros). */
export function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(a) !== Number.isNaN(e)) return Infinity;
    diff = Math.max(diff, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Asserts `relErr(actual, expected) <= rel`, naming `what` on failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  const err = relErr(actual, expected);
  expect(err, `${what}: relative error ${err.toExponential(2)} exceeds ${rel}`).toBeLessThanOrEqual(rel);
}

/** `n` values uniform in [-scale, scale), as float32. */
export function randomArray(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rng.float() - 1) * scale;
  return a;
}

/** An array of `n` NaNs: outputs are pre-filled with it to prove that ops overwrite instead of accumulating. */
export function poisoned(n: number): Float32Array {
  return new Float32Array(n).fill(NaN);
}

/** Widens to Float64. */
export function f64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a as ArrayLike<number>);
}

/** A sparse test matrix and its dense row-major Float64 twin, built independently of the library's helpers. */
export interface SparseCase {
  readonly csr: CsrMatrix;
  readonly dense: Float64Array;
}

/**
 * A `rows x cols` matrix where each position is stored with probability `density` (1 stores every one),
 * rows listed in `emptyRows` having no entry, and random non-zero float32 values.
 */
export function randomSparse(rows: number, cols: number, density: number, rng: Rng, emptyRows: readonly number[] = []): SparseCase {
  const rowPtr = new Int32Array(rows + 1);
  const colIdx: number[] = [];
  const values: number[] = [];
  const dense = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    if (!emptyRows.includes(r)) {
      for (let c = 0; c < cols; c++) {
        if (density >= 1 || rng.float() < density) {
          const v = Math.fround((2 * rng.float() - 1) || 0.5);
          colIdx.push(c);
          values.push(v);
          dense[r * cols + c] = v;
        }
      }
    }
    rowPtr[r + 1] = colIdx.length;
  }
  return { csr: new CsrMatrix(rows, cols, rowPtr, Int32Array.from(colIdx), Float32Array.from(values)), dense };
}

/** `Y = W X (+ bias)`: W is `rows x cols`, X is `cols x batch`, both row-major. */
export function matmul(w: ArrayLike<number>, rows: number, cols: number, x: ArrayLike<number>, batch: number, bias: ArrayLike<number> | null): Float64Array {
  const y = new Float64Array(rows * batch);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < batch; b++) {
      let s = bias ? bias[r]! : 0;
      for (let c = 0; c < cols; c++) s += w[r * cols + c]! * x[c * batch + b]!;
      y[r * batch + b] = s;
    }
  }
  return y;
}

/** `dX = W^T dY`: `cols x batch`. */
export function matmulTransposed(w: ArrayLike<number>, rows: number, cols: number, dy: ArrayLike<number>, batch: number): Float64Array {
  const dx = new Float64Array(cols * batch);
  for (let c = 0; c < cols; c++) {
    for (let b = 0; b < batch; b++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += w[r * cols + c]! * dy[r * batch + b]!;
      dx[c * batch + b] = s;
    }
  }
  return dx;
}

/** `dW = dY X^T`: the dense `rows x cols` weight gradient. */
export function outerGrad(rows: number, cols: number, dy: ArrayLike<number>, x: ArrayLike<number>, batch: number): Float64Array {
  const dw = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let b = 0; b < batch; b++) s += dy[r * batch + b]! * x[c * batch + b]!;
      dw[r * cols + c] = s;
    }
  }
  return dw;
}

/** The dense gradient read at the stored positions of `w`, in CSR order (what a truly sparse layer computes). */
export function atStored(w: CsrMatrix, dense: Float64Array): Float64Array {
  const out = new Float64Array(w.nnz);
  for (let r = 0; r < w.rows; r++) {
    for (let k = w.rowPtr[r]!; k < w.rowPtr[r + 1]!; k++) out[k] = dense[r * w.cols + w.colIdx[k]!]!;
  }
  return out;
}

/** Row sums of a `rows x batch` matrix. */
export function rowSums(dy: ArrayLike<number>, rows: number, batch: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) for (let b = 0; b < batch; b++) out[r]! += dy[r * batch + b]!;
  return out;
}

/** Softmax of each column of an `n x batch` matrix, in Float64. */
export function softmaxColumns(x: ArrayLike<number>, n: number, batch: number): Float64Array {
  const y = new Float64Array(n * batch);
  for (let b = 0; b < batch; b++) {
    let m = -Infinity;
    for (let f = 0; f < n; f++) m = Math.max(m, x[f * batch + b]!);
    let s = 0;
    for (let f = 0; f < n; f++) s += Math.exp(x[f * batch + b]! - m);
    for (let f = 0; f < n; f++) y[f * batch + b] = Math.exp(x[f * batch + b]! - m) / s;
  }
  return y;
}

/** Index of the largest entry of column `b` (first one on ties). */
export function argmaxColumn(x: ArrayLike<number>, n: number, batch: number, b: number): number {
  let best = 0;
  for (let f = 1; f < n; f++) if (x[f * batch + b]! > x[best * batch + b]!) best = f;
  return best;
}
