/**
 * A truly sparse linear layer: weights in CSR (one row per output neuron), a dense bias. No dense weight
 * matrix or mask exists at any point; memory and work are proportional to the number of connections.
 *
 * @packageDocumentation
 */
import type { Backend, FusedRectifier } from '../backend/backend';
import { checkLength } from '../core/assert';
import { ShapeError } from '../core/errors';
import { CsrMatrix } from '../sparse/csr';
import type { SparseBatch } from '../sparse/sparse-batch';
import { adoptFloat32, Buffer, type BackwardRequest, type ForwardContext, type Layer, type LayerSummary, type Param } from './layer';

const EMPTY = new Float32Array(0);

/** A sparse linear layer `y = W x + b` with `W` in CSR. */
export class SparseLinear implements Layer {
  readonly kind = 'sparse-linear';
  readonly nIn: number;
  readonly nOut: number;
  /** The weight parameter: one value per connection, aligned with `weights.colIdx`. */
  readonly weight: Param;
  /** The bias parameter, one per output neuron. */
  readonly bias: Param;
  /** Whether evolution policies may change this layer's topology (dense-by-construction layers say no). */
  evolvable: boolean;
  private w: CsrMatrix;
  private backend!: Backend;
  private input: Float32Array = new Float32Array(0);
  /** The sparse batch of the last forward pass when it was {@link SparseLinear.forwardSparse} (else null). */
  private sparseInput: SparseBatch | null = null;
  private readonly out = new Buffer();
  private readonly dIn = new Buffer();
  /** Input centring (see {@link SparseLinear.setInputCentre}): one value per input, or null. */
  private centre: Float32Array | null = null;
  /** `b - W c`, the bias the ops see when the inputs are centred. */
  private readonly centredBias = new Buffer();

  /**
   * @param weights - the topology and initial values (rows = nOut, cols = nIn); the layer takes ownership.
   * @param name - prefix of the parameter names, e.g. `"layers.0"`.
   */
  constructor(weights: CsrMatrix, name: string, bias?: Float32Array) {
    this.nIn = weights.cols;
    this.nOut = weights.rows;
    this.w = weights;
    this.evolvable = weights.nnz < weights.rows * weights.cols;
    this.weight = { name: `${name}.weight`, values: weights.values, grad: new Float32Array(weights.nnz), decay: true, role: 'weight' };
    const b = bias ?? new Float32Array(this.nOut);
    checkLength(b.length, this.nOut, `${name}.bias`);
    this.bias = { name: `${name}.bias`, values: b, grad: new Float32Array(this.nOut), decay: false, role: 'bias' };
  }

  /** The current topology and weights (values are shared with {@link SparseLinear.weight}). */
  get weights(): CsrMatrix {
    return this.w;
  }

  /** Number of connections. */
  get connections(): number {
    return this.w.nnz;
  }

  /**
   * Replaces the topology (after evolution). The new matrix's values become the weight parameter's
   * values (copied once into the backend's memory, see {@link Buffer}; then {@link SparseLinear.weights} is a
   * matrix with the same topology over that copy); the gradient is reset.
   * Optimizer state must be remapped by the caller.
   * @throws {@link ShapeError} if the new matrix has a different shape.
   */
  setWeights(weights: CsrMatrix): void {
    if (weights.rows !== this.nOut || weights.cols !== this.nIn) {
      throw new ShapeError(`new topology is ${weights.rows} x ${weights.cols}, layer is ${this.nOut} x ${this.nIn}`);
    }
    this.w = this.backend ? this.adopt(weights, this.backend) : weights;
    this.weight.values = this.w.values;
    // The old gradient belongs to the old topology and to this layer alone: return it to the backend now.
    // (Old weight values are not: a caller may still hold the old matrix; they go when it is collected.)
    if (this.backend) {
      this.backend.memory.release(this.weight.grad);
      this.weight.grad = this.backend.memory.allocFloat32(weights.nnz);
    } else {
      this.weight.grad = new Float32Array(weights.nnz);
    }
  }

  /** Attaches the backend; parameters and gradients move into its memory. */
  setBackend(backend: Backend): void {
    if (backend === this.backend) return;
    this.backend = backend;
    this.w = this.adopt(this.w, backend);
    this.weight.values = this.w.values;
    this.weight.grad = adoptFloat32(this.weight.grad, backend);
    this.bias.values = adoptFloat32(this.bias.values, backend);
    this.bias.grad = adoptFloat32(this.bias.grad, backend);
  }

  private adopt(w: CsrMatrix, backend: Backend): CsrMatrix {
    const values = adoptFloat32(w.values, backend);
    return values === w.values ? w : new CsrMatrix(w.rows, w.cols, w.rowPtr, w.colIdx, values);
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    checkLength(x.length, this.nIn * batch, 'sparse layer input', `nIn * batch = ${this.nIn} * ${batch}`);
    this.input = x;
    this.sparseInput = null;
    return this.backend.spmmForward(this.w, x, batch, this.forwardBias(), this.out.view(this.nOut * batch, this.backend));
  }

  /**
   * The forward pass followed by the rectifier (and dropout) after this layer, `r`, as one request
   * ({@link Backend.sparseForward}); writes `r.mask`. Every backend accepts it; a network plan asks for it
   * where the backend says it is faster ({@link Backend.fusesRectifiers}, nn/fusion.ts).
   */
  forwardRectified(x: Float32Array, batch: number, r: FusedRectifier): Float32Array {
    checkLength(x.length, this.nIn * batch, 'sparse layer input', `nIn * batch = ${this.nIn} * ${batch}`);
    this.input = x;
    this.sparseInput = null;
    return this.backend.sparseForward({ w: this.w, x, batch, bias: this.forwardBias(), y: this.out.view(this.nOut * batch, this.backend), rectifier: r });
  }

  /**
   * The forward pass over a SPARSE batch (the first layer on wide sparse data, {@link Backend.sparseInputForward}):
   * the same outputs as {@link SparseLinear.forward} on the dense batch `x.toDense()`, to rounding, without
   * any `nIn * batch` array. The following backward pass computes the weight and bias gradients only
   * (`needInput` must be false: a sparse batch is a network's input, whose gradient nobody needs).
   * @throws {@link ShapeError} when the batch's width is not `nIn`.
   */
  forwardSparse(x: SparseBatch): Float32Array {
    if (x.nFeatures !== this.nIn) throw new ShapeError(`sparse layer input has ${x.nFeatures} features, expected nIn = ${this.nIn}`);
    const batch = x.batch;
    this.sparseInput = x;
    this.input = EMPTY;
    return this.backend.sparseInputForward({ w: this.w, x, bias: this.forwardBias(), y: this.out.view(this.nOut * batch, this.backend) });
  }

  /**
   * The backward pass ({@link Backend.sparseBackward}): weight and bias gradients, and the input gradient
   * when `req.needInput`. The fused fields of the request come from the network plan (nn/fusion.ts):
   * `inputRectifier` takes the input gradient back through the rectifier (and dropout) of the block before
   * this layer, writing that block's bias gradient into `inputBiasGrad`; `biasDone` says this layer's bias
   * gradient was written that way already; `overwriteInput` lets the backend write the input gradient over
   * the input of the last forward pass.
   * @throws {@link ShapeError} after a forward pass over a sparse batch, when the request asks for the input
   *   gradient or takes a rectifier back (such a layer is the network's first).
   */
  backward(req: BackwardRequest): Float32Array | null {
    const dx = this.backwardUncentred(req);
    if (this.centre !== null) this.centreWeightGrad(req.dy, req.batch);
    return dx;
  }

  private backwardUncentred(req: BackwardRequest): Float32Array | null {
    const { dy, batch } = req;
    if (this.sparseInput !== null) {
      // Fed a sparse batch: the network's input, so no input gradient (and no rectifier before it).
      if (req.needInput || req.inputRectifier) throw new ShapeError('a layer fed a sparse batch has no input gradient: it must be the first layer');
      this.backend.sparseInputWeightGrad({ w: this.w, x: this.sparseInput, dy, dw: this.weight.grad });
      if (!req.biasDone) this.backend.biasGrad(dy, this.nOut, batch, this.bias.grad);
      return null;
    }
    const inputRectifier = req.inputRectifier ?? null;
    return this.backend.sparseBackward({
      w: this.w, dy, x: this.input, batch, dw: this.weight.grad,
      db: req.biasDone ? null : this.bias.grad,
      dx: req.needInput ? this.dIn.view(this.nIn * batch, this.backend) : null,
      inputRectifier,
      inputBiasGrad: inputRectifier === null ? null : req.inputBiasGrad ?? null,
      overwriteInput: req.overwriteInput ?? false,
    });
  }

  /**
   * The input of the last forward pass: a feature-major batch, or the sparse batch of
   * {@link SparseLinear.forwardSparse}. Valid until the next forward pass (and, after a backward pass with
   * `overwriteInput`, no longer the input). Gradient-based regrowth reads it through a
   * `DenseGradientSource` (nn/dense-gradient.ts) built right after the backward pass.
   */
  lastInput(): Float32Array | SparseBatch {
    return this.sparseInput ?? this.input;
  }

  params(): Param[] {
    return [this.weight, this.bias];
  }

  /**
   * Centres the layer's inputs: from now on the layer computes `y = W (x - c) + b` (and the matching
   * gradients) for dense and sparse batches alike, `c` one value per input (e.g. the training set's feature
   * means, `featureMeans` in data/), or stops centring with `null`. A SPARSE batch stays sparse: the layer
   * folds the centre into the bias, `b - W c`, in O(connections) per forward pass, and corrects the weight
   * gradient, `dW_k -= c[col_k] * sum_b dy[j, b]`, in O(connections) per backward pass; no `nIn * batch`
   * array of centred inputs ever exists. Why: uncentred inputs such as 0/1/2 genotype counts give every
   * weight of a neuron a shared gradient component along the input means (the neuron's bias error), which
   * dominates on very wide layers, ranks common features above informative ones by magnitude, and biases
   * gradient-based regrowth towards frequent features. The centre is not a trainable parameter; model files
   * and checkpoints store it with the layer (io/model-file).
   * @throws {@link ShapeError} when `c` does not have `nIn` values.
   */
  setInputCentre(c: Float32Array | null): void {
    if (c !== null) checkLength(c.length, this.nIn, 'input centre', `nIn = ${this.nIn}`);
    this.centre = c;
  }

  /** The centre set by {@link SparseLinear.setInputCentre}, or null. */
  get inputCentre(): Float32Array | null {
    return this.centre;
  }

  /** The bias the forward ops use: `b`, or `b - W c` with centred inputs (O(connections)). */
  private forwardBias(): Float32Array {
    const c = this.centre;
    if (c === null) return this.bias.values;
    const { rowPtr, colIdx, values } = this.w;
    const b = this.bias.values, out = this.centredBias.view(this.nOut, this.backend);
    for (let j = 0; j < this.nOut; j++) {
      let s = 0;
      for (let k = rowPtr[j]!, end = rowPtr[j + 1]!; k < end; k++) s += values[k]! * c[colIdx[k]!]!;
      out[j] = b[j]! - s;
    }
    return out;
  }

  /** `sum_b dy[j, b]`, the sum of neuron `j`'s output gradient over the batch. */
  private static rowSum(dy: Float32Array, j: number, batch: number): number {
    let s = 0;
    for (let b = j * batch, end = b + batch; b < end; b++) s += dy[b]!;
    return s;
  }

  /** The centred weight gradient: `dW_k -= c[col_k] * sum_b dy[j, b]` (O(connections + nOut * batch)). */
  private centreWeightGrad(dy: Float32Array, batch: number): void {
    const c = this.centre!, dw = this.weight.grad;
    const { rowPtr, colIdx } = this.w;
    for (let j = 0; j < this.nOut; j++) {
      const s = SparseLinear.rowSum(dy, j, batch);
      if (s === 0) continue;
      for (let k = rowPtr[j]!, end = rowPtr[j + 1]!; k < end; k++) dw[k] = dw[k]! - c[colIdx[k]!]! * s;
    }
  }

  summary(): LayerSummary {
    return {
      kind: this.kind,
      nIn: this.nIn,
      nOut: this.nOut,
      parameters: this.w.nnz + this.nOut,
      detail: { connections: this.w.nnz, density: Number(this.w.density.toPrecision(4)), evolvable: String(this.evolvable) },
    };
  }
}
