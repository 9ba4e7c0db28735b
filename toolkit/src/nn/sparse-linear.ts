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
import { adoptFloat32, Buffer, type ForwardContext, type Layer, type LayerSummary, type Param } from './layer';

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
  private lastDy: Float32Array | null = null;
  /** The last backward pass was allowed to write its input gradient over `input` (overwriteInput). */
  private inputOverwritten = false;
  private lastBatch = 0;
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
   * values (copied once into the backend's memory when it has an allocator, see {@link Buffer}; then
   * {@link SparseLinear.weights} is a matrix with the same topology over that copy); the gradient is reset.
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
    this.backend?.release?.(this.weight.grad);
    this.weight.grad = this.backend?.allocFloat32?.(weights.nnz) ?? new Float32Array(weights.nnz);
  }

  /** Attaches the backend; parameters and gradients move into its memory when it has an allocator. */
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
    this.lastDy = null;
    this.inputOverwritten = false;
    this.lastBatch = batch;
    return this.backend.spmmForward(this.w, x, batch, this.forwardBias(), this.out.view(this.nOut * batch, this.backend));
  }

  /**
   * The forward pass fused with the rectifier (and dropout) after this layer, `r`, on a backend that offers
   * {@link Backend.spmmForwardRectified} (networks call it when the backend has the op); writes `r.mask`.
   * @throws Error when the backend has no fused op.
   */
  forwardRectified(x: Float32Array, batch: number, r: FusedRectifier): Float32Array {
    checkLength(x.length, this.nIn * batch, 'sparse layer input', `nIn * batch = ${this.nIn} * ${batch}`);
    if (!this.backend.spmmForwardRectified) throw new Error(`backend '${this.backend.name}' has no fused rectifier op`);
    this.input = x;
    this.sparseInput = null;
    this.lastDy = null;
    this.inputOverwritten = false;
    this.lastBatch = batch;
    return this.backend.spmmForwardRectified(this.w, x, batch, this.forwardBias(), r, this.out.view(this.nOut * batch, this.backend));
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
    this.lastDy = null;
    this.inputOverwritten = false;
    this.lastBatch = batch;
    return this.backend.sparseInputForward({ w: this.w, x, bias: this.forwardBias(), y: this.out.view(this.nOut * batch, this.backend) });
  }

  /**
   * @param inputRectifier - the fused rectifier of the block before this layer (see
   *   {@link SparseLinear.forwardRectified}): the returned input gradient is then taken back through it.
   * @param inputBiasGrad - with `inputRectifier`: the bias gradient of the block's layer, written here
   *   (the row sums of the returned gradient, see {@link Backend.spmmBackward}).
   * @param biasDone - this layer's bias gradient was written already (by the next layer's backward pass,
   *   through `inputBiasGrad`).
   * @param overwriteInput - the input of the last forward pass is not needed after this call: the backend
   *   may return the input gradient in its storage (see {@link Backend.spmmBackward}).
   */
  backward(
    dy: Float32Array, batch: number, needInput: boolean, inputRectifier?: FusedRectifier, inputBiasGrad?: Float32Array, biasDone = false,
    overwriteInput = false,
  ): Float32Array | null {
    const dx = this.backwardUncentred(dy, batch, needInput, inputRectifier, inputBiasGrad, biasDone, overwriteInput);
    if (this.centre !== null) this.centreWeightGrad(dy, batch);
    return dx;
  }

  private backwardUncentred(
    dy: Float32Array, batch: number, needInput: boolean, inputRectifier?: FusedRectifier, inputBiasGrad?: Float32Array, biasDone = false,
    overwriteInput = false,
  ): Float32Array | null {
    this.lastDy = dy;
    this.inputOverwritten = overwriteInput;
    if (this.sparseInput !== null) {
      // Fed a sparse batch: the network's input, so no input gradient (and no rectifier before it).
      if (needInput || inputRectifier !== undefined) throw new ShapeError('a layer fed a sparse batch has no input gradient: it must be the first layer');
      this.backend.sparseInputWeightGrad({ w: this.w, x: this.sparseInput, dy, dw: this.weight.grad });
      if (!biasDone) this.backend.biasGrad(dy, this.nOut, batch, this.bias.grad);
      return null;
    }
    if (this.backend.spmmBackward) {
      const dx = needInput ? this.dIn.view(this.nIn * batch, this.backend) : null;
      const db = biasDone ? null : this.bias.grad;
      return this.backend.spmmBackward(
        this.w, dy, this.input, batch, this.weight.grad, db, dx, inputRectifier, inputRectifier === undefined ? undefined : inputBiasGrad, overwriteInput,
      );
    }
    if (inputRectifier !== undefined || biasDone) throw new Error(`backend '${this.backend.name}' has no fused backward op`);
    this.backend.spmmWeightGrad(this.w, dy, this.input, batch, this.weight.grad);
    this.backend.biasGrad(dy, this.nOut, batch, this.bias.grad);
    if (!needInput) return null;
    return this.backend.spmmInputGrad(this.w, dy, batch, this.dIn.view(this.nIn * batch, this.backend));
  }

  params(): Param[] {
    return [this.weight, this.bias];
  }

  /** Whether the last forward pass was followed by a backward pass (so dense gradient rows exist). */
  hasGradient(): boolean {
    return this.lastDy !== null;
  }

  /**
   * Row `j` of the DENSE gradient of the last batch's loss w.r.t. this layer's weights:
   * `out[i] = dot(dy[j,:], x[i,:])` for every input `i`, connected or not. Used by gradient-based
   * regrowth (RigL) on evolution steps only; one row at a time, O(nIn * batch).
   * @throws {@link ShapeError} when no backward pass followed the last forward pass, or when that pass
   *   was allowed to overwrite this layer's input (`Sequential.backward` with `overwriteActivations`).
   */
  denseGradientRow(j: number, out: Float32Array): Float32Array {
    const dy = this.lastDy;
    if (dy === null) throw new ShapeError('denseGradientRow needs a backward pass after the last forward pass');
    if (this.inputOverwritten) {
      throw new ShapeError('denseGradientRow needs the layer input, which the last backward pass was allowed to overwrite (overwriteActivations)');
    }
    const batch = this.lastBatch, x = this.input, go = j * batch;
    const sx = this.sparseInput;
    if (sx !== null) {
      // Over the batch's stored entries: inputs absent from the batch have a zero gradient (before centring).
      for (let i = 0; i < this.nIn; i++) {
        let s = 0;
        for (let e = sx.featPtr[i]!, end = sx.featPtr[i + 1]!; e < end; e++) s += dy[go + sx.sample[e]!]! * sx.values[e]!;
        out[i] = s;
      }
      return this.centreGradientRow(dy, j, out);
    }
    for (let i = 0; i < this.nIn; i++) {
      const xo = i * batch;
      let s = 0;
      for (let b = 0; b < batch; b++) s += dy[go + b]! * x[xo + b]!;
      out[i] = s;
    }
    return this.centreGradientRow(dy, j, out);
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

  /** Row `j` of the dense gradient with centred inputs: `out[i] -= c[i] * sum_b dy[j, b]` (O(nIn)). */
  private centreGradientRow(dy: Float32Array, j: number, out: Float32Array): Float32Array {
    const c = this.centre;
    if (c === null) return out;
    const s = SparseLinear.rowSum(dy, j, this.lastBatch);
    for (let i = 0; i < this.nIn; i++) out[i] = out[i]! - c[i]! * s;
    return out;
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
