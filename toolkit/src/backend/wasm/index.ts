/**
 * The WebAssembly SIMD backend (mode `"wasm-simd"`): the sparse and dense layer products run as
 * AssemblyScript kernels compiled with 128-bit SIMD over the batch (assembly/kernels.ts); every other op is
 * the CPU reference.
 *
 * Data movement: CSR index arrays are copied into wasm memory once per CsrMatrix object and stay there
 * (resident.ts); the transposed index used by the input gradient is built once per topology. Weights and
 * activations are copied in and out on each call, except arrays that already live in the backend's memory
 * ({@link WasmBackend.allocFloat32}), which the kernels read and write in place.
 *
 * Numerics: same term order as the reference (`backend/cpu/sparse.ts`, `dense.ts`), single-precision
 * multiply and add where the reference rounds a double-precision update once, so results agree with it to
 * rounding (about 1e-6 relative), not bit for bit. The input gradient needs no scatter: it walks the
 * transposed index, each column's entries in increasing row order, exactly the reference's order. Results
 * do not depend on the number of threads.
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
import type { Backend } from '../backend';
import { ShapeError } from '../../core/errors';
import { dropoutForward, sreluBackward, sreluForward, softmaxBackward, softmaxForward, unaryBackward, unaryForward } from '../cpu/activation';
import { biasGrad } from '../cpu/dense';
import { mseOneHot, softmaxCrossEntropy } from '../cpu/loss';
import { adamStep, sgdStep } from '../cpu/optim';
import { Arena, type Block } from './arena';
import { inlineDispatcher, type Dispatcher } from './dispatch';
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
}

/** The wasm backend: a {@link Backend} plus memory management for zero-copy buffers. */
export interface WasmBackend extends Backend {
  /** Threads that run the kernels. */
  readonly threads: number;
  /**
   * A zero-filled Float32Array of length `n` living in the backend's memory: passed to any op of this
   * backend it is read or written in place, without a copy. Free it with {@link WasmBackend.freeFloat32}.
   */
  allocFloat32(n: number): Float32Array;
  /** Returns an array from {@link WasmBackend.allocFloat32} to the backend; it must not be used afterwards. */
  freeFloat32(a: Float32Array): void;
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

  const evenSplits = new Map<string, Int32Array>();
  function even(n: number, parts: number): Int32Array {
    const key = `${n}/${parts}`;
    let s = evenSplits.get(key);
    if (s === undefined) {
      s = new Int32Array(parts + 1);
      for (let t = 0; t <= parts; t++) s[t] = Math.round((n * t) / parts);
      if (evenSplits.size > 256) evenSplits.clear();
      evenSplits.set(key, s);
    }
    return s;
  }
  function dispatcher(work: number): Dispatcher {
    return threads > 1 && work >= minParallelWork ? pool : inline;
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

  const backend: WasmBackend = {
    name: 'wasm',
    mode: 'wasm-simd',
    threads,

    spmmForward(w: CsrMatrix, x: Float32Array, batch: number, bias: Float32Array | null, y: Float32Array): Float32Array {
      const { rows, cols } = w;
      if (rows === 0 || batch === 0) return y;
      const e = resident.get(w);
      scratch.begin(w.nnz, cols * batch, rows, rows * batch);
      const vp = input(w.values, w.nnz, 'w.values');
      const xp = input(x, cols * batch, 'x');
      const bp = bias === null ? 0 : input(bias, rows, 'bias');
      const yp = output(y, rows * batch, 'y');
      const d = dispatcher(w.nnz * batch);
      d.run([{ fn: 'gatherRows', args: [e.rowPtr, e.colIdx, vp, xp, batch, bp, yp] }], resident.rowSplit(w, e, d.chunks));
      copyBack(y, yp, rows * batch);
      return y;
    },

    spmmInputGrad(w: CsrMatrix, dy: Float32Array, batch: number, dx: Float32Array): Float32Array {
      const { rows, cols } = w;
      if (cols === 0 || batch === 0) return dx;
      if (rows === 0) return dx.fill(0, 0, cols * batch);
      const e = resident.get(w);
      const t = resident.csc(w, e);
      scratch.begin(w.nnz, w.nnz, rows * batch, cols * batch);
      const vp = input(w.values, w.nnz, 'w.values');
      const wt = scratch.take(w.nnz);
      const gp = input(dy, rows * batch, 'dy');
      const xp = output(dx, cols * batch, 'dx');
      const d = dispatcher(w.nnz * batch);
      d.run(
        [
          { fn: 'permuteRows', args: [t.ptr, t.k, vp, wt] },
          { fn: 'gatherRows', args: [t.ptr, t.row, wt, gp, batch, 0, xp] },
        ],
        resident.colSplit(w, e, d.chunks),
      );
      copyBack(dx, xp, cols * batch);
      return dx;
    },

    spmmWeightGrad(w: CsrMatrix, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array): Float32Array {
      const { rows, cols } = w;
      if (w.nnz === 0) return dw;
      const e = resident.get(w);
      scratch.begin(rows * batch, cols * batch, w.nnz);
      const gp = input(dy, rows * batch, 'dy');
      const xp = input(x, cols * batch, 'x');
      const wp = output(dw, w.nnz, 'dw');
      const d = dispatcher(w.nnz * batch);
      d.run([{ fn: 'dotRows', args: [e.rowPtr, e.colIdx, gp, xp, batch, wp] }], resident.rowSplit(w, e, d.chunks));
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
      const d = dispatcher(nIn * nOut * batch);
      d.run([{ fn: 'denseGatherRows', args: [wp, nIn * 4, 4, nIn, xp, batch, bp, yp] }], even(nOut, d.chunks));
      copyBack(y, yp, nOut * batch);
      return y;
    },

    denseInputGrad(w, nIn, nOut, dy, batch, dx) {
      if (nIn === 0 || batch === 0) return dx;
      scratch.begin(nIn * nOut, nOut * batch, nIn * batch);
      const wp = input(w, nIn * nOut, 'w');
      const gp = input(dy, nOut * batch, 'dy');
      const xp = output(dx, nIn * batch, 'dx');
      const d = dispatcher(nIn * nOut * batch);
      d.run([{ fn: 'denseGatherRows', args: [wp, 4, nIn * 4, nOut, gp, batch, 0, xp] }], even(nIn, d.chunks));
      copyBack(dx, xp, nIn * batch);
      return dx;
    },

    denseWeightGrad(nIn, nOut, dy, x, batch, dw) {
      if (nIn === 0 || nOut === 0) return dw;
      scratch.begin(nOut * batch, nIn * batch, nIn * nOut);
      const gp = input(dy, nOut * batch, 'dy');
      const xp = input(x, nIn * batch, 'x');
      const wp = output(dw, nIn * nOut, 'dw');
      const d = dispatcher(nIn * nOut * batch);
      d.run([{ fn: 'denseDotRows', args: [nIn, gp, xp, batch, wp] }], even(nOut, d.chunks));
      copyBack(dw, wp, nIn * nOut);
      return dw;
    },

    biasGrad,
    unaryForward,
    unaryBackward,
    sreluForward,
    sreluBackward,
    softmaxForward,
    softmaxBackward,
    dropoutForward,
    softmaxCrossEntropy,
    mseOneHot,
    sgdStep,
    adamStep,

    allocFloat32(n: number): Float32Array {
      if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`allocFloat32 needs a non-negative integer, got ${n}`);
      const b = arena.alloc(n * 4);
      const a = arena.view(b, n);
      a.fill(0);
      allocated.set(b.offset, b);
      return a;
    },

    freeFloat32(a: Float32Array): void {
      const b = arena.owns(a) ? allocated.get(a.byteOffset) : undefined;
      if (b === undefined) throw new Error('freeFloat32: this array was not allocated by this backend (or was freed already)');
      allocated.delete(a.byteOffset);
      arena.release(b);
    },

    memoryBytes(): number {
      return arena.usedBytes;
    },

    workerShare(): number {
      return pool.workerShare();
    },

    dispose(): void {
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

function alignBytes(n: number): number {
  return Math.ceil((n * 4) / 64) * 64;
}
