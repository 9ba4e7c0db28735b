/**
 * The gpu.js modes this backend knows, and whether each can run on this machine (with the reason when it
 * cannot). Probing loads gpu.js, and for `headlessgl` the native `gl` package, lazily.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { UnknownNameError } from '../../core/errors';
import { loadGpujs, loadHeadlessGl, type GpuKernelClass, type GpujsModule } from './gpujs-api';

/**
 * gpu.js modes: `headlessgl` (OpenGL ES through the native `gl` package, needs a display), `webasm`
 * (WebAssembly with f32x4 SIMD), `cpu` (gpu.js's own JavaScript translation of the kernels) and `webgpu`
 * (WGSL compute shaders, where an adapter exists).
 */
export const GPUJS_MODES = ['headlessgl', 'webasm', 'cpu', 'webgpu'] as const;
/** A gpu.js mode name. */
export type GpujsMode = (typeof GPUJS_MODES)[number];

/** The order in which `gpujs` (no mode) picks the best mode that can run. */
export const GPUJS_PREFERENCE: readonly GpujsMode[] = ['headlessgl', 'webgpu', 'webasm', 'cpu'];

/** Whether `s` names a gpu.js mode. */
export function isGpujsMode(s: string): s is GpujsMode {
  return (GPUJS_MODES as readonly string[]).includes(s);
}

/**
 * Checks a mode name.
 * @throws {@link UnknownNameError} listing the modes.
 */
export function checkGpujsMode(s: string): GpujsMode {
  if (!isGpujsMode(s)) throw new UnknownNameError('gpu.js mode', s, GPUJS_MODES);
  return s;
}

/** The gpu.js kernel class that must run every kernel of `mode`. */
export function kernelClassOf(gpujs: GpujsModule, mode: GpujsMode): GpuKernelClass {
  switch (mode) {
    case 'headlessgl':
      return gpujs.HeadlessGLKernel;
    case 'webasm':
      return gpujs.WebAssemblyKernel;
    case 'cpu':
      return gpujs.CPUKernel;
    case 'webgpu':
      return gpujs.WebGPUKernel;
  }
}

/** The Debian packages the native `gl` package needs to build (before `npm ci`). */
export const HEADLESS_GL_BUILD_PACKAGES = 'build-essential libxi-dev libglu1-mesa-dev libglew-dev pkg-config';
/** The Debian packages headless-gl needs to run without a GPU or a desktop: a virtual display and Mesa. */
export const HEADLESS_GL_RUN_PACKAGES = 'xvfb xauth libgl1-mesa-dri';

function headlessGlReason(): string | null {
  const gl = loadHeadlessGl();
  if (typeof gl === 'string') {
    return (
      `the native package "gl" (headless-gl, an optional dependency of gpu.js) is missing or does not load (${gl}); ` +
      `npm drops it silently when its build fails: install the Debian packages ${HEADLESS_GL_BUILD_PACKAGES} ` +
      '(scripts/setup.sh does), then run npm rebuild gl'
    );
  }
  let ctx: { getExtension(name: string): unknown } | null;
  try {
    ctx = gl.create(1, 1) as typeof ctx;
  } catch (e) {
    return `headless-gl could not create a context: ${(e as Error).message}`;
  }
  if (!ctx) {
    const display = process.env.DISPLAY;
    return display
      ? `headless-gl could not create a GL context on display ${display} (is the X server running? ` +
          `are Mesa's drivers, Debian ${HEADLESS_GL_RUN_PACKAGES}, installed?)`
      : 'no X display for headless-gl (DISPLAY is not set); it needs one even off-screen: run under `xvfb-run -a` ' +
          `(Debian ${HEADLESS_GL_RUN_PACKAGES})`;
  }
  try {
    if (!ctx.getExtension('OES_texture_float')) return 'the GL context has no float textures (OES_texture_float), so single precision is impossible';
  } finally {
    (ctx.getExtension('STACKGL_destroy_context') as { destroy(): void } | null)?.destroy();
  }
  const gpujs = loadGpujs();
  if (!gpujs.HeadlessGLKernel.isSupported) {
    return 'gpu.js reports headless-gl unsupported (it checks once per process: was gpu.js loaded before the display existed?)';
  }
  return null;
}

function webgpuReason(gpujs: GpujsModule): string {
  const sync = "and gpu.js's webgpu kernels are asynchronous (every call returns a Promise), which the synchronous Backend interface cannot wait for";
  if (gpujs.WebGPUKernel.isSupported) return `navigator.gpu exists, ${sync}`;
  let why = 'navigator.gpu is missing in this Node.js';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('webgpu');
  } catch (e) {
    why += ` (the npm package webgpu, gpu.js's Dawn binding, does not load: ${(e as Error).message.split('\n')[0]})`;
  }
  return `no WebGPU adapter: ${why}; ${sync}`;
}

const reasons = new Map<string, string | null>();

/**
 * Why gpu.js cannot run `mode` here, or null when it can. Cached per mode (and, for headlessgl, per
 * value of DISPLAY).
 */
export function gpujsUnavailableReason(mode: GpujsMode): string | null {
  const key = mode === 'headlessgl' ? `${mode}@${process.env.DISPLAY ?? ''}` : mode;
  if (reasons.has(key)) return reasons.get(key)!;
  let reason: string | null;
  try {
    const gpujs = loadGpujs();
    switch (mode) {
      case 'cpu':
        reason = null;
        break;
      case 'webasm':
        reason = gpujs.WebAssemblyKernel.isSupported ? null : 'gpu.js reports WebAssembly (with SIMD) unsupported in this Node.js';
        break;
      case 'headlessgl':
        reason = headlessGlReason();
        break;
      case 'webgpu':
        reason = webgpuReason(gpujs);
        break;
    }
  } catch (e) {
    reason = (e as Error).message;
  }
  reasons.set(key, reason);
  return reason;
}

/**
 * Why headless-gl, although it runs, is not worth choosing automatically, or null when it may be: on
 * Linux without a GPU device (`/dev/dri`), Mesa renders in software (llvmpipe), slower than the CPU backend.
 */
export function headlessGlSoftwareReason(): string | null {
  if (process.platform !== 'linux') return null;
  let nodes: string[] = [];
  try {
    nodes = fs.readdirSync('/dev/dri');
  } catch {
    nodes = [];
  }
  return nodes.some((n) => n.startsWith('renderD') || n.startsWith('card'))
    ? null
    : 'no GPU device (/dev/dri), so headless-gl would render with Mesa\'s software rasteriser, slower than the CPU backend';
}

/** The best gpu.js mode that can run here (see {@link GPUJS_PREFERENCE}), and why each better one cannot. */
export function bestGpujsMode(): { mode: GpujsMode | null; skipped: string[] } {
  const skipped: string[] = [];
  for (const mode of GPUJS_PREFERENCE) {
    const why = gpujsUnavailableReason(mode);
    if (why === null) return { mode, skipped };
    skipped.push(`gpujs:${mode} (${why})`);
  }
  return { mode: null, skipped };
}

/** The gpu.js modes that can run here, in preference order. */
export function availableGpujsModes(): GpujsMode[] {
  return GPUJS_PREFERENCE.filter((m) => gpujsUnavailableReason(m) === null);
}
