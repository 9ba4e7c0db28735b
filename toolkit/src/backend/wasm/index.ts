/**
 * The WebAssembly SIMD backend (mode `"wasm-simd"`): AssemblyScript kernels compiled with 128-bit SIMD
 * (assembly/kernels.ts) for the sparse and dense layer products, the bias gradient, ReLU / leaky ReLU /
 * All-ReLU forward and backward (branchless), counter-based dropout and its mask, and the SGD step. The
 * rest (tanh, sigmoid, softmax, SReLU, the losses, Adam) is the CPU reference: they are absent from the
 * SET networks' hot path, or (the losses) touch only the 10 output rows. So are, for now, the first layer's
 * products with a sparse batch (wide sparse data: `sparseInputForward`, `sparseInputWeightGrad`), plain
 * JavaScript loops over this backend's arrays in place, on the calling thread.
 *
 * Data movement: CSR index arrays are copied into wasm memory once per CsrMatrix object and stay there
 * (resident.ts); the transposed index used by the input gradient is built once per topology. Arrays that
 * live in the backend's memory ({@link WasmBackend.allocFloat32}, `allocUint8`) are read and written in
 * place; any other array is copied in and out on each call. Layers, optimizers and the fit loop allocate
 * their buffers, parameters and state with these allocators (Backend.allocFloat32), so a training step
 * copies nothing but the transposed weight values.
 *
 * Numerics: the products use the reference's term order with single-precision multiply and add, where the
 * reference rounds a double-precision update once, so they agree with it to rounding (max-norm relative
 * error below 3e-7 on the eps-20 layers), not bit for bit; exactly when all arithmetic is exact. The input
 * gradient needs no scatter: it walks the transposed index, each column's entries in increasing row order,
 * exactly the reference's order. Forward and input gradient are batch-invariant (a sample's output bits do
 * not depend on the batch it is in). The bias gradient sums in float32 lanes (close, not identical). The
 * element-wise ops and the SGD step do the reference's arithmetic operation for operation (float32
 * multiplies by float32-rounded slopes and scales; SGD in float64 like JavaScript), so they are
 * bit-identical to it, and dropout draws the reference's mask (test/backend-wasm/elementwise.test.ts).
 *
 * Threads (`threads: 2`): worker threads share the wasm memory and claim chunks of each job (threads.ts):
 * rows of a product, element ranges of an element-wise op. Every output element is computed by one
 * thread with the same code, whatever the cut (each weight gradient is one whole dot product), so results
 * are bit-identical for any thread count (test/backend-wasm/threads-training.test.ts). Measured on the
 * project's 2-core machine (`npm run bench`, Fashion-MNIST SET network): with both cores free, 2 threads
 * train an epoch 1.5 to 1.8x faster (1.50 against 2.67 s at batch 128); while other processes hold a core,
 * they gain nothing or lose (each op is a hand-off and a barrier, and a preempted thread stalls the other).
 * This constructor defaults to one thread; the backend registry (`getBackend('wasm')`, `auto`, runs and the
 * command line) defaults to every core, see `defaultThreads` in backend/registry.ts. At batches up to
 * {@link WasmBackendOptions.scatterMaxBatch} the input gradient is a scatter that one thread runs: with two
 * threads (and enough work) the sparse backward pass is two tasks, the weight and bias gradients on one
 * thread and the input gradient on the other; with more, the gradients are split by rows first. For wide
 * layers (input of at least {@link WasmBackendOptions.columnBackwardMinBytes}) the weight and input gradients
 * are one walk of the transposed index, each dy row fetched once for both (same bits; measured with
 * 784-W-W-W-10 at eps 5, width 16k: 15-22% less time per connection on 1 thread, about 10% on 2).
 *
 * @example
 * ```ts
 * import { isWasmAvailable, wasmBackend } from './backend/wasm';
 * const be = isWasmAvailable() ? wasmBackend() : cpuBackend();
 * be.spmmForward(w, x, batch, bias, y);
 * ```
 *
 * @packageDocumentation
 */
import type { CsrMatrix } from '../../sparse/csr';
import type { Backend, FusedRectifier, SgdTask } from '../backend';
import { ShapeError } from '../../core/errors';
import type { StreamKey } from '../../core/counter-rng';
import { sreluBackward, sreluForward, softmaxBackward, softmaxForward, unaryBackward, unaryForward } from '../cpu/activation';
import { dropoutScale, dropoutThreshold } from '../cpu/dropout';
import { mseOneHot, softmaxCrossEntropy } from '../cpu/loss';
import { adamStep } from '../cpu/optim';
import { sparseInputForward, sparseInputWeightGrad } from '../cpu/sparse-input';
import { Arena, type Block } from './arena';
import { inlineDispatcher, type Dispatcher, type KernelCall } from './dispatch';
import { instantiateKernels, loadKernelModule, WASM_MAX_PAGES, wasmUnavailableReason } from './loader';
import { ResidentCache } from './resident';
import { threadDispatcher } from './threads';
import { requireWebAssembly } from './wasm-api';

export { wasmPath, wasmUnavailableReason } from './loader';

/** Options of {@link wasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Threads that run the kernels: 1 (default) runs them on the calling thread; n > 1 adds n - 1 worker
   * threads sharing the wasm memory. Results are bit-identical for every thread count.
   */
  readonly threads?: number;
  /**
   * Products with fewer multiply-adds than this run on the calling thread alone (default 32768): a hand-off
   * to the workers costs microseconds. 0 sends every product to the workers (used by the tests).
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
   * (assembly/kernels.ts, backwardColumns); longer columns take a whole-batch dot per entry. Default: chosen
   * per layer ({@link columnBlockBytes}). Same bits either way (for A/B measurements and tests).
   */
  readonly columnBlockBytes?: number;
  /**
   * Whether to offer the fused sparse product + rectifier + dropout ops ({@link Backend.spmmForwardRectified}),
   * default true. Off, networks run the three ops one by one, with the same results, more slowly (for A/B
   * measurements and tests).
   */
  readonly fuseRectifiers?: boolean;
  /**
   * Whether the sparse forward of a layer with few and long rows (at most {@link COLUMN_FORWARD_MAX_BYTES}
   * of output, at least {@link COLUMN_FORWARD_MIN_ROW} entries per row on average, batch 8 or more: an
   * output layer fed by a wide one) walks the input once by columns, split between threads by batch lanes
   * (default true), when its input is at least `columnForwardMinInputBytes`. Same bits as the walk by rows,
   * which fetches each input row once per output row.
   */
  readonly columnForward?: boolean;
  /**
   * Smallest input (`cols * batch * 4` bytes) walked by columns ({@link WasmBackendOptions.columnForward});
   * default {@link COLUMN_FORWARD_MIN_INPUT_BYTES}. Smaller inputs stay in L2, where the walk by rows needs
   * no permuted copy of the values (one job instead of two).
   */
  readonly columnForwardMinInputBytes?: number;
  /** Called once when the backend is disposed (the registry forgets its shared instances this way). */
  readonly onDispose?: () => void;
}

/**
 * Default of {@link WasmBackendOptions.scatterMaxBatch}: at batch 2 (the scaling experiment) the scatter
 * makes the backward pass about three times faster; from batch 16 on the register-blocked gather wins
 * (measured with scripts/bench-kernels.ts).
 */
export const SCATTER_MAX_BATCH = 8;

/**
 * The default of {@link WasmBackendOptions.columnBlockBytes} for a layer whose dy is `dyBytes` bytes. Batch
 * blocks pay off where dy rows come from far away (a wide layer's dy: random rows from L3) while a column's
 * rows fit in L1 (32 KiB: 64 entries at batch 128); longer columns, and any column where dy itself fits in L1
 * (an output layer's ten rows), are faster with the whole-batch dots from about 8 entries on. Measured on this
 * project's 2-core machine, 784-W-W-W-10 at batch 128, 2 threads (`bench --sections layers`, alternating):
 * 16000 x 16000 backward at eps 10 (20 entries) 6.60 / 5.73 ms per layer with blocks up to 32 KiB against
 * 7.20 / 6.65 ms up to 8 KiB (whole step 26.7-27.1 against 27.0-28.6 ms); eps 20 (40 entries) whole step
 * 45.8 / 47.6 against 50.5 / 58.9 ms. Isolated, eps 50 (100 entries, 51 KiB) is slower as blocks (34.7-37.0
 * against 32.0-34.4 ms), and the output layer 16000 -> 10 at eps 10 takes 2.96 ms as blocks, 1.81 ms without.
 */
export function columnBlockBytes(dyBytes: number): number {
  return dyBytes <= 16384 ? 4096 : 32768;
}

/** Default of {@link WasmBackendOptions.columnBackwardMinBytes}. */
export const COLUMN_BACKWARD_MIN_BYTES = 1 << 20;

/** Largest output (`rows * batch * 4` bytes, half of L1) of a forward by columns ({@link WasmBackendOptions.columnForward}). */
export const COLUMN_FORWARD_MAX_BYTES = 1 << 14;
/** Fewest entries per output row, on average, of a forward by columns ({@link WasmBackendOptions.columnForward}). */
export const COLUMN_FORWARD_MIN_ROW = 256;
/**
 * Default of {@link WasmBackendOptions.columnForwardMinInputBytes}: 1 MiB (the L2 of a core here). Measured
 * in training (batch 128, 2 threads): the output layer of 784-1000-1000-1000-10 (512 KiB of input) takes
 * 124-160 us by columns and 70-73 us by rows at eps 20, 77-92 and 61-86 us at eps 5; at width 4000 (2 MiB)
 * the two are level, and at width 16000 the columns win (the measurement that introduced them).
 */
export const COLUMN_FORWARD_MIN_INPUT_BYTES = 1 << 20;

/** The wasm backend: a {@link Backend} plus memory management for zero-copy buffers. */
export interface WasmBackend extends Backend {
  /** Threads that run the kernels. */
  readonly threads: number;
  /** Counter-based dropout in SIMD (optional in {@link Backend}, always here). */
  dropout(x: Float32Array, rate: number, key: StreamKey, y: Float32Array, mask: Uint8Array): Float32Array;
  /**
   * A zero-filled Float32Array of length `n` living in the backend's memory: passed to any op of this
   * backend it is read or written in place, without a copy. Its memory returns to the backend when the array
   * is garbage-collected, or at once with {@link WasmBackend.freeFloat32}.
   */
  allocFloat32(n: number): Float32Array;
  /** A zero-filled Uint8Array of length `n` in the backend's memory (dropout masks); see {@link WasmBackend.allocFloat32}. */
  allocUint8(n: number): Uint8Array;
  /** Returns an array from {@link WasmBackend.allocFloat32} or `allocUint8` at once; it must not be used afterwards. */
  freeFloat32(a: Float32Array | Uint8Array): void;
  /** {@link WasmBackend.freeFloat32} for arrays of this backend, nothing for others. */
  release(a: Float32Array | Uint8Array): void;
  /** Share of the chunks of parallel products that worker threads ran so far (0 with one thread). */
  workerShare(): number;
  /** Bytes of wasm memory in use (resident indices, scratch space and allocated arrays). */
  memoryBytes(): number;
  /** Stops worker threads and drops the memory. The backend must not be used afterwards. */
  dispose(): void;
}

/** Whether the wasm backend can run here (WebAssembly SIMD, shared memory, and a built kernels.wasm). */
export function isWasmAvailable(): boolean {
  return wasmUnavailableReason() === null;
}

/**
 * Creates a wasm backend with its own memory (and worker threads when `threads > 1`).
 * @throws Error saying why when {@link isWasmAvailable} is false.
 */
export function wasmBackend(options: WasmBackendOptions = {}): WasmBackend {
  const threads = options.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new RangeError(`threads must be an integer in [1, 64], got ${threads}`);
  }
  const minParallelWork = options.minParallelWork ?? 1 << 15;
  const spinMs = options.spinMs ?? 0.5;
  const scatterMaxBatch = options.scatterMaxBatch ?? SCATTER_MAX_BATCH;
  if (!(Number.isInteger(scatterMaxBatch) && scatterMaxBatch >= 0)) {
    throw new RangeError(`scatterMaxBatch must be a non-negative integer, got ${scatterMaxBatch}`);
  }
  const blockBytesOption = options.columnBlockBytes;
  if (blockBytesOption !== undefined && !(Number.isInteger(blockBytesOption) && blockBytesOption >= 0 && blockBytesOption < 2 ** 31)) {
    throw new RangeError(`columnBlockBytes must be a non-negative integer below 2^31, got ${blockBytesOption}`);
  }
  const columnBackwardMinBytes = options.columnBackwardMinBytes ?? COLUMN_BACKWARD_MIN_BYTES;
  if (!(Number.isInteger(columnBackwardMinBytes) && columnBackwardMinBytes >= 0)) {
    throw new RangeError(`columnBackwardMinBytes must be a non-negative integer, got ${columnBackwardMinBytes}`);
  }
  const module = loadKernelModule();
  // The heap base is a property of the module; any instance can tell it.
  const probe = instantiateKernels(module, new (requireWebAssembly().Memory)({ initial: 1, maximum: WASM_MAX_PAGES, shared: true }));
  const arena = new Arena(probe.heapBase());
  const kernels = instantiateKernels(module, arena.memory);
  const inline = inlineDispatcher(kernels);
  const pool: Dispatcher = threads > 1 ? threadDispatcher(module, arena.memory, threads, arena.alloc(1024).offset, spinMs) : inline;
  const resident = new ResidentCache(arena);
  const allocated = new Map<number, Block>();
  const scratch = new Scratch(arena);
  // Float64 hyper-parameters of the optimizer kernels (the worker protocol passes int32 arguments only).
  const hyperBlock = arena.alloc(64);
  const hyper = new Float64Array(arena.f32.buffer, hyperBlock.offset, 8);
  // The table of sgdSteps (assembly/kernels.ts, sgdTable): 48-byte entries, as i32 words and as f64.
  const sgdBlock = arena.alloc(48 * SGD_TABLE_ENTRIES);
  const sgdWords = new Int32Array(arena.f32.buffer, sgdBlock.offset, 12 * SGD_TABLE_ENTRIES);
  const sgdHyper = new Float64Array(arena.f32.buffer, sgdBlock.offset, 6 * SGD_TABLE_ENTRIES);
  // The descriptor of a fused rectifier the kernels read (assembly/kernels.ts, "Fused rectifier and dropout").
  const epiBlock = arena.alloc(64);
  const epiWords = new Int32Array(arena.f32.buffer, epiBlock.offset, 8);
  const fuseRectifiers = options.fuseRectifiers ?? true;
  const columnForward = options.columnForward ?? true;
  const columnForwardMinInputBytes = options.columnForwardMinInputBytes ?? COLUMN_FORWARD_MIN_INPUT_BYTES;
  if (!(Number.isInteger(columnForwardMinInputBytes) && columnForwardMinInputBytes >= 0)) {
    throw new RangeError(`columnForwardMinInputBytes must be a non-negative integer, got ${columnForwardMinInputBytes}`);
  }
  // Arrays handed out by allocFloat32 / allocUint8 return to the arena when collected (or when freed).
  let disposed = false;
  const collector = new FinalizationRegistry<Block>((b) => {
    if (!disposed && allocated.get(b.offset) === b) {
      allocated.delete(b.offset);
      arena.release(b);
    }
  });

  const evenSplits = new Map<string, Int32Array>();
  /**
   * Boundaries (length parts + 1) of `parts` near-equal ranges of [0, n), each inner cut rounded to a
   * multiple of `align`; cached, since the same shapes come back every step.
   */
  function splits(n: number, parts: number, align: number): Int32Array {
    const key = `${n}/${parts}/${align}`;
    let s = evenSplits.get(key);
    if (s === undefined) {
      s = new Int32Array(parts + 1);
      for (let t = 0; t < parts; t++) s[t] = Math.min(n, Math.round((n * t) / parts / align) * align);
      s[parts] = n;
      if (evenSplits.size > 256) evenSplits.clear();
      evenSplits.set(key, s);
    }
    return s;
  }
  /** Boundaries of `parts` near-equal row ranges of [0, n). */
  function even(n: number, parts: number): Int32Array {
    return splits(n, parts, 1);
  }
  /** Boundaries of `parts` near-equal ranges of `batch` lanes, cut at multiples of 4 (one vector). */
  function lanes(batch: number, parts: number): Int32Array {
    return splits(batch, parts, 4);
  }
  /** Boundaries of `parts` near-equal element ranges of [0, n), cut at multiples of 16 (one 64-byte line). */
  function flat(n: number, parts: number): Int32Array {
    return splits(n, parts, 16);
  }
  /**
   * Who runs a job of `work` units (multiply-adds; an element-wise op counts {@link ELEMENT_COST} per
   * element) and into how many chunks to cut it: jobs below `minParallelWork` run on the calling thread;
   * larger ones go to the pool in chunks of at least {@link CHUNK_WORK} units (2 at least, the pool's
   * number at most), so a small job does not pay for many hand-offs. Results do not depend on the cut.
   */
  function plan(work: number): { d: Dispatcher; parts: number } {
    if (threads === 1 || work < minParallelWork) return { d: inline, parts: 1 };
    return { d: pool, parts: Math.min(pool.chunks, Math.max(2, Math.floor(work / CHUNK_WORK))) };
  }
  /**
   * Address of `a[0 .. n)` in wasm memory: in place when the backend owns `a`, else copied to scratch.
   * Lengths are checked because a kernel reading past a short array would read other data silently.
   */
  function input(a: Float32Array, n: number, what: string): number {
    if (a.length < n) throw new ShapeError(`${what} has length ${a.length}, expected at least ${n}`);
    if (arena.owns(a)) return a.byteOffset;
    const p = scratch.take(n);
    arena.f32.set(n === a.length ? a : a.subarray(0, n), p >> 2);
    return p;
  }
  /** Address the kernel writes `a[0 .. n)` to. */
  function output(a: Float32Array, n: number, what: string): number {
    if (a.length < n) throw new ShapeError(`${what} has length ${a.length}, expected at least ${n}`);
    return arena.owns(a) ? a.byteOffset : scratch.take(n);
  }
  function copyBack(a: Float32Array, p: number, n: number): void {
    if (!arena.owns(a)) a.set(arena.f32.subarray(p >> 2, (p >> 2) + n));
  }
  /** Checks a fused rectifier for `n` elements; throws before anything is written. */
  function checkRectifier(r: FusedRectifier, n: number): void {
    if (r.op !== 'relu' && r.op !== 'leaky-relu') throw new ShapeError(`a fused rectifier is 'relu' or 'leaky-relu', got '${String(r.op)}'`);
    if (r.mask.length < n) throw new ShapeError(`rectifier mask has length ${r.mask.length}, expected at least ${n}`);
    const rate = r.dropout?.rate ?? 0;
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  }
  /**
   * Address of `r.mask[0 .. n)`: in place when owned, else a scratch slice (copied in when `read`); 0 for
   * ReLU, which needs no record (see assembly/kernels.ts, "Fused rectifier and dropout").
   */
  function maskAddress(r: FusedRectifier, n: number, read: boolean): number {
    if (r.op === 'relu') return 0;
    if (arena.owns(r.mask)) return r.mask.byteOffset;
    const p = scratch.take(Math.ceil(n / 4));
    if (read) arena.u8.set(r.mask.subarray(0, n), p);
    return p;
  }
  /** Writes the kernels' descriptor of `r` (mask at `maskPtr`); returns its address. */
  function describe(r: FusedRectifier, maskPtr: number): number {
    const leaky = r.op === 'leaky-relu';
    epiWords[0] = (leaky ? 2 : 0) | (r.dropout !== null ? 4 : 0);
    epiWords[1] = f32Bits(leaky ? r.alpha : 0);
    epiWords[2] = r.dropout !== null ? r.dropout.key[0] : 0;
    epiWords[3] = r.dropout !== null ? r.dropout.key[1] : 0;
    epiWords[4] = r.dropout !== null ? dropoutThreshold(r.dropout.rate) | 0 : 0;
    epiWords[5] = r.dropout !== null ? f32Bits(dropoutScale(r.dropout.rate)) : 0;
    epiWords[6] = maskPtr;
    return epiBlock.offset;
  }
  /** Applies `r`'s gradients to the `cols` x `batch` input gradient at `dp` (after a scatter); `ap`: the block's output. */
  function rectifyBack(r: FusedRectifier | undefined, dp: number, ap: number, cols: number, batch: number, maskPtr: number): void {
    if (r === undefined) return;
    const { d, parts } = plan(cols * batch * ELEMENT_COST);
    d.run([{ fn: 'rectifyBackRows', args: [describe(r, maskPtr), dp, ap, batch] }], even(cols, parts));
  }

  /** `ib[c]` = the sum of row c of the `cols` x `batch` array at `dp` (a bias gradient), when `ib` is given. */
  function sumRows(ib: Float32Array | undefined, dp: number, cols: number, batch: number): void {
    if (ib === undefined) return;
    const ibp = output(ib, cols, 'inputBiasGrad');
    const { d, parts } = plan(cols * batch);
    d.run([{ fn: 'biasRows', args: [dp, batch, ibp] }], even(cols, parts));
    copyBack(ib, ibp, cols);
  }

  function spmmForwardRectified(w: CsrMatrix, x: Float32Array, batch: number, bias: Float32Array | null, r: FusedRectifier, y: Float32Array): Float32Array {
    const { rows, cols } = w;
    const n = rows * batch;
    checkRectifier(r, n);
    if (n === 0) return y;
    const e = resident.get(w);
    scratch.begin(w.nnz, cols * batch, rows, n, Math.ceil(n / 4));
    const vp = input(w.values, w.nnz, 'w.values');
    const xp = input(x, cols * batch, 'x');
    const bp = bias === null ? 0 : input(bias, rows, 'bias');
    const yp = output(y, n, 'y');
    const mp = maskAddress(r, n, false);
    const ep = describe(r, mp);
    const { d, parts } = plan(w.nnz * batch + n * ELEMENT_COST);
    d.run([{ fn: 'gatherRowsRect', args: [e.rowPtr, e.colIdx, vp, xp, batch, bp, yp, ep] }], resident.rowSplit(w, e, parts));
    copyBack(y, yp, n);
    if (mp !== 0 && !arena.owns(r.mask)) r.mask.set(arena.u8.subarray(mp, mp + n));
    return y;
  }

  /**
   * The sparse input gradient, taken back through `r` (the previous block's rectifier) when given; `x`, the
   * layer's input (the block's output), is read then; `ib` (checked by the caller) receives its row sums.
   */
  function inputGrad(
    w: CsrMatrix, dy: Float32Array, batch: number, dx: Float32Array, r?: FusedRectifier, x?: Float32Array, ib?: Float32Array,
  ): Float32Array {
    const { rows, cols } = w;
    if (r !== undefined) checkRectifier(r, cols * batch);
    if (cols === 0) return dx;
    if (batch === 0) {
      ib?.fill(0, 0, cols);
      return dx;
    }
    if (rows === 0) {
      ib?.fill(0, 0, cols);
      return dx.fill(0, 0, cols * batch);
    }
    const e = resident.get(w);
    if (batch <= scatterMaxBatch) {
      // One thread, all rows in order: the same bits as the gather below (see assembly/kernels.ts).
      scratch.begin(w.nnz, rows * batch, cols * batch, cols * batch, Math.ceil((cols * batch) / 4), cols);
      const vp = input(w.values, w.nnz, 'w.values');
      const gp = input(dy, rows * batch, 'dy');
      const xp = output(dx, cols * batch, 'dx');
      const ap = r === undefined ? 0 : input(x!, cols * batch, 'x');
      const mp = r === undefined ? 0 : maskAddress(r, cols * batch, true);
      arena.f32.fill(0, xp >> 2, (xp >> 2) + cols * batch);
      kernels.scatterRows(e.rowPtr, e.colIdx, vp, gp, batch, xp, 0, rows);
      rectifyBack(r, xp, ap, cols, batch, mp);
      sumRows(ib, xp, cols, batch);
      copyBack(dx, xp, cols * batch);
      return dx;
    }
    const t = resident.csc(w, e);
    scratch.begin(w.nnz, w.nnz, rows * batch, cols * batch, cols * batch, Math.ceil((cols * batch) / 4), cols);
    const vp = input(w.values, w.nnz, 'w.values');
    const wt = scratch.take(w.nnz);
    const gp = input(dy, rows * batch, 'dy');
    const xp = output(dx, cols * batch, 'dx');
    const calls: KernelCall[] = [
      { fn: 'permuteRows', args: [t.ptr, t.k, vp, wt] },
      { fn: 'gatherRows', args: [t.ptr, t.row, wt, gp, batch, 0, xp] },
    ];
    if (r !== undefined) {
      const ap = input(x!, cols * batch, 'x');
      calls.push({ fn: 'rectifyBackRows', args: [describe(r, maskAddress(r, cols * batch, true)), xp, ap, batch] });
    }
    const ibp = ib === undefined ? 0 : output(ib, cols, 'inputBiasGrad');
    if (ib !== undefined) calls.push({ fn: 'biasRows', args: [xp, batch, ibp] });
    const { d, parts } = plan(w.nnz * batch);
    d.run(calls, resident.colSplit(w, e, parts));
    copyBack(dx, xp, cols * batch);
    if (ib !== undefined) copyBack(ib, ibp, cols);
    return dx;
  }

  const backend: WasmBackend = {
    name: 'wasm',
    mode: 'wasm-simd',
    threads,

    spmmForward(w: CsrMatrix, x: Float32Array, batch: number, bias: Float32Array | null, y: Float32Array): Float32Array {
      const { rows, cols } = w;
      if (rows === 0 || batch === 0) return y;
      const e = resident.get(w);
      scratch.begin(w.nnz, w.nnz, cols * batch, rows, rows * batch);
      const vp = input(w.values, w.nnz, 'w.values');
      const xp = input(x, cols * batch, 'x');
      const bp = bias === null ? 0 : input(bias, rows, 'bias');
      const yp = output(y, rows * batch, 'y');
      const { d, parts } = plan(w.nnz * batch);
      if (
        columnForward && batch >= 8 && rows * batch * 4 <= COLUMN_FORWARD_MAX_BYTES && w.nnz >= COLUMN_FORWARD_MIN_ROW * rows &&
        cols * batch * 4 >= columnForwardMinInputBytes
      ) {
        // Few long rows: one walk of the input by columns (the values permuted into column order first).
        const t = resident.csc(w, e);
        const wt = scratch.take(w.nnz);
        d.run([{ fn: 'permuteRows', args: [t.ptr, t.k, vp, wt] }], resident.colSplit(w, e, parts));
        d.run([{ fn: 'scatterColumns', args: [t.ptr, t.row, wt, xp, batch, bp, yp, rows, cols] }], lanes(batch, d === inline ? 1 : Math.min(threads, batch >> 2)));
      } else {
        d.run([{ fn: 'gatherRows', args: [e.rowPtr, e.colIdx, vp, xp, batch, bp, yp] }], resident.rowSplit(w, e, parts));
      }
      copyBack(y, yp, rows * batch);
      return y;
    },

    ...(fuseRectifiers ? { spmmForwardRectified } : {}),

    // A sparse batch into the first layer: for now the reference's JavaScript loops, which read and write
    // this backend's arrays (weights, outputs, gradients) in place in its memory, on the calling thread.
    // Their cost is the layer's connections plus the batch's non-zero products (no nFeatures * batch input).
    sparseInputForward,
    sparseInputWeightGrad,

    spmmInputGrad(w: CsrMatrix, dy: Float32Array, batch: number, dx: Float32Array): Float32Array {
      return inputGrad(w, dy, batch, dx);
    },

    spmmWeightGrad(w: CsrMatrix, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array): Float32Array {
      const { rows, cols } = w;
      if (w.nnz === 0) return dw;
      const e = resident.get(w);
      scratch.begin(rows * batch, cols * batch, w.nnz);
      const gp = input(dy, rows * batch, 'dy');
      const xp = input(x, cols * batch, 'x');
      const wp = output(dw, w.nnz, 'dw');
      const { d, parts } = plan(w.nnz * batch);
      d.run([{ fn: 'dotRows', args: [e.rowPtr, e.colIdx, gp, xp, batch, wp, 0] }], resident.rowSplit(w, e, parts));
      copyBack(dw, wp, w.nnz);
      return dw;
    },

    denseForward(w, nIn, nOut, x, batch, bias, y) {
      if (nOut === 0 || batch === 0) return y;
      scratch.begin(nIn * nOut, nIn * batch, nOut, nOut * batch);
      const wp = input(w, nIn * nOut, 'w');
      const xp = input(x, nIn * batch, 'x');
      const bp = bias === null ? 0 : input(bias, nOut, 'bias');
      const yp = output(y, nOut * batch, 'y');
      const { d, parts } = plan(nIn * nOut * batch);
      d.run([{ fn: 'denseGatherRows', args: [wp, nIn * 4, 4, nIn, xp, batch, bp, yp] }], even(nOut, parts));
      copyBack(y, yp, nOut * batch);
      return y;
    },

    denseInputGrad(w, nIn, nOut, dy, batch, dx) {
      if (nIn === 0 || batch === 0) return dx;
      scratch.begin(nIn * nOut, nOut * batch, nIn * batch);
      const wp = input(w, nIn * nOut, 'w');
      const gp = input(dy, nOut * batch, 'dy');
      const xp = output(dx, nIn * batch, 'dx');
      const { d, parts } = plan(nIn * nOut * batch);
      d.run([{ fn: 'denseGatherRows', args: [wp, 4, nIn * 4, nOut, gp, batch, 0, xp] }], even(nIn, parts));
      copyBack(dx, xp, nIn * batch);
      return dx;
    },

    denseWeightGrad(nIn, nOut, dy, x, batch, dw) {
      if (nIn === 0 || nOut === 0) return dw;
      scratch.begin(nOut * batch, nIn * batch, nIn * nOut);
      const gp = input(dy, nOut * batch, 'dy');
      const xp = input(x, nIn * batch, 'x');
      const wp = output(dw, nIn * nOut, 'dw');
      const { d, parts } = plan(nIn * nOut * batch);
      d.run([{ fn: 'denseDotRows', args: [nIn, gp, xp, batch, wp] }], even(nOut, parts));
      copyBack(dw, wp, nIn * nOut);
      return dw;
    },

    spmmBackward(
      w: CsrMatrix, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array, db: Float32Array | null, dx: Float32Array | null,
      inputRectifier?: FusedRectifier, inputBiasGrad?: Float32Array, overwriteInput = false,
    ) {
      const { rows, cols } = w;
      const r = dx === null ? undefined : inputRectifier;
      if (r !== undefined) checkRectifier(r, cols * batch);
      const ib = r === undefined ? undefined : inputBiasGrad;
      if (ib !== undefined && ib.length < cols) throw new ShapeError(`inputBiasGrad has length ${ib.length}, expected at least ${cols}`);
      if (dx !== null && rows > 0 && cols > 0 && batch > 0 && batch <= scatterMaxBatch && threads <= 2) {
        // Small batch: the three products in one walk of the rows (one thread), or as two tasks (weight and
        // bias gradients; input gradient) on two threads. Same bits either way, and as the ops one by one.
        // With more threads the general path below splits the gradients by rows, then scatters.
        const e = resident.get(w);
        scratch.begin(w.nnz, rows * batch, cols * batch, w.nnz, rows, cols * batch, Math.ceil((cols * batch) / 4), cols);
        const vp = input(w.values, w.nnz, 'w.values');
        const gp = input(dy, rows * batch, 'dy');
        const xp = input(x, cols * batch, 'x');
        const wp = output(dw, w.nnz, 'dw');
        // Without db (computed already by the next layer's backward) the kernels' bias sums go to scratch.
        const bp = db === null ? scratch.take(rows) : output(db, rows, 'db');
        const dp = output(dx, cols * batch, 'dx');
        const mp = r === undefined ? 0 : maskAddress(r, cols * batch, true);
        if (threads === 1 || w.nnz * batch < minParallelWork) {
          arena.f32.fill(0, dp >> 2, (dp >> 2) + cols * batch);
          kernels.backwardRows(e.rowPtr, e.colIdx, vp, gp, xp, batch, wp, bp, dp, 0, rows);
        } else {
          pool.run([{ fn: 'backwardTasks', args: [e.rowPtr, e.colIdx, vp, gp, xp, batch, wp, bp, dp, rows, cols] }], TWO_TASKS);
        }
        rectifyBack(r, dp, xp, cols, batch, mp);
        sumRows(ib, dp, cols, batch);
        copyBack(dw, wp, w.nnz);
        if (db !== null) copyBack(db, bp, rows);
        copyBack(dx, dp, cols * batch);
        return dx;
      }
      if (dx !== null && rows > 0 && cols > 0 && batch > 0 && cols * batch * 4 >= columnBackwardMinBytes) {
        // A wide layer: weight and input gradients in one walk of the transposed index (each dy row is
        // fetched once for both), the bias gradient by rows; in place over x when the caller allows it and
        // x is in wasm memory (each dx row where its x row was just read).
        const e = resident.get(w);
        const t = resident.csc(w, e);
        const inPlace = overwriteInput && arena.owns(x);
        // The dots' accumulators between batch blocks: 16 claim words, then 16 slots of a column's worth
        // (in place, and one dx row for long columns).
        const slotBytes = 16 * Math.max(1, t.maxColumn) + (inPlace ? batch * 4 : 0);
        const accFloats = (64 + 16 * slotBytes) / 4;
        scratch.begin(w.nnz, w.nnz, rows * batch, cols * batch, w.nnz, rows, cols * batch, Math.ceil((cols * batch) / 4), accFloats, cols);
        const vp = input(w.values, w.nnz, 'w.values');
        const wt = scratch.take(w.nnz);
        const ap = scratch.take(accFloats);
        arena.i32.fill(0, ap >> 2, (ap >> 2) + 16);
        const gp = input(dy, rows * batch, 'dy');
        const xp = input(x, cols * batch, 'x');
        const wp = output(dw, w.nnz, 'dw');
        const bp = db === null ? 0 : output(db, rows, 'db');
        const dp = inPlace ? xp : output(dx, cols * batch, 'dx');
        const ibp = ib === undefined ? 0 : output(ib, cols, 'inputBiasGrad');
        const ep = r === undefined ? 0 : describe(r, maskAddress(r, cols * batch, true));
        const { d, parts } = plan(w.nnz * batch);
        d.run(
          [
            { fn: 'permuteRows', args: [t.ptr, t.k, vp, wt] },
            {
              fn: 'backwardColumns',
              args: [t.ptr, t.row, t.k, wt, gp, xp, batch, dp, wp, ep, ap, slotBytes, blockBytesOption ?? columnBlockBytes(rows * batch * 4), ibp],
            },
          ],
          resident.colSplit(w, e, parts),
        );
        if (db !== null) d.run([{ fn: 'biasRows', args: [gp, batch, bp] }], resident.rowSplit(w, e, parts));
        copyBack(dw, wp, w.nnz);
        if (db !== null) copyBack(db, bp, rows);
        if (!inPlace) copyBack(dx, dp, cols * batch);
        if (ib !== undefined) copyBack(ib, ibp, cols);
        return !inPlace ? dx : x.length === cols * batch ? x : x.subarray(0, cols * batch);
      }
      if (dx !== null && rows > 0 && cols > 0 && batch > scatterMaxBatch) {
        // Weight and bias gradients by rows and the input gradient by columns, as one job (the two do not
        // depend on each other, so neither waits for the other to finish on both threads).
        const e = resident.get(w);
        const t = resident.csc(w, e);
        scratch.begin(rows * batch, cols * batch, w.nnz, rows, w.nnz, w.nnz, cols * batch, Math.ceil((cols * batch) / 4), cols);
        const gp = input(dy, rows * batch, 'dy');
        const xp = input(x, cols * batch, 'x');
        const wp = output(dw, w.nnz, 'dw');
        const bp = db === null ? 0 : output(db, rows, 'db');
        const vp = input(w.values, w.nnz, 'w.values');
        const wt = scratch.take(w.nnz);
        const dp = output(dx, cols * batch, 'dx');
        const ep = r === undefined ? 0 : describe(r, maskAddress(r, cols * batch, true));
        const ibp = ib === undefined ? 0 : output(ib, cols, 'inputBiasGrad');
        const { d, parts } = plan(w.nnz * batch);
        d.run(
          [{ fn: 'backwardSplit', args: [e.rowPtr, e.colIdx, gp, xp, batch, wp, bp, t.ptr, t.row, t.k, vp, wt, dp, ep, xp, ibp, rows] }],
          resident.rowsThenColumns(w, e, parts),
        );
        copyBack(dw, wp, w.nnz);
        if (db !== null) copyBack(db, bp, rows);
        copyBack(dx, dp, cols * batch);
        if (ib !== undefined) copyBack(ib, ibp, cols);
        return dx;
      }
      if (rows > 0 && batch > 0) {
        const e = resident.get(w);
        scratch.begin(rows * batch, w.cols * batch, w.nnz, rows);
        const gp = input(dy, rows * batch, 'dy');
        const xp = input(x, w.cols * batch, 'x');
        const wp = output(dw, w.nnz, 'dw');
        const bp = db === null ? 0 : output(db, rows, 'db');
        const { d, parts } = plan(w.nnz * batch);
        d.run(
          [{ fn: 'dotRows', args: [e.rowPtr, e.colIdx, gp, xp, batch, wp, bp] }],
          resident.rowSplit(w, e, parts),
        );
        copyBack(dw, wp, w.nnz);
        if (db !== null) copyBack(db, bp, rows);
      } else if (rows > 0) {
        db?.fill(0, 0, rows);
        dw.fill(0, 0, w.nnz);
      }
      return dx === null ? null : inputGrad(w, dy, batch, dx, r, x, ib);
    },

    biasGrad(dy: Float32Array, n: number, batch: number, db: Float32Array): Float32Array {
      if (n === 0) return db;
      scratch.begin(n * batch, n);
      const gp = input(dy, n * batch, 'dy');
      const bp = output(db, n, 'db');
      const { d, parts } = plan(n * batch);
      d.run([{ fn: 'biasRows', args: [gp, batch, bp] }], even(n, parts));
      copyBack(db, bp, n);
      return db;
    },

    unaryForward(op, x, alpha, y) {
      if (op !== 'relu' && op !== 'leaky-relu') return unaryForward(op, x, alpha, y);
      const n = x.length;
      if (n === 0) return y;
      scratch.begin(n, n);
      const xp = input(x, n, 'x');
      const yp = output(y, n, 'y');
      const { d, parts } = plan(n * ELEMENT_COST);
      d.run([{ fn: 'rectifyRange', args: [op === 'relu' ? 0 : 1, xp, yp, f32Bits(alpha)] }], flat(n, parts));
      copyBack(y, yp, n);
      return y;
    },

    unaryBackward(op, x, y, dy, alpha, dx) {
      if (op !== 'relu' && op !== 'leaky-relu') return unaryBackward(op, x, y, dy, alpha, dx);
      const n = dy.length;
      if (n === 0) return dx;
      scratch.begin(n, n, n);
      const xp = input(x, n, 'x');
      const gp = input(dy, n, 'dy');
      const dp = output(dx, n, 'dx');
      const { d, parts } = plan(n * ELEMENT_COST);
      d.run([{ fn: 'rectifyBackRange', args: [op === 'relu' ? 0 : 1, xp, gp, dp, f32Bits(alpha)] }], flat(n, parts));
      copyBack(dx, dp, n);
      return dx;
    },

    dropout(x: Float32Array, rate: number, key: StreamKey, y: Float32Array, mask: Uint8Array): Float32Array {
      const n = x.length;
      if (n === 0) return y;
      if (mask.length < n) throw new ShapeError(`mask has length ${mask.length}, expected at least ${n}`);
      scratch.begin(n, n, Math.ceil(n / 4));
      const xp = input(x, n, 'x');
      const yp = output(y, n, 'y');
      const mp = arena.owns(mask) ? mask.byteOffset : scratch.take(Math.ceil(n / 4));
      const { d, parts } = plan(n * ELEMENT_COST);
      d.run(
        [{ fn: 'dropoutRange', args: [xp, yp, mp, key[0], key[1], dropoutThreshold(rate) | 0, f32Bits(dropoutScale(rate))] }],
        flat(n, parts),
      );
      copyBack(y, yp, n);
      if (!arena.owns(mask)) mask.set(arena.u8.subarray(mp, mp + n));
      return y;
    },

    dropoutForward(x: Float32Array, mask: Uint8Array, scale: number, y: Float32Array): Float32Array {
      const n = x.length;
      if (n === 0) return y;
      if (mask.length < n) throw new ShapeError(`mask has length ${mask.length}, expected at least ${n}`);
      scratch.begin(n, n, Math.ceil(n / 4));
      const xp = input(x, n, 'x');
      const yp = output(y, n, 'y');
      let mp = mask.byteOffset;
      if (!arena.owns(mask)) {
        mp = scratch.take(Math.ceil(n / 4));
        arena.u8.set(mask.length === n ? mask : mask.subarray(0, n), mp);
      }
      const { d, parts } = plan(n * ELEMENT_COST);
      d.run([{ fn: 'maskRange', args: [xp, mp, yp, f32Bits(scale)] }], flat(n, parts));
      copyBack(y, yp, n);
      return y;
    },

    sreluForward,
    sreluBackward,
    softmaxForward,
    softmaxBackward,
    softmaxCrossEntropy,
    mseOneHot,

    sgdStep(param, grad, velocity, h) {
      const n = param.length;
      if (n === 0) return;
      scratch.begin(n, n, n);
      const pp = input(param, n, 'param');
      const gp = input(grad, n, 'grad');
      const vp = input(velocity, n, 'velocity');
      hyper[0] = h.lr;
      hyper[1] = h.momentum;
      hyper[2] = h.weightDecay;
      const { d, parts } = plan(n * ELEMENT_COST);
      d.run([{ fn: 'sgdRange', args: [pp, gp, vp, hyperBlock.offset, h.nesterov ? 1 : 0] }], flat(n, parts));
      copyBack(param, pp, n);
      copyBack(velocity, vp, n);
    },
    sgdSteps(steps: readonly SgdTask[], meanwhile?: () => void) {
      // One job over the concatenated elements of arrays the backend owns, all with the same Nesterov flag;
      // anything else (rare: the optimizer adopts its arrays into the arena) goes one array at a time.
      const nesterov = steps.length > 0 && steps[0]!.h.nesterov;
      let total = 0;
      let together = steps.length <= SGD_TABLE_ENTRIES;
      for (const t of steps) {
        const n = t.param.length;
        if (t.grad.length < n) throw new ShapeError(`grad has length ${t.grad.length}, expected at least ${n}`);
        if (t.velocity.length < n) throw new ShapeError(`velocity has length ${t.velocity.length}, expected at least ${n}`);
        if (t.h.nesterov !== nesterov || !arena.owns(t.param) || !arena.owns(t.grad) || !arena.owns(t.velocity)) together = false;
        total += n;
      }
      if (!together || total >= 2 ** 31 || total === 0) {
        try {
          for (const t of steps) backend.sgdStep(t.param, t.grad, t.velocity, t.h);
        } finally {
          meanwhile?.();
        }
        return;
      }
      let start = 0;
      steps.forEach((t, i) => {
        const w = i * 12;
        sgdWords[w] = t.param.byteOffset;
        sgdWords[w + 1] = t.grad.byteOffset;
        sgdWords[w + 2] = t.velocity.byteOffset;
        sgdWords[w + 3] = start;
        sgdWords[w + 4] = t.param.length;
        sgdHyper[i * 6 + 3] = t.h.lr;
        sgdHyper[i * 6 + 4] = t.h.momentum;
        sgdHyper[i * 6 + 5] = t.h.weightDecay;
        start += t.param.length;
      });
      const call: KernelCall[] = [{ fn: 'sgdTable', args: [sgdBlock.offset, steps.length, nesterov ? 1 : 0] }];
      if (meanwhile !== undefined && threads > 1) {
        // The workers start at once and claim small chunks while the caller is busy with `meanwhile`, so
        // they can take all of the job; the caller then helps with whatever is left.
        pool.run(call, flat(total, pool.chunks), meanwhile);
      } else {
        const { d, parts } = plan(total * ELEMENT_COST);
        d.run(call, flat(total, parts), meanwhile);
      }
    },
    adamStep,

    allocFloat32(n: number): Float32Array {
      if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`allocFloat32 needs a non-negative integer, got ${n}`);
      const b = arena.alloc(n * 4);
      const a = arena.view(b, n);
      a.fill(0);
      allocated.set(b.offset, b);
      collector.register(a, b, a);
      return a;
    },

    allocUint8(n: number): Uint8Array {
      if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`allocUint8 needs a non-negative integer, got ${n}`);
      const b = arena.alloc(n);
      const a = arena.viewU8(b, n);
      a.fill(0);
      allocated.set(b.offset, b);
      collector.register(a, b, a);
      return a;
    },

    release(a: Float32Array | Uint8Array): void {
      if (arena.owns(a) && allocated.has(a.byteOffset)) backend.freeFloat32(a);
    },

    freeFloat32(a: Float32Array | Uint8Array): void {
      const b = arena.owns(a) ? allocated.get(a.byteOffset) : undefined;
      if (b === undefined) throw new Error('freeFloat32: this array was not allocated by this backend (or was freed already)');
      allocated.delete(a.byteOffset);
      collector.unregister(a);
      arena.release(b);
    },

    memoryBytes(): number {
      return arena.usedBytes;
    },

    workerShare(): number {
      return pool.workerShare();
    },

    dispose(): void {
      if (disposed) return;
      disposed = true;
      options.onDispose?.();
      pool.dispose();
      resident.dispose();
    },
  };
  return backend;
}

/**
 * Per-call scratch space: one arena block, reused, replaced by a larger one when a call needs more.
 * `begin` reserves room for the slices a call will take (so slices never move during a call), `take` hands
 * them out in order, 64-byte aligned.
 */
class Scratch {
  private block: Block | null = null;
  private used = 0;

  constructor(private readonly arena: Arena) {}

  /** Starts a call that will take at most one slice of each of the given float counts. */
  begin(...counts: number[]): void {
    let bytes = 0;
    for (const n of counts) bytes += alignBytes(n);
    if (this.block === null || this.block.size < bytes) {
      if (this.block !== null) this.arena.release(this.block);
      this.block = this.arena.alloc(Math.max(bytes, 1 << 20));
    }
    this.used = 0;
  }

  /** Address of the next slice of `n` floats. */
  take(n: number): number {
    const bytes = alignBytes(n);
    if (this.block === null || this.used + bytes > this.block.size) throw new Error('wasm scratch overrun (internal error)');
    const p = this.block.offset + this.used;
    this.used += bytes;
    return p;
  }
}

/** The chunk boundaries of a job of two tasks (task 0 to the calling thread, task 1 to a worker). */
const TWO_TASKS = Int32Array.of(0, 1, 2);

/** Most arrays {@link Backend.sgdSteps} updates in one job (more go one by one). */
const SGD_TABLE_ENTRIES = 256;

/** Multiply-adds an element of an element-wise op costs, roughly (for {@link plan}'s cut). */
const ELEMENT_COST = 8;
/** Smallest chunk worth a hand-off to a worker, in multiply-adds (about 10 microseconds of work). */
const CHUNK_WORK = 1 << 17;

const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);
/** The int32 bit pattern of `v` rounded to float32 (how float scalars cross the worker protocol). */
function f32Bits(v: number): number {
  bitsF32[0] = v;
  return bitsI32[0]!;
}

function alignBytes(n: number): number {
  return Math.ceil((n * 4) / 64) * 64;
}
