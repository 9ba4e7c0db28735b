/**
 * Inverted dropout (Srivastava et al. 2014): in training, each activation is kept with probability
 * `1 - rate` and scaled by `1 / (1 - rate)`; at inference it is the identity.
 *
 * The mask is counter-based: element `i` of the batch (feature-major index `f * batch + b`) is kept when
 * `counterBits16(streamKey(seed, 'dropout', step, index), i) >= floor(rate * 2^16)` (core/counter-rng.ts), a
 * pure function of (seed, step, layer, element), so a backend may draw it in any order, in SIMD lanes or
 * split across threads, and get the same mask as the reference.
 *
 * @packageDocumentation
 */
import { check } from '../core/assert';
import { dropoutScale, streamKey } from '../core/counter-rng';
import { Buffer, ByteBuffer, checkUnfused, ElementwiseLayer, type BackwardRequest, type ForwardContext, type Layer, type LayerSummary, type Param } from './layer';

/** A dropout layer. Its mask for a batch is the counter-based stream `streamKey(seed, 'dropout', step, index)`. */
export class Dropout extends ElementwiseLayer implements Layer {
  readonly kind = 'dropout';
  private mask: Uint8Array = new Uint8Array(0);
  private active = false;
  private readonly masks = new ByteBuffer();
  private readonly out = new Buffer();
  private readonly dIn = new Buffer();

  /**
   * @param rate - probability of dropping a unit, in [0, 1).
   * @param index - a number that names this layer's random stream (its position in the network).
   */
  constructor(
    n: number,
    readonly rate: number,
    readonly index: number,
  ) {
    super(n);
    check(Number.isFinite(rate) && rate >= 0 && rate < 1, `dropout rate must be in [0, 1), got ${rate}`);
  }
  forward(x: Float32Array, batch: number, ctx: ForwardContext): Float32Array {
    this.active = ctx.training && this.rate > 0;
    if (!this.active) return x;
    const len = this.n * batch;
    this.mask = this.masks.view(len, this.backend);
    const key = streamKey(ctx.seed, 'dropout', ctx.step, this.index);
    const y = this.out.view(len, this.backend);
    return this.backend.dropout(x, this.rate, key, y, this.mask);
  }
  backward(req: BackwardRequest): Float32Array {
    checkUnfused(req, this.kind);
    if (!this.active) return req.dy;
    const { dy, batch } = req;
    const len = this.n * batch;
    return this.backend.dropoutForward(dy, this.mask, dropoutScale(this.rate), this.dIn.view(len, this.backend));
  }
  params(): Param[] {
    return [];
  }
  summary(): LayerSummary {
    return { kind: this.kind, nIn: this.n, nOut: this.n, parameters: 0, detail: { rate: this.rate } };
  }
}
