/**
 * Naming where a training run diverged: when a batch's loss is not finite, the first parameter or layer
 * output that is not.
 *
 * @packageDocumentation
 */
import { firstNonFinite } from '../core/assert';
import { NumericalError } from '../core/errors';
import type { ForwardContext } from '../nn/layer';
import type { Sequential } from '../nn/sequential';
import type { SparseLinear } from '../nn/sparse-linear';
import { SparseBatch } from '../sparse/sparse-batch';

/**
 * Names the first parameter that is not finite, else the first layer whose output is not, re-running the
 * batch forward layer by layer (unfused, so every layer's output is seen).
 * @param x - the batch's (clean) input.
 * @returns the error to throw, naming the epoch and batch.
 */
export function diagnoseDivergence(net: Sequential, x: Float32Array | SparseBatch, batch: number, ctx: ForwardContext, epoch: number, batchIndex: number): NumericalError {
  net.backend.memory.sync();
  for (const p of net.params()) {
    const bad = firstNonFinite(p.values);
    if (bad >= 0) return new NumericalError(`training diverged in epoch ${epoch}, batch ${batchIndex}: parameter ${p.name}[${bad}] is ${p.values[bad]}`);
  }
  let h: Float32Array | SparseBatch = x;
  for (const [l, layer] of net.layers.entries()) {
    h = h instanceof SparseBatch ? (layer as SparseLinear).forwardSparse(h) : layer.forward(h, batch, ctx);
    net.backend.memory.sync();
    const bad = firstNonFinite(h);
    if (bad >= 0) {
      return new NumericalError(
        `training diverged in epoch ${epoch}, batch ${batchIndex}: the output of layer ${l} (${layer.kind}) is ${h[bad]} (try a lower learning rate)`,
      );
    }
  }
  return new NumericalError(`training diverged in epoch ${epoch}, batch ${batchIndex}: the loss is not finite (try a lower learning rate)`);
}
