/**
 * The losses of the wasm backend: the CPU reference on this backend's arrays. They touch only the output
 * rows (ten classes x batch), so a kernel would gain nothing measurable.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend';
import { mseOneHot, softmaxCrossEntropy } from '../cpu/loss';
import type { WasmContext } from './context';

/** Backend.softmaxCrossEntropy and mseOneHot. */
export function lossOps(ctx: WasmContext): Pick<Backend, 'softmaxCrossEntropy' | 'mseOneHot'> {
  return {
    softmaxCrossEntropy(logits, labels, n, batch, grad, pred) {
      ctx.io.check('softmaxCrossEntropy');
      return softmaxCrossEntropy(logits, labels, n, batch, grad, pred);
    },
    mseOneHot(output, labels, n, batch, grad, pred) {
      ctx.io.check('mseOneHot');
      return mseOneHot(output, labels, n, batch, grad, pred);
    },
  };
}
