/**
 * The element-wise ops of the wasm backend. ReLU and leaky ReLU (All-ReLU) forward and backward, counter-based
 * dropout and its mask run in the kernels (branchless SIMD), doing the reference's arithmetic operation for
 * operation (float32 multiplies by float32-rounded slopes and scales), so they are bit-identical to it and
 * dropout draws the reference's mask (test/backend-wasm/elementwise.test.ts). tanh, sigmoid, softmax and
 * SReLU are the CPU reference on this backend's arrays: they are absent from the SET networks' hot path.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend';
import { sreluBackward, sreluForward, softmaxBackward, softmaxForward, unaryBackward, unaryForward } from '../cpu/activation';
import { dropoutScale, dropoutThreshold } from '../cpu/dropout';
import { f32Bits, type WasmContext } from './context';
import { ELEMENT_COST } from './plan';

type ElementwiseOps = Pick<
  Backend,
  'unaryForward' | 'unaryBackward' | 'dropout' | 'dropoutForward' | 'sreluForward' | 'sreluBackward' | 'softmaxForward' | 'softmaxBackward'
>;

/** The element-wise ops. */
export function elementwiseOps(ctx: WasmContext): ElementwiseOps {
  return {
    unaryForward(op, x, alpha, y) {
      const c = ctx.io.begin('unaryForward');
      if (op !== 'relu' && op !== 'leaky-relu') return unaryForward(op, x, alpha, y);
      const n = x.length;
      if (n === 0) return y;
      const xp = c.in(x, n, 'x');
      const yp = c.out(y, n, 'y');
      const parts = ctx.parts(n * ELEMENT_COST);
      ctx.on(parts).run([{ fn: 'rectifyRange', args: [op === 'relu' ? 0 : 1, xp, yp, f32Bits(alpha)] }], ctx.flat(n, parts));
      c.end();
      return y;
    },

    unaryBackward(op, x, y, dy, alpha, dx) {
      const c = ctx.io.begin('unaryBackward');
      if (op !== 'relu' && op !== 'leaky-relu') return unaryBackward(op, x, y, dy, alpha, dx);
      const n = dy.length;
      if (n === 0) return dx;
      const xp = c.in(x, n, 'x');
      const gp = c.in(dy, n, 'dy');
      const dp = c.out(dx, n, 'dx');
      const parts = ctx.parts(n * ELEMENT_COST);
      ctx.on(parts).run([{ fn: 'rectifyBackRange', args: [op === 'relu' ? 0 : 1, xp, gp, dp, f32Bits(alpha)] }], ctx.flat(n, parts));
      c.end();
      return dx;
    },

    dropout(x, rate, key, y, mask) {
      const c = ctx.io.begin('dropout');
      const n = x.length;
      if (n === 0) return y;
      const mp = c.bytesOut(mask, n, 'mask');
      const xp = c.in(x, n, 'x');
      const yp = c.out(y, n, 'y');
      const parts = ctx.parts(n * ELEMENT_COST);
      ctx.on(parts).run(
        [{ fn: 'dropoutRange', args: [xp, yp, mp, key[0], key[1], dropoutThreshold(rate) | 0, f32Bits(dropoutScale(rate))] }],
        ctx.flat(n, parts),
      );
      c.end();
      return y;
    },

    dropoutForward(x, mask, scale, y) {
      const c = ctx.io.begin('dropoutForward');
      const n = x.length;
      if (n === 0) return y;
      const mp = c.bytesIn(mask, n, 'mask');
      const xp = c.in(x, n, 'x');
      const yp = c.out(y, n, 'y');
      const parts = ctx.parts(n * ELEMENT_COST);
      ctx.on(parts).run([{ fn: 'maskRange', args: [xp, mp, yp, f32Bits(scale)] }], ctx.flat(n, parts));
      c.end();
      return y;
    },

    sreluForward(x, n, batch, p, y) {
      ctx.io.check('sreluForward');
      return sreluForward(x, n, batch, p, y);
    },
    sreluBackward(x, n, batch, p, dy, dx, dp) {
      ctx.io.check('sreluBackward');
      return sreluBackward(x, n, batch, p, dy, dx, dp);
    },
    softmaxForward(x, n, batch, y) {
      ctx.io.check('softmaxForward');
      return softmaxForward(x, n, batch, y);
    },
    softmaxBackward(y, dy, n, batch, dx) {
      ctx.io.check('softmaxBackward');
      return softmaxBackward(y, dy, n, batch, dx);
    },
  };
}
