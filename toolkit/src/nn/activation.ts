/**
 * Activation layers: ReLU, leaky ReLU, All-ReLU (Curci et al. 2021), SReLU (trainable, the SET paper),
 * tanh, sigmoid, softmax and identity.
 *
 * @packageDocumentation
 */
import type { SReluParams, UnaryOp } from '../backend/backend';
import { check } from '../core/assert';
import { UnknownNameError } from '../core/errors';
import type { Rng } from '../core/rng';
import { Buffer, checkUnfused, ElementwiseLayer, type BackwardRequest, type ForwardContext, type Layer, type LayerSummary, type Param } from './layer';

/** Names of the activations accepted by {@link activationLayer} and the `mlp` builder. */
export const ACTIVATIONS = ['relu', 'leaky-relu', 'all-relu', 'srelu', 'tanh', 'sigmoid', 'softmax', 'identity'] as const;
/** An activation name. */
export type ActivationName = (typeof ACTIVATIONS)[number];

/** The default `alpha` of the activations that have one (run configs fill it in from here). */
export const DEFAULT_ALPHA: Readonly<Partial<Record<ActivationName, number>>> = { 'leaky-relu': 0.01, 'all-relu': 0.6 };

/**
 * How to build an activation. `alpha` is the negative slope for `leaky-relu` (default 0.01) and the
 * magnitude of the alternating slope for `all-relu` (default 0.6; 0.75 for CIFAR-10 in Curci et al.).
 */
export interface ActivationSpec {
  readonly name: ActivationName;
  readonly alpha?: number;
}

/** A parameter-free element-wise activation (ReLU, leaky ReLU / All-ReLU, tanh, sigmoid, identity). */
export class UnaryActivation extends ElementwiseLayer implements Layer {
  readonly kind: string;
  private input: Float32Array = new Float32Array(0);
  private output: Float32Array = new Float32Array(0);
  private readonly out = new Buffer();
  private readonly dIn = new Buffer();

  /**
   * @param op - the function.
   * @param alpha - the slope for x < 0 of `leaky-relu` (may be negative: All-ReLU).
   */
  constructor(
    n: number,
    readonly op: UnaryOp,
    readonly alpha = 0,
    kind?: string,
  ) {
    super(n);
    this.kind = kind ?? op;
  }
  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    this.input = x;
    this.output = this.backend.unaryForward(this.op, x, this.alpha, this.out.view(this.n * batch, this.backend));
    return this.output;
  }
  backward(req: BackwardRequest): Float32Array {
    checkUnfused(req, this.kind);
    const { dy, batch } = req;
    return this.backend.unaryBackward(this.op, this.input, this.output, dy, this.alpha, this.dIn.view(this.n * batch, this.backend));
  }
  params(): Param[] {
    return [];
  }
  summary(): LayerSummary {
    return { kind: this.kind, nIn: this.n, nOut: this.n, parameters: 0, ...(this.op === 'leaky-relu' ? { detail: { alpha: this.alpha } } : {}) };
  }
}

/**
 * SReLU with four trainable parameters per neuron. Initialisation follows keras-contrib's SReLU, which
 * the SET reference code used: `tl = 0`, `al ~ U(0, 1)`, `tr ~ U(0, 5)`, `ar = 1`.
 */
export class SRelu extends ElementwiseLayer implements Layer {
  readonly kind = 'srelu';
  readonly p: SReluParams;
  private readonly g: SReluParams;
  private readonly paramList: Param[];
  private input: Float32Array = new Float32Array(0);
  private readonly out = new Buffer();
  private readonly dIn = new Buffer();

  constructor(
    n: number,
    rng: Rng,
    name: string,
  ) {
    super(n);
    const tl = new Float32Array(n);
    const al = new Float32Array(n);
    const tr = new Float32Array(n);
    const ar = new Float32Array(n).fill(1);
    for (let j = 0; j < n; j++) {
      al[j] = rng.float();
      tr[j] = 5 * rng.float();
    }
    this.p = { tl, al, tr, ar };
    this.g = { tl: new Float32Array(n), al: new Float32Array(n), tr: new Float32Array(n), ar: new Float32Array(n) };
    this.paramList = (['tl', 'al', 'tr', 'ar'] as const).map((k) => ({
      name: `${name}.${k}`,
      values: this.p[k],
      grad: this.g[k],
      decay: false,
    }));
  }
  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    this.input = x;
    return this.backend.sreluForward(x, this.n, batch, this.p, this.out.view(this.n * batch, this.backend));
  }
  backward(req: BackwardRequest): Float32Array {
    checkUnfused(req, this.kind);
    const { dy, batch } = req;
    for (const k of ['tl', 'al', 'tr', 'ar'] as const) this.g[k].fill(0);
    return this.backend.sreluBackward(this.input, this.n, batch, this.p, dy, this.dIn.view(this.n * batch, this.backend), this.g);
  }
  params(): Param[] {
    return this.paramList;
  }
  summary(): LayerSummary {
    return { kind: this.kind, nIn: this.n, nOut: this.n, parameters: 4 * this.n };
  }
}

/** Softmax over the features of each sample (for MSE on probabilities; cross-entropy applies its own). */
export class Softmax extends ElementwiseLayer implements Layer {
  readonly kind = 'softmax';
  private output: Float32Array = new Float32Array(0);
  private readonly out = new Buffer();
  private readonly dIn = new Buffer();
  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    this.output = this.backend.softmaxForward(x, this.n, batch, this.out.view(this.n * batch, this.backend));
    return this.output;
  }
  backward(req: BackwardRequest): Float32Array {
    checkUnfused(req, this.kind);
    const { dy, batch } = req;
    return this.backend.softmaxBackward(this.output, dy, this.n, batch, this.dIn.view(this.n * batch, this.backend));
  }
  params(): Param[] {
    return [];
  }
  summary(): LayerSummary {
    return { kind: this.kind, nIn: this.n, nOut: this.n, parameters: 0 };
  }
}

/**
 * Builds the activation layer for `n` neurons.
 * @param hiddenIndex - 0-based index of the hidden layer this activation follows; All-ReLU uses it to
 *   alternate the sign of its slope (-alpha, +alpha, -alpha, ... as in Curci et al. 2021).
 * @throws {@link UnknownNameError} for an unknown activation name.
 */
export function activationLayer(spec: ActivationSpec, n: number, hiddenIndex: number, rng: Rng, name: string): Layer {
  switch (spec.name) {
    case 'relu':
      return new UnaryActivation(n, 'relu');
    case 'tanh':
      return new UnaryActivation(n, 'tanh');
    case 'sigmoid':
      return new UnaryActivation(n, 'sigmoid');
    case 'identity':
      return new UnaryActivation(n, 'identity');
    case 'leaky-relu': {
      const a = spec.alpha ?? DEFAULT_ALPHA['leaky-relu']!;
      check(Number.isFinite(a), `leaky-relu alpha must be finite, got ${a}`);
      return new UnaryActivation(n, 'leaky-relu', a);
    }
    case 'all-relu': {
      const a = spec.alpha ?? DEFAULT_ALPHA['all-relu']!;
      check(Number.isFinite(a), `all-relu alpha must be finite, got ${a}`);
      return new UnaryActivation(n, 'leaky-relu', hiddenIndex % 2 === 0 ? -a : a, 'all-relu');
    }
    case 'srelu':
      return new SRelu(n, rng, name);
    case 'softmax':
      return new Softmax(n);
    default:
      throw new UnknownNameError('activation', String((spec as ActivationSpec).name), ACTIVATIONS);
  }
}
