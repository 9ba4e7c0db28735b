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
 * A rectifier, optionally followed by inverted dropout, fused into a sparse product by
 * {@link Backend.spmmForwardRectified} and taken back by {@link Backend.spmmBackward}.
 */
export interface FusedRectifier {
  /** ReLU, or leaky ReLU (All-ReLU is leaky ReLU with a signed slope). */
  readonly op: 'relu' | 'leaky-relu';
  /** Slope for inputs <= 0 of `leaky-relu` (ignored for `relu`). */
  readonly alpha: number;
  /** The dropout after the rectifier (its rate and counter stream, as in {@link Backend.dropout}), or null. */
  readonly dropout: { readonly rate: number; readonly key: StreamKey } | null;
  /**
   * One byte per output element that the forward pass may write and the backward pass read (what the
   * rectifier and dropout gradients need, in the backend's own format: the wasm backend records dropout's
   * keep and the pre-activation's sign for leaky ReLU, and nothing for ReLU, whose output tells both).
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
 * A compute backend. The CPU reference (`backend/cpu`) is always available; others are checked against
 * it by the shared backend test suite.
 */
export interface Backend {
  /** Backend name, e.g. `"cpu"`. */
  readonly name: string;
  /** The mode that really runs, e.g. `"reference"`; recorded in run manifests. */
  readonly mode: string;
  /** Threads that run its kernels, when it can use several (absent: one); recorded in run manifests. */
  readonly threads?: number;
  /**
   * Whether op outputs stay on a device between ops until {@link Backend.sync} (absent: no); recorded in run
   * manifests.
   */
  readonly resident?: boolean;

  /** Sparse forward: `y[j,:] = bias[j] + sum_k w_k * x[col_k,:]`. `x`: cols x batch, `y`: rows x batch. */
  spmmForward(w: CsrMatrix, x: Float32Array, batch: number, bias: Float32Array | null, y: Float32Array): Float32Array;
  /** Sparse input gradient: `dx[col_k,:] = sum over entries k of w_k * dy[row_k,:]`. `dx` is overwritten. */
  spmmInputGrad(w: CsrMatrix, dy: Float32Array, batch: number, dx: Float32Array): Float32Array;
  /** Gradient at the existing connections only: `dw[k] = dot(dy[row_k,:], x[col_k,:])`; length nnz. */
  spmmWeightGrad(w: CsrMatrix, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array): Float32Array;
  /** Sparse layer x sparse batch, forward (see {@link SparseInputForwardRequest}); returns `req.y`. */
  sparseInputForward(req: SparseInputForwardRequest): Float32Array;
  /** Sparse layer x sparse batch, weight gradient (see {@link SparseInputWeightGradRequest}); returns `req.dw`. */
  sparseInputWeightGrad(req: SparseInputWeightGradRequest): Float32Array;
  /**
   * OPTIONAL fused backward pass of a sparse layer: exactly `spmmWeightGrad(w, dy, x, batch, dw)`,
   * `biasGrad(dy, w.rows, batch, db)` and, when `dx` is not null, `spmmInputGrad(w, dy, batch, dx)`; returns
   * `dx`. A backend that keeps data on a device implements it to move `dy` and `x` there once for the three
   * products; layers call it when present and fall back to the three ops otherwise. The outputs must not
   * overlap the inputs (a backend may interleave reading `x` with writing `dx`).
   *
   * `overwriteInput`: the caller no longer needs `x` after this call, so the backend may write the input
   * gradient into `x` instead of `dx` (where the x rows it has just read are in cache, and without a second
   * activation-sized array). It returns the array it wrote, `x` or `dx`: callers use the returned array.
   */
  spmmBackward?(
    w: CsrMatrix, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array, db: Float32Array | null, dx: Float32Array | null,
    inputRectifier?: FusedRectifier, inputBiasGrad?: Float32Array, overwriteInput?: boolean,
  ): Float32Array | null;
  /**
   * OPTIONAL fused forward pass of a sparse layer and the rectifier (and dropout) after it: exactly
   * `spmmForward(w, x, batch, bias, y)`, then `unaryForward(r.op, y, r.alpha, y)`, then, when `r.dropout` is
   * set, `dropout(y, rate, key, y, ...)`, in place in `y`; writes `r.mask` (see {@link FusedRectifier}).
   * A backend that offers it also accepts `inputRectifier` in {@link Backend.spmmBackward}: then `dx` is
   * the input gradient taken back through that rectifier and dropout (the previous block's, whose forward
   * pass wrote its `mask` and whose output is this layer's input `x`), exactly `dropoutForward` with the
   * dropout scale, then `unaryBackward`. With `inputRectifier`, such a backend also takes
   * `inputBiasGrad`: it then writes the bias gradient of the block's layer, `biasGrad(dx, w.cols, batch,
   * inputBiasGrad)` (the same bits), summed while each dx row is at hand; and that layer's own backward is
   * then called with `db` null (its bias gradient is not computed again). Networks use the pair
   * when present ({@link Sequential}), with the same results as the ops one by one, and skip the two
   * element-wise passes over the activations in each direction.
   */
  spmmForwardRectified?(w: CsrMatrix, x: Float32Array, batch: number, bias: Float32Array | null, r: FusedRectifier, y: Float32Array): Float32Array;

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
   * so the product is one float32 multiplication in every backend). The backward pass of {@link dropout}.
   */
  dropoutForward(x: Float32Array, mask: Uint8Array, scale: number, y: Float32Array): Float32Array;
  /**
   * OPTIONAL inverted dropout with a counter-based mask (the reference is `backend/cpu/dropout.ts`, which
   * layers use when a backend lacks this op): element `i` is kept when
   * `counterBits16(key, i) >= floor(rate * 2^16)` (core/counter-rng.ts), so the mask is a pure function of
   * (key, i) and any backend, in any order or thread split, draws the same one. Writes `mask` (0/1 bytes)
   * and `y = keep ? x * fround(1 / (1 - rate)) : 0`; returns `y`.
   */
  dropout?(x: Float32Array, rate: number, key: StreamKey, y: Float32Array, mask: Uint8Array): Float32Array;

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
   * OPTIONAL: the SGD steps of several parameter arrays at once, each exactly as {@link Backend.sgdStep}
   * computes it (the same bits), in one pass where the backend can (the wasm backend runs them as one
   * threaded job instead of one job per array). Optimizers call it when it exists.
   * @param meanwhile - caller's work to overlap with the steps (the trainer gathers the next batch): it
   *   runs once on the calling thread (unless the call is refused for bad shapes, before anything runs),
   *   after worker threads have started on the steps, and must not call into the backend; if it throws,
   *   the steps still complete, then the error is rethrown.
   */
  sgdSteps?(steps: readonly SgdTask[], meanwhile?: () => void): void;
  /** One Adam step in place (Kingma and Ba 2015, with bias correction; L2 weight decay added to the gradient). */
  adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper): void;

  /**
   * OPTIONAL, for backends that keep op outputs on a device between ops (gpu.js in GL modes): makes the
   * host copies current. With no argument, every array an op wrote since the last sync is read back; with
   * `arrays`, only those. Afterwards the host may read those arrays and write them in place (the next op
   * uploads them again).
   *
   * Until then an array an op wrote may hold stale values on the host, so callers sync before the host reads
   * an op's output (other than the loss and predictions, which ops return on the host) or writes in place
   * an array that ops wrote. The toolkit does so wherever it reads or writes them: `Model.fit` syncs at every
   * epoch end, before evolution, before the divergence checks; `predict`, checkpoints and model files sync
   * too. A user callback that reads parameters in the middle of an epoch calls `model.backend.sync?.()`.
   * Backends without device memory do not implement it.
   */
  sync?(arrays?: readonly Float32Array[]): void;

  /**
   * OPTIONAL: a zero-filled Float32Array of length `n` in this backend's own memory, which its ops read and
   * write in place instead of copying. Layers, optimizers and the fit loop allocate their buffers with it
   * when present (plain `new Float32Array(n)` otherwise). The memory returns to the backend when the array
   * is garbage-collected, so keep the array itself reachable while any view of it (a subarray) is in use.
   */
  allocFloat32?(n: number): Float32Array;
  /** OPTIONAL: like {@link Backend.allocFloat32}, for byte arrays (dropout masks). */
  allocUint8?(n: number): Uint8Array;
  /**
   * OPTIONAL: returns an array from {@link Backend.allocFloat32} or `allocUint8` to the backend at once,
   * without waiting for garbage collection; does nothing for any other array. Only for arrays whose owner
   * knows that no view of them is in use any more (optimizer state and gradients replaced after evolution).
   */
  release?(a: Float32Array | Uint8Array): void;
}
