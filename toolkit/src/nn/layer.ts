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
  /**
   * What the array is: the weights or biases of a linear layer, or another trainable array (activation
   * parameters). Absent: other. The reference SET code's weight decay applies to weights and biases.
   */
  readonly role?: 'weight' | 'bias';
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
 * Base of the layers that keep the shape, `n` features in and `n` out (activations, dropout): their size,
 * and the backend they run on.
 */
export abstract class ElementwiseLayer {
  protected backend!: Backend;
  constructor(readonly n: number) {}
  get nIn(): number {
    return this.n;
  }
  get nOut(): number {
    return this.n;
  }
  setBackend(backend: Backend): void {
    this.backend = backend;
  }
}

/**
 * A reusable output buffer that grows to the largest batch seen and hands out exact-length views, so the
 * training step does not allocate per batch. Given a backend that offers `allocFloat32`, the storage lives
 * in that backend's memory (its ops then read and write it in place, without copies); otherwise it is a
 * plain Float32Array. Views stay valid until the next call that grows the buffer or changes the backend.
 */
export class Buffer {
  private data: Float32Array = new Float32Array(0);
  private owner: Backend | null = null;
  private last: Float32Array = this.data;

  /** A view of exactly `length` floats (contents unspecified), in `backend`'s memory when it has an allocator. */
  view(length: number, backend?: Backend): Float32Array {
    const owner = backend?.allocFloat32 ? backend : null;
    if (this.data.length < length || owner !== this.owner) {
      this.data = owner ? owner.allocFloat32!(length) : new Float32Array(length);
      this.owner = owner;
      this.last = this.data;
    }
    if (this.last.length !== length) this.last = length === this.data.length ? this.data : this.data.subarray(0, length);
    return this.last;
  }
}

/** {@link Buffer} for bytes (dropout masks), allocated with the backend's `allocUint8` when it has one. */
export class ByteBuffer {
  private data: Uint8Array = new Uint8Array(0);
  private owner: Backend | null = null;
  private last: Uint8Array = this.data;

  /** A view of exactly `length` bytes (contents unspecified). */
  view(length: number, backend?: Backend): Uint8Array {
    const owner = backend?.allocUint8 ? backend : null;
    if (this.data.length < length || owner !== this.owner) {
      this.data = owner ? owner.allocUint8!(length) : new Uint8Array(length);
      this.owner = owner;
      this.last = this.data;
    }
    if (this.last.length !== length) this.last = length === this.data.length ? this.data : this.data.subarray(0, length);
    return this.last;
  }
}

/**
 * A copy of `a` in `backend`'s memory when the backend has an allocator (see {@link Buffer}), else `a`
 * itself. Layers adopt their parameters this way when they get a backend or a new topology.
 */
export function adoptFloat32(a: Float32Array, backend: Backend): Float32Array {
  if (!backend.allocFloat32) return a;
  const b = backend.allocFloat32(a.length);
  b.set(a);
  return b;
}
