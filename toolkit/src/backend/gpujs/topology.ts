/**
 * The index arrays of a sparse layer, on the device once per topology.
 *
 * A {@link CsrMatrix}'s topology never changes in place (evolution builds a new matrix), so the arrays the
 * kernels need are derived and uploaded the first time a matrix is seen, cached per matrix object in a
 * WeakMap, and released when the matrix is garbage-collected. An evolution event therefore costs one upload
 * of the new layer's index arrays; training steps between events upload only values and activations.
 *
 * - row-major part (forward, weight gradient): `rowPtr`, `colIdx`, `rowOf[k]` (the row of entry k) and the
 *   longest row, which bounds the forward loop.
 * - column-major part (input gradient, built on first use): the transpose as `colPtr`, `rowIdxT` and
 *   `permT[t]` (the CSR position of the t-th entry in column order), entries of a column in increasing row
 *   order (the CPU reference's summation order), and the longest column.
 *
 * @packageDocumentation
 */
import type { CsrMatrix } from '../../sparse/csr';
import type { DeviceArray, GpujsContext } from './context';

/** The row-major index arrays of one matrix on the device. */
export interface RowTopology {
  readonly rowPtr: DeviceArray;
  readonly colIdx: DeviceArray;
  readonly rowOf: DeviceArray;
  /** Longest row (connections of the busiest output neuron). */
  readonly maxRow: number;
}

/** The column-major (transposed) index arrays of one matrix on the device. */
export interface ColumnTopology {
  readonly colPtr: DeviceArray;
  readonly rowIdx: DeviceArray;
  readonly perm: DeviceArray;
  /** Longest column (fan-out of the busiest input neuron). */
  readonly maxCol: number;
}

interface Entry {
  rows: RowTopology | null;
  cols: ColumnTopology | null;
  /** Every device array of the entry, for release. */
  readonly owned: DeviceArray[];
}

/** Per-context cache of resident topologies. */
export class TopologyCache {
  private readonly entries = new WeakMap<CsrMatrix, Entry>();
  private readonly registry: FinalizationRegistry<DeviceArray[]>;
  /** Matrices whose topology was uploaded (counts evolution events in tests). */
  uploads = 0;

  constructor(private readonly ctx: GpujsContext) {
    this.registry = new FinalizationRegistry((owned) => {
      try {
        ctx.free(owned);
      } catch {
        // the context may already be destroyed
      }
    });
  }

  private entry(w: CsrMatrix): Entry {
    let e = this.entries.get(w);
    if (!e) {
      e = { rows: null, cols: null, owned: [] };
      this.entries.set(w, e);
      this.registry.register(w, e.owned);
      this.uploads++;
    }
    return e;
  }

  /** The row-major index arrays of `w` (uploaded on first use). `w` must have at least one entry. */
  rows(w: CsrMatrix): RowTopology {
    const e = this.entry(w);
    if (!e.rows) {
      const { rows, rowPtr } = w;
      const rowOf = new Float32Array(w.nnz);
      let maxRow = 0;
      for (let j = 0; j < rows; j++) {
        const a = rowPtr[j]!, b = rowPtr[j + 1]!;
        if (b - a > maxRow) maxRow = b - a;
        rowOf.fill(j, a, b);
      }
      const t: RowTopology = { rowPtr: this.ctx.resident(rowPtr), colIdx: this.ctx.resident(w.colIdx), rowOf: this.ctx.resident(rowOf), maxRow };
      e.owned.push(t.rowPtr, t.colIdx, t.rowOf);
      e.rows = t;
    }
    return e.rows;
  }

  /** The column-major index arrays of `w` (built and uploaded on first use). `w` must have at least one entry. */
  cols(w: CsrMatrix): ColumnTopology {
    const e = this.entry(w);
    if (!e.cols) {
      const { rows, cols, rowPtr, colIdx } = w;
      const colPtr = new Int32Array(cols + 1);
      for (let k = 0; k < w.nnz; k++) colPtr[colIdx[k]! + 1]!++;
      let maxCol = 0;
      for (let i = 0; i < cols; i++) {
        if (colPtr[i + 1]! > maxCol) maxCol = colPtr[i + 1]!;
        colPtr[i + 1]! += colPtr[i]!;
      }
      const next = colPtr.slice(0, cols);
      const rowIdx = new Int32Array(w.nnz);
      const perm = new Int32Array(w.nnz);
      for (let j = 0; j < rows; j++) {
        for (let k = rowPtr[j]!; k < rowPtr[j + 1]!; k++) {
          const t = next[colIdx[k]!]!++;
          rowIdx[t] = j;
          perm[t] = k;
        }
      }
      const c: ColumnTopology = { colPtr: this.ctx.resident(colPtr), rowIdx: this.ctx.resident(rowIdx), perm: this.ctx.resident(perm), maxCol };
      e.owned.push(c.colPtr, c.rowIdx, c.perm);
      e.cols = c;
    }
    return e.cols;
  }
}
