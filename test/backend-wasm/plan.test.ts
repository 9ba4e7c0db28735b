/**
 * The wasm backend's thread plan (backend/wasm/plan.ts) as pure functions: which walk each sparse op takes
 * at the thresholds, into how many chunks a job is cut, and the split boundaries. No wasm is needed.
 */
import { describe, expect, it } from 'vitest';
import {
  CHUNK_WORK, COLUMN_BACKWARD_MIN_BYTES, COLUMN_FORWARD_MAX_BYTES, COLUMN_FORWARD_MIN_INPUT_BYTES, COLUMN_FORWARD_MIN_ROW, columnBlockBytes,
  evenSplit, MIN_PARALLEL_WORK, parallelParts, planInputGrad, planSparseBackward, planSparseForward, SCATTER_MAX_BATCH, splitByWork,
  type PlanSettings, type SparseShape,
} from '../../toolkit/src/backend/wasm/plan';
import { resolveOptions } from '../../toolkit/src/backend/wasm/options';

/** The defaults of a backend with `threads` threads and a pool of 16 chunks. */
function settings(threads: number, over: Partial<PlanSettings> = {}): PlanSettings {
  return { ...resolveOptions({ threads }), chunks: threads === 1 ? 1 : 16, ...over };
}

const ONE = settings(1);
const TWO = settings(2);

describe('parallelParts', () => {
  it('keeps small jobs and every job of one thread on the calling thread', () => {
    expect(parallelParts(10 * CHUNK_WORK, ONE)).toBe(1);
    expect(parallelParts(MIN_PARALLEL_WORK - 1, TWO)).toBe(1);
  });

  it('cuts larger jobs into chunks of at least CHUNK_WORK, 2 at least, the pool size at most', () => {
    expect(parallelParts(MIN_PARALLEL_WORK, TWO)).toBe(2);
    expect(parallelParts(5 * CHUNK_WORK + 1, TWO)).toBe(5);
    expect(parallelParts(1000 * CHUNK_WORK, TWO)).toBe(16);
    expect(parallelParts(1000 * CHUNK_WORK, settings(4, { chunks: 8 }))).toBe(8);
    expect(parallelParts(0, settings(2, { minParallelWork: 0 }))).toBe(2);
  });
});

describe('planSparseForward', () => {
  // An output layer fed by a wide one: 10 rows of 3000 entries, 16000 inputs, batch 128.
  const out: SparseShape = { rows: 10, cols: 16000, nnz: 30000, batch: 128 };

  it('walks few long rows over a large input by columns, split by batch lanes', () => {
    expect(out.rows * out.batch * 4).toBeLessThanOrEqual(COLUMN_FORWARD_MAX_BYTES);
    expect(planSparseForward(out, TWO)).toEqual({ walk: 'columns', parts: 16, laneParts: 2 });
    expect(planSparseForward(out, settings(4))).toEqual({ walk: 'columns', parts: 16, laneParts: 4 });
    expect(planSparseForward(out, ONE)).toEqual({ walk: 'columns', parts: 1, laneParts: 1 });
  });

  it('walks by rows otherwise: small batch, many rows, short rows, small input, or turned off', () => {
    const rows = (sh: SparseShape, s: PlanSettings = TWO) => planSparseForward(sh, s).walk;
    expect(rows({ ...out, batch: 7 })).toBe('rows');
    expect(rows({ ...out, rows: 40, nnz: 40 * 3000 })).toBe('rows'); // output over half of L1
    expect(rows({ ...out, nnz: COLUMN_FORWARD_MIN_ROW * 10 - 1 })).toBe('rows');
    expect(rows({ ...out, cols: Math.floor(COLUMN_FORWARD_MIN_INPUT_BYTES / (4 * 128)) - 1 })).toBe('rows');
    expect(rows(out, settings(2, { columnForward: false }))).toBe('rows');
    expect(rows(out, settings(2, { columnForwardMinInputBytes: 1 << 30 }))).toBe('rows');
    // A hidden layer: many rows.
    expect(planSparseForward({ rows: 1000, cols: 784, nnz: 20000, batch: 128 }, TWO)).toEqual({ walk: 'rows', parts: 16 });
  });
});

describe('planInputGrad', () => {
  const sh: SparseShape = { rows: 100, cols: 80, nnz: 800, batch: 2 };
  it('scatters up to SCATTER_MAX_BATCH (one thread) and gathers above', () => {
    expect(planInputGrad({ ...sh, batch: SCATTER_MAX_BATCH }, TWO)).toEqual({ walk: 'scatter' });
    expect(planInputGrad({ ...sh, batch: SCATTER_MAX_BATCH + 1 }, TWO)).toEqual({ walk: 'gather', parts: 1 });
    expect(planInputGrad({ ...sh, batch: 1 }, settings(2, { scatterMaxBatch: 0 }))).toEqual({ walk: 'gather', parts: 1 });
    expect(planInputGrad({ ...sh, nnz: 1 << 20, batch: 128 }, TWO)).toEqual({ walk: 'gather', parts: 16 });
  });
});

describe('planSparseBackward', () => {
  const hidden: SparseShape = { rows: 1000, cols: 1000, nnz: 20000, batch: 128 };

  it('walks the rows once for the three products at small batches: one task, or two on two threads', () => {
    const small = { ...hidden, batch: 2 };
    expect(planSparseBackward(small, true, ONE)).toEqual({ walk: 'rows', parts: 1, tasks: 1 });
    expect(planSparseBackward(small, true, TWO)).toEqual({ walk: 'rows', parts: 2, tasks: 2 });
    expect(planSparseBackward({ ...small, nnz: 10 }, true, TWO)).toEqual({ walk: 'rows', parts: 1, tasks: 1 });
    // More threads: the gradients by rows first, then the scatter.
    expect(planSparseBackward(small, true, settings(4)).walk).toBe('separate');
  });

  it('walks the columns once for both gradients from COLUMN_BACKWARD_MIN_BYTES of input, with per-layer batch blocks', () => {
    const wide: SparseShape = { rows: 16000, cols: 16000, nnz: 320000, batch: 128 };
    expect(wide.cols * wide.batch * 4).toBeGreaterThanOrEqual(COLUMN_BACKWARD_MIN_BYTES);
    expect(planSparseBackward(wide, true, TWO)).toEqual({ walk: 'columns', parts: 16, blockBytes: 32768 });
    expect(planSparseBackward({ ...wide, rows: 10 }, true, TWO)).toEqual({ walk: 'columns', parts: 16, blockBytes: 4096 });
    expect(planSparseBackward(wide, true, settings(2, { columnBlockBytes: 0 }))).toEqual({ walk: 'columns', parts: 16, blockBytes: 0 });
    // At small batches the rows walk comes first, even when the input is wide.
    expect(planSparseBackward({ ...wide, batch: 4 }, true, TWO).walk).toBe('rows');
  });

  it('runs the two gradients as one job above the scatter batch, the ops one after the other otherwise', () => {
    expect(planSparseBackward(hidden, true, TWO)).toEqual({ walk: 'split', parts: 16 });
    expect(planSparseBackward(hidden, true, settings(2, { columnBackwardMinBytes: 0 })).walk).toBe('columns');
    // No input gradient (the first layer), or nothing to walk.
    expect(planSparseBackward(hidden, false, TWO)).toEqual({ walk: 'separate', parts: 16 });
    expect(planSparseBackward({ ...hidden, batch: 0 }, true, TWO)).toEqual({ walk: 'separate', parts: 1 });
    expect(planSparseBackward({ ...hidden, cols: 0 }, true, TWO).walk).toBe('separate');
    expect(planSparseBackward({ ...hidden, rows: 0 }, true, TWO).walk).toBe('separate');
  });

  it('columnBlockBytes: small blocks where dy fits in L1, large ones elsewhere', () => {
    expect(columnBlockBytes(16384)).toBe(4096);
    expect(columnBlockBytes(16385)).toBe(32768);
  });
});

describe('splits', () => {
  it('evenSplit: from 0 to n, non-decreasing, inner cuts on the alignment', () => {
    for (const [n, parts, align] of [[0, 3, 1], [1, 4, 16], [10, 3, 1], [1000, 16, 16], [130, 2, 4], [7, 7, 1]] as const) {
      const s = evenSplit(n, parts, align);
      expect(s.length).toBe(parts + 1);
      expect(s[0]).toBe(0);
      expect(s[parts]).toBe(n);
      for (let t = 0; t < parts; t++) {
        expect(s[t + 1]! >= s[t]!).toBe(true);
        if (t > 0 && s[t]! < n) expect(s[t]! % align).toBe(0);
      }
    }
    expect(Array.from(evenSplit(10, 2, 1))).toEqual([0, 5, 10]);
    expect(Array.from(evenSplit(128, 2, 4))).toEqual([0, 64, 128]);
  });

  it('splitByWork: parts of near-equal entries plus a charge per row', () => {
    // Row lengths 0, 10, 0, 10, 0, 10, 0, 10: 40 entries, 8 rows.
    const ptr = Int32Array.of(0, 0, 10, 10, 20, 20, 30, 30, 40);
    expect(Array.from(splitByWork(ptr, 8, 2))).toEqual([0, 4, 8]);
    expect(Array.from(splitByWork(ptr, 8, 1))).toEqual([0, 8]);
    const s = splitByWork(ptr, 8, 4);
    expect(s[0]).toBe(0);
    expect(s[4]).toBe(8);
    for (let t = 0; t < 4; t++) expect(s[t + 1]! >= s[t]!).toBe(true);
    // One long row cannot be cut: everything before it, then it.
    expect(Array.from(splitByWork(Int32Array.of(0, 1, 101, 102), 3, 2))).toEqual([0, 1, 3]);
  });
});

describe('resolveOptions', () => {
  it('fills in the defaults and refuses bad values', () => {
    const o = resolveOptions({});
    expect(o).toMatchObject({ threads: 1, minParallelWork: MIN_PARALLEL_WORK, scatterMaxBatch: SCATTER_MAX_BATCH, fuseRectifiers: true, columnForward: true });
    expect(resolveOptions({ fuseRectifiers: false }).fuseRectifiers).toBe(false);
    expect(() => resolveOptions({ threads: 65 })).toThrow(/threads must be an integer in \[1, 64\], got 65/);
    expect(() => resolveOptions({ scatterMaxBatch: -1 })).toThrow(/scatterMaxBatch must be a non-negative integer, got -1/);
  });
});
