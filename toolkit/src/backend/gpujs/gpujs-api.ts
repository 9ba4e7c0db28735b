/**
 * The small part of the gpu.js API this backend uses, typed structurally, and the lazy loader of the
 * package. gpu.js (and its optional native `gl`) is `require`d the first time a gpu.js backend is asked
 * for, never when the toolkit is imported, so the CPU path works where gpu.js or its native parts are
 * absent.
 *
 * @packageDocumentation
 */
import { BackendUnavailableError } from '../../core/errors';

/** A kernel class of gpu.js (`HeadlessGLKernel`, `WebAssemblyKernel`, `CPUKernel`, ...). */
export interface GpuKernelClass {
  readonly name: string;
  readonly isSupported: boolean;
  readonly features?: { readonly maxTextureSize?: number } | null;
}

/** A kernel as `gpu.createKernel` returns it: callable, with its backend instance in `kernel`. */
export interface GpuKernel {
  (...args: unknown[]): unknown;
  /** The backend kernel that really runs; replaced by a cpu kernel when gpu.js degrades it. */
  readonly kernel: {
    readonly constructor: GpuKernelClass;
    readonly fallbackReason?: string | null;
    /** The output texture of a pipelined GL kernel (its `texture` is the GL handle). */
    readonly texture?: { readonly texture?: unknown } | null;
  } | null;
  setOutput(output: number[]): GpuKernel;
  destroy(removeCanvasReferences?: boolean): void;
}

/** A pipelined kernel result living in GPU memory (GL modes). */
export interface GpuTexture {
  toArray(): Float32Array | Float32Array[];
  /** A second handle on the same device texture (reference-counted); a kernel's next run leaves it intact. */
  clone(): GpuTexture;
  /** The GL texture handle, shared by clones. */
  readonly texture?: unknown;
  /** The output shape of the kernel that rendered it. */
  readonly output?: readonly number[];
  delete(): void;
}

/** The settings this backend passes to `gpu.createKernel`. */
export interface GpuKernelSettings {
  output: number[];
  pipeline: boolean;
  immutable: boolean;
  dynamicOutput: boolean;
  dynamicArguments: boolean;
  precision: 'single';
  tactic: 'precision';
  loopMaxIterations: number;
}

/** A `GPU` instance. */
export interface GpuInstance {
  createKernel(source: string, settings: GpuKernelSettings): GpuKernel;
  destroy(): unknown;
}

/** The exports of the `gpu.js` package this backend uses. */
export interface GpujsModule {
  readonly GPU: new (settings: { mode: string }) => GpuInstance;
  readonly CPUKernel: GpuKernelClass;
  readonly HeadlessGLKernel: GpuKernelClass;
  readonly WebAssemblyKernel: GpuKernelClass;
  readonly WebGPUKernel: GpuKernelClass;
}

let loaded: GpujsModule | null = null;
let loadError: string | null = null;

/**
 * The `gpu.js` module, required on first use.
 * @throws {@link BackendUnavailableError} when the package is not installed or fails to load.
 */
export function loadGpujs(): GpujsModule {
  if (loaded) return loaded;
  if (loadError === null) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require('gpu.js') as GpujsModule;
      return loaded;
    } catch (e) {
      loadError = (e as Error).message.split('\n')[0]!;
    }
  }
  throw new BackendUnavailableError(`the npm package gpu.js cannot be loaded (${loadError}); install the toolkit's dependencies with npm ci`);
}

/** The native `gl` package (headless-gl), or the reason it cannot be loaded. */
export function loadHeadlessGl(): { create: (w: number, h: number, opts?: object) => unknown } | string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const create = require('gl') as (w: number, h: number, opts?: object) => unknown;
    return { create };
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  }
}
