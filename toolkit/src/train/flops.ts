/**
 * Counting the floating-point operations of training, as sparse-training papers report them beside accuracy
 * (RigL, Evci et al. 2020, appendix H; ITOP, Liu et al. 2021).
 *
 * What is counted, per training sample of a step, for every linear layer (sparse or dense) with the
 * connections it has at that step (a dense layer has `nIn * nOut`):
 * - the forward product `y = W x`: 2 FLOPs per connection (a multiply-add is 2 FLOPs);
 * - the input-gradient product `dx = W^T dy`: 2 per connection, except for the network's first layer, whose
 *   input gradient is never computed (`Sequential.backward` skips it);
 * - the weight-gradient product `dW = dy x^T` at the existing connections only: 2 per connection.
 * So a step of `batch` samples costs `2 * connections * batch` per product. The gradient probe that
 * gradient-based regrowth runs at an epoch's end (a forward and backward pass without an update) is counted
 * the same way.
 *
 * Evolution: gradient and momentum regrowth (RigL, SNFS) compute the dense gradient of every evolving layer,
 * one row at a time, over the batch it uses: `2 * nIn * nOut * batch` FLOPs per layer that regrows. Pruning
 * and random regrowth only compare and move indices and are counted as 0 FLOPs.
 *
 * Not counted: biases, activations, dropout, the loss, the optimizer's update (all linear in the number of
 * outputs or parameters, small beside the products), and evaluation (validation and test passes are not
 * training).
 *
 * @packageDocumentation
 */
import type { Sequential } from '../nn/sequential';

/** FLOPs of one multiply-add. */
export const FLOPS_PER_MULTIPLY_ADD = 2;

/**
 * FLOPs of one training sample (forward, input-gradient and weight-gradient products) through `net` with its
 * current connections; multiply by the batch size for a step.
 * @example
 * // 4 -> 3 (6 connections) -> 2 (dense, 6 connections): 2 * (2 * 6) + 2 * (3 * 6) = 60 FLOPs per sample.
 */
export function trainingFlopsPerSample(net: Sequential): number {
  const connections = net.connectionsPerLayer();
  let total = 0;
  net.linearLayers().forEach((layer, l) => {
    // The first layer's input gradient is never computed (see Sequential.backward).
    const products = layer === net.layers[0] ? 2 : 3;
    total += FLOPS_PER_MULTIPLY_ADD * products * connections[l]!;
  });
  return total;
}

/**
 * FLOPs of the dense gradient `dy x^T` of linear layer `layer` (index among the linear layers) over `batch`
 * samples: what gradient-based regrowth computes for a layer that regrows.
 */
export function denseGradientFlops(net: Sequential, layer: number, batch: number): number {
  const l = net.linearLayers()[layer];
  return l === undefined ? 0 : FLOPS_PER_MULTIPLY_ADD * l.nIn * l.nOut * batch;
}

/** FLOPs with an SI prefix and three significant digits, e.g. `4.52 GFLOP`. */
export function formatFlops(flops: number): string {
  if (!Number.isFinite(flops)) return '-';
  const units = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let u = 0;
  let v = flops;
  // Compared after rounding, so 999.7 k is shown as 1.00 M, not 1.00e+3 k.
  while (Math.abs(Number(v.toPrecision(3))) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toPrecision(3)} ${units[u]}FLOP`;
}
