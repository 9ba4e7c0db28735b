/**
 * The options of the wasm backend and their checks. Apart from `threads`, they choose between kernel walks
 * that give the same bits (plan.ts), for measurements and tests.
 *
 * @packageDocumentation
 */
import {
  COLUMN_BACKWARD_MIN_BYTES, COLUMN_FORWARD_MIN_INPUT_BYTES, MIN_PARALLEL_WORK, SCATTER_MAX_BATCH, type PlanSettings,
} from './plan';

/** Options of `wasmBackend`. */
export interface WasmBackendOptions {
  /**
   * Threads that run the kernels: 1 (default) runs them on the calling thread; n > 1 adds n - 1 worker
   * threads sharing the wasm memory. Results are bit-identical for every thread count.
   */
  readonly threads?: number;
  /**
   * Products with fewer multiply-adds than this run on the calling thread alone (default
   * {@link MIN_PARALLEL_WORK}): a hand-off to the workers costs microseconds. 0 sends every product to the
   * workers (used by the tests).
   */
  readonly minParallelWork?: number;
  /** How long (ms) an idle worker spins before it sleeps (default 0.5); longer costs CPU, shorter latency. */
  readonly spinMs?: number;
  /**
   * Largest batch for which the sparse input gradient scatters over the CSR rows instead of gathering over
   * the transposed index (default {@link SCATTER_MAX_BATCH}; 0 never scatters). Both give the same bits; the
   * scatter skips the permutation of the values into column order, which dominates at tiny batches.
   */
  readonly scatterMaxBatch?: number;
  /**
   * Smallest layer input (`cols * batch * 4` bytes) for which the sparse backward pass computes the weight
   * and input gradients in one walk of the transposed index, each dy row fetched once for both (default
   * {@link COLUMN_BACKWARD_MIN_BYTES}; 0: always, at batches above `scatterMaxBatch`). Same bits as the
   * two separate walks, which are faster while the activations fit in cache.
   */
  readonly columnBackwardMinBytes?: number;
  /**
   * In that one walk, the longest column (`entries * batch * 4` bytes of dy rows) run in batch blocks
   * (assembly/dot.ts, backwardColumns); longer columns take a whole-batch dot per entry. Default: chosen
   * per layer (plan.ts, `columnBlockBytes`). Same bits either way (for A/B measurements and tests).
   */
  readonly columnBlockBytes?: number;
  /**
   * Whether the backend reports that it fuses rectifiers (`Backend.fusesRectifiers`), default true. Off,
   * networks plan their sparse products, rectifiers and dropout as separate ops, with the same results,
   * more slowly (for A/B measurements and tests); a fused request still runs fused.
   */
  readonly fuseRectifiers?: boolean;
  /**
   * Whether the sparse forward of a layer with few and long rows (an output layer fed by a wide one; see
   * plan.ts, `planSparseForward`) walks the input once by columns, split between threads by batch lanes
   * (default true), when its input is at least `columnForwardMinInputBytes`. Same bits as the walk by rows,
   * which fetches each input row once per output row.
   */
  readonly columnForward?: boolean;
  /**
   * Smallest input (`cols * batch * 4` bytes) walked by columns ({@link WasmBackendOptions.columnForward});
   * default {@link COLUMN_FORWARD_MIN_INPUT_BYTES}.
   */
  readonly columnForwardMinInputBytes?: number;
  /** Called once when the backend is disposed (the registry forgets its shared instances this way). */
  readonly onDispose?: () => void;
}

/** The options with their defaults, checked. */
export interface ResolvedOptions extends Omit<PlanSettings, 'chunks'> {
  readonly spinMs: number;
  readonly fuseRectifiers: boolean;
}

/**
 * Fills in the defaults and checks the options.
 * @throws RangeError naming the option, what it got and what it expects.
 */
export function resolveOptions(options: WasmBackendOptions): ResolvedOptions {
  const threads = options.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new RangeError(`threads must be an integer in [1, 64], got ${threads}`);
  }
  const scatterMaxBatch = options.scatterMaxBatch ?? SCATTER_MAX_BATCH;
  if (!(Number.isInteger(scatterMaxBatch) && scatterMaxBatch >= 0)) {
    throw new RangeError(`scatterMaxBatch must be a non-negative integer, got ${scatterMaxBatch}`);
  }
  const columnBlockBytes = options.columnBlockBytes;
  if (columnBlockBytes !== undefined && !(Number.isInteger(columnBlockBytes) && columnBlockBytes >= 0 && columnBlockBytes < 2 ** 31)) {
    throw new RangeError(`columnBlockBytes must be a non-negative integer below 2^31, got ${columnBlockBytes}`);
  }
  const columnBackwardMinBytes = options.columnBackwardMinBytes ?? COLUMN_BACKWARD_MIN_BYTES;
  if (!(Number.isInteger(columnBackwardMinBytes) && columnBackwardMinBytes >= 0)) {
    throw new RangeError(`columnBackwardMinBytes must be a non-negative integer, got ${columnBackwardMinBytes}`);
  }
  const columnForwardMinInputBytes = options.columnForwardMinInputBytes ?? COLUMN_FORWARD_MIN_INPUT_BYTES;
  if (!(Number.isInteger(columnForwardMinInputBytes) && columnForwardMinInputBytes >= 0)) {
    throw new RangeError(`columnForwardMinInputBytes must be a non-negative integer, got ${columnForwardMinInputBytes}`);
  }
  return {
    threads,
    minParallelWork: options.minParallelWork ?? MIN_PARALLEL_WORK,
    spinMs: options.spinMs ?? 0.5,
    scatterMaxBatch,
    columnBackwardMinBytes,
    columnBlockBytes,
    fuseRectifiers: options.fuseRectifiers ?? true,
    columnForward: options.columnForward ?? true,
    columnForwardMinInputBytes,
  };
}
