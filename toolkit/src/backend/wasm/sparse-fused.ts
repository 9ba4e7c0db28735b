/**
 * The sparse layer ops with request objects (Backend.sparseForward, Backend.sparseBackward): a product with
 * its rectifier and dropout in one kernel, and the backward pass's three products, with the previous block's
 * rectifier taken back, in as few walks of the weights as the shape allows (the walk: plan.ts,
 * `planSparseBackward`). Every walk gives the bits of the ops one by one (test/backend-wasm/fused.test.ts).
 *
 * @packageDocumentation
 */
import type { Backend, FusedRectifier, SparseBackwardRequest, SparseForwardRequest } from '../backend';
import { checkSparseBackwardRequest, checkSparseForwardRequest } from '../requests';
import type { WasmContext } from './context';
import { ELEMENT_COST, planSparseBackward } from './plan';
import type { Epilogue } from './rectifier';
import { inputGrad, spmmForward, sumRows } from './sparse';

/** The chunk boundaries of a job of two tasks (task 0 to the calling thread, task 1 to a worker). */
const TWO_TASKS = Int32Array.of(0, 1, 2);

/** The product, then `r` and its dropout on each output row while it is in L1 (writes `r.mask`). */
function forwardRectified(ctx: WasmContext, epi: Epilogue, req: SparseForwardRequest, r: FusedRectifier): Float32Array {
  const { w, x, batch, bias, y } = req;
  const c = ctx.io.begin('sparseForward');
  const { rows, cols } = w;
  const n = rows * batch;
  if (n === 0) return y;
  const e = ctx.resident.get(w);
  const vp = c.in(w.values, w.nnz, 'w.values');
  const xp = c.in(x, cols * batch, 'x');
  const bp = bias === null ? 0 : c.in(bias, rows, 'bias');
  const yp = c.out(y, n, 'y');
  const ep = epi.describe(r, epi.maskOut(c, r, n));
  const parts = ctx.parts(w.nnz * batch + n * ELEMENT_COST);
  ctx.on(parts).run([{ fn: 'gatherRowsRect', args: [e.rowPtr, e.colIdx, vp, xp, batch, bp, yp, ep] }], ctx.resident.rowSplit(w, e, parts));
  c.end();
  return y;
}

/** The backward pass (see {@link SparseBackwardRequest}); the request is checked. */
function backward(ctx: WasmContext, epi: Epilogue, req: SparseBackwardRequest): Float32Array | null {
  const { w, dy, x, batch, dw, db, dx } = req;
  const { rows, cols } = w;
  // Without an input gradient there is nothing to take the rectifier back through.
  const r = dx === null ? undefined : (req.inputRectifier ?? undefined);
  const ib = r === undefined ? undefined : (req.inputBiasGrad ?? undefined);
  const plan = planSparseBackward({ rows, cols, nnz: w.nnz, batch }, dx !== null, ctx.settings);
  const c = ctx.io.begin('sparseBackward');

  if (plan.walk === 'rows' && dx !== null) {
    // Small batch: the three products in one walk of the rows (one thread), or as two tasks (weight and
    // bias gradients; input gradient) on two threads. Same bits either way, and as the ops one by one.
    const e = ctx.resident.get(w);
    const vp = c.in(w.values, w.nnz, 'w.values');
    const gp = c.in(dy, rows * batch, 'dy');
    const xp = c.in(x, cols * batch, 'x');
    const wp = c.out(dw, w.nnz, 'dw');
    // Without db (computed already by the next layer's backward) the kernels' bias sums go to scratch.
    const bp = db === null ? c.take(rows) : c.out(db, rows, 'db');
    const dp = c.out(dx, cols * batch, 'dx');
    const mp = r === undefined ? 0 : epi.maskIn(c, r, cols * batch);
    if (plan.tasks === 1) {
      ctx.arena.f32.fill(0, dp >> 2, (dp >> 2) + cols * batch);
      ctx.kernels.backwardRows(e.rowPtr, e.colIdx, vp, gp, xp, batch, wp, bp, dp, 0, rows);
    } else {
      ctx.pool.run([{ fn: 'backwardTasks', args: [e.rowPtr, e.colIdx, vp, gp, xp, batch, wp, bp, dp, rows, cols] }], TWO_TASKS);
    }
    if (r !== undefined) epi.back(ctx, r, dp, xp, cols, batch, mp);
    if (ib !== undefined) sumRows(ctx, c.out(ib, cols, 'inputBiasGrad'), dp, cols, batch);
    c.end();
    return dx;
  }

  if (plan.walk === 'columns' && dx !== null) {
    // A wide layer: weight and input gradients in one walk of the transposed index (each dy row is fetched
    // once for both), the bias gradient by rows; in place over x when the caller allows it and x is in wasm
    // memory (each dx row where its x row was just read).
    const e = ctx.resident.get(w);
    const t = ctx.resident.csc(w, e);
    const inPlace = (req.overwriteInput ?? false) && ctx.arena.owns(x);
    // The dots' accumulators between batch blocks: 16 claim words, then 16 slots of a column's worth (in
    // place, and one dx row for long columns).
    const slotBytes = 16 * Math.max(1, t.maxColumn) + (inPlace ? batch * 4 : 0);
    const accFloats = (64 + 16 * slotBytes) / 4;
    const vp = c.in(w.values, w.nnz, 'w.values');
    const wt = c.take(w.nnz);
    const ap = c.take(accFloats);
    ctx.arena.i32.fill(0, ap >> 2, (ap >> 2) + 16);
    const gp = c.in(dy, rows * batch, 'dy');
    const xp = c.in(x, cols * batch, 'x');
    const wp = c.out(dw, w.nnz, 'dw');
    const bp = db === null ? 0 : c.out(db, rows, 'db');
    const dp = inPlace ? xp : c.out(dx, cols * batch, 'dx');
    const ibp = ib === undefined ? 0 : c.out(ib, cols, 'inputBiasGrad');
    const ep = r === undefined ? 0 : epi.describe(r, epi.maskIn(c, r, cols * batch));
    const d = ctx.on(plan.parts);
    d.run(
      [
        { fn: 'permuteRows', args: [t.ptr, t.k, vp, wt] },
        { fn: 'backwardColumns', args: [t.ptr, t.row, t.k, wt, gp, xp, batch, dp, wp, ep, ap, slotBytes, plan.blockBytes, ibp] },
      ],
      ctx.resident.colSplit(w, e, plan.parts),
    );
    if (db !== null) d.run([{ fn: 'biasRows', args: [gp, batch, bp] }], ctx.resident.rowSplit(w, e, plan.parts));
    c.end();
    return !inPlace ? dx : x.length === cols * batch ? x : x.subarray(0, cols * batch);
  }

  if (plan.walk === 'split' && dx !== null) {
    // Weight and bias gradients by rows and the input gradient by columns, as one job (the two do not
    // depend on each other, so neither waits for the other to finish on both threads).
    const e = ctx.resident.get(w);
    const t = ctx.resident.csc(w, e);
    const gp = c.in(dy, rows * batch, 'dy');
    const xp = c.in(x, cols * batch, 'x');
    const wp = c.out(dw, w.nnz, 'dw');
    const bp = db === null ? 0 : c.out(db, rows, 'db');
    const vp = c.in(w.values, w.nnz, 'w.values');
    const wt = c.take(w.nnz);
    const dp = c.out(dx, cols * batch, 'dx');
    const ep = r === undefined ? 0 : epi.describe(r, epi.maskIn(c, r, cols * batch));
    const ibp = ib === undefined ? 0 : c.out(ib, cols, 'inputBiasGrad');
    ctx.on(plan.parts).run(
      [{ fn: 'backwardSplit', args: [e.rowPtr, e.colIdx, gp, xp, batch, wp, bp, t.ptr, t.row, t.k, vp, wt, dp, ep, xp, ibp, rows] }],
      ctx.resident.rowsThenColumns(w, e, plan.parts),
    );
    c.end();
    return dx;
  }

  // The weight (and bias) gradient by rows, then the input gradient on its own.
  if (rows > 0 && batch > 0) {
    const e = ctx.resident.get(w);
    const gp = c.in(dy, rows * batch, 'dy');
    const xp = c.in(x, cols * batch, 'x');
    const wp = c.out(dw, w.nnz, 'dw');
    const bp = db === null ? 0 : c.out(db, rows, 'db');
    ctx.on(plan.parts).run([{ fn: 'dotRows', args: [e.rowPtr, e.colIdx, gp, xp, batch, wp, bp] }], ctx.resident.rowSplit(w, e, plan.parts));
    c.end();
  } else if (rows > 0) {
    db?.fill(0, 0, rows);
    dw.fill(0, 0, w.nnz);
  }
  return dx === null ? null : inputGrad(ctx, epi, 'sparseBackward', w, dy, batch, dx, r, x, ib);
}

/** Backend.sparseForward and Backend.sparseBackward. */
export function sparseFusedOps(ctx: WasmContext, epi: Epilogue): Pick<Backend, 'sparseForward' | 'sparseBackward'> {
  return {
    sparseForward(req) {
      checkSparseForwardRequest(req);
      const r = req.rectifier ?? null;
      if (r === null) return spmmForward(ctx, 'sparseForward', req.w, req.x, req.batch, req.bias, req.y);
      return forwardRectified(ctx, epi, req, r);
    },
    sparseBackward(req) {
      checkSparseBackwardRequest(req);
      return backward(ctx, epi, req);
    },
  };
}
