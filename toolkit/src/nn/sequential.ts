/**
 * A network as a sequence of layers.
 *
 * @packageDocumentation
 */
import type { Backend, FusedRectifier } from '../backend/backend';
import { streamKey } from '../core/counter-rng';
import { ShapeError } from '../core/errors';
import { SparseBatch } from '../sparse/sparse-batch';
import { UnaryActivation } from './activation';
import { Dropout } from './dropout';
import { ByteBuffer, type ForwardContext, type Layer, type LayerSummary, type Param } from './layer';
import { SparseLinear } from './sparse-linear';
import { DenseLinear } from './dense-linear';

/**
 * Consecutive layers that run as one unit: a single layer, or a sparse layer with the rectifier and
 * dropout after it, fused (see {@link Sequential}).
 */
export interface Segment {
  /** Index of the segment's first layer in {@link Sequential.layers}. */
  readonly first: number;
  /** Number of layers in the segment. */
  readonly count: number;
  /** The layer kinds joined by `+`, e.g. `"sparse-linear+relu+dropout"`. */
  readonly kind: string;
}

/** A sparse layer with its rectifier and optional dropout, run as one op. */
interface Block {
  readonly linear: SparseLinear;
  readonly activation: UnaryActivation;
  readonly dropout: Dropout | null;
  readonly masks: ByteBuffer;
  /** What the last forward pass applied (the next layer's backward pass takes it back). */
  rectifier: FusedRectifier | null;
}

interface Step {
  readonly segment: Segment;
  /** The segment's first layer: the whole segment, or the sparse layer of a fused block. */
  readonly head: Layer;
  readonly block: Block | null;
}

/**
 * Layers applied in order; each layer's `nOut` must equal the next one's `nIn`.
 *
 * On a backend with the fused ops ({@link Backend.spmmForwardRectified}), a sparse layer followed by a ReLU
 * or leaky ReLU (and optionally dropout) and then by another sparse layer runs as one op forward, and the
 * next layer's backward pass takes the input gradient back through the rectifier and dropout: the same
 * results as layer by layer, without the element-wise passes over the activations ({@link Sequential.segments}).
 */
export class Sequential {
  private backendRef: Backend;
  private steps: Step[] = [];
  /** The plan for sparse batches (first layer never fused), built on first use. */
  private sparseSteps: Step[] | null = null;
  /** The plan of the last forward pass, which its backward pass follows. */
  private active: Step[] = [];

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
    this.steps = this.active = this.plan();
  }

  /**
   * Cuts the layers into steps, fusing sparse-rectifier(-dropout) blocks when the backend can.
   * @param sparseInput - the plan for sparse batches: the first layer runs alone ({@link SparseLinear.forwardSparse}
   *   has no fused rectifier; its activation and dropout run as layers, a small cost beside a wide product).
   */
  private plan(sparseInput = false): Step[] {
    const be = this.backendRef;
    const fuse = be.spmmForwardRectified !== undefined && be.spmmBackward !== undefined;
    const steps: Step[] = [];
    const layers = this.layers;
    for (let l = 0; l < layers.length; ) {
      const linear = layers[l], activation = layers[l + 1];
      if (fuse && !(sparseInput && l === 0) && linear instanceof SparseLinear && activation instanceof UnaryActivation && (activation.op === 'relu' || activation.op === 'leaky-relu')) {
        const dropout = layers[l + 2] instanceof Dropout ? (layers[l + 2] as Dropout) : null;
        const count = dropout === null ? 2 : 3;
        // The layer after the block takes its gradient back, so it must be a sparse layer too.
        if (layers[l + count] instanceof SparseLinear) {
          const kind = layers.slice(l, l + count).map((x) => x.kind).join('+');
          steps.push({ segment: { first: l, count, kind }, head: linear, block: { linear, activation, dropout, masks: new ByteBuffer(), rectifier: null } });
          l += count;
          continue;
        }
      }
      steps.push({ segment: { first: l, count: 1, kind: layers[l]!.kind }, head: layers[l]!, block: null });
      l++;
    }
    return steps;
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
    if (backend !== this.backendRef) this.backendRef.sync?.();
    this.backendRef = backend;
    for (const layer of this.layers) layer.setBackend(backend);
    this.steps = this.active = this.plan();
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
    if (x instanceof SparseBatch) {
      const first = this.layers[0];
      if (!(first instanceof SparseLinear)) throw new ShapeError(`a sparse batch needs a sparse first layer, not ${first!.kind}`);
      if (x.batch !== batch) throw new ShapeError(`the sparse batch has ${x.batch} samples, expected batch = ${batch}`);
      this.active = this.sparseSteps ??= this.plan(true);
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
   * Backward pass from the gradient of the loss w.r.t. the output; fills every parameter gradient.
   * @param probe - called after each segment, in reverse order, with its index in {@link Sequential.segments}.
   * @param options.overwriteActivations - nothing reads the forward pass's activations after this call (a
   *   training step; not when gradient-based regrowth will read the layers' inputs): the output of a fused
   *   block, whose gradient is taken back inside the next layer's product, may then be overwritten by that
   *   gradient (see {@link Backend.spmmBackward}). The gradients are the same either way.
   */
  backward(dy: Float32Array, batch: number, probe?: (segment: number) => void, options: { overwriteActivations?: boolean } = {}): void {
    let g: Float32Array | null = dy;
    // Whether the current head's bias gradient was written by the step after it.
    let biasDone = false;
    const steps = this.active;
    for (let k = steps.length - 1; k >= 0 && g !== null; k--) {
      const s = steps[k]!;
      // The first layer's input gradient is never used: skip that product.
      const needInput = k > 0;
      const before = k > 0 ? steps[k - 1]!.block : null;
      if (s.head instanceof SparseLinear) {
        // A fused block's gradient goes back through its rectifier and dropout inside this layer's product
        // (plan() puts a sparse layer after every block), which also sums it into the block's bias gradient.
        const fused = before?.rectifier ? before : null;
        const overwrite = fused !== null && options.overwriteActivations === true;
        g = s.head.backward(g, batch, needInput, fused?.rectifier ?? undefined, fused?.linear.bias.grad, biasDone, overwrite);
        biasDone = fused !== null;
      } else {
        g = s.head.backward(g, batch, needInput);
        biasDone = false;
      }
      probe?.(k);
    }
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
