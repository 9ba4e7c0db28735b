/**
 * The wasm backend's thread plan: which kernel walk an op takes and into how many chunks its job is cut, as
 * pure functions of the op's shape and the backend's settings (no memory, no threads; unit-tested in
 * test/backend-wasm/plan.test.ts). Every choice gives the same bits, only the speed differs: each output
 * element is computed by one thread with the same operation sequence whatever the walk and the cut
 * (assembly/index.ts). The figures behind the defaults are in docs/bench.md ("Wasm backend thresholds").
 *
 * @packageDocumentation
 */

/**
 * Default of {@link PlanSettings.scatterMaxBatch}: up to this batch the sparse input gradient scatters over
 * the CSR rows instead of gathering over the transposed index, since at tiny batches permuting the values
 * into column order costs more than the products themselves.
 */
export const SCATTER_MAX_BATCH = 8;

/**
 * Default of {@link PlanSettings.columnBackwardMinBytes} (1 MiB, a core's L2 here): from this input size on,
 * the activations come from memory, and one walk of the transposed index that fetches each dy row once for
 * both gradients beats two walks.
 */
export const COLUMN_BACKWARD_MIN_BYTES = 1 << 20;

/** Largest output (`rows * batch * 4` bytes, half of L1) of a forward by columns: the output rows stay in L1. */
export const COLUMN_FORWARD_MAX_BYTES = 1 << 14;
/** Fewest entries per output row, on average, of a forward by columns (rows long enough to pay for the permutation). */
export const COLUMN_FORWARD_MIN_ROW = 256;
/**
 * Default of {@link PlanSettings.columnForwardMinInputBytes} (1 MiB, a core's L2): smaller inputs stay in
 * cache, where the walk by rows needs no permuted copy of the values (one job instead of two).
 */
export const COLUMN_FORWARD_MIN_INPUT_BYTES = 1 << 20;

/** Default of {@link PlanSettings.minParallelWork}: a hand-off to the workers costs microseconds. */
export const MIN_PARALLEL_WORK = 1 << 15;

/** Multiply-adds an element of an element-wise op costs, roughly (for {@link parallelParts}). */
export const ELEMENT_COST = 8;
/** Smallest chunk worth a hand-off to a worker, in multiply-adds (about 10 microseconds of work). */
export const CHUNK_WORK = 1 << 17;

/**
 * The default of {@link PlanSettings.columnBlockBytes} for a layer whose dy is `dyBytes` bytes. Batch blocks
 * pay off where dy rows come from far away (a wide layer's dy: random rows from L3) while a column's rows fit
 * in L1 (32 KiB: 64 entries at batch 128); longer columns, and any column where dy itself fits in L1 (an
 * output layer's ten rows), are faster with whole-batch dots.
 */
export function columnBlockBytes(dyBytes: number): number {
  return dyBytes <= 16384 ? 4096 : 32768;
}

/** What the plan depends on besides the op's shape: the backend's threads and its options, resolved. */
export interface PlanSettings {
  /** Threads that run kernels, the calling thread included. */
  readonly threads: number;
  /** Most chunks the thread pool wants a job cut into. */
  readonly chunks: number;
  /** Jobs of fewer multiply-adds run on the calling thread alone. */
  readonly minParallelWork: number;
  /** Largest batch whose sparse input gradient scatters (0: never). */
  readonly scatterMaxBatch: number;
  /** Smallest input (`cols * batch * 4` bytes) whose sparse backward walks the columns once for both gradients. */
  readonly columnBackwardMinBytes: number;
  /** Longest column (bytes of dy rows) run in batch blocks in that walk; undefined: {@link columnBlockBytes}. */
  readonly columnBlockBytes: number | undefined;
  /** Whether a forward with few long rows may walk its input by columns. */
  readonly columnForward: boolean;
  /** Smallest input (`cols * batch * 4` bytes) walked by columns in the forward. */
  readonly columnForwardMinInputBytes: number;
}

/** The shape of a sparse layer's op: `rows` outputs, `cols` inputs, `nnz` connections, `batch` samples. */
export interface SparseShape {
  readonly rows: number;
  readonly cols: number;
  readonly nnz: number;
  readonly batch: number;
}

/**
 * Into how many chunks a job of `work` units is cut (multiply-adds; an element-wise op counts
 * {@link ELEMENT_COST} per element): 1, the calling thread alone, below `minParallelWork` or with one thread;
 * else chunks of at least {@link CHUNK_WORK} units, 2 at least and the pool's number at most, so a small job
 * does not pay for many hand-offs.
 */
export function parallelParts(work: number, s: PlanSettings): number {
  if (s.threads === 1 || work < s.minParallelWork) return 1;
  return Math.min(s.chunks, Math.max(2, Math.floor(work / CHUNK_WORK)));
}

/** How a sparse forward walks: by output rows, or (few long rows, a large input) by input columns. */
export type ForwardPlan =
  | { readonly walk: 'rows'; readonly parts: number }
  /** Values permuted into column order (`parts` chunks of columns), then the walk split by `laneParts` batch lanes. */
  | { readonly walk: 'columns'; readonly parts: number; readonly laneParts: number };

/** The walk of a sparse forward with `rows > 0` and `batch > 0` (the rectifier, when fused, is by rows). */
export function planSparseForward(sh: SparseShape, s: PlanSettings): ForwardPlan {
  const parts = parallelParts(sh.nnz * sh.batch, s);
  const byColumns =
    s.columnForward && sh.batch >= 8 && sh.rows * sh.batch * 4 <= COLUMN_FORWARD_MAX_BYTES &&
    sh.nnz >= COLUMN_FORWARD_MIN_ROW * sh.rows && sh.cols * sh.batch * 4 >= s.columnForwardMinInputBytes;
  if (!byColumns) return { walk: 'rows', parts };
  return { walk: 'columns', parts, laneParts: parts === 1 ? 1 : Math.min(s.threads, sh.batch >> 2) };
}

/**
 * How a sparse input gradient (rows, cols, batch > 0) is computed: a scatter over the CSR rows that one
 * thread runs in row order, or a gather over the transposed index cut into `parts` chunks of columns.
 */
export type InputGradPlan = { readonly walk: 'scatter' } | { readonly walk: 'gather'; readonly parts: number };

/** The walk of a sparse input gradient with rows, cols and batch > 0. */
export function planInputGrad(sh: SparseShape, s: PlanSettings): InputGradPlan {
  if (sh.batch <= s.scatterMaxBatch) return { walk: 'scatter' };
  return { walk: 'gather', parts: parallelParts(sh.nnz * sh.batch, s) };
}

/**
 * How a sparse layer's backward pass (weight, bias and input gradients) runs:
 * - `rows`: small batch, one walk of the rows for the three products (`tasks` 1, on the calling thread), or
 *   two tasks on two threads (weight and bias gradients; the input gradient by scatter);
 * - `columns`: a wide layer, the weight and input gradients in one walk of the transposed index (batch blocks
 *   for columns of at most `blockBytes` of dy rows), then the bias gradient by rows;
 * - `split`: the weight and bias gradients by rows and the input gradient by columns as one job;
 * - `separate`: the weight (and bias) gradient by rows, then, when wanted, the input gradient on its own
 *   ({@link planInputGrad}); also where there is nothing to walk (a dimension of 0).
 */
export type BackwardPlan =
  | { readonly walk: 'rows'; readonly parts: number; readonly tasks: 1 | 2 }
  | { readonly walk: 'columns'; readonly parts: number; readonly blockBytes: number }
  | { readonly walk: 'split'; readonly parts: number }
  | { readonly walk: 'separate'; readonly parts: number };

/** The walk of a sparse backward pass; `inputGrad`: whether the input gradient is wanted. */
export function planSparseBackward(sh: SparseShape, inputGrad: boolean, s: PlanSettings): BackwardPlan {
  const { rows, cols, batch } = sh;
  const parts = parallelParts(sh.nnz * batch, s);
  if (!inputGrad || rows === 0 || cols === 0 || batch === 0) return { walk: 'separate', parts };
  // With more than two threads the split below cuts the gradients by rows first, then scatters.
  if (batch <= s.scatterMaxBatch && s.threads <= 2) return { walk: 'rows', parts, tasks: parts === 1 ? 1 : 2 };
  if (cols * batch * 4 >= s.columnBackwardMinBytes) {
    return { walk: 'columns', parts, blockBytes: s.columnBlockBytes ?? columnBlockBytes(rows * batch * 4) };
  }
  if (batch > s.scatterMaxBatch) return { walk: 'split', parts };
  return { walk: 'separate', parts };
}

/**
 * Boundaries (length `parts + 1`) of `parts` near-equal ranges of [0, n), each inner cut rounded to a
 * multiple of `align`: `s[0] = 0 <= s[1] <= ... <= s[parts] = n`.
 */
export function evenSplit(n: number, parts: number, align: number): Int32Array {
  const s = new Int32Array(parts + 1);
  for (let t = 0; t < parts; t++) s[t] = Math.min(n, Math.round((n * t) / parts / align) * align);
  s[parts] = n;
  return s;
}

/**
 * Boundaries `s[0] = 0 <= s[1] <= ... <= s[parts] = n` of a compressed index `ptr` (rows or columns), so that
 * each part holds about nnz / parts entries plus a small charge per row (rows cost something even when empty).
 */
export function splitByWork(ptr: Int32Array, n: number, parts: number): Int32Array {
  const s = new Int32Array(parts + 1);
  s[parts] = n;
  const nnz = ptr[n]!;
  const rowCost = 4; // an empty row still costs about as much as a few entries (init + store)
  const total = nnz + rowCost * n;
  let r = 0;
  for (let t = 1; t < parts; t++) {
    const target = (total * t) / parts;
    while (r < n && ptr[r + 1]! + rowCost * (r + 1) <= target) r++;
    s[t] = r;
  }
  return s;
}
