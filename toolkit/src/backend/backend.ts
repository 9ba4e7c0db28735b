/**
 * The closed set of operations every backend implements.
 *
 * Layout: activations and their gradients are FEATURE-MAJOR. A batch of `batch` samples with `n`
 * features is a Float32Array of length `n * batch` where `x[f * batch + b]` is feature `f` of sample `b`.
 * One neuron's values for the whole batch are contiguous, so each sparse product is a sequence of
 * contiguous `batch`-long axpy or dot operations (DESIGN.md, "The hot path and its data layout").
 *
 * Sparse weights are {@link CsrMatrix} with one row per output neuron (row j lists its inputs).
 * Dense weights are row-major `nOut x nIn` Float32Arrays (`w[j * nIn + i]`).
 *
 * Conventions: the caller passes every output array; ops return it. Outputs are overwritten, never
 * accumulated into, unless the op says so. Ops never allocate in proportion to the data.
 *
 * @packageDocumentation
 */
import type { StreamKey } from '../core/counter-rng';
import type { CsrMatrix } from '../sparse/csr';
import type { SparseBatch } from '../sparse/sparse-batch';

/** Element-wise activation functions with no trainable parameters. */
export type UnaryOp = 'identity' | 'relu' | 'leaky-relu' | 'tanh' | 'sigmoid';

/** Per-neuron parameters of SReLU (each of length n): thresholds and slopes left and right. */
export interface SReluParams {
  readonly tl: Float32Array;
  readonly al: Float32Array;
  readonly tr: Float32Array;
  readonly ar: Float32Array;
}

/** Hyper-parameters of one SGD step. */
export interface SgdHyper {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
}

/** One array's SGD step, for {@link Backend.sgdSteps}. */
export interface SgdTask {
  readonly param: Float32Array;
  readonly grad: Float32Array;
  readonly velocity: Float32Array;
  readonly h: SgdHyper;
}

/** Hyper-parameters of one Adam step; `step` counts from 1. */
export interface AdamHyper {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly step: number;
}

/**
 * A rectifier, optionally followed by inverted dropout, applied after a sparse product by
 * {@link Backend.sparseForward} (`req.rectifier`) and taken back by {@link Backend.sparseBackward}
 * (`req.inputRectifier`).
 */
export interface FusedRectifier {
  /** ReLU, or leaky ReLU (All-ReLU is leaky ReLU with a signed slope). */
  readonly op: 'relu' | 'leaky-relu';
  /** Slope for inputs <= 0 of `leaky-relu` (ignored for `relu`). */
  readonly alpha: number;
  /** The dropout after the rectifier (its rate and counter stream, as in {@link Backend.dropout}), or null. */
  readonly dropout: { readonly rate: number; readonly key: StreamKey } | null;
  /**
   * One byte per output element that the forward pass may write and the backward pass read: what the
   * rectifier and dropout gradients need, in the backend's own format (opaque to callers).
   */
  readonly mask: Uint8Array;
}

/**
 * The forward pass of a sparse layer fed a SPARSE batch (the first layer of a network on wide sparse data):
 * `y[j,:] = bias[j] + sum over k in row j of w_k * x[col_k,:]`, where row `col_k` of the batch is the
 * sparse vector of {@link SparseBatch}. Exactly {@link Backend.spmmForward} on `x.toDense()`, to rounding.
 */
export interface SparseInputForwardRequest {
  /** The layer, `rows` outputs x `cols` inputs; `cols` must be `x.nFeatures`. */
  readonly w: CsrMatrix;
  /** The batch (`x.batch` samples). */
  readonly x: SparseBatch;
  /** `rows` biases, or null for none. */
  readonly bias: Float32Array | null;
  /** Output, `rows * x.batch` values, feature-major; overwritten. */
  readonly y: Float32Array;
}

/**
 * The weight gradient of a sparse layer fed a SPARSE batch, at the existing connections only:
 * `dw[k] = dot(dy[row_k,:], x[col_k,:])`, a sparse dot over the samples that have feature `col_k`.
 * Exactly {@link Backend.spmmWeightGrad} on `x.toDense()`, to rounding. (Such a layer's input gradient is
 * never needed: it is the network's first layer.)
 */
export interface SparseInputWeightGradRequest {
  readonly w: CsrMatrix;
  readonly x: SparseBatch;
  /** Gradient of the loss w.r.t. the layer's output, `rows * x.batch` values. */
  readonly dy: Float32Array;
  /** Output, `nnz` values aligned with `w.colIdx`; overwritten. */
  readonly dw: Float32Array;
}

/**
 * The forward pass of a sparse layer over a dense feature-major batch, optionally followed in place by a
 * rectifier and dropout: exactly `spmmForward(w, x, batch, bias, y)`, then, with `rectifier`,
 * `unaryForward(r.op, y, r.alpha, y)` and, when `r.dropout` is set, `dropout(y, rate, key, y, ...)`; writes
 * `r.mask` in the backend's own format (see {@link FusedRectifier}). Every backend accepts every field;
 * {@link Backend.fusesRectifiers} says whether doing it in one request is faster than op by op.
 */
export interface SparseForwardRequest {
  /** The layer, `rows` outputs x `cols` inputs. */
  readonly w: CsrMatrix;
  /** Input, `cols * batch` values, feature-major. */
  readonly x: Float32Array;
  readonly batch: number;
  /** `rows` biases, or null for none. */
  readonly bias: Float32Array | null;
  /** Output, `rows * batch` values; overwritten. */
  readonly y: Float32Array;
  /** The rectifier (and dropout) after the product, applied in place in `y`; absent or null: none. */
  readonly rectifier?: FusedRectifier | null;
}

/**
 * The backward pass of a sparse layer: exactly `spmmWeightGrad(w, dy, x, batch, dw)`, then, when `db` is
 * not null, `biasGrad(dy, w.rows, batch, db)` and, when `dx` is not null, `spmmInputGrad(w, dy, batch, dx)`.
 * The outputs must not overlap the inputs (a backend may interleave reading `x` with writing `dx`).
 *
 * With `inputRectifier` (the rectifier and dropout that the previous block's {@link SparseForwardRequest}
 * applied, whose output is this layer's input `x`), the input gradient is taken back through them: exactly
 * `dropoutForward` with the dropout scale, then `unaryBackward`. With `inputRectifier`, `inputBiasGrad`, when
 * given, receives the previous block's bias gradient, `biasGrad(dx, w.cols, batch, inputBiasGrad)` (the same
 * bits), summed while each dx row is at hand.
 *
 * `overwriteInput`: the caller no longer needs `x` after this call, so the backend may write the input
 * gradient into `x` instead of `dx`. The op returns the array it wrote the input gradient to (`x` or `dx`),
 * or null when `dx` is null: callers use the returned array.
 */
export interface SparseBackwardRequest {
  readonly w: CsrMatrix;
  /** Gradient of the loss w.r.t. the layer's output, `rows * batch` values. */
  readonly dy: Float32Array;
  /** The layer's input of the forward pass, `cols * batch` values. */
  readonly x: Float32Array;
  readonly batch: number;
  /** Weight gradient, `nnz` values aligned with `w.colIdx`; overwritten. */
  readonly dw: Float32Array;
  /** Bias gradient (`rows` values), or null when it is not wanted (written elsewhere, or no bias). */
  readonly db: Float32Array | null;
  /** Input gradient (`cols * batch` values), or null when nobody needs it (the first layer). */
  readonly dx: Float32Array | null;
  /** The rectifier (and dropout) between the previous layer and this one, taken back; absent or null: none. */
  readonly inputRectifier?: FusedRectifier | null;
  /** With `inputRectifier`: the previous block's bias gradient, written here; absent or null: not wanted. */
  readonly inputBiasGrad?: Float32Array | null;
  /** The caller no longer needs `x`: the input gradient may be written over it (default false). */
  readonly overwriteInput?: boolean;
}

/**
 * Work a backend has started and the caller must wait for, so that the caller can do its own work in the
 * meantime (the trainer gathers the next batch while the optimizer's update runs on worker threads). Until
 * {@link PendingWork.wait} returns, the caller must not call the backend nor touch the arrays of the request.
 */
export interface PendingWork {
  /** Finishes the work (the calling thread may take part) and returns when it is done; idempotent. */
  wait(): void;
}

/**
 * Where a backend's arrays live. Every backend has one; on the CPU reference every member is a plain
 * allocation or a no-op.
 */
export interface BackendMemory {
  /**
   * Whether op outputs stay on a device between ops until {@link BackendMemory.sync} (gpu.js in GL modes);
   * recorded in run manifests.
   */
  readonly resident: boolean;
  /**
   * A zero-filled Float32Array of length `n` in this backend's own memory, which its ops read and write in
   * place instead of copying (a plain `new Float32Array(n)` on the CPU). The memory returns to the backend
   * when the array is garbage-collected, so keep the array itself reachable while any view of it is in use.
   */
  allocFloat32(n: number): Float32Array;
  /** Like {@link BackendMemory.allocFloat32}, for byte arrays (dropout masks). */
  allocUint8(n: number): Uint8Array;
  /**
   * `a` in this backend's memory, with its values: `a` itself where the backend's ops read and write it in
   * place as it is (every array on the CPU reference and gpu.js), else a copy from
   * {@link BackendMemory.allocFloat32}. Layers and optimizers adopt their parameters and state this way when
   * they get a backend, so that on the CPU a layer keeps the very arrays it was given.
   */
  adoptFloat32(a: Float32Array): Float32Array;
  /**
   * Returns an array from `allocFloat32` or `allocUint8` to the backend at once, without waiting for garbage
   * collection; does nothing for any other array. Only for arrays whose owner knows that no view of them is
   * in use any more (optimizer state and gradients replaced after evolution).
   */
  release(a: Float32Array | Uint8Array): void;
  /**
   * Makes the host copies current (a no-op where nothing lives on a device). With no argument, every array
   * an op wrote since the last sync is read back; with `arrays`, only those. Afterwards the host may read
   * those arrays and write them in place (the next op uploads them again). Callers sync before the host reads
   * an op's output (other than the loss and predictions, which ops return on the host) or writes in place an
   * array that ops wrote.
   */
  sync(arrays?: readonly Float32Array[]): void;
}

/**
 * A compute backend: a closed op set, every member required. The CPU reference (`backend/cpu`) is always
 * available; others are checked against it and the Float64 oracle by the shared backend test suite.
 */
export interface Backend {
  /** Backend name, e.g. `"cpu"`. */
  readonly name: string;
  /** The mode that really runs, e.g. `"reference"`; recorded in run manifests. */
  readonly mode: string;
  /** Threads that run its kernels (1 for a single-threaded backend); recorded in run manifests. */
  readonly threads: number;
  /**
   * Whether a sparse product with its rectifier and dropout ({@link SparseForwardRequest.rectifier}, and
   * {@link SparseBackwardRequest.inputRectifier} back) runs faster as one request than op by op. Every
   * backend accepts the fused fields and gives the same results either way; network planning (nn/fusion.ts)
   * fuses only where this is true.
   */
  readonly fusesRectifiers: boolean;
  /** Allocation, release and device residency of this backend's arrays. */
  readonly memory: BackendMemory;

  /** Sparse forward: `y[j,:] = bias[j] + sum_k w_k * x[col_k,:]`. `x`: cols x batch, `y`: rows x batch. */
  spmmForward(w: CsrMatrix, x: Float32Array, batch: number, bias: Float32Array | null, y: Float32Array): Float32Array;
  /** Sparse input gradient: `dx[col_k,:] = sum over entries k of w_k * dy[row_k,:]`. `dx` is overwritten. */
  spmmInputGrad(w: CsrMatrix, dy: Float32Array, batch: number, dx: Float32Array): Float32Array;
  /** Gradient at the existing connections only: `dw[k] = dot(dy[row_k,:], x[col_k,:])`; length nnz. */
  spmmWeightGrad(w: CsrMatrix, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array): Float32Array;
  /** A sparse layer's forward pass with an optional rectifier and dropout (see {@link SparseForwardRequest}); returns `req.y`. */
  sparseForward(req: SparseForwardRequest): Float32Array;
  /** A sparse layer's backward pass (see {@link SparseBackwardRequest}); returns the input gradient's array, or null. */
  sparseBackward(req: SparseBackwardRequest): Float32Array | null;
  /** Sparse layer x sparse batch, forward (see {@link SparseInputForwardRequest}); returns `req.y`. */
  sparseInputForward(req: SparseInputForwardRequest): Float32Array;
  /** Sparse layer x sparse batch, weight gradient (see {@link SparseInputWeightGradRequest}); returns `req.dw`. */
  sparseInputWeightGrad(req: SparseInputWeightGradRequest): Float32Array;

  /** Dense forward with row-major `w` (nOut x nIn). */
  denseForward(
    w: Float32Array, nIn: number, nOut: number, x: Float32Array, batch: number, bias: Float32Array | null, y: Float32Array,
  ): Float32Array;
  /** Dense input gradient `dx = W^T dy`. */
  denseInputGrad(w: Float32Array, nIn: number, nOut: number, dy: Float32Array, batch: number, dx: Float32Array): Float32Array;
  /** Dense weight gradient `dw[j,i] = dot(dy[j,:], x[i,:])`. */
  denseWeightGrad(nIn: number, nOut: number, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array): Float32Array;
  /** Bias gradient: `db[j] = sum_b dy[j,b]`. */
  biasGrad(dy: Float32Array, n: number, batch: number, db: Float32Array): Float32Array;

  /** Element-wise activation `y = f(x)`; `alpha` is the negative slope of `leaky-relu`. */
  unaryForward(op: UnaryOp, x: Float32Array, alpha: number, y: Float32Array): Float32Array;
  /** `dx = f'(x) * dy`, given the forward input `x` and output `y`. */
  unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, alpha: number, dx: Float32Array): Float32Array;
  /** SReLU forward for `n` neurons x `batch`. */
  sreluForward(x: Float32Array, n: number, batch: number, p: SReluParams, y: Float32Array): Float32Array;
  /** SReLU backward: writes `dx`, ACCUMULATES into the parameter gradients `dp`. */
  sreluBackward(x: Float32Array, n: number, batch: number, p: SReluParams, dy: Float32Array, dx: Float32Array, dp: SReluParams): Float32Array;
  /** Softmax over the `n` features of each sample. */
  softmaxForward(x: Float32Array, n: number, batch: number, y: Float32Array): Float32Array;
  /** Softmax backward given its output `y`: `dx = y * (dy - sum(dy * y))` per sample. */
  softmaxBackward(y: Float32Array, dy: Float32Array, n: number, batch: number, dx: Float32Array): Float32Array;
  /**
   * Applies a dropout mask: `y = mask ? x * scale : 0` (mask of 0/1 bytes; `scale` is rounded to float32,
   * so the product is one float32 multiplication in every backend). The backward pass of {@link Backend.dropout}.
   */
  dropoutForward(x: Float32Array, mask: Uint8Array, scale: number, y: Float32Array): Float32Array;
  /**
   * Inverted dropout with a counter-based mask: element `i` is kept when
   * `counterBits16(key, i) >= floor(rate * 2^16)` (core/counter-rng.ts), so the mask is a pure function of
   * (key, i) and any backend, in any order or thread split, draws the same one. Writes `mask` (0/1 bytes)
   * and `y = keep ? x * fround(1 / (1 - rate)) : 0`; returns `y`.
   */
  dropout(x: Float32Array, rate: number, key: StreamKey, y: Float32Array, mask: Uint8Array): Float32Array;

  /**
   * Softmax cross-entropy on logits (n classes x batch). Writes the gradient of the MEAN loss w.r.t. the
   * logits into `grad` and returns the SUM of per-sample losses. Also writes predicted classes to `pred`.
   */
  softmaxCrossEntropy(logits: Float32Array, labels: Int32Array, n: number, batch: number, grad: Float32Array, pred: Int32Array): number;
  /**
   * Mean squared error against one-hot labels (n x batch): loss per sample is `sum_f (y - t)^2 / n`.
   * Writes the gradient of the mean loss to `grad`, returns the sum of per-sample losses; `pred` = argmax.
   */
  mseOneHot(output: Float32Array, labels: Int32Array, n: number, batch: number, grad: Float32Array, pred: Int32Array): number;

  /** One SGD step in place over a parameter array and its velocity (Keras/PyTorch-style momentum). */
  sgdStep(param: Float32Array, grad: Float32Array, velocity: Float32Array, h: SgdHyper): void;
  /**
   * The SGD steps of several parameter arrays, each exactly as {@link Backend.sgdStep} computes it (the same
   * bits), started as one job where the backend can (the wasm backend runs them on its worker threads). The
   * caller may do its own work before {@link PendingWork.wait} (see there for what it must not do); a
   * backend without threads does the steps at once and returns work that is already done. Shapes are checked
   * before anything starts.
   */
  sgdSteps(steps: readonly SgdTask[]): PendingWork;
  /** One Adam step in place (Kingma and Ba 2015, with bias correction; L2 weight decay added to the gradient). */
  adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper): void;
}
