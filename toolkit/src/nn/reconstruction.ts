/**
 * The loss of an autoencoder: mean squared error between the network's output and its own (clean) input,
 * and the input corruption of a denoising autoencoder. Used by `Model` when compiled with
 * `loss: 'reconstruction'` (the sparse denoising autoencoder of QuickSelection, Atashgahi et al. 2022).
 *
 * Plain loops over feature-major arrays (`x[f * batch + b]`), the readable reference; the loss is a small part
 * of a step (one pass over the output), so no backend op is needed.
 *
 * @packageDocumentation
 */
import { checkLength } from '../core/assert';
import { rngFor } from '../core/rng';

/**
 * Reconstruction MSE over `n` features x `batch` samples: per sample `sum_f (y - t)^2 / n`. Writes the
 * gradient of the MEAN loss over the batch into `grad` (`2 (y - t) / (n * batch)`), returns the SUM of the
 * per-sample losses (as the backend's losses do), and writes -1 into `pred` (no class is predicted).
 */
export function reconstructionLoss(
  output: Float32Array, target: Float32Array, n: number, batch: number, grad: Float32Array, pred: Int32Array,
): number {
  checkLength(output.length, n * batch, 'reconstruction output', `n * batch = ${n} * ${batch}`);
  checkLength(target.length, n * batch, 'reconstruction target', `n * batch = ${n} * ${batch}`);
  const scale = 2 / (n * batch);
  let sum = 0;
  for (let i = 0; i < n * batch; i++) {
    const d = output[i]! - target[i]!;
    sum += d * d;
    grad[i] = scale * d;
  }
  pred.fill(-1, 0, batch);
  return sum / n;
}

/**
 * Adds Gaussian noise of standard deviation `std` to `x` into `out` (the corruption of a denoising
 * autoencoder), from the stream `rngFor(seed, 'input-noise', step)`: reproducible for a run and a step.
 */
export function addGaussianNoise(x: Float32Array, std: number, seed: number, step: number, out: Float32Array): Float32Array {
  const rng = rngFor(seed, 'input-noise', step);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! + std * rng.normal();
  return out;
}
