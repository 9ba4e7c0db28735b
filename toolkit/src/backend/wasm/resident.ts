/**
 * CSR topologies kept resident in wasm memory, one entry per {@link CsrMatrix} object (a WeakMap), so a
 * kernel call copies only weights and activations. The transposed index (CSC) is built on first use by the
 * input gradient, in O(nnz), and kept with the entry.
 *
 * A topology change builds a new CsrMatrix (sparse/csr.ts), which gets a new entry; entries of collected
 * matrices are returned to the arena by a FinalizationRegistry. Index arrays must not be edited in place
 * (the entry also remembers the array objects and is rebuilt when they are swapped).
 *
 * @packageDocumentation
 */
import type { CsrMatrix } from '../../sparse/csr';
import type { Arena, Block } from './arena';
import { splitByWork } from './plan';

/** Byte addresses of one matrix's index arrays in wasm memory, and its row/column splits by work. */
export interface ResidentCsr {
  readonly rowPtrRef: Int32Array;
  readonly colIdxRef: Int32Array;
  /** Arena blocks owned by this entry (the CSR index, then the CSC index once built). */
  readonly blocks: Block[];
  /** rowPtr (rows + 1 int32). */
  readonly rowPtr: number;
  /** colIdx (nnz int32). */
  readonly colIdx: number;
  /**
   * Transposed index, built on first use: column pointers, row of each entry, CSR entry index k; and the
   * largest number of entries in a column.
   */
  csc: { readonly block: Block; readonly ptr: number; readonly row: number; readonly k: number; readonly maxColumn: number } | null;
  /** Row boundaries splitting the nnz into `parts` near-equal parts, per part count. */
  readonly rowSplits: Map<number, Int32Array>;
  readonly colSplits: Map<number, Int32Array>;
  /** Row boundaries, then column boundaries shifted by the row count (one job over both), per part count. */
  readonly bothSplits: Map<number, Int32Array>;
}

/** Cache of resident topologies over one arena. */
export class ResidentCache {
  private map = new WeakMap<CsrMatrix, ResidentCsr>();
  private readonly registry: FinalizationRegistry<Block[]>;
  private disposed = false;

  constructor(private readonly arena: Arena) {
    this.registry = new FinalizationRegistry((blocks) => {
      if (!this.disposed) for (const b of blocks) this.arena.release(b);
    });
  }

  /** The resident index of `w`, copied into wasm memory on first use. */
  get(w: CsrMatrix): ResidentCsr {
    const e = this.map.get(w);
    if (e !== undefined && e.rowPtrRef === w.rowPtr && e.colIdxRef === w.colIdx) return e;
    if (e !== undefined) this.drop(w, e);
    const nnz = w.nnz;
    const rowPtrBytes = align4x16(w.rows + 1);
    const block = this.arena.alloc(rowPtrBytes + nnz * 4);
    const i32 = this.arena.i32;
    i32.set(w.rowPtr, block.offset >> 2);
    i32.set(w.colIdx, (block.offset + rowPtrBytes) >> 2);
    const entry: ResidentCsr = {
      rowPtrRef: w.rowPtr,
      colIdxRef: w.colIdx,
      blocks: [block],
      rowPtr: block.offset,
      colIdx: block.offset + rowPtrBytes,
      csc: null,
      rowSplits: new Map(),
      colSplits: new Map(),
      bothSplits: new Map(),
    };
    this.registry.register(w, entry.blocks, entry);
    this.map.set(w, entry);
    return entry;
  }

  /** Builds (once) the transposed index: for each column, its entries in increasing row order. */
  csc(w: CsrMatrix, e: ResidentCsr): NonNullable<ResidentCsr['csc']> {
    if (e.csc !== null) return e.csc;
    const { rows, cols, rowPtr, colIdx } = w;
    const nnz = w.nnz;
    const ptrBytes = align4x16(cols + 1);
    const rowBytes = align4x16(nnz);
    const block = this.arena.alloc(ptrBytes + rowBytes + nnz * 4);
    const i32 = this.arena.i32;
    const ptr = i32.subarray(block.offset >> 2, (block.offset >> 2) + cols + 1);
    const row = i32.subarray((block.offset + ptrBytes) >> 2, ((block.offset + ptrBytes) >> 2) + nnz);
    const kk = i32.subarray((block.offset + ptrBytes + rowBytes) >> 2, ((block.offset + ptrBytes + rowBytes) >> 2) + nnz);
    ptr.fill(0);
    for (let k = 0; k < nnz; k++) ptr[colIdx[k]! + 1]!++;
    let maxColumn = 0;
    for (let c = 0; c < cols; c++) {
      maxColumn = Math.max(maxColumn, ptr[c + 1]!);
      ptr[c + 1]! += ptr[c]!;
    }
    const next = Int32Array.from(ptr.subarray(0, cols));
    for (let r = 0; r < rows; r++) {
      for (let k = rowPtr[r]!, end = rowPtr[r + 1]!; k < end; k++) {
        const p = next[colIdx[k]!]!++;
        row[p] = r;
        kk[p] = k;
      }
    }
    e.csc = { block, ptr: block.offset, row: block.offset + ptrBytes, k: block.offset + ptrBytes + rowBytes, maxColumn };
    e.blocks.push(block);
    return e.csc;
  }

  /** Row boundaries (length parts + 1) that split the entries of `w` into `parts` near-equal shares. */
  rowSplit(w: CsrMatrix, e: ResidentCsr, parts: number): Int32Array {
    let s = e.rowSplits.get(parts);
    if (s === undefined) {
      s = splitByWork(w.rowPtr, w.rows, parts);
      e.rowSplits.set(parts, s);
    }
    return s;
  }

  /** Column boundaries splitting the transposed entries into `parts` near-equal shares (needs {@link csc}). */
  colSplit(w: CsrMatrix, e: ResidentCsr, parts: number): Int32Array {
    let s = e.colSplits.get(parts);
    if (s === undefined) {
      const c = e.csc!;
      const ptr = this.arena.i32.subarray(c.ptr >> 2, (c.ptr >> 2) + w.cols + 1);
      s = splitByWork(ptr, w.cols, parts);
      e.colSplits.set(parts, s);
    }
    return s;
  }

  /**
   * {@link rowSplit} into `parts`, then {@link colSplit} into `parts` shifted by `w.rows`: the chunks of a job
   * over the rows and then the columns (needs {@link csc}).
   */
  rowsThenColumns(w: CsrMatrix, e: ResidentCsr, parts: number): Int32Array {
    let s = e.bothSplits.get(parts);
    if (s === undefined) {
      const r = this.rowSplit(w, e, parts), c = this.colSplit(w, e, parts);
      s = new Int32Array(2 * parts + 1);
      s.set(r);
      for (let t = 1; t <= parts; t++) s[parts + t] = c[t]! + w.rows;
      e.bothSplits.set(parts, s);
    }
    return s;
  }

  /** Forgets everything (the arena is being dropped). */
  dispose(): void {
    this.disposed = true;
    this.map = new WeakMap();
  }

  private drop(w: CsrMatrix, e: ResidentCsr): void {
    this.registry.unregister(e);
    for (const b of e.blocks) this.arena.release(b);
    this.map.delete(w);
  }
}

function align4x16(count: number): number {
  return Math.ceil((count * 4) / 64) * 64;
}
