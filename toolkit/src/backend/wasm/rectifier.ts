/**
 * The rectifier and dropout that the sparse products apply in their kernels (a {@link FusedRectifier}): its
 * mask, and the descriptor the kernels read (assembly/fused.ts, "Fused rectifier and dropout").
 *
 * The mask format (opaque to callers, Backend `FusedRectifier.mask`): one byte per element, bit 0 kept by
 * dropout (1 without dropout), bit 1 pre-activation > 0. ReLU writes none: its output is > 0 exactly where
 * the pre-activation was > 0 and dropout kept the element, which its backward reads instead.
 *
 * @packageDocumentation
 */
import type { FusedRectifier } from '../backend';
import { dropoutScale, dropoutThreshold } from '../cpu/dropout';
import type { Arena } from './arena';
import { f32Bits, type WasmContext } from './context';
import type { Call } from './memory';
import { ELEMENT_COST } from './plan';

/** The kernels' descriptor of a fused rectifier: one block of wasm memory, rewritten for each call. */
export class Epilogue {
  private readonly offset: number;
  private readonly words: Int32Array;

  constructor(arena: Arena) {
    this.offset = arena.alloc(64).offset;
    this.words = new Int32Array(arena.f32.buffer, this.offset, 8);
  }

  /** Writes the descriptor of `r` (its byte record at `maskPtr`, 0 for none); returns its address. */
  describe(r: FusedRectifier, maskPtr: number): number {
    const w = this.words;
    const leaky = r.op === 'leaky-relu';
    w[0] = (leaky ? 2 : 0) | (r.dropout !== null ? 4 : 0);
    w[1] = f32Bits(leaky ? r.alpha : 0);
    w[2] = r.dropout !== null ? r.dropout.key[0] : 0;
    w[3] = r.dropout !== null ? r.dropout.key[1] : 0;
    w[4] = r.dropout !== null ? dropoutThreshold(r.dropout.rate) | 0 : 0;
    w[5] = r.dropout !== null ? f32Bits(dropoutScale(r.dropout.rate)) : 0;
    w[6] = maskPtr;
    return this.offset;
  }

  /** The address of `r.mask[0 .. n)` that a forward writes (0 for ReLU, which keeps no record). */
  maskOut(c: Call, r: FusedRectifier, n: number): number {
    return r.op === 'relu' ? 0 : c.bytesOut(r.mask, n, 'rectifier mask');
  }

  /** The address of `r.mask[0 .. n)` that a backward reads (0 for ReLU). */
  maskIn(c: Call, r: FusedRectifier, n: number): number {
    return r.op === 'relu' ? 0 : c.bytesIn(r.mask, n, 'rectifier mask');
  }

  /**
   * Applies `r`'s gradients in place to the `cols` x `batch` input gradient at `dp` (after a scatter); `ap`:
   * the block's output, `maskPtr` its record.
   */
  back(ctx: WasmContext, r: FusedRectifier, dp: number, ap: number, cols: number, batch: number, maskPtr: number): void {
    const parts = ctx.parts(cols * batch * ELEMENT_COST);
    ctx.on(parts).run([{ fn: 'rectifyBackRows', args: [this.describe(r, maskPtr), dp, ap, batch] }], ctx.even(cols, parts));
  }
}
