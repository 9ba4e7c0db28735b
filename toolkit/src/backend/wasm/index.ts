/**
 * The WebAssembly SIMD backend (mode `"wasm-simd"`): AssemblyScript kernels compiled with 128-bit SIMD
 * (assembly/) for the sparse and dense layer products, the bias gradient, ReLU / leaky ReLU / All-ReLU
 * forward and backward (branchless), counter-based dropout and its mask, and the SGD step. The rest (tanh,
 * sigmoid, softmax, SReLU, the losses, Adam, and for now the first layer's products with a sparse batch) is
 * the CPU reference on this backend's arrays: absent from the SET networks' hot path, or (the losses)
 * touching only the output rows.
 *
 * This file only assembles the backend; the parts:
 * - options.ts: the options and their checks;
 * - memory.ts: the `memory` object and the marshalling of every op's arrays (in place or copied);
 * - resident.ts: CSR indices copied into wasm memory once per CsrMatrix, and the transposed index;
 * - plan.ts: which kernel walk an op takes and how its job is cut between threads (pure, unit-tested);
 * - dispatch.ts, threads.ts: running a job on the calling thread or on the worker threads;
 * - the ops by family: sparse.ts, sparse-fused.ts (with rectifier.ts), dense.ts, elementwise.ts, loss.ts,
 *   optim.ts.
 *
 * Data movement: arrays that live in the backend's memory (`memory.allocFloat32`, `allocUint8`) are read and
 * written in place; any other array is copied in and out on each call. Layers, optimizers and the fit loop
 * allocate their buffers, parameters and state there, so a training step copies nothing but the transposed
 * weight values.
 *
 * Threads (`threads: 2`): worker threads share the wasm memory and claim chunks of each job (threads.ts):
 * rows of a product, element ranges of an element-wise op. Every output element is computed by one thread
 * with the same code, whatever the cut, so results are bit-identical for any thread count
 * (test/backend-wasm/threads-training.test.ts). Two threads pay off only when both cores are free: each op
 * is a hand-off and a barrier, and a preempted thread stalls the other (figures: docs/bench.md). This
 * constructor defaults to one thread; the backend registry (`getBackend('wasm')`, `auto`, runs and the
 * command line) defaults to every core, see `defaultThreads` in backend/registry.ts.
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
import type { Backend } from '../backend';
import { Arena } from './arena';
import { WasmContext } from './context';
import { denseOps } from './dense';
import { inlineDispatcher, type Dispatcher } from './dispatch';
import { elementwiseOps } from './elementwise';
import { instantiateKernels, loadKernelModule, WASM_MAX_PAGES, wasmUnavailableReason } from './loader';
import { lossOps } from './loss';
import { WasmIo } from './memory';
import { optimOps } from './optim';
import { resolveOptions, type WasmBackendOptions } from './options';
import { Epilogue } from './rectifier';
import { ResidentCache } from './resident';
import { sparseOps } from './sparse';
import { sparseFusedOps } from './sparse-fused';
import { threadDispatcher } from './threads';
import { requireWebAssembly } from './wasm-api';

export { wasmPath, wasmUnavailableReason } from './loader';
export type { WasmBackendOptions } from './options';
export {
  COLUMN_BACKWARD_MIN_BYTES, COLUMN_FORWARD_MAX_BYTES, COLUMN_FORWARD_MIN_INPUT_BYTES, COLUMN_FORWARD_MIN_ROW, columnBlockBytes,
  SCATTER_MAX_BATCH,
} from './plan';

/** The wasm backend: a {@link Backend} plus its threads' statistics and disposal. */
export interface WasmBackend extends Backend {
  /**
   * Returns an array from `memory.allocFloat32` or `memory.allocUint8` to the backend at once; it must not be
   * used afterwards. Unlike `memory.release`, it throws for an array that is not this backend's.
   */
  freeFloat32(a: Float32Array | Uint8Array): void;
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
 * @throws RangeError for a bad option; Error saying why when {@link isWasmAvailable} is false.
 */
export function wasmBackend(options: WasmBackendOptions = {}): WasmBackend {
  const o = resolveOptions(options);
  const module = loadKernelModule();
  // The heap base is a property of the module; any instance can tell it.
  const probe = instantiateKernels(module, new (requireWebAssembly().Memory)({ initial: 1, maximum: WASM_MAX_PAGES, shared: true }));
  const arena = new Arena(probe.heapBase());
  const kernels = instantiateKernels(module, arena.memory);
  const inline = inlineDispatcher(kernels);
  const pool: Dispatcher = o.threads > 1 ? threadDispatcher(module, arena.memory, o.threads, arena.alloc(1024).offset, o.spinMs) : inline;
  const io = new WasmIo(arena);
  const resident = new ResidentCache(arena);
  const ctx = new WasmContext(arena, io, resident, kernels, inline, pool, { ...o, chunks: pool.chunks });
  const epilogue = new Epilogue(arena);
  let disposed = false;

  return {
    name: 'wasm',
    mode: 'wasm-simd',
    threads: o.threads,
    fusesRectifiers: o.fuseRectifiers,
    memory: io.memory,
    ...sparseOps(ctx, epilogue),
    ...sparseFusedOps(ctx, epilogue),
    ...denseOps(ctx),
    ...elementwiseOps(ctx),
    ...lossOps(ctx),
    ...optimOps(ctx),

    freeFloat32: (a) => io.free(a),
    memoryBytes: () => arena.usedBytes,
    workerShare: () => pool.workerShare(),
    dispose(): void {
      if (disposed) return;
      disposed = true;
      options.onDispose?.();
      pool.dispose();
      io.dispose();
      resident.dispose();
    },
  };
}
