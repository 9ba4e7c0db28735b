/**
 * What the wasm backend's op families share: the memory and its marshalling, the resident topologies, the
 * kernels on the calling thread and the thread pool, and the plan's settings. index.ts builds one per backend
 * and hands it to each family (sparse.ts, sparse-fused.ts, dense.ts, elementwise.ts, loss.ts, optim.ts).
 *
 * @packageDocumentation
 */
import type { Arena } from './arena';
import type { Dispatcher } from './dispatch';
import type { KernelExports } from './loader';
import type { WasmIo } from './memory';
import { evenSplit, parallelParts, type PlanSettings } from './plan';
import type { ResidentCache } from './resident';

/** The state of one wasm backend that its ops share. */
export class WasmContext {
  private readonly splitCache = new Map<string, Int32Array>();

  constructor(
    readonly arena: Arena,
    readonly io: WasmIo,
    readonly resident: ResidentCache,
    /** The kernels, called directly on the calling thread (the scatter, which one thread runs in row order). */
    readonly kernels: KernelExports,
    /** Runs jobs on the calling thread. */
    readonly inline: Dispatcher,
    /** Runs jobs on the worker threads and the calling thread (`inline` when single-threaded). */
    readonly pool: Dispatcher,
    readonly settings: PlanSettings,
  ) {}

  /** Chunks for a job of `work` multiply-adds (plan.ts, {@link parallelParts}). */
  parts(work: number): number {
    return parallelParts(work, this.settings);
  }

  /** The dispatcher for a job cut into `parts` chunks: the calling thread alone for 1. */
  on(parts: number): Dispatcher {
    return parts === 1 ? this.inline : this.pool;
  }

  /** Boundaries of `parts` near-equal row ranges of [0, n). */
  even(n: number, parts: number): Int32Array {
    return this.split(n, parts, 1);
  }

  /** Boundaries of `parts` near-equal ranges of `batch` lanes, cut at multiples of 4 (one vector). */
  lanes(batch: number, parts: number): Int32Array {
    return this.split(batch, parts, 4);
  }

  /** Boundaries of `parts` near-equal element ranges of [0, n), cut at multiples of 16 (one 64-byte line). */
  flat(n: number, parts: number): Int32Array {
    return this.split(n, parts, 16);
  }

  /** {@link evenSplit}, cached: the same shapes come back every step. */
  private split(n: number, parts: number, align: number): Int32Array {
    const key = `${n}/${parts}/${align}`;
    let s = this.splitCache.get(key);
    if (s === undefined) {
      s = evenSplit(n, parts, align);
      if (this.splitCache.size > 256) this.splitCache.clear();
      this.splitCache.set(key, s);
    }
    return s;
  }
}

const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);
/** The int32 bit pattern of `v` rounded to float32 (how float scalars cross the worker protocol). */
export function f32Bits(v: number): number {
  bitsF32[0] = v;
  return bitsI32[0]!;
}
