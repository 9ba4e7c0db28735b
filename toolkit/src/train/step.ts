/**
 * One training step, as the algorithm reads: gather the batch, forward, loss, backward, update. The only
 * thing beside the algorithm is the overlap: the update is started, the next batch is gathered while it
 * runs ({@link BatchPrefetcher}), and then the step waits for the update ({@link PendingWork}).
 *
 * @packageDocumentation
 */
import type { PendingWork } from '../backend/backend';
import type { DenseGradientSource } from '../nn/dense-gradient';
import type { ForwardContext } from '../nn/layer';
import type { Loss } from '../nn/losses';
import type { Sequential } from '../nn/sequential';
import type { Optimizer } from '../optim/optimizer';
import { SparseBatch } from '../sparse/sparse-batch';
import { diagnoseDivergence } from './diagnose';
import type { Batch, BatchPrefetcher } from './prefetch';

/** What every step of a `fit` uses: the network, its loss and optimizer, and the step's buffers. */
export interface StepParts {
  readonly net: Sequential;
  readonly loss: Loss;
  readonly optimizer: Optimizer;
  /** The run's seed (random streams of dropout and input noise). */
  readonly seed: number;
  /** The loss gradient buffer, `nOut * batchSize` floats in the backend's memory. */
  readonly grad: Float32Array;
  /** The predictions buffer, `batchSize` values. */
  readonly pred: Int32Array;
  /** The training input of a dense batch: `x` itself, or a corrupted copy (a denoising autoencoder). */
  readonly corrupt: (x: Float32Array, size: number, step: number) => Float32Array;
}

/** What a step reports. */
export interface StepResult {
  /** The SUM of the batch's per-sample losses. */
  readonly loss: number;
  /** Samples predicted right. */
  readonly correct: number;
  readonly size: number;
  /** The batch's dense-gradient source when the step was asked for it (gradient-based regrowth), else null. */
  readonly gradients: DenseGradientSource | null;
}

/** How one step runs. */
export interface StepOptions {
  /** The global step (batch counter) that names the step's random streams. */
  readonly step: number;
  /** The epoch, for error messages. */
  readonly epoch: number;
  /**
   * Record the batch's {@link DenseGradientSource} (evolution will read it): the backward pass then keeps
   * the activations, and the next batch is not gathered ahead (the source reads this batch's input).
   */
  readonly gradients: boolean;
}

/**
 * Forward, loss and backward of one batch: fills every gradient; returns the loss sum, and the source when
 * asked. `index` is the batch's index in the epoch, or -1 for the gradient probe, which sees the clean input
 * and does not check its loss (no update follows it).
 */
function forwardBackward(parts: StepParts, batch: Batch, ctx: ForwardContext, epoch: number, index: number, gradients: boolean): { loss: number; gradients: DenseGradientSource | null } {
  const { net, loss } = parts;
  const { size, x, y } = batch;
  const out = net.forward(x instanceof SparseBatch || index < 0 ? x : parts.corrupt(x, size, ctx.step), size, ctx);
  const full = size === parts.pred.length;
  const grad = full ? parts.grad : parts.grad.subarray(0, net.nOut * size);
  const pred = full ? parts.pred : parts.pred.subarray(0, size);
  const l = loss.compute(net.backend, { output: out, labels: y, input: x, n: net.nOut, batch: size, grad, pred });
  if (index >= 0 && !Number.isFinite(l)) throw diagnoseDivergence(net, x, size, ctx, epoch, index);
  // Without a dense-gradient source to keep, nothing reads the activations after the backward pass: the
  // backend may write gradients over them.
  const source = net.backward(grad, size, gradients ? { gradients: true } : { overwriteActivations: true });
  return { loss: l, gradients: source };
}

/**
 * One training step on batch `b` of the prefetcher's pass: gather (unless prefetched), forward, loss,
 * backward, start the update, gather batch `b + 1` while it runs (not when `options.gradients`), wait.
 * @throws {@link NumericalError} naming the layer when the loss is not finite (before any update).
 */
export function trainStep(parts: StepParts, batches: BatchPrefetcher, b: number, options: StepOptions): StepResult {
  const batch = batches.take(b);
  const ctx: ForwardContext = { training: true, seed: parts.seed, step: options.step };
  const { loss, gradients } = forwardBackward(parts, batch, ctx, options.epoch, b, options.gradients);
  // Counted before the next batch's labels replace these.
  const { size, y } = batch;
  const pred = parts.pred;
  let correct = 0;
  for (let s = 0; s < size; s++) if (pred[s] === y[s]) correct++;
  const update: PendingWork = parts.optimizer.step(parts.net.params(), parts.net.backend);
  try {
    if (!options.gradients && b + 1 < batches.count) batches.prefetch(b + 1);
  } finally {
    // Whatever happened while gathering, the update finishes before anything else touches the backend.
    update.wait();
  }
  return { loss, correct, size, gradients };
}

/**
 * The gradient probe of gradient-based regrowth at an epoch end: a training-mode forward and backward pass
 * (no update) on the first `size` samples of `order`, recording the batch's {@link DenseGradientSource}.
 * @returns the source (valid until the network's next forward pass).
 */
export function probeGradient(parts: StepParts, batches: BatchPrefetcher, order: Int32Array, size: number, options: { step: number; epoch: number }): DenseGradientSource {
  const batch = batches.gatherOnce(order, size);
  const ctx: ForwardContext = { training: true, seed: parts.seed, step: options.step };
  return forwardBackward(parts, batch, ctx, options.epoch, -1, true).gradients!;
}
