/**
 * The dense layer products of the wasm backend, and the bias gradient (which sums in float32 lanes: close
 * to the reference, not identical; bit-identical across thread counts).
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend';
import type { WasmContext } from './context';

/** Backend.denseForward, denseInputGrad, denseWeightGrad and biasGrad. */
export function denseOps(ctx: WasmContext): Pick<Backend, 'denseForward' | 'denseInputGrad' | 'denseWeightGrad' | 'biasGrad'> {
  return {
    denseForward(w, nIn, nOut, x, batch, bias, y) {
      const c = ctx.io.begin('denseForward');
      if (nOut === 0 || batch === 0) return y;
      const wp = c.in(w, nIn * nOut, 'w');
      const xp = c.in(x, nIn * batch, 'x');
      const bp = bias === null ? 0 : c.in(bias, nOut, 'bias');
      const yp = c.out(y, nOut * batch, 'y');
      const parts = ctx.parts(nIn * nOut * batch);
      ctx.on(parts).run([{ fn: 'denseGatherRows', args: [wp, nIn * 4, 4, nIn, xp, batch, bp, yp] }], ctx.even(nOut, parts));
      c.end();
      return y;
    },

    denseInputGrad(w, nIn, nOut, dy, batch, dx) {
      const c = ctx.io.begin('denseInputGrad');
      if (nIn === 0 || batch === 0) return dx;
      const wp = c.in(w, nIn * nOut, 'w');
      const gp = c.in(dy, nOut * batch, 'dy');
      const xp = c.out(dx, nIn * batch, 'dx');
      const parts = ctx.parts(nIn * nOut * batch);
      ctx.on(parts).run([{ fn: 'denseGatherRows', args: [wp, 4, nIn * 4, nOut, gp, batch, 0, xp] }], ctx.even(nIn, parts));
      c.end();
      return dx;
    },

    denseWeightGrad(nIn, nOut, dy, x, batch, dw) {
      const c = ctx.io.begin('denseWeightGrad');
      if (nIn === 0 || nOut === 0) return dw;
      const gp = c.in(dy, nOut * batch, 'dy');
      const xp = c.in(x, nIn * batch, 'x');
      const wp = c.out(dw, nIn * nOut, 'dw');
      const parts = ctx.parts(nIn * nOut * batch);
      ctx.on(parts).run([{ fn: 'denseDotRows', args: [nIn, gp, xp, batch, wp] }], ctx.even(nOut, parts));
      c.end();
      return dw;
    },

    biasGrad(dy, n, batch, db) {
      const c = ctx.io.begin('biasGrad');
      if (n === 0) return db;
      const gp = c.in(dy, n * batch, 'dy');
      const bp = c.out(db, n, 'db');
      const parts = ctx.parts(n * batch);
      ctx.on(parts).run([{ fn: 'biasRows', args: [gp, batch, bp] }], ctx.even(n, parts));
      c.end();
      return db;
    },
  };
}
