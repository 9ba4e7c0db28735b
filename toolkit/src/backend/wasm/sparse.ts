/**
 * The sparse layer products of the wasm backend, one by one: forward, input gradient (which can also take
 * the previous block's rectifier back, for sparse-fused.ts) and weight gradient; and the products with a
 * sparse batch, which are the CPU reference's loops over this backend's arrays.
 *
 * Numerics: the products use the reference's term order with single-precision multiply and add, where the
 * reference rounds a double-precision update once, so they agree with it to rounding, not bit for bit. The
 * input gradient needs no scatter: it walks the transposed index, each column's entries in increasing row
 * order, exactly the reference's order (and the scatter at small batches adds in that same order). Forward
 * and input gradient are batch-invariant (a sample's output bits do not depend on the batch it is in).
 *
 * @packageDocumentation
 */
import type { Backend, FusedRectifier } from '../backend';
import type { CsrMatrix } from '../../sparse/csr';
import { sparseInputForward, sparseInputWeightGrad } from '../cpu/sparse-input';
import type { WasmContext } from './context';
import type { KernelCall } from './dispatch';
import { planInputGrad, planSparseForward } from './plan';
import type { Epilogue } from './rectifier';

/** `y = w x + bias` (Backend.spmmForward). */
export function spmmForward(
  ctx: WasmContext, op: string, w: CsrMatrix, x: Float32Array, batch: number, bias: Float32Array | null, y: Float32Array,
): Float32Array {
  const c = ctx.io.begin(op);
  const { rows, cols } = w;
  if (rows === 0 || batch === 0) return y;
  const e = ctx.resident.get(w);
  const vp = c.in(w.values, w.nnz, 'w.values');
  const xp = c.in(x, cols * batch, 'x');
  const bp = bias === null ? 0 : c.in(bias, rows, 'bias');
  const yp = c.out(y, rows * batch, 'y');
  const plan = planSparseForward({ rows, cols, nnz: w.nnz, batch }, ctx.settings);
  const d = ctx.on(plan.parts);
  if (plan.walk === 'columns') {
    // Few long rows: one walk of the input by columns (the values permuted into column order first).
    const t = ctx.resident.csc(w, e);
    const wt = c.take(w.nnz);
    d.run([{ fn: 'permuteRows', args: [t.ptr, t.k, vp, wt] }], ctx.resident.colSplit(w, e, plan.parts));
    d.run([{ fn: 'scatterColumns', args: [t.ptr, t.row, wt, xp, batch, bp, yp, rows, cols] }], ctx.lanes(batch, plan.laneParts));
  } else {
    d.run([{ fn: 'gatherRows', args: [e.rowPtr, e.colIdx, vp, xp, batch, bp, yp] }], ctx.resident.rowSplit(w, e, plan.parts));
  }
  c.end();
  return y;
}

/**
 * The sparse input gradient `dx = w^T dy`, taken back through `r` (the previous block's rectifier) when
 * given; `x`, the layer's input (the block's output), is read then; `ib` (checked by the caller) receives
 * the row sums of the result (the previous block's bias gradient). The caller checked `r` and `ib`
 * (backend/requests.ts).
 */
export function inputGrad(
  ctx: WasmContext, epi: Epilogue, op: string, w: CsrMatrix, dy: Float32Array, batch: number, dx: Float32Array,
  r?: FusedRectifier, x?: Float32Array, ib?: Float32Array,
): Float32Array {
  const c = ctx.io.begin(op);
  const { rows, cols } = w;
  if (cols === 0) return dx;
  if (batch === 0) {
    ib?.fill(0, 0, cols);
    return dx;
  }
  if (rows === 0) {
    ib?.fill(0, 0, cols);
    return dx.fill(0, 0, cols * batch);
  }
  const e = ctx.resident.get(w);
  const plan = planInputGrad({ rows, cols, nnz: w.nnz, batch }, ctx.settings);
  if (plan.walk === 'scatter') {
    // One thread, all rows in order: the same bits as the gather below (see assembly/scatter.ts).
    const vp = c.in(w.values, w.nnz, 'w.values');
    const gp = c.in(dy, rows * batch, 'dy');
    const xp = c.out(dx, cols * batch, 'dx');
    const ap = r === undefined ? 0 : c.in(x!, cols * batch, 'x');
    const mp = r === undefined ? 0 : epi.maskIn(c, r, cols * batch);
    ctx.arena.f32.fill(0, xp >> 2, (xp >> 2) + cols * batch);
    ctx.kernels.scatterRows(e.rowPtr, e.colIdx, vp, gp, batch, xp, 0, rows);
    if (r !== undefined) epi.back(ctx, r, xp, ap, cols, batch, mp);
    if (ib !== undefined) sumRows(ctx, c.out(ib, cols, 'inputBiasGrad'), xp, cols, batch);
    c.end();
    return dx;
  }
  const t = ctx.resident.csc(w, e);
  const vp = c.in(w.values, w.nnz, 'w.values');
  const wt = c.take(w.nnz);
  const gp = c.in(dy, rows * batch, 'dy');
  const xp = c.out(dx, cols * batch, 'dx');
  const calls: KernelCall[] = [
    { fn: 'permuteRows', args: [t.ptr, t.k, vp, wt] },
    { fn: 'gatherRows', args: [t.ptr, t.row, wt, gp, batch, 0, xp] },
  ];
  if (r !== undefined) {
    const ap = c.in(x!, cols * batch, 'x');
    calls.push({ fn: 'rectifyBackRows', args: [epi.describe(r, epi.maskIn(c, r, cols * batch)), xp, ap, batch] });
  }
  if (ib !== undefined) calls.push({ fn: 'biasRows', args: [xp, batch, c.out(ib, cols, 'inputBiasGrad')] });
  ctx.on(plan.parts).run(calls, ctx.resident.colSplit(w, e, plan.parts));
  c.end();
  return dx;
}

/** `ib[c]` = the sum of row c of the `cols` x `batch` array at `dp` (a bias gradient), into `ibp`. */
export function sumRows(ctx: WasmContext, ibp: number, dp: number, cols: number, batch: number): void {
  const parts = ctx.parts(cols * batch);
  ctx.on(parts).run([{ fn: 'biasRows', args: [dp, batch, ibp] }], ctx.even(cols, parts));
}

/** The sparse ops one by one (Backend.spmmForward, spmmInputGrad, spmmWeightGrad) and with a sparse batch. */
export function sparseOps(
  ctx: WasmContext, epi: Epilogue,
): Pick<Backend, 'spmmForward' | 'spmmInputGrad' | 'spmmWeightGrad' | 'sparseInputForward' | 'sparseInputWeightGrad'> {
  return {
    spmmForward: (w, x, batch, bias, y) => spmmForward(ctx, 'spmmForward', w, x, batch, bias, y),

    spmmInputGrad: (w, dy, batch, dx) => inputGrad(ctx, epi, 'spmmInputGrad', w, dy, batch, dx),

    spmmWeightGrad(w, dy, x, batch, dw) {
      const c = ctx.io.begin('spmmWeightGrad');
      const { rows, cols } = w;
      if (w.nnz === 0) return dw;
      const e = ctx.resident.get(w);
      const gp = c.in(dy, rows * batch, 'dy');
      const xp = c.in(x, cols * batch, 'x');
      const wp = c.out(dw, w.nnz, 'dw');
      const parts = ctx.parts(w.nnz * batch);
      ctx.on(parts).run([{ fn: 'dotRows', args: [e.rowPtr, e.colIdx, gp, xp, batch, wp, 0] }], ctx.resident.rowSplit(w, e, parts));
      c.end();
      return dw;
    },

    // A sparse batch into the first layer: for now the reference's JavaScript loops, which read and write
    // this backend's arrays (weights, outputs, gradients) in place in its memory, on the calling thread.
    // Their cost is the layer's connections plus the batch's non-zero products (no nFeatures * batch input).
    sparseInputForward(req) {
      ctx.io.check('sparseInputForward');
      return sparseInputForward(req);
    },
    sparseInputWeightGrad(req) {
      ctx.io.check('sparseInputWeightGrad');
      return sparseInputWeightGrad(req);
    },
  };
}
