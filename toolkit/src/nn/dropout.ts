/**
 * Inverted dropout (Srivastava et al. 2014): in training, each activation is kept with probability
 * `1 - rate` and scaled by `1 / (1 - rate)`; at inference it is the identity.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend/backend';
import { check } from '../core/assert';
import { rngFor } from '../core/rng';
import { Buffer, type ForwardContext, type Layer, type LayerSummary, type Param } from './layer';

/** A dropout layer. Its mask for a batch comes from `rngFor(seed, 'dropout', step, index)`. */
export class Dropout implements Layer {
  readonly kind = 'dropout';
  private backend!: Backend;
  private mask = new Uint8Array(0);
  private active = false;
  private readonly out = new Buffer();
  private readonly dIn = new Buffer();

  /**
   * @param rate - probability of dropping a unit, in [0, 1).
   * @param index - a number that names this layer's random stream (its position in the network).
   */
  constructor(
    readonly n: number,
    readonly rate: number,
    readonly index: number,
  ) {
    check(Number.isFinite(rate) && rate >= 0 && rate < 1, `dropout rate must be in [0, 1), got ${rate}`);
  }
  get nIn(): number {
    return this.n;
  }
  get nOut(): number {
    return this.n;
  }
  setBackend(backend: Backend): void {
    this.backend = backend;
  }
  forward(x: Float32Array, batch: number, ctx: ForwardContext): Float32Array {
    this.active = ctx.training && this.rate > 0;
    if (!this.active) return x;
    const len = this.n * batch;
    if (this.mask.length < len) this.mask = new Uint8Array(len);
    const rng = rngFor(ctx.seed, 'dropout', ctx.step, this.index);
    // Compare 32-bit draws with an integer threshold: one draw per unit, no float conversion.
    const threshold = Math.floor(this.rate * 4294967296);
    const mask = this.mask;
    for (let i = 0; i < len; i++) mask[i] = rng.uint32() >= threshold ? 1 : 0;
    return this.backend.dropoutForward(x, mask.subarray(0, len), 1 / (1 - this.rate), this.out.view(len));
  }
  backward(dy: Float32Array, batch: number, _needInput: boolean): Float32Array {
    if (!this.active) return dy;
    const len = this.n * batch;
    return this.backend.dropoutForward(dy, this.mask.subarray(0, len), 1 / (1 - this.rate), this.dIn.view(len));
  }
  params(): Param[] {
    return [];
  }
  summary(): LayerSummary {
    return { kind: this.kind, nIn: this.n, nOut: this.n, parameters: 0, detail: { rate: this.rate } };
  }
}
