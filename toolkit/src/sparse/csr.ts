/**
 * The compressed sparse row (CSR) matrix that stores one sparse layer.
 *
 * Orientation: a layer `nIn -> nOut` is stored with one row per OUTPUT neuron; row `j` lists the inputs
 * `i` wired to `j` (sorted ascending, no duplicates) and their weights. With activations laid out
 * feature-major (see {@link "backend/backend".Backend}), all three products of a sparse layer then walk
 * contiguous runs of the batch without a transpose.
 *
 * @packageDocumentation
 */
import { assert } from '../core/assert';
import { InvalidArgumentError, ShapeError } from '../core/errors';

/**
 * A sparse matrix in CSR form: `rowPtr` (length rows + 1), `colIdx` and `values` (length nnz).
 * The arrays are owned by the matrix; topology changes build a new matrix (see evolution/).
 */
export class CsrMatrix {
  /**
   * Wraps existing arrays. Call {@link CsrMatrix.validate} (or use {@link CsrMatrix.fromArrays}) when the
   * arrays come from outside the toolkit.
   * @param rows - number of rows (output neurons).
   * @param cols - number of columns (input neurons).
   */
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly rowPtr: Int32Array,
    readonly colIdx: Int32Array,
    readonly values: Float32Array,
  ) {}

  /** Number of stored entries (connections). */
  get nnz(): number {
    return this.colIdx.length;
  }

  /** Fraction of the `rows * cols` positions that are stored. */
  get density(): number {
    return this.rows * this.cols === 0 ? 0 : this.nnz / (this.rows * this.cols);
  }

  /**
   * Builds a matrix from user arrays and checks every invariant.
   * @throws {@link ShapeError} or {@link InvalidArgumentError} naming the broken invariant.
   */
  static fromArrays(
    rows: number,
    cols: number,
    rowPtr: ArrayLike<number>,
    colIdx: ArrayLike<number>,
    values?: ArrayLike<number>,
  ): CsrMatrix {
    const m = new CsrMatrix(
      rows,
      cols,
      Int32Array.from(rowPtr),
      Int32Array.from(colIdx),
      values === undefined ? new Float32Array(colIdx.length) : Float32Array.from(values),
    );
    m.validate();
    return m;
  }

  /**
   * Builds a matrix from (row, col, value) triplets in any order.
   * @throws {@link InvalidArgumentError} on out-of-range or duplicate positions.
   */
  static fromTriplets(
    rows: number,
    cols: number,
    rowIdx: ArrayLike<number>,
    colIdx: ArrayLike<number>,
    values: ArrayLike<number>,
  ): CsrMatrix {
    const n = rowIdx.length;
    if (colIdx.length !== n || values.length !== n) {
      throw new ShapeError(`triplet arrays have lengths ${n}, ${colIdx.length}, ${values.length}; expected equal`);
    }
    const order = Array.from({ length: n }, (_, k) => k).sort(
      (a, b) => rowIdx[a]! - rowIdx[b]! || colIdx[a]! - colIdx[b]!,
    );
    const rowPtr = new Int32Array(rows + 1);
    for (let k = 0; k < n; k++) {
      const r = rowIdx[k]!;
      if (!(Number.isInteger(r) && r >= 0 && r < rows)) {
        throw new InvalidArgumentError(`row index ${r} at triplet ${k} is outside [0, ${rows})`);
      }
      rowPtr[r + 1]!++;
    }
    for (let r = 0; r < rows; r++) rowPtr[r + 1]! += rowPtr[r]!;
    const ci = new Int32Array(n);
    const v = new Float32Array(n);
    order.forEach((k, at) => {
      ci[at] = colIdx[k]!;
      v[at] = values[k]!;
    });
    const m = new CsrMatrix(rows, cols, rowPtr, ci, v);
    m.validate();
    return m;
  }

  /** A fully connected pattern (every position stored) with zero values. */
  static full(rows: number, cols: number): CsrMatrix {
    const rowPtr = new Int32Array(rows + 1);
    const colIdx = new Int32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      rowPtr[r + 1] = (r + 1) * cols;
      for (let c = 0; c < cols; c++) colIdx[r * cols + c] = c;
    }
    return new CsrMatrix(rows, cols, rowPtr, colIdx, new Float32Array(rows * cols));
  }

  /**
   * Checks every CSR invariant: sizes, `rowPtr` monotone from 0 to nnz, column indices in range,
   * strictly increasing within each row (sorted and unique), values finite.
   * @throws {@link ShapeError} or {@link InvalidArgumentError} naming the first broken invariant.
   */
  validate(): void {
    const { rows, cols, rowPtr, colIdx, values } = this;
    if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0)) {
      throw new InvalidArgumentError(`CSR shape must be non-negative integers, got ${rows} x ${cols}`);
    }
    if (rowPtr.length !== rows + 1) throw new ShapeError(`rowPtr has length ${rowPtr.length}, expected rows + 1 = ${rows + 1}`);
    if (values.length !== colIdx.length) {
      throw new ShapeError(`values has length ${values.length}, expected nnz = colIdx.length = ${colIdx.length}`);
    }
    if (rowPtr[0] !== 0) throw new InvalidArgumentError(`rowPtr[0] must be 0, got ${rowPtr[0]}`);
    if (rowPtr[rows] !== colIdx.length) {
      throw new ShapeError(`rowPtr[rows] = ${rowPtr[rows]} but colIdx has ${colIdx.length} entries`);
    }
    for (let r = 0; r < rows; r++) {
      const a = rowPtr[r]!, b = rowPtr[r + 1]!;
      if (b < a) throw new InvalidArgumentError(`rowPtr decreases at row ${r}: ${a} > ${b}`);
      let prev = -1;
      for (let k = a; k < b; k++) {
        const c = colIdx[k]!;
        if (c < 0 || c >= cols) throw new InvalidArgumentError(`column index ${c} in row ${r} is outside [0, ${cols})`);
        if (c <= prev) {
          throw new InvalidArgumentError(
            `row ${r} has column ${c} after ${prev}: column indices must be sorted and unique within a row`,
          );
        }
        prev = c;
      }
    }
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k]!)) throw new InvalidArgumentError(`value ${k} is ${values[k]}; values must be finite`);
    }
  }

  /** Number of entries in row `r`. */
  rowLength(r: number): number {
    return this.rowPtr[r + 1]! - this.rowPtr[r]!;
  }

  /** The longest row (used to bound kernel loops). */
  maxRowLength(): number {
    let m = 0;
    for (let r = 0; r < this.rows; r++) m = Math.max(m, this.rowPtr[r + 1]! - this.rowPtr[r]!);
    return m;
  }

  /** Index `k` of entry (r, c) in `colIdx`/`values`, or -1 when the position is empty (binary search). */
  find(r: number, c: number): number {
    let lo = this.rowPtr[r]!, hi = this.rowPtr[r + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.colIdx[mid]!;
      if (v === c) return mid;
      if (v < c) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The row of every entry, as an Int32Array of length nnz (row-major order, like `colIdx`). */
  rowIndices(): Int32Array {
    const out = new Int32Array(this.nnz);
    for (let r = 0; r < this.rows; r++) out.fill(r, this.rowPtr[r]!, this.rowPtr[r + 1]!);
    return out;
  }

  /** A deep copy. */
  clone(): CsrMatrix {
    return new CsrMatrix(this.rows, this.cols, this.rowPtr.slice(), this.colIdx.slice(), this.values.slice());
  }

  /**
   * The dense row-major `rows x cols` Float64 equivalent. For tests and small inspections only: the
   * training path never densifies.
   */
  toDense(): Float64Array {
    assert(this.rows * this.cols <= 1 << 26, () => `toDense refused for a ${this.rows} x ${this.cols} matrix`);
    const d = new Float64Array(this.rows * this.cols);
    for (let r = 0; r < this.rows; r++) {
      for (let k = this.rowPtr[r]!; k < this.rowPtr[r + 1]!; k++) d[r * this.cols + this.colIdx[k]!] = this.values[k]!;
    }
    return d;
  }
}
