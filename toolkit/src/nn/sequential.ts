/**
 * A network as a sequence of layers.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend/backend';
import { ShapeError } from '../core/errors';
import type { ForwardContext, Layer, LayerSummary, Param } from './layer';
import { SparseLinear } from './sparse-linear';
import { DenseLinear } from './dense-linear';

/** Layers applied in order; each layer's `nOut` must equal the next one's `nIn`. */
export class Sequential {
  private backendRef: Backend;

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
  }

  /**
   * Forward pass over a feature-major batch (`nIn * batch` values); returns the last layer's output
   * (`nOut * batch`, owned by that layer).
   */
  forward(x: Float32Array, batch: number, ctx: ForwardContext): Float32Array {
    let h = x;
    for (const layer of this.layers) h = layer.forward(h, batch, ctx);
    return h;
  }

  /** Backward pass from the gradient of the loss w.r.t. the output; fills every parameter gradient. */
  backward(dy: Float32Array, batch: number): void {
    let g: Float32Array | null = dy;
    for (let l = this.layers.length - 1; l >= 0 && g !== null; l--) {
      // The first layer's input gradient is never used: skip that product.
      g = this.layers[l]!.backward(g, batch, l > 0);
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
