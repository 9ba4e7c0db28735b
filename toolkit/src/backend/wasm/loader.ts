/**
 * Finds and compiles the WebAssembly kernels (`kernels.wasm`, built by `scripts/build-wasm.sh` from
 * `assembly/index.ts` and the kernel families it exports). Nothing is built at run time: when the file is missing the wasm backend is
 * unavailable and says why.
 *
 * Lookup order: the `SYNAPSES_WASM` environment variable (a path to the .wasm file), then
 * `<toolkit package root>/dist/wasm/kernels.wasm`. The package root is found relative to this file, which
 * sits at `src/backend/wasm/` (sources, run by vitest or tsx) or `dist/backend/wasm/` (the build); both are
 * three folders below it.
 *
 * @packageDocumentation
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { KERNEL_NAMES } from './dispatch';
import { requireWebAssembly, webAssembly, type WasmMemory, type WasmModule } from './wasm-api';

/** Where the kernels are looked for when `SYNAPSES_WASM` is not set. */
export function defaultWasmPath(): string {
  return resolve(__dirname, '..', '..', '..', 'dist', 'wasm', 'kernels.wasm');
}

/** The path that {@link loadKernelModule} reads. */
export function wasmPath(): string {
  const env = process.env['SYNAPSES_WASM'];
  return env !== undefined && env !== '' ? resolve(env) : defaultWasmPath();
}

/** Memory limits the module was compiled for (`--initialMemory 1 --maximumMemory 65536 --sharedMemory`). */
export const WASM_MAX_PAGES = 65536;

/** The exports of kernels.wasm (byte addresses and counts, see assembly/index.ts). */
export interface KernelExports {
  gatherRows(ptr: number, idx: number, val: number, src: number, batch: number, bias: number, out: number, r0: number, r1: number): void;
  permuteRows(ptr: number, perm: number, val: number, dst: number, r0: number, r1: number): void;
  denseGatherRows(
    w: number, rowStep: number, termStep: number, nTerms: number, src: number, batch: number, bias: number, out: number, r0: number, r1: number,
  ): void;
  dotRows(ptr: number, idx: number, dy: number, x: number, batch: number, dw: number, db: number, r0: number, r1: number): void;
  denseDotRows(nIn: number, dy: number, x: number, batch: number, dw: number, r0: number, r1: number): void;
  biasRows(dy: number, batch: number, db: number, r0: number, r1: number): void;
  scatterRows(ptr: number, idx: number, val: number, dy: number, batch: number, dx: number, r0: number, r1: number): void;
  backwardRows(
    ptr: number, idx: number, val: number, dy: number, x: number, batch: number, dw: number, db: number, dx: number, r0: number, r1: number,
  ): void;
  backwardTasks(
    ptr: number, idx: number, val: number, dy: number, x: number, batch: number, dw: number, db: number, dx: number,
    rows: number, cols: number, t0: number, t1: number,
  ): void;
  backwardColumns(
    ptr: number, row: number, k: number, valT: number, dy: number, x: number, batch: number, dx: number, dw: number, epi: number,
    acc: number, slotBytes: number, blockBytes: number, dbIn: number, c0: number, c1: number,
  ): void;
  gatherRowsRect(
    ptr: number, idx: number, val: number, src: number, batch: number, bias: number, out: number, epi: number, r0: number, r1: number,
  ): void;
  rectifyBackRows(epi: number, g: number, a: number, batch: number, r0: number, r1: number): void;
  scatterColumns(
    ptr: number, row: number, valT: number, x: number, batch: number, bias: number, y: number, rows: number, cols: number, b0: number, b1: number,
  ): void;
  dropoutRange(x: number, y: number, mask: number, k0: number, k1: number, threshold: number, scaleBits: number, i0: number, i1: number): void;
  maskRange(x: number, mask: number, y: number, scaleBits: number, i0: number, i1: number): void;
  rectifyRange(op: number, x: number, y: number, alphaBits: number, i0: number, i1: number): void;
  rectifyBackRange(op: number, x: number, dy: number, dx: number, alphaBits: number, i0: number, i1: number): void;
  sgdRange(param: number, grad: number, vel: number, hyper: number, nesterov: number, i0: number, i1: number): void;
  sgdTable(table: number, count: number, nesterov: number, i0: number, i1: number): void;
  backwardSplit(
    ptr: number, idx: number, dy: number, x: number, batch: number, dw: number, db: number,
    tPtr: number, tRow: number, tK: number, val: number, valT: number, dx: number, epi: number, a: number, dbIn: number, rows: number,
    r0: number, r1: number,
  ): void;
  heapBase(): number;
}

// A tiny module returning i8x16.popcnt(i8x16.splat(0)): validates only where WebAssembly SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62, 0x0b,
]);

let cached: { module: WasmModule } | { error: string } | undefined;

/** Why the kernels cannot be used here, or null when they can. Compiles the module once per process. */
export function wasmUnavailableReason(): string | null {
  const r = tryLoad();
  return 'error' in r ? r.error : null;
}

/**
 * The compiled kernels module (compiled once per process, shared with worker threads).
 * @throws Error saying why when WebAssembly SIMD, shared memory or the .wasm file is missing.
 */
export function loadKernelModule(): WasmModule {
  const r = tryLoad();
  if ('error' in r) throw new Error(`wasm backend unavailable: ${r.error}`);
  return r.module;
}

function tryLoad(): { module: WasmModule } | { error: string } {
  if (cached !== undefined) return cached;
  cached = load();
  return cached;
}

function load(): { module: WasmModule } | { error: string } {
  const WA = webAssembly();
  if (WA === undefined) return { error: 'this JavaScript engine has no WebAssembly' };
  if (typeof SharedArrayBuffer !== 'function') return { error: 'SharedArrayBuffer is not available' };
  try {
    if (!WA.validate(SIMD_PROBE)) return { error: 'this engine does not support WebAssembly SIMD (128-bit)' };
  } catch (e) {
    return { error: `WebAssembly SIMD probe failed: ${(e as Error).message}` };
  }
  const path = wasmPath();
  if (!existsSync(path)) {
    return { error: `${path} not found; build it with scripts/build-wasm.sh (npm run setup does)` };
  }
  let module: WasmModule;
  try {
    module = compileOptimized(() => new WA.Module(readFileSync(path)));
  } catch (e) {
    return { error: `could not compile ${path}: ${(e as Error).message}` };
  }
  // A kernels.wasm built from older sources lacks kernels this toolkit calls: say so now, not mid-training.
  const have = new Set(WA.Module.exports(module).map((e) => e.name));
  const missing = [...KERNEL_NAMES, 'heapBase'].filter((n) => !have.has(n));
  if (missing.length) {
    return { error: `${path} is out of date (it lacks ${missing.join(', ')}); rebuild it with scripts/build-wasm.sh --force` };
  }
  return { module };
}

/**
 * Runs `compile` with V8's optimizing compiler only. By default V8 first compiles WebAssembly with its
 * baseline compiler (Liftoff) and re-compiles hot functions later, in the background; each kernel call is
 * one long loop, which keeps running the baseline code until it returns, and on two cores the background
 * compiler competes with the kernels, so the first epochs run markedly slower until the kernels tier up
 * (figures: docs/bench.md). The kernels are small, so
 * compiling them optimized at once costs a few milliseconds. The flag is process-wide, so it is set for
 * this compilation only and restored afterwards (unless node was started with --no-liftoff).
 */
function compileOptimized<T>(compile: () => T): T {
  if (typeof process === 'undefined' || process.execArgv.includes('--no-liftoff')) return compile();
  setFlagsFromString('--no-liftoff');
  try {
    return compile();
  } finally {
    setFlagsFromString('--liftoff');
  }
}

/** Instantiates the kernels over `memory` (must be the shared memory the module imports). */
export function instantiateKernels(module: WasmModule, memory: WasmMemory): KernelExports {
  const WA = requireWebAssembly();
  const instance = new WA.Instance(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}
