/**
 * Checks of the request objects of the fused sparse ops and of {@link Backend.sgdSteps}, shared by every
 * backend so that a bad request is the same typed error, with the same message, whichever backend gets it.
 * Every check runs before the op writes anything. Arrays may be longer than the request needs (callers
 * reuse buffers sized for their largest batch); the op then reads and writes only the leading part.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, ShapeError } from '../core/errors';
import type { FusedRectifier, SgdTask, SparseBackwardRequest, SparseForwardRequest } from './backend';

/**
 * Checks that array `what` of op `op` holds at least `n` values; `detail` says where `n` comes from (a
 * function, so that the hot path builds no message unless the check fails).
 */
function atLeast(op: string, what: string, a: ArrayLike<number>, n: number, detail: () => string): void {
  if (a.length < n) throw new ShapeError(`${op}: ${what} has length ${a.length}, expected at least ${n} (${detail()})`);
}

/** Checks that `batch` is a whole number of samples. */
function checkBatch(op: string, batch: number): void {
  if (!(Number.isInteger(batch) && batch >= 0)) throw new InvalidArgumentError(`${op}: batch must be an integer >= 0, got ${batch}`);
}

/**
 * Checks a fused rectifier for `n` elements (`detail` says where `n` comes from).
 * @throws {@link InvalidArgumentError} for an op other than ReLU or leaky ReLU, a non-finite slope or a
 *   dropout rate outside [0, 1); {@link ShapeError} for a mask shorter than `n`.
 */
export function checkFusedRectifier(op: string, what: string, r: FusedRectifier, n: number, detail: () => string): void {
  if (r.op !== 'relu' && r.op !== 'leaky-relu') {
    throw new InvalidArgumentError(`${op}: ${what}.op must be 'relu' or 'leaky-relu' (the rectifiers a sparse op fuses), got '${String(r.op)}'`);
  }
  if (!Number.isFinite(r.alpha)) throw new InvalidArgumentError(`${op}: ${what}.alpha must be a finite number, got ${r.alpha}`);
  if (r.dropout !== null) {
    const rate = r.dropout.rate;
    if (!(rate >= 0 && rate < 1)) throw new InvalidArgumentError(`${op}: ${what}.dropout.rate must be in [0, 1), got ${rate}`);
  }
  if (r.mask.length < n) atLeast(op, `${what}.mask`, r.mask, n, detail);
}

/**
 * Checks a {@link SparseForwardRequest}: `x`, `y`, `bias` and the rectifier's mask long enough for the layer
 * and batch.
 * @throws {@link ShapeError} naming the short array, its length and the length expected;
 *   {@link InvalidArgumentError} for a bad batch or rectifier.
 */
export function checkSparseForwardRequest(req: SparseForwardRequest): void {
  const op = 'sparseForward';
  const { w, x, batch, bias, y } = req;
  checkBatch(op, batch);
  const shape = (): string => `${w.rows} outputs x ${w.cols} inputs, batch ${batch}`;
  atLeast(op, 'x', x, w.cols * batch, () => `cols * batch: ${shape()}`);
  atLeast(op, 'y', y, w.rows * batch, () => `rows * batch: ${shape()}`);
  if (bias !== null) atLeast(op, 'bias', bias, w.rows, () => `one per output: ${shape()}`);
  if (req.rectifier) checkFusedRectifier(op, 'rectifier', req.rectifier, w.rows * batch, () => `rows * batch: ${shape()}`);
}

/**
 * Checks a {@link SparseBackwardRequest}: every array long enough for the layer and batch, and
 * `inputBiasGrad` only together with an `inputRectifier` and a `dx` (it is the bias gradient of the block
 * whose rectifier the input gradient is taken back through).
 * @throws {@link ShapeError} naming the short array, its length and the length expected;
 *   {@link InvalidArgumentError} for a bad batch or rectifier, or `inputBiasGrad` without what it needs.
 */
export function checkSparseBackwardRequest(req: SparseBackwardRequest): void {
  const op = 'sparseBackward';
  const { w, dy, x, batch, dw, db, dx } = req;
  checkBatch(op, batch);
  const shape = (): string => `${w.rows} outputs x ${w.cols} inputs, batch ${batch}`;
  atLeast(op, 'dy', dy, w.rows * batch, () => `rows * batch: ${shape()}`);
  atLeast(op, 'x', x, w.cols * batch, () => `cols * batch: ${shape()}`);
  atLeast(op, 'dw', dw, w.nnz, () => `one per connection: ${w.nnz} connections`);
  if (db !== null) atLeast(op, 'db', db, w.rows, () => `one per output: ${shape()}`);
  if (dx !== null) atLeast(op, 'dx', dx, w.cols * batch, () => `cols * batch: ${shape()}`);
  const r = req.inputRectifier ?? null;
  const ib = req.inputBiasGrad ?? null;
  if (r !== null) checkFusedRectifier(op, 'inputRectifier', r, w.cols * batch, () => `cols * batch: ${shape()}`);
  if (ib !== null) {
    if (r === null || dx === null) {
      throw new InvalidArgumentError(
        `${op}: inputBiasGrad is given without ${r === null ? 'inputRectifier' : 'dx'}; the previous block's bias gradient is summed ` +
          'from the input gradient taken back through its rectifier, so pass both inputRectifier and dx, or compute it with biasGrad',
      );
    }
    atLeast(op, 'inputBiasGrad', ib, w.cols, () => `one per input: ${shape()}`);
  }
}

/**
 * Checks the tasks of {@link Backend.sgdSteps}: each `grad` and `velocity` at least as long as its `param`.
 * @throws {@link ShapeError} naming the task and the short array.
 */
export function checkSgdTasks(steps: readonly SgdTask[]): void {
  for (let i = 0; i < steps.length; i++) {
    const t = steps[i]!;
    const n = t.param.length;
    const detail = (): string => `one per parameter: steps[${i}].param has ${n}`;
    if (t.grad.length < n) atLeast('sgdSteps', `steps[${i}].grad`, t.grad, n, detail);
    if (t.velocity.length < n) atLeast('sgdSteps', `steps[${i}].velocity`, t.velocity, n, detail);
  }
}
