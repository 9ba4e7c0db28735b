/**
 * Fusion planning: which consecutive layers of a network run as one backend request. A pure function of
 * the layers and one fact about the backend ({@link Backend.fusesRectifiers}), kept apart from
 * {@link Sequential}, which only follows the plan (as tinygrad leaves fusion to its scheduler and keeps
 * the ops small).
 *
 * The one fusion: a sparse layer, then a ReLU or leaky ReLU (All-ReLU is leaky ReLU with a signed slope),
 * optionally a dropout layer, and then ANOTHER sparse layer. Forward, the product, rectifier and dropout
 * are one {@link Backend.sparseForward} request; backward, the next sparse layer's
 * {@link Backend.sparseBackward} takes the input gradient back through that rectifier and dropout and sums
 * the block's bias gradient, so the element-wise passes over the activations disappear. The results are
 * the same as layer by layer. The layer after the block must be sparse because it is the one that takes
 * the block's gradient back.
 *
 * @packageDocumentation
 */
import { UnaryActivation } from './activation';
import { Dropout } from './dropout';
import type { Layer } from './layer';
import { SparseLinear } from './sparse-linear';

/**
 * Consecutive layers that run as one unit: a single layer, or a sparse layer with the rectifier and
 * dropout after it, fused.
 */
export interface Segment {
  /** Index of the segment's first layer in the network's layers. */
  readonly first: number;
  /** Number of layers in the segment. */
  readonly count: number;
  /** The layer kinds joined by `+`, e.g. `"sparse-linear+relu+dropout"`. */
  readonly kind: string;
}

/** One step of a plan: a segment, and whether it is a fused block (sparse layer, rectifier, dropout?). */
export interface PlanStep {
  readonly segment: Segment;
  /**
   * True for a fused block: layer `first` is a {@link SparseLinear}, `first + 1` a ReLU or leaky-ReLU
   * {@link UnaryActivation}, `first + 2` (when `count` is 3) a {@link Dropout}; the layer after the block is
   * a {@link SparseLinear}.
   */
  readonly fused: boolean;
}

/** What a plan is made for. */
export interface PlanOptions {
  /**
   * The plan for SPARSE input batches (`SparseLinear.forwardSparse`): the first layer then runs alone, since
   * a product over a sparse batch has no fused rectifier (its activation and dropout run as layers, a small
   * cost beside a wide product). Default false.
   */
  readonly sparseInput?: boolean;
}

/** Whether `layer` is a rectifier the fused requests implement (ReLU, or leaky ReLU / All-ReLU). */
function isRectifier(layer: Layer | undefined): layer is UnaryActivation {
  return layer instanceof UnaryActivation && (layer.op === 'relu' || layer.op === 'leaky-relu');
}

/**
 * Cuts `layers` into steps: one per layer, except the fused blocks described in this file's overview, which
 * are planned only when `fusesRectifiers` is true (the backend runs them faster as one request; every
 * backend gives the same results either way).
 * @param layers - the network's layers, in order.
 * @param fusesRectifiers - the backend's {@link Backend.fusesRectifiers}.
 * @example
 * planFusion(net.layers, backend.fusesRectifiers).map((s) => s.segment.kind);
 * // ['sparse-linear+relu+dropout', 'sparse-linear+relu+dropout', 'sparse-linear']
 */
export function planFusion(layers: readonly Layer[], fusesRectifiers: boolean, options: PlanOptions = {}): PlanStep[] {
  const steps: PlanStep[] = [];
  for (let l = 0; l < layers.length; ) {
    if (fusesRectifiers && !(options.sparseInput && l === 0) && layers[l] instanceof SparseLinear && isRectifier(layers[l + 1])) {
      const count = layers[l + 2] instanceof Dropout ? 3 : 2;
      if (layers[l + count] instanceof SparseLinear) {
        const kind = layers.slice(l, l + count).map((x) => x.kind).join('+');
        steps.push({ segment: { first: l, count, kind }, fused: true });
        l += count;
        continue;
      }
    }
    steps.push({ segment: { first: l, count: 1, kind: layers[l]!.kind }, fused: false });
    l++;
  }
  return steps;
}
