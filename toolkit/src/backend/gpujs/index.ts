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
 *   the next op without a round trip, until {@link BackendMemory.sync} brings them home (context.ts). A
 *   training step on headlessgl therefore uploads its batch and dropout masks and reads back only its loss
 *   and predictions; the training loop syncs before evolution, checks and checkpoints. Arrays are plain host
 *   arrays (`memory.allocFloat32` is `new Float32Array`): gpu.js has no memory the host can write in place.
 * - Fused requests: `sparseForward` and `sparseBackward` are the CPU reference's composition
 *   (backend/cpu/sparse-fused.ts) of this backend's own ops, the backward products sharing one upload of
 *   `dy` ({@link GpujsBackend.spmmBackward}); nothing is fused into one kernel, so `fusesRectifiers` is false.
 * - One thread on the host; `sgdSteps` runs the steps at once, each the `sgdStep` kernel.
 * - The gpu.js traps (ENVIRONMENT-NOTES.md), each tested in test/backend-gpujs/traps.test.ts: loop bounds
 *   come from the data (longest row or column, batch, features), rounded up to a power of two, because gpu.js
 *   silently stops loops at `loopMaxIterations`; changing array sizes use `dynamicArguments` and
 *   `dynamicOutput`; indices above 2^24 and outputs larger than a texture are clear errors (limits.ts);
 *   2-D outputs are `[batch, neurons]` so that `result[y][x]` is feature-major; only GL modes pipeline
 *   (gpu.js's cpu mode keeps a pipelined kernel's first result buffer when its output size changes).
 * - The counter-based `dropout` op computes its mask on the host with the reference's function (its
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
import { checkInt } from '../../core/assert';
import { BackendUnavailableError } from '../../core/errors';
import type { Backend, BackendMemory, PendingWork } from '../backend';
import { dropoutMask, dropoutScale } from '../cpu/dropout';
import { DONE } from '../cpu/memory';
import { fusedSparseOps } from '../cpu/sparse-fused';
import { sparseInputForward, sparseInputWeightGrad } from '../cpu/sparse-input';
import { checkSgdTasks } from '../requests';
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

/** A gpu.js {@link Backend}, with counters of its device traffic. */
export interface GpujsBackend extends Backend {
  readonly name: 'gpujs';
  readonly mode: GpujsMode;
  /** Counters of kernel runs, uploads and read-backs since the context was created. */
  readonly stats: ContextStats;
  /** Arrays whose current values are on the device only (0 right after {@link BackendMemory.sync}). */
  mirrored(): number;
  /** Matrices whose index arrays were uploaded (one per topology, so one per evolution event and layer). */
  topologyUploads(): number;
  /**
   * Weight, bias and (when `dx` is given) input gradients of a sparse layer in one call, `dy` and `x`
   * uploaded once: the products of {@link Backend.sparseBackward} when it wants a bias gradient. Same results
   * as the three separate ops.
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
  const memory: BackendMemory = {
    resident: ctx.residentOutputs,
    allocFloat32: (n) => {
      checkInt(n, 'allocFloat32 length');
      return new Float32Array(n);
    },
    allocUint8: (n) => {
      checkInt(n, 'allocUint8 length');
      return new Uint8Array(n);
    },
    // Host arrays are what its ops take (uploaded as needed): adopting one is keeping it.
    adoptFloat32: (a) => a,
    // Host arrays, freed by garbage collection; their device mirrors go at the next sync.
    release: () => {},
    sync: (arrays) => {
      if (arrays === undefined) ctx.sync();
      else for (const a of arrays) ctx.hostRead(a);
    },
  };
  const unaryForward: Backend['unaryForward'] = (op, x, alpha, y) => act.unaryForward(op, x, alpha, y);
  const unaryBackward: Backend['unaryBackward'] = (op, x, y, dy, alpha, dx) => act.unaryBackward(op, x, y, dy, alpha, dx);
  const dropoutForward: Backend['dropoutForward'] = (x, mask, scale, y) => act.dropoutForward(x, mask, scale, y);
  // The counter-based mask needs 32-bit integer arithmetic, which WebGL 1 shaders lack: the mask is
  // computed on the host (the reference's own function), and applied by this backend's kernel.
  const dropout: Backend['dropout'] = (x, rate, key, y, mask) =>
    act.dropoutForward(x, dropoutMask(rate, key, mask.subarray(0, x.length)), dropoutScale(rate), y);
  const sgdStep: Backend['sgdStep'] = (param, grad, velocity, h) => optim.sgdStep(param, grad, velocity, h);
  const fused = fusedSparseOps(
    {
      spmmForward: (w, x, batch, bias, y) => sparse.spmmForward(w, x, batch, bias, y),
      spmmWeightGrad: (w, dy, x, batch, dw) => sparse.spmmWeightGrad(w, dy, x, batch, dw),
      spmmInputGrad: (w, dy, batch, dx) => sparse.spmmInputGrad(w, dy, batch, dx),
      biasGrad: (dy, n, batch, db) => sparse.biasGrad(dy, n, batch, db),
      unaryForward, unaryBackward, dropout, dropoutForward, memory,
    },
    (w, dy, x, batch, dw, db, dx) => {
      if (db !== null) {
        sparse.spmmBackward(w, dy, x, batch, dw, db, dx);
        return;
      }
      sparse.spmmWeightGrad(w, dy, x, batch, dw);
      if (dx !== null) sparse.spmmInputGrad(w, dy, batch, dx);
    },
  );
  return {
    name: 'gpujs',
    mode: m,
    threads: 1,
    fusesRectifiers: false,
    memory,
    stats: ctx.stats,
    mirrored: () => ctx.mirrored,
    topologyUploads: () => topo.uploads,
    spmmForward: (w, x, batch, bias, y) => sparse.spmmForward(w, x, batch, bias, y),
    spmmInputGrad: (w, dy, batch, dx) => sparse.spmmInputGrad(w, dy, batch, dx),
    spmmWeightGrad: (w, dy, x, batch, dw) => sparse.spmmWeightGrad(w, dy, x, batch, dw),
    spmmBackward: (w, dy, x, batch, dw, db, dx) => sparse.spmmBackward(w, dy, x, batch, dw, db, dx),
    sparseForward: fused.sparseForward,
    sparseBackward: fused.sparseBackward,
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
    unaryForward,
    unaryBackward,
    sreluForward: (x, n, batch, p, y) => act.sreluForward(x, n, batch, p, y),
    sreluBackward: (x, n, batch, p, dy, dx, dp) => act.sreluBackward(x, n, batch, p, dy, dx, dp),
    softmaxForward: (x, n, batch, y) => act.softmaxForward(x, n, batch, y),
    softmaxBackward: (y, dy, n, batch, dx) => act.softmaxBackward(y, dy, n, batch, dx),
    dropoutForward,
    dropout,
    softmaxCrossEntropy: (logits, labels, n, batch, grad, pred) => loss.softmaxCrossEntropy(logits, labels, n, batch, grad, pred),
    mseOneHot: (output, labels, n, batch, grad, pred) => loss.mseOneHot(output, labels, n, batch, grad, pred),
    sgdStep,
    sgdSteps: (steps): PendingWork => {
      checkSgdTasks(steps);
      for (const t of steps) sgdStep(t.param, t.grad, t.velocity, t.h);
      return DONE;
    },
    adamStep: (param, grad, m, v, h) => optim.adamStep(param, grad, m, v, h),
    dispose: () => {
      // Arrays whose values are only on the device come home first: a model outlives its backend.
      ctx.sync();
      if (contexts.get(key)?.ctx === ctx) contexts.delete(key);
      ctx.destroy();
    },
  };
}
