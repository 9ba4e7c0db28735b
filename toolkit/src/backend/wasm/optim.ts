/**
 * The optimizer steps of the wasm backend. The SGD step runs in the kernels in float64, exactly as the
 * reference computes it (bit-identical); `sgdSteps` runs the steps of all of a network's arrays as one job on
 * the worker threads and returns before the calling thread's share (split phase, see Backend.sgdSteps), so
 * the trainer gathers the next batch meanwhile. Adam is the CPU reference on this backend's arrays.
 *
 * @packageDocumentation
 */
import type { Backend, PendingWork, SgdHyper } from '../backend';
import { DONE } from '../cpu/memory';
import { adamStep } from '../cpu/optim';
import { checkSgdTasks } from '../requests';
import type { WasmContext } from './context';
import type { KernelCall } from './dispatch';
import { ELEMENT_COST } from './plan';

/** Most arrays {@link Backend.sgdSteps} updates in one job (more go one by one). */
const SGD_TABLE_ENTRIES = 256;

/** Backend.sgdStep, sgdSteps and adamStep. */
export function optimOps(ctx: WasmContext): Pick<Backend, 'sgdStep' | 'sgdSteps' | 'adamStep'> {
  const { arena } = ctx;
  // Float64 hyper-parameters of the optimizer kernels (the worker protocol passes int32 arguments only).
  const hyperBlock = arena.alloc(64);
  const hyper = new Float64Array(arena.f32.buffer, hyperBlock.offset, 8);
  // The table of sgdSteps (assembly/elementwise.ts, sgdTable): 48-byte entries, as i32 words and as f64.
  const sgdBlock = arena.alloc(48 * SGD_TABLE_ENTRIES);
  const sgdWords = new Int32Array(arena.f32.buffer, sgdBlock.offset, 12 * SGD_TABLE_ENTRIES);
  const sgdHyper = new Float64Array(arena.f32.buffer, sgdBlock.offset, 6 * SGD_TABLE_ENTRIES);

  function sgdStep(op: string, param: Float32Array, grad: Float32Array, velocity: Float32Array, h: SgdHyper): void {
    const c = ctx.io.begin(op);
    const n = param.length;
    if (n === 0) return;
    const pp = c.inOut(param, n, 'param');
    const gp = c.in(grad, n, 'grad');
    const vp = c.inOut(velocity, n, 'velocity');
    hyper[0] = h.lr;
    hyper[1] = h.momentum;
    hyper[2] = h.weightDecay;
    const parts = ctx.parts(n * ELEMENT_COST);
    ctx.on(parts).run([{ fn: 'sgdRange', args: [pp, gp, vp, hyperBlock.offset, h.nesterov ? 1 : 0] }], ctx.flat(n, parts));
    c.end();
  }

  return {
    sgdStep: (param, grad, velocity, h) => sgdStep('sgdStep', param, grad, velocity, h),

    sgdSteps(steps): PendingWork {
      ctx.io.check('sgdSteps');
      checkSgdTasks(steps);
      // One job over the concatenated elements of arrays the backend owns, all with the same Nesterov flag;
      // anything else (rare: the optimizer allocates its arrays in the backend's memory) goes one array at a time.
      const nesterov = steps.length > 0 && steps[0]!.h.nesterov;
      let total = 0;
      let together = steps.length <= SGD_TABLE_ENTRIES;
      for (const t of steps) {
        if (t.h.nesterov !== nesterov || !arena.owns(t.param) || !arena.owns(t.grad) || !arena.owns(t.velocity)) together = false;
        total += t.param.length;
      }
      if (!together || total >= 2 ** 31 || total === 0) {
        for (const t of steps) sgdStep('sgdSteps', t.param, t.grad, t.velocity, t.h);
        return DONE;
      }
      let start = 0;
      steps.forEach((t, i) => {
        const w = i * 12;
        sgdWords[w] = t.param.byteOffset;
        sgdWords[w + 1] = t.grad.byteOffset;
        sgdWords[w + 2] = t.velocity.byteOffset;
        sgdWords[w + 3] = start;
        sgdWords[w + 4] = t.param.length;
        sgdHyper[i * 6 + 3] = t.h.lr;
        sgdHyper[i * 6 + 4] = t.h.momentum;
        sgdHyper[i * 6 + 5] = t.h.weightDecay;
        start += t.param.length;
      });
      const call: KernelCall[] = [{ fn: 'sgdTable', args: [sgdBlock.offset, steps.length, nesterov ? 1 : 0] }];
      if (ctx.settings.threads === 1) {
        ctx.inline.run(call, ctx.flat(total, 1));
        return DONE;
      }
      // The workers start at once and claim small chunks while the caller does its own work, so they can take
      // all of the job; wait() then helps with whatever is left. Until then every other op throws.
      ctx.pool.start(call, ctx.flat(total, ctx.pool.chunks));
      ctx.io.hold('sgdSteps');
      let open = true;
      return {
        wait(): void {
          if (!open) return;
          open = false;
          try {
            ctx.pool.finish();
          } finally {
            ctx.io.unhold();
          }
        },
      };
    },

    adamStep(param, grad, m, v, h) {
      ctx.io.check('adamStep');
      adamStep(param, grad, m, v, h);
    },
  };
}
