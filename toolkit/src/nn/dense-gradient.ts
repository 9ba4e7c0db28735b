/**
 * The dense gradient of a batch's loss w.r.t. sparse layers' weights, as a value: what gradient-based
 * regrowth (RigL, Evci et al. 2020; SNFS) ranks empty positions by. It holds, for each sparse layer, the
 * layer's input and the gradient w.r.t. its output of one batch, and computes a row of
 * `dL/dW[j, i] = sum_b dy[j, b] x[i, b]` on demand, so no dense `nOut x nIn` matrix is ever held.
 *
 * A training step that evolution will read builds one ({@link Sequential.backward} with `gradients: true})
 * and hands it to evolution as an argument; nothing is kept inside the layers.
 *
 * @packageDocumentation
 */
import { ShapeError } from '../core/errors';
import { SparseBatch } from '../sparse/sparse-batch';
import type { SparseLinear } from './sparse-linear';

/** One sparse layer's share of a {@link DenseGradientSource}. */
export interface LayerGradient {
  /** The layer's input of the batch: feature-major `nIn * batch` values, or a sparse batch. */
  readonly x: Float32Array | SparseBatch;
  /** The gradient of the loss w.r.t. the layer's output, `nOut * batch` values. */
  readonly dy: Float32Array;
  readonly batch: number;
  /**
   * The layer's input centre ({@link SparseLinear.setInputCentre}) or null: the gradient is then that of
   * `x - centre`, `out[i] -= centre[i] * sum_b dy[j, b]`.
   */
  readonly centre: Float32Array | null;
}

/**
 * The dense gradient rows of one batch for a set of sparse layers. The arrays it holds belong to the
 * network (its activations and gradient buffers): the source is valid until the network's next forward
 * pass, and says so when asked later (given `isCurrent`).
 */
export class DenseGradientSource {
  private readonly layers: ReadonlyMap<SparseLinear, LayerGradient>;

  /**
   * @param layers - each layer with its input and output gradient of the batch.
   * @param isCurrent - whether the arrays still hold that batch (the network has not run forward since);
   *   default: always.
   */
  constructor(
    layers: Iterable<readonly [SparseLinear, LayerGradient]>,
    private readonly isCurrent: () => boolean = () => true,
  ) {
    this.layers = new Map(layers);
  }

  /** Whether the source holds `layer`'s gradient. */
  has(layer: SparseLinear): boolean {
    return this.layers.has(layer);
  }

  /**
   * Row `j` of the DENSE gradient of the batch's loss w.r.t. `layer`'s weights: `out[i] = dot(dy[j,:], x[i,:])`
   * for every input `i`, connected or not (over a sparse batch: over its stored entries, since absent inputs
   * are zero). O(nIn * batch) per row; `out` has `layer.nIn` values.
   * @throws {@link ShapeError} when the source does not hold `layer`, or the network ran forward since.
   */
  row(layer: SparseLinear, j: number, out: Float32Array): Float32Array {
    const g = this.layers.get(layer);
    if (g === undefined) throw new ShapeError(`the dense gradient of layer ${layer.weight.name} needs a backward pass that recorded it (none did)`);
    if (!this.isCurrent()) throw new ShapeError('the dense gradient needs a backward pass after the last forward pass: the network ran forward since this one');
    const { x, dy, batch } = g;
    const nIn = layer.nIn, go = j * batch;
    if (x instanceof SparseBatch) {
      for (let i = 0; i < nIn; i++) {
        let s = 0;
        for (let e = x.featPtr[i]!, end = x.featPtr[i + 1]!; e < end; e++) s += dy[go + x.sample[e]!]! * x.values[e]!;
        out[i] = s;
      }
    } else {
      for (let i = 0; i < nIn; i++) {
        const xo = i * batch;
        let s = 0;
        for (let b = 0; b < batch; b++) s += dy[go + b]! * x[xo + b]!;
        out[i] = s;
      }
    }
    const c = g.centre;
    if (c !== null) {
      let s = 0;
      for (let b = go, end = go + batch; b < end; b++) s += dy[b]!;
      for (let i = 0; i < nIn; i++) out[i] = out[i]! - c[i]! * s;
    }
    return out;
  }
}
