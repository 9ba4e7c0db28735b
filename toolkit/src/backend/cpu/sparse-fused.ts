/**
 * The fused sparse ops of the CPU reference, {@link Backend.sparseForward} and {@link Backend.sparseBackward},
 * as a plain composition of the reference's unfused ops (as tfjs's CPU `_FusedMatMul` composes its matmul,
 * bias and activation kernels): the definition that faster backends' fused kernels are checked against.
 * Nothing is faster here; the CPU backend says so with `fusesRectifiers: false`. The composition is written
 * against the {@link Backend} ops it calls, so a backend without fused kernels (gpu.js) composes its own ops
 * the same way.
 *
 * The rectifier mask, one byte per element, is this backend's own format:
 * - bit 0 ({@link KEEP}): dropout kept the element (always set without dropout);
 * - bit 1 ({@link PRE_POSITIVE}): the pre-activation was > 0. The output does not tell this: All-ReLU's
 *   slope is negative on some layers, so a positive output may come from a negative pre-activation, and
 *   dropout zeroes the output of dropped elements.
 * The backward pass decodes the two bits into the arguments its unfused ops take (a 0/1 keep mask for
 * `dropoutForward`, a stand-in pre-activation with the right sign for `unaryBackward`), in a workspace that
 * grows to the largest layer seen and is reused.
 *
 * @packageDocumentation
 */
import type { CsrMatrix } from '../../sparse/csr';
import type { Backend, FusedRectifier, SparseBackwardRequest, SparseForwardRequest } from '../backend';
import { checkSparseBackwardRequest, checkSparseForwardRequest } from '../requests';
import { dropoutScale } from './dropout';

/** Mask bit: dropout kept the element. */
export const KEEP = 1;
/** Mask bit: the pre-activation was > 0. */
export const PRE_POSITIVE = 2;

/** The unfused ops a fused request is composed of, and the memory whose `sync` lets the host read their outputs. */
export type UnfusedSparseOps = Pick<
  Backend,
  'spmmForward' | 'spmmWeightGrad' | 'spmmInputGrad' | 'biasGrad' | 'unaryForward' | 'unaryBackward' | 'dropout' | 'dropoutForward' | 'memory'
>;

/**
 * The three products of a sparse layer's backward pass: `spmmWeightGrad`, then `biasGrad` when `db` is not
 * null, then `spmmInputGrad` when `dx` is not null. A backend with a call that does them together, with the
 * same bits, passes it to {@link fusedSparseOps} instead of {@link productsOneByOne}.
 */
export type BackwardProducts = (
  w: CsrMatrix, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array, db: Float32Array | null, dx: Float32Array | null,
) => void;

/** {@link BackwardProducts} as the three ops of `ops`, one by one. */
export function productsOneByOne(ops: UnfusedSparseOps): BackwardProducts {
  return (w, dy, x, batch, dw, db, dx) => {
    ops.spmmWeightGrad(w, dy, x, batch, dw);
    if (db !== null) ops.biasGrad(dy, w.rows, batch, db);
    if (dx !== null) ops.spmmInputGrad(w, dy, batch, dx);
  };
}

/** The fused sparse ops of one backend, sharing its decoding workspace. */
export interface FusedSparseOps {
  sparseForward(req: SparseForwardRequest): Float32Array;
  sparseBackward(req: SparseBackwardRequest): Float32Array | null;
}

/** The leading `n` values of `a` (itself when it has exactly `n`), so that whole-array ops see only them. */
function head<T extends Float32Array | Uint8Array>(a: T, n: number): T {
  return (a.length === n ? a : a.subarray(0, n)) as T;
}

/**
 * Creates the fused ops composed of `ops` (each backend has its own: their workspace is not shared).
 * @param products - the backward pass's three products (default: `ops`' three ops one by one).
 */
export function fusedSparseOps(ops: UnfusedSparseOps, products: BackwardProducts = productsOneByOne(ops)): FusedSparseOps {
  let keep = new Uint8Array(0);
  let preSign = new Float32Array(0);

  /** `op(y)` then dropout, in place in `y` (n values, the product's output), recording the mask bits. */
  function rectify(r: FusedRectifier, y: Float32Array, n: number): void {
    const mask = head(r.mask, n);
    ops.memory.sync([y]);
    for (let i = 0; i < n; i++) mask[i] = y[i]! > 0 ? PRE_POSITIVE : 0;
    ops.unaryForward(r.op, y, r.alpha, y);
    if (r.dropout === null) {
      for (let i = 0; i < n; i++) mask[i]! |= KEEP;
      return;
    }
    if (keep.length < n) keep = new Uint8Array(n);
    const kept = head(keep, n);
    ops.dropout(y, r.dropout.rate, r.dropout.key, y, kept);
    for (let i = 0; i < n; i++) mask[i]! |= kept[i]! === 1 ? KEEP : 0;
  }

  /** Takes the gradient `g` (n values) back through the dropout and rectifier of `r`, in place. */
  function rectifyBack(r: FusedRectifier, g: Float32Array, n: number): void {
    const mask = head(r.mask, n);
    if (r.dropout !== null) {
      if (keep.length < n) keep = new Uint8Array(n);
      const kept = head(keep, n);
      for (let i = 0; i < n; i++) kept[i] = mask[i]! & KEEP;
      ops.dropoutForward(g, kept, dropoutScale(r.dropout.rate), g);
    }
    if (preSign.length < n) preSign = new Float32Array(n);
    const pre = head(preSign, n);
    // unaryBackward of ReLU and leaky ReLU reads only whether the pre-activation is > 0.
    for (let i = 0; i < n; i++) pre[i] = mask[i]! & PRE_POSITIVE ? 1 : -1;
    ops.unaryBackward(r.op, pre, pre, g, r.alpha, g);
  }

  return {
    sparseForward(req: SparseForwardRequest): Float32Array {
      checkSparseForwardRequest(req);
      const { w, x, batch, bias } = req;
      const n = w.rows * batch;
      const y = head(req.y, n);
      ops.spmmForward(w, x, batch, bias, y);
      if (req.rectifier) rectify(req.rectifier, y, n);
      return req.y;
    },

    sparseBackward(req: SparseBackwardRequest): Float32Array | null {
      checkSparseBackwardRequest(req);
      const { w, dy, x, batch, dw, db, dx } = req;
      if (dx === null) {
        products(w, dy, x, batch, dw, db, null);
        return null;
      }
      const n = w.cols * batch;
      let out: Float32Array;
      if (req.overwriteInput) {
        // In place over x, as the caller allows: the reference takes every liberty the interface gives a
        // backend, so that a caller reading `dx` instead of the returned array fails here too. The weight
        // gradient reads x first; the products must not overlap their inputs, so the input gradient follows.
        products(w, dy, x, batch, dw, db, null);
        out = ops.spmmInputGrad(w, dy, batch, head(x, n));
      } else {
        products(w, dy, x, batch, dw, db, dx);
        out = dx;
      }
      const g = head(out, n);
      const r = req.inputRectifier ?? null;
      if (r !== null) {
        rectifyBack(r, g, n);
        const ib = req.inputBiasGrad ?? null;
        if (ib !== null) ops.biasGrad(g, w.cols, batch, ib);
      }
      return out;
    },
  };
}
