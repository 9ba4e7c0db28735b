/**
 * The layer abstraction of the network: a forward pass over a feature-major batch, a backward pass that
 * fills parameter gradients and returns the input gradient, and the trainable parameters.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend/backend';

/**
 * A trainable array and its gradient. A sparse layer's weight parameter holds one value per connection;
 * when the topology changes, the layer swaps `values`/`grad` and the optimizer remaps its state.
 */
export interface Param {
  /** Qualified name, e.g. `"layers.0.weight"`. */
  readonly name: string;
  /** Current values (owned by the layer). */
  values: Float32Array;
  /** Gradient of the mean loss, same length as `values`; overwritten by each backward pass. */
  grad: Float32Array;
  /** Whether weight decay applies (weights yes; biases and activation parameters no). */
  readonly decay: boolean;
}

/** What a forward pass needs to know besides its input. */
export interface ForwardContext {
  /** Training mode (dropout active) or inference. */
  readonly training: boolean;
  /** The run's seed; layers derive their random streams from it. */
  readonly seed: number;
  /** Global training step (batch counter), used to name random streams. */
  readonly step: number;
}

/** A short description of a layer for summaries and manifests. */
export interface LayerSummary {
  readonly kind: string;
  readonly nIn: number;
  readonly nOut: number;
  /** Trainable scalars (for sparse layers: connections plus biases). */
  readonly parameters: number;
  /** Extra facts, e.g. `{ connections: 35680, density: 0.0455 }`. */
  readonly detail?: Record<string, number | string>;
}

/** A layer of a {@link Sequential} network. Activations are feature-major (`x[f * batch + b]`). */
export interface Layer {
  /** Layer kind, e.g. `"sparse-linear"`. */
  readonly kind: string;
  /** Input features. */
  readonly nIn: number;
  /** Output features. */
  readonly nOut: number;
  /**
   * Computes the output for a batch. The returned array is owned by the layer and valid until the
   * next forward call; the layer keeps what its backward pass needs.
   */
  forward(x: Float32Array, batch: number, ctx: ForwardContext): Float32Array;
  /**
   * Given the gradient of the loss w.r.t. the last output, fills every parameter's `grad` and returns the
   * gradient w.r.t. the input (owned by the layer), or `null` when `needInput` is false.
   */
  backward(dy: Float32Array, batch: number, needInput: boolean): Float32Array | null;
  /** Trainable parameters (possibly none). */
  params(): Param[];
  /** Summary for logs and manifests. */
  summary(): LayerSummary;
  /** Attaches the compute backend (called by the network). */
  setBackend(backend: Backend): void;
}

/**
 * A reusable output buffer that grows to the largest batch seen and hands out exact-length views, so the
 * training step does not allocate per batch.
 */
export class Buffer {
  private data = new Float32Array(0);

  /** A view of exactly `length` floats (contents unspecified). */
  view(length: number): Float32Array {
    if (this.data.length < length) this.data = new Float32Array(length);
    return length === this.data.length ? this.data : this.data.subarray(0, length);
  }
}
