/**
 * A network as a sequence of layers.
 *
 * @packageDocumentation
 */
import type { Backend, FusedRectifier } from '../backend/backend';
import { streamKey } from '../core/counter-rng';
import { ShapeError } from '../core/errors';
import { SparseBatch } from '../sparse/sparse-batch';
import type { UnaryActivation } from './activation';
import { DenseGradientSource, type LayerGradient } from './dense-gradient';
import type { Dropout } from './dropout';
import { planFusion, type Segment } from './fusion';
import { ByteBuffer, type ForwardContext, type Layer, type LayerSummary, type Param } from './layer';
import { SparseLinear } from './sparse-linear';
import { DenseLinear } from './dense-linear';

export type { Segment } from './fusion';

/** A fused block of the plan: a sparse layer with its rectifier and optional dropout, run as one request. */
interface Block {
  readonly linear: SparseLinear;
  readonly activation: UnaryActivation;
  readonly dropout: Dropout | null;
  readonly masks: ByteBuffer;
  /** What the last forward pass applied (the next layer's backward pass takes it back). */
  rectifier: FusedRectifier | null;
}

/** A step of the plan with the layers it runs. */
interface Step {
  readonly segment: Segment;
  /** The segment's first layer: the whole segment, or the sparse layer of a fused block. */
  readonly head: Layer;
  readonly block: Block | null;
}

/** Options of {@link Sequential.backward}. */
export interface NetworkBackwardOptions {
  /** Called after each segment, in reverse order, with its index in {@link Sequential.segments} (profiling). */
  readonly probe?: (segment: number) => void;
  /**
   * Nothing reads the forward pass's activations after this call (a training step whose gradient no
   * evolution reads): the output of a fused block, whose gradient is taken back inside the next layer's
   * product, may then be overwritten by that gradient (`SparseBackwardRequest.overwriteInput`). The
   * gradients are the same either way. Default false.
   */
  readonly overwriteActivations?: boolean;
  /**
   * Return the batch's {@link DenseGradientSource} over every sparse layer (for gradient-based regrowth);
   * incompatible with `overwriteActivations`, which may destroy the inputs it reads. Default false.
   */
  readonly gradients?: boolean;
}

/**
 * Layers applied in order; each layer's `nOut` must equal the next one's `nIn`. The network follows a plan
 * made by nn/fusion.ts ({@link planFusion}) from the layers and its backend's
 * {@link Backend.fusesRectifiers}: where the backend fuses, a sparse layer with its rectifier and dropout
 * runs as one request and the next sparse layer's backward pass takes their gradient back; the results are
 * the same as layer by layer ({@link Sequential.segments}).
 */
export class Sequential {
  private backendRef: Backend;
  private steps: Step[] = [];
  /** The plan for sparse batches (first layer never fused), built on first use. */
  private sparseSteps: Step[] | null = null;
  /** The plan of the last forward pass, which its backward pass follows. */
  private active: Step[] = [];
  /** Forward passes so far: a {@link DenseGradientSource} is valid while this has not changed. */
  private passes = 0;

  /** @throws {@link ShapeError} when consecutive layer sizes do not chain. */
  constructor(
    readonly layers: readonly Layer[],
    backend: Backend,
  ) {
    if (layers.length === 0) throw new ShapeError('a Sequential network needs at least one layer');
    for (let l = 1; l < layers.length; l++) {
      if (layers[l - 1]!.nOut !== layers[l]!.nIn) {
        throw new ShapeError(
          `layer ${l - 1} (${layers[l - 1]!.kind}) outputs ${layers[l - 1]!.nOut} features but layer ${l} (${layers[l]!.kind}) expects ${layers[l]!.nIn}`,
        );
      }
    }
    this.backendRef = backend;
    for (const layer of layers) layer.setBackend(backend);
    this.steps = this.active = this.follow(false);
  }

  /** The steps of the plan for this backend (see {@link planFusion}), with their layers and mask buffers. */
  private follow(sparseInput: boolean): Step[] {
    const layers = this.layers;
    return planFusion(layers, this.backendRef.fusesRectifiers, { sparseInput }).map(({ segment, fused }) => {
      const head = layers[segment.first]!;
      if (!fused) return { segment, head, block: null };
      const block: Block = {
        linear: head as SparseLinear,
        activation: layers[segment.first + 1] as UnaryActivation,
        dropout: segment.count === 3 ? (layers[segment.first + 2] as Dropout) : null,
        masks: new ByteBuffer(),
        rectifier: null,
      };
      return { segment, head, block };
    });
  }

  /** How the layers run: one segment per layer, except fused sparse-rectifier(-dropout) blocks. */
  segments(): Segment[] {
    return this.steps.map((s) => s.segment);
  }

  /** Input features. */
  get nIn(): number {
    return this.layers[0]!.nIn;
  }
  /** Output features (classes). */
  get nOut(): number {
    return this.layers[this.layers.length - 1]!.nOut;
  }
  /** The backend in use. */
  get backend(): Backend {
    return this.backendRef;
  }

  /** Switches every layer to another backend. */
  setBackend(backend: Backend): void {
    // Values that live only on the old backend's device come home before the layers leave it.
    if (backend !== this.backendRef) this.backendRef.memory.sync();
    this.backendRef = backend;
    for (const layer of this.layers) layer.setBackend(backend);
    this.steps = this.active = this.follow(false);
    this.sparseSteps = null;
  }

  /** Whether {@link Sequential.forward} takes sparse batches: the first layer is a {@link SparseLinear}. */
  acceptsSparse(): boolean {
    return this.layers[0] instanceof SparseLinear;
  }

  /**
   * Forward pass over a feature-major batch (`nIn * batch` values), or over a {@link SparseBatch} of
   * `batch` samples when the first layer is a {@link SparseLinear} (wide sparse data: see
   * {@link SparseLinear.forwardSparse}); returns the last layer's output (`nOut * batch`, owned by that layer).
   * @param probe - called after each segment with its index in {@link Sequential.segments} (profiling; with
   *   a sparse batch, the segments of the sparse plan, where the first layer is never fused).
   * @throws {@link ShapeError} for a sparse batch when the first layer is not sparse, or of another size.
   */
  forward(x: Float32Array | SparseBatch, batch: number, ctx: ForwardContext, probe?: (segment: number) => void): Float32Array {
    let h: Float32Array;
    let k0 = 0;
    this.passes++;
    if (x instanceof SparseBatch) {
      const first = this.layers[0];
      if (!(first instanceof SparseLinear)) throw new ShapeError(`a sparse batch needs a sparse first layer, not ${first!.kind}`);
      if (x.batch !== batch) throw new ShapeError(`the sparse batch has ${x.batch} samples, expected batch = ${batch}`);
      this.active = this.sparseSteps ??= this.follow(true);
      h = first.forwardSparse(x);
      probe?.(0);
      k0 = 1;
    } else {
      this.active = this.steps;
      h = x;
    }
    const steps = this.active;
    for (let k = k0; k < steps.length; k++) {
      const s = steps[k]!;
      h = s.block === null ? s.head.forward(h, batch, ctx) : this.forwardBlock(s.block, h, batch, ctx);
      probe?.(k);
    }
    return h;
  }

  private forwardBlock(b: Block, x: Float32Array, batch: number, ctx: ForwardContext): Float32Array {
    const d = b.dropout;
    const rectifier: FusedRectifier = {
      op: b.activation.op as 'relu' | 'leaky-relu',
      alpha: b.activation.alpha,
      dropout: d !== null && ctx.training && d.rate > 0 ? { rate: d.rate, key: streamKey(ctx.seed, 'dropout', ctx.step, d.index) } : null,
      mask: b.masks.view(b.linear.nOut * batch, this.backendRef),
    };
    const y = b.linear.forwardRectified(x, batch, rectifier);
    b.rectifier = rectifier;
    return y;
  }

  /**
   * Backward pass from the gradient of the loss w.r.t. the output; fills every parameter gradient. Follows
   * the plan of the last forward pass: after a fused block, the next sparse layer's request takes the
   * block's rectifier back and writes its bias gradient.
   * @returns with `options.gradients`, the batch's {@link DenseGradientSource} over the sparse layers
   *   (valid until the next forward pass); else null.
   * @throws {@link ShapeError} when `gradients` and `overwriteActivations` are both set.
   */
  backward(dy: Float32Array, batch: number, options: NetworkBackwardOptions = {}): DenseGradientSource | null {
    const { probe, gradients = false } = options;
    const overwrite = options.overwriteActivations === true;
    if (gradients && overwrite) {
      throw new ShapeError('a dense-gradient source needs the layer inputs, which a backward pass allowed to overwrite them (overwriteActivations) may destroy');
    }
    const recorded: [SparseLinear, LayerGradient][] | null = gradients ? [] : null;
    let g: Float32Array | null = dy;
    // Whether the current head's bias gradient was written by the step after it.
    let biasDone = false;
    const steps = this.active;
    for (let k = steps.length - 1; k >= 0 && g !== null; k--) {
      const s = steps[k]!;
      // A fused block's gradient goes back through its rectifier and dropout inside this layer's product
      // (the plan puts a sparse layer after every block), which also sums it into the block's bias gradient.
      const before = k > 0 ? steps[k - 1]!.block : null;
      const fused = before !== null && before.rectifier !== null ? before : null;
      if (recorded !== null && s.head instanceof SparseLinear) recorded.push([s.head, { x: s.head.lastInput(), dy: g, batch, centre: s.head.inputCentre }]);
      g = s.head.backward({
        dy: g, batch,
        // The first layer's input gradient is never used: skip that product.
        needInput: k > 0,
        inputRectifier: fused === null ? null : fused.rectifier,
        inputBiasGrad: fused === null ? null : fused.linear.bias.grad,
        biasDone,
        overwriteInput: fused !== null && overwrite,
      });
      biasDone = fused !== null;
      probe?.(k);
    }
    if (recorded === null) return null;
    const pass = this.passes;
    return new DenseGradientSource(recorded, () => this.passes === pass);
  }

  /** Every trainable parameter, in layer order. */
  params(): Param[] {
    return this.layers.flatMap((layer) => layer.params());
  }

  /** The sparse linear layers, in order. */
  sparseLayers(): SparseLinear[] {
    return this.layers.filter((layer): layer is SparseLinear => layer instanceof SparseLinear);
  }

  /** The linear (sparse or dense) layers, in order. */
  linearLayers(): (SparseLinear | DenseLinear)[] {
    return this.layers.filter((layer): layer is SparseLinear | DenseLinear => layer instanceof SparseLinear || layer instanceof DenseLinear);
  }

  /** Number of weights (connections) of every linear layer, in order. */
  connectionsPerLayer(): number[] {
    return this.linearLayers().map((layer) => (layer instanceof SparseLinear ? layer.connections : layer.nIn * layer.nOut));
  }

  /** Total number of weights (connections), biases excluded. */
  connectionCount(): number {
    return this.connectionsPerLayer().reduce((a, b) => a + b, 0);
  }

  /** One summary per layer. */
  summary(): LayerSummary[] {
    return this.layers.map((layer) => layer.summary());
  }
}
