/**
 * Optimizer update rules over one parameter array and its per-entry state.
 *
 * @packageDocumentation
 */
import type { AdamHyper, PendingWork, SgdHyper, SgdTask } from '../backend';
import { checkSgdTasks } from '../requests';
import { DONE } from './memory';

/**
 * SGD with momentum and L2 weight decay (the SET paper's optimizer), in the PyTorch form:
 * `g = grad + wd * w; v = momentum * v + g; w -= lr * (nesterov ? g + momentum * v : v)`.
 */
export function sgdStep(param: Float32Array, grad: Float32Array, velocity: Float32Array, h: SgdHyper): void {
  const { lr, momentum, weightDecay, nesterov } = h;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! + weightDecay * param[i]!;
    const v = momentum * velocity[i]! + g;
    velocity[i] = v;
    param[i]! -= lr * (nesterov ? g + momentum * v : v);
  }
}

/**
 * The SGD steps of several arrays, each exactly {@link sgdStep}, done at once (the reference has no threads
 * to start them on): the work returned is already done. Every task's shapes are checked before any step.
 */
export function sgdSteps(steps: readonly SgdTask[]): PendingWork {
  checkSgdTasks(steps);
  for (const t of steps) sgdStep(t.param, t.grad, t.velocity, t.h);
  return DONE;
}

/** Adam with bias correction; L2 weight decay is added to the gradient. */
export function adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper): void {
  const { lr, beta1, beta2, epsilon, weightDecay, step } = h;
  const c1 = 1 - Math.pow(beta1, step);
  const c2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! + weightDecay * param[i]!;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i]! -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
  }
}
