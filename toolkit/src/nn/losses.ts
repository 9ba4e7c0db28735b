/**
 * Losses as objects, gathered in a registry (DESIGN.md: strategies are small objects with a `name`; an
 * unknown name gets an error that lists the known ones). The trainer looks its loss up here by name and
 * calls it; what a loss computes is the backend's op (softmax cross-entropy, MSE against one-hot labels)
 * or, for the autoencoder's reconstruction loss, the reference loop of nn/reconstruction.ts.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend/backend';
import { UnknownNameError, ShapeError } from '../core/errors';
import { SparseBatch } from '../sparse/sparse-batch';
import { reconstructionLoss } from './reconstruction';

/** Names of the losses. */
export const LOSSES = ['cross-entropy', 'mse', 'reconstruction'] as const;
/**
 * A loss name: softmax cross-entropy on logits, mean squared error against one-hot labels, or
 * `reconstruction`, the MSE between the output and the clean input (an autoencoder, nn/reconstruction:
 * the output layer is as wide as the input; labels are ignored and accuracy is 0).
 */
export type LossName = (typeof LOSSES)[number];

/** One batch for a loss: the network's output and what it is compared with. Feature-major throughout. */
export interface LossRequest {
  /** The network's output, `n * batch` values. */
  readonly output: Float32Array;
  /** One class label per sample (ignored by `reconstruction`). */
  readonly labels: Int32Array;
  /** The clean input batch (the target of `reconstruction`, which needs it dense; ignored by the others). */
  readonly input: Float32Array | SparseBatch;
  /** Output features. */
  readonly n: number;
  readonly batch: number;
  /** Written: the gradient of the MEAN loss over the batch w.r.t. `output`, `n * batch` values. */
  readonly grad: Float32Array;
  /** Written: the predicted class of each sample (-1 where none is predicted). */
  readonly pred: Int32Array;
}

/** A loss function. */
export interface Loss {
  readonly name: LossName;
  /** What the output is compared with: the class labels, or the network's own input (an autoencoder). */
  readonly target: 'labels' | 'input';
  /** Whether the outputs are logits, so class probabilities are their softmax (`Model.predict`). */
  readonly logits: boolean;
  /** Writes `req.grad` and `req.pred`; returns the SUM of the per-sample losses of the batch. */
  compute(backend: Backend, req: LossRequest): number;
}

/** Softmax cross-entropy on logits ({@link Backend.softmaxCrossEntropy}). */
export const crossEntropy: Loss = {
  name: 'cross-entropy',
  target: 'labels',
  logits: true,
  compute: (backend, r) => backend.softmaxCrossEntropy(r.output, r.labels, r.n, r.batch, r.grad, r.pred),
};

/** Mean squared error against one-hot labels ({@link Backend.mseOneHot}). */
export const mse: Loss = {
  name: 'mse',
  target: 'labels',
  logits: false,
  compute: (backend, r) => backend.mseOneHot(r.output, r.labels, r.n, r.batch, r.grad, r.pred),
};

/**
 * The autoencoder's reconstruction MSE against the clean input ({@link reconstructionLoss}, a host loop:
 * no backend op compares an output with a dense target, so the output is synced to the host first).
 * @throws {@link ShapeError} for a sparse input batch (its target must be dense).
 */
export const reconstruction: Loss = {
  name: 'reconstruction',
  target: 'input',
  logits: false,
  compute: (backend, r) => {
    if (r.input instanceof SparseBatch) throw new ShapeError('loss "reconstruction" needs the dense input batch as its target');
    backend.memory.sync([r.output]);
    return reconstructionLoss(r.output, r.input, r.n, r.batch, r.grad, r.pred);
  },
};

const REGISTRY: Readonly<Record<LossName, Loss>> = { 'cross-entropy': crossEntropy, mse, reconstruction };

/**
 * The loss named `name`.
 * @throws {@link UnknownNameError} listing the known losses.
 * @example lossFor('cross-entropy').compute(backend, { output, labels, input: x, n: 10, batch, grad, pred });
 */
export function lossFor(name: string): Loss {
  if (!Object.hasOwn(REGISTRY, name)) throw new UnknownNameError('loss', name, LOSSES);
  return REGISTRY[name as LossName];
}
