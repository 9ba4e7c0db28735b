/**
 * The gpu.js backend: every op of the {@link Backend} interface as gpu.js kernels, in an explicit gpu.js
 * mode (`headlessgl`, `webasm`, `cpu`; `webgpu` is recognised and reported unavailable, see modes.ts).
 * Checked against the CPU reference by the shared backend test suite at a per-mode tolerance.
 *
 * - Lazy: gpu.js (and the native `gl` for headlessgl) is required when a backend is created, never when the
 *   toolkit is imported (gpujs-api.ts).
 * - Honest: the mode that runs is the mode asked for, checked on every kernel call (context.ts); a mode
 *   that cannot run is a {@link BackendUnavailableError} that says why.
 * - Device-resident where gpu.js allows (GL modes; gpu.js has no device memory in the cpu and webasm modes):
 *   topology index arrays are uploaded once per topology (topology.ts); each op chains its kernels on the
 *   device (pipelined textures); and op outputs stay on the device as mirrors of the caller's arrays, read by
 *   the next op without a round trip, until {@link Backend.sync} brings them home (context.ts). A training
 *   step on headlessgl therefore uploads its batch and dropout masks and reads back only its loss and
 *   predictions; the training loop syncs before evolution, checks and checkpoints.
 * - The gpu.js traps (ENVIRONMENT-NOTES.md), each tested in test/backend-gpujs/traps.test.ts: loop bounds
 *   come from the data (longest row or column, batch, features), rounded up to a power of two, because gpu.js
 *   silently stops loops at `loopMaxIterations`; changing array sizes use `dynamicArguments` and
 *   `dynamicOutput`; indices above 2^24 and outputs larger than a texture are clear errors (limits.ts);
 *   2-D outputs are `[batch, neurons]` so that `result[y][x]` is feature-major; only GL modes pipeline
 *   (gpu.js's cpu mode keeps a pipelined kernel's first result buffer when its output size changes).
 * - The optional counter-based `dropout` op computes its mask on the host with the reference's function (its
 *   32-bit integer hash has no exact form in GLSL ES 1.0, which lacks integer bit operations) and applies it
 *   with this backend's `dropoutForward` kernel.
 * - The sparse-batch ops of the first layer on wide data (`sparseInputForward`, `sparseInputWeightGrad`) run
 *   on the host with the CPU reference's loops: a gpu.js kernel reads dense textures only, and a texture of
 *   `nFeatures * batch` inputs is exactly what sparse batches avoid. The arrays they read are brought home
 *   first (`hostRead`) and the arrays they write leave the device (`beforeHostWrite`), so the next kernel
 *   uploads the host's values.
 *
 * @example
 * ```ts
 * const be = gpujsBackend('webasm');
 * be.spmmForward(w, x, batch, bias, y); // be.mode === 'webasm'
 * ```
 *
 * @packageDocumentation
 */
import { dropoutMask, dropoutScale } from '../cpu/dropout';
import { sparseInputForward, sparseInputWeightGrad } from '../cpu/sparse-input';
import type { Backend } from '../backend';
import { BackendUnavailableError } from '../../core/errors';
import { ActivationOps } from './activation';
import { GpujsContext, type ContextStats, type ResidencyOptions } from './context';
import { DenseOps } from './dense';
import { LossOps } from './loss';
import { checkGpujsMode, gpujsUnavailableReason, type GpujsMode } from './modes';
import { OptimOps } from './optim';
import { SparseOps } from './sparse';
import { TopologyCache } from './topology';

export { GPUJS_MODES, GPUJS_PREFERENCE, availableGpujsModes, bestGpujsMode, gpujsUnavailableReason, headlessGlSoftwareReason, isGpujsMode, type GpujsMode } from './modes';
export { INDEX_LIMIT } from './limits';
export type { ContextStats, ResidencyOptions } from './context';

/** A gpu.js {@link Backend}, with the optional fused sparse backward and counters of its device traffic. */
export interface GpujsBackend extends Backend {
  readonly name: 'gpujs';
  readonly mode: GpujsMode;
  /** Counters of kernel runs, uploads and read-backs since the context was created. */
  readonly stats: ContextStats;
  /** Whether op outputs stay on the device between ops (GL modes with residency on). */
  readonly resident: boolean;
  /** Arrays whose current values are on the device only (0 right after {@link Backend.sync}). */
  mirrored(): number;
  /** Reads every array whose current values are on the device back to the host (see {@link Backend.sync}). */
  sync(arrays?: readonly Float32Array[]): void;
  /** Matrices whose index arrays were uploaded (one per topology, so one per evolution event and layer). */
  topologyUploads(): number;
  /**
   * Weight, bias and (when `dx` is given) input gradients of a sparse layer in one call, `dy` and `x`
   * uploaded once. Same results as the three separate ops.
   */
  spmmBackward(
    w: Parameters<Backend['spmmWeightGrad']>[0], dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array, db: Float32Array, dx: Float32Array | null,
  ): Float32Array | null;
  /** Frees the gpu.js instance of this mode; later backends of the mode start a new one. */
  dispose(): void;
}

/** Options of {@link gpujsBackend}. */
export interface GpujsOptions {
  /**
   * Keep op outputs on the device between ops (GL modes). Default: on, unless the environment variable
   * `SYNAPSES_GPUJS_RESIDENT` is `0` (every op output is then read back, as a comparison).
   */
  readonly resident?: boolean;
  /**
   * Poison stale host copies with NaN and check, before the device uses an array, that the host did not
   * write it since (see context.ts). For tests; default: the environment variable `SYNAPSES_GPUJS_STRICT` is `1`.
   */
  readonly strict?: boolean;
}

const contexts = new Map<string, { ctx: GpujsContext; topo: TopologyCache }>();

/** One context per mode and residency setting, under `key`. */
function contextFor(key: string, mode: GpujsMode, residency: ResidencyOptions): { ctx: GpujsContext; topo: TopologyCache } {
  let c = contexts.get(key);
  if (!c) {
    const why = gpujsUnavailableReason(mode);
    if (why !== null) throw new BackendUnavailableError(`gpu.js mode ${mode} cannot run here: ${why}`);
    const ctx = new GpujsContext(mode, residency);
    c = { ctx, topo: new TopologyCache(ctx) };
    contexts.set(key, c);
  }
  return c;
}

/**
 * The gpu.js backend in `mode`. Backends of one mode share one gpu.js instance (its compiled kernels and
 * resident topologies) per process.
 * @throws {@link UnknownNameError} for an unknown mode, {@link BackendUnavailableError} (saying why) when
 *   the mode cannot run here.
 */
export function gpujsBackend(mode: string, options: GpujsOptions = {}): GpujsBackend {
  const m = checkGpujsMode(mode);
  const residency: ResidencyOptions = {
    resident: options.resident ?? process.env.SYNAPSES_GPUJS_RESIDENT !== '0',
    strict: options.strict ?? process.env.SYNAPSES_GPUJS_STRICT === '1',
  };
  const key = `${m}|${residency.resident}|${residency.strict}`;
  const { ctx, topo } = contextFor(key, m, residency);
  const sparse = new SparseOps(ctx, topo);
  const dense = new DenseOps(ctx);
  const act = new ActivationOps(ctx);
  const loss = new LossOps(ctx);
  const optim = new OptimOps(ctx);
  return {
    name: 'gpujs',
    mode: m,
    stats: ctx.stats,
    resident: ctx.residentOutputs,
    mirrored: () => ctx.mirrored,
    sync: (arrays) => {
      if (arrays === undefined) ctx.sync();
      else for (const a of arrays) ctx.hostRead(a);
    },
    topologyUploads: () => topo.uploads,
    spmmForward: (w, x, batch, bias, y) => sparse.spmmForward(w, x, batch, bias, y),
    spmmInputGrad: (w, dy, batch, dx) => sparse.spmmInputGrad(w, dy, batch, dx),
    spmmWeightGrad: (w, dy, x, batch, dw) => sparse.spmmWeightGrad(w, dy, x, batch, dw),
    spmmBackward: (w, dy, x, batch, dw, db, dx) => sparse.spmmBackward(w, dy, x, batch, dw, db, dx),
    sparseInputForward: (req) => {
      ctx.hostRead(req.w.values);
      if (req.bias !== null) ctx.hostRead(req.bias);
      ctx.beforeHostWrite(req.y);
      return sparseInputForward(req);
    },
    sparseInputWeightGrad: (req) => {
      ctx.hostRead(req.w.values);
      ctx.hostRead(req.dy);
      ctx.beforeHostWrite(req.dw);
      return sparseInputWeightGrad(req);
    },
    denseForward: (w, nIn, nOut, x, batch, bias, y) => dense.denseForward(w, nIn, nOut, x, batch, bias, y),
    denseInputGrad: (w, nIn, nOut, dy, batch, dx) => dense.denseInputGrad(w, nIn, nOut, dy, batch, dx),
    denseWeightGrad: (nIn, nOut, dy, x, batch, dw) => dense.denseWeightGrad(nIn, nOut, dy, x, batch, dw),
    biasGrad: (dy, n, batch, db) => sparse.biasGrad(dy, n, batch, db),
    unaryForward: (op, x, alpha, y) => act.unaryForward(op, x, alpha, y),
    unaryBackward: (op, x, y, dy, alpha, dx) => act.unaryBackward(op, x, y, dy, alpha, dx),
    sreluForward: (x, n, batch, p, y) => act.sreluForward(x, n, batch, p, y),
    sreluBackward: (x, n, batch, p, dy, dx, dp) => act.sreluBackward(x, n, batch, p, dy, dx, dp),
    softmaxForward: (x, n, batch, y) => act.softmaxForward(x, n, batch, y),
    softmaxBackward: (y, dy, n, batch, dx) => act.softmaxBackward(y, dy, n, batch, dx),
    dropoutForward: (x, mask, scale, y) => act.dropoutForward(x, mask, scale, y),
    // The counter-based mask needs 32-bit integer arithmetic, which WebGL 1 shaders lack: the mask is
    // computed on the host (the reference's own function), and applied by this backend's kernel.
    dropout: (x, rate, key, y, mask) => act.dropoutForward(x, dropoutMask(rate, key, mask.subarray(0, x.length)), dropoutScale(rate), y),
    softmaxCrossEntropy: (logits, labels, n, batch, grad, pred) => loss.softmaxCrossEntropy(logits, labels, n, batch, grad, pred),
    mseOneHot: (output, labels, n, batch, grad, pred) => loss.mseOneHot(output, labels, n, batch, grad, pred),
    sgdStep: (param, grad, velocity, h) => optim.sgdStep(param, grad, velocity, h),
    adamStep: (param, grad, m, v, h) => optim.adamStep(param, grad, m, v, h),
    dispose: () => {
      // Arrays whose values are only on the device come home first: a model outlives its backend.
      ctx.sync();
      if (contexts.get(key)?.ctx === ctx) contexts.delete(key);
      ctx.destroy();
    },
  };
}
