/**
 * The layer abstraction of the network: a forward pass over a feature-major batch, a backward pass that
 * fills parameter gradients and returns the input gradient, and the trainable parameters.
 *
 * @packageDocumentation
 */
import type { Backend, FusedRectifier } from '../backend/backend';
import { ShapeError } from '../core/errors';
import type { Param } from '../core/param';

// Defined in core/ so that optim/ need not import nn/; re-exported here, where the public API always had it.
export type { Param } from '../core/param';

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

/**
 * What a layer's backward pass takes: one request object for every layer. The optional fields are the
 * fused ones that a network plan (nn/fusion.ts) sets for a {@link SparseLinear} after a fused block; every
 * other layer refuses them ({@link checkUnfused}).
 */
export interface BackwardRequest {
  /** Gradient of the loss w.r.t. the layer's last output, `nOut * batch` values. */
  readonly dy: Float32Array;
  readonly batch: number;
  /** Whether the input gradient is wanted (false for the first layer: nobody reads it). */
  readonly needInput: boolean;
  /**
   * The rectifier (and dropout) that the block before this layer applied after its product: the input
   * gradient is taken back through it (see `SparseBackwardRequest.inputRectifier`).
   */
  readonly inputRectifier?: FusedRectifier | null;
  /** With `inputRectifier`: the bias gradient of the block's layer, written here. */
  readonly inputBiasGrad?: Float32Array | null;
  /** This layer's bias gradient was written already (by the next layer's backward pass, `inputBiasGrad`). */
  readonly biasDone?: boolean;
  /** The input of the last forward pass is not needed after this call: the backend may write over it. */
  readonly overwriteInput?: boolean;
}

/**
 * Refuses the fused fields of a backward request in a layer that has no fused backward pass (every layer but
 * {@link SparseLinear}): a plan that sets them for another layer is a bug, better loud than silently ignored.
 * @throws {@link ShapeError} naming the layer kind and the field.
 */
export function checkUnfused(req: BackwardRequest, kind: string): void {
  if (req.inputRectifier || req.inputBiasGrad || req.biasDone || req.overwriteInput) {
    const field = req.inputRectifier ? 'inputRectifier' : req.inputBiasGrad ? 'inputBiasGrad' : req.biasDone ? 'biasDone' : 'overwriteInput';
    throw new ShapeError(`a ${kind} layer has no fused backward pass: its backward request must not set ${field}`);
  }
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
   * Given the gradient of the loss w.r.t. the last output (`req.dy`), fills every parameter's `grad` and
   * returns the gradient w.r.t. the input (owned by the layer), or `null` when `req.needInput` is false.
   * Only {@link SparseLinear} accepts the fused fields of {@link BackwardRequest}; other layers refuse them.
   */
  backward(req: BackwardRequest): Float32Array | null;
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
 * training step does not allocate per batch. Given a backend, the storage lives in that backend's memory
 * (`backend.memory.allocFloat32`: its ops then read and write it in place, without copies); otherwise it
 * is a plain Float32Array. Views stay valid until the next call that grows the buffer or changes the backend.
 */
export class Buffer {
  private data: Float32Array = new Float32Array(0);
  private owner: Backend | null = null;
  private last: Float32Array = this.data;

  /** A view of exactly `length` floats (contents unspecified), in `backend`'s memory when one is given. */
  view(length: number, backend?: Backend): Float32Array {
    const owner = backend ?? null;
    if (this.data.length < length || owner !== this.owner) {
      this.data = owner ? owner.memory.allocFloat32(length) : new Float32Array(length);
      this.owner = owner;
      this.last = this.data;
    }
    if (this.last.length !== length) this.last = length === this.data.length ? this.data : this.data.subarray(0, length);
    return this.last;
  }
}

/** {@link Buffer} for bytes (dropout masks), allocated with the backend's `memory.allocUint8` when given one. */
export class ByteBuffer {
  private data: Uint8Array = new Uint8Array(0);
  private owner: Backend | null = null;
  private last: Uint8Array = this.data;

  /** A view of exactly `length` bytes (contents unspecified). */
  view(length: number, backend?: Backend): Uint8Array {
    const owner = backend ?? null;
    if (this.data.length < length || owner !== this.owner) {
      this.data = owner ? owner.memory.allocUint8(length) : new Uint8Array(length);
      this.owner = owner;
      this.last = this.data;
    }
    if (this.last.length !== length) this.last = length === this.data.length ? this.data : this.data.subarray(0, length);
    return this.last;
  }
}

/**
 * `a` in `backend`'s memory (`backend.memory.adoptFloat32`: `a` itself on the CPU reference, a copy where
 * the backend has memory of its own, see {@link Buffer}). Layers adopt their parameters this way when they
 * get a backend or a new topology.
 */
export function adoptFloat32(a: Float32Array, backend: Backend): Float32Array {
  return backend.memory.adoptFloat32(a);
}
