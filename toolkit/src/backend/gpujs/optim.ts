/**
 * Optimizer updates as gpu.js kernels. A kernel writes one array, so each step is a short pipeline: the new
 * state (velocity; Adam's moments) is computed first and stays on the device, and the parameter kernel
 * reads it from there; the state and the parameters then stay on the device as the caller's arrays
 * (residency, context.ts) or are read back into them.
 * Hyper-parameters travel in a small float array, so that a value that happens to be an integer (lr 1,
 * momentum 0) does not change a kernel's compiled argument types.
 *
 * @packageDocumentation
 */
import type { AdamHyper, SgdHyper } from '../backend';
import type { GpujsContext, KernelDef } from './context';
import type { GpuTexture } from './gpujs-api';
import { checkIndexRange } from './limits';

/** p = [lr, momentum, weightDecay, nesterov]. */
const SGD_VELOCITY: KernelDef = {
  name: 'sgd-velocity',
  pipeline: true,
  source: `function (param, grad, velocity, p) {
    const i = this.thread.x;
    const g = grad[i] + p[2] * param[i];
    return p[1] * velocity[i] + g;
  }`,
};

const SGD_PARAM: KernelDef = {
  name: 'sgd-param',
  source: `function (param, grad, v, p) {
    const i = this.thread.x;
    const g = grad[i] + p[2] * param[i];
    let u = v[i];
    if (p[3] > 0.5) {
      u = g + p[1] * v[i];
    }
    return param[i] - p[0] * u;
  }`,
};

/**
 * p = [lr, beta1, beta2, epsilon, weightDecay, 1 - beta1^t, 1 - beta2^t, 1 - beta1, 1 - beta2]; the
 * complements are taken in float64 on the host (1 - float32(0.999) is off by 1.3e-5 relative).
 */
const ADAM_M: KernelDef = {
  name: 'adam-m',
  pipeline: true,
  source: `function (param, grad, m, p) {
    const i = this.thread.x;
    const g = grad[i] + p[4] * param[i];
    return p[1] * m[i] + p[7] * g;
  }`,
};

const ADAM_V: KernelDef = {
  name: 'adam-v',
  pipeline: true,
  source: `function (param, grad, v, p) {
    const i = this.thread.x;
    const g = grad[i] + p[4] * param[i];
    return p[2] * v[i] + p[8] * g * g;
  }`,
};

const ADAM_PARAM: KernelDef = {
  name: 'adam-param',
  source: `function (param, m, v, p) {
    const i = this.thread.x;
    return param[i] - (p[0] * (m[i] / p[5])) / (Math.sqrt(v[i] / p[6]) + p[3]);
  }`,
};

/** The optimizer ops of a gpu.js backend. */
export class OptimOps {
  constructor(private readonly ctx: GpujsContext) {}

  sgdStep(param: Float32Array, grad: Float32Array, velocity: Float32Array, h: SgdHyper): void {
    const n = param.length;
    checkIndexRange(this.ctx.limits, 'sgdStep', [['the parameter array', n]]);
    if (n === 0) return;
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const hp = Float32Array.of(h.lr, h.momentum, h.weightDecay, h.nesterov ? 1 : 0);
      const W = c.upload(param, 'param', temps), G = c.upload(grad, 'grad', temps);
      const V = c.run(SGD_VELOCITY, 1, [n], W, G, c.upload(velocity, 'state', temps), hp);
      const w = c.run(SGD_PARAM, 1, [n], W, G, V, hp);
      c.result1d(V, velocity, n);
      c.result1d(w, param, n);
    } finally {
      this.ctx.free(temps);
    }
  }

  adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper): void {
    const n = param.length;
    checkIndexRange(this.ctx.limits, 'adamStep', [['the parameter array', n]]);
    if (n === 0) return;
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const hp = Float32Array.of(
        h.lr, h.beta1, h.beta2, h.epsilon, h.weightDecay, 1 - Math.pow(h.beta1, h.step), 1 - Math.pow(h.beta2, h.step), 1 - h.beta1, 1 - h.beta2,
      );
      const W = c.upload(param, 'param', temps), G = c.upload(grad, 'grad', temps);
      const M = c.run(ADAM_M, 1, [n], W, G, c.upload(m, 'm', temps), hp);
      const V = c.run(ADAM_V, 1, [n], W, G, c.upload(v, 'v', temps), hp);
      const w = c.run(ADAM_PARAM, 1, [n], W, M, V, hp);
      c.result1d(M, m, n);
      c.result1d(V, v, n);
      c.result1d(w, param, n);
    } finally {
      this.ctx.free(temps);
    }
  }
}
