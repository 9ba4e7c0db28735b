/**
 * A dense linear layer with row-major weights (nOut x nIn). Used for dense baselines; never evolved.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend/backend';
import { checkLength } from '../core/assert';
import { adoptFloat32, Buffer, checkUnfused, type BackwardRequest, type ForwardContext, type Layer, type LayerSummary, type Param } from './layer';

/** A dense linear layer `y = W x + b`. */
export class DenseLinear implements Layer {
  readonly kind = 'dense-linear';
  readonly weight: Param;
  readonly bias: Param;
  private backend!: Backend;
  private input: Float32Array = new Float32Array(0);
  private readonly out = new Buffer();
  private readonly dIn = new Buffer();

  /** @param weights - row-major `nOut * nIn` initial values (the layer takes ownership). */
  constructor(
    readonly nIn: number,
    readonly nOut: number,
    weights: Float32Array,
    name: string,
  ) {
    checkLength(weights.length, nIn * nOut, `${name}.weight`, `nOut * nIn = ${nOut} * ${nIn}`);
    this.weight = { name: `${name}.weight`, values: weights, grad: new Float32Array(nIn * nOut), decay: true, role: 'weight' };
    this.bias = { name: `${name}.bias`, values: new Float32Array(nOut), grad: new Float32Array(nOut), decay: false, role: 'bias' };
  }

  /** Attaches the backend; parameters and gradients move into its memory. */
  setBackend(backend: Backend): void {
    if (backend === this.backend) return;
    this.backend = backend;
    for (const p of [this.weight, this.bias]) {
      p.values = adoptFloat32(p.values, backend);
      p.grad = adoptFloat32(p.grad, backend);
    }
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    checkLength(x.length, this.nIn * batch, 'dense layer input', `nIn * batch = ${this.nIn} * ${batch}`);
    this.input = x;
    return this.backend.denseForward(this.weight.values, this.nIn, this.nOut, x, batch, this.bias.values, this.out.view(this.nOut * batch, this.backend));
  }

  backward(req: BackwardRequest): Float32Array | null {
    checkUnfused(req, this.kind);
    const { dy, batch, needInput } = req;
    this.backend.denseWeightGrad(this.nIn, this.nOut, dy, this.input, batch, this.weight.grad);
    this.backend.biasGrad(dy, this.nOut, batch, this.bias.grad);
    if (!needInput) return null;
    return this.backend.denseInputGrad(this.weight.values, this.nIn, this.nOut, dy, batch, this.dIn.view(this.nIn * batch, this.backend));
  }

  params(): Param[] {
    return [this.weight, this.bias];
  }

  summary(): LayerSummary {
    return { kind: this.kind, nIn: this.nIn, nOut: this.nOut, parameters: this.nIn * this.nOut + this.nOut, detail: { connections: this.nIn * this.nOut } };
  }
}
