/**
 * One gpu.js instance in one mode, with its compiled kernels, its uploads and its read-backs.
 *
 * Device data: in GL modes an array a kernel reads is a texture. Every array argument of a compute kernel
 * therefore goes through {@link GpujsContext.upload} (once per op call, shared by all the kernels of the op)
 * or {@link GpujsContext.resident} (once per topology, see topology.ts), and results that feed another
 * kernel stay textures (`pipeline: true`): only an op's final outputs are read back. In the cpu and webasm
 * modes gpu.js has no device memory ("pipelined" results are typed arrays), so an upload is the array itself.
 * Keeping argument kinds fixed per kernel (always textures in GL, always Float32Arrays otherwise) also keeps
 * each kernel's compiled signature fixed.
 *
 * Residency (GL modes, on unless turned off): an op's outputs are not read back. Each stays on the device as
 * the MIRROR of the caller's array (a texture handle kept per array extent), and the next op that takes that
 * array as an input reads the texture; so a training step moves only its batch in and its loss and
 * predictions out. The host copy of a mirrored array is stale until {@link GpujsContext.sync} reads every
 * mirror back and forgets them all (the next use uploads again, so the host may then write freely). Ops that
 * read or write an array on the host call {@link GpujsContext.hostRead} or
 * {@link GpujsContext.beforeHostWrite} first. A strict context (tests) fills a stale host copy with NaN, and
 * throws when an op is given a mirrored array whose host copy was written since: both mistakes, reading a
 * stale array and writing one in place without a sync, then fail loudly instead of silently.
 *
 * Every call checks that the kernel really ran in the mode asked for: gpu.js degrades some kernels to its
 * cpu backend with only a console warning, and this backend must never be silently replaced.
 *
 * @packageDocumentation
 */
import { BackendUnavailableError } from '../../core/errors';
import { loadGpujs, type GpuInstance, type GpuKernel, type GpuKernelClass, type GpuTexture } from './gpujs-api';
import type { ModeLimits } from './limits';
import { kernelClassOf, type GpujsMode } from './modes';

/** An array as kernels read it: a texture in GL modes, a Float32Array otherwise. */
export type DeviceArray = Float32Array | GpuTexture;

/** A kernel: its name (unique per context) and its gpu.js source, a `function (...) { ... }` string. */
export interface KernelDef {
  readonly name: string;
  readonly source: string;
  /** Keep the result on the device for another kernel (a texture in GL modes). Default false. */
  readonly pipeline?: boolean;
}

/** Counters of the work a context did; tests use them to prove what stays on the device. */
export interface ContextStats {
  /** Kernel launches (uploads excluded). */
  kernelRuns: number;
  /** Per-call uploads of an op's inputs (GL modes). */
  uploads: number;
  /** Uploads of topology arrays that stay on the device (GL modes) or are converted once (other modes). */
  residentUploads: number;
  /** Results read back to the host. */
  readbacks: number;
  /** Distinct kernels built (one per kernel and loop bound). */
  kernels: number;
  /** Op outputs left on the device as mirrors instead of being read back (residency). */
  deferred: number;
  /** Op inputs served from a mirror on the device instead of an upload (residency). */
  deviceHits: number;
  /** Mirrors read back by {@link GpujsContext.sync} or {@link GpujsContext.hostRead}. */
  syncReadbacks: number;
}

/** How a context keeps op outputs. */
export interface ResidencyOptions {
  /** Keep op outputs on the device (GL modes only; the other modes have no device memory). */
  readonly resident: boolean;
  /** Fill stale host copies with NaN and check them before device use (tests; costs a host pass per array). */
  readonly strict: boolean;
}

/** An op output kept on the device for the array extent `[start, end)` (bytes) of `view.buffer`. */
interface Mirror {
  readonly view: Float32Array;
  readonly start: number;
  readonly end: number;
  readonly tex: GpuTexture;
}

const UPLOAD_SOURCE = 'function (a) { return a[this.thread.x]; }';

/** Rounds a loop bound up to a power of two (at least 8), so that small changes do not recompile. */
export function loopBound(n: number): number {
  let b = 8;
  while (b < n) b *= 2;
  return b;
}

/** A gpu.js instance in one mode. */
export class GpujsContext {
  readonly gpu: GpuInstance;
  /** Whether kernels exchange textures (GL modes) rather than typed arrays. */
  readonly textures: boolean;
  readonly limits: ModeLimits;
  readonly stats: ContextStats = { kernelRuns: 0, uploads: 0, residentUploads: 0, readbacks: 0, kernels: 0, deferred: 0, deviceHits: 0, syncReadbacks: 0 };
  /** Whether op outputs stay on the device (GL modes with residency on). */
  readonly residentOutputs: boolean;
  private readonly strict: boolean;
  /** Live mirrors by the buffer they mirror a part of; every mirror's host copy is stale. */
  private readonly mirrors = new Map<ArrayBufferLike, Mirror[]>();
  /**
   * Textures of mirrors dropped during an op: an earlier argument or kernel of the same op may still use
   * them (aliased or overlapping arrays), so they are deleted when the op frees its temporaries.
   */
  private graveyard: GpuTexture[] = [];
  private readonly expected: GpuKernelClass;
  private readonly kernels = new Map<string, { k: GpuKernel; out: string }>();
  private uploader: { k: GpuKernel; out: string } | null = null;
  /** Device-to-device copies into a new 1-D texture, one kernel per source texture class (gpu.js compiles per class). */
  private readonly copiers = new Map<unknown, { k: GpuKernel; out: string }>();
  private readonly scratch = new Map<string, Float32Array>();

  /** @throws {@link BackendUnavailableError} when gpu.js cannot start in `mode`. */
  constructor(
    readonly mode: GpujsMode,
    residency: ResidencyOptions = { resident: true, strict: false },
  ) {
    const gpujs = loadGpujs();
    this.expected = kernelClassOf(gpujs, mode);
    try {
      this.gpu = new gpujs.GPU({ mode });
    } catch (e) {
      throw new BackendUnavailableError(`gpu.js cannot start in mode ${mode}: ${(e as Error).message}`);
    }
    this.textures = mode === 'headlessgl';
    this.residentOutputs = this.textures && residency.resident;
    this.strict = residency.strict;
    const maxTextureSize = this.textures ? (gpujs.HeadlessGLKernel.features?.maxTextureSize ?? 4096) : Infinity;
    this.limits = { label: `gpujs:${mode}`, maxTextureSize };
  }

  private build(def: KernelDef, loop: number, pipeline: boolean, immutable: boolean): { k: GpuKernel; out: string } {
    this.stats.kernels++;
    const k = this.gpu.createKernel(def.source, {
      output: [1],
      pipeline,
      immutable,
      dynamicOutput: true,
      dynamicArguments: true,
      precision: 'single',
      tactic: 'precision',
      loopMaxIterations: loop,
    });
    return { k, out: '1' };
  }

  private invoke(entry: { k: GpuKernel; out: string }, name: string, output: number[], args: unknown[]): unknown {
    const key = output.join('x');
    if (entry.out !== key) {
      entry.k.setOutput(output);
      entry.out = key;
    }
    const result = entry.k(...args);
    const ran = entry.k.kernel?.constructor;
    if (ran !== this.expected) {
      throw new BackendUnavailableError(
        `gpu.js ran kernel ${name} with ${ran?.name ?? 'no kernel'} instead of ${this.expected.name} (mode ${this.mode})` +
          (entry.k.kernel?.fallbackReason ? `: ${entry.k.kernel.fallbackReason}` : ''),
      );
    }
    return result;
  }

  /**
   * Runs kernel `def` over `output` (`[n]` or `[width, height]`; thread.x runs along the width).
   * @param loop - the longest loop any thread runs (rounded up by {@link loopBound}); gpu.js stops every
   *   loop after `loopMaxIterations` passes, silently, so it must cover the longest row.
   * @returns the result: a typed array (or rows of one) for a final kernel; for a pipelined kernel a
   *   texture in GL modes, a typed array otherwise.
   */
  run(def: KernelDef, loop: number, output: number[], ...args: unknown[]): unknown {
    const bound = loopBound(loop);
    const key = `${def.name}|${bound}`;
    let entry = this.kernels.get(key);
    if (!entry) {
      // Pipelining means textures, so only GL modes pipeline. In the others it buys nothing, and gpu.js's cpu
      // mode even keeps a pipelined kernel's first result buffer when its output is resized (stale sizes).
      // With residency every kernel returns a texture: an op's outputs then stay on the device.
      entry = this.build(def, bound, this.textures && (this.residentOutputs || (def.pipeline ?? false)), false);
      this.kernels.set(key, entry);
    }
    this.stats.kernelRuns++;
    // A mutable pipelined kernel cannot read the texture it renders into, and a mirror may still share the
    // kernel's current output texture (its clone); such an argument is read from a copy.
    const own = entry.k.kernel?.texture?.texture;
    let copies: GpuTexture[] | null = null;
    if (own !== undefined) {
      for (let i = 0; i < args.length; i++) {
        const a = args[i] as GpuTexture | null;
        if (a !== null && typeof a === 'object' && !ArrayBuffer.isView(a) && a.texture === own) {
          const copy = this.flatten(a, (a.output ?? [0]).reduce((p, q) => p * q, 1));
          (copies ??= []).push(copy);
          args[i] = copy;
        }
      }
    }
    try {
      return this.invoke(entry, def.name, output, args);
    } finally {
      if (copies) for (const c of copies) c.delete();
    }
  }

  /** A new 1-D texture holding the first `length` values of `t` in flat order (`y * width + x` for 2-D ones). */
  private flatten(t: GpuTexture, length: number): GpuTexture {
    let copier = this.copiers.get(t.constructor);
    if (!copier) {
      copier = this.build({ name: 'copy', source: UPLOAD_SOURCE }, 8, true, true);
      this.copiers.set(t.constructor, copier);
    }
    this.stats.kernelRuns++;
    return this.invoke(copier, 'copy', [length], [t]) as GpuTexture;
  }

  private uploadRaw(a: Float32Array): GpuTexture {
    if (!this.uploader) this.uploader = this.build({ name: 'upload', source: UPLOAD_SOURCE }, 8, true, true);
    return this.invoke(this.uploader, 'upload', [Math.max(a.length, 1)], [a.length === 0 ? new Float32Array(1) : a]) as GpuTexture;
  }

  /** `a` as a Float32Array: itself, or converted into a reusable scratch buffer named `slot`. */
  asFloat32(a: Float32Array | Int32Array | Uint8Array, slot: string): Float32Array {
    if (a instanceof Float32Array) return a;
    let s = this.scratch.get(slot);
    if (!s || s.length < a.length) {
      s = new Float32Array(a.length);
      this.scratch.set(slot, s);
    }
    const view = s.length === a.length ? s : s.subarray(0, a.length);
    for (let i = 0; i < a.length; i++) view[i] = a[i]!;
    return view;
  }

  /**
   * An op input on the device for the duration of one op: a texture to pass to the op's kernels (GL modes;
   * register it with `temps` and release them at the end), or the array itself. Non-float arrays are
   * converted through scratch buffer `slot` first.
   */
  upload(a: Float32Array | Int32Array | Uint8Array, slot: string, temps: GpuTexture[]): DeviceArray {
    if (this.residentOutputs && a instanceof Float32Array) {
      const m = this.mirrorOf(a);
      if (m !== null) {
        if (this.strict) this.checkPoisoned(m);
        this.stats.deviceHits++;
        return m.tex;
      }
      // Part of the array may be mirrored under another extent: bring that part home before uploading.
      this.hostRead(a);
    }
    const f = this.asFloat32(a, slot);
    if (!this.textures) return f;
    this.stats.uploads++;
    const t = this.uploadRaw(f);
    temps.push(t);
    return t;
  }

  /** A long-lived copy of `a` on the device (an owned Float32Array in the other modes); free it with {@link GpujsContext.free}. */
  resident(a: ArrayLike<number>): DeviceArray {
    this.stats.residentUploads++;
    const f = Float32Array.from(a);
    return this.textures ? this.uploadRaw(f) : f;
  }

  /** Releases device arrays made by {@link GpujsContext.upload} or {@link GpujsContext.resident}. */
  free(arrays: readonly DeviceArray[]): void {
    if (!this.textures) return;
    for (const a of arrays) (a as GpuTexture).delete();
    this.bury();
  }

  private mirrorOf(a: Float32Array): Mirror | null {
    const list = this.mirrors.get(a.buffer);
    if (list === undefined) return null;
    const start = a.byteOffset, end = start + a.byteLength;
    for (const m of list) if (m.start === start && m.end === end) return m;
    return null;
  }

  /** Mirrors of `a.buffer` overlapping `a`'s extent. */
  private overlapping(a: Float32Array): Mirror[] {
    const list = this.mirrors.get(a.buffer);
    if (list === undefined) return [];
    const start = a.byteOffset, end = start + a.byteLength;
    return list.filter((m) => m.start < end && start < m.end);
  }

  private readBack(m: Mirror): void {
    if (this.strict) this.checkPoisoned(m);
    this.stats.syncReadbacks++;
    this.stats.readbacks++;
    const r = m.tex.toArray();
    if (Array.isArray(r)) {
      let o = 0;
      for (const row of r) {
        const n = Math.min(row.length, m.view.length - o);
        m.view.set(n === row.length ? row : row.subarray(0, n), o);
        o += n;
      }
    } else {
      m.view.set(r.length === m.view.length ? r : r.subarray(0, m.view.length));
    }
  }

  private drop(m: Mirror): void {
    const list = this.mirrors.get(m.view.buffer)!;
    list.splice(list.indexOf(m), 1);
    if (list.length === 0) this.mirrors.delete(m.view.buffer);
    this.graveyard.push(m.tex);
  }

  private checkPoisoned(m: Mirror): void {
    const v = m.view;
    for (let i = 0; i < v.length; i++) {
      if (v[i] === v[i]) {
        throw new Error(
          `gpujs:${this.mode} residency: element ${i} of an array of ${v.length} was written on the host while the array's ` +
            'current values were on the device; call backend.memory.sync() before writing arrays that ops produced',
        );
      }
    }
  }

  /**
   * Makes the host copy of `a` current before the host reads it: overlapping mirrors are read back, then
   * forgotten (the next op that reads `a` uploads it again).
   */
  hostRead(a: Float32Array): void {
    if (!this.residentOutputs) return;
    for (const m of this.overlapping(a)) {
      this.readBack(m);
      this.drop(m);
    }
  }

  /**
   * Call before the host overwrites `a`, or its first `length` values: mirrors inside that range are
   * forgotten, and mirrors that only partly overlap it are read back first, so the values outside survive.
   */
  beforeHostWrite(a: Float32Array, length = a.length): void {
    if (!this.residentOutputs) return;
    if (length < a.length) a = a.subarray(0, length);
    const start = a.byteOffset, end = start + a.byteLength;
    for (const m of this.overlapping(a)) {
      if (m.start < start || m.end > end) this.readBack(m);
      this.drop(m);
    }
  }

  /** Reads every mirror back into its array and forgets them all; afterwards the host may read and write anything. */
  sync(): void {
    for (const list of [...this.mirrors.values()]) {
      for (const m of [...list]) {
        this.readBack(m);
        this.drop(m);
      }
    }
    this.bury();
  }

  private bury(): void {
    for (const t of this.graveyard) t.delete();
    this.graveyard = [];
  }

  /** Number of arrays whose current values are on the device only. */
  get mirrored(): number {
    let n = 0;
    for (const list of this.mirrors.values()) n += list.length;
    return n;
  }

  /**
   * An op's output array: with residency the result stays on the device as `out`'s mirror (when it covers
   * `out` exactly, `length` values); otherwise it is read back into `out` like {@link GpujsContext.read1d}.
   */
  result1d(result: unknown, out: Float32Array, length: number): Float32Array {
    if (!this.keep(result, out, length, false)) this.read1d(result, out);
    return out;
  }

  /** The 2-D form of {@link GpujsContext.result1d} (see {@link GpujsContext.read2d}). */
  result2d(result: unknown, out: Float32Array, width: number, height: number): Float32Array {
    if (!this.keep(result, out, width * height, true)) this.read2d(result, out, width, height);
    return out;
  }

  private keep(result: unknown, out: Float32Array, length: number, twoD: boolean): boolean {
    if (!this.residentOutputs || out.length !== length || result instanceof Float32Array || Array.isArray(result)) {
      this.beforeHostWrite(out, length);
      return false;
    }
    // Mirrors must be 1-D textures like uploads: gpu.js compiles a kernel for the texture class of each
    // argument and cannot switch between 1-D and 2-D ones. A 2-D result is copied into a new 1-D texture on
    // the device (flat index y * width + x, the feature-major order). Otherwise a second handle on the
    // kernel's output texture: the kernel's next run detaches from it (gpu.js renders into a new texture
    // while a clone is outstanding), so this one keeps these values.
    const tex = twoD ? this.flatten(result as GpuTexture, length) : (result as GpuTexture).clone();
    this.beforeHostWrite(out);
    const m: Mirror = { view: out, start: out.byteOffset, end: out.byteOffset + out.byteLength, tex };
    const list = this.mirrors.get(out.buffer);
    if (list) list.push(m);
    else this.mirrors.set(out.buffer, [m]);
    this.stats.deferred++;
    if (this.strict) out.fill(NaN);
    return true;
  }

  /** A result as host arrays: pipelined results (textures, GL modes) are read back, others are already arrays. */
  private host(result: unknown): Float32Array | Float32Array[] {
    this.stats.readbacks++;
    return result instanceof Float32Array || Array.isArray(result) ? result : (result as GpuTexture).toArray();
  }

  /** Copies a 1-D result (typed array or texture) into `out` (its first `out.length` values). */
  read1d(result: unknown, out: Float32Array): Float32Array {
    const r = this.host(result) as Float32Array;
    out.set(r.length === out.length ? r : r.subarray(0, out.length));
    return out;
  }

  /**
   * Copies a 2-D result `[width, height]` into `out`, row `y` at `out[y * width ...]`. gpu.js returns 2-D
   * outputs as `result[y][x]`: one array per y, so y is the neuron and x the sample (feature-major).
   */
  read2d(result: unknown, out: Float32Array, width: number, height: number): Float32Array {
    const r = this.host(result);
    if (Array.isArray(r)) {
      for (let y = 0; y < height; y++) {
        const row = r[y]!;
        out.set(row.length === width ? row : row.subarray(0, width), y * width);
      }
    } else {
      out.set(r.subarray(0, width * height));
    }
    return out;
  }

  /** Destroys the gpu.js instance and its kernels; the context must not be used afterwards. */
  destroy(): void {
    for (const list of this.mirrors.values()) for (const m of list) m.tex.delete();
    this.mirrors.clear();
    this.bury();
    this.kernels.clear();
    this.uploader = null;
    this.copiers.clear();
    void this.gpu.destroy();
  }
}
